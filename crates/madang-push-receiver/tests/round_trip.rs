//! Madang's sender against the receiver: a push arrives decrypted with a
//! valid token, a gone subscription reads as gone, and a push signed by a
//! key other than the one it names is refused; an opaque service takes
//! what it cannot read and reports it once read.

use madang_outbound::{Outbound, Outcome, Policy, Push, Subscription, Urgency, VapidKey, WebPush};
use madang_push_receiver::Receiver;
use std::time::Duration;

fn sender(receiver: &Receiver) -> WebPush {
    let outbound = Outbound::new(Policy {
        allowed_hosts: Vec::new(),
        private_hosts: vec!["127.0.0.1".into()],
        timeout: Duration::from_secs(5),
        extra_roots_pem: Some(receiver.ca_pem.clone().into_bytes()),
    })
    .expect("client");
    WebPush::new(outbound, VapidKey::generate(), "mailto:ops@example.org".into())
}

fn subscription(json: &serde_json::Value) -> Subscription {
    Subscription {
        endpoint: json["endpoint"].as_str().expect("endpoint").into(),
        p256dh: json["keys"]["p256dh"].as_str().expect("p256dh").into(),
        auth: json["keys"]["auth"].as_str().expect("auth").into(),
    }
}

fn push(text: &str) -> Push {
    Push {
        payload: serde_json::to_vec(&serde_json::json!({ "text": text })).expect("json"),
        ttl: Duration::from_secs(60),
        urgency: Urgency::High,
        topic: Some("r42".into()),
    }
}

#[tokio::test]
async fn a_push_arrives_decrypted_and_signed() {
    let receiver = Receiver::start().await.expect("receiver");
    let web_push = sender(&receiver);
    let json = receiver.subscribe();
    let sub = subscription(&json);
    assert_eq!(web_push.send(&sub, &push("안녕")).await, Outcome::Delivered);
    assert_eq!(web_push.send(&sub, &push("again")).await, Outcome::Delivered);
    let got = receiver.deliveries_to(&sub.endpoint);
    assert_eq!(got.len(), 2, "faults: {:?}", receiver.faults());
    assert_eq!(got[0].payload["text"], "안녕");
    assert_eq!(got[0].urgency.as_deref(), Some("high"));
    assert_eq!(got[0].topic.as_deref(), Some("r42"));
    assert_eq!(got[0].ttl, 60);
    assert_eq!(got[0].contact, "mailto:ops@example.org");
    assert_eq!(got[0].vapid_key, web_push.key().public_base64());
    assert!(receiver.faults().is_empty());
}

#[tokio::test]
async fn a_gone_subscription_reads_as_gone() {
    let receiver = Receiver::start().await.expect("receiver");
    let web_push = sender(&receiver);
    let sub = subscription(&receiver.subscribe());
    receiver.answer(&sub.endpoint, 410);
    assert_eq!(web_push.send(&sub, &push("x")).await, Outcome::Gone);
    assert_eq!(receiver.delivered(), 0);
    assert_eq!(receiver.turned_away(), 1);
}

#[tokio::test]
async fn a_payload_for_other_keys_is_refused() {
    let receiver = Receiver::start().await.expect("receiver");
    let web_push = sender(&receiver);
    let mine = subscription(&receiver.subscribe());
    let other = subscription(&receiver.subscribe());
    // Encrypted for `other`'s keys, posted to `mine`.
    let wrong = Subscription {
        endpoint: mine.endpoint.clone(),
        ..other
    };
    let outcome = web_push.send(&wrong, &push("x")).await;
    assert!(matches!(outcome, Outcome::Rejected(400)), "{outcome:?}");
    assert_eq!(receiver.delivered(), 0);
    assert!(
        receiver.faults()[0].contains("decrypt"),
        "{:?}",
        receiver.faults()
    );
}

#[tokio::test]
async fn an_opaque_service_takes_what_it_cannot_read_and_finds_it_when_read() {
    let receiver = Receiver::start_opaque().await.expect("receiver");
    let web_push = sender(&receiver);
    let mine = subscription(&receiver.subscribe());
    let other = subscription(&receiver.subscribe());
    assert_eq!(web_push.send(&mine, &push("읽힘")).await, Outcome::Delivered);
    // Encrypted for `other`'s keys, posted to `mine`: a real push service
    // cannot tell, and takes it.
    let wrong = Subscription {
        endpoint: mine.endpoint.clone(),
        ..other
    };
    assert_eq!(web_push.send(&wrong, &push("x")).await, Outcome::Delivered);
    assert_eq!(receiver.delivered(), 2);
    let got = receiver.deliveries_to(&mine.endpoint);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["text"], "읽힘");
    let faults = receiver.faults();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert!(faults[0].contains("decrypt"), "{faults:?}");
    assert_eq!(receiver.delivered(), 1);
}
