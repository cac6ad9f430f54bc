//! MikroTik RouterOS getters (v6 and v7), from `print` in terse form.

use super::lldp::{self, Detail};
use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "/system identity print",
            "/system resource print",
            "/system routerboard print",
            "/interface print terse",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["/interface print terse"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["/ip address print terse"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "bgp_neighbors",
        commands: &["/routing bgp session print"],
        build: bgp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["/system health print", "/system resource print"],
        build: environment,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["/ip neighbor print terse"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["/ip neighbor print terse"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["/ip arp print terse"],
        build: arp_table,
        follow_up: None,
    },
];

const ERRORS: &[&str] = &[
    "bad command name",
    "syntax error",
    "expected end of command",
];

/// `key: value` pairs of a `print` of one item.
fn pairs(output: &str) -> Vec<(&str, &str)> {
    lines(output)
        .into_iter()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// `6w3d02:11:05`: RouterOS writes the clock part straight after the days.
fn uptime(text: &str) -> Option<u64> {
    let split = text
        .rfind(|c: char| c.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let (units, clock) = text.split_at(split);
    napalm::duration(&format!("{units} {clock}"))
}

/// `key=value` words of a terse row.
fn terse<'a>(row: &'a str, key: &str) -> Option<&'a str> {
    row.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [identity, resource, routerboard, interfaces] = out else {
        return Err(missing("/system identity print", "outputs"));
    };
    check("/system identity print", identity, ERRORS)?;
    check("/system resource print", resource, ERRORS)?;
    let identity = pairs(identity);
    let resource = pairs(resource);
    let board = pairs(routerboard);
    let find = |items: &Vec<(&str, &str)>, key: &str| {
        items
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    };
    let name =
        find(&identity, "name").ok_or_else(|| missing("/system identity print", "`name:`"))?;
    // `version: 7.11.2 (stable)`
    let version = find(&resource, "version")
        .ok_or_else(|| missing("/system resource print", "`version:`"))?;
    let os_version = version
        .split_whitespace()
        .next()
        .unwrap_or(&version)
        .to_string();
    // A CHR has no RouterBOARD (`routerboard: no`): the model is the board name.
    let model = find(&board, "model")
        .or_else(|| find(&resource, "board-name"))
        .unwrap_or_default();
    let serial = find(&board, "serial-number").unwrap_or_default();
    check("/interface print terse", interfaces, ERRORS)?;
    let interface_list = lines(interfaces)
        .into_iter()
        .filter_map(|l| terse(l, "name"))
        .map(str::to_string)
        .collect();
    Ok(Facts {
        hostname: &name,
        fqdn: &name,
        vendor: "MikroTik",
        model: &model,
        serial_number: &serial,
        os_version: &os_version,
        uptime: find(&resource, "uptime").and_then(|u| uptime(&u)),
        interface_list,
    }
    .json())
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "/ip address print terse";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    // ` 0   address=203.0.113.30/29 network=203.0.113.24 interface=ether1 actual-interface=ether1`
    for row in lines(out[0]) {
        if let (Some(address), Some(interface)) = (terse(row, "address"), terse(row, "interface"))
            && let Some((addr, len)) = napalm::cidr(address)
        {
            napalm::add_ip(&mut map, interface, &addr, len);
        }
    }
    Ok(Value::Object(map))
}

/// Rows of `/interface print terse`: flags between the item number and the
/// first `key=value` (`R` running, `X` disabled), `actual-mtu`,
/// `mac-address`, `comment` (the description). RouterOS prints no speed here
/// (-1), and `last-link-up-time` is a date, not an age (-1).
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let command = "/interface print terse";
    check(command, out[0], ERRORS)?;
    let mut map = serde_json::Map::new();
    for row in lines(out[0]) {
        let Some(name) = terse(row, "name") else {
            continue;
        };
        let flags: String = row
            .split_whitespace()
            .skip(1)
            .take_while(|w| !w.contains('='))
            .collect();
        // `comment=to core 1 name=…`: the value runs to the next key.
        let comment = row
            .split_once("comment=")
            .map(|(_, c)| {
                let end = c
                    .match_indices(' ')
                    .find(|(i, _)| {
                        c[i + 1..]
                            .split_once('=')
                            .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' '))
                    })
                    .map_or(c.len(), |(i, _)| i);
                c[..end].trim_matches('"')
            })
            .unwrap_or("");
        map.insert(
            name.to_string(),
            napalm::interface(
                flags.contains('R'),
                !flags.contains('X'),
                comment,
                None,
                terse(row, "actual-mtu").and_then(|m| m.parse().ok()),
                terse(row, "mac-address").unwrap_or(""),
            ),
        );
    }
    if map.is_empty() {
        return Err(missing(command, "`name=` rows"));
    }
    Ok(Value::Object(map))
}

