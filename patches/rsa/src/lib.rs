//! RSA for russh and ssh-key: the items of the `rsa` 0.10 crate those two
//! crates use, with their meaning, and the arithmetic done by aws-lc where
//! it takes the key.
//!
//! - Public keys from a modulus and exponent, private keys from their
//!   components, from PKCS#1 DER, or generated (2,048, 3,072, 4,096 or
//!   8,192 bits), written as PKCS#1 or PKCS#8 DER.
//! - PKCS#1 v1.5 signatures (RFC 8017 § 8.2) over SHA-1, SHA-256, SHA-384
//!   or SHA-512: what `ssh-rsa`, `rsa-sha2-256` and `rsa-sha2-512` are.
//!
//! A signature is checked by aws-lc when the modulus has 1,024 to 8,192
//! bits; when aws-lc refuses it (a smaller modulus, an exponent it does not
//! take, or a bad signature), the check is made again here in portable
//! arithmetic (crypto-bigint), so a key is accepted exactly as by
//! arithmetic alone, and only a valid signature is taken quickly. Signing
//! goes to aws-lc too (SHA-1 for `ssh-rsa` included); a key or hash it
//! does not take is signed here, in constant time, and every signature made
//! here is checked with the public key before it is returned.
//!
//! The random generators callers pass are not used: aws-lc draws from its
//! own (a CSPRNG seeded by the operating system), and PKCS#1 v1.5 signing
//! is deterministic.

use aws_lc_rs::signature::{self as lc, RsaPublicKeyComponents};
use const_oid::{AssociatedOid, ObjectIdentifier};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{ConcatenatingMul, Integer, NonZero, Odd, Resize};
use digest::Digest;
use std::marker::PhantomData;
use zeroize::{Zeroize, Zeroizing};

pub use crypto_bigint::BoxedUint;
pub use pkcs1;
pub use pkcs8;
pub use rand_core;
#[cfg(feature = "sha2")]
pub use sha2;
pub use signature;

pub use errors::{Error, Result};

pub mod errors {
    //! The error of every fallible operation.

    /// What went wrong, without secret detail.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Error {
        /// The modulus is zero, even, or larger than the size allowed.
        InvalidModulus,
        /// The public exponent is outside 2 ..= 2^33 - 1.
        InvalidExponent,
        /// The private components do not form a two-prime key of the
        /// public key they came with.
        InvalidPrivateKey,
        /// Key generation was asked for a size aws-lc does not make.
        UnsupportedKeySize(usize),
        /// The key is too small for the hash's PKCS#1 v1.5 encoding.
        MessageTooLong,
        /// The signature does not verify.
        Verification,
        /// aws-lc failed to sign or to generate a key.
        Internal,
        /// A PKCS#1 structure could not be read or written.
        Pkcs1(pkcs1::Error),
        /// A PKCS#8 structure could not be read or written.
        Pkcs8(pkcs8::Error),
    }

    /// A result with this crate's [`Error`].
    pub type Result<T> = core::result::Result<T, Error>;

    impl core::fmt::Display for Error {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match self {
                Error::InvalidModulus => f.write_str("invalid RSA modulus"),
                Error::InvalidExponent => f.write_str("invalid RSA public exponent"),
                Error::InvalidPrivateKey => f.write_str("invalid RSA private key"),
                Error::UnsupportedKeySize(bits) => write!(
                    f,
                    "RSA keys of {bits} bits cannot be generated (2048, 3072, 4096 or 8192)"
                ),
                Error::MessageTooLong => f.write_str("RSA key too small for the digest"),
                Error::Verification => f.write_str("RSA signature verification failed"),
                Error::Internal => f.write_str("RSA operation failed in aws-lc"),
                Error::Pkcs1(e) => write!(f, "PKCS#1: {e}"),
                Error::Pkcs8(e) => write!(f, "PKCS#8: {e}"),
            }
        }
    }

    impl std::error::Error for Error {}

    impl From<pkcs1::Error> for Error {
        fn from(e: pkcs1::Error) -> Self {
            Error::Pkcs1(e)
        }
    }

    impl From<pkcs8::Error> for Error {
        fn from(e: pkcs8::Error) -> Self {
            Error::Pkcs8(e)
        }
    }

    impl From<Error> for signature::Error {
        fn from(_: Error) -> Self {
            signature::Error::new()
        }
    }
}

