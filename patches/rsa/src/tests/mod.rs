//! Signatures checked against OpenSSL's (keys and signatures made with
//! `openssl genrsa -traditional` and `openssl dgst -sign`, stored beside
//! this file) and the aws-lc path against the portable one.

use super::*;
use pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use pkcs8::EncodePrivateKey;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use signature::{SignatureEncoding, Signer, Verifier};

const MESSAGE: &[u8] = include_bytes!("msg");

fn openssl_key(bits: u32) -> RsaPrivateKey {
    let der: &[u8] = match bits {
        768 => include_bytes!("k768.der"),
        1024 => include_bytes!("k1024.der"),
        _ => unreachable!(),
    };
    RsaPrivateKey::from_pkcs1_der(der).expect("OpenSSL's key reads")
}

fn openssl_signature(bits: u32, hash: &str) -> &'static [u8] {
    match (bits, hash) {
        (768, "sha1") => include_bytes!("s768-sha1.bin"),
        (768, "sha256") => include_bytes!("s768-sha256.bin"),
        (768, "sha512") => include_bytes!("s768-sha512.bin"),
        (1024, "sha1") => include_bytes!("s1024-sha1.bin"),
        (1024, "sha256") => include_bytes!("s1024-sha256.bin"),
        (1024, "sha512") => include_bytes!("s1024-sha512.bin"),
        _ => unreachable!(),
    }
}

fn sign<D: Digest + AssociatedOid>(key: &RsaPrivateKey) -> Vec<u8> {
    pkcs1v15::SigningKey::<D>::new(key.clone())
        .try_sign(MESSAGE)
        .expect("signs")
        .to_vec()
}

fn verify<D: Digest + AssociatedOid>(key: &RsaPublicKey, message: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = pkcs1v15::Signature::try_from(sig) else {
        return false;
    };
    pkcs1v15::VerifyingKey::<D>::new(key.clone())
        .verify(message, &sig)
        .is_ok()
}

#[test]
fn signatures_are_openssls_for_keys_aws_lc_does_not_take() {
    // 768 bits: below aws-lc's range for both signing and checking; 1,024:
    // checked by aws-lc, signed here.
    for bits in [768, 1024] {
        let key = openssl_key(bits);
        assert_eq!(key.n().as_ref().bit_width_vartime(), bits);
        assert_eq!(
            sign::<Sha1>(&key),
            openssl_signature(bits, "sha1"),
            "{bits} sha1"
        );
        assert_eq!(
            sign::<Sha256>(&key),
            openssl_signature(bits, "sha256"),
            "{bits} sha256"
        );
        assert_eq!(
            sign::<Sha512>(&key),
            openssl_signature(bits, "sha512"),
            "{bits} sha512"
        );
        let public = key.to_public_key();
        assert!(verify::<Sha1>(
            &public,
            MESSAGE,
            openssl_signature(bits, "sha1")
        ));
        assert!(verify::<Sha256>(
            &public,
            MESSAGE,
            openssl_signature(bits, "sha256")
        ));
        assert!(verify::<Sha512>(
            &public,
            MESSAGE,
            openssl_signature(bits, "sha512")
        ));
        // The wrong hash, message or signature.
        assert!(!verify::<Sha256>(
            &public,
            MESSAGE,
            openssl_signature(bits, "sha1")
        ));
        assert!(!verify::<Sha1>(
            &public,
            b"netrun signs that",
            openssl_signature(bits, "sha1")
        ));
        let mut bad = openssl_signature(bits, "sha256").to_vec();
        bad[10] ^= 1;
        assert!(!verify::<Sha256>(&public, MESSAGE, &bad));
    }
}

