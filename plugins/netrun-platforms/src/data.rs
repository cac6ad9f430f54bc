//! Platform data files: one YAML file per Netmiko / Scrapli `device_type`
//! holding what the WIT `definition` holds (modes, prompts, transitions,
//! pagers, failure indicators, line ending), what configuration management
//! needs (running-config command, config mode, commit, rollback, volatile
//! lines), and real prompts of the platform that the tests check the
//! patterns against.
//!
//! A file is checked when it is loaded: YAML shape, every regular expression,
//! every mode a transition names. The error names the file, the field and
//! what is wrong, so a bad file is refused before any device sees it.

use netrun_guest::driver::{
    Challenge, ConfigMechanics, ConfigStyle as WitStyle, Definition, InterfaceNaming, Locate, Mode,
    Pager, Secret, Step as WitStep, Transition,
};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Why a platform file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// File name (`juniper_junos.yaml`).
    pub file: String,
    /// Field path inside the file (`modes[1].prompt`), or `-` for the whole file.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "platform file {}: {}: {}",
            self.file, self.field, self.message
        )
    }
}

impl std::error::Error for DataError {}

/// One platform data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    /// `device_type` name; the file is `<name>.yaml`.
    pub name: String,
    /// Other `device_type` names for the same platform (`cisco_iosxe`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Vendor as NAPALM's `get_facts` reports it (`Cisco`, `Juniper`).
    pub vendor: String,
    /// Operating system (`IOS-XE`, `Junos`).
    pub os: String,
    /// First-party driver plugin that serves this platform (`netrun-platforms`,
    /// `cisco-ios`, `arista-eos`): platform names are unique across drivers.
    pub driver: String,
    /// Mode commands run in, and the mode a session is opened in.
    pub default_mode: String,
    /// Mode configuration commands run in.
    pub configuration_mode: String,
    /// Every mode of the platform, most specific prompt first.
    pub modes: Vec<ModeData>,
    /// Commands sent in the default mode after login (paging off).
    #[serde(default)]
    pub on_open: Vec<String>,
    /// Commands sent before the session closes.
    #[serde(default)]
    pub on_close: Vec<String>,
    /// Pager prompts the host answers.
    #[serde(default)]
    pub pagers: Vec<PagerData>,
    /// Text that marks a command as refused by the device.
    #[serde(default)]
    pub failure_indicators: Vec<String>,
    /// Typed after every input.
    #[serde(default = "newline")]
    pub line_ending: String,
    /// Login quirks the host does not apply by itself (documentation for users).
    #[serde(default)]
    pub login: Login,
    /// What configuration management needs; `None` where the platform has
    /// no configuration of its own (`linux`).
    #[serde(default)]
    pub config: Option<ConfigData>,
    /// Other platforms a device of this one may turn out to speak, told by
    /// its first prompt (SR OS: MD-CLI or classic under one name).
    #[serde(default)]
    pub variants: Vec<VariantData>,
    /// Real lines of the platform the tests check the patterns against.
    pub examples: Examples,
}

fn newline() -> String {
    "\n".into()
}

/// Another platform a device may speak.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantData {
    /// Matched against the last line of the first prompt after login.
    pub prompt: String,
    /// The platform then used (a data file's name).
    pub platform: String,
}

/// One CLI mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeData {
    /// Mode name (`exec`, `privileged-exec`, `configuration`, `shell`).
    pub name: String,
    /// Regex matched against the last line received, ANSI escapes removed.
    pub prompt: String,
    /// How to reach neighbouring modes.
    #[serde(default)]
    pub transitions: Vec<TransitionData>,
}

/// A move to a neighbouring mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionData {
    /// Target mode name.
    pub to: String,
    /// Input sent.
    pub send: String,
    /// A secret prompt that may appear on the way.
    #[serde(default)]
    pub challenge: Option<ChallengeData>,
}

/// A secret prompt and the secret the host types.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeData {
    /// Regex for the prompt (`(?i)^\s*password:\s*$`).
    pub prompt: String,
    /// `password` or `enable-secret`.
    pub answer: SecretData,
}

/// Which secret answers a challenge.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SecretData {
    /// The login password.
    Password,
    /// The enable secret.
    EnableSecret,
}

/// A pager prompt and the keys that continue the output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerData {
    /// Regex for the pager prompt.
    pub pattern: String,
    /// Keys sent to continue.
    pub keys: String,
}

