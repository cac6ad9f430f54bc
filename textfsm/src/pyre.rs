//! Python `re` syntax, as TextFSM templates are written, rewritten into the
//! syntax fancy-regex accepts. Every difference lives here, one rule each:
//!
//! | Python                         | emitted                | why |
//! |--------------------------------|------------------------|-----|
//! | `\Z` (end of string)           | `\z`                   | fancy's `\Z` also matches before trailing newlines |
//! | `\<`, `\>` (literal `<`, `>`)  | `<`, `>`               | fancy reads them as word-boundary assertions |
//! | `{` not starting `{m}`, `{m,}`, `{,n}`, `{m,n}` | `\{` | Python takes it as a literal, fancy as a broken repeat |
//! | `{,n}`                         | `{0,n}`                | the regex crate has no empty lower bound |
//! | `}` outside a repeat           | `\}`                   | literal in Python |
//! | `[`, `&&`, `--`, `~~` in a class | escaped              | literal in Python, nesting and set operations in Rust |
//! | whitespace and controls, `\a \b \f \n \r \t \v \xHH \uHHHH \UHHHHHHHH \0oo` | `\x{H}` | one spelling both engines read alike, also under `(?x)` |
//! | `\N` backreference             | `(?:\N)`               | so a digit after it is not read into the group number |
//! | `(?#…)` comment                | (dropped)              | |
//! | lookaround repeated `+`, `{1,n}` | the lookaround       | fancy refuses to repeat an assertion; once is the same |
//! | lookaround repeated `*`, `?`, `{0,n}` | `(?:lookaround\|)` | may match zero times: an alternative with nothing |
//! | `(?u)` flag                    | (dropped)              | Unicode is the default in both |
//! | `\N{NAME}`, `\N{ALIAS}`        | `\x{H}`                | the character Python 3.11 names so (`ucd.rs`) |
//! | `(?a)`, `(?a:…)` (ASCII flag)  | (dropped), and `\d \w \s` as Python's ASCII sets | the Unicode form too: Python's `(?a)` holds on any text |
//! | `\b`, `\B` under `(?a)`        | lookaround on `[0-9A-Za-z_]` | in the Unicode form; fancy-regex refuses `(?-u:\b)` |
//! | a letter, a class under `(?ai)` | `(?-i:[kK])`, `(?-i:[a-cA-C])` | in the Unicode form: Python folds ASCII letters only (`k` is no Kelvin sign, `é` no `É`) |
//! | possessive `x*+`, `x++`, `x?+`, `x{m,n}+` | `(?>x*)` …  | the regex crates have atomic groups, not possessive repeats |
//! | conditional `(?(name)yes\|no)` | `(?(<name>)yes\|no)`   | fancy-regex's spelling of a named condition |
//! | `(?x)` comments and whitespace | (dropped)              | read here, where class and escape rules are Python's |
//!
//! | `\s`, `\S`                     | `[\s\x{1C}-\x{1F}]`, negated | Python counts `\x1c`–`\x1f` as whitespace |
//!
//! Each pattern is built twice. The ASCII form spells `\d \w \s` and their
//! negations as ASCII sets: on ASCII text (nearly all device output) it
//! matches exactly as the Unicode form does, and it is several times smaller
//! and faster. The Unicode form is built on the first non-ASCII text. Under
//! Python's ASCII flag both forms spell Python's own ASCII sets (its `\s`
//! there has no `\x1c`–`\x1f`), so that non-ASCII text, too, is matched as
//! Python matches it under the flag. In a template the flag is scoped,
//! `(?a:…)`: a rule starts with `^`, and Python 3.11 refuses global flags
//! anywhere but at the start.
//!
//! Python's own errors are kept: an unknown escape such as `\e`, a group name
//! defined twice, global flags not at the start, a repeat of a repeat
//! (`a**`), `{2,1}`, a reference to a group the pattern does not have.
//! Of the type flags, `(?L)` (locale matching) is refused as Python 3 refuses
//! it for text patterns, and so are `(?au)` and `(?-a:…)`, with Python's
//! messages; an unknown `\N{NAME}` is Python's "undefined character name".

use crate::Limits;
use crate::scan::Scan;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// How `\d \w \s` are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Classes {
    /// Python's Unicode classes.
    Unicode,
    /// Their ASCII members only: the same matches on ASCII text.
    Ascii,
    /// Python's own ASCII classes, under the `(?a)` flag on any text:
    /// `\s` without `\x1c`–`\x1f`.
    AsciiFlag,
}

/// A Python pattern compiled as `re.match` uses it: anchored at the start
/// of the text, within the regex size and backtracking limits.
#[derive(Debug)]
pub(crate) struct Pattern {
    /// The ASCII form: built at compile time, unless the scan answers every
    /// ASCII text (then only when something asks for it).
    ascii: OnceLock<Result<Engine, String>>,
    ascii_source: String,
    /// The ASCII form as a direct scan, when it has the shape (see `scan.rs`).
    scan: Option<Scan>,
    /// Capture group names by index (the same in both forms).
    names: Box<[Option<Box<str>>]>,
    unicode: OnceLock<Result<Engine, String>>,
    unicode_source: String,
    limits: Limits,
}

/// Largest scan (in [`Scan::positions`]) whose regex-crate form is left
/// unbuilt at compile time: any larger one is built there, so the regex
/// size limit still refuses an oversized pattern when the template compiles.
/// A thousand positions compile to far less than the default limit.
const LAZY_SCAN_POSITIONS: usize = 1000;

/// The regex crate when the pattern needs no backtracking feature (no
/// allocation per match, a DFA rejects most lines); fancy-regex for
/// lookaround and backreferences.
#[derive(Debug)]
enum Engine {
    Plain(regex::Regex),
    /// The ASCII form, built over bytes without Unicode: on ASCII text it
    /// matches as the Unicode build does (a class's other members are never
    /// there to match), and it builds several times faster (no UTF-8
    /// automata for `.` and negated classes, whose builder alone fills a
    /// 10,000-entry table per regex). The regex crate's own engine, without
    /// the full DFA: the lazy one serves a template's few hundred lines as
    /// well, and costs nothing to build.
    Ascii(regex_automata::meta::Regex),
    Fancy(fancy_regex::Regex),
}

/// Why a match could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MatchError {
    /// More backtracking steps than the limit.
    Backtracking,
    /// A form built on first use (the Unicode one, on the first non-ASCII
    /// text) does not compile (size limit).
    Build(String),
}

/// The group spans of the last match, and the buffers to find them in
/// (one set per template run, reused line after line).
#[derive(Debug, Default)]
pub(crate) struct Groups {
    ascii: Option<regex_automata::util::captures::Captures>,
    unicode: Option<regex::CaptureLocations>,
    spans: Vec<Option<(usize, usize)>>,
}

