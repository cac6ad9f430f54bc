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
        commands: &["show bgp all summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show environment all",
            "show processes cpu | include CPU utilization",
            "show memory statistics",
        ],
        build: environment,
        follow_up: None,
    },
];

/// The getter table of `platform` (IOS and IOS-XE answer the same getters).
pub fn table(_platform: &str) -> &'static [Getter] {
    GETTERS
}

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
    // A router without switch ports has no such command: it has no MAC
    // address table to answer with (a switch always has the command).
    if out[0].contains("% Invalid input detected") {
        return Err(ParseError::Unsupported(
            "this device has no MAC address table (it refuses `show mac address-table`: a router without switch ports)".into(),
        ));
    }
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

/// An ISR fan line: `Fan  1 Normal` (1900/2800/2900) or `Fan 1 OK, Low speed
/// setting` (3900), as its name (`Fan 1`); not `Fan Speed is Normal`.
fn isr_fan(words: &[&str]) -> Option<String> {
    (words.len() >= 3 && words[0] == "Fan" && words[1].parse::<u32>().is_ok())
        .then(|| format!("Fan {}", words[1]))
}

/// `show environment all` of classic Catalyst switches (2960: `FAN is OK`,
/// `Temperature Value: 28 Degree Celsius`, `POWER is OK`; 3750: a supply
/// table, `1 Built-in Good`; ISR G1/G2 routers: `SYS PS1 is present.` with
/// its status lines, `Fan  1 Normal`, `Internal-ambient temperature = 25,
/// Normal`, and on the 3900 `Internal Power Supply 1 12V Output Status:
/// Normal`, `Fan 1 OK, Low speed setting`, `CPU temperature: 50 Celsius,
/// Normal`; IOSv has no monitor and refuses the command: no sensors) and of
/// IOS-XE in its two forms: Catalyst switches (`Switch
/// 1 FAN 1 is OK`, `Inlet Temperature Value: 32 Degree Celsius` with its
/// `Yellow Threshold` and `Red Threshold`, a supply table `SW PID Serial#
/// Status Sys-Pwr PoE-Pwr Watts`) and routers (ISR 4000, ASR 1000, CSR:
/// `Slot Sensor Current-State Reading Threshold(Minor,Major,Critical,Shutdown)`
/// rows such as `R0  Temp: Inlet  Normal  28 Celsius  (45 ,55 ,65 ,70
/// )(Celsius)`); `show processes cpu | include CPU utilization` (`one
/// minute: N%`); `show memory statistics` (the `Processor` pool's total and
/// used bytes).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use netrun_plugin_netrun_platforms::getters::env::{Environment, after, number};
    let [env, cpu, memory] = out else {
        return Err(napalm::missing("show environment all", "outputs"));
    };
    for (c, o) in [
        ("show environment all", env),
        ("show processes cpu | include CPU utilization", cpu),
        ("show memory statistics", memory),
    ] {
        // A router without an environment monitor (IOSv) refuses the
        // command: no sensors, as NAPALM reports it; CPU and memory remain.
        if c.starts_with("show environment") && o.contains("% Invalid input") {
            continue;
        }
        check(c, o, ERRORS)?;
    }
    let env: &str = if env.contains("% Invalid input") {
        ""
    } else {
        env
    };
    let mut e = Environment::default();
    let mut switch = String::new();
    // A Catalyst temperature: name, value, yellow and red thresholds.
    let mut temp: Option<(String, f64, Option<f64>, Option<f64>)> = None;
    let flush = |e: &mut Environment, t: Option<(String, f64, Option<f64>, Option<f64>)>| {
        if let Some((name, c, yellow, red)) = t {
            e.temperature(
                &name,
                c,
                yellow.is_some_and(|y| c >= y),
                red.is_some_and(|r| c >= r),
            );
        }
    };
    let mut supplies = false;
    let mut isr_supply: Option<String> = None;
    let mut columns: Option<Vec<Option<usize>>> = None;
    for line in napalm::lines(env) {
        let t = line.trim();
        let w: Vec<&str> = t.split_whitespace().collect();
        if let Some((sw, _)) = t.split_once(": SYSTEM TEMPERATURE") {
            switch = sw.to_string();
        } else if let Some((name, state)) = t.split_once(" is ")
            && name.contains("FAN")
        {
            e.fan(name, state.trim() == "OK");
        } else if let Some((name, rest)) = t
            .split_once(" Temperature Value:")
            // Classic Catalyst (2960, 3750): one unnamed system sensor.
            .or_else(|| t.strip_prefix("Temperature Value:").map(|r| ("System", r)))
        {
            flush(&mut e, temp.take());
            let name = if switch.is_empty() {
                name.to_string()
            } else {
                format!("{switch} {name}")
            };
            temp = number(rest).map(|c| (name, c, None, None));
        } else if let Some((name, rest)) = t
            .split_once(" temperature = ")
            .or_else(|| t.split_once(" temperature: "))
            .filter(|(n, _)| !n.contains("warning"))
            && let Some(c) = number(rest)
        {
            // ISR G1/G2 (1900, 2800, 2900): `Internal-ambient temperature =
            // 25, Normal`; 3900: `CPU temperature: 50 Celsius, Normal`.
            let state = rest.rsplit(',').next().unwrap_or("").trim();
            let critical = ["Critical", "Shutdown"].iter().any(|s| state.contains(s));
            e.temperature(name.trim(), c, state != "Normal", critical);
        } else if let Some(fan) = isr_fan(&w) {
            e.fan(
                &fan,
                w[2].trim_end_matches(',') == "Normal" || w[2].starts_with("OK"),
            );
        } else if let Some((supply, state)) = t.split_once(" is ")
            && supply.split_whitespace().last().is_some_and(|w| {
                w.len() > 2 && w.starts_with("PS") && w[2..].bytes().all(|b| b.is_ascii_digit())
            })
        {
            // `SYS PS1 is present.`; its status lines follow.
            let ok = state.trim_end_matches('.') == "present";
            e.power(supply, ok, -1.0, -1.0);
            isr_supply = ok.then(|| supply.to_string());
        } else if let Some((_, state)) = t.split_once(" status: ")
            && let Some(supply) = &isr_supply
            && state.trim() != "Normal"
        {
            // `Input Voltage status: Fail` under a present supply.
            e.power(supply, false, -1.0, -1.0);
        } else if let Some(rest) = t.strip_prefix("Internal Power Supply ")
            && let Some((n, state)) = rest.split_once(" 12V Output Status:")
        {
            // 3900: `Internal Power Supply 1 12V Output Status: Normal`.
            e.power(
                &format!("Internal Power Supply {n}"),
                state.trim() == "Normal",
                -1.0,
                -1.0,
            );
        } else if t.starts_with("Yellow Threshold") {
            if let Some(t2) = temp.as_mut() {
                t2.2 = number(t.split_once(':').map_or("", |(_, v)| v));
            }
        } else if t.starts_with("Red Threshold") {
            if let Some(t2) = temp.as_mut() {
                t2.3 = number(t.split_once(':').map_or("", |(_, v)| v));
            }
        } else if let Some(state) = t.strip_prefix("POWER is ") {
            // Classic 2960: the built-in supply as one status line.
            e.power("POWER", state.trim() == "OK", -1.0, -1.0);
        } else if w.first() == Some(&"SW") && w.get(1) == Some(&"PID") {
            supplies = true;
        } else if supplies && !t.starts_with("--") {
            if w.len() < 2 {
                supplies = false;
            } else if t.contains("Not Present") {
                e.power(w[0], false, -1.0, -1.0);
            } else if w.len() >= 7 {
                // Watts: `715`, or `350/0` (system/PoE) on a 3750-X.
                let capacity = number(w[w.len() - 1]).unwrap_or(-1.0);
                e.power(w[0], w[3] == "OK", capacity, -1.0);
            } else if w.len() == 3 && w[1] == "Built-in" {
                // Classic 3750 fixed supply: `1   Built-in   Good`.
                e.power(w[0], w[2] == "Good", -1.0, -1.0);
            }
        } else if t.contains("Current State") && t.contains("Reading") {
            // Router sensor table: columns from its header.
            columns = Some(
                ["Sensor", "Current State", "Reading", "Threshold"]
                    .iter()
                    .map(|h| line.find(h))
                    .collect(),
            );
        } else if let Some([Some(sensor), Some(state), Some(reading), limits]) =
            columns.as_deref().map(|c| [c[0], c[1], c[2], c[3]])
        {
            let cell = |a: usize, b: Option<usize>| {
                line.get(a..b.unwrap_or(line.len()).min(line.len()))
                    .unwrap_or("")
                    .trim()
            };
            let (slot, name) = (cell(0, Some(sensor)), cell(sensor, Some(state)));
            let (state, value) = (cell(state, Some(reading)), cell(reading, limits));
            let ok = state.eq_ignore_ascii_case("Normal");
            let name = format!("{slot} {name}");
            if name.contains("RPM:") {
                e.fan(&name, ok);
            } else if name.contains("Temp:")
                && let Some(c) = number(value)
            {
                // `(45 ,55 ,65 ,70 )(Celsius)`: minor, major, critical, shutdown.
                let bounds: Vec<Option<f64>> = limits
                    .and_then(|l| line.get(l..))
                    .and_then(|l| l.trim().strip_prefix('('))
                    .and_then(|l| l.split_once(')'))
                    .map(|(l, _)| l.split(',').map(number).collect())
                    .unwrap_or_default();
                let bound = |i: usize| bounds.get(i).copied().flatten();
                let alert = !ok || bound(0).is_some_and(|m| c >= m);
                e.temperature(&name, c, alert, bound(2).is_some_and(|m| c >= m));
            }
        }
    }
    flush(&mut e, temp.take());
    if let Some(u) = after(&napalm::lines(cpu), "one minute:") {
        e.cpu(0, u);
    }
    if let Some(row) = napalm::lines(memory)
        .into_iter()
        .find(|l| l.trim_start().starts_with("Processor"))
    {
        // Processor, head (hex), total, used, free, lowest, largest.
        let n: Vec<i64> = row
            .split_whitespace()
            .skip(2)
            .filter_map(|w| w.parse().ok())
            .collect();
        if n.len() >= 2 {
            e.memory(n[0], n[1]);
        }
    }
    Ok(e.json())
}