/// Login quirks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Suffix the platform reads from the login name to set terminal options
    /// (RouterOS `+ct`); users add it to the inventory `username` today.
    #[serde(default)]
    pub username_suffix: Option<String>,
}

/// How configuration is read, changed, saved and rolled back: the WIT 0.2
/// `config-mechanics` record. An empty step list means the platform has no
/// such mechanism.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigData {
    /// Command that prints the running configuration.
    pub show_running: String,
    /// Command that prints the startup configuration, where there is one.
    #[serde(default)]
    pub show_startup: Option<String>,
    /// Commands tried in turn where the device refuses `show_running`: a
    /// second CLI under this platform's name (SR OS MD-CLI). Backups,
    /// diffs and `get config` read them; changes are refused there.
    #[serde(default)]
    pub show_running_otherwise: Vec<String>,
    /// Regexes of lines that change without a configuration change
    /// (timestamps, byte counts) or carry none (SR OS classic's comments,
    /// section titles and `configure` framing): dropped from backups and diffs.
    #[serde(default)]
    pub volatile: Vec<String>,
    /// `indented`, `set`, `flat`, `blocks` or `menus`.
    pub style: ConfigStyle,
    /// Steps (configuration mode) that make a change take effect.
    #[serde(default)]
    pub commit: Vec<Step>,
    /// Steps (configuration mode) that commit with an automatic rollback.
    #[serde(default)]
    pub commit_confirmed: Vec<Step>,
    /// Steps that confirm a pending commit-confirmed.
    #[serde(default)]
    pub confirm: Vec<Step>,
    /// Steps (configuration mode) that discard uncommitted changes.
    #[serde(default)]
    pub abort: Vec<Step>,
    /// Steps that take the rollback point `{name}`.
    #[serde(default)]
    pub checkpoint: Vec<Step>,
    /// Steps that restore the rollback point `{name}`.
    #[serde(default)]
    pub rollback: Vec<Step>,
    /// Steps that make the running configuration the startup one.
    #[serde(default)]
    pub save: Vec<Step>,
    /// Steps that make the whole configuration equal the candidate (the
    /// platform's native replace): a step holding `{line}` is sent once per
    /// candidate line as typed, `{line:tcl}` once per line quoted for Tcl
    /// (IOS writes the candidate file through `tclsh`); `{name}` names the
    /// run's files or configuration session.
    #[serde(default)]
    pub replace: Vec<Step>,
    /// Steps that remove what a change left on the device (the rollback
    /// point `{name}`, a replace's candidate file), run once the change is
    /// done or rolled back; they must ask nothing they do not answer.
    #[serde(default)]
    pub cleanup: Vec<Step>,
    /// How the device rewrites interface names typed in section headers
    /// (`int gi0/1` → `interface GigabitEthernet0/1`).
    #[serde(default)]
    pub interface_naming: Option<InterfaceNamingData>,
    /// How to find the device's own identifier of the rollback point
    /// (`{index}` in rollback and cleanup steps): SR OS numbers its
    /// checkpoints itself and shifts them at every save.
    #[serde(default)]
    pub locate: Option<LocateData>,
}

/// The `config.locate` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocateData {
    /// The command listing the checkpoints.
    pub command: String,
    /// Regex over its output, `{name}` standing for the point's name; the
    /// group `index` captures the identifier.
    pub pattern: String,
    /// The identifier when the match holds no `index`.
    #[serde(default)]
    pub otherwise: String,
}

/// The `config.interface_naming` section: WIT 0.2 `interface-naming`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceNamingData {
    /// The word that opens an interface section, in full (`interface`).
    pub keyword: String,
    /// The shortest abbreviation of `keyword` the device accepts (`int`).
    pub shortest: String,
    /// Interface types as the device prints them (`GigabitEthernet`, `loopback`).
    pub types: Vec<String>,
}

/// How configuration text is structured.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigStyle {
    /// Blocks by indentation, `no …` negates.
    Indented,
    /// One statement per line (`set …`, MD-CLI `/configure …`).
    Set,
    /// Flat lines.
    Flat,
    /// Blocks opened and closed by words (FortiOS `config …`/`end`,
    /// `edit …`/`next`); `set`/`unset`/`delete`.
    Blocks,
    /// Menus (RouterOS `/export`): `/path` heads `add`/`set`/`remove`.
    Menus,
}

