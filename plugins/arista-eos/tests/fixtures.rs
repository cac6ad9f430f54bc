//! Golden-file tests for the Arista EOS parsers (eAPI JSON and CLI text).
//!
//! Every `tests/fixtures/<command with underscores>/<case>.raw` holds the
//! output of one device; the `.json` beside it holds the expected parse
//! result. The command is the directory name with `_` turned into spaces
//! (`show_interfaces` -> `show interfaces`).
//!
//! Run with `OVERWRITE=1` to (re)write every `.json` from the parser instead
//! of comparing; review the diff before keeping it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use netrun_plugin_arista_eos::parsers::{COMMANDS, parse};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

/// Where `actual` differs from `expected`, one line per difference, each
/// named by its JSON path (`[3].crc`, `.hardware[1]`).
fn diff(path: &str, expected: &Value, actual: &Value, out: &mut String) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                let sub = format!("{path}.{key}");
                match a.get(key) {
                    Some(a_value) => diff(&sub, e_value, a_value, out),
                    None => writeln!(out, "  {sub}: expected {e_value}, key missing").unwrap(),
                }
            }
            for (key, a_value) in a {
                if !e.contains_key(key) {
                    writeln!(out, "  {path}.{key}: unexpected key, got {a_value}").unwrap();
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, (e_item, a_item)) in e.iter().zip(a).enumerate() {
                diff(&format!("{path}[{i}]"), e_item, a_item, out);
            }
            if e.len() != a.len() {
                writeln!(out, "  {path}: expected {} items, got {}", e.len(), a.len()).unwrap();
            }
        }
        _ if expected != actual => {
            let path = if path.is_empty() { "<root>" } else { path };
            writeln!(out, "  {path}: expected {expected}, got {actual}").unwrap();
        }
        _ => {}
    }
}

#[test]
fn fixtures_match_golden_json() {
    let overwrite = std::env::var("OVERWRITE").is_ok_and(|v| v == "1");
    let mut failures = String::new();
    let mut checked = 0;

    for dir in sorted_entries(&fixtures_dir()) {
        if !dir.is_dir() {
            continue;
        }
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let command = dir_name.replace('_', " ");
        assert!(
            COMMANDS.contains(&command.as_str()),
            "fixture directory {dir_name} names no supported command"
        );
        let mut cases = 0;
        for raw_path in sorted_entries(&dir) {
            if raw_path.extension().is_none_or(|ext| ext != "raw") {
                continue;
            }
            cases += 1;
            let case = format!(
                "{dir_name}/{}",
                raw_path.file_stem().unwrap().to_string_lossy()
            );
            let raw = fs::read_to_string(&raw_path).unwrap();
            let json_path = raw_path.with_extension("json");
            let actual = match parse(&command, &raw) {
                Ok(value) => value,
                Err(err) => {
                    writeln!(failures, "{case}: parse failed: {err}").unwrap();
                    continue;
                }
            };
            if overwrite {
                let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
                fs::write(&json_path, text).unwrap();
                println!("wrote {}", json_path.display());
                checked += 1;
                continue;
            }
            let Ok(expected_text) = fs::read_to_string(&json_path) else {
                writeln!(
                    failures,
                    "{case}: no {} (run with OVERWRITE=1 to create it)",
                    json_path.display()
                )
                .unwrap();
                continue;
            };
            let expected: Value = match serde_json::from_str(&expected_text) {
                Ok(value) => value,
                Err(err) => {
                    writeln!(
                        failures,
                        "{case}: invalid JSON in {}: {err}",
                        json_path.display()
                    )
                    .unwrap();
                    continue;
                }
            };
            if expected != actual {
                let mut lines = String::new();
                diff("", &expected, &actual, &mut lines);
                writeln!(
                    failures,
                    "{case}: parse result differs from golden JSON:\n{lines}"
                )
                .unwrap();
            }
            checked += 1;
        }
        assert!(cases > 0, "fixture directory {dir_name} holds no .raw case");
    }

    assert!(
        failures.is_empty(),
        "fixture failures:\n{failures}\n(if the change is intended: OVERWRITE=1 cargo test \
         -p netrun-plugin-arista-eos --test fixtures, then review the .json diff)"
    );
    assert!(
        checked > 0,
        "no fixture found under {}",
        fixtures_dir().display()
    );
    println!("{checked} fixture cases checked");
}

#[test]
fn every_command_has_fixtures() {
    for command in COMMANDS {
        let dir = fixtures_dir().join(command.replace(' ', "_"));
        assert!(dir.is_dir(), "no fixture directory for {command:?}");
    }
}

