//! Helpers shared by the getters of every platform: NAPALM's value shapes
//! (MAC addresses, uptimes in seconds, speeds in Mbit/s) and the clean-up of
//! lines some CLIs print around every output.

use netrun_guest::text::{ParseError, excerpt};
use serde_json::{Map, Value, json};

/// The outputs of `expected` commands, in order, from (command, output) pairs.
pub fn outputs_in_order<'a>(
    getter: &str,
    expected: &[String],
    outputs: &'a [(String, String)],
) -> Result<Vec<&'a str>, ParseError> {
    if outputs.len() != expected.len() {
        return Err(ParseError::Unexpected(format!(
            "getter {getter} needs the outputs of {} command(s) ({}), got {}",
            expected.len(),
            expected.join("; "),
            outputs.len()
        )));
    }
    expected
        .iter()
        .zip(outputs)
        .map(|(want, (got, output))| {
            if want.trim() == got.trim() {
                Ok(output.as_str())
            } else {
                Err(ParseError::Unexpected(format!(
                    "getter {getter} expected the output of {want:?}, got that of {got:?}"
                )))
            }
        })
        .collect()
}

/// The lines of `output` a parser should read: without the `\r` of `\r\n`,
/// without the IOS XR timestamp line that starts every output, and without
/// the context lines Junos, PAN-OS, VyOS and SR OS MD-CLI print above their
/// prompt (`{master:0}`, `[edit]`, `[/]`).
pub fn lines(output: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = output.lines().map(|l| l.trim_end_matches('\r')).collect();
    if let Some(first) = lines.iter().position(|l| !l.trim().is_empty())
        && is_xr_timestamp(lines[first])
    {
        lines.drain(..=first);
    }
    while let Some(last) = lines.last() {
        let t = last.trim();
        let context = (t.starts_with('{') && t.ends_with('}') && !t.contains(' '))
            || (t.starts_with("[edit") && t.ends_with(']'))
            || (t.starts_with('[') && t.ends_with(']') && t.contains('/'))
            || is_md_cli_context(t)
            || t.is_empty();
        if context {
            lines.pop();
        } else {
            break;
        }
    }
    lines
}

/// An SR OS MD-CLI context line: `[/]`, `[]` and `[configure]` (releases
/// before 21 print no leading `/`), with a configuration mode
/// (`(ex)[/]`, `[pr:/configure]`) and the `!` / `*` indicators before it.
fn is_md_cli_context(t: &str) -> bool {
    let t = t.trim_start_matches(['!', '*']);
    let t = match t.strip_prefix('(') {
        Some(rest) => match rest.split_once(')') {
            Some(("ex" | "pr" | "gl" | "ro", rest)) => rest,
            _ => return false,
        },
        None => t,
    };
    let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return false;
    };
    let inner = ["ex:", "pr:", "gl:", "ro:"]
        .iter()
        .find_map(|m| inner.strip_prefix(m))
        .unwrap_or(inner);
    inner.is_empty()
        || inner.starts_with('/')
        || inner == "configure"
        || inner.starts_with("configure ")
}

/// `Mon Jan 16 10:11:12.345 UTC`.
fn is_xr_timestamp(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() == 5
        && ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&words[0])
        && words[1].len() == 3
        && words[2].chars().all(|c| c.is_ascii_digit())
        && words[3].matches(':').count() == 2
}

/// Refuse empty output and a device's error message in place of the output.
pub fn check(command: &str, output: &str, errors: &[&str]) -> Result<(), ParseError> {
    if lines(output).iter().all(|l| l.trim().is_empty()) {
        return Err(ParseError::Unexpected(format!(
            "expected output of {command:?}, got empty output"
        )));
    }
    refused(command, output, errors)
}

/// Refuse a device's error message in place of the output, for a command
/// whose empty output is an answer (an empty neighbour list).
pub fn refused(command: &str, output: &str, errors: &[&str]) -> Result<(), ParseError> {
    if let Some(line) = lines(output)
        .into_iter()
        .find(|l| errors.iter().any(|e| l.contains(e)))
    {
        return Err(ParseError::Unexpected(format!(
            "expected output of {command:?}, the device answered: {}",
            excerpt(line)
        )));
    }
    Ok(())
}

