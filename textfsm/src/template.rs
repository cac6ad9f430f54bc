//! Reading a template: the `Value` lines, then states of rules, checked the
//! way Python textfsm 2.x checks them.

use crate::error::TemplateError;
use crate::pyre::Pattern;
use crate::{Limits, pyre};
use std::collections::HashMap;

/// Longest Value or state name textfsm accepts.
const MAX_NAME_LEN: usize = 48;

/// An option of a `Value` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOption {
    /// The record is dropped when this value is empty.
    Required,
    /// The value carries over into the following records until set again.
    Filldown,
    /// A value set later fills the empty cells of earlier records upwards.
    Fillup,
    /// Part of the record's key (clitable joins several templates on it).
    Key,
    /// Every match is appended to a list.
    List,
}

impl ValueOption {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Required" => Self::Required,
            "Filldown" => Self::Filldown,
            "Fillup" => Self::Fillup,
            "Key" => Self::Key,
            "List" => Self::List,
            _ => return None,
        })
    }
}

/// A `Value` line.
#[derive(Debug)]
pub(crate) struct ValueDef {
    pub name: String,
    /// In the order written: options act in this order.
    pub options: Vec<ValueOption>,
    /// A List value with several groups: its own regex, to split each match
    /// into the named groups (a list of maps).
    pub nested: Option<Pattern>,
}

impl ValueDef {
    pub fn has(&self, o: ValueOption) -> bool {
        self.options.contains(&o)
    }
}

/// What happens to the input line after a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineOp {
    Next,
    Continue,
    Error,
}

/// What happens to the record being built after a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordOp {
    NoRecord,
    Record,
    Clear,
    Clearall,
}

/// Where a rule moves the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Stay,
    To(usize),
    End,
    Eof,
}

/// Which of the 256 byte values a text holds. A rule's literal can only be
/// in a line holding all its bytes: checking that is a few instructions a
/// rule once the line's set is made (one pass over the line), where a
/// substring search costs a hundred or more even on a short line. On
/// `show interfaces` most rules of a state are passed over for each line,
/// so most searches are skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    pub fn of(text: &[u8]) -> ByteSet {
        let mut set = [0u64; 4];
        for &b in text {
            set[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        ByteSet(set)
    }

    /// Whether every byte of `other` is in this set.
    pub fn holds(&self, other: &ByteSet) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .all(|(have, want)| want & !have == 0)
    }
}

#[derive(Debug)]
pub(crate) struct Rule {
    /// Template line, for errors.
    pub line: usize,
    /// Position among all rules of the template (its match buffers).
    pub id: usize,
    pub regex: Pattern,
    /// A literal every line the rule matches contains: a cheap test first.
    pub literal: Option<memchr::memmem::Finder<'static>>,
    /// The bytes of `literal`: a line lacking one of them is passed over
    /// without searching it (see [`ByteSet`]).
    pub literal_bytes: ByteSet,
    /// Capture group and the Value it fills, in group order.
    pub assigns: Vec<(usize, usize)>,
    pub line_op: LineOp,
    pub record_op: RecordOp,
    pub transition: Transition,
    /// The message of an `Error "message"` rule.
    pub message: Option<String>,
}

/// A compiled TextFSM template.
#[derive(Debug)]
pub struct Template {
    pub(crate) values: Vec<ValueDef>,
    pub(crate) states: Vec<Vec<Rule>>,
    pub(crate) start: usize,
    pub(crate) has_eof_state: bool,
    pub(crate) rule_count: usize,
}

/// A rule's action as written, before state names are resolved.
struct Action {
    line_op: LineOp,
    record_op: RecordOp,
    new_state: Option<String>,
}

