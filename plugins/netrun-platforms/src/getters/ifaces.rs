//! `get_interfaces` from the per-interface blocks of `show interface(s)` /
//! `display interface`: every vendor prints one block per interface, a
//! header line at the left margin naming it, then indented detail lines.

use super::ParseError;
use super::napalm::{self, check, lines, missing};
use serde_json::{Map, Value};

/// One interface block: its header line and the lines under it.
pub struct Block<'a> {
    /// The header line.
    pub header: &'a str,
    /// The lines after the header, up to the next header.
    pub body: Vec<&'a str>,
}

impl<'a> Block<'a> {
    /// The rest of the first body line (trimmed) that starts with `prefix`.
    pub fn after(&self, prefix: &str) -> Option<&'a str> {
        self.body
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(str::trim)
    }

    /// The word following `key` anywhere in the block (`MTU 1500` → `1500`).
    pub fn word_after(&self, key: &str) -> Option<&'a str> {
        self.body.iter().find_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| w.trim_end_matches(':') == key)?;
            words.get(at + 1).map(|w| w.trim_end_matches(','))
        })
    }
}

/// `entry` with `last_flapped` set to `secs` (seconds since the last
/// change of link state) where the device prints it.
pub fn flapped(mut entry: Value, secs: Option<u64>) -> Value {
    if let Some(secs) = secs {
        entry["last_flapped"] = Value::from(secs as f64);
    }
    entry
}

/// The blocks of `output`, each starting at a line `header` accepts. Lines
/// before the first header are dropped.
pub fn blocks<'a>(output: &'a str, header: impl Fn(&str) -> bool) -> Vec<Block<'a>> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in lines(output) {
        if header(line) {
            blocks.push(Block {
                header: line,
                body: Vec::new(),
            });
        } else if let Some(b) = blocks.last_mut() {
            b.body.push(line);
        }
    }
    blocks
}

/// The interfaces of `output` as NAPALM's map, one entry per block that
/// `entry` reads; no block at all is a parse error naming `what`.
pub fn interfaces<'a>(
    command: &str,
    output: &'a str,
    errors: &[&str],
    what: &str,
    header: impl Fn(&str) -> bool,
    entry: impl Fn(&Block<'a>) -> Option<(String, Value)>,
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let mut map = Map::new();
    for block in blocks(output, header) {
        if let Some((name, value)) = entry(&block) {
            map.insert(name, value);
        }
    }
    if map.is_empty() {
        return Err(missing(command, what));
    }
    Ok(Value::Object(map))
}

/// Speed in Mbit/s from a Cisco bandwidth (`BW 10000000 Kbit`, ASA
/// `BW 1000 Mbps`): the word after `BW` and its unit.
pub fn cisco_bandwidth(block: &Block) -> Option<f64> {
    block.body.iter().find_map(|l| {
        let words: Vec<&str> = l.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let at = words.iter().position(|w| *w == "BW")?;
        let n: f64 = words.get(at + 1)?.parse().ok()?;
        match words.get(at + 2).map(|u| u.to_ascii_lowercase()) {
            Some(u) if u.starts_with("kbit") => Some(n / 1000.0),
            Some(u) if u.starts_with("mb") => Some(n),
            Some(u) if u.starts_with("gb") => Some(n * 1000.0),
            _ => None,
        }
    })
}

/// The MAC of a Cisco block: `address: 00a6.cafe.0108`, `address is
/// 0026.9829.ae10`, ASA `MAC address 5000.0001.0000`.
pub fn cisco_mac(block: &Block) -> String {
    block
        .body
        .iter()
        .filter(|l| l.contains("address"))
        .find_map(|l| l.split([' ', ',']).find_map(napalm::mac))
        .unwrap_or_default()
}

/// `get_interfaces` from Cisco-style `show interface(s)` (NX-OS, IOS XR,
/// ASA): `Ethernet1/2 is down (Administratively down)`, `Te0/0/0/0 is up,
/// line protocol is up`, `Interface Gi0/0 "outside", is up, line protocol
/// is up`; NX-OS adds `admin state is down`.
pub fn cisco(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    interfaces(
        command,
        output,
        errors,
        "`<interface> is up|down` header lines",
        |l| !l.starts_with([' ', '\t']) && cisco_header(l).is_some(),
        |b| {
            let (name, state) = cisco_header(b.header)?;
            let state = state.to_ascii_lowercase();
            let admin_down = state.contains("administratively down")
                || b.after("admin state is")
                    .is_some_and(|s| s.starts_with("down"));
            let is_up = match state.split_once("line protocol is ") {
                Some((_, p)) => p.trim_start().starts_with("up"),
                None => state.starts_with("up"),
            };
            let mtu = b.word_after("MTU").and_then(|m| m.parse().ok());
            let description = b.after("Description:").unwrap_or("");
            Some((
                name.to_string(),
                napalm::interface(
                    is_up,
                    !admin_down,
                    description,
                    cisco_bandwidth(b),
                    mtu,
                    &cisco_mac(b),
                ),
            ))
        },
    )
}

