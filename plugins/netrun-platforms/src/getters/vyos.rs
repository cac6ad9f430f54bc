//! VyOS getters (1.3 equuleus, 1.4 sagitta; `environment` also 1.2 crux).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value};

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
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["show interfaces", "show interfaces ethernet detail"],
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
        name: "bgp_neighbors",
        commands: &["show ip bgp summary"],
        build: bgp_neighbors,
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
        name: "environment",
        commands: &["show system processes extensive"],
        build: environment,
        follow_up: None,
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

/// State (`S/L`: `u/D` enabled without link, `A/D` admin down) and
/// description from `show interfaces`; MTU and MAC of the Ethernet ports
/// from the `ip addr`-style blocks of `show interfaces ethernet detail`
/// (`eth0: <BROADCAST,…,UP,LOWER_UP> mtu 1500 …`, `link/ether …`). VyOS
/// prints no speed there (-1, as NAPALM).
fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let [table, detail] = out else {
        return Err(missing("show interfaces", "outputs"));
    };
    let command = "show interfaces";
    check(command, table, ERRORS)?;
    let (_, rows) = napalm::table(command, table, "Interface", &["S/L"])?;
    let ethernet = super::ifaces::interfaces(
        "show interfaces ethernet detail",
        detail,
        ERRORS,
        "`ethN: <…> mtu …` blocks",
        |l| !l.starts_with(' ') && l.contains(": <") && l.contains(" mtu "),
        |b| {
            let (name, rest) = b.header.split_once(": <")?;
            // A VLAN unit is `eth1.10@eth1`.
            let name = name.split('@').next().unwrap_or(name);
            let words: Vec<&str> = rest.split_whitespace().collect();
            let mtu = words
                .iter()
                .position(|w| *w == "mtu")
                .and_then(|i| words.get(i + 1))
                .map_or(Value::from(0), |m| {
                    Value::from(m.parse::<u64>().unwrap_or(0))
                });
            let mac = b
                .after("link/ether")
                .and_then(|m| m.split_whitespace().next())
                .and_then(napalm::mac)
                .unwrap_or_default();
            Some((
                name.to_string(),
                serde_json::json!({ "mtu": mtu, "mac_address": mac }),
            ))
        },
    )?;
    let mut map = Map::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        // Name, address, S/L, description; further addresses sit alone below.
        if line.starts_with(' ') || words.len() < 3 || words[0].starts_with("---") {
            continue;
        }
        let Some((admin, link)) = words[2].split_once('/') else {
            continue;
        };
        let mut entry = napalm::interface(
            link == "u",
            admin != "A",
            &words[3..].join(" "),
            None,
            None,
            "",
        );
        if let Some(e) = ethernet.get(words[0]) {
            entry["mtu"] = e["mtu"].clone();
            entry["mac_address"] = e["mac_address"].clone();
        }
        map.insert(words[0].to_string(), entry);
    }
    if map.is_empty() {
        return Err(missing(command, "interface rows"));
    }
    Ok(Value::Object(map))
}

/// `show ip bgp summary` is FRR's summary, which the Cisco-style reader
/// reads (with FRR's `PfxSnt` and `Desc` columns).
fn bgp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    super::bgp::cisco_summary("show ip bgp summary", out[0], ERRORS)
}

/// `show arp`: VyOS 1.4 and later `Address  Interface  Link layer address
/// State`; 1.3 the net-tools table `Address  HWtype  HWaddress  Flags Mask
/// Iface` (`(incomplete)` for an unanswered address). No age is shown.
fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show arp";
    let new = ["Address", "Interface", "Link layer address", "State"];
    if let Ok(rows) = super::neigh::rows(command, out[0], ERRORS, &new) {
        return Ok(super::neigh::arp(&rows, |r| Some((r[1], r[2], r[0], None))));
    }
    let old = ["Address", "HWtype", "HWaddress", "Flags Mask", "Iface"];
    let rows = super::neigh::rows(command, out[0], ERRORS, &old)?;
    Ok(super::neigh::arp(&rows, |r| Some((r[4], r[2], r[0], None))))
}

/// `show lldp neighbors`: `Device ID  Local  Proto  Cap  Platform  Port ID`.
fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let names = ["Device ID", "Local", "Proto", "Cap", "Platform", "Port ID"];
    let rows = super::neigh::rows("show lldp neighbors", out[0], ERRORS, &names)?;
    Ok(super::neigh::lldp(&rows, |r| Some((r[1], r[0], r[5]))))
}

/// `show lldp neighbors detail`: lldpd's neighbours as `lldpcli show
/// neighbors details` prints them.
fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    super::lldp::lldpd_detail("show lldp neighbors detail", out[0], ERRORS)
}

/// `show system processes extensive` is one `top -b -n1` snapshot: the CPU
/// use is 100 less its idle share, the memory its `MiB Mem :` (procps 3.3.12
/// and later: VyOS 1.3, 1.4) or `KiB Mem:` line (procps 3.3.9: VyOS 1.2 on
/// Debian jessie, used before free). VyOS prints no fan,
/// temperature or power-supply reading in its operational mode (and runs
/// mostly as a virtual machine), so those stay empty.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    let command = "show system processes extensive";
    check(command, out[0], ERRORS)?;
    let mut e = super::env::Environment::default();
    if !e.top(&lines(out[0])) {
        return Err(missing(command, "`%Cpu(s):` or `MiB Mem :` line of top"));
    }
    Ok(e.json())
}
