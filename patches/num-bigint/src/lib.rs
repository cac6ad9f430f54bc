//! Unsigned big integers for russh's finite-field Diffie-Hellman, computed
//! by aws-lc: the `BigUint` of the `num-bigint` 0.5 crate with what russh
//! does with it (bytes in and out, comparison, subtraction, division,
//! modular exponentiation) and the `BigRng010` trait russh draws private
//! exponents with.
//!
//! A `BigUint` keeps its big-endian bytes; each operation hands them to an
//! aws-lc `BIGNUM` and back. The conversions cost nanoseconds beside a
//! 2,048-bit exponentiation, and a value owns nothing aws-lc allocated.

use std::cmp::Ordering;
use std::ffi::CStr;
use std::fmt;
use std::ops::{Div, Sub};
use std::os::raw::c_int;
use std::ptr;

use aws_lc_sys as ffi;

/// An unsigned integer of any size.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct BigUint {
    /// Big-endian, without leading zero bytes (zero has none).
    be: Vec<u8>,
}

impl BigUint {
    /// The integer whose big-endian bytes are `bytes` (leading zeros allowed).
    pub fn from_bytes_be(bytes: &[u8]) -> BigUint {
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        BigUint {
            be: bytes[first..].to_vec(),
        }
    }

    /// Its big-endian bytes, without leading zeros; zero is `[0]`, as
    /// num-bigint gives it.
    pub fn to_bytes_be(&self) -> Vec<u8> {
        if self.be.is_empty() {
            vec![0]
        } else {
            self.be.clone()
        }
    }

    /// Whether it is zero.
    pub fn is_zero(&self) -> bool {
        self.be.is_empty()
    }

    /// The number of bits it takes (zero takes none).
    pub fn bits(&self) -> u64 {
        match self.be.first() {
            None => 0,
            Some(&top) => (self.be.len() as u64 - 1) * 8 + u64::from(8 - top.leading_zeros()),
        }
    }

    /// `self` to the power `exponent`, modulo `modulus`. An odd modulus (a
    /// Diffie-Hellman prime) is computed in constant time with Montgomery
    /// multiplication. Panics when `modulus` is zero, as num-bigint does.
    pub fn modpow(&self, exponent: &BigUint, modulus: &BigUint) -> BigUint {
        assert!(
            !modulus.is_zero(),
            "attempt to calculate with zero modulus!"
        );
        let ctx = Ctx::new();
        let m = Bn::from(modulus);
        let e = Bn::from(exponent);
        let base = Bn::new();
        // SAFETY: every pointer is a live BIGNUM or BN_CTX of this call.
        check(
            unsafe { ffi::BN_nnmod(base.0, Bn::from(self).0, m.0, ctx.0) },
            "BN_nnmod",
        );
        let r = Bn::new();
        // SAFETY: as above; the Montgomery form wants 0 <= base < m, which
        // BN_nnmod gave, and an odd modulus.
        let done = unsafe {
            if ffi::BN_is_odd(m.0) == 1 {
                ffi::BN_mod_exp_mont_consttime(r.0, base.0, e.0, m.0, ctx.0, ptr::null())
            } else {
                ffi::BN_mod_exp(r.0, base.0, e.0, m.0, ctx.0)
            }
        };
        check(done, "BN_mod_exp");
        r.to_biguint()
    }
}

impl From<u8> for BigUint {
    fn from(v: u8) -> BigUint {
        BigUint::from_bytes_be(&[v])
    }
}

impl From<u32> for BigUint {
    fn from(v: u32) -> BigUint {
        BigUint::from_bytes_be(&v.to_be_bytes())
    }
}

impl From<u64> for BigUint {
    fn from(v: u64) -> BigUint {
        BigUint::from_bytes_be(&v.to_be_bytes())
    }
}

