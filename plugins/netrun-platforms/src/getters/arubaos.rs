//! ArubaOS (Mobility Controller, Mobility Master / Conductor) getters.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[Getter {
    name: "facts",
    commands: &[
        "show version",
        // `show version` holds no serial number and no host name (the
        // prompt is not the getter's to read).
        "show inventory",
        "show hostname",
        // The Ethernet ports (`show ip interface brief` lists only the
        // routed ones: VLAN interfaces and the loopback).
        "show port status",
        "show ip interface brief",
    ],
    build: facts,
    follow_up: None,
}];

/// ArubaOS's refusals (the platform file's failure indicators):
/// `% Invalid input detected at '^' marker.`
const ERRORS: &[&str] = &[
    "% Invalid input detected",
    "% Incomplete command",
    "% Ambiguous command",
];

/// `show version` for the model, release and uptime, `show inventory` for
/// the serial number, `show hostname` for the name, `show port status` and
/// `show ip interface brief` for the interfaces.
fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, inventory, hostname, ports, ip_brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let vlines = lines(version);
    // `ArubaOS (MODEL: Aruba7030), Version 6.5.4.9` (a Mobility Master:
    // `ArubaOS (MODEL: ArubaMM-VA), Version 8.6.0.9`).
    let (model, os_version) = vlines
        .iter()
        .find_map(|l| model_and_version(l))
        .ok_or_else(|| missing(command, "`ArubaOS (MODEL: …), Version …` line"))?;
    // `Switch uptime is 12 days 3 hours 4 minutes 5 seconds`.
    let uptime = vlines
        .iter()
        .find_map(|l| l.split_once(" uptime is "))
        .and_then(|(_, u)| uptime_seconds(u));

    let command = "show inventory";
    check(command, inventory, ERRORS)?;
    // `System Serial#              : CV0012345 (Date:05/20/17)`; a virtual
    // controller may show none.
    let serial_number = lines(inventory)
        .into_iter()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "System Serial#").then(|| v.split_whitespace().next())?
        })
        .unwrap_or("");

    let command = "show hostname";
    check(command, hostname, ERRORS)?;
    // `Hostname is mc-01`.
    let name = lines(hostname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("Hostname is "))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing(command, "`Hostname is` line"))?;

    let mut interface_list = port_names(ports)?;
    interface_list.extend(ip_interface_names(ip_brief)?);
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Aruba",
        model,
        serial_number,
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// Model and release from `ArubaOS (MODEL: Aruba7210), Version 8.6.0.9`.
fn model_and_version(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("ArubaOS (MODEL:")?;
    let (model, rest) = rest.split_once(')')?;
    let version = rest
        .trim_start_matches(',')
        .trim()
        .strip_prefix("Version")?
        .split_whitespace()
        .next()?;
    let model = model.trim();
    (!model.is_empty()).then_some((model, version))
}

/// Seconds in `12 days 3 hours 4 minutes 5 seconds`; ArubaOS also counts
/// months (`6 months 15 days …`, taken as 30 days) and years, which
/// [`napalm::duration`] does not read. `None` when any word is not a
/// number followed by a unit.
fn uptime_seconds(text: &str) -> Option<u64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    let mut total = 0u64;
    for pair in words.chunks(2) {
        let n: u64 = pair[0].parse().ok()?;
        let size: u64 = match pair[1].trim_end_matches(',') {
            "year" | "years" => 365 * 86_400,
            "month" | "months" => 30 * 86_400,
            "week" | "weeks" => 7 * 86_400,
            "day" | "days" => 86_400,
            "hour" | "hours" => 3_600,
            "minute" | "minutes" => 60,
            "second" | "seconds" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(size)?)?;
    }
    Some(total)
}

/// The Ethernet ports of `show port status` as the device's own port
/// descriptions (`GE0/0/1`) name them: port type and slot/module/port.
///
/// ```text
/// Slot-Port  PortType  AdminState  OperState  PoE  Trusted  SpanningTree  PortMode  Speed     Duplex  SecurityError
/// ---------  --------  ----------  ---------  ---  -------  ------------  --------  -----     ------  -------------
/// 0/0/0      GE        Enabled     Up         N/A  Yes      Forwarding    Trunk     1 Gbps    Full    No
/// ```
fn port_names(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show port status";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Slot-Port", &["PortType"])?;
    Ok(rows
        .into_iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (port, kind) = (words.next()?, words.next()?);
            let is_port = port.contains('/')
                && port
                    .split('/')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            let is_kind = kind.chars().all(|c| c.is_ascii_alphanumeric());
            (is_port && is_kind).then(|| format!("{kind}{port}"))
        })
        .collect())
}

