//! IOS-like command line: line discipline (echo, editing, Enter handling), modes,
//! abbreviation matching, paging and command dispatch.
//!
//! The engine is transport-free: feed it the bytes a client typed with [`Cli::feed`]
//! and it returns [`Action`]s (bytes to send, end of session). The SSH server in
//! `crate::server` is a thin shell around it, and unit tests drive it directly.

use std::sync::Arc;

use crate::device::{Device, IfKind, Interface, MAX_EXTRA_CONFIG};
pub(crate) use crate::line::crlf;
use crate::line::{Key, LineEditor, page};
use crate::templates;

/// The pager prompt.
pub const MORE: &str = " --More-- ";
/// Bytes that erase the pager prompt when output continues.
const MORE_ERASE: &[u8] =
    b"\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";
/// Longest command line kept (further typed characters are dropped).
const MAX_LINE: usize = 1024;

/// What the transport must do after feeding input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes produced by the line discipline: echo, erase sequences, pager pages.
    Echo(Vec<u8>),
    /// The answer to an entered line (command output followed by the next prompt or the
    /// pager prompt). Transports apply per-command faults (latency, drops) to these.
    Reply(Vec<u8>),
    /// The user ended the session (`exit`, `logout`).
    Close,
}

/// Per-session settings of the CLI.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Enable secret expected after `enable`.
    pub enable_secret: String,
    /// Logged-in user name (for `show users`).
    pub username: String,
    /// Remote address (for `show users`).
    pub peer: String,
    /// Configuration lines matching this are refused with the platform's error
    /// (the `reject-line` fault).
    pub refuse: Option<std::sync::Arc<regex::Regex>>,
    /// A copy to a file fails for want of room (the `flash-full` fault).
    pub flash_full: bool,
    /// Console options given after `+` in the login name (RouterOS
    /// `admin+ct511w4098h`: `c` no colours, `t` no terminal detection).
    pub login_options: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sub {
    Global,
    /// Interface configuration; `None` when the interface does not exist (commands
    /// are accepted and ignored).
    Interface(Option<String>),
    Line,
    /// A block kept as text in the running configuration (`router bgp 65000`,
    /// `archive`, `ip access-list extended X` …), by its header line.
    Block(String),
}

/// What a confirmed question does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Confirm {
    /// `copy running-config <file>`.
    CopyRunning(String),
    /// `configure replace <file>`.
    Replace(String),
}

/// First words IOS accepts in global configuration (besides the modelled ones).
const GLOBAL_WORDS: &[&str] = &[
    "aaa",
    "access-list",
    "alias",
    "archive",
    "banner",
    "boot",
    "bridge",
    "call-home",
    "cdp",
    "class-map",
    "clock",
    "control-plane",
    "crypto",
    "default",
    "dot1x",
    "enable",
    "errdisable",
    "event",
    "file",
    "interface",
    "ip",
    "ipv6",
    "key",
    "license",
    "line",
    "lldp",
    "logging",
    "login",
    "mac",
    "monitor",
    "mpls",
    "no",
    "ntp",
    "object-group",
    "policy-map",
    "port-channel",
    "privilege",
    "redundancy",
    "rmon",
    "route-map",
    "router",
    "service",
    "snmp-server",
    "spanning-tree",
    "tacacs",
    "tacacs-server",
    "radius",
    "radius-server",
    "track",
    "udld",
    "username",
    "vlan",
    "vrf",
    "vtp",
    "platform",
    "memory",
    "multilink",
    "hostname",
    "transceiver",
    "diagnostic",
    "system",
    "version",
];

/// Global configuration keywords that open a block kept as text.
const BLOCK_WORDS: &[&str] = &[
    "router",
    "archive",
    "vrf",
    "route-map",
    "class-map",
    "policy-map",
    "key",
    "track",
    "redundancy",
    "control-plane",
    "vlan",
    "object-group",
    "crypto",
    "call-home",
    "aaa",
];

/// Lines (word prefixes) holding one value: a new one replaces the old.
const SINGLE_WORDS: &[&str] = &[
    "ip domain name",
    "ip domain-name",
    "clock timezone",
    "banner motd",
    "banner login",
    "snmp-server location",
    "snmp-server contact",
    "ip default-gateway",
    "logging buffered",
    "enable secret",
    "spanning-tree mode",
    "vtp mode",
    "ip name-server",
    "boot system",
    "description",
    "path",
    "maximum",
    "bgp router-id",
    "router-id",
    "time-period",
];

/// First words accepted in interface configuration.
const INTERFACE_WORDS: &[&str] = &[
    "description",
    "ip",
    "ipv6",
    "shutdown",
    "no",
    "switchport",
    "speed",
    "duplex",
    "mtu",
    "negotiation",
    "channel-group",
    "spanning-tree",
    "standby",
    "vrf",
    "bandwidth",
    "load-interval",
    "cdp",
    "lldp",
    "service-policy",
    "media-type",
    "encapsulation",
    "keepalive",
    "power",
    "storm-control",
    "logging",
    "authentication",
    "dot1x",
    "mab",
    "carrier-delay",
    "udld",
    "default",
    "delay",
    "hold-queue",
    "mac-address",
    "macsec",
    "mpls",
    "ospf",
    "arp",
    "snmp",
    "vrrp",
    "tunnel",
    "flowcontrol",
    "auto",
    "device-tracking",
    "access-session",
];

/// `line` starts with the whole words of `prefix`.
fn starts_with_words(line: &str, prefix: &str) -> bool {
    line.starts_with(prefix)
        && line[prefix.len()..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    User,
    Priv,
    Config(Sub),
    /// `tclsh`: enough Tcl to write a file to flash (`set f [open … w]`,
    /// `puts $f "…"`, `close $f`), as Netmiko's and NAPALM's users do.
    Tcl,
}

#[derive(Debug)]
enum Input {
    Line,
    /// The enable secret is being typed (not echoed).
    EnablePassword,
    /// A question (`Destination filename [x]?`, `[no]:`) and what to do on yes.
    Confirm(Confirm),
    More {
        text: String,
        pos: usize,
    },
}

/// Why a command line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    /// Invalid input at this byte offset of the line.
    Invalid(usize),
    Ambiguous,
    Incomplete,
}

enum Outcome {
    Text(String),
    AskEnable,
    /// A question; the answer goes to [`Confirm`].
    Ask(String, Confirm),
    Close,
}

/// One word of a command line and its byte offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'a> {
    pub s: &'a str,
    pub at: usize,
}

/// Splits a line into words with their offsets.
pub(crate) fn tokens(line: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_ascii_whitespace() {
            if let Some(s) = start.take() {
                out.push(Tok {
                    s: &line[s..i],
                    at: s,
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Tok {
            s: &line[s..],
            at: s,
        });
    }
    out
}

/// IOS keyword matching: exact match, else unique prefix; a prefix of several
/// keywords is ambiguous; otherwise invalid at the first character that no keyword
/// continues with.
fn keyword(tok: &Tok<'_>, cands: &[&'static str]) -> Result<&'static str, Fail> {
    let lower = tok.s.to_ascii_lowercase();
    if let Some(k) = cands.iter().find(|k| **k == lower) {
        return Ok(k);
    }
    let mut hits = cands.iter().filter(|k| k.starts_with(lower.as_str()));
    match (hits.next(), hits.next()) {
        (Some(k), None) => Ok(k),
        (Some(_), Some(_)) => Err(Fail::Ambiguous),
        _ => {
            let best = cands
                .iter()
                .map(|k| {
                    k.bytes()
                        .zip(lower.bytes())
                        .take_while(|(a, b)| a == b)
                        .count()
                })
                .max()
                .unwrap_or(0);
            Err(Fail::Invalid(
                tok.at + best.min(tok.s.len().saturating_sub(1)),
            ))
        }
    }
}

/// `tok` abbreviates `word` with at least `min` characters.
fn abbrev(tok: &str, word: &str, min: usize) -> bool {
    tok.len() >= min.min(word.len()) && word.starts_with(&tok.to_ascii_lowercase())
}

fn no_more(rest: &[Tok<'_>]) -> Result<(), Fail> {
    match rest.first() {
        Some(t) => Err(Fail::Invalid(t.at)),
        None => Ok(()),
    }
}

const IF_TYPES: [&str; 6] = [
    "GigabitEthernet",
    "TenGigabitEthernet",
    "Loopback",
    "Vlan",
    "Tunnel",
    "Port-channel",
];

/// Expands an interface name like `gi0/0/1`, `Gi 0/1`, `lo0` to its full IOS name.
fn expand_ifname(s: &str) -> Option<String> {
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (kind, num) = s.split_at(split);
    if num.is_empty()
        || !num
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '/' | '.' | ':'))
    {
        return None;
    }
    let kind = kind.trim().to_ascii_lowercase();
    if kind.is_empty() {
        return None;
    }
    let mut hits = IF_TYPES
        .iter()
        .filter(|t| t.to_ascii_lowercase().starts_with(&kind));
    match (hits.next(), hits.next()) {
        (Some(t), None) => Some(format!("{t}{num}")),
        _ => None,
    }
}

