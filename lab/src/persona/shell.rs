//! The CLI engine of persona devices: line discipline, modes and prompts, command
//! matching with abbreviations, pager, errors, output filters, and configuration
//! editing, commit and rollback per the persona's configuration model.
//!
//! Like [`crate::cli::Cli`] it is transport-free: [`PersonaCli::feed`] takes typed
//! bytes and returns [`Action`]s.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use super::def::ConfigDef;
use super::facts::{PendingConfirm, PersonaDevice, Saved};
use super::tree::{self, IndentStyle, Node};
use super::{Cmd, Persona, Word};
use crate::cli::{
    Action, Filter, Keys, SessionInfo, Tok, feed_keys, interrupted, push_echo, suspended, tokens,
};
use crate::line::{LineEditor, crlf, page};

/// Longest command line kept.
const MAX_LINE: usize = 4096;

/// Why a line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    /// Unknown word at this byte offset of the line.
    Invalid(usize),
    Incomplete,
    /// Abbreviation of several keywords at this offset.
    Ambiguous(usize),
    /// A configuration line the device refuses (the caret at this offset).
    Config(usize),
    /// A message of its own (already formatted).
    Message(String),
}

enum Outcome {
    Text(String),
    /// Text without a prompt after it (input continues in another state).
    Raw(String),
    Close,
    /// Ask a question; the answer goes to [`Pending`].
    Ask(String, Pending),
}

/// What waits for an answer typed at a question.
#[derive(Debug, Clone)]
enum Pending {
    /// A secret for switching to a mode.
    Secret { to: String, denied: String },
    /// A confirmation before running command `cmd` with `args`.
    Confirm {
        cmd: usize,
        args: BTreeMap<String, String>,
    },
    /// Junos: exit configuration mode with uncommitted changes?
    ExitUncommitted { to: String },
    /// IOS XR: commit uncommitted changes before leaving?
    EndUncommitted { to: String },
}

#[derive(Debug)]
enum Input {
    Line,
    Answer {
        pending: Pending,
    },
    More {
        text: String,
        pos: usize,
    },
    /// After the banner, before the first prompt: any key shows the prompt
    /// (ArubaOS-Switch "Press any key to continue").
    AnyKey,
    /// `load … terminal`: lines until Ctrl-D.
    Load {
        kind: String,
        buf: String,
    },
}

/// One CLI session on a persona device.
#[derive(Debug)]
pub struct PersonaCli {
    dev: Arc<PersonaDevice>,
    persona: &'static Persona,
    info: SessionInfo,
    mode: String,
    /// Context style: the open blocks (full lines). Set style: the `edit` path.
    ctx: Vec<String>,
    /// EOS configuration session.
    session: Option<String>,
    /// Private candidate of this session (IOS XR).
    private: Option<Node>,
    /// SR OS MD-CLI: the candidate mode the prompt shows (`pr`, `ex`, …).
    candidate_mode: &'static str,
    /// What this session typed since entering configuration mode, alone
    /// (IOS XR): `commit replace` makes it the whole configuration.
    typed: Option<Node>,
    input: Input,
    ed: LineEditor,
    term_len: u16,
    closed: bool,
    /// PAN-OS `set cli config-output-format set`: configuration shown as `set` lines.
    set_output: bool,
}

/// The configuration as a device of configuration model `c` prints it.
pub fn render_config(c: &ConfigDef, n: &Node) -> String {
    match c.format.as_str() {
        "braces" => tree::render_braces(n, &c.indent, c.semicolons),
        "fortios" => tree::render_fortios(n),
        "routeros" => tree::render_routeros(n),
        "classic" => tree::render_classic(n, &c.indent, &c.echo),
        _ => tree::render_indented(
            n,
            IndentStyle {
                indent: &c.indent,
                separator: &c.separator,
                separator_after_blocks_only: c.separator_after_blocks_only,
                close: "",
            },
        ),
    }
}

/// Parses configuration text of configuration model `c`.
pub fn parse_config(c: &ConfigDef, text: &str) -> Node {
    match c.format.as_str() {
        "braces" => tree::parse_braces(text),
        "fortios" => tree::parse_fortios(text),
        "routeros" => tree::parse_routeros(text),
        "classic" => tree::parse_classic(text),
        _ => {
            let comments: Vec<&str> = c.comments.iter().map(String::as_str).collect();
            tree::parse_indented(text, &comments)
        }
    }
}

/// The pager length a session starts with: the persona's, or 0 when the running
/// configuration turns the pager off (FortiOS `set output standard`).
fn pager_from_config(dev: &PersonaDevice) -> u16 {
    match &dev.config_def().pager_off_line {
        Some(l) if dev.state().running.contains_line(l) => 0,
        _ => dev.persona.def.pager.lines,
    }
}

fn merge(into: &mut Node, from: &Node) {
    for c in &from.children {
        let dst = into.child_mut_or_insert(&c.line);
        merge(dst, c);
    }
}

/// Expands an abbreviated interface name (`gi0/1`, `Eth1/2`) with the persona's
/// interface types.
fn expand_ifname(s: &str, types: &[String]) -> Option<String> {
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (kind, num) = s.split_at(split);
    let kind = kind.trim().to_ascii_lowercase();
    if kind.is_empty() {
        return None;
    }
    let mut hits = types
        .iter()
        .filter(|t| t.to_ascii_lowercase().starts_with(&kind));
    match (hits.next(), hits.next()) {
        (Some(t), None) => Some(format!("{t}{num}")),
        _ => types
            .iter()
            .find(|t| t.eq_ignore_ascii_case(&kind))
            .map(|t| format!("{t}{num}")),
    }
}

/// Words of a line with their byte offsets, a double-quoted string one word.
fn quoted_tokens(line: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() && !quoted {
            out.extend(cur.take());
            continue;
        }
        if c == '"' {
            quoted = !quoted;
        }
        cur.get_or_insert_with(|| (i, String::new())).1.push(c);
    }
    out.extend(cur);
    out
}

fn keyword(tok: &Tok<'_>, cands: &[String], abbrev: bool) -> Result<String, Fail> {
    let lower = tok.s.to_ascii_lowercase();
    if let Some(k) = cands.iter().find(|k| k.eq_ignore_ascii_case(&lower)) {
        return Ok(k.clone());
    }
    if !abbrev {
        return Err(Fail::Invalid(tok.at));
    }
    let mut hits: Vec<&String> = cands
        .iter()
        .filter(|k| k.to_ascii_lowercase().starts_with(&lower))
        .collect();
    hits.dedup();
    match hits.len() {
        1 => Ok(hits[0].clone()),
        0 => Err(Fail::Invalid(tok.at)),
        _ => Err(Fail::Ambiguous(tok.at)),
    }
}

impl PersonaCli {
    /// A new session in the persona's login mode.
    pub fn new(dev: Arc<PersonaDevice>, info: SessionInfo) -> PersonaCli {
        let persona = dev.persona;
        let term_len = pager_from_config(&dev);
        // A release may start in another mode (SR OS classic vs model-driven CLI).
        let mode = dev
            .facts
            .release
            .get("login_mode")
            .filter(|m| persona.def.modes.contains_key(*m))
            .cloned()
            .unwrap_or_else(|| persona.def.login_mode.clone());
        PersonaCli {
            mode,
            term_len,
            set_output: false,
            dev,
            persona,
            info,
            ctx: Vec::new(),
            session: None,
            private: None,
            candidate_mode: "ex",
            typed: None,
            input: if persona.def.press_any_key.is_some() {
                Input::AnyKey
            } else {
                Input::Line
            },
            ed: LineEditor::new(MAX_LINE),
            closed: false,
        }
    }

    /// The current mode's name.
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// Current pager length (0: off).
    pub fn terminal_length(&self) -> u16 {
        self.term_len
    }

    fn mode_def(&self) -> &super::def::ModeDef {
        // `mode` only ever holds names checked against `modes` at load time.
        &self.persona.def.modes[&self.mode]
    }

