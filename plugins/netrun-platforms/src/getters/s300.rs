//! Cisco Small Business SG300/SG350/SG500 getters.

use super::napalm::{Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        "show version",
        "show system",
        "show inventory",
        "show interfaces status",
    ],
    build: facts,
    follow_up: None,
}];

/// The platform's refusals (`platforms/cisco_s300.yaml`).
const ERRORS: &[&str] = &[
    "% Unrecognized command",
    "% Incomplete command",
    "% Ambiguous command",
    "% Invalid input detected",
    "% Wrong number of parameters",
    "% bad parameter value",
    "% missing mandatory parameter",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, system, inventory, status] = out else {
        return Err(missing("show version", "outputs"));
    };
    check("show version", version, ERRORS)?;
    check("show system", system, ERRORS)?;
    check("show inventory", inventory, ERRORS)?;
    check("show interfaces status", status, ERRORS)?;
    let os_version = os_version(version)
        .ok_or_else(|| missing("show version", "`SW version` or `Active-image:` version"))?;
    let hostname = system_field(system, "System Name")
        .ok_or_else(|| missing("show system", "`System Name:` line"))?;
    let (model, serial_number) =
        chassis(inventory).ok_or_else(|| missing("show inventory", "`NAME:` … `PID:` entry"))?;
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Cisco",
        model,
        serial_number,
        os_version,
        uptime: uptime(system),
        interface_list: ports(status)?,
    }
    .json())
}

/// The running software's version. Sx300 1.x prints
/// `SW version    1.4.11.5 ( date  10-Jan-2020 time  12:03:10 )`; Sx350 2.x
/// and CBS 3.x print `Active-image: flash://…` with `  Version: 2.5.9.54`
/// below it (then the inactive image's); a stack on 1.x prints a table,
/// `Unit  SW version  Boot version  HW version` with a row per unit.
fn os_version(output: &str) -> Option<&str> {
    let ls = lines(output);
    if let Some(v) = ls.iter().find_map(|l| {
        let rest = l.trim_start().strip_prefix("SW version")?;
        rest.split_whitespace().next()
    }) {
        return Some(v);
    }
    if let Some(at) = ls
        .iter()
        .position(|l| l.trim_start().starts_with("Active-image:"))
    {
        return ls[at + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with("Inactive-image:"))
            .find_map(|l| l.trim().strip_prefix("Version:"))
            .map(str::trim)
            .filter(|v| !v.is_empty());
    }
    let header = ls
        .iter()
        .position(|l| l.contains("Unit") && l.contains("SW version"))?;
    ls[header + 1..].iter().find_map(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        match words.as_slice() {
            [unit, version, ..] if unit.parse::<u32>().is_ok() => Some(*version),
            _ => None,
        }
    })
}

/// The value of a `Key:   value` line of `show system`.
fn system_field<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    lines(output).into_iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Seconds up from `System Up Time (days,hour:min:sec):    03,04:05:06`, or
/// from the `Unit  Up time` table a stack on 1.x prints instead.
fn uptime(output: &str) -> Option<u64> {
    let ls = lines(output);
    if let Some(text) = ls.iter().find_map(|l| {
        let rest = l.trim_start().strip_prefix("System Up Time")?;
        Some(rest.split_once("):").map_or(rest, |(_, v)| v))
    }) {
        return days_clock(text.trim());
    }
    let header = ls.iter().position(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.first() == Some(&"Unit") && l.contains("Up time")
    })?;
    ls[header + 1..].iter().find_map(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        match words.as_slice() {
            [unit, up, ..] if unit.parse::<u32>().is_ok() => days_clock(up),
            _ => None,
        }
    })
}

/// `03,04:05:06` (days, hours, minutes, seconds) in seconds.
fn days_clock(text: &str) -> Option<u64> {
    let (days, clock) = text.split_once(',')?;
    let days: u64 = days.trim().parse().ok()?;
    let parts: Vec<u64> = clock
        .trim()
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    Some(days * 86_400 + h * 3_600 + m * 60 + s)
}

