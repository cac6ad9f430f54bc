//! Running a template over text: the state machine and the record being
//! built, with each Value option acting at the moments Python textfsm 2.x
//! calls it (assign, clear, clear-all, save), in the order the options are
//! written.

use crate::error::ParseError;
use crate::pyre::{Groups, MatchError, Pattern};
use crate::template::{ByteSet, LineOp, RecordOp, Template, Transition, ValueOption};
use crate::{Limits, split_lines};
use serde::ser::{SerializeMap, SerializeSeq};
use std::fmt::Write as _;
use std::time::Instant;

/// One element of a List value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// The text the value's regex matched.
    Str(String),
    /// An optional group that took no part in the match (Python's `None`).
    Null,
    /// The named groups of a List value whose regex has nested groups.
    Map(Vec<(String, Option<String>)>),
}

/// One value of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A plain value (empty when it matched nothing).
    Str(String),
    /// A `List` value.
    List(Vec<Item>),
}

/// The result of a parse: the Value names and one row per record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Value names, in template order.
    pub header: Vec<String>,
    /// Records, each with one cell per header entry.
    pub rows: Vec<Vec<Cell>>,
}

/// Records as ntc-templates' `parse_output` gives them: one map per row,
/// keys lower-cased, in template order (a later key that lower-cases to an
/// earlier one takes its value, as in a Python dict). Serializes as a JSON
/// list of objects; List items become text as `parse_output` stringifies
/// them (clitable's table applies Python's `str()`): `None` is `"None"`, a
/// nested-group map is its Python dict text, `"{'slot': '1', 'port': None}"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    /// The keys, lower-cased, each once.
    keys: Vec<String>,
    /// For each key, the column of the row it takes its value from.
    columns: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

impl Records {
    /// How many records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The keys of every record, in order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Each record as `(key, value)` pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = Vec<(&str, &Cell)>> {
        self.rows.iter().map(|row| {
            self.keys
                .iter()
                .zip(&self.columns)
                .map(|(k, &c)| (k.as_str(), &row[c]))
                .collect()
        })
    }
}

impl Table {
    /// The rows as `parse_output` records.
    pub fn records(&self) -> Records {
        self.clone().into_records()
    }

    /// [`Table::records`], without copying the rows.
    pub fn into_records(self) -> Records {
        let (keys, columns) = record_keys(self.header.iter().map(String::as_str));
        Records {
            keys,
            columns,
            rows: self.rows,
        }
    }
}

/// `parse_output`'s keys: the Value names lower-cased, each once, with the
/// column each takes its value from (a later duplicate wins, as in a dict).
fn record_keys<'h>(header: impl Iterator<Item = &'h str>) -> (Vec<String>, Vec<usize>) {
    let mut keys: Vec<String> = Vec::new();
    let mut columns: Vec<usize> = Vec::new();
    for (column, h) in header.enumerate() {
        let k = h.to_lowercase();
        match keys.iter().position(|f| *f == k) {
            Some(i) => columns[i] = column,
            None => {
                keys.push(k);
                columns.push(column);
            }
        }
    }
    (keys, columns)
}

/// Records still pointing into the parsed text: what [`Records`] holds,
/// serialised the same way, without copying a cell (`netrun parse` writes
/// them straight out).
#[derive(Debug)]
pub struct BorrowedRecords<'a> {
    keys: Vec<String>,
    columns: Vec<usize>,
    width: usize,
    cells: Vec<CellRef<'a>>,
}

impl BorrowedRecords<'_> {
    /// How many records.
    pub fn len(&self) -> usize {
        self.cells.len() / self.width
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl BorrowedRecords<'_> {
    /// Write the records as compact JSON: the text `serde_json::to_writer`
    /// gives, faster (each key is escaped once, not once per record, and a
    /// cell that needs no escaping is copied as it is).
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        // `{"key":` for the first key of a record, `,"key":` for the others.
        let mut keys = Vec::with_capacity(self.keys.len());
        for (i, k) in self.keys.iter().enumerate() {
            let mut key = vec![if i == 0 { b'{' } else { b',' }];
            serde_json::to_writer(&mut key, k)?;
            key.push(b':');
            keys.push(key);
        }
        // Records go into a buffer handed to `out` in large pieces: a
        // `write_all` per key and cell cost more than the copying.
        const FLUSH_AT: usize = 60 << 10;
        let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + 4096);
        buf.push(b'[');
        for (i, row) in self.cells.chunks(self.width).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            for (key, &column) in keys.iter().zip(&self.columns) {
                buf.extend_from_slice(key);
                match &row[column] {
                    CellRef::Str(s) if !needs_escape(s) => {
                        buf.push(b'"');
                        buf.extend_from_slice(s.as_bytes());
                        buf.push(b'"');
                    }
                    cell => serde_json::to_writer(&mut buf, cell)?,
                }
            }
            buf.extend_from_slice(if keys.is_empty() { b"{}" } else { b"}" });
            if buf.len() >= FLUSH_AT {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        buf.push(b']');
        out.write_all(&buf)
    }
}

