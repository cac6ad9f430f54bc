//! Capabilities: what a plugin asks for (its manifest), what the operator
//! grants (`--grant`, a policy file), and the checks that hold a running
//! plugin to it. Refusals are data (class `denied`) that say how to allow.
//!
//! At load time every request of a third-party plugin must be covered by a
//! grant; first-party plugins (shipped beside the binary) get what they ask.
//! At run time the plugin may use only what it asked for, so a broad grant
//! (`show *`) never widens a narrow request (`show version`).

use super::bundle::{Bundle, Capabilities};
use crate::error::{Error, ErrorClass};
use crate::transport::platform::Platform;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the operator allows one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grants {
    /// Command patterns (`show *`); a request is covered when a grant
    /// pattern matches it.
    pub commands: Vec<String>,
    /// Configuration mode.
    pub config: bool,
    /// HTTP hosts.
    pub http: Vec<String>,
    /// Per-plugin key-value state.
    pub state: bool,
}

impl Grants {
    /// Add one `--grant` value: `command=PATTERN`, `config`, `http=HOST`, `state`.
    pub fn add(&mut self, grant: &str) -> Result<(), PolicyError> {
        let (key, value) = match grant.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (grant.trim(), None),
        };
        match (key, value) {
            ("command" | "commands", Some(v)) if !v.is_empty() => self.commands.push(v.to_string()),
            ("config", None) => self.config = true,
            ("http", Some(v)) if !v.is_empty() => self.http.push(v.to_string()),
            ("state", None) => self.state = true,
            _ => {
                return Err(PolicyError::BadGrant(grant.to_string()));
            }
        }
        Ok(())
    }
}

/// Why the operator's policy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A `--grant` value that is none of the known forms.
    #[error("bad --grant `{0}`: use command='show *', config, http=HOST or state")]
    BadGrant(String),
    /// The policy file cannot be read.
    #[error("cannot read policy file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The policy file is not valid TOML of the expected shape.
    #[error(
        "policy file {0} is malformed: {1}; expected tables like [plugin.NAME] with commands = [\"show *\"], config = true"
    )]
    Malformed(PathBuf, String),
}

/// The operator's policy: grants per plugin (from a policy file) and the
/// `--grant`s of this run, which apply to the run's workflow.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    plugins: BTreeMap<String, Grants>,
    run: Grants,
    /// Policy file read, for messages.
    pub file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    plugin: BTreeMap<String, Grants>,
}