/// The routed interfaces of `show ip interface brief` as the configuration
/// names them (`vlan 10`, `loopback`): the words before the address.
///
/// ```text
/// Interface                   IP Address / IP Netmask        Admin   Protocol
/// vlan 1                      10.1.1.2 / 255.255.255.0       up      up
/// loopback                    unassigned / unassigned        up      up
/// ```
fn ip_interface_names(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "show ip interface brief";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Interface", &["IP Address"])?;
    Ok(rows
        .into_iter()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            // The address (or `unassigned`) stands just before the `/`.
            let slash = words.iter().position(|w| *w == "/")?;
            (slash >= 2).then(|| words[..slash - 1].join(" "))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "Aruba Operating System Software.\n\
                           ArubaOS (MODEL: Aruba7005), Version 8.10.0.9 LSR\n\
                           Switch uptime is 1 day 2 hours 3 minutes 4 seconds\n";
    const INVENTORY: &str = "System Serial#              : CN0012345 (Date:01/02/20)\n";
    const PORTS: &str = "Slot-Port  PortType  AdminState  OperState  PoE  Trusted  SpanningTree  PortMode  Speed     Duplex  SecurityError\n\
                         ---------  --------  ----------  ---------  ---  -------  ------------  --------  -----     ------  -------------\n\
                         0/0/0      GE        Enabled     Up         N/A  Yes      Forwarding    Trunk     1 Gbps    Full    No\n";
    const IP_BRIEF: &str = "Interface                   IP Address / IP Netmask        Admin   Protocol\n\
                            vlan 1                      10.1.1.2 / 255.255.255.0       up      up\n";

    #[test]
    fn uptime_in_old_and_new_releases() {
        assert_eq!(
            uptime_seconds("12 days 3 hours 4 minutes 5 seconds"),
            Some(12 * 86_400 + 3 * 3600 + 4 * 60 + 5)
        );
        // Old releases count months, and one of a unit stays singular.
        assert_eq!(
            uptime_seconds("6 months 15 days 12 hours 40 minutes 38 seconds"),
            Some(195 * 86_400 + 12 * 3600 + 40 * 60 + 38)
        );
        assert_eq!(
            uptime_seconds("1 year 1 week 1 day 1 hour 1 minute 1 second"),
            Some(373 * 86_400 + 3600 + 61)
        );
        assert_eq!(uptime_seconds("12 days 3"), None);
        assert_eq!(uptime_seconds("forever"), None);
        assert_eq!(uptime_seconds(""), None);
    }

    #[test]
    fn model_and_release_line() {
        assert_eq!(
            model_and_version("ArubaOS (MODEL: Aruba3600-US), Version 6.1.3.10"),
            Some(("Aruba3600-US", "6.1.3.10"))
        );
        assert_eq!(
            model_and_version("ArubaOS (MODEL: ArubaMM-VA), Version 8.6.0.9"),
            Some(("ArubaMM-VA", "8.6.0.9"))
        );
        assert_eq!(model_and_version("ArubaOS (MODEL: Aruba7010), Vers"), None);
        assert_eq!(model_and_version("ArubaOS (MODEL: Aruba7010"), None);
    }

    #[test]
    fn a_small_controller_and_a_release_suffix() {
        let v = facts(&[VERSION, INVENTORY, "Hostname is mc-02\n", PORTS, IP_BRIEF]).unwrap();
        assert_eq!(v["model"], "Aruba7005");
        assert_eq!(v["os_version"], "8.10.0.9");
        assert_eq!(v["serial_number"], "CN0012345");
        assert_eq!(v["hostname"], "mc-02");
        assert_eq!(v["uptime"], (86_400 + 2 * 3600 + 3 * 60 + 4) as f64);
        assert_eq!(
            v["interface_list"],
            serde_json::json!(["GE0/0/0", "vlan 1"])
        );
        // A virtual controller without a serial number.
        let v = facts(&[
            VERSION,
            "Supervisor Card slot        : 0\n",
            "Hostname is vmc\n",
            PORTS,
            IP_BRIEF,
        ])
        .unwrap();
        assert_eq!(v["serial_number"], "");
    }

    #[test]
    fn refusals_and_missing_lines_are_errors() {
        let refused = "show inventry\n              ^\n% Invalid input detected at '^' marker.\n";
        let ok = |i: usize, text: &'static str| {
            let mut out = [VERSION, INVENTORY, "Hostname is mc-02\n", PORTS, IP_BRIEF];
            out[i] = text;
            facts(&out)
        };
        for i in 0..5 {
            let err = ok(i, refused).unwrap_err();
            assert!(err.to_string().contains("Invalid input"), "{i}: {err}");
            assert!(ok(i, "").is_err(), "{i}");
        }
        assert!(ok(0, "Aruba Operating System Software.\n").is_err());
        assert!(ok(2, "Hostname is \n").is_err());
        assert!(ok(3, "Port Status\n-----------\n").is_err());
        assert!(ok(1, "% Incomplete command.\n").is_err());
    }

    #[test]
    fn fakenos_ip_interface_brief_layout() {
        // As FakeNOS replays a controller's: the first row indented, rows
        // padded with blanks, a blank line at the end, a bare `loopback`.
        let out = "Interface                   IP Address / IP Netmask        Admin   Protocol\n \
                   vlan 42                    192.0.2.4 / 255.255.255.192   up      up  \n\
                   vlan 1                      unassigned / unassigned        up      up  \n\
                   vlan 700                 198.51.100.9 / 255.255.255.240   up      up  \n\
                   loopback                    unassigned / unassigned        up      up  \n\n";
        assert_eq!(
            ip_interface_names(out).unwrap(),
            ["vlan 42", "vlan 1", "vlan 700", "loopback"]
        );
    }
}