/// Whether JSON needs an escape in `s` (serde_json escapes exactly these).
/// Eight bytes at a time (a cell is mostly plain text): a word has a byte
/// below 0x20, `"` or `\` exactly when one of the three tests below
/// sees one (each is exact for "some byte", the bit-twiddling kind).
fn needs_escape(s: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (n <= 128).
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH != 0;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut words = s.as_bytes().chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes);
        if below(x, 0x20) || zero_byte(x ^ (ONES * 0x22)) || zero_byte(x ^ (ONES * 0x5c)) {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

impl serde::Serialize for BorrowedRecords<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_records(s, &self.keys, &self.columns, self.cells.chunks(self.width))
    }
}

/// A list of records, each a map of `keys` to the cells of its row at `columns`.
fn serialize_records<'r, S: serde::Serializer, C: serde::Serialize + 'r>(
    s: S,
    keys: &[String],
    columns: &[usize],
    rows: impl ExactSizeIterator<Item = &'r [C]>,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(rows.len()))?;
    for row in rows {
        seq.serialize_element(&RecordView { keys, columns, row })?;
    }
    seq.end()
}

/// A named group of a nested List item and what it matched.
type NestedGroup = (String, Option<String>);

/// An item as `parse_output` prints it: text, `"None"`, or the Python text
/// of the map of the nested groups (one spelling for owned and borrowed
/// items).
fn serialize_item<S: serde::Serializer>(
    s: S,
    item: Option<Result<&str, &[NestedGroup]>>,
) -> Result<S::Ok, S::Error> {
    match item {
        Some(Ok(v)) => s.serialize_str(v),
        None => s.serialize_str("None"),
        Some(Err(m)) => s.serialize_str(&python_dict_str(m)),
    }
}

/// Python's `str()` of a `groupdict()`: `{'slot': '1', 'port': None}`.
fn python_dict_str(m: &[NestedGroup]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_python_repr(&mut out, k);
        out.push_str(": ");
        match v {
            Some(v) => push_python_repr(&mut out, v),
            None => out.push_str("None"),
        }
    }
    out.push('}');
    out
}

/// Python's `repr()` of a string: single quotes unless the text has one
/// and no double quote; backslash, the quote, controls and characters
/// Python 3.11 does not print (`str.isprintable`, unassigned code points
/// included: see `ucd.rs`) escaped.
fn push_python_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if crate::ucd::python_printable(c) => out.push(c),
            c => {
                let n = u32::from(c);
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
        }
    }
    out.push(quote);
}

/// A cell: its text, or the list of its items.
fn serialize_cell<S: serde::Serializer, I: serde::Serialize>(
    s: S,
    cell: Result<&str, &[I]>,
) -> Result<S::Ok, S::Error> {
    match cell {
        Ok(v) => s.serialize_str(v),
        Err(items) => {
            let mut seq = s.serialize_seq(Some(items.len()))?;
            for i in items {
                seq.serialize_element(i)?;
            }
            seq.end()
        }
    }
}

impl serde::Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_item(
            s,
            match self {
                Item::Str(v) => Some(Ok(v)),
                Item::Null => None,
                Item::Map(m) => Some(Err(m)),
            },
        )
    }
}

impl serde::Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Str(v) => serialize_cell::<S, Item>(s, Ok(v)),
            Cell::List(items) => serialize_cell(s, Err(items.as_slice())),
        }
    }
}

impl serde::Serialize for ItemRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_item(
            s,
            match self {
                ItemRef::Str(v) => Some(Ok(v)),
                ItemRef::Null => None,
                ItemRef::Map(m) => Some(Err(m)),
            },
        )
    }
}

impl serde::Serialize for CellRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CellRef::Str(v) => serialize_cell::<S, ItemRef<'_>>(s, Ok(v)),
            CellRef::List(items) => serialize_cell(s, Err(&items[..])),
        }
    }
}

