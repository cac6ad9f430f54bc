//! HPE Aruba ProCurve / ArubaOS-Switch (16.x) and AOS-CX (10.x) getters.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// ArubaOS-Switch.
pub const PROCURVE: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show system", "show modules", "show interfaces brief"],
        build: procurve_facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interfaces brief"],
        build: procurve_interfaces,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp info remote-device"],
        build: procurve_lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp"],
        build: procurve_arp_table,
        follow_up: None,
    },
    Getter {
        name: "mac_address_table",
        commands: &["show mac-address"],
        build: procurve_mac_address_table,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show ip"],
        build: procurve_interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show system",
            "show system fans",
            "show system power-supply",
            "show system temperature",
        ],
        build: procurve_environment,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show lldp info remote-device all"],
        build: procurve_lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show ip bgp summary", "show ip bgp"],
        build: procurve_bgp_neighbors,
        follow_up: None,
    },
];

/// AOS-CX.
pub const AOSCX: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show system", "show interface brief"],
        build: aoscx_facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interface", "show interface mgmt"],
        build: aoscx_interfaces,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show bgp ipv4 unicast summary"],
        build: aoscx_bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show environment fan",
            "show environment temperature",
            "show environment power-supply",
            "show system resource-utilization",
            "top memory",
        ],
        build: aoscx_environment,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp neighbor-info"],
        build: aoscx_lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show lldp neighbor-info detail"],
        build: aoscx_lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp"],
        build: aoscx_arp_table,
        follow_up: None,
    },
    Getter {
        name: "mac_address_table",
        commands: &["show mac-address-table"],
        build: aoscx_mac_address_table,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show ip interface brief"],
        build: aoscx_interfaces_ip,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &[
    "Invalid input:",
    "% Command incomplete",
    "% Unknown command",
];

/// `Key : value` pairs; ProCurve prints two per line, separated by blanks.
fn pairs(output: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in lines(output) {
        // Split the line into `Key : value` cells at runs of 3+ blanks that
        // are followed by another `Key :`.
        let mut rest = line.trim();
        while let Some((key, after)) = rest.split_once(" : ").or_else(|| rest.split_once(": ")) {
            let after = after.trim_start();
            let (value, next) = match after.find("   ") {
                Some(i) if after[i..].contains(" : ") => (&after[..i], after[i..].trim_start()),
                _ => (after, ""),
            };
            out.push((key.trim().to_string(), value.trim().to_string()));
            rest = next;
            if rest.is_empty() {
                break;
            }
        }
    }
    out
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// First words of the rows after the `----` rule under a table header.
fn table_names(output: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_rows = false;
    for line in lines(output) {
        let t = line.trim();
        if t.starts_with("---") {
            in_rows = true;
            continue;
        }
        if in_rows
            && let Some(first) = t.split_whitespace().next()
            && first.chars().any(|c| c.is_ascii_digit())
        {
            names.push(first.to_string());
        }
    }
    names
}

fn procurve_facts(out: &[&str]) -> Result<Value, ParseError> {
    let [system, modules, brief] = out else {
        return Err(missing("show system", "outputs"));
    };
    let command = "show system";
    check(command, system, ERRORS)?;
    let p = pairs(system);
    let name = get(&p, "System Name").ok_or_else(|| missing(command, "`System Name :` field"))?;
    let os_version = get(&p, "Software revision")
        .ok_or_else(|| missing(command, "`Software revision :` field"))?;
    // `  Chassis: 2920-24G J9726A        Serial Number:   CN12FP1234`
    let chassis = lines(modules)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("Chassis:"))
        .map(str::trim);
    let model = chassis
        .map(|c| c.split("Serial Number").next().unwrap_or(c).trim())
        .unwrap_or("");
    let serial = get(&p, "Serial Number")
        .or_else(|| {
            chassis
                .and_then(|c| c.split("Serial Number:").nth(1))
                .map(str::trim)
        })
        .unwrap_or("");
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "HPE",
        model,
        serial_number: serial,
        os_version,
        uptime: get(&p, "Up Time").and_then(napalm::duration),
        interface_list: table_names(brief),
    }
    .json())
}