impl Groups {
    /// Group `i` of the last match in `text`.
    pub fn get<'t>(&self, text: &'t str, i: usize) -> Option<&'t str> {
        self.spans
            .get(i)
            .copied()
            .flatten()
            .and_then(|(a, b)| text.get(a..b))
    }
}

impl Pattern {
    /// Translate `py` and build its ASCII form (the Unicode form is only
    /// parsed here, and built on first use).
    ///
    /// A pattern the scan matches (the regex crate's parser read it, so the
    /// regex crate builds it) leaves its regex-crate form for later: building
    /// it was most of a template's compile time, and ASCII lines never use it.
    pub fn new(py: &str, limits: &Limits) -> Result<Pattern, String> {
        let ascii_source = translate(py, Classes::Ascii)?;
        let scan = Scan::new(&anchored(&ascii_source));
        let ascii = OnceLock::new();
        let names: Box<[Option<Box<str>>]> = match &scan {
            Some(scan) if scan.positions() <= LAZY_SCAN_POSITIONS => {
                scan.names().map(|n| n.map(Box::from)).collect()
            }
            _ => {
                let engine = Engine::build(&ascii_source, limits, true)?;
                let names = engine.capture_names();
                let _ = ascii.set(Ok(engine));
                names
            }
        };
        let unicode_source = translate(py, Classes::Unicode)?;
        fancy_regex::Expr::parse_tree(&anchored(&unicode_source)).map_err(|e| e.to_string())?;
        Ok(Pattern {
            ascii,
            ascii_source,
            scan,
            names,
            unicode: OnceLock::new(),
            unicode_source,
            limits: *limits,
        })
    }

    /// The form for text that is (`ascii`) or is not all ASCII.
    fn engine(&self, ascii: bool) -> Result<&Engine, MatchError> {
        let (form, source) = if ascii {
            (&self.ascii, &self.ascii_source)
        } else {
            (&self.unicode, &self.unicode_source)
        };
        form.get_or_init(|| Engine::build(source, &self.limits, ascii))
            .as_ref()
            .map_err(|e| MatchError::Build(e.clone()))
    }

    /// Match `text` (`ascii`: whether it is all ASCII, known by the caller
    /// for the whole line); on a match, `groups` holds the group spans.
    pub fn match_groups(
        &self,
        text: &str,
        ascii: bool,
        groups: &mut Groups,
    ) -> Result<bool, MatchError> {
        // The scan answers unless it runs out of tries (then the regex crate).
        if ascii
            && let Some(scan) = &self.scan
            && let Some(matched) = scan.captures(text.as_bytes(), &mut groups.spans)
        {
            return Ok(matched);
        }
        let engine = self.engine(ascii)?;
        groups.spans.clear();
        match engine {
            Engine::Plain(re) => {
                let locs = groups.unicode.get_or_insert_with(|| re.capture_locations());
                if re.captures_read(locs, text).is_none() {
                    return Ok(false);
                }
                groups.spans.extend((0..locs.len()).map(|i| locs.get(i)));
            }
            Engine::Ascii(re) => {
                let caps = groups.ascii.get_or_insert_with(|| re.create_captures());
                re.search_captures(&regex_automata::Input::new(text), caps);
                if !caps.is_match() {
                    return Ok(false);
                }
                groups.spans.extend(spans(caps));
            }
            Engine::Fancy(re) => {
                let Some(caps) = re.captures(text).map_err(|_| MatchError::Backtracking)? else {
                    return Ok(false);
                };
                groups
                    .spans
                    .extend((0..caps.len()).map(|i| caps.get(i).map(|m| (m.start(), m.end()))));
            }
        }
        Ok(true)
    }

    /// Whether `text` matches, group spans not wanted (the DFA alone decides).
    pub fn matches(&self, text: &str, ascii: bool) -> Result<bool, MatchError> {
        if ascii
            && let Some(scan) = &self.scan
            && let Some(matched) = scan.matches(text.as_bytes())
        {
            return Ok(matched);
        }
        match self.engine(ascii)? {
            Engine::Plain(re) => Ok(re.is_match(text)),
            Engine::Ascii(re) => Ok(re.is_match(text.as_bytes())),
            Engine::Fancy(re) => re.is_match(text).map_err(|_| MatchError::Backtracking),
        }
    }

    /// Whether `text` matches (a form that fails to build matches nothing).
    pub fn is_match(&self, text: &str) -> bool {
        self.matches(text, text.is_ascii()).unwrap_or(false)
    }

    /// Where the direct scan and the regex crate disagree on ASCII `text`
    /// (verdict or group spans), if they do: the check behind the tests that
    /// run every ntc-templates rule both ways.
    pub fn scan_disagreement(&self, text: &str) -> Option<String> {
        let (Some(scan), Ok(Engine::Ascii(re)), true) =
            (&self.scan, self.engine(true), text.is_ascii())
        else {
            return None;
        };
        let source = &self.ascii_source;
        let bytes = text.as_bytes();
        // The DFA decides most texts (no match) far faster than captures.
        // A walk out of tries leaves the text to the regex crate: no verdict.
        let matched = scan.matches(bytes)?;
        if matched != re.is_match(bytes) {
            return Some(format!(
                "`{source}` on {text:?}: scan says {matched}, regex the opposite"
            ));
        }
        if !matched {
            return None;
        }
        let mut spans_found = Vec::new();
        let got = scan
            .captures(bytes, &mut spans_found)?
            .then_some(spans_found);
        let mut caps = re.create_captures();
        re.search_captures(&regex_automata::Input::new(bytes), &mut caps);
        let want = caps.is_match().then(|| spans(&caps).collect::<Vec<_>>());
        (got != want).then(|| format!("`{source}` on {text:?}: scan {got:?}, regex {want:?}"))
    }

    /// Whether the direct scan matches this pattern on ASCII text.
    pub fn has_scan(&self) -> bool {
        self.scan.is_some()
    }

    /// Names of the capture groups by index (the same in both forms).
    pub fn capture_names(&self) -> Vec<Option<&str>> {
        self.names.iter().map(Option::as_deref).collect()
    }

    /// Capture groups, the whole match (group 0) included.
    pub fn captures_len(&self) -> usize {
        self.names.len()
    }
}

impl Engine {
    fn capture_names(&self) -> Box<[Option<Box<str>>]> {
        match self {
            Engine::Plain(re) => re.capture_names().map(|n| n.map(Box::from)).collect(),
            Engine::Ascii(re) => re
                .group_info()
                .pattern_names(regex_automata::PatternID::ZERO)
                .map(|n| n.map(Box::from))
                .collect(),
            Engine::Fancy(re) => re.capture_names().map(|n| n.map(Box::from)).collect(),
        }
    }