/// The value of the first `Key: value` line (`Key   : value`, blanks
/// around the colon alike) whose key is `key` and whose value is not empty.
pub fn key_value<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        (k.trim() == key && !v.is_empty()).then_some(v)
    })
}

/// An output line missing: the message names the command and what was looked for.
pub fn missing(command: &str, what: &str) -> ParseError {
    ParseError::Unexpected(format!(
        "output of {command:?} has no {what}; is this that command's output?"
    ))
}

/// A MAC address in NAPALM's form (`00:1C:58:29:4A:71`) from any vendor form
/// (`001c.5829.4a71`, `00-1c-58-29-4a-71`, `001c-5829-4a71`, `001c58-294a71`,
/// `0:1c:58:29:4a:71`);
/// `None` for anything else.
pub fn mac(text: &str) -> Option<String> {
    let text = text.trim();
    let groups: Vec<&str> = text.split([':', '-', '.']).collect();
    let hex: String = match groups.len() {
        6 if groups.iter().all(|g| (1..=2).contains(&g.len())) => {
            groups.iter().map(|g| format!("{g:0>2}")).collect()
        }
        3 if groups.iter().all(|g| g.len() == 4) => groups.concat(),
        // ProCurve / ArubaOS-Switch: `001122-334455`.
        2 if groups.iter().all(|g| g.len() == 6) => groups.concat(),
        1 if text.len() == 12 => text.to_string(),
        _ => return None,
    };
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_uppercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// Seconds in a duration written the ways CLIs write them: `10w6d 02:11`,
/// `3d04h`, `1y2w`, `02:11:05`, `76 days, 2:11`, `1 week, 2 days, 3 hours,
/// 4 minutes`, `00:45:12`. `None` when nothing was recognised.
pub fn duration(text: &str) -> Option<u64> {
    let text = text.trim().trim_end_matches(" ago").trim_end_matches(',');
    let mut total = 0u64;
    let mut found = false;
    // Word form: "2 weeks, 1 day, 3 hours, 4 minutes", "76 days, 2:11".
    let words: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if let Some(secs) = clock(w) {
            total += secs;
            found = true;
            i += 1;
            continue;
        }
        if let Ok(n) = w.parse::<u64>()
            && let Some(unit) = words.get(i + 1)
            && let Some(size) = unit_seconds(unit)
        {
            total += n * size;
            found = true;
            i += 2;
            continue;
        }
        // Compact form: 10w6d, 3d04h, 1y2w, 5h12m, 4m30s.
        let mut number = String::new();
        let mut ok = !w.is_empty();
        let mut compact = 0u64;
        for c in w.chars() {
            if c.is_ascii_digit() {
                number.push(c);
            } else if let (Ok(n), Some(size)) =
                (number.parse::<u64>(), unit_seconds(&c.to_string()))
            {
                compact += n * size;
                number.clear();
            } else {
                ok = false;
                break;
            }
        }
        if ok && number.is_empty() {
            total += compact;
            found = true;
        }
        i += 1;
    }
    found.then_some(total)
}

/// `hh:mm` or `hh:mm:ss` in seconds.
fn clock(word: &str) -> Option<u64> {
    let parts: Vec<&str> = word.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let nums: Option<Vec<u64>> = parts.iter().map(|p| p.parse().ok()).collect();
    let nums = nums?;
    Some(match nums.as_slice() {
        [h, m] => h * 3600 + m * 60,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    })
}

fn unit_seconds(unit: &str) -> Option<u64> {
    // `day(s)` as NX-OS writes it.
    let u = unit
        .trim_end_matches(',')
        .trim_end_matches("(s)")
        .to_ascii_lowercase();
    Some(match u.as_str() {
        "y" | "year" | "years" | "yr" | "yrs" => 365 * 86_400,
        "w" | "week" | "weeks" | "wk" | "wks" => 7 * 86_400,
        "d" | "day" | "days" => 86_400,
        "h" | "hour" | "hours" | "hr" | "hrs" => 3_600,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        _ => return None,
    })
}

/// Interface speed in Mbit/s from `1000mbps`, `10Gbps`, `1G`, `100M`,
/// `10000 Mb/s`, `40 Gb/s`, `25G`; `None` for `auto`, `Unknown`, …
pub fn speed_mbit(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase().replace(' ', "");
    let digits: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = digits.parse().ok()?;
    let unit = &t[digits.len()..];
    let factor = match unit.chars().next() {
        Some('g') => 1000.0,
        Some('m') => 1.0,
        Some('k') => 0.001,
        Some('t') => 1_000_000.0,
        None => 1.0,
        _ => return None,
    };
    Some(n * factor)
}

