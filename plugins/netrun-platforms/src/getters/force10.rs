//! Dell Networking OS9 (FTOS, Force10) getters: S4810, S4820T, S4048-ON,
//! S3048-ON, S6000, Z9100, MXL (9.x; the Force10-branded 8.x prints the same
//! lines under other vendor words).
//!
//! Interface names stay as the device prints them, a blank between type and
//! number (`TenGigabitEthernet 1/1`, `fortyGigE 1/49`, `Port-channel 1`), as
//! NAPALM's community FTOS driver keeps them and as the configuration writes
//! them (`interface TenGigabitEthernet 1/1`).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        "show version",
        "show running-config | grep hostname",
        "show inventory",
        "show ip interface brief",
    ],
    build: facts,
    follow_up: None,
}];

/// Every FTOS refusal opens with it: `% Error: Invalid input at "^" marker.`
const ERRORS: &[&str] = &["% Error:"];

/// A cell FTOS fills where a unit has no value.
fn blank(cell: &str) -> bool {
    matches!(cell, "NA" | "N/A" | "-" | "")
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hostname, inventory, brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let vlines = lines(version);
    // The vendor words change with the release: `Force10 Application
    // Software Version: 8.3.12.1`, `Dell Application Software Version:
    // 9.11(0.0P6)`, `Dell EMC Application Software Version:  9.14(2.4)`.
    let os_version = vlines
        .iter()
        .find_map(|l| l.split_once("Application Software Version:"))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(command, "`Application Software Version:` line"))?;
    // `Dell EMC Networking OS uptime is 1 week(s), 2 day(s), 3 hour(s), 4 minute(s)`
    // (`Dell Networking OS uptime is`, `Force10 Networks … FTOS uptime is`).
    let uptime = vlines
        .iter()
        .find_map(|l| l.split_once(" uptime is "))
        .and_then(|(_, u)| napalm::duration(u));
    let field = |text_lines: &[&str], key: &str| -> Option<String> {
        text_lines.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key && !v.trim().is_empty()).then(|| v.trim().to_string())
        })
    };

    let command = "show running-config | grep hostname";
    check(command, hostname, ERRORS)?;
    let name = lines(hostname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("hostname "))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing(command, "`hostname` line"))?;

    let command = "show inventory";
    check(command, inventory, ERRORS)?;
    let ilines = lines(inventory);
    let (serial, unit_type) = management_unit(&ilines);
    // `System Type: S4048-ON` in `show version`, `System Type : S4048-ON`
    // in `show inventory`.
    let model = field(&vlines, "System Type")
        .or_else(|| field(&ilines, "System Type"))
        .or(unit_type)
        .unwrap_or_default();

    let interface_list = interfaces(brief)?;
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Dell",
        model: &model,
        serial_number: &serial.unwrap_or_default(),
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// The serial number and unit type of the management unit's row of `show
/// inventory` (the stack master, marked `*`):
///
/// ```text
/// Unit Type               Serial Number  Part Number  Rev  Piece Part ID            Rev  Svc Tag  Exprs Svc Code
/// * 1  S4048-ON-01-FE-72  NA             0TF3V9       A02  CN-0TF3V9-28298-7BQ-0031 A02  7HQ2KM2  160 617 391 22
/// ```
///
/// Every cell holds a word (`NA` / `N/A` when empty). The serial is the
/// service tag, Dell's chassis identifier (as the OS10 getter reports it);
/// Force10-built units (S4810, S4820T) have none and a Force10 serial
/// number instead, which is taken then.
fn management_unit(ilines: &[&str]) -> (Option<String>, Option<String>) {
    let Some(at) = ilines
        .iter()
        .position(|l| l.trim_start().starts_with("Unit") && l.contains("Serial Number"))
    else {
        return (None, None);
    };
    let Some(row) = ilines[at + 1..].iter().find(|l| {
        let t = l.trim_start();
        // Not the `* - Management Unit` legend.
        t.starts_with('*') && !t.contains("- Management Unit")
    }) else {
        return (None, None);
    };
    let words: Vec<&str> = row
        .trim_start()
        .trim_start_matches('*')
        .split_whitespace()
        .collect();
    // Unit, type, serial number, part number, rev, piece part ID, rev,
    // service tag, express service code.
    let cell = |i: usize| words.get(i).copied().filter(|c| !blank(c));
    let svc_tag = if ilines[at].contains("Svc Tag") {
        cell(7)
    } else {
        None
    };
    (
        svc_tag.or_else(|| cell(2)).map(str::to_string),
        cell(1).map(str::to_string),
    )
}

