//! Juniper Junos getters, from the operational-mode CLI text.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show version",
            "show chassis hardware",
            "show system uptime",
            "show interfaces terse",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interfaces"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interfaces terse"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp neighbors"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show lldp neighbors detail"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp no-resolve expiration-time"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show bgp summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["show chassis environment", "show chassis routing-engine"],
        build: environment,
        follow_up: None,
    },
    Getter {
        name: "mac_address_table",
        commands: &["show ethernet-switching table", "show vlans"],
        build: mac_address_table,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &["syntax error", "unknown command", "error: "];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hardware, uptime, terse] = out else {
        return Err(missing("show version", "outputs"));
    };
    check("show version", version, ERRORS)?;
    check("show chassis hardware", hardware, ERRORS)?;
    let field = |name: &str| {
        lines(version)
            .into_iter()
            .find_map(|l| l.trim_start().strip_prefix(name).map(str::trim))
    };
    let hostname = field("Hostname:").ok_or_else(|| missing("show version", "`Hostname:` line"))?;
    // `Junos: 21.4R3.15` since 15.1; before, the base OS package's
    // `[12.3R12.4]`, else a software suite's (`JUNOS EX  Software Suite
    // [13.2X51-D35.3]`; kernel and library packages carry build ids).
    let package = |wanted: &dyn Fn(&str) -> bool| {
        lines(version).into_iter().find_map(|l| {
            let upper = l.trim_start().to_ascii_uppercase();
            (upper.starts_with("JUNOS") && wanted(&upper))
                .then(|| {
                    l.split_once('[')?
                        .1
                        .split_once(']')
                        .map(|(v, _)| v.to_string())
                })
                .flatten()
        })
    };
    let os_version = field("Junos:")
        .map(str::to_string)
        .or_else(|| {
            package(&|l: &str| l.contains("SOFTWARE RELEASE") || l.contains("BASE OS BOOT"))
        })
        .or_else(|| package(&|l: &str| l.contains("SOFTWARE SUITE")))
        .ok_or_else(|| missing("show version", "`Junos:` line or JUNOS release"))?;
    let chassis = lines(hardware)
        .into_iter()
        .find(|l| l.starts_with("Chassis"))
        .ok_or_else(|| missing("show chassis hardware", "`Chassis` row"))?;
    // `Chassis                                JN1234567ABC      MX204`
    let words: Vec<&str> = chassis.split_whitespace().collect();
    let serial = words.get(1).copied().unwrap_or("");
    // A virtual chassis describes itself as such: the member's model is in `Model:`.
    let model = match words.get(2..) {
        Some(rest) if !rest.is_empty() && rest.join(" ") != "Virtual Chassis" => rest.join(" "),
        _ => field("Model:").unwrap_or("").to_ascii_uppercase(),
    };
    let uptime = lines(uptime)
        .into_iter()
        .find_map(|l| l.strip_prefix("System booted:"))
        .and_then(|l| l.split_once('(')?.1.split_once(')').map(|(d, _)| d))
        .and_then(napalm::duration);
    let interface_list = terse_rows(terse)?
        .into_iter()
        .filter(|r| !r.name.contains('.'))
        .map(|r| r.name.to_string())
        .collect();
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Juniper",
        model: &model,
        serial_number: serial,
        os_version: &os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// One interface of `show interfaces terse` with its addresses.
struct TerseRow<'a> {
    name: &'a str,
    addresses: Vec<(String, u32)>,
}

fn terse_rows(output: &str) -> Result<Vec<TerseRow<'_>>, ParseError> {
    check("show interfaces terse", output, ERRORS)?;
    let (_, lines) = napalm::table(
        "show interfaces terse",
        output,
        "Interface",
        &["Admin", "Link"],
    )?;
    let mut rows: Vec<TerseRow> = Vec::new();
    let mut family = "";
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(' ') {
            rows.push(TerseRow {
                name: words[0],
                addresses: Vec::new(),
            });
            family = "";
            // name, admin, link: the protocol and address follow.
            words.drain(..words.len().min(3));
        }
        if let Some(first) = words.first()
            && napalm::cidr(first).is_none()
        {
            family = first;
            words.remove(0);
        }
        let Some(row) = rows.last_mut() else {
            return Err(missing(
                "show interfaces terse",
                "interface before its addresses",
            ));
        };
        if matches!(family, "inet" | "inet6")
            && let Some(local) = words.first()
            && let Some(addr) = napalm::cidr(local)
        {
            row.addresses.push(addr);
        }
    }
    Ok(rows)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for row in terse_rows(out[0])? {
        for (addr, len) in &row.addresses {
            napalm::add_ip(&mut map, row.name, addr, *len);
        }
    }
    Ok(Value::Object(map))
}