/// One record of [`Records`] or [`BorrowedRecords`], serialized as a map.
struct RecordView<'r, C> {
    keys: &'r [String],
    columns: &'r [usize],
    row: &'r [C],
}

impl<C: serde::Serialize> serde::Serialize for RecordView<'_, C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.keys.len()))?;
        for (k, &c) in self.keys.iter().zip(self.columns) {
            map.serialize_entry(k, &self.row[c])?;
        }
        map.end()
    }
}

impl serde::Serialize for Records {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_records(
            s,
            &self.keys,
            &self.columns,
            self.rows.iter().map(Vec::as_slice),
        )
    }
}

/// Python's `value.value`: `None`, a string, or (once saved) a list. Text
/// borrows the input: nothing is copied until the parse ends.
#[derive(Debug, Clone)]
enum Current<'a> {
    None,
    Str(&'a str),
    List(Vec<ItemRef<'a>>),
}

impl Current<'_> {
    fn is_truthy(&self) -> bool {
        match self {
            Current::None => false,
            Current::Str(s) => !s.is_empty(),
            Current::List(l) => !l.is_empty(),
        }
    }
}

/// An [`Item`] borrowing the input.
#[derive(Debug, Clone)]
enum ItemRef<'a> {
    Str(&'a str),
    Null,
    /// Nested-group maps are rare: owned.
    Map(Vec<(String, Option<String>)>),
}

impl ItemRef<'_> {
    fn size(&self) -> usize {
        16 + match self {
            ItemRef::Str(s) => s.len(),
            ItemRef::Null => 0,
            ItemRef::Map(m) => m
                .iter()
                .map(|(k, v)| 16 + k.len() + v.as_ref().map_or(0, String::len))
                .sum(),
        }
    }

    fn to_item(&self) -> Item {
        match self {
            ItemRef::Str(s) => Item::Str((*s).to_string()),
            ItemRef::Null => Item::Null,
            ItemRef::Map(m) => Item::Map(m.clone()),
        }
    }
}

/// A [`Cell`] borrowing the input (24 bytes: a record of every line
/// keeps many).
#[derive(Debug, Clone)]
enum CellRef<'a> {
    Str(&'a str),
    List(Box<[ItemRef<'a>]>),
}

impl CellRef<'_> {
    fn is_truthy(&self) -> bool {
        match self {
            CellRef::Str(s) => !s.is_empty(),
            CellRef::List(l) => !l.is_empty(),
        }
    }

    fn size(&self) -> usize {
        16 + match self {
            CellRef::Str(s) => s.len(),
            CellRef::List(l) => l.iter().map(ItemRef::size).sum(),
        }
    }

    fn to_cell(&self) -> Cell {
        match self {
            CellRef::Str(s) => Cell::Str((*s).to_string()),
            CellRef::List(l) => Cell::List(l.iter().map(ItemRef::to_item).collect()),
        }
    }
}

/// Room for cells faulted in at once as records reach it.
const POPULATE_BYTES: usize = 256 << 10;

/// Most cells a parse reserves room for before it has any (8 MiB).
const MAX_RESERVED_CELLS: usize = (8 << 20) / std::mem::size_of::<CellRef<'static>>();

/// The state of one Value while parsing.
struct Slot<'a> {
    current: Current<'a>,
    /// Filldown's remembered value.
    kept: Option<&'a str>,
    /// List's items so far.
    items: Vec<ItemRef<'a>>,
}

struct Run<'t, 'a> {
    t: &'t Template,
    slots: Vec<Slot<'a>>,
    /// The records, one after the other, `t.values.len()` cells each.
    cells: Vec<CellRef<'a>>,
    /// Cells up to which `cells`' room has its pages mapped in: the room
    /// reserved is for a record a line, most outputs fill a part of it, so
    /// it is faulted in a piece at a time as records reach it.
    populated: usize,
    output_bytes: usize,
    limits: &'t Limits,
    input_line: usize,
}

impl Template {
    /// Parse `text` as Python's `TextFSM.ParseText` does, within `limits`.
    pub fn parse_text(&self, text: &str, limits: &Limits) -> Result<Table, ParseError> {
        let cells = self.run(text, limits)?;
        let width = self.values.len().max(1);
        Ok(Table {
            header: self.values.iter().map(|v| v.name.clone()).collect(),
            rows: cells
                .chunks(width)
                .map(|row| row.iter().map(CellRef::to_cell).collect())
                .collect(),
        })
    }

