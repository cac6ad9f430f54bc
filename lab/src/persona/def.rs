//! The persona data format: what a `lab/personas/<platform>.yaml` file holds.
//!
//! A persona describes how one platform's CLI looks and behaves: prompts per mode
//! and how to move between modes (with secret challenges), the pager, error texts,
//! the login banner, the models and releases devices are drawn from, the commands
//! it answers with their output templates (minijinja, Jinja2 syntax), and how its
//! configuration is written, edited, committed and rolled back.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One persona file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaDef {
    /// Netmiko/Scrapli `device_type` (`juniper_junos`).
    pub platform: String,
    /// Vendor name for the inventory (`juniper`).
    pub vendor: String,
    /// Device name prefix (`junos` → `junos001`).
    pub name_prefix: String,
    /// What the device's SSH server announces (`SSH-2.0-OpenSSH_7.5`).
    #[serde(default = "default_ssh_id")]
    pub ssh_id: String,
    /// Hardware models devices are drawn from.
    pub models: Vec<ModelDef>,
    /// Software releases devices are drawn from; free-form fields (`version` is
    /// required) available to templates as `release.<field>`.
    pub releases: Vec<BTreeMap<String, String>>,
    /// Printed once after login, before the first prompt (a template).
    #[serde(default)]
    pub banner: String,
    /// Mode a session starts in.
    pub login_mode: String,
    /// Text after the banner after which the device waits for any key
    /// before its first prompt (ArubaOS-Switch "Press any key to continue").
    #[serde(default)]
    pub press_any_key: Option<String>,
    /// The question the `login-question` fault asks after login, before the
    /// first prompt.
    #[serde(default)]
    pub login_question: Option<LoginQuestionDef>,
    /// Mode SSH `exec` requests run in (default: the login mode).
    #[serde(default)]
    pub exec_mode: Option<String>,
    /// Modes by name.
    pub modes: BTreeMap<String, ModeDef>,
    /// The pager.
    pub pager: PagerDef,
    /// Error texts.
    pub errors: ErrorsDef,
    /// Whether commands may be abbreviated to a unique prefix (`sh ver`).
    #[serde(default = "yes")]
    pub abbreviations: bool,
    /// Output filters after `|`: the word the platform uses → `include`,
    /// `exclude`, `begin`, `count`, `no-more`, `section`, `display-set`, `compare`.
    #[serde(default)]
    pub pipes: BTreeMap<String, String>,
    /// Colours and terminal control as RouterOS sends them unless the login name
    /// carries `+c` (this text before each prompt, a reset after it) and `+t`
    /// (a cursor move before the banner).
    #[serde(default)]
    pub ansi_prompt: Option<String>,
    /// In the dumb terminal mode a login name may ask for (RouterOS `+e`),
    /// the line is repainted on Enter (`\r`, the prompt and the command again)
    /// and the prompt after each output is printed twice on one line (`\r`
    /// between), as scrapli's and Netmiko's RouterOS drivers expect.
    #[serde(default)]
    pub dumb_repaint: bool,
    /// Printed before the output of every command (IOS XR prints a timestamp line);
    /// a template.
    #[serde(default)]
    pub output_prefix: String,
    /// Commands the platform answers.
    pub commands: Vec<CommandDef>,
    /// Configuration model.
    pub config: ConfigDef,
    /// The device's configuration at lab start (a template over the device facts).
    pub initial_config: String,
    /// Named templates other templates may include (`{% include "name" %}`).
    #[serde(default)]
    pub partials: BTreeMap<String, String>,
    /// Another CLI of the same platform, chosen by a release's `variant`
    /// field (SR OS classic CLI beside the model-driven one): its own
    /// configuration model and configuration at lab start.
    #[serde(default)]
    pub variants: BTreeMap<String, VariantDef>,
}

/// A release's own configuration model (see [`PersonaDef::variants`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantDef {
    /// Configuration model.
    pub config: ConfigDef,
    /// The device's configuration at lab start (a template over the device facts).
    pub initial_config: String,
}

fn default_ssh_id() -> String {
    "SSH-2.0-OpenSSH_8.0".into()
}

fn yes() -> bool {
    true
}

