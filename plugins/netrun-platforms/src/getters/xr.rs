//! Cisco IOS XR getters (classic XR 6.x on ASR 9000, eXR 7.x on NCS 5500,
//! Cisco 8000, XRd). Every output starts with a timestamp line, which
//! [`napalm::lines`] drops.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show version",
            "show running-config hostname",
            "show inventory",
            "show interfaces brief",
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
        commands: &["show ipv4 interface"],
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
        commands: &["show arp"],
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
        commands: &[
            "show environment temperature",
            "show environment fan",
            "show environment power",
            "show processes cpu",
            "show memory summary",
        ],
        build: environment,
        follow_up: None,
    },
];

/// The abbreviations of `show interfaces brief`.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("BE", "Bundle-Ether"),
    ("BV", "BVI"),
    ("FH", "FourHundredGigE"),
    ("Fo", "FortyGigE"),
    ("Gi", "GigabitEthernet"),
    ("Hu", "HundredGigE"),
    ("Lo", "Loopback"),
    ("Mg", "MgmtEth"),
    ("Nu", "Null"),
    ("TF", "TwentyFiveGigE"),
    ("Te", "TenGigE"),
    ("tt", "tunnel-te"),
    ("ti", "tunnel-ip"),
];

const ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% This command is not authorized",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hostname, inventory, brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    check("show version", version, ERRORS)?;
    check("show inventory", inventory, ERRORS)?;
    let vlines = lines(version);
    // `Cisco IOS XR Software, Version 7.5.2` / `… Version 6.4.2[Default]`.
    let os_version = vlines
        .iter()
        .find_map(|l| l.split_once("IOS XR Software, Version ").map(|(_, v)| v))
        .map(|v| v.split(['[', ' ']).next().unwrap_or(v).trim())
        .ok_or_else(|| missing("show version", "`Cisco IOS XR Software, Version` line"))?;
    let uptime = vlines
        .iter()
        .find_map(|l| l.split_once(" uptime is ").map(|(_, u)| u))
        .and_then(napalm::duration);
    let name = lines(hostname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("hostname ").map(str::trim))
        .ok_or_else(|| missing("show running-config hostname", "`hostname` line"))?;
    let (model, serial) = chassis(inventory)?;
    let interface_list = lines(brief)
        .into_iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()) && !w.starts_with('-'))
        .map(|w| napalm::expand_interface(w, SHORT_NAMES))
        .collect();
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Cisco",
        model: &model,
        serial_number: &serial,
        os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// PID and SN of the chassis entry of `show inventory` (`Rack 0` on eXR,