fn aoscx_facts(out: &[&str]) -> Result<Value, ParseError> {
    let [system, brief] = out else {
        return Err(missing("show system", "outputs"));
    };
    let command = "show system";
    check(command, system, ERRORS)?;
    let p = pairs(system);
    let name = get(&p, "Hostname").ok_or_else(|| missing(command, "`Hostname :` field"))?;
    let os_version = get(&p, "ArubaOS-CX Version")
        .or_else(|| get(&p, "System Description"))
        .ok_or_else(|| missing(command, "`ArubaOS-CX Version :` field"))?;
    check("show interface brief", brief, ERRORS)?;
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "HPE",
        model: get(&p, "Product Name").unwrap_or(""),
        serial_number: get(&p, "Chassis Serial Nbr").unwrap_or(""),
        os_version,
        uptime: get(&p, "Up Time").and_then(napalm::duration),
        interface_list: table_names(brief),
    }
    .json())
}

/// AOS-CX `show interface` blocks (`Interface 1/1/3 is down
/// (Administratively down)`, `Aggregate lag1 is up`) and the management
/// port, which `show interface` leaves out, from `show interface mgmt`.
fn aoscx_interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let [ports, mgmt] = out else {
        return Err(missing("show interface", "outputs"));
    };
    let ports = super::ifaces::interfaces(
        "show interface",
        ports,
        ERRORS,
        "`Interface <name> is up|down` header lines",
        |l| (l.starts_with("Interface ") || l.starts_with("Aggregate ")) && l.contains(" is "),
        |b| {
            let (head, state) = b.header.split_once(" is ")?;
            let name = head.split_whitespace().nth(1)?;
            let mac = b
                .body
                .iter()
                .filter(|l| l.contains("MAC Address"))
                .find_map(|l| l.split([' ', ',']).find_map(napalm::mac))
                .unwrap_or_default();
            // `Link state: up for 3 days (since Mon Mar 20 10:12:44 UTC 2023)`.
            let flapped = b
                .after("Link state:")
                .and_then(|s| s.split_once(" for ")?.1.split(" (since").next())
                .and_then(napalm::duration);
            let v = napalm::interface(
                state.trim().starts_with("up"),
                b.after("Admin state is")
                    .is_some_and(|s| s.starts_with("up")),
                b.after("Description:").unwrap_or(""),
                b.after("Speed").and_then(napalm::speed_mbit),
                b.word_after("MTU").and_then(|m| m.parse().ok()),
                &mac,
            );
            Some((name.to_string(), super::ifaces::flapped(v, flapped)))
        },
    )?;
    let command = "show interface mgmt";
    check(command, mgmt, ERRORS)?;
    let pairs = pairs(mgmt);
    let admin = get(&pairs, "Admin State").ok_or_else(|| missing(command, "`Admin State` line"))?;
    let mut map = match ports {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.insert(
        "mgmt".to_string(),
        napalm::interface(
            get(&pairs, "Link State") == Some("up"),
            admin == "up",
            "",
            None,
            None,
            get(&pairs, "Mac Address").unwrap_or(""),
        ),
    );
    Ok(Value::Object(map))
}

/// Ports of `show interfaces brief` (`1  100/1000T | No  Yes  Up  1000FDx
/// MDIX off 0`: alert, enabled, status, mode after the bar). The table shows
/// no MAC, MTU or name (`""`, 0); the speed comes from the mode (`1000FDx`,
/// `10GigFD`; `Auto` is -1).
fn procurve_interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show interfaces brief";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    for line in lines(out[0]) {
        let Some((port, rest)) = line.split_once('|') else {
            continue;
        };
        let cells: Vec<&str> = rest.split_whitespace().collect();
        let (Some(name), [_alert, enabled, status, mode, ..]) =
            (port.split_whitespace().next(), &cells[..])
        else {
            continue;
        };
        if !name.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let speed = mode
            .split_once("Gig")
            .and_then(|(g, _)| g.parse::<f64>().ok().map(|g| g * 1000.0))
            .or_else(|| {
                let digits: String = mode.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            });
        map.insert(
            name.to_string(),
            napalm::interface(*status == "Up", *enabled == "Yes", "", speed, None, ""),
        );
    }
    if map.is_empty() {
        return Err(missing(command, "port rows"));
    }
    Ok(Value::Object(map))
}

