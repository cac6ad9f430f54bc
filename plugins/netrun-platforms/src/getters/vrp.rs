//! Huawei VRP getters (VRP5 S-series switches, VRP8 CE / NE series).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use netrun_guest::text::{column_starts, columns};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "display version",
            "display current-configuration | include sysname",
            "display esn",
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
        name: "interfaces_ip",
        commands: &["display ip interface brief"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["display lldp neighbor brief"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["display lldp neighbor"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["display arp all"],
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
        name: "bgp_neighbors",
        commands: &["display bgp peer"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "display fan",
            "display power",
            "display temperature all",
            "display cpu-usage",
            "display memory-usage",
        ],
        build: environment,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &[
    "Error: Unrecognized command",
    "Error: Wrong parameter",
    "Error: Incomplete command",
    "Error: Too many parameters",
];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, sysname, esn, brief] = out else {
        return Err(missing("display version", "outputs"));
    };
    check("display version", version, ERRORS)?;
    let vlines = lines(version);
    // `VRP (R) software, Version 8.180 (CE6850EI V200R005C10SPC800)`
    let release = vlines
        .iter()
        .find_map(|l| l.split_once("VRP (R) software, Version ").map(|(_, v)| v))
        .ok_or_else(|| missing("display version", "`VRP (R) software, Version` line"))?;
    let os_version = release
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .and_then(|(r, _)| r.split_whitespace().last())
        .unwrap_or_else(|| release.split_whitespace().next().unwrap_or(release));
    // `HUAWEI CE6850-48S6Q-HI uptime is 125 days, 3 hours, 25 minutes`,
    // `HUAWEI S5700-28C-EI-24S Routing Switch uptime is 0 week, 1 day, …`
    let uptime_line = vlines
        .iter()
        .find(|l| l.contains(" uptime is "))
        .ok_or_else(|| missing("display version", "`… uptime is` line"))?;
    let (device, up) = uptime_line
        .split_once(" uptime is ")
        .unwrap_or((uptime_line, ""));
    let model = device
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let name = lines(sysname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("sysname ").map(str::trim))
        .ok_or_else(|| {
            missing(
                "display current-configuration | include sysname",
                "`sysname` line",
            )
        })?;
    // `ESN of slot 1: 2102351931P0J1000123`, `ESN of master: 2102…`, `ESN: 2102…`
    let serial = lines(esn)
        .into_iter()
        .find(|l| l.contains("ESN"))
        .and_then(|l| l.rsplit(':').next())
        .map(str::trim)
        .unwrap_or("");
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Huawei",
        model: &model,
        serial_number: serial,
        os_version,
        uptime: napalm::duration(up),
        interface_list: interface_names(brief)?,
    }
    .json())
}

/// Interfaces of `display interface brief`; members listed again under
/// their Eth-Trunk count once.
fn interface_names(output: &str) -> Result<Vec<String>, ParseError> {
    let command = "display interface brief";
    check(command, output, ERRORS)?;
    let (_, rows) = napalm::table(command, output, "Interface", &["PHY"])?;
    let mut names: Vec<String> = Vec::new();
    for line in rows {
        if let Some(name) = line.split_whitespace().next()
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display ip interface brief";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Interface", &["IP Address/Mask"])?;
    let mut map = Map::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 2
            && let Some((addr, len)) = napalm::cidr(words[1])
        {
            napalm::add_ip(&mut map, words[0], &addr, len);
        }
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display lldp neighbor brief";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Local Intf", &["Neighbor Dev"])?;
    let mut map = Map::new();
    for line in rows {
        // Local interface, neighbour system name, neighbour port, expiry.
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 4 && words[words.len() - 1].parse::<u32>().is_ok() {
            let port = words[words.len() - 2];
            let device = words[1..words.len() - 2].join(" ");
            napalm::add_lldp(&mut map, words[0], &device, port);
        }
    }
    Ok(Value::Object(map))
}

/// `display mac-address`: V200R `MAC Address  VLAN/VSI/BD  Learned-From
/// Type`, VRP 8 adding `Age`, V100R `MAC Address  VLAN/VSI/SI  PEVLAN
/// CEVLAN  Port  Type  LSP/LSR-ID`: the type is the first word after the
/// VLAN made of letters, the port the word before it.
fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display mac-address";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "MAC Address", &["VLAN"])?;
    let mut entries = Vec::new();
    for line in rows {
        let w: Vec<&str> = line.split_whitespace().collect();
        let Some(vlan) = w
            .get(1)
            .and_then(|v| v.split('/').next())
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        let is_type = |x: &&str| {
            x.starts_with(|c: char| c.is_ascii_alphabetic())
                && !x.contains(|c: char| c.is_ascii_digit())
        };
        let Some(at) = w.iter().skip(3).position(is_type).map(|i| i + 3) else {
            continue;
        };
        entries.extend(napalm::mac_entry(w[0], w[at - 1], vlan, w[at] == "static"));
    }
    Ok(json!(entries))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "display arp all";
    check(command, out[0], ERRORS)?;
    let (header, rows) = napalm::table(command, out[0], "IP ADDRESS", &["MAC ADDRESS"])?;
    let starts = column_starts(
        header,
        &[
            "IP ADDRESS",
            "MAC ADDRESS",
            "EXPIRE(M)",
            "TYPE",
            "INTERFACE",
        ],
    )
    .ok_or_else(|| missing(command, "ARP table columns"))?;
    let mut entries = Vec::new();
    for line in rows {
        let cols = columns(line, &starts);
        if cols[0].parse::<std::net::Ipv4Addr>().is_err() || napalm::mac(cols[1]).is_none() {
            continue;
        }
        // The interface column may run into the VPN instance after it.
        let interface = cols[4].split_whitespace().next().unwrap_or("");
        let age = cols[2].parse::<f64>().ok().map(|m| m * 60.0);
        entries.push(napalm::arp(interface, cols[1], cols[0], age));
    }
    Ok(json!(entries))
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::vrp("display interface", out[0], ERRORS)
}

