//! Nokia SR OS getters; the `show` commands read the same in classic CLI
//! and MD-CLI.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show system information",
            "show chassis",
            "show router interface",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show port"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show router interface"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show router bgp summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show system lldp neighbor"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show system lldp neighbor"],
        build: lldp_neighbors_detail,
        follow_up: Some(lldp_remote_info_commands),
    },
    Getter {
        name: "arp_table",
        commands: &["show router arp"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show chassis detail",
            "show card detail",
            "show system cpu",
            "show system memory-pools",
        ],
        build: environment,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &[
    "Error: Bad command",
    "Error: Invalid",
    "MINOR: MGMT_CORE #",
    "MINOR: CLI #",
];

/// The value of the first `Key : value` line whose key is `key`.
fn value<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    lines(output).into_iter().find_map(|l| {
        let (k, v) = l.split_once(" : ")?;
        (k.trim() == key).then(|| v.trim())
    })
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [info, chassis, interfaces] = out else {
        return Err(missing("show system information", "outputs"));
    };
    let command = "show system information";
    check(command, info, ERRORS)?;
    check("show chassis", chassis, ERRORS)?;
    let name =
        value(info, "System Name").ok_or_else(|| missing(command, "`System Name :` line"))?;
    // `System Version : B-20.10.R3`, `System Up Time : 45 days, 03:12:05.41 (hr:min:sec)`
    let os_version =
        value(info, "System Version").ok_or_else(|| missing(command, "`System Version :` line"))?;
    let uptime = value(info, "System Up Time").and_then(|u| {
        let u = u.split(" (").next().unwrap_or(u);
        let u = u.split('.').next().unwrap_or(u);
        napalm::duration(u)
    });
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Nokia",
        model: value(info, "System Type")
            .or_else(|| value(chassis, "Type"))
            .unwrap_or(""),
        serial_number: value(chassis, "Serial number").unwrap_or(""),
        os_version,
        uptime,
        interface_list: rows(interfaces)?
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect(),
    }
    .json())
}

/// Router interfaces of `show router interface` and their addresses (on the
/// indented line below each interface).
fn rows(output: &str) -> Result<napalm::Addressed<'_>, ParseError> {
    let command = "show router interface";
    check(command, output, ERRORS)?;
    let (_, lines) = napalm::table(command, output, "Interface-Name", &["Adm"])?;
    let mut rows: napalm::Addressed = Vec::new();
    for line in lines {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.starts_with("---") || first.starts_with("===") || first.starts_with("IP-Address") {
            continue;
        }
        if line.starts_with(' ') {
            if let (Some(row), Some(addr)) = (rows.last_mut(), napalm::cidr(first)) {
                row.1.push(addr);
            }
        } else if line.starts_with("Interfaces :") {
            break;
        } else {
            rows.push((first, Vec::new()));
        }
    }
    Ok(rows)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    Ok(napalm::interfaces_ip(rows(out[0])?))
}

/// Ports of `show port` (`1/1/1  Up  Yes  Up  9212 9212  - netw null xcme`:
/// admin state, link, port state, configured and operational MTU). A
/// breakout connector (`1/1/c1  Up  Link Up  conn …`) has no link column
/// or MTU. The table shows no speed, MAC or description (-1, `""`).
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show port";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    for line in lines(out[0]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [name, admin, rest @ ..] = &words[..] else {
            continue;
        };
        // `1/1/1`, `1/1/c1/1`, the CPM's management port `A/1`.
        let slot = name.split('/').next().unwrap_or("");
        let slot_ok = slot.chars().all(|c| c.is_ascii_digit())
            || (slot.len() == 1 && slot.chars().all(|c| c.is_ascii_uppercase()));
        if !name.contains('/') || slot.is_empty() || !slot_ok {
            continue;
        }
        let (is_up, mtu) = match rest {
            [link, state, _cfg, oper, ..] if *link == "Yes" || *link == "No" => {
                (*state == "Up", oper.parse().ok())
            }
            [link, state, ..] => (*link == "Link" && *state == "Up", None),
            _ => continue,
        };
        map.insert(
            name.to_string(),
            napalm::interface(is_up, *admin == "Up", "", None, mtu, ""),
        );
    }
    if map.is_empty() {
        return Err(missing(command, "port rows"));
    }
    Ok(Value::Object(map))
}

