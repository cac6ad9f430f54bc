//! TextFSM, the template language network engineers parse CLI output with
//! (Google's `textfsm` 2.x for Python, and the ntc-templates collection),
//! run natively and within limits, so a template nobody reviewed can neither
//! hang nor exhaust the process that parses with it.
//!
//! - [`Template`]: a compiled template; [`Template::parse_text`] gives the
//!   records as Python's `TextFSM.ParseText` does.
//! - [`Index`]: a clitable `index` file that maps platform and command to
//!   templates; [`Index::parse_output`] gives what ntc-templates'
//!   `parse_output` gives (keys lower-cased, several templates merged).
//! - [`Limits`]: the bounds every compile and parse runs under; each
//!   breach is its own [`ParseError`] or [`TemplateError`] variant.
//!
//! Regular expressions are Python's `re` syntax, rewritten for fancy-regex
//! in one place (see `pyre.rs` for each rewrite and why).

mod error;
mod fsm;
mod index;
mod prefault;
mod pyre;
mod scan;
mod template;
mod ucd;
mod ucd_aliases;

pub use error::{IndexError, ParseError, TemplateError};
pub use fsm::{BorrowedRecords, Cell, Item, Records, Table};
pub use index::{Index, IndexRow, OutputRecords, Parsed};
pub use prefault::populate_spare;
pub use template::{Template, ValueOption};

use std::time::Duration;

/// Bounds on compiling a template and on one parse. The defaults let any
/// real template through and stop hostile ones quickly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest template file, bytes.
    pub max_template_bytes: usize,
    /// Largest compiled program of one regex (the regex crate's size
    /// limit), bytes.
    pub regex_size: usize,
    /// Backtracking steps one regex match may take (lookaround and
    /// backreferences backtrack; everything else runs in linear time).
    pub backtrack_steps: usize,
    /// Largest input of one parse, bytes.
    pub max_input_bytes: usize,
    /// Rule evaluations (one regex tried on one line) per parse.
    pub max_steps: u64,
    /// Wall-clock time per parse, checked between rule evaluations.
    pub time_budget: Duration,
    /// Size of the records a parse may produce (text plus 16 bytes per
    /// value), bytes.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: 1 << 20,
            regex_size: 2 << 20,
            backtrack_steps: 1_000_000,
            max_input_bytes: 8 << 20,
            max_steps: 50_000_000,
            time_budget: Duration::from_secs(10),
            max_output_bytes: 64 << 20,
        }
    }
}

/// Python's `str.splitlines()`: the lines of `text` without their
/// terminators, which are `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`–`\x1e`,
/// `\u{85}`, `\u{2028}` and `\u{2029}`.
pub fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    // `\n` and `\r` end nearly every line, and are found fast; the other
    // terminators are looked for line by line only in a text that has one
    // of their (first) bytes at all.
    let rare = memchr::memchr3(0x0b, 0x0c, 0x1c, text.as_bytes()).is_some()
        || memchr::memchr3(0x1d, 0x1e, 0xc2, text.as_bytes()).is_some()
        || memchr::memchr(0xe2, text.as_bytes()).is_some();
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let common = memchr::memchr2(b'\n', b'\r', rest.as_bytes());
        let cut = if rare {
            rare_terminator(&rest[..common.unwrap_or(rest.len())]).or(common)
        } else {
            common
        };
        match cut {
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
            Some(i) => {
                let line = &rest[..i];
                let terminator = rest[i..].chars().next().map_or(1, char::len_utf8);
                let skip = if rest[i..].starts_with("\r\n") {
                    2
                } else {
                    terminator
                };
                rest = &rest[i + skip..];
                Some(line)
            }
        }
    })
}

/// Where the first line terminator other than `\n` and `\r` is in `text`.
fn rare_terminator(text: &str) -> Option<usize> {
    text.find(|c: char| {
        matches!(
            c,
            '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    })
}

#[cfg(test)]
mod tests {
    use super::split_lines;

    #[test]
    fn lines_split_as_python_splitlines_does() {
        let lines: Vec<&str> = split_lines("a\r\nb\rc\n\nd\x0ce\u{2028}f\n").collect();
        assert_eq!(lines, ["a", "b", "c", "", "d", "e", "f"]);
        assert_eq!(split_lines("").count(), 0);
        assert_eq!(split_lines("\n").collect::<Vec<_>>(), [""]);
        // Without any rare terminator only `\n` and `\r` split.
        assert_eq!(
            split_lines("a b\r\n\tc\r\rd").collect::<Vec<_>>(),
            ["a b", "\tc", "", "d"]
        );
        assert_eq!(
            split_lines("é\u{85}x\u{2029}").collect::<Vec<_>>(),
            ["é", "x"]
        );
    }
}