    /// Build `translated`; `ascii`: the ASCII form, only ever run on ASCII text.
    fn build(translated: &str, limits: &Limits, ascii: bool) -> Result<Engine, String> {
        let source = anchored(translated);
        if ascii {
            let built = regex_automata::meta::Builder::new()
                .configure(
                    regex_automata::meta::Config::new()
                        .nfa_size_limit(Some(limits.regex_size))
                        .hybrid_cache_capacity(limits.regex_size)
                        .dfa(false),
                )
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .unicode(false)
                        .utf8(false),
                )
                .build(&source);
            match built {
                Ok(re) => return Ok(Engine::Ascii(re)),
                Err(e) if e.size_limit().is_some() => {
                    return Err(format!(
                        "compiled regex exceeds the size limit of {} bytes",
                        limits.regex_size
                    ));
                }
                // Non-ASCII in a class, lookaround, …: as the Unicode form.
                Err(_) => {}
            }
        }
        match regex::RegexBuilder::new(&source)
            .size_limit(limits.regex_size)
            .dfa_size_limit(limits.regex_size)
            .build()
        {
            Ok(re) => return Ok(Engine::Plain(re)),
            Err(regex::Error::CompiledTooBig(limit)) => {
                return Err(format!(
                    "compiled regex exceeds the size limit of {limit} bytes"
                ));
            }
            // Lookaround, backreferences, atomic groups: fancy-regex.
            Err(_) => {}
        }
        fancy_regex::RegexBuilder::new(&source)
            .backtrack_limit(limits.backtrack_steps)
            .delegate_size_limit(limits.regex_size)
            .delegate_dfa_size_limit(limits.regex_size)
            .build()
            .map(Engine::Fancy)
            .map_err(|e| e.to_string())
    }
}

/// Each group's span in `caps` (`None`: the group took no part).
fn spans(
    caps: &regex_automata::util::captures::Captures,
) -> impl Iterator<Item = Option<(usize, usize)>> + '_ {
    (0..caps.group_len()).map(|i| caps.get_group(i).map(|s| (s.start, s.end)))
}

fn anchored(translated: &str) -> String {
    format!("\\A(?:{translated})")
}

/// A literal every match of Python pattern `py` contains, when it has one
/// worth checking first: the longest run of plain characters at the top
/// level of the pattern, none made optional by a quantifier. `None` when
/// the pattern has a top-level alternation or flags (case, verbose) that
/// would change what the run matches.
pub(crate) fn required_literal(py: &str) -> Option<String> {
    // The first of the longest runs.
    let best = literal_runs(py)?
        .into_iter()
        .fold(String::new(), |best, run| {
            if run.len() > best.len() { run } else { best }
        });
    (best.trim().len() >= 3).then_some(best)
}

/// Every run of plain characters at the top level of Python pattern `py`
/// that no quantifier makes optional, in order: each is in every match.
/// `None` when the pattern has a top-level alternation or flags (case,
/// verbose) that would change what a run matches.
pub(crate) fn literal_runs(py: &str) -> Option<Vec<String>> {
    if py.contains("(?")
        && py.split("(?").skip(1).any(|rest| {
            let flags: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
                .collect();
            !flags.is_empty() && flags != "P"
        })
    {
        return None;
    }
    let chars: Vec<char> = py.chars().collect();
    let (mut depth, mut i) = (0usize, 0);
    let mut best: Vec<String> = Vec::new();
    let mut run = String::new();
    let end_run = |run: &mut String, runs: &mut Vec<String>| {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                end_run(&mut run, &mut best);
                // The whole escape: `\x20`, `\u00e9`, `\101`, `\12` and
                // `\N{…}` go on past their letter.
                let digits = |from: usize, max: usize, hex: bool| {
                    chars[from.min(chars.len())..]
                        .iter()
                        .take(max)
                        .take_while(|c| {
                            if hex {
                                c.is_ascii_hexdigit()
                            } else {
                                c.is_ascii_digit()
                            }
                        })
                        .count()
                };
                i += 2 + match chars.get(i + 1) {
                    Some('x') => digits(i + 2, 2, true),
                    Some('u') => digits(i + 2, 4, true),
                    Some('U') => digits(i + 2, 8, true),
                    Some('0'..='9') => digits(i + 2, 2, false),
                    Some('N') if chars.get(i + 2) == Some(&'{') => chars[i + 2..]
                        .iter()
                        .position(|&c| c == '}')
                        .map_or(0, |p| p + 1),
                    _ => 0,
                };
                continue;
            }
            '[' => {
                end_run(&mut run, &mut best);
                // Skip the class: `]` first (after `^`) is a member.
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                while i < chars.len() && chars[i] != ']' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            '(' => {
                end_run(&mut run, &mut best);
                depth += 1;
            }
            ')' => {
                end_run(&mut run, &mut best);
                depth = depth.saturating_sub(1);
            }
            '|' if depth == 0 => return None,
            '{' => {
                end_run(&mut run, &mut best);
                // A repeat's bounds (`{2,16}`) are no text of the line.
                let bounds = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || **c == ',')
                    .count();
                if chars.get(i + 1 + bounds) == Some(&'}') {
                    i += bounds + 1;
                }
            }
            c if depth == 0 && (c.is_ascii_alphanumeric() || " _,:;=/-<>'\"@%&!~`".contains(c)) => {
                // A quantifier after it makes this character optional or
                // repeated: the run ends before it (`+` keeps it once).
                match chars.get(i + 1) {
                    Some('*' | '?' | '{') => end_run(&mut run, &mut best),
                    Some('+') => {
                        run.push(c);
                        end_run(&mut run, &mut best);
                    }
                    _ => run.push(c),
                }
            }
            _ => end_run(&mut run, &mut best),
        }
        i += 1;
    }
    end_run(&mut run, &mut best);
    Some(best)
}