/// `show lldp neighbors detail` (the layout of `show lldp neighbors
/// interface X`, for every neighbour; releases before it refuse the
/// command): a block from `LLDP Neighbor Information:` per neighbour, its
/// local part (`Local Interface`, `Parent Interface` of an aggregate), then
/// `Neighbour Information:` with `Key : value` lines and the capabilities
/// as `Supported:` / `Enabled  :` under `System capabilities`.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::blocks(
        "show lldp neighbors detail",
        out[0],
        ERRORS,
        |l| l.trim() == "LLDP Neighbor Information:",
        &[
            ("local interface", "local"),
            ("parent interface", "parent_interface"),
            ("chassis id", "remote_chassis_id"),
            ("port id", "remote_port"),
            ("port description", "remote_port_description"),
            ("system name", "remote_system_name"),
            ("system description", "remote_system_description"),
            ("supported", "remote_system_capab"),
            ("enabled", "remote_system_enable_capab"),
        ],
        &["System capabilities", "Management"],
    )
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show lldp neighbors";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Local Interface", &["Chassis Id"])?;
    let mut map = Map::new();
    for line in rows {
        // Local interface, parent, chassis id, port info, then the system name (may hold blanks).
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 5 {
            continue;
        }
        napalm::add_lldp(&mut map, words[0], &words[4..].join(" "), words[3]);
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show arp no-resolve expiration-time";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "MAC Address", &["Interface"])?;
    let mut entries = Vec::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 3 || napalm::mac(words[0]).is_none() {
            continue;
        }
        // MAC, address, interface, flags, TTE (seconds left).
        let age = words.get(4).and_then(|t| t.parse::<f64>().ok());
        entries.push(napalm::arp(words[2], words[0], words[1], age));
    }
    Ok(json!(entries))
}

/// Physical interfaces and their logical units, as NAPALM's junos driver
/// returns them: a unit has no MAC, speed or MTU of its own (`""`, -1, 0);
/// `MTU: Unlimited` is 0; `last_flapped` is the seconds of `(… ago)`.
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::interfaces(
        "show interfaces",
        out[0],
        ERRORS,
        "`Physical interface:` blocks",
        |l| {
            l.starts_with("Physical interface: ")
                || l.trim_start().starts_with("Logical interface ")
        },
        |b| {
            let description = b.after("Description:").unwrap_or("");
            if let Some(rest) = b.header.strip_prefix("Physical interface: ") {
                // `ge-0/0/1, Administratively down, Physical link is Down`
                let mut parts = rest.split(',').map(str::trim);
                let name = parts.next()?;
                let enabled = parts.next().is_some_and(|p| p == "Enabled");
                let is_up = rest.contains("Physical link is Up");
                let speed = b.word_after("Speed").and_then(napalm::speed_mbit);
                let mtu = b.word_after("MTU").and_then(|m| m.parse().ok());
                let mac = b
                    .after("Current address:")
                    .and_then(|m| m.split(',').next())
                    .unwrap_or("");
                // `Last flapped   : 2023-01-10 08:12:33 UTC (12w3d 04:11 ago)` or `Never`.
                let flapped = b
                    .after("Last flapped")
                    .and_then(|f| f.split_once('(')?.1.strip_suffix(')'))
                    .and_then(napalm::duration);
                let v = napalm::interface(is_up, enabled, description, speed, mtu, mac);
                return Some((name.to_string(), super::ifaces::flapped(v, flapped)));
            }
            // `  Logical interface ge-0/0/0.0 (Index 334) (SNMP ifIndex 527)`,
            // then `    Flags: Up SNMP-Traps 0x4004000 Encapsulation: ENET2`.
            let name = b
                .header
                .trim_start()
                .strip_prefix("Logical interface ")?
                .split_whitespace()
                .next()?;
            let flags: Vec<&str> = b.after("Flags:").unwrap_or("").split_whitespace().collect();
            let is_up = flags.contains(&"Up");
            let enabled = !flags.contains(&"Down");
            Some((
                name.to_string(),
                napalm::interface(is_up, enabled, description, None, None, ""),
            ))
        },
    )
}

