//! The commands an EOS device answers over eAPI, rendered as eAPI JSON (field names as
//! EOS returns them) or as EOS CLI text (`"format": "text"`).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::eos::{EosDevice, EosIfKind, EosInterface, EosLink, mac_colons, mac_dotted};

/// Output format requested by `runCmds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// eAPI JSON objects.
    Json,
    /// `{"output": "<CLI text>"}`.
    Text,
}

/// A command EOS understands here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Enable,
    ShowVersion,
    ShowHostname,
    ShowInterfaces,
    ShowRunningConfig,
}

/// Keyword sequences of the commands, for abbreviation matching.
const GRAMMAR: &[(&[&str], Command)] = &[
    (&["enable"], Command::Enable),
    (&["show", "version"], Command::ShowVersion),
    (&["show", "hostname"], Command::ShowHostname),
    (&["show", "interfaces"], Command::ShowInterfaces),
    (&["show", "running-config"], Command::ShowRunningConfig),
];

/// Resolves `line` like the EOS CLI: each word may be any unambiguous prefix.
/// The error is EOS's message (`Invalid input (at token 1: 'foo')`).
fn resolve(line: &str) -> Result<Command, String> {
    let words: Vec<String> = line
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        return Err("Incomplete command (at token 0: '')".into());
    }
    let mut candidates: Vec<&(&[&str], Command)> = GRAMMAR.iter().collect();
    for (i, word) in words.iter().enumerate() {
        let matching: Vec<_> = candidates
            .iter()
            .copied()
            .filter(|(kw, _)| kw.get(i).is_some_and(|k| k.starts_with(word.as_str())))
            .collect();
        let mut keywords: Vec<&str> = matching.iter().map(|(kw, _)| kw[i]).collect();
        keywords.dedup();
        if matching.is_empty() {
            return Err(format!("Invalid input (at token {i}: '{word}')"));
        }
        if keywords.len() > 1 && !keywords.contains(&word.as_str()) {
            return Err(format!("Ambiguous command (at token {i}: '{word}')"));
        }
        candidates = matching
            .into_iter()
            .filter(|(kw, _)| keywords.len() == 1 || kw[i] == word)
            .collect();
    }
    candidates
        .iter()
        .find(|(kw, _)| kw.len() == words.len())
        .map(|(_, c)| *c)
        .ok_or_else(|| format!("Incomplete command (at token {}: '')", words.len()))
}

/// Runs one command; `Err` holds EOS's error message.
pub(crate) fn run(
    dev: &EosDevice,
    line: &str,
    format: Format,
    elapsed: Duration,
) -> Result<Value, String> {
    let command = resolve(line)?;
    Ok(match format {
        Format::Json => match command {
            Command::Enable => json!({}),
            Command::ShowVersion => version_json(dev, elapsed),
            Command::ShowHostname => json!({"hostname": dev.name, "fqdn": dev.fqdn()}),
            Command::ShowInterfaces => interfaces_json(dev, elapsed),
            Command::ShowRunningConfig => running_config_json(dev),
        },
        Format::Text => {
            let output = match command {
                Command::Enable => String::new(),
                Command::ShowVersion => version_text(dev, elapsed),
                Command::ShowHostname => {
                    format!("Hostname: {}\nFQDN:     {}\n", dev.name, dev.fqdn())
                }
                Command::ShowInterfaces => interfaces_text(dev, elapsed),
                Command::ShowRunningConfig => running_config_text(dev),
            };
            json!({ "output": output })
        }
    })
}