/// `display bgp peer`: `Peer V AS MsgRcvd MsgSent OutQ Up/Down State
/// PrefRcv`; a state may be two words (`No neg`).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::display_peers("display bgp peer", out[0], ERRORS, |w| {
        (w.len() >= 9).then(|| super::bgp::DisplayRow {
            ip: w[0],
            remote_as: w[2],
            up_down: w[6],
            state: w[7..w.len() - 1].join(" "),
            received: w[w.len() - 1],
            admin_down: false,
        })
    })
}

/// `display lldp neighbor`: `GE0/0/1 has 1 neighbor(s):`, then per
/// neighbour from `Neighbor index :1` lines `Key   :value`; the system
/// description runs on over the lines after its key.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::key_value_blocks(
        "display lldp neighbor",
        out[0],
        ERRORS,
        |l| {
            let (name, rest) = l.split_once(" has ")?;
            (rest.contains("neighbor") && !name.contains(' ')).then(|| name.to_string())
        },
        |l| l.trim_start().starts_with("Neighbor index"),
        super::lldp::KEY_VALUE_FIELDS,
    )
}

/// The rows under a dashed line after a header holding `key`, as words,
/// with the header's words.
fn dashed_table<'a>(output: &'a str, key: &str) -> Option<(Vec<&'a str>, Vec<Vec<&'a str>>)> {
    let all = lines(output);
    let at = all.iter().position(|l| l.contains(key))?;
    let header: Vec<&str> = all[at].split_whitespace().collect();
    let rows = all[at + 1..]
        .iter()
        .filter(|l| !l.trim_start().starts_with('-') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() >= 3)
        .collect();
    Some((header, rows))
}

/// `display fan` (`Slot FanID … Status …`, or S-series `… Present …`),
/// `display power` (`Slot PowerID Online Mode State Power(W)`), `display
/// temperature all` (`Slot Card Sensor Status Current(C) Lower(C) …
/// Upper(C) …`), `display cpu-usage` (`CPU utilization for five seconds:
/// N%`) and `display memory-usage` (`System Total Memory Is: N bytes`,
/// `Total Memory Used Is: N bytes`).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, after, number};
    let [fan, power, temp, cpu, memory] = out else {
        return Err(missing("display fan", "outputs"));
    };
    for (c, o) in [
        ("display fan", fan),
        ("display power", power),
        ("display temperature all", temp),
        ("display cpu-usage", cpu),
        ("display memory-usage", memory),
    ] {
        check(c, o, ERRORS)?;
    }
    let col = |header: &[&str], name: &str| header.iter().position(|h| h.starts_with(name));
    let mut e = Environment::default();
    if let Some((header, rows)) = dashed_table(fan, "FanID") {
        let status = col(&header, "Status");
        let present = col(&header, "Present");
        for w in rows {
            let ok = match (status, present) {
                (Some(i), _) => w.get(i).is_some_and(|s| s.eq_ignore_ascii_case("Normal")),
                (None, Some(i)) => w.get(i).is_some_and(|s| s.eq_ignore_ascii_case("YES")),
                _ => false,
            };
            e.fan(&format!("{}-{}", w[0], w[1]), ok);
        }
    }
    if let Some((header, rows)) = dashed_table(power, "PowerID") {
        let state = col(&header, "State");
        let watts = col(&header, "Power(W)").or_else(|| col(&header, "RealPwr(W)"));
        for w in rows {
            let ok = state
                .and_then(|i| w.get(i))
                .is_some_and(|s| s.eq_ignore_ascii_case("Supply"));
            let capacity = watts
                .and_then(|i| w.get(i))
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1.0);
            e.power(&format!("{}-{}", w[0], w[1]), ok, capacity, -1.0);
        }
    }
    if let Some((header, rows)) = dashed_table(temp, "Current(C)") {
        let (cur, upper, status) = (
            col(&header, "Current"),
            col(&header, "Upper"),
            col(&header, "Status"),
        );
        for w in rows {
            let Some(c) = cur.and_then(|i| w.get(i)).and_then(|v| number(v)) else {
                continue;
            };
            let normal = status
                .and_then(|i| w.get(i))
                .is_some_and(|s| s.eq_ignore_ascii_case("NORMAL"));
            let high = upper.and_then(|i| w.get(i)).and_then(|v| number(v));
            e.temperature(
                &if w[1] == "-" {
                    format!("{}-{}", w[0], w[2])
                } else {
                    format!("{}-{}-{}", w[0], w[1], w[2])
                },
                c,
                !normal,
                high.is_some_and(|h| c >= h),
            );
        }
    }
    let usage = lines(cpu);
    if let Some(u) =
        after(&usage, "five seconds:").or_else(|| after(&usage, "CPU Usage            :"))
    {
        e.cpu(0, u);
    }
    let mem = lines(memory);
    if let (Some(total), Some(used)) = (
        after(&mem, "Total Memory Is:"),
        after(&mem, "Memory Used Is:"),
    ) {
        e.memory(total as i64, used as i64);
    }
    Ok(e.json())
}