/// AOS-CX `show bgp ipv4 unicast summary`: `VRF : default`, `Local AS : N
/// BGP Router Identifier : A`, then `Neighbor Remote-AS MsgRcvd MsgSent
/// Up/Down Time State AdminStatus` (no prefix counts); several VRFs each
/// have their block.
fn aoscx_bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let command = "show bgp ipv4 unicast summary";
    check(command, out[0], ERRORS)?;
    let all = lines(out[0]);
    if bgp::labelled_in(&all, "BGP Router Identifier").is_none() {
        return Err(missing(command, "`BGP Router Identifier` line"));
    }
    let mut n = bgp::Neighbors::default();
    // Each VRF block starts at its `VRF :` line.
    let starts: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("VRF ") && l.contains(':'))
        .map(|(i, _)| i)
        .collect();
    let starts = if starts.is_empty() { vec![0] } else { starts };
    for (k, &at) in starts.iter().enumerate() {
        let block = &all[at..starts.get(k + 1).copied().unwrap_or(all.len())];
        let vrf = bgp::labelled(block[0], "VRF").map_or(bgp::GLOBAL.to_string(), bgp::vrf_name);
        let router_id = bgp::labelled_in(block, "BGP Router Identifier").unwrap_or("");
        let local_as = bgp::labelled_in(block, "Local AS")
            .and_then(bgp::asn)
            .unwrap_or(-1);
        n.vrf(&vrf, router_id);
        if let Some(h) = block
            .iter()
            .position(|l| l.trim_start().starts_with("Neighbor") && l.contains("Remote-AS"))
        {
            bgp::table_rows(&mut n, &vrf, local_as, &block[h + 1..], |w| {
                (w.len() >= 7).then(|| bgp::DisplayRow {
                    ip: w[0],
                    remote_as: w[1],
                    up_down: w[4],
                    state: w[5..w.len() - 1].join(" "),
                    received: "",
                    admin_down: w[w.len() - 1].eq_ignore_ascii_case("Down"),
                })
            });
        }
    }
    Ok(n.json())
}

/// AOS-CX `show environment fan` (rows of the `Fan information` table,
/// `1/1  N/A  N/A  slow  front-to-back  ok  6125`, whatever its first
/// columns; the `Fan tray information` table above it on chassis is not
/// fans), `show environment temperature` (`1/1-CPU  management-module
/// 46.00 C  normal`), `show environment power-supply` (`1/1  JL085A
/// CN9CKKW2TM  OK  [AC  100-240V]  250`, `Absent`, `Input fault`),
/// `show system resource-utilization` (`CPU usage(%): 20`) and `top memory`
/// (`KiB Mem : N total, …`: the only place AOS-CX prints memory in bytes).
/// A switch without a monitor (the virtual AOS-CX) refuses the environment
/// commands: no sensors.
fn aoscx_environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, after, top, unless_refused};
    let [fans, temperature, power, resources, memory] = out else {
        return Err(missing("show environment fan", "outputs"));
    };
    check("show system resource-utilization", resources, ERRORS)?;
    let mut e = Environment::default();
    let row = |l: &str| -> Option<Vec<String>> {
        let w: Vec<String> = l.split_whitespace().map(String::from).collect();
        let first = w.first()?;
        (first.starts_with(|c: char| c.is_ascii_digit()) && w.len() >= 3).then_some(w)
    };
    let mut trays = false;
    for line in lines(unless_refused(fans, ERRORS)) {
        let t = line.trim();
        if t.starts_with("Fan tray information") {
            trays = true;
        } else if t.starts_with("Fan information") {
            trays = false;
        } else if !trays && let Some(w) = row(t) {
            // Status is last, or before the RPM (an empty slot has none).
            let status = match w.last() {
                Some(l) if l.parse::<u32>().is_ok() => &w[w.len() - 2],
                Some(l) => l,
                None => continue,
            };
            e.fan(&w[0], status == "ok");
        }
    }
    for line in lines(unless_refused(temperature, ERRORS)) {
        let Some(w) = row(line.trim()) else { continue };
        let Some(c) = w
            .windows(2)
            .find(|p| p[1] == "C")
            .and_then(|p| p[0].parse::<f64>().ok())
        else {
            continue;
        };
        let status = w[w.len() - 1].as_str();
        e.temperature(
            &w[0],
            c,
            status != "normal",
            matches!(status, "critical" | "emergency" | "low_critical"),
        );
    }
    for line in lines(unless_refused(power, ERRORS)) {
        let Some(w) = row(line.trim()) else { continue };
        // Member/slot, product, serial, status (`OK`, `OK*`, `Absent`,
        // `Input fault`), [input type, voltage range], maximum watts.
        if w.len() < 5 || !w[0].contains('/') {
            continue;
        }
        let capacity = w[w.len() - 1].parse::<f64>().unwrap_or(-1.0);
        e.power(&w[0], w[3].starts_with("OK"), capacity, -1.0);
    }
    if let Some(u) = after(&lines(resources), "CPU usage(%)") {
        e.cpu(0, u);
    }
    // `top memory` may be missing on a simulator or refused to a role: then
    // memory stays unknown (the percent alone is no byte count).
    if let (_, Some((total, used))) = top(&lines(memory)) {
        e.memory(total, used);
    }
    Ok(e.json())
}