/// `show router bgp summary`: ` BGP Router ID:A   AS:N   Local AS:N`, then
/// per neighbour its address alone on a line, its description (if any) on
/// the next, then `AS PktRcvd InQ Up/Down State|Rcv/Act/Sent (Addr Family)`
/// and `PktSent OutQ`; an established session has a `rcv/act/sent
/// (Family)` group per family (more families on lines of their own), any
/// other the state word (`Active`, `Connect`, `Idle`, `Disabled`).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let command = "show router bgp summary";
    check(command, out[0], ERRORS)?;
    let all = lines(out[0]);
    let router_id = bgp::labelled_in(&all, "BGP Router ID")
        .ok_or_else(|| missing(command, "`BGP Router ID:` line"))?;
    let local_as = bgp::labelled_in(&all, "Local AS")
        .and_then(bgp::asn)
        .unwrap_or(-1);
    let mut n = bgp::Neighbors::default();
    n.vrf(bgp::GLOBAL, router_id);
    let Some(start) = all.iter().position(|l| l.starts_with("-----")) else {
        return Ok(n.json());
    };
    let mut peer: Option<bgp::Peer> = None;
    let mut families = 0;
    let flush = |p: Option<bgp::Peer>, families: usize, n: &mut bgp::Neighbors| {
        // A peer with no family group still shows (not established).
        if let Some(p) = p
            && families == 0
        {
            n.add(p);
        }
    };
    for line in &all[start + 1..] {
        let t = line.trim();
        if t.starts_with("-----") || t.starts_with("=====") {
            break;
        }
        if !line.starts_with(' ') {
            if t.parse::<std::net::IpAddr>().is_ok() {
                flush(peer.take(), families, &mut n);
                let mut p = bgp::Peer::new(t);
                p.local_as = local_as;
                peer = Some(p);
                families = 0;
            } else if let Some(p) = peer.as_mut() {
                p.description = t.to_string();
            }
            continue;
        }
        let Some(p) = peer.as_mut() else { continue };
        let words: Vec<&str> = t.split_whitespace().collect();
        // The AS line: AS, PktRcvd, InQ, Up/Down, then state or counts.
        if words.len() >= 5 && p.remote_as == -1 && words[0].parse::<u32>().is_ok() {
            p.remote_as = bgp::asn(words[0]).unwrap_or(-1);
            p.uptime = bgp::up_down(words[3]);
            if let Some(state) = words.get(4).filter(|w| !w.contains('/')) {
                p.is_enabled = !state.eq_ignore_ascii_case("Disabled");
            }
        }
        // `1/1/1 (IPv4)` groups, anywhere on the neighbour's lines.
        for (i, w) in words.iter().enumerate() {
            let counts: Vec<i64> = w.split('/').filter_map(|c| c.parse().ok()).collect();
            let Some(fam) = words
                .get(i + 1)
                .and_then(|f| f.strip_prefix('(')?.strip_suffix(')'))
            else {
                continue;
            };
            if counts.len() != 3 || w.split('/').count() != 3 {
                continue;
            }
            let mut f = p.clone();
            f.is_up = true;
            f.afi = match fam.to_ascii_lowercase().as_str() {
                "vpnipv4" => "vpnv4".into(),
                "vpnipv6" => "vpnv6".into(),
                other => other.to_string(),
            };
            (f.received, f.accepted, f.sent) = (counts[0], counts[1], counts[2]);
            p.is_up = true;
            n.add(f);
            families += 1;
        }
    }
    flush(peer, families, &mut n);
    Ok(n.json())
}

/// `show router arp`: `IP Address  MAC Address  Expiry  Type  Interface`;
/// the age is the time left before expiry (`03h59m52s`), as PAN-OS gives
/// it; the router's own entries (`Oth`) never expire (-1).
fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["IP Address", "MAC Address", "Expiry", "Type", "Interface"];
    let rows = super::neigh::rows("show router arp", out[0], ERRORS, &names)?;
    Ok(super::neigh::arp(&rows, |r| {
        let age = (!r[3].starts_with("Oth")).then(|| hms(r[2])).flatten();
        Some((r[4], r[1], r[0], age))
    }))
}

/// Seconds in `03h59m52s`.
fn hms(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
    }
    number.is_empty().then_some(total)
}