/// RouterOS 7 `/routing bgp session print`: per session a line `N E
/// name="…"` (flag `E` when established) and `key=value` words over the
/// following lines, where `.as=` continues the key before it (`remote.address=A
/// .as=N .id=R`, `local.as=N .id=R`, `uptime=4m7s690ms`, `prefix-count=N`).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    use super::bgp;
    let command = "/routing bgp session print";
    check(command, out[0], ERRORS)?;
    let mut n = bgp::Neighbors::default();
    let mut sessions: Vec<(bool, Vec<(String, String)>)> = Vec::new();
    for line in lines(out[0]) {
        let mut words = line.split_whitespace().peekable();
        // A new session: its number, then its flags (if any), then `name=`.
        if let Some(first) = words.peek()
            && first.parse::<u32>().is_ok()
        {
            words.next();
            let flags = match words.peek() {
                Some(w) if !w.contains('=') => words.next().unwrap_or(""),
                _ => "",
            };
            sessions.push((flags.contains('E'), Vec::new()));
        }
        let Some((_, pairs)) = sessions.last_mut() else {
            continue;
        };
        let mut section = String::new();
        for w in words {
            let Some((k, v)) = w.split_once('=') else {
                continue;
            };
            let key = match k.strip_prefix('.') {
                Some(sub) => format!("{section}.{sub}"),
                None => {
                    section = k.split('.').next().unwrap_or(k).to_string();
                    k.to_string()
                }
            };
            pairs.push((key, v.trim_matches('"').to_string()));
        }
    }
    for (established, pairs) in sessions {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let Some(ip) = get("remote.address") else {
            return Err(missing(command, "`remote.address=` of each session"));
        };
        // `10.0.0.1` or, for a range or a port, `10.0.0.1/32`.
        let ip = ip.split('/').next().unwrap_or(ip);
        let mut p = bgp::Peer::new(ip);
        p.remote_as = get("remote.as").and_then(bgp::asn).unwrap_or(-1);
        p.local_as = get("local.as").and_then(bgp::asn).unwrap_or(-1);
        p.remote_id = get("remote.id").unwrap_or("").to_string();
        p.is_up = established;
        // `4m7s690ms`: the milliseconds are dropped.
        p.uptime = get("uptime")
            .map(|u| match u.strip_suffix("ms") {
                Some(rest) => rest.trim_end_matches(|c: char| c.is_ascii_digit()),
                None => u,
            })
            .and_then(uptime)
            .map_or(-1, |s| s as i64);
        if established {
            p.received = get("prefix-count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1);
        }
        n.vrf(bgp::GLOBAL, get("local.id").unwrap_or(""));
        n.add(p);
    }
    Ok(n.json())
}

/// Bytes of a RouterOS size (`1024.0MiB`, `1.5GiB`, `512KiB`).
fn bytes(text: &str) -> Option<i64> {
    let unit = [("KiB", 1u64 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)]
        .iter()
        .find_map(|(u, m)| text.strip_suffix(u).map(|n| (n, *m)));
    let (n, m) = unit.unwrap_or((text, 1));
    Some((n.trim().parse::<f64>().ok()? * m as f64) as i64)
}

