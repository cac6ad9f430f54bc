//! OpenSSH client configuration (`~/.ssh/config`, `--ssh-config FILE`): the
//! `Host` blocks and the keywords netrun honours, read once per run.
//!
//! Semantics follow ssh_config(5): a `Host` line lists patterns (`*`, `?`,
//! `!negated`); for each keyword the first value obtained wins, except
//! `IdentityFile`, which accumulates. `Include` reads
//! more files (globs, relative to `~/.ssh`); `Match` blocks are skipped
//! (netrun does not evaluate them).

use super::known_hosts::HostKeyPolicy;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why an ssh_config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SshConfigError {
    /// The file could not be read.
    #[error("cannot read ssh config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A value netrun needs is malformed.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// One `Host` block (or the lines before the first, which apply to all).
#[derive(Debug, Clone)]
struct Block {
    /// `None` for the global section; `Some(vec![])` never matches (Match).
    patterns: Option<Vec<String>>,
    /// Lower-cased keyword and its arguments, in file order.
    options: Vec<(String, Vec<String>)>,
}

/// A parsed ssh_config.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    blocks: Vec<Block>,
    home: Option<PathBuf>,
    /// The blocks by the hosts they name (going through all 10,000 blocks
    /// of a block-per-device configuration for each device cost a
    /// 200-device run 6 s of CPU).
    index: NameIndex,
}

/// What the configuration says about one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConfig {
    /// `HostName` (with `%h` expanded).
    pub hostname: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `IdentityFile`s, `~` expanded, in order.
    pub identity_files: Vec<PathBuf>,
    /// `ProxyJump` hops, first hop first; empty for none.
    pub proxy_jump: Vec<JumpSpec>,
    /// `ConnectTimeout`.
    pub connect_timeout: Option<Duration>,
    /// `StrictHostKeyChecking`.
    pub strict_host_key_checking: Option<HostKeyPolicy>,
    /// `UserKnownHostsFile`s, `~` expanded.
    pub user_known_hosts_files: Vec<PathBuf>,
    /// `KexAlgorithms` as written (may start with `+`, `-` or `^`).
    pub kex_algorithms: Option<String>,
    /// `Ciphers` as written.
    pub ciphers: Option<String>,
    /// `HostKeyAlgorithms` as written.
    pub host_key_algorithms: Option<String>,
    /// `MACs` as written.
    pub macs: Option<String>,
}

/// One hop of `ProxyJump`: `[user@]host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JumpSpec {
    /// User, when given in the hop.
    pub user: Option<String>,
    /// Host name or alias (resolved again through the configuration).
    pub host: String,
    /// Port, when given in the hop.
    pub port: Option<u16>,
}

impl JumpSpec {
    /// Parse `[user@]host[:port]` (IPv6 as `[addr]:port`).
    pub fn parse(text: &str) -> Option<JumpSpec> {
        let text = text.trim().trim_start_matches("ssh://");
        let (user, rest) = match text.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, text),
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, after) = r.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse().ok()?),
                None => None,
            };
            (h.to_string(), port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
                None => (rest.to_string(), None),
            }
        };
        if host.is_empty() {
            return None;
        }
        Some(JumpSpec { user, host, port })
    }
}

/// Split a line into words, honouring double quotes; `Key=Value` allowed.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut has = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                has = true;
            }
            c if !quoted && c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    // `Keyword=value` and `Keyword = value`.
    if let Some(first) = out.first().cloned()
        && let Some((k, v)) = first.split_once('=')
    {
        let mut fixed = vec![k.to_string()];
        if !v.is_empty() {
            fixed.push(v.to_string());
        }
        fixed.extend(out.into_iter().skip(1));
        return fixed;
    }
    if out.get(1).is_some_and(|w| w == "=") {
        out.remove(1);
    } else if let Some(w) = out.get_mut(1)
        && let Some(v) = w.strip_prefix('=')
    {
        *w = v.to_string();
    }
    out
}

