//! `show interfaces`.
//!
//! Output: a JSON array with one object per interface, in device order.
//! Every object has the same keys (see the module doc of `parsers` for the
//! string/number convention):
//!
//! ```json
//! [{"interface": "GigabitEthernet0/0", "link_status": "up",
//!   "protocol_status": "up", "hardware_type": "CN Gigabit Ethernet",
//!   "mac_address": "5475.d0a1.b2c0", "bia": "5475.d0a1.b2c0",
//!   "description": "WAN", "ip_address": "203.0.113.2", "prefix_length": "30",
//!   "mtu": "1500", "duplex": "Full Duplex", "speed": "100Mbps",
//!   "media_type": "RJ45", "bandwidth": "100000 Kbit", "delay": "100 usec",
//!   "encapsulation": "ARPA", "last_input": "00:00:00",
//!   "last_output": "00:00:00", "last_output_hang": "never",
//!   "queue_strategy": "fifo", "input_rate": 4789000, "output_rate": 1201000,
//!   "input_packets": 2845127823, "output_packets": 1834251290,
//!   "input_octets": 2779188812044, "output_octets": 402398127390,
//!   "input_errors": 0, "crc": 0, "abort": null, "output_errors": 0}]
//! ```
//!
//! * `link_status`/`protocol_status` are the two states of the first line as
//!   printed, including a switch port's reason (`"down (notconnect)"`); the
//!   `, Autostate Enabled` suffix of IOS-XE SVIs is dropped.
//! * `bandwidth`/`delay` keep their unit without `/sec` (`"100000 Kbit"`,
//!   `"100 usec"`), as ntc-templates does; `duplex`/`speed` are as printed
//!   (`"Full-duplex"`/`"100Mb/s"` on switches, `"Full Duplex"`/`"100Mbps"` on
//!   routers, `"Auto-duplex"`/`"Auto-speed"`).
//! * `input_rate`/`output_rate` are the bits/sec of the load-interval rate
//!   lines (`5 minute input rate …` or `30 second input rate …`).
//! * `input_octets`/`output_octets` are the byte counts of `N packets input,
//!   M bytes` / `N packets output, M bytes`.
//! * `abort` is `null` where IOS prints no abort counter (Ethernet); every
//!   counter is `null` for a sub-interface, which prints none.

use std::sync::LazyLock;

use netrun_guest::text::re;
use regex::Regex;
use serde_json::{Map, Value};

use super::{ParseError, excerpt, lines};

const COMMAND: &str = "show interfaces";

/// Fields holding text; `""` when the output does not show them.
const STRING_FIELDS: &[&str] = &[
    "interface",
    "link_status",
    "protocol_status",
    "hardware_type",
    "mac_address",
    "bia",
    "description",
    "ip_address",
    "prefix_length",
    "mtu",
    "duplex",
    "speed",
    "media_type",
    "bandwidth",
    "delay",
    "encapsulation",
    "last_input",
    "last_output",
    "last_output_hang",
    "queue_strategy",
];