/// One input and the questions the device may ask before its prompt returns.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Step {
    /// Just an input.
    Send(String),
    /// An input with (question regex, answer) pairs.
    Asking {
        /// Input sent.
        send: String,
        /// (regex, answer typed) pairs.
        #[serde(default)]
        answers: Vec<(String, String)>,
    },
}

impl Step {
    /// The input sent.
    pub fn send(&self) -> &str {
        match self {
            Step::Send(s) | Step::Asking { send: s, .. } => s,
        }
    }

    /// The (question regex, answer) pairs.
    pub fn answers(&self) -> &[(String, String)] {
        match self {
            Step::Send(_) => &[],
            Step::Asking { answers, .. } => answers,
        }
    }
}

impl ConfigData {
    /// Every step list with its field name.
    pub fn steps(&self) -> [(&'static str, &[Step]); 9] {
        [
            ("commit", &self.commit),
            ("commit_confirmed", &self.commit_confirmed),
            ("confirm", &self.confirm),
            ("abort", &self.abort),
            ("checkpoint", &self.checkpoint),
            ("rollback", &self.rollback),
            ("save", &self.save),
            ("replace", &self.replace),
            ("cleanup", &self.cleanup),
        ]
    }
}

/// Real lines of the platform, checked by the tests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Prompts by mode name: each must be recognised as that mode and no other.
    pub prompts: BTreeMap<String, Vec<String>>,
    /// Lines that must not be taken for a prompt (banners, MOTDs, output).
    #[serde(default)]
    pub not_prompts: Vec<String>,
    /// Pager lines the host must answer.
    #[serde(default)]
    pub pagers: Vec<String>,
    /// Secret prompts a transition must answer.
    #[serde(default)]
    pub challenges: Vec<String>,
    /// Error lines the device prints for a refused command.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Lines of the running configuration that backups must drop.
    #[serde(default)]
    pub volatile: Vec<String>,
}

/// A loaded file with its patterns compiled, for matching in tests and tools.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The file.
    pub file: PlatformFile,
    /// Mode prompt regexes, in declaration order.
    pub prompts: Vec<Regex>,
    /// Pager regexes.
    pub pagers: Vec<Regex>,
    /// Every transition's challenge regex.
    pub challenges: Vec<Regex>,
    /// Volatile configuration line regexes.
    pub volatile: Vec<Regex>,
}

impl Compiled {
    /// Index of the first mode whose prompt matches `line`, as the host picks it.
    pub fn mode_of(&self, line: &str) -> Option<usize> {
        self.prompts.iter().position(|re| re.is_match(line))
    }

    /// Names of every mode whose prompt matches `line`.
    pub fn modes_matching(&self, line: &str) -> Vec<&str> {
        self.prompts
            .iter()
            .zip(&self.file.modes)
            .filter(|(re, _)| re.is_match(line))
            .map(|(_, m)| m.name.as_str())
            .collect()
    }

    /// Whether a pager pattern matches `line`.
    pub fn is_pager(&self, line: &str) -> bool {
        self.pagers.iter().any(|re| re.is_match(line))
    }

    /// Whether a transition's challenge matches `line`.
    pub fn is_challenge(&self, line: &str) -> bool {
        self.challenges.iter().any(|re| re.is_match(line))
    }

    /// The failure indicator at the head of a command's answer `output`,
    /// as the host looks for it ([`refusal_in`]).
    pub fn failure_in(&self, output: &str) -> Option<&str> {
        refusal_in(&self.file.failure_indicators, output)
    }

    /// Whether a configuration line is volatile.
    pub fn is_volatile(&self, line: &str) -> bool {
        self.volatile.iter().any(|re| re.is_match(line))
    }
}

/// Parse and check one platform file named `file` (`juniper_junos.yaml`),
/// compiling every pattern.
pub fn load(file: &str, text: &str) -> Result<Compiled, DataError> {
    check(file, text, true)
}

/// Parse and check one platform file without compiling its patterns: what a
/// driver needs to hand its definitions over. The host compiles every
/// pattern itself (and refuses the platform naming the driver), and
/// compiling them again inside the component cost seconds of fuel per
/// instance; [`load`] and this crate's tests check them before release.
pub fn parse(file: &str, text: &str) -> Result<PlatformFile, DataError> {
    check(file, text, false).map(|c| c.file)
}

