//! HPE / H3C Comware 7 getters.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "display version",
            "display current-configuration | include sysname",
            "display device manuinfo",
            "display interface brief",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["display interface"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["display lldp neighbor-information list"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["display lldp neighbor-information verbose"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["display bgp peer ipv4"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["display arp"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "mac_address_table",
        commands: &["display mac-address"],
        build: mac_address_table,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["display ip interface"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "display environment",
            "display fan",
            "display power",
            "display cpu-usage",
            "display memory",
        ],
        build: environment,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &[
    "% Unrecognized command",
    "% Wrong parameter",
    "% Incomplete command",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, sysname, manuinfo, brief] = out else {
        return Err(missing("display version", "outputs"));
    };
    let command = "display version";
    check(command, version, ERRORS)?;
    let vlines = lines(version);
    // `HPE Comware Software, Version 7.1.070, Release 2612`
    let os_version = vlines
        .iter()
        .find_map(|l| l.split_once("Comware Software, Version "))
        .map(|(_, v)| v.trim())
        .ok_or_else(|| missing(command, "`Comware Software, Version` line"))?;
    // `HPE 5940 48XGT 6QSFP+ Switch uptime is 0 weeks, 5 days, 2 hours, 12 minutes`
    let uptime = vlines
        .iter()
        .find_map(|l| l.split_once(" uptime is "))
        .and_then(|(_, u)| napalm::duration(u));
    let name = lines(sysname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("sysname "))
        .map(str::trim)
        .ok_or_else(|| {
            missing(
                "display current-configuration | include sysname",
                "`sysname` line",
            )
        })?;
    let manu = |key: &str| {
        lines(manuinfo).into_iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim())
        })
    };
    let interface_list = lines(brief)
        .into_iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit()) && !w.contains(':') && !w.starts_with('(')
        })
        .map(str::to_string)
        .collect();
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "HPE",
        model: manu("DEVICE_NAME").unwrap_or(""),
        serial_number: manu("DEVICE_SERIAL_NUMBER").unwrap_or(""),
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display lldp neighbor-information list";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(
        command,
        out[0],
        "System Name",
        &["Local Interface", "Port ID"],
    )?;
    let mut map = Map::new();
    // System name, local interface, chassis ID, port ID.
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 4 {
            napalm::add_lldp(&mut map, words[1], words[0], &words[3..].join(" "));
        }
    }
    Ok(Value::Object(map))
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::vrp("display interface", out[0], ERRORS)
}

/// `display bgp peer ipv4`: `Peer AS MsgRcvd MsgSent OutQ PrefRcv Up/Down
/// State`; a dynamically created peer is marked `*` before its address.
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::display_peers("display bgp peer ipv4", out[0], ERRORS, |w| {
        let w = match w.first() {
            Some(&"*") => &w[1..],
            _ => w,
        };
        (w.len() >= 8).then(|| super::bgp::DisplayRow {
            ip: w[0].trim_start_matches('*'),
            remote_as: w[1],
            up_down: w[6],
            state: w[7..].join(" "),
            received: w[5],
            admin_down: false,
        })
    })
}

/// `display lldp neighbor-information verbose`: per port `LLDP
/// neighbor-information of port 1[GigabitEthernet1/0/1]:`, an `LLDP agent
/// nearest-bridge:` line, then per neighbour from ` LLDP neighbor index : 1`
/// lines `Key : value`; the system description runs on over the lines
/// after its key.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::key_value_blocks(
        "display lldp neighbor-information verbose",
        out[0],
        ERRORS,
        |l| {
            let rest = l
                .trim()
                .strip_prefix("LLDP neighbor-information of port ")?;
            let (_, name) = rest.split_once('[')?;
            name.split_once(']').map(|(n, _)| n.to_string())
        },
        |l| l.trim_start().starts_with("LLDP neighbor index"),
        super::lldp::KEY_VALUE_FIELDS,
    )
}

