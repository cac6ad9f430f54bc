//! Inventory: Nornir's SimpleInventory (hosts.yaml, groups.yaml,
//! defaults.yaml) read as is, with group and defaults inheritance, and the
//! filters of `--hosts`, `--groups` and `--filter`.

use crate::secret::Secret;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub mod explain;
pub mod yaml;

/// Why an inventory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A file could not be read.
    #[error("cannot read inventory file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid YAML of the expected shape.
    #[error("inventory file {path} is malformed: {source}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: yaml::YamlError,
    },
    /// A group's `max_sessions` that is not a positive whole number.
    #[error(
        "inventory file {path} is malformed: group {group}: connection_options.netrun.extras.max_sessions must be a positive whole number, got {value}"
    )]
    BadMaxSessions {
        /// The groups file.
        path: PathBuf,
        /// The group.
        group: String,
        /// The value as written.
        value: Value,
    },
    /// A host or group refers to a group that does not exist.
    #[error(
        "{owner} refers to group `{group}`, which is not defined in {groups_file}: add it there or remove the reference"
    )]
    UnknownGroup {
        /// `host r001` or `group site-a`.
        owner: String,
        /// The missing group.
        group: String,
        /// Where groups are read from.
        groups_file: PathBuf,
    },
    /// Groups that include each other.
    #[error("group `{0}` includes itself through its groups: break the cycle in groups.yaml")]
    GroupCycle(String),
    /// A filter expression that cannot be understood.
    #[error(
        "bad filter `{0}`: use key=value, key!=value or key~=regex, e.g. --filter platform=cisco_ios, --filter role!=core or --filter 'hostname~=^spine'"
    )]
    BadFilter(String),
    /// A `~=` filter whose regular expression does not compile.
    #[error("bad regular expression in filter `{filter}`: {message}")]
    BadRegex {
        /// The filter as given.
        filter: String,
        /// What the regex compiler said.
        message: String,
    },
    /// A key of `connection_options.netrun.extras` netrun does not know.
    #[error(
        "{path}: {owner}: connection_options.netrun.extras has an unknown key `{key}`{hint}: known keys are {known}"
    )]
    UnknownExtra {
        /// The file.
        path: PathBuf,
        /// `host r1`, `group site-a` or `defaults`.
        owner: String,
        /// The key as written.
        key: String,
        /// ` (did you mean `x`?)` or nothing.
        hint: String,
        /// Every known key, comma-separated.
        known: String,
    },
}

/// Keys of `connection_options.netrun.extras` (host, group or defaults).
pub const NETRUN_EXTRAS: &[&str] = &[
    "timeouts",
    "max_sessions",
    "known_hosts",
    "secret",
    "key_file",
    "key_files",
    "key_passphrase",
    "use_agent",
    "proxy_jump",
    "jump_password",
    "legacy_algorithms",
    "kex",
    "host_key_algorithms",
    "ciphers",
    "macs",
    "password_env",
    "password_command",
];

/// The known word closest to `word` (a typo's likely meaning), if any is
/// close enough to be a plausible misspelling.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        // Damerau: a swap of two letters (`cisco_iso`) is one typo.
        .map(|k| (strsim::damerau_levenshtein(word, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// ` (did you mean `x`?)` for the closest known key, or nothing.
pub fn did_you_mean(word: &str, known: &[&str]) -> String {
    closest(word, known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// Connection options of one connection plugin (`netrun`, `netmiko`,
/// `scrapli`, `napalm`), as Nornir stores them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawConnectionOptions {
    hostname: Option<String>,
    #[serde(deserialize_with = "port")]
    port: Option<u16>,
    username: Option<String>,
    password: Option<String>,
    platform: Option<String>,
    extras: Option<Map<String, Value>>,
}

/// One entry of hosts.yaml, groups.yaml or defaults.yaml: the same shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawEntry {
    hostname: Option<String>,
    #[serde(deserialize_with = "port")]
    port: Option<u16>,
    username: Option<String>,
    password: Option<String>,
    platform: Option<String>,
    #[serde(deserialize_with = "group_list")]
    groups: Vec<String>,
    data: Map<String, Value>,
    connection_options: BTreeMap<String, RawConnectionOptions>,
}

/// A `port:` as operators write it: a number from 1 to 65535 (or the same
/// digits quoted); anything else is refused naming the value and the range,
/// rather than as "invalid u16" (and port 0, which nothing can dial).
fn port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    struct Port;
    impl serde::de::Visitor<'_> for Port {
        type Value = Option<u16>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a TCP port number from 1 to 65535")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.visit_unit()
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            match u16::try_from(n) {
                Ok(p) if p > 0 => Ok(Some(p)),
                _ => Err(not_a_port(n)),
            }
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            match u64::try_from(n) {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(not_a_port(n)),
            }
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            match s.trim().parse::<u64>() {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(not_a_port(format_args!("`{s}`"))),
            }
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
            Err(not_a_port(n))
        }
    }
    d.deserialize_any(Port)
}

