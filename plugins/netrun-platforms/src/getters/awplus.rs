//! Allied Telesis AlliedWare Plus getters.

use super::napalm::{self, Facts, check, key_value, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    // `show system` holds the name, board, serial number, uptime and
    // release (`show version` adds only the release); `show interface`
    // names every interface. FakeNOS answers both.
    commands: &["show system", "show interface"],
    build: facts,
    follow_up: None,
}];

/// How AlliedWare Plus refuses a command (the platform file's failure
/// indicators): `% Invalid input detected at '^' marker.`.
const ERRORS: &[&str] = &[
    "% Invalid input detected",
    "% Incomplete command",
    "% Ambiguous command",
    "% Unrecognized command",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [system, interface] = out else {
        return Err(missing("show system", "outputs"));
    };
    let command = "show system";
    check(command, system, ERRORS)?;
    let slines = lines(system);
    let hostname = system_name(&slines).ok_or_else(|| missing(command, "`System Name` value"))?;
    // `Software version   : 5.5.2-1.1` (`Current software   :
    // x530-5.5.2-1.1.rel` names the file).
    let os_version = key_value(&slines, "Software version")
        .ok_or_else(|| missing(command, "`Software version :` line"))?;
    let (model, serial_number) = base_board(&slines).unwrap_or(("", ""));
    // `Uptime             : 12 days 03:04:05`, one per stack member: the
    // first member's.
    let uptime = key_value(&slines, "Uptime").and_then(napalm::duration);

    let command = "show interface";
    check(command, interface, ERRORS)?;
    let interface_list = interface_names(interface);
    if interface_list.is_empty() {
        return Err(missing(command, "`Interface port1.0.1` line"));
    }
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Allied Telesis",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// The name on the indented line under `System Name` (the hostname: the
/// `hostname` command sets both).
fn system_name<'a>(lines: &[&'a str]) -> Option<&'a str> {
    let at = lines.iter().position(|l| l.trim() == "System Name")?;
    let next = lines.get(at + 1)?;
    let name = next.trim();
    (next.starts_with(char::is_whitespace) && !name.is_empty() && !name.contains(' '))
        .then_some(name)
}

/// Board name and serial number of the first base board (`Base`, or the
/// `Chassis` row of an SBx8100), from the board table:
///
/// ```text
/// Board       ID  Bay   Board Name                         Rev   Serial number
/// Base       383        x510-28GTX                         A-0   A04450H134900019
/// Base       569  Base  AT-x530L-52GTX                     B-1   A000000000000001
/// ```
///
/// 5.5 releases print `Base` in the bay column; a stack prints one table
/// per member, the first member's first.
fn base_board<'a>(lines: &[&'a str]) -> Option<(&'a str, &'a str)> {
    lines.iter().find_map(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        let kind = *words.first()?;
        let id = words.get(1)?;
        if !(kind == "Base" || kind == "Chassis") || !id.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let rest = &words[2..];
        // The revision (`A-0`, `B-1`) follows the board name.
        let rev = rest.iter().rposition(|w| is_revision(w))?;
        let name = *rest.get(rev.checked_sub(1)?)?;
        let serial = rest.get(rev + 1).copied().unwrap_or("");
        Some((name, serial))
    })
}

/// A board revision: `A-0`, `B-1`, `X4-0`.
fn is_revision(word: &str) -> bool {
    word.split_once('-').is_some_and(|(letter, n)| {
        (1..=2).contains(&letter.len())
            && letter.starts_with(|c: char| c.is_ascii_uppercase())
            && letter.chars().all(|c| c.is_ascii_alphanumeric())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    })
}

