//! {{name}}: a netrun driver plugin — a platform definition and one parser.
//!
//! `netrun plugin build` compiles it to a WebAssembly component for
//! `wasm32-wasip2`; `netrun plugin test` runs `parse` against every fixture in
//! tests/fixtures/<command with underscores>/<case>.raw and compares it with
//! the <case>.json beside it.

use netrun_guest::driver::{Definition, Driver, Mode, Pager, ParseError};
use netrun_guest::{Value, json};

/// The plugin.
struct Plugin;

const PLATFORM: &str = "{{platform}}";

/// `show version`: software version, hostname, uptime and serial number.
fn show_version(output: &str) -> Result<Value, ParseError> {
    let mut version = None;
    let mut hostname = None;
    let mut uptime = None;
    let mut serial = None;
    for line in output.lines() {
        if let Some(i) = line.find("Version ") {
            version.get_or_insert_with(|| {
                line[i + 8..].split_whitespace().next().unwrap_or("").trim_end_matches(',').to_string()
            });
        }
        if let Some((host, rest)) = line.split_once(" uptime is ") {
            hostname = Some(host.trim().to_string());
            uptime = Some(rest.trim().to_string());
        }
        if let Some(s) = line.strip_prefix("Serial Number:") {
            serial = Some(s.trim().to_string());
        }
    }
    match (version, hostname, uptime) {
        (Some(version), Some(hostname), Some(uptime)) => Ok(json!({
            "version": version,
            "hostname": hostname,
            "uptime": uptime,
            "serial": serial,
        })),
        _ => Err(ParseError::UnexpectedOutput(
            "show version: no `Version …` or `<host> uptime is …` line".into(),
        )),
    }
}

impl Driver for Plugin {
    fn platforms() -> Vec<Definition> {
        // Prompts are regular expressions matched against the end of the received text.
        vec![Definition {
            name: PLATFORM.into(),
            default_mode: "privileged-exec".into(),
            configuration_mode: "configuration".into(),
            modes: vec![
                Mode::new("exec", r"(?m)^[\w.\-@/:]{1,63}>\s*$").to("privileged-exec", "enable"),
                Mode::new("privileged-exec", r"(?m)^[\w.\-@/:]{1,63}#\s*$")
                    .to("exec", "disable")
                    .to("configuration", "configure terminal"),
                Mode::new("configuration", r"(?m)^[\w.\-@/:]{1,63}\(config[\w.\-@/:]*\)#\s*$")
                    .to("privileged-exec", "end"),
            ],
            on_open: vec!["terminal length 0".into()],
            on_close: vec!["exit".into()],
            pagers: vec![Pager::new("--More--", " ")],
            failure_indicators: vec!["% Invalid input".into(), "% Incomplete command".into()],
            line_ending: "\n".into(),
            config: None,
            variants: vec![],
        }]
    }

    fn parsers(_platform: &str) -> Vec<String> {
        vec!["show version".into()]
    }

    fn parse(_platform: &str, command: &str, output: &str) -> Result<Value, ParseError> {
        match command.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
            "show version" => show_version(output),
            other => Err(ParseError::UnsupportedCommand(other.to_string())),
        }
    }
}

netrun_guest::register_driver!(Plugin);
