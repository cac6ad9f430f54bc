//! Cisco ASA getters (ASA 9.x on ASA 5500-X, Firepower and ASAv).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show version"],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interface"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interface"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["show environment", "show cpu usage", "show memory"],
        build: environment,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show bgp summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &["% Invalid input", "ERROR: %", "% Incomplete command"];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show version";
    check(command, out[0], ERRORS)?;
    let lines = lines(out[0]);
    let os_version = lines
        .iter()
        .find_map(|l| l.split_once("Adaptive Security Appliance Software Version "))
        // Multiple-context mode adds `<context>` or `<system>` after it.
        .and_then(|(_, v)| v.split_whitespace().next())
        .ok_or_else(|| {
            missing(
                command,
                "`Adaptive Security Appliance Software Version` line",
            )
        })?;
    // `fw-edge-01 up 45 days 3 hours` (the failover line starts with `failover`).
    let (hostname, uptime) = lines
        .iter()
        .find_map(|l| {
            let (name, up) = l.split_once(" up ")?;
            (!name.contains(' ') && !name.is_empty() && name != "failover")
                .then(|| (name.trim(), napalm::duration(up)))
        })
        .ok_or_else(|| missing(command, "`<hostname> up …` line"))?;
    // `Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz, 1 CPU (8 cores)`
    let model = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("Hardware:"))
        .and_then(|h| h.split(',').next())
        .map(str::trim)
        .unwrap_or("");
    let serial = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("Serial Number:"))
        .map(str::trim)
        .unwrap_or("");
    // ` 1: Ext: GigabitEthernet1/1  : address is 00a0.c900.0002, irq 255`
    let interface_list = lines
        .iter()
        .filter(|l| l.contains(": address is "))
        .filter_map(|l| l.split(':').nth(2).map(|n| n.trim().to_string()))
        .collect();
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Cisco",
        model,
        serial_number: serial,
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show interface";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    let mut current: Option<&str> = None;
    for line in lines(out[0]) {
        // `Interface GigabitEthernet1/1 "outside", is up, line protocol is up`
        if let Some(rest) = line.strip_prefix("Interface ") {
            current = rest.split_whitespace().next();
            continue;
        }
        // `	IP address 203.0.113.2, subnet mask 255.255.255.248`
        if let (Some(name), Some(rest)) = (current, line.trim().strip_prefix("IP address "))
            && let Some((addr, mask)) = rest.split_once(", subnet mask ")
            && let Some(len) = napalm::mask_len(mask.trim())
            && addr.parse::<std::net::Ipv4Addr>().is_ok()
        {
            napalm::add_ip(&mut map, name, addr, len);
        }
    }
    if current.is_none() {
        return Err(missing(
            command,
            "`Interface <name> \"<nameif>\", is …` line",
        ));
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show arp";
    check(command, out[0], ERRORS)?;
    let mut entries = Vec::new();
    // `	outside 203.0.113.1 0000.0c9f.f001 12` (nameif, address, MAC, age in seconds;
    // `-` for static and alias entries).
    for line in lines(out[0]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 3
            || words[1].parse::<std::net::Ipv4Addr>().is_err()
            || napalm::mac(words[2]).is_none()
        {
            continue;
        }
        let age = words.get(3).and_then(|a| a.parse::<f64>().ok());
        entries.push(napalm::arp(words[0], words[2], words[1], age));
    }
    Ok(json!(entries))
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::cisco("show interface", out[0], ERRORS)
}

/// `show environment` of ASA 5500-X / Firepower appliances: sections
/// (`Cooling Fans:`, `Power Supplies:`, `Temperature:`, `Voltage:`) of
/// readings `Name: 5888 RPM - OK (description)`. Readings under the power
/// supplies (their fans and temperatures) belong to the supply, which is
/// working when present and every reading under it is `OK`. ASAv has no sensors and refuses the command:
/// no sensors, as NAPALM reports them. `show cpu usage` gives the
/// 5-minute figure, `show memory` the used and total bytes.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, after, number, unless_refused};
    let [sensors, cpu, memory] = out else {
        return Err(missing("show environment", "outputs"));
    };
    check("show cpu usage", cpu, ERRORS)?;
    check("show memory", memory, ERRORS)?;
    let mut e = Environment::default();
    // (supply slot name, working) as its readings and presence show it.
    let mut supplies: Vec<(String, bool)> = Vec::new();
    let mut supply = |name: &str, ok: bool| match supplies.iter_mut().find(|(n, _)| n == name) {
        Some((_, good)) => *good &= ok,
        None => supplies.push((name.to_string(), ok)),
    };
    // The top-level section and the sub-section (`Power Supplies:` under
    // `Cooling Fans:`), by indentation.
    let mut top = String::new();
    let mut sub = String::new();
    for line in lines(unless_refused(sensors, ERRORS)) {
        let t = line.trim();
        if t.is_empty() || t.chars().all(|c| c == '-') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let Some((name, value)) = t.split_once(": ") else {
            if let Some(section) = t.strip_suffix(':') {
                if indent == 0 {
                    top = section.to_string();
                    sub.clear();
                } else {
                    sub = section.to_string();
                }
            }
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        // `Left Slot (PS0): Present` under `Power Supplies:`.
        if top == "Power Supplies" && sub.is_empty() || value.ends_with("Present") {
            if value == "Present" {
                supply(name, true);
            }
            continue;
        }
        let Some((reading, status)) = value.split_once(" - ") else {
            continue;
        };
        let ok = status.trim_start().starts_with("OK");
        let Some(figure) = number(reading) else {
            continue;
        };
        let unit = reading.split_whitespace().nth(1).unwrap_or("");
        let of_supply = top == "Power Supplies" || sub == "Power Supplies";
        match unit {
            _ if of_supply => supply(name, ok),
            "RPM" => e.fan(name, ok),
            "C" => e.temperature(name, figure, !ok, status.contains("CRITICAL")),
            _ => {}
        }
    }
    for (name, ok) in supplies {
        e.power(&name, ok, -1.0, -1.0);
    }
    // `CPU utilization for 5 seconds = 1%; 1 minute: 2%; 5 minutes: 2%`.
    if let Some(u) = after(&lines(cpu), "5 minutes:") {
        e.cpu(0, u);
    }
    let mem = lines(memory);
    if let (Some(used), Some(total)) = (after(&mem, "Used memory:"), after(&mem, "Total memory:")) {
        e.memory(total as i64, used as i64);
    }
    Ok(e.json())
}

/// ASA 9.x `show bgp summary`: the IOS layout (router identifier and local
/// AS, then `Neighbor V AS MsgRcvd …` rows); an ASA without `router bgp`
/// answers `% BGP not active`, which is no neighbours.
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::cisco_summary("show bgp summary", out[0], ERRORS)
}
