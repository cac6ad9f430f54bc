//! X25519 (RFC 7748) for russh's `curve25519-sha256` and
//! `mlkem768x25519-sha256` key exchanges, computed by aws-lc: the
//! `montgomery::MontgomeryPoint` of the `curve25519-dalek` 5 crate, with
//! the two operations russh uses and their meaning.

pub mod montgomery {
    //! Points on Curve25519 in Montgomery form, as their u-coordinate.

    use zeroize::Zeroize;

    /// A point's u-coordinate, 32 bytes little-endian (RFC 7748 § 5).
    #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
    pub struct MontgomeryPoint(pub [u8; 32]);

    impl MontgomeryPoint {
        /// The public value of the private scalar `bytes` (clamped as
        /// RFC 7748 says): `X25519(bytes, 9)`.
        pub fn mul_base_clamped(bytes: [u8; 32]) -> MontgomeryPoint {
            let mut out = [0u8; 32];
            // SAFETY: both pointers are to 32-byte arrays, as the function
            // reads and writes.
            unsafe { aws_lc_sys::X25519_public_from_private(out.as_mut_ptr(), bytes.as_ptr()) };
            MontgomeryPoint(out)
        }

        /// `X25519(bytes, self)`: this point multiplied by the clamped
        /// scalar `bytes`. A point of small order gives all zeros, which
        /// callers check for.
        pub fn mul_clamped(self, bytes: [u8; 32]) -> MontgomeryPoint {
            let mut out = [0u8; 32];
            // SAFETY: all three pointers are to 32-byte arrays, as the
            // function reads and writes.
            let ok =
                unsafe { aws_lc_sys::X25519(out.as_mut_ptr(), bytes.as_ptr(), self.0.as_ptr()) };
            if ok != 1 {
                // aws-lc refuses an all-zero result (a small-order point)
                // and that is the result: say it as zeros.
                out = [0u8; 32];
            }
            MontgomeryPoint(out)
        }

        /// The u-coordinate's bytes.
        pub fn as_bytes(&self) -> &[u8; 32] {
            &self.0
        }

        /// The u-coordinate's bytes, copied.
        pub fn to_bytes(&self) -> [u8; 32] {
            self.0
        }
    }

    impl Zeroize for MontgomeryPoint {
        fn zeroize(&mut self) {
            self.0.zeroize();
        }
    }
}

pub use montgomery::MontgomeryPoint;

#[cfg(test)]
mod tests {
    use super::MontgomeryPoint;

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    // Made with OpenSSL: `openssl genpkey -algorithm x25519` twice, the raw
    // keys from `openssl pkey -outform DER`, and the shared value from
    // `openssl pkeyutl -derive`.
    const A_PRIVATE: &str = "58c809cc181b0027b1ad7d66d941ee38fc499af45ce8411986f26810907f4541";
    const A_PUBLIC: &str = "87e24cd05caf2a47c67d78a5c84b012793e05c52a1aa63f754a9683c643fae69";
    const B_PUBLIC: &str = "d06d0bd0f5334774a6f767d41035ba71b623e880e59463ed1ef0b0fa9646b430";
    const SHARED: &str = "3e0206f1bc34c7260976cd5de6c04552a66e0354cf24b9143c6d8d7392025c44";

    #[test]
    fn public_and_shared_values_are_openssls() {
        let a = hex32(A_PRIVATE);
        assert_eq!(MontgomeryPoint::mul_base_clamped(a).0, hex32(A_PUBLIC));
        assert_eq!(
            MontgomeryPoint(hex32(B_PUBLIC)).mul_clamped(a).0,
            hex32(SHARED)
        );
    }

    #[test]
    fn both_sides_agree_and_small_order_points_give_zeros() {
        let (x, y) = ([7u8; 32], [42u8; 32]);
        let (px, py) = (
            MontgomeryPoint::mul_base_clamped(x),
            MontgomeryPoint::mul_base_clamped(y),
        );
        assert_eq!(px.mul_clamped(y), py.mul_clamped(x));
        assert_ne!(px.mul_clamped(y).0, [0; 32]);
        // u = 0 and u = 1 have small order.
        assert_eq!(MontgomeryPoint([0; 32]).mul_clamped(x).0, [0; 32]);
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(MontgomeryPoint(one).mul_clamped(x).0, [0; 32]);
    }
}