/// `show arp`: `IPv4 Address  MAC  Port  Physical Port  State  VRF`; the
/// port is the layer-3 interface (`vlan10`, `1/1/1`). No age is shown.
fn aoscx_arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["IPv4 Address", "MAC", "Port", "Physical Port", "State"];
    let rows = super::neigh::rows("show arp", out[0], ERRORS, &names)?;
    Ok(super::neigh::arp(&rows, |r| Some((r[2], r[1], r[0], None))))
}

/// `show ip interface brief`: `Interface  IP Address  Interface Status
/// (link/admin)`, one row per addressed interface, the address with its
/// prefix length (`No Address` rows skipped).
fn aoscx_interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ip interface brief";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Interface", &["IP Address"])?;
    let mut map = Map::new();
    for line in rows {
        let w: Vec<&str> = line.split_whitespace().collect();
        if let [name, address, ..] = w.as_slice()
            && address.contains('/')
            && let Some((addr, len)) = napalm::cidr(address)
        {
            napalm::add_ip(&mut map, name, &addr, len);
        }
    }
    Ok(Value::Object(map))
}

/// `show mac-address-table`: `MAC Address  VLAN  Type  Port` under the
/// age-time and count lines; types `dynamic`, `static`, `port-access-security`,
/// `hsc`, `evpn`… (only `static` is configured).
fn aoscx_mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["MAC Address", "VLAN", "Type", "Port"];
    let rows = super::neigh::rows("show mac-address-table", out[0], ERRORS, &names)?;
    let entries: Vec<Value> = rows
        .iter()
        .filter_map(|r| {
            let vlan = r[1].parse::<u64>().ok()?;
            napalm::mac_entry(r[0], r[3], vlan, r[2] == "static")
        })
        .collect();
    Ok(Value::Array(entries))
}

/// `show lldp neighbor-info`: `LOCAL-PORT  CHASSIS-ID  PORT-ID  PORT-DESC
/// TTL  SYS-NAME`.
fn aoscx_lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let names = [
        "LOCAL-PORT",
        "CHASSIS-ID",
        "PORT-ID",
        "PORT-DESC",
        "TTL",
        "SYS-NAME",
    ];
    let rows = super::neigh::rows("show lldp neighbor-info", out[0], ERRORS, &names)?;
    Ok(super::neigh::lldp(&rows, |r| Some((r[0], r[5], r[2]))))
}

/// `show arp`: `IP Address  MAC Address  Type  Port` (MACs as
/// `001122-334455`). No age is shown.
fn procurve_arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["IP Address", "MAC Address", "Type", "Port"];
    let rows = super::neigh::rows("show arp", out[0], ERRORS, &names)?;
    Ok(super::neigh::arp(&rows, |r| Some((r[3], r[1], r[0], None))))
}

/// `show mac-address`: `MAC Address  Port  VLAN` (ArubaOS-Switch 16.x);
/// K/KA releases print `MAC Address  Located on Port` with no VLAN (0
/// here). Learned entries only: the switch shows no static flag.
fn procurve_mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show mac-address";
    check(command, out[0], ERRORS)?;
    let (header, rows) = napalm::table(command, out[0], "MAC Address", &["Port"])?;
    let has_vlan = header.contains("VLAN");
    let mut entries = Vec::new();
    for line in rows {
        let w: Vec<&str> = line.split_whitespace().collect();
        let vlan = match (has_vlan, w.get(2)) {
            (false, _) => Some(0),
            (true, Some(v)) => v.parse::<u64>().ok(),
            (true, None) => None,
        };
        if let (Some(vlan), [mac, port, ..]) = (vlan, w.as_slice()) {
            entries.extend(napalm::mac_entry(mac, port, vlan, false));
        }
    }
    Ok(Value::Array(entries))
}

