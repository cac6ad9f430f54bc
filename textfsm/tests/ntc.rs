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
                let json = serde_json::to_string(&parsed.records).unwrap();
                if serde_json::to_string(&borrowed).unwrap() != json {
                    failures.push(format!("{name}: borrowed records serialise differently"));
                }
                let mut written = Vec::new();
                borrowed.write_json(&mut written).unwrap();
                if written != json.as_bytes() {
                    failures.push(format!("{name}: write_json differs from serde_json"));
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

/// The test corpus of ntc-templates 1.4.0 (its source archive's
/// `tests/PLATFORM/COMMAND/CASE.raw`, outputs of real devices, each with the
/// records the project expects in `CASE.yml`), fetched by
/// `scripts/install-plugin-tools.sh`, or why there is none.
fn ntc_corpus_1_4() -> Result<PathBuf, String> {
    let tools = std::env::var_os("NETRUN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/netrun-tools")))
        .ok_or("neither NETRUN_TOOLS_DIR nor HOME is set")?;
    let dir = tools.join("ntc-templates-1.4.0");
    if dir.join(".complete").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "no ntc-templates 1.4.0 test corpus in {} (run scripts/install-plugin-tools.sh)",
            dir.display()
        ))
    }
}

/// Every case of ntc-templates 1.4.0's own test corpus, found the way its
/// test runner finds it (the command is the folder's name with `_` as
/// spaces) through that release's index, gives the records recorded beside
/// it: 471 outputs of real devices over 29 platforms, templates written
/// before the ones in the 9.3.0 package.
#[test]
fn ntc_templates_1_4_test_corpus_gives_the_records_recorded_for_it() {
    let root = match ntc_corpus_1_4() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let index = Index::load(&root.join("templates"), Limits::default()).unwrap();
    let mut cases = Vec::new();
    for platform in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        for command in std::fs::read_dir(platform.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            for f in std::fs::read_dir(command.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "raw") && p.with_extension("yml").is_file() {
                    cases.push(p);
                }
            }
        }
    }
    cases.sort();
    assert!(
        cases.len() >= 450,
        "only {} cases under {}",
        cases.len(),
        root.display()
    );
    let mut failures = Vec::new();
    let mut platforms = std::collections::BTreeSet::new();
    for raw in &cases {
        let command_dir = raw.parent().unwrap();
        let command = command_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('_', " ");
        let platform = command_dir
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        platforms.insert(platform.clone());
        let text = String::from_utf8_lossy(&std::fs::read(raw).unwrap()).into_owned();
        let recorded: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(raw.with_extension("yml")).unwrap())
                .unwrap();
        let name = raw.strip_prefix(&root).unwrap().display().to_string();
        match index.parse_output(&platform, &command, &text) {
            Ok(parsed) => {
                let got = serde_json::to_value(&parsed.records).unwrap();
                if got != recorded["parsed_sample"] {
                    failures.push(format!(
                        "{name}: records differ\n  recorded: {}\n  netrun:   {got}",
                        recorded["parsed_sample"]
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!("{} outputs over {} platforms", cases.len(), platforms.len());
    assert!(platforms.len() >= 25, "only {} platforms", platforms.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every `.raw` file of device output in this repository (fixtures of the
/// drivers, the corpus above), each line once.
fn repository_lines() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![root];
    let mut lines = std::collections::BTreeSet::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(name.to_str(), Some("target" | ".git" | "node_modules")) {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "raw") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                lines.extend(netrun_textfsm::split_lines(&text).map(str::to_string));
            }
        }
    }
    lines.into_iter().collect()
}

/// The direct scan (the fast path for regexes of the common one-choice
/// shape) gives the regex crate's verdict and group spans for every rule of
/// every ntc-templates template that has one, on every line of device
/// output this repository holds (and every third line cut short by a
/// character, for the rules anchored at the end), as a parse reaches the
/// rules. Templates are shared out over the cores: it is 20 M comparisons.
#[test]
fn scans_agree_with_the_regex_crate_on_every_ntc_rule() {
    let dir = templates_or_skip!();
    let mut texts = Vec::new();
    for (i, line) in repository_lines().into_iter().enumerate() {
        if i % 3 == 0 && line.len() > 1 && line.is_ascii() {
            texts.push(line[..line.len() - 1].to_string());
        }
        texts.push(line);
    }
    let texts: Vec<String> = texts.into_iter().filter(|t| t.is_ascii()).collect();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "textfsm"))
        .collect();
    paths.sort();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (failures, checks) = std::thread::scope(|s| {
        let workers: Vec<_> = paths
            .chunks(paths.len().div_ceil(threads))
            .map(|chunk| {
                let texts = &texts;
                s.spawn(move || {
                    let (mut failures, mut checks) = (Vec::new(), 0);
                    for path in chunk {
                        let text = std::fs::read_to_string(path).unwrap();
                        let template = Template::compile(&text, &Limits::default()).unwrap();
                        for text in texts {
                            let (disagreements, n) = template.scan_disagreements(text);
                            checks += n;
                            failures.extend(
                                disagreements
                                    .into_iter()
                                    .map(|d| format!("{}: {d}", path.display())),
                            );
                        }
                    }
                    (failures, checks)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).fold(
            (Vec::new(), 0),
            |(mut f, c), (f2, c2)| {
                f.extend(f2);
                (f, c + c2)
            },
        )
    });
    eprintln!(
        "{} templates, {} texts, {checks} matches compared",
        paths.len(),
        texts.len()
    );
    assert!(checks > 1_000_000, "only {checks} matches compared");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