fn version_json(dev: &EosDevice, elapsed: Duration) -> Value {
    let mac = mac_colons(&dev.system_mac);
    json!({
        "mfgName": "Arista",
        "modelName": dev.model.name,
        "hardwareRevision": dev.hardware_revision(),
        "serialNumber": dev.serial,
        "systemMacAddress": mac,
        "hwMacAddress": mac,
        "configMacAddress": "00:00:00:00:00:00",
        "version": dev.release.version,
        "architecture": dev.architecture(),
        "internalVersion": dev.internal_version(),
        "internalBuildId": dev.build_id(),
        "imageFormatVersion": "3.0",
        "imageOptimization": dev.image_optimization(),
        "bootupTimestamp": round2(dev.boot_epoch()),
        "uptime": round2(dev.uptime_at(elapsed)),
        "memTotal": dev.model_mem_total(),
        "memFree": dev.mem_free(),
        "isIntlVersion": false,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `2 weeks, 3 days, 4 hours and 5 minutes`.
fn uptime_words(secs: u64) -> String {
    let weeks = secs / 604_800;
    let days = secs % 604_800 / 86_400;
    let hours = secs % 86_400 / 3_600;
    let minutes = secs % 3_600 / 60;
    format!("{weeks} weeks, {days} days, {hours} hours and {minutes} minutes")
}

fn version_text(dev: &EosDevice, elapsed: Duration) -> String {
    let mac = mac_dotted(&dev.system_mac);
    format!(
        "Arista {model}\n\
         Hardware version: {hw}\n\
         Serial number: {serial}\n\
         Hardware MAC address: {mac}\n\
         System MAC address: {mac}\n\
         \n\
         Software image version: {version}\n\
         Architecture: {arch}\n\
         Internal build version: {internal}\n\
         Internal build ID: {build}\n\
         Image format version: 3.0\n\
         Image optimization: {opt}\n\
         \n\
         Uptime: {uptime}\n\
         Total memory: {total} kB\n\
         Free memory: {free} kB\n\n",
        model = dev.model.name,
        hw = dev.hardware_revision(),
        serial = dev.serial,
        version = dev.release.version,
        arch = dev.architecture(),
        internal = dev.internal_version(),
        build = dev.build_id(),
        opt = dev.image_optimization(),
        uptime = uptime_words(dev.uptime_at(elapsed) as u64),
        total = dev.model_mem_total(),
        free = dev.mem_free(),
    )
}

fn hardware(kind: EosIfKind) -> &'static str {
    match kind {
        EosIfKind::Ethernet | EosIfKind::Management => "ethernet",
        EosIfKind::Loopback => "loopback",
        EosIfKind::PortChannel => "portChannel",
        EosIfKind::Vlan => "vlan",
    }
}

fn forwarding_model(dev: &EosDevice, i: &EosInterface) -> &'static str {
    let lag_member = dev.interfaces.iter().any(|p| p.members.contains(&i.name));
    if lag_member {
        "dataLink"
    } else if i.address.is_some() {
        "routed"
    } else {
        "bridged"
    }
}

/// Whether EOS shows counters for the interface (not for loopbacks and SVIs).
fn has_counters(i: &EosInterface) -> bool {
    matches!(
        i.kind,
        EosIfKind::Ethernet | EosIfKind::Management | EosIfKind::PortChannel
    )
}

fn interface_json(dev: &EosDevice, i: &EosInterface, elapsed: Duration) -> Value {
    let now = dev.epoch_at(elapsed);
    let mut o = Map::new();
    o.insert("name".into(), json!(i.name));
    o.insert("forwardingModel".into(), json!(forwarding_model(dev, i)));
    o.insert("lineProtocolStatus".into(), json!(i.line_protocol()));
    o.insert("interfaceStatus".into(), json!(i.status()));
    o.insert("hardware".into(), json!(hardware(i.kind)));
    let addresses: Vec<Value> = i
        .address
        .iter()
        .map(|(ip, len)| {
            json!({
                "primaryIp": {"address": ip.to_string(), "maskLen": len},
                "secondaryIps": {},
                "secondaryIpsOrderedList": [],
                "virtualIp": {"address": "0.0.0.0", "maskLen": 0},
                "virtualSecondaryIps": {},
                "virtualSecondaryIpsOrderedList": [],
                "broadcastAddress": "255.255.255.255",
                "dhcp": false,
            })
        })
        .collect();
    o.insert("interfaceAddress".into(), Value::Array(addresses));
    if let Some(mac) = &i.mac {
        o.insert("physicalAddress".into(), json!(mac_colons(mac)));
        o.insert("burnedInAddress".into(), json!(mac_colons(mac)));
    }
    o.insert("description".into(), json!(i.description));
    o.insert("bandwidth".into(), json!(i.bandwidth));
    o.insert("mtu".into(), json!(i.mtu));
    o.insert("l3MtuConfigured".into(), json!(false));
    o.insert("l2Mru".into(), json!(0));
    o.insert(
        "lastStatusChangeTimestamp".into(),
        json!(round2(dev.epoch_at(Duration::ZERO) - i.since_change as f64)),
    );
    if has_counters(i) {
        let c = i.counters_at(elapsed);
        o.insert(
            "interfaceCounters".into(),
            json!({
                "inOctets": c.in_octets,
                "inUcastPkts": c.in_ucast,
                "inMulticastPkts": c.in_mcast,
                "inBroadcastPkts": c.in_bcast,
                "inDiscards": i.in_discards,
                "inTotalPkts": c.in_ucast + c.in_mcast + c.in_bcast,
                "totalInErrors": i.fcs_errors + i.runts,
                "inputErrorsDetail": {
                    "runtFrames": i.runts,
                    "giantFrames": 0,
                    "fcsErrors": i.fcs_errors,
                    "alignmentErrors": 0,
                    "symbolErrors": 0,
                    "rxPause": 0,
                },
                "outOctets": c.out_octets,
                "outUcastPkts": c.out_ucast,
                "outMulticastPkts": c.out_mcast,
                "outBroadcastPkts": c.out_bcast,
                "outDiscards": i.out_discards,
                "totalOutErrors": 0,
                "outputErrorsDetail": {
                    "collisions": 0,
                    "lateCollisions": 0,
                    "deferredTransmissions": 0,
                    "txPause": 0,
                },
                "counterRefreshTime": round2(now),
                "linkStatusChanges": i.link_changes,
            }),
        );
        let (bits_in, bits_out) = rates(i);
        o.insert(
            "interfaceStatistics".into(),
            json!({
                "updateInterval": 300.0,
                "inBitsRate": bits_in,
                "inPktsRate": pkts(bits_in),
                "outBitsRate": bits_out,
                "outPktsRate": pkts(bits_out),
            }),
        );
    }
    if matches!(i.kind, EosIfKind::Ethernet | EosIfKind::Management) {
        o.insert("duplex".into(), json!("duplexFull"));
        o.insert(
            "autoNegotiate".into(),
            json!(if i.kind == EosIfKind::Management {
                "success"
            } else {
                "unknown"
            }),
        );
        o.insert("loopbackMode".into(), json!("loopbackNone"));
        o.insert("lanes".into(), json!(0));
    }
    if i.kind == EosIfKind::PortChannel {
        let members: Map<String, Value> = i
            .members
            .iter()
            .map(|m| {
                let bw = dev
                    .interfaces
                    .iter()
                    .find(|p| p.name == *m)
                    .map_or(0, |p| p.bandwidth);
                (m.clone(), json!({"duplex": "duplexFull", "bandwidth": bw}))
            })
            .collect();
        o.insert("memberInterfaces".into(), Value::Object(members));
        o.insert("fallbackEnabled".into(), json!(false));
        o.insert("fallbackEnabledType".into(), json!("fallbackNone"));
    }
    Value::Object(o)
}

/// Bits/s in and out (5-minute average): the configured rate while up.
fn rates(i: &EosInterface) -> (f64, f64) {
    if i.is_up() {
        ((i.rate_in * 8) as f64, (i.rate_out * 8) as f64)
    } else {
        (0.0, 0.0)
    }
}

fn pkts(bits: f64) -> f64 {
    (bits / 8.0 / 740.0 * 10.0).round() / 10.0
}

fn interfaces_json(dev: &EosDevice, elapsed: Duration) -> Value {
    let interfaces: Map<String, Value> = dev
        .interfaces
        .iter()
        .map(|i| (i.name.clone(), interface_json(dev, i, elapsed)))
        .collect();
    json!({ "interfaces": interfaces })
}

/// `25Gb/s`, `2.5Gb/s`, `100Mb/s`.
fn speed(bps: u64) -> String {
    if bps >= 1_000_000_000 {
        let g = bps as f64 / 1e9;
        format!("{g}Gb/s")
    } else {
        format!("{}Mb/s", bps / 1_000_000)
    }
}

/// `1.23 Mbps`.
fn rate_words(bits: f64) -> String {
    if bits >= 1e9 {
        format!("{:.2} Gbps", bits / 1e9)
    } else if bits >= 1e6 {
        format!("{:.2} Mbps", bits / 1e6)
    } else if bits >= 1e3 {
        format!("{:.2} kbps", bits / 1e3)
    } else {
        format!("{bits:.0} bps")
    }
}

/// `12 days, 3 hours, 4 minutes, 5 seconds`.
fn duration_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("{n} {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    format!(
        "{}, {}, {}, {}",
        plural(secs / 86_400, "day"),
        plural(secs % 86_400 / 3_600, "hour"),
        plural(secs % 3_600 / 60, "minute"),
        plural(secs % 60, "second")
    )
}