#[test]
fn aws_lc_and_portable_arithmetic_agree_on_a_generated_key() {
    let key = RsaPrivateKey::new(&mut NoRng, 2048).expect("aws-lc generates");
    key.validate().expect("a generated key is consistent");
    let public = key.to_public_key();
    let k = public.size();
    assert_eq!(k, 256);
    // aws-lc signs (SHA-1 for ssh-rsa too); the portable private operation
    // must give the same (deterministic) bytes.
    let by_aws_lc = sign::<Sha256>(&key);
    let portable = key
        .private_op(&emsa_pkcs1v15::<Sha256>(MESSAGE, k).unwrap())
        .unwrap();
    assert_eq!(by_aws_lc, portable);
    assert!(verify::<Sha256>(&public, MESSAGE, &by_aws_lc));
    let sha512 = sign::<Sha512>(&key);
    assert!(verify::<Sha512>(&public, MESSAGE, &sha512));
    let sha1 = sign::<Sha1>(&key);
    let sha1_portable = key
        .private_op(&emsa_pkcs1v15::<Sha1>(MESSAGE, k).unwrap())
        .unwrap();
    assert_eq!(sha1, sha1_portable);
    let n = public.n().as_ref().to_be_bytes_trimmed_vartime();
    let e = public.e().to_be_bytes_trimmed_vartime();
    RsaPublicKeyComponents {
        n: &n[..],
        e: &e[..],
    }
    .verify(
        &lc::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        MESSAGE,
        &sha1,
    )
    .expect("aws-lc accepts the portable SHA-1 signature");
    assert!(verify::<Sha1>(&public, MESSAGE, &sha1));
    assert!(!verify::<Sha1>(&public, MESSAGE, &sha512));
    // Too long, and not below the modulus.
    assert!(!verify::<Sha256>(
        &public,
        MESSAGE,
        &[by_aws_lc.clone(), vec![0]].concat()
    ));
    assert!(!verify::<Sha256>(&public, MESSAGE, &[0xff; 256]));
}

#[test]
fn a_signature_missing_its_leading_zero_byte_is_accepted() {
    let key = openssl_key(1024);
    let public = key.to_public_key();
    let signer = pkcs1v15::SigningKey::<Sha256>::new(key);
    let (message, sig) = (0u32..5000)
        .map(|i| format!("message {i}").into_bytes())
        .map(|m| {
            let s = signer.try_sign(&m).unwrap().to_vec();
            (m, s)
        })
        .find(|(_, s)| s[0] == 0)
        .expect("one signature in 256 starts with a zero byte");
    assert!(verify::<Sha256>(&public, &message, &sig));
    assert!(verify::<Sha256>(&public, &message, &sig[1..]));
}

#[test]
fn encodings_round_trip_and_aws_lc_reads_them() {
    for key in [
        openssl_key(1024),
        RsaPrivateKey::new(&mut NoRng, 2048).unwrap(),
    ] {
        let pkcs1 = key.to_pkcs1_der().unwrap();
        assert_eq!(
            RsaPrivateKey::from_pkcs1_der(pkcs1.as_bytes()).unwrap(),
            key
        );
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let info: pkcs8::PrivateKeyInfoRef<'_> =
            pkcs8::der::Decode::from_der(pkcs8.as_bytes()).unwrap();
        assert_eq!(RsaPrivateKey::try_from(info).unwrap(), key);
        if key.n().as_ref().bit_width_vartime() >= 2048 {
            aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8.as_bytes()).expect("aws-lc reads it");
        }
    }
    // OpenSSL's own encoding of the 1,024-bit key, byte for byte.
    assert_eq!(
        openssl_key(1024).to_pkcs1_der().unwrap().as_bytes(),
        include_bytes!("k1024.der")
    );
}

#[test]
fn keys_that_do_not_fit_together_are_refused() {
    let key = openssl_key(768);
    let [n, e, d] = [key.n().as_ref().clone(), key.e().clone(), key.d().clone()];
    let [p, q] = [key.primes()[0].clone(), key.primes()[1].clone()];
    let from = |n: &BoxedUint, e: &BoxedUint, d: &BoxedUint, primes: Vec<BoxedUint>| {
        RsaPrivateKey::from_components(n.clone(), e.clone(), d.clone(), primes)
    };
    assert!(from(&n, &e, &d, vec![p.clone(), q.clone()]).is_ok());
    assert!(from(&n, &e, &d, vec![p.clone(), p.clone()]).is_err());
    assert!(from(&n, &e, &d, vec![p.clone()]).is_err());
    let three = BoxedUint::from(3u64);
    assert!(from(&n, &three, &d, vec![p.clone(), q.clone()]).is_err());
    let even = n.wrapping_add(BoxedUint::one());
    assert_eq!(
        RsaPublicKey::new(even, e.clone()),
        Err(Error::InvalidModulus)
    );
    assert_eq!(
        RsaPublicKey::new(n.clone(), BoxedUint::one()),
        Err(Error::InvalidExponent)
    );
    assert_eq!(
        RsaPrivateKey::new(&mut NoRng, 1000).unwrap_err(),
        Error::UnsupportedKeySize(1000)
    );
}

/// The generator callers pass and this crate does not use.
struct NoRng;

impl rand_core::TryRng for NoRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        unreachable!("not used")
    }
    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        unreachable!("not used")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> core::result::Result<(), Self::Error> {
        unreachable!("not used")
    }
}

impl rand_core::TryCryptoRng for NoRng {}