pub mod traits {
    //! The accessors of key components.
    use super::{BoxedUint, NonZero};

    /// The parts of an RSA public key.
    pub trait PublicKeyParts {
        /// The modulus `n`.
        fn n(&self) -> &NonZero<BoxedUint>;
        /// The public exponent `e`.
        fn e(&self) -> &BoxedUint;
        /// The modulus's length in bytes: the length of a signature.
        fn size(&self) -> usize {
            (self.n().as_ref().bit_width_vartime() as usize).div_ceil(8)
        }
    }

    /// The parts of an RSA private key.
    pub trait PrivateKeyParts: PublicKeyParts {
        /// The private exponent `d`.
        fn d(&self) -> &BoxedUint;
        /// The prime factors of `n`.
        fn primes(&self) -> &[BoxedUint];
    }
}

use traits::{PrivateKeyParts, PublicKeyParts};

/// An RSA public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: NonZero<BoxedUint>,
    e: BoxedUint,
}

impl RsaPublicKey {
    /// The smallest public exponent accepted.
    pub const MIN_PUB_EXPONENT: u64 = 2;
    /// The largest public exponent accepted.
    pub const MAX_PUB_EXPONENT: u64 = (1 << 33) - 1;
    /// The largest modulus accepted by [`RsaPublicKey::new`], in bits.
    pub const MAX_SIZE: usize = 8192;

    /// A public key from its modulus and exponent, the modulus at most
    /// [`RsaPublicKey::MAX_SIZE`] bits.
    pub fn new(n: BoxedUint, e: BoxedUint) -> Result<Self> {
        Self::new_with_max_size(n, e, Self::MAX_SIZE)
    }

    /// A public key whose modulus has at most `max_size` bits.
    pub fn new_with_max_size(n: BoxedUint, e: BoxedUint, max_size: usize) -> Result<Self> {
        if n.bit_width_vartime() as usize > max_size || !bool::from(n.is_odd()) {
            return Err(Error::InvalidModulus);
        }
        let n = Option::from(NonZero::new(n)).ok_or(Error::InvalidModulus)?;
        if e < BoxedUint::from(Self::MIN_PUB_EXPONENT)
            || e > BoxedUint::from(Self::MAX_PUB_EXPONENT)
        {
            return Err(Error::InvalidExponent);
        }
        Ok(RsaPublicKey { n, e })
    }

    /// `x^e mod n` for a signature `x` (big-endian, at most the modulus's
    /// length, shorter ones as if zero-padded), as `size()` big-endian
    /// bytes; `None` when `x` is not below the modulus.
    fn public_op(&self, x: &[u8]) -> Option<Vec<u8>> {
        let k = self.size();
        if x.len() > k {
            return None;
        }
        let n = self.n.as_ref();
        let x = BoxedUint::from_be_slice(x, n.bits_precision()).ok()?;
        if x >= *n {
            return None;
        }
        let params = BoxedMontyParams::new_vartime(Option::from(Odd::new(n.clone()))?);
        let y = BoxedMontyForm::new(x, &params)
            .pow_bounded_exp(&self.e, self.e.bit_width_vartime())
            .retrieve();
        Some(tail(&y.to_be_bytes(), k))
    }