/// NAPALM's `get_facts` shape. `uptime` is seconds (-1 when unknown).
pub struct Facts<'a> {
    /// Hostname.
    pub hostname: &'a str,
    /// Fully qualified name (the hostname when no domain is shown).
    pub fqdn: &'a str,
    /// Vendor.
    pub vendor: &'a str,
    /// Chassis model.
    pub model: &'a str,
    /// Chassis serial number.
    pub serial_number: &'a str,
    /// Software version.
    pub os_version: &'a str,
    /// Uptime in seconds.
    pub uptime: Option<u64>,
    /// Interface names.
    pub interface_list: Vec<String>,
}

impl Facts<'_> {
    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "hostname": self.hostname,
            "fqdn": self.fqdn,
            "vendor": self.vendor,
            "model": self.model,
            "serial_number": self.serial_number,
            "os_version": self.os_version,
            "uptime": self.uptime.map_or(-1.0, |s| s as f64),
            "interface_list": self.interface_list,
        })
    }
}

/// NAPALM's `get_interfaces` entry.
pub fn interface(
    is_up: bool,
    is_enabled: bool,
    description: &str,
    speed: Option<f64>,
    mtu: Option<u64>,
    mac_address: &str,
) -> Value {
    json!({
        "is_up": is_up,
        "is_enabled": is_enabled,
        "description": description,
        "last_flapped": -1.0,
        "speed": speed.unwrap_or(-1.0),
        "mtu": mtu.unwrap_or(0),
        "mac_address": mac(mac_address).unwrap_or_default(),
    })
}

/// Add `address/len` to a `get_interfaces_ip` map under `interface`.
pub fn add_ip(map: &mut Map<String, Value>, interface: &str, address: &str, prefix_length: u32) {
    let family = if address.contains(':') {
        "ipv6"
    } else {
        "ipv4"
    };
    let entry = map
        .entry(interface.to_string())
        .or_insert_with(|| json!({}));
    let fam = entry
        .as_object_mut()
        .map(|o| o.entry(family).or_insert_with(|| json!({})));
    if let Some(Value::Object(addrs)) = fam {
        addrs.insert(
            address.to_string(),
            json!({ "prefix_length": prefix_length }),
        );
    }
}

/// Split `10.0.0.1/24` into address and prefix length; a bare address gets
/// the host length (32 or 128).
pub fn cidr(text: &str) -> Option<(String, u32)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, l.parse().ok()?),
        None => (text, if text.contains(':') { 128 } else { 32 }),
    };
    let valid = addr.parse::<std::net::IpAddr>().is_ok();
    valid.then(|| (addr.to_string(), len))
}

/// Prefix length of a dotted netmask (`255.255.255.0` → 24).
pub fn mask_len(mask: &str) -> Option<u32> {
    let m: std::net::Ipv4Addr = mask.parse().ok()?;
    let bits = u32::from(m);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then_some(bits.leading_ones())
}

/// NAPALM's `get_arp_table` entry; `age` in seconds (-1 when not shown).
pub fn arp(interface: &str, mac_text: &str, ip: &str, age: Option<f64>) -> Value {
    json!({
        "interface": interface,
        "mac": mac(mac_text).unwrap_or_else(|| mac_text.to_string()),
        "ip": ip,
        "age": age.unwrap_or(-1.0),
    })
}

/// Add one `get_lldp_neighbors` entry under `local`.
pub fn add_lldp(map: &mut Map<String, Value>, local: &str, hostname: &str, port: &str) {
    let entry = map.entry(local.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(list) = entry {
        list.push(json!({ "hostname": hostname, "port": port }));
    }
}

/// The header line of the table in `output` (it starts with `first` and holds
/// every one of `also`) and the lines after it. The error names the header.
pub fn table<'a>(
    command: &str,
    output: &'a str,
    first: &str,
    also: &[&str],
) -> Result<(&'a str, Vec<&'a str>), ParseError> {
    let lines = lines(output);
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(first) && also.iter().all(|a| l.contains(a)))
        .ok_or_else(|| {
            let mut names = vec![first];
            names.extend(also);
            missing(command, &format!("`{}` table header", names.join(" … ")))
        })?;
    Ok((lines[at], lines[at + 1..].to_vec()))
}

