//! How records are shown at the end of `exec` / `run`: a table (the
//! default), JSON, JSON Lines, YAML, or raw text under a header per device
//! (as Nornir's `print_result`). Exec records whose commands carry parsed
//! lists (TextFSM-style rows) get an aligned table of those rows.

use super::{Record, Summary, render_table};
use serde_json::Value;
use std::fmt::Write as _;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The per-device table and summary; parsed rows as aligned tables.
    #[default]
    Table,
    /// One JSON array of every record.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// A YAML list of every record.
    Yaml,
    /// Each device's text under a header.
    Raw,
}

/// Render `records` (sorted by device) in `format`. `max_rows` bounds the
/// table's device rows.
pub fn render(format: Format, records: &[Record], summary: &Summary, max_rows: usize) -> String {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| a.device.cmp(&b.device));
    match format {
        Format::Table => {
            let mut out = String::new();
            for r in &sorted {
                out.push_str(&parsed_tables(r));
            }
            out.push_str(&render_table(records, summary, max_rows));
            out
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&sorted).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Jsonl => sorted
            .iter()
            .filter_map(|r| serde_json::to_string(r).ok())
            .map(|l| l + "\n")
            .collect(),
        Format::Yaml => serde_saphyr::to_string(&sorted).unwrap_or_default(),
        Format::Raw => sorted.iter().map(|r| raw(r)).collect(),
    }
}

