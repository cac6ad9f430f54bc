//! Alcatel-Lucent OmniSwitch (AOS 6/8) getters.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        // Name, uptime, and the release in the Description line (AOS 6 and
        // 8 alike; `show microcode` lays out its table differently in each).
        "show system",
        // Model and serial number per chassis (stack element, VC member).
        "show chassis",
        // One row per port, named as the configuration and LLDP name them.
        "show interfaces status",
    ],
    build: facts,
    follow_up: None,
}];

/// How AOS refuses a command: `ERROR: Invalid entry: "shwo"` (the platform
/// file's failure indicator).
const ERRORS: &[&str] = &["ERROR: "];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [system, chassis, status] = out else {
        return Err(missing("show system", "outputs"));
    };
    let command = "show system";
    check(command, system, ERRORS)?;
    let slines = lines(system);
    let name = field(&slines, "Name").ok_or_else(|| missing(command, "`Name:` line"))?;
    // `Alcatel-Lucent Enterprise OS6860E-48 8.7.354.R01 GA, June 16, 2021.`
    // (AOS 6.4: `Alcatel-Lucent OS6850-24 6.4.4.585.R01 GA, ...`).
    let description =
        field(&slines, "Description").ok_or_else(|| missing(command, "`Description:` line"))?;
    let (described_model, os_version) =
        release(description).ok_or_else(|| missing(command, "release in the `Description:`"))?;
    // `12 days 3 hours 4 minutes and 5 seconds`.
    let uptime = field(&slines, "Up Time").and_then(napalm::duration);

    let command = "show chassis";
    check(command, chassis, ERRORS)?;
    let clines = lines(chassis);
    let primary = primary_chassis(&clines);
    let model = field(primary, "Model Name").unwrap_or(described_model);
    let serial_number = field(primary, "Serial Number").unwrap_or("");

    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Alcatel-Lucent Enterprise",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list: ports(status)?,
    }
    .json())
}

/// The value of a `  Key:   value,` line, without its trailing comma.
fn field<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        (k.trim() == key).then(|| v.strip_suffix(',').unwrap_or(v).trim_end())
    })
}

/// The model word and release of a `show system` Description: the release
/// is the first word like `8.7.354.R01` (a digit first, two dots or more),
/// the model the word just before it.
fn release(description: &str) -> Option<(&str, &str)> {
    let words: Vec<&str> = description.split_whitespace().collect();
    let at = words.iter().position(|w| {
        w.starts_with(|c: char| c.is_ascii_digit())
            && w.matches('.').count() >= 2
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
    })?;
    let model = at.checked_sub(1).map_or("", |i| words[i]);
    Some((model, words[at].trim_end_matches('.')))
}

/// The lines of the primary chassis's block in `show chassis`: on AOS 8
/// the one marked `(Master)` (`Local Chassis ID 1 (Master)`, `Remote
/// Chassis ID 2 (Slave)`), else the local one; AOS 6 marks no role
/// (`Chassis 1`, `Chassis 2`), so the first block printed (the lowest
/// number).
fn primary_chassis<'a, 'b>(clines: &'b [&'a str]) -> &'b [&'a str] {
    let is_head = |l: &str| {
        let t = l.trim();
        !l.starts_with(char::is_whitespace)
            && (t.starts_with("Chassis ")
                || t.starts_with("Local Chassis")
                || t.starts_with("Remote Chassis"))
    };
    let mut blocks: Vec<&[&str]> = Vec::new();
    let mut start = 0;
    for (i, l) in clines.iter().enumerate() {
        if is_head(l) && i > start {
            blocks.push(&clines[start..i]);
            start = i;
        }
    }
    blocks.push(&clines[start..]);
    let head = |b: &[&str]| b.first().map_or(String::new(), |l| l.trim().to_string());
    blocks
        .iter()
        .find(|b| head(b).contains("(Master)"))
        .or_else(|| blocks.iter().find(|b| head(b).starts_with("Local ")))
        .or_else(|| {
            blocks
                .iter()
                .find(|b| b.first().is_some_and(|l| is_head(l)))
        })
        .copied()
        .unwrap_or(clines)
}

/// The ports of `show interfaces status`: the first word of each row under
/// the `-----+-----` rule, `1/1/1` (chassis/slot/port, AOS 8; `1/1/1A` a
/// split port) or `1/1` (slot/port, AOS 6).
fn ports(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show interfaces status";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Slot/", &["Speed", "Duplex"])?;
    let is_rule = |l: &str| {
        let t = l.trim();
        t.starts_with('-') && t.contains('+') && t.chars().all(|c| c == '-' || c == '+')
    };
    let Some(start) = rows.iter().position(|l| is_rule(l)) else {
        return Err(missing(
            command,
            "`-----+-----` rule under the table header",
        ));
    };
    Ok(rows[start + 1..]
        .iter()
        .filter(|l| l.split_whitespace().count() >= 5)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| is_port(w))
        .map(str::to_string)
        .collect())
}