/// A hardware model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDef {
    /// Model name as `show version` prints it.
    pub name: String,
    /// Inventory role (`core`, `edge`, `leaf`, `access`, `firewall`, `server`).
    pub role: String,
    /// Serial number prefix.
    pub serial_prefix: String,
    /// Characters after the prefix.
    #[serde(default = "default_serial_len")]
    pub serial_len: usize,
    /// `digits`, `upper` (digits and capitals) or `hex` (upper-case hex).
    #[serde(default = "default_charset")]
    pub serial_charset: String,
    /// First three bytes of the device's MACs, hex (`00:05:86` or `000586`).
    pub oui: String,
    /// Front-panel port names; `{n}` is replaced by 0, 1, 2 … from `first_port`.
    pub port: String,
    /// Number of the first port.
    #[serde(default)]
    pub first_port: u32,
    /// Most ports simulated.
    #[serde(default = "default_ports")]
    pub ports: u32,
    /// Port speed, Mbit/s.
    #[serde(default = "default_speed")]
    pub speed: u32,
    /// Management interface name, if any.
    #[serde(default)]
    pub mgmt: Option<String>,
    /// Loopback interface name, if any.
    #[serde(default)]
    pub loopback: Option<String>,
    /// A layer-2 switch (MAC table, VLANs).
    #[serde(default)]
    pub switch: bool,
    /// Free-form fields for templates (`model.extra.<field>`).
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

fn default_serial_len() -> usize {
    8
}
fn default_charset() -> String {
    "upper".into()
}
fn default_ports() -> u32 {
    10
}
fn default_speed() -> u32 {
    1000
}

/// A CLI mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeDef {
    /// The prompt (a template: `host`, `user`, `ctx`, `path`, `dirty`, `vdom`).
    pub prompt: String,
    /// A configuration mode (lines are configuration unless they are commands).
    #[serde(default)]
    pub config: bool,
    /// Mode `exit` returns to (none: `exit` ends the session).
    #[serde(default)]
    pub parent: Option<String>,
}

/// A question asked after login (Huawei VRP's password change, RouterOS's
/// software licence) and the answer that lets the session go on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginQuestionDef {
    /// What the device prints (lines end in `\n`).
    pub text: String,
    /// The answer that lets the session go on: one key, or with `line` a
    /// line ended by Enter. Letters match in either case.
    pub answer: String,
    /// Whether the answer is a line (else the device reads one key).
    #[serde(default)]
    pub line: bool,
}

/// The pager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDef {
    /// The pager prompt (`--More--`, `---(more)---`, `  ---- More ----`).
    pub prompt: String,
    /// Printed when output continues, to wipe the pager prompt.
    #[serde(default)]
    pub erase: String,
    /// Output lines per page of a fresh session (0: no pager).
    pub lines: u16,
    /// Keys that show one more line.
    #[serde(default = "enter_keys")]
    pub line_keys: String,
    /// Keys that show one more page.
    #[serde(default = "space_keys")]
    pub page_keys: String,
    /// Keys that stop the output.
    #[serde(default = "quit_keys")]
    pub quit_keys: String,
}

fn enter_keys() -> String {
    "\r".into()
}
fn space_keys() -> String {
    " ".into()
}
fn quit_keys() -> String {
    "qQ\x03".into()
}

/// Error texts (templates: `caret` is the caret line, `line` what was typed,
/// `word` the offending word, `col` its column).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsDef {
    /// Unknown command or keyword.
    pub invalid: String,
    /// Command missing words.
    pub incomplete: String,
    /// Abbreviation matching several keywords.
    pub ambiguous: String,
    /// A configuration line the device refuses (defaults to `invalid`).
    #[serde(default)]
    pub config_invalid: Option<String>,
}

/// A command the persona answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDef {
    /// Words; `{name}` takes one word, `{name...}` the rest of the line.
    pub cmd: String,
    /// Modes it is valid in (default: every non-configuration mode).
    #[serde(default)]
    pub modes: Vec<String>,
    /// What it does besides printing `output` (see [`crate::persona`] for the list).
    #[serde(default)]
    pub action: Option<String>,
    /// Output (a template over the device facts and `args`).
    #[serde(default)]
    pub output: Option<String>,
    /// Mode to switch to.
    #[serde(default)]
    pub to: Option<String>,
    /// Secret challenge before switching (`Password: `).
    #[serde(default)]
    pub password: Option<String>,
    /// Printed when the secret is wrong.
    #[serde(default)]
    pub denied: Option<String>,
    /// A question asked before the action runs (a template over `args`); Enter,
    /// `y` or `yes` goes on, anything else cancels.
    #[serde(default)]
    pub confirm: Option<String>,
    /// Whether the command must be typed in full (no abbreviation), e.g. `q`.
    #[serde(default)]
    pub exact: bool,
}

