//! `netrun parse`: parse saved command outputs offline with TextFSM
//! templates (ntc-templates' index, or one template), one JSON line per file.

use super::stdout::StdoutError;
use crate::parsing::{self, NamedTemplate, TextFsm};
use clap::Args;
use netrun_textfsm::{Limits, Template};
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

/// `netrun parse` arguments.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("how").required(true).args(["platform", "template"]))]
pub struct ParseArgs {
    /// Saved outputs, in order (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Platform the output came from (ntc-templates' names: cisco_ios, arista_eos, …).
    #[arg(long, requires = "command")]
    platform: Option<String>,
    /// The command that produced the output, as typed (abbreviations work: `sh ip int br`).
    #[arg(long, requires = "platform")]
    command: Option<String>,
    /// Templates folder with a clitable `index` [default: $NET_TEXTFSM, else ~/.config/netrun/templates].
    #[arg(long, value_name = "DIR", conflicts_with = "template")]
    templates: Option<PathBuf>,
    /// Parse with this one template, no index.
    #[arg(long, value_name = "FILE.textfsm")]
    template: Option<PathBuf>,
    /// Output: `jsonl`, one JSON list of records per file (for programs),
    /// `table`, the records as aligned columns under each file's name (for
    /// reading at a terminal), or `csv`, one sheet of every file's records
    /// with the file in the first column (for spreadsheets).
    #[arg(long, value_enum, default_value_t = ParseFormat::Jsonl)]
    format: ParseFormat,
}

/// `netrun parse --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ParseFormat {
    /// One JSON line per file: its records, or `{"error": …}`.
    Jsonl,
    /// Each file's name, then its records as aligned columns.
    Table,
    /// A header row (`file` and the records' keys), then a row per record.
    Csv,
}

/// The parser chosen for the run: the index, or one template.
enum Parser {
    Index {
        textfsm: TextFsm,
        platform: String,
        command: String,
    },
    One(Template),
}

/// Run `netrun parse`; exit code 2 when a file did not parse.
pub fn execute(a: ParseArgs) -> anyhow::Result<i32> {
    let parser = match (&a.template, &a.platform, &a.command) {
        (Some(path), _, _) => Parser::One(NamedTemplate::load(path)?.template),
        (None, Some(platform), Some(command)) => {
            let (dir, _) = parsing::templates_dir(a.templates.as_deref())?;
            let textfsm = TextFsm::load(&dir)?;
            // Once for the run: every file is the same command's output.
            let platform = textfsm.template_platform(platform, command).to_string();
            Parser::Index {
                textfsm,
                platform,
                command: command.clone(),
            }
        }
        _ => anyhow::bail!("give --platform P --command \"C\", or --template FILE.textfsm"),
    };
    match a.format {
        ParseFormat::Table => return print_tables(&parser, &a.files),
        ParseFormat::Csv => return print_csv(&parser, &a.files),
        ParseFormat::Jsonl => {}
    }
    let mut out = std::io::BufWriter::with_capacity(8 << 10, raw_stdout()?);
    let mut failed = 0;
    let mut widened = false;
    for file in &a.files {
        let written = match read(file) {
            Ok(text) => {
                if !widened && text.len() > PIPE_WIDEN_AT {
                    widened = true;
                    widen_stdout_pipe();
                }
                write_records(&parser, &text, &mut out)
            }
            Err(e) => Err(Failure::Parse(e)),
        };
        match written {
            Ok(()) => {}
            Err(Failure::Parse(e)) => {
                failed += 1;
                let line = serde_json::json!({ "error": format!("{}: {e}", file.display()) });
                serde_json::to_writer(&mut out, &line).map_err(|e| StdoutError(e.into()))?;
            }
            Err(Failure::Write(e)) => return Err(StdoutError(e).into()),
        }
        writeln!(out).map_err(StdoutError)?;
    }
    out.flush().map_err(StdoutError)?;
    Ok(exit_code(failed))
}

/// Exit code 2 when a file did not parse, else 0.
fn exit_code(failed: usize) -> i32 {
    if failed == 0 {
        super::EXIT_OK
    } else {
        super::EXIT_SOME_FAILED
    }
}

/// `--format table`: each file's name, then its records as aligned
/// columns (or why it did not parse), a blank line between files; exit
/// code 2 when a file did not parse, the others still printed.
fn print_tables(parser: &Parser, files: &[PathBuf]) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (n, file) in files.iter().enumerate() {
        if n > 0 {
            writeln!(out).map_err(StdoutError)?;
        }
        let name = label(file);
        match table_of(parser, file) {
            Ok((count, table)) => {
                let noun = if count == 1 { "record" } else { "records" };
                writeln!(out, "{name}: {count} {noun}").map_err(StdoutError)?;
                out.write_all(table.as_bytes()).map_err(StdoutError)?;
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "{name}: error: {e}").map_err(StdoutError)?;
            }
        }
    }
    out.flush().map_err(StdoutError)?;
    Ok(exit_code(failed))
}

/// A file as a reader is told of it: its path, or `(standard input)` for `-`.
fn label(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "(standard input)".into()
    } else {
        file.display().to_string()
    }
}