/// Fields holding measurements; `null` when the output does not show them.
const NUMBER_FIELDS: &[&str] = &[
    "input_rate",
    "output_rate",
    "input_packets",
    "output_packets",
    "input_octets",
    "output_octets",
    "input_errors",
    "crc",
    "abort",
    "output_errors",
];

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\S+) is (.+?), line protocol is (.*?)\s*$"));
static AUTOSTATE: LazyLock<Regex> = LazyLock::new(|| re(r"\s*,\s*Autostate \w+$"));
static HARDWARE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s+Hardware is\s+(.+?)(?:,\s+address is\s+(\S+)\s+\(bia\s+(\S+)\))?\s*$")
});
static DESCRIPTION: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+Description:\s?(.*?)\s*$"));
static INTERNET: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+Internet address is\s+(\d+\.\d+\.\d+\.\d+)/(\d+)"));
static MTU: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+MTU\s+(\d+)\s+bytes"));
static BW: LazyLock<Regex> = LazyLock::new(|| re(r"\bBW\s+(\d+\s+\w+)/sec"));
static DLY: LazyLock<Regex> = LazyLock::new(|| re(r"\bDLY\s+(\d+\s+\w+)"));
static DUPLEX: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s+((?:full|half|auto|unknown)[- ]duplex),\s*([^,]*?)\s*(?:,|$)"));
static MEDIA: LazyLock<Regex> = LazyLock::new(|| re(r"media type is\s+(.+?)\s*$"));
static ENCAPSULATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+Encapsulation\s+([^,]+?)\s*(?:,|$)"));
static LAST: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s+Last input\s+([^,]+?),\s+output\s+([^,]+?),\s+output hang\s+(.+?)\s*$")
});
static QUEUE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+Queueing strategy:\s*(.+?)\s*$"));
static RATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+\d+\s+(?:minute|second)s?\s+(input|output) rate\s+(\d+)\s+bits/sec"));
static PACKETS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+(\d+)\s+packets (input|output),\s+(\d+)\s+bytes"));
static INPUT_ERRORS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s+(\d+)\s+input errors,\s+(\d+)\s+CRC\b"));
static ABORT: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d+)\s+abort\b"));
static OUTPUT_ERRORS: LazyLock<Regex> = LazyLock::new(|| re(r"^\s+(\d+)\s+output errors\b"));

/// One interface being filled in; each field keeps the first value found.
struct Interface(Map<String, Value>);

impl Interface {
    fn new(name: &str, link_status: &str, protocol_status: &str) -> Self {
        let mut map = Map::new();
        for field in STRING_FIELDS {
            map.insert((*field).to_string(), Value::String(String::new()));
        }
        for field in NUMBER_FIELDS {
            map.insert((*field).to_string(), Value::Null);
        }
        let mut interface = Interface(map);
        interface.text("interface", name);
        interface.text("link_status", link_status);
        interface.text("protocol_status", protocol_status);
        interface
    }

    fn text(&mut self, field: &str, value: &str) {
        if let Some(slot) = self.0.get_mut(field)
            && slot.as_str() == Some("")
        {
            *slot = Value::String(value.to_string());
        }
    }

    fn number(&mut self, field: &str, digits: &str) {
        if let Some(slot) = self.0.get_mut(field)
            && slot.is_null()
            && let Ok(value) = digits.parse::<u64>()
        {
            *slot = Value::from(value);
        }
    }

    /// Take what `line` (an indented detail line) says about the interface.
    fn absorb(&mut self, line: &str) {
        if let Some(caps) = HARDWARE.captures(line) {
            self.text("hardware_type", &caps[1]);
            if let (Some(mac), Some(bia)) = (caps.get(2), caps.get(3)) {
                self.text("mac_address", mac.as_str());
                self.text("bia", bia.as_str());
            }
        } else if let Some(caps) = DESCRIPTION.captures(line) {
            self.text("description", &caps[1]);
        } else if let Some(caps) = INTERNET.captures(line) {
            self.text("ip_address", &caps[1]);
            self.text("prefix_length", &caps[2]);
        } else if let Some(caps) = MTU.captures(line) {
            self.text("mtu", &caps[1]);
            if let Some(caps) = BW.captures(line) {
                self.text("bandwidth", &caps[1]);
            }
            if let Some(caps) = DLY.captures(line) {
                self.text("delay", &caps[1]);
            }
        } else if let Some(caps) = ENCAPSULATION.captures(line) {
            self.text("encapsulation", &caps[1]);
        } else if let Some(caps) = LAST.captures(line) {
            self.text("last_input", &caps[1]);
            self.text("last_output", &caps[2]);
            self.text("last_output_hang", &caps[3]);
        } else if let Some(caps) = QUEUE.captures(line) {
            self.text("queue_strategy", &caps[1]);
        } else if let Some(caps) = RATE.captures(line) {
            self.number(&format!("{}_rate", &caps[1]), &caps[2]);
        } else if let Some(caps) = PACKETS.captures(line) {
            self.number(&format!("{}_packets", &caps[2]), &caps[1]);
            self.number(&format!("{}_octets", &caps[2]), &caps[3]);
        } else if let Some(caps) = INPUT_ERRORS.captures(line) {
            self.number("input_errors", &caps[1]);
            self.number("crc", &caps[2]);
            if let Some(caps) = ABORT.captures(line) {
                self.number("abort", &caps[1]);
            }
        } else if let Some(caps) = OUTPUT_ERRORS.captures(line) {
            self.number("output_errors", &caps[1]);
        } else {
            if let Some(caps) = DUPLEX.captures(line) {
                self.text("duplex", &caps[1]);
                self.text("speed", &caps[2]);
            }
            if let Some(caps) = MEDIA.captures(line) {
                self.text("media_type", &caps[1]);
            }
        }
    }
}

