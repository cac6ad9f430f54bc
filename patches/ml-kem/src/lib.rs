//! ML-KEM-768 (FIPS 203) for russh's `mlkem768x25519-sha256` key exchange,
//! computed by aws-lc. It offers the items of the `ml-kem` 0.3 crate that
//! russh uses, with their meaning: a key pair generated at random, an
//! encapsulation key read from its 1,184 bytes, encapsulation to a 1,088-byte
//! ciphertext and a 32-byte shared key, and decapsulation of a ciphertext.
//!
//! The random generator a caller passes is not used: aws-lc draws from its
//! own (a CSPRNG seeded by the operating system), as the algorithm allows.

use aws_lc_rs::kem::{self as lc, ML_KEM_768};
use std::marker::PhantomData;

/// Bytes of an ML-KEM-768 encapsulation key.
pub const ENCAPSULATION_KEY_SIZE: usize = 1184;
/// Bytes of an ML-KEM-768 ciphertext.
pub const CIPHERTEXT_SIZE: usize = 1088;

/// A shared key: 32 bytes.
pub type SharedKey = [u8; 32];

/// A key, ciphertext or shared key of the wrong length, or that aws-lc
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKey;

impl std::fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid ML-KEM key or ciphertext")
    }
}

impl std::error::Error for InvalidKey {}

/// A KEM parameter set: its key types and key-pair generation.
pub trait Kem: Copy + Default + Send + Sync + 'static {
    /// The private half.
    type DecapsulationKey;
    /// The public half.
    type EncapsulationKey;
    /// A fresh key pair (`rng` is not used: see the crate documentation).
    fn generate_keypair_from_rng<R: ?Sized>(
        rng: &mut R,
    ) -> (Self::DecapsulationKey, Self::EncapsulationKey);
}

/// The ML-KEM-768 parameter set (security category 3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MlKem768;

/// The key types by parameter set, as `ml_kem::kem` names them.
pub mod kem {
    pub use super::{Decapsulate, Encapsulate, Kem};
    /// The private key of parameter set `K`.
    pub type DecapsulationKey<K> = <K as super::Kem>::DecapsulationKey;
    /// The public key of parameter set `K`.
    pub type EncapsulationKey<K> = <K as super::Kem>::EncapsulationKey;
}

/// An ML-KEM-768 private (decapsulation) key.
pub struct DecapsulationKey768(lc::DecapsulationKey);

/// An ML-KEM-768 public (encapsulation) key.
pub struct EncapsulationKey768(lc::EncapsulationKey);

impl Kem for MlKem768 {
    type DecapsulationKey = DecapsulationKey768;
    type EncapsulationKey = EncapsulationKey768;

    fn generate_keypair_from_rng<R: ?Sized>(
        _rng: &mut R,
    ) -> (DecapsulationKey768, EncapsulationKey768) {
        // Generation fails only when aws-lc cannot allocate or draw random
        // bytes; no key exchange can go on then.
        let dk = lc::DecapsulationKey::generate(&ML_KEM_768)
            .expect("aws-lc failed to generate an ML-KEM-768 key pair (out of memory or entropy)");
        let ek = dk
            .encapsulation_key()
            .expect("aws-lc failed to derive an ML-KEM-768 encapsulation key");
        (DecapsulationKey768(dk), EncapsulationKey768(ek))
    }
}

/// A ciphertext of parameter set `K`.
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext<K> {
    bytes: Box<[u8]>,
    kem: PhantomData<K>,
}

impl<K> Ciphertext<K> {
    /// Its bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }
}

impl<K> std::fmt::Debug for Ciphertext<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ciphertext({} bytes)", self.bytes.len())
    }
}

impl TryFrom<&[u8]> for Ciphertext<MlKem768> {
    type Error = InvalidKey;

    fn try_from(bytes: &[u8]) -> Result<Self, InvalidKey> {
        if bytes.len() != CIPHERTEXT_SIZE {
            return Err(InvalidKey);
        }
        Ok(Ciphertext {
            bytes: bytes.into(),
            kem: PhantomData,
        })
    }
}

/// A key's encoding.
pub trait KeyExport {
    /// The key's bytes.
    fn to_bytes(&self) -> Vec<u8>;
}

impl KeyExport for EncapsulationKey768 {
    fn to_bytes(&self) -> Vec<u8> {
        self.0
            .key_bytes()
            .map(|b| b.as_ref().to_vec())
            .expect("aws-lc failed to encode an ML-KEM-768 encapsulation key")
    }
}

