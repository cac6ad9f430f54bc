//! Palo Alto Networks PAN-OS getters (PAN-OS 9.x–11.x, PA-series and VM-Series).

use super::lldp::{self, Detail};
use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show system info", "show interface all"],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interface all"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interface all"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp all"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show routing protocol bgp peer"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["show system environmentals", "show system resources"],
        build: environment,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp neighbors all"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show lldp neighbors all"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &["Invalid syntax.", "Unknown command:", "Server error :"];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show system info";
    check(command, out[0], ERRORS)?;
    // `key: value` lines.
    let info: Vec<(&str, &str)> = lines(out[0])
        .into_iter()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let get = |key: &str| info.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let hostname = get("hostname").ok_or_else(|| missing(command, "`hostname:` line"))?;
    let os_version = get("sw-version").ok_or_else(|| missing(command, "`sw-version:` line"))?;
    let (hardware, _) = sections(out[1])?;
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Palo Alto Networks",
        model: get("model").unwrap_or(""),
        serial_number: get("serial").unwrap_or(""),
        os_version,
        // `uptime: 45 days, 3:12:05`
        uptime: get("uptime").and_then(napalm::duration),
        interface_list: hardware
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect(),
    }
    .json())
}

/// The rows of the hardware and the logical interface tables of
/// `show interface all`.
fn sections(output: &str) -> Result<(Vec<&str>, Vec<&str>), ParseError> {
    let command = "show interface all";
    check(command, output, ERRORS)?;
    let mut hardware = Vec::new();
    let mut logical = Vec::new();
    let mut section = 0;
    for line in lines(output) {
        if line.starts_with("total configured hardware interfaces") {
            section = 1;
        } else if line.starts_with("total configured logical interfaces") {
            section = 2;
        } else if line.starts_with("aggregation groups") {
            section = 0;
        } else if line.starts_with("name") || line.starts_with("---") || line.trim().is_empty() {
        } else if section == 1 {
            hardware.push(line);
        } else if section == 2 {
            logical.push(line);
        }
    }
    if hardware.is_empty() && logical.is_empty() {
        return Err(missing(command, "`total configured … interfaces` tables"));
    }
    Ok((hardware, logical))
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let (_, logical) = sections(out[0])?;
    let mut map = Map::new();
    // name, id, vsys, zone, forwarding, tag, address (`N/A` when none).
    for line in logical {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let (Some(name), Some(last)) = (words.first(), words.last())
            && last.contains('/')
            && let Some((addr, len)) = napalm::cidr(last)
        {
            napalm::add_ip(&mut map, name, &addr, len);
        }
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show arp all";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "interface", &["ip address", "hw address"])?;
    let mut entries = Vec::new();
    // interface, ip address, hw address, port, status, ttl (seconds left).
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 3 || words[1].parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        if napalm::mac(words[2]).is_none() {
            continue;
        }
        let age = words.get(5).and_then(|t| t.parse::<f64>().ok());
        entries.push(napalm::arp(words[0], words[2], words[1], age));
    }
    Ok(json!(entries))
}

/// Hardware interfaces (`ethernet1/3  18  ukn/ukn/down(autoneg)  <mac>`;
/// `down(power-down)` is a port set to link-state down) and the
/// subinterfaces of the logical table, which take their port's state. The
/// CLI shows no MTU or description here (0 and `""`, as NAPALM's panos
/// driver); loopbacks and tunnels, with no state shown, are left out.
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let (hardware, logical) = sections(out[0])?;
    let mut map = Map::new();
    for line in hardware {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [name, _id, state, mac, ..] = words[..] else {
            continue;
        };
        let mut parts = state.splitn(3, '/');
        let (speed, _duplex, link) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
        map.insert(
            name.to_string(),
            napalm::interface(
                link == "up",
                !link.contains("power-down"),
                "",
                speed.and_then(|s| s.parse::<f64>().ok()),
                None,
                mac,
            ),
        );
    }
    if map.is_empty() {
        return Err(missing("show interface all", "hardware interface rows"));
    }
    for line in logical {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        if let Some((parent, _)) = name.split_once('.')
            && let Some(port) = map.get(parent).cloned()
        {
            let mut unit = port;
            unit["speed"] = json!(-1.0);
            map.insert(name.to_string(), unit);
        }
    }
    Ok(Value::Object(map))
}

