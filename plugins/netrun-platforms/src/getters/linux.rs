//! Linux getters, from commands found on every distribution: `hostname`,
//! `/proc`, `/sys/class/dmi`, iproute2 (`ip -o`) and lldpd (`lldpctl`).

use super::napalm::{self, Facts, check, lines, missing};
use super::{Getter, ParseError};
use serde_json::{Map, Value, json};

/// The getters.
pub const GETTERS: &[Getter] = &[
    Getter {
        name: "facts",
        commands: &[
            "hostname",
            "hostname -f",
            "cat /etc/os-release",
            "cat /proc/uptime",
            "cat /sys/class/dmi/id/product_name",
            SERIAL,
            "ip -o link show",
        ],
        build: facts,
        follow_up: None,
    },
    Getter {
        name: "interfaces",
        commands: &["ip -o link show"],
        build: interfaces,
        follow_up: None,
    },
    Getter {
        name: "interfaces_ip",
        commands: &["ip -o addr show"],
        build: interfaces_ip,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors",
        commands: &["lldpctl -f keyvalue"],
        build: lldp_neighbors,
        follow_up: None,
    },
    Getter {
        name: "lldp_neighbors_detail",
        commands: &["lldpctl -f keyvalue"],
        build: lldp_neighbors_detail,
        follow_up: None,
    },
    Getter {
        name: "arp_table",
        commands: &["ip -4 neigh show"],
        build: arp_table,
        follow_up: None,
    },
    Getter {
        name: "environment",
        commands: &["sensors", "free -b", "grep ^cpu /proc/stat"],
        build: environment,
        follow_up: None,
    },
];

/// The DMI serial number. The file is readable by root only (mode 0400), so
/// an unprivileged login asks `sudo -n`, which never prompts: it answers
/// where the account may read the file without a password (the usual
/// sudoers rule of an automation account) and prints nothing otherwise.
/// Both reads keep their errors off the output, so a host without DMI
/// (ARM boards, containers) or without sudo gives an empty serial rather
/// than a refused command.
const SERIAL: &str = "cat /sys/class/dmi/id/product_serial 2>/dev/null; \
     sudo -n cat /sys/class/dmi/id/product_serial 2>/dev/null";

const ERRORS: &[&str] = &[": command not found", ": not found", "Permission denied"];

/// The shell's answer when a program is not installed: bash's
/// `bash: lldpctl: command not found`, dash's `-sh: 3: lldpctl: not found`.
fn not_installed(output: &str, program: &str) -> bool {
    lines(output).iter().any(|l| {
        let l = l.trim_end();
        l.ends_with(&format!("{program}: command not found"))
            || l.ends_with(&format!("{program}: not found"))
    })
}

/// The first non-empty line, or `""` where the file does not exist (no DMI
/// on ARM boards and containers).
fn first_line(output: &str) -> &str {
    lines(output)
        .into_iter()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && ![
                    "No such file or directory",
                    "Permission denied",
                    "password is required",
                ]
                .iter()
                .any(|e| l.contains(e))
        })
        .unwrap_or("")
}

fn facts(out: &[&str]) -> Result<Value, ParseError> {
    let [hostname, fqdn, os_release, uptime, product, serial, links] = out else {
        return Err(missing("hostname", "outputs"));
    };
    check("hostname", hostname, ERRORS)?;
    let name = first_line(hostname);
    let fqdn = match first_line(fqdn) {
        "" => name,
        f => f,
    };
    // `PRETTY_NAME="Ubuntu 22.04.3 LTS"`
    let os_version = lines(os_release)
        .into_iter()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"'))
        .ok_or_else(|| missing("cat /etc/os-release", "`PRETTY_NAME=` line"))?;
    // `/proc/uptime`: seconds since boot and idle seconds, e.g. `6574260.12 1234.5`.
    let uptime = first_line(uptime)
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map(|s| s as u64)
        .ok_or_else(|| missing("cat /proc/uptime", "seconds"))?;
    let interface_list = link_rows(links)?
        .into_iter()
        .map(|l| l.name.to_string())
        .collect();
    Ok(Facts {
        hostname: name,
        fqdn,
        vendor: "Linux",
        model: first_line(product),
        serial_number: first_line(serial),
        os_version,
        uptime: Some(uptime),
        interface_list,
    }
    .json())
}

/// One row of `ip -o link show`.
struct Link<'a> {
    name: &'a str,
    flags: Vec<&'a str>,
    mtu: Option<u64>,
    state: &'a str,
    mac: &'a str,
    alias: String,
}