/// Check that Python pattern `py` parses, without building its matcher
/// (a Value's regex is matched only inside the rules that use it).
pub(crate) fn check(py: &str) -> Result<(), String> {
    let translated = translate(py, Classes::Unicode)?;
    fancy_regex::Expr::parse_tree(&translated)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Rewrite the Python pattern `py`; the error is Python's complaint.
pub(crate) fn translate(py: &str, classes: Classes) -> Result<String, String> {
    Translator {
        src: py.chars().collect(),
        pos: 0,
        out: String::with_capacity(py.len() + 16),
        names: Vec::new(),
        groups: 0,
        conditions: 0,
        atom: 0,
        repeated: false,
        group_starts: Vec::new(),
        scopes: Vec::new(),
        lookaround: Vec::new(),
        global: Scope::default(),
        classes,
    }
    .run()
}

struct Translator {
    src: Vec<char>,
    pos: usize,
    out: String,
    names: Vec<String>,
    /// Capture groups opened so far.
    groups: usize,
    /// The highest group number a conditional tests.
    conditions: usize,
    /// Where the output of the last atom (what a repeat repeats) starts.
    atom: usize,
    /// The last token was a repeat (another one right after is refused).
    repeated: bool,
    /// Where the output of each open group starts.
    group_starts: Vec<usize>,
    /// Flags of each open group.
    scopes: Vec<Scope>,
    /// Of each open group: where its output starts, when it is a lookaround.
    lookaround: Vec<Option<usize>>,
    /// Flags of the whole pattern (a leading `(?flags)`).
    global: Scope,
    classes: Classes,
}

/// The flags a group sets for what it holds (`None`: inherited).
#[derive(Debug, Default, Clone, Copy)]
struct Scope {
    verbose: Option<bool>,
    ignore_case: Option<bool>,
    /// `a`: ASCII `\d \w \s \b` (Python cannot turn it off again).
    ascii: bool,
}

/// One member of a character class.
enum ClassItem {
    Char(char),
    /// `\d`, `\s`, `\w` and their negations, spelled as in the pattern.
    Category(char),
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.src.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.src.get(self.pos + i) == Some(&c))
    }

    /// Whether a flag (`flag` reads it from a scope) holds here: as the
    /// innermost group that sets it says, else as the whole pattern does.
    fn flag(&self, flag: fn(&Scope) -> Option<bool>) -> bool {
        self.scopes
            .iter()
            .rev()
            .find_map(flag)
            .or(flag(&self.global))
            .unwrap_or(false)
    }

    fn is_verbose(&self) -> bool {
        self.flag(|s| s.verbose)
    }

    fn ignores_case(&self) -> bool {
        self.flag(|s| s.ignore_case)
    }

    /// How `\d \w \s` are spelled here: Python's ASCII classes under `(?a)`.
    fn classes(&self) -> Classes {
        if self.global.ascii || self.scopes.iter().any(|s| s.ascii) {
            Classes::AsciiFlag
        } else {
            self.classes
        }
    }

    /// Case folded as Python's `(?ai)` folds it, ASCII letters only, where
    /// the regex crates would fold Unicode (`k` to the Kelvin sign, `é` to
    /// `É`): in the Unicode form under both flags.
    fn folds_ascii_only(&self) -> bool {
        self.classes == Classes::Unicode
            && self.classes() == Classes::AsciiFlag
            && self.ignores_case()
    }

    /// A literal character; under `(?ai)`, letters matched in both ASCII
    /// cases and nothing else.
    fn literal(&mut self, c: char) {
        if self.folds_ascii_only() && (c.is_ascii_alphabetic() || !c.is_ascii()) {
            self.out.push_str("(?-i:");
            if c.is_ascii_alphabetic() {
                let _ = write!(
                    self.out,
                    "[{}{}]",
                    c.to_ascii_lowercase(),
                    c.to_ascii_uppercase()
                );
            } else {
                push_literal(&mut self.out, c);
            }
            self.out.push(')');
        } else {
            push_literal(&mut self.out, c);
        }
    }

    fn run(mut self) -> Result<String, String> {
        // `(?x)` at the very start makes the whole pattern verbose, as in Python.
        if let Some(flags) = self.leading_global_flags() {
            self.global = Scope {
                verbose: Some(flags.contains('x')),
                ignore_case: Some(flags.contains('i')),
                ascii: flags.contains('a'),
            };
        }
        while let Some(c) = self.peek() {
            if self.is_verbose() && c.is_whitespace() {
                self.pos += 1;
                continue;
            }
            if self.is_verbose() && c == '#' {
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            if !matches!(c, '{' | ')' | '*' | '+' | '?') {
                self.atom = self.out.len();
            }
            let after_repeat = std::mem::take(&mut self.repeated);
            match c {
                '\\' => self.escape()?,
                '[' => self.class()?,
                '{' => self.brace(after_repeat)?,
                '}' => {
                    self.pos += 1;
                    self.out.push_str("\\}");
                }
                '(' => self.group()?,
                ')' => {
                    self.pos += 1;
                    if self.scopes.pop().is_none() {
                        return Err("unbalanced parenthesis".into());
                    }
                    self.out.push(')');
                    self.atom = self.group_starts.pop().unwrap_or(0);
                    if let Some(Some(start)) = self.lookaround.pop() {
                        self.repeated_assertion(start);
                    }
                }
                _ => {
                    self.pos += 1;
                    if matches!(c, '*' | '+' | '?') {
                        self.repeat(c, after_repeat)?;
                    } else if matches!(c, '.' | '^' | '$' | '|') {
                        self.out.push(c);
                    } else {
                        self.literal(c);
                    }
                }
            }
        }
        if !self.scopes.is_empty() {
            return Err("missing ), unterminated subpattern".into());
        }
        if self.conditions > self.groups {
            return Err(format!("invalid group reference {}", self.conditions));
        }
        Ok(self.out)
    }

    /// The flag letters of a `(?flags)` group at position 0, if any.
    fn leading_global_flags(&self) -> Option<String> {
        if !self.starts_with("(?") {
            return None;
        }
        let mut flags = String::new();
        for c in self.src.iter().skip(2) {
            match c {
                'a' | 'i' | 'L' | 'm' | 's' | 'u' | 'x' => flags.push(*c),
                ')' => return Some(flags),
                _ => return None,
            }
        }
        None
    }

    /// A repeat (`repeat`: `*`, `+`, `?` or `{m,n}`, already read), its lazy
    /// `?` or Python's possessive `+` (`x*+`, `x{m,n}+`: the repeated atom
    /// as an atomic group). Python refuses a repeat of a repeat.
    fn repeat(&mut self, repeat: impl std::fmt::Display, after_repeat: bool) -> Result<(), String> {
        if after_repeat {
            return Err("multiple repeat".into());
        }
        let _ = write!(self.out, "{repeat}");
        match self.peek() {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some('+') => {
                self.pos += 1;
                let repeated = self.out.split_off(self.atom);
                let _ = write!(self.out, "(?>{repeated})");
            }
            _ => {}
        }
        self.repeated = true;
        Ok(())
    }

    /// Note a group opening (its `(` not yet written).
    fn open(&mut self, scope: Scope, lookaround: bool) {
        self.group_starts.push(self.out.len());
        self.scopes.push(scope);
        self.lookaround.push(lookaround.then_some(self.out.len()));
    }

    /// Python lets a lookaround be repeated; fancy-regex does not. A
    /// zero-width match repeated at least once is the match itself, and one
    /// that may be repeated zero times is an alternative with nothing.
    fn repeated_assertion(&mut self, start: usize) {
        let (min_zero, len) = match self.peek() {
            Some('+') => (false, 1),
            Some('*' | '?') => (true, 1),
            Some('{') => {
                let rest: String = self.src[self.pos..].iter().take(32).collect();
                let Some(close) = rest.find('}') else { return };
                let body = &rest[1..close];
                let (lo, hi) = body.split_once(',').unwrap_or((body, body));
                if !lo.chars().chain(hi.chars()).all(|c| c.is_ascii_digit()) {
                    return;
                }
                (lo.trim_start_matches('0').is_empty(), close + 1)
            }
            _ => return,
        };
        self.pos += len;
        let lazy = self.peek() == Some('?');
        if matches!(self.peek(), Some('?' | '+')) {
            self.pos += 1;
        }
        if min_zero {
            let assertion = self.out.split_off(start);
            let _ = if lazy {
                write!(self.out, "(?:|{assertion})")
            } else {
                write!(self.out, "(?:{assertion}|)")
            };
        }
    }

    fn escape(&mut self) -> Result<(), String> {
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err("bad escape (end of pattern)".into());
        };
        self.pos += 1;
        match c {
            'b' | 'B'
                if self.classes == Classes::Unicode && self.classes() == Classes::AsciiFlag =>
            {
                // The regex crates' `\b` is Unicode here, and fancy-regex
                // refuses `(?-u:\b)`: an ASCII word boundary by lookaround.
                let w = "[0-9A-Za-z_]";
                let _ = if c == 'b' {
                    write!(self.out, "(?:(?<={w})(?!{w})|(?<!{w})(?={w}))")
                } else {
                    write!(self.out, "(?:(?<={w})(?={w})|(?<!{w})(?!{w}))")
                };
            }
            'A' | 'b' | 'B' => {
                self.out.push('\\');
                self.out.push(c);
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                let classes = self.classes();
                push_category(&mut self.out, c, classes, false);
            }
            'Z' => self.out.push_str("\\z"),
            '1'..='9' => {
                let mut digits = String::from(c);
                if let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.pos += 1;
                    digits.push(d);
                    let octal = |c: char| ('0'..='7').contains(&c);
                    if octal(c)
                        && octal(d)
                        && let Some(e) = self.peek().filter(|e| octal(*e))
                    {
                        self.pos += 1;
                        digits.push(e);
                        let code = u32::from_str_radix(&digits, 8).map_err(|e| e.to_string())?;
                        if code > 0o377 {
                            return Err(format!("octal escape value \\{digits} outside of range"));
                        }
                        push_code(&mut self.out, code);
                        return Ok(());
                    }
                }
                if digits.parse::<usize>().is_ok_and(|n| n > self.groups) {
                    return Err(format!("invalid group reference {digits}"));
                }
                let _ = write!(self.out, "(?:\\{digits})");
            }
            _ => {
                let ch = self.char_escape(c, false)?;
                self.literal(ch);
            }
        }
        Ok(())
    }

    /// The character an escape `\c` stands for (`c` already consumed), in or
    /// out of a class; categories and group references are handled by callers.
    fn char_escape(&mut self, c: char, in_class: bool) -> Result<char, String> {
        let code = match c {
            'a' => 7,
            'b' if in_class => 8,
            'f' => 0x0c,
            'n' => 0x0a,
            'r' => 0x0d,
            't' => 9,
            'v' => 0x0b,
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            'N' => return self.named(),
            '0' => self.octal('0')?,
            '1'..='7' if in_class => self.octal(c)?,
            c if c.is_ascii_alphanumeric() => return Err(format!("bad escape \\{c}")),
            c => return Ok(c),
        };
        char::from_u32(code).ok_or_else(|| format!("bad escape: code point {code:#x}"))
    }

    /// `\N{NAME}` (`\N` consumed): the character of that Unicode name, as
    /// Python 3.11 names it (see `ucd.rs`).
    fn named(&mut self) -> Result<char, String> {
        if self.peek() != Some('{') {
            return Err("missing {".into());
        }
        self.pos += 1;
        let name = self.until('}', "missing }, unterminated name")?;
        if name.is_empty() {
            return Err("missing character name".into());
        }
        crate::ucd::character_named(&name)
            .ok_or_else(|| format!("undefined character name '{name}'"))
    }

    /// An octal escape of up to three digits, the first (`first`) consumed.
    fn octal(&mut self, first: char) -> Result<u32, String> {
        let mut digits = String::from(first);
        while digits.len() < 3
            && let Some(d) = self.peek().filter(|d| ('0'..='7').contains(d))
        {
            self.pos += 1;
            digits.push(d);
        }
        let code = u32::from_str_radix(&digits, 8).map_err(|e| e.to_string())?;
        if code > 0o377 {
            return Err(format!("octal escape value \\{digits} outside of range"));
        }
        Ok(code)
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let digits: String = (0..n).filter_map(|i| self.peek_at(i)).collect();
        if digits.chars().count() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("incomplete escape \\x{digits}"));
        }
        self.pos += n;
        u32::from_str_radix(&digits, 16).map_err(|e| e.to_string())
    }

    /// `{` starts a repeat only in Python's exact forms; otherwise it is a literal.
    fn brace(&mut self, after_repeat: bool) -> Result<(), String> {
        let start = self.pos;
        self.pos += 1;
        let lo = self.digits();
        let hi = if self.peek() == Some(',') {
            self.pos += 1;
            Some(self.digits())
        } else {
            None
        };
        if self.peek() == Some('}') && !(lo.is_empty() && hi.is_none()) {
            self.pos += 1;
            let lo = if lo.is_empty() { "0".to_string() } else { lo };
            match hi {
                None => self.repeat(format_args!("{{{lo}}}"), after_repeat)?,
                Some(hi) => {
                    // Python refuses `{2,1}` (fancy-regex would take it).
                    let number = |d: &str| d.trim_start_matches('0').to_string();
                    let (l, h) = (number(&lo), number(&hi));
                    if !hi.is_empty() && (l.len(), &l) > (h.len(), &h) {
                        return Err("min repeat greater than max repeat".into());
                    }
                    self.repeat(format_args!("{{{lo},{hi}}}"), after_repeat)?;
                }
            }
        } else {
            self.pos = start + 1;
            self.atom = self.out.len();
            self.out.push_str("\\{");
        }
        Ok(())
    }

    fn digits(&mut self) -> String {
        let mut s = String::new();
        while let Some(d) = self.peek().filter(char::is_ascii_digit) {
            self.pos += 1;
            s.push(d);
        }
        s
    }

    fn group(&mut self) -> Result<(), String> {
        let at_start = self.pos == 0;
        self.pos += 1;
        if self.peek() != Some('?') {
            self.groups += 1;
            self.open(Scope::default(), false);
            self.out.push('(');
            return Ok(());
        }
        if self.starts_with("?P<") {
            self.pos += 3;
            let name = self.until('>', "missing >, unterminated name")?;
            if !is_identifier(&name) {
                return Err(format!("bad character in group name '{name}'"));
            }
            if self.names.contains(&name) {
                return Err(format!(
                    "redefinition of group name '{name}' as group {}",
                    self.groups + 1
                ));
            }
            self.names.push(name.clone());
            self.groups += 1;
            self.open(Scope::default(), false);
            let _ = write!(self.out, "(?P<{name}>");
            return Ok(());
        }
        if self.starts_with("?P=") {
            self.pos += 3;
            let name = self.until(')', "missing ), unterminated name")?;
            if !self.names.contains(&name) {
                return Err(format!("unknown group name '{name}'"));
            }
            let _ = write!(self.out, "(?P={name})");
            return Ok(());
        }
        if self.starts_with("?#") {
            self.until(')', "missing ), unterminated comment")?;
            return Ok(());
        }
        if self.starts_with("?(") {
            // Conditional: the group it tests, then `yes|no` as a group.
            self.pos += 2;
            let cond = self.until(')', "missing ), unterminated name")?;
            if let Ok(n) = cond.parse::<usize>()
                && cond.chars().all(|c| c.is_ascii_digit())
            {
                // Python checks the number once the whole pattern is read.
                self.conditions = self.conditions.max(n);
            } else if !self.names.contains(&cond) {
                return Err(format!(
                    "{} '{cond}'",
                    if is_identifier(&cond) {
                        "unknown group name"
                    } else {
                        "bad character in group name"
                    }
                ));
            }
            self.open(Scope::default(), false);
            let _ = if self.names.contains(&cond) {
                write!(self.out, "(?(<{cond}>)")
            } else {
                write!(self.out, "(?({cond})")
            };
            return Ok(());
        }
        for opener in ["?:", "?=", "?!", "?<=", "?<!", "?>"] {
            if self.starts_with(opener) {
                self.pos += opener.chars().count();
                self.open(
                    Scope::default(),
                    matches!(opener, "?=" | "?!" | "?<=" | "?<!"),
                );
                self.out.push('(');
                self.out.push_str(opener);
                return Ok(());
            }
        }
        // Inline flags: (?aiLmsux) for the whole pattern, (?imsx-imsx:...) scoped.
        self.pos += 1;
        let (mut on, mut off, mut minus) = (String::new(), String::new(), false);
        // The type flags: `a` (ASCII classes) or `u` (Unicode, the default).
        let mut kind = None;
        loop {
            match self.peek() {
                Some(c @ ('a' | 'i' | 'L' | 'm' | 's' | 'u' | 'x')) => {
                    self.pos += 1;
                    // Python's checks, in its order.
                    if minus && matches!(c, 'a' | 'L' | 'u') {
                        return Err(
                            "bad inline flags: cannot turn off flags 'a', 'u' and 'L'".into()
                        );
                    }
                    if c == 'L' {
                        return Err(
                            "bad inline flags: cannot use 'L' flag with a str pattern".into()
                        );
                    }
                    if matches!(c, 'a' | 'u') {
                        if kind.is_some_and(|k| k != c) {
                            return Err(
                                "bad inline flags: flags 'a', 'u' and 'L' are incompatible".into(),
                            );
                        }
                        kind = Some(c);
                        continue;
                    }
                    if minus { &mut off } else { &mut on }.push(c);
                }
                Some('-') if !minus => {
                    self.pos += 1;
                    minus = true;
                }
                Some(')') if !minus => {
                    self.pos += 1;
                    if !at_start {
                        return Err("global flags not at the start of the expression".into());
                    }
                    if !on.is_empty() {
                        let _ = write!(self.out, "(?{on})");
                    }
                    return Ok(());
                }
                Some(':') => {
                    self.pos += 1;
                    let flag = |f: char| {
                        if on.contains(f) {
                            Some(true)
                        } else if off.contains(f) {
                            Some(false)
                        } else {
                            None
                        }
                    };
                    let scope = Scope {
                        verbose: flag('x'),
                        ignore_case: flag('i'),
                        ascii: kind == Some('a'),
                    };
                    self.open(scope, false);
                    let off = if off.is_empty() {
                        String::new()
                    } else {
                        format!("-{off}")
                    };
                    let _ = write!(self.out, "(?{on}{off}:");
                    return Ok(());
                }
                Some(c) => return Err(format!("unknown extension ?{on}{c}")),
                None => return Err("missing ), unterminated flags".into()),
            }
        }
    }

    /// Characters up to `end` (consumed, not returned).
    fn until(&mut self, end: char, missing: &str) -> Result<String, String> {
        let mut s = String::new();
        loop {
            match self.peek() {
                None => return Err(missing.into()),
                Some(c) => {
                    self.pos += 1;
                    if c == end {
                        return Ok(s);
                    }
                    s.push(c);
                }
            }
        }
    }

    fn class(&mut self) -> Result<(), String> {
        self.pos += 1;
        let negate = self.peek() == Some('^');
        if negate {
            self.pos += 1;
        }
        let first = self.pos;
        let mut out = String::from(if negate { "[^" } else { "[" });
        let mut fold = AsciiFold::default();
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated character set".into());
            };
            self.pos += 1;
            if c == ']' && self.pos - 1 != first {
                break;
            }
            let item = self.class_item(c)?;
            if self.peek() == Some('-') {
                self.pos += 1;
                let Some(next) = self.peek() else {
                    return Err("unterminated character set".into());
                };
                self.pos += 1;
                if next == ']' {
                    fold.push_item(&item);
                    push_class_item(&mut out, &item, self.classes());
                    push_class_char(&mut out, '-');
                    break;
                }
                let hi = self.class_item(next)?;
                match (item, hi) {
                    (ClassItem::Char(lo), ClassItem::Char(hi)) if lo <= hi => {
                        fold.push_range(lo, hi);
                        push_class_char(&mut out, lo);
                        out.push('-');
                        push_class_char(&mut out, hi);
                    }
                    _ => return Err("bad character range".into()),
                }
            } else {
                fold.push_item(&item);
                push_class_item(&mut out, &item, self.classes());
            }
        }
        if self.folds_ascii_only() {
            // `(?ai)`: the members' other ASCII case, and no other folding.
            out.push_str(&fold.0);
            out.push(']');
            let _ = write!(self.out, "(?-i:{out})");
        } else {
            out.push(']');
            self.out.push_str(&out);
        }
        Ok(())
    }

    fn class_item(&mut self, c: char) -> Result<ClassItem, String> {
        if c != '\\' {
            return Ok(ClassItem::Char(c));
        }
        let Some(e) = self.peek() else {
            return Err("bad escape (end of pattern)".into());
        };
        self.pos += 1;
        if matches!(e, 'd' | 'D' | 's' | 'S' | 'w' | 'W') {
            return Ok(ClassItem::Category(e));
        }
        if matches!(e, '8' | '9') {
            return Err(format!("bad escape \\{e}"));
        }
        self.char_escape(e, true).map(ClassItem::Char)
    }
}

