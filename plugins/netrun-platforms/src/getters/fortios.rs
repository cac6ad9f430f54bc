//! Fortinet FortiOS getters (FortiOS 6.x / 7.x), read from the top level;
//! on a multi-VDOM unit they read the management VDOM.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "get system status",
            "get system performance status",
            "get system interface",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["get system interface physical", "get system interface"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["get system interface"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["get system arp"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["get router info bgp summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["execute sensor list", "get system performance status"],
        build: environment,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &[LLDPRX_NEIGHBOR, LLDP_RX_NEIGHBOR],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &[LLDPRX_DETAILS, LLDP_RX_DETAILS],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
];

/// LLDP reception's neighbour list, FortiOS 6.2 to 7.4.
const LLDPRX_NEIGHBOR: &str = "diagnose lldprx neighbor";
/// The same from FortiOS 7.6, where `diagnose lldprx` became `diagnose lldp rx`.
const LLDP_RX_NEIGHBOR: &str = "diagnose lldp rx neighbor";
/// Each neighbour's TLVs, FortiOS 6.2 to 7.4.
const LLDPRX_DETAILS: &str = "diagnose lldprx neighbor details";
/// The same from FortiOS 7.6.
const LLDP_RX_DETAILS: &str = "diagnose lldp rx neighbor details";

const ERRORS: &[&str] = &["Unknown action 0", "command parse error", "Command fail."];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [status, performance, interfaces] = out else {
        return Err(missing("get system status", "outputs"));
    };
    let command = "get system status";
    check(command, status, ERRORS)?;
    let get = |key: &str| {
        lines(status)
            .into_iter()
            .find_map(|l| l.strip_prefix(key).map(str::trim))
    };
    // `Version: FortiGate-60E v6.4.9,build1966,220405 (GA)`
    let version = get("Version:").ok_or_else(|| missing(command, "`Version:` line"))?;
    let (model, release) = version.split_once(' ').unwrap_or((version, ""));
    let os_version = release
        .split(',')
        .next()
        .unwrap_or(release)
        .trim_start_matches('v');
    let hostname = get("Hostname:").ok_or_else(|| missing(command, "`Hostname:` line"))?;
    // `Uptime: 45 days,  3 hours,  12 minutes`
    let uptime = lines(performance)
        .into_iter()
        .find_map(|l| l.strip_prefix("Uptime:"))
        .and_then(napalm::duration);
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Fortinet",
        model,
        serial_number: get("Serial-Number:").unwrap_or(""),
        os_version,
        uptime,
        interface_list: records(interfaces)?
            .into_iter()
            .filter_map(|r| field(r, "name").map(str::to_string))
            .collect(),
    }
    .json())
}

/// The `name: … mode: … ip: …` record line of each interface of `get system interface`.
fn records(output: &str) -> Result<Vec<&str>, ParseError> {
    let command = "get system interface";
    check(command, output, ERRORS)?;
    let rows: Vec<&str> = lines(output)
        .into_iter()
        .filter(|l| l.trim_start().starts_with("name: "))
        .collect();
    if rows.is_empty() {
        return Err(missing(command, "`name: … ip: …` records"));
    }
    Ok(rows)
}

/// The value after `key: ` in a record line of space-separated `key: value` pairs.
fn field<'a>(record: &'a str, key: &str) -> Option<&'a str> {
    let at = record.find(&format!("{key}: "))?;
    record[at + key.len() + 2..].split_whitespace().next()
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    // `name: wan1   mode: static    ip: 203.0.113.10 255.255.255.248   status: up …`
    for r in records(out[0])? {
        let Some(name) = field(r, "name") else {
            continue;
        };
        let Some(at) = r.find("ip: ") else { continue };
        let mut words = r[at + 4..].split_whitespace();
        if let (Some(addr), Some(mask)) = (words.next(), words.next())
            && addr != "0.0.0.0"
            && let Some(len) = napalm::mask_len(mask)
        {
            napalm::add_ip(&mut map, name, addr, len);
        }
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "get system arp";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Address", &["Hardware Addr", "Interface"])?;
    let mut entries = Vec::new();
    // `203.0.113.9       0          00:0c:29:aa:bb:cc wan1`; age in minutes.
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 4 || words[0].parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        let age = words[1].parse::<f64>().ok().map(|m| m * 60.0);
        entries.push(napalm::arp(words[3], words[2], words[0], age));
    }
    Ok(json!(entries))
}

