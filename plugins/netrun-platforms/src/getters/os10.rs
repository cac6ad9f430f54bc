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
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show ip interface brief"],
        build: interfaces_ip,
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
    let names = rows(brief)?.into_iter().map(|(n, _)| n).collect();
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

/// (interface, address) rows of `show ip interface brief`; names hold a
/// blank (`Ethernet 1/1/1`).
fn rows(output: &str) -> Result<Vec<(String, String)>, ParseError> {
    let command = "show ip interface brief";
    check(command, output, ERRORS)?;
    let (_, lines) = napalm::table(command, output, "Interface Name", &["IP-Address"])?;
    Ok(lines
        .iter()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (words.len() >= 3 && !l.starts_with('='))
                .then(|| (format!("{} {}", words[0], words[1]), words[2].to_string()))
        })
        .collect())
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for (name, address) in rows(out[0])? {
        if address.contains('/')
            && let Some((addr, len)) = napalm::cidr(&address)
        {
            napalm::add_ip(&mut map, &name, &addr, len);
        }
    }
    Ok(Value::Object(map))
}
