//! Results: one record per device, always; sinks that write them as they
//! arrive (JSON Lines), and the summary a person reads at the end.

use crate::error::{Error, ErrorClass};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub mod format;
mod placement;
pub use placement::Placement;

/// Outcome of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The job succeeded.
    Ok,
    /// It failed; see `error`.
    Error,
}

/// The `error` object of a failed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// Class from the fixed set.
    pub class: ErrorClass,
    /// Human message: device, step, fix.
    pub message: String,
}

/// One device's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// Inventory name.
    pub device: String,
    /// ok or error.
    pub status: Status,
    /// The job's structured result (ok records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Why it failed (error records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordError>,
    /// Wall time spent on the device.
    pub elapsed_ms: u64,
    /// Connection attempts made.
    pub attempts: u32,
    /// Where the device was worked on past one machine: its shard, or the
    /// NATS worker and how often the task was handed out.
    #[serde(flatten)]
    pub placement: Placement,
}

impl Record {
    /// A success.
    pub fn ok(device: &str, data: Value, elapsed: Duration, attempts: u32) -> Record {
        Record {
            device: device.to_string(),
            status: Status::Ok,
            data: Some(data),
            error: None,
            elapsed_ms: elapsed.as_millis() as u64,
            attempts,
            placement: Default::default(),
        }
    }

    /// A failure.
    pub fn failed(device: &str, error: Error, elapsed: Duration, attempts: u32) -> Record {
        Record {
            device: device.to_string(),
            status: Status::Error,
            data: None,
            error: Some(RecordError {
                class: error.class,
                message: error.message,
            }),
            elapsed_ms: elapsed.as_millis() as u64,
            attempts,
            placement: Default::default(),
        }
    }
}

/// Writes records as JSON Lines, one flush per record so a crash or a
/// signal loses nothing already collected.
pub struct JsonlSink {
    out: Box<dyn Write + Send>,
    stdout: bool,
}

impl JsonlSink {
    /// `-` is stdout; anything else a file, created or truncated.
    pub fn create(path: &Path) -> std::io::Result<JsonlSink> {
        let stdout = path.as_os_str() == "-";
        let out: Box<dyn Write + Send> = if stdout {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::fs::File::create(path)?)
        };
        Ok(JsonlSink { out, stdout })
    }

    /// [`write`](Self::write) `r`, keeping the first error in `first`.
    /// True when the reader of standard output went away (`-o - | head`):
    /// nobody takes the records any more.
    pub fn write_keeping_error(&mut self, r: &Record, first: &mut Option<std::io::Error>) -> bool {
        let Err(e) = self.write(r) else {
            return false;
        };
        let gone = self.stdout && crate::cli::stdout::closed_by_reader(&e);
        first.get_or_insert(e);
        gone
    }

    /// `e` from this sink as the error a command ends with.
    pub fn failure(&self, e: std::io::Error) -> anyhow::Error {
        if self.stdout {
            crate::cli::stdout::StdoutError(e).into()
        } else {
            anyhow::anyhow!("writing results failed: {e}")
        }
    }

    /// Flush what was written (each record is flushed already; this is
    /// the check at the end of a run).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Append one record: the whole line in one write, so a reader
    /// following the file (`tail -f`, a collector) never sees half a
    /// record, and one system call per device instead of one per token.
    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }
}

/// Counts for the summary.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Devices ok.
    pub ok: usize,
    /// Devices failed, per class.
    pub failed: BTreeMap<ErrorClass, usize>,
    /// Wall time of the run.
    pub wall: Duration,
}

impl Summary {
    /// Count a record.
    pub fn add(&mut self, r: &Record) {
        match &r.error {
            None => self.ok += 1,
            Some(e) => *self.failed.entry(e.class).or_default() += 1,
        }
    }

    /// Devices counted.
    pub fn total(&self) -> usize {
        self.ok + self.failed.values().sum::<usize>()
    }

    /// Devices failed.
    pub fn failures(&self) -> usize {
        self.failed.values().sum()
    }
}

