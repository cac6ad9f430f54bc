//! NAPALM's `get_lldp_neighbors_detail` shape and the `Key: value` neighbour
//! blocks Cisco-style CLIs print (`show lldp neighbors detail`).

use super::napalm::{check, lines, missing};
use netrun_guest::text::ParseError;
use serde_json::{Map, Value, json};

/// One neighbour as `get_lldp_neighbors_detail` lists it.
#[derive(Debug, Default, Clone)]
pub struct Detail {
    /// Local port.
    pub local: String,
    /// Aggregate the local port belongs to (`""` when none or not shown).
    pub parent_interface: String,
    /// Neighbour port ID.
    pub remote_port: String,
    /// Neighbour port description.
    pub remote_port_description: String,
    /// Neighbour chassis ID, as printed.
    pub remote_chassis_id: String,
    /// Neighbour system name.
    pub remote_system_name: String,
    /// Neighbour system description.
    pub remote_system_description: String,
    /// Capabilities the neighbour has.
    pub capab: Vec<String>,
    /// Capabilities it has enabled.
    pub enable_capab: Vec<String>,
}

impl Detail {
    /// Set the field NAPALM names `field` (`remote_port`, …,
    /// `remote_system_capab` from a CLI's list); other names are ignored.
    pub fn set(&mut self, field: &str, value: String) {
        match field {
            "remote_port" => self.remote_port = value,
            "remote_port_description" => self.remote_port_description = value,
            "remote_chassis_id" => self.remote_chassis_id = value,
            "remote_system_name" => self.remote_system_name = value,
            "remote_system_description" => self.remote_system_description = value,
            "remote_system_capab" => self.capab = capabilities(&value),
            "remote_system_enable_capab" => self.enable_capab = capabilities(&value),
            "parent_interface" => self.parent_interface = value,
            _ => {}
        }
    }
}

/// Neighbours as `get_lldp_neighbors_detail`: a list per local port.
pub fn json(neighbours: Vec<Detail>) -> Value {
    let mut map = Map::new();
    for n in neighbours {
        let entry = map.entry(n.local.clone()).or_insert_with(|| json!([]));
        if let Value::Array(list) = entry {
            list.push(json!({
                "parent_interface": n.parent_interface,
                "remote_port": n.remote_port,
                "remote_port_description": n.remote_port_description,
                "remote_chassis_id": n.remote_chassis_id,
                "remote_system_name": n.remote_system_name,
                "remote_system_description": n.remote_system_description,
                "remote_system_capab": n.capab,
                "remote_system_enable_capab": n.enable_capab,
            }));
        }
    }
    Value::Object(map)
}

