//! A direct matcher for the shape most template regexes have: a sequence of
//! literals, character-class runs (`\S+`, `\d{1,3}`, `.*`, `.+?`) and
//! alternations of short strings (`(up|down)`, `([Ff]ull|[Aa]uto)`), with
//! groups around any of them. On such a pattern the regex crate's
//! leftmost-first match is the first one a backtracking walk finds when it
//! tries each run's lengths in the order the run prefers (longest first for
//! a greedy run, shortest first for a lazy one) and each alternation's
//! branches left to right. Most runs leave no choice at all (what follows
//! cannot start with a byte of the run), and those with one try only the
//! lengths after which the next step can start; the walk costs a table
//! lookup per byte where the regex crate runs a lazy DFA to find the match
//! and then a backtracker over it for the groups (together most of a
//! parse's time).
//!
//! Built from the pattern's HIR (the regex crate's own parser, so both read
//! the pattern alike) and used only on ASCII text, where the ASCII form's
//! classes are exact byte sets. Anything outside the shape is left to the
//! regex crate, and so is any text on which the walk would try more than a
//! few lengths per byte (a budget, so a pattern of many nested choices costs
//! no more here than a linear pass before the regex crate takes over).

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

    /// The set's only member, when it has exactly one.
    fn single(&self) -> Option<u8> {
        let ones = self.0[0].count_ones() + self.0[1].count_ones();
        let low = if self.0[0] != 0 {
            self.0[0].trailing_zeros()
        } else {
            64 + self.0[1].trailing_zeros()
        };
        // low < 128 when the set has a member: fits a byte.
        (ones == 1).then_some(low as u8)
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
    /// `min..=max` bytes of `set`; `greedy`: the run prefers more.
    /// `forced`: the one length that can lead to a match, when only one
    /// can (see [`Length`]).
    Run {
        set: ByteSet,
        min: usize,
        max: usize,
        greedy: bool,
        forced: Option<Length>,
        /// `set` as a table of 256 in [`Scan::tables`], for the run's
        /// loop over its bytes (a load a byte instead of shifts and masks);
        /// out of its range for a set past the first [`MAX_TABLES`].
        table: usize,
    },
    /// One of these strings, tried in order.
    Alternation(Box<Alternatives>),
    /// Group `.0` opens (`false`) or closes (`true`) here.
    Save(usize, bool),
    /// The next `over` steps are optional (`(…)?`); `greedy`: the pattern
    /// prefers taking them.
    Skip { over: usize, greedy: bool },
    /// The end of the text.
    End,
}

/// The length a run takes when it has no choice to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// As many bytes as there are (what follows cannot start with one).
    Longest,
    /// Its minimum (a lazy run before a rest that matches anywhere).
    Shortest,
}

/// The branches of an alternation of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Alternatives {
    /// Each branch, a byte set per byte.
    sets: Box<[Box<[ByteSet]>]>,
    /// Each branch as its bytes, when every set holds one byte
    /// (`(up|down)`): compared in one go.
    literals: Option<Box<[Box<[u8]>]>>,
    /// No two branches can both match at one position (`up|down`, not
    /// `up|upper`): the first that fits is the only one.
    exclusive: bool,
}

impl Alternatives {
    fn new(sets: Vec<Box<[ByteSet]>>) -> Alternatives {
        let literals = sets
            .iter()
            .map(|alt| {
                alt.iter()
                    .map(ByteSet::single)
                    .collect::<Option<Box<[u8]>>>()
            })
            .collect();
        // Two branches exclude each other when, at some byte both have,
        // their sets share nothing.
        let exclusive = sets.iter().enumerate().all(|(i, a)| {
            sets[i + 1..]
                .iter()
                .all(|b| a.iter().zip(b.iter()).any(|(x, y)| !x.intersects(y)))
        });
        Alternatives {
            sets: sets.into_boxed_slice(),
            literals,
            exclusive,
        }
    }