/// `show ip`: under the global settings, `VLAN | IP Config  IP Address
/// Subnet Mask  Proxy ARP`, one row per VLAN (addresses live on VLANs);
/// a VLAN's further addresses follow on rows with an empty VLAN column.
fn procurve_interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ip";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "VLAN", &["|", "IP Address"])?;
    let mut map = Map::new();
    let mut vlan = "";
    for line in rows {
        let Some((name, rest)) = line.split_once('|') else {
            continue;
        };
        if !name.trim().is_empty() {
            vlan = name.trim();
        }
        let w: Vec<&str> = rest.split_whitespace().collect();
        let at = w
            .iter()
            .position(|x| x.parse::<std::net::Ipv4Addr>().is_ok());
        if let Some(at) = at
            && let Some(len) = w.get(at + 1).and_then(|m| napalm::mask_len(m))
            && !vlan.is_empty()
        {
            napalm::add_ip(&mut map, vlan, w[at], len);
        }
    }
    Ok(Value::Object(map))
}

/// `show lldp neighbor-info detail`: per port a `Port : 1/1/1` line, the
/// port's counters, then per neighbour `Neighbor Chassis-Name : …` and the
/// other `Key : value` lines.
fn aoscx_lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::key_value_blocks(
        "show lldp neighbor-info detail",
        out[0],
        ERRORS,
        |l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "Port").then(|| v.trim().to_string())
        },
        |l| l.trim_start().starts_with("Neighbor Chassis-Name"),
        &[
            ("neighbor chassis-id", "remote_chassis_id"),
            ("neighbor port-id", "remote_port"),
            ("neighbor port-desc", "remote_port_description"),
            ("neighbor chassis-name", "remote_system_name"),
            ("neighbor chassis-description", "remote_system_description"),
            ("chassis capabilities available", "remote_system_capab"),
            ("chassis capabilities enabled", "remote_system_enable_capab"),
        ],
    )
}

/// ArubaOS-Switch 16.x `show ip bgp summary` (3810M, 5400R): under `Peer
/// Information` a table `Remote Address  Remote-AS Local-AS State  Admin
/// Status`, one row per peer; `Admin Status` is `Start`, or `Stop` for a
/// peer shut down by configuration. The router ID is the `Local Router-id`
/// of `show ip bgp`'s header. Neither prints a peer's router ID, uptime or
/// prefix counts (`""`, -1, as NAPALM fills what is not shown); they are in
/// `show ip bgp neighbor <address>`, one command per peer, not read yet.
fn procurve_bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let [summary, table] = out else {
        return Err(missing("show ip bgp summary", "outputs"));
    };
    let command = "show ip bgp summary";
    check(command, summary, ERRORS)?;
    let (_, rows) = napalm::table(command, summary, "Remote Address", &["Remote-AS", "State"])?;
    // `show ip bgp` opens with `Local AS : 64512   Local Router-id : 172.18.1.2`
    // before the routes; a switch refusing it leaves the router ID unknown.
    let router_id = lines(super::env::unless_refused(table, ERRORS))
        .into_iter()
        .find_map(|l| {
            let (_, rest) = l.split_once("Local Router-id")?;
            let id = rest
                .trim_start()
                .strip_prefix(':')?
                .split_whitespace()
                .next()?;
            id.parse::<std::net::Ipv4Addr>().ok().map(|_| id)
        })
        .unwrap_or("");
    let mut n = bgp::Neighbors::default();
    n.vrf(bgp::GLOBAL, router_id);
    for line in rows {
        // Address, remote AS, local AS, state (in case of blanks, all
        // words up to the last), admin status.
        let words: Vec<&str> = line.split_whitespace().collect();
        let [ip, remote_as, local_as, state @ .., admin] = &words[..] else {
            continue;
        };
        let state = state.join(" ");
        if ip.parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let mut p = bgp::Peer::new(ip);
        p.remote_as = bgp::asn(remote_as).unwrap_or(-1);
        p.local_as = bgp::asn(local_as).unwrap_or(-1);
        p.is_up = state.eq_ignore_ascii_case("Established");
        p.is_enabled = !admin.eq_ignore_ascii_case("Stop");
        n.add(p);
    }
    Ok(n.json())
}

/// `show lldp info remote-device`: `LocalPort | ChassisId  PortId
/// PortDescr  SysName`; the switch cuts the port ID to its column.
fn procurve_lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["LocalPort", "ChassisId", "PortId", "PortDescr", "SysName"];
    let rows = super::neigh::rows("show lldp info remote-device", out[0], ERRORS, &names)?;
    Ok(super::neigh::lldp(&rows, |r| {
        Some((r[0].trim_end_matches('|').trim_end(), r[4], r[2]))
    }))
}