/// NAPALM's capability names from a CLI's list: letters (`B,R`, `B, R`)
/// or words (`Bridge, Router`, `bridge router`, `wlan-access-point`).
pub fn capabilities(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("not advertised") {
        return Vec::new();
    }
    // OS10 spells out `Station Only` among space-separated words.
    let text = text
        .to_ascii_lowercase()
        .replace("station only", "station-only");
    // `B,R`, `Bridge, Router, Customer Bridge` or `bridge router`.
    let words: Vec<&str> = if text.contains(',') {
        text.split(',').collect()
    } else {
        text.split(' ').collect()
    };
    let mut out: Vec<String> = Vec::new();
    for w in words.into_iter().map(str::trim).filter(|w| !w.is_empty()) {
        let name = match w.to_ascii_lowercase().as_str() {
            // 802.1Q C-VLAN and S-VLAN components (Comware): bridges.
            "b" | "bridge" | "customer bridge" | "service bridge" => "bridge".to_string(),
            "r" | "router" => "router".to_string(),
            "t" | "tel" | "telephone" => "telephone".to_string(),
            "c" | "docsis" | "docsis-cable-device" => "docsis-cable-device".to_string(),
            "w" | "wlan" | "wlan-ap" | "wlan-access-point" | "wlanaccesspoint" => {
                "wlan-access-point".to_string()
            }
            "p" | "repeater" => "repeater".to_string(),
            "s" | "station" | "station-only" => "station".to_string(),
            "o" | "other" => "other".to_string(),
            other => other.to_string(),
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `get_lldp_neighbors_detail` from Cisco-style neighbour blocks (IOS,
/// IOS-XE and IOS XR `show lldp neighbors detail`, separated by dashed
/// lines; NX-OS, each block starting at `Chassis id:`). A multi-line
/// `System Description:` runs to the next blank line; its lines are
/// joined by newlines.
pub fn cisco_detail(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let all = lines(output);
    let dashed = |l: &str| l.len() >= 10 && l.trim().chars().all(|c| c == '-');
    let by_dashes = all.iter().any(|l| dashed(l));
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in &all {
        let starts = if by_dashes {
            dashed(line)
        } else {
            line.starts_with("Chassis id:")
        };
        if starts {
            blocks.push(Vec::new());
            if by_dashes {
                continue;
            }
        }
        if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    let mut found = Vec::new();
    for block in blocks {
        let value = |keys: &[&str]| {
            block.iter().find_map(|l| {
                keys.iter()
                    .find_map(|k| l.strip_prefix(k))
                    .map(|v| v.trim().to_string())
            })
        };
        let Some(chassis) = value(&["Chassis id:"]) else {
            continue;
        };
        let local = value(&["Local Intf:", "Local Port id:", "Local Interface:"])
            .ok_or_else(|| missing(command, "`Local Intf:` line in a neighbour"))?;
        let text = |v: Option<String>| {
            // NX-OS prints `null` for a TLV the neighbour did not send.
            v.filter(|s| !matches!(s.as_str(), "- not advertised" | "not advertised" | "null"))
                .unwrap_or_default()
        };
        let raw = value(&["System Description:"]);
        let mut description = text(raw.clone());
        if raw.is_some_and(|r| r.is_empty())
            && let Some(at) = block
                .iter()
                .position(|l| l.starts_with("System Description:"))
        {
            description = block[at + 1..]
                .iter()
                .take_while(|l| !l.trim().is_empty())
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join("\n");
        }
        found.push(Detail {
            local,
            parent_interface: String::new(),
            remote_port: text(value(&["Port id:"])),
            remote_port_description: text(value(&["Port Description:"])),
            remote_chassis_id: chassis,
            remote_system_name: text(value(&["System Name:"])),
            remote_system_description: description,
            capab: capabilities(&text(value(&["System Capabilities:"]))),
            enable_capab: capabilities(&text(value(&["Enabled Capabilities:"]))),
        });
    }
    Ok(json(found))
}

/// `Key   : value` of a detail line, the key without a leading `- ` and
/// the value without quotes.
fn key_value(line: &str) -> Option<(String, String)> {
    let (k, v) = line.split_once(':')?;
    let k = k.trim().trim_start_matches("- ").trim();
    let v = v.trim().trim_matches('"');
    Some((k.to_ascii_lowercase(), v.to_string()))
}

/// Neighbours from blocks of `Key : value` lines under a line naming the
/// local port (`local` reads it), a new neighbour at each line `starts`
/// accepts. `keys` maps the vendor's keys (lower case) to NAPALM's fields;
/// the first occurrence of a key in a neighbour wins. A line that is no
/// key continues the key before it (multi-line system descriptions).
pub fn key_value_blocks(
    command: &str,
    output: &str,
    errors: &[&str],
    local: fn(&str) -> Option<String>,
    starts: fn(&str) -> bool,
    keys: &[(&str, &str)],
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let mut found: Vec<(Detail, Vec<&str>)> = Vec::new();
    let mut port: Option<String> = None;
    let mut last: Option<&str> = None;
    for line in lines(output) {
        if let Some(p) = local(line) {
            port = Some(p);
            last = None;
            continue;
        }
        if starts(line) {
            let Some(p) = &port else {
                return Err(missing(command, "local interface line before a neighbour"));
            };
            found.push((
                Detail {
                    local: p.clone(),
                    ..Default::default()
                },
                Vec::new(),
            ));
        }
        let Some((n, seen)) = found.last_mut() else {
            continue;
        };
        let field = key_value(line).and_then(|(k, v)| {
            keys.iter()
                .find(|(vendor, _)| *vendor == k)
                .map(|(_, field)| (*field, v))
        });
        let (field, value) = match field {
            Some(f) => f,
            None => {
                // A continuation of the description, else an unread key.
                if last == Some("remote_system_description")
                    && !line.trim().is_empty()
                    && !line.contains(':')
                {
                    n.remote_system_description.push('\n');
                    n.remote_system_description.push_str(line.trim());
                } else {
                    last = None;
                }
                continue;
            }
        };
        last = Some(field);
        if seen.contains(&field) {
            continue;
        }
        seen.push(field);
        let value = if matches!(value.as_str(), "--" | "N/A" | "not advertised") {
            String::new()
        } else {
            value
        };
        n.set(field, value);
    }
    Ok(json(found.into_iter().map(|(d, _)| d).collect()))
}

/// The usual `Key : value` names of LLDP neighbour fields (VRP, Comware)
/// and the NAPALM fields they fill, for [`key_value_blocks`].
pub const KEY_VALUE_FIELDS: &[(&str, &str)] = &[
    ("chassis id", "remote_chassis_id"),
    ("port id", "remote_port"),
    ("port description", "remote_port_description"),
    ("system name", "remote_system_name"),
    ("system description", "remote_system_description"),
    ("system capabilities supported", "remote_system_capab"),
    ("system capabilities enabled", "remote_system_enable_capab"),
];

/// A ruler of dashes (at least 10) between neighbour blocks.
pub fn dashed(line: &str) -> bool {
    line.trim().len() >= 10 && line.trim().chars().all(|c| c == '-')
}

/// Neighbours from blocks of `Key: value` lines, a new block at each line
/// `split` accepts (OS10: a dashed line after each neighbour; Junos: `LLDP
/// Neighbor Information:` before each). `keys` maps the vendor's keys (lower
/// case) to NAPALM's fields, `local` being the local port; the first
/// occurrence of a key in a block wins (Junos repeats `Port ID` under its
/// management address). A system description runs on over the lines after
/// it, up to a blank line or one starting with a prefix of `ends` (OS10's
/// holds `OS Version: …` lines of its own).
pub fn blocks(
    command: &str,
    output: &str,
    errors: &[&str],
    split: fn(&str) -> bool,
    keys: &[(&str, &str)],
    ends: &[&str],
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let mut found = Vec::new();
    let mut block = Detail::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut in_description = false;
    let mut flush = |block: &mut Detail| -> Result<(), ParseError> {
        let b = std::mem::take(block);
        if b.remote_chassis_id.is_empty() && b.remote_port.is_empty() {
            return Ok(());
        }
        if b.local.is_empty() {
            return Err(missing(command, "local port line in a neighbour"));
        }
        found.push(b);
        Ok(())
    };
    for line in lines(output) {
        if split(line) {
            flush(&mut block)?;
            seen.clear();
            in_description = false;
            continue;
        }
        if in_description {
            if !line.trim().is_empty() && !ends.iter().any(|e| line.trim_start().starts_with(e)) {
                block.remote_system_description.push('\n');
                block.remote_system_description.push_str(line.trim());
                continue;
            }
            in_description = false;
        }
        let Some((k, v)) = key_value(line) else {
            continue;
        };
        let Some((_, field)) = keys.iter().find(|(vendor, _)| *vendor == k) else {
            continue;
        };
        if seen.contains(field) {
            continue;
        }
        seen.push(field);
        let v = if matches!(v.as_str(), "-" | "--" | "N/A" | "not advertised") {
            String::new()
        } else {
            v
        };
        match *field {
            "local" => block.local = v,
            "parent_interface" => block.parent_interface = v,
            "remote_port" => block.remote_port = v,
            "remote_port_description" => block.remote_port_description = v,
            "remote_chassis_id" => block.remote_chassis_id = v,
            "remote_system_name" => block.remote_system_name = v,
            "remote_system_description" => {
                block.remote_system_description = v;
                in_description = true;
            }
            "remote_system_capab" => block.capab = capabilities(&v),
            "remote_system_enable_capab" => block.enable_capab = capabilities(&v),
            _ => {}
        }
    }
    flush(&mut block)?;
    Ok(json(found))
}

/// lldpd's neighbours as `lldpcli show neighbors details` prints them (VyOS
/// `show lldp neighbors detail`): `Interface:    eth0, via: LLDP, …` starts
/// a neighbour, then indented `Chassis:` and `Port:` sections of `Key:
/// value` lines. IDs carry their subtype first (`mac 00:53:…`, `ifname
/// Gi0/6`, `local 527`); `Capability:   Bridge, on` lines list each
/// capability and whether it is enabled; a description runs on over the
/// lines indented to its value's column.
pub fn lldpd_detail(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    // `mac 00:53:00:01:02:c9` -> the ID without its subtype.
    let id = |v: &str| {
        v.split_once(' ')
            .map_or(v, |(_, rest)| rest.trim())
            .to_string()
    };
    let mut found: Vec<Detail> = Vec::new();
    let mut section = "";
    // The column the description's value starts at, while it may run on.
    let mut description_at: Option<usize> = None;
    for line in lines(output) {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Interface:") {
            let local = rest.split(',').next().unwrap_or("").trim();
            found.push(Detail {
                local: local.to_string(),
                ..Default::default()
            });
            section = "";
            description_at = None;
            continue;
        }
        let Some(n) = found.last_mut() else {
            continue;
        };
        if let Some(at) = description_at {
            if !t.is_empty() && indent(line) >= at {
                n.remote_system_description.push('\n');
                n.remote_system_description.push_str(t);
                continue;
            }
            description_at = None;
        }
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() && indent(line) <= 2 {
            // `Chassis:`, `Port:`, `LLDP-MED:` open a section.
            section = if k == "Chassis" || k == "Port" { k } else { "" };
            continue;
        }
        match (section, k) {
            ("Chassis", "ChassisID") => n.remote_chassis_id = id(v),
            ("Chassis", "SysName") => n.remote_system_name = v.to_string(),
            ("Chassis", "SysDescr") => {
                n.remote_system_description = v.to_string();
                description_at =
                    Some(line.len() - line[line.find(':').unwrap_or(0) + 1..].trim_start().len());
            }
            ("Chassis", "Capability") => {
                let (name, state) = v.split_once(',').unwrap_or((v, ""));
                for c in capabilities(name) {
                    if state.trim() == "on" && !n.enable_capab.contains(&c) {
                        n.enable_capab.push(c.clone());
                    }
                    if !n.capab.contains(&c) {
                        n.capab.push(c);
                    }
                }
            }
            ("Port", "PortID") => n.remote_port = id(v),
            ("Port", "PortDescr") => n.remote_port_description = v.to_string(),
            _ => {}
        }
    }
    Ok(json(found))
}

/// EOS `show lldp neighbors detail`: `Interface Ethernet1 detected 1 LLDP
/// neighbors:`, then per neighbour `Neighbor <chassis>/<port>, age …` and
/// `- Key: "value"` lines.
pub fn eos_detail(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    key_value_blocks(
        command,
        output,
        errors,
        |l| {
            let rest = l.strip_prefix("Interface ")?;
            let (name, _) = rest.split_once(" detected ")?;
            Some(name.to_string())
        },
        |l| l.trim_start().starts_with("Neighbor ") && l.contains(", age "),
        &[
            ("chassis id", "remote_chassis_id"),
            ("port id", "remote_port"),
            ("port description", "remote_port_description"),
            ("system name", "remote_system_name"),
            ("system description", "remote_system_description"),
            ("system capabilities", "remote_system_capab"),
            ("enabled capabilities", "remote_system_enable_capab"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_take_napalm_names() {
        assert_eq!(capabilities("B,R"), ["bridge", "router"]);
        assert_eq!(capabilities("B, T"), ["bridge", "telephone"]);
        assert_eq!(
            capabilities("Bridge, Router, Customer Bridge, Service Bridge"),
            ["bridge", "router"]
        );
        assert_eq!(capabilities("bridge router"), ["bridge", "router"]);
        assert_eq!(capabilities("Bridge, Router"), ["bridge", "router"]);
        assert_eq!(capabilities("bridge router"), ["bridge", "router"]);
        assert!(capabilities("not advertised").is_empty());
        assert_eq!(
            capabilities("Repeater Bridge Router"),
            ["repeater", "bridge", "router"]
        );
        assert_eq!(capabilities("Station Only"), ["station"]);
    }
}
