//! Golden-file tests for a driver's parsers, run natively with `cargo test`
//! (the same checks `netrun plugin test` runs inside the component).
//!
//! Every `tests/fixtures/<command with underscores>/<case>.raw` holds the
//! output of one device; the `.json` beside it holds the expected parse
//! result. The command is the directory name with `_` turned into spaces
//! (`show_ip_interface_brief` → `show ip interface brief`). With
//! `OVERWRITE=1` every `.json` is (re)written from the parser instead of
//! compared; review the diff before keeping it.
//!
//! ```ignore
//! // tests/fixtures.rs of a driver plugin
//! use netrun_guest::fixtures::Suite;
//! use my_driver::parsers::{COMMANDS, ParseError, parse};
//!
//! fn suite() -> Suite<ParseError> {
//!     Suite::new(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), COMMANDS, parse)
//! }
//! #[test]
//! fn fixtures_match_golden_json() { suite().golden() }
//! ```

use serde_json::Value;
use std::fmt::{Debug, Display, Write as _};
use std::fs;
use std::path::{Path, PathBuf};

/// A parser under test: `parse(command, output)`.
pub type ParseFn<E> = fn(&str, &str) -> Result<Value, E>;

/// The fixtures of one driver crate and its parser.
pub struct Suite<E> {
    dir: PathBuf,
    package: String,
    commands: &'static [&'static str],
    parse: ParseFn<E>,
}

