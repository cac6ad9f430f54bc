//! Ruckus (Brocade) FastIron getters.

use super::napalm::{self, Facts, check, lines, missing, refused};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        "show version",
        // `show version` holds no system name, and the prompt is not the
        // getter's to read.
        "show running-config | include hostname",
        "show interfaces brief",
    ],
    build: facts,
    follow_up: None,
}];

/// FastIron's refusals (the platform file's failure indicators).
const ERRORS: &[&str] = &[
    "Invalid input ->",
    "Ambiguous input ->",
    "Incomplete command.",
    "Error - ",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hostname, brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let vlines = lines(version);
    // `        SW: Version 08.0.95dT213` (one per stack unit, all alike).
    let os_version = vlines
        .iter()
        .find_map(|l| l.trim().strip_prefix("SW: Version "))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| missing(command, "`SW: Version` line"))?;
    // `  HW: Stackable ICX7150-48-POE`; older units add `(FastIron)`.
    let model = vlines
        .iter()
        .find_map(|l| l.trim().strip_prefix("HW:"))
        .map(|hw| {
            let hw = hw.trim();
            let hw = hw.strip_prefix("Stackable ").unwrap_or(hw);
            hw.split_once(" (").map_or(hw, |(m, _)| m).trim()
        })
        .unwrap_or("");
    let unit = active_unit(&vlines);
    let serial_number = serial(&vlines, unit).unwrap_or("");
    let uptime = uptime(&vlines, unit);

    let command = "show running-config | include hostname";
    // No `hostname` line is the factory default (the prompt then shows
    // `ICX7150-48 Switch`): the output is empty, and so is the hostname.
    refused(command, hostname, ERRORS)?;
    let name = lines(hostname)
        .into_iter()
        .find_map(|l| l.strip_prefix("hostname "))
        .map_or("", str::trim);

    let command = "show interfaces brief";
    check(command, brief, ERRORS)?;
    let (_, rows) = napalm::table(command, brief, "Port", &["Link", "State"])?;
    // Ports as this table (and LLDP, and the configuration's
    // `interface ethernet 1/1/1`) name them: `1/1/1`, `mgmt1`; `show
    // interfaces` alone says `GigabitEthernet1/1/1`.
    let interface_list = rows
        .into_iter()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let port = *words.first()?;
            let row = !l.starts_with(char::is_whitespace)
                && words.len() >= 5
                && port.chars().any(|c| c.is_ascii_digit())
                && port.chars().all(|c| c.is_ascii_alphanumeric() || c == '/');
            row.then(|| port.to_string())
        })
        .collect();
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Ruckus",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// The stack unit this session runs on: `My stack unit ID = 1, bootup role
/// = active`; `None` where the line is not printed.
fn active_unit(vlines: &[&str]) -> Option<u32> {
    vlines.iter().find_map(|l| {
        let rest = l.trim().strip_prefix("My stack unit ID =")?;
        rest.split(',').next()?.trim().parse().ok()
    })
}

/// The serial number of `unit`'s management module (`UNIT 1: SL 1: …`
/// followed by `Serial  #:FEK3224R0AB`), else the first one printed.
fn serial<'a>(vlines: &[&'a str], unit: Option<u32>) -> Option<&'a str> {
    let mut current: Option<u32> = None;
    let mut first = None;
    for line in vlines {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("UNIT ") {
            current = rest
                .split_once(':')
                .and_then(|(n, _)| n.trim().parse().ok());
            continue;
        }
        let Some(rest) = t.strip_prefix("Serial") else {
            continue;
        };
        let Some(value) = rest
            .trim_start()
            .strip_prefix('#')
            .and_then(|r| r.trim_start().strip_prefix(':'))
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        if unit.is_some() && current == unit {
            return Some(value);
        }
        first.get_or_insert(value);
    }
    first
}

/// Seconds up: `STACKID 1  system uptime is 10 day(s) 4 hour(s) 39
/// minute(s) 10 second(s)` per stack unit (the active unit's counts), or
/// `The system uptime is 10 days 4 hours 39 minutes 10 seconds`.
fn uptime(vlines: &[&str], unit: Option<u32>) -> Option<u64> {
    let mut first = None;
    for line in vlines {
        let Some((head, text)) = line.split_once(" uptime is ") else {
            continue;
        };
        let Some(seconds) = napalm::duration(text) else {
            continue;
        };
        let stack_id = head
            .trim()
            .strip_prefix("STACKID ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<u32>().ok());
        if unit.is_some() && stack_id == unit {
            return Some(seconds);
        }
        first.get_or_insert(seconds);
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_in_both_forms() {
        let old = ["The system uptime is 10 days 4 hours 39 minutes 10 seconds"];
        assert_eq!(
            uptime(&old, None),
            Some(10 * 86_400 + 4 * 3600 + 39 * 60 + 10)
        );
        let stack = [
            "STACKID 1  system uptime is 730 day(s) 11 hour(s) 11 second(s)",
            "STACKID 2  system uptime is 7 day(s) 8 hour(s) 13 minute(s) 32 second(s)",
        ];
        assert_eq!(uptime(&stack, None), Some(730 * 86_400 + 11 * 3600 + 11));
        assert_eq!(
            uptime(&stack, Some(2)),
            Some(7 * 86_400 + 8 * 3600 + 13 * 60 + 32)
        );
        assert_eq!(uptime(&["system uptime is"], None), None);
    }

    #[test]
    fn refusals_are_errors() {
        let refusal = "Invalid input -> shwo version\nType ? for a list";
        assert!(facts(&[refusal, "hostname a", "Port Link State"]).is_err());
        let version = "  SW: Version 08.0.95dT213\n";
        let brief = "Port  Link  State  Dupl Speed Trunk Tag Pvid Pri MAC  Name\n";
        assert!(facts(&[version, "Invalid input -> include", brief]).is_err());
        assert!(facts(&[version, "", "Error - not allowed"]).is_err());
        // No hostname configured: the filter prints nothing.
        let v = facts(&[version, "", brief]).unwrap();
        assert_eq!(v["hostname"], "");
        assert_eq!(v["uptime"], -1.0);
    }
}
