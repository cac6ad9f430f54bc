//! Turning what a terminal received into the text a person would see:
//! ANSI escapes removed, backspaces and carriage returns applied as a
//! terminal applies them, line endings folded to `\n`.

use std::borrow::Cow;

/// Remove ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
/// two-byte `ESC x`) and other control bytes except `\n`, `\r`, `\t` and
/// backspace, which [`render`] interprets.
pub fn strip_ansi(input: &str) -> String {
    // Most output is plain text: copy it whole. 0xC2 leads the UTF-8 of C1
    // controls (U+0080-U+009F), so text holding it takes the long way.
    let plain =
        |b: &u8| matches!(b, 0x20..=0x7e | b'\n' | b'\r' | b'\t' | 0x08 | 0x80..=0xc1 | 0xc3..);
    // A chunk is folded whole (no early exit), which the compiler turns
    // into vector compares: a byte at a time cost 7 instructions a byte.
    let all_plain = input
        .as_bytes()
        .chunks(64)
        .all(|chunk| chunk.iter().fold(true, |all, b| all & plain(b)));
    if all_plain {
        return input.to_string();
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some('(' | ')') => {
                    chars.next();
                }
                _ => {}
            },
            '\n' | '\r' | '\t' | '\x08' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One line of a terminal: characters written at a cursor that carriage
/// returns move to column 0 and backspaces move left.
#[derive(Default)]
struct TermLine {
    chars: Vec<char>,
    cursor: usize,
}

impl TermLine {
    fn put(&mut self, c: char) {
        match c {
            '\r' => self.cursor = 0,
            '\x08' => self.cursor = self.cursor.saturating_sub(1),
            c => {
                if self.cursor < self.chars.len() {
                    self.chars[self.cursor] = c;
                } else {
                    self.chars.push(c);
                }
                self.cursor += 1;
            }
        }
    }

    /// The line as shown, without trailing blanks.
    fn trimmed(&self) -> &[char] {
        let end = self
            .chars
            .iter()
            .rposition(|c| !c.is_whitespace())
            .map_or(0, |i| i + 1);
        &self.chars[..end]
    }
}

/// Apply carriage returns and backspaces line by line, as a terminal would,
/// and fold `\r\n`, `\r\r\n` and `\n\r` to `\n`. Trailing blanks of each line
/// are dropped. Input should already have passed [`strip_ansi`].
pub fn render(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    // The line breaks found with one vector scan of the text: `split`
    // searches from each one again, which costs more on short lines.
    let breaks = memchr::memchr_iter(b'\n', input.as_bytes()).chain([input.len()]);
    let mut start = 0;
    for end in breaks {
        // `\n` is ASCII: both ends are character boundaries.
        let raw = &input[start..end];
        if start > 0 {
            out.push('\n');
        }
        start = end + 1;
        // Carriage returns at either end move the cursor to where it
        // already is (`\r\n`, `\n\r`): a line with no other one and no
        // backspace shows as it came.
        let line = raw.trim_matches('\r');
        if memchr::memchr2(b'\r', b'\x08', line.as_bytes()).is_some() {
            let mut term = TermLine::default();
            line.chars().for_each(|c| term.put(c));
            out.extend(term.trimmed());
        } else {
            out.push_str(line.trim_end());
        }
    }
    out
}

/// Bytes received as text: moved as they are when they are UTF-8 (nearly
/// always), else with U+FFFD for each byte that is not.
pub fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Everything a person would see in `raw`: [`strip_ansi`] then [`render`].
pub fn normalise(raw: &str) -> String {
    render(&strip_ansi(raw))
}

/// Whether `text` shows on a terminal as written: printable characters and
/// tabs only, no line break, carriage return, backspace or escape to apply
/// (no byte below 0x20 but tab, no DEL, no C1 control, whose UTF-8 starts
/// with 0xC2). Most prompts and most lines a device sends.
fn shows_as_written(text: &str) -> bool {
    // Folded whole, as in `strip_ansi`, so the compiler vectorises it.
    text.as_bytes().chunks(64).all(|chunk| {
        chunk.iter().fold(true, |all, b| {
            all & matches!(b, 0x20..=0x7e | b'\t' | 0x80..=0xc1 | 0xc3..)
        })
    })
}

/// The bytes of `raw` from at most `window` before its end, from a char
/// boundary.
fn window_of(raw: &str, window: usize) -> &str {
    let mut start = raw.len().saturating_sub(window);
    while !raw.is_char_boundary(start) {
        start += 1;
    }
    &raw[start..]
}

/// The last line of `raw` as a person would see it, looking at most at the
/// last `window` bytes: prompts and pagers are matched against this. A
/// line with nothing to apply is borrowed as it is.
pub fn last_line(raw: &str, window: usize) -> Cow<'_, str> {
    let tail = window_of(raw, window);
    let tail = match tail.rfind('\n') {
        Some(i) => &tail[i + 1..],
        None => tail,
    };
    if shows_as_written(tail) {
        return Cow::Borrowed(tail);
    }
    let mut line = TermLine::default();
    strip_ansi(tail).chars().for_each(|c| line.put(c));
    // Unlike `render`, keep the trailing blank: prompts end in "# " or "> ".
    Cow::Owned(line.chars.into_iter().collect())
}

