//! `show interfaces`.
//!
//! Output: a JSON array with one object per interface, in device order for CLI
//! text and in eAPI's (alphabetical) key order for JSON. The keys are shared with
//! the Cisco IOS parser so workflows can treat vendors alike:
//!
//! ```json
//! [{"interface": "Ethernet1", "description": "to-spine1", "link_status": "up",
//!   "protocol_status": "up", "hardware_type": "Ethernet",
//!   "mac_address": "001c.7312.3401", "mtu": 9214, "bandwidth_bps": 25000000000,
//!   "ip_address": "10.1.1.1", "prefix_length": 31,
//!   "input_octets": 812348812, "output_octets": 1293481, "input_packets": 1098012,
//!   "output_packets": 11932, "input_errors": 0, "output_errors": 0,
//!   "input_discards": 0, "output_discards": 0, "crc": 0}]
//! ```
//!
//! * `link_status` is `up`, `down` or `administratively down` as the CLI's first
//!   line says it (from eAPI: `connected` -> `up`, `disabled` ->
//!   `administratively down`, any other `interfaceStatus` -> `down`);
//!   `protocol_status` is the line protocol in lower case (`up`, `down`,
//!   `notpresent`, `lowerlayerdown`).
//! * `hardware_type` is the CLI's name (`Ethernet`, `Loopback`, `Vlan`,
//!   `Port-Channel`); eAPI's `portChannel` etc. are mapped to it.
//! * `bandwidth_bps` is bits/s; EOS shows none for loopbacks and SVIs, which eAPI
//!   reports as 0, and so does this parser for the CLI.
//! * `input_packets`/`output_packets` are unicast + multicast + broadcast;
//!   `crc` is the FCS error count. Counters are `null` for interfaces EOS shows
//!   no counters for (loopbacks, SVIs).
//! * `ip_address` is the primary IPv4 address (`""` if none), `prefix_length`
//!   its mask length (`null` if none).

use std::sync::LazyLock;

use netrun_guest::text::re;
use regex::Regex;
use serde_json::{Map, Value, json};

use super::{Output, ParseError, excerpt, json_opt_str, json_u64, lines, mac_dotted};

const COMMAND: &str = "show interfaces";

/// Counter fields, `null` when the output shows none.
const COUNTERS: &[&str] = &[
    "input_octets",
    "output_octets",
    "input_packets",
    "output_packets",
    "input_errors",
    "output_errors",
    "input_discards",
    "output_discards",
    "crc",
];

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(\S+) is (up|down|administratively down), line protocol is (\S+)(?:\s+\(\S+\))?\s*$")
});
static HARDWARE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s+Hardware is\s+([^,]+?)(?:,\s+address is\s+(\S+?))?(?:\s+\(bia\s+\S+\))?\s*$")
});
static DESCRIPTION: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+Description:\s?(.*?)\s*$"));
static INTERNET: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+Internet address is\s+(\d+\.\d+\.\d+\.\d+)/(\d+)"));
static MTU: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+(?:IP|Ethernet)\s+MTU\s+(\d+)\s+bytes"));
static BW: LazyLock<Regex> = LazyLock::new(|| re(r"\bBW\s+(\d+)\s+kbit"));
static PACKETS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+(\d+)\s+packets (input|output),\s+(\d+)\s+bytes"));
static INPUT_ERRORS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+(\d+)\s+input errors,\s+(\d+)\s+CRC\b"));
static OUTPUT_ERRORS: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+(\d+)\s+output errors\b"));
static DISCARDS: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d+)\s+(input|output) discards\b"));

pub(crate) fn parse(output: Output<'_>) -> Result<Value, ParseError> {
    match output {
        Output::Json(map) => from_json(&map),
        Output::Text(text) => from_text(&text),
    }
}

/// A row with every key present: strings `""`, numbers `null`.
fn empty_row(name: &str) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("interface".into(), json!(name));
    for key in [
        "description",
        "link_status",
        "protocol_status",
        "hardware_type",
        "mac_address",
        "ip_address",
    ] {
        row.insert(key.into(), json!(""));
    }
    for key in ["mtu", "bandwidth_bps", "prefix_length"] {
        row.insert(key.into(), Value::Null);
    }
    for key in COUNTERS {
        row.insert((*key).into(), Value::Null);
    }
    row
}