/// (name, state text after ` is `) of a Cisco header line.
fn cisco_header(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_end();
    // ASA: `Interface GigabitEthernet0/0 "outside", is up, line protocol is up`.
    if let Some(rest) = line.strip_prefix("Interface ") {
        let (name, state) = rest.split_once(", is ")?;
        let name = name.split_whitespace().next()?;
        return Some((name, state));
    }
    let (name, state) = line.split_once(" is ")?;
    let valid = !name.is_empty()
        && !name.contains(' ')
        && name.chars().any(|c| c.is_ascii_digit())
        && (state.starts_with("up")
            || state.starts_with("down")
            || state.starts_with("administratively down")
            || state.starts_with("deleted"));
    valid.then_some((name, state))
}

/// The value of `key` in a `Key : value, Key2: value` segment of any body
/// line (`Speed : 1000,  Loopback: NONE` → `1000`).
pub fn field<'a>(block: &Block<'a>, key: &str) -> Option<&'a str> {
    block.body.iter().find_map(|l| {
        l.split(',').find_map(|seg| {
            let rest = seg.trim().strip_prefix(key)?.trim_start();
            rest.strip_prefix(':').map(str::trim)
        })
    })
}

/// `get_interfaces` from `display interface` of Huawei VRP and H3C/HPE
/// Comware (one heritage): VRP and Comware 5 head a block with `GE0/0/1
/// current state : UP`, Comware 7 with the bare name and `Current state:
/// UP` under it. `Administratively DOWN` is disabled; the line protocol
/// state (`UP (spoofing)` on loopbacks) is `is_up`.
pub fn vrp(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    interfaces(
        command,
        output,
        errors,
        "`<interface> current state` blocks",
        |l| {
            // Comware 5 indents every line by one space.
            let l = l.trim();
            // The name (first word) holds a digit: `NULL0`, `Vlan-interface10`;
            // `Line protocol current state` does not.
            let name = l.split_whitespace().next().unwrap_or("");
            let named = l.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.chars().any(|c| c.is_ascii_digit());
            let bare = !l.contains([' ', ':', '\t']);
            named && (l.contains(" current state") || bare)
        },
        |b| {
            let (name, state) = match b.header.split_once(" current state") {
                Some((name, state)) => (name.trim(), state.trim_start().trim_start_matches(':')),
                None => (b.header.trim(), b.after("Current state:")?),
            };
            let state = state.trim();
            let protocol = b
                .after("Line protocol current state")
                .map(|s| s.trim_start_matches(':').trim())
                .or_else(|| b.after("Line protocol state:"))
                .unwrap_or(state);
            let mtu = b
                .body
                .iter()
                .flat_map(|l| l.split(','))
                .find_map(|seg| {
                    let seg = seg.trim();
                    seg.strip_prefix("The Maximum Transmit Unit is ")
                        .or_else(|| seg.strip_prefix("Maximum transmission unit:"))
                })
                .and_then(|m| m.trim().parse().ok());
            let mac = b
                .body
                .iter()
                .filter(|l| l.to_ascii_lowercase().contains("hardware address"))
                .find_map(|l| l.split([' ', ',']).find_map(napalm::mac))
                .unwrap_or_default();
            Some((
                name.to_string(),
                napalm::interface(
                    protocol.starts_with("UP"),
                    !state.starts_with("Administratively"),
                    b.after("Description:").unwrap_or(""),
                    vrp_speed(b),
                    mtu,
                    &mac,
                ),
            ))
        },
    )
}

/// Mbit/s from Comware `Bandwidth: 1000000 kbps`, VRP `Speed : 1000`, VRP8
/// `Port BW: 10G` / `Current BW: 20Gbps`, Comware 5 `1000Mbps-speed mode`;
/// `None` for `AUTO`, `Unknown-speed mode`.
fn vrp_speed(b: &Block) -> Option<f64> {
    if let Some(kbps) = field(b, "Bandwidth").and_then(|v| v.strip_suffix("kbps")) {
        return kbps.trim().parse::<f64>().ok().map(|k| k / 1000.0);
    }
    if let Some(speed) = field(b, "Speed") {
        return speed.parse::<f64>().ok();
    }
    if let Some(bw) = field(b, "Port BW").or_else(|| field(b, "Current BW")) {
        return napalm::speed_mbit(bw);
    }
    b.body
        .iter()
        .find_map(|l| l.trim().split_once("-speed mode"))
        .and_then(|(s, _)| napalm::speed_mbit(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_naming_the_command() {
        for text in [
            "% Invalid input detected at '^' marker.",
            "hello\nworld",
            "",
        ] {
            let err = cisco("show interface", text, &["% Invalid"]).unwrap_err();
            assert!(err.to_string().contains("show interface"), "{err}");
            let err = vrp("display interface", text, &[]).unwrap_err();
            assert!(err.to_string().contains("display interface"), "{err}");
        }
    }

    #[test]
    fn cisco_headers_of_every_form() {
        assert_eq!(
            cisco_header("Ethernet1/2 is down (Administratively down)"),
            Some(("Ethernet1/2", "down (Administratively down)"))
        );
        assert_eq!(
            cisco_header("Interface GigabitEthernet0/0 \"outside\", is up, line protocol is up"),
            Some(("GigabitEthernet0/0", "up, line protocol is up"))
        );
        assert_eq!(cisco_header("admin state is up, Dedicated Interface"), None);
        assert_eq!(
            cisco_header("Hardware is EtherSVI, address is 00a6.cafe.0107"),
            None
        );
    }
}
