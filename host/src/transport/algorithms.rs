//! SSH algorithm sets: the modern defaults, the legacy additions old devices
//! need (off unless the inventory enables them), ssh_config-style lists
//! (`+add`, `-remove`, `^prepend`), and the message shown when negotiation
//! finds nothing in common.

use russh::keys::{Algorithm, HashAlg};
use russh::{Preferred, cipher, kex, mac};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// An algorithm list that cannot be used; the caller adds where it came
/// from (the inventory or the ssh config) and the device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmError {
    /// Names this build of russh does not implement.
    #[error("unsupported {key} algorithm(s): {}", .names.join(", "))]
    Unsupported {
        /// The inventory key of the list (`kex`, `ciphers`, …).
        key: &'static str,
        /// The names refused.
        names: Vec<String>,
    },
    /// An inventory value that is neither a list of names nor a string.
    #[error("{key} must be a list of algorithm names")]
    NotAList {
        /// The inventory key.
        key: &'static str,
    },
}

/// Legacy key exchanges, enabled with `legacy_algorithms: true`.
pub const LEGACY_KEX: &[&str] = &[
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group1-sha1",
];
/// Legacy host-key / signature algorithms.
pub const LEGACY_HOST_KEYS: &[&str] = &["ssh-rsa"];
/// Legacy ciphers.
pub const LEGACY_CIPHERS: &[&str] = &["aes128-cbc", "aes256-cbc", "3des-cbc"];
/// Legacy MACs.
pub const LEGACY_MACS: &[&str] = &["hmac-sha1"];

/// The four negotiated lists, most preferred first, by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Algorithms {
    /// Key exchange.
    pub kex: Vec<String>,
    /// Host-key algorithms.
    pub host_keys: Vec<String>,
    /// Ciphers.
    pub ciphers: Vec<String>,
    /// MACs.
    pub macs: Vec<String>,
}

/// russh's key-exchange extension markers: always sent, never listed.
const KEX_MARKERS: &[&str] = &[
    "ext-info-c",
    "ext-info-s",
    "kex-strict-c-v00@openssh.com",
    "kex-strict-s-v00@openssh.com",
];

/// Key exchanges offered by default, most preferred first. The elliptic
/// curves first, in OpenSSH's order: the ML-KEM hybrid, X25519, then the
/// NIST curves, which russh implements but does not offer by default and
/// which are all many devices offer besides SHA-1 Diffie-Hellman (many
/// Cisco IOS-XE and NX-OS releases: `ecdh-sha2-nistp256/384/521` and
/// `diffie-hellman-group14-sha1`). Then finite-field Diffie-Hellman by
/// group size, smallest first, where OpenSSH puts the larger groups first:
/// russh draws a private exponent as long as the group (OpenSSH and
/// OpenSSL draw a few hundred bits), so each doubling of the group costs
/// several times the CPU of the one before. netrun's whole one-device run
/// against OpenSSH's sshd restricted to each: 9.6 ms of CPU with X25519 or
/// P-256, 18 with group14 (2048 bits), 42 with a 3072-bit group exchange
/// ([`GEX`]), 107 with group16 (4096), 601 with group18 (8192), 581 with a
/// group exchange at russh's preferred 8192 bits. 2048 bits is the group
/// RFC 9142 requires every implementation to offer.
pub const DEFAULT_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group15-sha512",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group17-sha512",
    "diffie-hellman-group18-sha512",
];

/// The group sizes asked for in a Diffie-Hellman group exchange: at least
/// 2048 bits, preferably 3072 (the size NIST SP 800-57 pairs with 128-bit
/// security, as X25519 and AES-128 give), at most 8192. russh asks for
/// 8192 by default, over half a second of CPU a login with its full-length
/// exponents ([`DEFAULT_KEX`]).
pub const GEX: (usize, usize, usize) = (2048, 3072, 8192);

