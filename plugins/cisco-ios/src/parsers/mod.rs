//! Parsers for Cisco IOS / IOS-XE `show` commands.
//!
//! Each parser turns the text a device prints into JSON whose field names
//! follow the ntc-templates `cisco_ios_*` templates (lower-case keys), so that
//! code written against those templates finds the same names here.
//!
//! # Value conventions (all parsers)
//!
//! * **Measurements are JSON integers**: packet, byte and error counters,
//!   bit rates (`input_rate`/`output_rate`, bits/sec) and the components of an
//!   uptime (`uptime_years` …). A measurement the output does not show (for
//!   example the `abort` counter, which IOS prints only for some interface
//!   types, or every counter of a sub-interface) is `null`.
//! * **Everything else is a string**, exactly as the device prints it, with
//!   surrounding blanks trimmed: names, states, addresses, versions and
//!   configured attributes such as `mtu` (`"1500"`), `bandwidth`
//!   (`"1000000 Kbit"`) and `delay` (`"10 usec"`). A string the output does
//!   not show is `""`, so every object of one command has the same keys.
//! * **Lists are JSON arrays** (`hardware`, `serial`, `mac_address` of
//!   `show version`), empty when nothing was found.
//!
//! Output that is not the command's output at all (an empty string, a
//! `% Invalid input detected` error, unrelated text) is rejected with
//! [`ParseError::Unexpected`] naming what was expected; parsers never panic.

mod show_interfaces;
mod show_ip_interface_brief;
mod show_version;

pub use netrun_guest::text::{ParseError, excerpt};

/// Full commands supported.
pub const COMMANDS: &[&str] = &["show version", "show ip interface brief", "show interfaces"];

/// The shortest abbreviation IOS accepts for each keyword of [`COMMANDS`]
/// (shorter prefixes are ambiguous on a real device: `s` could be `send`,
/// `show ip in` could be `inspect`, `show ip interface b` could be `BDI`).
const MIN_ABBREVIATION: &[(&str, usize)] = &[
    ("show", 2),
    ("version", 3),
    ("ip", 2),
    ("interface", 3),
    ("brief", 2),
    ("interfaces", 3),
];

/// Resolve an IOS-style abbreviation to the full command this module parses
/// (`"sh ver"` -> `"show version"`, `"sh ip int br"` ->
/// `"show ip interface brief"`, `"show int"` -> `"show interfaces"`), `None`
/// if not a supported command.
///
/// Like IOS, matching is case-insensitive, each word may be shortened to any
/// prefix at least as long as IOS requires, and extra blanks are ignored.
/// Arguments (`show interfaces Gi0/1`) and pipes are not accepted.
pub fn canonical_command(command: &str) -> Option<&'static str> {
    netrun_guest::text::resolve_abbreviation(command, COMMANDS, MIN_ABBREVIATION)
}

/// Parse output of `command` (any accepted abbreviation) into JSON.
pub fn parse(command: &str, output: &str) -> Result<serde_json::Value, ParseError> {
    let canonical = canonical_command(command).ok_or_else(|| {
        ParseError::Unsupported(format!(
            "no parser for {command:?}; supported: {}",
            COMMANDS.join(", ")
        ))
    })?;
    reject_device_error(canonical, output)?;
    match canonical {
        "show version" => show_version::parse(output),
        "show ip interface brief" => show_ip_interface_brief::parse(output),
        "show interfaces" => show_interfaces::parse(output),
        other => Err(ParseError::Unsupported(other.to_string())),
    }
}

/// The lines of `output` without line terminators (`\n`, `\r\n`, and the
/// stray `\r` some terminals add).
pub(crate) fn lines(output: &str) -> impl Iterator<Item = &str> {
    output.lines().map(|line| line.trim_end_matches('\r'))
}

/// Reject empty output and an IOS error message (`% Invalid input detected
/// at '^' marker.`, `% Ambiguous command`, …) in place of the output.
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
            ("sho vers", "show version"),
            ("SH VER", "show version"),
            ("  show   version  ", "show version"),
            ("sh ip int br", "show ip interface brief"),
            ("sh ip int brief", "show ip interface brief"),
            ("show ip interface br", "show ip interface brief"),
            ("show int", "show interfaces"),
            ("sh interface", "show interfaces"),
            ("sh interfaces", "show interfaces"),
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
            "sh ve",
            "sh i int br",
            "sh ip in br",
            "sh ip int b",
            "sh ip int",
            "show in",
            "show interfaces status",
            "show interfaces GigabitEthernet0/1",
            "show version | include uptime",
            "show running-config",
            "show versions",
            "configure terminal",
        ] {
            assert_eq!(canonical_command(command), None, "{command:?}");
        }
    }

    #[test]
    fn unsupported_command_is_reported() {
        let err = parse("show clock", "*10:00:00.000 UTC Mon Jan 1 2024").unwrap_err();
        assert!(matches!(err, ParseError::Unsupported(ref m) if m.contains("show clock")));
    }

    #[test]
    fn device_errors_are_unexpected() {
        let invalid = "                 ^\n% Invalid input detected at '^' marker.\n";
        for command in COMMANDS {
            for output in [
                "",
                "\n  \n",
                "% Invalid input detected at '^' marker.",
                invalid,
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
    fn display_names_the_problem() {
        let err = ParseError::Unexpected("expected a header".into());
        assert_eq!(err.to_string(), "unexpected output: expected a header");
    }
}