    /// [`Template::parse_text`] as `parse_output` records that point into
    /// `text` (nothing copied).
    pub fn parse_records<'a>(
        &self,
        text: &'a str,
        limits: &Limits,
    ) -> Result<BorrowedRecords<'a>, ParseError> {
        let cells = self.run(text, limits)?;
        let (keys, columns) = record_keys(self.values.iter().map(|v| v.name.as_str()));
        Ok(BorrowedRecords {
            keys,
            columns,
            width: self.values.len().max(1),
            cells,
        })
    }

    /// The state machine over `text`: the records' cells, one row after the
    /// other.
    fn run<'a>(&self, text: &'a str, limits: &Limits) -> Result<Vec<CellRef<'a>>, ParseError> {
        if text.len() > limits.max_input_bytes {
            return Err(ParseError::InputTooLarge {
                size: text.len(),
                limit: limits.max_input_bytes,
            });
        }
        let mut run = Run {
            t: self,
            slots: self
                .values
                .iter()
                .map(|_| Slot {
                    current: Current::None,
                    kept: None,
                    items: Vec::new(),
                })
                .collect(),
            // Room for a record a line (up to 8 MiB of cells): the cells of
            // a long output are written once, never copied as they grow.
            cells: Vec::with_capacity(
                (memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1)
                    .saturating_mul(self.values.len())
                    .min(MAX_RESERVED_CELLS),
            ),
            populated: 0,
            output_bytes: 0,
            limits,
            input_line: 0,
        };
        let started = Instant::now();
        let mut steps: u64 = 0;
        // Match buffers per rule, reused line after line.
        let mut groups: Vec<Groups> = (0..self.rule_count).map(|_| Groups::default()).collect();
        let mut state = self.start;
        let mut stopped_by: Option<Transition> = None;
        // Nearly all device output is ASCII: the small, fast form of every
        // regex applies (decided once for the text, else once per line).
        let all_ascii = text.is_ascii();
        'lines: for line in split_lines(text) {
            run.input_line += 1;
            let ascii = all_ascii || line.is_ascii();
            // The line's bytes, made when a rule with a literal first asks.
            let mut line_bytes: Option<ByteSet> = None;
            for rule in &self.states[state] {
                steps += 1;
                if steps > limits.max_steps {
                    return Err(ParseError::StepBudget {
                        limit: limits.max_steps,
                        input_line: run.input_line,
                    });
                }
                // Reading the clock costs more than a cheap rule: every 64th.
                if steps.is_multiple_of(64) && started.elapsed() > limits.time_budget {
                    return Err(ParseError::TimeBudget {
                        budget: limits.time_budget,
                        input_line: run.input_line,
                    });
                }
                if let Some(literal) = &rule.literal {
                    let bytes = line_bytes.get_or_insert_with(|| ByteSet::of(line.as_bytes()));
                    if !bytes.holds(&rule.literal_bytes) || literal.find(line.as_bytes()).is_none()
                    {
                        continue;
                    }
                }
                let groups = &mut groups[rule.id];
                // A rule that assigns nothing needs no group spans.
                let matched = if rule.assigns.is_empty() {
                    rule.regex.matches(line, ascii)
                } else {
                    rule.regex.match_groups(line, ascii, groups)
                };
                match matched {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => return Err(match_error(limits, run.input_line, rule.line, e)),
                }
                for &(group, value) in &rule.assigns {
                    run.assign(value, groups.get(line, group))?;
                }
                match rule.record_op {
                    RecordOp::NoRecord => {}
                    RecordOp::Record => run.append_record()?,
                    RecordOp::Clear => run.clear(),
                    RecordOp::Clearall => run.clear_all(),
                }
                match rule.line_op {
                    LineOp::Error => {
                        return Err(ParseError::Rejected {
                            message: rule.message.clone(),
                            rule_line: rule.line,
                            input_line: run.input_line,
                            text: line.to_string(),
                        });
                    }
                    LineOp::Continue => continue,
                    LineOp::Next => {}
                }
                match rule.transition {
                    Transition::Stay => {}
                    Transition::To(s) => state = s,
                    end @ (Transition::End | Transition::Eof) => {
                        stopped_by = Some(end);
                        break 'lines;
                    }
                }
                break;
            }
        }
        // Reaching the end of the input records what is pending, unless the
        // template stopped at `End` or declares its own (empty) `EOF` state.
        if stopped_by != Some(Transition::End) && !self.has_eof_state {
            run.append_record()?;
        }
        Ok(run.cells)
    }
}