/// The other ASCII case of a class's letters, as class members.
#[derive(Default)]
struct AsciiFold(String);

impl AsciiFold {
    fn push_item(&mut self, item: &ClassItem) {
        if let ClassItem::Char(c) = item {
            self.push_range(*c, *c);
        }
    }

    fn push_range(&mut self, lo: char, hi: char) {
        for (from, to) in [('a', 'z'), ('A', 'Z')] {
            let (a, b) = (lo.max(from), hi.min(to));
            if a <= b {
                let _ = write!(self.0, "{}-{}", swap_case(a), swap_case(b));
            }
        }
    }
}

/// An ASCII letter in its other case.
fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn push_code(out: &mut String, code: u32) {
    let _ = write!(out, "\\x{{{code:X}}}");
}

/// A literal outside a class: `<` and `>` are plain there (escaped they
/// would be word boundaries in fancy-regex).
fn push_literal(out: &mut String, c: char) {
    if matches!(c, '<' | '>') {
        out.push(c);
    } else {
        push_class_char(out, c);
    }
}

/// A literal in a class, escaped so that no Rust class syntax (`[`, `&&`,
/// `--`, `~~`) and no `(?x)` whitespace rule applies.
fn push_class_char(out: &mut String, c: char) {
    if c.is_alphanumeric() && !c.is_whitespace() || c == '_' {
        out.push(c);
    } else if c.is_ascii_punctuation() {
        out.push('\\');
        out.push(c);
    } else {
        push_code(out, c as u32);
    }
}

