//! RFC 8291 message encryption for Web Push, one record of `aes128gcm`
//! (RFC 8188), with ring's P-256 and AES-GCM.
//!
//! Each message takes a fresh key pair and an ECDH with the browser's key:
//! two P-256 scalar multiplications, the bulk of a push's CPU. ring's
//! assembly P-256 does them in a fraction of the time of the pure-Rust
//! `p256` crate (measured in `bench/RESULTS.md`, push), which is why this
//! is written here rather than taken from `web-push-native`; that crate's
//! `decrypt` checks this one in the tests below.

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
use ring::hkdf::{HKDF_SHA256, KeyType, Salt};
use ring::rand::{SecureRandom, SystemRandom};

/// The record size written in the header: the whole message is one record
/// shorter than this.
const RECORD_SIZE: u32 = 4096;
/// An uncompressed P-256 point.
const POINT: usize = 65;

/// Why a message could not be sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the browser's key is not a P-256 point")]
    BadKey,
    #[error("the message does not fit one record")]
    TooLong,
    #[error("no randomness")]
    Random,
}

/// An HKDF output length.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &ring::hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), SealError> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| SealError::TooLong)
}

/// Encrypts `plain` for the browser key `ua_public` (uncompressed point)
/// and its authentication secret: the body of a push, header included
/// (salt, record size, the server's one-time public key).
pub fn seal(plain: &[u8], ua_public: &[u8], auth: &[u8; 16]) -> Result<Vec<u8>, SealError> {
    if ua_public.len() != POINT {
        return Err(SealError::BadKey);
    }
    // Padding delimiter and tag must fit in the record.
    if plain.len() + 1 + 16 > RECORD_SIZE as usize {
        return Err(SealError::TooLong);
    }
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| SealError::Random)?;
    let ours = EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| SealError::Random)?;
    let as_public = ours.compute_public_key().map_err(|_| SealError::Random)?;
    let as_public = as_public.as_ref();
    let peer = UnparsedPublicKey::new(&ECDH_P256, ua_public);
    // RFC 8291 §3.3-3.4: IKM from the shared secret and the auth secret,
    // bound to both public keys; then the content key and nonce.
    let ikm = agree_ephemeral(ours, &peer, |shared| {
        let prk = Salt::new(HKDF_SHA256, auth).extract(shared);
        let mut ikm = [0u8; 32];
        expand(&prk, &[b"WebPush: info\0", ua_public, as_public], &mut ikm).map(|()| ikm)
    })
    .map_err(|_| SealError::BadKey)??;
    let prk = Salt::new(HKDF_SHA256, &salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + POINT + plain.len() + 1 + 16);
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(POINT as u8);
    body.extend_from_slice(as_public);
    let header = body.len();
    body.extend_from_slice(plain);
    // The last (and only) record ends with 0x02 and no padding.
    body.push(2);
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| SealError::BadKey)?);
    let mut sealed = body.split_off(header);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed)
        .map_err(|_| SealError::TooLong)?;
    body.append(&mut sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    fn browser() -> (p256::SecretKey, Vec<u8>, [u8; 16]) {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let public = secret.public_key().to_encoded_point(false).as_bytes().to_vec();
        let mut auth = [0u8; 16];
        SystemRandom::new().fill(&mut auth).unwrap();
        (secret, public, auth)
    }

    #[test]
    fn another_implementation_opens_what_is_sealed() {
        let (secret, public, auth) = browser();
        for plain in [&b""[..], b"hello", "장 보러 가요".as_bytes(), &[7u8; 3800]] {
            let body = seal(plain, &public, &auth).unwrap();
            assert_eq!(body.len(), 86 + plain.len() + 17);
            assert_eq!(&body[16..20], &4096u32.to_be_bytes());
            let opened = web_push_native::decrypt(body, &secret, &auth.into()).unwrap();
            assert_eq!(opened, plain);
        }
    }

    #[test]
    fn each_message_has_its_own_salt_and_key_and_only_its_browser_opens_it() {
        let (secret, public, auth) = browser();
        let a = seal(b"same", &public, &auth).unwrap();
        let b = seal(b"same", &public, &auth).unwrap();
        assert_ne!(a[..16], b[..16], "salt");
        assert_ne!(a[21..86], b[21..86], "one-time public key");
        let (other, _, _) = browser();
        assert!(web_push_native::decrypt(a.clone(), &other, &auth.into()).is_err());
        let mut wrong_auth = auth;
        wrong_auth[0] ^= 1;
        assert!(web_push_native::decrypt(a.clone(), &secret, &wrong_auth.into()).is_err());
        let mut tampered = a;
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(web_push_native::decrypt(tampered, &secret, &auth.into()).is_err());
    }

    #[test]
    fn refusals() {
        let (_, public, auth) = browser();
        assert_eq!(seal(b"x", &public[..64], &auth), Err(SealError::BadKey));
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        assert_eq!(seal(b"x", &off_curve, &auth), Err(SealError::BadKey));
        assert_eq!(seal(&[0u8; 4080], &public, &auth), Err(SealError::TooLong));
        assert!(seal(&[0u8; 4079], &public, &auth).is_ok());
    }
}
