//! VyOS getters (1.3 equuleus, 1.4 sagitta).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::Value;

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "show version",
            "show host name",
            "show system uptime",
            "show interfaces",
        ],
        build: facts,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["show interfaces"],
        build: interfaces_ip,
    },
];

const ERRORS: &[&str] = &["Invalid command:", "is not valid"];

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [version, host, uptime, interfaces] = out else {
        return Err(missing("show version", "outputs"));
    };
    let command = "show version";
    check(command, version, ERRORS)?;
    let get = |key: &str| {
        lines(version)
            .into_iter()
            .find_map(|l| l.strip_prefix(key).map(str::trim))
    };
    // `Version:          VyOS 1.4.0`
    let os_version = get("Version:").ok_or_else(|| missing(command, "`Version:` line"))?;
    let os_version = os_version.strip_prefix("VyOS ").unwrap_or(os_version);
    let name = lines(host)
        .into_iter()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| missing("show host name", "host name"))?;
    // `Uptime: 45 days 3 hours 12 minutes`
    let up = lines(uptime)
        .into_iter()
        .find_map(|l| l.strip_prefix("Uptime:"))
        .and_then(napalm::duration);
    let names = rows(interfaces)?
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    Ok(Facts {
        hostname: name.split('.').next().unwrap_or(name),
        fqdn: name,
        vendor: "VyOS",
        model: get("Hardware model:").unwrap_or(""),
        serial_number: get("Hardware S/N:").unwrap_or(""),
        os_version,
        uptime: up,
        interface_list: names,
    }
    .json())
}

/// Interfaces of `show interfaces` with their addresses; an interface's
/// further addresses sit alone on the lines below it.
fn rows(output: &str) -> Result<napalm::Addressed<'_>, ParseError> {
    let command = "show interfaces";
    check(command, output, ERRORS)?;
    let (_, lines) = napalm::table(command, output, "Interface", &["IP Address"])?;
    let mut rows: napalm::Addressed = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || words[0].starts_with("---") {
            continue;
        }
        let address = if line.starts_with(' ') {
            words[0]
        } else {
            rows.push((words[0], Vec::new()));
            words.get(1).copied().unwrap_or("-")
        };
        if let (Some(row), Some(addr)) = (rows.last_mut(), napalm::cidr(address)) {
            row.1.push(addr);
        }
    }
    Ok(rows)
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    Ok(napalm::interfaces_ip(rows(out[0])?))
}
