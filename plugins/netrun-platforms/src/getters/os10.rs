//! Dell EMC SmartFabric OS10 getters (10.4 / 10.5).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show version",
            "show running-configuration | grep hostname",
            "show inventory",
            "show ip interface brief",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interface", "show ip interface brief"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show ip interface brief"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["show ip bgp summary"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &[
            "show environment",
            "show system",
            "show processes node-id 1",
        ],
        build: environment,
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
];

const ERRORS: &[&str] = &["% Error:"];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hostname, inventory, brief] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let get = |key: &str| {
        lines(version)
            .into_iter()
            .find_map(|l| l.strip_prefix(key).map(str::trim))
    };
    let os_version = get("OS Version:").ok_or_else(|| missing(command, "`OS Version:` line"))?;
    let name = lines(hostname)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("hostname "))
        .map(str::trim)
        .ok_or_else(|| {
            missing(
                "show running-configuration | grep hostname",
                "`hostname` line",
            )
        })?;
    // The stack master's row of `show inventory`, marked `*`: unit, type,
    // part number, revision, piece part ID, service tag (Dell's serial).
    let serial = lines(inventory)
        .into_iter()
        .find_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (words.first() == Some(&"*"))
                .then(|| words.get(6).copied())
                .flatten()
        })
        .unwrap_or("");
    let names = rows(brief)?.into_iter().map(|(n, _, _)| n).collect();
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Dell",
        model: get("System Type:").unwrap_or(""),
        serial_number: serial,
        os_version,
        // `Up Time: 6 weeks 3 days 02:11:05`
        uptime: get("Up Time:").and_then(napalm::duration),
        interface_list: names,
    }
    .json())
}

/// (interface, address, status) rows of `show ip interface brief`; names
/// hold a blank (`Ethernet 1/1/1`), the status may too (`admin down`).
fn rows(output: &str) -> Result<Vec<(String, String, String)>, ParseError> {
    let command = "show ip interface brief";
    check(command, output, ERRORS)?;
    let (_, lines) = napalm::table(command, output, "Interface Name", &["IP-Address"])?;
    Ok(lines
        .iter()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            // Name (2 words), address, OK?, method, status (1-2 words), protocol.
            let status = words
                .get(5..words.len().saturating_sub(1))
                .map(|w| w.join(" "));
            (words.len() >= 3 && !l.starts_with('=')).then(|| {
                (
                    format!("{} {}", words[0], words[1]),
                    words[2].to_string(),
                    status.unwrap_or_default(),
                )
            })
        })
        .collect())
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for (name, address, _) in rows(out[0])? {
        if address.contains('/')
            && let Some((addr, len)) = napalm::cidr(&address)
        {
            napalm::add_ip(&mut map, &name, &addr, len);
        }
    }
    Ok(Value::Object(map))
}

/// `show interface` blocks (`Ethernet 1/1/1 is up, line protocol is up`);
/// whether an interface is shut comes from the status column of `show ip
/// interface brief` (`admin down`), which every interface has.
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let [detail, brief] = out else {
        return Err(missing("show interface", "outputs"));
    };
    let admin_down: Vec<String> = rows(brief)?
        .into_iter()
        .filter(|(_, _, status)| status.starts_with("admin"))
        .map(|(name, _, _)| name)
        .collect();
    super::ifaces::interfaces(
        "show interface",
        detail,
        ERRORS,
        "`<interface> is up, line protocol is up` header lines",
        |l| !l.starts_with(' ') && l.contains(", line protocol is "),
        |b| {
            let (name, state) = b.header.split_once(" is ")?;
            let (_, protocol) = state.split_once("line protocol is ")?;
            let mac = b
                .after("Current address is")
                .or_else(|| {
                    b.after("Hardware is")
                        .and_then(|h| h.split("address is").nth(1))
                })
                .unwrap_or("");
            // `LineSpeed 25G, Auto-Negotiation off`; `LineSpeed auto` when down.
            let speed = b
                .after("LineSpeed")
                .and_then(|s| s.split(',').next())
                .and_then(napalm::speed_mbit);
            let v = napalm::interface(
                protocol.trim().starts_with("up"),
                !admin_down.iter().any(|n| n == name) && !state.starts_with("admin"),
                b.after("Description:").unwrap_or(""),
                speed,
                b.word_after("MTU").and_then(|m| m.parse().ok()),
                mac.trim(),
            );
            // `Time since last interface status change: 3 weeks 01:18:39`.
            let secs = b
                .after("Time since last interface status change:")
                .and_then(napalm::duration);
            let v = super::ifaces::flapped(v, secs);
            Some((name.to_string(), v))
        },
    )
}

/// `show ip bgp summary`: `BGP router identifier A local AS number N`, then
/// `Neighbor AS MsgRcvd MsgSent Up/Down State/Pfx`; the last column holds
/// the prefixes received of an established session, else its state.
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let command = "show ip bgp summary";
    check(command, out[0], ERRORS)?;
    let all = lines(out[0]);
    let router_id = bgp::labelled_in(&all, "router identifier")
        .ok_or_else(|| missing(command, "`BGP router identifier` line"))?;
    let local_as = bgp::labelled_in(&all, "local AS number")
        .and_then(bgp::asn)
        .unwrap_or(-1);
    let mut n = bgp::Neighbors::default();
    n.vrf(bgp::GLOBAL, router_id);
    if let Some(at) = all
        .iter()
        .position(|l| l.starts_with("Neighbor") && l.contains("State/Pfx"))
    {
        bgp::table_rows(&mut n, bgp::GLOBAL, local_as, &all[at + 1..], |w| {
            (w.len() >= 6).then(|| {
                let state = w[5..].join(" ");
                bgp::DisplayRow {
                    ip: w[0],
                    remote_as: w[1],
                    up_down: w[4],
                    state: if w[5].parse::<u64>().is_ok() {
                        "Established".into()
                    } else {
                        state
                    },
                    received: w[5],
                    admin_down: false,
                }
            })
        });
    }
    Ok(n.json())
}