fn push_class_item(out: &mut String, item: &ClassItem, classes: Classes) {
    match item {
        ClassItem::Char(c) => push_class_char(out, *c),
        ClassItem::Category(k) => push_category(out, *k, classes, true),
    }
}

/// `\\d \\D \\s \\S \\w \\W` as a class (`in_class`: the members only, or
/// a nested class for a negation, to sit inside an enclosing class).
fn push_category(out: &mut String, k: char, classes: Classes, in_class: bool) {
    let members = match (classes, k.to_ascii_lowercase()) {
        (Classes::Ascii, 'd') => "0-9",
        (Classes::Ascii, 'w') => "0-9A-Za-z_",
        (Classes::Ascii, _) => "\\x{9}-\\x{D}\\x{1C}-\\x{20}",
        (Classes::AsciiFlag, 'd') => "0-9",
        (Classes::AsciiFlag, 'w') => "0-9A-Za-z_",
        (Classes::AsciiFlag, _) => "\\x{9}-\\x{D}\\x{20}",
        (Classes::Unicode, 'd') => "\\d",
        (Classes::Unicode, 'w') => "\\w",
        (Classes::Unicode, _) => "\\s\\x{1C}-\\x{1F}",
    };
    let negated = k.is_ascii_uppercase();
    if classes == Classes::Unicode && matches!(k, 'd' | 'D' | 'w' | 'W') {
        out.push('\\');
        out.push(k);
    } else if in_class && !negated {
        out.push_str(members);
    } else {
        let _ = write!(out, "[{}{members}]", if negated { "^" } else { "" });
    }
}