#[test]
fn no_fixture_parses_to_nothing() {
    for dir in sorted_entries(&fixtures_dir()) {
        if !dir.is_dir() {
            continue;
        }
        let command = dir.file_name().unwrap().to_string_lossy().replace('_', " ");
        for raw_path in sorted_entries(&dir) {
            if raw_path.extension().is_some_and(|ext| ext == "raw") {
                let raw = fs::read_to_string(&raw_path).unwrap();
                let value = parse(&command, &raw).unwrap_or(Value::Null);
                let empty = match &value {
                    Value::Array(items) => items.is_empty(),
                    Value::Object(map) => map.is_empty(),
                    _ => true,
                };
                assert!(!empty, "{} parses to nothing: {value}", raw_path.display());
            }
        }
    }
}

/// Every `.raw` of every fixture directory, with its command.
fn all_cases() -> Vec<(String, PathBuf, String)> {
    let mut cases = Vec::new();
    for dir in sorted_entries(&fixtures_dir()) {
        if !dir.is_dir() {
            continue;
        }
        let command = dir.file_name().unwrap().to_string_lossy().replace('_', " ");
        for raw_path in sorted_entries(&dir) {
            if raw_path.extension().is_some_and(|ext| ext == "raw") {
                let raw = fs::read_to_string(&raw_path).unwrap();
                cases.push((command.clone(), raw_path, raw));
            }
        }
    }
    cases
}

#[test]
fn another_commands_output_is_rejected() {
    use netrun_plugin_arista_eos::parsers::ParseError;
    for (own_command, path, raw) in all_cases() {
        for command in COMMANDS.iter().filter(|c| **c != own_command) {
            match parse(command, &raw) {
                Err(ParseError::Unexpected(msg)) => {
                    assert!(msg.contains(command), "{}: {msg}", path.display())
                }
                other => panic!("{} parsed as {command:?} gave {other:?}", path.display()),
            }
        }
    }
}

#[test]
fn truncated_output_never_panics() {
    for (_, _, raw) in all_cases() {
        let cuts: Vec<usize> = raw
            .char_indices()
            .map(|(i, _)| i)
            .step_by(raw.len() / 40 + 1)
            .collect();
        for cut in cuts {
            for command in COMMANDS {
                // Either result is fine; the parser must only not panic.
                let _ = parse(command, &raw[..cut]);
                let _ = parse(command, &raw[cut..]);
            }
        }
    }
}

#[test]
fn diff_names_the_differing_paths() {
    let expected = serde_json::json!([{"crc": 0, "serial": ["A", "B"]}]);
    let actual = serde_json::json!([{"crc": 1, "serial": ["A"], "extra": true}]);
    let mut out = String::new();
    diff("", &expected, &actual, &mut out);
    assert!(out.contains("[0].crc: expected 0, got 1"), "{out}");
    assert!(out.contains("[0].serial: expected 2 items, got 1"), "{out}");
    assert!(out.contains("[0].extra: unexpected key"), "{out}");
}

/// Parses `tests/fixtures/<dir>/<case>.raw` as `command`.
fn parse_case(dir: &str, case: &str) -> Value {
    let path = fixtures_dir().join(dir).join(format!("{case}.raw"));
    let raw = fs::read_to_string(&path).unwrap();
    parse(&dir.replace('_', " "), &raw).unwrap()
}

#[test]
fn eapi_json_and_cli_text_of_one_switch_parse_alike() {
    // The same CCS-720XP on 4.31.2F, polled over eAPI and over SSH.
    let sort = |v: Value| {
        let mut rows = v.as_array().unwrap().clone();
        rows.sort_by_key(|r| r["interface"].as_str().unwrap().to_string());
        rows
    };
    assert_eq!(
        sort(parse_case("show_interfaces", "eapi_ccs720xp_4_31_2f")),
        sort(parse_case("show_interfaces", "cli_ccs720xp_4_31_2f"))
    );
    let mut json = parse_case("show_version", "eapi_ccs720xp_4_31_2f");
    let mut text = parse_case("show_version", "cli_ccs720xp_4_31_2f");
    // eAPI gives the uptime to the second, the CLI to the minute.
    let (a, b) = (
        json["uptime_seconds"].take().as_u64().unwrap(),
        text["uptime_seconds"].take().as_u64().unwrap(),
    );
    assert!(a.abs_diff(b) < 60, "{a} vs {b}");
    assert_eq!(json, text);
}