/// Joins the remaining tokens to an interface name; `Err` points at the first token.
fn ifname_arg(rest: &[Tok<'_>]) -> Result<String, Fail> {
    let first = rest.first().ok_or(Fail::Incomplete)?;
    let joined: String = rest.iter().map(|t| t.s).collect();
    expand_ifname(&joined).ok_or(Fail::Invalid(first.at))
}

/// Output filter after `|`.
pub(crate) enum Filter {
    Include(regex::Regex),
    Exclude(regex::Regex),
    Begin(regex::Regex),
    Section(regex::Regex),
    Count(regex::Regex),
}

impl Filter {
    fn parse(line: &str, bar: usize) -> Result<Filter, Fail> {
        let rest = &line[bar + 1..];
        let toks: Vec<Tok<'_>> = tokens(rest)
            .into_iter()
            .map(|t| Tok {
                s: t.s,
                at: t.at + bar + 1,
            })
            .collect();
        let first = toks.first().ok_or(Fail::Incomplete)?;
        let kw = keyword(first, &["begin", "count", "exclude", "include", "section"])?;
        let pattern = line[first.at + first.s.len()..].trim();
        if pattern.is_empty() {
            return Err(Fail::Incomplete);
        }
        let re = regex::Regex::new(pattern)
            .or_else(|_| regex::Regex::new(&regex::escape(pattern)))
            .map_err(|_| Fail::Invalid(first.at))?;
        Ok(match kw {
            "begin" => Filter::Begin(re),
            "count" => Filter::Count(re),
            "exclude" => Filter::Exclude(re),
            "include" => Filter::Include(re),
            _ => Filter::Section(re),
        })
    }

    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = String::new();
        let mut push = |l: &str| {
            out.push_str(l);
            out.push('\n');
        };
        match self {
            Filter::Include(re) => text.lines().filter(|l| re.is_match(l)).for_each(push),
            Filter::Exclude(re) => text.lines().filter(|l| !re.is_match(l)).for_each(push),
            Filter::Begin(re) => text.lines().skip_while(|l| !re.is_match(l)).for_each(push),
            Filter::Section(re) => {
                let mut inside = false;
                for l in text.lines() {
                    if !l.starts_with(' ') {
                        inside = re.is_match(l);
                    }
                    if inside || re.is_match(l) {
                        push(l);
                    }
                }
            }
            Filter::Count(re) => {
                let n = text.lines().filter(|l| re.is_match(l)).count();
                push(&format!("Number of lines which match regexp = {n}"));
            }
        }
        out
    }
}

const USER_CMDS: &[&str] = &[
    "disable", "enable", "exit", "logout", "quit", "show", "terminal",
];
const PRIV_CMDS: &[&str] = &[
    "archive",
    "configure",
    "copy",
    "delete",
    "dir",
    "disable",
    "enable",
    "exit",
    "logout",
    "quit",
    "show",
    "tclsh",
    "terminal",
    "write",
];
const USER_SHOW: &[&str] = &[
    "bgp",
    "clock",
    "environment",
    "interfaces",
    "inventory",
    "ip",
    "lldp",
    "mac",
    "memory",
    "privilege",
    "processes",
    "users",
    "version",
];
const PRIV_SHOW: &[&str] = &[
    "archive",
    "bgp",
    "clock",
    "environment",
    "interfaces",
    "inventory",
    "ip",
    "lldp",
    "mac",
    "memory",
    "privilege",
    "processes",
    "running-config",
    "startup-config",
    "users",
    "version",
];

/// One CLI session on a device.
#[derive(Debug)]
pub struct Cli {
    device: Arc<Device>,
    info: SessionInfo,
    mode: Mode,
    input: Input,
    ed: LineEditor,
    term_len: u16,
    term_width: u16,
    closed: bool,
    /// `tclsh` files open for writing: (variable, path on flash, text so far).
    tcl: Vec<(String, String, String)>,
}

/// Configuration text as top-level lines and the indented lines under
/// each (comments, blank lines and `end` left out), in order.
fn config_blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        let t = line.trim();
        if t.is_empty()
            || t.starts_with('!')
            || t == "end"
            || t.starts_with("Building configuration")
            || t.starts_with("Current configuration :")
        {
            continue;
        }
        if line.starts_with(' ') {
            if let Some((_, kids)) = blocks.last_mut() {
                kids.push(line.to_string());
            }
        } else {
            blocks.push((line.to_string(), Vec::new()));
        }
    }
    blocks
}

impl Cli {
    /// A new session in user EXEC mode with IOS defaults (length 24, width 80).
    pub fn new(device: Arc<Device>, info: SessionInfo) -> Cli {
        Cli {
            device,
            info,
            mode: Mode::User,
            input: Input::Line,
            ed: LineEditor::new(MAX_LINE),
            term_len: 24,
            term_width: 80,
            closed: false,
            tcl: Vec::new(),
        }
    }

    /// The current prompt, e.g. `r001>`, `r001#`, `r001(config-if)#`.
    pub fn prompt(&self) -> String {
        let host = self.device.hostname();
        match &self.mode {
            Mode::User => format!("{host}>"),
            Mode::Priv => format!("{host}#"),
            Mode::Tcl => format!("{host}(tcl)#"),
            Mode::Config(Sub::Global) => format!("{host}(config)#"),
            Mode::Config(Sub::Interface(_)) => format!("{host}(config-if)#"),
            Mode::Config(Sub::Line) => format!("{host}(config-line)#"),
            Mode::Config(Sub::Block(h)) => {
                let ctx = match h.split_whitespace().next().unwrap_or_default() {
                    "router" => "config-router",
                    "archive" => "config-archive",
                    "vrf" => "config-vrf",
                    "route-map" => "config-route-map",
                    "class-map" => "config-cmap",
                    "policy-map" => "config-pmap",
                    "vlan" => "config-vlan",
                    "redundancy" => "config-red",
                    "control-plane" => "config-cp",
                    "track" => "config-track",
                    "key" => "config-keychain",
                    _ => "config-block",
                };
                format!("{host}({ctx})#")
            }
        }
    }

    /// Current `terminal length` (0 = no paging).
    pub fn terminal_length(&self) -> u16 {
        self.term_len
    }

    /// Current `terminal width`.
    pub fn terminal_width(&self) -> u16 {
        self.term_width
    }

    /// What a fresh session prints: MOTD banner, blank line, user-mode prompt.
    pub fn greeting(&self) -> Vec<u8> {
        let name = &self.device.profile.name;
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(
            b"**************************************************************\r\n",
        );
        out.extend_from_slice(b"# Authorized access only > violators prosecuted #\r\n");
        out.extend_from_slice(
            format!("# {name}: netrun-lab simulated device -> all sessions logged #\r\n")
                .as_bytes(),
        );
        out.extend_from_slice(
            b"**************************************************************\r\n",
        );
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.prompt().as_bytes());
        out
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Feeds typed bytes; returns what to send back, in order.
    pub fn feed(&mut self, input: &[u8]) -> Vec<Action> {
        feed_keys(self, input)
    }

    fn echo(acts: &mut Vec<Action>, bytes: &[u8]) {
        push_echo(acts, bytes);
    }

    /// Enter: runs the line, or answers the pending question.
    fn entered(&mut self, line: String, acts: &mut Vec<Action>) {
        match std::mem::replace(&mut self.input, Input::Line) {
            Input::Line | Input::More { .. } => {
                Self::echo(acts, b"\r\n");
                let reply = self.enter(&line);
                acts.push(Action::Reply(reply));
                if self.closed {
                    acts.push(Action::Close);
                }
            }
            Input::EnablePassword => {
                let mut out = b"\r\n".to_vec();
                if line == self.info.enable_secret {
                    self.mode = Mode::Priv;
                } else {
                    out.extend_from_slice(b"% Access denied\r\n\r\n");
                }
                out.extend_from_slice(self.prompt().as_bytes());
                acts.push(Action::Reply(out));
            }
            Input::Confirm(what) => {
                let mut out = b"\r\n".to_vec();
                let text = self.confirmed(what, line.trim());
                crlf(&text, &mut out);
                out.extend_from_slice(self.prompt().as_bytes());
                acts.push(Action::Reply(out));
            }
        }
    }