impl<'a> Run<'_, 'a> {
    fn assign(&mut self, index: usize, matched: Option<&'a str>) -> Result<(), ParseError> {
        let def = &self.t.values[index];
        let slot = &mut self.slots[index];
        slot.current = matched.map_or(Current::None, Current::Str);
        for option in &def.options {
            match option {
                ValueOption::Filldown => slot.kept = matched,
                ValueOption::Fillup => {
                    if let Some(m) = matched.filter(|m| !m.is_empty()) {
                        let width = self.t.values.len();
                        for row in self.cells.rchunks_mut(width) {
                            if row[index].is_truthy() {
                                break;
                            }
                            self.output_bytes += m.len();
                            row[index] = CellRef::Str(m);
                        }
                    }
                }
                ValueOption::List => {
                    let item = match (&def.nested, matched) {
                        (Some(_), None) => {
                            return Err(ParseError::ListWithoutMatch {
                                value: def.name.clone(),
                                input_line: self.input_line,
                            });
                        }
                        (Some(re), Some(m)) => match nested_item(re, m) {
                            Ok(item) => item,
                            Err(e) => return Err(match_error(self.limits, self.input_line, 0, e)),
                        },
                        (None, m) => m.map_or(ItemRef::Null, ItemRef::Str),
                    };
                    slot.items.push(item);
                }
                ValueOption::Required | ValueOption::Key => {}
            }
        }
        Ok(())
    }

    /// Python's `_ClearRecord`: every value cleared; Filldown restores its
    /// kept value, a Filldown List keeps its items.
    fn clear(&mut self) {
        for (def, slot) in self.t.values.iter().zip(&mut self.slots) {
            slot.current = Current::None;
            for option in &def.options {
                match option {
                    ValueOption::Filldown => {
                        slot.current = slot.kept.map_or(Current::None, Current::Str);
                    }
                    ValueOption::List if !def.has(ValueOption::Filldown) => slot.items.clear(),
                    _ => {}
                }
            }
        }
    }

    fn clear_all(&mut self) {
        for slot in &mut self.slots {
            slot.current = Current::None;
            slot.kept = None;
            slot.items.clear();
        }
    }

    /// Python's `_AppendRecord`. The record is written straight after the
    /// earlier ones and taken back when a Required value refuses it or
    /// every value is empty.
    fn append_record(&mut self) -> Result<(), ParseError> {
        if self.t.values.is_empty() {
            return Ok(());
        }
        let start = self.cells.len();
        if start + self.t.values.len() > self.populated {
            self.populated =
                start + crate::prefault::populate_ahead(&mut self.cells, POPULATE_BYTES);
        }
        let mut empty = true;
        let mut size = 0;
        for (def, slot) in self.t.values.iter().zip(&mut self.slots) {
            for option in &def.options {
                match option {
                    ValueOption::Required if !slot.current.is_truthy() => {
                        self.cells.truncate(start);
                        self.clear();
                        return Ok(());
                    }
                    ValueOption::List => slot.current = Current::List(slot.items.clone()),
                    _ => {}
                }
            }
            let cell = match &slot.current {
                Current::None => CellRef::Str(""),
                Current::Str(s) => {
                    empty = false;
                    CellRef::Str(s)
                }
                Current::List(l) => {
                    empty &= l.is_empty();
                    CellRef::List(l.as_slice().into())
                }
            };
            size += cell.size();
            self.cells.push(cell);
        }
        if empty {
            self.cells.truncate(start);
            return Ok(());
        }
        self.output_bytes += size;
        if self.output_bytes > self.limits.max_output_bytes {
            return Err(ParseError::OutputTooLarge {
                limit: self.limits.max_output_bytes,
                input_line: self.input_line,
            });
        }
        self.clear();
        Ok(())
    }
}

fn match_error(limits: &Limits, input_line: usize, rule_line: usize, e: MatchError) -> ParseError {
    match e {
        MatchError::Backtracking => ParseError::Backtracking {
            rule_line,
            input_line,
            limit: limits.backtrack_steps,
        },
        MatchError::Build(reason) => ParseError::Regex { rule_line, reason },
    }
}