/// The names on the `Interface port1.0.1` lines that start each block
/// (`port1.0.1`, `sa1`, `po1`, `vlan1`, `lo`, `eth0`, `tunnel1`).
fn interface_names(output: &str) -> Vec<String> {
    lines(output)
        .into_iter()
        .filter_map(|l| {
            let rest = l.strip_prefix("Interface ")?;
            let mut words = rest.split_whitespace();
            let name = words.next()?;
            let is_name = words.next().is_none()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
            is_name.then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A standalone SH210 on 5.4.5 as FakeNOS records it: no `Stack member`
    /// heading, an empty bay column.
    const SH210: &str = "System Status                                   Sat Feb 03 03:30:29 2024\n\
\n\
Board       ID  Bay   Board Name                         Rev   Serial number\n\
--------------------------------------------------------------------------------\n\
Base       467        AT-SH210-24GT                      B-0   G22TG6001\n\
--------------------------------------------------------------------------------\n\
Environment Status : Normal\n\
Uptime             : 1425 days 19:42:12\n\
Bootloader version : 2.0.25\n\
\n\
Current software   : SH210-5.4.5-1.3.rel\n\
Software version   : 5.4.5-1.3\n\
\n\
System Name\n\
\x206F-SH210-5\n\
System Contact\n\
\n\
System Location\n";

    const INTERFACES: &str = "Interface port1.1.1\n  Scope: both\n  Link is UP, administrative state is UP\n\
Interface vlan1\n  Scope: both\n  IPv4 address 192.168.1.1/24 broadcast 192.168.1.255\n\
Interface lo\n  Scope: both\n  Hardware is Loopback\n";

    #[test]
    fn old_layout_without_bay() {
        let v = facts(&[SH210, INTERFACES]).unwrap();
        assert_eq!(v["hostname"], "6F-SH210-5");
        assert_eq!(v["model"], "AT-SH210-24GT");
        assert_eq!(v["serial_number"], "G22TG6001");
        assert_eq!(v["os_version"], "5.4.5-1.3");
        assert_eq!(
            v["uptime"],
            (1425 * 86_400 + 19 * 3600 + 42 * 60 + 12) as f64
        );
        assert_eq!(
            v["interface_list"],
            serde_json::json!(["port1.1.1", "vlan1", "lo"])
        );
    }

    #[test]
    fn stack_members_give_the_first_members_board() {
        let stack = [
            "Stack member 1",
            "",
            "Board      ID   Bay     Board Name                        Rev   Serial number",
            "Base       569  Base    AT-x530L-52GTX                    B-1   A000000000000001",
            "Uptime             : 160 days 11:32:40",
            "Stack member 2",
            "Base       569  Base    AT-x530L-52GTX                    B-1   A000000000000002",
            "Uptime             : 160 days 11:32:41",
        ];
        assert_eq!(
            base_board(&stack),
            Some(("AT-x530L-52GTX", "A000000000000001"))
        );
        assert_eq!(
            key_value(&stack, "Uptime").and_then(napalm::duration),
            Some(160 * 86_400 + 11 * 3600 + 32 * 60 + 40)
        );
        // A board without a serial number, and rows that are no board.
        let bare = ["Base       300        AT-VAA                             A-0"];
        assert_eq!(base_board(&bare), Some(("AT-VAA", "")));
        assert_eq!(
            base_board(&["Base 12", "Base: x", "Base  x  A-0  S1"]),
            None
        );
    }

    #[test]
    fn refusals_and_missing_values_are_errors() {
        let refusal = "show systm\n          ^\n% Invalid input detected at '^' marker.\n";
        let err = facts(&[refusal, INTERFACES]).unwrap_err();
        assert!(err.to_string().contains("Invalid input"), "{err}");
        let err = facts(&[SH210, "% Incomplete command.\n"]).unwrap_err();
        assert!(err.to_string().contains("Incomplete"), "{err}");
        assert!(facts(&[SH210, ""]).is_err());
        // No name under `System Name`, no release: not guessed.
        let unnamed = SH210.replace("\n 6F-SH210-5", "");
        let err = facts(&[&unnamed, INTERFACES]).unwrap_err();
        assert!(err.to_string().contains("System Name"), "{err}");
        let unreleased = SH210.replace("Software version", "Software");
        assert!(facts(&[&unreleased, INTERFACES]).is_err());
        // Other output in place of `show interface`.
        assert!(facts(&[SH210, SH210]).is_err());
    }

    #[test]
    fn revisions() {
        assert!(is_revision("A-0") && is_revision("B-1") && is_revision("X4-10"));
        assert!(!is_revision("AT-x530L-52GTX") && !is_revision("x510-28GTX"));
        assert!(!is_revision("-1") && !is_revision("A-") && !is_revision("G22TG6001"));
    }
}
