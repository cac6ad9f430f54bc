//! MikroTik RouterOS getters (v6 and v7), from `print` in terse form.

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
    },
    Getter {
        name: "interfaces",
        commands: &["/interface print terse"],
        build: interfaces,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["/ip address print terse"],
        build: interfaces_ip,
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