/// Interface names of `show ip interface brief`, the type and the number
/// joined by a blank as printed:
///
/// ```text
/// Interface                      IP-Address      OK Method Status                Protocol
/// TenGigabitEthernet 1/1         unassigned      NO Manual administratively down down
/// ```
fn interfaces(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show ip interface brief";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Interface", &["IP-Address"])?;
    Ok(rows
        .iter()
        .filter_map(|l| {
            if l.starts_with(' ') {
                return None;
            }
            let mut words = l.split_whitespace();
            let kind = words.next()?;
            let number = words.next()?;
            // `1/1`, `1/49`, `1/1/1` (a split port), `10`.
            let numbered = number.starts_with(|c: char| c.is_ascii_digit())
                && number
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '/' || c == ':');
            (numbered
                && kind.starts_with(|c: char| c.is_ascii_alphabetic())
                && words.next().is_some())
            .then(|| format!("{kind} {number}"))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "Dell EMC Application Software Version:  9.14(2.4)\n\
                           Dell EMC Networking OS uptime is 1 week(s), 2 day(s), 3 hour(s), 4 minute(s)\n\
                           System Type: S4048-ON \n";
    const HOSTNAME: &str = "hostname leaf1\n";
    const INVENTORY: &str = "Unit Type  Serial Number  Part Number  Rev  Piece Part ID  Rev  Svc Tag  Exprs Svc Code\n\
                             * 1  S4048-ON-01-FE-72  NA  0TF3V9  A02  CN-0TF3V9-28298-7BQ-0031 A02  7HQ2KM2  160 617 391 22\n";
    const BRIEF: &str = "Interface              IP-Address      OK  Method Status                Protocol\n\
                         TenGigabitEthernet 1/1 unassigned      NO  Manual administratively down down\n\
                         Vlan 1                 unassigned      NO  Manual up                    down\n";

    #[test]
    fn ftos_uptime_words() {
        assert_eq!(
            napalm::duration("1 week(s), 2 day(s), 3 hour(s), 4 minute(s)"),
            Some(7 * 86_400 + 2 * 86_400 + 3 * 3600 + 4 * 60)
        );
        assert_eq!(
            napalm::duration("2 year(s), 16 week(s), 6 day(s), 5 hour(s), 31 minute(s)"),
            Some(2 * 365 * 86_400 + 16 * 7 * 86_400 + 6 * 86_400 + 5 * 3600 + 31 * 60)
        );
    }

    #[test]
    fn facts_of_a_short_output() {
        let v = facts(&[VERSION, HOSTNAME, INVENTORY, BRIEF]).unwrap();
        assert_eq!(v["hostname"], "leaf1");
        assert_eq!(v["model"], "S4048-ON");
        assert_eq!(v["serial_number"], "7HQ2KM2");
        assert_eq!(v["os_version"], "9.14(2.4)");
        assert_eq!(v["uptime"], 788_640.0);
        assert_eq!(
            v["interface_list"],
            serde_json::json!(["TenGigabitEthernet 1/1", "Vlan 1"])
        );
    }

    #[test]
    fn a_refused_command_is_an_error() {
        let refused = "                          ^\n% Error: Invalid input at \"^\" marker.\n";
        for i in 0..4 {
            let mut out = [VERSION, HOSTNAME, INVENTORY, BRIEF];
            out[i] = refused;
            let err = facts(&out).unwrap_err();
            assert!(err.to_string().contains("Invalid input"), "{i}: {err}");
        }
    }

    #[test]
    fn a_unit_without_a_service_tag_gives_its_serial_number() {
        let inventory = "Unit Type        Serial Number  Part Number  Rev  Piece Part ID  Rev  Svc Tag  Exprs Svc Code\n\
                         * 0  S4810-01-64F  HADL134720167  7590009602  B  N/A  N/A  N/A  N/A\n\
                         \x20* - Management Unit\n";
        let (serial, unit) = management_unit(&lines(inventory));
        assert_eq!(serial.as_deref(), Some("HADL134720167"));
        assert_eq!(unit.as_deref(), Some("S4810-01-64F"));
        // Only the legend, no unit row: nothing.
        let legend = "Unit Type  Serial Number  Part Number\n * - Management Unit\n";
        assert_eq!(management_unit(&lines(legend)), (None, None));
    }
}
