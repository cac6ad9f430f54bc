//! Running a template over text: the state machine and the record being
//! built, with each Value option acting at the moments Python textfsm 2.x
//! calls it (assign, clear, clear-all, save), in the order the options are
//! written.

use crate::error::ParseError;
use crate::pyre::{Groups, MatchError, Pattern};
use crate::template::{LineOp, RecordOp, Template, Transition, ValueOption};
use crate::{Limits, split_lines};
use serde::ser::{SerializeMap, SerializeSeq};
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

impl Cell {
    fn is_truthy(&self) -> bool {
        match self {
            Cell::Str(s) => !s.is_empty(),
            Cell::List(l) => !l.is_empty(),
        }
    }

    fn size(&self) -> usize {
        16 + match self {
            Cell::Str(s) => s.len(),
            Cell::List(l) => l
                .iter()
                .map(|i| {
                    16 + match i {
                        Item::Str(s) => s.len(),
                        Item::Null => 0,
                        Item::Map(m) => m
                            .iter()
                            .map(|(k, v)| 16 + k.len() + v.as_ref().map_or(0, String::len))
                            .sum(),
                    }
                })
                .sum(),
        }
    }
}

/// The result of a parse: the Value names and one row per record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Value names, in template order.
    pub header: Vec<String>,
    /// Records, each with one cell per header entry.
    pub rows: Vec<Vec<Cell>>,
}

/// A record as ntc-templates' `parse_output` gives it: `(key, value)` in
/// template order, keys lower-cased. Serializes as a JSON object in that
/// order; List items that were Python's `None` become `"None"`, as
/// `parse_output` stringifies them, and nested-group maps stay objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record(pub Vec<(String, Cell)>);

impl Table {
    /// The rows as `parse_output` records (keys lower-cased; a later key
    /// that lower-cases to an earlier one takes its place, as in a Python dict).
    pub fn records(&self) -> Vec<Record> {
        let keys: Vec<String> = self.header.iter().map(|h| h.to_lowercase()).collect();
        self.rows
            .iter()
            .map(|row| {
                let mut fields: Vec<(String, Cell)> = Vec::with_capacity(row.len());
                for (k, cell) in keys.iter().zip(row) {
                    match fields.iter_mut().find(|(f, _)| f == k) {
                        Some(slot) => slot.1 = cell.clone(),
                        None => fields.push((k.clone(), cell.clone())),
                    }
                }
                Record(fields)
            })
            .collect()
    }
}

impl serde::Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Str(v) => s.serialize_str(v),
            Item::Null => s.serialize_str("None"),
            Item::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl serde::Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Str(v) => s.serialize_str(v),
            Cell::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
        }
    }
}

impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Python's `value.value`: `None`, a string, or (once saved) a list.
#[derive(Debug, Clone)]
enum Current {
    None,
    Str(String),
    List(Vec<Item>),
}

impl Current {
    fn is_truthy(&self) -> bool {
        match self {
            Current::None => false,
            Current::Str(s) => !s.is_empty(),
            Current::List(l) => !l.is_empty(),
        }
    }
}

/// The state of one Value while parsing.
struct Slot {
    current: Current,
    /// Filldown's remembered value.
    kept: Option<String>,
    /// List's items so far.
    items: Vec<Item>,
}

/// Saving a record was refused by a Required value.
struct SkipRecord;

struct Run<'t> {
    t: &'t Template,
    slots: Vec<Slot>,
    rows: Vec<Vec<Cell>>,
    output_bytes: usize,
    limits: &'t Limits,
    input_line: usize,
}

impl Template {
    /// Parse `text` as Python's `TextFSM.ParseText` does, within `limits`.
    pub fn parse_text(&self, text: &str, limits: &Limits) -> Result<Table, ParseError> {
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
            rows: Vec::new(),
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
        'lines: for line in split_lines(text) {
            run.input_line += 1;
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
                if rule
                    .literal
                    .as_ref()
                    .is_some_and(|l| !line.contains(l.as_str()))
                {
                    continue;
                }
                let groups = &mut groups[rule.id];
                match rule.regex.match_groups(line, groups) {
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
        Ok(Table {
            header: self.values.iter().map(|v| v.name.clone()).collect(),
            rows: run.rows,
        })
    }
}

impl Run<'_> {
    fn assign(&mut self, index: usize, matched: Option<&str>) -> Result<(), ParseError> {
        let def = &self.t.values[index];
        let slot = &mut self.slots[index];
        slot.current = matched.map_or(Current::None, |m| Current::Str(m.to_string()));
        for option in &def.options {
            match option {
                ValueOption::Filldown => slot.kept = matched.map(str::to_string),
                ValueOption::Fillup => {
                    if let Some(m) = matched.filter(|m| !m.is_empty()) {
                        for row in self.rows.iter_mut().rev() {
                            if row[index].is_truthy() {
                                break;
                            }
                            self.output_bytes += m.len();
                            row[index] = Cell::Str(m.to_string());
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
                        (None, m) => m.map_or(Item::Null, |m| Item::Str(m.to_string())),
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
                        slot.current = slot.kept.clone().map_or(Current::None, Current::Str);
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

    fn save(&mut self) -> Result<Vec<Current>, SkipRecord> {
        let mut record = Vec::with_capacity(self.slots.len());
        for (def, slot) in self.t.values.iter().zip(&mut self.slots) {
            for option in &def.options {
                match option {
                    ValueOption::Required if !slot.current.is_truthy() => return Err(SkipRecord),
                    ValueOption::List => slot.current = Current::List(slot.items.clone()),
                    _ => {}
                }
            }
            record.push(slot.current.clone());
        }
        Ok(record)
    }

    /// Python's `_AppendRecord`.
    fn append_record(&mut self) -> Result<(), ParseError> {
        if self.t.values.is_empty() {
            return Ok(());
        }
        let Ok(record) = self.save() else {
            self.clear();
            return Ok(());
        };
        let empty = record.iter().all(|c| match c {
            Current::None => true,
            Current::List(l) => l.is_empty(),
            Current::Str(_) => false,
        });
        if empty {
            return Ok(());
        }
        let row: Vec<Cell> = record
            .into_iter()
            .map(|c| match c {
                Current::None => Cell::Str(String::new()),
                Current::Str(s) => Cell::Str(s),
                Current::List(l) => Cell::List(l),
            })
            .collect();
        self.output_bytes += row.iter().map(Cell::size).sum::<usize>();
        if self.output_bytes > self.limits.max_output_bytes {
            return Err(ParseError::OutputTooLarge {
                limit: self.limits.max_output_bytes,
                input_line: self.input_line,
            });
        }
        self.rows.push(row);
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
        MatchError::Unicode(reason) => ParseError::Regex { rule_line, reason },
    }
}

/// The named groups of a nested List value, or the text itself when its own
/// regex does not match it alone or has no named groups.
fn nested_item(pattern: &Pattern, text: &str) -> Result<Item, MatchError> {
    let mut groups = Groups::default();
    if !pattern.match_groups(text, &mut groups)? {
        return Ok(Item::Str(text.to_string()));
    }
    let map: Vec<(String, Option<String>)> = pattern
        .capture_names()
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| Some((name?.to_string(), groups.get(text, i).map(str::to_string))))
        .collect();
    Ok(if map.is_empty() {
        Item::Str(text.to_string())
    } else {
        Item::Map(map)
    })
}