fn check(file: &str, text: &str, compile: bool) -> Result<Compiled, DataError> {
    let fail = |field: &str, message: String| DataError {
        file: file.to_string(),
        field: field.to_string(),
        message,
    };
    let data: PlatformFile = serde_saphyr::from_str(text).map_err(|e| {
        let field = e
            .location()
            .map_or("-".to_string(), |l| format!("line {}", l.line()));
        fail(&field, format!("not a platform file: {e}"))
    })?;
    let stem = file.strip_suffix(".yaml").unwrap_or(file);
    if data.name != stem {
        return Err(fail(
            "name",
            format!("`{}` differs from the file name; rename one", data.name),
        ));
    }
    let regex = |field: String, pattern: &str| {
        if !compile {
            return Ok(None);
        }
        Regex::new(pattern).map(Some).map_err(|e| {
            fail(
                &field,
                format!(
                    "regex `{pattern}` does not compile: {}",
                    e.to_string().replace('\n', " ")
                ),
            )
        })
    };
    let mode_names: Vec<&str> = data.modes.iter().map(|m| m.name.as_str()).collect();
    if mode_names.is_empty() {
        return Err(fail("modes", "no mode defined".into()));
    }
    let known = |field: &str, name: &str| {
        if mode_names.contains(&name) {
            Ok(())
        } else {
            Err(fail(
                field,
                format!(
                    "mode `{name}` is not defined (modes: {})",
                    mode_names.join(", ")
                ),
            ))
        }
    };
    known("default_mode", &data.default_mode)?;
    known("configuration_mode", &data.configuration_mode)?;
    let mut prompts = Vec::new();
    let mut challenges = Vec::new();
    for (i, m) in data.modes.iter().enumerate() {
        if mode_names[..i].contains(&m.name.as_str()) {
            return Err(fail(
                &format!("modes[{i}].name"),
                format!("mode `{}` is defined twice", m.name),
            ));
        }
        prompts.extend(regex(format!("modes[{i}].prompt"), &m.prompt)?);
        for (j, t) in m.transitions.iter().enumerate() {
            known(&format!("modes[{i}].transitions[{j}].to"), &t.to)?;
            if let Some(c) = &t.challenge {
                challenges.extend(regex(
                    format!("modes[{i}].transitions[{j}].challenge.prompt"),
                    &c.prompt,
                )?);
            }
        }
    }
    let pagers = data
        .pagers
        .iter()
        .enumerate()
        .map(|(i, p)| regex(format!("pagers[{i}].pattern"), &p.pattern))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut volatile = Vec::new();
    if let Some(c) = &data.config {
        for (i, p) in c.volatile.iter().enumerate() {
            volatile.extend(regex(format!("config.volatile[{i}]"), p)?);
        }
        for (field, steps) in c.steps() {
            for (i, step) in steps.iter().enumerate() {
                for (j, (question, _)) in step.answers().iter().enumerate() {
                    regex(format!("config.{field}[{i}].answers[{j}]"), question)?;
                }
            }
        }
        if let Some(l) = &c.locate {
            regex(
                "config.locate.pattern".into(),
                &l.pattern.replace("{name}", "netrun-0"),
            )?;
        }
        if let Some(n) = &c.interface_naming {
            let keyword = n.keyword.to_ascii_lowercase();
            if n.shortest.is_empty() || !keyword.starts_with(&n.shortest.to_ascii_lowercase()) {
                return Err(fail(
                    "config.interface_naming.shortest",
                    format!(
                        "`{}` is not an abbreviation of `{}`: give the shortest form the device accepts (`int` for `interface`)",
                        n.shortest, n.keyword
                    ),
                ));
            }
        }
    }
    if data.line_ending.is_empty() {
        return Err(fail("line_ending", "must not be empty".into()));
    }
    if let Some(i) = data.failure_indicators.iter().position(|f| f.is_empty()) {
        return Err(fail(
            &format!("failure_indicators[{i}]"),
            "an empty indicator would refuse every command".into(),
        ));
    }
    for mode in data.examples.prompts.keys() {
        known(&format!("examples.prompts.{mode}"), mode)?;
    }
    Ok(Compiled {
        file: data,
        prompts,
        pagers,
        challenges,
        volatile,
    })
}