#[cfg(test)]
mod tests {
    use super::{Classes, Engine, Groups, Pattern, translate};
    use crate::Limits;

    #[test]
    fn the_ascii_form_over_bytes_matches_as_the_unicode_form_on_ascii_text() {
        let limits = Limits::default();
        let texts = [
            "GigabitEthernet0/1 is up, line protocol is up ",
            "  Description: uplink, to core",
            "x",
            "",
            "MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,",
            "a\tb  c",
            "Kelvin KS s",
        ];
        for py in [
            r"(\S+)\s+is\s+(.+?),\s+line\s+protocol\s+is\s+(.+?)\s*$",
            r"\s+Description:\s+(.+?)\s*$",
            r"(?i)(kelvin)\s+(k)(s)\s+(S)",
            r"([^,]+),\s*(.*)",
            r"\bMTU\b\s+(\d+).*BW\s+(\d+\s+\w+).*DLY\s+(\d+\s+\S+),\s*$",
            r"(?s)(.*)",
            r"([\w-]+)\W*",
        ] {
            let ascii = translate(py, Classes::Ascii).unwrap();
            let engine = Engine::build(&ascii, &limits, true).unwrap();
            assert!(matches!(engine, Engine::Ascii(_)), "{py}");
            // Without its scan, so the ASCII form's engine answers.
            let mut pattern = Pattern::new(py, &limits).unwrap();
            pattern.scan = None;
            let _ = pattern.ascii.set(Ok(engine));
            for text in texts {
                let (mut a, mut u) = (Groups::default(), Groups::default());
                let got = pattern.match_groups(text, true, &mut a).unwrap();
                let want = pattern.match_groups(text, false, &mut u).unwrap();
                assert_eq!(got, want, "{py} on {text:?}");
                if got {
                    assert_eq!(a.spans, u.spans, "{py} on {text:?}");
                }
            }
        }
    }

    fn t(py: &str) -> String {
        translate(py, Classes::Unicode).unwrap()
    }

    fn err(py: &str) -> bool {
        translate(py, Classes::Unicode).is_err()
    }

    #[test]
    fn python_end_of_string_becomes_absolute_end() {
        assert_eq!(t(r"^foo\Z"), r"^foo\z");
    }

    #[test]
    fn escaped_angle_brackets_are_literals_not_word_boundaries() {
        assert_eq!(t(r"\<no date\>"), r"<no\x{20}date>");
    }

    #[test]
    fn brace_that_is_no_repeat_is_a_literal() {
        assert_eq!(t(r"\d{1-2}"), r"\d\{1\-2\}");
        assert_eq!(t(r"x{}"), r"x\{\}");
        assert!(err(r"a{2,1}"));
        assert_eq!(
            t(r"a++b*+(cd)?+e{1,2}+[f]++\.++"),
            r"(?>a+)b*+(?>(cd)?)(?>e{1,2})(?>[f]+)(?>\.+)".replace("b*+", "(?>b*)")
        );
        assert_eq!(t(r"a+?b{2}?c"), r"a+?b{2}?c");
        assert!(err(r"a+++") && err(r"a**") && err(r"a{2}{3}") && err(r"a*?+") && err(r"(?x)a+ *"));
        assert!(!err(r"(?x)a+ b*") && !err(r"a+ *") && !err(r"a{2}+"));
        assert!(err(r"(a)\2"));
        assert!(err(r"(a)(?(2)b|c)"));
        assert!(err(r"(?(x)b|c)(?P<x>a)"));
        assert_eq!(
            t(r"(a)?(?(1)b|c)(?P<x>d)?(?(x)e)"),
            r"(a)?(?(1)b|c)(?P<x>d)?(?(<x>)e)"
        );
        assert!(err(r"a{010,9}"));
        assert_eq!(t(r"a{1,1}b{09,10}c{3,}"), r"a{1,1}b{09,10}c{3,}");
        assert_eq!(
            t(r"\s{,4}a{2}b{3,}c{1,5}"),
            r"[\s\x{1C}-\x{1F}]{0,4}a{2}b{3,}c{1,5}"
        );
    }