impl Ord for BigUint {
    fn cmp(&self, other: &BigUint) -> Ordering {
        // Without leading zeros, the longer is the larger.
        self.be
            .len()
            .cmp(&other.be.len())
            .then_with(|| self.be.cmp(&other.be))
    }
}

impl PartialOrd for BigUint {
    fn partial_cmp(&self, other: &BigUint) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Sub<&BigUint> for &BigUint {
    type Output = BigUint;

    /// Panics when `other` is the larger, as num-bigint does.
    fn sub(self, other: &BigUint) -> BigUint {
        assert!(*self >= *other, "attempt to subtract with overflow");
        let r = Bn::new();
        // SAFETY: live BIGNUMs of this call.
        check(
            unsafe { ffi::BN_sub(r.0, Bn::from(self).0, Bn::from(other).0) },
            "BN_sub",
        );
        r.to_biguint()
    }
}

impl Sub<&BigUint> for BigUint {
    type Output = BigUint;
    fn sub(self, other: &BigUint) -> BigUint {
        &self - other
    }
}

impl Sub<BigUint> for BigUint {
    type Output = BigUint;
    fn sub(self, other: BigUint) -> BigUint {
        &self - &other
    }
}

impl Div<&BigUint> for &BigUint {
    type Output = BigUint;

    /// Truncating division; panics when `other` is zero, as num-bigint does.
    fn div(self, other: &BigUint) -> BigUint {
        assert!(!other.is_zero(), "attempt to divide by zero");
        let ctx = Ctx::new();
        let q = Bn::new();
        // SAFETY: live BIGNUMs and BN_CTX of this call; a null remainder is
        // allowed.
        let done = unsafe {
            ffi::BN_div(
                q.0,
                ptr::null_mut(),
                Bn::from(self).0,
                Bn::from(other).0,
                ctx.0,
            )
        };
        check(done, "BN_div");
        q.to_biguint()
    }
}

impl Div<&BigUint> for BigUint {
    type Output = BigUint;
    fn div(self, other: &BigUint) -> BigUint {
        &self / other
    }
}

impl Div<BigUint> for BigUint {
    type Output = BigUint;
    fn div(self, other: BigUint) -> BigUint {
        &self / &other
    }
}

impl fmt::Display for BigUint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = Bn::from(self);
        // SAFETY: a live BIGNUM; the string aws-lc returns is NUL-terminated
        // and freed with OPENSSL_free once copied.
        unsafe {
            let s = ffi::BN_bn2dec(n.0);
            assert!(!s.is_null(), "BN_bn2dec: out of memory");
            let text = CStr::from_ptr(s).to_string_lossy().into_owned();
            ffi::OPENSSL_free(s.cast());
            f.pad_integral(true, "", &text)
        }
    }
}

impl fmt::Debug for BigUint {
    /// Decimal, as num-bigint prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Random `BigUint`s, as num-bigint's trait of that name draws them from
/// a `rand` 0.10 generator. Here every draw comes from aws-lc's generator
/// (seeded by the operating system), whatever it is called on: russh calls
/// it on `rand::rng()`, a generator of the same kind.
pub trait BigRng010 {
    /// A uniformly random value in `lbound..ubound`. Panics unless
    /// `lbound < ubound`, as num-bigint does.
    fn random_biguint_range(&mut self, lbound: &BigUint, ubound: &BigUint) -> BigUint;
}

impl<R: ?Sized> BigRng010 for R {
    fn random_biguint_range(&mut self, lbound: &BigUint, ubound: &BigUint) -> BigUint {
        assert!(lbound < ubound, "random_biguint_range: empty range");
        let span = Bn::from(&(ubound - lbound));
        let r = Bn::new();
        // SAFETY: live BIGNUMs of this call.
        check(unsafe { ffi::BN_rand_range(r.0, span.0) }, "BN_rand_range");
        let low = Bn::from(lbound);
        let sum = Bn::new();
        // SAFETY: as above.
        check(unsafe { ffi::BN_add(sum.0, r.0, low.0) }, "BN_add");
        sum.to_biguint()
    }
}

/// An aws-lc BIGNUM owned by this crate; cleared when freed (it may hold a
/// private exponent).
struct Bn(*mut ffi::BIGNUM);

impl Bn {
    fn new() -> Bn {
        // SAFETY: no arguments; null only when out of memory.
        let p = unsafe { ffi::BN_new() };
        assert!(!p.is_null(), "BN_new: out of memory");
        Bn(p)
    }