/// How configuration is written and changed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDef {
    /// Text format: `indented`, `braces`, `fortios`, `routeros`.
    pub format: String,
    /// How configuration lines are entered: `context` (IOS-like: a line opens a
    /// block or sets a line in the current one), `set` (`set`/`delete` paths,
    /// Junos-like), `fortios`, `routeros`, `none`.
    pub style: String,
    /// `immediate` (lines change the running configuration) or `candidate`
    /// (changes wait for `commit`).
    #[serde(default = "immediate")]
    pub commit: String,
    /// Indentation per level when printing.
    #[serde(default = "one_space")]
    pub indent: String,
    /// Line after each top-level block (`!`, `#`).
    #[serde(default)]
    pub separator: String,
    /// Separator only after blocks (not after single top-level lines).
    #[serde(default)]
    pub separator_after_blocks_only: bool,
    /// Comment line markers dropped when parsing.
    #[serde(default)]
    pub comments: Vec<String>,
    /// Braces format: `;` after leaves.
    #[serde(default = "yes")]
    pub semicolons: bool,
    /// Negation word (`no`, `undo`, `unset`).
    #[serde(default = "no_word")]
    pub negate: String,
    /// Lines whose negated form the platform prints when it departs from
    /// the default (EOS `no aaa root`, ` no switchport`): a typed `no X`
    /// that removes nothing is kept as a line when X starts with one of
    /// these, so a configuration typed into a clean one reads back the same.
    #[serde(default)]
    pub printed_negations: Vec<String>,
    /// Path (line prefixes) to the hostname.
    pub hostname_path: Vec<String>,
    /// Context style: keywords that open a block → prompt context template
    /// (`interface: config-if`; `args` holds the words after the keyword).
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
    /// Context style: keywords that open a block inside a block of the key's
    /// keyword (`router: [address-family, neighbor]`).
    #[serde(default)]
    pub subsections: BTreeMap<String, Vec<String>>,
    /// Context style: first words accepted at top level (besides sections).
    #[serde(default)]
    pub global: Vec<String>,
    /// Context style: first words accepted inside a block of the key's keyword.
    #[serde(default)]
    pub block_words: BTreeMap<String, Vec<String>>,
    /// Lines (word prefixes) that hold one value: setting one replaces the old
    /// (`hostname`, `description`, `ip address`). Set style: single-valued keys.
    #[serde(default)]
    pub single: Vec<String>,
    /// Set style: words that take the next word along (`unit 0`, `host-name r1`).
    #[serde(default)]
    pub keyed: Vec<String>,
    /// Set style (SR OS MD-CLI): first words of list entries, printed in
    /// braces by `full-context` when nothing is set under them.
    #[serde(default)]
    pub entries: Vec<String>,
    /// Set style: first words accepted after `set`/`delete`.
    #[serde(default)]
    pub top: Vec<String>,
    /// Where an interface's configuration lives, so show commands reflect its
    /// description and shutdown state.
    #[serde(default)]
    pub interface_config: Option<InterfaceConfigDef>,
    /// A configuration line that turns the pager off when present in the running
    /// configuration (FortiOS `set output standard`).
    #[serde(default)]
    pub pager_off_line: Option<String>,
    /// Interface type names, for expanding abbreviations (`gi0/1`).
    #[serde(default)]
    pub interface_types: Vec<String>,
    /// Classic style (SR OS classic CLI): what each context holds, by the
    /// keywords of its path (`""` the top, `system time ntp`, `router
    /// interface`).
    #[serde(default)]
    pub contexts: BTreeMap<String, ContextDef>,
    /// Classic format: the title echoed before a run of top-level blocks
    /// starting with the key's keyword (`system: System` prints
    /// `echo "System Configuration"`).
    #[serde(default)]
    pub echo: BTreeMap<String, String>,
}

/// Classic style: one configuration context.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    /// Contexts entered from here, by keyword.
    #[serde(default)]
    pub enter: BTreeMap<String, EnterDef>,
    /// Leaves holding one value: setting one replaces the old
    /// (`description "x"`, `name "r1"`); `shutdown` and `no shutdown`
    /// replace each other.
    #[serde(default)]
    pub leaves: Vec<String>,
    /// Leaves kept once per first argument (`server 192.0.2.1`).
    #[serde(default)]
    pub multi: Vec<String>,
}

/// Classic style: how a context keyword is typed and printed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterDef {
    /// Its argument: none (`system`), `plain` (`port 1/1/1`) or `quoted`
    /// (`interface "to-pe2"`, printed in quotes however typed).
    #[serde(default)]
    pub arg: Option<String>,
    /// The argument when none is typed (`router` is `router Base`).
    #[serde(default)]
    pub default: Option<String>,
    /// The context's name in the prompt (`if` for `interface`).
    #[serde(default)]
    pub prompt: Option<String>,
}

fn immediate() -> String {
    "immediate".into()
}
fn one_space() -> String {
    " ".into()
}
fn no_word() -> String {
    "no".into()
}

/// How an interface's configured description and shutdown state are found.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceConfigDef {
    /// Path of lines to the interface's block; `{name}` is the interface name
    /// (`["interface {name}"]`, `["interfaces", "{name}"]`).
    pub path: Vec<String>,
    /// Line prefix of the description (`description`, `set description`).
    pub description: String,
    /// Line that means administratively down (`shutdown`, `disable`).
    pub shutdown: String,
}