fn link_rows(output: &str) -> Result<Vec<Link<'_>>, ParseError> {
    check("ip -o link show", output, ERRORS)?;
    let mut rows = Vec::new();
    // `2: ens18: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 … state UP … \    link/ether bc:24:11:aa:bb:cc brd …`
    for line in lines(output) {
        let mut parts = line.splitn(3, ": ");
        let (Some(index), Some(name), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if index.trim().parse::<u32>().is_err() {
            continue;
        }
        let name = name.split('@').next().unwrap_or(name);
        let flags = rest
            .strip_prefix('<')
            .and_then(|r| r.split_once('>'))
            .map(|(f, _)| f.split(',').collect())
            .unwrap_or_default();
        let words: Vec<&str> = rest.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|i| words.get(i + 1).copied())
        };
        let alias = rest
            .split_once("alias ")
            .map(|(_, a)| a.split('\\').next().unwrap_or(a).trim().to_string())
            .unwrap_or_default();
        rows.push(Link {
            name,
            flags,
            mtu: after("mtu").and_then(|m| m.parse().ok()),
            state: after("state").unwrap_or(""),
            mac: after("link/ether").unwrap_or(""),
            alias,
        });
    }
    if rows.is_empty() {
        return Err(missing("ip -o link show", "`N: name: <FLAGS>` rows"));
    }
    Ok(rows)
}

fn interfaces(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for l in link_rows(out[0])? {
        let enabled = l.flags.contains(&"UP");
        // LOWER_UP: the carrier is there; loopbacks report state UNKNOWN.
        let up = enabled && (l.flags.contains(&"LOWER_UP") || l.state == "UP");
        // Speed is in /sys/class/net/<if>/speed, not in `ip link`: unknown here.
        map.insert(
            l.name.to_string(),
            napalm::interface(up, enabled, &l.alias, None, l.mtu, l.mac),
        );
    }
    Ok(Value::Object(map))
}

fn interfaces_ip(out: &[&str]) -> Result<Value, ParseError> {
    let command = "ip -o addr show";
    check(command, out[0], ERRORS)?;
    let mut map = Map::new();
    let mut rows = 0;
    // `2: ens18    inet 10.0.0.21/24 brd 10.0.0.255 scope global ens18\       valid_lft …`
    for line in lines(out[0]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 4 || !words[0].ends_with(':') || !matches!(words[2], "inet" | "inet6") {
            continue;
        }
        rows += 1;
        if let Some((addr, len)) = napalm::cidr(words[3]) {
            napalm::add_ip(&mut map, words[1], &addr, len);
        }
    }
    if rows == 0 {
        return Err(missing(command, "`N: name inet ADDRESS/LEN` rows"));
    }
    Ok(Value::Object(map))
}

/// lldpd's neighbours from `lldpctl -f keyvalue`: `lldp.<port>.<field>=value`
/// (`chassis.name`, `port.ifname`, `chassis.Bridge.enabled=on` …).
fn lldp_details(output: &str) -> Result<Vec<super::lldp::Detail>, ParseError> {
    let command = "lldpctl -f keyvalue";
    // No LLDP agent on the host: it cannot answer, as a platform without
    // LLDP cannot (the other getters still do).
    if not_installed(output, "lldpctl") {
        return Err(ParseError::Unsupported(
            "no LLDP agent on this host (`lldpctl` not found): install and start lldpd for LLDP neighbours".into(),
        ));
    }
    check(command, output, ERRORS)?;
    let mut neighbours: Vec<super::lldp::Detail> = Vec::new();
    let mut seen = false;
    for line in lines(output) {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let Some(rest) = key.strip_prefix("lldp.") else {
            continue;
        };
        seen = true;
        let Some((local, field)) = rest.split_once('.') else {
            continue;
        };
        let i = match neighbours.iter().position(|n| n.local == local) {
            Some(i) => i,
            None => {
                neighbours.push(super::lldp::Detail {
                    local: local.to_string(),
                    ..Default::default()
                });
                neighbours.len() - 1
            }
        };
        let n = &mut neighbours[i];
        let value = value.to_string();
        match field {
            "chassis.name" => n.remote_system_name = value,
            "chassis.descr" => n.remote_system_description = value,
            "chassis.mac" | "chassis.local" => n.remote_chassis_id = value,
            "port.ifname" => n.remote_port = value,
            // Without an ifname the port is identified by MAC or local id.
            "port.mac" | "port.local" if n.remote_port.is_empty() => n.remote_port = value,
            "port.descr" => n.remote_port_description = value,
            _ => {
                // `chassis.Bridge.enabled=on`: the neighbour has the capability, on or off.
                if let Some(cap) = field
                    .strip_prefix("chassis.")
                    .and_then(|c| c.strip_suffix(".enabled"))
                {
                    let name = super::lldp::capabilities(cap);
                    if value == "on" {
                        n.enable_capab.extend(name.iter().cloned());
                    }
                    n.capab.extend(name);
                }
            }
        }
    }
    if !seen && !output.trim().is_empty() {
        return Err(missing(command, "`lldp.<interface>.…=` lines"));
    }
    Ok(neighbours)
}