/// eAPI `hardware` -> the CLI's `Hardware is ...` name.
fn hardware_name(eapi: &str) -> String {
    match eapi {
        "ethernet" => "Ethernet".into(),
        "loopback" => "Loopback".into(),
        "vlan" => "Vlan".into(),
        "portChannel" => "Port-Channel".into(),
        "subinterface" => "Subinterface".into(),
        "tunnel" => "Tunnel".into(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    }
}

fn from_json(map: &Map<String, Value>) -> Result<Value, ParseError> {
    let Some(Value::Object(interfaces)) = map.get("interfaces") else {
        return Err(ParseError::Unexpected(format!(
            "expected eAPI JSON of {COMMAND:?} with an \"interfaces\" object"
        )));
    };
    let mut rows = Vec::with_capacity(interfaces.len());
    for (name, value) in interfaces {
        let Value::Object(i) = value else {
            return Err(ParseError::Unexpected(format!(
                "expected an object for interface {name:?}"
            )));
        };
        let mut row = empty_row(name);
        let status = json_opt_str(i, "interfaceStatus");
        let link = match status.as_str() {
            "connected" => "up",
            "disabled" => "administratively down",
            "" => "",
            _ => "down",
        };
        row.insert("link_status".into(), json!(link));
        row.insert(
            "protocol_status".into(),
            json!(json_opt_str(i, "lineProtocolStatus").to_ascii_lowercase()),
        );
        row.insert(
            "hardware_type".into(),
            json!(hardware_name(&json_opt_str(i, "hardware"))),
        );
        row.insert(
            "mac_address".into(),
            json!(mac_dotted(&json_opt_str(i, "physicalAddress"))),
        );
        row.insert("description".into(), json!(json_opt_str(i, "description")));
        row.insert("mtu".into(), json!(json_u64(i, "mtu")));
        row.insert("bandwidth_bps".into(), json!(json_u64(i, "bandwidth")));
        let primary = i
            .get("interfaceAddress")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|a| a.get("primaryIp"))
            .and_then(Value::as_object);
        if let Some(p) = primary {
            let address = json_opt_str(p, "address");
            // EOS writes 0.0.0.0/0 for a routed port without an address.
            if !address.is_empty() && address != "0.0.0.0" {
                row.insert("ip_address".into(), json!(address));
                row.insert("prefix_length".into(), json!(json_u64(p, "maskLen")));
            }
        }
        if let Some(Value::Object(c)) = i.get("interfaceCounters") {
            let sum = |keys: &[&str]| -> Option<u64> {
                keys.iter()
                    .map(|k| json_u64(c, k))
                    .try_fold(0u64, |acc, n| Some(acc + n?))
            };
            row.insert("input_octets".into(), json!(json_u64(c, "inOctets")));
            row.insert("output_octets".into(), json!(json_u64(c, "outOctets")));
            row.insert(
                "input_packets".into(),
                json!(sum(&["inUcastPkts", "inMulticastPkts", "inBroadcastPkts"])),
            );
            row.insert(
                "output_packets".into(),
                json!(sum(&[
                    "outUcastPkts",
                    "outMulticastPkts",
                    "outBroadcastPkts"
                ])),
            );
            row.insert("input_errors".into(), json!(json_u64(c, "totalInErrors")));
            row.insert("output_errors".into(), json!(json_u64(c, "totalOutErrors")));
            row.insert("input_discards".into(), json!(json_u64(c, "inDiscards")));
            row.insert("output_discards".into(), json!(json_u64(c, "outDiscards")));
            let crc = c
                .get("inputErrorsDetail")
                .and_then(Value::as_object)
                .and_then(|d| json_u64(d, "fcsErrors"));
            row.insert("crc".into(), json!(crc));
        }
        rows.push(Value::Object(row));
    }
    // eAPI's object has no order of its own (and JSON parsers sort keys):
    // list interfaces as the CLI does, Ethernet2 before Ethernet10.
    rows.sort_by_cached_key(|r| natural_key(r["interface"].as_str().unwrap_or_default()));
    Ok(Value::Array(rows))
}

/// `Ethernet49/1` → (`Ethernet`, [49, 1]): the type, then its numbers.
fn natural_key(name: &str) -> (String, Vec<u64>) {
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (kind, rest) = name.split_at(split);
    let numbers = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    (kind.to_string(), numbers)
}

fn number(text: &str) -> Value {
    text.parse::<u64>().map_or(Value::Null, Value::from)
}