/// `1/1`, `1/1/1`, `2/1/49A`.
fn is_port(word: &str) -> bool {
    let word = word
        .strip_suffix(|c: char| c.is_ascii_uppercase())
        .unwrap_or(word);
    let parts: Vec<&str> = word.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM_8: &str = "System:
  Description:  Alcatel-Lucent Enterprise OS6360-P10 8.9.107.R02 GA, May 02, 2023.,
  Object ID:    1.3.6.1.4.1.6486.801.1.1.2.1.12.1.3,
  Up Time:      0 days 2 hours 7 minutes and 41 seconds,
  Contact:      Alcatel-Lucent Enterprise, https://www.al-enterprise.com,
  Name:         lab-sw,
  Location:     Unknown,
  Services:     78,
  Date & Time:  WED MAR 06 2024 09:15:02 (UTC)
Flash Space:
    Primary CMM:
      Available (bytes):  812345344,
      Comments         :  None
";

    const STATUS_8: &str = " Chas/                DETECTED-VALUES              CONFIGURED-VALUES
 Slot/   Admin  Auto  Speed   Duplex  Pause  FEC   Speed   Duplex  Pause  FEC   Link
 Port    Status Nego  (Mbps)                 Det   (Mbps)                 Cfg   Trap  EEE
--------+------+----+--------+------+-------+----+--------+------+-------+-----+-----+---
 1/1/1      en    en    1000   Full     -     DIS   Auto    Auto     -    AUTO  en   dis
 1/1/11     en   dis     -      -       -    -     10000    Full     -    AUTO  en   dis
";

    #[test]
    fn aos8_master_is_not_always_the_first_chassis() {
        let chassis = "Local Chassis ID 2 (Master)
  Model Name:                    OS6360-P10,
  Serial Number:                 WHS2335000B2,
  MAC Address:                   78:24:59:00:11:22

Remote Chassis ID 1 (Slave)
  Model Name:                    OS6360-P24,
  Serial Number:                 WHS2335000A1,
  MAC Address:                   78:24:59:00:11:00
";
        let v = facts(&[SYSTEM_8, chassis, STATUS_8]).unwrap();
        assert_eq!(v["hostname"], "lab-sw");
        assert_eq!(v["model"], "OS6360-P10");
        assert_eq!(v["serial_number"], "WHS2335000B2");
        assert_eq!(v["os_version"], "8.9.107.R02");
        assert_eq!(v["uptime"], (2 * 3600 + 7 * 60 + 41) as f64);
        assert_eq!(v["interface_list"], serde_json::json!(["1/1/1", "1/1/11"]));
    }

    #[test]
    fn aos6_stack_takes_the_first_element() {
        // AOS 6 prints no role, and its last two fields swap their commas.
        let chassis = "Chassis 1
  Model Name:                    OS6350-24,
  Serial Number:                 Q1234567,
  Number Of Resets:              3
  MAC Address:                   e8:e7:32:00:00:01,

Chassis 2
  Model Name:                    OS6350-P24,
  Serial Number:                 Q7654321,
  MAC Address:                   e8:e7:32:00:00:02,
";
        let lines: Vec<&str> = chassis.lines().collect();
        let primary = primary_chassis(&lines);
        assert_eq!(field(primary, "Serial Number"), Some("Q1234567"));
        assert_eq!(field(primary, "Model Name"), Some("OS6350-24"));
        assert_eq!(field(primary, "MAC Address"), Some("e8:e7:32:00:00:01"));
    }

    #[test]
    fn old_and_new_descriptions() {
        assert_eq!(
            release("Alcatel-Lucent OS6850-24 6.4.4.585.R01 GA, March 01, 2012."),
            Some(("OS6850-24", "6.4.4.585.R01"))
        );
        assert_eq!(
            release(
                "Alcatel-Lucent Enterprise OS6860E-24 8.5.152.R01 Development, March 27, 2018."
            ),
            Some(("OS6860E-24", "8.5.152.R01"))
        );
        assert_eq!(release("Alcatel-Lucent Enterprise"), None);
    }

    #[test]
    fn aos6_status_rows_and_legend() {
        let status = "                       DETECTED           CONFIGURED
Slot/ AutoNego  Speed Duplex Hybrid  Speed   Duplex Hybrid  Trap
Port           (Mbps)         Type   (Mbps)         Mode   LinkUpDown
-----+--------+------+------+------+--------+------+------+------
 1/1   Enable   1000   Full    NA      Auto   Auto    NA      -
 1/26  Enable    -      -      -        1000  Full    NA      -
 2/3   Enable    -      -      -       Auto   Auto    NA      -

FF - ForcedFiber PF - PreferredFiber  F - Fiber
FC - ForcedCopper PC - PreferredCopper C - Copper
";
        assert_eq!(ports(status).unwrap(), ["1/1", "1/26", "2/3"]);
        assert!(ports("Slot/ AutoNego Speed Duplex\n 1/1 Enable").is_err());
    }

    #[test]
    fn refusals_and_missing_fields_are_errors() {
        let refusal = "ERROR: Invalid entry: \"sytem\"";
        let chassis = "Local Chassis ID 1 (Master)\n  Model Name:   OS6360-P10,\n";
        assert!(facts(&[refusal, chassis, STATUS_8]).is_err());
        assert!(facts(&[SYSTEM_8, refusal, STATUS_8]).is_err());
        assert!(facts(&[SYSTEM_8, chassis, refusal]).is_err());
        assert!(facts(&[SYSTEM_8, "", STATUS_8]).is_err());
        let no_name = SYSTEM_8.replace("  Name:         lab-sw,\n", "");
        assert!(facts(&[&no_name, chassis, STATUS_8]).is_err());
        let no_release = SYSTEM_8.replace("8.9.107.R02 ", "");
        assert!(facts(&[&no_release, chassis, STATUS_8]).is_err());
        // A chassis block without a serial number: empty, not an error.
        let v = facts(&[SYSTEM_8, chassis, STATUS_8]).unwrap();
        assert_eq!(v["serial_number"], "");
    }
}