    fn from(v: &BigUint) -> Bn {
        // SAFETY: `v.be` is readable for its length; a null `ret` asks for
        // a new BIGNUM.
        let p = unsafe { ffi::BN_bin2bn(v.be.as_ptr(), v.be.len(), ptr::null_mut()) };
        assert!(!p.is_null(), "BN_bin2bn: out of memory");
        Bn(p)
    }

    fn to_biguint(&self) -> BigUint {
        // SAFETY: a live BIGNUM; `be` has room for its BN_num_bytes bytes.
        let len = unsafe { ffi::BN_num_bytes(self.0) } as usize;
        let mut be = vec![0u8; len];
        unsafe { ffi::BN_bn2bin(self.0, be.as_mut_ptr()) };
        BigUint { be }
    }
}

impl Drop for Bn {
    fn drop(&mut self) {
        // SAFETY: allocated by BN_new or BN_bin2bn and freed once.
        unsafe { ffi::BN_clear_free(self.0) }
    }
}

/// An aws-lc BN_CTX (scratch space of one operation).
struct Ctx(*mut ffi::BN_CTX);

impl Ctx {
    fn new() -> Ctx {
        // SAFETY: no arguments; null only when out of memory.
        let p = unsafe { ffi::BN_CTX_new() };
        assert!(!p.is_null(), "BN_CTX_new: out of memory");
        Ctx(p)
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: allocated by BN_CTX_new and freed once.
        unsafe { ffi::BN_CTX_free(self.0) }
    }
}

/// aws-lc's operations fail only when memory runs out (the arguments are
/// checked before the call): as num-bigint would, panic.
fn check(ret: c_int, what: &str) {
    assert_eq!(ret, 1, "{what} failed: out of memory");
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference::BigUint as Ref;

    /// xorshift64*: reproducible test values without a rand dependency.
    struct Gen(u64);
    impl Gen {
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n)
                .map(|_| {
                    self.0 ^= self.0 >> 12;
                    self.0 ^= self.0 << 25;
                    self.0 ^= self.0 >> 27;
                    (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
                })
                .collect()
        }
    }

    fn both(bytes: &[u8]) -> (BigUint, Ref) {
        (BigUint::from_bytes_be(bytes), Ref::from_bytes_be(bytes))
    }

    /// RFC 3526's 2,048-bit MODP group (group14), the prime russh uses.
    fn group14() -> BigUint {
        let hex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        BigUint::from_bytes_be(&bytes)
    }

    #[test]
    fn bytes_round_trip_without_leading_zeros_and_zero_is_one_zero_byte() {
        assert_eq!(BigUint::from_bytes_be(&[0, 0, 1, 2]).to_bytes_be(), [1, 2]);
        assert_eq!(BigUint::from_bytes_be(&[]).to_bytes_be(), [0]);
        assert_eq!(BigUint::from_bytes_be(&[0, 0]).to_bytes_be(), [0]);
        assert_eq!(BigUint::default(), BigUint::from(0u8));
        assert_eq!(BigUint::from(0x0102_0304u32).to_bytes_be(), [1, 2, 3, 4]);
        assert_eq!(BigUint::from(255u8).bits(), 8);
        assert_eq!(BigUint::from(256u32).bits(), 9);
        assert_eq!(BigUint::default().bits(), 0);
    }