/// ArubaOS-Switch 16.x: `show system` (`CPU Util (%)`, `Memory - Total` and
/// `Free` in bytes with thousands commas), `show system fans` (`Sys-1 | Fan
/// OK | 0`), `show system power-supply` (state `Powered`; empty bays `Not
/// Present` left out; wattage drawn and maximum the last two figures) and
/// `show system temperature` (`Chassis | 32C | 38C | 20C | 55C | NO`: current,
/// max, min, threshold, over-temperature). A model without a sensor
/// command refuses it: no such sensors.
fn procurve_environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number, unless_refused};
    let [system, fans, power, temperature] = out else {
        return Err(missing("show system", "outputs"));
    };
    check("show system", system, ERRORS)?;
    let mut e = Environment::default();
    let p = pairs(system);
    let figure =
        |key: &str| get(&p, key).and_then(|v| v.replace(',', "").trim().parse::<f64>().ok());
    if let Some(u) = figure("CPU Util (%)") {
        e.cpu(0, u);
    }
    if let (Some(total), Some(free)) = (
        figure("Memory   - Total").or_else(|| figure("Memory - Total")),
        figure("Free"),
    ) {
        e.memory(total as i64, (total - free) as i64);
    }
    // Rows of `|`-separated cells, headers and rules aside.
    let cells = |text: &str| -> Vec<Vec<String>> {
        lines(unless_refused(text, ERRORS))
            .into_iter()
            .filter(|l| l.contains('|'))
            .map(|l| {
                l.split('|')
                    .map(|c| c.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|c| {
                c.len() >= 3
                    && !c[0].chars().all(|ch| ch == '-')
                    && !matches!(c[0].as_str(), "Num" | "Temp" | "Sensor" | "")
            })
            .collect()
    };
    for c in cells(fans) {
        e.fan(&c[0], c[1].contains("OK"));
    }
    for c in cells(temperature) {
        let Some(current) = number(&c[1]) else {
            continue;
        };
        let threshold = c.get(4).and_then(|t| number(t));
        let over = c.get(5).is_some_and(|o| o.eq_ignore_ascii_case("YES"));
        e.temperature(
            &c[0],
            current,
            over || threshold.is_some_and(|t| current >= t),
            over,
        );
    }
    let names = ["PS#", "Model", "Serial", "State", "AC/DC"];
    if let Ok(rows) = super::neigh::rows(
        "show system power-supply",
        unless_refused(power, ERRORS),
        ERRORS,
        &names,
    ) {
        let text = lines(power);
        for row in rows {
            let state = row.get(3).copied().unwrap_or("");
            // Bay rows only (not the `1 / 2 supply bays …` summary after them).
            let bay = !row[0].is_empty() && row[0].chars().all(|c| c.is_ascii_digit());
            if !bay || state.is_empty() || state.eq_ignore_ascii_case("Not Present") {
                continue;
            }
            // The row's last two figures: watts drawn, then the maximum.
            let line = text
                .iter()
                .find(|l| l.trim_start().starts_with(row[0]) && l.contains(state))
                .copied()
                .unwrap_or("");
            let w: Vec<f64> = line
                .split_whitespace()
                .rev()
                .take(2)
                .filter_map(|v| v.parse().ok())
                .collect();
            let (output, capacity) = match w[..] {
                [max, drawn] => (drawn, max),
                _ => (-1.0, -1.0),
            };
            e.power(
                &format!("PS {}", row[0]),
                state.eq_ignore_ascii_case("Powered"),
                capacity,
                output,
            );
        }
    }
    Ok(e.json())
}

/// `show lldp info remote-device all` (the port list `all`): per neighbour
/// a block of `Key : value` lines (`Local Port`, `ChassisId`, `PortId`,
/// `SysName`, `System Descr`, `PortDescr`, `System Capabilities Supported`
/// / `Enabled`), blocks separated by dashed lines; a long description runs
/// on over indented lines.
fn procurve_lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::blocks(
        "show lldp info remote-device all",
        out[0],
        ERRORS,
        super::lldp::dashed,
        &[
            ("local port", "local"),
            ("chassisid", "remote_chassis_id"),
            ("portid", "remote_port"),
            ("portdescr", "remote_port_description"),
            ("sysname", "remote_system_name"),
            ("system descr", "remote_system_description"),
            ("system capabilities supported", "remote_system_capab"),
            ("system capabilities enabled", "remote_system_enable_capab"),
        ],
        &[
            "PortDescr",
            "Pvid",
            "System Capabilities",
            "Remote Management",
            "Poe",
            "MED",
        ],
    )
}