/// Glob match with `*` and `?`, case-insensitive as OpenSSH does for hosts.
pub fn glob(pattern: &str, text: &str) -> bool {
    // Host names and patterns are ASCII nearly always: compared as bytes,
    // without the lower-cased copies (a lookup in a configuration with a
    // block per device makes one of these per block).
    if pattern.is_ascii() && text.is_ascii() {
        return glob_in(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| {
            a.eq_ignore_ascii_case(b)
        });
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    glob_in(&p, &t, '*', '?', |a, b| a == b)
}

/// [`glob`] over units (bytes or characters), `any` and `one` being the
/// units of `*` and `?`, `same` their comparison.
fn glob_in<U: Copy + PartialEq>(
    p: &[U],
    t: &[U],
    any: U,
    one: U,
    same: impl Fn(&U, &U) -> bool,
) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || same(&p[pi], &t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == any {
        pi += 1;
    }
    pi == p.len()
}

/// Host patterns (of `Host` blocks, of known_hosts entries) indexed for
/// lookup by host name: those whose positive patterns are all literal names
/// by each name (lower case), the others (wildcards, hashed names, the
/// global section) in a list to go through. A file generated from an
/// inventory has a block or a line per device: going through all of them
/// for each device is quadratic in the fleet.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    by_name: HashMap<String, Vec<usize>>,
    scanned: Vec<usize>,
}

impl NameIndex {
    /// Record item `at` (added in order): `Some(names)` when its positive
    /// patterns are all these literal names, `None` when it must be looked
    /// at for every host.
    pub(crate) fn add<'a>(
        &mut self,
        at: usize,
        literal: Option<impl IntoIterator<Item = &'a str>>,
    ) {
        let Some(names) = literal else {
            self.scanned.push(at);
            return;
        };
        for name in names {
            let slot = self.by_name.entry(name.to_lowercase()).or_default();
            if slot.last() != Some(&at) {
                slot.push(at);
            }
        }
    }

    /// The items naming `host` literally, in order, and the items to go
    /// through for every host, in order (the two lists are disjoint).
    pub(crate) fn candidates(&self, host: &str) -> (&[usize], &[usize]) {
        let named = self
            .by_name
            .get(&host.to_lowercase())
            .map_or(&[][..], Vec::as_slice);
        (named, &self.scanned)
    }
}

/// Whether a `Host` pattern list matches `host`: some positive pattern
/// matches and no negated one does.
fn patterns_match(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for p in patterns {
        for p in p.split(',') {
            if let Some(neg) = p.strip_prefix('!') {
                if glob(neg, host) {
                    return false;
                }
            } else if glob(p, host) {
                matched = true;
            }
        }
    }
    matched
}

impl SshConfig {
    /// Parse configuration text; `home` expands `~` and is where relative
    /// `Include` paths live (`~/.ssh`), as for OpenSSH's user configuration.
    pub fn parse(
        text: &str,
        home: Option<&Path>,
        path: &Path,
    ) -> Result<SshConfig, SshConfigError> {
        let mut config = SshConfig {
            blocks: vec![Block {
                patterns: None,
                options: Vec::new(),
            }],
            home: home.map(Path::to_path_buf),
            ..SshConfig::default()
        };
        config.parse_into(text, path, 0)?;
        config.index();
        Ok(config)
    }

    /// Fill [`SshConfig::index`].
    fn index(&mut self) {
        for (i, b) in self.blocks.iter().enumerate() {
            let literal = match &b.patterns {
                None => None,
                Some(patterns) => {
                    // (No positive pattern: a `Match` block, or negations
                    // alone, which match nothing: indexed under no name.)
                    let positive: Vec<&str> = patterns
                        .iter()
                        .flat_map(|p| p.split(','))
                        .filter(|p| !p.is_empty() && !p.starts_with('!'))
                        .collect();
                    (!positive.iter().any(|p| p.contains(['*', '?']))).then_some(positive)
                }
            };
            self.index.add(i, literal);
        }
    }

    /// The blocks that apply to `host`, in file order.
    fn blocks_for(&self, host: &str) -> Vec<&Block> {
        let (named, scanned) = self.index.candidates(host);
        let mut at = Vec::with_capacity(named.len() + scanned.len());
        at.extend_from_slice(named);
        at.extend_from_slice(scanned);
        // Disjoint lists, each without repeats: sorting restores file order.
        at.sort_unstable();
        at.into_iter()
            .map(|i| &self.blocks[i])
            .filter(|b| match &b.patterns {
                None => true,
                Some(p) => patterns_match(p, host),
            })
            .collect()
    }

