//! Small helpers for parsing CLI text, shared by parsers in any driver.

use std::fmt;

/// Compile a regular expression written as a literal in a parser.
///
/// For statics (`LazyLock::new(|| re(r"^Version (\S+)"))`): every literal
/// is compiled by the parser's unit tests, so the panic cannot happen in a
/// shipped plugin; a typo fails the plugin's tests, naming the pattern.
pub fn re(pattern: &str) -> regex::Regex {
    match regex::Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("regex literal `{pattern}` does not compile: {e}"),
    }
}

/// A parser failure, with the line or field that did not fit. Parsers
/// return it so they can be tested natively; the driver SDK turns it into
/// the WIT `parse-error` (`From` in `netrun_guest::driver`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The command is not one this parser knows.
    Unsupported(String),
    /// The output does not look like the command's output.
    Unexpected(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unsupported(msg) => write!(f, "unsupported command: {msg}"),
            ParseError::Unexpected(msg) => write!(f, "unexpected output: {msg}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Resolve a CLI abbreviation to the one of `commands` it stands for
/// (`"sh ver"` → `"show version"`), `None` if it names none of them.
///
/// As on IOS and EOS, matching is case-insensitive, extra blanks are
/// ignored, and each word may be shortened to any prefix at least as long
/// as `min_abbreviation` says for that keyword (the whole keyword when it
/// is not listed). Arguments and pipes are not accepted.
pub fn resolve_abbreviation(
    command: &str,
    commands: &[&'static str],
    min_abbreviation: &[(&str, usize)],
) -> Option<&'static str> {
    let min = |keyword: &str| {
        min_abbreviation
            .iter()
            .find(|(word, _)| *word == keyword)
            .map_or(keyword.len(), |(_, len)| *len)
    };
    let words: Vec<String> = command
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    commands.iter().copied().find(|full| {
        let keywords: Vec<&str> = full.split(' ').collect();
        keywords.len() == words.len()
            && keywords.iter().zip(&words).all(|(keyword, word)| {
                word.len() >= min(keyword) && keyword.starts_with(word.as_str())
            })
    })
}

/// Shorten `line` for an error message (80 characters and `…`).
pub fn excerpt(line: &str) -> String {
    const MAX: usize = 80;
    let line = line.trim();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Split `output` into lines with trailing white space removed, dropping the
/// `\r` of `\r\n` endings.
pub fn lines(output: &str) -> impl Iterator<Item = &str> {
    output.lines().map(|l| l.trim_end())
}

/// Parse a counter such as `1234` or `1,234` into a number.
pub fn counter(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|c| *c != ',').collect();
    digits.parse().ok()
}

/// Columns of a fixed-width table row, split on runs of two or more spaces
/// or on single spaces, whichever the header's column starts say.
///
/// `starts` are the byte offsets where each column begins (taken from the
/// header line with [`column_starts`]).
pub fn columns<'a>(row: &'a str, starts: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(row.len());
        let s = start.min(row.len());
        let e = end.min(row.len()).max(s);
        out.push(row.get(s..e).unwrap_or("").trim());
    }
    out
}

/// Byte offsets where each of `names` begins in `header`, or `None` when a
/// name is missing (the output is not the table expected).
pub fn column_starts(header: &str, names: &[&str]) -> Option<Vec<usize>> {
    names.iter().map(|n| header.find(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_resolve_down_to_their_minimum() {
        let commands = &["show version", "show ip interface brief"];
        let min = &[
            ("show", 2),
            ("version", 3),
            ("ip", 2),
            ("interface", 3),
            ("brief", 2),
        ];
        assert_eq!(
            resolve_abbreviation("SH  ver", commands, min),
            Some("show version")
        );
        assert_eq!(
            resolve_abbreviation("sh ip int br", commands, min),
            Some("show ip interface brief")
        );
        assert_eq!(resolve_abbreviation("s ver", commands, min), None);
        assert_eq!(resolve_abbreviation("sh ve", commands, min), None);
        assert_eq!(resolve_abbreviation("sh ver | inc x", commands, min), None);
    }

    #[test]
    fn excerpt_shortens_long_lines() {
        assert_eq!(excerpt(&"x".repeat(200)).chars().count(), 81);
        assert_eq!(excerpt("  short  "), "short");
    }

    #[test]
    fn counter_accepts_thousands_separators() {
        assert_eq!(counter("1,234,567"), Some(1_234_567));
        assert_eq!(counter("12"), Some(12));
        assert_eq!(counter("x"), None);
    }

    #[test]
    fn columns_follow_header_offsets() {
        let header = "Interface   IP-Address  Status";
        let starts = column_starts(header, &["Interface", "IP-Address", "Status"]).unwrap();
        let row = "Gi0/0       10.0.0.1    up";
        assert_eq!(columns(row, &starts), vec!["Gi0/0", "10.0.0.1", "up"]);
        assert!(column_starts(header, &["Nope"]).is_none());
    }
}
