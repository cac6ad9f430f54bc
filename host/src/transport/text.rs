//! Turning what a terminal received into the text a person would see:
//! ANSI escapes removed, backspaces and carriage returns applied as a
//! terminal applies them, line endings folded to `\n`.

/// Remove ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
/// two-byte `ESC x`) and other control bytes except `\n`, `\r`, `\t` and
/// backspace, which [`render`] interprets.
pub fn strip_ansi(input: &str) -> String {
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

/// Apply carriage returns and backspaces line by line, as a terminal would,
/// and fold `\r\n`, `\r\r\n` and `\n\r` to `\n`. Trailing blanks of each line
/// are dropped. Input should already have passed [`strip_ansi`].
pub fn render(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut line: Vec<char> = Vec::new();
    let mut cursor = 0usize;
    for c in input.chars() {
        match c {
            '\n' => {
                push_line(&mut out, &line);
                out.push('\n');
                line.clear();
                cursor = 0;
            }
            '\r' => cursor = 0,
            '\x08' => cursor = cursor.saturating_sub(1),
            c => {
                if cursor < line.len() {
                    line[cursor] = c;
                } else {
                    line.push(c);
                }
                cursor += 1;
            }
        }
    }
    push_line(&mut out, &line);
    out
}

fn push_line(out: &mut String, line: &[char]) {
    let end = line
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |i| i + 1);
    out.extend(&line[..end]);
}

/// Everything a person would see in `raw`: [`strip_ansi`] then [`render`].
pub fn normalise(raw: &str) -> String {
    render(&strip_ansi(raw))
}

/// The last line of `raw` as a person would see it, looking at most at the
/// last `window` bytes: prompts and pagers are matched against this.
pub fn last_line(raw: &str, window: usize) -> String {
    let mut start = raw.len().saturating_sub(window);
    while !raw.is_char_boundary(start) {
        start += 1;
    }
    let tail = &raw[start..];
    let tail = match tail.rfind('\n') {
        Some(i) => &tail[i + 1..],
        None => tail,
    };
    // Unlike `render`, keep the trailing blank: prompts end in "# " or "> ".
    let stripped = strip_ansi(tail);
    let mut line: Vec<char> = Vec::new();
    let mut cursor = 0usize;
    for c in stripped.chars() {
        match c {
            '\r' => cursor = 0,
            '\x08' => cursor = cursor.saturating_sub(1),
            c => {
                if cursor < line.len() {
                    line[cursor] = c;
                } else {
                    line.push(c);
                }
                cursor += 1;
            }
        }
    }
    line.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn last_line_keeps_the_prompts_trailing_blank() {
        assert_eq!(last_line("output\r\n\x1b[?2004hr1# ", 4096), "r1# ");
        assert_eq!(last_line("x\r\nr1>", 2), "1>");
    }
}