    /// The length of branch `i` if it fits at the start of `rest`.
    fn fits(&self, i: usize, rest: &[u8]) -> Option<usize> {
        match &self.literals {
            Some(literals) => rest.starts_with(&literals[i]).then_some(literals[i].len()),
            None => {
                let alt = &self.sets[i];
                (alt.len() <= rest.len() && alt.iter().zip(rest).all(|(set, &b)| set.contains(b)))
                    .then_some(alt.len())
            }
        }
    }
}

/// What can follow a step: the bytes the rest of the pattern can start
/// with, and whether it can also start with the end of the text or match
/// without consuming anything at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Follow {
    first: ByteSet,
    /// The rest can match an empty text at the end of the text (`$`).
    at_end: bool,
    /// The rest can match an empty text anywhere (nothing but optional runs).
    anywhere: bool,
}

impl Follow {
    /// Whether the rest can start at `pos` of `text`.
    fn allows(&self, text: &[u8], pos: usize) -> bool {
        self.anywhere
            || match text.get(pos) {
                Some(&b) => self.first.contains(b),
                None => self.at_end,
            }
    }
}

/// The most choices a pattern the scan takes may have (a template's rule
/// has a handful; ntc-templates' most is far below this).
const MAX_CHOICES: usize = 64;

/// The most work a walk does per byte of text (bytes scanned by runs, and
/// lengths and branches tried) before the regex crate takes the text over.
/// A walk without choices scans each byte once.
const TRIES_PER_BYTE: usize = 16;

/// Distinct run sets a pattern gets a byte table for (a template's rule
/// has a handful; a pattern of thousands of distinct classes, which only a
/// hostile template has, keeps its memory to 8 KiB and tests the others'
/// bits).
const MAX_TABLES: usize = 32;

