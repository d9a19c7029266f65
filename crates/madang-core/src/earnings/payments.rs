//! The payment provider interface, and the built-in test provider.
//!
//! A provider charges a stored payment method (a token the client got from
//! the provider, never card numbers) and refunds a charge. Every charge
//! carries an idempotency key: asking twice with one key charges once, so
//! a retry after a timeout, or two nodes renewing the same subscription,
//! never takes money twice.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRequest {
    pub payment_method: String,
    /// Minor units of `currency`; positive.
    pub amount: i64,
    pub currency: String,
    pub idempotency_key: String,
    /// What the customer sees on their statement.
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The provider's reference, for refunds and support.
    pub id: String,
    pub amount: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaymentError {
    /// The provider refused: the customer should use another method.
    #[error("the payment was declined: {0}")]
    Declined(String),
    /// The method token is not one the provider knows.
    #[error("unknown payment method")]
    UnknownMethod,
    /// The provider could not be reached or failed; retry later.
    #[error("the payment provider failed: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Its name, which is also its ledger clearing account (`provider:{name}`).
    fn name(&self) -> &str;
    async fn charge(&self, req: ChargeRequest) -> Result<Charge, PaymentError>;
    async fn refund(&self, charge_id: &str) -> Result<(), PaymentError>;
}

/// Moves no money. `pm_test_ok` (and any `pm_test_ok_*`) always succeeds;
/// `pm_test_declined` is always declined; `pm_test_expiring_*` succeeds
/// once and is declined after (a card that expires before the renewal);
/// anything else is unknown. It remembers charges by idempotency key for
/// the life of the process.
#[derive(Default)]
pub struct TestPaymentProvider {
    charges: Mutex<HashMap<String, Charge>>,
    used: Mutex<std::collections::HashSet<String>>,
    refunded: Mutex<Vec<String>>,
}

impl TestPaymentProvider {
    /// Charge ids refunded so far.
    pub fn refunded(&self) -> Vec<String> {
        self.refunded.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl PaymentProvider for TestPaymentProvider {
    fn name(&self) -> &str {
        "test"
    }

    async fn charge(&self, req: ChargeRequest) -> Result<Charge, PaymentError> {
        if req.amount <= 0 {
            return Err(PaymentError::Declined("amount must be positive".into()));
        }
        if req.payment_method == "pm_test_declined" {
            return Err(PaymentError::Declined("the card was declined".into()));
        }
        let method = req.payment_method.as_str();
        if method.starts_with("pm_test_expiring_") {
            let mut used = self
                .used
                .lock()
                .map_err(|_| PaymentError::Unavailable("test provider poisoned".into()))?;
            if !used.insert(method.to_owned()) {
                return Err(PaymentError::Declined("the card has expired".into()));
            }
        } else if method != "pm_test_ok" && !method.starts_with("pm_test_ok_") {
            return Err(PaymentError::UnknownMethod);
        }
        let mut charges = self
            .charges
            .lock()
            .map_err(|_| PaymentError::Unavailable("test provider poisoned".into()))?;
        let n = charges.len() + 1;
        Ok(charges
            .entry(req.idempotency_key)
            .or_insert_with(|| Charge {
                id: format!("ch_test_{n}"),
                amount: req.amount,
            })
            .clone())
    }

    async fn refund(&self, charge_id: &str) -> Result<(), PaymentError> {
        self.refunded
            .lock()
            .map_err(|_| PaymentError::Unavailable("test provider poisoned".into()))?
            .push(charge_id.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, key: &str) -> ChargeRequest {
        ChargeRequest {
            payment_method: method.into(),
            amount: 4_900,
            currency: "KRW".into(),
            idempotency_key: key.into(),
            description: "tier".into(),
        }
    }

    #[tokio::test]
    async fn one_key_charges_once_and_test_methods_behave_as_documented() {
        let p = TestPaymentProvider::default();
        let a = p.charge(req("pm_test_ok", "k1")).await.unwrap();
        let b = p.charge(req("pm_test_ok", "k1")).await.unwrap();
        let c = p.charge(req("pm_test_ok_visa", "k2")).await.unwrap();
        assert_eq!(a, b);
        assert_ne!(a.id, c.id);
        assert!(matches!(
            p.charge(req("pm_test_declined", "k3")).await,
            Err(PaymentError::Declined(_))
        ));
        assert_eq!(
            p.charge(req("4242424242424242", "k4")).await,
            Err(PaymentError::UnknownMethod)
        );
        p.refund(&c.id).await.unwrap();
        assert_eq!(p.refunded(), vec![c.id.clone()]);
        assert!(p.charge(req("pm_test_expiring_1", "k5")).await.is_ok());
        assert!(matches!(
            p.charge(req("pm_test_expiring_1", "k6")).await,
            Err(PaymentError::Declined(_))
        ));
    }
}