impl Template {
    /// Compile template `text` within `limits` (template size, regex size and
    /// backtracking).
    pub fn compile(text: &str, limits: &Limits) -> Result<Template, TemplateError> {
        if text.len() > limits.max_template_bytes {
            return Err(TemplateError::TooLarge {
                size: text.len(),
                limit: limits.max_template_bytes,
            });
        }
        let lines: Vec<&str> = template_lines(text).map(str::trim_end).collect();
        let mut at = 0;
        let (values, var_map) = read_values(&lines, &mut at, limits)?;
        let mut names: Vec<String> = Vec::new();
        let mut raw_states: Vec<Vec<(Rule, Option<String>)>> = Vec::new();
        let mut rule_count = 0;
        while let Some(name) = next_state_name(&lines, &mut at)? {
            if names.contains(&name) {
                return Err(syntax(at, format!("duplicate state name `{name}`")));
            }
            let mut rules = Vec::new();
            while at < lines.len() {
                let line = lines[at];
                at += 1;
                if line.is_empty() {
                    break;
                }
                if is_comment(line) {
                    continue;
                }
                if !(line.starts_with(" ^") || line.starts_with("  ^") || line.starts_with("\t^")) {
                    return Err(syntax(
                        at,
                        "a rule starts with one or two spaces or a tab, then `^` (a blank line ends the state)",
                    ));
                }
                let mut rule = read_rule(line, at, &var_map, &values, limits)?;
                rule.0.id = rule_count;
                rule_count += 1;
                rules.push(rule);
            }
            names.push(name);
            raw_states.push(rules);
        }
        let index = |n: &str| names.iter().position(|s| s == n);
        let Some(start) = index("Start") else {
            return Err(syntax(at, "the template has no `Start` state"));
        };
        for special in ["End", "EOF"] {
            if let Some(i) = index(special)
                && !raw_states[i].is_empty()
            {
                return Err(syntax(
                    at,
                    format!("the `{special}` state must have no rules"),
                ));
            }
        }
        let has_eof_state = index("EOF").is_some();
        let mut states = Vec::with_capacity(raw_states.len());
        for (rules, state) in raw_states.into_iter().zip(&names) {
            let mut resolved = Vec::with_capacity(rules.len());
            for (mut rule, target) in rules {
                rule.transition = match target.as_deref() {
                    None => Transition::Stay,
                    Some(_) if rule.line_op == LineOp::Error => Transition::Stay,
                    Some("End") => Transition::End,
                    Some("EOF") => Transition::Eof,
                    Some(t) => match index(t) {
                        Some(i) if t != "End" => Transition::To(i),
                        _ => {
                            return Err(syntax(
                                rule.line,
                                format!("state `{t}` (used in state `{state}`) is not defined"),
                            ));
                        }
                    },
                };
                resolved.push(rule);
            }
            states.push(resolved);
        }
        Ok(Template {
            values,
            states,
            start,
            has_eof_state,
            rule_count,
        })
    }

    /// The Value names, in the order records hold them.
    pub fn header(&self) -> Vec<&str> {
        self.values.iter().map(|v| v.name.as_str()).collect()
    }

    /// Names of the Values marked `Key`.
    pub fn keys(&self) -> Vec<&str> {
        self.values
            .iter()
            .filter(|v| v.has(ValueOption::Key))
            .map(|v| v.name.as_str())
            .collect()
    }

    /// Every rule whose regex has a direct scan (see `scan.rs`) matched on
    /// `line` both by the scan and by the regex crate, as a parse reaches
    /// them (a line without the rule's literal is never matched): the
    /// disagreements, and how many rules were compared. For the tests that
    /// hold the scan to the regex crate on real templates; not part of the
    /// API.
    #[doc(hidden)]
    pub fn scan_disagreements(&self, line: &str) -> (Vec<String>, usize) {
        let rules = self.states.iter().flatten().filter(|r| {
            r.regex.has_scan()
                && r.literal
                    .as_ref()
                    .is_none_or(|l| l.find(line.as_bytes()).is_some())
        });
        let disagreements = rules
            .clone()
            .filter_map(|r| {
                r.regex
                    .scan_disagreement(line)
                    .map(|d| format!("rule line {}: {d}", r.line))
            })
            .collect();
        (disagreements, rules.count())
    }