/// A key read from its encoding.
pub trait TryKeyInit: Sized {
    /// The key of `bytes`, or why not.
    fn new_from_slice(bytes: &[u8]) -> Result<Self, InvalidKey>;
}

impl TryKeyInit for EncapsulationKey768 {
    fn new_from_slice(bytes: &[u8]) -> Result<Self, InvalidKey> {
        if bytes.len() != ENCAPSULATION_KEY_SIZE {
            return Err(InvalidKey);
        }
        lc::EncapsulationKey::new(&ML_KEM_768, bytes)
            .map(EncapsulationKey768)
            .map_err(|_| InvalidKey)
    }
}

/// Encapsulation: a ciphertext and the shared key it carries.
pub trait Encapsulate<K> {
    /// A fresh shared key and its ciphertext (`rng` is not used).
    fn encapsulate_with_rng<R: ?Sized>(&self, rng: &mut R) -> (Ciphertext<K>, SharedKey);
}

impl Encapsulate<MlKem768> for EncapsulationKey768 {
    fn encapsulate_with_rng<R: ?Sized>(&self, _rng: &mut R) -> (Ciphertext<MlKem768>, SharedKey) {
        let (ct, ss) = self
            .0
            .encapsulate()
            .expect("aws-lc failed to encapsulate to an ML-KEM-768 key");
        (
            Ciphertext {
                bytes: ct.as_ref().into(),
                kem: PhantomData,
            },
            shared_key(ss.as_ref()),
        )
    }
}

/// Decapsulation: the shared key a ciphertext carries.
pub trait Decapsulate<K> {
    /// The shared key of `ct`. As FIPS 203 has it, a ciphertext that was
    /// not made for this key gives a key unrelated to the sender's (implicit
    /// rejection), and the handshake fails at its first encrypted message.
    fn decapsulate(&self, ct: &Ciphertext<K>) -> SharedKey;
}

impl Decapsulate<MlKem768> for DecapsulationKey768 {
    fn decapsulate(&self, ct: &Ciphertext<MlKem768>) -> SharedKey {
        // The length was checked when the ciphertext was read, so aws-lc
        // does not refuse it; were it to, a key of zeros fails the
        // handshake the same way an implicitly rejected ciphertext does.
        self.0
            .decapsulate(lc::Ciphertext::from(ct.as_slice()))
            .map(|ss| shared_key(ss.as_ref()))
            .unwrap_or([0; 32])
    }
}

fn shared_key(bytes: &[u8]) -> SharedKey {
    let mut key = [0; 32];
    key.copy_from_slice(&bytes[..32]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_on_the_shared_key() {
        let (dk, ek) = MlKem768::generate_keypair_from_rng(&mut ());
        let public = ek.to_bytes();
        assert_eq!(public.len(), ENCAPSULATION_KEY_SIZE);
        let peer = EncapsulationKey768::new_from_slice(&public).unwrap();
        let (ct, sent) = peer.encapsulate_with_rng(&mut ());
        assert_eq!(ct.as_slice().len(), CIPHERTEXT_SIZE);
        let read = Ciphertext::<MlKem768>::try_from(ct.as_slice()).unwrap();
        assert_eq!(dk.decapsulate(&read), sent);
        // Each encapsulation is fresh.
        let (ct2, sent2) = peer.encapsulate_with_rng(&mut ());
        assert_ne!(ct2.as_slice(), ct.as_slice());
        assert_ne!(sent2, sent);
    }

    #[test]
    fn another_keys_ciphertext_gives_an_unrelated_key() {
        let (dk, _) = MlKem768::generate_keypair_from_rng(&mut ());
        let (_, other) = MlKem768::generate_keypair_from_rng(&mut ());
        let (ct, sent) = other.encapsulate_with_rng(&mut ());
        assert_ne!(dk.decapsulate(&ct), sent);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert_eq!(
            EncapsulationKey768::new_from_slice(&[7; ENCAPSULATION_KEY_SIZE - 1]).err(),
            Some(InvalidKey)
        );
        assert!(Ciphertext::<MlKem768>::try_from(&[0u8; CIPHERTEXT_SIZE + 1][..]).is_err());
        assert!(Ciphertext::<MlKem768>::try_from(&[][..]).is_err());
    }
}