/// One device as text: a header, then each command's output (exec), the
/// data as indented JSON (workflows), or the error.
fn raw(r: &Record) -> String {
    let mut out = String::new();
    let status = match &r.error {
        Some(e) => format!("error: {}", e.class),
        None => "ok".into(),
    };
    let _ = writeln!(out, "{:*<72}", format!("* {} ** {status} ", r.device));
    match commands_of(r) {
        Some(list) => {
            for c in list {
                let command = c.get("command").and_then(Value::as_str).unwrap_or("");
                let _ = writeln!(out, "{:-<72}", format!("---- {command} "));
                if let Some(o) = c.get("output").and_then(Value::as_str) {
                    out.push_str(o);
                    if !o.ends_with('\n') {
                        out.push('\n');
                    }
                } else if let Some(e) = c.get("error") {
                    let _ = writeln!(
                        out,
                        "error: {}: {}",
                        e.get("class").and_then(Value::as_str).unwrap_or(""),
                        e.get("message").and_then(Value::as_str).unwrap_or("")
                    );
                } else {
                    out.push_str("(not sent)\n");
                }
            }
        }
        None => {
            if let Some(d) = &r.data {
                out.push_str(&serde_json::to_string_pretty(d).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    if let Some(e) = &r.error {
        let _ = writeln!(out, "{}: {}", e.class, e.message);
    }
    out.push('\n');
    out
}

/// Aligned tables of the parsed rows of an exec record, one per command
/// whose `parsed` is a list of flat objects.
/// The commands of an `exec` record (`data.commands`), if it is one.
fn commands_of(r: &Record) -> Option<&Vec<Value>> {
    r.data
        .as_ref()
        .and_then(|d| d.get("commands"))
        .and_then(Value::as_array)
}

/// Whether `r` holds parsed command output, which the table format prints
/// for every device.
pub fn has_parsed_tables(r: &Record) -> bool {
    commands_of(r).is_some_and(|list| {
        list.iter()
            .any(|c| c.get("parsed").is_some_and(Value::is_array))
    })
}

fn parsed_tables(r: &Record) -> String {
    let Some(list) = commands_of(r) else {
        return String::new();
    };
    let mut out = String::new();
    for c in list {
        let Some(table) = c
            .get("parsed")
            .and_then(Value::as_array)
            .and_then(|rows| records_table(rows))
        else {
            continue;
        };
        let command = c.get("command").and_then(Value::as_str).unwrap_or("");
        let _ = writeln!(out, "{}: {command}", r.device);
        out.push_str(&table);
        out.push('\n');
    }
    out
}

/// Parsed records (a list of flat objects, as a parser gives them) as an
/// aligned table; `None` when `records` holds no object.
pub fn records_table(records: &[Value]) -> Option<String> {
    let rows: Vec<&serde_json::Map<String, Value>> =
        records.iter().filter_map(Value::as_object).collect();
    (!rows.is_empty()).then(|| aligned(&rows))
}

/// Rows as columns: the keys of the first row (then any new keys of later
/// rows), upper-cased headers, each column as wide as its widest cell.
fn aligned(rows: &[&serde_json::Map<String, Value>]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
    }
    let cell = |row: &serde_json::Map<String, Value>, k: &str| cell_text(row.get(k));
    let mut table: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    table.push(keys.iter().map(|k| k.to_uppercase()).collect());
    table.extend(
        rows.iter()
            .map(|r| keys.iter().map(|k| cell(r, k)).collect()),
    );
    columns(&table)
}

/// A parsed record's cell as text: a string as it is, a list's items
/// joined with commas, nothing for a missing key.
pub fn cell_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

/// Rows as text columns two spaces apart, each column as wide as its widest
/// cell (the header row included), without trailing spaces: the one table
/// layout of every listing netrun prints.
pub fn columns<R: AsRef<[S]>, S: AsRef<str>>(rows: &[R]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.as_ref().iter().enumerate() {
            let n = cell.as_ref().chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let start = out.len();
        for (cell, w) in row.as_ref().iter().zip(&widths) {
            let cell = cell.as_ref();
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', w + 2 - cell.chars().count()));
        }
        let kept = start + out[start..].trim_end().len();
        out.truncate(kept);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell_without_trailing_spaces() {
        let rows = [
            ["NAME", "KIND", "WHERE"],
            ["interface-counters", "workflow", "/a"],
            ["ios", "driver", ""],
        ];
        let text = columns(&rows);
        let lines: Vec<&str> = text.lines().collect();
        let kind_at = lines[0].find("KIND").unwrap();
        assert_eq!(lines[1].find("workflow"), Some(kind_at), "{text}");
        assert_eq!(lines[2].find("driver"), Some(kind_at), "{text}");
        assert!(lines[1].ends_with("/a"), "the last column is not padded");
        assert!(
            lines[2].ends_with("driver"),
            "an empty last cell leaves no spaces"
        );
        assert_eq!(lines.len(), 3);
    }

    fn exec_record() -> Record {
        Record::ok(
            "r1",
            json!({"commands": [
                {"command": "show clock", "output": "*10:00:00.000 UTC Mon Nov 30 2026\n"},
                {"command": "show interfaces status", "output": "Port Name Status\n", "parsed": [
                    {"port": "Gi0/1", "name": "uplink", "status": "connected", "vlan": "1"},
                    {"port": "Gi0/2", "name": "", "status": "notconnect", "vlan": "10"},
                ]},
            ]}),
            Duration::from_millis(5),
            1,
        )
    }

    fn summary(records: &[Record]) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.add(r);
        }
        s
    }

    #[test]
    fn table_shows_parsed_rows_aligned_per_device() {
        let records = vec![exec_record()];
        let out = render(Format::Table, &records, &summary(&records), 50);
        assert!(out.contains("r1: show interfaces status"), "{out}");
        // Columns in the parser's order (a TextFSM template's Values).
        assert!(out.contains("PORT   NAME    STATUS      VLAN\n"), "{out}");
        assert!(out.contains("Gi0/1  uplink  connected   1\n"), "{out}");
        assert!(out.contains("Gi0/2          notconnect  10\n"), "{out}");
        assert!(out.contains("1 device: 1 ok"), "{out}");
    }

    #[test]
    fn raw_puts_each_output_under_its_device_and_command() {
        let failed = Record::failed(
            "r2",
            Error::new(ErrorClass::Auth, "r2: authentication failed"),
            Duration::ZERO,
            1,
        );
        let records = vec![failed, exec_record()];
        let out = render(Format::Raw, &records, &summary(&records), 50);
        let r1 = out.find("* r1 ** ok").unwrap();
        let r2 = out.find("* r2 ** error: auth").unwrap();
        assert!(r1 < r2, "sorted by device: {out}");
        assert!(out.contains("---- show clock ---"), "{out}");
        assert!(out.contains("*10:00:00.000 UTC Mon Nov 30 2026\n"), "{out}");
        assert!(out.contains("auth: r2: authentication failed"), "{out}");
    }

    #[test]
    fn json_yaml_and_jsonl_carry_every_record() {
        let records = vec![exec_record()];
        let s = summary(&records);
        let json: Value = serde_json::from_str(&render(Format::Json, &records, &s, 50)).unwrap();
        assert_eq!(json[0]["device"], "r1");
        let line: Value = serde_json::from_str(
            render(Format::Jsonl, &records, &s, 50)
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(line["data"]["commands"][1]["parsed"][0]["port"], "Gi0/1");
        let yaml: Value = serde_saphyr::from_str(&render(Format::Yaml, &records, &s, 50)).unwrap();
        assert_eq!(yaml[0]["data"]["commands"][0]["command"], "show clock");
    }
}
