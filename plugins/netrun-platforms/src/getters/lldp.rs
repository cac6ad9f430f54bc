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
    text.split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            let name = match w.to_ascii_lowercase().as_str() {
                "b" | "bridge" => "bridge",
                "r" | "router" => "router",
                "t" | "telephone" => "telephone",
                "c" | "docsis" | "docsis-cable-device" => "docsis-cable-device",
                "w" | "wlan" | "wlan-access-point" | "wlanaccesspoint" => "wlan-access-point",
                "p" | "repeater" => "repeater",
                "s" | "station" | "station-only" => "station",
                "o" | "other" => "other",
                other => return other.to_string(),
            };
            name.to_string()
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_take_napalm_names() {
        assert_eq!(capabilities("B,R"), ["bridge", "router"]);
        assert_eq!(capabilities("B, T"), ["bridge", "telephone"]);
        assert_eq!(capabilities("Bridge, Router"), ["bridge", "router"]);
        assert_eq!(capabilities("bridge router"), ["bridge", "router"]);
        assert!(capabilities("not advertised").is_empty());
    }
}
