//! Fixed-width ARP and LLDP neighbour tables (AOS-CX, OS10, ProCurve,
//! VyOS, SR OS, Comware): rows cut at the header's column starts, so a
//! system name or port description with spaces stays whole.

use super::napalm::{self, check, missing};
use netrun_guest::text::{ParseError, column_starts, columns};
use serde_json::{Map, Value, json};

/// The rows under the header holding every one of `names` (the first
/// starts it), cut into those columns; rulers, blank and total lines
/// (a first column that does not start where the header's does) skipped.
pub fn rows<'a>(
    command: &str,
    output: &'a str,
    errors: &[&str],
    names: &[&str],
) -> Result<Vec<Vec<&'a str>>, ParseError> {
    check(command, output, errors)?;
    let first = names.first().copied().unwrap_or("");
    let (header, lines) = napalm::table(command, output, first, &names[1..])?;
    let starts = column_starts(header, names)
        .ok_or_else(|| missing(command, &format!("`{}` columns", names.join(" … "))))?;
    Ok(lines
        .into_iter()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.chars().all(|c| matches!(c, '-' | '=' | '+' | ' '))
        })
        .map(|l| columns(l, &starts))
        .collect())
}

/// `get_arp_table` entries of rows where `pick` gives (interface, MAC,
/// IPv4 address, age); rows without an address or a MAC (incomplete
/// entries) are left out.
pub fn arp<'a>(
    rows: &[Vec<&'a str>],
    pick: impl Fn(&[&'a str]) -> Option<(&'a str, &'a str, &'a str, Option<f64>)>,
) -> Value {
    let entries: Vec<Value> = rows
        .iter()
        .filter_map(|r| pick(r))
        .filter(|(_, mac, ip, _)| {
            ip.parse::<std::net::Ipv4Addr>().is_ok() && napalm::mac(mac).is_some()
        })
        .map(|(interface, mac, ip, age)| napalm::arp(interface, mac, ip, age))
        .collect();
    json!(entries)
}

/// `get_lldp_neighbors` of rows where `pick` gives (local port, system
/// name, port ID); rows with no local port are left out.
pub fn lldp<'a>(
    rows: &[Vec<&'a str>],
    pick: impl Fn(&[&'a str]) -> Option<(&'a str, &'a str, &'a str)>,
) -> Value {
    let mut map = Map::new();
    for (local, host, port) in rows.iter().filter_map(|r| pick(r)) {
        if !local.is_empty() && !local.contains(' ') {
            napalm::add_lldp(&mut map, local, host, port);
        }
    }
    Value::Object(map)
}