/// `/system health print`: RouterOS 7 rows `# NAME VALUE TYPE`
/// (`cpu-temperature 44 C`, `fan1-speed 4920 RPM`, `psu1-state ok`),
/// RouterOS 6 `temperature: 45C` pairs; `/system resource print`:
/// `cpu-load: 5%`, `total-memory` and `free-memory`.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let [health, resource] = out else {
        return Err(missing("/system health print", "outputs"));
    };
    check("/system health print", health, ERRORS)?;
    check("/system resource print", resource, ERRORS)?;
    let mut e = Environment::default();
    let sensor = |e: &mut Environment, name: &str, value: &str, kind: &str| {
        if kind == "C" || name.contains("temperature") {
            if let Some(c) = number(value) {
                e.temperature(name, c, false, false);
            }
        } else if kind == "RPM" || (name.contains("fan") && name.ends_with("speed")) {
            e.fan(name, number(value).is_some_and(|r| r > 0.0));
        } else if name.starts_with("psu") && name.ends_with("state") {
            e.power(name.trim_end_matches("-state"), value == "ok", -1.0, -1.0);
        }
    };
    let rows = lines(health);
    if rows
        .iter()
        .any(|l| l.trim_start().starts_with('#') && l.contains("NAME"))
    {
        for line in rows {
            let w: Vec<&str> = line.split_whitespace().collect();
            if w.len() >= 3 && w[0].parse::<u32>().is_ok() {
                sensor(&mut e, w[1], w[2], w.get(3).copied().unwrap_or(""));
            }
        }
    } else {
        for (k, v) in pairs(health) {
            sensor(&mut e, k, v, "");
        }
    }
    let res = pairs(resource);
    let get = |k: &str| res.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    if let Some(load) = get("cpu-load").and_then(number) {
        e.cpu(0, load);
    }
    if let (Some(total), Some(free)) = (
        get("total-memory").and_then(bytes),
        get("free-memory").and_then(bytes),
    ) {
        e.memory(total, total - free);
    }
    Ok(e.json())
}

/// `/ip arp print terse`: `address= mac-address= interface=` per entry; an
/// unanswered address has no `mac-address`. RouterOS shows no age.
fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "/ip arp print terse";
    check(command, out[0], ERRORS)?;
    let entries: Vec<Value> = lines(out[0])
        .into_iter()
        .filter_map(|row| {
            let ip = terse(row, "address")?;
            let mac = terse(row, "mac-address").filter(|m| napalm::mac(m).is_some())?;
            let interface = terse(row, "interface").unwrap_or("");
            Some(napalm::arp(interface, mac, ip, None))
        })
        .collect();
    Ok(serde_json::json!(entries))
}

/// The value of `key=` in a terse row, up to the next ` key=` (an identity
/// or platform may hold spaces), without quotes.
fn terse_spaced<'a>(row: &'a str, key: &str) -> Option<&'a str> {
    let at = row
        .match_indices(&format!("{key}="))
        .find(|(i, _)| *i == 0 || row[..*i].ends_with(' '))?
        .0;
    let rest = &row[at + key.len() + 1..];
    let end = rest
        .match_indices(' ')
        .map(|(i, _)| i)
        .find(|&i| {
            let next = &rest[i + 1..];
            let word = next.split(' ').next().unwrap_or("");
            word.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
        })
        .unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('"'))
}

/// `/ip neighbor print terse`: the neighbours RouterOS discovery found
/// (MNDP, CDP and LLDP); the local port is the first of `interface=`
/// (v7 adds the bridge: `ether2,bridge`), the remote port `interface-name=`,
/// the chassis ID `mac-address=`. `print detail` shows the same fields,
/// wrapped over lines; terse keeps a neighbour on one line. RouterOS shows
/// no port description.
fn lldp_details(output: &str) -> Result<Vec<Detail>, ParseError> {
    let command = "/ip neighbor print terse";
    check(command, output, ERRORS)?;
    let mut found = Vec::new();
    for row in lines(output) {
        let Some(local) = terse(row, "interface") else {
            continue;
        };
        let text = |key: &str| terse_spaced(row, key).unwrap_or("").to_string();
        found.push(Detail {
            local: local.split(',').next().unwrap_or(local).to_string(),
            remote_port: text("interface-name"),
            remote_chassis_id: text("mac-address"),
            remote_system_name: text("identity"),
            remote_system_description: text("system-description"),
            capab: lldp::capabilities(&text("system-caps")),
            enable_capab: lldp::capabilities(&text("system-caps-enabled")),
            ..Default::default()
        });
    }
    Ok(found)
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for n in lldp_details(out[0])? {
        napalm::add_lldp(&mut map, &n.local, &n.remote_system_name, &n.remote_port);
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    Ok(lldp::json(lldp_details(out[0])?))
}
