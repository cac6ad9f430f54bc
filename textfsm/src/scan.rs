//! A direct matcher for the shape most template regexes have: a sequence of
//! literals, character-class runs (`\S+`, `\d{1,3}`, `.*` at the end) and
//! alternations of literals (`(up|down)`), where no step ever has a choice
//! to take back. On such a pattern the regex crate's leftmost-first match is
//! the one a single greedy left-to-right scan finds, and the scan costs a
//! table lookup per byte instead of the one-pass DFA's state machine (the
//! largest cost of a parse that records every line).
//!
//! Built from the pattern's HIR (the regex crate's own parser, so both read
//! the pattern alike) and used only on ASCII text, where the ASCII form's
//! classes are exact byte sets. Anything outside the shape, or any step whose
//! greedy run could leave a byte the next step might have wanted, is left to
//! the regex crate.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A set of ASCII bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ByteSet([u64; 2]);

impl ByteSet {
    fn contains(&self, b: u8) -> bool {
        // Bytes of 128 and above fall outside both words: never members.
        b < 128 && self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    fn insert(&mut self, b: u8) {
        if b < 128 {
            self.0[usize::from(b >> 6)] |= 1 << (b & 63);
        }
    }

    fn insert_range(&mut self, lo: u32, hi: u32) {
        for b in lo..=hi.min(127) {
            // b <= 127: fits a byte.
            self.insert(b as u8);
        }
    }

    fn union(&mut self, other: &ByteSet) {
        self.0[0] |= other.0[0];
        self.0[1] |= other.0[1];
    }

    fn intersects(&self, other: &ByteSet) -> bool {
        self.0[0] & other.0[0] != 0 || self.0[1] & other.0[1] != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// These bytes, exactly.
    Literal(Box<[u8]>),
    /// `min..=max` bytes of `set`, as many as there are.
    Run {
        set: ByteSet,
        min: usize,
        max: usize,
    },
    /// One of these literals; none is a prefix of another, so at most one
    /// matches at any position.
    Alternation(Box<[Box<[u8]>]>),
    /// Group `.0` opens (`false`) or closes (`true`) here.
    Save(usize, bool),
    /// The end of the text.
    End,
}

/// A pattern the scan matches exactly as the regex crate does (anchored at
/// the start of the text, on ASCII text).
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    steps: Box<[Step]>,
    groups: usize,
    /// Each group's name by index (group 0 and unnamed groups: `None`).
    names: Box<[Option<Box<str>>]>,
}

impl Scan {
    /// The scan for `pattern` (the regex crate's syntax, already anchored
    /// with `\A`), or `None` when it is not of the shape a scan matches
    /// exactly.
    pub fn new(pattern: &str) -> Option<Scan> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .ok()?;
        let mut steps = vec![Step::Save(0, false)];
        flatten(&hir, &mut steps)?;
        steps.push(Step::Save(0, true));
        let groups = hir.properties().explicit_captures_len() + 1;
        let mut names = vec![None; groups];
        capture_names(&hir, &mut names);
        let scan = Scan {
            steps: steps.into_boxed_slice(),
            groups,
            names: names.into_boxed_slice(),
        };
        scan.is_deterministic().then_some(scan)
    }