/// The ports of `get system interface physical` (`==[port1]`, then `status:
/// up` for the link and `speed: 1000Mbps (Duplex: full)` or `n/a`), enabled
/// unless `get system interface` says `status: down` for the port. FortiOS
/// shows no MTU, MAC or description in either (0, `""`).
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let [physical, all] = out else {
        return Err(missing("get system interface physical", "outputs"));
    };
    let records = records(all)?;
    let admin_down = |name: &str| {
        records
            .iter()
            .any(|r| field(r, "name") == Some(name) && field(r, "status") == Some("down"))
    };
    super::ifaces::interfaces(
        "get system interface physical",
        physical,
        ERRORS,
        "`==[port]` blocks",
        |l| l.trim_start().starts_with("==["),
        |b| {
            let name = b.header.trim().strip_prefix("==[")?.strip_suffix(']')?;
            let speed = b
                .after("speed:")
                .and_then(|s| s.split_whitespace().next())
                .and_then(napalm::speed_mbit);
            Some((
                name.to_string(),
                napalm::interface(
                    b.after("status:") == Some("up"),
                    !admin_down(name),
                    "",
                    speed,
                    None,
                    "",
                ),
            ))
        },
    )
}

/// `get router info bgp summary`: a Cisco-style summary (`VRF 0 BGP router
/// identifier A, local AS number N`, `Neighbor V AS … State/PfxRcd`).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::cisco_summary("get router info bgp summary", out[0], ERRORS)
}

/// Whether a FortiGate sensor name is a temperature: `CPU ON-DIE Temp`,
/// `PS1 Temp 1`, `CPU DTS0`, `LM75 U79`, thermal diodes `TD1`, `TR3`, `TS2`.
fn is_temperature(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let diode = upper.len() >= 3
        && upper.starts_with('T')
        && matches!(upper.as_bytes()[1], b'D' | b'R' | b'S')
        && upper[2..].chars().all(|c| c.is_ascii_digit());
    diode
        || [
            "TEMP", "DTS", "LM75", "THERMAL", "INLET", "OUTLET", "AMBIENT",
        ]
        .iter()
        .any(|k| upper.contains(k))
}

/// `execute sensor list`: rows `12 CPU ON-DIE Temp  alarm=0  value=58
/// threshold_status=0`; fans hold `Fan`/`FAN` in their name, supplies are
/// `PS1 Status` (`(not detected)` when missing), voltage rails are left out,
/// as is a sensor without a reading. A sensor in alarm is critical, one past
/// a threshold alerting. FortiGate-VM and small desktops print no sensors or
/// refuse the command. `get system performance status`: `CPU states: …
/// 97% idle …`; `Memory: 2055904k total, 997440k used (48.5%), …` (6.2 and
/// later; 6.0 prints only `Memory states: 48% used`, no byte count).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number, unless_refused};
    let [sensors, performance] = out else {
        return Err(missing("execute sensor list", "outputs"));
    };
    check("get system performance status", performance, ERRORS)?;
    let mut e = Environment::default();
    for line in lines(unless_refused(sensors, ERRORS)) {
        let Some((head, rest)) = line.split_once(" alarm=") else {
            continue;
        };
        let name = head
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim();
        let field = |key: &str| {
            rest.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(number)
        };
        let alarm = number(rest).is_some_and(|a| a != 0.0);
        let value = field("value=");
        let upper = name.to_ascii_uppercase();
        if let Some(supply) = upper
            .strip_suffix(" STATUS")
            .filter(|s| s.starts_with("PS"))
        {
            e.power(supply, !alarm && !rest.contains("not detected"), -1.0, -1.0);
        } else if upper.contains("FAN") {
            if value.is_some() {
                e.fan(name, !alarm);
            }
        } else if is_temperature(name)
            && let Some(c) = value
        {
            let past = field("threshold_status=").is_some_and(|t| t != 0.0);
            e.temperature(name, c, alarm || past, alarm);
        }
    }
    let perf = lines(performance);
    if let Some(idle) = perf.iter().find_map(|l| {
        let rest = l.strip_prefix("CPU states:")?;
        let (before, _) = rest.split_once("% idle")?;
        number(before.rsplit(' ').next()?)
    }) {
        e.cpu(0, 100.0 - idle);
    }
    // `Memory: 2055904k total, 997440k used (48.5%), …`.
    if let Some(m) = perf.iter().find_map(|l| l.strip_prefix("Memory:"))
        && let Some((total, rest)) = m.split_once("total,")
        && let (Some(total), Some(used)) = (number(total), number(rest))
    {
        e.memory(total as i64 * 1024, used as i64 * 1024);
    }
    Ok(e.json())
}