/// A file's record count and its records as a table (empty for none).
fn table_of(parser: &Parser, file: &Path) -> Result<(usize, String), String> {
    let records = records_of(parser, file)?;
    let table = crate::results::format::records_table(&records).unwrap_or_default();
    Ok((records.len(), table))
}

/// A file's records as JSON values (keys in template order).
fn records_of(parser: &Parser, file: &Path) -> Result<Vec<serde_json::Value>, String> {
    let text = read(file)?;
    let mut json = Vec::new();
    match write_records(parser, &text, &mut json) {
        Ok(()) => {}
        Err(Failure::Parse(e)) => return Err(e),
        Err(Failure::Write(e)) => return Err(e.to_string()),
    }
    serde_json::from_slice(&json).map_err(|e| format!("records are not JSON: {e}"))
}

/// `--format csv`: one sheet for every file, `file` then the records'
/// keys (in template order, any key a later record adds after them), a row
/// per record; a list cell is its items joined with commas. A file that
/// does not parse is named on standard error, the others still written;
/// exit code 2 then.
fn print_csv(parser: &Parser, files: &[PathBuf]) -> anyhow::Result<i32> {
    let mut keys: Vec<String> = Vec::new();
    let mut rows: Vec<(String, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    let mut failed = 0;
    for file in files {
        // The cell names the file as given (`-` for standard input).
        let name = file.display().to_string();
        match records_of(parser, file) {
            Ok(records) => {
                for record in records {
                    let serde_json::Value::Object(fields) = record else {
                        continue;
                    };
                    for k in fields.keys() {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                    }
                    rows.push((name.clone(), fields));
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: error: {e}", label(file));
            }
        }
    }
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    let written = (|| -> csv::Result<()> {
        out.write_record(std::iter::once("file").chain(keys.iter().map(String::as_str)))?;
        for (file, fields) in &rows {
            let cells = keys
                .iter()
                .map(|k| crate::results::format::cell_text(fields.get(k)));
            out.write_record(std::iter::once(file.clone()).chain(cells))?;
        }
        out.flush()?;
        Ok(())
    })();
    written.map_err(|e| {
        // The I/O error itself, so a reader gone (`| head`) stays quiet.
        StdoutError(match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => std::io::Error::other(format!("{other:?}")),
        })
    })?;
    Ok(exit_code(failed))
}

/// Standard output without the standard library's line buffering: a
/// records line is handed over in 60 KiB pieces with no line break in
/// them, and the line-buffered writer searched each piece, backwards and
/// byte by byte, for one before passing it on (half a million
/// instructions on 5,000 rows). A second descriptor for the same output;
/// nothing else writes to standard output while `parse` runs.
fn raw_stdout() -> anyhow::Result<std::fs::File> {
    use std::os::fd::AsFd as _;
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(StdoutError)?;
    Ok(std::fs::File::from(fd))
}

/// Outputs above this size make standard output's pipe wider first.
const PIPE_WIDEN_AT: usize = 64 << 10;

/// When standard output is a pipe (`netrun parse … | jq`), give it room
/// for 1 MiB (Linux's limit for an unprivileged process; the default is
/// 64 KiB), so a large output is written in a few calls instead of
/// waiting for the reader every 64 KiB, two context switches each time.
/// Best effort: a pipe that cannot grow stays as it is.
fn widen_stdout_pipe() {
    const WIDTH: libc::c_int = 1 << 20;
    // SAFETY: fstat and fcntl on descriptor 1 read or change only the
    // pipe's capacity; `st` is written by fstat before it is read.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(1, &mut st) != 0 || st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            return;
        }
        if libc::fcntl(1, libc::F_GETPIPE_SZ) < WIDTH {
            libc::fcntl(1, libc::F_SETPIPE_SZ, WIDTH);
        }
    }
}

/// Why a file's line is not its records.
enum Failure {
    /// The file did not read or parse: its line says why.
    Parse(String),
    /// Standard output failed: the run stops.
    Write(std::io::Error),
}

fn read(file: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| {
            let size = f.metadata().map_or(0, |m| m.len());
            bytes.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
            netrun_textfsm::populate_spare(&mut bytes);
            f.read_to_end(&mut bytes)
        })
    };
    read.map_err(|e| format!("cannot read: {e}"))?;
    // Device output is not always valid UTF-8 (Latin-1 descriptions).
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// One file's records as a JSON list, keys in template order, written
/// straight from the parse (cells point into `text`; nothing is copied).
fn write_records(parser: &Parser, text: &str, out: &mut impl Write) -> Result<(), Failure> {
    let written = match parser {
        Parser::Index {
            textfsm,
            platform,
            command,
        } => {
            let records = textfsm
                .index()
                .parse_output_records(platform, command, text)
                .map_err(|e| Failure::Parse(e.to_string()))?;
            records.write_json(out)
        }
        Parser::One(t) => {
            let records = t
                .parse_records(text, &Limits::default())
                .map_err(|e| Failure::Parse(e.to_string()))?;
            records.write_json(out)
        }
    };
    written.map_err(Failure::Write)
}