/// `show routing protocol bgp peer`: a block per peer from `Peer: NAME`,
/// `key: value` lines (`virtual router`, `peer router id`, `remote AS`,
/// `status`, `status duration: N secs`, `peer address: A:179`), and per
/// family under `prefix counter for:` an `AFI/SAFI: bgpAfiIpv4-unicast`
/// line with `incoming total`, `incoming accepted` and `outgoing
/// advertised`. The local AS is not in this output (-1).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let command = "show routing protocol bgp peer";
    check(command, out[0], ERRORS)?;
    let mut n = bgp::Neighbors::default();
    let mut peers: Vec<bgp::Peer> = Vec::new();
    let mut counted = false;
    for line in lines(out[0]) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "Peer" {
            let mut p = bgp::Peer::new("0.0.0.0");
            p.description = value.to_string();
            peers.push(p);
            counted = false;
            continue;
        }
        if key == "AFI/SAFI" {
            // A second family continues as a copy of the peer with its own counts.
            let Some(last) = peers.last() else { continue };
            let mut q = last.clone();
            if counted {
                (q.received, q.accepted, q.sent) = (-1, -1, -1);
            } else {
                peers.pop();
            }
            q.afi = if value.to_ascii_lowercase().contains("ipv6") {
                "ipv6"
            } else {
                "ipv4"
            }
            .into();
            peers.push(q);
            counted = true;
            continue;
        }
        let Some(p) = peers.last_mut() else { continue };
        let number = || {
            value
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<i64>().ok())
        };
        match key {
            "virtual router" => p.vrf = bgp::vrf_name(value),
            // A peer never established shows `0.0.0.0`.
            "peer router id" if value != "0.0.0.0" => p.remote_id = value.to_string(),
            "remote AS" => p.remote_as = bgp::asn(value).unwrap_or(-1),
            "status" => p.is_up = value.eq_ignore_ascii_case("Established"),
            "status duration" => p.uptime = number().unwrap_or(-1),
            // `10.1.1.2:179`, `[2001:db8::2]:179`.
            "peer address" => {
                let addr = value.rsplit_once(':').map_or(value, |(a, _)| a);
                p.ip = addr.trim_matches(|c| c == '[' || c == ']').to_string();
                p.afi = if p.ip.contains(':') { "ipv6" } else { "ipv4" }.into();
            }
            "incoming total" => p.received = number().unwrap_or(-1),
            "incoming accepted" => p.accepted = number().unwrap_or(-1),
            "outgoing advertised" => p.sent = number().unwrap_or(-1),
            _ => {}
        }
    }
    for mut p in peers {
        if p.ip.parse::<std::net::IpAddr>().is_err() {
            return Err(missing(command, "`peer address:` line of each peer"));
        }
        if !p.is_up {
            (p.received, p.accepted, p.sent) = (-1, -1, -1);
        }
        n.vrf(&p.vrf, "");
        n.add(p);
    }
    Ok(n.json())
}