/// The last `lines` lines of `raw` as a person would see them, joined by
/// `\n`, looking at most at the last `window` bytes: a prompt that spans
/// lines (SR OS MD-CLI's `[/]` context line above `A:admin@node#`) is
/// matched against this. One line is [`last_line`].
pub fn last_lines(raw: &str, window: usize, lines: usize) -> Cow<'_, str> {
    if lines <= 1 {
        return last_line(raw, window);
    }
    let tail = window_of(raw, window);
    let from = tail
        .rmatch_indices('\n')
        .nth(lines - 1)
        .map_or(0, |(i, _)| i + 1);
    let pieces: Vec<&str> = tail[from..].split('\n').collect();
    let mut out = String::new();
    for (n, piece) in pieces.iter().enumerate() {
        let mut line = TermLine::default();
        strip_ansi(piece).chars().for_each(|c| line.put(c));
        if n + 1 < pieces.len() {
            // Lines above the last end at their last visible character.
            out.extend(line.trimmed());
            out.push('\n');
        } else {
            // The last keeps its trailing blank, as `last_line` does.
            out.extend(line.chars);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_bytes_become_text_with_replacement_characters_where_not_utf8() {
        assert_eq!(into_text(b"R1#".to_vec()), "R1#");
        assert_eq!(into_text("caf\u{e9}\n".as_bytes().to_vec()), "caf\u{e9}\n");
        assert_eq!(into_text(b"a\xffb\xe9".to_vec()), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn last_lines_render_each_line_and_keep_the_prompts_blank() {
        let raw = "output\r\n\r\n\x1b[1m[/]\x1b[0m  \r\nA:admin@node-1# ";
        assert_eq!(last_lines(raw, 4096, 2), "[/]\nA:admin@node-1# ");
        assert_eq!(last_lines(raw, 4096, 3), "\n[/]\nA:admin@node-1# ");
        assert_eq!(last_lines(raw, 4096, 1), last_line(raw, 4096));
        // Fewer lines than asked: all of them.
        assert_eq!(last_lines("A:node#", 4096, 2), "A:node#");
    }

    #[test]
    fn ansi_colour_and_bracketed_paste_codes_are_removed() {
        assert_eq!(strip_ansi("\x1b[?2004hr1#\x1b[0m"), "r1#");
        assert_eq!(strip_ansi("\x1b[1;32mup\x1b[m down"), "up down");
        assert_eq!(strip_ansi("\x1b]0;title\x07r1>"), "r1>");
    }

    #[test]
    fn odd_line_endings_fold_to_newlines() {
        assert_eq!(normalise("a\r\r\nb\r\nc\n"), "a\nb\nc\n");
    }

    #[test]
    fn backspaces_and_carriage_returns_overwrite_like_a_terminal() {
        assert_eq!(normalise("shw\x08\x08how"), "show");
        // An IOS pager erased with backspaces, then the next line written over it.
        assert_eq!(
            normalise(
                " --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line 25"
            ),
            "line 25"
        );
        // Erased with a carriage return and blanks.
        assert_eq!(normalise("--More--\r        \rnext"), "next");
    }

    /// Every string of up to `most` of `pieces`.
    fn strings_of(pieces: &[&str], most: usize) -> Vec<String> {
        let mut strings = vec![String::new()];
        for _ in 0..most {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            strings.extend(longer);
        }
        strings
    }

    /// The terminal model, character by character, with no shortcut.
    fn render_slowly(input: &str) -> String {
        let mut out = String::new();
        let mut line = TermLine::default();
        for c in input.chars() {
            if c == '\n' {
                out.extend(line.trimmed());
                out.push('\n');
                line = TermLine::default();
            } else {
                line.put(c);
            }
        }
        out.extend(line.trimmed());
        out
    }

    #[test]
    fn plain_lines_take_the_short_way_to_the_same_text() {
        let pieces = ["ab", " ", "\r", "\n", "\x08", "\t", "é", "\u{a0}", "#"];
        for input in &strings_of(&pieces, 4) {
            assert_eq!(render(input), render_slowly(input), "{input:?}");
        }
    }

    #[test]
    fn control_bytes_beyond_ascii_are_still_removed() {
        assert_eq!(strip_ansi("a\u{85}b\u{9b}c é"), "abc é");
        assert_eq!(strip_ansi("plain\r\n text\t\x08"), "plain\r\n text\t\x08");
        assert_eq!(strip_ansi("bell\x07 del\x7f"), "bell del");
    }

    #[test]
    fn last_line_keeps_the_prompts_trailing_blank() {
        assert_eq!(last_line("output\r\n\x1b[?2004hr1# ", 4096), "r1# ");
        assert_eq!(last_line("x\r\nr1>", 2), "1>");
    }

    #[test]
    fn a_plain_last_line_is_borrowed_and_matches_the_terminal_model() {
        assert!(matches!(
            last_line("out\nr1# ", 4096),
            Cow::Borrowed("r1# ")
        ));
        assert!(matches!(last_line("caf\u{e9}\tx#", 4096), Cow::Borrowed(_)));
        // Anything to apply takes the long way, to the same text as the
        // terminal model gives.
        let pieces = [
            "ab", " ", "\r", "\x08", "\t", "\u{e9}", "\u{85}", "\x1b[0m", "\x07", "\x7f", "#",
        ];
        for input in &strings_of(&pieces, 3) {
            let mut line = TermLine::default();
            strip_ansi(input).chars().for_each(|c| line.put(c));
            let slow: String = line.chars.into_iter().collect();
            assert_eq!(last_line(input, 4096), slow, "{input:?}");
        }
    }
}