/// Ciphers and MACs the defaults put first, in this order (the others
/// follow in russh's order): OpenSSH's client order among those russh
/// offers by default, AEAD ciphers kept first (no MAC to compute). The
/// SHA-256 MACs before the SHA-512 ones, as OpenSSH has them: the SHA-NI
/// instructions most x86 CPUs of the last years carry compute SHA-256
/// only, and russh keys its HMAC afresh for every packet, so
/// `hmac-sha2-256` costs a third to a fifth of `hmac-sha2-512` a packet
/// (0.4–0.75 µs against 1.9–2.5 µs for 32–128 bytes, this machine) on a
/// server without an AEAD cipher (Twisted, paramiko, older IOS). AES-128
/// before AES-256 in counter mode, as OpenSSH has them (10 rounds, not 14).
const FIRST_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
];
const FIRST_MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
];

/// `names` with those of `first` at the front, in `first`'s order.
fn put_first(mut names: Vec<String>, first: &[&str]) -> Vec<String> {
    names.sort_by_key(|n| first.iter().position(|f| f == n).unwrap_or(first.len()));
    names
}

impl Default for Algorithms {
    /// [`DEFAULT_KEX`]; russh's safe host-key algorithms without SHA-1
    /// `ssh-rsa`; its ciphers and MACs in OpenSSH's order
    /// (this module's `FIRST_CIPHERS` and `FIRST_MACS`).
    fn default() -> Self {
        let d = Preferred::DEFAULT;
        Algorithms {
            kex: DEFAULT_KEX.iter().map(|n| n.to_string()).collect(),
            host_keys: d
                .key
                .iter()
                .filter(|a| **a != Algorithm::Rsa { hash: None })
                .map(|a| a.as_str().to_string())
                .collect(),
            ciphers: put_first(
                d.cipher.iter().map(|n| n.as_ref().to_string()).collect(),
                FIRST_CIPHERS,
            ),
            macs: put_first(
                d.mac.iter().map(|n| n.as_ref().to_string()).collect(),
                FIRST_MACS,
            ),
        }
    }
}

/// Which list a name belongs to, for messages and the inventory keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kex`
    Kex,
    /// `host_key_algorithms`
    HostKey,
    /// `ciphers`
    Cipher,
    /// `macs`
    Mac,
}

impl Kind {
    /// The inventory extras key of this list.
    pub fn inventory_key(self) -> &'static str {
        match self {
            Kind::Kex => "kex",
            Kind::HostKey => "host_key_algorithms",
            Kind::Cipher => "ciphers",
            Kind::Mac => "macs",
        }
    }

    fn legacy(self) -> &'static [&'static str] {
        match self {
            Kind::Kex => LEGACY_KEX,
            Kind::HostKey => LEGACY_HOST_KEYS,
            Kind::Cipher => LEGACY_CIPHERS,
            Kind::Mac => LEGACY_MACS,
        }
    }

    fn supported(self, name: &str) -> bool {
        match self {
            Kind::Kex => kex::Name::try_from(name).is_ok(),
            Kind::HostKey => Algorithm::new(name).is_ok(),
            Kind::Cipher => cipher::Name::try_from(name).is_ok(),
            Kind::Mac => mac::Name::try_from(name).is_ok(),
        }
    }
}

/// Apply an ssh_config-style list to `base`: `+a,b` appends, `-a,b`
/// removes (with `*` globs), `^a,b` prepends, anything else replaces.
/// Unknown names are returned as errors.
pub fn apply_list(base: &[String], spec: &str, kind: Kind) -> Result<Vec<String>, AlgorithmError> {
    let spec = spec.trim();
    let (op, rest) = match spec.chars().next() {
        Some(c @ ('+' | '-' | '^')) => (Some(c), &spec[1..]),
        _ => (None, spec),
    };
    let names: Vec<String> = rest
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if op != Some('-') {
        let unknown: Vec<String> = names
            .iter()
            .filter(|n| !kind.supported(n))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(AlgorithmError::Unsupported {
                key: kind.inventory_key(),
                names: unknown,
            });
        }
    }
    let mut out: Vec<String> = match op {
        Some('+') => base.to_vec(),
        Some('-') => base
            .iter()
            .filter(|b| !names.iter().any(|n| super::ssh_config::glob(n, b)))
            .cloned()
            .collect(),
        Some('^') => names.iter().chain(base.iter()).cloned().collect(),
        _ => names.clone(),
    };
    if op == Some('+') {
        out.extend(names.iter().cloned());
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|n| seen.insert(n.clone()));
    Ok(out)
}