/// The chassis's PID and serial number from `show inventory`: the entry
/// named after a unit number (`NAME: "1"`), else the first entry.
/// Entries read `NAME: "1"  DESCR: "…"` then `PID: …  VID: …  SN: …`.
fn chassis(output: &str) -> Option<(&str, &str)> {
    // (name, pid, serial) per entry.
    let mut entries: Vec<(&str, &str, &str)> = Vec::new();
    for l in lines(output) {
        if let Some((_, rest)) = l.split_once("NAME:") {
            let name = rest.trim_start().trim_start_matches('"');
            let name = name.split('"').next().unwrap_or("");
            entries.push((name, "", ""));
        }
        if let Some(entry) = entries.last_mut() {
            if let Some(pid) = field(l, "PID:") {
                entry.1 = pid;
            }
            if let Some(sn) = field(l, "SN:") {
                entry.2 = sn;
            }
        }
    }
    entries.retain(|(_, pid, _)| !pid.is_empty());
    let unit = entries
        .iter()
        .find(|(name, _, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()))
        .or_else(|| entries.first())?;
    Some((unit.1, unit.2))
}

/// The word after `key` on `line` (`PID: SG350-28P-K9`), `None` where the
/// value is empty (`SN:` then the end of the line or another key).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line
        .match_indices(key)
        .find(|(i, _)| *i == 0 || line[..*i].ends_with(char::is_whitespace))?
        .0;
    let word = line[at + key.len()..].split_whitespace().next()?;
    (!word.ends_with(':')).then_some(word)
}

/// Port and port-channel names from `show interfaces status`: the rows
/// under the `Port  Type  Duplex …` header (`gi1`, `gi1/0/1`, `te1/0/1`,
/// `fa1`) and under the `Ch  Type  Duplex …` header (`Po1` … `Po8`).
fn ports(output: &str) -> Result<Vec<String>, ParseError> {
    let ls = lines(output);
    let header = |l: &str| {
        let words: Vec<&str> = l.split_whitespace().collect();
        matches!(words.as_slice(), ["Port" | "Ch", "Type", ..])
    };
    let start = ls
        .iter()
        .position(|l| header(l))
        .ok_or_else(|| missing("show interfaces status", "`Port  Type` table header"))?;
    Ok(ls[start + 1..]
        .iter()
        .filter(|l| !l.starts_with(char::is_whitespace) && !header(l))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            !w.starts_with('-')
                && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && w.chars().any(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_in_days_and_clock() {
        assert_eq!(
            days_clock("03,04:05:06"),
            Some(3 * 86_400 + 4 * 3600 + 5 * 60 + 6)
        );
        assert_eq!(days_clock("00,00:31:36"), Some(31 * 60 + 36));
        assert_eq!(days_clock("03,04:05"), None);
        assert_eq!(days_clock("03"), None);
        let table = "Unit     Up time\n---- ---------------\n 1     12,01:00:00\n";
        assert_eq!(uptime(table), Some(12 * 86_400 + 3600));
    }

    #[test]
    fn version_of_a_stack_table() {
        let out = "  Unit    SW version    Boot version    HW version\n\
                   ------- ------------ -------------- -----------\n   \
                   1       1.4.11.5       1.3.5.06          V02\n";
        assert_eq!(os_version(out), Some("1.4.11.5"));
    }

    #[test]
    fn inventory_with_descr_on_its_own_line_and_no_serial() {
        let out = "NAME: \"1\"\nDESCR: \"SG300-10 10-Port\"\nPID: SG300-10-K9  VID: V01  SN:\n";
        assert_eq!(chassis(out), Some(("SG300-10-K9", "")));
    }

    #[test]
    fn the_unit_entry_wins_over_a_transceiver() {
        let out = "NAME: \"GigabitEthernet1/0/27\"  DESCR: \"SFP-1000Base-LX\"\n\
                   PID: GLC-LH-SMD  VID: V02  SN: FNS21340ABC\n\n\
                   NAME: \"1\"  DESCR: \"SG350-28P\"\n\
                   PID: SG350-28P-K9  VID: V03  SN: DNI2138A1B2\n";
        assert_eq!(chassis(out), Some(("SG350-28P-K9", "DNI2138A1B2")));
    }

    #[test]
    fn a_refused_command_is_an_error() {
        let refusal =
            "                                   ^\n% Unrecognized command found at '^' position.\n";
        for i in 0..4 {
            let mut out = [
                "SW version    1.4.11.5 ( date  10-Jan-2020 time  12:03:10 )",
                "System Name:   sw1",
                "NAME: \"1\"\nPID: SG300-28-K9  VID: V03  SN: X1",
                "Port     Type\ngi1      1G-Copper",
            ];
            assert!(facts(&out).is_ok());
            out[i] = refusal;
            let err = facts(&out).unwrap_err();
            assert!(err.to_string().contains("Unrecognized"), "{err}");
        }
    }
}