    /// The configuration model of the device's release.
    fn cfg(&self) -> &'static ConfigDef {
        self.dev.config_def()
    }

    fn in_config(&self) -> bool {
        self.mode_def().config
    }

    fn commit_model(&self) -> String {
        self.dev
            .facts
            .release
            .get("commit")
            .cloned()
            .unwrap_or_else(|| self.cfg().commit.clone())
    }

    fn render(&self, name: &str, extra: Value) -> String {
        self.dev.render(name, extra).unwrap_or_else(|e| {
            tracing::warn!(platform = %self.persona.platform(), "template {name}: {e:#}");
            format!("% template error in {name}: {e}\n")
        })
    }

    /// Whether the configuration edited here differs from the running one.
    fn dirty(&self) -> bool {
        let st = self.dev.state();
        if let Some(p) = &self.private {
            return *p != st.running;
        }
        if let Some(s) = &self.session {
            return st.sessions.get(s).is_some_and(|c| *c != st.running);
        }
        st.candidate.as_ref().is_some_and(|c| *c != st.running)
    }

    /// Whether the running configuration differs from the saved one (SR OS
    /// classic marks its prompt `*A:`).
    fn unsaved(&self) -> bool {
        let st = self.dev.state();
        st.running != st.startup
    }

    fn ctx_text(&self) -> String {
        let Some(last) = self.ctx.last() else {
            return String::new();
        };
        if self.cfg().style == "classic" {
            return self.classic_prompt_path();
        }
        if self.cfg().style != "context" && self.cfg().style != "fortios" {
            return String::new();
        }
        let mut words = last.split_whitespace();
        let kw = words.next().unwrap_or_default().to_string();
        let args: Vec<&str> = words.collect();
        let name = self.persona.tpl(&format!("section/{kw}"));
        match crate::persona::registry() {
            Ok(r) if r.env.get_template(&name).is_ok() => self
                .render(
                    &name,
                    minijinja::context! {
                        args => args.join(" "),
                        arg => args.last().copied().unwrap_or_default(),
                        first => args.first().copied().unwrap_or_default(),
                        kw => kw.clone(),
                    },
                )
                .trim_end_matches('\n')
                .to_string(),
            _ => String::new(),
        }
    }

    /// The current prompt.
    pub fn prompt(&self) -> String {
        let name = self.persona.tpl(&format!("prompt/{}", self.mode));
        let dirty = self.in_config() && self.dirty();
        let extra = minijinja::context! {
            user => self.info.username.clone(),
            ctx => self.ctx_text(),
            path => self.ctx.join(" "),
            dirty => dirty,
            candidate_mode => self.candidate_mode,
            unsaved => self.unsaved(),
            session => self.session.clone().unwrap_or_default(),
        };
        let p = self.render(&name, extra).replace('\n', "\r\n");
        match &self.persona.def.ansi_prompt {
            Some(colour) if !self.info.login_options.contains('c') => {
                format!("{colour}{p}\x1b[m")
            }
            _ => p,
        }
    }

    /// The question the persona's devices ask after login, if any.
    pub fn login_question(&self) -> Option<&'static crate::persona::def::LoginQuestionDef> {
        self.persona.def.login_question.as_ref()
    }

    /// What a fresh session prints: banner then prompt.
    pub fn greeting(&self) -> Vec<u8> {
        let banner = self.render(
            &self.persona.tpl("banner"),
            minijinja::context! { user => self.info.username.clone() },
        );
        let mut out = Vec::new();
        if self.persona.def.ansi_prompt.is_some() && !self.info.login_options.contains('t') {
            // Terminal detection: cursor to the bottom line, then a status report.
            out.extend_from_slice(b"\x1b[9999B\x1b[6n");
        }
        crlf(&banner, &mut out);
        match (&self.input, &self.persona.def.press_any_key) {
            (Input::AnyKey, Some(text)) => out.extend_from_slice(text.as_bytes()),
            _ => out.extend_from_slice(self.prompt().as_bytes()),
        }
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

    /// Enter: runs the line, answers the pending question or adds a loaded line.
    fn entered(&mut self, line: String, acts: &mut Vec<Action>) {
        match std::mem::replace(&mut self.input, Input::Line) {
            Input::Line | Input::More { .. } | Input::AnyKey => {
                let repaint =
                    self.persona.def.dumb_repaint && self.info.login_options.contains('e');
                if repaint {
                    let again = format!("\r{}{line}\r\n", self.prompt());
                    Self::echo(acts, again.as_bytes());
                } else {
                    Self::echo(acts, b"\r\n");
                }
                let mut reply = self.enter(&line);
                let prompt = self.prompt();
                if repaint && reply.ends_with(prompt.as_bytes()) {
                    reply.push(b'\r');
                    reply.extend_from_slice(prompt.as_bytes());
                }
                acts.push(Action::Reply(reply));
            }
            Input::Answer { pending } => {
                let mut out = b"\r\n".to_vec();
                let text = self.answered(pending, line.trim());
                crlf(&text, &mut out);
                if !self.closed {
                    self.page_or_prompt(String::new(), &mut out);
                }
                acts.push(Action::Reply(out));
            }
            Input::Load { kind, mut buf } => {
                buf.push_str(&line);
                buf.push('\n');
                Self::echo(acts, b"\r\n");
                self.input = Input::Load { kind, buf };
            }
        }
        if self.closed {
            acts.push(Action::Close);
        }
    }

    fn more_byte(&mut self, b: u8, acts: &mut Vec<Action>) {
        let input = std::mem::replace(&mut self.input, Input::Line);
        if let Input::AnyKey = input {
            // The switch clears the line it waited on and shows its prompt.
            let mut out = b"\r\n".to_vec();
            out.extend_from_slice(self.prompt().as_bytes());
            Self::echo(acts, &out);
            return;
        }
        let Input::More { text, pos } = input else {
            return;
        };
        let pager = &self.persona.def.pager;
        let mut out = pager.erase.as_bytes().to_vec();
        let lines = if pager.page_keys.as_bytes().contains(&b) {
            self.page_lines()
        } else if pager.line_keys.as_bytes().contains(&b) {
            1
        } else if pager.quit_keys.as_bytes().contains(&b) {
            0
        } else {
            // Most pagers take any other key as "next page".
            self.page_lines()
        };
        if lines == 0 {
            out.extend_from_slice(b"\r\n");
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

    fn page_out(&mut self, text: String, pos: usize, lines: usize, out: &mut Vec<u8>) {
        match page(&text, pos, lines, out) {
            Some(pos) => {
                out.extend_from_slice(self.persona.def.pager.prompt.as_bytes());
                self.input = Input::More { text, pos };
            }
            None => out.extend_from_slice(self.prompt().as_bytes()),
        }
    }

    fn page_or_prompt(&mut self, text: String, out: &mut Vec<u8>) {
        let lines = self.page_lines();
        self.page_out(text, 0, lines, out);
    }

    fn prompt_width(&self) -> usize {
        let p = self.prompt();
        p.rsplit('\n').next().unwrap_or_default().chars().count()
    }

    fn fail_text(&self, fail: &Fail, line: &str, prompt_width: usize) -> String {
        let (name, col) = match fail {
            Fail::Invalid(c) => ("error/invalid", *c),
            Fail::Incomplete => ("error/incomplete", line.len()),
            Fail::Ambiguous(c) => ("error/ambiguous", *c),
            Fail::Config(c) => ("error/config_invalid", *c),
            Fail::Message(m) => return m.clone(),
        };
        let word: String = line
            .get(col..)
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let caret = format!("{}^", " ".repeat(prompt_width + col));
        self.render(
            &self.persona.tpl(name),
            minijinja::context! {
                caret => caret,
                line => line.trim(),
                word => word,
                col => col + 1,
                user => self.info.username.clone(),
            },
        )
    }

    /// Runs one entered line; returns the reply bytes (output + prompt or pager).
    fn enter(&mut self, line: &str) -> Vec<u8> {
        let width = self.prompt_width();
        let result = self.run_line(line);
        let mut out = Vec::new();
        match result {
            Ok(Outcome::Text(text)) => {
                let prefix = if text.is_empty() || self.persona.def.output_prefix.is_empty() {
                    String::new()
                } else {
                    self.render(&self.persona.tpl("output_prefix"), Value::UNDEFINED)
                };
                self.page_or_prompt(format!("{prefix}{text}"), &mut out);
            }
            Ok(Outcome::Ask(question, pending)) => {
                crlf(&question, &mut out);
                self.input = Input::Answer { pending };
            }
            Ok(Outcome::Close) => self.closed = true,
            Ok(Outcome::Raw(text)) => crlf(&text, &mut out),
            Err(fail) => {
                crlf(&self.fail_text(&fail, line, width), &mut out);
                out.extend_from_slice(self.prompt().as_bytes());
            }
        }
        out
    }

    /// Runs one command as an SSH `exec` request (paging off).
    pub fn run_exec(&mut self, command: &str) -> (Vec<u8>, u32) {
        self.term_len = 0;
        if let Some(m) = &self.persona.def.exec_mode {
            self.mode = m.clone();
        }
        let mut out = Vec::new();
        let status = match self.run_line(command) {
            Ok(Outcome::Text(t)) => {
                crlf(&t, &mut out);
                0
            }
            Ok(_) => 0,
            Err(f) => {
                crlf(&self.fail_text(&f, command, 0), &mut out);
                1
            }
        };
        (out, status)
    }

    fn cmds_in_mode(&self) -> impl Iterator<Item = (usize, &Cmd)> {
        let mode = self.mode.clone();
        let config = self.in_config();
        self.persona.cmds.iter().enumerate().filter(move |(_, c)| {
            if c.def.modes.is_empty() {
                !config
            } else {
                c.def.modes.contains(&mode)
            }
        })
    }

    /// Matches `toks` against the commands of the current mode.
    fn match_cmd(
        &self,
        line: &str,
        toks: &[Tok<'_>],
    ) -> Result<(usize, BTreeMap<String, String>), Fail> {
        let abbrev = self.persona.def.abbreviations;
        let mut alive: Vec<usize> = self.cmds_in_mode().map(|(i, _)| i).collect();
        let cmds = &self.persona.cmds;
        for (i, tok) in toks.iter().enumerate() {
            let lower = tok.s.to_ascii_lowercase();
            let lit_at = |c: usize| match cmds[c].words.get(i) {
                Some(Word::Lit(w)) => Some(w.as_str()),
                _ => None,
            };
            let exact: Vec<usize> = alive
                .iter()
                .copied()
                .filter(|c| lit_at(*c).is_some_and(|w| w.eq_ignore_ascii_case(&lower)))
                .collect();
            let prefix: Vec<usize> = alive
                .iter()
                .copied()
                .filter(|c| {
                    abbrev
                        && !cmds[*c].def.exact
                        && lit_at(*c).is_some_and(|w| w.to_ascii_lowercase().starts_with(&lower))
                })
                .collect();
            let args: Vec<usize> = alive
                .iter()
                .copied()
                .filter(|c| matches!(cmds[*c].words.get(i), Some(Word::Arg(_) | Word::Rest(_))))
                .collect();
            let mut distinct: Vec<&str> = prefix.iter().filter_map(|c| lit_at(*c)).collect();
            distinct.sort_unstable();
            distinct.dedup();
            alive = if !exact.is_empty() {
                exact
            } else if distinct.len() == 1 {
                prefix
            } else if !args.is_empty() {
                args
            } else if distinct.len() > 1 {
                return Err(Fail::Ambiguous(tok.at));
            } else {
                return Err(Fail::Invalid(tok.at));
            };
            // A `{rest...}` word takes the rest of the line.
            if let Some(&c) = alive
                .iter()
                .find(|c| matches!(cmds[**c].words.get(i), Some(Word::Rest(_))))
                && alive
                    .iter()
                    .all(|c| !matches!(cmds[*c].words.get(i), Some(Word::Lit(_))))
            {
                return Ok((c, self.args_of(c, line, toks)));
            }
        }
        let n = toks.len();
        if let Some(&c) = alive.iter().find(|c| cmds[**c].words.len() == n) {
            return Ok((c, self.args_of(c, line, toks)));
        }
        if alive.is_empty() {
            Err(Fail::Invalid(toks.last().map_or(0, |t| t.at)))
        } else {
            Err(Fail::Incomplete)
        }
    }

    fn args_of(&self, c: usize, line: &str, toks: &[Tok<'_>]) -> BTreeMap<String, String> {
        let mut args = BTreeMap::new();
        for (i, w) in self.persona.cmds[c].words.iter().enumerate() {
            match w {
                Word::Arg(name) => {
                    if let Some(t) = toks.get(i) {
                        // RouterOS names its arguments: `save name=X` fills `{name}`.
                        let value =
                            t.s.strip_prefix(name.as_str())
                                .and_then(|v| v.strip_prefix('='))
                                .unwrap_or(t.s);
                        args.insert(name.clone(), value.to_string());
                    }
                }
                Word::Rest(name) => {
                    if let Some(t) = toks.get(i) {
                        args.insert(name.clone(), line[t.at..].trim().to_string());
                    }
                }
                Word::Lit(_) => {}
            }
        }
        args
    }

    /// Splits `line` at `|` outside quotes.
    fn split_pipes(line: &str) -> (usize, Vec<usize>) {
        let mut bars = Vec::new();
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '|' if !quoted => bars.push(i),
                _ => {}
            }
        }
        (bars.first().copied().unwrap_or(line.len()), bars)
    }

    fn run_line(&mut self, line: &str) -> Result<Outcome, Fail> {
        let (cmd_end, bars) = Self::split_pipes(line);
        let cmd_text = &line[..cmd_end];
        let toks = tokens(cmd_text);
        let Some(first) = toks.first() else {
            return if bars.is_empty() {
                Ok(Outcome::Text(String::new()))
            } else {
                Err(Fail::Invalid(bars[0]))
            };
        };
        let style = self.cfg().style.clone();
        // Configuration lines: whatever is not a command of a configuration mode.
        if bars.is_empty() {
            let is_cmd = self.match_cmd(cmd_text, &toks[..1]).is_ok()
                || matches!(self.match_cmd(cmd_text, &toks[..1]), Err(Fail::Incomplete));
            let config_line = match style.as_str() {
                "context" | "classic" => self.in_config() && !is_cmd,
                "fortios" => {
                    !is_cmd && (self.in_config() || first.s.eq_ignore_ascii_case("config"))
                }
                "routeros" => {
                    first.s.starts_with('/')
                        && toks.iter().any(|t| ["set", "add", "remove"].contains(&t.s))
                        && self.match_cmd(cmd_text, &toks).is_err()
                }
                _ => false,
            };
            if config_line {
                self.refuse_check(line)?;
                return match style.as_str() {
                    "context" => self.context_line(line, &toks).map(Outcome::Text),
                    "classic" => self
                        .classic_line(line)
                        .map(|_| Outcome::Text(String::new())),
                    "fortios" => self.fortios_line(line, &toks).map(Outcome::Text),
                    _ => self.routeros_line(line, &toks).map(Outcome::Text),
                };
            }
        }
        let (c, args) = self.match_cmd(cmd_text, &toks)?;
        let pipes = self.parse_pipes(line, &bars)?;
        let out = self.run_cmd(c, args, &pipes)?;
        Ok(match out {
            Outcome::Text(t) => Outcome::Text(Self::apply_pipes(t, &pipes)),
            o => o,
        })
    }

    fn parse_pipes(&self, line: &str, bars: &[usize]) -> Result<Vec<(String, String)>, Fail> {
        let mut out = Vec::new();
        for (k, &bar) in bars.iter().enumerate() {
            let end = bars.get(k + 1).copied().unwrap_or(line.len());
            let seg = &line[bar + 1..end];
            let toks: Vec<Tok<'_>> = tokens(seg)
                .into_iter()
                .map(|t| Tok {
                    s: t.s,
                    at: t.at + bar + 1,
                })
                .collect();
            let Some(first) = toks.first() else {
                return Err(Fail::Incomplete);
            };
            let names: Vec<String> = self.persona.def.pipes.keys().cloned().collect();
            let word = keyword(first, &names, self.persona.def.abbreviations)?;
            let kind = self.persona.def.pipes[&word].clone();
            let mut arg = seg[first.at - bar - 1 + first.s.len()..].trim().to_string();
            // `| display set` is two words.
            if kind == "display-set" {
                arg.clear();
            }
            if matches!(
                kind.as_str(),
                "include" | "exclude" | "begin" | "section" | "count"
            ) && arg.is_empty()
                && kind != "count"
            {
                return Err(Fail::Incomplete);
            }
            if arg.len() > 1 && arg.starts_with('"') && arg.ends_with('"') {
                arg = arg[1..arg.len() - 1].to_string();
            }
            out.push((kind, arg));
        }
        Ok(out)
    }

    fn apply_pipes(mut text: String, pipes: &[(String, String)]) -> String {
        for (kind, arg) in pipes {
            let re = || {
                regex::Regex::new(arg)
                    .or_else(|_| regex::Regex::new(&regex::escape(arg)))
                    .ok()
            };
            let filter = match kind.as_str() {
                "include" => re().map(Filter::Include),
                "exclude" => re().map(Filter::Exclude),
                "begin" => re().map(Filter::Begin),
                "section" => re().map(Filter::Section),
                "count" => {
                    let n = text
                        .lines()
                        .filter(|l| arg.is_empty() || l.contains(arg.as_str()))
                        .count();
                    text = format!("Count: {n} lines\n");
                    None
                }
                _ => None,
            };
            if let Some(f) = filter {
                text = f.apply(&text);
            }
        }
        text
    }

    fn refuse_check(&self, line: &str) -> Result<(), Fail> {
        if let Some(re) = &self.info.refuse
            && re.is_match(line.trim())
        {
            let at = line.len() - line.trim_start().len();
            return Err(Fail::Config(at));
        }
        Ok(())
    }

    fn output(&self, c: usize, extra: Value) -> String {
        match &self.persona.cmds[c].output {
            Some(name) => {
                let running = render_config(self.cfg(), &self.dev.state().running);
                self.render(name, minijinja::context! { running => running, ..extra })
            }
            None => String::new(),
        }
    }

    fn leave_config(&mut self) {
        let mut m = self.mode.clone();
        while self.persona.def.modes[&m].config {
            match &self.persona.def.modes[&m].parent {
                Some(p) => m = p.clone(),
                None => break,
            }
        }
        self.mode = m;
        self.ctx.clear();
        if self.session.take().is_some() {
            // EOS: leaving a session keeps it pending (as on EOS); nothing to do.
        }
        self.private = None;
        self.typed = None;
    }

    /// Runs the edit `f` on the configuration this session edits.
    fn with_target<R>(&mut self, mut f: impl FnMut(&mut Node) -> R) -> R {
        let model = self.commit_model();
        let mut st = self.dev.state();
        if model == "session" {
            let p = self.private.get_or_insert_with(|| st.running.clone());
            let r = f(p);
            f(self.typed.get_or_insert_with(Node::default));
            return r;
        }
        if let Some(s) = &self.session {
            let running = st.running.clone();
            return f(st.sessions.entry(s.clone()).or_insert(running));
        }
        if model == "candidate" {
            let running = st.running.clone();
            return f(st.candidate.get_or_insert(running));
        }
        f(&mut st.running)
    }

    /// The configuration this session would commit.
    fn target(&mut self) -> Node {
        self.with_target(|n| n.clone())
    }

    fn commit(&mut self, comment: &str) -> Result<(), Fail> {
        let user = self.info.username.clone();
        let model = self.commit_model();
        let private = self.private.take();
        self.typed = None;
        let session = self.session.clone();
        let mut st = self.dev.state();
        let new = if let Some(p) = private {
            Some(p)
        } else if let Some(s) = &session {
            st.sessions.remove(s)
        } else {
            st.candidate.take()
        };
        // Any commit confirms a pending commit-confirm.
        st.confirm = None;
        if let Some(new) = new {
            if new != st.running || model != "immediate" {
                st.commit_config(new, &user, comment);
            }
        } else if model != "immediate" {
            let running = st.running.clone();
            st.commit_config(running, &user, comment);
        }
        Ok(())
    }

    fn answered(&mut self, pending: Pending, answer: &str) -> String {
        let yes =
            |a: &str| a.is_empty() || a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes");
        match pending {
            Pending::Secret { to, denied } => {
                if answer == self.info.enable_secret {
                    self.mode = to;
                    String::new()
                } else {
                    denied
                }
            }
            Pending::Confirm { cmd, args } => {
                if !yes(answer) && !answer.contains(':') && !answer.contains('.') {
                    return String::new();
                }
                match self.run_action(cmd, args, &[]) {
                    Ok(Outcome::Text(t)) => t,
                    Ok(_) => String::new(),
                    Err(f) => self.fail_text(&f, "", 0),
                }
            }
            Pending::ExitUncommitted { to } => {
                if yes(answer) {
                    self.mode = to;
                    self.ctx.clear();
                    "Exiting configuration mode\n".into()
                } else {
                    String::new()
                }
            }
            Pending::EndUncommitted { to } => {
                if answer.eq_ignore_ascii_case("yes") || answer.eq_ignore_ascii_case("y") {
                    let _ = self.commit("");
                    self.mode = to;
                    self.ctx.clear();
                } else if answer.eq_ignore_ascii_case("no") || answer.eq_ignore_ascii_case("n") {
                    self.private = None;
                    self.typed = None;
                    self.mode = to;
                    self.ctx.clear();
                }
                String::new()
            }
        }
    }

    fn run_cmd(
        &mut self,
        c: usize,
        args: BTreeMap<String, String>,
        pipes: &[(String, String)],
    ) -> Result<Outcome, Fail> {
        let def = &self.persona.cmds[c].def;
        if let Some(q) = def.password.clone() {
            let to = def.to.clone().unwrap_or_else(|| self.mode.clone());
            let denied = def.denied.clone().unwrap_or_default();
            return Ok(Outcome::Ask(q, Pending::Secret { to, denied }));
        }
        if let Some(name) = self.persona.cmds[c].confirm.clone() {
            let argv = Value::from(minijinja::value::Serde(&args));
            let q = self.render(&name, minijinja::context! { args => argv });
            return Ok(Outcome::Ask(q, Pending::Confirm { cmd: c, args }));
        }
        self.run_action(c, args, pipes)
    }

    fn run_action(
        &mut self,
        c: usize,
        args: BTreeMap<String, String>,
        pipes: &[(String, String)],
    ) -> Result<Outcome, Fail> {
        let def = self.persona.cmds[c].def.clone();
        let action = def.action.clone().unwrap_or_default();
        let argv = Value::from(minijinja::value::Serde(&args));
        let num = |k: &str| -> Result<u64, Fail> {
            args.get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    Fail::Message(format!(
                        "% Invalid number: {}\n",
                        args.get(k).map_or("", |s| s)
                    ))
                })
        };
        let simple = |me: &Self| {
            me.output(
                c,
                minijinja::context! {
                    args => argv.clone(),
                    user => me.info.username.clone(),
                    candidate_mode => me.candidate_mode,
                },
            )
        };
        let text = match action.as_str() {
            "" | "noop" => simple(self),
            "mode" => {
                let out = simple(self);
                if let Some(to) = &def.to {
                    self.mode = to.clone();
                }
                out
            }
            "close" => return Ok(Outcome::Close),
            "exit" | "end" => {
                let set_style = self.cfg().style == "set";
                if action == "exit" && !self.ctx.is_empty() && !set_style {
                    self.ctx.pop();
                    return Ok(Outcome::Text(simple(self)));
                }
                if action == "exit" && set_style && !self.ctx.is_empty() {
                    self.ctx.clear();
                    return Ok(Outcome::Text(simple(self)));
                }
                let target = if action == "end" || self.in_config() {
                    let mut m = self.mode.clone();
                    while let Some(p) = self.persona.def.modes[&m].parent.clone() {
                        m = p;
                        if !self.persona.def.modes[&m].config || action == "exit" {
                            break;
                        }
                    }
                    Some(m)
                } else {
                    self.mode_def().parent.clone()
                };
                let Some(to) = target else {
                    return Ok(Outcome::Close);
                };
                let leaving_config = self.in_config() && !self.persona.def.modes[&to].config;
                let model = self.commit_model();
                if leaving_config && self.dirty() {
                    if set_style {
                        let q = "The configuration has been changed but not committed\nExit with uncommitted changes? [yes,no] (yes) ".to_string();
                        return Ok(Outcome::Ask(q, Pending::ExitUncommitted { to }));
                    }
                    if model == "session" {
                        let q = "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:".to_string();
                        return Ok(Outcome::Ask(q, Pending::EndUncommitted { to }));
                    }
                }
                let out = simple(self);
                if leaving_config {
                    self.leave_config();
                }
                self.mode = to;
                out
            }
            "pager" => {
                self.term_len = num("n")?.min(u64::from(u16::MAX)) as u16;
                simple(self)
            }
            "pager-off" => {
                self.term_len = 0;
                simple(self)
            }
            "output-format" => {
                self.set_output = args.get("format").is_some_and(|f| f == "set");
                simple(self)
            }
            "config" if args.contains_key("path") && self.cfg().style == "classic" => {
                // SR OS classic `configure <path…>`: a line ending at a
                // leaf applies it and stays here; one ending at a context
                // enters it.
                let path = args.get("path").cloned().unwrap_or_default();
                self.refuse_check(&path)?;
                let (mode, ctx) = (self.mode.clone(), std::mem::take(&mut self.ctx));
                if let Some(to) = &def.to {
                    self.mode = to.clone();
                }
                match self.classic_line(&path) {
                    Ok(true) => {}
                    Ok(false) => (self.mode, self.ctx) = (mode, ctx),
                    Err(f) => {
                        (self.mode, self.ctx) = (mode, ctx);
                        let verb: usize = self.persona.cmds[c]
                            .words
                            .iter()
                            .map(|w| match w {
                                Word::Lit(s) => s.len() + 1,
                                _ => 0,
                            })
                            .sum();
                        return Err(match f {
                            Fail::Invalid(at) => Fail::Invalid(at + verb),
                            Fail::Ambiguous(at) => Fail::Ambiguous(at + verb),
                            Fail::Config(at) => Fail::Config(at + verb),
                            f => f,
                        });
                    }
                }
                simple(self)
            }
            "config" => {
                // SR OS MD-CLI `edit-config private|exclusive|global|read-only`.
                for (word, tag) in [
                    ("private", "pr"),
                    ("exclusive", "ex"),
                    ("global", "gl"),
                    ("read-only", "ro"),
                ] {
                    if self.persona.cmds[c]
                        .words
                        .iter()
                        .any(|w| matches!(w, Word::Lit(l) if l == word))
                    {
                        self.candidate_mode = tag;
                    }
                }
                if let Some(s) = args.get("session") {
                    let running = self.dev.state().running.clone();
                    self.dev
                        .state()
                        .sessions
                        .entry(s.clone())
                        .or_insert(running);
                    self.session = Some(s.clone());
                }
                let out = simple(self);
                if let Some(to) = &def.to {
                    self.mode = to.clone();
                }
                self.ctx.clear();
                out
            }
            "show-config" | "show-candidate" => {
                let tree = if action == "show-candidate" && self.in_config() {
                    self.target()
                } else {
                    self.dev.state().running.clone()
                };
                let sub = if self.cfg().style == "set" && self.in_config() {
                    tree.at(&self.ctx).cloned().unwrap_or_default()
                } else if let Some(path) =
                    args.get("path").filter(|_| self.cfg().style == "fortios")
                {
                    let head = format!("config {path}");
                    let node = tree
                        .child(&head)
                        .or_else(|| tree.children.iter().find_map(|c| c.child(&head)))
                        .cloned()
                        .unwrap_or_else(|| Node::leaf(head.clone()));
                    Node {
                        line: String::new(),
                        children: vec![node],
                    }
                } else {
                    tree.clone()
                };
                if pipes.iter().any(|(k, _)| k == "compare") {
                    let arg = pipes
                        .iter()
                        .find(|(k, _)| k == "compare")
                        .map(|(_, a)| a.clone())
                        .unwrap_or_default();
                    let n = arg
                        .split_whitespace()
                        .last()
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(0);
                    let base = self.dev.state().revision(n).cloned().unwrap_or_default();
                    return Ok(Outcome::Text(self.compare_text(&base, &tree)));
                }
                let config = if pipes.iter().any(|(k, _)| k == "display-set") {
                    tree::render_set(&sub, "set")
                } else {
                    render_config(self.cfg(), &sub)
                };
                let extra = minijinja::context! {
                    full_context => tree::render_full_context(&sub, &self.cfg().entries),
                    set_config => tree::render_set(&sub, "set"),
                    set_output => self.set_output,
                    config => config.clone(),
                    bytes => config.len(),
                    args => argv.clone(),
                    last_commit => self.last_commit(),
                };
                self.output(c, extra)
            }
            "compare" => {
                let running = self.dev.state().running.clone();
                let target = self.target();
                let diff = self.compare_text(&running, &target);
                self.output(
                    c,
                    minijinja::context! { diff => diff, args => argv.clone() },
                )
            }
            "commit"
            | "commit-replace"
            | "commit-check"
            | "commit-confirmed-min"
            | "commit-confirmed-sec"
            | "commit-timer" => {
                if action == "commit-check" {
                    return Ok(Outcome::Text(simple(self)));
                }
                let secs = match action.as_str() {
                    "commit-confirmed-min" => {
                        Some(args.get("n").map_or(Ok(10), |_| num("n"))? * 60)
                    }
                    "commit-confirmed-sec" => Some(args.get("n").map_or(Ok(600), |_| num("n"))?),
                    "commit-timer" => {
                        let t = args.get("n").cloned().unwrap_or_default();
                        let parts: Vec<u64> = t.split(':').filter_map(|p| p.parse().ok()).collect();
                        if parts.len() != 3 {
                            return Err(Fail::Message(format!("% Invalid timer: {t}\n")));
                        }
                        Some(parts[0] * 3600 + parts[1] * 60 + parts[2])
                    }
                    _ => None,
                };
                if action == "commit-replace" {
                    // IOS XR `commit replace`: what this session typed
                    // becomes the whole configuration.
                    self.private = Some(self.typed.take().unwrap_or_default());
                }
                let old = self.dev.state().running.clone();
                let comment = args.get("comment").cloned().unwrap_or_default();
                self.commit(&comment)?;
                if let Some(secs) = secs {
                    self.dev.state().confirm = Some(PendingConfirm {
                        deadline: tokio::time::Instant::now() + Duration::from_secs(secs),
                        restore: old,
                    });
                }
                let out = simple(self);
                if self.session.is_some() {
                    // EOS: committing a session ends it and leaves configuration mode.
                    self.leave_config();
                    if let Some(to) = &def.to {
                        self.mode = to.clone();
                    }
                }
                if let Some(to) = &def.to {
                    self.mode = to.clone();
                }
                out
            }
            "abort" if self.cfg().style == "fortios" && self.ctx.len() > 1 => {
                // FortiOS: `abort` leaves the innermost block without
                // keeping it; the outermost one drops the whole change.
                self.ctx.pop();
                simple(self)
            }
            "abort" => {
                let model = self.commit_model();
                if let Some(s) = self.session.clone() {
                    self.dev.state().sessions.remove(&s);
                } else if model == "session" {
                    self.private = None;
                    self.typed = None;
                } else {
                    self.dev.state().candidate = None;
                }
                let out = simple(self);
                if def.to.is_some() {
                    self.leave_config();
                }
                if let Some(to) = &def.to {
                    self.mode = to.clone();
                }
                out
            }
            "rollback" | "rollback-apply" => {
                let n = args.get("n").map_or(Ok(0), |_| num("n"))? as usize;
                let Some(rev) = self.dev.state().revision(n).cloned() else {
                    return Err(Fail::Message(self.output(
                        c,
                        minijinja::context! { args => argv.clone(), missing => true },
                    )));
                };
                if action == "rollback-apply" {
                    let user = self.info.username.clone();
                    self.dev.state().commit_config(rev, &user, "rollback");
                } else {
                    self.with_target(|t| *t = rev.clone());
                }
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), missing => false },
                )
            }
            "save" => {
                let mut st = self.dev.state();
                st.startup = st.running.clone();
                drop(st);
                simple(self)
            }
            "checkpoint" | "copy-running" => {
                let name = args
                    .get("name")
                    .cloned()
                    .unwrap_or_else(|| format!("auto-{}", self.dev.state().commits));
                let user = self.info.username.clone();
                let mut st = self.dev.state();
                let cfg = st.running.clone();
                let bytes = render_config(self.cfg(), &cfg).len();
                st.files.insert(
                    name,
                    Saved {
                        config: cfg,
                        at: crate::templates::now_unix().0,
                        user,
                        comment: action.clone(),
                    },
                );
                drop(st);
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), bytes => bytes },
                )
            }
            "rollback-checkpoint" | "replace" => {
                let name = args.get("name").cloned().unwrap_or_default();
                let saved = self.dev.state().files.get(&name).cloned();
                let Some(saved) = saved else {
                    return Err(Fail::Message(self.output(
                        c,
                        minijinja::context! { args => argv.clone(), missing => true },
                    )));
                };
                let user = self.info.username.clone();
                self.dev.state().commit_config(saved.config, &user, &action);
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), missing => false },
                )
            }
            "load-file" => {
                // PAN-OS `load config from NAME`: into the candidate, for a commit.
                let name = args.get("name").cloned().unwrap_or_default();
                let saved = self.dev.state().files.get(&name).cloned();
                let Some(saved) = saved else {
                    return Err(Fail::Message(self.output(
                        c,
                        minijinja::context! { args => argv.clone(), missing => true },
                    )));
                };
                self.with_target(|t| *t = saved.config.clone());
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), missing => false },
                )
            }
            "files" => {
                let files: Vec<BTreeMap<&str, Value>> = self
                    .dev
                    .state()
                    .files
                    .iter()
                    .map(|(k, v)| {
                        BTreeMap::from([
                            ("name", Value::from(k.clone())),
                            ("at", Value::from(v.at)),
                            ("user", Value::from(v.user.clone())),
                            (
                                "bytes",
                                Value::from(render_config(self.cfg(), &v.config).len()),
                            ),
                        ])
                    })
                    .collect();
                self.output(
                    c,
                    minijinja::context! { files => files, args => argv.clone() },
                )
            }
            "commits" => {
                let st = self.dev.state();
                let total = st.commits;
                let commits: Vec<BTreeMap<&str, Value>> = st
                    .history
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        BTreeMap::from([
                            ("n", Value::from(i + 1)),
                            ("id", Value::from(1_000_000_000 + total - i as u64)),
                            ("at", Value::from(s.at)),
                            ("user", Value::from(s.user.clone())),
                            ("comment", Value::from(s.comment.clone())),
                        ])
                    })
                    .collect();
                drop(st);
                self.output(
                    c,
                    minijinja::context! { commits => commits, args => argv.clone() },
                )
            }
            "set" | "delete" => {
                let path = args.get("path").cloned().unwrap_or_default();
                let line_for_refuse = format!("{action} {path}");
                self.refuse_check(&line_for_refuse)?;
                // SR OS MD-CLI takes a path's end in braces
                // (`/configure { system time ntp server … }`).
                let mut words = tree::words(&path);
                words.retain(|w| w != "{" && w != "}");
                let cfg = self.cfg();
                if self.ctx.is_empty()
                    && !cfg.top.is_empty()
                    && !words.first().is_some_and(|w| cfg.top.contains(w))
                {
                    // Caret under the first path word: after the verb and a space.
                    let verb_len = self.persona.cmds[c].words.first().map_or(0, |w| match w {
                        Word::Lit(s) => s.len(),
                        _ => 0,
                    });
                    return Err(Fail::Config(verb_len + 1));
                }
                let mut full = self.ctx.clone();
                full.extend(tree::set_path(&words, &cfg.keyed));
                let single = cfg.single.clone();
                let found = self.with_target(|t| {
                    if action == "set" {
                        tree::set_in(t, &full, &single);
                        true
                    } else {
                        tree::delete_in(t, &full)
                    }
                });
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), found => found },
                )
            }
            "delete-all" => {
                // SR OS MD-CLI `delete configure`: the candidate empties.
                self.with_target(|t| t.children.clear());
                simple(self)
            }
            "edit" => {
                let words = tree::words(args.get("path").map_or("", |s| s));
                let keyed = self.cfg().keyed.clone();
                self.ctx.extend(tree::set_path(&words, &keyed));
                simple(self)
            }
            "up" => {
                self.ctx.pop();
                simple(self)
            }
            "top" => {
                self.ctx.clear();
                simple(self)
            }
            "load" => {
                let kind = args.get("kind").cloned().unwrap_or_else(|| "merge".into());
                self.input = Input::Load {
                    kind,
                    buf: String::new(),
                };
                // The reply ends without a prompt: lines follow until Ctrl-D.
                return Ok(Outcome::Raw(simple(self)));
            }
            "do" => {
                let cmd = args.get("cmd").cloned().unwrap_or_default();
                let (mode, ctx) = (self.mode.clone(), self.ctx.clone());
                let mut m = self.mode.clone();
                while self.persona.def.modes[&m].config {
                    match &self.persona.def.modes[&m].parent {
                        Some(p) => m = p.clone(),
                        None => break,
                    }
                }
                self.mode = m;
                let r = self.run_line(&cmd);
                self.mode = mode;
                self.ctx = ctx;
                return r;
            }
            "clean-config" => {
                if !self.ctx.is_empty() {
                    // Junos `delete` inside `edit X`: everything under X.
                    let ctx = self.ctx.clone();
                    self.with_target(|t| tree::delete_in(t, &ctx));
                } else {
                    self.with_target(|t| *t = Node::default());
                }
                simple(self)
            }
            // SR OS numbered checkpoints: a save shifts the older ones by one
            // (at most 10 kept), a delete closes the gap, `latest-rb` is [0].
            "rb-save" => {
                let user = self.info.username.clone();
                let comment = args.get("comment").cloned().unwrap_or_default();
                let mut st = self.dev.state();
                let saved = Saved {
                    config: st.running.clone(),
                    at: crate::templates::now_unix().0,
                    user,
                    comment: comment.trim_matches('"').to_string(),
                };
                st.checkpoints.insert(0, saved);
                st.checkpoints.truncate(10);
                drop(st);
                simple(self)
            }
            "rb-list" => {
                let rows: Vec<BTreeMap<&str, Value>> = self
                    .dev
                    .state()
                    .checkpoints
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        BTreeMap::from([
                            ("n", Value::from(i)),
                            ("at", Value::from(s.at)),
                            ("user", Value::from(s.user.clone())),
                            ("comment", Value::from(s.comment.clone())),
                        ])
                    })
                    .collect();
                self.output(
                    c,
                    minijinja::context! { checkpoints => rows, args => argv.clone() },
                )
            }
            "rb-delete" | "rb-revert" => {
                let id = args.get("id").cloned().unwrap_or_default();
                let at = match id.as_str() {
                    "latest-rb" => Some(0),
                    n => n.parse::<usize>().ok().filter(|n| (1..10).contains(n)),
                };
                let found = at.filter(|i| *i < self.dev.state().checkpoints.len());
                let Some(i) = found else {
                    return Err(Fail::Message(self.output(
                        c,
                        minijinja::context! { args => argv.clone(), missing => true },
                    )));
                };
                if action == "rb-delete" {
                    self.dev.state().checkpoints.remove(i);
                } else {
                    let cfg = self.dev.state().checkpoints[i].config.clone();
                    let user = self.info.username.clone();
                    self.dev
                        .state()
                        .commit_config(cfg, &user, "rollback revert");
                }
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), missing => false },
                )
            }
            "delete-file" => {
                let name = args.get("name").cloned().unwrap_or_default();
                let missing = self.dev.state().files.remove(&name).is_none();
                self.output(
                    c,
                    minijinja::context! { args => argv.clone(), missing => missing },
                )
            }
            "sessions" => {
                // Sessions left without commit or abort stay pending.
                let pending: Vec<String> = self.dev.state().sessions.keys().cloned().collect();
                self.output(
                    c,
                    minijinja::context! { sessions => pending, args => argv.clone() },
                )
            }
            "hostname" => simple(self),
            other => {
                tracing::warn!("unhandled persona action {other}");
                simple(self)
            }
        };
        Ok(Outcome::Text(text))
    }

    fn last_commit(&self) -> u64 {
        self.dev
            .state()
            .history
            .first()
            .map_or_else(|| self.dev.facts.uptime_at_start, |s| s.at)
    }

    fn compare_text(&self, old: &Node, new: &Node) -> String {
        let c = self.cfg();
        if c.format == "braces" {
            tree::compare_braces(old, new, &c.indent, c.semicolons)
        } else {
            let a = render_config(self.cfg(), old);
            let b = render_config(self.cfg(), new);
            let mut out = String::new();
            for (sign, l) in tree::line_diff(&a, &b) {
                if sign != ' ' {
                    out.push(sign);
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            out
        }
    }

    fn load_done(&mut self, kind: &str, text: &str) -> String {
        let p = self.cfg();
        match kind {
            "set" => {
                for l in text.lines() {
                    let t = l.trim();
                    let (verb, rest) = t.split_once(' ').unwrap_or((t, ""));
                    let words = tree::words(rest);
                    let mut path = self.ctx.clone();
                    path.extend(tree::set_path(&words, &p.keyed));
                    let single = p.single.clone();
                    match verb {
                        "set" => self.with_target(|n| tree::set_in(n, &path, &single)),
                        "delete" => {
                            self.with_target(|n| {
                                tree::delete_in(n, &path);
                            });
                        }
                        _ => {}
                    }
                }
            }
            "override" | "replace" => {
                let parsed = parse_config(p, text);
                self.with_target(|n| *n = parsed.clone());
            }
            _ => {
                let parsed = parse_config(p, text);
                self.with_target(|n| merge(n, &parsed));
            }
        }
        "load complete\n".into()
    }

    /// IOS-like configuration line in context style.
    fn context_line(&mut self, line: &str, toks: &[Tok<'_>]) -> Result<String, Fail> {
        let cfg = self.cfg();
        let abbrev = self.persona.def.abbreviations;
        let neg = toks[0].s.eq_ignore_ascii_case(&cfg.negate);
        let body = if neg { &toks[1..] } else { toks };
        let Some(first) = body.first() else {
            return Err(Fail::Incomplete);
        };
        let inner_kw = self
            .ctx
            .last()
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_string();
        let top_kw = self
            .ctx
            .first()
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_string();
        let sections: Vec<String> = cfg.sections.keys().cloned().collect();
        let mut vocab: Vec<String> = cfg.global.iter().chain(sections.iter()).cloned().collect();
        let mut local: Vec<String> = Vec::new();
        if !self.ctx.is_empty() {
            for k in [&inner_kw, &top_kw] {
                local.extend(cfg.block_words.get(k).cloned().unwrap_or_default());
                local.extend(cfg.subsections.get(k).cloned().unwrap_or_default());
            }
            vocab.extend(local.iter().cloned());
        }
        vocab.sort();
        vocab.dedup();
        let kw = keyword(first, &vocab, abbrev).map_err(|f| match f {
            Fail::Invalid(at) => Fail::Config(at),
            f => f,
        })?;
        let rest = line[first.at + first.s.len()..].trim();
        let rest = if kw == "interface" && !rest.is_empty() {
            let joined: String = rest.split_whitespace().collect();
            expand_ifname(&joined, &cfg.interface_types).unwrap_or(joined)
        } else {
            rest.to_string()
        };
        let full = if rest.is_empty() {
            kw.clone()
        } else {
            format!("{kw} {rest}")
        };
        let is_local = local.contains(&kw);
        let in_inner = |k: &str| {
            [&cfg.block_words, &cfg.subsections]
                .iter()
                .any(|m| m.get(k).is_some_and(|w| w.contains(&kw)))
        };
        let inner_kw = if self.ctx.len() > 1 && !in_inner(&inner_kw) && in_inner(&top_kw) {
            // A word of the enclosing block typed in a sub-block (`neighbor`
            // after `address-family` under `router bgp`) leaves the sub-block.
            self.ctx.truncate(1);
            top_kw.clone()
        } else {
            inner_kw
        };
        let opens_sub = !self.ctx.is_empty()
            && cfg
                .subsections
                .get(&inner_kw)
                .or_else(|| cfg.subsections.get(&top_kw))
                .is_some_and(|s| s.contains(&kw));
        let opens_top = cfg.sections.contains_key(&kw) && !is_local;
        if !is_local && !self.ctx.is_empty() {
            // A global command typed in a block leaves the block, as IOS does.
            self.ctx.clear();
        }
        let path = self.ctx.clone();
        if neg {
            let printed = cfg
                .printed_negations
                .iter()
                .any(|p| tree::starts_with_words(&full, p));
            let line = format!("{} {full}", cfg.negate);
            self.with_target(|t| {
                let removed = t.at_mut(&path).map_or(0, |n| n.remove_prefixed(&full));
                if removed == 0 && printed {
                    t.at_mut_or_insert(&path).upsert(&line, None);
                }
            });
            return Ok(String::new());
        }
        if opens_top || opens_sub {
            if opens_top {
                self.ctx.clear();
            }
            self.ctx.push(full);
            let path = self.ctx.clone();
            self.with_target(|t| {
                t.at_mut_or_insert(&path);
            });
            return Ok(String::new());
        }
        let key = cfg
            .single
            .iter()
            .find(|s| tree::starts_with_words(&full, s))
            .cloned();
        self.with_target(|t| t.at_mut_or_insert(&path).upsert(&full, key.as_deref()));
        Ok(String::new())
    }

    /// The classic-style context description at keyword path `kws`.
    fn classic_context(&self, kws: &[String]) -> Option<&'static super::def::ContextDef> {
        self.cfg().contexts.get(&kws.join(" "))
    }

    /// SR OS classic: the open contexts as the prompt names them
    /// (`system>time>ntp`, `router>if`).
    fn classic_prompt_path(&self) -> String {
        let mut kws: Vec<String> = Vec::new();
        let mut names = Vec::new();
        for line in &self.ctx {
            let kw = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let shown = self
                .classic_context(&kws)
                .and_then(|c| c.enter.get(&kw))
                .and_then(|e| e.prompt.clone())
                .unwrap_or_else(|| kw.clone());
            names.push(shown);
            kws.push(kw);
        }
        names.join(">")
    }

    /// SR OS classic CLI: a line walks contexts from the current one (each
    /// created when missing, `create` optional), and ends at a context,
    /// which it enters, or at a leaf, which it sets at once (`no` before the
    /// last word removes it; `shutdown` and `no shutdown` replace each
    /// other). A word the context does not know refuses the whole line and
    /// changes nothing. Returns whether the line ended at a context.
    fn classic_line(&mut self, line: &str) -> Result<bool, Fail> {
        let cfg = self.cfg();
        let abbrev = self.persona.def.abbreviations;
        let toks = quoted_tokens(line);
        let mut ctx = self.ctx.clone();
        let mut kws: Vec<String> = ctx
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect();
        let mut tree = self.dev.state().running.clone();
        let mut neg = false;
        let mut i = 0;
        while i < toks.len() {
            let (at, word) = (toks[i].0, toks[i].1.as_str());
            let here = self.classic_context(&kws).cloned().unwrap_or_default();
            let mut vocab: Vec<String> = here
                .enter
                .keys()
                .chain(&here.leaves)
                .chain(&here.multi)
                .cloned()
                .collect();
            if !neg {
                // `no` before the word it negates (`no shutdown`,
                // `port 1/1/1 no shutdown`).
                vocab.push(cfg.negate.clone());
            }
            vocab.sort();
            vocab.dedup();
            let tok = Tok { s: word, at };
            let kw = keyword(&tok, &vocab, abbrev).map_err(|f| match f {
                Fail::Invalid(at) => Fail::Config(at),
                f => f,
            })?;
            if kw == cfg.negate {
                neg = true;
                i += 1;
                continue;
            }
            if let Some(e) = here.enter.get(&kw) {
                i += 1;
                let value = match e.arg.as_deref() {
                    None => None,
                    Some(kind) => {
                        // `router interface …`: with a default, a word of
                        // the context itself is not its argument.
                        let mut inner = kws.clone();
                        inner.push(kw.clone());
                        let own = self.classic_context(&inner).is_some_and(|d| {
                            toks.get(i).is_some_and(|(_, w)| {
                                w.eq_ignore_ascii_case(&cfg.negate)
                                    || d.enter
                                        .keys()
                                        .chain(&d.leaves)
                                        .chain(&d.multi)
                                        .any(|k| k.eq_ignore_ascii_case(w))
                            })
                        });
                        let typed = toks
                            .get(i)
                            .filter(|(_, w)| w != "create" && !(own && e.default.is_some()))
                            .map(|(_, w)| w.trim_matches('"').to_string());
                        if typed.is_some() {
                            i += 1;
                        }
                        let v = typed
                            .or_else(|| e.default.clone())
                            .ok_or(Fail::Incomplete)?;
                        Some(if kind == "quoted" {
                            format!("\"{v}\"")
                        } else {
                            v
                        })
                    }
                };
                if toks.get(i).is_some_and(|(_, w)| w == "create") {
                    i += 1;
                }
                let full = match value {
                    Some(v) => format!("{kw} {v}"),
                    None => kw.clone(),
                };
                if neg {
                    if i < toks.len() {
                        return Err(Fail::Config(toks[i].0));
                    }
                    if let Some(n) = tree.at_mut(&ctx) {
                        n.children.retain(|c| c.line != full);
                    }
                    self.dev.state().running = tree;
                    return Ok(false);
                }
                ctx.push(full);
                kws.push(kw);
                tree.at_mut_or_insert(&ctx);
                continue;
            }
            // A leaf: the rest of the line is its value.
            let rest: Vec<&str> = toks[i + 1..].iter().map(|(_, w)| w.as_str()).collect();
            let full = std::iter::once(kw.as_str())
                .chain(rest.iter().copied())
                .collect::<Vec<_>>()
                .join(" ");
            let node = tree.at_mut_or_insert(&ctx);
            let toggle = |n: &mut Node, line: String| match n
                .children
                .iter_mut()
                .find(|c| c.line == kw || c.line == format!("{} {kw}", cfg.negate))
            {
                Some(c) => c.line = line,
                None => n.children.push(Node::leaf(line)),
            };
            if kw == "shutdown" {
                if !rest.is_empty() {
                    return Err(Fail::Config(toks[i + 1].0));
                }
                let line = if neg {
                    format!("{} {kw}", cfg.negate)
                } else {
                    kw.clone()
                };
                toggle(node, line);
            } else if neg {
                // `no description`, `no server 192.0.2.1`.
                node.remove_prefixed(&full);
            } else if rest.is_empty() {
                return Err(Fail::Incomplete);
            } else {
                let key = if here.multi.contains(&kw) {
                    format!("{kw} {}", rest[0])
                } else {
                    kw.clone()
                };
                node.upsert(&full, Some(&key));
            }
            self.dev.state().running = tree;
            return Ok(false);
        }
        if neg {
            return Err(Fail::Incomplete);
        }
        self.dev.state().running = tree;
        self.ctx = ctx;
        Ok(true)
    }

    /// FortiOS: `config …`, `edit …`, `set …`, `unset …`, `next`.
    fn fortios_line(&mut self, line: &str, toks: &[Tok<'_>]) -> Result<String, Fail> {
        let cfg = self.cfg();
        let verb = toks[0].s.to_ascii_lowercase();
        let rest = line[toks[0].at + toks[0].s.len()..].trim().to_string();
        match verb.as_str() {
            "config" => {
                if self.ctx.is_empty() && !cfg.top.contains(&rest) {
                    return Err(Fail::Config(toks.get(1).map_or(0, |t| t.at)));
                }
                self.ctx.push(format!("config {rest}"));
                if let Some(cm) = self.persona.def.modes.iter().find(|(_, m)| m.config) {
                    self.mode = cm.0.clone();
                }
                let path = self.ctx.clone();
                self.with_target(|t| {
                    t.at_mut_or_insert(&path);
                });
            }
            "edit" => {
                if rest.is_empty() {
                    return Err(Fail::Incomplete);
                }
                // Tables keyed by number print the key bare (`edit 1`),
                // named ones quoted (`edit "port1"`); an existing entry is
                // found however it is typed.
                let bare = rest.trim_matches('"').to_string();
                let path = self.ctx.clone();
                let existing = self.with_target(|t| {
                    t.at(&path).and_then(|n| {
                        n.children
                            .iter()
                            .find(|c| {
                                c.line
                                    .strip_prefix("edit ")
                                    .is_some_and(|e| e.trim_matches('"') == bare)
                            })
                            .map(|c| c.line.clone())
                    })
                });
                let line = existing.unwrap_or_else(|| {
                    if bare.chars().all(|c| c.is_ascii_digit()) {
                        format!("edit {bare}")
                    } else {
                        format!("edit \"{bare}\"")
                    }
                });
                self.ctx.push(line);
                let path = self.ctx.clone();
                self.with_target(|t| {
                    t.at_mut_or_insert(&path);
                });
            }
            "set" | "unset" => {
                let Some(attr) = toks.get(1) else {
                    return Err(Fail::Incomplete);
                };
                let path = self.ctx.clone();
                let key = format!("set {}", attr.s);
                let full = if verb == "set" {
                    format!("set {rest}")
                } else {
                    String::new()
                };
                self.with_target(|t| {
                    let n = t.at_mut_or_insert(&path);
                    if verb == "set" {
                        n.upsert(&full, Some(&key));
                    } else {
                        n.remove_prefixed(&key);
                    }
                });
            }
            "delete" => {
                // A table entry of the current block; FortiOS refuses a
                // name the table does not hold.
                let bare = rest.trim_matches('"').to_string();
                if bare.is_empty() || self.ctx.is_empty() {
                    return Err(Fail::Incomplete);
                }
                let path = self.ctx.clone();
                let found = self.with_target(|t| {
                    let n = t.at_mut_or_insert(&path);
                    let before = n.children.len();
                    n.children.retain(|c| {
                        c.line
                            .strip_prefix("edit ")
                            .is_none_or(|e| e.trim_matches('"') != bare)
                    });
                    n.children.len() < before
                });
                if !found {
                    return Err(Fail::Message(format!(
                        "entry not found in datasource\n\nvalue parse error before '{bare}'\nCommand fail. Return code -3\n"
                    )));
                }
            }
            "next" => {
                if self.ctx.last().is_some_and(|l| l.starts_with("edit ")) {
                    self.ctx.pop();
                }
            }
            "end" => {
                // Close the innermost `config` block (and an `edit` inside it).
                while let Some(l) = self.ctx.pop() {
                    if l.starts_with("config ") {
                        break;
                    }
                }
                if self.ctx.is_empty() {
                    self.commit("")?;
                    self.leave_config();
                    self.term_len = pager_from_config(&self.dev);
                }
            }
            _ => return Err(Fail::Config(toks[0].at)),
        }
        Ok(String::new())
    }

    /// RouterOS: `/path set …`, `/path add …`, `/path remove …`.
    fn routeros_line(&mut self, line: &str, toks: &[Tok<'_>]) -> Result<String, Fail> {
        let verbs = ["set", "add", "remove"];
        let Some(vpos) = toks.iter().position(|t| verbs.contains(&t.s)) else {
            return Err(Fail::Config(toks.last().map_or(0, |t| t.at)));
        };
        // `/ip/address` (RouterOS 7) is the menu `/ip address`.
        let section = toks[..vpos]
            .iter()
            .flat_map(|t| t.s.split('/').filter(|w| !w.is_empty()))
            .collect::<Vec<_>>()
            .join(" ");
        let section = format!("/{section}");
        let top = &self.cfg().top;
        if !top.is_empty() && !top.contains(&section) {
            return Err(Fail::Config(toks[0].at));
        }
        let verb = toks[vpos].s;
        let rest = line[toks[vpos].at + verb.len()..].trim().to_string();
        self.with_target(|t| super::menus::apply(t.child_mut_or_insert(&section), verb, &rest))
            .map(|()| String::new())
            .map_err(Fail::Message)
    }
}

impl Keys for PersonaCli {
    fn editor(&mut self) -> &mut LineEditor {
        &mut self.ed
    }

    fn closed(&self) -> bool {
        self.closed
    }

    fn paging(&self) -> bool {
        matches!(self.input, Input::More { .. } | Input::AnyKey)
    }

    fn hidden(&self) -> bool {
        matches!(
            self.input,
            Input::Answer {
                pending: Pending::Secret { .. }
            }
        )
    }

    fn more_byte(&mut self, b: u8, acts: &mut Vec<Action>) {
        PersonaCli::more_byte(self, b, acts);
    }

    fn entered(&mut self, line: String, acts: &mut Vec<Action>) {
        PersonaCli::entered(self, line, acts);
    }

    fn eof(&mut self, acts: &mut Vec<Action>) {
        if let Input::Load { kind, buf } = std::mem::replace(&mut self.input, Input::Line) {
            let mut out = b"\r\n".to_vec();
            let msg = self.load_done(&kind, &buf);
            crlf(&msg, &mut out);
            out.extend_from_slice(self.prompt().as_bytes());
            acts.push(Action::Reply(out));
        }
    }

    fn interrupt(&mut self, acts: &mut Vec<Action>) {
        let asking = matches!(self.input, Input::Answer { .. });
        self.input = Input::Line;
        interrupted(acts, asking, &self.prompt());
    }

    fn suspend(&mut self, acts: &mut Vec<Action>) {
        if matches!(self.input, Input::Line) && self.in_config() {
            self.leave_config();
            suspended(acts, &self.prompt());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// How to drive one persona in tests: the commands a user types.
    pub(crate) struct Drive {
        pub platform: &'static str,
        /// Commands that reach the mode where show commands work (e.g. `enable`).
        pub prepare: &'static [&'static str],
        pub pager_off: &'static str,
        pub version: &'static str,
        pub config_enter: &'static str,
        /// A configuration line adding an NTP server 192.0.2.55.
        pub ntp_line: &'static str,
        pub commit: &'static [&'static str],
        pub config_exit: &'static str,
        pub show_config: &'static str,
        pub bad_line: &'static str,
        /// Text of the refusal.
        pub bad_error: &'static str,
    }

    pub(crate) const DRIVES: &[Drive] = &[
        Drive {
            platform: "juniper_junos",
            prepare: &[],
            pager_off: "set cli screen-length 0",
            version: "show version",
            config_enter: "configure",
            ntp_line: "set system ntp server 192.0.2.55",
            commit: &["commit"],
            config_exit: "exit configuration-mode",
            show_config: "show configuration | display set",
            bad_line: "set bogus thing",
            bad_error: "syntax error.",
        },
        Drive {
            platform: "cisco_nxos",
            prepare: &[],
            pager_off: "terminal length 0",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "% Invalid command at '^' marker.",
        },
        Drive {
            platform: "arista_eos",
            prepare: &["enable"],
            pager_off: "terminal length 0",
            version: "show version",
            config_enter: "configure session netrun1",
            ntp_line: "ntp server 192.0.2.55",
            commit: &["commit"],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "% Invalid input",
        },
        Drive {
            platform: "huawei_vrp",
            prepare: &[],
            pager_off: "screen-length 0 temporary",
            version: "display version",
            config_enter: "system-view",
            ntp_line: "ntp-service unicast-server 192.0.2.55",
            commit: &["commit"],
            config_exit: "return",
            show_config: "display current-configuration",
            bad_line: "bogus thing",
            bad_error: "Error: Unrecognized command found at '^' position.",
        },
        Drive {
            platform: "cisco_xr",
            prepare: &[],
            pager_off: "terminal length 0",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &["commit"],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "% Invalid input detected at '^' marker.",
        },
        Drive {
            platform: "cisco_asa",
            prepare: &["enable", "sekret"],
            pager_off: "terminal pager 0",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "ERROR: % Invalid input detected at '^' marker.",
        },
        Drive {
            platform: "dell_os10",
            prepare: &[],
            pager_off: "terminal length 0",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show running-configuration",
            bad_line: "bogus thing",
            bad_error: "% Error: Unrecognized command.",
        },
        Drive {
            platform: "aruba_aoscx",
            prepare: &[],
            pager_off: "no page",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "Invalid input: ",
        },
        Drive {
            platform: "hp_procurve",
            prepare: &[],
            pager_off: "no page",
            version: "show version",
            config_enter: "configure terminal",
            ntp_line: "ntp server 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show running-config",
            bad_line: "bogus thing",
            bad_error: "Invalid input: ",
        },
        Drive {
            platform: "hp_comware",
            prepare: &[],
            pager_off: "screen-length disable",
            version: "display version",
            config_enter: "system-view",
            ntp_line: "ntp-service unicast-server 192.0.2.55",
            commit: &[],
            config_exit: "return",
            show_config: "display current-configuration",
            bad_line: "bogus thing",
            bad_error: "% Unrecognized command found at '^' position.",
        },
        Drive {
            platform: "paloalto_panos",
            prepare: &[],
            pager_off: "set cli pager off",
            version: "show system info",
            config_enter: "configure",
            ntp_line: "set deviceconfig system ntp-servers primary-ntp-server ntp-server-address 192.0.2.55",
            commit: &["commit"],
            config_exit: "exit",
            show_config: "show config running",
            bad_line: "set bogus thing",
            bad_error: "Invalid syntax.",
        },
        Drive {
            platform: "vyos",
            prepare: &[],
            pager_off: "set terminal length 0",
            version: "show version",
            config_enter: "configure",
            ntp_line: "set system ntp server 192.0.2.55",
            commit: &["commit"],
            config_exit: "exit",
            show_config: "show configuration",
            bad_line: "set bogus thing",
            bad_error: "is not valid",
        },
        Drive {
            platform: "fortinet",
            prepare: &["config system console", "set output standard"],
            pager_off: "end",
            version: "get system status",
            config_enter: "config system dns",
            ntp_line: "set primary 192.0.2.55",
            commit: &[],
            config_exit: "end",
            show_config: "show",
            bad_line: "bogus thing",
            bad_error: "Command fail. Return code -61",
        },
        Drive {
            platform: "mikrotik_routeros",
            prepare: &[],
            pager_off: "/system identity print",
            version: "/system resource print",
            config_enter: "/system clock print",
            ntp_line: "/system ntp client servers add address=192.0.2.55",
            commit: &[],
            config_exit: "/system identity print",
            show_config: "/export",
            bad_line: "/bogus set x=1",
            bad_error: "bad command name",
        },
        Drive {
            platform: "nokia_sros",
            prepare: &[],
            pager_off: "environment more false",
            version: "show system information",
            config_enter: "edit-config exclusive",
            ntp_line: "/configure system time ntp server 192.0.2.55",
            commit: &["commit"],
            config_exit: "quit-config",
            show_config: "admin show configuration",
            bad_line: "/configure bogus thing",
            bad_error: "MINOR: CLI #2069: Element not found",
        },
        Drive {
            platform: "linux",
            prepare: &[],
            pager_off: "uptime",
            version: "cat /etc/os-release",
            config_enter: "",
            ntp_line: "",
            commit: &[],
            config_exit: "",
            show_config: "cat /etc/hosts",
            bad_line: "",
            bad_error: "",
        },
    ];

    /// A session past the login screens (the key ArubaOS-Switch waits for
    /// after its banner pressed).
    fn session(dev: &Arc<PersonaDevice>, refuse: Option<&str>) -> PersonaCli {
        let mut c = session_at_login(dev, refuse);
        if dev.persona.def.press_any_key.is_some() {
            c.feed(b" ");
        }
        c
    }

    fn session_at_login(dev: &Arc<PersonaDevice>, refuse: Option<&str>) -> PersonaCli {
        PersonaCli::new(
            dev.clone(),
            SessionInfo {
                enable_secret: "sekret".into(),
                username: "admin".into(),
                peer: "127.0.0.1".into(),
                refuse: refuse.map(|r| Arc::new(regex::Regex::new(r).unwrap())),
                flash_full: false,
                login_options: "ct".into(),
            },
        )
    }

    /// Types `line` + Enter, returns what came back (echo, output, prompt).
    fn run(c: &mut PersonaCli, line: &str) -> String {
        let mut out = Vec::new();
        for a in c.feed(format!("{line}\r").as_bytes()) {
            match a {
                Action::Echo(b) | Action::Reply(b) => out.extend(b),
                Action::Close => out.extend_from_slice(b"<CLOSE>"),
            }
        }
        String::from_utf8(out).unwrap().replace("\r\n", "\n")
    }

    fn device(platform: &str, index: usize) -> Arc<PersonaDevice> {
        PersonaDevice::generate(platform, 3, index, format!("dev{index}"), Instant::now())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The drive's preparation, then paging off (SR OS classic CLI has its own).
    fn prepare(c: &mut PersonaCli, d: &Drive, dev: &PersonaDevice) {
        for p in d.prepare {
            run(c, p);
        }
        let classic = dev
            .facts
            .release
            .get("login_mode")
            .is_some_and(|m| m == "classic");
        run(
            c,
            if classic {
                "environment no more"
            } else {
                d.pager_off
            },
        );
    }

    /// The getter table of the first-party driver serving `platform`.
    fn getter_table(platform: &str) -> &'static [netrun_plugin_netrun_platforms::getters::Getter] {
        match platform {
            "cisco_ios" | "cisco_xe" => netrun_plugin_cisco_ios::getters::table(platform),
            "arista_eos" => netrun_plugin_arista_eos::getters::table(platform),
            _ => netrun_plugin_netrun_platforms::getters::table(platform),
        }
    }

    /// What the host hands a driver: the output without the echoed command
    /// and the prompt after it.
    fn output_of(c: &mut PersonaCli, command: &str) -> String {
        let out = run(c, command);
        let prompt = c.prompt().replace("\r\n", "\n");
        let body = out.strip_suffix(prompt.as_str()).unwrap_or(&out);
        let body = body.split_once('\n').map_or("", |(echo, rest)| {
            if echo.trim_end().ends_with(command) {
                rest
            } else {
                body
            }
        });
        body.trim_end_matches('\n').to_string()
    }

    #[test]
    fn every_getter_of_every_platform_answers_from_its_persona() {
        use netrun_plugin_netrun_platforms::getters::{answer_in, commands_in, getters_in};
        let mut failures = Vec::new();
        // MACs compared by their hex digits, whatever the vendor's form.
        let hex = |m: &str| {
            m.chars()
                .filter(char::is_ascii_hexdigit)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        for d in DRIVES {
            let table = getter_table(d.platform);
            for index in 0..3 {
                let dev = device(d.platform, index);
                let mut c = session(&dev, None);
                c.greeting();
                prepare(&mut c, d, &dev);
                for getter in getters_in(table, d.platform) {
                    let commands = match commands_in(table, d.platform, getter) {
                        Ok(c) => c,
                        Err(e) => {
                            failures.push(format!("{} {getter}: {e}", d.platform));
                            continue;
                        }
                    };
                    let outputs = run_getter(&mut c, table, d.platform, getter, &commands);
                    match answer_in(table, d.platform, getter, &outputs) {
                        Ok(v) if getter == "facts" => {
                            let hostname = v["hostname"].as_str().unwrap_or_default();
                            if hostname != dev.facts.name {
                                failures.push(format!(
                                    "{} facts: hostname {hostname:?}, device {}",
                                    d.platform, dev.facts.name
                                ));
                            }
                            // The chassis serial the persona was given (a Linux
                            // server's through its DMI file, as root or sudo -n).
                            let serial = v["serial_number"].as_str().unwrap_or_default();
                            if serial != dev.facts.serial {
                                failures.push(format!(
                                    "{} facts: serial {serial:?}, persona {:?}",
                                    d.platform, dev.facts.serial
                                ));
                            }
                        }
                        // Every persona port, with its admin and link state (some
                        // platforms show the management port and loopbacks elsewhere).
                        Ok(v) if getter == "interfaces" => {
                            // OS10 prints `Ethernet 1/1/1` for `ethernet1/1/1`.
                            let key = |n: &str| {
                                n.to_ascii_lowercase()
                                    .replace(' ', "")
                                    .replace("management", "mgmt")
                            };
                            for i in &dev.facts.interfaces {
                                let e = v
                                    .as_object()
                                    .and_then(|m| m.iter().find(|(k, _)| key(k) == key(&i.name)))
                                    .map_or(&serde_json::Value::Null, |(_, e)| e);
                                if e.is_null() && i.kind != "physical" {
                                    continue;
                                }
                                let states = (e["is_enabled"].as_bool(), e["is_up"].as_bool());
                                if states != (Some(i.admin_up), Some(i.oper_up)) {
                                    failures.push(format!(
                                        "{} interfaces: {} is {e}, persona admin_up {} oper_up {}",
                                        d.platform, i.name, i.admin_up, i.oper_up
                                    ));
                                }
                            }
                        }
                        // Every persona neighbour, by name and port (a CLI may cut
                        // either to its column); with its description in the
                        // details (SR OS's from one command per port listed).
                        Ok(v) if getter.starts_with("lldp_neighbors") => {
                            let detail = getter == "lldp_neighbors_detail";
                            let (host, port) = if detail {
                                ("remote_system_name", "remote_port")
                            } else {
                                ("hostname", "port")
                            };
                            let found: Vec<(String, String)> = v
                                .as_object()
                                .into_iter()
                                .flat_map(|m| m.values())
                                .flat_map(|l| l.as_array().cloned().unwrap_or_default())
                                .filter(|n| {
                                    !detail
                                        || n["remote_system_description"]
                                            .as_str()
                                            .is_some_and(|d| !d.is_empty())
                                })
                                .map(|n| {
                                    let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
                                    (s(host), s(port))
                                })
                                .collect();
                            for n in &dev.facts.lldp {
                                let seen = found.iter().any(|(h, p)| {
                                    !h.is_empty()
                                        && !p.is_empty()
                                        && n.host.starts_with(h.as_str())
                                        && n.port.starts_with(p.as_str())
                                });
                                if !seen {
                                    failures.push(format!(
                                        "{} {getter}: {} {} not in {found:?}",
                                        d.platform, n.host, n.port
                                    ));
                                }
                            }
                        }
                        // Every learned persona ARP entry, by address and MAC.
                        Ok(v) if getter == "arp_table" => {
                            for a in dev.facts.arp.iter().filter(|a| !a.local) {
                                let seen = v.as_array().into_iter().flatten().any(|e| {
                                    e["ip"] == a.ip.as_str()
                                        && hex(e["mac"].as_str().unwrap_or_default()) == hex(&a.mac)
                                });
                                if !seen {
                                    failures.push(format!(
                                        "{} arp_table: {} {} not in {v}",
                                        d.platform, a.ip, a.mac
                                    ));
                                }
                            }
                        }
                        // Every persona address with its prefix length (names differ
                        // by CLI: `Vlan-interface10`, `vlan10`, `Eth 1/1/1`); out-of-band
                        // management ports live elsewhere on some (PAN-OS, SR OS).
                        Ok(v) if getter == "interfaces_ip" => {
                            let addressed = dev.facts.interfaces.iter();
                            for i in addressed.filter(|i| !i.ip.is_empty() && i.kind != "mgmt") {
                                let seen = v.as_object().into_iter().flatten().any(|(_, e)| {
                                    e["ipv4"][i.ip.as_str()]["prefix_length"] == i.prefix
                                });
                                if !seen {
                                    failures.push(format!(
                                        "{} interfaces_ip: {} {}/{} not in {v}",
                                        d.platform, i.name, i.ip, i.prefix
                                    ));
                                }
                            }
                        }
                        // Every persona MAC entry, by address and VLAN.
                        Ok(v) if getter == "mac_address_table" => {
                            for m in &dev.facts.mac_table {
                                let seen = v.as_array().into_iter().flatten().any(|e| {
                                    e["vlan"] == m.vlan
                                        && hex(e["mac"].as_str().unwrap_or_default()) == hex(&m.mac)
                                });
                                if !seen {
                                    failures.push(format!(
                                        "{} mac_address_table: {} vlan {} not in {v}",
                                        d.platform, m.mac, m.vlan
                                    ));
                                }
                            }
                        }
                        // Every persona neighbour, under its name and port, with its
                        // chassis ID (by hex digits, whatever the vendor's form) and
                        // capabilities in NAPALM's names.
                        Ok(v) if getter == "lldp_neighbors_detail" => {
                            let mut found: Vec<(String, String, String, Vec<String>)> = v
                                .as_object()
                                .into_iter()
                                .flat_map(|m| m.values())
                                .flat_map(|l| l.as_array().cloned().unwrap_or_default())
                                .map(|n| {
                                    let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
                                    let caps = n["remote_system_capab"]
                                        .as_array()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(|c| c.as_str().map(String::from))
                                        .collect();
                                    (
                                        s("remote_system_name"),
                                        s("remote_port"),
                                        hex(&s("remote_chassis_id")),
                                        caps,
                                    )
                                })
                                .collect();
                            let mut want: Vec<(String, String, String, Vec<String>)> = dev
                                .facts
                                .lldp
                                .iter()
                                .map(|n| {
                                    let caps = n
                                        .caps
                                        .split(',')
                                        .map(|c| if c == "B" { "bridge" } else { "router" })
                                        .map(String::from)
                                        .collect();
                                    (n.host.clone(), n.port.clone(), hex(&n.chassis), caps)
                                })
                                .collect();
                            found.sort();
                            want.sort();
                            if found != want {
                                failures.push(format!(
                                    "{} lldp_neighbors_detail: {found:?}, persona {want:?}",
                                    d.platform
                                ));
                            }
                        }
                        // Every persona sensor: temperatures by value, fans and power
                        // supplies by count and state (a server shows no supplies),
                        // the CPU and memory.
                        Ok(v) if getter == "environment" => {
                            let temps: Vec<f64> = v["temperature"]
                                .as_object()
                                .into_iter()
                                .flat_map(|m| m.values())
                                .filter_map(|t| t["temperature"].as_f64())
                                .collect();
                            let count = |k: &str| v[k].as_object().map_or(0, |m| m.len());
                            let ok = |k: &str| {
                                v[k].as_object().map_or(0, |m| {
                                    m.values().filter(|e| e["status"] == true).count()
                                })
                            };
                            let f = &dev.facts;
                            let psus_ok = f.psus.iter().filter(|p| p.ok).count();
                            // A virtual model (VM-Series, FortiGate-VM) has no
                            // monitor: no sensor at all, CPU and memory still read.
                            let virtual_model =
                                f.model_extra.get("sensors").is_some_and(|s| s == "none");
                            let sensors = count("temperature") + count("fans") + count("power");
                            if virtual_model && sensors != 0 {
                                failures.push(format!(
                                    "{} {} has no sensors, environment shows {sensors}: {v}",
                                    d.platform, f.model
                                ));
                            }
                            let problems = [
                                (
                                    virtual_model
                                        || f.temps
                                            .iter()
                                            .all(|t| temps.contains(&f64::from(t.value))),
                                    "temperatures",
                                ),
                                (
                                    virtual_model
                                        || (count("fans"), ok("fans"))
                                            == (f.fans.len(), f.fans.len()),
                                    "fans",
                                ),
                                (
                                    // Servers and RouterOS's `/system health` show no
                                    // supplies; everything else shows each one.
                                    (virtual_model
                                        || matches!(d.platform, "linux" | "mikrotik_routeros"))
                                        && count("power") == 0
                                        || (count("power"), ok("power")) == (f.psus.len(), psus_ok),
                                    "power",
                                ),
                                (v["cpu"]["0"]["%usage"].as_f64().is_some(), "cpu"),
                                (
                                    v["memory"]["used_ram"].as_i64().is_some_and(|u| u > 0),
                                    "memory",
                                ),
                            ];
                            for (good, what) in problems {
                                if !good {
                                    failures
                                        .push(format!("{} environment {what}: {v}", d.platform));
                                }
                            }
                        }
                        // Every persona peer, with its AS and whether it is up.
                        Ok(v) if getter == "bgp_neighbors" => {
                            for p in &dev.facts.bgp {
                                let e = &v["global"]["peers"][&p.ip];
                                let got = (e["is_up"].as_bool(), e["remote_as"].as_i64());
                                let want =
                                    (Some(p.state == "Established"), Some(p.remote_as.into()));
                                if got != want {
                                    failures.push(format!(
                                        "{} bgp_neighbors: {} is {e}, persona {} AS {}",
                                        d.platform, p.ip, p.state, p.remote_as
                                    ));
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(e) => failures.push(format!(
                            "{} release {} {getter}: {e}\n    outputs: {:?}",
                            d.platform,
                            dev.facts.release["version"],
                            outputs
                                .iter()
                                .map(|(c, o)| format!(
                                    "{c} => {}",
                                    o.chars().take(300).collect::<String>()
                                ))
                                .collect::<Vec<_>>()
                        )),
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} getter answers failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// A getter's answer on `dev`, its commands run as the host runs them.
    fn getter_answer(
        c: &mut PersonaCli,
        platform: &str,
        getter: &str,
    ) -> Result<serde_json::Value, String> {
        use netrun_plugin_netrun_platforms::getters::{answer_in, commands_in};
        let table = getter_table(platform);
        let commands = commands_in(table, platform, getter).map_err(|e| e.to_string())?;
        let outputs = run_getter(c, table, platform, getter, &commands);
        answer_in(table, platform, getter, &outputs).map_err(|e| format!("{e}: {outputs:?}"))
    }

    /// (command, output) of a getter's commands and then of the follow-up
    /// commands its driver asks for, as the host runs them.
    fn run_getter(
        c: &mut PersonaCli,
        table: &[netrun_plugin_netrun_platforms::getters::Getter],
        platform: &str,
        getter: &str,
        commands: &[String],
    ) -> Vec<(String, String)> {
        use netrun_plugin_netrun_platforms::getters::follow_up_in;
        let mut outputs: Vec<(String, String)> = commands
            .iter()
            .map(|cmd| (cmd.clone(), output_of(c, cmd)))
            .collect();
        for _ in 0..4 {
            let more = follow_up_in(table, platform, getter, &outputs).unwrap_or_default();
            if more.is_empty() {
                break;
            }
            outputs.extend(more.iter().map(|cmd| (cmd.clone(), output_of(c, cmd))));
        }
        outputs
    }

    #[test]
    fn fortios_lldp_getters_read_both_spellings_of_lldp_reception() {
        // 7.6 answers `diagnose lldp rx …` and refuses `diagnose lldprx …`;
        // earlier releases the other way round.
        for release in ["v7.6.", "v7.2.", "v7.0.", "v6.4."] {
            for index in 0..3 {
                let dev = PersonaDevice::generate_pinned(
                    "fortinet",
                    3,
                    index,
                    format!("dev{index}"),
                    Instant::now(),
                    Some(release),
                )
                .unwrap();
                assert!(dev.facts.release["version"].starts_with(release));
                let mut c = session(&dev, None);
                c.greeting();
                let drive = DRIVES.iter().find(|d| d.platform == "fortinet").unwrap();
                prepare(&mut c, drive, &dev);
                let (old, new) = (
                    output_of(&mut c, "diagnose lldprx neighbor details"),
                    output_of(&mut c, "diagnose lldp rx neighbor details"),
                );
                let (taken, refused) = if release == "v7.6." {
                    (new, old)
                } else {
                    (old, new)
                };
                assert!(refused.contains("command parse error"), "{refused}");
                assert!(!taken.contains("error"), "{taken}");
                let v = getter_answer(&mut c, "fortinet", "lldp_neighbors_detail").unwrap();
                let count: usize = v
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|l| l.as_array().unwrap().len())
                    .sum();
                assert_eq!(count, dev.facts.lldp.len(), "{release}: {v}");
                for n in &dev.facts.lldp {
                    let e = v[&n.local]
                        .as_array()
                        .and_then(|l| {
                            l.iter()
                                .find(|e| e["remote_system_name"] == n.host.as_str())
                        })
                        .unwrap_or_else(|| panic!("{release}: {} not in {v}", n.host));
                    assert_eq!(e["remote_port"], n.port.as_str(), "{e}");
                    assert_eq!(e["remote_port_description"], n.port_descr.as_str(), "{e}");
                    assert_eq!(e["remote_system_description"], n.descr.as_str(), "{e}");
                }
                let v = getter_answer(&mut c, "fortinet", "lldp_neighbors").unwrap();
                for n in &dev.facts.lldp {
                    assert!(
                        v[&n.local]
                            .as_array()
                            .is_some_and(|l| l.iter().any(|e| e["hostname"] == n.host.as_str())),
                        "{release}: {} not in {v}",
                        n.host
                    );
                }
            }
        }
    }

    #[test]
    fn procurve_bgp_neighbors_read_the_router_id_from_show_ip_bgp() {
        for release in ["WB.16.10", "WB.16.08", "WC.16.11"] {
            let dev = PersonaDevice::generate_pinned(
                "hp_procurve",
                3,
                0,
                "dev0".into(),
                Instant::now(),
                Some(release),
            )
            .unwrap();
            let mut c = session(&dev, None);
            c.greeting();
            prepare(
                &mut c,
                DRIVES.iter().find(|d| d.platform == "hp_procurve").unwrap(),
                &dev,
            );
            let v = getter_answer(&mut c, "hp_procurve", "bgp_neighbors").unwrap();
            assert_eq!(
                v["global"]["router_id"],
                dev.facts.router_id.as_str(),
                "{v}"
            );
            assert_eq!(
                v["global"]["peers"].as_object().map_or(0, |m| m.len()),
                dev.facts.bgp.len(),
                "{v}"
            );
        }
    }

    #[test]
    fn procurve_waits_for_a_key_after_its_banner_then_prompts() {
        let dev = device("hp_procurve", 0);
        let mut c = session_at_login(&dev, None);
        let greet = String::from_utf8(c.greeting()).unwrap();
        assert!(greet.contains("Hewlett Packard Enterprise"), "{greet}");
        assert!(greet.ends_with("Press any key to continue"), "{greet:?}");
        // The key is taken, not echoed nor run: then the prompt, then commands.
        let after = run(&mut c, "");
        let prompt = c.prompt().replace("\r\n", "\n");
        assert!(
            after.ends_with(&prompt) && !after.contains("Invalid"),
            "{after:?}"
        );
        let out = run(&mut c, "show version");
        assert!(out.contains(dev.facts.release["version"].as_str()), "{out}");
    }

    #[test]
    fn every_persona_answers_show_version_and_refuses_unknown_commands() {
        for d in DRIVES {
            for index in 0..6 {
                let dev = device(d.platform, index);
                let mut c = session(&dev, None);
                let greet = String::from_utf8(c.greeting()).unwrap();
                // Banners with `#` and `>` in them (ArubaOS-Switch prints
                // its own copyright screen, without).
                assert!(
                    greet.contains('#') && (greet.contains('>') || d.platform == "hp_procurve"),
                    "{}: {greet}",
                    d.platform
                );
                prepare(&mut c, d, &dev);
                assert_eq!(c.terminal_length(), 0, "{}", d.platform);
                let out = run(&mut c, d.version);
                let version = &dev.facts.release["version"];
                assert!(out.contains(version.as_str()), "{}: {out}", d.platform);
                assert!(!out.contains("template error"), "{}: {out}", d.platform);
                let p = c.prompt().replace("\r\n", "\n");
                assert!(out.ends_with(&p), "{}: {out:?} vs {p:?}", d.platform);
                let bad = run(&mut c, "bogus-command");
                assert!(!bad.contains("template error"), "{bad}");
                assert!(bad.lines().count() >= 2, "{}: {bad}", d.platform);
                // Every show command of the persona renders without template errors.
                for cmd in &dev.persona.cmds {
                    let text = &cmd.def.cmd;
                    if cmd.def.action.is_some()
                        || cmd.def.password.is_some()
                        || cmd.confirm.is_some()
                        || (!cmd.def.modes.is_empty() && !cmd.def.modes.contains(&c.mode))
                    {
                        continue;
                    }
                    let line = text
                        .replace("{if}", &dev.facts.interfaces[0].name)
                        .replace("{n}", "1")
                        .replace("{name}", "x");
                    if line.contains('{') {
                        continue;
                    }
                    let out = run(&mut c, &line);
                    assert!(
                        !out.contains("template error"),
                        "{}: {line}: {out}",
                        d.platform
                    );
                    let refusal = c.fail_text(&Fail::Invalid(0), "x", 0);
                    let refusal = refusal
                        .lines()
                        .rfind(|l| !l.trim().is_empty() && l.trim() != "^")
                        .unwrap_or_default();
                    assert!(!out.contains(refusal), "{}: {line}: {out}", d.platform);
                }
            }
        }
    }

    #[test]
    fn configuration_changes_persist_across_sessions_and_refused_lines_change_nothing() {
        for d in DRIVES.iter().filter(|d| !d.ntp_line.is_empty()) {
            // A device of the persona's main CLI (SR OS: model-driven, not classic).
            let dev = (1..20)
                .map(|i| device(d.platform, i))
                .find(|dev| {
                    dev.facts
                        .release
                        .get("login_mode")
                        .is_none_or(|m| m != "classic")
                })
                .unwrap();
            let before = dev.running_config_text();
            let mut c = session(&dev, Some("192\\.0\\.2\\.66"));
            for p in d.prepare {
                run(&mut c, p);
            }
            run(&mut c, d.pager_off);
            run(&mut c, d.config_enter);
            let bad = run(&mut c, d.bad_line);
            assert!(bad.contains(d.bad_error), "{}: {bad:?}", d.platform);
            let refused = run(&mut c, &d.ntp_line.replace("55", "66"));
            assert!(
                refused.contains(d.bad_error),
                "{}: refuse knob: {refused:?}",
                d.platform
            );
            let out = run(&mut c, d.ntp_line);
            assert!(!out.contains(d.bad_error), "{}: {out:?}", d.platform);
            for l in d.commit {
                let out = run(&mut c, l);
                assert!(!out.contains("rror"), "{}: {l}: {out}", d.platform);
            }
            run(&mut c, d.config_exit);
            let after = dev.running_config_text();
            assert_ne!(before, after, "{}", d.platform);
            assert!(after.contains("192.0.2.55"), "{}: {after}", d.platform);
            assert!(!after.contains("192.0.2.66"), "{}: {after}", d.platform);
            // A new session sees it.
            let mut c2 = session(&dev, None);
            for p in d.prepare {
                run(&mut c2, p);
            }
            run(&mut c2, d.pager_off);
            let shown = run(&mut c2, d.show_config);
            assert!(shown.contains("192.0.2.55"), "{}: {shown}", d.platform);
        }
    }

    #[test]
    fn hostname_change_moves_the_prompt() {
        let dev = device("cisco_nxos", 0);
        let mut c = session(&dev, None);
        run(&mut c, "conf t");
        let out = run(&mut c, "hostname leaf-7.dc1");
        assert!(out.ends_with("leaf-7.dc1(config)# "), "{out:?}");
        let out = run(&mut c, "int eth1/1");
        assert!(out.ends_with("leaf-7.dc1(config-if)# "), "{out:?}");
        run(&mut c, "description to spine");
        run(&mut c, "end");
        assert!(
            dev.running_config_text()
                .contains("interface Ethernet1/1\n  description to spine\n")
        );
        assert_eq!(dev.hostname(), "leaf-7.dc1");
    }

    #[test]
    fn junos_commit_confirmed_rolls_back_by_itself() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let dev = device("juniper_junos", 0);
            let mut c = session(&dev, None);
            run(&mut c, "configure");
            run(&mut c, "set system host-name edge9");
            let diff = run(&mut c, "show | compare");
            assert!(diff.contains("[edit system]\n-   host-name dev0;\n+   host-name edge9;\n"), "{diff}");
            let out = run(&mut c, "commit confirmed 2");
            assert!(out.contains("commit confirmed will be automatically rolled back in 2 minutes unless confirmed"), "{out}");
            assert_eq!(dev.hostname(), "edge9");
            tokio::time::advance(Duration::from_secs(119)).await;
            assert_eq!(dev.hostname(), "edge9");
            tokio::time::advance(Duration::from_secs(2)).await;
            assert_eq!(dev.hostname(), "dev0");
            // Confirmed this time: it stays.
            run(&mut c, "set system host-name edge9");
            run(&mut c, "commit confirmed 1");
            run(&mut c, "commit");
            tokio::time::advance(Duration::from_secs(300)).await;
            assert_eq!(dev.hostname(), "edge9");
            // The confirming commit is a revision of its own: rollback 2 is the
            // configuration before `commit confirmed 1`.
            let out = run(&mut c, "rollback 2");
            assert!(out.contains("load complete"), "{out}");
            run(&mut c, "commit");
            assert_eq!(dev.hostname(), "dev0");
            let out = run(&mut c, "exit");
            assert!(out.ends_with("admin@dev0> "), "{out:?}");
        });
    }

    #[test]
    fn eos_session_abort_and_commit_timer() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let dev = device("arista_eos", 0);
            let mut c = session(&dev, None);
            run(&mut c, "enable");
            let out = run(&mut c, "configure session s1");
            assert!(out.ends_with("dev0(config-s-s1)#"), "{out:?}");
            run(&mut c, "hostname spine3");
            assert_eq!(dev.hostname(), "dev0", "session changes wait for commit");
            let diff = run(&mut c, "show session-config diffs");
            assert!(
                diff.contains("-hostname dev0") && diff.contains("+hostname spine3"),
                "{diff}"
            );
            run(&mut c, "abort");
            assert_eq!(dev.hostname(), "dev0");
            run(&mut c, "configure session s2");
            run(&mut c, "hostname spine3");
            let out = run(&mut c, "commit timer 00:01:00");
            assert!(out.ends_with("spine3#"), "{out:?}");
            tokio::time::advance(Duration::from_secs(61)).await;
            assert_eq!(dev.hostname(), "dev0");
        });
    }

    #[test]
    fn fortios_edits_tables_deletes_entries_unsets_settings_and_aborts_a_block() {
        let dev = device("fortinet", 0);
        let mut c = session(&dev, None);
        run(&mut c, "config system ntp");
        run(&mut c, "config ntpserver");
        // A numbered entry is found as printed (`edit 1`), not made anew.
        run(&mut c, "edit 1");
        run(&mut c, "set server \"192.0.2.7\"");
        run(&mut c, "next");
        run(&mut c, "edit 2");
        run(&mut c, "set server \"192.0.2.8\"");
        run(&mut c, "next");
        run(&mut c, "end");
        run(&mut c, "unset ntpsync");
        run(&mut c, "end");
        let shown = dev.running_config_text();
        assert!(
            shown.contains("        edit 1\n            set server \"192.0.2.7\"\n        next\n        edit 2\n"),
            "{shown}"
        );
        assert!(
            !shown.contains("10.0.0.1") && !shown.contains("ntpsync"),
            "{shown}"
        );
        run(&mut c, "config system ntp");
        run(&mut c, "config ntpserver");
        assert!(run(&mut c, "delete 2").ends_with("\ndev0 (ntpserver) # "));
        let missing = run(&mut c, "delete 9");
        assert!(
            missing.contains("\nentry not found in datasource\n\nvalue parse error before '9'\nCommand fail. Return code -3\n"),
            "{missing}"
        );
        let bad = run(&mut c, "sett server x");
        assert!(
            bad.contains("\ncommand parse error before 'sett'\nCommand fail. Return code -61\n"),
            "{bad}"
        );
        // `abort` leaves one block at a time; the last drops the change.
        assert!(run(&mut c, "abort").ends_with("\ndev0 (ntp) # "));
        assert!(run(&mut c, "abort").ends_with("\ndev0 # "));
        assert!(
            dev.running_config_text().contains("edit 2\n"),
            "entry 2 kept"
        );
        assert!(run(&mut c, "abort").contains("\nUnknown action 0\n"));
    }

    #[test]
    fn eos_lists_pending_sessions_and_deletes_flash_copies() {
        let dev = device("arista_eos", 0);
        let mut c = session(&dev, None);
        run(&mut c, "enable");
        run(&mut c, "copy running-config flash:netrun-1");
        assert!(run(&mut c, "dir flash:").contains("  netrun-1\n"));
        run(&mut c, "configure session netrun-1");
        run(&mut c, "hostname spine3");
        run(&mut c, "end");
        let sessions = run(&mut c, "show configuration sessions");
        assert!(sessions.contains("  netrun-1   pending\n"), "{sessions}");
        run(&mut c, "configure session netrun-1");
        run(&mut c, "abort");
        let sessions = run(&mut c, "show configuration sessions");
        assert!(!sessions.contains("netrun-1"), "{sessions}");
        assert_eq!(
            run(&mut c, "delete flash:netrun-1"),
            "delete flash:netrun-1\ndev0#"
        );
        assert!(!run(&mut c, "dir flash:").contains("netrun-1"));
        let out = run(&mut c, "delete flash:netrun-1");
        assert!(out.contains("\n% Error deleting flash:netrun-1 ("), "{out}");
    }

    #[test]
    fn nxos_deletes_a_checkpoint() {
        let dev = device("cisco_nxos", 0);
        let mut c = session(&dev, None);
        run(&mut c, "checkpoint netrun-1");
        assert!(run(&mut c, "show checkpoint summary").contains("netrun-1"));
        run(&mut c, "no checkpoint netrun-1");
        assert!(!run(&mut c, "show checkpoint summary").contains("netrun-1"));
        assert!(dev.state().files.is_empty());
        assert!(run(&mut c, "no checkpoint netrun-1").contains("Checkpoint does not exist"));
    }

    /// The running configuration as `show running-config` prints it on `dev`.
    fn running_of(dev: &Arc<PersonaDevice>, command: &str) -> String {
        let mut c = session(dev, None);
        if dev.persona.def.platform == "arista_eos" {
            run(&mut c, "enable");
            run(&mut c, "terminal length 0");
        }
        run(&mut c, command)
    }

    #[test]
    fn eos_session_from_the_clean_config_replaces_the_whole_configuration() {
        let dev = device("arista_eos", 0);
        let before = running_of(&dev, "show running-config");
        assert!(before.contains("hostname dev0"), "{before}");
        let mut c = session(&dev, None);
        run(&mut c, "enable");
        run(&mut c, "terminal length 0");
        run(&mut c, "configure session netrun-1");
        run(&mut c, "rollback clean-config");
        run(&mut c, "hostname spine9");
        let diff = run(&mut c, "show session-config diffs");
        assert!(
            diff.contains("-hostname dev0") && diff.contains("+hostname spine9"),
            "{diff}"
        );
        assert_eq!(dev.hostname(), "dev0", "nothing changes before the commit");
        run(&mut c, "commit");
        let after = running_of(&dev, "show running-config");
        assert!(after.contains("hostname spine9"), "{after}");
        assert!(
            !after.contains("vlan 10") && !after.contains("ip domain-name"),
            "only what the session typed is left: {after}"
        );
        // A session that is aborted leaves the device as it was.
        run(&mut c, "configure session netrun-2");
        run(&mut c, "rollback clean-config");
        run(&mut c, "abort");
        assert_eq!(running_of(&dev, "show running-config"), after);
    }

    #[test]
    fn junos_delete_at_the_top_asks_then_empties_the_candidate() {
        let dev = device("juniper_junos", 0);
        let mut c = session(&dev, None);
        run(&mut c, "set cli screen-length 0");
        run(&mut c, "configure");
        let out = run(&mut c, "delete");
        assert!(
            out.ends_with("Delete everything under this level? [yes,no] (no) "),
            "{out:?}"
        );
        run(&mut c, "yes");
        run(&mut c, "set system host-name edge7");
        let diff = run(&mut c, "show | compare");
        assert!(diff.contains("+   host-name edge7;"), "{diff}");
        assert_eq!(dev.hostname(), "dev0", "a candidate until commit");
        run(&mut c, "rollback 0");
        let diff = run(&mut c, "show | compare");
        assert!(
            !diff.contains("host-name"),
            "nothing to commit after rollback 0: {diff}"
        );
        assert_eq!(dev.hostname(), "dev0");
    }

    #[test]
    fn show_commands_follow_the_configured_interface_state() {
        let dev = device("juniper_junos", 0);
        let port = dev
            .facts
            .interfaces
            .iter()
            .find(|i| i.kind == "physical")
            .unwrap()
            .name
            .clone();
        let mut c = session(&dev, None);
        run(&mut c, "set cli screen-length 0");
        run(&mut c, "configure");
        run(
            &mut c,
            &format!("set interfaces {port} description \"to spine9\""),
        );
        run(&mut c, &format!("set interfaces {port} disable"));
        run(&mut c, "commit and-quit");
        let terse = run(&mut c, "show interfaces terse");
        let line = terse
            .lines()
            .find(|l| l.starts_with(&format!("{port} ")))
            .unwrap();
        assert!(line.contains(" down "), "{line}");
        let desc = run(&mut c, "show interfaces descriptions");
        assert!(desc.contains("to spine9"), "{desc}");

        let dev = device("cisco_nxos", 0);
        let mut c = session(&dev, None);
        run(&mut c, "terminal length 0");
        run(&mut c, "configure terminal");
        run(&mut c, "interface Ethernet1/1");
        run(&mut c, "description core-link-7");
        run(&mut c, "end");
        let desc = run(&mut c, "show interface description");
        assert!(
            desc.contains("Eth1/1                   core-link-7"),
            "{desc}"
        );
    }

    #[test]
    fn nxos_checkpoint_and_rollback() {
        let dev = device("cisco_nxos", 0);
        let mut c = session(&dev, None);
        let out = run(&mut c, "checkpoint before");
        assert!(out.contains("Done"), "{out}");
        run(&mut c, "conf t");
        run(&mut c, "hostname changed");
        run(&mut c, "end");
        assert_eq!(dev.hostname(), "changed");
        let out = run(&mut c, "rollback running-config checkpoint before");
        assert!(out.contains("Rollback completed successfully."), "{out}");
        assert_eq!(dev.hostname(), "dev0");
        let out = run(&mut c, "rollback running-config checkpoint nope");
        assert!(out.contains("does not exist"), "{out}");
    }

    #[test]
    fn xr_end_asks_about_uncommitted_changes() {
        let dev = device("cisco_xr", 0);
        let mut c = session(&dev, None);
        run(&mut c, "configure");
        run(&mut c, "hostname pe1");
        let out = run(&mut c, "end");
        assert!(
            out.ends_with(
                "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"
            ),
            "{out:?}"
        );
        let out = run(&mut c, "yes");
        assert!(out.ends_with(":pe1#"), "{out:?}");
        let out = run(&mut c, "show version");
        // The timestamp line XR prints before each output.
        assert!(
            out.starts_with("show version\n\n") && out.contains(" UTC\n"),
            "{out}"
        );
        let out = run(&mut c, "rollback configuration last 1");
        assert!(out.contains("successfully rolled back 1 commits"), "{out}");
        assert_eq!(dev.hostname(), "dev0");
    }

    #[test]
    fn xr_commit_replace_asks_then_makes_the_typed_lines_the_whole_configuration() {
        let dev = device("cisco_xr", 0);
        let mut c = session(&dev, None);
        run(&mut c, "configure terminal");
        run(&mut c, "hostname pe9");
        run(&mut c, "ntp");
        run(&mut c, " server 192.0.2.7");
        run(&mut c, "exit");
        let out = run(&mut c, "commit replace");
        assert!(out.ends_with("Do you wish to proceed? [no]: "), "{out:?}");
        assert_eq!(
            dev.hostname(),
            "dev0",
            "nothing committed before the answer"
        );
        run(&mut c, "yes");
        run(&mut c, "end");
        let running = running_of(&dev, "show running-config");
        assert!(running.contains("hostname pe9\n"), "{running}");
        assert!(running.contains("ntp\n server 192.0.2.7\n"), "{running}");
        assert!(!running.contains("interface "), "replaced whole: {running}");
        // A refused line leaves the target; `clear` drops it.
        run(&mut c, "configure terminal");
        run(&mut c, "hostname pe10");
        assert!(run(&mut c, "bogus line here").contains("% Invalid input"));
        run(&mut c, "clear");
        let out = run(&mut c, "end");
        assert!(out.ends_with(":pe9#"), "nothing left to commit: {out:?}");
        assert_eq!(dev.hostname(), "pe9");
    }

    #[test]
    fn sros_md_cli_private_candidate_takes_paths_in_braces_and_empties_on_delete_configure() {
        let dev = (0..12)
            .map(|i| device("nokia_sros", i))
            .find(|d| d.facts.release.get("login_mode").is_some_and(|m| m == "md"))
            .expect("an MD-CLI release");
        let host = dev.hostname();
        let mut c = session(&dev, None);
        run(&mut c, "environment more false");
        let out = run(&mut c, "edit-config private");
        assert!(
            out.ends_with(&format!("\n(pr)[/]\nA:admin@{host}# ")),
            "{out:?}"
        );
        let out = run(
            &mut c,
            r#"/configure { system time ntp server 192.0.2.7 router-instance "Base" }"#,
        );
        assert!(
            out.ends_with(&format!("\n*(pr)[/]\nA:admin@{host}# ")),
            "{out:?}"
        );
        run(&mut c, "commit");
        let flat = run(&mut c, "admin show configuration full-context");
        assert!(
            flat.contains(
                "\n    /configure { system time ntp server 192.0.2.7 router-instance \"Base\" }\n"
            ),
            "{flat}"
        );
        let name = format!("    /configure system name \"{host}\"");
        assert!(flat.contains(&format!("\n{name}\n")), "{flat}");
        run(&mut c, "delete configure");
        run(&mut c, &format!("/configure system name \"{host}\""));
        run(&mut c, "commit");
        let flat = run(&mut c, "admin show configuration full-context");
        let statements: Vec<&str> = flat.lines().filter(|l| l.starts_with("    /")).collect();
        assert_eq!(statements, [name.as_str()], "{flat}");
        let out = run(&mut c, "quit-config");
        assert!(
            out.contains("INFO: CLI #2074: Exiting private configuration mode"),
            "{out}"
        );
    }

    #[test]
    fn sros_classic_checkpoints_shift_on_save_and_close_the_gap_on_delete() {
        let dev = (0..12)
            .map(|i| device("nokia_sros", i))
            .find(|d| {
                d.facts
                    .release
                    .get("login_mode")
                    .is_some_and(|m| m == "classic")
            })
            .expect("a classic SR OS release");
        let mut c = session(&dev, None);
        run(&mut c, "admin rollback save comment \"nightly\"");
        run(&mut c, "admin rollback save comment \"netrun-7\"");
        let list = run(&mut c, "show system rollback");
        let rows: Vec<&str> = list.lines().filter(|l| l.contains(".rb")).collect();
        assert!(rows[0].starts_with("latest .rb "), "{list}");
        assert!(rows[1].starts_with("1      .rb.1 "), "{list}");
        assert!(
            list.contains(".rb        ") && list.contains("\n       netrun-7\n"),
            "{list}"
        );
        // Deleting netrun's (latest) makes the operator's latest-rb again.
        let out = run(&mut c, "admin rollback delete latest-rb");
        assert!(!out.contains("MINOR"), "{out}");
        let list = run(&mut c, "show system rollback");
        assert!(
            list.contains("latest .rb ") && list.contains("\n       nightly\n"),
            "{list}"
        );
        assert!(
            !list.contains("netrun-7") && !list.contains(".rb.1"),
            "{list}"
        );
        assert!(run(&mut c, "admin rollback delete 5").contains("does not exist"));
    }

    #[test]
    fn routeros_colours_unless_the_login_turns_them_off() {
        let dev = device("mikrotik_routeros", 0);
        let mut info = SessionInfo {
            enable_secret: String::new(),
            username: "admin".into(),
            peer: "127.0.0.1".into(),
            refuse: None,
            flash_full: false,
            login_options: String::new(),
        };
        let plain = PersonaCli::new(dev.clone(), info.clone());
        let g = String::from_utf8(plain.greeting()).unwrap();
        assert!(g.starts_with("\x1b[9999B\x1b[6n"), "{g:?}");
        assert!(g.ends_with("\x1b[m\x1b[36m[admin@dev0] > \x1b[m"), "{g:?}");
        info.login_options = "ct511w4098h".into();
        let g = String::from_utf8(PersonaCli::new(dev, info).greeting()).unwrap();
        assert!(
            !g.contains('\x1b') && g.ends_with("[admin@dev0] > "),
            "{g:?}"
        );
    }

    #[test]
    fn routeros_dumb_mode_repaints_the_line_and_prints_the_prompt_twice() {
        let dev = device("mikrotik_routeros", 0);
        let info = |options: &str| SessionInfo {
            enable_secret: String::new(),
            username: "admin".into(),
            peer: "127.0.0.1".into(),
            refuse: None,
            flash_full: false,
            login_options: options.into(),
        };
        let mut dumb = PersonaCli::new(dev.clone(), info("cet511w4098h"));
        let out = run(&mut dumb, "/system identity print");
        assert!(
            out.starts_with("/system identity print\r[admin@dev0] > /system identity print\n"),
            "{out:?}"
        );
        assert!(
            out.ends_with("\n[admin@dev0] > \r[admin@dev0] > ") && out.contains("name: dev0"),
            "{out:?}"
        );
        // Without `+e` (Netmiko's `+ct511w4098h`): one echo, one prompt.
        let mut plain = PersonaCli::new(dev, info("ct511w4098h"));
        let out = run(&mut plain, "/system identity print");
        assert!(out.starts_with("/system identity print\n"), "{out:?}");
        assert!(out.ends_with("name: dev0\n[admin@dev0] > "), "{out:?}");
    }

    #[test]
    fn pager_pages_and_quits() {
        let dev = device("huawei_vrp", 0);
        let mut c = session(&dev, None);
        let out = run(&mut c, "display current-configuration");
        assert!(out.ends_with("  ---- More ----"), "{out}");
        let mut out = String::new();
        for a in c.feed(b" ") {
            if let Action::Echo(b) = a {
                out.push_str(&String::from_utf8(b).unwrap());
            }
        }
        assert!(out.starts_with("\x1b[16D"), "{out:?}");
        for a in c.feed(b"q") {
            if let Action::Echo(b) = a {
                out = String::from_utf8(b).unwrap();
            }
        }
        assert!(out.ends_with("<dev0>"), "{out:?}");
    }
}
