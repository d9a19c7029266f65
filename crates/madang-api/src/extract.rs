//! Extractors: the bearer-token session, the client address, and JSON,
//! path and query extractors whose rejections use the error format.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use madang_core::Session;
use madang_core::{Kind, Refusal};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// The authenticated caller. The token comes from `Authorization: Bearer`;
/// for the WebSocket and media downloads (which browsers open without
/// custom headers) an `access_token` query parameter is also accepted.
pub struct Auth(pub Session);

fn bearer(parts: &Parts) -> Option<String> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

fn query_token(parts: &Parts) -> Option<String> {
    let path = parts.uri.path();
    if path != "/api/v1/ws" && !path.starts_with("/api/v1/media/") {
        return None;
    }
    parts.uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "access_token").then(|| v.to_owned())
    })
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts).or_else(|| query_token(parts)) else {
            return Err(madang_core::Error::Unauthenticated.into());
        };
        Ok(Auth(state.core.authenticate(&token).await?))
    }
}

/// The client's address, for per-address rate limits: the peer, or, when
/// the peer is a trusted proxy, the address that proxy (and any trusted
/// proxy before it) put in `X-Forwarded-For`.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            return Ok(ClientAddr("unknown".to_owned()));
        };
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(
            state.trusted_proxies.client(peer, forwarded).to_string(),
        ))
    }
}

/// The proxies (addresses or CIDR blocks) whose `X-Forwarded-For` is
/// believed. Empty by default: the header is then ignored, since anyone
/// can send it.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `127.0.0.1`, `::1` and the like.
    pub fn parse(list: &[String]) -> Result<TrustedProxies, String> {
        list.iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{s:?} is not an address or a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// Walks the forwarding chain from the nearest hop back while the
    /// hops are trusted; the first untrusted one is the client. A hop that
    /// is not an address stops the walk at the last one known.
    pub fn client<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded.flat_map(|h| h.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(addr) => {
                    client = addr;
                    if !self.trusts(addr) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// The refusals of the extractors, which the document adds to every
/// operation that uses them.
pub(crate) const MALFORMED_JSON: Refusal = Refusal::invalid("malformed_json");
pub(crate) const INVALID_BODY: Refusal = Refusal::invalid("invalid_body");
pub(crate) const EXPECTED_JSON: Refusal = Refusal::new(Kind::UnsupportedMedia, "expected_json");
pub(crate) const INVALID_PATH: Refusal = Refusal::invalid("invalid_path");
pub(crate) const INVALID_QUERY: Refusal = Refusal::invalid("invalid_query");

/// `axum::Json` with rejections in the error format: malformed JSON,
/// unknown fields, wrong types, a missing content type or an oversized
/// body are each a clear 4xx.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let text = r.body_text();
    match r {
        JsonRejection::JsonSyntaxError(_) => ApiError::refusal(MALFORMED_JSON, text),
        JsonRejection::JsonDataError(_) => ApiError::refusal(INVALID_BODY, text),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::refusal(EXPECTED_JSON, "send Content-Type: application/json")
        }
        other => unreadable(other.status(), other.body_text(), "the request body"),
    }
}

/// A body (or a part of a form) that could not be read: `413 too_large`
/// past the limit, else `400 invalid_body`. `what` names it in the message.
pub(crate) fn unreadable(status: StatusCode, text: String, what: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::refusal(madang_core::refusals::TOO_LARGE, format!("{what} is too large"))
    } else {
        ApiError::refusal(INVALID_BODY, text)
    }
}

/// `axum::extract::Path` with rejections in the error format.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r: PathRejection| ApiError::refusal(INVALID_PATH, r.body_text()))
    }
}

/// `axum::extract::Query` with rejections in the error format.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r: QueryRejection| ApiError::refusal(INVALID_QUERY, r.body_text()))
    }
}

/// The raw request body, with an oversized body as `413 too_large`.
pub struct Body(pub bytes::Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        bytes::Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|r| unreadable(r.status(), r.body_text(), "the request body"))
    }
}

#[cfg(test)]
mod tests {
    use super::TrustedProxies;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let via = |peer: &str, headers: &[&str]| proxies.client(ip(peer), headers.iter().copied());
        // A direct client cannot claim another address.
        assert_eq!(via("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        // Through the proxy: the address it saw.
        assert_eq!(via("127.0.0.1", &["198.51.100.1"]), ip("198.51.100.1"));
        // What the client wrote itself, left of the proxies' entries, is not believed.
        assert_eq!(
            via("127.0.0.1", &["6.6.6.6, 198.51.100.1, 10.1.2.3"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            via("127.0.0.1", &["6.6.6.6", "198.51.100.1, 10.1.2.3"]),
            ip("198.51.100.1")
        );
        // Garbage stops at the last hop known; no header means the proxy itself.
        assert_eq!(via("127.0.0.1", &["198.51.100.1, nonsense"]), ip("127.0.0.1"));
        assert_eq!(via("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(via("10.0.0.2", &["2001:db8::7"]), ip("2001:db8::7"));
        // Nothing trusted by default.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), ["198.51.100.1"].into_iter()),
            ip("127.0.0.1")
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
    }
}