/// `Last Up/Dwn` of `show bgp summary`: `1w2d 3:04:05`, `3d 4:05:06`,
/// `4:05:06`, `5:06` (minutes and seconds).
fn junos_up_down(words: &[&str]) -> i64 {
    let mut total = 0i64;
    for w in words {
        let parts: Vec<i64> = w.split(':').filter_map(|p| p.parse().ok()).collect();
        total += match parts.as_slice() {
            [h, m, s] if w.contains(':') => h * 3600 + m * 60 + s,
            [m, s] if w.contains(':') => m * 60 + s,
            _ => match napalm::duration(w) {
                Some(s) => s as i64,
                None => return -1,
            },
        };
    }
    total
}

/// A RIB line under a peer: VRF, family, counts.
type Rib = (String, &'static str, [i64; 4]);

/// `5/10/10/0`: active, received, accepted, damped.
fn rib_counts(text: &str) -> Option<[i64; 4]> {
    let n: Vec<i64> = text.split('/').filter_map(|p| p.parse().ok()).collect();
    (n.len() == 4 && text.split('/').count() == 4).then(|| [n[0], n[1], n[2], n[3]])
}

/// VRF and family of a RIB: `inet.0` (global IPv4), `inet6.0`,
/// `CUST-A.inet.0`; `None` for tables that are not unicast routes.
fn rib_vrf_family(rib: &str) -> Option<(String, &'static str)> {
    let (vrf, table) = match rib.rsplit_once('.') {
        Some((head, "0")) => match head.rsplit_once('.') {
            Some((vrf, t)) => (vrf.to_string(), t),
            None => (super::bgp::GLOBAL.to_string(), head),
        },
        _ => return None,
    };
    let family = match table {
        "inet" => "ipv4",
        "inet6" => "ipv6",
        _ => return None,
    };
    Some((vrf, family))
}

/// `show bgp summary`: a row per peer (address, AS, packets, flaps, last
/// up/down, then `Establ` or the state), and under an established peer one
/// `  RIB: active/received/accepted/damped` line per table; a peer in one
/// table only may show its counts inline instead of `Establ`. The summary
/// prints neither the local AS, router IDs, descriptions nor prefixes sent.
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp::{Neighbors, Peer};
    let command = "show bgp summary";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Peer", &["AS", "InPkt"])?;
    let mut peers: Vec<(Peer, Vec<Rib>)> = Vec::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if line.starts_with(' ') {
            // `  inet.0: 5/10/10/0`
            if let (Some(rib), Some(counts)) = (
                words[0].strip_suffix(':'),
                words.get(1).and_then(|c| rib_counts(c)),
            ) && let Some((vrf, family)) = rib_vrf_family(rib)
                && let Some((_, ribs)) = peers.last_mut()
            {
                ribs.push((vrf, family, counts));
            }
            continue;
        }
        if words.len() < 8 || words[0].parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let mut p = Peer::new(words[0]);
        p.remote_as = super::bgp::asn(words[1]).unwrap_or(-1);
        // After OutQ and Flaps: the up/down time (one or two words), then the state.
        let tail = &words[6..];
        let inline = tail.iter().position(|w| rib_counts(w).is_some());
        let (time, state) = match inline {
            Some(at) => (&tail[..at], "Establ"),
            None => (&tail[..tail.len() - 1], tail[tail.len() - 1]),
        };
        p.uptime = junos_up_down(time);
        p.is_up = state == "Establ";
        let mut ribs = Vec::new();
        if let Some(at) = inline
            && let Some(counts) = rib_counts(tail[at])
        {
            ribs.push((super::bgp::GLOBAL.to_string(), "ipv4", counts));
        }
        peers.push((p, ribs));
    }
    let mut result = Neighbors::default();
    result.vrf(super::bgp::GLOBAL, "");
    for (peer, ribs) in peers {
        if ribs.is_empty() {
            result.add(peer);
            continue;
        }
        for (vrf, family, [_, received, accepted, _]) in ribs {
            let mut p = peer.clone();
            p.vrf = vrf;
            p.afi = family.to_string();
            p.received = received;
            p.accepted = accepted;
            result.add(p);
        }
    }
    Ok(result.json())
}