    /// Options of Value `name`, in the order written.
    pub fn options(&self, name: &str) -> Option<&[ValueOption]> {
        self.values
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.options.as_slice())
    }
}

/// Lines as Python's text-mode file iteration gives them (`\n`, `\r\n`, `\r`).
fn template_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            None => Some(std::mem::take(&mut rest)),
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
        }
    })
}

fn syntax(line: usize, message: impl Into<String>) -> TemplateError {
    TemplateError::Syntax {
        line,
        message: message.into(),
    }
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The `Value` block: up to the first blank line. Returns the values and the
/// `${NAME}` substitutions (the regex with its first `(` named).
fn read_values(
    lines: &[&str],
    at: &mut usize,
    limits: &Limits,
) -> Result<(Vec<ValueDef>, HashMap<String, String>), TemplateError> {
    let mut values: Vec<ValueDef> = Vec::new();
    let mut var_map = HashMap::new();
    while *at < lines.len() {
        let line = lines[*at];
        *at += 1;
        let n = *at;
        if line.is_empty() {
            break;
        }
        if is_comment(line) {
            continue;
        }
        if !line.starts_with("Value ") {
            return Err(syntax(
                n,
                if values.is_empty() {
                    "the template starts with `Value NAME (regex)` lines"
                } else {
                    "a blank line must follow the last `Value` line"
                },
            ));
        }
        let tokens: Vec<&str> = line.split(' ').collect();
        if tokens.len() < 3 {
            return Err(syntax(n, "a Value line is `Value [OPTIONS] NAME (regex)`"));
        }
        let mut options = Vec::new();
        let (name, regex) = if tokens[2].starts_with('(') {
            (tokens[1], tokens[2..].join(" "))
        } else {
            for o in tokens[1].split(',') {
                let Some(option) = ValueOption::parse(o) else {
                    return Err(syntax(
                        n,
                        format!(
                            "unknown Value option `{o}` (options: Required, Filldown, Fillup, Key, List)"
                        ),
                    ));
                };
                if options.contains(&option) {
                    return Err(syntax(n, format!("Value option `{o}` given twice")));
                }
                options.push(option);
            }
            (tokens[2], tokens[3..].join(" "))
        };
        if name.chars().count() > MAX_NAME_LEN {
            return Err(syntax(
                n,
                format!("Value name `{name}` is longer than {MAX_NAME_LEN} characters"),
            ));
        }
        let chars: Vec<char> = regex.chars().collect();
        if chars.len() < 2
            || chars[0] != '('
            || chars[chars.len() - 1] != ')'
            || chars[chars.len() - 2] == '\\'
        {
            return Err(syntax(
                n,
                format!("the regex of Value {name} must be enclosed in `(` `)`, got `{regex}`"),
            ));
        }
        let bad_regex = |reason| TemplateError::Regex {
            line: n,
            pattern: regex.clone(),
            reason,
        };
        // Only a List value's own regex is ever matched (to split it into
        // its nested groups); the others need only be valid.
        let nested = if options.contains(&ValueOption::List) {
            let compiled = Pattern::new(&regex, limits).map_err(bad_regex)?;
            // Python counts every capturing group; group 0 is the whole match.
            (compiled.captures_len() > 2).then_some(compiled)
        } else {
            pyre::check(&regex).map_err(bad_regex)?;
            None
        };
        if values.iter().any(|v| v.name == name) {
            return Err(syntax(n, format!("Value {name} is declared twice")));
        }
        var_map.insert(name.to_string(), format!("(?P<{name}>{}", &regex[1..]));
        values.push(ValueDef {
            name: name.to_string(),
            options,
            nested,
        });
    }
    Ok((values, var_map))
}

/// Skip blank and comment lines to the next state name.
fn next_state_name(lines: &[&str], at: &mut usize) -> Result<Option<String>, TemplateError> {
    while *at < lines.len() {
        let line = lines[*at];
        *at += 1;
        if line.is_empty() || is_comment(line) {
            continue;
        }
        let reserved = [
            "Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord",
        ];
        if !line.chars().all(is_word_char)
            || line.chars().count() > MAX_NAME_LEN
            || reserved.contains(&line)
        {
            return Err(syntax(
                *at,
                format!(
                    "`{line}` is not a valid state name (letters, digits, `_`; up to {MAX_NAME_LEN}; not an action name)"
                ),
            ));
        }
        return Ok(Some(line.to_string()));
    }
    Ok(None)
}

fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn read_rule(
    line: &str,
    n: usize,
    var_map: &HashMap<String, String>,
    values: &[ValueDef],
    limits: &Limits,
) -> Result<(Rule, Option<String>), TemplateError> {
    let line = line.trim();
    // The last `->` preceded by whitespace separates the regex from the action.
    let split = line
        .char_indices()
        .filter(|&(i, c)| c.is_whitespace() && line[i + c.len_utf8()..].starts_with("->"))
        .map(|(i, c)| (i, i + c.len_utf8() + 2))
        .next_back();
    let (pattern, action) = match split {
        Some((end, action)) => (&line[..end], Some(&line[action..])),
        None => (line, None),
    };
    let regex_text = if var_map.is_empty() {
        pattern.to_string()
    } else {
        substitute(pattern, var_map).map_err(|m| syntax(n, m))?
    };
    let regex = Pattern::new(&regex_text, limits).map_err(|reason| TemplateError::Regex {
        line: n,
        pattern: regex_text.clone(),
        reason,
    })?;
    let assigns = regex
        .capture_names()
        .into_iter()
        .enumerate()
        .filter_map(|(group, name)| {
            let value = values.iter().position(|v| Some(v.name.as_str()) == name)?;
            Some((group, value))
        })
        .collect();
    let action = match action {
        None => Action {
            line_op: LineOp::Next,
            record_op: RecordOp::NoRecord,
            new_state: None,
        },
        Some(a) => parse_action(a).ok_or_else(|| {
            syntax(
                n,
                format!(
                    "bad action `{}`: use `-> [Next|Continue|Error][.Record|.NoRecord|.Clear|.Clearall] [STATE]`",
                    a.trim()
                ),
            )
        })?,
    };
    if action.line_op == LineOp::Continue && action.new_state.is_some() {
        return Err(syntax(
            n,
            "`Continue` cannot change state (the line is not consumed)",
        ));
    }
    if action.line_op != LineOp::Error
        && let Some(s) = &action.new_state
        && !s.starts_with(is_word_char)
    {
        return Err(syntax(
            n,
            format!("state name `{s}`: letters, digits and `_` only"),
        ));
    }
    let message = match (&action.line_op, &action.new_state) {
        (LineOp::Error, Some(m)) => Some(
            m.strip_prefix('"')
                .and_then(|m| m.strip_suffix('"'))
                .unwrap_or(m)
                .to_string(),
        ),
        _ => None,
    };
    let literal = pyre::required_literal(&regex_text);
    Ok((
        Rule {
            line: n,
            id: 0,
            literal_bytes: literal
                .as_ref()
                .map_or_else(ByteSet::default, |l| ByteSet::of(l.as_bytes())),
            literal: literal.map(|l| memchr::memmem::Finder::new(l.as_bytes()).into_owned()),
            regex,
            assigns,
            line_op: action.line_op,
            record_op: action.record_op,
            transition: Transition::Stay,
            message,
        },
        action.new_state,
    ))
}

/// The three forms textfsm accepts right of `->`: `LineOp[.RecordOp] [State]`,
/// `RecordOp [State]`, `[State]`, tried in that order, each anchored at both
/// ends (textfsm's three action regexes, read by hand: compiling them was a
/// tenth of a small template's compile time). `\s` and `\w` are Unicode's, as
/// in those regexes.
fn parse_action(action: &str) -> Option<Action> {
    const LINE_OPS: [(&str, LineOp); 3] = [
        ("Continue", LineOp::Continue),
        ("Next", LineOp::Next),
        ("Error", LineOp::Error),
    ];
    // Regex alternation order: `Clear` is tried before `Clearall`.
    const RECORD_OPS: [(&str, RecordOp); 4] = [
        ("Clear", RecordOp::Clear),
        ("Clearall", RecordOp::Clearall),
        ("Record", RecordOp::Record),
        ("NoRecord", RecordOp::NoRecord),
    ];
    let action_of = |line_op, record_op, new_state: Option<&str>| Action {
        line_op,
        record_op,
        new_state: new_state.map(str::to_string),
    };
    // `\s+`: the words after it start with no whitespace, so it takes all.
    let after_space = action
        .strip_prefix(char::is_whitespace)
        .map(|a| a.trim_start_matches(char::is_whitespace));
    if let Some(rest) = after_space {
        // `\s+(Continue|Next|Error)(?:\.(RecordOp))?` then the state part.
        for (word, line_op) in LINE_OPS {
            let Some(rest) = rest.strip_prefix(word) else {
                continue;
            };
            if let Some(ops) = rest.strip_prefix('.') {
                for (word, record_op) in RECORD_OPS {
                    if let Some(state) = ops.strip_prefix(word).and_then(state_part) {
                        return Some(action_of(line_op, record_op, state));
                    }
                }
            }
            if let Some(state) = state_part(rest) {
                return Some(action_of(line_op, RecordOp::NoRecord, state));
            }
        }
        // `\s+(RecordOp)` then the state part.
        for (word, record_op) in RECORD_OPS {
            if let Some(state) = rest.strip_prefix(word).and_then(state_part) {
                return Some(action_of(LineOp::Next, record_op, state));
            }
        }
    }
    state_part(action).map(|state| action_of(LineOp::Next, RecordOp::NoRecord, state))
}

/// `(?:\s+(\w+|".*"))?$` at the start of `rest`: `Some(state)` when it
/// matches all of `rest` (`Some(None)`: empty, no state).
fn state_part(rest: &str) -> Option<Option<&str>> {
    if rest.is_empty() {
        return Some(None);
    }
    let state = rest
        .strip_prefix(char::is_whitespace)?
        .trim_start_matches(char::is_whitespace);
    let word =
        |c: char| regex_syntax::try_is_word_character(c).unwrap_or(c == '_' || c.is_alphanumeric());
    let quoted = state.len() >= 2
        && state.starts_with('"')
        && state.ends_with('"')
        && !state[1..state.len() - 1].contains('\n');
    (quoted || (!state.is_empty() && state.chars().all(word))).then_some(Some(state))
}

/// Python's `string.Template(pattern).substitute(var_map)`: `$$` is `$`,
/// `$NAME` and `${NAME}` are replaced, any other `$` is an error.
fn substitute(pattern: &str, var_map: &HashMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut rest = pattern;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let ident_len = |s: &str| {
            let mut chars = s.char_indices();
            match chars.next() {
                Some((_, c)) if c == '_' || c.is_ascii_alphabetic() => chars
                    .find(|(_, c)| !(*c == '_' || c.is_ascii_alphanumeric()))
                    .map_or(s.len(), |(j, _)| j),
                _ => 0,
            }
        };
        let (name, consumed) = if let Some(a) = after.strip_prefix('$') {
            out.push('$');
            rest = a;
            continue;
        } else if let Some(braced) = after.strip_prefix('{') {
            let len = ident_len(braced);
            if len == 0 || !braced[len..].starts_with('}') {
                return Err(invalid_placeholder(pattern, rest, i));
            }
            (&braced[..len], len + 2)
        } else {
            let len = ident_len(after);
            if len == 0 {
                return Err(invalid_placeholder(pattern, rest, i));
            }
            (&after[..len], len)
        };
        let Some(value) = var_map.get(name) else {
            return Err(format!(
                "`${name}` names no Value (write `$$` for a literal `$`, e.g. `$$` at the end of a rule)"
            ));
        };
        out.push_str(value);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

fn invalid_placeholder(pattern: &str, rest: &str, i: usize) -> String {
    let col = pattern.len() - rest.len() + i + 1;
    format!(
        "`$` at column {col} of `{pattern}` is neither `$$`, `$NAME` nor `${{NAME}}` (end a rule with `$$`)"
    )
}

#[cfg(test)]
mod tests {
    use super::{ByteSet, LineOp, RecordOp, parse_action};

    #[test]
    fn a_line_holds_a_literal_only_if_it_holds_all_its_bytes() {
        let literal = ByteSet::of(b" packets input, ");
        let line = ByteSet::of(b"     5 packets input, 320 bytes, 0 no buffer");
        assert!(line.holds(&literal));
        assert!(!ByteSet::of(b"     5 packets output, 320 bytes").holds(&literal));
        // Every byte value, the high ones (UTF-8) too.
        let all: Vec<u8> = (0..=255).collect();
        assert!(ByteSet::of(&all).holds(&ByteSet::of("caf\u{e9} \x7f".as_bytes())));
        assert!(!ByteSet::of(b"cafe").holds(&ByteSet::of("caf\u{e9}".as_bytes())));
        // No literal: every line holds it.
        assert!(ByteSet::default().holds(&ByteSet::default()));
        assert!(ByteSet::of(b"").holds(&ByteSet::default()));
    }

    /// textfsm's three action regexes, in the order Python's `TextFSMRule`
    /// tries them (compiled once: the test below reads 39,200 actions).
    fn action_regexes() -> [fancy_regex::Regex; 3] {
        let state = r#"(?:\s+(?P<state>\w+|".*"))?$"#;
        let record = "(?P<rec>Clear|Clearall|Record|NoRecord)";
        let line = "(?P<line>Continue|Next|Error)";
        [
            format!(r"\A(?:\s+{line}(?:\.{record})?{state})"),
            format!(r"\A(?:\s+{record}{state})"),
            format!(r"\A(?:{state})"),
        ]
        .map(|f| fancy_regex::Regex::new(&f).unwrap())
    }

    /// An action as textfsm's regexes read it.
    fn by_regex(
        forms: &[fancy_regex::Regex],
        action: &str,
    ) -> Option<(LineOp, RecordOp, Option<String>)> {
        let caps = forms.iter().find_map(|f| f.captures(action).unwrap())?;
        let group = |n: &str| caps.name(n).map(|m| m.as_str());
        Some((
            match group("line") {
                Some("Continue") => LineOp::Continue,
                Some("Error") => LineOp::Error,
                _ => LineOp::Next,
            },
            match group("rec") {
                Some("Record") => RecordOp::Record,
                Some("Clear") => RecordOp::Clear,
                Some("Clearall") => RecordOp::Clearall,
                _ => RecordOp::NoRecord,
            },
            group("state").map(str::to_string),
        ))
    }

    #[test]
    fn actions_read_as_textfsm_action_regexes_read_them() {
        let words = [
            "",
            "Next",
            "Continue",
            "Error",
            "Record",
            "Clear",
            "Clearall",
            "NoRecord",
            "Next.",
            "Next.Record",
            "Continue.Clear",
            "Continue.Clearall",
            "Error.NoRecord",
            "Next.Bogus",
            "Clearallx",
            "Recordx",
            "NextRecord",
            ".Record",
            "Start",
            "State_2",
            "é_état",
            "\"msg\"",
            "\"a \"quoted\" msg\"",
            "\"",
            "\"open",
            "\"a\nb\"",
            "x-y",
            "\u{a0}",
        ];
        let spaces = ["", " ", "  ", "\t", "\u{3000}"];
        let forms = action_regexes();
        let mut checked = 0;
        for a in words {
            for b in words {
                for s1 in spaces {
                    for s2 in spaces {
                        for s3 in ["", " "] {
                            let action = format!("{s1}{a}{s2}{b}{s3}");
                            let got = parse_action(&action)
                                .map(|a| (a.line_op, a.record_op, a.new_state));
                            assert_eq!(got, by_regex(&forms, &action), "{action:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 30_000);
    }
}
