//! Ubiquiti EdgeSwitch (FASTPATH) getters.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        // Machine Model, Serial Number, Software Version.
        "show version",
        // System Name and System Up Time (`show version` holds neither).
        "show sysinfo",
        // Every port by the name the configuration (`interface 0/1`) and
        // LLDP give it: `0/1`, LAGs `3/1`, routing VLANs `4/1`.
        "show interfaces status all",
    ],
    build: facts,
    follow_up: None,
}];

/// How FASTPATH refuses a command (the platform file's failure indicators).
const ERRORS: &[&str] = &[
    "% Invalid input detected",
    "Command not found / Incomplete command",
    "% Incomplete command",
    "% Ambiguous command",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, sysinfo, status] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let vlines = lines(version);
    let os_version = dotted(&vlines, "Software Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(command, "`Software Version....` line"))?;
    // `Machine Model.... ES-24-250W` (`Machine Type` is the long name,
    // `EdgeSwitch 24-Port 250W`).
    let model = dotted(&vlines, "Machine Model").unwrap_or("");
    let serial_number = dotted(&vlines, "Serial Number").unwrap_or("");

    let command = "show sysinfo";
    check(command, sysinfo, ERRORS)?;
    let slines = lines(sysinfo);
    // Empty on a switch whose name was never set.
    let hostname =
        dotted(&slines, "System Name").ok_or_else(|| missing(command, "`System Name....` line"))?;
    // `System Up Time.... 174 days 19 hrs 0 mins 51 secs`.
    let uptime = dotted(&slines, "System Up Time").and_then(napalm::duration);

    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Ubiquiti",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list: ports(status)?,
    }
    .json())
}

/// The value of a FASTPATH `Key........ value` line: the key is followed by
/// a run of dots (then a space); an empty value is `Some("")`. Only the
/// first block counts where a stack prints one per `Switch: N`.
fn dotted<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let rest = l.trim_start().strip_prefix(key)?;
        let value = rest.strip_prefix("..")?;
        Some(value.trim_start_matches('.').trim())
    })
}

/// The ports in the first column of `show interfaces status all`, under its
/// `Port  Name  State …` header (the `Link` / `Physical` line above it is
/// the header's first half); the `Flow Control:Disabled` footer and blank
/// lines are no ports.
fn ports(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show interfaces status all";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Port", &["Name", "State"])?;
    let mut list: Vec<String> = Vec::new();
    for row in rows {
        if row.starts_with(char::is_whitespace) {
            continue;
        }
        let Some(port) = row.split_whitespace().next() else {
            continue;
        };
        if is_port(port) && !list.iter().any(|p| p == port) {
            list.push(port.to_string());
        }
    }
    Ok(list)
}

/// `slot/port` (`0/1`, `3/1`) or, on a stacking FASTPATH, `unit/slot/port`.
fn is_port(word: &str) -> bool {
    let parts: Vec<&str> = word.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
                                         Link    Physical    Physical    Media               Flow Control
Port       Name                          State   Mode        Status      Type                Status
---------  ----------------------------  ------  ----------  ----------  ------------------  ------------
0/1        ap-lobby                      Up      Auto        1000 Full   Copper              Inactive
0/2                                      Down    Auto                    Copper              Inactive
3/1        to-core                       Up
3/2                                      Down

Flow Control:Disabled
";

    #[test]
    fn dotted_values_of_both_releases() {
        // 1.7/1.8 print `Switch: 1` above the block; 1.9 adds Part Number and
        // Hardware Revision; a session recorder may keep a stray character
        // of the echo and indent a line.
        let version = "r\n\nSwitch: 1\n\n\
            System Description............................. EdgeSwitch 8-Port 150W, 1.9.2.5088338, Linux 3.6.5-03329b4a\n\
            Machine Type................................... EdgeSwitch 8-Port 150W\n\
            Machine Model.................................. ES-8-150W\n \
            Serial Number.................................. 802AA8D1C2B3\n\
            Part Number.................................... 13-01234\n\
            Burned In MAC Address.......................... 80:2A:A8:D1:C2:B3\n\
            Software Version............................... 1.9.2.5088338\n\
            Hardware Revision.............................. 17\n";
        let vlines = lines(version);
        assert_eq!(dotted(&vlines, "Machine Model"), Some("ES-8-150W"));
        assert_eq!(dotted(&vlines, "Serial Number"), Some("802AA8D1C2B3"));
        assert_eq!(dotted(&vlines, "Software Version"), Some("1.9.2.5088338"));
        assert_eq!(
            dotted(&vlines, "Machine Type"),
            Some("EdgeSwitch 8-Port 150W")
        );
        let sysinfo = "System Name....................................\n\
            System Up Time................................. 0 days 2 hrs 3 mins 4 secs\n";
        let slines = lines(sysinfo);
        assert_eq!(dotted(&slines, "System Name"), Some(""));
        assert_eq!(
            dotted(&slines, "System Up Time").and_then(napalm::duration),
            Some(2 * 3600 + 3 * 60 + 4)
        );
        let v = facts(&[version, sysinfo, STATUS]).unwrap();
        assert_eq!(v["hostname"], "");
        assert_eq!(v["model"], "ES-8-150W");
        assert_eq!(v["uptime"], 7384.0);
        assert_eq!(
            v["interface_list"],
            serde_json::json!(["0/1", "0/2", "3/1", "3/2"])
        );
    }

    #[test]
    fn refusals_are_errors() {
        let version = "Machine Model.................................. ES-24-250W\n\
            Software Version............................... 1.8.0.5106045\n";
        let sysinfo = "System Name.................................... sw1\n";
        let bad = "show sysinf\n           ^\n% Invalid input detected at '^' marker.\n";
        let err = facts(&[version, bad, STATUS]).unwrap_err();
        assert!(err.to_string().contains("Invalid input"), "{err}");
        let bad = "Command not found / Incomplete command. Use ? to list commands.\n";
        assert!(facts(&[bad, sysinfo, STATUS]).is_err());
        assert!(facts(&[version, sysinfo, bad]).is_err());
        // No `System Name` line: not this command's output.
        assert!(
            facts(&[
                version,
                "System Up Time..... 1 days 0 hrs 0 mins 0 secs",
                STATUS
            ])
            .is_err()
        );
        // No `Software Version` line.
        assert!(facts(&["Machine Model........ ES-24-250W", sysinfo, STATUS]).is_err());
        let v = facts(&[version, sysinfo, STATUS]).unwrap();
        assert_eq!(v["uptime"], -1.0);
        assert_eq!(v["serial_number"], "");
    }

    #[test]
    fn port_words() {
        assert!(is_port("0/1") && is_port("3/6") && is_port("1/0/48"));
        assert!(!is_port("Flow") && !is_port("0/") && !is_port("---------") && !is_port("1"));
    }
}