/// `show system lldp neighbor`: `Lcl Port  Scope  Remote Chassis ID  Index
/// Remote Port  Remote Sys Name`, fixed columns. SR OS cuts a longer remote
/// port or system name to its column and ends it with `*` (`1/1/c1/1,
/// 100*`, `srx-hackathon-w*`, explained by a footnote under the table): the
/// cut value is kept without its `*`, the CLI shows no more of it.
/// The columns of `show system lldp neighbor`.
const LLDP_COLUMNS: [&str; 6] = [
    "Lcl Port",
    "Scope",
    "Remote Chassis ID",
    "Index",
    "Remote Port",
    "Remote Sys Name",
];

/// The neighbour rows of `show system lldp neighbor` (a local port with a
/// slash, a numeric index), columns as [`LLDP_COLUMNS`].
fn lldp_rows(summary: &str) -> Result<Vec<Vec<&str>>, ParseError> {
    let mut rows = super::neigh::rows("show system lldp neighbor", summary, ERRORS, &LLDP_COLUMNS)?;
    rows.retain(|r| r[0].contains('/') && !r[0].contains(' ') && r[3].parse::<u32>().is_ok());
    Ok(rows)
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let cut = |v: &'_ str| -> String { v.strip_suffix('*').unwrap_or(v).to_string() };
    let mut map = Map::new();
    for r in lldp_rows(out[0])? {
        napalm::add_lldp(&mut map, r[0], &cut(r[5]), &cut(r[4]));
    }
    Ok(Value::Object(map))
}

/// The local ports `show system lldp neighbor` lists, once each, in order.
fn lldp_ports(summary: &str) -> Result<Vec<String>, ParseError> {
    let mut ports: Vec<String> = Vec::new();
    for r in lldp_rows(summary)? {
        if !ports.iter().any(|p| p == r[0]) {
            ports.push(r[0].to_string());
        }
    }
    Ok(ports)
}

/// SR OS prints a neighbour's details per port only: after `show system
/// lldp neighbor`, `show port <port> ethernet lldp remote-info` for each
/// local port it lists (every scope's neighbours on that port).
fn lldp_remote_info_commands(outputs: &[(String, String)]) -> Result<Vec<String>, ParseError> {
    let Some((_, summary)) = outputs.first() else {
        return Ok(Vec::new());
    };
    Ok(lldp_ports(summary)?
        .into_iter()
        .map(|p| format!("show port {p} ethernet lldp remote-info"))
        .filter(|c| !outputs.iter().any(|(ran, _)| ran == c))
        .collect())
}

/// `get_lldp_neighbors_detail` from `show port <port> ethernet lldp
/// remote-info` (one output per port, after the summary): each `Port 1/1/1
/// Bridge nearest-bridge Remote Peer Information` section lists `Remote
/// Peer Index N at timestamp …:` blocks of `Key : value` lines; values run
/// on over lines indented to the value column. `Port Id` is printed as hex
/// bytes with the text, quoted, under it for name subtypes (a MAC port ID
/// has no text line); `System Description` lines are joined by newlines
/// as SR OS wraps them.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    use super::lldp::{Detail, json};
    let Some((summary, ports)) = out.split_first() else {
        return Err(missing("show system lldp neighbor", "outputs"));
    };
    let listed = lldp_ports(summary)?;
    if ports.len() != listed.len() {
        return Err(ParseError::Unexpected(format!(
            "lldp_neighbors_detail needs `show port <port> ethernet lldp remote-info` for each of \
             the {} port(s) `show system lldp neighbor` lists, got {}",
            listed.len(),
            ports.len()
        )));
    }
    let mut found: Vec<Detail> = Vec::new();
    for (port, text) in listed.iter().zip(ports) {
        let command = format!("show port {port} ethernet lldp remote-info");
        check(&command, text, ERRORS)?;
        let mut local = port.clone();
        // The key whose value the indented lines after it continue.
        let mut last: Option<String> = None;
        let mut hex = String::new();
        for line in lines(text) {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("Port ")
                && t.ends_with("Remote Peer Information")
            {
                if let Some(p) = rest.split_whitespace().next() {
                    local = p.to_string();
                }
                last = None;
                continue;
            }
            if t.starts_with("Remote Peer Index ") {
                found.push(Detail {
                    local: local.clone(),
                    ..Default::default()
                });
                last = None;
                hex.clear();
                continue;
            }
            let Some(n) = found.last_mut() else {
                continue;
            };
            if line.starts_with(' ') && !t.is_empty() {
                match last.as_deref() {
                    Some("port id") => {
                        if let Some(text) = t.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                            n.remote_port = text.to_string();
                        } else {
                            // Hex bytes wrapped onto the next line.
                            if !hex.ends_with(':') && !t.starts_with(':') {
                                hex.push(':');
                            }
                            hex.push_str(t);
                            n.remote_port = hex.clone();
                        }
                    }
                    Some("system description") => {
                        n.remote_system_description.push('\n');
                        n.remote_system_description.push_str(t);
                    }
                    _ => {}
                }
                continue;
            }
            let Some((key, value)) = t.split_once(':') else {
                last = None;
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            match key.as_str() {
                "supported caps" => n.set("remote_system_capab", value),
                "enabled caps" => n.set("remote_system_enable_capab", value),
                "chassis id" => n.remote_chassis_id = value,
                "port id" => {
                    hex = value.clone();
                    n.remote_port = value;
                }
                "port description" => n.remote_port_description = value,
                "system name" => n.remote_system_name = value,
                "system description" => n.remote_system_description = value,
                _ => {}
            }
            last = Some(key);
        }
    }
    Ok(json(found))
}