/// The error of a `port:` that is not one, `shown` as written.
fn not_a_port<E: serde::de::Error>(shown: impl std::fmt::Display) -> E {
    E::custom(format_args!(
        "port {shown} is not a TCP port (give a whole number from 1 to 65535)"
    ))
}

/// `groups:` as Nornir has it, a list of group names; a single name
/// written without the list is refused saying how to write it.
fn group_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Groups;
    impl<'de> serde::de::Visitor<'de> for Groups {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of group names")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.visit_unit()
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Err(E::custom(format_args!(
                "groups must be a list of group names (write `groups: [{s}]`)"
            )))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(g) = seq.next_element::<String>()? {
                out.push(g);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Groups)
}

/// A device of the inventory with everything inherited resolved.
#[derive(Debug, Clone)]
pub struct Host {
    /// Inventory name.
    pub name: String,
    /// Address to dial; the name itself when none is set.
    pub hostname: String,
    /// SSH port.
    pub port: u16,
    /// Whether the inventory sets the port (else ssh_config's `Port` applies).
    pub port_explicit: bool,
    /// Login user.
    pub username: Option<String>,
    /// Login password.
    pub password: Option<Secret>,
    /// Enable / privilege secret (`auth_secondary`).
    pub enable_secret: Option<Secret>,
    /// Netmiko / Scrapli `device_type`.
    pub platform: Option<String>,
    /// Groups, nearest first, including groups of groups.
    pub groups: Vec<String>,
    /// Merged `data`: host over groups over defaults.
    pub data: Map<String, Value>,
    /// known_hosts files named in the inventory, resolved against its folder.
    pub known_hosts_files: Vec<PathBuf>,
    /// `netrun` connection extras (timeouts and the like), merged.
    pub extras: Map<String, Value>,
    /// The device's HTTP API (`connection_options.http`), when it has one.
    pub http: Option<HttpOptions>,
}

/// `connection_options.http` of a device: where its REST / JSON-RPC API
/// (Arista eAPI, RESTCONF, NX-API) listens and how to log in. Unset fields
/// fall back to the host's own `hostname`, `username` and `password`.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Address of the API; the host's `hostname` when unset.
    pub hostname: Option<String>,
    /// Port; the scheme's default when unset.
    pub port: Option<u16>,
    /// API user; the host's `username` when unset.
    pub username: Option<String>,
    /// API password; the host's `password` when unset.
    pub password: Option<Secret>,
    /// `scheme` (https), `base_path`, `verify` (TLS), merged.
    pub extras: Map<String, Value>,
    /// `extras.ca_file`, resolved against the inventory folder.
    pub ca_file: Option<PathBuf>,
}

/// A loaded inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Hosts sorted by name.
    pub hosts: Vec<Host>,
    /// The folder the files came from.
    pub dir: PathBuf,
    /// Devices of a group worked on at once, from the group's own
    /// `connection_options.netrun.extras.max_sessions`.
    pub group_limits: BTreeMap<String, usize>,
    /// Every group defined in groups.yaml.
    pub group_names: Vec<String>,
}

/// Which hosts of an inventory a run targets. Empty fields select all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Host names or glob patterns (`spine*`, `r00?`, `r0[0-4]*`).
    pub hosts: Vec<String>,
    /// Hosts in any of these groups.
    pub groups: Vec<String>,
    /// Field conditions, all of which must hold.
    pub fields: Vec<FieldMatch>,
}

/// One `--filter` condition.
#[derive(Debug, Clone)]
pub struct FieldMatch {
    /// Inventory field (`platform`, `data.site`, …).
    pub key: String,
    /// How the value is compared.
    pub op: FieldOp,
}

/// Comparison of a `--filter`.
#[derive(Debug, Clone)]
pub enum FieldOp {
    /// `key=value`: the field is this value.
    Is(String),
    /// `key!=value`: the field is missing or another value.
    IsNot(String),
    /// `key~=regex`: the field is set and the regex matches somewhere in it.
    Matches(regex::Regex),
}