fn interface_text(out: &mut String, i: &EosInterface, elapsed: Duration) {
    let (state, protocol) = match i.link {
        EosLink::Connected => ("up", "up"),
        EosLink::NotConnect => ("down", "notpresent"),
        EosLink::Disabled => ("administratively down", "down"),
    };
    let _ = writeln!(
        out,
        "{} is {state}, line protocol is {protocol} ({})",
        i.name,
        i.status()
    );
    let hw = match i.kind {
        EosIfKind::Ethernet | EosIfKind::Management => "Ethernet",
        EosIfKind::Loopback => "Loopback",
        EosIfKind::PortChannel => "Port-Channel",
        EosIfKind::Vlan => "Vlan",
    };
    match (&i.mac, i.kind) {
        (Some(mac), EosIfKind::PortChannel) => {
            let _ = writeln!(out, "  Hardware is {hw}, address is {}", mac_dotted(mac));
        }
        (Some(mac), _) => {
            let m = mac_dotted(mac);
            let _ = writeln!(out, "  Hardware is {hw}, address is {m} (bia {m})");
        }
        (None, _) => {
            let _ = writeln!(out, "  Hardware is {hw}");
        }
    }
    if !i.description.is_empty() {
        let _ = writeln!(out, "  Description: {}", i.description);
    }
    if let Some((ip, len)) = i.address {
        let _ = writeln!(out, "  Internet address is {ip}/{len}");
        let _ = writeln!(out, "  Broadcast address is 255.255.255.255");
    }
    let mtu_kind = if i.address.is_some() {
        "IP"
    } else {
        "Ethernet"
    };
    if i.bandwidth > 0 {
        let _ = writeln!(
            out,
            "  {mtu_kind} MTU {} bytes , BW {} kbit",
            i.mtu,
            i.bandwidth / 1_000
        );
        let _ = write!(out, "  Full-duplex, {}", speed(i.bandwidth));
        match i.kind {
            EosIfKind::Ethernet => out.push_str(", auto negotiation: off, uni-link: n/a\n"),
            EosIfKind::Management => out.push_str(", auto negotiation: on, uni-link: n/a\n"),
            _ => out.push('\n'),
        }
    } else {
        let _ = writeln!(out, "  {mtu_kind} MTU {} bytes", i.mtu);
    }
    if i.kind == EosIfKind::PortChannel {
        let _ = writeln!(out, "  Active members in this channel: {}", i.members.len());
        for m in &i.members {
            let _ = writeln!(
                out,
                "  ... {m} , Full-duplex, {}",
                speed(i.bandwidth / i.members.len() as u64)
            );
        }
        out.push_str("  Fallback mode is: off\n");
    }
    let since = i.since_change + elapsed.as_secs();
    let updown = if i.is_up() { "Up" } else { "Down" };
    let _ = writeln!(out, "  {updown} {}", duration_words(since));
    if !has_counters(i) {
        return;
    }
    if i.kind != EosIfKind::PortChannel {
        out.push_str("  Loopback Mode : None\n");
    }
    let _ = writeln!(
        out,
        "  {} link status changes since last clear",
        i.link_changes
    );
    out.push_str("  Last clearing of \"show interface\" counters never\n");
    let (bits_in, bits_out) = rates(i);
    let _ = writeln!(
        out,
        "  5 minutes input rate {} (0.0% with framing overhead), {:.0} packets/sec",
        rate_words(bits_in),
        pkts(bits_in)
    );
    let _ = writeln!(
        out,
        "  5 minutes output rate {} (0.0% with framing overhead), {:.0} packets/sec",
        rate_words(bits_out),
        pkts(bits_out)
    );
    let c = i.counters_at(elapsed);
    let in_pkts = c.in_ucast + c.in_mcast + c.in_bcast;
    let out_pkts = c.out_ucast + c.out_mcast + c.out_bcast;
    let _ = writeln!(out, "     {in_pkts} packets input, {} bytes", c.in_octets);
    let _ = writeln!(
        out,
        "     Received {} broadcasts, {} multicast",
        c.in_bcast, c.in_mcast
    );
    let _ = writeln!(out, "     {} runts, 0 giants", i.runts);
    let _ = writeln!(
        out,
        "     {} input errors, {} CRC, 0 alignment, 0 symbol, {} input discards",
        i.fcs_errors + i.runts,
        i.fcs_errors,
        i.in_discards
    );
    out.push_str("     0 PAUSE input\n");
    let _ = writeln!(
        out,
        "     {out_pkts} packets output, {} bytes",
        c.out_octets
    );
    let _ = writeln!(
        out,
        "     Sent {} broadcasts, {} multicast",
        c.out_bcast, c.out_mcast
    );
    out.push_str("     0 output errors, 0 collisions\n");
    let _ = writeln!(
        out,
        "     0 late collision, 0 deferred, {} output discards",
        i.out_discards
    );
    out.push_str("     0 PAUSE output\n");
}