impl Policy {
    /// The policy of a run: `file` (or `~/.config/netrun/policy.toml` when it
    /// exists) and the `--grant` values.
    pub fn load(file: Option<&Path>, grants: &[String]) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => default_policy_file().filter(|p| p.is_file()),
        };
        if let Some(path) = path {
            let text =
                std::fs::read_to_string(&path).map_err(|e| PolicyError::Read(path.clone(), e))?;
            let parsed: PolicyFile = toml::from_str(&text)
                .map_err(|e| PolicyError::Malformed(path.clone(), e.to_string()))?;
            policy.plugins = parsed.plugin;
            policy.file = Some(path);
        }
        for g in grants {
            match plugin_qualified(g) {
                Some((plugin, grant)) => policy
                    .plugins
                    .entry(plugin.to_string())
                    .or_default()
                    .add(grant),
                None => policy.run.add(g),
            }?;
        }
        Ok(policy)
    }

    /// Refuse a third-party driver whose platform sends commands of its own
    /// (after login, before closing, to change modes) that the operator has
    /// not granted to it: a driver is trusted with a device's CLI no more
    /// than a workflow is. First-party drivers are trusted.
    pub fn authorize_driver(&self, bundle: &Bundle, platform: &Platform) -> Result<(), Error> {
        if bundle.is_first_party() {
            return Ok(());
        }
        let name = &bundle.manifest.name;
        let grants = self.grants_for(name, false);
        let mut missing: Vec<(String, String)> = Vec::new();
        for (command, when) in session_commands(platform) {
            let granted = grants.commands.iter().any(|g| glob_match(g, &command));
            if !granted && !missing.iter().any(|(c, _)| *c == command) {
                missing.push((command, when));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let mut m = format!(
            "driver plugin {name} ({}) is not first-party, and platform {} sends commands of its own that the operator has not granted to it:",
            bundle.dir.display(),
            platform.name
        );
        for (c, when) in &missing {
            m.push_str(&format!(
                "\n  - `{c}` ({when}): add --grant '{name}:command={c}'"
            ));
        }
        let list: Vec<String> = missing.iter().map(|(c, _)| format!("{c:?}")).collect();
        m.push_str(&format!(
            "\nor grant them in the policy file {}:\n  [plugin.{name}]\n  commands = [{}]",
            self.file
                .clone()
                .or_else(default_policy_file)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "policy.toml (--policy FILE)".into()),
            list.join(", ")
        ));
        Err(Error::new(ErrorClass::Denied, m))
    }

    /// What is granted to `plugin`: its policy-file table, plus the run's
    /// `--grant`s when it is the run's workflow.
    pub fn grants_for(&self, plugin: &str, is_run_workflow: bool) -> Grants {
        let mut g = self.plugins.get(plugin).cloned().unwrap_or_default();
        if is_run_workflow {
            g.commands.extend(self.run.commands.iter().cloned());
            g.config |= self.run.config;
            g.http.extend(self.run.http.iter().cloned());
            g.state |= self.run.state;
        }
        g
    }

    /// Refuse `bundle` unless every capability it requests is granted
    /// (first-party bundles are granted what they request). The error lists
    /// what is missing and the exact grants to add.
    pub fn authorize(&self, bundle: &Bundle, is_run_workflow: bool) -> Result<(), Error> {
        if bundle.is_first_party() {
            return Ok(());
        }
        let grants = self.grants_for(&bundle.manifest.name, is_run_workflow);
        let missing = missing(&bundle.manifest.capabilities, &grants);
        if missing.is_empty() {
            return Ok(());
        }
        let name = &bundle.manifest.name;
        let mut m = format!(
            "plugin {name} ({}) requests capabilities the operator has not granted:",
            bundle.dir.display()
        );
        for x in &missing {
            m.push_str(&format!("\n  - {}: add {}", x.what, x.flag));
        }
        m.push_str(&format!(
            "\nor grant them in the policy file {}:\n  [plugin.{name}]",
            self.file
                .clone()
                .or_else(default_policy_file)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "policy.toml (--policy FILE)".into())
        ));
        for line in policy_lines(&missing) {
            m.push_str(&format!("\n  {line}"));
        }
        Err(Error::new(ErrorClass::Denied, m))
    }
}

/// `acme-os:command=terminal length 0` → (`acme-os`, `command=terminal length 0`):
/// a grant for a named plugin rather than the run's workflow.
fn plugin_qualified(grant: &str) -> Option<(&str, &str)> {
    let key = grant.split('=').next().unwrap_or(grant);
    let (plugin, _) = key.split_once(':')?;
    let plugin = plugin.trim();
    let valid = !plugin.is_empty()
        && plugin
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    valid.then(|| (plugin, grant[plugin.len() + 1..].trim_start()))
}

/// Every input a platform types by itself, and when.
pub fn session_commands(platform: &Platform) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in &platform.on_open {
        out.push((c.clone(), "sent after login".to_string()));
    }
    for c in &platform.on_close {
        out.push((c.clone(), "sent before closing".to_string()));
    }
    for m in &platform.modes {
        for t in &m.transitions {
            if !t.send.trim().is_empty() {
                let to = platform
                    .modes
                    .get(t.to)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?");
                out.push((t.send.clone(), format!("mode {} to {to}", m.name)));
            }
        }
    }
    out
}

/// `~/.config/netrun/policy.toml`.
pub fn default_policy_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("netrun").join("policy.toml"))
}

/// One requested capability without a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What, for a human (`command pattern `show *``).
    pub what: String,
    /// The `--grant` that allows it.
    pub flag: String,
    kind: MissingKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum MissingKind {
    Command(String),
    Config,
    Http(String),
    State,
}