fn lldp_neighbors(out: &[&str]) -> Result<Value, ParseError> {
    let mut map = Map::new();
    for n in lldp_details(out[0])? {
        napalm::add_lldp(&mut map, &n.local, &n.remote_system_name, &n.remote_port);
    }
    Ok(Value::Object(map))
}

fn lldp_neighbors_detail(out: &[&str]) -> Result<Value, ParseError> {
    Ok(super::lldp::json(lldp_details(out[0])?))
}

fn arp_table(out: &[&str]) -> Result<Value, ParseError> {
    let command = "ip -4 neigh show";
    // An empty table is an empty output.
    if lines(out[0])
        .iter()
        .any(|l| ERRORS.iter().any(|e| l.contains(e)))
    {
        check(command, out[0], ERRORS)?;
    }
    let mut entries = Vec::new();
    // `10.0.0.1 dev ens18 lladdr 52:54:00:12:34:56 REACHABLE`; FAILED / INCOMPLETE have no lladdr.
    for line in lines(out[0]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|i| words.get(i + 1).copied())
        };
        let (Some(ip), Some(dev), Some(mac)) = (words.first(), after("dev"), after("lladdr"))
        else {
            continue;
        };
        if ip.parse::<std::net::Ipv4Addr>().is_ok() {
            entries.push(napalm::arp(dev, mac, ip, None));
        }
    }
    Ok(json!(entries))
}

/// lm-sensors' `sensors` (a block per chip: `Name:  +45.0°C  (high =
/// +80.0°C, crit = +100.0°C)`, `fan1:  1200 RPM  (min = …)`), `free -b`
/// (`Mem: total used …`) and the `cpu`/`cpuN` lines of `/proc/stat`
/// (jiffies since boot: user nice system idle iowait …). A server shows no
/// power supplies here.
fn environment(out: &[&str]) -> Result<Value, ParseError> {
    use super::env::{Environment, number};
    let [sensors, free, stat] = out else {
        return Err(missing("sensors", "outputs"));
    };
    check("free -b", free, ERRORS)?;
    check("grep ^cpu /proc/stat", stat, ERRORS)?;
    let mut e = Environment::default();
    // No sensor chip (a VM): `No sensors found!`, not an error; nor is a
    // host without lm-sensors, whose CPU and memory are still read (its
    // temperatures and fans are not shown to the CLI at all).
    if !sensors.contains("No sensors found") && !not_installed(sensors, "sensors") {
        check("sensors", sensors, ERRORS)?;
        let mut chip = "";
        for line in lines(sensors) {
            let Some((name, rest)) = line.split_once(':') else {
                if !line.trim().is_empty() {
                    chip = line.trim();
                }
                continue;
            };
            let (name, rest) = (name.trim(), rest.trim());
            if name == "Adapter" {
                continue;
            }
            let key = if chip.is_empty() {
                name.to_string()
            } else {
                format!("{chip} {name}")
            };
            let limit = |k: &str| {
                rest.split_once(k)
                    .and_then(|(_, v)| number(v.trim_start_matches([' ', '='])))
            };
            if rest.contains("°C") || rest.contains(" C ") {
                let Some(t) = number(rest) else { continue };
                let high = limit("high");
                let crit = limit("crit");
                e.temperature(
                    &key,
                    t,
                    high.or(crit).is_some_and(|h| t >= h),
                    crit.is_some_and(|c| t >= c),
                );
            } else if rest.contains("RPM") {
                let rpm = number(rest).unwrap_or(0.0);
                let min = limit("min").unwrap_or(0.0);
                e.fan(&key, rpm > 0.0 && rpm >= min && !rest.contains("ALARM"));
            }
        }
    }
    let mem = lines(free)
        .into_iter()
        .find_map(|l| l.trim().strip_prefix("Mem:"))
        .ok_or_else(|| missing("free -b", "`Mem:` line"))?;
    let m: Vec<i64> = mem
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    if m.len() >= 2 {
        e.memory(m[0], m[1]);
    }
    let mut index = 0;
    for line in lines(stat) {
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        // `cpu` is the total; `cpu0`, `cpu1` … each CPU (NAPALM's indices).
        if name == "cpu" || !name.starts_with("cpu") {
            continue;
        }
        let j: Vec<f64> = words.filter_map(|w| w.parse().ok()).collect();
        let total: f64 = j.iter().sum();
        if j.len() >= 4 && total > 0.0 {
            let idle = j[3] + j.get(4).copied().unwrap_or(0.0);
            e.cpu(index, ((total - idle) * 1000.0 / total).round() / 10.0);
            index += 1;
        }
    }
    Ok(e.json())
}