/// `show environment` (the `Thermal sensors` table: unit, sensor id,
/// sensor name, °C; OS10 prints no thresholds, so none is in alert; where
/// only the unit table is printed, one temperature per unit), `show system`
/// (`-- Power Supplies --` rows `1  up  AC  NORMAL  1  13312  up`, a failed
/// or missing supply as `2  fail`; `-- Fan Status --` rows `1  up  NORMAL
/// 1  13195  up`, further fans of a tray on lines of their own, `2  13151
/// up`) and `show processes node-id 1` (a `top` snapshot).
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let [env, system, processes] = out else {
        return Err(missing("show environment", "outputs"));
    };
    check("show environment", env, ERRORS)?;
    check("show system", system, ERRORS)?;
    check("show processes node-id 1", processes, ERRORS)?;
    let mut e = Environment::default();
    let mut sensors = false;
    let mut units = Vec::new();
    for line in lines(env) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if line.trim_start().starts_with("Thermal sensors") {
            sensors = true;
        } else if w.len() >= 4
            && w[0].parse::<u32>().is_ok()
            && w[1].parse::<u32>().is_ok()
            && sensors
            && let Some(c) = number(w[w.len() - 1])
        {
            let name = w[2..w.len() - 1].join(" ");
            let name = if w[0] == "1" {
                name
            } else {
                format!("Unit {} {name}", w[0])
            };
            e.temperature(&name, c, false, false);
        } else if !sensors
            && w.len() == 3
            && w[0].parse::<u32>().is_ok()
            && let Some(c) = number(w[2])
        {
            units.push((format!("Unit {}", w[0]), c));
        }
    }
    if !sensors {
        for (name, c) in units {
            e.temperature(&name, c, false, false);
        }
    }
    let mut section = "";
    let mut tray = String::new();
    for line in lines(system) {
        let t = line.trim();
        if t.starts_with("-- ") {
            section = t;
            continue;
        }
        let w: Vec<&str> = t.split_whitespace().collect();
        if w.is_empty() || w[0].parse::<u32>().is_err() {
            continue;
        }
        if section.starts_with("-- Power Supplies") && w.len() != 3 {
            e.power(
                &format!("PSU {}", w[0]),
                w.get(1) == Some(&"up"),
                -1.0,
                -1.0,
            );
        } else if section.starts_with("-- Fan Status") {
            match w.len() {
                // Tray, status, airflow, fan, speed, fan status.
                6.. => {
                    tray = w[0].to_string();
                    e.fan(&format!("FanTray {} Fan {}", w[0], w[3]), w[5] == "up");
                }
                // Another fan of the tray above: fan, speed, status.
                3 if !tray.is_empty() => {
                    e.fan(&format!("FanTray {tray} Fan {}", w[0]), w[2] == "up")
                }
                // A tray that failed or is missing: `3  not-present`.
                _ => e.fan(&format!("FanTray {}", w[0]), false),
            }
        }
    }
    e.top(&lines(processes));
    Ok(e.json())
}

/// `show ip arp`: `Address  Hardware address  Interface  Egress Interface`
/// (a VLAN's entries name the VLAN, then the port). No age is shown.
fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let names = [
        "Address",
        "Hardware address",
        "Interface",
        "Egress Interface",
    ];
    let rows = super::neigh::rows("show ip arp", out[0], ERRORS, &names)?;
    Ok(super::neigh::arp(&rows, |r| Some((r[2], r[1], r[0], None))))
}

/// `show mac address-table`: `VlanId  Mac Address  Type  Interface`, the
/// Cisco column order.
fn mac_address_table(out: &[&str]) -> Result<Value, ParseError> {
    napalm::cisco_mac_table("show mac address-table", out[0], ERRORS)
}

/// `show lldp neighbors`: `Loc PortID  Rem Host Name  Rem Port Id  Rem
/// Chassis Id`.
fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let names = [
        "Loc PortID",
        "Rem Host Name",
        "Rem Port Id",
        "Rem Chassis Id",
    ];
    let rows = super::neigh::rows("show lldp neighbors", out[0], ERRORS, &names)?;
    Ok(super::neigh::lldp(&rows, |r| Some((r[0], r[1], r[2]))))
}

/// `show lldp neighbors detail`: a block of `Remote …: value` lines per
/// neighbour, ended by a dashed line; the description runs over several
/// lines (`Copyright …`, `OS Version: …`) up to the next field.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::blocks(
        "show lldp neighbors detail",
        out[0],
        ERRORS,
        super::lldp::dashed,
        &[
            ("local port id", "local"),
            ("remote chassis id", "remote_chassis_id"),
            ("remote port id", "remote_port"),
            ("remote port description", "remote_port_description"),
            ("remote system name", "remote_system_name"),
            ("remote system desc", "remote_system_description"),
            ("existing system capabilities", "remote_system_capab"),
            ("enabled system capabilities", "remote_system_enable_capab"),
        ],
        &[
            "Remote ",
            "Existing System",
            "Enabled System",
            "Local",
            "MAC PHY",
            "Port and Protocol",
            "Information valid",
            "Time since",
        ],
    )
}
