//! known_hosts files, read once per run and looked up in memory: plain
//! and hashed (`|1|salt|hash`) host patterns, `[host]:port`, comma lists,
//! negation (`!host`) and `@revoked` markers.

// OpenSSH host patterns (`*`, `?`, case-insensitive) are matched as
// ssh_config's `Host` lines are: linearly, even with many `*`.
use super::ssh_config::{NameIndex, glob};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use russh::keys::{HashAlg, PublicKey};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// How unknown host keys are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum HostKeyPolicy {
    /// Only keys found in a known_hosts file are accepted (default).
    #[default]
    Strict,
    /// An unknown key is trusted and appended to the user's known_hosts; a
    /// changed key is still refused.
    AcceptNew,
    /// Every key accepted. Explicit, and warned about.
    Off,
}

#[derive(Debug, Clone)]
enum Pattern {
    Plain {
        pattern: String,
        negated: bool,
    },
    /// `|1|salt|hash`: HMAC-SHA1 of the name keyed by the salt, the key
    /// schedule done once at load (each check of a device goes through
    /// every hashed entry until one trusts its key).
    Hashed {
        keyed: Box<Hmac<sha1::Sha1>>,
        hash: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    patterns: Vec<Pattern>,
    /// The key as written (`ALG BASE64`), parsed when a check first reaches
    /// the entry: a fleet's file has a line per device and a run checks a
    /// few of them (parsing the keys was 13 of the 19 ms a 10,000-line file
    /// took to load).
    key_text: Box<str>,
    key: OnceLock<Option<PublicKey>>,
    revoked: bool,
    file: Arc<Path>,
    line: usize,
}

impl Entry {
    /// The entry's key; `None` for one that does not parse, which OpenSSH
    /// ignores as well.
    fn key(&self) -> Option<&PublicKey> {
        self.key
            .get_or_init(|| PublicKey::from_openssh(&self.key_text).ok())
            .as_ref()
    }
}

/// All entries of a set of known_hosts files.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
    /// Entries (not revoked) by the hosts they name: a lab's or a fleet's
    /// file has an entry per device, and checking each of 10,000 devices
    /// against every line cost seconds.
    index: NameIndex,
    /// `@revoked` entries, checked first wherever they are (as OpenSSH
    /// refuses a revoked key whatever else the files say of it).
    revoked: Vec<usize>,
    /// Files that were read (for error messages).
    pub files: Vec<PathBuf>,
}

/// What the known_hosts files say about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A matching entry holds this key.
    Trusted,
    /// No entry for this host and key type.
    Unknown,
    /// An entry for this host and key type holds another key.
    Changed {
        /// File holding the old key.
        file: PathBuf,
        /// Its line (1-based).
        line: usize,
    },
    /// The key is marked `@revoked`.
    Revoked {
        /// File holding the mark.
        file: PathBuf,
        /// Its line.
        line: usize,
    },
}

impl KnownHosts {
    /// Read `files`; missing files are skipped, unparsable lines ignored as
    /// OpenSSH ignores them.
    pub fn load(files: &[PathBuf]) -> KnownHosts {
        let mut kh = KnownHosts::default();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(f) {
                kh.add_text(&text, f);
                kh.files.push(f.clone());
            }
        }
        kh
    }

    /// Add the entries of one file's text.
    pub fn add_text(&mut self, text: &str, file: &Path) {
        let file: Arc<Path> = Arc::from(file);
        for (i, line) in text.lines().enumerate() {
            if let Some(entry) = parse_line(line, &file, i + 1) {
                if entry.revoked {
                    self.revoked.push(self.entries.len());
                } else {
                    self.index(&entry);
                }
                self.entries.push(entry);
            }
        }
    }

    /// Record where `entry` (about to be pushed) can match.
    fn index(&mut self, entry: &Entry) {
        let mut literal = Vec::new();
        for p in &entry.patterns {
            match p {
                Pattern::Plain { negated: true, .. } => {}
                Pattern::Plain { pattern, .. } if !pattern.contains(['*', '?']) => {
                    literal.push(pattern.as_str())
                }
                _ => {
                    self.index.add(self.entries.len(), None::<Vec<&str>>);
                    return;
                }
            }
        }
        self.index.add(self.entries.len(), Some(literal));
    }

    /// Judge `key` offered by `host:port`: revoked if an `@revoked` entry
    /// for the host holds it; else trusted if any entry for the host holds
    /// it; else changed if one holds another key of its type (the first in
    /// file order is named); else unknown. Entries naming the host
    /// literally are looked at before the wildcard and hashed ones, which
    /// are only gone through when none of them trusts the key: a hashed
    /// file of thousands of lines (OpenSSH's `HashKnownHosts`) costs an
    /// HMAC a line for each device checked against it.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        let name = host_name(host, port);
        for e in self.revoked.iter().map(|&i| &self.entries[i]) {
            if matches(&e.patterns, &name)
                && e.key().is_some_and(|k| k.key_data() == key.key_data())
            {
                return Verdict::Revoked {
                    file: e.file.to_path_buf(),
                    line: e.line,
                };
            }
        }
        let (named, scanned) = self.index.candidates(&name);
        // The first entry (in file order) holding another key of its type.
        let mut changed: Option<usize> = None;
        for list in [named, scanned] {
            for &i in list {
                let e = &self.entries[i];
                if !matches(&e.patterns, &name) {
                    continue;
                }
                let Some(known) = e.key() else {
                    continue;
                };
                if known.key_data() == key.key_data() {
                    return Verdict::Trusted;
                }
                if known.algorithm() == key.algorithm() {
                    changed = Some(changed.map_or(i, |c| c.min(i)));
                }
            }
        }
        match changed.map(|i| &self.entries[i]) {
            Some(e) => Verdict::Changed {
                file: e.file.to_path_buf(),
                line: e.line,
            },
            None => Verdict::Unknown,
        }
    }
}

/// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise.
pub fn host_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// A known_hosts line for `key`, as `accept-new` appends it.
pub fn entry_line(host: &str, port: u16, key: &PublicKey) -> String {
    let text = key.to_openssh().unwrap_or_default();
    // to_openssh() may append a comment; keep algorithm and base64 only.
    let mut parts = text.split_whitespace();
    let alg = parts.next().unwrap_or_default();
    let b64 = parts.next().unwrap_or_default();
    format!("{} {alg} {b64}", host_name(host, port))
}

/// Record `line` in `file` (`accept-new`), creating the file and its
/// folder, off the async threads: file I/O blocks, and many sessions may
/// accept keys at once. A failure is logged: the session goes on with the
/// key accepted, as OpenSSH does.
pub async fn append(file: PathBuf, line: String) {
    let written = tokio::task::spawn_blocking(move || {
        let result = append_blocking(&file, &line);
        (file, result)
    })
    .await;
    match written {
        Ok((_, Ok(()))) => {}
        Ok((file, Err(e))) => {
            tracing::warn!(file = %file.display(), error = %e, "cannot record accepted host key")
        }
        Err(e) => tracing::warn!(error = %e, "recording an accepted host key did not finish"),
    }
}

/// Append `line` unless this process already wrote it there. Appends are
/// serialised so lines of concurrent sessions never interleave, and a
/// device reached by many sessions of one run is recorded once.
fn append_blocking(file: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    static WRITTEN: std::sync::Mutex<Vec<(PathBuf, String)>> = std::sync::Mutex::new(Vec::new());
    let mut written = WRITTEN.lock().unwrap_or_else(|p| p.into_inner());
    let key = (file.to_path_buf(), line.to_string());
    if written.contains(&key) {
        return Ok(());
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    writeln!(f, "{line}")?;
    written.push(key);
    Ok(())
}

/// SHA-256 fingerprint as OpenSSH prints it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn parse_line(line: &str, file: &Arc<Path>, number: usize) -> Option<Entry> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let mut revoked = false;
    if first.starts_with('@') {
        match first {
            "@revoked" => revoked = true,
            // @cert-authority lines name CAs, not host keys: not used here.
            _ => return None,
        }
        first = fields.next()?;
    }
    let alg = fields.next()?;
    let b64 = fields.next()?;
    let patterns = first.split(',').filter_map(parse_pattern).collect();
    Some(Entry {
        patterns,
        key_text: format!("{alg} {b64}").into(),
        key: OnceLock::new(),
        revoked,
        file: Arc::clone(file),
        line: number,
    })
}

fn parse_pattern(p: &str) -> Option<Pattern> {
    if let Some(rest) = p.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|')?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let keyed = Hmac::<sha1::Sha1>::new_from_slice(&b64.decode(salt).ok()?).ok()?;
        return Some(Pattern::Hashed {
            keyed: Box::new(keyed),
            hash: b64.decode(hash).ok()?,
        });
    }
    let (negated, pattern) = match p.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, p),
    };
    Some(Pattern::Plain {
        pattern: pattern.to_string(),
        negated,
    })
}