/// A pattern the scan matches exactly as the regex crate does (anchored at
/// the start of the text, on ASCII text).
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    steps: Box<[Step]>,
    /// Each distinct run set's members, byte by byte (see `Step::Run::table`).
    tables: Box<[[bool; 256]]>,
    /// For each step, what the steps after it can start with.
    follow: Box<[Follow]>,
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
        let follow: Box<[Follow]> = (0..steps.len()).map(|i| follow(&steps[i + 1..])).collect();
        let mut tables: Vec<[bool; 256]> = Vec::new();
        let mut tabled: Vec<ByteSet> = Vec::new();
        for (step, follow) in steps.iter_mut().zip(follow.iter()) {
            if let Step::Run {
                set,
                min,
                max,
                greedy,
                forced,
                table,
            } = step
            {
                *table = match tabled.iter().position(|t| t == set) {
                    Some(i) => i,
                    None if tabled.len() < MAX_TABLES => {
                        tabled.push(*set);
                        tables.push(std::array::from_fn(|b| set.contains(b as u8)));
                        tables.len() - 1
                    }
                    None => usize::MAX,
                };
                *forced = if min == max || (!follow.anywhere && !follow.first.intersects(set)) {
                    // One length, or only the longest run can be followed.
                    Some(Length::Longest)
                } else if follow.anywhere {
                    // Any length leads to a match: the preferred one.
                    Some(if *greedy {
                        Length::Longest
                    } else {
                        Length::Shortest
                    })
                } else {
                    None
                };
            }
        }
        // Each choice nests a call of the walk: few enough that the stack
        // of a parse thread holds them, whatever the template.
        let choices = steps
            .iter()
            .filter(|step| match step {
                Step::Run { forced, .. } => forced.is_none(),
                Step::Alternation(alts) => !alts.exclusive,
                Step::Skip { .. } => true,
                _ => false,
            })
            .count();
        if choices > MAX_CHOICES {
            return None;
        }
        Some(Scan {
            steps: steps.into_boxed_slice(),
            tables: tables.into_boxed_slice(),
            follow,
            groups,
            names: names.into_boxed_slice(),
        })
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
                Step::Alternation(alts) => alts.sets.iter().map(|a| a.len()).sum(),
                Step::Save(..) | Step::Skip { .. } | Step::End => 0,
            })
            .fold(0, usize::saturating_add)
    }

    /// Match ASCII `text` from its start; on a match `spans` holds each
    /// group's span (`None` for a group the pattern never reaches). `None`:
    /// the walk ran out of tries (ask the regex crate).
    pub fn captures(&self, text: &[u8], spans: &mut Vec<Option<(usize, usize)>>) -> Option<bool> {
        spans.clear();
        spans.resize(self.groups, None);
        let mut tries = TRIES_PER_BYTE.saturating_mul(text.len() + 1);
        self.walk::<true>(0, 0, text, spans, &mut tries)
    }

    /// Whether ASCII `text` matches from its start (`None`: out of tries).
    pub fn matches(&self, text: &[u8]) -> Option<bool> {
        let mut tries = TRIES_PER_BYTE.saturating_mul(text.len() + 1);
        self.walk::<false>(0, 0, text, &mut [], &mut tries)
    }

    /// Match `text` from byte `pos` with the steps from `i` on; group spans
    /// are written when `SPANS` (`spans` then has a slot per group). Steps
    /// without a choice run in a loop; at a choice the walk tries each
    /// option in the pattern's order, each the rest of the walk.
    #[inline]
    fn walk<const SPANS: bool>(
        &self,
        mut i: usize,
        mut pos: usize,
        text: &[u8],
        spans: &mut [Option<(usize, usize)>],
        tries: &mut usize,
    ) -> Option<bool> {
        while let Some(step) = self.steps.get(i) {
            match step {
                Step::Literal(l) => {
                    if !text[pos..].starts_with(l) {
                        return Some(false);
                    }
                    pos += l.len();
                }
                Step::Run {
                    set,
                    min,
                    max,
                    forced,
                    table,
                    ..
                } => {
                    let start = pos;
                    let limit = text.len().min(pos.saturating_add(*max));
                    let run = &text[pos..limit];
                    pos += match self.tables.get(*table) {
                        Some(table) => run.iter().position(|&b| !table[usize::from(b)]),
                        None => run.iter().position(|&b| !set.contains(b)),
                    }
                    .unwrap_or(run.len());
                    if pos - start < *min {
                        return Some(false);
                    }
                    // Bytes scanned count against the budget too: a walk
                    // that retries long runs stops in time linear in the line.
                    *tries = tries.checked_sub(pos - start)?;
                    match forced {
                        Some(Length::Longest) => {}
                        Some(Length::Shortest) => pos = start + min,
                        None => {
                            return self.choose::<SPANS>(i, start + min, pos, text, spans, tries);
                        }
                    }
                }
                Step::Alternation(alts) => {
                    let rest = &text[pos..];
                    let Some(first) = (0..alts.sets.len()).find_map(|b| alts.fits(b, rest)) else {
                        return Some(false);
                    };
                    if !alts.exclusive {
                        return self.choose::<SPANS>(i, pos, pos, text, spans, tries);
                    }
                    pos += first;
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
                Step::Skip { .. } => return self.choose::<SPANS>(i, pos, pos, text, spans, tries),
                Step::End => {
                    if pos != text.len() {
                        return Some(false);
                    }
                }
            }
            i += 1;
        }
        Some(true)
    }

    /// The choice at step `i`, each option the rest of the walk, in the
    /// order the regex crate prefers them: a run's lengths from `from` to
    /// `to` (longest first when greedy), only those after which the rest
    /// can start; an alternation's branches that fit at `from`, left to
    /// right; optional steps taken then skipped (the other way round when
    /// lazy), the groups of skipped steps taking no part.
    #[inline(never)]
    fn choose<const SPANS: bool>(
        &self,
        i: usize,
        from: usize,
        to: usize,
        text: &[u8],
        spans: &mut [Option<(usize, usize)>],
        tries: &mut usize,
    ) -> Option<bool> {
        // One option: the steps from `next` at byte `at`.
        let mut go = |next: usize, at: usize, spans: &mut [Option<(usize, usize)>]| {
            *tries = tries.checked_sub(1)?;
            self.walk::<SPANS>(next, at, text, spans, tries)
        };
        match &self.steps[i] {
            Step::Run { greedy, .. } => {
                let follow = &self.follow[i];
                let lengths: &mut dyn Iterator<Item = usize> = if *greedy {
                    &mut (from..=to).rev()
                } else {
                    &mut (from..=to)
                };
                for at in lengths.filter(|&at| follow.allows(text, at)) {
                    if go(i + 1, at, spans)? {
                        return Some(true);
                    }
                }
            }
            Step::Alternation(alts) => {
                for b in 0..alts.sets.len() {
                    if let Some(len) = alts.fits(b, &text[from..])
                        && go(i + 1, from + len, spans)?
                    {
                        return Some(true);
                    }
                }
            }
            Step::Skip { over, greedy } => {
                let past = i + 1 + over;
                for take in [*greedy, !*greedy] {
                    if !take && SPANS {
                        for step in &self.steps[i + 1..past] {
                            if let Step::Save(g, false) = step {
                                spans[*g] = None;
                            }
                        }
                    }
                    if go(if take { i + 1 } else { past }, from, spans)? {
                        return Some(true);
                    }
                }
            }
            _ => {}
        }
        Some(false)
    }
}