impl FieldMatch {
    /// Parse `key=value`, `key!=value` or `key~=regex`.
    #[allow(clippy::type_complexity)] // one local (length, constructor) pair
    pub fn parse(expr: &str) -> Result<FieldMatch, InventoryError> {
        let bad = || InventoryError::BadFilter(expr.to_string());
        let eq = expr.find('=').ok_or_else(bad)?;
        let (op_len, make): (usize, fn(&str, &str) -> Result<FieldOp, InventoryError>) =
            match expr[..eq].chars().last() {
                Some('!') => (1, |_, v| Ok(FieldOp::IsNot(v.to_string()))),
                Some('~') => (1, |f, v| {
                    regex::Regex::new(v).map(FieldOp::Matches).map_err(|e| {
                        InventoryError::BadRegex {
                            filter: f.to_string(),
                            message: e
                                .to_string()
                                .lines()
                                .last()
                                .unwrap_or("")
                                .trim()
                                .to_string(),
                        }
                    })
                }),
                _ => (0, |_, v| Ok(FieldOp::Is(v.to_string()))),
            };
        let key = expr[..eq - op_len].trim();
        let value = expr[eq + 1..].trim();
        // Keys are names and dotted paths; anything else is syntax we do
        // not support (`role>=3`, `role==core`), refused rather than read
        // as a key that no host has.
        let key_ok = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !key_ok || value.starts_with('=') {
            return Err(bad());
        }
        Ok(FieldMatch {
            key: key.to_string(),
            op: make(expr, value)?,
        })
    }

    /// Whether `host` satisfies the condition.
    pub fn matches(&self, host: &Host) -> bool {
        let value = field(host, &self.key);
        match &self.op {
            FieldOp::Is(v) => value.as_deref() == Some(v.as_str()),
            FieldOp::IsNot(v) => value.as_deref() != Some(v.as_str()),
            FieldOp::Matches(re) => value.is_some_and(|s| re.is_match(&s)),
        }
    }
}

/// One piece of a host glob.
enum GlobToken {
    /// `*`: any run of characters, none included.
    Star,
    /// `?`: one character.
    Any,
    /// `[…]`: one character of the set (`[!…]` or `[^…]`: not of it), as
    /// (negated, (low, high) ranges; a lone character is its own range).
    Class(bool, Vec<(char, char)>),
    /// Itself.
    Char(char),
}

/// `pattern` as glob tokens; a `[` with no closing `]` is itself.
fn glob_tokens(pattern: &str) -> Vec<GlobToken> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => out.push(GlobToken::Star),
            '?' => out.push(GlobToken::Any),
            '[' => {
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!' | '^'));
                if negated {
                    j += 1;
                }
                // A `]` right after the opening (or its `!`) is a member.
                let first = j;
                while j < chars.len() && (chars[j] != ']' || j == first) {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push(GlobToken::Char('['));
                    i += 1;
                    continue;
                }
                let members = &chars[first..j];
                let mut ranges = Vec::new();
                let mut k = 0;
                while k < members.len() {
                    if k + 2 < members.len() && members[k + 1] == '-' {
                        ranges.push((members[k], members[k + 2]));
                        k += 3;
                    } else {
                        ranges.push((members[k], members[k]));
                        k += 1;
                    }
                }
                out.push(GlobToken::Class(negated, ranges));
                i = j;
            }
            c => out.push(GlobToken::Char(c)),
        }
        i += 1;
    }
    out
}

/// Whether `name` matches `pattern`: `*` any run of characters, `?` one,
/// `[abc]`, `[a-z]` one of a set (`[!…]` none of it), everything else
/// literally (shell globs, as `--hosts 'spine*'` or `--hosts 'r0[0-4]*'`).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    tokens_match(&glob_tokens(pattern), name)
}

/// Whether `name` matches the glob tokens `p` (see [`glob_match`]).
fn tokens_match(p: &[GlobToken], name: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let one = |t: &GlobToken, c: char| match t {
        GlobToken::Any => true,
        GlobToken::Char(x) => *x == c,
        GlobToken::Class(negated, ranges) => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
        // A star matches runs, below; never one character here.
        GlobToken::Star => false,
    };
    // Iterative matching with one backtrack point: linear for typical patterns.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && one(&p[pi], n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && matches!(p[pi], GlobToken::Star) {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|t| matches!(t, GlobToken::Star))
}

impl Filter {
    /// Parse `key=value`, `key!=value` and `key~=regex` filters as given on
    /// the command line.
    pub fn with_fields(mut self, exprs: &[String]) -> Result<Self, InventoryError> {
        for e in exprs {
            self.fields.push(FieldMatch::parse(e)?);
        }
        Ok(self)
    }

    /// Whether `host` passes the filter.
    pub fn matches(&self, host: &Host) -> bool {
        self.matches_with(&HostPatterns::new(&self.hosts), host)
    }

    /// [`Filter::matches`], with the filter's host patterns prepared.
    fn matches_with(&self, patterns: &HostPatterns<'_>, host: &Host) -> bool {
        if !self.hosts.is_empty() && !patterns.matches(&host.name) {
            return false;
        }
        if !self.groups.is_empty() && !self.groups.iter().any(|g| host.groups.contains(g)) {
            return false;
        }
        self.fields.iter().all(|f| f.matches(host))
    }
}

/// A filter's `--hosts` patterns, ready for many hosts: names without a
/// glob character found in a set, globs read into tokens once. A host list
/// of thousands of names (`--hosts @file`) against an inventory of
/// thousands of hosts was a glob match of every pair: 3.4 s of CPU for
/// 5,000 names over 10,000 hosts.
struct HostPatterns<'a> {
    names: HashSet<&'a str>,
    globs: Vec<Vec<GlobToken>>,
}

