//! Ed25519 (RFC 8032) signing and verification for russh and ssh-key,
//! computed by aws-lc: the items of the `ed25519-dalek` 3 crate those two
//! crates use, with their meaning. Signatures are the `ed25519` crate's.
//!
//! One difference: a verifying key is not decoded when made from its
//! bytes, so 32 bytes that are not a curve point make a key that no
//! signature verifies with, where ed25519-dalek refuses them at once.
//! Verification is aws-lc's (cofactorless, `s` below the group order, `R`
//! compared as encoded), as ed25519-dalek's `verify`.

use zeroize::Zeroize;

pub use ed25519;
pub use ed25519::Signature;
#[cfg(feature = "pkcs8")]
pub use ed25519::pkcs8;
pub use ed25519::signature::{Signer, Verifier};
#[cfg(feature = "rand_core")]
pub use rand_core;

/// The error of a failed verification or a malformed key.
pub type SignatureError = ed25519::signature::Error;

/// Bytes of a secret key (the seed).
pub const SECRET_KEY_LENGTH: usize = 32;
/// Bytes of a public key.
pub const PUBLIC_KEY_LENGTH: usize = 32;
/// Bytes of a signature.
pub const SIGNATURE_LENGTH: usize = 64;
/// Bytes of a key pair: the secret key, then the public key.
pub const KEYPAIR_LENGTH: usize = SECRET_KEY_LENGTH + PUBLIC_KEY_LENGTH;

/// A secret key: 32 bytes of seed.
pub type SecretKey = [u8; SECRET_KEY_LENGTH];

/// An Ed25519 signing key.
#[derive(Clone)]
pub struct SigningKey {
    /// aws-lc's private key: the seed, then the public key.
    keypair: [u8; KEYPAIR_LENGTH],
    verifying_key: VerifyingKey,
}

impl SigningKey {
    /// The signing key of a 32-byte seed.
    pub fn from_bytes(secret_key: &SecretKey) -> SigningKey {
        let mut public = [0u8; PUBLIC_KEY_LENGTH];
        let mut keypair = [0u8; KEYPAIR_LENGTH];
        // SAFETY: the pointers are to arrays of the sizes the function
        // writes (32 and 64 bytes) and reads (32).
        unsafe {
            aws_lc_sys::ED25519_keypair_from_seed(
                public.as_mut_ptr(),
                keypair.as_mut_ptr(),
                secret_key.as_ptr(),
            )
        };
        SigningKey {
            keypair,
            verifying_key: VerifyingKey(public),
        }
    }

    /// A key pair's 64 bytes (seed, then public key), refused when the
    /// public key is not the seed's.
    pub fn from_keypair_bytes(bytes: &[u8; KEYPAIR_LENGTH]) -> Result<SigningKey, SignatureError> {
        let mut seed = [0u8; SECRET_KEY_LENGTH];
        seed.copy_from_slice(&bytes[..SECRET_KEY_LENGTH]);
        let key = SigningKey::from_bytes(&seed);
        seed.zeroize();
        if key.verifying_key.0[..] != bytes[SECRET_KEY_LENGTH..] {
            return Err(SignatureError::new());
        }
        Ok(key)
    }

    /// A new key from `csprng`.
    #[cfg(feature = "rand_core")]
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(csprng: &mut R) -> SigningKey {
        let mut seed = [0u8; SECRET_KEY_LENGTH];
        csprng.fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        seed.zeroize();
        key
    }

    /// The seed.
    pub fn to_bytes(&self) -> SecretKey {
        let mut seed = [0u8; SECRET_KEY_LENGTH];
        seed.copy_from_slice(&self.keypair[..SECRET_KEY_LENGTH]);
        seed
    }

    /// The seed, borrowed.
    pub fn as_bytes(&self) -> &SecretKey {
        self.keypair[..SECRET_KEY_LENGTH]
            .try_into()
            .expect("the key pair starts with the 32-byte seed")
    }

    /// The seed, then the public key.
    pub fn to_keypair_bytes(&self) -> [u8; KEYPAIR_LENGTH] {
        self.keypair
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key
    }

    /// Checks a signature with this key's public half.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        self.verifying_key.verify(message, signature)
    }
}