/// `get_lldp_neighbors` from a Cisco-style table (NX-OS, IOS XR, IOS, EOS).
pub fn cisco_lldp(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let mut map = Map::new();
    for (local, device, port) in cisco_lldp_rows(command, output)? {
        add_lldp(&mut map, &local, &device, &port);
    }
    Ok(Value::Object(map))
}

/// `get_arp_table` from a Cisco-style table whose rows start with the
/// address, the age (`hh:mm:ss`, `-` for the device's own) and the MAC, and
/// hold the interface in column `interface` (NX-OS 3, IOS XR 5).
pub fn cisco_arp(
    command: &str,
    output: &str,
    errors: &[&str],
    interface: usize,
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let (_, rows) = table(command, output, "Address", &["Age"])?;
    let mut entries = Vec::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() <= interface || words[0].parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        let age = duration(words[1]).map(|s| s as f64);
        entries.push(arp(words[interface], words[2], words[0], age));
    }
    Ok(json!(entries))
}

/// Rows of a Cisco-style LLDP / CDP neighbour table (`Device ID  Local Intf
/// Hold-time  Capability  Port ID`) as (local interface, device, port). A
/// device ID too long for its column sits alone on its line, the rest of
/// the row on the next.
pub fn cisco_lldp_rows(
    command: &str,
    output: &str,
) -> Result<Vec<(String, String, String)>, ParseError> {
    let (_, lines) = table(command, output, "Device ID", &["Local Intf"])?;
    let mut rows = Vec::new();
    let mut pending: Option<&str> = None;
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("Total entries") || words.is_empty() {
            continue;
        }
        if words.len() == 1 && !line.starts_with(' ') {
            pending = Some(words[0]);
            continue;
        }
        let (device, rest) = match pending.take() {
            Some(device) if line.starts_with(' ') => (device, &words[..]),
            _ => (words[0], &words[1..]),
        };
        // Local interface, hold time, [capabilities], port ID.
        if rest.len() < 3 || rest[1].parse::<u32>().is_err() {
            continue;
        }
        rows.push((
            rest[0].to_string(),
            device.to_string(),
            rest[rest.len() - 1].to_string(),
        ));
    }
    Ok(rows)
}

/// `get_mac_address_table` from a Cisco-style table (IOS, IOS-XE, EOS):
/// `Vlan  Mac Address  Type  Ports  [Moves  Last Move]`, `All` as VLAN for
/// the switch's own entries.
pub fn cisco_mac_table(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let (_, rows) = table(command, output, "Vlan", &["Mac Address", "Type"])?;
    let mut entries = Vec::new();
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 4 {
            continue;
        }
        let Some(address) = mac(words[1]) else {
            continue;
        };
        // EOS adds the number of moves and the time since the last one.
        let moves = words
            .get(4)
            .and_then(|m| m.parse::<i64>().ok())
            .unwrap_or(-1);
        let last_move = words
            .get(5..)
            .map(|w| w.join(" "))
            .and_then(|w| duration(&w))
            .map_or(-1.0, |s| s as f64);
        entries.push(json!({
            "mac": address,
            "interface": words[3],
            "vlan": words[0].parse::<u64>().unwrap_or(0),
            "static": words[2].eq_ignore_ascii_case("static"),
            "active": true,
            "moves": moves,
            "last_move": last_move,
        }));
    }
    Ok(json!(entries))
}

/// NAPALM's `get_mac_address_table` entry, `None` when `mac_text` is no
/// MAC. These CLIs show no move count or time, so both are -1.
pub fn mac_entry(mac_text: &str, interface: &str, vlan: u64, is_static: bool) -> Option<Value> {
    Some(json!({
        "mac": mac(mac_text)?,
        "interface": interface,
        "vlan": vlan,
        "static": is_static,
        "active": true,
        "moves": -1,
        "last_move": -1.0,
    }))
}

/// Interfaces with their (address, prefix length) pairs, in output order.
pub type Addressed<'a> = Vec<(&'a str, Vec<(String, u32)>)>;