/// What the steps `rest` can start a match with.
fn follow(rest: &[Step]) -> Follow {
    let mut follow = Follow::default();
    let mut i = 0;
    while let Some(step) = rest.get(i) {
        i += 1;
        match step {
            Step::Save(..) => {}
            Step::Skip { over, .. } => {
                // What the optional steps can start with; whether or not
                // they can match nothing, skipping them goes on past them,
                // so the walk goes on there (once: no path is followed
                // twice, however many optional groups follow each other).
                let inside = self::follow(&rest[i..i + over]);
                follow.first.union(&inside.first);
                follow.at_end |= inside.at_end;
                i += over;
            }
            Step::Literal(l) => {
                if let Some(&b) = l.first() {
                    follow.first.insert(b);
                    return follow;
                }
            }
            Step::Run { set, min, .. } => {
                follow.first.union(set);
                if *min > 0 {
                    return follow;
                }
            }
            Step::Alternation(alts) => {
                let mut empty = false;
                for alt in alts.sets.iter() {
                    match alt.first() {
                        Some(set) => follow.first.union(set),
                        None => empty = true,
                    }
                }
                if !empty {
                    return follow;
                }
            }
            Step::End => {
                follow.at_end = true;
                return follow;
            }
        }
    }
    follow.anywhere = true;
    follow
}

/// Append the steps of `hir`; `None` when some part is not of the shape.
fn flatten(hir: &Hir, steps: &mut Vec<Step>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(l) => {
            // Not onto the last literal of optional steps: it would become
            // optional too.
            let last = steps.len().wrapping_sub(1);
            let ends_optional = steps
                .iter()
                .enumerate()
                .any(|(at, step)| matches!(step, Step::Skip { over, .. } if at + over == last));
            match steps.last_mut() {
                Some(Step::Literal(prev)) if !ends_optional => {
                    *prev = [&prev[..], &l.0[..]].concat().into_boxed_slice();
                }
                _ => steps.push(Step::Literal(l.0.clone())),
            }
        }
        HirKind::Class(c) => steps.push(Step::Run {
            set: byte_set(c),
            min: 1,
            max: 1,
            greedy: true,
            forced: None,
            table: 0,
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
            let set = match r.sub.kind() {
                HirKind::Class(c) => byte_set(c),
                HirKind::Literal(l) if l.0.len() == 1 => {
                    let mut set = ByteSet::default();
                    set.insert(l.0[0]);
                    set
                }
                // `(…)?`: the steps of the group, which may be skipped.
                _ if min == 0 && max == 1 => {
                    let at = steps.len();
                    steps.push(Step::Skip {
                        over: 0,
                        greedy: r.greedy,
                    });
                    flatten(&r.sub, steps)?;
                    let over = steps.len() - at - 1;
                    steps[at] = Step::Skip {
                        over,
                        greedy: r.greedy,
                    };
                    return Some(());
                }
                _ => return None,
            };
            steps.push(Step::Run {
                set,
                min,
                max,
                greedy: r.greedy,
                forced: None,
                table: 0,
            });
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
            let alts: Vec<Box<[ByteSet]>> = subs
                .iter()
                .map(|s| {
                    let mut sets = Vec::new();
                    byte_sets(s, &mut sets).map(|()| sets.into_boxed_slice())
                })
                .collect::<Option<_>>()?;
            steps.push(Step::Alternation(Box::new(Alternatives::new(alts))));
        }
    }
    Some(())
}