fn from_text(text: &str) -> Result<Value, ParseError> {
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    for line in lines(text) {
        if let Some(caps) = HEADER.captures(line) {
            let mut row = empty_row(&caps[1]);
            row.insert("link_status".into(), json!(&caps[2]));
            row.insert(
                "protocol_status".into(),
                json!(caps[3].to_ascii_lowercase()),
            );
            // EOS shows no BW for loopbacks and SVIs; eAPI calls that 0.
            row.insert("bandwidth_bps".into(), json!(0));
            rows.push(row);
            continue;
        }
        let Some(row) = rows.last_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(ParseError::Unexpected(format!(
                "expected {COMMAND:?} output starting with \"<interface> is <state>, line \
                 protocol is <state>\", got {:?}",
                excerpt(line)
            )));
        };
        let mut set = |key: &str, value: Value| {
            row.insert(key.into(), value);
        };
        if let Some(c) = HARDWARE.captures(line) {
            set("hardware_type", json!(c[1].trim()));
            if let Some(mac) = c.get(2) {
                set("mac_address", json!(mac_dotted(mac.as_str())));
            }
        } else if let Some(c) = DESCRIPTION.captures(line) {
            set("description", json!(&c[1]));
        } else if let Some(c) = INTERNET.captures(line) {
            set("ip_address", json!(&c[1]));
            set("prefix_length", number(&c[2]));
        } else if let Some(c) = MTU.captures(line) {
            set("mtu", number(&c[1]));
            if let Some(bw) = BW.captures(line) {
                let kbit = bw[1].parse::<u64>().ok();
                set("bandwidth_bps", json!(kbit.map(|k| k * 1_000)));
            }
        } else if let Some(c) = PACKETS.captures(line) {
            let dir = if &c[2] == "input" { "input" } else { "output" };
            set(&format!("{dir}_packets"), number(&c[1]));
            set(&format!("{dir}_octets"), number(&c[3]));
        } else if let Some(c) = INPUT_ERRORS.captures(line) {
            set("input_errors", number(&c[1]));
            set("crc", number(&c[2]));
        } else if let Some(c) = OUTPUT_ERRORS.captures(line) {
            set("output_errors", number(&c[1]));
        }
        // Discards share their line with errors or collisions, so no `else`.
        for c in DISCARDS.captures_iter(line) {
            set(&format!("{}_discards", &c[2]), number(&c[1]));
        }
    }
    if rows.is_empty() {
        return Err(ParseError::Unexpected(format!(
            "expected {COMMAND:?} output with at least one interface"
        )));
    }
    Ok(Value::Array(rows.into_iter().map(Value::Object).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_sort_by_type_then_number() {
        let mut names = vec![
            "Ethernet10",
            "Vlan20",
            "Ethernet2",
            "Ethernet49/1",
            "Ethernet9",
        ];
        names.sort_by_cached_key(|n| natural_key(n));
        assert_eq!(
            names,
            [
                "Ethernet2",
                "Ethernet9",
                "Ethernet10",
                "Ethernet49/1",
                "Vlan20"
            ]
        );
    }

    #[test]
    fn regexes_compile() {
        for r in [
            &HEADER,
            &HARDWARE,
            &DESCRIPTION,
            &INTERNET,
            &MTU,
            &BW,
            &PACKETS,
            &INPUT_ERRORS,
            &OUTPUT_ERRORS,
            &DISCARDS,
        ] {
            LazyLock::force(r);
        }
    }

    #[test]
    fn header_states_are_read() {
        let c = HEADER
            .captures("Ethernet3 is administratively down, line protocol is down (disabled)")
            .unwrap();
        assert_eq!(&c[1], "Ethernet3");
        assert_eq!(&c[2], "administratively down");
        assert_eq!(&c[3], "down");
        let c = HEADER
            .captures("Ethernet2 is down, line protocol is notpresent (notconnect)")
            .unwrap();
        assert_eq!(&c[3], "notpresent");
    }

    #[test]
    fn hardware_line_with_and_without_address() {
        let c = HARDWARE
            .captures("  Hardware is Ethernet, address is 001c.7312.3401 (bia 001c.7312.3401)")
            .unwrap();
        assert_eq!(&c[1], "Ethernet");
        assert_eq!(&c[2], "001c.7312.3401");
        let c = HARDWARE.captures("  Hardware is Loopback").unwrap();
        assert_eq!(&c[1], "Loopback");
        assert!(c.get(2).is_none());
        let c = HARDWARE
            .captures("  Hardware is Port-Channel, address is 001c.7312.340b")
            .unwrap();
        assert_eq!(&c[1], "Port-Channel");
        assert_eq!(&c[2], "001c.7312.340b");
    }

    #[test]
    fn eapi_hardware_names_map_to_cli_names() {
        assert_eq!(hardware_name("portChannel"), "Port-Channel");
        assert_eq!(hardware_name("ethernet"), "Ethernet");
        assert_eq!(hardware_name("vxlan"), "Vxlan");
        assert_eq!(hardware_name(""), "");
    }

    #[test]
    fn text_before_first_interface_is_named() {
        let err = from_text("Arista DCS-7050SX3-48YC8\n").unwrap_err();
        assert!(matches!(err, ParseError::Unexpected(ref m) if m.contains("Arista DCS")));
    }
}