    #[test]
    fn brackets_and_set_operators_in_a_class_are_literals() {
        assert_eq!(t(r"[^\[]"), r"[^\[]");
        assert_eq!(t(r"[[a]"), r"[\[a]");
        assert_eq!(t(r"[a&&b]"), r"[a\&\&b]");
        assert_eq!(t(r"[--]"), r"[\-\-]");
        assert_eq!(t(r"[]a]"), r"[\]a]");
        assert_eq!(t(r"[\w-]"), r"[\w\-]");
        assert_eq!(t(r"[a-z0-9.:]"), r"[a-z0-9\.\:]");
    }

    #[test]
    fn python_group_syntax_passes_through() {
        assert_eq!(t(r"(?P<a>x)(?P=a)"), r"(?P<a>x)(?P=a)");
        assert_eq!(
            t(r"(?:a)(?=b)(?!c)(?<=d)(?<!e)"),
            r"(?:a)(?=b)(?!c)(?<=d)(?<!e)"
        );
        assert_eq!(t(r"(a)\1"), r"(a)(?:\1)");
        assert_eq!(t(r"a(?#comment)b"), r"ab");
    }

    #[test]
    fn python_errors_are_kept() {
        assert!(err(r"\e"));
        assert!(err(r"(?P<a>x)(?P<a>y)"));
        assert!(err(r"a(?i)b"));
        assert!(err(r"[a"));
        assert!(err(r"[\d-z]"));
        assert!(err(r"(?L)x") && err(r"(?L:x)") && err(r"(?au)x") && err(r"(?-a:x)"));
        assert!(err(r"x(?a)") && err(r"\N{BOGUS}") && err(r"[\N{EMDASH}]"));
        assert!(err(r"\N") && err(r"\N{}") && err(r"\N{EM DASH") && err(r"\Nx"));
    }

    #[test]
    fn named_characters_are_literals() {
        for (py, want) in [
            (r"a\N{EM DASH}b", r"a\x{2014}b"),
            (r"[\N{DIGIT ZERO}-\N{latin small letter a}]", r"[0-a]"),
            (r"(?x) \N{NO-BREAK SPACE} ", r"(?x)\x{A0}"),
        ] {
            assert_eq!(t(py), want, "{py}");
        }
        assert!(err(r"[\N{latin small letter a}-\N{DIGIT ZERO}]"));
    }

    #[test]
    fn ascii_flag_spells_python_ascii_classes_in_both_forms() {
        let w = "[0-9A-Za-z_]";
        let boundary = format!("x(?:(?<={w})(?!{w})|(?<!{w})(?={w}))");
        // (pattern, Unicode form, ASCII form)
        for (py, unicode, ascii) in [
            (
                r"(?a)\d\w\s",
                r"[0-9][0-9A-Za-z_][\x{9}-\x{D}\x{20}]",
                r"[0-9][0-9A-Za-z_][\x{9}-\x{D}\x{20}]",
            ),
            (
                r"\s(?a:\S)",
                r"[\s\x{1C}-\x{1F}](?:[^\x{9}-\x{D}\x{20}])",
                r"[\x{9}-\x{D}\x{1C}-\x{20}](?:[^\x{9}-\x{D}\x{20}])",
            ),
            (r"(?a)x\b", &boundary, r"x\b"),
            // `(?ai)`: ASCII case folding only, in the Unicode form.
            (
                r"(?ai)k1é[a-cX_]",
                r"(?i)(?-i:[kK])1(?-i:é)(?-i:[a-cX_A-Cx-x])",
                r"(?i)k1é[a-cX_]",
            ),
            (r"(?a:(?i:k))k", r"(?:(?i:(?-i:[kK])))k", r"(?:(?i:k))k"),
        ] {
            assert_eq!(translate(py, Classes::Unicode).unwrap(), unicode, "{py}");
            assert_eq!(translate(py, Classes::Ascii).unwrap(), ascii, "{py}");
        }
    }

    #[test]
    fn ascii_form_spells_classes_as_ascii_sets() {
        let a = |py| translate(py, Classes::Ascii).unwrap();
        assert_eq!(a(r"\d\w"), r"[0-9][0-9A-Za-z_]");
        assert_eq!(a(r"\S+"), r"[^\x{9}-\x{D}\x{1C}-\x{20}]+");
        assert_eq!(a(r"[\w.-]"), r"[0-9A-Za-z_\.\-]");
        assert_eq!(a(r"[^\S\d]"), r"[^[^\x{9}-\x{D}\x{1C}-\x{20}]0-9]");
        assert_eq!(t(r"[\S]"), r"[[^\s\x{1C}-\x{1F}]]");
    }

    #[test]
    fn required_literal_is_a_mandatory_top_level_run() {
        use super::required_literal as r;
        assert_eq!(
            r(r"^\s+Hardware\s+is\s+(?P<X>\S+)").as_deref(),
            Some("Hardware")
        );
        assert_eq!(
            r(r"^(?P<A>\d+) packets input, (?P<B>\d+)").as_deref(),
            Some(" packets input, ")
        );
        assert_eq!(r(r"^Load\s+for\s+").as_deref(), Some("Load"));
        assert_eq!(r(r"^packets? out").as_deref(), Some("packet"));
        assert_eq!(r(r"^(?:rate|speed) x"), None);
        assert_eq!(r(r"^up|down"), None);
        assert_eq!(r(r"(?i)^Hardware"), None);
        assert_eq!(r(r"^[Hardware]+\s"), None);
        assert_eq!(r(r"^ab\.cd"), None);
        assert_eq!(r(r"^(?P<X>Hardware)"), None);
        assert_eq!(r(r"^MTUX{2} x").as_deref(), Some("MTU"));
        assert_eq!(r(r"^(?P<A>.)\s{2,16}(?P<B>\d+)"), None);
        assert_eq!(r(r"^x{1,3}abcd{1,}").as_deref(), Some("abc"));
        assert_eq!(r(r"^\x20Name:\u00e9Port\101Slot").as_deref(), Some("Name:"));
        assert_eq!(r(r"^\101\1022 ab").as_deref(), Some("2 ab"));
        assert_eq!(r(r"^\N{EM DASH}Port").as_deref(), Some("Port"));
    }

    #[test]
    fn repeated_lookaround_becomes_one_or_optional() {
        assert_eq!(t(r"a(?<=a)+b"), r"a(?<=a)b");
        assert_eq!(t(r"a(?=b)*b"), r"a(?:(?=b)|)b");
        assert_eq!(t(r"a(?!c){0,2}?b"), r"a(?:|(?!c))b");
    }

    #[test]
    fn verbose_mode_drops_whitespace_and_comments() {
        assert_eq!(t("(?x) a b # c\n d"), "(?x)abd");
        assert_eq!(t("(?x) [ ]"), r"(?x)[\x{20}]");
    }

    #[test]
    fn escapes_become_one_spelling() {
        assert_eq!(
            t(r"\t\x41\u00e9\0"),
            r"\x{9}A\x{E9}\x{0}".replace(r"\x{E9}", "é")
        );
    }
}