/// Append the byte set of each byte `hir` matches, when it is a string of
/// single bytes (literals, classes and their concatenations).
fn byte_sets(hir: &Hir, sets: &mut Vec<ByteSet>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(l) => sets.extend(l.0.iter().map(|&b| {
            let mut set = ByteSet::default();
            set.insert(b);
            set
        })),
        HirKind::Class(c) => sets.push(byte_set(c)),
        HirKind::Concat(subs) => {
            for s in subs {
                byte_sets(s, sets)?;
            }
        }
        _ => return None,
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
                .expect("within its tries")
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
        // More distinct run sets than get a byte table: the others test
        // their bits, with the same answers.
        let many: String = (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .map(|c| format!("[{}0-9]+ ", c as char))
            .collect();
        let text: String = (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .map(|c| format!("{}{} ", c as char, c % 10))
            .collect();
        let scan = Scan::new(&format!(r"\A{many}")).unwrap();
        assert_eq!(scan.tables.len(), super::MAX_TABLES);
        agrees(
            &many,
            &[&text, &text[..text.len() - 4], &text.replace('Z', "z")],
        );
    }

    /// Runs and alternations with a choice: the walk tries the options in
    /// the order the regex crate prefers them.
    #[test]
    fn choices_are_tried_in_the_regex_crates_order() {
        agrees(r"\S+\s*\S+", &["ab", "a b", "abc  def", "a", "", " a"]);
        agrees(
            r"(.+),\s+x",
            &["a, b, x", "a,  x", ",  x", "a,x", "a, b,  x, x"],
        );
        agrees(r"(.+?),\s+(.*)", &["a, b, x", "a,  x", ", x", "a,x"]);
        agrees(
            r".+?x(.*?)y(.*)",
            &["axxyy", "xxy", "abxcdyefy", "xy", "axy"],
        );
        agrees(r"(up|upper) (x)", &["up x", "upper x", "uppe x", "upperx"]);
        agrees(r"(a|)b", &["ab", "b", "aab", ""]);
        agrees(r"(\d+)(\d)", &["1", "12", "12345", "1a"]);
        agrees(r"(\d+?)(\d*)$", &["1", "12", "12345", "1a"]);
        agrees(
            r"(?:up|Down|(?i)x)(.*)",
            &["up1", "Down2", "X3", "x", "down", ""],
        );
        agrees(
            r"^\s+(([Ff]ull|[Aa]uto|[Hh]alf|[Aa]-).*?),\s+(.*?),.+media\s+type\s+is\s*(\S+.*)?$",
            &[
                "  Full-duplex, 1000Mb/s, link type is auto, media type is RJ45",
                "  Auto-duplex, Auto-speed, media type is 10/100/1000BaseTX",
                "  Half-duplex, 10Mb/s, media type is ",
                "  a-full, a-1000, media type is SFP",
                "  Full-duplex, 1000Mb/s, media type RJ45",
                "  Full-duplex, 1000Mb/s",
            ],
        );
        agrees(
            r"^\s+MTU\s+(\d+).*BW\s+(\d+\s+\w+).*DLY\s+(\d+\s+\S+),\s*$",
            &[
                "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, ",
                "  MTU 1500 bytes, BW 100 Kbit/sec, DLY 10 usec,",
                "  MTU 1500 bytes, BW 1 Kbit/sec, DLY 10 usec, x",
                "  MTU 9 BW 1 a BW 2 b DLY 3 c, DLY 4 d,",
            ],
        );
    }

    /// Optional groups: taken when the pattern prefers them and the rest
    /// still matches, else skipped with their groups taking no part.
    #[test]
    fn optional_groups_are_taken_or_skipped_as_the_regex_crate_does() {
        agrees(r"(x)?y", &["xy", "y", "xxy", "x", ""]);
        agrees(
            r"(\s*)?(a*)?(\s*)?x$",
            &["x", " x", "  aa x", "a", " a  x", "ax "],
        );
        agrees(
            r"(\d+)(\s*)?(,)?(\d*)$",
            &["12", "1 ,2", "1 2", "12,", "1,23", "1 x"],
        );
        agrees(
            r"\s*boot(?:disk)?:\s*(\S+)",
            &["boot: a", "bootdisk: b", "boot-end-marker", "bootdisk"],
        );
        agrees(
            r"sh(?:o(?:w)?)? ar(?:p)?$",
            &["sh ar", "show arp", "sho ar", "show ip", "sh arpx"],
        );
        agrees(r"(x)??(x?)y", &["xy", "y", "xxy"]);
        agrees(
            r"a(\s+(\d+))?\s*$",
            &["a 12", "a", "a  ", "a 12 ", "a x", "a12"],
        );
        agrees(r"(a(b)?c)?(a.*)", &["abc", "ac", "abd", "a", "abcabc", ""]);
        agrees(
            r"(\S+)\s+(is\s+(\S+))?(.*)",
            &["Gi1 is up", "Gi1 was up", "Gi1 is", "Gi1  "],
        );
    }

    /// A text on which the walk would try too many lengths goes to the
    /// regex crate instead of taking quadratic time or worse.
    #[test]
    fn a_walk_out_of_tries_answers_nothing() {
        let scan = Scan::new(r"\A(?:(.*)(.*)(.*)(.*)(.*)x)").unwrap();
        let text = "a".repeat(200);
        assert_eq!(scan.matches(text.as_bytes()), None);
        assert_eq!(scan.matches(b"aaax"), Some(true));
        // Retrying a long run: out of tries after work linear in the line,
        // where trying every split would take a quadratic 10^12 steps.
        let scan = Scan::new(r"\A(?:(.*) (.*)y)").unwrap();
        let mut text = " ".repeat(1_000_000);
        text.push('x');
        assert_eq!(scan.matches(text.as_bytes()), None);
        // A walk without choices never runs out, however long the line.
        let scan = Scan::new(r"\A(?:(\S+)\s+(\S+)$)").unwrap();
        let text = format!("{} {}", "a".repeat(1_000_000), "b".repeat(1_000_000));
        assert_eq!(scan.matches(text.as_bytes()), Some(true));
    }

    #[test]
    fn patterns_outside_the_shape_are_left_to_the_regex_crate() {
        assert!(refused(r"(?:ab)+"));
        assert!(refused(r"x\b"));
        assert!(refused(r"(?m)^x$"));
        assert!(refused(r"a^b"));
        assert!(refused(r"(a|(b))c"));
        // More choices than a walk may nest.
        assert!(refused(&"(a)?".repeat(65)));
        // Optional groups that can match nothing, one after another: built
        // in linear time (each group's follower is found once).
        assert!(!refused(&format!("{}x", r"(\s*)?".repeat(30))));
        assert!(!refused(&"(a)?".repeat(64)));
    }
}