/// The defaults, built once: most devices are reached with them.
static DEFAULT: std::sync::LazyLock<std::sync::Arc<Algorithms>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(Algorithms::default()));

/// russh's preference lists of [`DEFAULT`], built once.
static DEFAULT_PREFERRED: std::sync::LazyLock<Preferred> =
    std::sync::LazyLock::new(|| DEFAULT.build_preferred());

impl Algorithms {
    /// The defaults, shared.
    pub fn shared_default() -> std::sync::Arc<Algorithms> {
        DEFAULT.clone()
    }

    /// The lists a device is offered: the defaults with ssh_config's
    /// `KexAlgorithms` & co. and then the inventory's extras applied
    /// ([`Algorithms::with_ssh_config`], [`Algorithms::with_inventory`]).
    /// A device that changes none of them shares one copy of the defaults.
    pub fn for_device(
        ssh_config: [Option<&str>; 4],
        extras: &Map<String, Value>,
    ) -> Result<std::sync::Arc<Algorithms>, AlgorithmError> {
        let [kex, host_keys, ciphers, macs] = ssh_config;
        let from_inventory = extras.contains_key("legacy_algorithms")
            || [Kind::Kex, Kind::HostKey, Kind::Cipher, Kind::Mac]
                .iter()
                .any(|k| extras.contains_key(k.inventory_key()));
        if ssh_config.iter().all(Option::is_none) && !from_inventory {
            return Ok(Algorithms::shared_default());
        }
        Algorithms::default()
            .with_ssh_config(kex, host_keys, ciphers, macs)?
            .with_inventory(extras)
            .map(std::sync::Arc::new)
    }

    /// The defaults plus every legacy algorithm, appended (least preferred).
    pub fn with_legacy(mut self) -> Self {
        for (list, kind) in [
            (&mut self.kex, Kind::Kex),
            (&mut self.host_keys, Kind::HostKey),
            (&mut self.ciphers, Kind::Cipher),
            (&mut self.macs, Kind::Mac),
        ] {
            for n in kind.legacy() {
                if !list.iter().any(|x| x == n) {
                    list.push((*n).to_string());
                }
            }
        }
        self
    }

    fn list_mut(&mut self, kind: Kind) -> &mut Vec<String> {
        match kind {
            Kind::Kex => &mut self.kex,
            Kind::HostKey => &mut self.host_keys,
            Kind::Cipher => &mut self.ciphers,
            Kind::Mac => &mut self.macs,
        }
    }

    /// Apply ssh_config's `KexAlgorithms` & co. (each optional).
    pub fn with_ssh_config(
        mut self,
        kex: Option<&str>,
        host_keys: Option<&str>,
        ciphers: Option<&str>,
        macs: Option<&str>,
    ) -> Result<Self, AlgorithmError> {
        for (spec, kind) in [
            (kex, Kind::Kex),
            (host_keys, Kind::HostKey),
            (ciphers, Kind::Cipher),
            (macs, Kind::Mac),
        ] {
            if let Some(spec) = spec {
                let l = apply_list(self.list_mut(kind), spec, kind)?;
                *self.list_mut(kind) = l;
            }
        }
        Ok(self)
    }