    /// PKCS#1 v1.5 verification of `signature` over `message` hashed by `D`.
    fn verify_pkcs1v15<D: Digest + AssociatedOid>(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let k = self.size();
        if signature.len() > k {
            return Err(Error::Verification);
        }
        // Some SSH servers drop a signature's leading zero bytes (OpenSSH
        // takes such signatures, padding them to the modulus's length).
        let padded = tail(signature, k);
        let signature = &padded[..];
        if let Some(params) = aws_lc_verification(&D::OID) {
            let n = self.n.as_ref().to_be_bytes_trimmed_vartime();
            let e = self.e.to_be_bytes_trimmed_vartime();
            let key = RsaPublicKeyComponents {
                n: &n[..],
                e: &e[..],
            };
            if key.verify(params, message, signature).is_ok() {
                return Ok(());
            }
        }
        let expected = emsa_pkcs1v15::<D>(message, k)?;
        match self.public_op(signature) {
            Some(em) if ct_eq(&em, &expected) => Ok(()),
            _ => Err(Error::Verification),
        }
    }
}

impl PublicKeyParts for RsaPublicKey {
    fn n(&self) -> &NonZero<BoxedUint> {
        &self.n
    }
    fn e(&self) -> &BoxedUint {
        &self.e
    }
}

/// An RSA private key of two primes.
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    d: BoxedUint,
    primes: Vec<BoxedUint>,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RsaPrivateKey {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public && self.d == other.d && self.primes == other.primes
    }
}

impl Eq for RsaPrivateKey {}