impl PlatformFile {
    /// Every `device_type` name of this file: its name, then its aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The WIT definition for `name` (the file's name or one of its aliases).
    pub fn definition(&self, name: &str) -> Definition {
        Definition {
            name: name.to_string(),
            default_mode: self.default_mode.clone(),
            configuration_mode: self.configuration_mode.clone(),
            modes: self
                .modes
                .iter()
                .map(|m| Mode {
                    name: m.name.clone(),
                    prompt: m.prompt.clone(),
                    transitions: m
                        .transitions
                        .iter()
                        .map(|t| Transition {
                            to: t.to.clone(),
                            send: t.send.clone(),
                            challenge: t.challenge.as_ref().map(|c| Challenge {
                                prompt: c.prompt.clone(),
                                answer: match c.answer {
                                    SecretData::Password => Secret::Password,
                                    SecretData::EnableSecret => Secret::EnableSecret,
                                },
                            }),
                        })
                        .collect(),
                })
                .collect(),
            on_open: self.on_open.clone(),
            on_close: self.on_close.clone(),
            pagers: self
                .pagers
                .iter()
                .map(|p| Pager {
                    pattern: p.pattern.clone(),
                    keys: p.keys.clone(),
                })
                .collect(),
            failure_indicators: self.failure_indicators.clone(),
            line_ending: self.line_ending.clone(),
            config: self.config.as_ref().map(ConfigData::mechanics),
            variants: self
                .variants
                .iter()
                .map(|v| (v.prompt.clone(), v.platform.clone()))
                .collect(),
        }
    }
}

impl ConfigData {
    /// The WIT 0.2 `config-mechanics` of this section.
    pub fn mechanics(&self) -> ConfigMechanics {
        let steps = |list: &[Step]| {
            list.iter()
                .map(|s| WitStep {
                    send: s.send().to_string(),
                    answers: s.answers().to_vec(),
                })
                .collect()
        };
        ConfigMechanics {
            show_running: self.show_running.clone(),
            show_startup: self.show_startup.clone(),
            show_running_otherwise: self.show_running_otherwise.clone(),
            volatile: self.volatile.clone(),
            style: match self.style {
                ConfigStyle::Indented => WitStyle::Indented,
                ConfigStyle::Set => WitStyle::Set,
                ConfigStyle::Flat => WitStyle::Flat,
                ConfigStyle::Blocks => WitStyle::Blocks,
                ConfigStyle::Menus => WitStyle::Menus,
            },
            commit: steps(&self.commit),
            commit_confirmed: steps(&self.commit_confirmed),
            confirm: steps(&self.confirm),
            abort: steps(&self.abort),
            checkpoint: steps(&self.checkpoint),
            rollback: steps(&self.rollback),
            save: steps(&self.save),
            replace: steps(&self.replace),
            cleanup: steps(&self.cleanup),
            interface_naming: self.interface_naming.as_ref().map(|n| InterfaceNaming {
                keyword: n.keyword.clone(),
                shortest: n.shortest.clone(),
                types: n.types.clone(),
            }),
            locate: self.locate.as_ref().map(|l| Locate {
                command: l.command.clone(),
                pattern: l.pattern.clone(),
                otherwise: l.otherwise.clone(),
            }),
        }
    }
}

/// Every platform data file shipped with this crate: (file name, contents).
pub fn files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/platform_files.rs"));
}

/// Every shipped file, parsed once per process or component instance
/// (patterns not compiled).
pub fn parsed() -> &'static [Result<PlatformFile, DataError>] {
    static PARSED: std::sync::OnceLock<Vec<Result<PlatformFile, DataError>>> =
        std::sync::OnceLock::new();
    PARSED.get_or_init(|| files().iter().map(|(f, t)| parse(f, t)).collect())
}

/// The shipped file defining `name` (its name or one of its aliases), parsed.
pub fn platform_file(name: &str) -> Option<&'static PlatformFile> {
    parsed()
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find(|f| f.names().any(|n| n == name))
}

/// Every shipped file, loaded once with its patterns compiled (tests and
/// tools that match prompts).
pub fn loaded() -> &'static [Result<Compiled, DataError>] {
    static LOADED: std::sync::OnceLock<Vec<Result<Compiled, DataError>>> =
        std::sync::OnceLock::new();
    LOADED.get_or_init(|| files().iter().map(|(f, t)| load(f, t)).collect())
}

/// The shipped platform `name` (a file's name or one of its aliases).
pub fn platform(name: &str) -> Option<&'static Result<Compiled, DataError>> {
    let file = format!("{name}.yaml");
    loaded().iter().find(|r| match r {
        Ok(c) => c.file.names().any(|n| n == name),
        Err(e) => e.file == file,
    })
}