/// The output of whichever of a release's two spellings of an LLDP
/// reception command the unit took (`diagnose lldprx …` up to 7.4,
/// `diagnose lldp rx …` from 7.6): the other is refused (`command parse
/// error before 'lldprx'`). Both refused: the error of the older one.
fn lldp_output<'a>(out: &[&'a str], older: &str, newer: &str) -> Result<&'a str, ParseError> {
    let [old, new] = out else {
        return Err(missing(older, "outputs"));
    };
    match (
        napalm::refused(older, old, ERRORS),
        napalm::refused(newer, new, ERRORS),
    ) {
        (Ok(()), _) => Ok(old),
        (Err(_), Ok(())) => Ok(new),
        (Err(e), Err(_)) => Err(e),
    }
}

/// `diagnose lldprx neighbor` (LLDP reception, FortiOS 6.2 to 7.4; `diagnose
/// lldp rx neighbor` from 7.6): one line per neighbour, `1 port 'x2' 33 mac
/// 84:39:8F:5E:F4:66 chassis 84:39:8F:5E:F4:4D port 'port25' system
/// 'S524DNTV…'` (index, local port and its ifindex, the source MAC, the
/// chassis ID, the neighbour's port and system name; quoted values may hold
/// blanks). No line at all when LLDP reception is off or nothing was heard:
/// no neighbours.
fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = LLDPRX_NEIGHBOR;
    let output = lldp_output(out, LLDPRX_NEIGHBOR, LLDP_RX_NEIGHBOR)?;
    let mut map = Map::new();
    for line in lines(output) {
        let words = quoted_words(line);
        let [index, key, local, ..] = &words[..] else {
            continue;
        };
        if key != "port" || index.parse::<u32>().is_err() {
            continue;
        }
        // The second `port` is the neighbour's; `system` its name.
        let after = |k: &str, nth: usize| {
            words
                .iter()
                .enumerate()
                .filter(|(_, w)| w.as_str() == k)
                .nth(nth)
                .and_then(|(i, _)| words.get(i + 1))
        };
        let (Some(port), Some(system)) = (after("port", 1), after("system", 0)) else {
            return Err(missing(
                command,
                "`port '…'` and `system '…'` of a neighbour",
            ));
        };
        napalm::add_lldp(&mut map, local, system, port);
    }
    Ok(Value::Object(map))
}

/// One `key: value` line of `diagnose lldprx neighbor details`: the
/// neighbour's index and the key without it. The neighbour list prints
/// `lldprx.neighbor.1.system.name.data: core-sw1`; the per-port form (`diagnose
/// lldprx port neighbor details`) `1 system.name.data: core-sw1`.
fn detail_line(line: &str) -> Option<(u32, &str, &str)> {
    let (key, value) = line.trim_start().split_once(": ").or_else(|| {
        let k = line.trim().strip_suffix(':')?;
        Some((k, ""))
    })?;
    if let Some((index, key)) = key.split_once(' ') {
        return Some((index.parse().ok()?, key.trim(), value.trim_end()));
    }
    let at = key.find("neighbor.")? + "neighbor.".len();
    let (index, key) = key[at..].split_once('.')?;
    Some((index.parse().ok()?, key, value.trim_end()))
}