/// `show system environmentals`: sections headed `----------Thermal----------`
/// (rows `slot description alarm °C min max`), `Fan Speed` (`slot
/// description alarm rpm min`), `Power` (voltage rails, not supplies) and
/// `Power Supplies` (`slot description` then `Inserted` and `Alarm` in the
/// order of the section's header); the slot is `1` or `S1`. A sensor in
/// alarm is alerting, and critical at or past its maximum. VM-Series has no
/// sensors (empty output, or a refusal). `show system resources` is a
/// `top` snapshot of the management plane.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, unless_refused};
    let [env, resources] = out else {
        return Err(missing("show system environmentals", "outputs"));
    };
    check("show system resources", resources, ERRORS)?;
    let mut e = Environment::default();
    let mut section = String::new();
    let mut inserted_first = true;
    let truth = |w: &str| w.eq_ignore_ascii_case("true");
    for line in lines(unless_refused(env, ERRORS)) {
        let t = line.trim();
        if t.starts_with("---") {
            section = t.trim_matches('-').trim().to_ascii_lowercase();
            continue;
        }
        let w: Vec<&str> = t.split_whitespace().collect();
        if w.first() == Some(&"Slot") {
            let at = |k: &str| w.iter().position(|x| *x == k);
            inserted_first = at("Inserted") < at("Alarm");
            continue;
        }
        let n = w.len();
        let slot = w.first().is_some_and(|s| {
            s.trim_start_matches('S')
                .chars()
                .all(|c| c.is_ascii_digit())
        });
        if !slot || n < 4 {
            continue;
        }
        let num = |i: usize| w[i].parse::<f64>().ok();
        match section.as_str() {
            "thermal" if n >= 6 => {
                if let (Some(c), Some(max)) = (num(n - 3), num(n - 1)) {
                    let alarm = truth(w[n - 4]);
                    e.temperature(&w[1..n - 4].join(" "), c, alarm, alarm && c >= max);
                }
            }
            "fan speed" if n >= 5 => e.fan(&w[1..n - 3].join(" "), !truth(w[n - 3])),
            "power supplies" => {
                let (inserted, alarm) = if inserted_first {
                    (w[n - 2], w[n - 1])
                } else {
                    (w[n - 1], w[n - 2])
                };
                let ok = truth(inserted) && !truth(alarm);
                e.power(&w[1..n - 2].join(" "), ok, -1.0, -1.0);
            }
            _ => {}
        }
    }
    e.top(&lines(resources));
    Ok(e.json())
}

/// The `show lldp neighbors all` peer keys read, with NAPALM's names.
const PEER_FIELDS: &[(&str, &str)] = &[
    ("Chassis ID", "remote_chassis_id"),
    ("Port ID", "remote_port"),
    ("Port Description", "remote_port_description"),
    ("System Name", "remote_system_name"),
    ("System Description", "remote_system_description"),
    ("System Capabilities", "remote_system_capab"),
    ("Enabled Capabilities", "remote_system_enable_capab"),
];
/// The neighbours of `show lldp neighbors all`: a block per local
/// interface (its name over a ruler), then `Peer: N` and `Key: value` lines
/// per neighbour.
fn lldp_details(output: &str) -> Result<Vec<Detail>, ParseError> {
    let command = "show lldp neighbors all";
    check(command, output, ERRORS)?;
    let all = lines(output);
    let mut found: Vec<Detail> = Vec::new();
    let mut local: Option<&str> = None;
    // Whether the lines being read belong to a neighbour (not the local part).
    let mut in_peer = false;
    // The key read last, for a description running over several lines.
    let mut last = "";
    for (i, line) in all.iter().enumerate() {
        let t = line.trim();
        let ruler_next = all
            .get(i + 1)
            .is_some_and(|n| n.trim().len() >= 10 && n.trim().chars().all(|c| c == '-'));
        if ruler_next && !t.is_empty() && !t.contains(' ') && !t.contains(':') {
            local = Some(t);
            in_peer = false;
            continue;
        }
        if t.starts_with("Peer")
            && t.trim_start_matches("Peer")
                .trim_start_matches(':')
                .trim()
                .parse::<u32>()
                .is_ok()
        {
            in_peer = false;
            if let Some(l) = local {
                found.push(Detail {
                    local: l.to_string(),
                    ..Default::default()
                });
                in_peer = true;
            }
            continue;
        }
        let Some(n) = found.last_mut().filter(|_| in_peer) else {
            continue;
        };
        let Some((k, v)) = t.split_once(':') else {
            if last == "System Description" && !t.is_empty() {
                n.remote_system_description.push('\n');
                n.remote_system_description.push_str(t);
            } else {
                last = "";
            }
            continue;
        };
        let v = v.trim().to_string();
        last = k.trim();
        if let Some((_, field)) = PEER_FIELDS.iter().find(|(k, _)| *k == last) {
            n.set(field, v);
        }
    }
    Ok(found)
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for n in lldp_details(out[0])? {
        napalm::add_lldp(&mut map, &n.local, &n.remote_system_name, &n.remote_port);
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    Ok(lldp::json(lldp_details(out[0])?))
}