    fn parse_into(&mut self, text: &str, path: &Path, depth: usize) -> Result<(), SshConfigError> {
        let malformed = |line: usize, message: String| SshConfigError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut w = words(line);
            if w.is_empty() {
                continue;
            }
            let keyword = w.remove(0).to_lowercase();
            match keyword.as_str() {
                "host" => {
                    if w.is_empty() {
                        return Err(malformed(n + 1, "`Host` needs at least one pattern".into()));
                    }
                    self.blocks.push(Block {
                        patterns: Some(w),
                        options: Vec::new(),
                    });
                }
                // Not evaluated: its options apply to no host.
                "match" => self.blocks.push(Block {
                    patterns: Some(Vec::new()),
                    options: Vec::new(),
                }),
                "include" => {
                    if depth >= 16 {
                        return Err(malformed(n + 1, "Include nested more than 16 deep".into()));
                    }
                    // Included lines before their first `Host` belong to the
                    // block the Include is in; that block resumes after it.
                    let outer = self.blocks.last().and_then(|b| b.patterns.clone());
                    for file in self.include_files(&w) {
                        let Ok(text) = std::fs::read_to_string(&file) else {
                            continue;
                        };
                        self.blocks.push(Block {
                            patterns: outer.clone(),
                            options: Vec::new(),
                        });
                        self.parse_into(&text, &file, depth + 1)?;
                    }
                    self.blocks.push(Block {
                        patterns: outer,
                        options: Vec::new(),
                    });
                }
                _ => {
                    if keyword == "port" && w.first().is_some_and(|p| p.parse::<u16>().is_err()) {
                        return Err(malformed(
                            n + 1,
                            format!("bad Port `{}`: use a number 1-65535", w[0]),
                        ));
                    }
                    if let Some(b) = self.blocks.last_mut() {
                        b.options.push((keyword, w));
                    }
                }
            }
        }
        Ok(())
    }

    /// The files an `Include` names: `~` expanded, relative paths under
    /// `~/.ssh`, `*` and `?` in the file name expanded in lexical order.
    fn include_files(&self, args: &[String]) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for a in args {
            let mut p = self.expand(a);
            if p.is_relative()
                && let Some(h) = &self.home
            {
                p = h.join(".ssh").join(p);
            }
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.contains(['*', '?']) {
                out.push(p);
                continue;
            }
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut matched: Vec<PathBuf> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| glob(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect();
            matched.sort();
            out.extend(matched);
        }
        out
    }

    /// Read and parse a file.
    pub fn load(path: &Path, home: Option<&Path>) -> Result<SshConfig, SshConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| SshConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        SshConfig::parse(&text, home, path)
    }

    /// The user's `~/.ssh/config`, or an empty configuration when there is none.
    pub fn load_user() -> Result<SshConfig, SshConfigError> {
        let home = dirs::home_dir();
        match home.as_ref().map(|h| h.join(".ssh").join("config")) {
            Some(p) if p.is_file() => SshConfig::load(&p, home.as_deref()),
            _ => Ok(SshConfig {
                home,
                ..SshConfig::default()
            }),
        }
    }

    fn expand(&self, p: &str) -> PathBuf {
        match (p.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => PathBuf::from(p),
        }
    }

    /// What applies to `host` (the name as the inventory gives it).
    pub fn for_host(&self, host: &str) -> HostConfig {
        let blocks = self.blocks_for(host);
        // Every value of `keyword` (lower case), blocks in file order.
        let values = |keyword: &'static str| {
            blocks.iter().flat_map(move |b| {
                b.options
                    .iter()
                    .filter(move |(k, _)| k == keyword)
                    .map(|(_, v)| v.as_slice())
            })
        };
        let first = |keyword: &'static str| values(keyword).find_map(|v| v.first().cloned());
        let hostname = first("hostname").map(|h| h.replace("%h", host).replace("%%", "%"));
        let proxy_jump = match first("proxyjump") {
            Some(v) if !v.eq_ignore_ascii_case("none") => {
                v.split(',').filter_map(JumpSpec::parse).collect()
            }
            _ => Vec::new(),
        };
        let strict = first("stricthostkeychecking").and_then(|v| match v.to_lowercase().as_str() {
            "yes" | "ask" => Some(HostKeyPolicy::Strict),
            "accept-new" => Some(HostKeyPolicy::AcceptNew),
            "no" | "off" => Some(HostKeyPolicy::Off),
            _ => None,
        });
        let user_known_hosts_files = values("userknownhostsfile")
            .find(|v| !v.is_empty())
            .map(|v| {
                v.iter()
                    .filter(|f| !f.eq_ignore_ascii_case("none"))
                    .map(|f| self.expand(f))
                    .collect()
            })
            .unwrap_or_default();
        HostConfig {
            hostname,
            user: first("user"),
            port: first("port").and_then(|p| p.parse().ok()),
            identity_files: values("identityfile")
                .filter_map(|v| v.first())
                .filter(|f| !f.eq_ignore_ascii_case("none"))
                .map(|f| self.expand(f))
                .collect(),
            proxy_jump,
            connect_timeout: first("connecttimeout")
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map(Duration::from_secs),
            strict_host_key_checking: strict,
            user_known_hosts_files,
            kex_algorithms: first("kexalgorithms"),
            ciphers: first("ciphers"),
            host_key_algorithms: first("hostkeyalgorithms"),
            macs: first("macs"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SshConfig {
        SshConfig::parse(text, Some(Path::new("/home/op")), Path::new("config")).unwrap()
    }

    #[test]
    fn first_obtained_value_wins_like_openssh() {
        let c = parse(
            "Host r1\n  User first\n  Port 2201\nHost *\n  User generic\n  Port 22\n  ConnectTimeout 7\n",
        );
        let h = c.for_host("r1");
        assert_eq!(h.user.as_deref(), Some("first"));
        assert_eq!(h.port, Some(2201));
        assert_eq!(h.connect_timeout, Some(Duration::from_secs(7)));
        let other = c.for_host("r2");
        assert_eq!(other.user.as_deref(), Some("generic"));
        assert_eq!(other.port, Some(22));
    }

    #[test]
    fn literal_and_wildcard_blocks_apply_in_file_order_among_thousands() {
        let mut text = String::from("Host *.lab\n  User wild\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "Host dev{i:04} dev{i:04}.lab\n  HostName 10.9.{}.{}\n",
                i / 250,
                i % 250
            ));
        }
        text.push_str("Host r1.lab !r2.lab\n  User literal\n  Port 2201\nHost *\n  Port 22\n  ConnectTimeout 5\n");
        let c = parse(&text);
        let r1 = c.for_host("R1.lab");
        assert_eq!(r1.user.as_deref(), Some("wild"));
        assert_eq!(r1.port, Some(2201));
        assert_eq!(r1.connect_timeout, Some(Duration::from_secs(5)));
        let dev = c.for_host("dev4999.lab");
        assert_eq!(dev.hostname.as_deref(), Some("10.9.19.249"));
        assert_eq!(dev.user.as_deref(), Some("wild"));
        assert_eq!(dev.port, Some(22));
        assert_eq!(c.for_host("dev0007").hostname.as_deref(), Some("10.9.0.7"));
        assert_eq!(c.for_host("dev0007").user, None);
        // A negated name keeps a literal block from its host.
        assert_eq!(c.for_host("r2.lab").port, Some(22));
    }

    #[test]
    fn globs_ignore_case_in_ascii_and_beyond() {
        assert!(glob("CORE-??", "core-01"));
        assert!(!glob("core-??", "core-1"));
        assert!(glob("*.Example.NET", "r1.example.net"));
        assert!(glob("R\u{c9}SEAU-*", "r\u{e9}seau-1"));
        assert!(!glob("r\u{e9}seau-?", "r\u{e9}seau-12"));
    }

    #[test]
    fn patterns_with_wildcards_negation_and_lists() {
        let c = parse(
            "Host core-?? !core-99 edge-*,lab1\n  User netops\nHost *.example.net\n  HostName %h.mgmt\n",
        );
        assert_eq!(c.for_host("core-01").user.as_deref(), Some("netops"));
        assert_eq!(c.for_host("CORE-02").user.as_deref(), Some("netops"));
        assert_eq!(c.for_host("core-99").user, None);
        assert_eq!(c.for_host("core-100").user, None);
        assert_eq!(c.for_host("edge-fra1").user.as_deref(), Some("netops"));
        assert_eq!(c.for_host("lab1").user.as_deref(), Some("netops"));
        assert_eq!(
            c.for_host("r1.example.net").hostname.as_deref(),
            Some("r1.example.net.mgmt")
        );
    }

    #[test]
    fn identity_files_accumulate_and_expand_tilde() {
        let c = parse(
            "Host r1\n  IdentityFile ~/.ssh/id_r1\nHost *\n  IdentityFile \"/keys/with space\"\n",
        );
        assert_eq!(
            c.for_host("r1").identity_files,
            vec![
                PathBuf::from("/home/op/.ssh/id_r1"),
                PathBuf::from("/keys/with space")
            ]
        );
    }

    #[test]
    fn proxy_jump_hops_host_key_options_and_algorithms() {
        let c = parse(
            "Host r1\n  ProxyJump admin@bastion1:2222,bastion2\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/kh_lab\n  KexAlgorithms +diffie-hellman-group14-sha1\n  Ciphers=aes128-cbc\n  HostKeyAlgorithms +ssh-rsa\n  MACs = hmac-sha1\nHost r2\n  ProxyJump none\n  StrictHostKeyChecking no\n",
        );
        let h = c.for_host("r1");
        assert_eq!(
            h.proxy_jump,
            vec![
                JumpSpec {
                    user: Some("admin".into()),
                    host: "bastion1".into(),
                    port: Some(2222)
                },
                JumpSpec {
                    user: None,
                    host: "bastion2".into(),
                    port: None
                }
            ]
        );
        assert_eq!(h.strict_host_key_checking, Some(HostKeyPolicy::AcceptNew));
        assert_eq!(
            h.user_known_hosts_files,
            vec![PathBuf::from("/home/op/.ssh/kh_lab")]
        );
        assert_eq!(
            h.kex_algorithms.as_deref(),
            Some("+diffie-hellman-group14-sha1")
        );
        assert_eq!(h.ciphers.as_deref(), Some("aes128-cbc"));
        assert_eq!(h.host_key_algorithms.as_deref(), Some("+ssh-rsa"));
        assert_eq!(h.macs.as_deref(), Some("hmac-sha1"));
        let r2 = c.for_host("r2");
        assert!(r2.proxy_jump.is_empty());
        assert_eq!(r2.strict_host_key_checking, Some(HostKeyPolicy::Off));
    }

    #[test]
    fn match_blocks_are_skipped_and_bad_port_is_reported_with_its_line() {
        let c = parse("Match host r1\n  User m\nHost r1\n  User h\n");
        assert_eq!(c.for_host("r1").user.as_deref(), Some("h"));
        let e = SshConfig::parse("Host a\n  Port abc\n", None, Path::new("cfg")).unwrap_err();
        assert!(e.to_string().starts_with("cfg:2: bad Port"), "{e}");
    }

    #[test]
    fn include_reads_files_relative_to_dot_ssh_with_globs_inside_host_blocks() {
        let home = std::env::temp_dir().join(format!("netrun-sshcfg-{}", std::process::id()));
        let d = home.join(".ssh").join("config.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("10-lab"),
            "User from-include\nHost lab-*\n  Port 2022\n",
        )
        .unwrap();
        std::fs::write(
            d.join("20-other"),
            "Host lab-*\n  Port 9\n  HostName lab.example\n",
        )
        .unwrap();
        let c = SshConfig::parse(
            "Host r1\n  Include config.d/*\n  Port 22\nHost *\n  User generic\n",
            Some(&home),
            Path::new("config"),
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(&home);
        // The include's leading lines apply only inside `Host r1`.
        assert_eq!(c.for_host("r1").user.as_deref(), Some("from-include"));
        assert_eq!(c.for_host("r1").port, Some(22));
        assert_eq!(c.for_host("r2").user.as_deref(), Some("generic"));
        // Files in lexical order; first value wins.
        assert_eq!(c.for_host("lab-1").port, Some(2022));
        assert_eq!(c.for_host("lab-1").hostname.as_deref(), Some("lab.example"));
    }

    #[test]
    fn jump_spec_forms() {
        assert_eq!(
            JumpSpec::parse("u@[::1]:22"),
            Some(JumpSpec {
                user: Some("u".into()),
                host: "::1".into(),
                port: Some(22)
            })
        );
        assert_eq!(JumpSpec::parse("h:x"), None);
    }
}