impl<'a> HostPatterns<'a> {
    fn new(patterns: &'a [String]) -> HostPatterns<'a> {
        let mut names = HashSet::new();
        let mut globs = Vec::new();
        for p in patterns {
            if p.contains(['*', '?', '[']) {
                globs.push(glob_tokens(p));
            } else {
                names.insert(p.as_str());
            }
        }
        HostPatterns { names, globs }
    }

    fn matches(&self, name: &str) -> bool {
        self.names.contains(name) || self.globs.iter().any(|g| tokens_match(g, name))
    }
}

/// The value of inventory field `key` for `host` as text: `name`, `hostname`,
/// `port`, `platform`, `username`, `group` (any group), `data.x.y`, or a key
/// of `data`.
fn field(host: &Host, key: &str) -> Option<String> {
    match key {
        "name" => Some(host.name.clone()),
        "hostname" => Some(host.hostname.clone()),
        "port" => Some(host.port.to_string()),
        "platform" => host.platform.clone(),
        "username" => host.username.clone(),
        _ => {
            let path = key.strip_prefix("data.").unwrap_or(key);
            let mut v = host.data.get(path.split('.').next()?)?;
            for part in path.split('.').skip(1) {
                v = v.get(part)?;
            }
            Some(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        }
    }
}

impl Inventory {
    /// Load from a hosts file, or from a folder holding hosts.yaml. groups.yaml
    /// and defaults.yaml beside it are optional.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let (dir, hosts_file) = files_of(path);
        let hosts: BTreeMap<String, Option<RawEntry>> = read_yaml(&hosts_file, true)?;
        let groups_file = dir.join("groups.yaml");
        let groups: BTreeMap<String, Option<RawEntry>> = read_yaml(&groups_file, false)?;
        let groups: BTreeMap<String, RawEntry> = groups
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        let defaults: Option<RawEntry> = read_yaml(&dir.join("defaults.yaml"), false)?;
        let defaults = defaults.unwrap_or_default();
        check_extras(
            &hosts_file,
            "host",
            hosts.iter().map(|(k, v)| (k, v.as_ref())),
        )?;
        check_extras(
            &groups_file,
            "group",
            groups.iter().map(|(k, v)| (k, Some(v))),
        )?;
        let defaults_name = String::new();
        check_extras(
            &dir.join("defaults.yaml"),
            "defaults",
            std::iter::once((&defaults_name, Some(&defaults))),
        )?;

        let mut out = Vec::with_capacity(hosts.len());
        for (name, entry) in hosts {
            let entry = entry.unwrap_or_default();
            let chain = group_chain(
                &format!("host {name}"),
                &entry.groups,
                &groups,
                &groups_file,
            )?;
            out.push(resolve(&name, &entry, &chain, &groups, &defaults, &dir));
        }
        let mut group_limits = BTreeMap::new();
        for (name, group) in &groups {
            if let Some(limit) =
                group_limit(group).map_err(|value| InventoryError::BadMaxSessions {
                    path: groups_file.clone(),
                    group: name.clone(),
                    value,
                })?
            {
                group_limits.insert(name.clone(), limit);
            }
        }
        Ok(Inventory {
            hosts: out,
            dir,
            group_limits,
            group_names: groups.keys().cloned().collect(),
        })
    }

    /// Hosts that pass `filter`, in name order.
    pub fn select(&self, filter: &Filter) -> Vec<Host> {
        let patterns = HostPatterns::new(&filter.hosts);
        self.hosts
            .iter()
            .filter(|h| filter.matches_with(&patterns, h))
            .cloned()
            .collect()
    }
}

/// Refuse keys of `connection_options.netrun.extras` netrun does not know
/// (a misspelt `legacy_algoritms` would otherwise be ignored silently).
fn check_extras<'a>(
    path: &Path,
    kind: &str,
    entries: impl Iterator<Item = (&'a String, Option<&'a RawEntry>)>,
) -> Result<(), InventoryError> {
    for (name, entry) in entries {
        let Some(extras) = entry
            .and_then(|e| e.connection_options.get("netrun"))
            .and_then(|o| o.extras.as_ref())
        else {
            continue;
        };
        if let Some(key) = extras.keys().find(|k| !NETRUN_EXTRAS.contains(&k.as_str())) {
            return Err(InventoryError::UnknownExtra {
                path: path.to_path_buf(),
                owner: if name.is_empty() {
                    kind.to_string()
                } else {
                    format!("{kind} {name}")
                },
                key: key.clone(),
                hint: did_you_mean(key, NETRUN_EXTRAS),
                known: NETRUN_EXTRAS.join(", "),
            });
        }
    }
    Ok(())
}

