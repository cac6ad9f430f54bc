//! Juniper Junos getters, from the operational-mode CLI text.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show version",
            "show chassis hardware",
            "show system uptime",
            "show interfaces terse",
        ],
        build: facts,
    },
    Getter {
        name: "interfaces",
        commands: &["show interfaces"],
        build: interfaces,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interfaces terse"],
        build: interfaces_ip,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["show lldp neighbors"],
        build: lldp_neighbors,
    },
    Getter {
        name: "arp_table",
        commands: &["show arp no-resolve expiration-time"],
        build: arp_table,
    },
];

const ERRORS: &[&str] = &["syntax error", "unknown command", "error: "];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, hardware, uptime, terse] = out else {
        return Err(missing("show version", "outputs"));
    };
    check("show version", version, ERRORS)?;
    check("show chassis hardware", hardware, ERRORS)?;
    let field = |name: &str| {
        lines(version)
            .into_iter()
            .find_map(|l| l.strip_prefix(name).map(str::trim))
    };
    let hostname = field("Hostname:").ok_or_else(|| missing("show version", "`Hostname:` line"))?;
    // `Junos: 21.4R3.15` since 15.1; before, the base OS package's `[12.3R12.4]`.
    let os_version = field("Junos:")
        .map(str::to_string)
        .or_else(|| {
            lines(version).into_iter().find_map(|l| {
                let upper = l.to_ascii_uppercase();
                (upper.starts_with("JUNOS")
                    && (upper.contains("SOFTWARE RELEASE") || upper.contains("BASE OS BOOT")))
                .then(|| {
                    l.split_once('[')?
                        .1
                        .split_once(']')
                        .map(|(v, _)| v.to_string())
                })
                .flatten()
            })
        })
        .ok_or_else(|| missing("show version", "`Junos:` line or JUNOS release"))?;
    let chassis = lines(hardware)
        .into_iter()
        .find(|l| l.starts_with("Chassis"))
        .ok_or_else(|| missing("show chassis hardware", "`Chassis` row"))?;
    // `Chassis                                JN1234567ABC      MX204`
    let words: Vec<&str> = chassis.split_whitespace().collect();
    let serial = words.get(1).copied().unwrap_or("");
    // A virtual chassis describes itself as such: the member's model is in `Model:`.
    let model = match words.get(2..) {
        Some(rest) if !rest.is_empty() && rest.join(" ") != "Virtual Chassis" => rest.join(" "),
        _ => field("Model:").unwrap_or("").to_ascii_uppercase(),
    };
    let uptime = lines(uptime)
        .into_iter()
        .find_map(|l| l.strip_prefix("System booted:"))
        .and_then(|l| l.split_once('(')?.1.split_once(')').map(|(d, _)| d))
        .and_then(napalm::duration);
    let interface_list = terse_rows(terse)?
        .into_iter()
        .filter(|r| !r.name.contains('.'))
        .map(|r| r.name.to_string())
        .collect();
    Ok(Facts {
        hostname,
        fqdn: hostname,
        vendor: "Juniper",
        model: &model,
        serial_number: serial,
        os_version: &os_version,
        uptime,
        interface_list,
    }
    .json())
}

/// One interface of `show interfaces terse` with its addresses.
struct TerseRow<'a> {
    name: &'a str,
    addresses: Vec<(String, u32)>,
}

