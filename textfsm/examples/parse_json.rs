//! Parse saved outputs with one template each and print the records as
//! `netrun parse --template` prints them (`parse_records` + `write_json`),
//! without building the host crate. Used by `tests/fuzz_diff.py`.
//!
//! Each line of standard input is `TEMPLATE<TAB>INPUT` (two paths); each
//! line of standard output answers one of them, in order:
//! `{"records":[...]}`, `{"template_error":"..."}` or `{"parse_error":"..."}`.
//! Compiled templates are kept for the next line naming the same path.
//!
//! ```text
//! cargo build --release -p netrun-textfsm --example parse_json
//! printf 'show_version.textfsm\tout.txt\n' | target/release/examples/parse_json
//! ```

use netrun_textfsm::{Limits, Template};
use std::collections::HashMap;
use std::io::{BufRead as _, Write as _};

fn main() -> std::io::Result<()> {
    let limits = Limits::default();
    let mut compiled: HashMap<String, Result<Template, String>> = HashMap::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let Some((template, input)) = line.split_once('\t') else {
            continue;
        };
        let t = compiled.entry(template.to_string()).or_insert_with(|| {
            let text = std::fs::read_to_string(template).map_err(|e| e.to_string())?;
            Template::compile(&text, &limits).map_err(|e| e.to_string())
        });
        // Device output is not always UTF-8: read it as `netrun parse` does.
        let bytes = std::fs::read(input)?;
        let text = String::from_utf8_lossy(&bytes);
        match t {
            Err(e) => serde_json::to_writer(&mut out, &serde_json::json!({ "template_error": e }))?,
            Ok(t) => match t.parse_records(&text, &limits) {
                Ok(records) => {
                    out.write_all(b"{\"records\":")?;
                    records.write_json(&mut out)?;
                    out.write_all(b"}")?;
                }
                Err(e) => serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({ "parse_error": e.to_string() }),
                )?,
            },
        }
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}