/// Render the per-device table (all rows up to `max_rows`, then failures
/// only) and the summary line.
pub fn render_table(records: &[Record], summary: &Summary, max_rows: usize) -> String {
    let mut rows: Vec<&Record> = records.iter().collect();
    rows.sort_by(|a, b| a.device.cmp(&b.device));
    // Records may be only those the table shows (see `cli::Keep`): the
    // summary counts every device.
    let total = rows.len().max(summary.total());
    let shown: Vec<&Record> = if total <= max_rows {
        rows
    } else {
        rows.into_iter()
            .filter(|r| r.error.is_some())
            .take(max_rows)
            .collect()
    };
    let width = shown
        .iter()
        .map(|r| r.device.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = String::new();
    if !shown.is_empty() {
        out.push_str(&format!(
            "{:<width$}  {:<6}  {:>8}  {}\n",
            "DEVICE", "STATUS", "TIME", "DETAIL"
        ));
        for r in &shown {
            let detail = match &r.error {
                Some(e) => format!("{}: {}", e.class, e.message),
                None => detail_of(r.data.as_ref()),
            };
            let detail: String = detail.chars().take(160).collect();
            let status = if r.error.is_some() { "error" } else { "ok" };
            out.push_str(&format!(
                "{:<width$}  {:<6}  {:>6}ms  {}\n",
                r.device, status, r.elapsed_ms, detail
            ));
        }
        if shown.len() < total && summary.failures() > 0 {
            out.push_str(&format!("({} ok devices not listed)\n", summary.ok));
        }
    }
    let secs = summary.wall.as_secs_f64();
    let noun = if summary.total() == 1 {
        "device"
    } else {
        "devices"
    };
    out.push_str(&format!(
        "{} {noun}: {} ok, {} failed in {:.2}s",
        summary.total(),
        summary.ok,
        summary.failures(),
        secs,
    ));
    // A rate over less than a hundredth of a second (devices refused before
    // any was dialled) says nothing.
    if secs >= 0.01 {
        out.push_str(&format!(
            " ({:.1} devices/s)",
            summary.total() as f64 / secs
        ));
    }
    if !summary.failed.is_empty() {
        let parts: Vec<String> = summary
            .failed
            .iter()
            .map(|(c, n)| format!("{c}={n}"))
            .collect();
        out.push_str(&format!(" [{}]", parts.join(", ")));
    }
    out.push('\n');
    out
}

/// A short description of a record's data for the table.
fn detail_of(data: Option<&Value>) -> String {
    let Some(data) = data else {
        return String::new();
    };
    if let Some(commands) = data.get("commands").and_then(Value::as_array) {
        return commands
            .iter()
            .map(command_detail)
            .collect::<Vec<_>>()
            .join("; ");
    }
    let pick = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    match (pick("hostname"), pick("model"), pick("os_version")) {
        (Some(h), m, v) => [Some(h), m, v]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        _ => {
            let s = data.to_string();
            s.chars().take(100).collect()
        }
    }
}

/// One command of an `exec` record in a few words: how many records its
/// parser gave and which parser, its one line of output, or how many lines
/// came back unparsed (the JSON of its output told a reader nothing).
fn command_detail(c: &Value) -> String {
    let command = c.get("command").and_then(Value::as_str).unwrap_or("");
    if let Some(e) = c.get("error") {
        let class = e.get("class").and_then(Value::as_str).unwrap_or("error");
        return format!("{command}: {class}");
    }
    let by = c
        .get("parser")
        .and_then(Value::as_str)
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    match c.get("parsed") {
        Some(Value::Array(rows)) => {
            let s = if rows.len() == 1 { "" } else { "s" };
            return format!("{command}: {} record{s}{by}", rows.len());
        }
        Some(Value::Null) | None => {}
        Some(_) => return format!("{command}: parsed{by}"),
    }
    let Some(output) = c.get("output").and_then(Value::as_str) else {
        return format!("{command}: not sent");
    };
    let mut lines = output.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next()) {
        (None, _) => format!("{command}: no output"),
        (Some(line), None) => format!("{command}: {line}"),
        (Some(_), Some(_)) => {
            let n = 2 + lines.count();
            format!("{command}: {n} lines, unparsed (--format raw prints them)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_serialise_in_the_documented_shape() {
        let ok = Record::ok(
            "r1",
            serde_json::json!({"hostname": "r1"}),
            Duration::from_millis(12),
            1,
        );
        let v: Value = serde_json::to_value(&ok).unwrap();
        assert_eq!(v["device"], "r1");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["data"]["hostname"], "r1");
        assert_eq!(v["elapsed_ms"], 12);
        assert!(v.get("error").is_none());
        let bad = Record::failed(
            "r2",
            Error::new(ErrorClass::Auth, "nope"),
            Duration::ZERO,
            1,
        );
        let v: Value = serde_json::to_value(&bad).unwrap();
        assert_eq!(v["status"], "error");
        assert_eq!(v["error"]["class"], "auth");
        assert!(v.get("data").is_none());
    }

    #[test]
    fn table_lists_only_failures_past_the_row_limit() {
        let mut records = Vec::new();
        let mut summary = Summary::default();
        for i in 0..5 {
            let r = Record::ok(
                &format!("r{i}"),
                serde_json::json!({"hostname": format!("r{i}")}),
                Duration::ZERO,
                1,
            );
            summary.add(&r);
            records.push(r);
        }
        let bad = Record::failed(
            "r9",
            Error::new(ErrorClass::Auth, "wrong password"),
            Duration::ZERO,
            1,
        );
        summary.add(&bad);
        records.push(bad);
        let table = render_table(&records, &summary, 3);
        assert!(table.contains("r9") && table.contains("auth: wrong password"));
        assert!(!table.contains("r0 "));
        assert!(table.contains("6 devices: 5 ok, 1 failed"));
        assert!(table.contains("[auth=1]"));
    }

    #[test]
    fn a_one_device_summary_says_device() {
        let mut summary = Summary::default();
        let r = Record::ok("r1", serde_json::json!({}), Duration::ZERO, 1);
        summary.add(&r);
        let table = render_table(&[r], &summary, 10);
        assert!(table.contains("1 device: 1 ok, 0 failed"), "{table}");
    }

    #[test]
    fn the_rate_is_shown_only_over_a_measurable_wall_time() {
        let mut summary = Summary::default();
        for i in 0..4 {
            summary.add(&Record::ok(
                &format!("r{i}"),
                serde_json::json!({}),
                Duration::ZERO,
                1,
            ));
        }
        summary.wall = Duration::from_micros(30);
        let table = render_table(&[], &summary, 10);
        assert!(
            table.ends_with("4 devices: 4 ok, 0 failed in 0.00s\n"),
            "{table}"
        );
        summary.wall = Duration::from_secs(2);
        let table = render_table(&[], &summary, 10);
        assert!(table.ends_with("in 2.00s (2.0 devices/s)\n"), "{table}");
    }

    #[test]
    fn an_exec_row_says_what_each_command_gave_instead_of_its_json() {
        let data = serde_json::json!({"commands": [
            {"command": "show clock", "output": "\n*10:15:01.123 UTC Thu Dec 3 2026\n", "parsed": null},
            {"command": "show interfaces status",
             "output": "Port  Name  Status\nGi0/1  up  connected\n",
             "parsed": [{"port": "Gi0/1"}, {"port": "Gi0/2"}],
             "parser": "textfsm:cisco_ios_show_interfaces_status.textfsm"},
            {"command": "show run", "output": "!\nhostname r1\n!\n", "parsed": null,
             "parse_reason": "no template"},
            {"command": "show x", "error": {"class": "rejected-command", "message": "% Invalid"}},
            {"command": "show y"}
        ]});
        assert_eq!(
            detail_of(Some(&data)),
            "show clock: *10:15:01.123 UTC Thu Dec 3 2026; \
             show interfaces status: 2 records (textfsm:cisco_ios_show_interfaces_status.textfsm); \
             show run: 3 lines, unparsed (--format raw prints them); \
             show x: rejected-command; show y: not sent"
        );
    }
}
