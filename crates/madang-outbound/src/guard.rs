//! The guard every request to a URL that a client gave the server passes
//! (invariant 13). A push endpoint is chosen by whoever holds a device
//! token, so the server must not become their way into the operator's
//! network:
//!
//! - the URL is `https`, with no user name or password in it;
//! - its host is one the operator allows ([`Policy::allowed_hosts`]);
//! - it resolves only to public addresses, unless the operator named the
//!   host in [`Policy::private_hosts`] (a push distributor on the LAN, or
//!   tests on 127.0.0.1). The check runs on the addresses the connection
//!   is really made to (our resolver), so DNS rebinding gains nothing;
//! - redirects are never followed, no proxy from the environment is used,
//!   time is capped, and at most [`ANSWER_BYTES`] of an answer is read.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most of an answer's body that is read (the rest is dropped).
pub const ANSWER_BYTES: usize = 4096;

/// What the operator allows outbound requests to reach.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Host names: `fcm.googleapis.com` names one host; `*.example.com`
    /// names every host under `example.com` (not `example.com` itself);
    /// `*` names every host (private addresses stay refused).
    pub allowed_hosts: Vec<String>,
    /// Hosts (names or IP literals) that may resolve to private, loopback
    /// or link-local addresses. Each is allowed too.
    pub private_hosts: Vec<String>,
    /// The most a request may take, connecting included.
    pub timeout: Duration,
    /// Certificates (PEM) trusted besides the public roots: a push
    /// distributor behind the operator's own certificate authority.
    pub extra_roots_pem: Option<Vec<u8>>,
}

/// Why a URL was refused. [`Refusal::code`] is the stable error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a URL: {0}")]
    Malformed(String),
    #[error("only https URLs are accepted")]
    NotHttps,
    #[error("a URL with a user name or password is not accepted")]
    Credentials,
    #[error("host {0} is not one this server sends to")]
    HostNotAllowed(String),
    #[error("host {0} is a private, loopback or reserved address")]
    PrivateAddress(String),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "endpoint_malformed",
            Refusal::NotHttps => "endpoint_not_https",
            Refusal::Credentials => "endpoint_malformed",
            Refusal::HostNotAllowed(_) => "endpoint_host_not_allowed",
            Refusal::PrivateAddress(_) => "endpoint_private_address",
        }
    }
}

/// An answer from the far end: its status and, when it asked us to wait,
/// for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Timed out, could not connect, TLS failed, or every address the
    /// host resolved to was refused.
    #[error("no answer: {0}")]
    Network(String),
}

/// Could not build the HTTP client (a bad extra certificate).
#[derive(Debug, thiserror::Error)]
#[error("outbound client: {0}")]
pub struct BuildError(String);

/// Sends requests that passed the guard.
#[derive(Clone)]
pub struct Outbound {
    policy: Arc<Policy>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("policy", &self.policy).finish()
    }
}

impl Outbound {
    pub fn new(policy: Policy) -> Result<Self, BuildError> {
        let policy = Arc::new(policy);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(true)
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("madang/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Resolver {
                policy: policy.clone(),
            }));
        if let Some(pem) = &policy.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| BuildError(format!("extra roots: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| BuildError(e.to_string()))?;
        Ok(Outbound { policy, client })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks a URL without sending anything: scheme, host, and an IP
    /// literal's address. Names are resolved (and checked) only when sent.
    pub fn check(&self, url: &str) -> Result<reqwest::Url, Refusal> {
        check(&self.policy, url)
    }

    /// Sends `request` if its URL passes the guard, reading at most
    /// [`ANSWER_BYTES`] of the answer.
    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Result<Answer, SendError> {
        self.check(&request.uri().to_string())?;
        let request = reqwest::Request::try_from(request).map_err(|e| SendError::Network(e.to_string()))?;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| SendError::Network(describe(&e)))?;
        let answer = Answer {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        };
        let mut read = 0;
        while read < ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        Ok(answer)
    }
}

/// An error with its causes, which is where reqwest says what went wrong.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn check(policy: &Policy, url: &str) -> Result<reqwest::Url, Refusal> {
    let parsed = reqwest::Url::parse(url).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if parsed.scheme() != "https" {
        return Err(Refusal::NotHttps);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refusal::Credentials);
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(Refusal::Malformed("no host".into())),
    };
    let private_ok = listed(&policy.private_hosts, &host);
    if !private_ok && !listed(&policy.allowed_hosts, &host) {
        return Err(Refusal::HostNotAllowed(host));
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal
        && !private_ok
        && !is_public(ip)
    {
        return Err(Refusal::PrivateAddress(host));
    }
    Ok(parsed)
}