pub(super) fn parse(output: &str) -> Result<Value, ParseError> {
    let mut interfaces: Vec<Interface> = Vec::new();
    for line in lines(output) {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            match interfaces.last_mut() {
                Some(interface) => interface.absorb(line),
                None => return Err(expected_header(line)),
            }
        } else if let Some(caps) = HEADER.captures(line) {
            let protocol = AUTOSTATE.replace(&caps[3], "");
            interfaces.push(Interface::new(&caps[1], &caps[2], protocol.trim()));
        } else {
            return Err(expected_header(line));
        }
    }
    if interfaces.is_empty() {
        return Err(ParseError::Unexpected(format!(
            "{COMMAND}: expected an interface header \"<name> is <state>, line protocol is \
             <state>\", got empty output"
        )));
    }
    Ok(Value::Array(
        interfaces.into_iter().map(|i| Value::Object(i.0)).collect(),
    ))
}

fn expected_header(line: &str) -> ParseError {
    ParseError::Unexpected(format!(
        "{COMMAND}: expected an interface header \"<name> is <state>, line protocol is \
         <state>\", got {:?}",
        excerpt(line)
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::parse as parse_command;
    use super::*;

    #[test]
    fn every_regex_compiles() {
        for re in [
            &HEADER,
            &AUTOSTATE,
            &HARDWARE,
            &DESCRIPTION,
            &INTERNET,
            &MTU,
            &BW,
            &DLY,
            &DUPLEX,
            &MEDIA,
            &ENCAPSULATION,
            &LAST,
            &QUEUE,
            &RATE,
            &PACKETS,
            &INPUT_ERRORS,
            &ABORT,
            &OUTPUT_ERRORS,
        ] {
            LazyLock::force(re);
        }
    }

    const SVI: &str = "\
Vlan1 is administratively down, line protocol is down , Autostate Enabled
  Hardware is Ethernet SVI, address is 2cab.eb4e.2dc7 (bia 2cab.eb4e.2dc7)
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, 
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive not supported 
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input never, output never, output hang never
  Last clearing of \"show interface\" counters never
  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: 0
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  30 second input rate 0 bits/sec, 0 packets/sec
  30 second output rate 0 bits/sec, 0 packets/sec
     0 packets input, 0 bytes, 0 no buffer
     Received 0 broadcasts (0 IP multicasts)
     0 runts, 0 giants, 0 throttles 
     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored
     0 packets output, 0 bytes, 0 underruns
     Output 0 broadcasts (0 IP multicasts)
     0 output errors, 0 interface resets
     0 unknown protocol drops
     0 output buffer failures, 0 output buffers swapped out
";

    #[test]
    fn xe_svi_with_autostate() {
        let parsed = parse(SVI).unwrap();
        let svi = &parsed[0];
        assert_eq!(svi["link_status"], "administratively down");
        assert_eq!(svi["protocol_status"], "down");
        assert_eq!(svi["hardware_type"], "Ethernet SVI");
        assert_eq!(svi["mac_address"], "2cab.eb4e.2dc7");
        assert_eq!(svi["bandwidth"], "1000000 Kbit");
        assert_eq!(svi["delay"], "10 usec");
        assert_eq!(svi["input_rate"], 0);
        assert_eq!(svi["abort"], Value::Null);
        assert_eq!(svi["duplex"], "");
        assert_eq!(svi["ip_address"], "");
        assert_eq!(
            svi.as_object().unwrap().len(),
            STRING_FIELDS.len() + NUMBER_FIELDS.len()
        );
    }

    #[test]
    fn abbreviations_reach_this_parser() {
        for command in ["show interfaces", "sh int", "show interface", "SH INTERF"] {
            assert_eq!(parse_command(command, SVI).unwrap(), parse(SVI).unwrap());
        }
    }

    #[test]
    fn crlf_line_endings() {
        let crlf = SVI.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(SVI).unwrap());
    }

    #[test]
    fn duplex_variants() {
        let cases = [
            (
                "  Full-duplex, 100Mb/s, media type is 10/100BaseTX",
                "Full-duplex",
                "100Mb/s",
                "10/100BaseTX",
            ),
            (
                "  Auto-duplex, Auto-speed, media type is 10/100/1000BaseTX",
                "Auto-duplex",
                "Auto-speed",
                "10/100/1000BaseTX",
            ),
            (
                "  Full Duplex, 1000Mbps, link type is auto, media type is RJ45",
                "Full Duplex",
                "1000Mbps",
                "RJ45",
            ),
            (
                "  Full-duplex, 10Gb/s, link type is force-up, media type is SFP-10GBase-SR",
                "Full-duplex",
                "10Gb/s",
                "SFP-10GBase-SR",
            ),
            (
                "  Half-duplex, 10Mb/s, 100BaseTX/FX",
                "Half-duplex",
                "10Mb/s",
                "",
            ),
        ];
        for (line, duplex, speed, media) in cases {
            let mut interface = Interface::new("Gi0/1", "up", "up");
            interface.absorb(line);
            assert_eq!(interface.0["duplex"], duplex, "{line}");
            assert_eq!(interface.0["speed"], speed, "{line}");
            assert_eq!(interface.0["media_type"], media, "{line}");
        }
    }

    #[test]
    fn header_variants() {
        let text = "\
GigabitEthernet1/0/3 is down, line protocol is down (notconnect) 
FastEthernet0/7 is down, line protocol is down (err-disabled) 
Serial0/0/0 is up, line protocol is up 
";
        let parsed = parse(text).unwrap();
        assert_eq!(
            parsed
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["interface"].clone(), i["protocol_status"].clone()))
                .collect::<Vec<_>>(),
            vec![
                (json!("GigabitEthernet1/0/3"), json!("down (notconnect)")),
                (json!("FastEthernet0/7"), json!("down (err-disabled)")),
                (json!("Serial0/0/0"), json!("up")),
            ]
        );
    }

    #[test]
    fn garbage_is_unexpected() {
        for garbage in [
            "",
            "random text",
            "% Invalid input detected at '^' marker.",
            "  indented text before any interface",
            "Interface              IP-Address      OK? Method Status                Protocol\n\
             GigabitEthernet0/0     192.0.2.1       YES NVRAM  up                    up",
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11",
        ] {
            let err = parse_command(COMMAND, garbage).unwrap_err();
            let ParseError::Unexpected(msg) = &err else {
                panic!("{err:?}");
            };
            assert!(msg.contains(COMMAND), "{msg}");
        }
    }

    #[test]
    fn stray_line_after_interfaces_is_unexpected() {
        let err = parse(&format!("{SVI}Switch#\n")).unwrap_err();
        assert!(matches!(err, ParseError::Unexpected(ref m) if m.contains("Switch#")));
    }
}