/// `show chassis environment` (`Class Item Status Measurement`, the class
/// written on the first row of its group: `Temp`, `Fans`, `Power`) and
/// `show chassis routing-engine` (per engine `DRAM  3584 MB`, `Memory
/// utilization  56 percent`, `Idle  95 percent`).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let command = "show chassis environment";
    check(command, out[0], ERRORS)?;
    check("show chassis routing-engine", out[1], ERRORS)?;
    let all = lines(out[0]);
    let at = all
        .iter()
        .position(|l| l.starts_with("Class") && l.contains("Status"))
        .ok_or_else(|| missing(command, "`Class Item Status Measurement` header"))?;
    let status_at = all[at].find("Status").unwrap_or(0);
    let mut e = Environment::default();
    let mut class = String::new();
    for line in &all[at + 1..] {
        if line.trim().is_empty() || line.len() <= status_at {
            continue;
        }
        let (head, tail) = line.split_at(status_at);
        // The class sits in the first five columns, the item after it.
        let (c, item) = head.split_at(head.len().min(5));
        if !c.trim().is_empty() {
            class = c.trim().to_string();
        }
        let item = item.trim();
        let status = tail.split_whitespace().next().unwrap_or("");
        let ok = status == "OK";
        match class.as_str() {
            "Temp" => {
                if let Some(t) = tail.split_once(status).and_then(|(_, m)| number(m)) {
                    e.temperature(item, t, !ok, status == "Failed");
                }
            }
            "Fans" => e.fan(item, ok),
            "Power" => e.power(item, ok, -1.0, -1.0),
            _ => {}
        }
    }
    let re = lines(out[1]);
    let mut index = 0;
    let (mut total, mut used) = (0i64, 0i64);
    let mut dram = None;
    // Newer releases print the 5 s, 1, 5 and 15 min figures; the first counts.
    let mut current = false;
    for line in &re {
        let t = line.trim();
        if t.ends_with("CPU utilization:") {
            current = t == "CPU utilization:" || t.starts_with("5 sec");
        } else if let Some(rest) = t.strip_prefix("DRAM") {
            // `3584 MB (4096 MB installed)`.
            dram = number(rest).map(|mb| (mb * 1_048_576.0) as i64);
        } else if let Some(rest) = t.strip_prefix("Memory utilization") {
            if let (Some(d), Some(p)) = (dram.take(), number(rest)) {
                total += d;
                used += (d as f64 * p / 100.0) as i64;
            }
        } else if let Some(rest) = t.strip_prefix("Idle")
            && current
            && let Some(idle) = number(rest)
        {
            e.cpu(index, 100.0 - idle);
            index += 1;
        }
    }
    if total > 0 {
        e.memory(total, used);
    }
    Ok(e.json())
}

/// EX / QFX (ELS) `show ethernet-switching table`: per routing instance
/// `Vlan name  MAC address  MAC flags  Age  Logical interface  NH Index  RTR
/// ID`; the table names VLANs, so `show vlans` (`Routing instance  VLAN
/// name  Tag  Interfaces`) gives their tags. Flag `S` marks a static MAC
/// (`SE` is statistics enabled). Pre-ELS EX releases (12.x, 13.2X50/51)
/// print `VLAN  MAC address  Type  Age  Interfaces` (type `Learn`, `Static`;
/// `Flood` rows hold `*`, no MAC) and `show vlans` as `Name  Tag
/// Interfaces`; a VLAN shown without a tag (pre-ELS `default`) is 0.
fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let [table, vlans] = out else {
        return Err(missing("show ethernet-switching table", "outputs"));
    };
    check("show ethernet-switching table", table, ERRORS)?;
    check("show vlans", vlans, ERRORS)?;
    let vlan_lines = lines(vlans);
    // Pre-ELS: `Name  Tag  Interfaces`, the name first.
    let pre_els = vlan_lines
        .iter()
        .any(|l| l.split_whitespace().take(2).eq(["Name", "Tag"]));
    let skip = usize::from(!pre_els);
    let tags: std::collections::HashMap<&str, u64> = vlan_lines
        .into_iter()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().skip(skip).collect();
            Some((*w.first()?, w.get(1)?.parse().ok()?))
        })
        .collect();
    let mut entries = Vec::new();
    for line in lines(table) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 5 || napalm::mac(w[1]).is_none() {
            continue;
        }
        let vlan = tags
            .get(w[0])
            .copied()
            .or_else(|| w[0].parse().ok())
            .unwrap_or(0);
        let is_static = w[2].split(',').any(|f| f.starts_with('S') && f != "SE");
        entries.extend(napalm::mac_entry(w[1], w[4], vlan, is_static));
    }
    Ok(json!(entries))
}