    /// Capture groups, group 0 (the whole match) included.
    #[cfg(test)]
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Each group's name by index.
    pub fn names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(Option::as_deref)
    }

    /// Bytes and repetitions the pattern spells out (a run without an upper
    /// bound counts its lower bound and one more): what the regex crate's
    /// compiled program grows with.
    pub fn positions(&self) -> usize {
        self.steps
            .iter()
            .map(|step| match step {
                Step::Literal(l) => l.len(),
                Step::Run { min, max, .. } if *max == usize::MAX => min.saturating_add(1),
                Step::Run { max, .. } => *max,
                Step::Alternation(alts) => alts.iter().map(|a| a.len()).sum(),
                Step::Save(..) | Step::End => 0,
            })
            .fold(0, usize::saturating_add)
    }

    /// Match ASCII `text` from its start; on a match `spans` holds each
    /// group's span (`None` for a group the pattern never reaches).
    pub fn captures(&self, text: &[u8], spans: &mut Vec<Option<(usize, usize)>>) -> bool {
        spans.clear();
        spans.resize(self.groups, None);
        self.run::<true>(text, spans)
    }

    /// Whether ASCII `text` matches from its start.
    pub fn matches(&self, text: &[u8]) -> bool {
        self.run::<false>(text, &mut [])
    }

    /// The scan; group spans are written when `SPANS` (`spans` then has a
    /// slot per group).
    fn run<const SPANS: bool>(&self, text: &[u8], spans: &mut [Option<(usize, usize)>]) -> bool {
        let mut pos = 0;
        for step in &self.steps {
            match step {
                Step::Literal(l) => {
                    if !text[pos..].starts_with(l) {
                        return false;
                    }
                    pos += l.len();
                }
                Step::Run { set, min, max } => {
                    let start = pos;
                    let limit = text.len().min(pos.saturating_add(*max));
                    while pos < limit && set.contains(text[pos]) {
                        pos += 1;
                    }
                    if pos - start < *min {
                        return false;
                    }
                }
                Step::Alternation(alts) => {
                    let rest = &text[pos..];
                    match alts.iter().find(|a| rest.starts_with(a)) {
                        Some(a) => pos += a.len(),
                        None => return false,
                    }
                }
                Step::Save(g, false) => {
                    if SPANS {
                        spans[*g] = Some((pos, pos));
                    }
                }
                Step::Save(g, true) => {
                    if SPANS && let Some(span) = &mut spans[*g] {
                        span.1 = pos;
                    }
                }
                Step::End => {
                    if pos != text.len() {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Every run that could stop at more than one length is followed by
    /// steps that cannot start with any byte of the run (the greedy scan
    /// then takes the only length that can lead to a match), or by steps
    /// that match anywhere (`.*` at the end: the longest run is the one the
    /// regex crate prefers, and it succeeds).
    fn is_deterministic(&self) -> bool {
        self.steps.iter().enumerate().all(|(i, step)| match step {
            Step::Run { set, min, max } if min < max => {
                let rest = &self.steps[i + 1..];
                always_matches(rest) || !first_bytes(rest).intersects(set)
            }
            _ => true,
        })
    }
}

/// Whether `steps` match at any position (nothing but optional runs).
fn always_matches(steps: &[Step]) -> bool {
    steps
        .iter()
        .all(|s| matches!(s, Step::Save(..) | Step::Run { min: 0, .. }))
}

/// The bytes the steps `rest` can start a match with (up to the first step
/// that must consume a byte; the end of the text is no byte).
fn first_bytes(rest: &[Step]) -> ByteSet {
    let mut first = ByteSet::default();
    for step in rest {
        match step {
            Step::Save(..) => {}
            Step::Literal(l) => {
                if let Some(&b) = l.first() {
                    first.insert(b);
                    return first;
                }
            }
            Step::Run { set, min, .. } => {
                first.union(set);
                if *min > 0 {
                    return first;
                }
            }
            Step::Alternation(alts) => {
                for a in alts.iter() {
                    if let Some(&b) = a.first() {
                        first.insert(b);
                    }
                }
                return first;
            }
            Step::End => return first,
        }
    }
    first
}

/// Append the steps of `hir`; `None` when some part is not of the shape.
fn flatten(hir: &Hir, steps: &mut Vec<Step>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(l) => match steps.last_mut() {
            Some(Step::Literal(prev)) => {
                *prev = [&prev[..], &l.0[..]].concat().into_boxed_slice();
            }
            _ => steps.push(Step::Literal(l.0.clone())),
        },
        HirKind::Class(c) => steps.push(Step::Run {
            set: byte_set(c),
            min: 1,
            max: 1,
        }),
        HirKind::Look(Look::Start) => {
            // The match starts at 0: only a start before any byte holds.
            if steps.iter().any(|s| !matches!(s, Step::Save(..))) {
                return None;
            }
        }
        HirKind::Look(Look::End) => steps.push(Step::End),
        HirKind::Look(_) => return None,
        HirKind::Repetition(r) => {
            let max = r.max.map_or(usize::MAX, |m| m as usize);
            let min = r.min as usize;
            // A lazy run with a choice prefers the short end: not a scan.
            if !r.greedy && min != max {
                return None;
            }
            let set = match r.sub.kind() {
                HirKind::Class(c) => byte_set(c),
                HirKind::Literal(l) if l.0.len() == 1 => {
                    let mut set = ByteSet::default();
                    set.insert(l.0[0]);
                    set
                }
                _ => return None,
            };
            steps.push(Step::Run { set, min, max });
        }
        HirKind::Capture(c) => {
            let g = c.index as usize;
            steps.push(Step::Save(g, false));
            flatten(&c.sub, steps)?;
            steps.push(Step::Save(g, true));
        }
        HirKind::Concat(subs) => {
            for s in subs {
                flatten(s, steps)?;
            }
        }
        HirKind::Alternation(subs) => {
            let alts: Vec<Box<[u8]>> = subs
                .iter()
                .map(|s| match s.kind() {
                    HirKind::Literal(l) => Some(l.0.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let prefix_free = alts.iter().enumerate().all(|(i, a)| {
                !a.is_empty()
                    && alts
                        .iter()
                        .enumerate()
                        .all(|(j, b)| i == j || !b.starts_with(a))
            });
            if !prefix_free {
                return None;
            }
            steps.push(Step::Alternation(alts.into_boxed_slice()));
        }
    }
    Some(())
}

/// Record the name of every group of `hir` a scan was built from (groups
/// sit in concatenations and other groups only).
fn capture_names(hir: &Hir, names: &mut [Option<Box<str>>]) {
    match hir.kind() {
        HirKind::Capture(c) => {
            if let Some(slot) = names.get_mut(c.index as usize) {
                slot.clone_from(&c.name);
            }
            capture_names(&c.sub, names);
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            for s in subs {
                capture_names(s, names);
            }
        }
        HirKind::Repetition(r) => capture_names(&r.sub, names),
        _ => {}
    }
}

/// The ASCII members of a class (the only bytes an ASCII text has).
fn byte_set(class: &Class) -> ByteSet {
    let mut set = ByteSet::default();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                set.insert_range(u32::from(r.start()), u32::from(r.end()));
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                set.insert_range(u32::from(r.start()), u32::from(r.end()));
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::Scan;

    /// The scan's verdict and spans equal the regex crate's on `texts`.
    fn agrees(pattern: &str, texts: &[&str]) {
        let anchored = format!("\\A(?:{pattern})");
        let scan = Scan::new(&anchored).unwrap_or_else(|| panic!("no scan for {pattern}"));
        let re = regex::Regex::new(&anchored).unwrap();
        let mut spans = Vec::new();
        for text in texts {
            let want = re.captures(text).map(|c| {
                c.iter()
                    .map(|m| m.map(|m| (m.start(), m.end())))
                    .collect::<Vec<_>>()
            });
            let got = scan
                .captures(text.as_bytes(), &mut spans)
                .then(|| spans.clone());
            assert_eq!(got, want, "{pattern} on {text:?}");
            assert_eq!(scan.groups(), re.captures_len());
            assert!(scan.names().eq(re.capture_names()));
        }
    }

    fn refused(pattern: &str) -> bool {
        Scan::new(&format!("\\A(?:{pattern})")).is_none()
    }

    #[test]
    fn scans_match_as_the_regex_crate_does() {
        agrees(
            r"^(?P<INTERFACE>[^\x{9}-\x{D}\x{1C}-\x{20}]+)[\x{9}-\x{D}\x{1C}-\x{20}]+(?P<STATUS>up|down|administratively\x{20}down|deleted)[\x{9}-\x{D}\x{1C}-\x{20}]+(?P<PROTO>up|down)",
            &[
                "Gi0/1 up up",
                "Gi0/1   administratively down   down  extra",
                "Gi0/1 deleted down",
                "Gi0/1 dow down",
                "Gi0/1 up",
                "",
                " Gi0/1 up up",
                "Gi0/1\tup\tdown",
            ],
        );
        agrees(
            r"[0-9]+\.[0-9]{1,3}x?$",
            &["12.345", "12.3x", "12.3456", "1.", "12.34y", "12.34x"],
        );
        agrees(
            r"Load[ ]+for[ ]+(.*)",
            &["Load for five", "Load  for ", "Loadfor"],
        );
        agrees(r"(?i)mtu (\d+)", &["MTU 1500", "mtu 9", "Mtu x"]);
        agrees(r"a{0}b{2}(c)", &["bbc", "bc", "bbbc"]);
        agrees(r"x +(.*)( *)", &["x  a b  ", "x ", "x", "x  "]);
    }

    #[test]
    fn patterns_that_need_a_choice_are_left_to_the_regex_crate() {
        assert!(refused(r"\S+\s*\S+"));
        assert!(refused(r"(.+),\s+x"));
        assert!(refused(r".+?x"));
        assert!(refused(r"(up|upper) x"));
        assert!(refused(r"(a|)b"));
        assert!(refused(r"(?:ab)+"));
        assert!(refused(r"(x)?y"));
        assert!(refused(r"\d+\d"));
        assert!(refused(r"x\b"));
        assert!(refused(r"(?m)^x$"));
        assert!(refused(r"a^b"));
        assert!(refused(r"(?:up|Down|(?i)x)"));
    }
}
