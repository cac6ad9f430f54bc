//! NAPALM-style getters for IOS / IOS-XE, built on this driver's parsers
//! (`show version`, `show interfaces`, `show ip interface brief`) and the
//! shared helpers of the netrun-platforms crate.

use crate::parsers;
use netrun_guest::text::ParseError;
use netrun_plugin_netrun_platforms::getters::Getter;
use netrun_plugin_netrun_platforms::getters::napalm::{self, Facts, check};
use serde_json::{Map, Value, json};

/// The getters coded here; `config` comes from the platform data file
/// (`getters_in(GETTERS, platform)` lists them, `commands_in` and
/// `answer_in` run them).
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show version", "show ip interface brief"],
        build: facts,
    },
    Getter {
        name: "interfaces",
        commands: &["show interfaces"],
        build: interfaces,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interfaces"],
        build: interfaces_ip,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp neighbors"],
        build: lldp_neighbors,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["show lldp neighbors detail"],
        build: lldp_neighbors_detail,
    },
    Getter {
        name: "arp_table",
        commands: &["show ip arp"],
        build: arp_table,
    },
    Getter {
        name: "mac_address_table",
        commands: &["show mac address-table"],
        build: mac_address_table,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show bgp all summary"],
        build: bgp_neighbors,
    },
];

const ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
];

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    match v.get(key) {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).unwrap_or(""),
        Some(other) => other.as_str().unwrap_or(""),
        None => "",
    }
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let version = parsers::parse("show version", out[0])?;
    let brief = parsers::parse("show ip interface brief", out[1])?;
    let part = |k: &str| version.get(k).and_then(Value::as_u64);
    let units = [
        ("uptime_years", 365 * 86_400),
        ("uptime_weeks", 7 * 86_400),
        ("uptime_days", 86_400),
        ("uptime_hours", 3_600),
        ("uptime_minutes", 60),
    ];
    let uptime = units
        .iter()
        .any(|(k, _)| part(k).is_some())
        .then(|| units.iter().map(|(k, s)| part(k).unwrap_or(0) * s).sum());
    let interface_list = brief
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| text(r, "interface").to_string())
                .collect()
        })
        .unwrap_or_default();
    let hostname = text(&version, "hostname");
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Cisco",
        model: text(&version, "hardware"),
        serial_number: text(&version, "serial"),
        os_version: text(&version, "version"),
        uptime,
        interface_list,
    }
    .json())
}

/// `1000000 Kbit` → 1000 Mbit/s.
fn bandwidth_mbit(text: &str) -> Option<f64> {
    let kbit: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(kbit / 1000.0)
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let rows = parsers::parse("show interfaces", out[0])?;
    let mut map = Map::new();
    for r in rows.as_array().into_iter().flatten() {
        let link = text(r, "link_status");
        map.insert(
            text(r, "interface").to_string(),
            napalm::interface(
                text(r, "protocol_status").starts_with("up"),
                !link.contains("administratively down"),
                text(r, "description"),
                bandwidth_mbit(text(r, "bandwidth")),
                text(r, "mtu").parse().ok(),
                text(r, "mac_address"),
            ),
        );
    }
    Ok(Value::Object(map))
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let rows = parsers::parse("show interfaces", out[0])?;
    let mut map = Map::new();
    for r in rows.as_array().into_iter().flatten() {
        if let Ok(len) = text(r, "prefix_length").parse::<u32>()
            && !text(r, "ip_address").is_empty()
        {
            napalm::add_ip(&mut map, text(r, "interface"), text(r, "ip_address"), len);
        }
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_lldp("show lldp neighbors", out[0], ERRORS)
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ip arp";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Protocol", &["Address", "Hardware Addr"])?;
    let mut entries = Vec::new();
    // `Internet  10.0.0.2   12   5254.0012.3456  ARPA   GigabitEthernet0/0`; age in minutes, `-` for own.
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 5 || words[0] != "Internet" || napalm::mac(words[3]).is_none() {
            continue;
        }
        let age = words[2].parse::<f64>().ok().map(|m| m * 60.0);
        let interface = words.get(5).copied().unwrap_or("");
        entries.push(napalm::arp(interface, words[3], words[1], age));
    }
    Ok(json!(entries))
}

fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_mac_table("show mac address-table", out[0], ERRORS)
}

/// `show bgp all summary`: a section per address family of the global
/// table (`For address family: IPv4 Unicast`).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    netrun_plugin_netrun_platforms::getters::bgp::cisco_summary(
        "show bgp all summary",
        out[0],
        ERRORS,
    )
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    netrun_plugin_netrun_platforms::getters::lldp::cisco_detail(
        "show lldp neighbors detail",
        out[0],
        ERRORS,
    )
}