/// `chassis …` on classic XR), else of the first entry.
fn chassis(output: &str) -> Result<(String, String), ParseError> {
    let lines = lines(output);
    let mut entries: Vec<(&str, &str)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.trim_start().starts_with("NAME:")
            && let Some(pid) = lines[i + 1..]
                .iter()
                .find(|p| p.trim_start().starts_with("PID:"))
        {
            entries.push((l, pid));
        }
    }
    let (_, pid_line) = entries
        .iter()
        .find(|(name, _)| {
            let n = name.to_ascii_lowercase();
            n.contains("\"rack 0\"") || n.contains("name: \"chassis") || n.contains("chassis\"")
        })
        .or(entries.first())
        .ok_or_else(|| missing("show inventory", "`NAME:` / `PID:` entry"))?;
    // `PID: NCS-5501           , VID: V01, SN: FOC2204R0AB`
    let field = |key: &str| {
        pid_line
            .split(',')
            .find_map(|f| f.trim().strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    Ok((field("PID:"), field("SN:")))
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show ipv4 interface";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    let mut current: Option<&str> = None;
    for line in lines(out[0]) {
        if !line.starts_with(' ') && line.contains(", ipv4 protocol is") {
            current = line.split_whitespace().next();
            continue;
        }
        // `  Internet address is 192.0.2.1/31`, `  Secondary address 192.0.2.101/31`
        let t = line.trim();
        let addr = t
            .strip_prefix("Internet address is ")
            .or_else(|| t.strip_prefix("Secondary address "));
        if let (Some(name), Some(addr)) = (current, addr)
            && let Some((a, len)) = napalm::cidr(addr.trim())
        {
            napalm::add_ip(&mut map, name, &a, len);
        }
    }
    if current.is_none() {
        return Err(missing(
            command,
            "`<interface> is …, ipv4 protocol is …` line",
        ));
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_lldp("show lldp neighbors", out[0], ERRORS)
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    // Address, age, MAC, state, type, interface; one table per line card.
    napalm::cisco_arp("show arp", out[0], ERRORS, 5)
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::cisco("show interfaces", out[0], ERRORS)
}

fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::cisco_summary("show bgp summary", out[0], ERRORS)
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::cisco_detail("show lldp neighbors detail", out[0], ERRORS)
}

/// 64-bit IOS XR (eXR 6.x/7.x) `show environment temperature` (a location
/// line, then per sensor its value and six thresholds: critical, major and
/// minor low, minor, major and critical high), `show environment fan`
/// (speeds in rpm per location; a fan at 0 rpm has stopped; the fans of
/// power modules, `0/PM0`, belong to the supplies), `show environment power`
/// (per module its input and output volts and amps and a status),
/// `show processes cpu` (the 5-minute figure) and `show memory summary`
/// (`Physical Memory: 16384M total (9943M available)`). XRv 9000 and XRd
/// have no sensors: a refused or empty sensor command gives none.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number, unless_refused};
    let [temp, fan, power, cpu, memory] = out else {
        return Err(missing("show environment temperature", "outputs"));
    };
    check("show processes cpu", cpu, ERRORS)?;
    check("show memory summary", memory, ERRORS)?;
    let mut e = Environment::default();
    let location =
        |w: &str| w.contains('/') && w.chars().next().is_some_and(|c| c.is_ascii_digit());
    let mut at = String::new();
    for l in lines(unless_refused(temp, ERRORS)) {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() == 1 && location(w[0]) {
            at = w[0].to_string();
            continue;
        }
        // Sensor, value, six thresholds (`NA` where none).
        if w.len() < 8 || at.is_empty() {
            continue;
        }
        let (name, figures) = w.split_at(w.len() - 7);
        let Some(value) = figures[0].parse::<f64>().ok() else {
            continue;
        };
        let high = |i: usize| figures[i].parse::<f64>().ok();
        e.temperature(
            &format!("{at} {}", name.join(" ")),
            value,
            high(4).is_some_and(|t| value >= t),
            high(6).is_some_and(|t| value >= t),
        );
    }
    let fans = lines(unless_refused(fan, ERRORS));
    let header = fans
        .iter()
        .find(|l| l.trim_start().starts_with("Location") && l.contains("FAN_"));
    if let Some(header) = header {
        let names: Vec<&str> = header
            .split_whitespace()
            .filter(|w| w.starts_with("FAN_"))
            .collect();
        for l in &fans {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 3 || !location(w[0]) || w[0].contains("PM") {
                continue;
            }
            for (name, speed) in names.iter().zip(&w[2..]) {
                if let Ok(rpm) = speed.parse::<f64>() {
                    e.fan(&format!("{} {name}", w[0]), rpm > 0.0);
                }
            }
        }
    }
    for l in lines(unless_refused(power, ERRORS)) {
        let w: Vec<&str> = l.split_whitespace().collect();
        // `0/PM0  NC55-1200W-ACFW  222.0  0.7  12.0  10.2  OK`
        if w.len() < 7 || !location(w[0]) || !w[0].contains("PM") {
            continue;
        }
        let figure = |i: usize| w.get(i).and_then(|v| v.parse::<f64>().ok());
        let output = match (figure(4), figure(5)) {
            (Some(v), Some(a)) => (v * a * 10.0).round() / 10.0,
            _ => -1.0,
        };
        // The supply's rating, from its type (`NC55-1200W-ACFW`).
        let capacity = w[1]
            .split('-')
            .find(|p| {
                p.ends_with('W')
                    && p.len() > 1
                    && p[..p.len() - 1].chars().all(|c| c.is_ascii_digit())
            })
            .and_then(number)
            .unwrap_or(-1.0);
        e.power(w[0], w[6] == "OK", capacity, output);
    }
    // `CPU utilization for one minute: 2%; five minutes: 3%; fifteen minutes: 3%`
    if let Some(u) = lines(cpu)
        .iter()
        .find_map(|l| l.split_once("five minutes:"))
        .and_then(|(_, rest)| number(rest))
    {
        e.cpu(0, u);
    }
    // `Physical Memory: 16384M total (9943M available)`
    if let Some((total, available)) = lines(memory).iter().find_map(|l| {
        let rest = l.trim().strip_prefix("Physical Memory:")?;
        let (total, available) = rest.split_once("total")?;
        Some((number(total)?, number(available)?))
    }) {
        let mib = 1024.0 * 1024.0;
        e.memory((total * mib) as i64, ((total - available) * mib) as i64);
    }
    Ok(e.json())
}