fn interfaces_text(dev: &EosDevice, elapsed: Duration) -> String {
    let mut out = String::with_capacity(dev.interfaces.len() * 1_100);
    for i in &dev.interfaces {
        interface_text(&mut out, i, elapsed);
    }
    out
}

/// The running configuration as top-level lines with their indented sub-lines.
fn running_config(dev: &EosDevice) -> Vec<(String, Vec<String>)> {
    let mut cfg: Vec<(String, Vec<String>)> = vec![
        ("no aaa root".into(), vec![]),
        (
            "username admin privilege 15 role network-admin secret sha512 $6$netrunlab$x".into(),
            vec![],
        ),
        ("transceiver qsfp default-mode 4x10G".into(), vec![]),
        (format!("hostname {}", dev.name), vec![]),
        ("ip domain-name lab.netrun.example".into(), vec![]),
        ("spanning-tree mode mstp".into(), vec![]),
        ("vlan 10,20,30".into(), vec![]),
    ];
    for i in &dev.interfaces {
        let mut sub = Vec::new();
        if !i.description.is_empty() {
            sub.push(format!("description {}", i.description));
        }
        if i.link == EosLink::Disabled {
            sub.push("shutdown".into());
        }
        if let Some(lag) = dev.interfaces.iter().find(|p| p.members.contains(&i.name)) {
            let id = lag.name.trim_start_matches("Port-Channel");
            sub.push(format!("channel-group {id} mode active"));
        }
        if let Some((ip, len)) = i.address {
            if i.kind == EosIfKind::Ethernet {
                sub.push("no switchport".into());
            }
            sub.push(format!("ip address {ip}/{len}"));
        } else if i.kind == EosIfKind::PortChannel {
            sub.push("switchport mode trunk".into());
        }
        cfg.push((format!("interface {}", i.name), sub));
    }
    cfg.push(("ip routing".into(), vec![]));
    cfg.push(("ip route 0.0.0.0/0 192.168.0.1".into(), vec![]));
    cfg.push((
        "management api http-commands".into(),
        vec!["no shutdown".into()],
    ));
    cfg
}