/// `show chassis detail` (the chassis' `Temperature : 32C` and threshold,
/// `Fan tray number : 1` and `Power supply number : 1` each followed by
/// its `Status`; supplies `not equipped` left out), `show card detail`
/// (per `Card 1` / `Card A` its temperature and threshold), `show system
/// cpu` (the `Usage` line under `Total`) and `show system memory-pools`
/// (`Current Total Size`, `Available Memory`, `Total In Use`, in bytes
/// with thousands commas).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let [chassis, cards, cpu, memory] = out else {
        return Err(missing("show chassis detail", "outputs"));
    };
    for (c, o) in [
        ("show chassis detail", chassis),
        ("show card detail", cards),
        ("show system cpu", cpu),
        ("show system memory-pools", memory),
    ] {
        check(c, o, ERRORS)?;
    }
    let mut e = Environment::default();
    // (component, °C, threshold) until the threshold line has been read.
    let mut temps: Vec<(String, f64, Option<f64>)> = Vec::new();
    for text in [chassis, cards] {
        let mut component = String::new();
        // A fan tray or supply whose `Status` line comes next.
        let mut pending: Option<(bool, String)> = None;
        for l in lines(text) {
            let t = l.trim();
            let words: Vec<&str> = t.split_whitespace().collect();
            if words.len() == 2 && words[0] == "Card" {
                component = t.to_string();
                continue;
            }
            if t == "Chassis Information"
                || (words.first() == Some(&"Chassis") && t.ends_with("Detail"))
            {
                component = "Chassis".to_string();
                continue;
            }
            let Some((k, v)) = t.split_once(" : ").or_else(|| t.split_once(": ")) else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            match k {
                "Temperature" => {
                    if let Some(c) = number(v) {
                        temps.push((component.clone(), c, None));
                    }
                }
                "Temperature threshold" => {
                    if let Some(last) = temps.last_mut().filter(|t| t.2.is_none()) {
                        last.2 = number(v);
                    }
                }
                "Fan tray number" => pending = Some((false, format!("Fan tray {v}"))),
                "Power supply number" => pending = Some((true, format!("Power supply {v}"))),
                "Status" => {
                    if let Some((supply, name)) = pending.take() {
                        let up = v.eq_ignore_ascii_case("up");
                        if !supply {
                            e.fan(&name, up);
                        } else if !v.eq_ignore_ascii_case("not equipped") {
                            e.power(&name, up, -1.0, -1.0);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (name, celsius, threshold) in temps {
        let over = threshold.is_some_and(|t| celsius >= t);
        e.temperature(&name, celsius, over, over);
    }
    // `   Usage        90633       9.06%` under `Total`.
    if let Some(u) = lines(cpu).iter().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.first() == Some(&"Usage")).then(|| w.last().and_then(|p| number(p)))?
    }) {
        e.cpu(0, u);
    }
    let mem = lines(memory);
    let bytes = |key: &str| {
        mem.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| {
                v.replace(',', "")
                    .split_whitespace()
                    .next()?
                    .parse::<i64>()
                    .ok()
            })?
        })
    };
    if let (Some(size), Some(free), Some(used)) = (
        bytes("Current Total Size"),
        bytes("Available Memory"),
        bytes("Total In Use"),
    ) {
        e.memory(size + free, used);
    }
    Ok(e.json())
}