/// `display arp`: `IP address  MAC address  VLAN/VSI name (VLAN before
/// 7.1.045)  Interface  Aging  Type`; aging in minutes left (`N/A` for
/// static entries), port names abbreviated (`GE1/0/1`, `BAGG1`).
fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display arp";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "IP address", &["MAC address", "Aging"])?;
    let mut entries = Vec::new();
    for line in rows {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 5 || w[0].parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        let Some(mac) = napalm::mac(w[1]) else {
            continue;
        };
        let interface = napalm::expand_interface(w[w.len() - 3], PORT_NAMES);
        let age = w[w.len() - 2].parse::<f64>().ok().map(|m| m * 60.0);
        entries.push(napalm::arp(&interface, &mac, w[0], age));
    }
    Ok(serde_json::json!(entries))
}

/// `display ip interface`: per interface `Vlan-interface1 current state:
/// UP`, then `Internet address: 192.168.1.1/24 (primary)` (Comware 5:
/// `Internet Address is 192.168.1.1/24 Primary`), one line per primary
/// and sub address. (`display ip interface brief` shows no mask.)
fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display ip interface";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    let mut current: Option<&str> = None;
    for line in lines(out[0]) {
        if !line.starts_with(' ')
            && !line.starts_with("Line protocol")
            && line.contains(" current state")
        {
            current = line.split_whitespace().next();
        } else if line.to_ascii_lowercase().contains("internet address")
            && let Some(name) = current
            && let Some((addr, len)) = line
                .split_whitespace()
                .find(|w| w.contains('/'))
                .and_then(napalm::cidr)
        {
            napalm::add_ip(&mut map, name, &addr, len);
        }
    }
    Ok(Value::Object(map))
}

/// `display mac-address`: `MAC Address  VLAN ID  State  Port/Nickname
/// Aging` (Comware 5: `MAC ADDR  VLAN ID  STATE  PORT INDEX  AGING
/// TIME(s)`); the state may be two words (`Config static`), port names are
/// abbreviated in Comware 7.
fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display mac-address";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "MAC ", &["VLAN ID"])?;
    let mut entries = Vec::new();
    for line in rows {
        let w: Vec<&str> = line.split_whitespace().collect();
        let Some(vlan) = w.get(1).and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        if w.len() < 5 {
            continue;
        }
        let state = w[2..w.len() - 2].join(" ").to_ascii_lowercase();
        let interface = napalm::expand_interface(w[w.len() - 2], PORT_NAMES);
        entries.extend(napalm::mac_entry(
            w[0],
            &interface,
            vlan,
            state.contains("static"),
        ));
    }
    Ok(serde_json::json!(entries))
}

/// Comware's abbreviated port names and their long forms.
const PORT_NAMES: &[(&str, &str)] = &[
    ("GE", "GigabitEthernet"),
    ("XGE", "Ten-GigabitEthernet"),
    ("FGE", "FortyGigE"),
    ("HGE", "HundredGigE"),
    ("WGE", "Twenty-FiveGigE"),
    ("M-GE", "M-GigabitEthernet"),
    ("BAGG", "Bridge-Aggregation"),
    ("RAGG", "Route-Aggregation"),
    ("Vlan", "Vlan-interface"),
];