/// The named groups of a nested List value, or the text itself when its own
/// regex does not match it alone or has no named groups.
fn nested_item<'a>(pattern: &Pattern, text: &'a str) -> Result<ItemRef<'a>, MatchError> {
    let mut groups = Groups::default();
    if !pattern.match_groups(text, text.is_ascii(), &mut groups)? {
        return Ok(ItemRef::Str(text));
    }
    let map: Vec<(String, Option<String>)> = pattern
        .capture_names()
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| Some((name?.to_string(), groups.get(text, i).map(str::to_string))))
        .collect();
    Ok(if map.is_empty() {
        ItemRef::Str(text)
    } else {
        ItemRef::Map(map)
    })
}

#[cfg(test)]
mod tests {
    use crate::{Limits, Template};

    #[test]
    fn records_lower_case_keys_and_a_later_duplicate_takes_the_value() {
        let t = Template::compile(
            "Value Port (\\S+)\nValue PORT (\\S+)\nValue Speed (\\S+)\n\nStart\n  ^${Port} ${PORT} ${Speed} -> Record\n",
            &Limits::default(),
        )
        .unwrap();
        let table = t.parse_text("a b c\nd e f\n", &Limits::default()).unwrap();
        let records = table.clone().into_records();
        assert_eq!(records, table.records());
        assert_eq!(records.keys(), ["port", "speed"]);
        assert_eq!(records.len(), 2);
        assert_eq!(
            serde_json::to_string(&records).unwrap(),
            r#"[{"port":"b","speed":"c"},{"port":"e","speed":"f"}]"#
        );
    }

    #[test]
    fn a_cell_needs_an_escape_exactly_where_serde_json_writes_one() {
        let plain = |s: &str| serde_json::to_string(s).unwrap() == format!("\"{s}\"");
        for c in (0u8..128).map(char::from).chain(['é', '\u{2028}', '😀']) {
            // Alone, inside a cell, and after a long run of plain bytes.
            for s in [
                format!("{c}"),
                format!("ab{c}cd"),
                format!("{}{c}", "x".repeat(70)),
                format!("{}{c}{}", "é".repeat(5), "x".repeat(9)),
                format!("abcdefg{c}hijklmnop\u{7f}\u{80}ÿ"),
            ] {
                assert_eq!(super::needs_escape(&s), !plain(&s), "{s:?}");
            }
            // At every place in a word of eight and in the tail after two.
            for at in 0..20 {
                let s = format!("{}{c}{}", "y".repeat(at), "ÿ".repeat(20 - at));
                assert_eq!(super::needs_escape(&s), !plain(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn records_written_as_json_are_the_text_serde_json_gives() {
        let t = Template::compile(
            "Value Name (.+)\nValue List Tags (\\S+)\nValue List Pairs ((?P<k>\\w)=(?P<v>\\w))\n\nStart\n  ^name ${Name}\n  ^tag ${Tags}\n  ^pair ${Pairs}\n  ^end -> Record\n",
            &Limits::default(),
        )
        .unwrap();
        let text =
            "name a \"quoted\" \\ back\ttab é\ntag x\ntag y\npair a=b\nend\nname plain\nend\n";
        let records = t.parse_records(text, &Limits::default()).unwrap();
        assert_eq!(records.len(), 2);
        let mut written = Vec::new();
        records.write_json(&mut written).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            serde_json::to_string(&records).unwrap()
        );
        let none = Template::compile("Value X (x)\n\nStart\n  ^y\n", &Limits::default()).unwrap();
        let mut written = Vec::new();
        none.parse_records("y\n", &Limits::default())
            .unwrap()
            .write_json(&mut written)
            .unwrap();
        assert_eq!(written, b"[]");
    }

    #[test]
    fn a_refused_record_leaves_the_earlier_ones_whole() {
        // Required refuses the second record after the first value was
        // written; Fillup then fills the earlier record only.
        let t = Template::compile(
            "Value A (\\S+)\nValue Required B (\\d+)\nValue Fillup C (\\S+)\n\nStart\n  ^${A} ${B} -> Record\n  ^${A} none -> Record\n  ^fill ${C}\n",
            &Limits::default(),
        )
        .unwrap();
        let table = t
            .parse_text("x 1\ny none\nfill z\n", &Limits::default())
            .unwrap();
        let rows: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        crate::Cell::Str(s) => s.clone(),
                        crate::Cell::List(_) => "list".into(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(rows, [["x", "1", "z"]]);
    }
}