    /// Apply the inventory's `legacy_algorithms: true` and explicit lists
    /// (`kex: [...]` replaces; a string is read like ssh_config, so
    /// `"+ssh-rsa"` appends).
    pub fn with_inventory(mut self, extras: &Map<String, Value>) -> Result<Self, AlgorithmError> {
        if extras.get("legacy_algorithms").and_then(Value::as_bool) == Some(true) {
            self = self.with_legacy();
        }
        for kind in [Kind::Kex, Kind::HostKey, Kind::Cipher, Kind::Mac] {
            let spec = match extras.get(kind.inventory_key()) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(AlgorithmError::NotAList {
                        key: kind.inventory_key(),
                    })?
                    .join(","),
                Some(_) => {
                    return Err(AlgorithmError::NotAList {
                        key: kind.inventory_key(),
                    });
                }
            };
            let l = apply_list(self.list_mut(kind), &spec, kind)?;
            *self.list_mut(kind) = l;
        }
        Ok(self)
    }

    /// russh's preference lists. Names were checked when the lists were
    /// built. The defaults' are built once and borrowed.
    pub fn preferred(&self) -> Preferred {
        if *self == **DEFAULT {
            let d = &*DEFAULT_PREFERRED;
            return Preferred {
                kex: Cow::Borrowed(&d.kex),
                key: Cow::Borrowed(&d.key),
                cipher: Cow::Borrowed(&d.cipher),
                mac: Cow::Borrowed(&d.mac),
                host_key_certificates: Cow::Borrowed(&d.host_key_certificates),
                compression: Cow::Borrowed(&d.compression),
            };
        }
        self.build_preferred()
    }

    fn build_preferred(&self) -> Preferred {
        let mut kex: Vec<kex::Name> = self
            .kex
            .iter()
            .filter_map(|n| kex::Name::try_from(n.as_str()).ok())
            .collect();
        // Extension markers (ext-info-c, strict kex) keep being advertised.
        kex.extend([
            kex::EXTENSION_SUPPORT_AS_CLIENT,
            kex::EXTENSION_SUPPORT_AS_SERVER,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
        ]);
        Preferred {
            kex: Cow::Owned(kex),
            key: Cow::Owned(
                self.host_keys
                    .iter()
                    .filter_map(|n| Algorithm::new(n).ok())
                    .collect(),
            ),
            cipher: Cow::Owned(
                self.ciphers
                    .iter()
                    .filter_map(|n| cipher::Name::try_from(n.as_str()).ok())
                    .collect(),
            ),
            mac: Cow::Owned(
                self.macs
                    .iter()
                    .filter_map(|n| mac::Name::try_from(n.as_str()).ok())
                    .collect(),
            ),
            ..Preferred::DEFAULT
        }
    }

    /// Whether SHA-1 `ssh-rsa` signatures are allowed for our own keys.
    pub fn allows_rsa_sha1(&self) -> bool {
        self.host_keys.iter().any(|h| h == "ssh-rsa")
    }
}

/// The hash for an RSA user-key signature: SHA-2 when the server said it
/// takes it (`server-sig-algs`); SHA-1 (`ssh-rsa`) only when legacy
/// algorithms are enabled and the server did not name a SHA-2 one.
pub fn rsa_hash(server: Option<Option<HashAlg>>, algorithms: &Algorithms) -> Option<HashAlg> {
    match server {
        Some(Some(h)) => Some(h),
        _ if algorithms.allows_rsa_sha1() => None,
        _ => Some(HashAlg::Sha256),
    }
}

