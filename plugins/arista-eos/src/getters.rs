//! NAPALM-style getters for EOS over the CLI, built on this driver's
//! parsers (`show version`, `show hostname`, `show interfaces`) and the
//! shared helpers of the netrun-platforms crate.

use crate::parsers;
use netrun_guest::text::ParseError;
use netrun_plugin_netrun_platforms::getters::napalm::{self, Facts, check};
use netrun_plugin_netrun_platforms::getters::{Getter, bgp};
use serde_json::{Map, Value, json};

/// The getters coded here; `config` comes from the platform data file
/// (`getters_in(GETTERS, platform)` lists them, `commands_in` and
/// `answer_in` run them).
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show version", "show hostname", "show interfaces"],
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
        commands: &["show interfaces"],
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
        commands: &["show ip arp"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "mac_address_table",
        commands: &["show mac address-table"],
        build: mac_address_table,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &[
            "show ip bgp summary vrf all",
            "show ipv6 bgp summary vrf all",
        ],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show environment temperature",
            "show environment cooling",
            "show environment power",
            "show processes top once",
        ],
        build: environment,
        follow_up: None,
    },
];

/// The getter table of `platform` (the same on every EOS platform).
pub fn table(_platform: &str) -> &'static [Getter] {
    GETTERS
}

const ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
];

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let version = parsers::parse("show version", out[0])?;
    let hostname = parsers::parse("show hostname", out[1])?;
    let rows = parsers::parse("show interfaces", out[2])?;
    let interface_list = rows
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| text(r, "interface").to_string())
                .collect()
        })
        .unwrap_or_default();
    let name = text(&hostname, "hostname");
    Ok(Facts {
        hostname: name,
        fqdn: match text(&hostname, "fqdn") {
            "" => name,
            f => f,
        },
        vendor: "Arista",
        model: text(&version, "model"),
        serial_number: text(&version, "serial"),
        os_version: text(&version, "version"),
        uptime: version.get("uptime_seconds").and_then(Value::as_u64),
        interface_list,
    }
    .json())
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let rows = parsers::parse("show interfaces", out[0])?;
    let mut map = Map::new();
    for r in rows.as_array().into_iter().flatten() {
        let link = text(r, "link_status");
        let speed = r
            .get("bandwidth_bps")
            .and_then(Value::as_u64)
            .map(|bps| bps as f64 / 1e6);
        map.insert(
            text(r, "interface").to_string(),
            napalm::interface(
                text(r, "protocol_status") == "up",
                !(link.contains("administratively") || link == "disabled"),
                text(r, "description"),
                speed,
                r.get("mtu").and_then(Value::as_u64),
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
        let addr = text(r, "ip_address");
        if let Some(len) = r.get("prefix_length").and_then(Value::as_u64)
            && !addr.is_empty()
        {
            napalm::add_ip(&mut map, text(r, "interface"), addr, len as u32);
        }
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show lldp neighbors";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(
        command,
        out[0],
        "Port",
        &["Neighbor Device ID", "Neighbor Port ID"],
    )?;
    let mut map = Map::new();
    // `Et1           spine1.dc1               Ethernet1           120`
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 4 && words[words.len() - 1].parse::<u32>().is_ok() {
            napalm::add_lldp(
                &mut map,
                words[0],
                words[1],
                &words[2..words.len() - 1].join(" "),
            );
        }
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ip arp";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Address", &["Hardware Addr", "Interface"])?;
    let mut entries = Vec::new();
    // `10.0.0.1          0:01:23  001c.7312.3456  Ethernet1`; `N/A` for static entries;
    // an SVI entry names the VLAN and the port: `Vlan10, Ethernet3`.
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 4 || words[0].parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        let age = napalm::duration(words[1]).map(|s| s as f64);
        let interface = words[3].trim_end_matches(',');
        entries.push(napalm::arp(interface, words[2], words[0], age));
    }
    Ok(json!(entries))
}

fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_mac_table("show mac address-table", out[0], ERRORS)
}

/// IPv4 and IPv6 summaries of every VRF, merged peer by peer.
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let v4 = bgp::eos_summary("show ip bgp summary vrf all", out[0], ERRORS, "ipv4")?;
    let v6 = bgp::eos_summary("show ipv6 bgp summary vrf all", out[1], ERRORS, "ipv6")?;
    Ok(bgp::merge(v4, v6))
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    netrun_plugin_netrun_platforms::getters::lldp::eos_detail(
        "show lldp neighbors detail",
        out[0],
        ERRORS,
    )
}

/// `show environment temperature` (rows ending `Temperature AlertLimit
/// CriticalLimit`: `38.000C 95C 105C`), `show environment cooling` (`Fan
/// Status Config-Speed Actual-Speed`), `show environment power` (`Supply
/// Model Capacity … Output-Power Status`) and `show processes top once`
/// (`%Cpu(s): … 93.3 id`, `KiB Mem : N total, N free, N used`).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use netrun_plugin_netrun_platforms::getters::env::Environment;
    let [temperature, cooling, power, top_output] = out else {
        return Err(napalm::missing("show environment temperature", "outputs"));
    };
    for (c, o) in [
        ("show environment temperature", temperature),
        ("show environment cooling", cooling),
        ("show environment power", power),
        ("show processes top once", top_output),
    ] {
        check(c, o, ERRORS)?;
    }
    let celsius = |w: &str| w.strip_suffix('C').and_then(|n| n.parse::<f64>().ok());
    let mut e = Environment::default();
    for line in napalm::lines(temperature) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let n = w.len();
        if n < 5 {
            continue;
        }
        if let (Some(t), Some(alert), Some(critical)) =
            (celsius(w[n - 3]), celsius(w[n - 2]), celsius(w[n - 1]))
        {
            // Keyed by sensor (`TempSensor1`), as NAPALM's EOS driver: power
            // supply sensors share one description.
            e.temperature(w[0], t, t >= alert, t >= critical);
        }
    }
    let mut in_fans = false;
    for line in napalm::lines(cooling) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.first() == Some(&"Fan") && w.get(1) == Some(&"Status") && w.len() > 2 {
            in_fans = true;
            continue;
        }
        if in_fans && w.len() >= 2 && !w[0].starts_with('-') {
            e.fan(w[0], w[1] == "Ok");
        }
    }
    for line in napalm::lines(power) {
        let w: Vec<&str> = line.split_whitespace().collect();
        // Supply number, model, capacity `500W`, currents, output `92.0W`, status.
        if w.len() < 6 || w[0].parse::<u32>().is_err() {
            continue;
        }
        let watts: Vec<f64> = w
            .iter()
            .filter_map(|x| x.strip_suffix('W')?.parse().ok())
            .collect();
        let ok = line.trim_end().ends_with(" Ok");
        let (capacity, output) = match watts[..] {
            [c, o, ..] => (c, o),
            [c] => (c, -1.0),
            _ => (-1.0, -1.0),
        };
        e.power(w[0], ok, capacity, output);
    }
    e.top(&napalm::lines(top_output));
    Ok(e.json())
}