impl Drop for RsaPrivateKey {
    fn drop(&mut self) {
        self.d.zeroize();
        self.primes.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl RsaPrivateKey {
    /// A new key of `bit_size` bits (2,048, 3,072, 4,096 or 8,192) and
    /// exponent 65,537, generated by aws-lc (`rng` is not used: see the
    /// crate documentation).
    pub fn new<R: rand_core::CryptoRng + ?Sized>(_rng: &mut R, bit_size: usize) -> Result<Self> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::rsa::{KeyPair, KeySize};
        let size = match bit_size {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            other => return Err(Error::UnsupportedKeySize(other)),
        };
        let pair = KeyPair::generate(size).map_err(|_| Error::Internal)?;
        let der = pair.as_der().map_err(|_| Error::Internal)?;
        let info = <pkcs8::PrivateKeyInfoRef<'_> as pkcs8::der::Decode>::from_der(der.as_ref())
            .map_err(|e| Error::Pkcs8(e.into()))?;
        let key = pkcs1::RsaPrivateKey::try_from(info.private_key)?;
        Ok(Self::try_from(key)?)
    }

    /// A key from its modulus, public and private exponents and its two
    /// primes, checked to fit together (`n = p q`, `e d ≡ 1` modulo
    /// `p - 1` and `q - 1`).
    pub fn from_components(
        n: BoxedUint,
        e: BoxedUint,
        d: BoxedUint,
        primes: Vec<BoxedUint>,
    ) -> Result<Self> {
        let public = RsaPublicKey::new(n, e)?;
        let key = RsaPrivateKey { public, d, primes };
        key.validate()?;
        Ok(key)
    }

    /// The public half.
    pub fn to_public_key(&self) -> RsaPublicKey {
        self.public.clone()
    }

    /// The public half, borrowed.
    pub fn as_public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// `q^-1 mod p`, the CRT coefficient.
    pub fn crt_coefficient(&self) -> Option<BoxedUint> {
        let [p, q] = self.pq()?;
        let bits = p.bits_precision().max(q.bits_precision());
        let p = Option::<Odd<BoxedUint>>::from(Odd::new(p.resize(bits)))?;
        Option::from(q.resize(bits).invert_odd_mod(&p))
    }

    /// Checks that the components form a key.
    pub fn validate(&self) -> Result<()> {
        let [p, q] = self.pq().ok_or(Error::InvalidPrivateKey)?;
        let n = self.public.n.as_ref();
        let bits = n.bits_precision();
        let one = BoxedUint::one_with_precision(bits);
        if p.bit_width_vartime() > n.bit_width_vartime()
            || q.bit_width_vartime() > n.bit_width_vartime()
        {
            return Err(Error::InvalidPrivateKey);
        }
        let (p, q) = (p.resize(bits), q.resize(bits));
        if p <= one || q <= one || p.concatenating_mul(&q).resize(bits) != *n {
            return Err(Error::InvalidPrivateKey);
        }
        if self.d.bit_width_vartime() > n.bit_width_vartime() {
            return Err(Error::InvalidPrivateKey);
        }
        let d = (&self.d).resize(bits);
        let e = (&self.public.e).resize(bits);
        for prime in [&p, &q] {
            let pm1 = Option::from(NonZero::new(prime.wrapping_sub(&one)))
                .ok_or(Error::InvalidPrivateKey)?;
            let ed = e.concatenating_mul(&d);
            if ed.rem_vartime(&pm1) != one {
                return Err(Error::InvalidPrivateKey);
            }
        }
        Ok(())
    }

    /// The two primes, if the key has exactly two.
    fn pq(&self) -> Option<[&BoxedUint; 2]> {
        match &self.primes[..] {
            [p, q] => Some([p, q]),
            _ => None,
        }
    }

    /// The components as PKCS#1 wants them, big-endian without leading
    /// zeros: `n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p`.
    fn der_components(&self) -> Result<[Zeroizing<Box<[u8]>>; 8]> {
        let [p, q] = self.pq().ok_or(Error::InvalidPrivateKey)?;
        let bits = self.public.n.as_ref().bits_precision();
        let one = BoxedUint::one_with_precision(bits);
        let d = (&self.d).resize(bits);
        let crt_exponent = |prime: &BoxedUint| -> Result<BoxedUint> {
            let pm1 = Option::from(NonZero::new(prime.resize(bits).wrapping_sub(&one)))
                .ok_or(Error::InvalidPrivateKey)?;
            Ok(d.rem(&pm1))
        };
        let dp = crt_exponent(p)?;
        let dq = crt_exponent(q)?;
        let qinv = self.crt_coefficient().ok_or(Error::InvalidPrivateKey)?;
        let bytes = |x: &BoxedUint| Zeroizing::new(x.to_be_bytes_trimmed_vartime());
        Ok([
            bytes(self.public.n.as_ref()),
            bytes(&self.public.e),
            bytes(&self.d),
            bytes(p),
            bytes(q),
            bytes(&dp),
            bytes(&dq),
            bytes(&qinv),
        ])
    }

    /// The PKCS#1 v1.5 signature of `message` hashed by `D`.
    fn sign_pkcs1v15<D: Digest + AssociatedOid>(&self, message: &[u8]) -> Result<Vec<u8>> {
        let k = self.public.size();
        if let Some(nid) = aws_lc_hash_nid(&D::OID)
            && let Ok(signature) = self.sign_aws_lc(nid, &D::digest(message), k)
        {
            return Ok(signature);
        }
        let em = Zeroizing::new(emsa_pkcs1v15::<D>(message, k)?);
        let signature = self.private_op(&em)?;
        // Never hand out a wrong signature (a fault, a bad component).
        match self.public.public_op(&signature) {
            Some(back) if ct_eq(&back, &em) => Ok(signature),
            _ => Err(Error::InvalidPrivateKey),
        }
    }

    /// aws-lc's PKCS#1 v1.5 signature of a digest made by the hash `nid`
    /// (SHA-1 included, for `ssh-rsa`): the key handed over as PKCS#1 DER.
    fn sign_aws_lc(&self, nid: i32, digest: &[u8], k: usize) -> Result<Vec<u8>> {
        /// Frees aws-lc's key however the signing ends.
        struct Key(*mut aws_lc_sys::RSA);
        impl Drop for Key {
            fn drop(&mut self) {
                // SAFETY: the pointer came from RSA_private_key_from_bytes
                // and is freed once, here.
                unsafe { aws_lc_sys::RSA_free(self.0) }
            }
        }
        let der = pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(self).map_err(Error::Pkcs1)?;
        let der = der.as_bytes();
        // SAFETY: aws-lc reads `der.len()` bytes from `der` and returns a
        // new key or null.
        let key = Key(unsafe { aws_lc_sys::RSA_private_key_from_bytes(der.as_ptr(), der.len()) });
        if key.0.is_null() {
            return Err(Error::InvalidPrivateKey);
        }
        // SAFETY: `key.0` is a valid key.
        let size = unsafe { aws_lc_sys::RSA_size(key.0) } as usize;
        if size != k {
            return Err(Error::InvalidPrivateKey);
        }
        let mut signature = vec![0u8; size];
        let mut written: std::os::raw::c_uint = 0;
        // SAFETY: `digest` is read for its length, `signature` has the
        // RSA_size bytes RSA_sign may write, `written` receives how many.
        let ok = unsafe {
            aws_lc_sys::RSA_sign(
                nid,
                digest.as_ptr(),
                digest.len(),
                signature.as_mut_ptr(),
                &mut written,
                key.0,
            )
        };
        if ok != 1 || written as usize != k {
            return Err(Error::Internal);
        }
        Ok(signature)
    }

    /// `x^d mod n`, in constant time, as `size()` big-endian bytes.
    fn private_op(&self, x: &[u8]) -> Result<Vec<u8>> {
        let n = self.public.n.as_ref();
        let x =
            BoxedUint::from_be_slice(x, n.bits_precision()).map_err(|_| Error::MessageTooLong)?;
        let odd = Option::from(Odd::new(n.clone())).ok_or(Error::InvalidModulus)?;
        let params = BoxedMontyParams::new(odd);
        let mut y = BoxedMontyForm::new(x, &params).pow(&self.d).retrieve();
        let out = tail(&y.to_be_bytes(), self.public.size());
        y.zeroize();
        Ok(out)
    }
}

impl PublicKeyParts for RsaPrivateKey {
    fn n(&self) -> &NonZero<BoxedUint> {
        &self.public.n
    }
    fn e(&self) -> &BoxedUint {
        &self.public.e
    }
}

impl PrivateKeyParts for RsaPrivateKey {
    fn d(&self) -> &BoxedUint {
        &self.d
    }
    fn primes(&self) -> &[BoxedUint] {
        &self.primes
    }
}

impl From<RsaPrivateKey> for RsaPublicKey {
    fn from(key: RsaPrivateKey) -> Self {
        key.public.clone()
    }
}

impl From<&RsaPrivateKey> for RsaPublicKey {
    fn from(key: &RsaPrivateKey) -> Self {
        key.public.clone()
    }
}

/// The last `k` bytes of `bytes` (a number's big-endian form at a
/// precision of at least `k` bytes).
fn tail(bytes: &[u8], k: usize) -> Vec<u8> {
    if bytes.len() >= k {
        bytes[bytes.len() - k..].to_vec()
    } else {
        [vec![0; k - bytes.len()], bytes.to_vec()].concat()
    }
}

/// Equality of two byte strings without an early exit (no dependency
/// for one comparison).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// aws-lc's PKCS#1 v1.5 verification for a hash, moduli of 1,024 to 8,192
/// bits.
fn aws_lc_verification(hash: &ObjectIdentifier) -> Option<&'static lc::RsaParameters> {
    Some(match *hash {
        SHA1 => &lc::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        SHA256 => &lc::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        SHA384 => &lc::RSA_PKCS1_2048_8192_SHA384,
        SHA512 => &lc::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        _ => return None,
    })
}