/// Definitions of every shipped platform served by `driver`, and the files
/// refused (each error names the file, the field and the problem).
pub fn definitions_for(driver: &str) -> (Vec<Definition>, Vec<DataError>) {
    let mut defs = Vec::new();
    let mut errors = Vec::new();
    for r in parsed() {
        match r {
            Ok(f) if f.driver == driver => {
                defs.extend(f.names().map(|n| f.definition(n)));
            }
            Ok(_) => {}
            Err(e) => errors.push(e.clone()),
        }
    }
    (defs, errors)
}

/// How many non-blank lines at the head of an answer can hold a refusal:
/// the host's own bound (`REFUSAL_HEAD_LINES` in host/src/transport/platform.rs),
/// so a getter reads an answer as refused exactly where the host does.
const REFUSAL_HEAD_LINES: usize = 5;

/// The one of `indicators` in the first five non-blank lines of a
/// command's answer `output`, where a device prints its refusal (under a
/// caret line), as the host looks for it: the same words further down (a
/// log line, a description in a configuration) are output.
pub fn refusal_in<'a>(indicators: &'a [String], output: &str) -> Option<&'a str> {
    output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(REFUSAL_HEAD_LINES)
        .find_map(|l| {
            indicators
                .iter()
                .find(|f| !f.is_empty() && l.contains(f.as_str()))
        })
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name: demo_os
vendor: Demo
os: DemoOS
driver: netrun-platforms
default_mode: exec
configuration_mode: exec
modes:
  - name: exec
    prompt: '^\w+#\s*$'
examples:
  prompts:
    exec: ["r1#"]
"#;

    #[test]
    fn a_minimal_file_loads() {
        let c = load("demo_os.yaml", MINIMAL).unwrap();
        assert_eq!(c.mode_of("r1#"), Some(0));
        assert_eq!(c.file.line_ending, "\n");
        let def = c.file.definition("demo_os");
        assert_eq!(def.modes[0].prompt, r"^\w+#\s*$");
    }

    #[test]
    fn a_bad_regex_is_refused_naming_file_field_and_error() {
        let text = MINIMAL.replace(r"'^\w+#\s*$'", r"'^(\w+#\s*$'");
        let err = load("demo_os.yaml", &text).unwrap_err();
        assert_eq!(err.file, "demo_os.yaml");
        assert_eq!(err.field, "modes[0].prompt");
        let line = err.to_string();
        assert!(line.starts_with("platform file demo_os.yaml: modes[0].prompt: regex `^(\\w+#\\s*$` does not compile:"), "{line}");
        assert!(line.contains("unclosed group"), "{line}");
        assert!(!line.contains('\n'), "one line: {line}");
    }

    #[test]
    fn a_bad_volatile_regex_is_refused() {
        let text = format!(
            "{MINIMAL}config:\n  show_running: show run\n  style: flat\n  volatile: ['^ok', '[z-a]']\n"
        );
        let err = load("demo_os.yaml", &text).unwrap_err();
        assert_eq!(err.field, "config.volatile[1]");
    }

    #[test]
    fn an_interface_naming_whose_shortest_form_is_no_abbreviation_is_refused() {
        let text = format!(
            "{MINIMAL}config:\n  show_running: show run\n  style: indented\n  interface_naming: {{keyword: interface, shortest: if, types: [Ethernet]}}\n"
        );
        let err = load("demo_os.yaml", &text).unwrap_err();
        assert_eq!(err.field, "config.interface_naming.shortest");
        assert!(
            err.message
                .contains("`if` is not an abbreviation of `interface`"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_mode_or_field_is_refused() {
        let text = MINIMAL.replace("configuration_mode: exec", "configuration_mode: config");
        let err = load("demo_os.yaml", &text).unwrap_err();
        assert_eq!(err.field, "configuration_mode");
        assert!(err.message.contains("`config` is not defined"), "{err}");

        let text = MINIMAL.replace("vendor: Demo", "vendor: Demo\npromt: x");
        let err = load("demo_os.yaml", &text).unwrap_err();
        assert!(err.message.contains("unknown field `promt`"), "{err}");
    }

    #[test]
    fn the_name_must_match_the_file() {
        let err = load("other_os.yaml", MINIMAL).unwrap_err();
        assert_eq!(err.field, "name");
    }
}
