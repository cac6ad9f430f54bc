//! Terminal line discipline shared by the CLI engines: Enter in all its forms,
//! escape sequences, editing keys, and the pager's page-by-page output.

/// A key that ends or interrupts the line being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// Nothing to act on (a character was typed, erased or ignored).
    None,
    /// Enter: the line typed.
    Enter(String),
    /// Ctrl-C (the line is dropped).
    Interrupt,
    /// Ctrl-Z.
    Suspend,
    /// Ctrl-D.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    Start,
    Csi,
}

/// The line being typed.
#[derive(Debug)]
pub(crate) struct LineEditor {
    line: String,
    last_cr: bool,
    esc: Esc,
    max: usize,
}

impl LineEditor {
    /// An empty line of at most `max` characters (more are dropped).
    pub(crate) fn new(max: usize) -> LineEditor {
        LineEditor {
            line: String::new(),
            last_cr: false,
            esc: Esc::None,
            max,
        }
    }

    /// `\r`, `\n`, `\r\n` and `\r\0` are all one Enter: returns the byte to act on
    /// (`\n` turned into `\r`), or `None` for the second half of a pair.
    pub(crate) fn normalize(&mut self, raw: u8) -> Option<u8> {
        if (raw == b'\n' || raw == 0) && self.last_cr {
            self.last_cr = false;
            return None;
        }
        self.last_cr = raw == b'\r';
        Some(if raw == b'\n' { b'\r' } else { raw })
    }

    /// Applies one (normalised) byte; appends what the terminal shows to `echo`
    /// (nothing for typed characters when `hidden`, as for passwords).
    pub(crate) fn edit(&mut self, b: u8, hidden: bool, echo: &mut Vec<u8>) -> Key {
        match self.esc {
            Esc::Start => {
                self.esc = if b == b'[' || b == b'O' {
                    Esc::Csi
                } else {
                    Esc::None
                };
                return Key::None;
            }
            Esc::Csi => {
                if (0x40..=0x7e).contains(&b) {
                    self.esc = Esc::None;
                }
                return Key::None;
            }
            Esc::None => {}
        }
        match b {
            0x1b => self.esc = Esc::Start,
            b'\r' => return Key::Enter(std::mem::take(&mut self.line)),
            0x7f | 0x08 if self.line.pop().is_some() && !hidden => {
                echo.extend_from_slice(b"\x08 \x08");
            }
            // Ctrl-U / Ctrl-X: erase the line.
            0x15 | 0x18 => {
                if !hidden {
                    for _ in 0..self.line.len() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                self.line.clear();
            }
            0x03 => {
                self.line.clear();
                return Key::Interrupt;
            }
            0x1a => {
                self.line.clear();
                return Key::Suspend;
            }
            0x04 => return Key::Eof,
            0x09 | 0x20..=0x7e if self.line.len() < self.max => {
                self.line.push(b as char);
                if !hidden {
                    echo.push(b);
                }
            }
            _ => {}
        }
        Key::None
    }
}

/// Appends `text` with `\n` turned into `\r\n`.
pub(crate) fn crlf(text: &str, out: &mut Vec<u8>) {
    for (i, part) in text.split('\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(part.as_bytes());
    }
}

/// Writes up to `lines` lines of `text` from byte `pos` to `out`; returns where
/// the rest starts when some is left for the pager.
pub(crate) fn page(text: &str, mut pos: usize, lines: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut shown = 0;
    while pos < text.len() && shown < lines {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        crlf(&text[pos..end], out);
        pos = end;
        shown += 1;
    }
    (pos < text.len()).then_some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_forms_escapes_and_editing() {
        let mut ed = LineEditor::new(8);
        let mut echo = Vec::new();
        let mut keys = Vec::new();
        for raw in b"ab\x1b[Dc\x7f\r\nx\r\0\x15" {
            if let Some(b) = ed.normalize(*raw) {
                keys.push(ed.edit(b, false, &mut echo));
            }
        }
        assert!(keys.contains(&Key::Enter("ab".into())));
        assert!(keys.contains(&Key::Enter("x".into())));
        assert_eq!(
            keys.iter().filter(|k| matches!(k, Key::Enter(_))).count(),
            2
        );
        assert_eq!(echo, b"abc\x08 \x08x");
        let mut hidden = Vec::new();
        ed.edit(b's', true, &mut hidden);
        assert!(hidden.is_empty());
        assert_eq!(ed.edit(b'\r', true, &mut hidden), Key::Enter("s".into()));
    }

    #[test]
    fn paging() {
        let mut out = Vec::new();
        assert_eq!(page("a\nb\nc\n", 0, 2, &mut out), Some(4));
        assert_eq!(out, b"a\r\nb\r\n");
        assert_eq!(page("a\nb\nc\n", 4, 2, &mut out), None);
    }
}