/// aws-lc's number for a hash, for signing.
fn aws_lc_hash_nid(hash: &ObjectIdentifier) -> Option<i32> {
    Some(match *hash {
        SHA1 => aws_lc_sys::NID_sha1,
        SHA256 => aws_lc_sys::NID_sha256,
        SHA384 => aws_lc_sys::NID_sha384,
        SHA512 => aws_lc_sys::NID_sha512,
        _ => return None,
    })
}

/// EMSA-PKCS1-v1_5 (RFC 8017 § 9.2): `00 01 FF… 00 DigestInfo`, `k` bytes,
/// the DigestInfo a DER `SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }`
/// built from the hash's OID.
fn emsa_pkcs1v15<D: Digest + AssociatedOid>(message: &[u8], k: usize) -> Result<Vec<u8>> {
    let hash = D::digest(message);
    let oid = D::OID;
    let oid = oid.as_bytes();
    // SEQUENCE header, OID, NULL.
    let algorithm_len = 2 + (2 + oid.len()) + 2;
    let info_len = 2 + algorithm_len + 2 + hash.len();
    // Every length below fits DER's short form (under 128 bytes).
    if info_len - 2 >= 128 || k < info_len + 11 {
        return Err(Error::MessageTooLong);
    }
    let mut em = Vec::with_capacity(k);
    em.extend_from_slice(&[0x00, 0x01]);
    em.resize(k - info_len - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(&[0x30, (info_len - 2) as u8, 0x30, (algorithm_len - 2) as u8]);
    em.extend_from_slice(&[0x06, oid.len() as u8]);
    em.extend_from_slice(oid);
    em.extend_from_slice(&[0x05, 0x00, 0x04, hash.len() as u8]);
    em.extend_from_slice(&hash);
    debug_assert_eq!(em.len(), k);
    Ok(em)
}

pub mod pkcs1v15 {
    //! PKCS#1 v1.5 signatures with a hash `D` (`rsa-sha2-256` is
    //! `SigningKey<Sha256>`).
    use super::{AssociatedOid, Digest, PhantomData, RsaPrivateKey, RsaPublicKey};

    /// A PKCS#1 v1.5 signature: the modulus's length in bytes.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Signature {
        bytes: Box<[u8]>,
    }

    impl TryFrom<&[u8]> for Signature {
        type Error = signature::Error;
        fn try_from(bytes: &[u8]) -> Result<Self, signature::Error> {
            if bytes.is_empty() {
                return Err(signature::Error::new());
            }
            Ok(Signature {
                bytes: bytes.into(),
            })
        }
    }

    impl From<Signature> for Box<[u8]> {
        fn from(signature: Signature) -> Box<[u8]> {
            signature.bytes
        }
    }

    impl signature::SignatureEncoding for Signature {
        type Repr = Box<[u8]>;
    }

    /// A private key signing with hash `D`.
    #[derive(Debug, Clone)]
    pub struct SigningKey<D> {
        key: RsaPrivateKey,
        hash: PhantomData<D>,
    }

    impl<D: Digest + AssociatedOid> SigningKey<D> {
        /// Signs with `key`.
        pub fn new(key: RsaPrivateKey) -> Self {
            SigningKey {
                key,
                hash: PhantomData,
            }
        }

        /// The key that checks this key's signatures.
        pub fn verifying_key(&self) -> VerifyingKey<D> {
            VerifyingKey::new(self.key.to_public_key())
        }
    }

    impl<D: Digest + AssociatedOid> signature::Signer<Signature> for SigningKey<D> {
        fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
            Ok(Signature {
                bytes: self.key.sign_pkcs1v15::<D>(message)?.into(),
            })
        }
    }

    /// A public key checking signatures made with hash `D`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct VerifyingKey<D> {
        key: RsaPublicKey,
        hash: PhantomData<D>,
    }

    impl<D: Digest + AssociatedOid> VerifyingKey<D> {
        /// Checks with `key`.
        pub fn new(key: RsaPublicKey) -> Self {
            VerifyingKey {
                key,
                hash: PhantomData,
            }
        }
    }

    impl<D: Digest + AssociatedOid> signature::Verifier<Signature> for VerifyingKey<D> {
        fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), signature::Error> {
            Ok(self.key.verify_pkcs1v15::<D>(message, &signature.bytes)?)
        }
    }
}