impl<E: Display + Debug> Suite<E> {
    /// The suite of the crate at `manifest_dir` (its `tests/fixtures`).
    pub fn new(
        manifest_dir: &str,
        package: &str,
        commands: &'static [&'static str],
        parse: ParseFn<E>,
    ) -> Self {
        Suite {
            dir: Path::new(manifest_dir).join("tests").join("fixtures"),
            package: package.to_string(),
            commands,
            parse,
        }
    }

    /// The fixtures folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Parse `tests/fixtures/<dir>/<case>.raw` as its folder's command.
    pub fn parse_case(&self, dir: &str, case: &str) -> Result<Value, E> {
        let path = self.dir.join(dir).join(format!("{case}.raw"));
        let raw = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        (self.parse)(&dir.replace('_', " "), &raw)
    }

    /// Every `.raw` of every fixture folder, with its command.
    pub fn cases(&self) -> Vec<(String, PathBuf, String)> {
        let mut cases = Vec::new();
        for dir in sorted_entries(&self.dir) {
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

    /// Each case parses to its `.json` (or, with `OVERWRITE=1`, writes it).
    pub fn golden(&self) {
        let overwrite = std::env::var("OVERWRITE").is_ok_and(|v| v == "1");
        let mut failures = String::new();
        let mut checked = 0;
        for dir in sorted_entries(&self.dir) {
            if !dir.is_dir() {
                continue;
            }
            let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let command = dir_name.replace('_', " ");
            assert!(
                self.commands.contains(&command.as_str()),
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
                if let Err(why) = self.check_case(&command, &raw_path, overwrite) {
                    writeln!(failures, "{case}: {why}").unwrap();
                    continue;
                }
                checked += 1;
            }
            assert!(cases > 0, "fixture directory {dir_name} holds no .raw case");
        }
        assert!(
            failures.is_empty(),
            "fixture failures:\n{failures}\n(if the change is intended: OVERWRITE=1 cargo test \
             -p {} --test fixtures, then review the .json diff)",
            self.package
        );
        assert!(checked > 0, "no fixture found under {}", self.dir.display());
        println!("{checked} fixture cases checked");
    }

    fn check_case(&self, command: &str, raw_path: &Path, overwrite: bool) -> Result<(), String> {
        let raw = fs::read_to_string(raw_path).unwrap();
        let json_path = raw_path.with_extension("json");
        let actual = (self.parse)(command, &raw).map_err(|e| format!("parse failed: {e}"))?;
        if overwrite {
            let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
            fs::write(&json_path, text).unwrap();
            println!("wrote {}", json_path.display());
            return Ok(());
        }
        let expected_text = fs::read_to_string(&json_path).map_err(|_| {
            format!(
                "no {} (run with OVERWRITE=1 to create it)",
                json_path.display()
            )
        })?;
        let expected: Value = serde_json::from_str(&expected_text)
            .map_err(|e| format!("invalid JSON in {}: {e}", json_path.display()))?;
        if expected != actual {
            let mut lines = String::new();
            diff("", &expected, &actual, &mut lines);
            return Err(format!("parse result differs from golden JSON:\n{lines}"));
        }
        Ok(())
    }

    /// Every supported command has a fixture folder.
    pub fn every_command_has_fixtures(&self) {
        for command in self.commands {
            let dir = self.dir.join(command.replace(' ', "_"));
            assert!(dir.is_dir(), "no fixture directory for {command:?}");
        }
    }

    /// No case parses to an empty object or list.
    pub fn no_fixture_parses_to_nothing(&self) {
        for (command, path, raw) in self.cases() {
            let value = (self.parse)(&command, &raw).unwrap_or(Value::Null);
            let empty = match &value {
                Value::Array(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                _ => true,
            };
            assert!(!empty, "{} parses to nothing: {value}", path.display());
        }
    }

    /// Each case, parsed as any other command, fails as unexpected output
    /// naming that command. `unexpected` returns the message of the
    /// parser's unexpected-output error, None for any other result.
    pub fn another_commands_output_is_rejected(&self, unexpected: fn(&E) -> Option<&str>) {
        for (own_command, path, raw) in self.cases() {
            for command in self.commands.iter().filter(|c| **c != own_command) {
                match (self.parse)(command, &raw) {
                    Err(e) => match unexpected(&e) {
                        Some(msg) => assert!(msg.contains(command), "{}: {msg}", path.display()),
                        None => panic!("{} parsed as {command:?} gave {e:?}", path.display()),
                    },
                    Ok(v) => panic!("{} parsed as {command:?} gave {v}", path.display()),
                }
            }
        }
    }

    /// Parsing any prefix or suffix of any case never panics.
    pub fn truncated_output_never_panics(&self) {
        for (_, _, raw) in self.cases() {
            let cuts: Vec<usize> = raw
                .char_indices()
                .map(|(i, _)| i)
                .step_by(raw.len() / 40 + 1)
                .collect();
            for cut in cuts {
                for command in self.commands {
                    // Either result is fine; the parser must only not panic.
                    let _ = (self.parse)(command, &raw[..cut]);
                    let _ = (self.parse)(command, &raw[cut..]);
                }
            }
        }
    }
}

/// (command, output) pairs, in the order of a getter's commands.
pub type Outputs = [(String, String)];

/// A driver's getters under test: the getters a platform answers, the
/// commands of one, and the builder of its result from (command, output) pairs.
pub struct Getters<E> {
    /// Getter names answered on a platform.
    pub getters: fn(&str) -> Vec<String>,
    /// Commands of a getter on a platform.
    pub commands: fn(&str, &str) -> Result<Vec<String>, E>,
    /// Follow-up commands of a getter given the outputs so far (none once
    /// they are complete).
    pub follow_up: fn(&str, &str, &Outputs) -> Result<Vec<String>, E>,
    /// The getter's result from its commands' (and follow-ups') outputs.
    pub answer: fn(&str, &str, &Outputs) -> Result<Value, E>,
}

/// Golden-file tests for getters, which read several commands' outputs:
/// `tests/getters/<platform>/<getter>/<case>/` holds one `<command>.raw` per
/// command of the getter and per follow-up command it asks for (the command
/// with every character other than a letter or digit turned into `_`:
/// `show_lldp_neighbors.raw`) and the expected result in `expected.json`.
/// `OVERWRITE=1` writes `expected.json`.
pub struct GetterSuite<E> {
    dir: PathBuf,
    package: String,
    getters: Getters<E>,
}

/// Rounds of follow-up commands a getter may ask for, as the host allows.
const FOLLOW_UP_ROUNDS: usize = 4;

/// The file name holding the output of `command` in a getter fixture.
pub fn command_file(command: &str) -> String {
    let name: String = command
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{name}.raw")
}

impl<E: Display + Debug> GetterSuite<E> {
    /// The getter fixtures of the crate at `manifest_dir` (its `tests/getters`).
    pub fn new(manifest_dir: &str, package: &str, getters: Getters<E>) -> Self {
        GetterSuite {
            dir: Path::new(manifest_dir).join("tests").join("getters"),
            package: package.to_string(),
            getters,
        }
    }

    /// Every case as (platform, getter, case directory).
    pub fn cases(&self) -> Vec<(String, String, PathBuf)> {
        let mut out = Vec::new();
        for platform in sorted_entries(&self.dir).into_iter().filter(|p| p.is_dir()) {
            let p = platform.file_name().unwrap().to_string_lossy().into_owned();
            for getter in sorted_entries(&platform).into_iter().filter(|p| p.is_dir()) {
                let g = getter.file_name().unwrap().to_string_lossy().into_owned();
                for case in sorted_entries(&getter).into_iter().filter(|p| p.is_dir()) {
                    out.push((p.clone(), g.clone(), case));
                }
            }
        }
        out
    }

    /// The (command, output) pairs of a case, in the getter's command order
    /// and then its follow-up commands' (asked for as the host asks).
    pub fn outputs(
        &self,
        platform: &str,
        getter: &str,
        case: &Path,
    ) -> Result<Vec<(String, String)>, String> {
        let read = |c: String| {
            let path = case.join(command_file(&c));
            fs::read_to_string(&path)
                .map(|raw| (c, raw))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let commands = (self.getters.commands)(platform, getter)
            .map_err(|e| format!("{platform} has no getter {getter}: {e}"))?;
        let mut outputs = commands
            .into_iter()
            .map(read)
            .collect::<Result<Vec<_>, String>>()?;
        for _ in 0..FOLLOW_UP_ROUNDS {
            let more = (self.getters.follow_up)(platform, getter, &outputs)
                .map_err(|e| format!("follow-up commands failed: {e}"))?;
            if more.is_empty() {
                return Ok(outputs);
            }
            for c in more {
                outputs.push(read(c)?);
            }
        }
        Err(format!(
            "{platform} getter {getter} still asks for follow-up commands after {FOLLOW_UP_ROUNDS} rounds"
        ))
    }

    /// Each case builds its `expected.json` (or, with `OVERWRITE=1`, writes it).
    pub fn golden(&self) {
        let overwrite = std::env::var("OVERWRITE").is_ok_and(|v| v == "1");
        let mut failures = String::new();
        let mut checked = 0;
        for (platform, getter, case) in self.cases() {
            let name = format!(
                "{platform}/{getter}/{}",
                case.file_name().unwrap().to_string_lossy()
            );
            let result = self.outputs(&platform, &getter, &case).and_then(|outputs| {
                (self.getters.answer)(&platform, &getter, &outputs)
                    .map_err(|e| format!("getter failed: {e}"))
            });
            let actual = match result {
                Ok(v) => v,
                Err(why) => {
                    writeln!(failures, "{name}: {why}").unwrap();
                    continue;
                }
            };
            let json_path = case.join("expected.json");
            if overwrite {
                fs::write(
                    &json_path,
                    serde_json::to_string_pretty(&actual).unwrap() + "\n",
                )
                .unwrap();
                println!("wrote {}", json_path.display());
                checked += 1;
                continue;
            }
            let expected: Value = match fs::read_to_string(&json_path) {
                Ok(text) => match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => {
                        writeln!(failures, "{name}: invalid JSON in expected.json: {e}").unwrap();
                        continue;
                    }
                },
                Err(_) => {
                    writeln!(
                        failures,
                        "{name}: no expected.json (run with OVERWRITE=1 to create it)"
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
                    "{name}: result differs from expected.json:\n{lines}"
                )
                .unwrap();
                continue;
            }
            checked += 1;
        }
        assert!(
            failures.is_empty(),
            "getter fixture failures:\n{failures}\n(if the change is intended: OVERWRITE=1 cargo test -p {} --test getters, then review the diff)",
            self.package
        );
        assert!(
            checked > 0,
            "no getter fixture under {}",
            self.dir.display()
        );
        println!("{checked} getter cases checked");
    }

    /// Every getter `platforms` answer has at least one case; no case names
    /// a getter its platform does not answer.
    pub fn every_getter_has_fixtures(&self, platforms: &[&str]) {
        let cases = self.cases();
        let mut missing = Vec::new();
        for platform in platforms {
            for getter in (self.getters.getters)(platform) {
                if !cases.iter().any(|(p, g, _)| p == platform && *g == getter) {
                    missing.push(format!("{platform}/{getter}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "getters without fixtures: {}",
            missing.join(", ")
        );
        for (platform, getter, case) in cases {
            assert!(
                (self.getters.getters)(&platform).contains(&getter),
                "{} is a fixture of a getter {platform} does not answer",
                case.display()
            );
        }
    }

    /// Each case's outputs, cut short anywhere, never make a getter panic.
    pub fn truncated_outputs_never_panic(&self) {
        for (platform, getter, case) in self.cases() {
            let Ok(outputs) = self.outputs(&platform, &getter, &case) else {
                continue;
            };
            for i in 0..outputs.len() {
                let raw = &outputs[i].1;
                let cuts: Vec<usize> = raw
                    .char_indices()
                    .map(|(at, _)| at)
                    .step_by(raw.len() / 20 + 1)
                    .collect();
                for cut in cuts {
                    for part in [&raw[..cut], &raw[cut..]] {
                        let mut cut_outputs = outputs.clone();
                        cut_outputs[i].1 = part.to_string();
                        // Either result is fine; the getter must only not panic.
                        let _ = (self.getters.answer)(&platform, &getter, &cut_outputs);
                    }
                }
            }
        }
    }
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
pub fn diff(path: &str, expected: &Value, actual: &Value, out: &mut String) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
