//! ntc-templates, the collection Netmiko and Scrapli users parse with, run
//! through this engine: every template compiles, and on every fixture of
//! real device output in this repository the records equal those Python
//! textfsm 2.1.0 gave (recorded by `tests/regen.py`).
//!
//! The templates come from the ntc-templates 9.3.0 package that
//! `scripts/install-plugin-tools.sh` installs (`NETRUN_NTC_TEMPLATES`, else
//! found in the tools venv). Without it these tests say so and pass.

use netrun_textfsm::{Index, Limits, Template};
use std::path::{Path, PathBuf};

/// The ntc-templates `templates` folder, or why there is none.
fn ntc_templates() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("NETRUN_NTC_TEMPLATES") {
        return Ok(PathBuf::from(dir));
    }
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/netrun-tools")))
        .ok_or("neither NETRUN_NTC_TEMPLATES nor HOME is set")?;
    let lib = tools.join("venv/lib");
    let found = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("site-packages/ntc_templates/templates"))
        .find(|p| p.join("index").is_file());
    found.ok_or_else(|| {
        format!(
            "ntc-templates not found under {} (run scripts/install-plugin-tools.sh, or set NETRUN_NTC_TEMPLATES)",
            lib.display()
        )
    })
}

macro_rules! templates_or_skip {
    () => {
        match ntc_templates() {
            Ok(dir) => dir,
            Err(why) => {
                eprintln!("SKIPPED: {why}");
                return;
            }
        }
    };
}

#[test]
fn every_ntc_template_compiles() {
    let dir = templates_or_skip!();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "textfsm"))
        .collect();
    names.sort();
    assert!(
        names.len() > 900,
        "only {} templates in {}",
        names.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &names {
        let text = std::fs::read_to_string(path).unwrap();
        if let Err(e) = Template::compile(&text, &Limits::default()) {
            failures.push(format!(
                "{}: {e}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} templates do not compile:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// Every `corpus/PLATFORM/COMMAND/*.json`: the raw output it names, parsed
/// through the ntc-templates index, gives the records Python gave (or fails
/// where Python failed).
#[test]
fn ntc_templates_agree_with_python_on_every_corpus_output() {
    let dir = templates_or_skip!();
    let index = Index::load(&dir, Limits::default()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases: Vec<PathBuf> = Vec::new();
    for platform in std::fs::read_dir(root.join("tests/corpus")).unwrap() {
        for command in std::fs::read_dir(platform.unwrap().path()).unwrap() {
            for f in std::fs::read_dir(command.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == "json") {
                    cases.push(p);
                }
            }
        }
    }
    cases.sort();
    assert!(cases.len() >= 40, "only {} corpus cases", cases.len());
    let mut failures = Vec::new();
    let mut platforms = std::collections::BTreeSet::new();
    for case in &cases {
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
        let s = |k: &str| expected[k].as_str().unwrap().to_string();
        let (platform, command) = (s("platform"), s("command"));
        platforms.insert(platform.clone());
        let raw = std::fs::read_to_string(root.join("..").join(s("raw"))).unwrap();
        let name = case.strip_prefix(root).unwrap().display().to_string();
        match (
            index.parse_output(&platform, &command, &raw),
            expected.get("records"),
        ) {
            (Ok(parsed), Some(records)) => {
                let got = serde_json::to_value(&parsed.records).unwrap();
                if &got != records {
                    failures.push(format!(
                        "{name}: records differ\n  python: {records}\n  netrun: {got}"
                    ));
                }
                // `netrun parse` writes the borrowed records: the same JSON text.
                let borrowed = index
                    .parse_output_records(&platform, &command, &raw)
                    .unwrap();
                if serde_json::to_string(&borrowed).unwrap()
                    != serde_json::to_string(&parsed.records).unwrap()
                {
                    failures.push(format!("{name}: borrowed records serialise differently"));
                }
            }
            (Err(e), Some(_)) => failures.push(format!("{name}: Python parsed it; we failed: {e}")),
            (Ok(parsed), None) => failures.push(format!(
                "{name}: Python failed ({}); we gave {} records",
                expected["error"],
                parsed.records.len()
            )),
            (Err(_), None) => {}
        }
    }
    eprintln!(
        "{} corpus outputs over {} platforms: {:?}",
        cases.len(),
        platforms.len(),
        platforms
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