    /// Runs a confirmed question's action.
    fn confirmed(&mut self, what: Confirm, answer: &str) -> String {
        match what {
            Confirm::CopyRunning(file) => {
                // Enter keeps the proposed name; anything else names the file.
                let file = if answer.is_empty() {
                    file
                } else if answer.contains(':') {
                    answer.to_string()
                } else {
                    let fs = file.split_once(':').map_or("flash", |(f, _)| f);
                    format!("{fs}:{answer}")
                };
                if file == "startup-config" || file == "nvram:startup-config" {
                    return "Building configuration...\n[OK]\n".into();
                }
                if self.info.flash_full {
                    return format!("%Error opening {file} (No space left on device)\n");
                }
                let bytes = self.save_file(&file);
                format!(
                    "\n{bytes} bytes copied in 0.112 secs ({} bytes/sec)\n",
                    bytes * 9
                )
            }
            Confirm::Replace(file) => {
                if answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes") {
                    self.replace_from(&file)
                } else {
                    String::new()
                }
            }
        }
    }

    /// Saves the running configuration as `file`; returns its size in bytes.
    fn save_file(&self, file: &str) -> usize {
        let d = &self.device;
        let snapshot = d.state().clone();
        let bytes = templates::show_running_config(&d.profile, &snapshot).len();
        d.files().insert(file.to_string(), snapshot);
        bytes
    }

    /// `configure replace`: the running configuration becomes `file`.
    fn replace_from(&mut self, file: &str) -> String {
        let text = self.device.texts().get(file).cloned();
        if let Some(text) = text {
            return self.replace_with_text(&text);
        }
        let saved = self.device.files().get(file).cloned();
        match saved {
            Some(s) => {
                *self.device.state() = s;
                "Total number of passes: 1\nRollback Done\n\n".into()
            }
            None => format!("%Error opening {file} (No such file or directory)\n"),
        }
    }

    /// `configure replace` of a text file, as IOS does it: the lines that
    /// differ from the running configuration are applied (`no …` for what
    /// the file lacks); lines the parser refuses are listed and the replace
    /// is aborted, the lines applied before staying applied.
    fn replace_with_text(&mut self, text: &str) -> String {
        let running = templates::show_running_config(&self.device.profile, &self.device.state());
        let (now, new) = (config_blocks(&running), config_blocks(text));
        let mut edits: Vec<(String, Vec<String>)> = Vec::new();
        for (head, kids) in &now {
            match new.iter().find(|(h, _)| h == head) {
                None => match head.strip_prefix("no ") {
                    Some(positive) => edits.push((positive.to_string(), Vec::new())),
                    None => edits.push((format!("no {head}"), Vec::new())),
                },
                Some((_, want)) => {
                    // A `no …` child the file lacks gives way to what the
                    // file sets instead (` no ip address` → ` ip address …`).
                    let gone: Vec<String> = kids
                        .iter()
                        .filter(|k| !want.contains(k) && !k.trim().starts_with("no "))
                        .map(|k| format!(" no {}", k.trim()))
                        .collect();
                    if !gone.is_empty() {
                        edits.push((head.clone(), gone));
                    }
                }
            }
        }
        for (head, kids) in &new {
            let have = now.iter().find(|(h, _)| h == head).map(|(_, k)| k);
            let missing: Vec<String> = kids
                .iter()
                .filter(|k| have.is_none_or(|h| !h.contains(k)))
                .cloned()
                .collect();
            if have.is_none() || !missing.is_empty() {
                edits.push((head.clone(), missing));
            }
        }
        let mode = std::mem::replace(&mut self.mode, Mode::Config(Sub::Global));
        let mut refused = Vec::new();
        let mut out = String::new();
        for (head, kids) in &edits {
            self.mode = Mode::Config(Sub::Global);
            for line in std::iter::once(head).chain(kids) {
                if let Err(f) = self.config_line(line) {
                    out.push_str(line);
                    out.push('\n');
                    out.push_str(&Self::fail_text(f, line, 0));
                    refused.push(line.clone());
                }
            }
        }
        self.mode = mode;
        if refused.is_empty() {
            return "Total number of passes: 1\nRollback Done\n\n".into();
        }
        out.push_str("The rollback configlet from the last pass is listed below:\n********\n!List of Commands:\n");
        for line in &refused {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(" end\n********\n\n\nRollback aborted after 5 passes\n");
        out
    }

    /// A `tclsh` line: files opened for writing, lines put, files closed
    /// onto flash; anything else is an unknown Tcl command.
    fn tcl_line(&mut self, line: &str) -> String {
        let line = line.trim();
        if line.is_empty() {
            return String::new();
        }
        if line == "tclquit" || line == "exit" {
            self.tcl.clear();
            self.mode = Mode::Priv;
            return String::new();
        }
        if let Some(rest) = line.strip_prefix("set ")
            && let Some((var, open)) = rest.split_once(' ')
            && let Some(args) = open
                .trim()
                .strip_prefix("[open ")
                .and_then(|a| a.strip_suffix(']'))
        {
            let mut words = args.split_whitespace();
            let path = words.next().unwrap_or_default().trim_matches('"');
            if !matches!(words.next(), Some("w" | "w+")) || !path.contains(':') {
                return format!("couldn't open \"{path}\": permission denied\n");
            }
            let chan = format!("file{}", self.tcl.len() + 3);
            self.tcl
                .push((var.to_string(), path.to_string(), String::new()));
            return format!("{chan}\n");
        }
        if let Some(rest) = line.strip_prefix("puts $")
            && let Some((var, quoted)) = rest.split_once(' ')
            && let Some(body) = quoted
                .trim()
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
        {
            let Some(open) = self.tcl.iter_mut().find(|(v, _, _)| v == var) else {
                return format!("can't read \"{var}\": no such variable\n");
            };
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => open.2.extend(chars.next()),
                    c => open.2.push(c),
                }
            }
            open.2.push('\n');
            return String::new();
        }
        if let Some(var) = line.strip_prefix("close $") {
            let Some(i) = self.tcl.iter().position(|(v, _, _)| v == var.trim()) else {
                return format!("can't read \"{}\": no such variable\n", var.trim());
            };
            let (_, path, text) = self.tcl.remove(i);
            self.device.texts().insert(path, text);
            return String::new();
        }
        let word = line.split_whitespace().next().unwrap_or_default();
        format!("invalid command name \"{word}\"\n")
    }

    fn more_byte(&mut self, b: u8, acts: &mut Vec<Action>) {
        let Input::More { text, pos } = std::mem::replace(&mut self.input, Input::Line) else {
            return;
        };
        let mut out = MORE_ERASE.to_vec();
        let lines = match b {
            b' ' => self.page_lines(),
            b'\r' => 1,
            _ => 0,
        };
        if lines == 0 {
            out.extend_from_slice(self.prompt().as_bytes());
        } else {
            self.page_out(text, pos, lines, &mut out);
        }
        Self::echo(acts, &out);
    }

    fn page_lines(&self) -> usize {
        if self.term_len == 0 {
            usize::MAX
        } else {
            usize::from(self.term_len.saturating_sub(1).max(1))
        }
    }

    /// Emits up to `lines` lines of `text` from `pos`, then the pager or the prompt.
    fn page_out(&mut self, text: String, pos: usize, lines: usize, out: &mut Vec<u8>) {
        match page(&text, pos, lines, out) {
            Some(pos) => {
                out.extend_from_slice(MORE.as_bytes());
                self.input = Input::More { text, pos };
            }
            None => out.extend_from_slice(self.prompt().as_bytes()),
        }
    }

    /// Runs one entered line; returns the reply bytes (output + prompt/pager).
    fn enter(&mut self, line: &str) -> Vec<u8> {
        let prompt_len = self.prompt().len();
        let result = if matches!(self.mode, Mode::Config(_)) {
            self.config_line(line)
        } else if self.mode == Mode::Tcl {
            Ok(Outcome::Text(self.tcl_line(line)))
        } else {
            self.exec_line(line, matches!(self.mode, Mode::Priv))
        };
        let mut out = Vec::new();
        match result {
            Ok(Outcome::Text(text)) => {
                let lines = self.page_lines();
                self.page_out(text, 0, lines, &mut out);
            }
            Ok(Outcome::AskEnable) => {
                self.input = Input::EnablePassword;
                out.extend_from_slice(b"Password: ");
            }
            Ok(Outcome::Ask(question, what)) => {
                crlf(&question, &mut out);
                self.input = Input::Confirm(what);
            }
            Ok(Outcome::Close) => self.closed = true,
            Err(fail) => {
                crlf(&Self::fail_text(fail, line, prompt_len), &mut out);
                out.extend_from_slice(self.prompt().as_bytes());
            }
        }
        out
    }

    fn fail_text(fail: Fail, line: &str, prompt_len: usize) -> String {
        match fail {
            Fail::Invalid(col) => format!(
                "{}^\n% Invalid input detected at '^' marker.\n\n",
                " ".repeat(prompt_len + col)
            ),
            Fail::Ambiguous => format!("% Ambiguous command:  \"{}\"\n", line.trim()),
            Fail::Incomplete => "% Incomplete command.\n\n".to_string(),
        }
    }

    /// Runs one command as an SSH `exec` request would (privileged, no paging).
    /// Returns the output (with `\r\n` line endings) and an exit status (0 = ok).
    pub fn run_exec(&mut self, command: &str) -> (Vec<u8>, u32) {
        self.mode = Mode::Priv;
        self.term_len = 0;
        let mut out = Vec::new();
        let status = match self.exec_line(command, true) {
            Ok(Outcome::Text(t)) => {
                crlf(&t, &mut out);
                0
            }
            Ok(Outcome::AskEnable | Outcome::Close | Outcome::Ask(..)) => 0,
            Err(fail) => {
                crlf(&Self::fail_text(fail, command, 0), &mut out);
                1
            }
        };
        (out, status)
    }

    fn exec_line(&mut self, line: &str, privileged: bool) -> Result<Outcome, Fail> {
        let (cmd, filter) = match line.find('|') {
            Some(bar) => (&line[..bar], Some(bar)),
            None => (line, None),
        };
        let toks = tokens(cmd);
        let Some(first) = toks.first() else {
            return match filter {
                Some(bar) => Err(Fail::Invalid(bar)),
                None => Ok(Outcome::Text(String::new())),
            };
        };
        let kw = keyword(first, if privileged { PRIV_CMDS } else { USER_CMDS })?;
        if let Some(bar) = filter
            && kw != "show"
        {
            return Err(Fail::Invalid(bar));
        }
        let rest = &toks[1..];
        let text = match kw {
            "show" => {
                let out = self.show(rest, privileged)?;
                match filter {
                    Some(bar) => Filter::parse(line, bar)?.apply(&out),
                    None => out,
                }
            }
            "enable" => {
                if let Some(t) = rest.first()
                    && t.s.parse::<u8>().map_or(true, |l| l > 15)
                {
                    return Err(Fail::Invalid(t.at));
                }
                if privileged {
                    String::new()
                } else {
                    return Ok(Outcome::AskEnable);
                }
            }
            "disable" => {
                no_more(rest)?;
                self.mode = Mode::User;
                String::new()
            }
            "exit" | "logout" | "quit" => {
                no_more(rest)?;
                return Ok(Outcome::Close);
            }
            "terminal" => {
                self.terminal(rest)?;
                String::new()
            }
            "copy" => {
                let src = rest.first().ok_or(Fail::Incomplete)?;
                keyword(src, &["running-config"])?;
                let dst = rest.get(1).ok_or(Fail::Incomplete)?;
                no_more(&rest[2..])?;
                let dst = if abbrev(dst.s, "startup-config", 3) {
                    "startup-config".to_string()
                } else if dst.s.contains(':') {
                    dst.s.to_string()
                } else {
                    return Err(Fail::Invalid(dst.at));
                };
                let proposed = dst
                    .split_once(':')
                    .map_or(dst.as_str(), |(_, n)| n)
                    .to_string();
                return Ok(Outcome::Ask(
                    format!("Destination filename [{proposed}]? "),
                    Confirm::CopyRunning(dst),
                ));
            }
            "tclsh" => {
                no_more(rest)?;
                self.mode = Mode::Tcl;
                String::new()
            }
            "archive" => {
                let t = rest.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["config"])?;
                no_more(&rest[1..])?;
                match self.archive_path() {
                    Some((path, _)) => {
                        let n = self
                            .device
                            .files()
                            .keys()
                            .filter(|k| k.starts_with(&path))
                            .count()
                            + 1;
                        self.save_file(&format!("{path}-{n}"));
                        String::new()
                    }
                    None => "% No archive path specified\n".to_string(),
                }
            }
            "delete" => {
                // `delete /force FILE` asks nothing; without `/force` IOS asks
                // twice, which the lab does not model.
                let force = rest.first().ok_or(Fail::Incomplete)?;
                if force.s != "/force" {
                    return Err(Fail::Invalid(force.at));
                }
                let file = rest.get(1).ok_or(Fail::Incomplete)?;
                no_more(&rest[2..])?;
                let name = file.s.replacen(":/", ":", 1);
                let had_config = self.device.files().remove(&name).is_some();
                let had_text = self.device.texts().remove(&name).is_some();
                if had_config || had_text {
                    String::new()
                } else {
                    let (fs, path) = name.split_once(':').unwrap_or(("flash", &name));
                    format!("%Error deleting {fs}:/{path} (No such file or directory)\n")
                }
            }
            "dir" => {
                let files = self.device.files();
                let texts = self.device.texts();
                let sizes = files
                    .iter()
                    .map(|(name, st)| {
                        (
                            name,
                            templates::show_running_config(&self.device.profile, st).len(),
                        )
                    })
                    .chain(texts.iter().map(|(name, t)| (name, t.len())));
                let mut o = String::from("Directory of flash:/\n\n");
                for (i, (name, bytes)) in sizes.enumerate() {
                    o.push_str(&format!(
                        "{:>6}  -rw-{:>14}                    <no date>  {}\n",
                        i + 11,
                        bytes,
                        name.split_once(':').map_or(name.as_str(), |(_, n)| n)
                    ));
                }
                o.push_str("\n7989194752 bytes total (7712653312 bytes free)\n");
                o
            }
            "configure" => {
                if let Some(t) = rest.first() {
                    if keyword(t, &["memory", "network", "replace", "terminal"])? == "replace" {
                        let file = rest.get(1).ok_or(Fail::Incomplete)?;
                        let force = match rest.get(2) {
                            Some(f) => {
                                keyword(f, &["force"])?;
                                no_more(&rest[3..])?;
                                true
                            }
                            None => false,
                        };
                        if force {
                            return Ok(Outcome::Text(self.replace_from(file.s)));
                        }
                        return Ok(Outcome::Ask(
                            "This will apply all necessary additions and deletions\nto replace the current running configuration with the\ncontents of the specified configuration file, which is\nassumed to be a complete configuration, not a partial\nconfiguration. Enter Y if you are sure you want to proceed. ? [no]: ".into(),
                            Confirm::Replace(file.s.to_string()),
                        ));
                    }
                    no_more(&rest[1..])?;
                }
                self.mode = Mode::Config(Sub::Global);
                "Enter configuration commands, one per line.  End with CNTL/Z.\n".to_string()
            }
            "write" => {
                let what = match rest.first() {
                    Some(t) => keyword(t, &["erase", "memory", "terminal"])?,
                    None => "memory",
                };
                no_more(rest.get(1..).unwrap_or_default())?;
                let d = &self.device;
                match what {
                    "terminal" => templates::show_running_config(&d.profile, &d.state()),
                    "erase" => "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]\n[OK]\nErase of nvram: complete\n".to_string(),
                    _ => "Building configuration...\n[OK]\n".to_string(),
                }
            }
            _ => String::new(),
        };
        Ok(Outcome::Text(text))
    }

    fn terminal(&mut self, rest: &[Tok<'_>]) -> Result<(), Fail> {
        let first = rest.first().ok_or(Fail::Incomplete)?;
        let number = |rest: &[Tok<'_>]| -> Result<u16, Fail> {
            let t = rest.first().ok_or(Fail::Incomplete)?;
            let n =
                t.s.parse::<u16>()
                    .ok()
                    .filter(|n| *n <= 512)
                    .ok_or(Fail::Invalid(t.at))?;
            no_more(&rest[1..])?;
            Ok(n)
        };
        match keyword(first, &["length", "monitor", "no", "width"])? {
            "length" => self.term_len = number(&rest[1..])?,
            "width" => self.term_width = number(&rest[1..])?,
            "monitor" => no_more(&rest[1..])?,
            _ => {
                let t = rest.get(1).ok_or(Fail::Incomplete)?;
                keyword(t, &["length", "monitor", "width"])?;
                no_more(&rest[2..])?;
            }
        }
        Ok(())
    }

    fn show(&self, rest: &[Tok<'_>], privileged: bool) -> Result<String, Fail> {
        let first = rest.first().ok_or(Fail::Incomplete)?;
        let kw = keyword(first, if privileged { PRIV_SHOW } else { USER_SHOW })?;
        let args = &rest[1..];
        let d = &self.device;
        let p = &d.profile;
        Ok(match kw {
            "version" => {
                no_more(args)?;
                templates::show_version(p, &d.state())
            }
            "clock" => {
                if let Some(t) = args.first() {
                    keyword(t, &["detail"])?;
                    no_more(&args[1..])?;
                }
                templates::show_clock()
            }
            "inventory" => {
                no_more(args)?;
                templates::show_inventory(p)
            }
            "running-config" | "startup-config" => {
                no_more(args)?;
                let cfg = templates::show_running_config(p, &d.state());
                if kw == "startup-config" {
                    let body = cfg.splitn(4, '\n').nth(3).unwrap_or_default();
                    format!("Using {} out of 33554432 bytes\n{body}", body.len())
                } else {
                    cfg
                }
            }
            "privilege" => {
                no_more(args)?;
                templates::show_privilege(if privileged { 15 } else { 1 })
            }
            "archive" => {
                no_more(args)?;
                let (path, max) = self.archive_path().unwrap_or_else(|| (String::new(), 10));
                let files = self.device.files();
                let names: Vec<&String> = files
                    .keys()
                    .filter(|k| !path.is_empty() && k.starts_with(&path))
                    .collect();
                let mut o = format!("The maximum archive configurations allowed is {max}.\n");
                if path.is_empty() {
                    o.push_str("Archive feature not enabled\n");
                } else {
                    o.push_str(&format!(
                        "The next archive file will be named {path}-{}\n Archive #  Name\n   0\n",
                        names.len() + 1
                    ));
                    for (i, n) in names.iter().enumerate() {
                        let recent = if i + 1 == names.len() {
                            " <- Most Recent"
                        } else {
                            ""
                        };
                        o.push_str(&format!("   {:<8} {n}{recent}\n", i + 1));
                    }
                }
                o
            }
            "users" => {
                no_more(args)?;
                templates::show_users(&self.info.username, &self.info.peer)
            }
            // Classic IOSv has no environment monitor: the command is refused.
            "environment" => {
                let out = templates::show_environment_all(p).ok_or(Fail::Invalid(first.at))?;
                if let Some(t) = args.first() {
                    keyword(t, &["all"])?;
                    no_more(&args[1..])?;
                }
                out
            }
            "processes" => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["cpu"])?;
                no_more(&args[1..])?;
                templates::show_processes_cpu(p)
            }
            "memory" => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["statistics"])?;
                no_more(&args[1..])?;
                templates::show_memory_statistics(p)
            }
            "bgp" => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["all"])?;
                let t = args.get(1).ok_or(Fail::Incomplete)?;
                keyword(t, &["summary"])?;
                no_more(&args[2..])?;
                templates::show_bgp_all_summary(p, &d.state())
            }
            "lldp" => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["neighbors"])?;
                match args.get(1) {
                    None => templates::show_lldp_neighbors(p, &d.state()),
                    Some(t) => {
                        keyword(t, &["detail"])?;
                        no_more(&args[2..])?;
                        templates::show_lldp_neighbors_detail(p, &d.state())
                    }
                }
            }
            // Only the switches have a MAC address table (routers refuse `mac`).
            "mac" if p.platform.is_switch() => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                keyword(t, &["address-table"])?;
                no_more(&args[1..])?;
                templates::show_mac_address_table(p, &d.state())
            }
            "mac" => return Err(Fail::Invalid(first.at)),
            "ip" => {
                let t = args.first().ok_or(Fail::Incomplete)?;
                if keyword(t, &["arp", "interface"])? == "arp" {
                    no_more(&args[1..])?;
                    return Ok(templates::show_ip_arp(p, &d.state()));
                }
                match args.get(1) {
                    None => templates::show_ip_interface(&d.state()),
                    Some(t) => {
                        keyword(t, &["brief"])?;
                        no_more(&args[2..])?;
                        templates::show_ip_int_brief(&d.state())
                    }
                }
            }
            _ => {
                // interfaces
                let state = d.state();
                match args.first() {
                    None => templates::show_interfaces(p, &state, None),
                    Some(t)
                        if t.s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                            && !t.s.contains(|c: char| c.is_ascii_digit())
                            && args.len() == 1
                            && abbrev(t.s, "description", 1) =>
                    {
                        templates::show_interfaces_description(&state)
                    }
                    // Catalyst switches list their ports; routers have no
                    // `status` keyword. `sta` could also be `stats`.
                    Some(t)
                        if p.platform.is_switch()
                            && args.len() == 1
                            && abbrev(t.s, "status", 5) =>
                    {
                        templates::show_interfaces_status(&state)
                    }
                    Some(t) => {
                        let name = ifname_arg(args)?;
                        if !state.interfaces.iter().any(|i| i.name == name) {
                            return Err(Fail::Invalid(t.at));
                        }
                        templates::show_interfaces(p, &state, Some(&name))
                    }
                }
            }
        })
    }

    fn config_line(&mut self, line: &str) -> Result<Outcome, Fail> {
        let toks = tokens(line);
        let Some(first) = toks.first() else {
            return Ok(Outcome::Text(String::new()));
        };
        if let Some(re) = &self.info.refuse
            && re.is_match(line.trim())
        {
            return Err(Fail::Invalid(first.at));
        }
        let w = first.s;
        let rest = &toks[1..];
        let lower = w.to_ascii_lowercase();
        if w.starts_with('!') {
            return Ok(Outcome::Text(String::new()));
        }
        if lower == "do" {
            let Some(t) = rest.first() else {
                return Err(Fail::Incomplete);
            };
            // Keep offsets relative to the full line so the caret lands right.
            let mode = self.mode.clone();
            let padded = format!("{}{}", " ".repeat(t.at), &line[t.at..]);
            let r = self.exec_line(&padded, true);
            if matches!(self.mode, Mode::User | Mode::Priv) {
                self.mode = mode;
            }
            return r;
        }
        if abbrev(w, "end", 3) {
            no_more(rest)?;
            self.mode = Mode::Priv;
            return Ok(Outcome::Text(String::new()));
        }
        if abbrev(w, "exit", 2) {
            no_more(rest)?;
            self.mode = match self.mode {
                Mode::Config(Sub::Global) => Mode::Priv,
                _ => Mode::Config(Sub::Global),
            };
            return Ok(Outcome::Text(String::new()));
        }
        if abbrev(w, "interface", 3) {
            let name = ifname_arg(rest)?;
            let mut state = self.device.state();
            let exists = state.interfaces.iter().any(|i| i.name == name);
            let known = if exists {
                true
            } else if name.starts_with("Loopback") || name.starts_with("Vlan") {
                let kind = if name.starts_with("Loopback") {
                    IfKind::Loopback
                } else {
                    IfKind::Vlan
                };
                state.interfaces.push(Interface {
                    name: name.clone(),
                    kind,
                    ip: None,
                    method: "unset",
                    admin_up: true,
                    link: true,
                    description: None,
                    switchport: false,
                    mac_offset: 0x40,
                    pps_in: 0,
                    pps_out: 0,
                    avg_size: 0,
                    err_rate: 0,
                });
                true
            } else {
                false
            };
            self.mode = Mode::Config(Sub::Interface(known.then_some(name)));
            return Ok(Outcome::Text(String::new()));
        }
        if abbrev(w, "hostname", 4) {
            let t = rest.first().ok_or(Fail::Incomplete)?;
            no_more(&rest[1..])?;
            let name: String = t.s.chars().take(63).collect();
            if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err(Fail::Invalid(t.at));
            }
            self.device.state().hostname = name;
            // A global command typed in a sub-mode drops back to global configuration.
            self.mode = Mode::Config(Sub::Global);
            return Ok(Outcome::Text(String::new()));
        }
        if abbrev(w, "line", 4) {
            rest.first().ok_or(Fail::Incomplete)?;
            self.mode = Mode::Config(Sub::Line);
            return Ok(Outcome::Text(String::new()));
        }
        match self.mode.clone() {
            Mode::Config(Sub::Interface(name)) => {
                // An interface command, or a global one (which leaves the interface).
                let local = keyword(first, INTERFACE_WORDS).ok().filter(|k| {
                    *k != "no"
                        || toks
                            .get(1)
                            .is_some_and(|t| keyword(t, INTERFACE_WORDS).is_ok())
                });
                if local.is_some() {
                    self.interface_line(name, line, &toks)?;
                } else {
                    self.global_line(line, &toks)?;
                    if matches!(self.mode, Mode::Config(Sub::Interface(_))) {
                        self.mode = Mode::Config(Sub::Global);
                    }
                }
            }
            Mode::Config(Sub::Block(header)) => {
                // Words of the block stay in it; known global words leave it.
                let global = keyword(first, GLOBAL_WORDS).is_ok()
                    && !["no", "ip", "ipv6", "default", "key", "vrf", "track", "mac"]
                        .contains(&lower.as_str());
                if global {
                    self.mode = Mode::Config(Sub::Global);
                    self.global_line(line, &toks)?;
                } else {
                    self.block_line(&header, line);
                }
            }
            Mode::Config(Sub::Global) => self.global_line(line, &toks)?,
            _ => {}
        }
        Ok(Outcome::Text(String::new()))
    }

    /// The `archive` block's `path` and `maximum`, when configured.
    fn archive_path(&self) -> Option<(String, usize)> {
        let state = self.device.state();
        let block = state
            .extra_config
            .iter()
            .find(|l| l.lines().next() == Some("archive"))?;
        let mut path = None;
        let mut max = 10;
        for l in block.lines().skip(1).map(str::trim) {
            if let Some(p) = l.strip_prefix("path ") {
                path = Some(p.trim().to_string());
            } else if let Some(m) = l.strip_prefix("maximum ") {
                max = m.trim().parse().unwrap_or(10);
            }
        }
        path.map(|p| (p, max))
    }

    /// A global configuration line: checked against the keywords IOS knows, then
    /// added (or replacing its single-valued predecessor) or removed with `no`.
    fn global_line(&mut self, line: &str, toks: &[Tok<'_>]) -> Result<(), Fail> {
        let words: Vec<&'static str> = GLOBAL_WORDS.to_vec();
        let (neg, body) = match toks.first() {
            Some(t) if t.s.eq_ignore_ascii_case("no") => (true, &toks[1..]),
            _ => (false, toks),
        };
        let first = body.first().ok_or(Fail::Incomplete)?;
        let kw = keyword(first, &words)?;
        let rest = line[first.at + first.s.len()..].trim();
        let full = if rest.is_empty() {
            kw.to_string()
        } else {
            format!("{kw} {rest}")
        };
        let mut state = self.device.state();
        if neg {
            state.extra_config.retain(|l| {
                let head = l.lines().next().unwrap_or_default();
                !starts_with_words(head, &full)
            });
            return Ok(());
        }
        if BLOCK_WORDS.contains(&kw) {
            if !state
                .extra_config
                .iter()
                .any(|l| l.lines().next() == Some(full.as_str()))
                && state.extra_config.len() < MAX_EXTRA_CONFIG
            {
                state.extra_config.push(full.clone());
            }
            drop(state);
            self.mode = Mode::Config(Sub::Block(full));
            return Ok(());
        }
        if let Some(single) = SINGLE_WORDS.iter().find(|s| starts_with_words(&full, s))
            && let Some(old) = state
                .extra_config
                .iter_mut()
                .find(|l| starts_with_words(l, single))
        {
            *old = full;
            return Ok(());
        }
        if !state.extra_config.contains(&full) && state.extra_config.len() < MAX_EXTRA_CONFIG {
            state.extra_config.push(full);
        }
        Ok(())
    }

    /// A line inside a text block (`router bgp …`): stored indented under its header.
    fn block_line(&mut self, header: &str, line: &str) {
        let line = line.trim();
        let mut state = self.device.state();
        let Some(block) = state
            .extra_config
            .iter_mut()
            .find(|l| l.lines().next() == Some(header))
        else {
            return;
        };
        let mut lines: Vec<String> = block.lines().map(str::to_string).collect();
        if let Some(neg) = line.strip_prefix("no ") {
            let neg = neg.trim();
            lines.retain(|l| !starts_with_words(l.trim(), neg));
        } else {
            let body = format!(" {line}");
            match SINGLE_WORDS.iter().find(|s| starts_with_words(line, s)) {
                Some(single) => {
                    if let Some(old) = lines
                        .iter_mut()
                        .skip(1)
                        .find(|l| starts_with_words(l.trim(), single))
                    {
                        *old = body;
                    } else {
                        lines.push(body);
                    }
                }
                None => {
                    if !lines.contains(&body) {
                        lines.push(body);
                    }
                }
            }
        }
        *block = lines.join("\n");
    }

    fn interface_line(
        &mut self,
        name: Option<String>,
        line: &str,
        toks: &[Tok<'_>],
    ) -> Result<(), Fail> {
        let Some(name) = name else {
            return Ok(());
        };
        let (neg, toks) = match toks.first() {
            Some(t) if t.s.eq_ignore_ascii_case("no") => (true, &toks[1..]),
            _ => (false, toks),
        };
        let Some(first) = toks.first() else {
            return Err(Fail::Incomplete);
        };
        let mut state = self.device.state();
        let Some(iface) = state.interfaces.iter_mut().find(|i| i.name == name) else {
            return Ok(());
        };
        if abbrev(first.s, "shutdown", 2) {
            iface.admin_up = neg;
        } else if abbrev(first.s, "description", 4) {
            iface.description = if neg {
                None
            } else {
                let text = line[first.at + first.s.len()..].trim();
                (!text.is_empty()).then(|| text.chars().take(240).collect())
            };
        } else if first.s.eq_ignore_ascii_case("ip")
            && toks.get(1).is_some_and(|t| abbrev(t.s, "address", 3))
        {
            if neg {
                iface.ip = None;
                iface.method = "unset";
            } else {
                let addr = toks.get(2).ok_or(Fail::Incomplete)?;
                let mask = toks.get(3).ok_or(Fail::Incomplete)?;
                let a: std::net::Ipv4Addr = addr.s.parse().map_err(|_| Fail::Invalid(addr.at))?;
                let m: std::net::Ipv4Addr = mask.s.parse().map_err(|_| Fail::Invalid(mask.at))?;
                let len = templates::mask_to_prefix(m).ok_or(Fail::Invalid(mask.at))?;
                iface.ip = Some((a, len));
                iface.method = "manual";
            }
        }
        Ok(())
    }
}

impl Keys for Cli {
    fn editor(&mut self) -> &mut LineEditor {
        &mut self.ed
    }

    fn closed(&self) -> bool {
        self.closed
    }

    fn paging(&self) -> bool {
        matches!(self.input, Input::More { .. })
    }

    fn hidden(&self) -> bool {
        matches!(self.input, Input::EnablePassword)
    }

    fn more_byte(&mut self, b: u8, acts: &mut Vec<Action>) {
        Cli::more_byte(self, b, acts);
    }

    fn entered(&mut self, line: String, acts: &mut Vec<Action>) {
        Cli::entered(self, line, acts);
    }

    fn interrupt(&mut self, acts: &mut Vec<Action>) {
        // Ctrl-C abandons the line or question (and configuration mode).
        let asking = !matches!(self.input, Input::Line);
        self.input = Input::Line;
        if !asking && matches!(self.mode, Mode::Config(_)) {
            self.mode = Mode::Priv;
        }
        interrupted(acts, asking, &self.prompt());
    }

    fn suspend(&mut self, acts: &mut Vec<Action>) {
        // Ctrl-Z: `end`.
        if matches!(self.input, Input::Line) && matches!(self.mode, Mode::Config(_)) {
            self.mode = Mode::Priv;
            suspended(acts, &self.prompt());
        }
    }
}

/// What a CLI engine does with the keys [`feed_keys`] decodes.
pub(crate) trait Keys {
    /// The line being typed.
    fn editor(&mut self) -> &mut LineEditor;
    /// The session has ended.
    fn closed(&self) -> bool;
    /// The pager is waiting for a key.
    fn paging(&self) -> bool;
    /// A secret is being typed (no echo).
    fn hidden(&self) -> bool;
    /// A key at the pager.
    fn more_byte(&mut self, b: u8, acts: &mut Vec<Action>);
    /// Enter.
    fn entered(&mut self, line: String, acts: &mut Vec<Action>);
    /// Ctrl-C.
    fn interrupt(&mut self, acts: &mut Vec<Action>);
    /// Ctrl-Z.
    fn suspend(&mut self, acts: &mut Vec<Action>);
    /// Ctrl-D.
    fn eof(&mut self, _acts: &mut Vec<Action>) {}
}

/// Decodes typed bytes into keys for `t`; returns what to send back, in order.
pub(crate) fn feed_keys<T: Keys>(t: &mut T, input: &[u8]) -> Vec<Action> {
    let mut acts = Vec::new();
    for &raw in input {
        if t.closed() {
            break;
        }
        let Some(b) = t.editor().normalize(raw) else {
            continue;
        };
        if t.paging() {
            t.more_byte(b, &mut acts);
            continue;
        }
        let hidden = t.hidden();
        let mut echo = Vec::new();
        let key = t.editor().edit(b, hidden, &mut echo);
        if !echo.is_empty() {
            push_echo(&mut acts, &echo);
        }
        match key {
            Key::None => {}
            Key::Enter(line) => t.entered(line, &mut acts),
            Key::Eof => t.eof(&mut acts),
            Key::Interrupt => t.interrupt(&mut acts),
            Key::Suspend => t.suspend(&mut acts),
        }
    }
    acts
}

/// Appends echoed bytes, merged with the previous echo.
pub(crate) fn push_echo(acts: &mut Vec<Action>, bytes: &[u8]) {
    if let Some(Action::Echo(last)) = acts.last_mut() {
        last.extend_from_slice(bytes);
    } else {
        acts.push(Action::Echo(bytes.to_vec()));
    }
}

/// Ctrl-C: `^C` (or a new line under a question) and the prompt.
pub(crate) fn interrupted(acts: &mut Vec<Action>, asking: bool, prompt: &str) {
    let mut out = if asking {
        b"\r\n".to_vec()
    } else {
        b"^C\r\n".to_vec()
    };
    out.extend_from_slice(prompt.as_bytes());
    push_echo(acts, &out);
}

/// Ctrl-Z out of configuration mode: `^Z` and the prompt.
pub(crate) fn suspended(acts: &mut Vec<Action>, prompt: &str) {
    let mut out = b"^Z\r\n".to_vec();
    out.extend_from_slice(prompt.as_bytes());
    push_echo(acts, &out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn cli() -> Cli {
        cli_on(Device::generate(42, 0, "r001".into(), Instant::now()))
    }

    fn cli_on(dev: Arc<Device>) -> Cli {
        Cli::new(
            dev,
            SessionInfo {
                enable_secret: "sekret".into(),
                username: "admin".into(),
                peer: "127.0.0.1".into(),
                refuse: None,
                flash_full: false,
                login_options: String::new(),
            },
        )
    }

    /// Feeds `input`, returns everything the device sent, as text.
    fn run(c: &mut Cli, input: &str) -> String {
        let mut out = Vec::new();
        for a in c.feed(input.as_bytes()) {
            match a {
                Action::Echo(b) | Action::Reply(b) => out.extend(b),
                Action::Close => out.extend_from_slice(b"<CLOSE>"),
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn enable(c: &mut Cli) {
        let out = run(c, "enable\r");
        assert!(out.ends_with("Password: "), "{out:?}");
        let out = run(c, "sekret\r");
        assert_eq!(out, "\r\nr001#");
    }

    /// Writes `text` to `flash:cand.cfg` through tclsh, as netrun does.
    fn write_through_tclsh(c: &mut Cli, text: &str) {
        assert_eq!(run(c, "tclsh\r"), "tclsh\r\nr001(tcl)#");
        let out = run(c, "set f [open \"flash:cand.cfg\" w]\r");
        assert_eq!(
            out,
            "set f [open \"flash:cand.cfg\" w]\r\nfile3\r\nr001(tcl)#"
        );
        for line in text.lines() {
            let quoted: String = line
                .chars()
                .flat_map(|c| {
                    let esc = matches!(c, '\\' | '$' | '[' | ']' | '"').then_some('\\');
                    esc.into_iter().chain(std::iter::once(c))
                })
                .collect();
            let out = run(c, &format!("puts $f \"{quoted}\"\r"));
            assert!(out.ends_with("\r\nr001(tcl)#"), "{out:?}");
        }
        run(c, "close $f\r");
        assert_eq!(run(c, "tclquit\r"), "tclquit\r\nr001#");
    }

    /// The running configuration without the lines that change by themselves.
    fn running(c: &mut Cli) -> String {
        run(c, "terminal length 0\r");
        let out = run(c, "show running-config\r").replace('\r', "");
        out.lines()
            .filter(|l| {
                !l.starts_with("! Last configuration change")
                    && !l.starts_with("Current configuration")
            })
            .skip(1)
            .take_while(|l| !l.ends_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn configure_replace_of_a_file_written_with_tclsh_makes_it_the_running_configuration() {
        let mut c = cli();
        enable(&mut c);
        run(&mut c, "configure terminal\r");
        run(&mut c, "ntp server 192.0.2.9\r");
        run(&mut c, "end\r");
        let before = running(&mut c);
        assert!(before.contains("ntp server 192.0.2.9\n"), "{before}");
        let wanted = before
            .replace("ntp server 192.0.2.9\n", "ntp server 192.0.2.1\n")
            .replace(
                "hostname r001\n",
                "hostname r001\n!\nbanner motd \"$[x]\"\n",
            );
        write_through_tclsh(&mut c, &wanted);
        let out = run(&mut c, "configure replace flash:cand.cfg force\r");
        assert!(
            out.contains("Total number of passes: 1\r\nRollback Done"),
            "{out:?}"
        );
        let after = running(&mut c);
        assert!(after.contains("ntp server 192.0.2.1\n"), "{after}");
        assert!(after.contains("banner motd \"$[x]\"\n"), "{after}");
        assert!(!after.contains("192.0.2.9"), "removed: {after}");
    }

    #[test]
    fn delete_force_removes_files_from_flash_without_asking() {
        let mut c = cli();
        enable(&mut c);
        write_through_tclsh(&mut c, "hostname r001\n");
        run(&mut c, "copy running-config flash:netrun-1\r");
        run(&mut c, "\r");
        let dir = run(&mut c, "dir flash:\r");
        assert!(
            dir.contains(" netrun-1\r\n") && dir.contains(" cand.cfg\r\n"),
            "{dir}"
        );
        assert_eq!(
            run(&mut c, "delete /force flash:netrun-1\r"),
            "delete /force flash:netrun-1\r\nr001#"
        );
        assert_eq!(
            run(&mut c, "delete /force flash:/cand.cfg\r"),
            "delete /force flash:/cand.cfg\r\nr001#"
        );
        let dir = run(&mut c, "dir flash:\r");
        assert!(
            !dir.contains("netrun-1") && !dir.contains("cand.cfg"),
            "{dir}"
        );
        assert!(c.device.files().is_empty() && c.device.texts().is_empty());
        let out = run(&mut c, "delete /force flash:gone.cfg\r").replace('\r', "");
        assert!(
            out.contains("%Error deleting flash:/gone.cfg (No such file or directory)\n"),
            "{out}"
        );
    }

    #[test]
    fn configure_replace_lists_the_lines_ios_refuses_and_aborts() {
        let mut c = cli();
        enable(&mut c);
        let before = running(&mut c);
        write_through_tclsh(&mut c, &format!("{before}bogus line here\n"));
        let out = run(&mut c, "configure replace flash:cand.cfg force\r").replace('\r', "");
        assert!(out.contains("bogus line here\n"), "{out}");
        assert!(
            out.contains("^\n% Invalid input detected at '^' marker."),
            "{out}"
        );
        assert!(
            out.contains("!List of Commands:\nbogus line here\n end\n"),
            "{out}"
        );
        assert!(out.contains("Rollback aborted after 5 passes"), "{out}");
        assert_eq!(run(&mut c, "foo x\r").lines().last(), Some("r001#"));
        assert_eq!(
            run(&mut c, "tclsh\r"),
            "tclsh\r\nr001(tcl)#",
            "the session is still usable"
        );
        let out = run(&mut c, "foo\r");
        assert!(out.contains("invalid command name \"foo\""), "{out:?}");
    }

    #[test]
    fn greeting_has_banner_and_prompt() {
        let c = cli();
        let g = String::from_utf8(c.greeting()).unwrap();
        assert!(g.contains('#') && g.contains('>'));
        assert!(g.ends_with("\r\n\r\nr001>"), "{g:?}");
    }

    #[test]
    fn echo_and_enter_variants() {
        let mut c = cli();
        assert_eq!(run(&mut c, "\r"), "\r\nr001>");
        // A lone LF after a CR is the second half of CR LF: one Enter only.
        assert_eq!(run(&mut c, "\n"), "");
        assert_eq!(run(&mut c, "x\x7f\n"), "x\x08 \x08\r\nr001>");
        assert_eq!(run(&mut c, "\r\n"), "\r\nr001>");
        assert_eq!(run(&mut c, "sh"), "sh");
        assert_eq!(run(&mut c, "x\x7f"), "x\x08 \x08");
        assert_eq!(run(&mut c, "\x08\x08\x08"), "\x08 \x08\x08 \x08");
    }

    #[test]
    fn enable_and_access_denied() {
        let mut c = cli();
        assert_eq!(run(&mut c, "enable\r"), "enable\r\nPassword: ");
        assert_eq!(run(&mut c, "wrong\r"), "\r\n% Access denied\r\n\r\nr001>");
        enable(&mut c);
        assert_eq!(run(&mut c, "disable\r"), "disable\r\nr001>");
    }

    #[test]
    fn privileged_commands_rejected_in_user_mode() {
        let mut c = cli();
        let out = run(&mut c, "show running-config\r");
        assert_eq!(
            out,
            "show running-config\r\n          ^\r\n% Invalid input detected at '^' marker.\r\n\r\nr001>"
        );
        let out = run(&mut c, "configure terminal\r");
        assert!(out.contains("     ^\r\n% Invalid input"), "{out:?}");
    }

    #[test]
    fn invalid_ambiguous_incomplete() {
        let mut c = cli();
        enable(&mut c);
        let out = run(&mut c, "show foo\r");
        // "r001#show " is 10 columns: the caret sits under the 'f'.
        assert_eq!(
            out,
            "show foo\r\n          ^\r\n% Invalid input detected at '^' marker.\r\n\r\nr001#"
        );
        let out = run(&mut c, "sh i\r");
        assert_eq!(out, "sh i\r\n% Ambiguous command:  \"sh i\"\r\nr001#");
        let out = run(&mut c, "show ip\r");
        assert_eq!(out, "show ip\r\n% Incomplete command.\r\n\r\nr001#");
        let out = run(&mut c, "show versoin\r");
        assert!(
            out.starts_with("show versoin\r\n              ^\r\n"),
            "{out:?}"
        );
    }

    #[test]
    fn abbreviations() {
        let mut c = cli();
        enable(&mut c);
        run(&mut c, "term len 0\r");
        assert_eq!(c.terminal_length(), 0);
        run(&mut c, "terminal width 511\r");
        assert_eq!(c.terminal_width(), 511);
        let out = run(&mut c, "sh ver\r");
        assert!(out.contains("r001 uptime is"), "{out}");
        let out = run(&mut c, "sh ip int br\r");
        assert!(out.contains(
            "Interface              IP-Address      OK? Method Status                Protocol"
        ));
        let out = run(&mut c, "show run\r");
        assert!(out.contains("Building configuration..."));
        assert!(out.ends_with("end\r\n\r\nr001#"), "{out:?}");
    }

    #[test]
    fn running_config_byte_count_is_real() {
        let mut c = cli();
        enable(&mut c);
        run(&mut c, "terminal length 0\r");
        let out = run(&mut c, "show running-config\r");
        let out = out.replace("\r\n", "\n");
        let start = out.find("Current configuration : ").unwrap();
        let rest = &out[start + 24..];
        let n: usize = rest[..rest.find(' ').unwrap()].parse().unwrap();
        let body_start = out[start..].find('\n').unwrap() + start + 1;
        let body_end = out.rfind("end\n").unwrap() + 4;
        assert_eq!(n, body_end - body_start);
    }

    #[test]
    fn paging() {
        let mut c = cli();
        enable(&mut c);
        let out = run(&mut c, "show version\r");
        assert!(out.ends_with(MORE), "{out:?}");
        // 23 lines of output on a 24-line terminal (plus the echoed command line).
        assert_eq!(out.matches("\r\n").count(), 24);
        let out = run(&mut c, "\r");
        assert!(out.starts_with("\x08\x08"));
        assert_eq!(out.matches("\r\n").count(), 1);
        assert!(out.ends_with(MORE));
        let out = run(&mut c, " ");
        assert!(out.ends_with(MORE) || out.ends_with("r001#"));
        let out = run(&mut c, "q");
        assert!(out.ends_with("r001#") || out.is_empty() || out.contains("r001#"));
        run(&mut c, "terminal length 0\r");
        let out = run(&mut c, "show version\r");
        assert!(!out.contains("--More--"));
        assert!(out.ends_with("Configuration register is 0x2102\r\n\r\nr001#"));
    }

    #[test]
    fn config_mode_and_hostname() {
        let mut c = cli();
        enable(&mut c);
        let out = run(&mut c, "conf t\r");
        assert_eq!(
            out,
            "conf t\r\nEnter configuration commands, one per line.  End with CNTL/Z.\r\nr001(config)#"
        );
        assert!(run(&mut c, "interface Gi0/1\r").ends_with("r001(config-if)#"));
        assert!(run(&mut c, "exit\r").ends_with("r001(config)#"));
        assert!(run(&mut c, "int lo99\r").ends_with("r001(config-if)#"));
        run(&mut c, "ip address 192.0.2.9 255.255.255.255\r");
        run(&mut c, "description test loop\r");
        let out = run(&mut c, "hostname core9\r");
        assert!(out.ends_with("core9(config)#"), "{out:?}");
        run(&mut c, "ntp server 192.0.2.1\r");
        assert!(run(&mut c, "end\r").ends_with("core9#"));
        run(&mut c, "terminal length 0\r");
        let brief = run(&mut c, "show ip int brief\r");
        assert!(
            brief.contains(
                "Loopback99             192.0.2.9       YES manual up                    up"
            ),
            "{brief}"
        );
        let cfg = run(&mut c, "show run\r");
        assert!(cfg.contains("hostname core9\r\n"));
        assert!(cfg.contains("ntp server 192.0.2.1\r\n"));
        assert!(cfg.contains(" description test loop\r\n"));
        assert!(run(&mut c, "conf t\r").ends_with("core9(config)#"));
        assert!(run(&mut c, "do show clock\r").ends_with("core9(config)#"));
        assert!(run(&mut c, "\x1a").ends_with("^Z\r\ncore9#"));
    }

    #[test]
    fn pipes() {
        let mut c = cli();
        enable(&mut c);
        let out = run(&mut c, "show run | include ^hostname\r");
        assert_eq!(
            out,
            "show run | include ^hostname\r\nhostname r001\r\nr001#"
        );
        let out = run(&mut c, "show ip int brief | count Loopback\r");
        assert!(out.contains("Number of lines which match regexp = 1"));
    }

    #[test]
    fn exit_closes() {
        let mut c = cli();
        let acts = c.feed(b"exit\r");
        assert_eq!(acts.last(), Some(&Action::Close));
        assert!(c.is_closed());
    }

    #[test]
    fn exec_request() {
        let mut c = cli();
        let (out, status) = c.run_exec("show version");
        assert_eq!(status, 0);
        assert!(String::from_utf8(out).unwrap().contains("r001 uptime is"));
        let (out, status) = c.run_exec("show bogus");
        assert_eq!(status, 1);
        assert!(String::from_utf8(out).unwrap().contains("% Invalid input"));
    }

    #[test]
    fn lldp_neighbors_sit_on_up_ports_and_parse_as_the_ios_getter_reads_them() {
        use netrun_plugin_netrun_platforms::getters::answer_in;
        let getters = netrun_plugin_cisco_ios::getters::GETTERS;
        let mut seen = 0;
        for index in 0..12 {
            let dev = Device::generate(42, index, format!("r{index:03}"), Instant::now());
            let mut c = cli_on(dev.clone());
            let (out, status) = c.run_exec("show lldp neighbors");
            assert_eq!(status, 0);
            let out = String::from_utf8(out).unwrap().replace("\r\n", "\n");
            let again = String::from_utf8(c.run_exec("show lldp neighbors").0).unwrap();
            assert_eq!(out, again.replace("\r\n", "\n"), "same table every time");
            let outputs = [("show lldp neighbors".to_string(), out.clone())];
            let v = answer_in(getters, "cisco_ios", "lldp_neighbors", &outputs)
                .unwrap_or_else(|e| panic!("{e}\n{out}"));
            let map = v.as_object().unwrap();
            let total: usize = map.values().map(|n| n.as_array().unwrap().len()).sum();
            assert!(
                out.contains(&format!("Total entries displayed: {total}\n")),
                "{out}"
            );
            let state = dev.state();
            for local in map.keys() {
                let i = state
                    .interfaces
                    .iter()
                    .find(|i| templates::abbreviate(&i.name) == *local)
                    .unwrap_or_else(|| panic!("{local} is no interface of the device"));
                assert!(i.protocol_up() && i.kind == IfKind::Gigabit, "{local}");
            }
            seen += total;
        }
        assert!(seen > 6, "a dozen devices have neighbours: {seen}");
    }

    /// `getter` of the IOS driver answered from `cmd` run on `c`.
    fn ios_getter(c: &mut Cli, cmd: &str, getter: &str) -> serde_json::Value {
        use netrun_plugin_netrun_platforms::getters::answer_in;
        let getters = netrun_plugin_cisco_ios::getters::GETTERS;
        let out = String::from_utf8(c.run_exec(cmd).0)
            .unwrap()
            .replace("\r\n", "\n");
        let outputs = [(cmd.to_string(), out.clone())];
        answer_in(getters, "cisco_ios", getter, &outputs).unwrap_or_else(|e| panic!("{e}\n{out}"))
    }

    #[test]
    fn lldp_detail_lists_the_neighbours_of_the_lldp_table() {
        let mut seen = 0;
        for index in 0..12 {
            let dev = Device::generate(42, index, format!("r{index:03}"), Instant::now());
            let mut c = cli_on(dev.clone());
            let mut get = |cmd: &str, getter: &str| ios_getter(&mut c, cmd, getter);
            let table = get("show lldp neighbors", "lldp_neighbors");
            let detail = get("show lldp neighbors detail", "lldp_neighbors_detail");
            let brief = |v: &serde_json::Value, name: &str, port: &str| {
                let mut rows: Vec<(String, String, String)> = v
                    .as_object()
                    .unwrap()
                    .iter()
                    .flat_map(|(local, l)| {
                        l.as_array().unwrap().iter().map(move |n| {
                            let s = |k: &str| n[k].as_str().unwrap().to_string();
                            (local.clone(), s(name), s(port))
                        })
                    })
                    .collect();
                rows.sort();
                rows
            };
            let rows = brief(&table, "hostname", "port");
            assert_eq!(
                rows,
                brief(&detail, "remote_system_name", "remote_port"),
                "{detail}"
            );
            seen += rows.len();
        }
        assert!(seen > 6, "a dozen devices have neighbours: {seen}");
    }

    #[test]
    fn environment_shows_each_platforms_sensors_and_parses_as_the_xe_getter_reads_them() {
        use crate::device::Platform;
        use netrun_plugin_cisco_ios::getters::table;
        use netrun_plugin_netrun_platforms::getters::{answer_in, commands_in};
        let mut seen = std::collections::BTreeSet::new();
        for index in 0..16 {
            let dev = Device::generate(42, index, format!("r{index:03}"), Instant::now());
            let platform = dev.profile.platform;
            let mut c = cli_on(dev.clone());
            let os = if platform == Platform::Iosv {
                "cisco_ios"
            } else {
                "cisco_xe"
            };
            let outputs: Vec<(String, String)> = commands_in(table(os), os, "environment")
                .unwrap()
                .into_iter()
                .map(|cmd| {
                    let out = String::from_utf8(c.run_exec(&cmd).0)
                        .unwrap()
                        .replace("\r\n", "\n");
                    (cmd, out)
                })
                .collect();
            let v = answer_in(table(os), os, "environment", &outputs)
                .unwrap_or_else(|e| panic!("{platform:?}: {e}\n{outputs:?}"));
            let ([inlet, _], fans, second) = templates::sensors(&dev.profile);
            let count = |k: &str| v[k].as_object().unwrap().len();
            assert!(v["memory"]["used_ram"].as_i64() > Some(0), "{v}");
            assert!(v["cpu"]["0"]["%usage"].as_f64() > Some(0.0), "{v}");
            match platform {
                Platform::C9300 | Platform::C3850 => {
                    assert_eq!(count("fans"), fans.len() + 2, "{v}");
                    assert_eq!(
                        v["temperature"]["Switch 1 Inlet"]["temperature"], inlet as f64,
                        "{v}"
                    );
                    assert_eq!(v["power"]["1B"]["status"], second, "{v}");
                }
                Platform::Isr4331 => {
                    assert_eq!(count("fans"), fans.len(), "{v}");
                    assert_eq!(
                        v["temperature"]["R0 Temp: Inlet"]["temperature"], inlet as f64,
                        "{v}"
                    );
                }
                Platform::Iosv => {
                    // Classic IOSv has no monitor and refuses the command: no sensors.
                    assert!(outputs[0].1.contains("% Invalid input"), "{outputs:?}");
                    assert_eq!(count("temperature") + count("fans") + count("power"), 0);
                }
                _ => assert_eq!(count("temperature") + count("fans"), 0, "{v}"),
            }
            seen.insert(format!("{platform:?}"));
        }
        assert!(seen.len() >= 3, "{seen:?}");
    }

    #[test]
    fn bgp_peers_are_the_arp_neighbours_of_routed_links_and_parse_as_the_ios_getter_reads_them() {
        let (mut routers, mut up) = (0, 0);
        for index in 0..12 {
            let dev = Device::generate(42, index, format!("r{index:03}"), Instant::now());
            let mut c = cli_on(dev.clone());
            let mut get = |cmd: &str, getter: &str| ios_getter(&mut c, cmd, getter);
            let bgp = get("show bgp all summary", "bgp_neighbors");
            let arp = get("show ip arp", "arp_table");
            let Some(peers) = bgp["global"]["peers"].as_object() else {
                assert_eq!(bgp, serde_json::json!({}), "a switch runs no BGP");
                continue;
            };
            routers += 1;
            for (ip, peer) in peers {
                if peer["is_up"] == true {
                    up += 1;
                    let in_arp = arp.as_array().unwrap().iter().any(|a| a["ip"] == *ip);
                    assert!(in_arp, "established peer {ip} is in the ARP table: {arp}");
                    assert!(peer["address_family"]["ipv4"]["received_prefixes"].as_i64() > Some(0));
                }
            }
        }
        assert!(routers > 2 && up > 2, "routers {routers}, sessions up {up}");
    }

    #[test]
    fn arp_and_mac_tables_agree_with_interfaces_and_lldp_and_parse_as_the_ios_getters_read_them() {
        use netrun_plugin_netrun_platforms::getters::answer_in;
        let getters = netrun_plugin_cisco_ios::getters::GETTERS;
        let (mut neighbours, mut macs) = (0, 0);
        for index in 0..12 {
            let dev = Device::generate(42, index, format!("r{index:03}"), Instant::now());
            let mut c = cli_on(dev.clone());
            let mut get = |cmd: &str, getter: &str| {
                let (out, status) = c.run_exec(cmd);
                let out = String::from_utf8(out).unwrap().replace("\r\n", "\n");
                let outputs = [(cmd.to_string(), out.clone())];
                (
                    status,
                    answer_in(getters, "cisco_ios", getter, &outputs),
                    out,
                )
            };
            let (status, arp, out) = get("show ip arp", "arp_table");
            assert_eq!(status, 0, "{out}");
            let arp = arp.unwrap_or_else(|e| panic!("{e}\n{out}"));
            let state = dev.state();
            for e in arp.as_array().unwrap() {
                let name = e["interface"].as_str().unwrap();
                let i = state.interfaces.iter().find(|i| i.name == name).unwrap();
                assert!(i.protocol_up() && i.ip.is_some(), "{name}: {out}");
                assert_ne!(
                    i.kind,
                    IfKind::Management,
                    "Mgmt-vrf is not in the global table"
                );
                neighbours += usize::from(e["age"].as_f64().unwrap() >= 0.0);
            }
            drop(state);
            let (_, lldp, out) = get("show lldp neighbors", "lldp_neighbors");
            let lldp = lldp.unwrap_or_else(|e| panic!("{e}\n{out}"));
            let (status, table, out) = get("show mac address-table", "mac_address_table");
            if !dev.profile.platform.is_switch() {
                assert_eq!(status, 1, "routers have no MAC table: {out}");
                continue;
            }
            let table = table.unwrap_or_else(|e| panic!("{e}\n{out}"));
            let learned: Vec<(String, String)> = table
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| !e["static"].as_bool().unwrap())
                .map(|e| {
                    (
                        e["interface"].as_str().unwrap().into(),
                        e["mac"].as_str().unwrap().replace(':', ""),
                    )
                })
                .collect();
            macs += learned.len();
            // A phone's LLDP port ID is its MAC: the switch learned it on that port.
            for (port, list) in lldp.as_object().unwrap() {
                for n in list.as_array().unwrap() {
                    if let Some(hex) = n["port"].as_str().unwrap().strip_suffix(":P1") {
                        assert!(
                            learned.contains(&(port.clone(), hex.into())),
                            "{port} {hex}: {out}"
                        );
                    }
                }
            }
        }
        assert!(
            neighbours > 6 && macs > 3,
            "{neighbours} ARP neighbours, {macs} MACs"
        );
    }

    #[test]
    fn escape_sequences_are_ignored() {
        let mut c = cli();
        assert_eq!(run(&mut c, "\x1b[Ash\x1b[D"), "sh");
    }

    #[test]
    fn show_interfaces_status_lists_a_switch_s_ports_as_show_interfaces_has_them() {
        let (mut switches, mut routers) = (0, 0);
        for index in 0..12 {
            let dev = Device::generate(42, index, "r001".into(), Instant::now());
            let switch = dev.profile.platform.is_switch();
            let mut c = cli_on(dev.clone());
            enable(&mut c);
            run(&mut c, "terminal length 0\r");
            let out = run(&mut c, "show interfaces status\r");
            if !switch {
                routers += 1;
                assert!(
                    out.contains("% Invalid input"),
                    "a router has no status: {out}"
                );
                continue;
            }
            switches += 1;
            assert!(
                out.contains(
                    "Port         Name               Status       Vlan       Duplex  Speed Type"
                ),
                "{out}"
            );
            assert!(
                run(&mut c, "sh int sta\r").contains("% Invalid input"),
                "`sta` is not enough"
            );
            let state = dev.state();
            let mut listed = 0;
            for i in &state.interfaces {
                let short = super::templates::abbreviate(&i.name);
                let row = out
                    .lines()
                    .find(|l| l.split_whitespace().next() == Some(short.as_str()));
                if matches!(i.kind, IfKind::Loopback | IfKind::Vlan) {
                    assert!(row.is_none(), "{short} is not a port: {out}");
                    continue;
                }
                let row = row.unwrap_or_else(|| panic!("{short} missing: {out}"));
                listed += 1;
                let status = match (i.admin_up, i.protocol_up()) {
                    (false, _) => "disabled",
                    (true, true) => "connected",
                    (true, false) => "notconnect",
                };
                // Columns from the status on: the name may hold spaces.
                let cols: Vec<&str> = row[32..].split_whitespace().collect();
                let vlan = if i.switchport { "1" } else { "routed" };
                assert_eq!(cols[..2], [status, vlan], "{row}");
                assert_eq!(
                    row[13..31].trim_end(),
                    i.description
                        .as_deref()
                        .unwrap_or("")
                        .chars()
                        .take(18)
                        .collect::<String>(),
                    "{row}"
                );
            }
            assert!(listed > 0, "{out}");
        }
        assert!(
            switches > 0 && routers > 0,
            "{switches} switches, {routers} routers"
        );
    }

    #[test]
    fn show_interfaces_variants() {
        let mut c = cli();
        enable(&mut c);
        run(&mut c, "terminal length 0\r");
        let all = run(&mut c, "show interfaces\r");
        assert!(all.contains("Loopback0 is up, line protocol is up"));
        assert!(all.contains("Encapsulation ARPA, loopback not set"));
        let one = run(&mut c, "sh int lo0\r");
        assert!(one.contains("Loopback0 is up"));
        assert!(!one.contains("Ethernet"), "{one}");
        let bad = run(&mut c, "sh int lo77\r");
        assert!(bad.contains("% Invalid input"));
        let desc = run(&mut c, "sh int desc\r");

        assert!(
            desc.contains("Interface                      Status         Protocol Description")
        );
    }
}
