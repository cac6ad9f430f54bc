//! Parsers for Arista EOS `show` commands.
//!
//! Every parser reads both forms a device gives the same command in:
//!
//! * **eAPI JSON**: output whose first non-blank character is `{` is the JSON of
//!   one element of eAPI's `result` array (`"format": "json"`). An element of a
//!   `"format": "text"` call (`{"output": "..."}`) is unwrapped and read as text.
//! * **CLI text**, as printed over SSH.
//!
//! Both give the same keys and, where the two forms carry the same information,
//! the same values, so a workflow need not care which transport was used.
//!
//! # Value conventions (all parsers)
//!
//! * **Measurements are JSON integers** (counters, sizes, seconds); one the
//!   output does not show (counters of a loopback, which EOS prints none for) is
//!   `null`.
//! * **Everything else is a string**; one the output does not show is `""`.
//! * **MAC addresses** are in EOS's CLI form, lower case (`001c.7312.3456`), also
//!   when eAPI gave `00:1c:73:12:34:56`, so both forms compare equal and match
//!   the Cisco IOS parsers.
//!
//! Output that is not the command's output (empty, an EOS `% Invalid input`
//! message, an eAPI `{"errors": [...]}` element, unrelated text) is rejected
//! with [`ParseError::Unexpected`] naming what was expected; parsers never panic.

use serde_json::Value;

mod show_hostname;
mod show_interfaces;
mod show_version;

pub use netrun_guest::text::{ParseError, excerpt};

/// Full commands supported.
pub const COMMANDS: &[&str] = &["show version", "show hostname", "show interfaces"];

/// The shortest abbreviation EOS accepts for each keyword of [`COMMANDS`]
/// (shorter prefixes are ambiguous on a real switch: `sh v` could be `vlan`,
/// `sh in` could be `inventory`, `sh host` could be `hosts`).
const MIN_ABBREVIATION: &[(&str, usize)] = &[
    ("show", 2),
    ("version", 3),
    ("hostname", 5),
    ("interfaces", 3),
];

/// Resolve an EOS-style abbreviation to the full command this module parses
/// (`"sh ver"` -> `"show version"`, `"sh int"` -> `"show interfaces"`), `None`
/// if not a supported command.
///
/// Matching is case-insensitive, each word may be shortened to any prefix at
/// least as long as EOS requires, and extra blanks are ignored. Arguments
/// (`show interfaces Et1`) and pipes are not accepted.
pub fn canonical_command(command: &str) -> Option<&'static str> {
    netrun_guest::text::resolve_abbreviation(command, COMMANDS, MIN_ABBREVIATION)
}

/// The output in the form the parsers read.
pub(crate) enum Output<'a> {
    /// eAPI JSON of one command.
    Json(serde_json::Map<String, Value>),
    /// CLI text (possibly unwrapped from eAPI's `{"output": ...}`).
    Text(std::borrow::Cow<'a, str>),
}

/// Parse output of `command` (any accepted abbreviation) into JSON.
pub fn parse(command: &str, output: &str) -> Result<Value, ParseError> {
    let canonical = canonical_command(command).ok_or_else(|| {
        ParseError::Unsupported(format!(
            "no parser for {command:?}; supported: {}",
            COMMANDS.join(", ")
        ))
    })?;
    let output = classify(canonical, output)?;
    match canonical {
        "show version" => show_version::parse(output),
        "show hostname" => show_hostname::parse(output),
        "show interfaces" => show_interfaces::parse(output),
        other => Err(ParseError::Unsupported(other.to_string())),
    }
}

