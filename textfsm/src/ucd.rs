//! The Unicode character database as Python 3.11 reads it (its
//! `unicodedata` is Unicode 14.0): a character by its name, as `\N{NAME}`
//! looks it up, and `str.isprintable`, as `repr()` escapes.
//!
//! The general categories and each character's age come from the regex
//! crate's own tables (`regex-syntax`, Unicode 16.0), the names from
//! `unicode_names2` (Unicode 17.0). A character assigned after Unicode 14.0
//! is unassigned to Python 3.11, so both are held to age 14.0: such a
//! character is escaped in `repr()` and its name is unknown, as in Python
//! 3.11. No general category that decides `isprintable` changed for a
//! character of Unicode 14.0 since: every code point is checked against
//! Python 3.11's own answer (`tests/python_isprintable.json`). Name aliases
//! (`LINE FEED`, `BYTE ORDER MARK`) come from a table of the ones Python
//! 3.11 takes, spelled exactly (`ucd_aliases.rs`): the crate's own lookup
//! also takes aliases added after 14.0 and aliases with their spaces left
//! out (`LINEFEED`), which Python refuses.

use crate::ucd_aliases::NAME_ALIASES;
use regex_syntax::hir::{Class, HirKind};
use std::cmp::Ordering;
use std::sync::OnceLock;

/// The ranges of a Unicode class in regex syntax (a constant, known valid).
fn ranges(class: &str) -> Box<[(char, char)]> {
    let hir = regex_syntax::Parser::new().parse(class);
    match hir.as_ref().map(|h| h.kind()) {
        Ok(HirKind::Class(Class::Unicode(c))) => {
            c.ranges().iter().map(|r| (r.start(), r.end())).collect()
        }
        other => unreachable!("{class} is no Unicode class: {other:?}"),
    }
}

fn contains(ranges: &[(char, char)], c: char) -> bool {
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                Ordering::Less
            } else if lo > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// Python 3.11's `str.isprintable` for one character: not in the general
/// categories Cc, Cf, Cs, Co, Cn (unassigned in Unicode 14.0), Zl, Zp, Zs,
/// the ASCII space excepted.
pub(crate) fn python_printable(c: char) -> bool {
    static PRINTABLE: OnceLock<Box<[(char, char)]>> = OnceLock::new();
    c == ' '
        || (c.is_ascii() && !c.is_ascii_control())
        || contains(
            PRINTABLE.get_or_init(|| ranges(r"[\p{Age=14.0}&&[^\p{C}\p{Z}]]")),
            c,
        )
}

/// Assigned in Unicode 14.0 (noncharacters and surrogates included).
fn assigned(c: char) -> bool {
    static ASSIGNED: OnceLock<Box<[(char, char)]>> = OnceLock::new();
    contains(ASSIGNED.get_or_init(|| ranges(r"\p{Age=14.0}")), c)
}

/// The character Python's `unicodedata.lookup(name)` gives (a name or a
/// name alias, any letter case, spelled exactly otherwise), as `\N{name}`
/// reads it: `None` where Python finds none.
pub(crate) fn character_named(name: &str) -> Option<char> {
    // Python compares names as written, letter case aside; the crate's
    // loose matching also takes `EMDASH` or `em_dash`, which Python refuses.
    let upper = name.to_ascii_uppercase();
    // Words of letters, digits and hyphens (`TIBETAN LETTER -A`), one space
    // apart.
    let shaped = upper.split(' ').all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    });
    if !shaped {
        return None;
    }
    // A name alias Python 3.11 takes, spelled exactly.
    if let Ok(at) = NAME_ALIASES.binary_search_by(|(alias, _)| (*alias).cmp(upper.as_str())) {
        return Some(NAME_ALIASES[at].1);
    }
    let c = unicode_names2::character(&upper)?;
    if !assigned(c) {
        return None;
    }
    match unicode_names2::name(c).map(|n| n.to_string()) {
        // The character's own name, spelled as Python spells it.
        Some(own) if own == upper => Some(c),
        // Found by the crate's loose matching (spaces or hyphens moved or
        // left out) or through an alias Python does not have: refused.
        Some(_) => None,
        // A character with no name of its own (a control): only its
        // aliases name it, and this is none of Python's.
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{character_named, python_printable};
    use std::path::Path;

    #[test]
    fn names_are_looked_up_as_python_does() {
        assert_eq!(character_named("EM DASH"), Some('\u{2014}'));
        assert_eq!(character_named("em dash"), Some('\u{2014}'));
        assert_eq!(character_named("LATIN SMALL LETTER A"), Some('a'));
        assert_eq!(character_named("LINE FEED"), Some('\n'));
        assert_eq!(character_named("BEL"), Some('\u{7}'));
        assert_eq!(character_named("BYTE ORDER MARK"), Some('\u{feff}'));
        assert_eq!(character_named("line feed"), Some('\n'));
        assert_eq!(character_named("END OF MEDIUM"), Some('\u{19}'));
        assert_eq!(character_named("ZWSP"), Some('\u{200b}'));
        assert_eq!(
            character_named("CJK UNIFIED IDEOGRAPH-4E00"),
            Some('\u{4e00}')
        );
        assert_eq!(character_named("HANGUL SYLLABLE GA"), Some('\u{ac00}'));
        assert_eq!(character_named("HYPHEN-MINUS"), Some('-'));
        assert_eq!(character_named("tibetan letter -a"), Some('\u{f60}'));
        assert_eq!(character_named("TIBETAN LETTER A"), Some('\u{f68}'));
        for refused in [
            "EMDASH",
            "em-dash",
            "em_dash",
            "  em   dash ",
            "EM  DASH",
            "HYPHEN MINUS",
            "TIBETAN LETTER  -A",
            "TIBETAN LETTER-A",
            " EM DASH",
            "EM DASH ",
            "EM--DASH",
            "BOGUS NAME",
            "",
            // Unicode 15.0: unknown to Python 3.11.
            "SHAKING FACE",
            // A named sequence, not a character.
            "KEYCAP NUMBER SIGN",
            // Aliases with their spaces left out.
            "LINEFEED",
            "BYTEORDERMARK",
            "line-feed",
            // An alias of U+0019 newer than Unicode 14.0.
            "EM",
        ] {
            assert_eq!(character_named(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn the_alias_table_is_sorted_for_its_binary_search() {
        let aliases = crate::ucd_aliases::NAME_ALIASES;
        assert!(aliases.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(aliases.iter().all(|(a, c)| character_named(a) == Some(*c)));
    }

    /// Every code point against Python 3.11's `str.isprintable`, recorded by
    /// `tests/regen.py` as the ranges it is false on.
    #[test]
    fn printable_is_python_isprintable_on_every_code_point() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_isprintable.json");
        let recorded: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut not_printable = vec![false; 0x110000];
        for r in recorded["not_printable"].as_array().unwrap() {
            let (lo, hi) = (r[0].as_u64().unwrap(), r[1].as_u64().unwrap());
            for n in lo..=hi {
                not_printable[n as usize] = true;
            }
        }
        let mut differ = Vec::new();
        for c in (0..0x110000u32).filter_map(char::from_u32) {
            if python_printable(c) == not_printable[c as usize] {
                differ.push(format!("U+{:04X}", c as u32));
            }
        }
        assert!(differ.is_empty(), "differ from Python 3.11: {differ:?}");
    }
}