/// Requests of `caps` that `grants` does not cover.
pub fn missing(caps: &Capabilities, grants: &Grants) -> Vec<Missing> {
    let mut out = Vec::new();
    for c in &caps.commands {
        if !grants.commands.iter().any(|g| pattern_covers(g, c)) {
            out.push(Missing {
                what: format!("command pattern `{c}`"),
                flag: format!("--grant 'command={c}'"),
                kind: MissingKind::Command(c.clone()),
            });
        }
    }
    if caps.config && !grants.config {
        out.push(Missing {
            what: "configuration mode".into(),
            flag: "--grant config".into(),
            kind: MissingKind::Config,
        });
    }
    for h in &caps.http {
        if !grants.http.iter().any(|g| g.eq_ignore_ascii_case(h)) {
            out.push(Missing {
                what: format!("HTTP host `{h}`"),
                flag: format!("--grant 'http={h}'"),
                kind: MissingKind::Http(h.clone()),
            });
        }
    }
    if caps.state && !grants.state {
        out.push(Missing {
            what: "key-value state".into(),
            flag: "--grant state".into(),
            kind: MissingKind::State,
        });
    }
    out
}

fn policy_lines(missing: &[Missing]) -> Vec<String> {
    let quote = |v: &[&String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let commands: Vec<&String> = missing
        .iter()
        .filter_map(|m| match &m.kind {
            MissingKind::Command(c) => Some(c),
            _ => None,
        })
        .collect();
    let http: Vec<&String> = missing
        .iter()
        .filter_map(|m| match &m.kind {
            MissingKind::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    let mut lines = Vec::new();
    if !commands.is_empty() {
        lines.push(format!("commands = [{}]", quote(&commands)));
    }
    if missing.iter().any(|m| m.kind == MissingKind::Config) {
        lines.push("config = true".into());
    }
    if !http.is_empty() {
        lines.push(format!("http = [{}]", quote(&http)));
    }
    if missing.iter().any(|m| m.kind == MissingKind::State) {
        lines.push("state = true".into());
    }
    lines
}

/// Collapse whitespace runs to one space and trim.
fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `text` matches `pattern`, where `*` stands for any text
/// (including none) and whitespace runs compare as one space.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (normalise(pattern), normalise(text));
    let parts: Vec<&str> = p.split('*').collect();
    // Fewer than two parts: the pattern has no `*`.
    let [first, middle @ .., last] = parts.as_slice() else {
        return p == t;
    };
    let Some(mut rest) = t.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether the grant pattern `grant` allows everything the requested pattern
/// `request` allows. Sound because a `*` in the request can only be matched
/// by a `*` of the grant, which then also matches whatever the request's `*`
/// stands for.
pub fn pattern_covers(grant: &str, request: &str) -> bool {
    glob_match(grant, request)
}

/// The runtime guard of one workflow instance: the manifest's requests.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    plugin: String,
    caps: Capabilities,
}

impl Guard {
    /// The guard for `plugin` holding it to `caps`.
    pub fn new(plugin: &str, caps: &Capabilities) -> Guard {
        Guard {
            plugin: plugin.to_string(),
            caps: caps.clone(),
        }
    }

    /// Allow `command` only when it is a single line matching a requested pattern.
    pub fn check_command(&self, command: &str) -> Result<(), Error> {
        let plugin = &self.plugin;
        if let Some(c) = command.chars().find(|c| c.is_control()) {
            return Err(Error::new(
                ErrorClass::Denied,
                format!(
                    "plugin {plugin}: command {command:?} contains the control character {c:?}; commands are single lines (never reached the device)"
                ),
            ));
        }
        if self.caps.commands.iter().any(|p| glob_match(p, command)) {
            return Ok(());
        }
        let requested = if self.caps.commands.is_empty() {
            "none".to_string()
        } else {
            self.caps
                .commands
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(Error::new(
            ErrorClass::Denied,
            format!(
                "plugin {plugin}: command `{}` is outside the patterns its manifest requests ({requested}); it never reached the device. To allow it, add the pattern to [capabilities] commands in its netrun-plugin.toml, rebuild, and grant it (--grant 'command={}')",
                normalise(command),
                normalise(command)
            ),
        ))
    }

    /// Allow configuration mode only when requested (and so granted).
    pub fn check_config(&self) -> Result<(), Error> {
        if self.caps.config {
            return Ok(());
        }
        Err(Error::new(
            ErrorClass::Denied,
            format!(
                "plugin {}: configuration mode was not requested in its manifest; nothing was sent to the device. To allow it, set `config = true` under [capabilities] in its netrun-plugin.toml, rebuild, and grant it (--grant config)",
                self.plugin
            ),
        ))
    }
}

/// Where an HTTP request of a plugin goes.
#[derive(Debug, Clone, Copy)]
pub enum HttpTarget<'a> {
    /// The current device's own API (capability `device`).
    Device,
    /// Another host, by name (capability: the host name or a `*.` pattern).
    Host(&'a str),
}

impl Guard {
    /// Allow an HTTP request only to what the manifest requested (and so
    /// the operator granted).
    pub fn check_http(&self, target: HttpTarget<'_>) -> Result<(), Error> {
        let plugin = &self.plugin;
        let (allowed, what, grant) = match target {
            HttpTarget::Device => (
                self.caps
                    .http
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case("device")),
                "the device's own API".to_string(),
                "device".to_string(),
            ),
            HttpTarget::Host(host) => (
                self.caps
                    .http
                    .iter()
                    .filter(|h| !h.eq_ignore_ascii_case("device"))
                    .any(|h| glob_match(&h.to_ascii_lowercase(), &host.to_ascii_lowercase())),
                format!("host {host}"),
                host.to_string(),
            ),
        };
        if allowed {
            return Ok(());
        }
        Err(Error::new(
            ErrorClass::Denied,
            format!(
                "plugin {plugin}: HTTP to {what} was not requested in its manifest (http = {:?}); no connection was made. To allow it, add \"{grant}\" to [capabilities] http in its netrun-plugin.toml, rebuild, and grant it (--grant 'http={grant}')",
                self.caps.http
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn third_party_driver(dir: &Path) -> Bundle {
        std::fs::write(
            dir.join("netrun-plugin.toml"),
            "name = \"acme-os\"\nversion = \"0.1.0\"\nkind = \"driver\"\nwit = \"0.1.1\"\ncomponent = \"plugin.wasm\"\nsha256 = \"\"\n",
        )
        .unwrap();
        Bundle::open(dir).unwrap()
    }

    fn acme_platform(on_open: &str) -> Platform {
        use crate::transport::platform::{ModeSpec, PlatformSpec, TransitionSpec};
        Platform::compile(&PlatformSpec {
            name: "acme_os".into(),
            default_mode: "exec".into(),
            configuration_mode: "configuration".into(),
            modes: vec![
                ModeSpec {
                    name: "exec".into(),
                    prompt: r"#\s*$".into(),
                    transitions: vec![TransitionSpec {
                        to: "configuration".into(),
                        send: "configure terminal".into(),
                        challenge: None,
                    }],
                },
                ModeSpec {
                    name: "configuration".into(),
                    prompt: r"\(config\)#\s*$".into(),
                    transitions: vec![TransitionSpec {
                        to: "exec".into(),
                        send: "end".into(),
                        challenge: None,
                    }],
                },
            ],
            on_open: vec![on_open.into()],
            on_close: vec![],
            pagers: vec![],
            failure_indicators: vec![],
            line_ending: "\n".into(),
            variants: Vec::new(),
        })
        .unwrap()
    }

    #[test]
    fn third_party_driver_commands_need_grants_naming_the_plugin() {
        let dir = std::env::temp_dir().join(format!("netrun-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = third_party_driver(&dir);
        let platform = acme_platform("reload");
        let none = Policy::load(Some(&dir.join("absent.toml")), &[]);
        assert!(none.is_err(), "a named policy file must exist");
        let policy = Policy::default();
        let e = policy.authorize_driver(&bundle, &platform).unwrap_err();
        assert_eq!(e.class, ErrorClass::Denied);
        for needle in [
            "`reload` (sent after login): add --grant 'acme-os:command=reload'",
            "`configure terminal` (mode exec to configuration)",
            "commands = [\"reload\", \"configure terminal\", \"end\"]",
        ] {
            assert!(e.message.contains(needle), "{needle} not in {}", e.message);
        }
        let grants: Vec<String> = [
            "acme-os:command=reload",
            "acme-os:command=configure *",
            "acme-os:command=end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut policy = Policy::default();
        for g in &grants {
            let (p, rest) = plugin_qualified(g).unwrap();
            policy
                .plugins
                .entry(p.into())
                .or_default()
                .add(rest)
                .unwrap();
        }
        assert!(policy.authorize_driver(&bundle, &platform).is_ok());
        // The run's plain --grant values are the workflow's, not the driver's.
        let mut run_only = Policy::default();
        run_only.run.add("command=*").unwrap();
        assert!(run_only.authorize_driver(&bundle, &platform).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn plugin_qualified_grants_are_told_from_plain_ones() {
        assert_eq!(
            plugin_qualified("acme-os:command=terminal length 0"),
            Some(("acme-os", "command=terminal length 0"))
        );
        assert_eq!(
            plugin_qualified("acme-os:config"),
            Some(("acme-os", "config"))
        );
        assert_eq!(plugin_qualified("command=show clock: now"), None);
        assert_eq!(plugin_qualified("http=api.example.com:8443"), None);
    }

    #[test]
    fn http_goes_only_to_requested_hosts_and_the_device_api_only_when_asked() {
        let g = Guard::new(
            "p",
            &Capabilities {
                http: vec!["device".into(), "*.example.com".into()],
                ..Default::default()
            },
        );
        assert!(g.check_http(HttpTarget::Device).is_ok());
        assert!(g.check_http(HttpTarget::Host("nb.EXAMPLE.com")).is_ok());
        let e = g.check_http(HttpTarget::Host("evil.test")).unwrap_err();
        assert_eq!(e.class, ErrorClass::Denied);
        assert!(
            e.message.contains("--grant 'http=evil.test'"),
            "{}",
            e.message
        );
        let narrow = Guard::new("p", &Capabilities::default());
        let e = narrow.check_http(HttpTarget::Device).unwrap_err();
        assert!(e.message.contains("--grant 'http=device'"), "{}", e.message);
    }

    #[test]
    fn star_matches_any_text_and_whitespace_runs_are_one_space() {
        assert!(glob_match("show *", "show version"));
        assert!(glob_match("show *", "show  ip   interface brief"));
        assert!(glob_match("show version", "  show version "));
        assert!(!glob_match("show version", "show version | include x"));
        assert!(!glob_match("show *", "configure terminal"));
        assert!(glob_match("show * brief", "show ip interface brief"));
        assert!(!glob_match("show * brief", "show ip interface"));
        assert!(glob_match("*", "reload"));
    }

    #[test]
    fn a_broad_grant_covers_a_narrow_request_but_not_the_reverse() {
        assert!(pattern_covers("show *", "show version"));
        assert!(pattern_covers("show *", "show ip *"));
        assert!(!pattern_covers("show ip *", "show *"));
        assert!(!pattern_covers("show version", "show *"));
    }

    #[test]
    fn commands_outside_the_requested_patterns_are_denied_with_the_fix() {
        let g = Guard::new(
            "p",
            &Capabilities {
                commands: vec!["show version".into()],
                ..Default::default()
            },
        );
        assert!(g.check_command("show version").is_ok());
        let e = g.check_command("show running-config").unwrap_err();
        assert_eq!(e.class, ErrorClass::Denied);
        assert!(
            e.message.contains("--grant 'command=show running-config'"),
            "{}",
            e.message
        );
        let e = g.check_command("show version\nreload").unwrap_err();
        assert!(e.message.contains("control character"), "{}", e.message);
        assert_eq!(g.check_config().unwrap_err().class, ErrorClass::Denied);
    }

    #[test]
    fn missing_grants_are_listed_with_the_flag_that_allows_each() {
        let caps = Capabilities {
            commands: vec!["show version".into(), "show run".into()],
            config: true,
            http: vec!["api.example.com".into()],
            state: true,
        };
        let mut grants = Grants::default();
        grants.add("command=show *").unwrap();
        let m = missing(&caps, &grants);
        let flags: Vec<&str> = m.iter().map(|m| m.flag.as_str()).collect();
        assert_eq!(
            flags,
            [
                "--grant config",
                "--grant 'http=api.example.com'",
                "--grant state"
            ]
        );
        assert!(grants.add("everything").is_err());
    }
}