    #[test]
    fn arithmetic_and_order_agree_with_num_bigint() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for round in 0..400 {
            let (la, lb) = (1 + round % 70, 1 + (round * 7) % 70);
            let (a, ra) = both(&g.bytes(la));
            let (b, rb) = both(&g.bytes(lb));
            assert_eq!(a.cmp(&b), ra.cmp(&rb), "{a} vs {b}");
            assert_eq!(a.to_string(), ra.to_string());
            assert_eq!(format!("{a:?}"), ra.to_string());
            let (big, small, rbig, rsmall) = if ra >= rb {
                (&a, &b, &ra, &rb)
            } else {
                (&b, &a, &rb, &ra)
            };
            assert_eq!((big - small).to_bytes_be(), (rbig - rsmall).to_bytes_be());
            if !small.is_zero() {
                assert_eq!((big / small).to_bytes_be(), (rbig / rsmall).to_bytes_be());
            }
        }
        let p = group14();
        let q = (&p - &BigUint::from(1u8)) / &BigUint::from(2u8);
        assert_eq!(q.bits(), 2047);
    }

    #[test]
    fn modpow_agrees_with_num_bigint_for_odd_even_and_tiny_moduli() {
        let mut g = Gen(0x0123_4567_89ab_cdef);
        for round in 0..200 {
            let (x, rx) = both(&g.bytes(1 + round % 40));
            let (e, re) = both(&g.bytes(round % 33));
            let mut mb = g.bytes(1 + (round * 3) % 40);
            if round % 2 == 0 {
                *mb.last_mut().unwrap() |= 1;
            } else {
                *mb.last_mut().unwrap() &= !1;
            }
            let (m, rm) = both(&mb);
            if m.is_zero() {
                continue;
            }
            assert_eq!(
                x.modpow(&e, &m).to_bytes_be(),
                rx.modpow(&re, &rm).to_bytes_be(),
                "{x}^{e} mod {m}"
            );
        }
        let one = BigUint::from(1u8);
        assert!(
            BigUint::from(7u8)
                .modpow(&BigUint::from(3u8), &one)
                .is_zero()
        );
        assert_eq!(
            BigUint::from(7u8).modpow(&BigUint::default(), &BigUint::from(5u8)),
            one
        );
    }

    #[test]
    fn diffie_hellman_over_group14_agrees_and_matches_num_bigint() {
        let p = group14();
        let two = BigUint::from(2u8);
        let q = (&p - &BigUint::from(1u8)) / &two;
        let mut rng = ();
        let x = rng.random_biguint_range(&two, &q);
        let y = rng.random_biguint_range(&two, &q);
        assert!(x >= two && x < q && x != y);
        let (gx, gy) = (two.modpow(&x, &p), two.modpow(&y, &p));
        let shared = gy.modpow(&x, &p);
        assert_eq!(shared, gx.modpow(&y, &p));
        let r = |v: &BigUint| Ref::from_bytes_be(&v.to_bytes_be());
        assert_eq!(
            r(&gx),
            Ref::from(2u8).modpow(&r(&x), &r(&p)),
            "the public value num-bigint computes"
        );
    }

    #[test]
    fn random_values_stay_in_their_range() {
        let (lo, hi) = (BigUint::from(10u8), BigUint::from(13u8));
        let mut seen = [false; 3];
        for _ in 0..200 {
            let v = ().random_biguint_range(&lo, &hi);
            assert!(v >= lo && v < hi, "{v}");
            seen[(v.to_bytes_be()[0] - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    #[should_panic(expected = "subtract with overflow")]
    fn subtracting_the_larger_panics() {
        let _ = &BigUint::from(1u8) - &BigUint::from(2u8);
    }

    #[test]
    #[should_panic(expected = "zero modulus")]
    fn a_zero_modulus_panics() {
        let _ = BigUint::from(3u8).modpow(&BigUint::from(1u8), &BigUint::default());
    }
}