fn matches(patterns: &[Pattern], name: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        match p {
            Pattern::Plain { pattern, negated } => {
                if glob(pattern, name) {
                    if *negated {
                        return false;
                    }
                    hit = true;
                }
            }
            Pattern::Hashed { keyed, hash } => {
                let mut mac = (**keyed).clone();
                mac.update(name.as_bytes());
                if mac.verify_slice(hash).is_ok() {
                    hit = true;
                }
            }
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G1sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";
    const KEY_C: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILFakWCgtifN+3E8wpichyBSW2rsozIFYlUnpOkYXx4l";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    fn kh(text: &str) -> KnownHosts {
        let mut k = KnownHosts::default();
        k.add_text(text, Path::new("kh"));
        k
    }

    #[test]
    fn bracketed_port_entries_match_only_their_port() {
        let k = kh(&format!("[10.0.0.1]:2222 {KEY_A}\n"));
        assert_eq!(k.check("10.0.0.1", 2222, &key(KEY_A)), Verdict::Trusted);
        assert_eq!(k.check("10.0.0.1", 22, &key(KEY_A)), Verdict::Unknown);
    }

    #[test]
    fn a_line_whose_key_does_not_parse_is_ignored_when_checked() {
        let k = kh(&format!(
            "r1 ssh-ed25519 AAAAnotbase64!!\nr1 ssh-ed25519\nr1 {KEY_B}\n"
        ));
        // The broken lines neither trust nor count as a changed key…
        assert_eq!(k.check("r1", 22, &key(KEY_B)), Verdict::Trusted);
        assert_eq!(
            k.check("r1", 22, &key(KEY_A)),
            Verdict::Changed {
                file: "kh".into(),
                line: 3
            }
        );
        // …and a host only they name is unknown.
        let k = kh("r2 ssh-ed25519 AAAAnotbase64!!\n");
        assert_eq!(k.check("r2", 22, &key(KEY_A)), Verdict::Unknown);
    }

    #[test]
    fn changed_key_names_the_file_and_line() {
        let k = kh(&format!("# comment\nr1,10.0.0.1 {KEY_A}\n"));
        assert_eq!(
            k.check("r1", 22, &key(KEY_B)),
            Verdict::Changed {
                file: "kh".into(),
                line: 2
            }
        );
    }

    #[test]
    fn hashed_entries_match_their_host() {
        let k = kh(&hashed_line("[127.0.0.1]:2200", KEY_A));
        assert_eq!(k.check("127.0.0.1", 2200, &key(KEY_A)), Verdict::Trusted);
        assert_eq!(k.check("127.0.0.2", 2200, &key(KEY_A)), Verdict::Unknown);
    }

    /// A hashed known_hosts line for `name` holding `key`.
    fn hashed_line(name: &str, key: &str) -> String {
        let salt = format!("salt-for-{name}");
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt.as_bytes()).unwrap();
        mac.update(name.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD;
        format!(
            "|1|{}|{} {key}\n",
            b64.encode(&salt),
            b64.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn hashed_and_literal_entries_are_judged_together() {
        // A hashed entry for r1 with another key, then a literal one
        // trusting r1's key: trusted, whichever comes first.
        let text = format!("{}r1 {KEY_A}\n", hashed_line("r1", KEY_B));
        assert_eq!(kh(&text).check("r1", 22, &key(KEY_A)), Verdict::Trusted);
        let text = format!("r1 {KEY_B}\n{}", hashed_line("r1", KEY_A));
        assert_eq!(kh(&text).check("r1", 22, &key(KEY_A)), Verdict::Trusted);
        // Neither holds it: the first entry in file order is named, hashed
        // or not.
        let text = format!("{}r1 {KEY_B}\n", hashed_line("r1", KEY_B));
        assert_eq!(
            kh(&text).check("r1", 22, &key(KEY_C)),
            Verdict::Changed {
                file: "kh".into(),
                line: 1
            }
        );
        // Thousands of hashed lines for other hosts change nothing.
        let mut text: String = (0..2_000)
            .map(|i| hashed_line(&format!("10.1.{}.{}", i / 250, i % 250), KEY_B))
            .collect();
        text.push_str(&format!("r1 {KEY_A}\n"));
        let k = kh(&text);
        assert_eq!(k.check("r1", 22, &key(KEY_A)), Verdict::Trusted);
        assert_eq!(k.check("10.1.7.249", 22, &key(KEY_B)), Verdict::Trusted);
        assert_eq!(k.check("10.1.8.0", 22, &key(KEY_B)), Verdict::Unknown);
    }

    #[test]
    fn a_revoked_key_is_refused_wherever_its_mark_is() {
        // OpenSSH refuses a revoked key even where an earlier line trusts it.
        let k = kh(&format!("r1 {KEY_A}\n@revoked r1 {KEY_A}\n"));
        assert_eq!(
            k.check("r1", 22, &key(KEY_A)),
            Verdict::Revoked {
                file: "kh".into(),
                line: 2
            }
        );
        // A mark for another host or another key does not touch it.
        let k = kh(&format!(
            "r1 {KEY_A}\n@revoked r2 {KEY_A}\n@revoked r1 {KEY_B}\n"
        ));
        assert_eq!(k.check("r1", 22, &key(KEY_A)), Verdict::Trusted);
    }

    #[test]
    fn a_pattern_of_many_stars_does_not_backtrack_without_end() {
        let pattern = format!("{}b", "*a".repeat(30));
        // A recursive matcher tries every way to split 200 characters
        // among 30 stars here, and does not return.
        let name = "a".repeat(200);
        assert!(!glob(&pattern, &name));
        assert!(glob(&pattern, &format!("{name}b")));
    }

    #[test]
    fn wildcards_negation_and_revocation() {
        let k = kh(&format!("*.lab,!bad.lab {KEY_A}\n@revoked * {KEY_B}\n"));
        assert_eq!(k.check("r1.lab", 22, &key(KEY_A)), Verdict::Trusted);
        assert_eq!(k.check("bad.lab", 22, &key(KEY_A)), Verdict::Unknown);
        assert!(matches!(
            k.check("x", 22, &key(KEY_B)),
            Verdict::Revoked { .. }
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accepted_keys_are_appended_once_each_without_interleaving() {
        let dir = std::env::temp_dir().join(format!("netrun-kh-append-{}", std::process::id()));
        let file = dir.join("sub").join("known_hosts");
        let lines: Vec<String> = (0..20)
            .map(|i| entry_line("10.0.0.1", 2000 + i, &key(KEY_A)))
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        // Every line three times, all at once: each must land exactly once.
        for _ in 0..3 {
            for line in &lines {
                let (file, line) = (file.clone(), line.clone());
                tasks.spawn(async move { append(file, line).await });
            }
        }
        tasks.join_all().await;
        let text = std::fs::read_to_string(&file).unwrap();
        let mut got: Vec<&str> = text.lines().collect();
        got.sort();
        let mut want: Vec<&str> = lines.iter().map(String::as_str).collect();
        want.sort();
        assert_eq!(got, want);
        let k = KnownHosts::load(std::slice::from_ref(&file));
        assert_eq!(k.check("10.0.0.1", 2007, &key(KEY_A)), Verdict::Trusted);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn literal_and_wildcard_entries_are_judged_in_file_order() {
        // A wildcard entry with another key comes first: the literal entry
        // further down still trusts the key, and case does not matter.
        let mut text = format!("*.LAB {KEY_B}\n");
        for i in 0..1_000 {
            text.push_str(&format!(
                "[10.0.{}.{}]:22{i:02} {KEY_B}\n",
                i / 250,
                i % 250
            ));
        }
        text.push_str(&format!("R1.lab,!r2.lab {KEY_A}\n"));
        let k = kh(&text);
        assert_eq!(k.check("r1.lab", 22, &key(KEY_A)), Verdict::Trusted);
        assert_eq!(
            k.check("r3.lab", 22, &key(KEY_A)),
            Verdict::Changed {
                file: "kh".into(),
                line: 1
            }
        );
        assert_eq!(k.check("10.0.3.249", 22999, &key(KEY_B)), Verdict::Trusted);
        assert_eq!(k.check("10.0.3.249", 22998, &key(KEY_B)), Verdict::Unknown);
    }

    #[test]
    fn entry_line_round_trips() {
        let line = entry_line("127.0.0.1", 2022, &key(KEY_A));
        assert!(line.starts_with("[127.0.0.1]:2022 ssh-ed25519 AAAA"));
        assert_eq!(
            kh(&line).check("127.0.0.1", 2022, &key(KEY_A)),
            Verdict::Trusted
        );
    }
}