/// Whether `host` (lower case) is named by one of `patterns`.
fn listed(patterns: &[String], host: &str) -> bool {
    patterns.iter().any(|p| {
        let p = p.trim().trim_end_matches('.').to_ascii_lowercase();
        if p == "*" {
            return true;
        }
        match p.strip_prefix("*.") {
            Some(parent) => host.len() > parent.len() + 1 && host.ends_with(&format!(".{parent}")),
            None => host == p || host.trim_start_matches('[').trim_end_matches(']') == p,
        }
    })
}

/// Whether an address is on the public internet: not private, loopback,
/// link-local, shared (CGNAT), documentation, benchmarking, multicast,
/// broadcast, reserved or unspecified; IPv6 forms of IPv4 addresses are
/// judged by the IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible and the like
}

/// Resolves names, keeping only the addresses the policy lets the
/// connection reach.
struct Resolver {
    policy: Arc<Policy>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
            let private_ok = listed(&policy.private_hosts, &host);
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| private_ok || is_public(a.ip()))
                .collect();
            if kept.is_empty() {
                let refusal: Box<dyn std::error::Error + Send + Sync> =
                    Box::new(Refusal::PrivateAddress(host));
                return Err(refusal);
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            allowed_hosts: vec!["fcm.googleapis.com".into(), "*.push.services.mozilla.com".into()],
            private_hosts: vec!["127.0.0.1".into(), "ntfy.lan".into()],
            timeout: Duration::from_secs(5),
            extra_roots_pem: None,
        }
    }

    #[test]
    fn allows_the_listed_hosts_over_https_only() {
        let p = policy();
        assert!(check(&p, "https://fcm.googleapis.com/fcm/send/abc").is_ok());
        assert!(check(&p, "https://updates.push.services.mozilla.com/wpush/v2/x").is_ok());
        assert!(check(&p, "https://FCM.googleapis.com./x").is_ok());
        assert_eq!(check(&p, "http://fcm.googleapis.com/x"), Err(Refusal::NotHttps));
        assert_eq!(
            check(&p, "https://push.services.mozilla.com/x"),
            Err(Refusal::HostNotAllowed("push.services.mozilla.com".into()))
        );
        assert_eq!(
            check(&p, "https://evilfcm.googleapis.com.attacker.net/x"),
            Err(Refusal::HostNotAllowed(
                "evilfcm.googleapis.com.attacker.net".into()
            ))
        );
        assert_eq!(
            check(&p, "https://u:p@fcm.googleapis.com/x"),
            Err(Refusal::Credentials)
        );
        assert!(matches!(check(&p, "not a url"), Err(Refusal::Malformed(_))));
        assert_eq!(check(&p, "ftp://fcm.googleapis.com/x"), Err(Refusal::NotHttps));
    }

    #[test]
    fn a_star_allows_every_public_host_and_no_private_one() {
        let p = Policy {
            allowed_hosts: vec!["*".into()],
            private_hosts: vec![],
            timeout: Duration::from_secs(5),
            extra_roots_pem: None,
        };
        assert!(check(&p, "https://bots.example.org/hook").is_ok());
        assert!(check(&p, "https://8.8.8.8/hook").is_ok());
        assert_eq!(
            check(&p, "https://192.168.0.10/hook"),
            Err(Refusal::PrivateAddress("192.168.0.10".into()))
        );
        assert_eq!(check(&p, "http://bots.example.org/hook"), Err(Refusal::NotHttps));
    }

    #[test]
    fn refuses_private_literals_unless_named() {
        let mut p = policy();
        p.allowed_hosts.push("10.0.0.7".into());
        p.allowed_hosts.push("::1".into());
        assert_eq!(
            check(&p, "https://10.0.0.7/x"),
            Err(Refusal::PrivateAddress("10.0.0.7".into()))
        );
        assert_eq!(
            check(&p, "https://[::1]/x"),
            Err(Refusal::PrivateAddress("::1".into()))
        );
        assert!(check(&p, "https://127.0.0.1:8443/x").is_ok());
        assert_eq!(
            check(&p, "https://127.0.0.2/x"),
            Err(Refusal::HostNotAllowed("127.0.0.2".into()))
        );
    }

    #[test]
    fn classifies_addresses() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "142.250.1.1",
            "2607:f8b0::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_not_reached() {
        let mut p = policy();
        p.allowed_hosts.push("localhost".into());
        let out = Outbound::new(p).unwrap();
        let request = http::Request::post("https://localhost:9/x")
            .body(Vec::new())
            .unwrap();
        match out.send(request).await {
            Err(SendError::Network(why)) => assert!(why.contains("private"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