fn running_config_header(dev: &EosDevice) -> Vec<String> {
    vec![
        format!(
            "! device: {} ({}, EOS-{})",
            dev.name, dev.model.name, dev.release.version
        ),
        "!".into(),
        format!("! boot system flash:/EOS-{}.swi", dev.release.version),
        "!".into(),
    ]
}

fn running_config_json(dev: &EosDevice) -> Value {
    let cmds: Map<String, Value> = running_config(dev)
        .into_iter()
        .map(|(line, sub)| {
            let value = if sub.is_empty() && !line.starts_with("interface ") {
                Value::Null
            } else {
                let sub: Map<String, Value> = sub.into_iter().map(|s| (s, Value::Null)).collect();
                json!({"cmds": sub, "comments": []})
            };
            (line, value)
        })
        .collect();
    json!({"cmds": cmds, "comments": [], "header": running_config_header(dev)})
}

fn running_config_text(dev: &EosDevice) -> String {
    let mut out = String::from("! Command: show running-config\n");
    for line in running_config_header(dev) {
        out.push_str(&line);
        out.push('\n');
    }
    for (line, sub) in running_config(dev) {
        out.push_str(&line);
        out.push('\n');
        for s in sub {
            let _ = writeln!(out, "   {s}");
        }
        out.push_str("!\n");
    }
    out.push_str("end\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_resolve_like_the_cli() {
        assert_eq!(resolve("sh ver"), Ok(Command::ShowVersion));
        assert_eq!(resolve("SHOW INT"), Ok(Command::ShowInterfaces));
        assert_eq!(resolve("show run"), Ok(Command::ShowRunningConfig));
        assert_eq!(resolve("en"), Ok(Command::Enable));
    }

    #[test]
    fn bad_commands_get_eos_messages() {
        assert_eq!(
            resolve("show foo"),
            Err("Invalid input (at token 1: 'foo')".into())
        );
        assert_eq!(
            resolve("shw version"),
            Err("Invalid input (at token 0: 'shw')".into())
        );
        assert_eq!(
            resolve("show"),
            Err("Incomplete command (at token 1: '')".into())
        );
        assert_eq!(
            resolve("show h"),
            Ok(Command::ShowHostname),
            "only one keyword starts with h"
        );
        assert_eq!(
            resolve("show version detail"),
            Err("Invalid input (at token 2: 'detail')".into())
        );
    }

    #[test]
    fn uptime_words_use_all_units() {
        assert_eq!(
            uptime_words(2 * 604_800 + 3 * 86_400 + 4 * 3_600 + 5 * 60 + 9),
            "2 weeks, 3 days, 4 hours and 5 minutes"
        );
    }

    #[test]
    fn speeds_read_like_eos() {
        assert_eq!(speed(25_000_000_000), "25Gb/s");
        assert_eq!(speed(2_500_000_000), "2.5Gb/s");
        assert_eq!(speed(100_000_000), "100Mb/s");
    }
}
