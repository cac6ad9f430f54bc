//! ExtremeXOS getters.

use super::napalm::{self, Facts, check, key_value, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &["show switch", "show version", "show ports information"],
    build: facts,
    follow_up: None,
}];

/// How EXOS refuses a command (`%% Invalid input detected at '^' marker.`).
const ERRORS: &[&str] = &[
    "%% Invalid input detected",
    "%% Unrecognized command",
    "%% Incomplete command",
    "%% Ambiguous command",
];

/// `show switch` for the name, model and uptime, `show version` for the
/// serial number and release, `show ports information` for the ports.
fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [switch, version, ports] = out else {
        return Err(missing("show switch", "outputs"));
    };
    check("show switch", switch, ERRORS)?;
    check("show version", version, ERRORS)?;
    check("show ports information", ports, ERRORS)?;

    let slines = lines(switch);
    let hostname =
        key_value(&slines, "SysName").ok_or_else(|| missing("show switch", "`SysName:` line"))?;
    // A stack says so after the type: `X450G2-24t-10G4 (Stack)`.
    let model = key_value(&slines, "System Type")
        .map(|t| t.trim_end_matches("(Stack)").trim_end())
        .unwrap_or("");
    // `System UpTime:    16 days 1 hour 52 minutes 38 seconds`.
    let uptime = key_value(&slines, "System UpTime").and_then(napalm::duration);

    let vlines = lines(version);
    // `Image   : ExtremeXOS version 31.7.1.4 by release-manager` (Switch
    // Engine: `Image   : Extreme Networks Switch Engine version 32.4.1.4 ...`).
    let os_version = vlines
        .iter()
        .filter(|l| l.trim_start().starts_with("Image"))
        .find_map(|l| {
            let mut words = l.split_whitespace().skip_while(|w| *w != "version");
            words.next().and(words.next())
        })
        .ok_or_else(|| missing("show version", "`Image : ExtremeXOS version` line"))?;
    let serial_number = serial(&vlines, master_slot(&slines).as_deref()).unwrap_or("");

    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Extreme Networks",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list: port_names(ports)?,
    }
    .json())
}

/// On a stack, the slot (`Slot-2`) whose `Current State:` is `MASTER` in
/// the columns of `show switch`:
///
/// ```text
/// Slot:             Slot-1 *                     Slot-2
///                   ------------------------     ------------------------
/// Current State:    MASTER                       BACKUP (In Sync)
/// ```
fn master_slot(lines: &[&str]) -> Option<String> {
    let line = |key: &str| {
        lines
            .iter()
            .find(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == key))
    };
    // Both lines pad their key to the same width, so a column starts at the
    // same offset in each.
    let at = line("Current State")?.find("MASTER")?;
    let slots = line("Slot")?;
    slots
        .match_indices("Slot-")
        .filter(|(i, _)| *i <= at + 2)
        .last()
        .and_then(|(i, _)| slots[i..].split_whitespace().next())
        .map(str::to_string)
}

/// The serial number in `show version`: the second word of the
/// `Switch      : 800617-00-04 1810G-02345 Rev 4.0 BootROM: ...` line, or
/// on a stack of the master's `Slot-1      : ...` line (else the first
/// member's).
fn serial<'a>(lines: &[&'a str], master: Option<&str>) -> Option<&'a str> {
    let members: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim();
            let is_member = k == "Switch"
                || k.strip_prefix("Slot-")
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            let serial = v.split_whitespace().nth(1)?;
            is_member.then_some((k, serial))
        })
        .collect();
    members
        .iter()
        .find(|(k, _)| Some(*k) == master)
        .or_else(|| members.first())
        .map(|(_, s)| *s)
}

/// The port names (`1`, `52`; `1:1`, `2:28` on a stack) in the first
/// column of the `show ports information` table, between its `=====` rules.
fn port_names(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show ports information";
    let (_, rows) = napalm::table(command, output, "Port", &["Flags", "Link"])?;
    let is_rule = |l: &str| {
        let t = l.trim();
        !t.is_empty() && t.chars().all(|c| c == '=' || c.is_whitespace())
    };
    let Some(start) = rows.iter().position(|l| is_rule(l)) else {
        return Err(missing(command, "`=====` rule under the table header"));
    };
    Ok(rows[start + 1..]
        .iter()
        .take_while(|l| !is_rule(l))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| is_port(w))
        .map(str::to_string)
        .collect())
}

/// `12` or, on a stack, `slot:port` (`2:28`).
fn is_port(word: &str) -> bool {
    let parts: Vec<&str> = word.split(':').collect();
    parts.len() <= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exos_uptime_words() {
        assert_eq!(
            napalm::duration("12 days 3 hours 4 minutes 5 seconds"),
            Some(12 * 86_400 + 3 * 3600 + 4 * 60 + 5)
        );
        assert_eq!(
            napalm::duration("1 day 1 hour 1 minute 1 second"),
            Some(86_400 + 3600 + 60 + 1)
        );
    }

    #[test]
    fn a_refused_command_is_an_error() {
        let refused = "show ports informaton\n                    ^\n\
                       %% Invalid input detected at '^' marker.\n";
        let ok = "SysName:          sw1\n";
        let version = "Image   : ExtremeXOS version 31.7.1.4 by release-manager\n";
        let err = facts(&[ok, version, refused]).unwrap_err();
        assert!(err.to_string().contains("Invalid input"), "{err}");
        let err = facts(&["%% Unrecognized command: show swich\n", version, refused]).unwrap_err();
        assert!(err.to_string().contains("Unrecognized"), "{err}");
    }

    #[test]
    fn stack_master_and_its_serial() {
        let switch = "Slot:             Slot-1 *                     Slot-2\n\
                      \x20                 ------------------------     ------------------------\n\
                      Current State:    BACKUP (In Sync)             MASTER\n";
        let slines = lines(switch);
        assert_eq!(master_slot(&slines).as_deref(), Some("Slot-2"));
        let version = "Slot-1      : 800513-00-05 1631G-01234 Rev 5.0 BootROM: 1.0.2.1    IMG: 22.6.1.4\n\
                       Slot-2      : 800513-00-05 1631G-01301 Rev 5.0 BootROM: 1.0.2.1    IMG: 22.6.1.4\n\
                       Slot-3      :\n";
        let vlines = lines(version);
        assert_eq!(serial(&vlines, Some("Slot-2")), Some("1631G-01301"));
        assert_eq!(serial(&vlines, None), Some("1631G-01234"));
    }

    #[test]
    fn port_words() {
        assert!(is_port("1") && is_port("52") && is_port("2:28"));
        assert!(!is_port("Flags") && !is_port("1:") && !is_port("1:2:3") && !is_port(">"));
    }
}