impl Signer<Signature> for SigningKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignatureError> {
        let mut signature = [0u8; SIGNATURE_LENGTH];
        // SAFETY: `signature` is the 64 bytes the function writes,
        // `message` is read for its length, `keypair` is the 64-byte
        // private key it reads.
        let ok = unsafe {
            aws_lc_sys::ED25519_sign(
                signature.as_mut_ptr(),
                message.as_ptr(),
                message.len(),
                self.keypair.as_ptr(),
            )
        };
        if ok != 1 {
            return Err(SignatureError::new());
        }
        Ok(Signature::from_bytes(&signature))
    }
}

impl Verifier<Signature> for SigningKey {
    fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        self.verifying_key.verify(message, signature)
    }
}

impl From<&SecretKey> for SigningKey {
    fn from(secret_key: &SecretKey) -> SigningKey {
        SigningKey::from_bytes(secret_key)
    }
}

impl From<SecretKey> for SigningKey {
    fn from(secret_key: SecretKey) -> SigningKey {
        SigningKey::from_bytes(&secret_key)
    }
}

impl TryFrom<&[u8]> for SigningKey {
    type Error = SignatureError;
    fn try_from(bytes: &[u8]) -> Result<SigningKey, SignatureError> {
        let seed: &SecretKey = bytes.try_into().map_err(|_| SignatureError::new())?;
        Ok(SigningKey::from_bytes(seed))
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        let diff = self
            .keypair
            .iter()
            .zip(&other.keypair)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for SigningKey {}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("verifying_key", &self.verifying_key)
            .finish_non_exhaustive()
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.keypair.zeroize();
    }
}

/// An Ed25519 public key: its 32-byte encoding.
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct VerifyingKey([u8; PUBLIC_KEY_LENGTH]);

impl VerifyingKey {
    /// The key of a 32-byte encoding (not decoded here: see the crate
    /// documentation).
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LENGTH]) -> Result<VerifyingKey, SignatureError> {
        Ok(VerifyingKey(*bytes))
    }

    /// The encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LENGTH] {
        self.0
    }

    /// The encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LENGTH] {
        &self.0
    }
}

impl Verifier<Signature> for VerifyingKey {
    fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let signature = signature.to_bytes();
        // SAFETY: `message` is read for its length, `signature` is the 64
        // bytes and `self.0` the 32 bytes the function reads.
        let ok = unsafe {
            aws_lc_sys::ED25519_verify(
                message.as_ptr(),
                message.len(),
                signature.as_ptr(),
                self.0.as_ptr(),
            )
        };
        if ok == 1 {
            Ok(())
        } else {
            Err(SignatureError::new())
        }
    }
}

impl From<&SigningKey> for VerifyingKey {
    fn from(key: &SigningKey) -> VerifyingKey {
        key.verifying_key
    }
}

impl TryFrom<&[u8]> for VerifyingKey {
    type Error = SignatureError;
    fn try_from(bytes: &[u8]) -> Result<VerifyingKey, SignatureError> {
        let bytes: &[u8; PUBLIC_KEY_LENGTH] =
            bytes.try_into().map_err(|_| SignatureError::new())?;
        VerifyingKey::from_bytes(bytes)
    }
}

impl AsRef<[u8]> for VerifyingKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(feature = "pkcs8")]
mod pkcs8_keys {
    use super::{SigningKey, VerifyingKey, pkcs8};