/// The neighbour keys of `diagnose lldprx neighbor details` read, with
/// NAPALM's names for them.
const DETAIL_FIELDS: &[(&str, &str)] = &[
    ("chassis.data", "remote_chassis_id"),
    ("port.id.data", "remote_port"),
    ("port.desc.data", "remote_port_description"),
    ("system.name.data", "remote_system_name"),
    ("system.desc.data", "remote_system_description"),
    ("system.caps.available.txt", "remote_system_capab"),
    ("system.caps.enabled.txt", "remote_system_enable_capab"),
];

/// `diagnose lldprx neighbor details` (FortiOS 6.2 to 7.4; `diagnose lldp rx
/// neighbor details` from 7.6): every TLV of every neighbour heard, a line
/// each, keyed by the neighbour's index (`lldprx.neighbor.1.port.txt: wan1`).
/// Read: `port.txt` (the local port), `chassis.data`, `port.id.data`,
/// `port.desc.data`, `system.name.data`, `system.desc.data` (a multi-line
/// description goes on over the following lines without a key) and
/// `system.caps.available.txt` / `system.caps.enabled.txt` (`bridge
/// router`); the `.len`, `.type`, ticks and timestamps are left. No line at
/// all when nothing was heard. FortiOS shows no aggregate membership
/// (`parent_interface` `""`).
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    use super::lldp::{Detail, json};
    let output = lldp_output(out, LLDPRX_DETAILS, LLDP_RX_DETAILS)?;
    // Neighbours in the order first seen, with the key a free line continues.
    let mut found: Vec<(u32, Detail)> = Vec::new();
    let mut last: Option<(usize, &str)> = None;
    for line in lines(output) {
        let Some((index, key, value)) = detail_line(line) else {
            // A multi-line description's later lines.
            if let Some((at, "system.desc.data")) = last
                && !line.trim().is_empty()
            {
                let d = &mut found[at].1.remote_system_description;
                d.push('\n');
                d.push_str(line.trim_end());
            }
            continue;
        };
        let at = match found.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None => {
                found.push((index, Detail::default()));
                found.len() - 1
            }
        };
        last = Some((at, key));
        let d = &mut found[at].1;
        if key == "port.txt" {
            d.local = value.to_string();
        } else if let Some((_, field)) = DETAIL_FIELDS.iter().find(|(k, _)| *k == key) {
            d.set(field, value.to_string());
        }
    }
    if let Some((i, _)) = found.iter().find(|(_, d)| d.local.is_empty()) {
        return Err(missing(
            LLDPRX_DETAILS,
            &format!("`port.txt` (the local port) of neighbour {i}"),
        ));
    }
    Ok(json(found.into_iter().map(|(_, d)| d).collect()))
}

/// The blank-separated words of `line`, a `'…'` quoted one (blanks and
/// all) without its quotes.
fn quoted_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (word, next) = match rest.strip_prefix('\'') {
            Some(q) => q.split_once('\'').unwrap_or((q, "")),
            None => rest.split_once(char::is_whitespace).unwrap_or((rest, "")),
        };
        words.push(word.to_string());
        rest = next.trim_start();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_lines_are_read_in_the_list_and_the_per_port_form() {
        assert_eq!(
            detail_line("lldprx.neighbor.12.system.name.data: core sw 1"),
            Some((12, "system.name.data", "core sw 1"))
        );
        assert_eq!(
            detail_line("3 port.id.data: Te1/0/1"),
            Some((3, "port.id.data", "Te1/0/1"))
        );
        assert_eq!(
            detail_line("lldprx.neighbor.2.port.desc.data:"),
            Some((2, "port.desc.data", ""))
        );
        // A description's later lines carry no key.
        assert_eq!(
            detail_line("Technical Support: http://www.cisco.com/techsupport"),
            None
        );
        assert_eq!(
            detail_line("Compiled Mon 22-Jan-18 04:07 by prod_rel_team"),
            None
        );
    }

    #[test]
    fn both_spellings_refused_is_an_error() {
        let refused = "command parse error before 'lldprx'\nCommand fail. Return code -61";
        let err = lldp_neighbors_detail(&[refused, refused]).unwrap_err();
        assert!(err.to_string().contains("command parse error"), "{err}");
    }
}
