//! Cisco NX-OS getters, from the CLI text of NX-OS 7.x and 9.x/10.x.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &["show version", "show hostname", "show interface brief"],
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
        commands: &["show ip interface vrf all"],
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
        commands: &["show ip arp vrf all"],
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
        commands: &["show bgp all summary vrf all"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["show environment", "show system resources"],
        build: environment,
        follow_up: None,
    },
];

/// The abbreviations of `show interface brief`.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("Eth", "Ethernet"),
    ("Po", "port-channel"),
    ("Lo", "loopback"),
    ("Tunnel", "Tunnel"),
];

const ERRORS: &[&str] = &[
    "% Invalid",
    "% Incomplete",
    "% Ambiguous",
    "% Permission denied",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hostname, brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    check("show version", version, ERRORS)?;
    check("show hostname", hostname, ERRORS)?;
    let lines = lines(version);
    let after = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::trim))
    };
    // `NXOS: version 9.3(10)`; 7.x: `system:    version 7.3(8)N1(1)`.
    let os_version = after("NXOS: version")
        .or_else(|| after("system:    version"))
        .or_else(|| after("system: version"))
        .ok_or_else(|| missing("show version", "`NXOS: version` line"))?;
    let name =
        after("Device name:").ok_or_else(|| missing("show version", "`Device name:` line"))?;
    let serial = after("Processor Board ID").unwrap_or("");
    // `cisco Nexus9000 C93180YC-EX chassis`, `cisco Nexus 5596 Chassis ("O2 48X10GE/Modular Supervisor")`.
    let model = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("cisco ") && l.to_ascii_lowercase().contains(" chassis"))
        .map(|l| {
            let l = &l["cisco ".len()..];
            let cut = l.to_ascii_lowercase().find(" chassis").unwrap_or(l.len());
            l[..cut].trim().to_string()
        })
        .unwrap_or_default();
    let uptime = after("Kernel uptime is").and_then(napalm::duration);
    let fqdn = napalm::lines(hostname)
        .into_iter()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(name);
    Ok(Facts {
        hostname: name,
        fqdn,
        vendor: "Cisco",
        model: &model,
        serial_number: serial,
        os_version,
        uptime,
        interface_list: interface_names(brief)?,
    }
    .json())
}

/// Interface names of every section of `show interface brief` (mgmt,
/// Ethernet, Port-channel, loopback and SVI tables).
fn interface_names(output: &str) -> Result<Vec<String>, ParseError> {
    check("show interface brief", output, ERRORS)?;
    let names: Vec<String> = lines(output)
        .into_iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && w.chars().any(|c| c.is_ascii_digit())
        })
        .map(|w| napalm::expand_interface(w, SHORT_NAMES))
        .collect();
    if names.is_empty() {
        return Err(missing("show interface brief", "interface rows"));
    }
    Ok(names)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ip interface vrf all";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    let mut current: Option<&str> = None;
    let mut seen_header = false;
    for line in lines(out[0]) {
        if let Some((name, _)) = line.split_once(", Interface status:") {
            current = Some(name.trim());
            seen_header = true;
            continue;
        }
        // `  IP address: 10.0.0.1, IP subnet: 10.0.0.0/30 [secondary] route-preference: 0, tag: 0`
        let t = line.trim();
        if let (Some(name), Some(rest)) = (current, t.strip_prefix("IP address: "))
            && let Some((addr, subnet)) = rest.split_once(", IP subnet: ")
            && let Some(len) = subnet
                .split_whitespace()
                .next()
                .and_then(|s| s.split_once('/'))
                .and_then(|(_, l)| l.parse().ok())
        {
            napalm::add_ip(&mut map, name, addr.trim(), len);
        }
    }
    if !seen_header
        && !lines(out[0])
            .iter()
            .any(|l| l.starts_with("IP Interface Status"))
    {
        return Err(missing(command, "`IP Interface Status for VRF` section"));
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_lldp("show lldp neighbors", out[0], ERRORS)
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    // Address, age, MAC, interface, [flags].
    napalm::cisco_arp("show ip arp vrf all", out[0], ERRORS, 3)
}

fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show mac address-table";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "VLAN", &["MAC Address", "Ports"])?;
    let mut entries = Vec::new();
    for line in rows {
        // [flag] VLAN MAC type age secure ntfy port
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if words.first().is_some_and(|w| {
            w.len() <= 2 && napalm::mac(w).is_none() && w.parse::<u32>().is_err() && *w != "-"
        }) {
            words.remove(0);
        }
        if words.len() < 7 {
            continue;
        }
        let Some(mac) = napalm::mac(words[1]) else {
            continue;
        };
        let vlan = words[0].parse::<u64>().unwrap_or(0);
        entries.push(json!({
            "mac": mac,
            "interface": words[6..].join(" "),
            "vlan": vlan,
            "static": words[2] == "static",
            "active": true,
            // The age column is time since last seen, not since a move.
            "moves": -1,
            "last_move": -1.0,
        }));
    }
    Ok(json!(entries))
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::cisco("show interface", out[0], ERRORS)
}

fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::cisco_summary("show bgp all summary vrf all", out[0], ERRORS)
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::cisco_detail("show lldp neighbors detail", out[0], ERRORS)
}

/// `show environment`: `Power Supply:` rows (number, model, actual output
/// `N W`, input `N W`, capacity `N W`, status), `Fan:` rows (name, model,
/// hardware, direction, status) and `Temperature:` rows (module, sensor,
/// major and minor thresholds, current, status); `show system resources`:
/// `CPU states : … % idle` and `Memory usage: NK total, NK used`.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let command = "show environment";
    check(command, out[0], ERRORS)?;
    check("show system resources", out[1], ERRORS)?;
    let mut e = Environment::default();
    let mut section = "";
    for line in lines(out[0]) {
        let t = line.trim();
        for s in ["Power Supply:", "Fan:", "Temperature:"] {
            if t.starts_with(s) {
                section = s;
            }
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let Some(last) = words.last() else { continue };
        let ok = last.eq_ignore_ascii_case("Ok");
        match section {
            "Power Supply:" if words.len() >= 6 && words[0].parse::<u32>().is_ok() => {
                let watts: Vec<f64> = words
                    .windows(2)
                    .filter(|w| w[1] == "W")
                    .filter_map(|w| w[0].parse().ok())
                    .collect();
                let (output, capacity) = match watts[..] {
                    [o, _, c, ..] => (o, c),
                    [o, c] => (o, c),
                    _ => (-1.0, -1.0),
                };
                e.power(&format!("PS{}", words[0]), ok, capacity, output);
            }
            "Fan:" if words.len() >= 3 && words[0].starts_with("Fan") && words[0] != "Fan" => {
                e.fan(words[0], ok)
            }
            "Temperature:" if words.len() >= 6 && words[0].parse::<u32>().is_ok() => {
                let n = words.len();
                let (major, minor, cur) = (
                    number(words[n - 4]),
                    number(words[n - 3]),
                    number(words[n - 2]),
                );
                if let Some(c) = cur {
                    let name = format!("{}-{}", words[0], words[1..n - 4].join(" "));
                    e.temperature(
                        &name,
                        c,
                        minor.is_some_and(|m| c >= m),
                        major.is_some_and(|m| c >= m),
                    );
                }
            }
            _ => {}
        }
    }
    let res = lines(out[1]);
    if let Some(states) = res
        .iter()
        .find(|l| l.trim_start().starts_with("CPU states"))
        && let Some((_, before)) = states.rsplit_once("% idle").map(|(b, _)| ((), b))
        && let Some(idle) = before
            .rsplit(|c: char| c.is_whitespace() || c == ',')
            .next()
            .and_then(number)
    {
        e.cpu(0, ((100.0 - idle) * 100.0).round() / 100.0);
    }
    // `Memory usage:   24628184K total,   7180160K used,   17448024K free`.
    if let Some((_, m)) = res.iter().find_map(|l| l.split_once("Memory usage:"))
        && let Some((total, rest)) = m.split_once("total,")
        && let (Some(total), Some(used)) = (number(total), number(rest))
    {
        e.memory(total as i64 * 1024, used as i64 * 1024);
    }
    Ok(e.json())
}