// Encodings: PKCS#1 `RSAPrivateKey` and PKCS#8 `PrivateKeyInfo` (RFC 8017
// appendix A.1.2, RFC 5208).

/// A number of a PKCS#1 structure as a `BoxedUint` of its own size.
fn der_uint(x: pkcs1::UintRef<'_>) -> pkcs1::Result<BoxedUint> {
    let bytes = x.as_bytes();
    let bits = u32::try_from(bytes.len().max(1) * 8).map_err(|_| pkcs1::Error::KeyMalformed)?;
    BoxedUint::from_be_slice(bytes, bits).map_err(|_| pkcs1::Error::KeyMalformed)
}

impl TryFrom<pkcs1::RsaPrivateKey<'_>> for RsaPrivateKey {
    type Error = pkcs1::Error;

    fn try_from(key: pkcs1::RsaPrivateKey<'_>) -> pkcs1::Result<Self> {
        if key.version() != pkcs1::Version::TwoPrime {
            return Err(pkcs1::Error::Version);
        }
        RsaPrivateKey::from_components(
            der_uint(key.modulus)?,
            der_uint(key.public_exponent)?,
            der_uint(key.private_exponent)?,
            vec![der_uint(key.prime1)?, der_uint(key.prime2)?],
        )
        .map_err(|_| pkcs1::Error::KeyMalformed)
    }
}