fn terse_rows(output: &str) -> Result<Vec<TerseRow<'_>>, ParseError> {
    check("show interfaces terse", output, ERRORS)?;
    let (_, lines) = napalm::table(
        "show interfaces terse",
        output,
        "Interface",
        &["Admin", "Link"],
    )?;
    let mut rows: Vec<TerseRow> = Vec::new();
    let mut family = "";
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(' ') {
            rows.push(TerseRow {
                name: words[0],
                addresses: Vec::new(),
            });
            family = "";
            // name, admin, link: the protocol and address follow.
            words.drain(..words.len().min(3));
        }
        if let Some(first) = words.first()
            && napalm::cidr(first).is_none()
        {
            family = first;
            words.remove(0);
        }
        let Some(row) = rows.last_mut() else {
            return Err(missing(
                "show interfaces terse",
                "interface before its addresses",
            ));
        };
        if matches!(family, "inet" | "inet6")
            && let Some(local) = words.first()
            && let Some(addr) = napalm::cidr(local)
        {
            row.addresses.push(addr);
        }
    }
    Ok(rows)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for row in terse_rows(out[0])? {
        for (addr, len) in &row.addresses {
            napalm::add_ip(&mut map, row.name, addr, *len);
        }
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show lldp neighbors";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "Local Interface", &["Chassis Id"])?;
    let mut map = Map::new();
    for line in rows {
        // Local interface, parent, chassis id, port info, then the system name (may hold blanks).
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 5 {
            continue;
        }
        napalm::add_lldp(&mut map, words[0], &words[4..].join(" "), words[3]);
    }
    Ok(Value::Object(map))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show arp no-resolve expiration-time";
    check(command, out[0], ERRORS)?;
    let (_, rows) = napalm::table(command, out[0], "MAC Address", &["Interface"])?;
    let mut entries = Vec::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 3 || napalm::mac(words[0]).is_none() {
            continue;
        }
        // MAC, address, interface, flags, TTE (seconds left).
        let age = words.get(4).and_then(|t| t.parse::<f64>().ok());
        entries.push(napalm::arp(words[2], words[0], words[1], age));
    }
    Ok(json!(entries))
}

/// Physical interfaces and their logical units, as NAPALM's junos driver
/// returns them: a unit has no MAC, speed or MTU of its own (`""`, -1, 0);
/// `MTU: Unlimited` is 0; `last_flapped` is the seconds of `(… ago)`.
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    super::ifaces::interfaces(
        "show interfaces",
        out[0],
        ERRORS,
        "`Physical interface:` blocks",
        |l| {
            l.starts_with("Physical interface: ")
                || l.trim_start().starts_with("Logical interface ")
        },
        |b| {
            let description = b.after("Description:").unwrap_or("");
            if let Some(rest) = b.header.strip_prefix("Physical interface: ") {
                // `ge-0/0/1, Administratively down, Physical link is Down`
                let mut parts = rest.split(',').map(str::trim);
                let name = parts.next()?;
                let enabled = parts.next().is_some_and(|p| p == "Enabled");
                let is_up = rest.contains("Physical link is Up");
                let speed = b.word_after("Speed").and_then(napalm::speed_mbit);
                let mtu = b.word_after("MTU").and_then(|m| m.parse().ok());
                let mac = b
                    .after("Current address:")
                    .and_then(|m| m.split(',').next())
                    .unwrap_or("");
                // `Last flapped   : 2023-01-10 08:12:33 UTC (12w3d 04:11 ago)` or `Never`.
                let flapped = b
                    .after("Last flapped")
                    .and_then(|f| f.split_once('(')?.1.strip_suffix(')'))
                    .and_then(napalm::duration);
                let v = napalm::interface(is_up, enabled, description, speed, mtu, mac);
                return Some((name.to_string(), super::ifaces::flapped(v, flapped)));
            }
            // `  Logical interface ge-0/0/0.0 (Index 334) (SNMP ifIndex 527)`,
            // then `    Flags: Up SNMP-Traps 0x4004000 Encapsulation: ENET2`.
            let name = b
                .header
                .trim_start()
                .strip_prefix("Logical interface ")?
                .split_whitespace()
                .next()?;
            let flags: Vec<&str> = b.after("Flags:").unwrap_or("").split_whitespace().collect();
            let is_up = flags.contains(&"Up");
            let enabled = !flags.contains(&"Down");
            Some((
                name.to_string(),
                napalm::interface(is_up, enabled, description, None, None, ""),
            ))
        },
    )
}