/// The inventory folder and hosts file of `path` (hosts.yaml or its folder).
fn files_of(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        (path.to_path_buf(), path.join("hosts.yaml"))
    } else {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (dir, path.to_path_buf())
    }
}

/// A group's own `connection_options.netrun.extras.max_sessions`; the
/// value as written when it is not a positive whole number.
fn group_limit(group: &RawEntry) -> Result<Option<usize>, Value> {
    let Some(v) = group
        .connection_options
        .get("netrun")
        .and_then(|o| o.extras.as_ref())
        .and_then(|e| e.get("max_sessions"))
    else {
        return Ok(None);
    };
    match v.as_u64() {
        Some(n) if n > 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        _ => Err(v.clone()),
    }
}

fn read_yaml<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
    required: bool,
) -> Result<T, InventoryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(source) => {
            return Err(InventoryError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    yaml::from_str(&text).map_err(|source| InventoryError::Malformed {
        path: path.to_path_buf(),
        source: with_shape_hint(path, &text, source),
    })
}

/// A file written as a YAML list (`- r1`) where a mapping is expected: the
/// parser says only "expected mapping start"; say what the file must hold.
fn with_shape_hint(path: &Path, text: &str, e: yaml::YamlError) -> yaml::YamlError {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && *l != "---");
    match (&e, first) {
        (yaml::YamlError::Invalid(why), Some(line)) if line.starts_with('-') => {
            let shape = match path.file_name().and_then(|n| n.to_str()) {
                Some("defaults.yaml") => "one setting per line (`username: admin`)",
                Some("groups.yaml") => {
                    "each group's name followed by `:`, its settings indented below it (`core:` then `  platform: cisco_ios`)"
                }
                _ => {
                    "each host's name followed by `:`, its settings indented below it (`r1:` then `  hostname: 10.0.0.1`)"
                }
            };
            yaml::YamlError::Invalid(format!(
                "{why}: the file is a list, and must be a mapping: {shape}"
            ))
        }
        _ => e,
    }
}