/// `display environment` (Comware 7: `Slot  Sensor  Temperature  Lower
/// Warning  Alarm  Shutdown`; Comware 5: `SlotNo  Temperature  Lower limit
/// Upper limit`), `display fan` and `display power` (`State : Normal` under
/// `Fan 1:` / `Power 1`, or Comware 7's `PowerID  State …` table; absent
/// units are left out), `display cpu-usage` (the 5-minute figure of the
/// first CPU) and `display memory` (Comware 7's `Mem:` row in KB, Comware
/// 5's `System Total Memory(bytes):`).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, after, number};
    let [temp, fan, power, cpu, memory] = out else {
        return Err(missing("display environment", "outputs"));
    };
    for (c, o) in [
        ("display environment", temp),
        ("display fan", fan),
        ("display power", power),
        ("display cpu-usage", cpu),
        ("display memory", memory),
    ] {
        check(c, o, ERRORS)?;
    }
    let mut e = Environment::default();
    // Temperatures: rows under the header, the sensor name the words
    // between the slot and the first number.
    let temp = lines(temp);
    if let Some(at) = temp.iter().position(|l| {
        let l = l.trim_start();
        l.starts_with("Slot") && l.contains("Temperature")
    }) {
        // Comware 7: sensor words, then current, lower, warning, alarm,
        // shutdown; Comware 5: no sensor, then current, lower, upper.
        let seven = temp[at].contains("Sensor");
        let figures = if seven { 5 } else { 3 };
        for row in &temp[at + 1..] {
            let w: Vec<&str> = row.split_whitespace().collect();
            if w.len() < figures + 1 || !w[0].chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let (names, values) = w.split_at(w.len() - figures);
            let value = |i: usize| values.get(i).and_then(|v| v.parse::<f64>().ok());
            let Some(celsius) = value(0) else {
                continue;
            };
            let (warning, alarm) = if seven {
                (value(2), value(3))
            } else {
                (value(2), value(2))
            };
            e.temperature(
                &format!("Slot {}", names.join(" ")),
                celsius,
                warning.is_some_and(|w| celsius >= w),
                alarm.is_some_and(|a| celsius >= a),
            );
        }
    }
    // Fans and supplies in the `State : Normal` form, under `Slot 1:` and
    // `Fan 1:` / `FAN   1` / `Power 1` headers.
    let states = |text: &str, unit: &str, e: &mut Environment, is_power: bool| {
        let mut slot = String::new();
        let mut current = String::new();
        for l in lines(text) {
            let t = l.trim().trim_end_matches(':');
            let w: Vec<&str> = t.split_whitespace().collect();
            if w.len() == 2 && w[0].eq_ignore_ascii_case("Slot") {
                slot = w[1].to_string();
            } else if w.len() == 2 && w[0].eq_ignore_ascii_case(unit) {
                current = format!("{unit} {}", w[1]);
            } else if let Some((k, v)) = t.split_once(':')
                && k.trim() == "State"
                && !current.is_empty()
            {
                let state = v.trim();
                if state.eq_ignore_ascii_case("Absent") {
                    continue;
                }
                let name = if slot.is_empty() {
                    current.clone()
                } else {
                    format!("Slot {slot} {current}")
                };
                let ok = state.eq_ignore_ascii_case("Normal");
                if is_power {
                    e.power(&name, ok, -1.0, -1.0);
                } else {
                    e.fan(&name, ok);
                }
            }
        }
    };
    states(fan, "Fan", &mut e, false);
    states(power, "Power", &mut e, true);
    // Comware 7's supply table: `PowerID State Mode Current(A) Voltage(V) Power(W)`.
    let power_lines = lines(power);
    let mut slot = String::new();
    let mut header: Option<Vec<&str>> = None;
    for l in &power_lines {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() == 2 && w[0] == "Slot" {
            slot = w[1].trim_end_matches(':').to_string();
            header = None;
        } else if w.first() == Some(&"PowerID") {
            header = Some(w);
        } else if let Some(h) = &header
            && w.len() >= 2
            && w[0].chars().all(|c| c.is_ascii_digit())
        {
            let state = w[1];
            if state.eq_ignore_ascii_case("Absent") {
                continue;
            }
            let watts = h
                .iter()
                .position(|c| *c == "Power(W)")
                .and_then(|i| w.get(i))
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1.0);
            let name = if slot.is_empty() {
                format!("Power {}", w[0])
            } else {
                format!("Slot {slot} Power {}", w[0])
            };
            e.power(&name, state.eq_ignore_ascii_case("Normal"), -1.0, watts);
        }
    }
    let usage = lines(cpu);
    // `  9% in last 5 minutes`: the figure is before the words.
    if let Some(u) = usage
        .iter()
        .find(|l| l.contains("in last 5 minutes"))
        .and_then(|l| number(l))
    {
        e.cpu(0, u);
    }
    let mem = lines(memory);
    if let Some(row) = mem.iter().find(|l| l.trim_start().starts_with("Mem:")) {
        let w: Vec<i64> = row
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [total, used, ..] = w[..] {
            e.memory(total * 1024, used * 1024);
        }
    } else if let (Some(total), Some(used)) = (
        after(&mem, "System Total Memory(bytes):"),
        after(&mem, "Total Used Memory(bytes):"),
    ) {
        e.memory(total as i64, used as i64);
    }
    Ok(e.json())
}