impl pkcs1::DecodeRsaPrivateKey for RsaPrivateKey {
    fn from_pkcs1_der(bytes: &[u8]) -> pkcs1::Result<Self> {
        Self::try_from(<pkcs1::RsaPrivateKey<'_> as pkcs1::der::Decode>::from_der(
            bytes,
        )?)
    }
}

impl pkcs1::EncodeRsaPrivateKey for RsaPrivateKey {
    fn to_pkcs1_der(&self) -> pkcs1::Result<pkcs1::der::SecretDocument> {
        let [n, e, d, p, q, dp, dq, qinv] =
            self.der_components().map_err(|_| pkcs1::Error::Crypto)?;
        fn uint(bytes: &[u8]) -> pkcs1::Result<pkcs1::UintRef<'_>> {
            Ok(pkcs1::UintRef::new(bytes)?)
        }
        let key = pkcs1::RsaPrivateKey {
            modulus: uint(&n)?,
            public_exponent: uint(&e)?,
            private_exponent: uint(&d)?,
            prime1: uint(&p)?,
            prime2: uint(&q)?,
            exponent1: uint(&dp)?,
            exponent2: uint(&dq)?,
            coefficient: uint(&qinv)?,
            other_prime_infos: None,
        };
        Ok(pkcs1::der::SecretDocument::encode_msg(&key)?)
    }
}

impl TryFrom<pkcs8::PrivateKeyInfoRef<'_>> for RsaPrivateKey {
    type Error = pkcs8::Error;

    fn try_from(info: pkcs8::PrivateKeyInfoRef<'_>) -> pkcs8::Result<Self> {
        if info.algorithm.oid != pkcs1::ALGORITHM_OID {
            return Err(pkcs8::KeyError::Invalid.into());
        }
        pkcs1::RsaPrivateKey::try_from(info.private_key)
            .and_then(RsaPrivateKey::try_from)
            .map_err(|_| pkcs8::Error::from(pkcs8::KeyError::Invalid))
    }
}

impl pkcs8::EncodePrivateKey for RsaPrivateKey {
    fn to_pkcs8_der(&self) -> pkcs8::Result<pkcs8::SecretDocument> {
        let key = pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(self)
            .map_err(|_| pkcs8::Error::from(pkcs8::KeyError::Invalid))?;
        let info = pkcs8::PrivateKeyInfoRef::new(
            pkcs1::ALGORITHM_ID,
            pkcs8::der::asn1::OctetStringRef::new(key.as_bytes())?,
        );
        Ok(pkcs8::SecretDocument::encode_msg(&info)?)
    }
}

#[cfg(test)]
mod tests;