/// Groups of an entry in Nornir's resolution order: each group, then its own
/// groups depth-first, each group once.
fn group_chain(
    owner: &str,
    direct: &[String],
    groups: &BTreeMap<String, RawEntry>,
    groups_file: &Path,
) -> Result<Vec<String>, InventoryError> {
    fn walk(
        owner: &str,
        names: &[String],
        groups: &BTreeMap<String, RawEntry>,
        groups_file: &Path,
        stack: &mut Vec<String>,
        out: &mut Vec<String>,
    ) -> Result<(), InventoryError> {
        for g in names {
            if stack.contains(g) {
                return Err(InventoryError::GroupCycle(g.clone()));
            }
            let entry = groups.get(g).ok_or_else(|| InventoryError::UnknownGroup {
                owner: owner.to_string(),
                group: g.clone(),
                groups_file: groups_file.to_path_buf(),
            })?;
            if !out.contains(g) {
                out.push(g.clone());
            }
            stack.push(g.clone());
            walk(
                &format!("group {g}"),
                &entry.groups,
                groups,
                groups_file,
                stack,
                out,
            )?;
            stack.pop();
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(
        owner,
        direct,
        groups,
        groups_file,
        &mut Vec::new(),
        &mut out,
    )?;
    Ok(out)
}

fn resolve(
    name: &str,
    host: &RawEntry,
    chain: &[String],
    groups: &BTreeMap<String, RawEntry>,
    defaults: &RawEntry,
    dir: &Path,
) -> Host {
    // Most specific first: the host, its groups in order, then defaults.
    let layers: Vec<&RawEntry> = std::iter::once(host)
        .chain(chain.iter().filter_map(|g| groups.get(g)))
        .chain(std::iter::once(defaults))
        .collect();
    let first = |f: &dyn Fn(&RawEntry) -> Option<String>| layers.iter().find_map(|l| f(l));

    let mut data = Map::new();
    for layer in layers.iter().rev() {
        for (k, v) in &layer.data {
            data.insert(k.clone(), v.clone());
        }
    }
    // Connection options of every layer, most specific last so it wins.
    let mut options: BTreeMap<&str, RawConnectionOptions> = BTreeMap::new();
    for layer in layers.iter().rev() {
        for (plugin, o) in &layer.connection_options {
            let slot = options.entry(plugin.as_str()).or_default();
            merge_options(slot, o);
        }
    }
    let netrun = options.get("netrun").cloned().unwrap_or_default();
    let extras = netrun.extras.clone().unwrap_or_default();
    let extra_str = |plugin: &str, key: &str| -> Option<String> {
        options
            .get(plugin)?
            .extras
            .as_ref()?
            .get(key)?
            .as_str()
            .map(str::to_string)
    };
    // The enable secret where Nornir users keep it for each connection plugin.
    let enable_secret = extra_str("netrun", "secret")
        .or_else(|| extra_str("netmiko", "secret"))
        .or_else(|| extra_str("scrapli", "auth_secondary"))
        .or_else(|| {
            options
                .get("napalm")?
                .extras
                .as_ref()?
                .get("optional_args")?
                .get("secret")?
                .as_str()
                .map(str::to_string)
        });
    let http = options.get("http").map(|o| {
        let extras = o.extras.clone().unwrap_or_default();
        HttpOptions {
            hostname: o.hostname.clone(),
            port: o.port,
            username: o.username.clone(),
            password: o.password.as_deref().map(Secret::new),
            ca_file: extras
                .get("ca_file")
                .and_then(Value::as_str)
                .map(|p| dir.join(p)),
            extras,
        }
    });
    let known_hosts_files = match extras.get("known_hosts") {
        Some(Value::String(p)) => vec![dir.join(p)],
        Some(Value::Array(ps)) => ps
            .iter()
            .filter_map(|p| p.as_str())
            .map(|p| dir.join(p))
            .collect(),
        _ => Vec::new(),
    };

    Host {
        name: name.to_string(),
        hostname: netrun
            .hostname
            .clone()
            .or_else(|| first(&|l| l.hostname.clone()))
            .unwrap_or_else(|| name.to_string()),
        port: netrun
            .port
            .or_else(|| layers.iter().find_map(|l| l.port))
            .unwrap_or(22),
        port_explicit: netrun.port.is_some() || layers.iter().any(|l| l.port.is_some()),
        username: netrun
            .username
            .clone()
            .or_else(|| first(&|l| l.username.clone())),
        password: netrun
            .password
            .clone()
            .or_else(|| first(&|l| l.password.clone()))
            .map(Secret::new),
        enable_secret: enable_secret.map(Secret::new),
        platform: netrun
            .platform
            .clone()
            .or_else(|| first(&|l| l.platform.clone())),
        groups: chain.to_vec(),
        data,
        known_hosts_files,
        extras,
        http,
    }
}

fn merge_options(into: &mut RawConnectionOptions, from: &RawConnectionOptions) {
    macro_rules! take {
        ($($f:ident),*) => { $( if from.$f.is_some() { into.$f = from.$f.clone(); } )* };
    }
    take!(hostname, port, username, password, platform);
    if let Some(extras) = &from.extras {
        let slot = into.extras.get_or_insert_with(Map::new);
        for (k, v) in extras {
            slot.insert(k.clone(), v.clone());
        }
    }
}

/// Check that every name or pattern given with `--hosts` matches a host, so
/// a typo is reported instead of silently shrinking the run.
pub fn unknown_hosts<'a>(inventory: &Inventory, names: &'a [String]) -> Vec<&'a str> {
    let known: HashSet<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
    names
        .iter()
        .map(String::as_str)
        .filter(|n| !known.contains(n) && !inventory.hosts.iter().any(|h| glob_match(n, &h.name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn sample() -> (tempdir::TempDir, Inventory) {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1:\n  hostname: 10.0.0.1\n  groups: [site-a]\n  data: {role: core}\n\
             r2:\n  groups: [site-b]\n  port: 2222\n  password: hostpw\n\
             r3:\n",
        );
        write(
            dir.path(),
            "groups.yaml",
            "site-a:\n  groups: [ios]\n  data: {site: a}\n\
             site-b:\n  platform: arista_eos\n  data: {site: b, role: edge}\n\
             ios:\n  platform: cisco_ios\n  connection_options:\n    netmiko:\n      extras: {secret: en-ios}\n",
        );
        write(
            dir.path(),
            "defaults.yaml",
            "username: admin\npassword: defpw\ndata: {role: access, vendor: any}\n\
             connection_options:\n  netrun:\n    extras: {known_hosts: kh}\n",
        );
        let inv = Inventory::load(dir.path()).unwrap();
        (dir, inv)
    }

    /// Minimal temporary directory, removed on drop.
    mod tempdir {
        pub struct TempDir(std::path::PathBuf);
        impl TempDir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "netrun-inv-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                TempDir(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for TempDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn hosts_inherit_from_groups_of_groups_then_defaults() {
        let (_d, inv) = sample();
        let r1 = &inv.hosts[0];
        assert_eq!(r1.hostname, "10.0.0.1");
        assert_eq!(r1.platform.as_deref(), Some("cisco_ios"));
        assert_eq!(r1.groups, vec!["site-a", "ios"]);
        assert_eq!(r1.username.as_deref(), Some("admin"));
        assert_eq!(r1.password.as_ref().unwrap().expose(), "defpw");
        assert_eq!(r1.enable_secret.as_ref().unwrap().expose(), "en-ios");
        assert_eq!(r1.data["role"], "core");
        assert_eq!(r1.data["site"], "a");
        assert_eq!(r1.data["vendor"], "any");
        assert_eq!(r1.known_hosts_files, vec![inv.dir.join("kh")]);
    }

    #[test]
    fn host_values_override_groups_and_name_is_the_default_hostname() {
        let (_d, inv) = sample();
        let r2 = &inv.hosts[1];
        assert_eq!(r2.hostname, "r2");
        assert_eq!(r2.port, 2222);
        assert_eq!(r2.password.as_ref().unwrap().expose(), "hostpw");
        assert_eq!(r2.data["role"], "edge");
        let r3 = &inv.hosts[2];
        assert_eq!(r3.port, 22);
        assert!(r3.platform.is_none());
    }

    #[test]
    fn filters_select_by_name_group_and_data() {
        let (_d, inv) = sample();
        let names = |f: &Filter| {
            inv.select(f)
                .into_iter()
                .map(|h| h.name)
                .collect::<Vec<_>>()
        };
        let by_group = Filter {
            groups: vec!["ios".into()],
            ..Default::default()
        };
        assert_eq!(names(&by_group), vec!["r1"]);
        let by_data = Filter::default().with_fields(&["site=b".into()]).unwrap();
        assert_eq!(names(&by_data), vec!["r2"]);
        let by_platform = Filter::default()
            .with_fields(&["platform=cisco_ios".into()])
            .unwrap();
        assert_eq!(names(&by_platform), vec!["r1"]);
        assert!(Filter::default().with_fields(&["nonsense".into()]).is_err());
        assert_eq!(unknown_hosts(&inv, &["r1".into(), "r9".into()]), vec!["r9"]);
    }

    #[test]
    fn unknown_group_is_reported_with_the_host_that_names_it() {
        let dir = tempdir::TempDir::new();
        write(dir.path(), "hosts.yaml", "r1:\n  groups: [nope]\n");
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("host r1") && err.contains("`nope`"), "{err}");
    }

    #[test]
    fn malformed_yaml_names_the_file_and_line() {
        let dir = tempdir::TempDir::new();
        write(dir.path(), "hosts.yaml", "r1:\n  port: [not a port\n");
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("hosts.yaml") && err.contains("line"), "{err}");
    }

    #[test]
    fn ports_are_read_as_operators_write_them_and_others_refused_naming_the_range() {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1:\n  port: 2222\nr2:\n  port: \"830\"\nr3:\n  port: ~\nr4:\n  connection_options:\n    netrun:\n      port: 65535\n",
        );
        let inv = Inventory::load(dir.path()).unwrap();
        let ports: Vec<u16> = inv.hosts.iter().map(|h| h.port).collect();
        assert_eq!(ports, [2222, 830, 22, 65535]);
        for (port, shown) in [
            ("0", "port 0"),
            ("70000", "port 70000"),
            ("-1", "port -1"),
            ("22a", "port `22a`"),
            ("22.5", "port 22.5"),
        ] {
            write(dir.path(), "hosts.yaml", &format!("r1:\n  port: {port}\n"));
            let err = Inventory::load(dir.path()).unwrap_err().to_string();
            assert!(
                err.contains(shown) && err.contains("1 to 65535") && err.contains("line 2"),
                "{port}: {err}"
            );
        }
    }

    #[test]
    fn shapes_written_the_wrong_way_say_how_to_write_them() {
        let dir = tempdir::TempDir::new();
        write(dir.path(), "hosts.yaml", "r1:\n  groups: core\n");
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`groups: [core]`"), "{err}");
        write(dir.path(), "hosts.yaml", "# routers\n- r1\n- r2\n");
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("hosts.yaml") && err.contains("is a list, and must be a mapping"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused_so_typos_do_not_pass_silently() {
        let dir = tempdir::TempDir::new();
        write(dir.path(), "hosts.yaml", "r1:\n  hostnmae: 10.0.0.1\n");
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("hostnmae"), "{err}");
    }

    #[test]
    fn a_group_max_sessions_limits_the_group_not_inherited_by_other_groups() {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1:\n  groups: [site-a]\nr2:\n  groups: [site-b]\n",
        );
        write(
            dir.path(),
            "groups.yaml",
            "site-a:\n  connection_options:\n    netrun:\n      extras: {max_sessions: 5}\nsite-b: {}\n",
        );
        let inv = Inventory::load(dir.path()).unwrap();
        assert_eq!(
            inv.group_limits,
            BTreeMap::from([("site-a".to_string(), 5usize)])
        );
    }

    #[test]
    fn a_max_sessions_that_is_not_a_positive_number_is_refused_naming_the_group() {
        let dir = tempdir::TempDir::new();
        write(dir.path(), "hosts.yaml", "r1:\n  groups: [site-a]\n");
        write(
            dir.path(),
            "groups.yaml",
            "site-a:\n  connection_options:\n    netrun:\n      extras: {max_sessions: 0}\n",
        );
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("site-a") && err.contains("max_sessions"),
            "{err}"
        );
    }

    #[test]
    fn filters_support_not_equal_regex_and_refuse_other_syntax() {
        let (_d, inv) = sample();
        let names = |exprs: &[&str]| {
            let f = Filter::default()
                .with_fields(&exprs.iter().map(|e| e.to_string()).collect::<Vec<_>>())
                .unwrap();
            inv.select(&f)
                .into_iter()
                .map(|h| h.name)
                .collect::<Vec<_>>()
        };
        // r1 is core, r2 edge, r3 access (from defaults).
        assert_eq!(names(&["role!=core"]), vec!["r2", "r3"]);
        assert_eq!(names(&["role~=^(core|edge)$"]), vec!["r1", "r2"]);
        assert_eq!(names(&["hostname~=10\\.0"]), vec!["r1"]);
        for bad in ["role>=3", "role==core", "=x", "role~=(", "nonsense"] {
            let e = Filter::default()
                .with_fields(&[bad.to_string()])
                .unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn host_patterns_are_globs() {
        assert!(glob_match("spine*", "spine01"));
        assert!(glob_match("r00?", "r001"));
        assert!(glob_match("*-core-*", "lon-core-1"));
        assert!(!glob_match("spine*", "leaf01"));
        assert!(!glob_match("r00?", "r0010"));
        // Sets, ranges and their negation, as shells and Ansible's --limit take them.
        assert!(glob_match("r0[0-4]*", "r03999"));
        assert!(!glob_match("r0[0-4]*", "r05000"));
        assert!(glob_match("r0[!0-4]*", "r05000"));
        assert!(glob_match("spine[12]", "spine2"));
        assert!(!glob_match("spine[12]", "spine3"));
        assert!(glob_match("x[]y]", "x]"));
        // An unclosed `[` is itself.
        assert!(glob_match("odd[name", "odd[name"));
        let (_d, inv) = sample();
        let f = Filter {
            hosts: vec!["r[12]".into(), "r?".into()],
            ..Default::default()
        };
        assert_eq!(inv.select(&f).len(), 3);
        assert_eq!(unknown_hosts(&inv, &["r*".into(), "x*".into()]), vec!["x*"]);
        // Names and globs together: names are looked up, globs matched.
        let f = Filter {
            hosts: vec!["r1".into(), "r[3]".into(), "x*".into(), "r9".into()],
            ..Default::default()
        };
        let names: Vec<String> = inv.select(&f).into_iter().map(|h| h.name).collect();
        assert_eq!(names, ["r1", "r3"]);
        assert!(f.matches(&inv.hosts[2]) && !f.matches(&inv.hosts[1]));
    }

    #[test]
    fn a_misspelt_netrun_extra_is_refused_naming_file_owner_and_closest_key() {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1:\n  connection_options:\n    netrun:\n      extras: {legacy_algoritms: true}\n",
        );
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("hosts.yaml")
                && err.contains("host r1")
                && err.contains("`legacy_algoritms`")
                && err.contains("did you mean `legacy_algorithms`"),
            "{err}"
        );
        write(dir.path(), "hosts.yaml", "r1: {}\n");
        write(
            dir.path(),
            "defaults.yaml",
            "connection_options:\n  netrun:\n    extras: {timeout: {}}\n",
        );
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("defaults.yaml") && err.contains("did you mean `timeouts`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_hosts_are_refused_naming_both_lines() {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1:\n  hostname: 10.0.0.1\nr2: {}\nr1:\n  hostname: 10.0.0.9\n",
        );
        let err = Inventory::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("hosts.yaml")
                && err.contains("`r1`")
                && err.contains("line 1")
                && err.contains("line 4"),
            "{err}"
        );
    }

    #[test]
    fn anchors_and_merge_keys_work_in_hosts_and_groups() {
        let dir = tempdir::TempDir::new();
        write(
            dir.path(),
            "hosts.yaml",
            "r1: &common\n  platform: cisco_ios\n  groups: [site-a]\n  data: {role: edge}\n\
             r2:\n  <<: *common\n  hostname: 10.0.0.2\n  data: {role: core}\n",
        );
        write(
            dir.path(),
            "groups.yaml",
            "site-a:\n  <<: {username: ops, port: 2200}\n",
        );
        let inv = Inventory::load(dir.path()).unwrap();
        assert_eq!(inv.hosts.len(), 2);
        let r1 = &inv.hosts[0];
        assert_eq!(r1.username.as_deref(), Some("ops"));
        assert_eq!(r1.port, 2200);
        let r2 = &inv.hosts[1];
        assert_eq!(r2.platform.as_deref(), Some("cisco_ios"));
        assert_eq!(r2.groups, vec!["site-a"]);
        assert_eq!(r2.hostname, "10.0.0.2");
        assert_eq!(r2.port, 2200);
        assert_eq!(
            r2.data["role"], "core",
            "the host's own key wins over the merged one"
        );
    }
}