    impl From<&SigningKey> for pkcs8::KeypairBytes {
        fn from(key: &SigningKey) -> pkcs8::KeypairBytes {
            pkcs8::KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: Some(pkcs8::PublicKeyBytes(key.verifying_key.to_bytes())),
            }
        }
    }

    impl From<SigningKey> for pkcs8::KeypairBytes {
        fn from(key: SigningKey) -> pkcs8::KeypairBytes {
            pkcs8::KeypairBytes::from(&key)
        }
    }

    impl TryFrom<&pkcs8::KeypairBytes> for SigningKey {
        type Error = pkcs8::Error;
        fn try_from(bytes: &pkcs8::KeypairBytes) -> pkcs8::Result<SigningKey> {
            let key = SigningKey::from_bytes(&bytes.secret_key);
            match &bytes.public_key {
                Some(public) if VerifyingKey(public.0) != key.verifying_key => {
                    Err(pkcs8::Error::KeyMalformed(pkcs8::KeyError::Invalid))
                }
                _ => Ok(key),
            }
        }
    }

    impl TryFrom<pkcs8::KeypairBytes> for SigningKey {
        type Error = pkcs8::Error;
        fn try_from(bytes: pkcs8::KeypairBytes) -> pkcs8::Result<SigningKey> {
            SigningKey::try_from(&bytes)
        }
    }

    impl TryFrom<pkcs8::PrivateKeyInfoRef<'_>> for SigningKey {
        type Error = pkcs8::Error;
        fn try_from(info: pkcs8::PrivateKeyInfoRef<'_>) -> pkcs8::Result<SigningKey> {
            SigningKey::try_from(pkcs8::KeypairBytes::try_from(info)?)
        }
    }

    #[cfg(feature = "alloc")]
    impl pkcs8::EncodePrivateKey for SigningKey {
        fn to_pkcs8_der(&self) -> pkcs8::Result<pkcs8::SecretDocument> {
            pkcs8::KeypairBytes::from(self).to_pkcs8_der()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex<const N: usize>(s: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    // Made with OpenSSL: `openssl genpkey -algorithm ed25519`, the raw keys
    // from `openssl pkey -outform DER`, the signature of MESSAGE from
    // `openssl pkeyutl -sign -rawin`.
    const SEED: &str = "509ca85e29ecd41e208a98aa67d48f65e991c25604ea2c932c997a7ad53e85e3";
    const PUBLIC: &str = "ca57fc84d160512bbffb5def920ad6f4480661607ba77399cc75cf1bf341b072";
    const SIGNATURE: &str = "c3a7f9a319cc2adfa9c6977e5095539ba055239ab38f7b3292d64abd88e04ec7e58c1554c3cb9cb477cde8f033ccaea1fa927ec24e2fea80ea93d390e472c60f";
    const MESSAGE: &[u8] = b"netrun signs this";

    #[test]
    fn keys_and_signatures_are_openssls() {
        let key = SigningKey::from_bytes(&hex(SEED));
        assert_eq!(key.verifying_key().to_bytes(), hex::<32>(PUBLIC));
        assert_eq!(key.to_bytes(), hex::<32>(SEED));
        assert_eq!(key.as_bytes(), &hex::<32>(SEED));
        let signature = key.sign(MESSAGE);
        assert_eq!(signature.to_bytes(), hex::<64>(SIGNATURE));
        let public = VerifyingKey::from_bytes(&hex(PUBLIC)).unwrap();
        assert!(public.verify(MESSAGE, &signature).is_ok());
        assert!(public.verify(b"netrun signs that", &signature).is_err());
        let mut bad = signature.to_bytes();
        bad[5] ^= 0x20;
        assert!(
            public
                .verify(MESSAGE, &Signature::from_bytes(&bad))
                .is_err()
        );
        // s at or above the group order is refused (s + order here).
        let mut high = signature.to_bytes();
        let order: [u8; 32] =
            hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut carry = 0u16;
        for (s, l) in high[32..].iter_mut().zip(order) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert!(
            public
                .verify(MESSAGE, &Signature::from_bytes(&high))
                .is_err()
        );
        // 32 bytes that are not a point: no signature verifies.
        let not_a_point = VerifyingKey::from_bytes(&[0xff; 32]).unwrap();
        assert!(not_a_point.verify(MESSAGE, &signature).is_err());
    }

    #[test]
    fn key_pairs_must_hold_their_own_public_key() {
        let key = SigningKey::from_bytes(&hex(SEED));
        let pair = key.to_keypair_bytes();
        assert_eq!(SigningKey::from_keypair_bytes(&pair).unwrap(), key);
        let mut wrong = pair;
        wrong[40] ^= 1;
        assert!(SigningKey::from_keypair_bytes(&wrong).is_err());
    }

    #[cfg(all(feature = "pkcs8", feature = "alloc"))]
    #[test]
    fn pkcs8_round_trips() {
        use pkcs8::{DecodePrivateKey, EncodePrivateKey};
        let key = SigningKey::from_bytes(&hex(SEED));
        let der = key.to_pkcs8_der().unwrap();
        assert_eq!(SigningKey::from_pkcs8_der(der.as_bytes()).unwrap(), key);
        let mut bytes = pkcs8::KeypairBytes::from(&key);
        bytes.public_key = Some(pkcs8::PublicKeyBytes([9; 32]));
        assert!(SigningKey::try_from(&bytes).is_err());
    }
}
