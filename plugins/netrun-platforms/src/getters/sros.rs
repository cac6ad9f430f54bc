//! Nokia SR OS getters; the `show` commands read the same in classic CLI
//! and MD-CLI.

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show system information",
            "show chassis",
            "show router interface",
        ],
        build: facts,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show router interface"],
        build: interfaces_ip,
    },
];

const ERRORS: &[&str] = &[
    "Error: Bad command",
    "Error: Invalid",
    "MINOR: MGMT_CORE #",
    "MINOR: CLI #",
];

/// The value of the first `Key : value` line whose key is `key`.
fn value<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    lines(output).into_iter().find_map(|l| {
        let (k, v) = l.split_once(" : ")?;
        (k.trim() == key).then(|| v.trim())
    })
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [info, chassis, interfaces] = out else {
        return Err(missing("show system information", "outputs"));
    };
    let command = "show system information";
    check(command, info, ERRORS)?;
    check("show chassis", chassis, ERRORS)?;
    let name =
        value(info, "System Name").ok_or_else(|| missing(command, "`System Name :` line"))?;
    // `System Version : B-20.10.R3`, `System Up Time : 45 days, 03:12:05.41 (hr:min:sec)`
    let os_version =
        value(info, "System Version").ok_or_else(|| missing(command, "`System Version :` line"))?;
    let uptime = value(info, "System Up Time").and_then(|u| {
        let u = u.split(" (").next().unwrap_or(u);
        let u = u.split('.').next().unwrap_or(u);
        napalm::duration(u)
    });
    Ok(Facts {
        hostname: name,
        fqdn: name,
        vendor: "Nokia",
        model: value(info, "System Type")
            .or_else(|| value(chassis, "Type"))
            .unwrap_or(""),
        serial_number: value(chassis, "Serial number").unwrap_or(""),
        os_version,
        uptime,
        interface_list: rows(interfaces)?
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect(),
    }
    .json())
}

/// Router interfaces of `show router interface` and their addresses (on the
/// indented line below each interface).
fn rows(output: &str) -> Result<napalm::Addressed<'_>, ParseError> {
    let command = "show router interface";
    check(command, output, ERRORS)?;
    let (_, lines) = napalm::table(command, output, "Interface-Name", &["Adm"])?;
    let mut rows: napalm::Addressed = Vec::new();
    for line in lines {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.starts_with("---") || first.starts_with("===") || first.starts_with("IP-Address") {
            continue;
        }
        if line.starts_with(' ') {
            if let (Some(row), Some(addr)) = (rows.last_mut(), napalm::cidr(first)) {
                row.1.push(addr);
            }
        } else if line.starts_with("Interfaces :") {
            break;
        } else {
            rows.push((first, Vec::new()));
        }
    }
    Ok(rows)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    Ok(napalm::interfaces_ip(rows(out[0])?))
}
