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
//! | `(?x)` comments and whitespace | (dropped)              | read here, where class and escape rules are Python's |
//!
//! Python's own errors are kept: an unknown escape such as `\e`, a group name
//! defined twice, global flags not at the start. `(?a)` and `(?L)` (ASCII and
//! locale matching) have no fancy-regex equivalent and are refused.

use crate::Limits;
use std::fmt::Write as _;

/// Compile Python pattern `py` as `re.match` uses it: anchored at the start
/// of the text, within the regex size and backtracking limits.
pub(crate) fn compile(py: &str, limits: &Limits) -> Result<fancy_regex::Regex, String> {
    let translated = translate(py)?;
    fancy_regex::RegexBuilder::new(&format!("\\A(?:{translated})"))
        .backtrack_limit(limits.backtrack_steps)
        .delegate_size_limit(limits.regex_size)
        .delegate_dfa_size_limit(limits.regex_size)
        .build()
        .map_err(|e| e.to_string())
}

/// Rewrite the Python pattern `py`; the error is Python's complaint.
pub(crate) fn translate(py: &str) -> Result<String, String> {
    Translator {
        src: py.chars().collect(),
        pos: 0,
        out: String::with_capacity(py.len() + 16),
        names: Vec::new(),
        verbose: Vec::new(),
        lookaround: Vec::new(),
        global_verbose: false,
    }
    .run()
}

struct Translator {
    src: Vec<char>,
    pos: usize,
    out: String,
    names: Vec<String>,
    /// Verbose flag of each open group (`None`: inherits).
    verbose: Vec<Option<bool>>,
    /// Of each open group: where its output starts, when it is a lookaround.
    lookaround: Vec<Option<usize>>,
    global_verbose: bool,
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

    fn is_verbose(&self) -> bool {
        self.verbose
            .iter()
            .rev()
            .find_map(|v| *v)
            .unwrap_or(self.global_verbose)
    }

    fn run(mut self) -> Result<String, String> {
        // `(?x)` at the very start makes the whole pattern verbose, as in Python.
        if let Some(flags) = self.leading_global_flags()
            && flags.contains('x')
        {
            self.global_verbose = true;
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
            match c {
                '\\' => self.escape()?,
                '[' => self.class()?,
                '{' => self.brace(),
                '}' => {
                    self.pos += 1;
                    self.out.push_str("\\}");
                }
                '(' => self.group()?,
                ')' => {
                    self.pos += 1;
                    if self.verbose.pop().is_none() {
                        return Err("unbalanced parenthesis".into());
                    }
                    self.out.push(')');
                    if let Some(Some(start)) = self.lookaround.pop() {
                        self.repeated_assertion(start);
                    }
                }
                _ => {
                    self.pos += 1;
                    if matches!(c, '.' | '^' | '$' | '|' | '*' | '+' | '?') {
                        self.out.push(c);
                    } else {
                        push_literal(&mut self.out, c);
                    }
                }
            }
        }
        if !self.verbose.is_empty() {
            return Err("missing ), unterminated subpattern".into());
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

    /// Note a group opening (its `(` not yet written).
    fn open(&mut self, verbose: Option<bool>, lookaround: bool) {
        self.verbose.push(verbose);
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
            'A' | 'b' | 'B' | 'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                self.out.push('\\');
                self.out.push(c);
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
                let _ = write!(self.out, "(?:\\{digits})");
            }
            _ => {
                let ch = self.char_escape(c, false)?;
                push_literal(&mut self.out, ch);
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
            '0' => self.octal('0')?,
            '1'..='7' if in_class => self.octal(c)?,
            c if c.is_ascii_alphanumeric() => return Err(format!("bad escape \\{c}")),
            c => return Ok(c),
        };
        char::from_u32(code).ok_or_else(|| format!("bad escape: code point {code:#x}"))
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
    fn brace(&mut self) {
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
                None => {
                    let _ = write!(self.out, "{{{lo}}}");
                }
                Some(hi) => {
                    let _ = write!(self.out, "{{{lo},{hi}}}");
                }
            }
        } else {
            self.pos = start + 1;
            self.out.push_str("\\{");
        }
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
            self.open(None, false);
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
                    self.names.len() + 1
                ));
            }
            self.names.push(name.clone());
            self.open(None, false);
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
        for opener in ["?:", "?=", "?!", "?<=", "?<!", "?>", "?("] {
            if self.starts_with(opener) {
                self.pos += opener.chars().count();
                self.open(None, matches!(opener, "?=" | "?!" | "?<=" | "?<!"));
                self.out.push('(');
                self.out.push_str(opener);
                return Ok(());
            }
        }
        // Inline flags: (?aiLmsux) for the whole pattern, (?imsx-imsx:...) scoped.
        self.pos += 1;
        let (mut on, mut off, mut minus) = (String::new(), String::new(), false);
        loop {
            match self.peek() {
                Some(c @ ('a' | 'i' | 'L' | 'm' | 's' | 'u' | 'x')) => {
                    self.pos += 1;
                    if c == 'a' || c == 'L' {
                        return Err(format!(
                            "flag `{c}` (ASCII/locale matching) is not supported"
                        ));
                    }
                    if c == 'u' {
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
                    let verbose = if on.contains('x') {
                        Some(true)
                    } else if off.contains('x') {
                        Some(false)
                    } else {
                        None
                    };
                    self.open(verbose, false);
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
                    push_class_item(&mut out, &item);
                    push_class_char(&mut out, '-');
                    break;
                }
                let hi = self.class_item(next)?;
                match (item, hi) {
                    (ClassItem::Char(lo), ClassItem::Char(hi)) if lo <= hi => {
                        push_class_char(&mut out, lo);
                        out.push('-');
                        push_class_char(&mut out, hi);
                    }
                    _ => return Err("bad character range".into()),
                }
            } else {
                push_class_item(&mut out, &item);
            }
        }
        out.push(']');
        self.out.push_str(&out);
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

fn push_class_item(out: &mut String, item: &ClassItem) {
    match item {
        ClassItem::Char(c) => push_class_char(out, *c),
        ClassItem::Category(k) => {
            out.push('\\');
            out.push(*k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn t(py: &str) -> String {
        translate(py).unwrap()
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
        assert_eq!(t(r"\s{,4}a{2}b{3,}c{1,5}"), r"\s{0,4}a{2}b{3,}c{1,5}");
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
        assert!(translate(r"\e").is_err());
        assert!(translate(r"(?P<a>x)(?P<a>y)").is_err());
        assert!(translate(r"a(?i)b").is_err());
        assert!(translate(r"[a").is_err());
        assert!(translate(r"[\d-z]").is_err());
        assert!(translate(r"(?a)x").is_err());
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