/// The message for "no common algorithm": what the device offered, what
/// netrun allowed, and the inventory setting that would make them meet.
pub fn negotiation_failure(
    device: &str,
    addr: &str,
    kind: russh::AlgorithmKind,
    ours: &[String],
    theirs: &[String],
) -> String {
    let k = match kind {
        russh::AlgorithmKind::Kex => Some(Kind::Kex),
        russh::AlgorithmKind::Key => Some(Kind::HostKey),
        russh::AlgorithmKind::Cipher => Some(Kind::Cipher),
        russh::AlgorithmKind::Mac => Some(Kind::Mac),
        russh::AlgorithmKind::Compression => None,
    };
    let what = match k {
        Some(Kind::Kex) => "key-exchange",
        Some(Kind::HostKey) => "host-key",
        Some(Kind::Cipher) => "cipher",
        Some(Kind::Mac) => "MAC",
        None => "compression",
    };
    let theirs_clean: Vec<&str> = theirs
        .iter()
        .map(String::as_str)
        .filter(|n| !KEX_MARKERS.contains(n))
        .collect();
    let ours_clean: Vec<&str> = ours
        .iter()
        .map(String::as_str)
        .filter(|n| !KEX_MARKERS.contains(n))
        .collect();
    let fix = match k {
        Some(kind) => {
            let usable: Vec<&str> = theirs_clean
                .iter()
                .copied()
                .filter(|n| kind.supported(n))
                .collect();
            let legacy: Vec<&str> = usable
                .iter()
                .copied()
                .filter(|n| kind.legacy().contains(n))
                .collect();
            if !legacy.is_empty() {
                format!(
                    "these are legacy algorithms, off by default: enable them for this device with `connection_options.netrun.extras.legacy_algorithms: true` (host, group or defaults), or only this one with `connection_options.netrun.extras.{}: [\"+{}\"]`",
                    kind.inventory_key(),
                    legacy[0]
                )
            } else if !usable.is_empty() {
                format!(
                    "allow one with `connection_options.netrun.extras.{}: [\"+{}\"]`",
                    kind.inventory_key(),
                    usable[0]
                )
            } else {
                "netrun supports none of them: upgrade the device's SSH server".to_string()
            }
        }
        None => "netrun supports none of them".to_string(),
    };
    format!(
        "{device}: no common {what} algorithm with {addr}: the device offers {}; netrun allows {}; {fix}",
        theirs_clean.join(", "),
        ours_clean.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_leave_out_every_legacy_algorithm() {
        let d = Algorithms::default();
        for n in LEGACY_KEX {
            assert!(!d.kex.iter().any(|k| k == n), "{n}");
        }
        assert!(!d.host_keys.iter().any(|k| k == "ssh-rsa"));
        assert!(d.host_keys.iter().any(|k| k == "rsa-sha2-256"));
        for n in LEGACY_CIPHERS {
            assert!(!d.ciphers.iter().any(|k| k == n), "{n}");
        }
        assert!(!d.macs.iter().any(|k| k == "hmac-sha1"));
    }

    #[test]
    fn defaults_offer_the_nist_curves_and_the_smaller_groups_first() {
        let d = Algorithms::default();
        // Every name is one russh implements, and none is lost on the way
        // to russh's own list.
        for n in &d.kex {
            assert!(Kind::Kex.supported(n), "{n}");
        }
        assert_eq!(d.preferred().kex.len(), DEFAULT_KEX.len() + 4);
        let at = |n: &str| d.kex.iter().position(|k| k == n).unwrap();
        assert_eq!(at("mlkem768x25519-sha256"), 0);
        assert!(at("curve25519-sha256") < at("ecdh-sha2-nistp256"));
        assert!(at("ecdh-sha2-nistp256") < at("ecdh-sha2-nistp384"));
        assert!(at("ecdh-sha2-nistp521") < at("diffie-hellman-group14-sha256"));
        assert!(at("diffie-hellman-group14-sha256") < at("diffie-hellman-group16-sha512"));
        assert!(at("diffie-hellman-group16-sha512") < at("diffie-hellman-group18-sha512"));
        // Everything russh offers by default is still offered.
        for n in Preferred::DEFAULT.kex.iter() {
            let n = n.as_ref();
            assert!(
                KEX_MARKERS.contains(&n) || d.kex.iter().any(|k| k == n),
                "{n}"
            );
        }
        let (min, preferred, max) = GEX;
        assert!(russh::client::GexParams::new(min, preferred, max).is_ok());
    }

    #[test]
    fn defaults_order_ciphers_and_macs_as_openssh_does() {
        let d = Algorithms::default();
        assert_eq!(d.ciphers, FIRST_CIPHERS);
        assert_eq!(d.macs, FIRST_MACS);
        // Nothing of russh's defaults is lost or added by the reordering.
        let p = Preferred::DEFAULT;
        assert_eq!(d.ciphers.len(), p.cipher.len());
        assert_eq!(d.macs.len(), p.mac.len());
        assert_eq!(
            put_first(vec!["x".into(), "b".into(), "a".into()], &["a", "b"]),
            ["a", "b", "x"]
        );
    }

    #[test]
    fn legacy_flag_appends_every_legacy_algorithm_least_preferred() {
        let mut extras = Map::new();
        extras.insert("legacy_algorithms".into(), Value::Bool(true));
        let a = Algorithms::default().with_inventory(&extras).unwrap();
        assert_eq!(
            a.kex.last().map(String::as_str),
            Some("diffie-hellman-group1-sha1")
        );
        assert!(a.kex.iter().any(|k| k == "diffie-hellman-group14-sha1"));
        assert!(
            a.kex
                .iter()
                .any(|k| k == "diffie-hellman-group-exchange-sha1")
        );
        assert_eq!(a.host_keys.last().map(String::as_str), Some("ssh-rsa"));
        for c in ["aes128-cbc", "aes256-cbc", "3des-cbc"] {
            assert!(a.ciphers.iter().any(|k| k == c), "{c}");
        }
        assert!(a.macs.iter().any(|k| k == "hmac-sha1"));
        // Every name maps onto russh.
        let p = a.preferred();
        assert_eq!(p.kex.len(), a.kex.len() + KEX_MARKERS.len());
        assert_eq!(p.key.len(), a.host_keys.len());
        assert_eq!(p.cipher.len(), a.ciphers.len());
        assert_eq!(p.mac.len(), a.macs.len());
    }

    #[test]
    fn explicit_lists_replace_or_add_and_unknown_names_are_refused() {
        let mut extras = Map::new();
        extras.insert(
            "kex".into(),
            serde_json::json!(["diffie-hellman-group14-sha1"]),
        );
        extras.insert("ciphers".into(), serde_json::json!("+aes128-cbc"));
        let a = Algorithms::default().with_inventory(&extras).unwrap();
        assert_eq!(a.kex, vec!["diffie-hellman-group14-sha1".to_string()]);
        assert_eq!(a.ciphers.last().map(String::as_str), Some("aes128-cbc"));
        extras.insert("macs".into(), serde_json::json!(["hmac-md5-96"]));
        let e = Algorithms::default().with_inventory(&extras).unwrap_err();
        assert_eq!(e.to_string(), "unsupported macs algorithm(s): hmac-md5-96");
        extras.insert("macs".into(), serde_json::json!(7));
        let e = Algorithms::default().with_inventory(&extras).unwrap_err();
        assert_eq!(e, AlgorithmError::NotAList { key: "macs" });
    }

    #[test]
    fn ssh_config_lists_add_remove_and_prepend() {
        let a = Algorithms::default()
            .with_ssh_config(
                Some("+diffie-hellman-group14-sha1"),
                Some("^ssh-rsa"),
                Some("-aes*-ctr"),
                Some("hmac-sha1"),
            )
            .unwrap();
        assert_eq!(
            a.kex.last().map(String::as_str),
            Some("diffie-hellman-group14-sha1")
        );
        assert_eq!(a.host_keys.first().map(String::as_str), Some("ssh-rsa"));
        assert!(!a.ciphers.iter().any(|c| c.ends_with("-ctr")));
        assert_eq!(a.macs, vec!["hmac-sha1".to_string()]);
    }

    #[test]
    fn negotiation_failure_names_the_offer_and_the_inventory_switch() {
        let m = negotiation_failure(
            "r1",
            "10.0.0.1:22",
            russh::AlgorithmKind::Kex,
            &["curve25519-sha256".into(), "ext-info-c".into()],
            &["diffie-hellman-group14-sha1".into()],
        );
        assert!(
            m.starts_with("r1: no common key-exchange algorithm with 10.0.0.1:22"),
            "{m}"
        );
        assert!(
            m.contains("the device offers diffie-hellman-group14-sha1;"),
            "{m}"
        );
        assert!(!m.contains("ext-info-c"), "{m}");
        assert!(m.contains("legacy_algorithms: true"), "{m}");
        assert!(m.contains("kex: [\"+diffie-hellman-group14-sha1\"]"), "{m}");
    }
}