/// `get_interfaces_ip` from interfaces with their addresses.
pub fn interfaces_ip(rows: Addressed) -> Value {
    let mut map = Map::new();
    for (name, addresses) in rows {
        for (addr, len) in addresses {
            add_ip(&mut map, name, &addr, len);
        }
    }
    Value::Object(map)
}

/// The long form of an abbreviated interface name (`Te0/0/0/0` →
/// `TenGigE0/0/0/0`) from `(abbreviation, long form)` pairs; a name whose
/// letters are not listed stays as is.
pub fn expand_interface(name: &str, table: &[(&str, &str)]) -> String {
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (letters, rest) = name.split_at(split);
    table
        .iter()
        .find(|(short, _)| *short == letters)
        .map_or_else(|| name.to_string(), |(_, long)| format!("{long}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_take_napalm_form() {
        for text in [
            "001c.5829.4a71",
            "00:1c:58:29:4a:71",
            "00-1C-58-29-4A-71",
            "001c-5829-4a71",
            "001c58-294a71",
            "001C58294A71",
        ] {
            assert_eq!(mac(text).as_deref(), Some("00:1C:58:29:4A:71"), "{text}");
        }
        assert_eq!(mac("0:c:29:1:2:3").as_deref(), Some("00:0C:29:01:02:03"));
        assert_eq!(mac("Incomplete"), None);
        assert_eq!(mac("10.0.0.1"), None);
        assert_eq!(mac("001c5-8294a71"), None);
    }

    #[test]
    fn durations_in_every_cli_form() {
        assert_eq!(
            duration("10w6d 02:11"),
            Some(76 * 86_400 + 2 * 3600 + 11 * 60)
        );
        assert_eq!(duration("3d04h"), Some(3 * 86_400 + 4 * 3600));
        assert_eq!(duration("1y2w"), Some(365 * 86_400 + 14 * 86_400));
        assert_eq!(duration("00:45:12"), Some(45 * 60 + 12));
        assert_eq!(
            duration("76 days,  2:11"),
            Some(76 * 86_400 + 2 * 3600 + 11 * 60)
        );
        assert_eq!(
            duration("2 weeks, 1 day, 3 hours, 4 minutes"),
            Some(15 * 86_400 + 3 * 3600 + 4 * 60)
        );
        assert_eq!(
            duration("125 day(s), 3 hour(s), 25 minute(s), 12 second(s)"),
            Some(125 * 86_400 + 3 * 3600 + 25 * 60 + 12)
        );
        assert_eq!(duration("never"), None);
    }

    #[test]
    fn speeds_in_mbit() {
        assert_eq!(speed_mbit("1000mbps"), Some(1000.0));
        assert_eq!(speed_mbit("10Gbps"), Some(10_000.0));
        assert_eq!(speed_mbit("40 Gb/s"), Some(40_000.0));
        assert_eq!(speed_mbit("100M"), Some(100.0));
        assert_eq!(speed_mbit("auto"), None);
    }

    #[test]
    fn masks_and_prefixes() {
        assert_eq!(mask_len("255.255.255.0"), Some(24));
        assert_eq!(mask_len("255.0.255.0"), None);
        assert_eq!(cidr("10.0.0.1/30"), Some(("10.0.0.1".into(), 30)));
        assert_eq!(cidr("2001:db8::1"), Some(("2001:db8::1".into(), 128)));
        assert_eq!(cidr("up"), None);
    }

    #[test]
    fn context_lines_and_timestamps_are_dropped() {
        let out = "Mon Jan 16 10:11:12.345 UTC\nline 1\n\n{master:0}\n";
        assert_eq!(lines(out), ["line 1"]);
        assert_eq!(lines("a\n[edit]\n"), ["a"]);
        assert_eq!(lines("a\n[/]\n"), ["a"]);
        // SR OS MD-CLI before 21 (no leading `/`) and in a candidate.
        for context in [
            "[]",
            "(ex)[]",
            "*(pr)[/configure]",
            "[pr:configure]",
            "!*[ex:/configure system]",
        ] {
            assert_eq!(lines(&format!("a\n{context}\n")), ["a"], "{context}");
        }
        // Output that only looks alike stays.
        assert_eq!(lines("a\n[b]\n"), ["a", "[b]"]);
        assert_eq!(lines("a\n(x)[/]\n"), ["a", "(x)[/]"]);
    }
}