/// Tell eAPI JSON from CLI text and reject device errors in either.
fn classify<'a>(command: &str, output: &'a str) -> Result<Output<'a>, ParseError> {
    let trimmed = output.trim_start();
    if trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed).map_err(|e| {
            ParseError::Unexpected(format!(
                "expected eAPI JSON of {command:?}, got invalid JSON: {e}"
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(ParseError::Unexpected(format!(
                "expected a JSON object for {command:?}"
            )));
        };
        if let Some(errors) = map.get("errors") {
            return Err(ParseError::Unexpected(format!(
                "expected output of {command:?}, the device answered with an error: {}",
                excerpt(&errors.to_string())
            )));
        }
        if let Some(Value::String(text)) = map.get("output") {
            reject_device_error(command, text)?;
            return Ok(Output::Text(std::borrow::Cow::Owned(text.clone())));
        }
        return Ok(Output::Json(map));
    }
    reject_device_error(command, output)?;
    Ok(Output::Text(std::borrow::Cow::Borrowed(output)))
}

/// The lines of `output` without line terminators (`\n`, `\r\n`, and the
/// stray `\r` some terminals add).
pub(crate) fn lines(output: &str) -> impl Iterator<Item = &str> {
    output.lines().map(|line| line.trim_end_matches('\r'))
}

/// Reject empty output and an EOS error message (`% Invalid input`,
/// `% Incomplete command`, …) in place of the output.
fn reject_device_error(command: &str, output: &str) -> Result<(), ParseError> {
    let Some(first) = lines(output).find(|line| !line.trim().is_empty()) else {
        return Err(ParseError::Unexpected(format!(
            "expected output of {command:?}, got empty output"
        )));
    };
    let first = first.trim();
    if first.starts_with('%') || first == "^" {
        return Err(ParseError::Unexpected(format!(
            "expected output of {command:?}, the device answered with an error: {}",
            excerpt(first)
        )));
    }
    Ok(())
}

/// A required string field of eAPI JSON.
pub(crate) fn json_str<'a>(
    map: &'a serde_json::Map<String, Value>,
    command: &str,
    field: &str,
) -> Result<&'a str, ParseError> {
    map.get(field).and_then(Value::as_str).ok_or_else(|| {
        ParseError::Unexpected(format!(
            "expected eAPI JSON of {command:?} with string field {field:?}"
        ))
    })
}

/// An optional string field of eAPI JSON (`""` when absent).
pub(crate) fn json_opt_str(map: &serde_json::Map<String, Value>, field: &str) -> String {
    map.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// An optional integer field of eAPI JSON; EOS writes some as floats (`uptime`).
pub(crate) fn json_u64(map: &serde_json::Map<String, Value>, field: &str) -> Option<u64> {
    let value = map.get(field)?;
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// `00:1C:73:12:34:56` or `001c.7312.3456` -> `001c.7312.3456`; anything else
/// is returned as given.
pub(crate) fn mac_dotted(mac: &str) -> String {
    let hex: String = mac
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let plain = mac
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.' || c == '-');
    if hex.len() != 12 || !plain {
        return mac.to_string();
    }
    format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_commands_resolve_to_themselves() {
        for command in COMMANDS {
            assert_eq!(canonical_command(command), Some(*command));
        }
    }

    #[test]
    fn abbreviations_resolve() {
        let cases = [
            ("sh ver", "show version"),
            ("SH VER", "show version"),
            ("  show   version  ", "show version"),
            ("sh int", "show interfaces"),
            ("show interface", "show interfaces"),
            ("sh hostn", "show hostname"),
            ("sh hostname", "show hostname"),
        ];
        for (abbreviation, full) in cases {
            assert_eq!(
                canonical_command(abbreviation),
                Some(full),
                "{abbreviation}"
            );
        }
    }

    #[test]
    fn ambiguous_or_unknown_commands_do_not_resolve() {
        for command in [
            "",
            "s ver",
            "sh v",
            "sh in",
            "sh host",
            "show interfaces status",
            "show interfaces Ethernet1",
            "show version | json",
            "show running-config",
            "configure terminal",
        ] {
            assert_eq!(canonical_command(command), None, "{command:?}");
        }
    }

    #[test]
    fn unsupported_command_is_reported() {
        let err = parse("show clock", "Mon Jan 1 10:00:00 2024").unwrap_err();
        assert!(matches!(err, ParseError::Unsupported(ref m) if m.contains("show clock")));
    }

    #[test]
    fn device_errors_are_unexpected() {
        for command in COMMANDS {
            for output in [
                "",
                "\n  \n",
                "% Invalid input (at token 1: 'foo')",
                "% Incomplete command",
                r#"{"errors": ["Invalid input (at token 1: 'foo')"]}"#,
                r#"{"output": "% Invalid input\n"}"#,
                "{truncated",
                "[]",
            ] {
                let err = parse(command, output).unwrap_err();
                let ParseError::Unexpected(msg) = err else {
                    panic!("{command}: {err:?}");
                };
                assert!(msg.contains(command), "{msg}");
            }
        }
    }

    #[test]
    fn macs_are_normalised_to_the_cli_form() {
        assert_eq!(mac_dotted("00:1C:73:12:34:56"), "001c.7312.3456");
        assert_eq!(mac_dotted("001c.7312.3456"), "001c.7312.3456");
        assert_eq!(mac_dotted(""), "");
        assert_eq!(mac_dotted("not a mac"), "not a mac");
    }
}
