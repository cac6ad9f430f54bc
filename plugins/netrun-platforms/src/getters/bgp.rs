//! NAPALM's `get_bgp_neighbors` shape and the BGP summary tables several
//! CLIs share. A value a summary does not print is -1 (counts, AS, uptime)
//! or `""` (router IDs, descriptions), as NAPALM fills them.

use super::napalm::{self, check, lines};
use netrun_guest::text::ParseError;
use serde_json::{Map, Value, json};

/// The VRF name NAPALM gives the default routing table.
pub const GLOBAL: &str = "global";

/// One peer in one address family, as a summary row shows it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// VRF (`global` for the default table).
    pub vrf: String,
    /// Peer address.
    pub ip: String,
    /// Local AS (-1 when not shown).
    pub local_as: i64,
    /// Peer AS (-1 when not shown).
    pub remote_as: i64,
    /// Peer router ID (`""` when not shown).
    pub remote_id: String,
    /// Session established.
    pub is_up: bool,
    /// Not shut down by configuration (`Idle (Admin)`).
    pub is_enabled: bool,
    /// Description (`""` when not shown).
    pub description: String,
    /// Seconds in the current state (-1 when not shown or `never`).
    pub uptime: i64,
    /// Address family (`ipv4`, `ipv6`, `vpnv4` …).
    pub afi: String,
    /// Prefixes received (-1 when not shown).
    pub received: i64,
    /// Prefixes accepted (-1 when not shown).
    pub accepted: i64,
    /// Prefixes sent (-1 when not shown).
    pub sent: i64,
}

impl Peer {
    /// A peer of the default table with nothing known but its address
    /// (its family that of the address).
    pub fn new(ip: &str) -> Peer {
        Peer {
            vrf: GLOBAL.into(),
            ip: ip.into(),
            local_as: -1,
            remote_as: -1,
            remote_id: String::new(),
            is_up: false,
            is_enabled: true,
            description: String::new(),
            uptime: -1,
            afi: if ip.contains(':') { "ipv6" } else { "ipv4" }.into(),
            received: -1,
            accepted: -1,
            sent: -1,
        }
    }
}

/// `get_bgp_neighbors` built peer by peer; a peer listed again (another
/// address family) adds its family to the first entry.
#[derive(Debug, Default)]
pub struct Neighbors {
    vrfs: Map<String, Value>,
}

impl Neighbors {
    /// Record a VRF's router ID (a VRF without peers still shows).
    pub fn vrf(&mut self, vrf: &str, router_id: &str) {
        let entry = self
            .vrfs
            .entry(vrf.to_string())
            .or_insert_with(|| json!({"router_id": "", "peers": {}}));
        if !router_id.is_empty() {
            entry["router_id"] = json!(router_id);
        }
    }

    /// Add one peer row.
    pub fn add(&mut self, p: Peer) {
        self.vrf(&p.vrf, "");
        let family = json!({
            "received_prefixes": p.received,
            "accepted_prefixes": p.accepted,
            "sent_prefixes": p.sent,
        });
        let peers = &mut self.vrfs[&p.vrf]["peers"];
        if let Some(existing) = peers.get_mut(&p.ip) {
            existing["address_family"][&p.afi] = family;
            return;
        }
        peers[&p.ip] = json!({
            "local_as": p.local_as,
            "remote_as": p.remote_as,
            "remote_id": p.remote_id,
            "is_up": p.is_up,
            "is_enabled": p.is_enabled,
            "description": p.description,
            "uptime": p.uptime,
            "address_family": { p.afi.clone(): family },
        });
    }

    /// The result.
    pub fn json(self) -> Value {
        Value::Object(self.vrfs)
    }
}

/// An AS number, plain (`65001`) or asdot (`1.10` = 65546).
pub fn asn(text: &str) -> Option<i64> {
    match text.split_once('.') {
        Some((hi, lo)) => Some(hi.parse::<i64>().ok()? * 65_536 + lo.parse::<i64>().ok()?),
        None => text.parse().ok(),
    }
}

/// Seconds of an Up/Down column (`1w2d`, `3d04h`, `00:05:12`, `0012h34m`,
/// AOS-CX `00h:03m:03s`); -1 for `never`.
pub fn up_down(text: &str) -> i64 {
    if text.contains(|c: char| c.is_ascii_alphabetic()) && text.contains(':') {
        return napalm::duration(&text.replace(':', "")).map_or(-1, |s| s as i64);
    }
    napalm::duration(text).map_or(-1, |s| s as i64)
}

/// Address family from a section title (`IPv4 Unicast` → `ipv4`,
/// `VPNv4 Unicast` → `vpnv4`, `L2VPN EVPN` → `l2vpn evpn`).
pub fn family(title: &str) -> String {
    let t = title.trim().to_ascii_lowercase();
    match t.strip_suffix(" unicast") {
        Some(f) => f.to_string(),
        None => t,
    }
}

/// The text between `key` and the next comma or end of line, trimmed.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let (_, rest) = line.split_once(key)?;
    let v = rest.split(',').next()?.trim();
    Some(v.split_whitespace().next().unwrap_or(v))
}

/// `get_bgp_neighbors` from Cisco-style summaries (IOS `show bgp all
/// summary`, NX-OS `show bgp all summary vrf all`, IOS XR `show bgp
/// summary`, FRR): sections titled by `For address family: IPv4 Unicast`
/// or `BGP summary information for VRF X, address family IPv4 Unicast`,
/// each with `BGP router identifier A, local AS number N` and a table
/// `Neighbor V AS MsgRcvd MsgSent TblVer InQ OutQ Up/Down State/PfxRcd`.
/// A neighbour too long for its column (IPv6) sits alone on its line, the
/// rest of its row on the next. The state column holds the received
/// prefix count of an established session, else the state (`Active`,
/// `Idle (Admin)`, `Shut (Admin)`). `% BGP not active` (IOS without
/// `router bgp`) is no neighbours.
pub fn cisco_summary(command: &str, output: &str, errors: &[&str]) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    // A device that runs no BGP has no neighbours (NAPALM returns `{}`):
    // IOS `% BGP not active`, FRR `% No BGP neighbors found` and
    // `% BGP instance not found`.
    if lines(output).iter().any(|l| {
        let t = l.trim();
        t == "% BGP not active"
            || t.starts_with("% No BGP neighbors found")
            || t.starts_with("% BGP instance not found")
            || t.starts_with("No BGP neighbors found")
    }) {
        return Ok(json!({}));
    }
    let mut out = Neighbors::default();
    let (mut vrf, mut afi) = (GLOBAL.to_string(), "ipv4".to_string());
    let (mut router_id, mut local_as) = (String::new(), -1);
    let mut in_table = false;
    let mut seen_table = false;
    let mut pending: Option<String> = None;
    for line in lines(output) {
        let t = line.trim();
        if let Some(title) = t.strip_prefix("For address family:") {
            afi = family(title);
            in_table = false;
            continue;
        }
        if let Some(rest) = t.strip_prefix("BGP summary information for VRF") {
            let name = rest.split(',').next().unwrap_or("").trim();
            vrf = vrf_name(name);
            if let Some(f) = rest.split_once("address family") {
                afi = family(f.1);
            }
            in_table = false;
            continue;
        }
        if t.contains("router identifier") && t.contains("local AS number") {
            router_id = field(t, "router identifier").unwrap_or("").to_string();
            local_as = field(t, "local AS number").and_then(asn).unwrap_or(-1);
            out.vrf(&vrf, &router_id);
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        if words.first() == Some(&"Neighbor") && t.contains("PfxRcd") {
            in_table = true;
            seen_table = true;
            continue;
        }
        if !in_table || words.is_empty() {
            continue;
        }
        if words.len() == 1 && napalm::cidr(words[0]).is_some() {
            pending = Some(words[0].to_string());
            continue;
        }
        let (ip, cols) = match pending.take() {
            Some(ip) if line.starts_with(' ') => (ip, &words[..]),
            _ => (words[0].to_string(), &words[1..]),
        };
        // V (or Spk), AS, MsgRcvd, MsgSent, TblVer, InQ, OutQ, Up/Down, State/PfxRcd.
        if cols.len() < 9 || ip.parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let mut state = cols[8].to_string();
        let mut rest = &cols[9..];
        if let Some(next) = rest.first()
            && next.starts_with('(')
        {
            state = format!("{state} {next}");
            rest = &rest[1..];
        }
        let received = state.parse::<i64>().ok();
        let mut p = Peer::new(&ip);
        p.vrf = vrf.clone();
        p.afi = afi.clone();
        p.local_as = local_as;
        p.remote_as = asn(cols[1]).unwrap_or(-1);
        p.is_up = received.is_some();
        p.is_enabled = !state.contains("(Admin)");
        p.uptime = up_down(cols[7]);
        p.received = received.unwrap_or(-1);
        // FRR adds the prefixes sent and the description.
        // FRR before 7.5 has no PfxSnt column and prints `N/A` for no description.
        if let Some(sent) = rest.first().and_then(|s| s.parse::<i64>().ok()) {
            p.sent = sent;
            p.description = rest[1..].join(" ");
        } else if !rest.is_empty() {
            p.description = rest.join(" ");
        }
        if p.description == "N/A" {
            p.description.clear();
        }
        out.add(p);
    }
    if !seen_table && router_id.is_empty() {
        return Err(napalm::missing(
            command,
            "`BGP router identifier` line or `Neighbor … State/PfxRcd` table",
        ));
    }
    Ok(out.json())
}

/// NAPALM names the default VRF `global`.
pub fn vrf_name(name: &str) -> String {
    if name.is_empty() || name == "default" {
        GLOBAL.to_string()
    } else {
        name.to_string()
    }
}

/// A row of a peer table: address, AS, up/down, state and prefixes
/// received, in the platform's column order.
pub struct DisplayRow<'a> {
    /// Peer address.
    pub ip: &'a str,
    /// Peer AS.
    pub remote_as: &'a str,
    /// Up/Down column.
    pub up_down: &'a str,
    /// State (`Established`, `Idle(Admin)` …).
    pub state: String,
    /// PrefRcv column (`""` where the table has none).
    pub received: &'a str,
    /// Shut down by configuration, where the table has a column of its own
    /// for it (AOS-CX `AdminStatus`); otherwise the state says `Admin`.
    pub admin_down: bool,
}

/// A table row read by a platform's column order.
pub type ReadRow = for<'a> fn(&[&'a str]) -> Option<DisplayRow<'a>>;

/// The first word after `key` and the blanks and `:` that follow it
/// (`Local AS : 65001   BGP Router Identifier : 10.0.0.1`).
pub fn labelled<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let (_, rest) = line.split_once(key)?;
    rest.trim_start()
        .trim_start_matches(':')
        .split_whitespace()
        .next()
}

/// The value after `key` on the first line holding it.
pub fn labelled_in<'a>(all: &[&'a str], key: &str) -> Option<&'a str> {
    all.iter().find_map(|l| labelled(l, key))
}

/// Adds the peers of a table's `rows` (the lines after its header) to
/// `vrf` in `out`, each row read by `row`; a peer is up when its state
/// is `Established`.
pub fn table_rows(out: &mut Neighbors, vrf: &str, local_as: i64, rows: &[&str], row: ReadRow) {
    for line in rows {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(r) = row(&words) else { continue };
        if r.ip.parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let mut p = Peer::new(r.ip);
        p.vrf = vrf.to_string();
        p.local_as = local_as;
        p.remote_as = asn(r.remote_as).unwrap_or(-1);
        p.is_up = r.state.eq_ignore_ascii_case("Established");
        p.is_enabled = !r.admin_down && !r.state.contains("Admin");
        p.uptime = up_down(r.up_down);
        p.received = if p.is_up {
            r.received.parse().unwrap_or(-1)
        } else {
            -1
        };
        out.add(p);
    }
}

/// `get_bgp_neighbors` from a Huawei VRP / HPE Comware `display bgp peer`:
/// `BGP local router ID : A` and `Local AS number : N` above a table whose
/// header starts with `Peer`, each row read by `row`.
pub fn display_peers(
    command: &str,
    output: &str,
    errors: &[&str],
    row: ReadRow,
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let all = lines(output);
    let value = |key: &str| {
        all.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.split_whitespace().next().unwrap_or("").to_string())
        })
    };
    let router_id = value("BGP local router ID")
        .ok_or_else(|| napalm::missing(command, "`BGP local router ID` line"))?;
    let local_as = value("Local AS number").and_then(|a| asn(&a)).unwrap_or(-1);
    let mut out = Neighbors::default();
    out.vrf(GLOBAL, &router_id);
    // No peer configured: VRP prints the header lines only.
    if let Some(at) = all
        .iter()
        .position(|l| l.trim_start().starts_with("Peer ") && l.contains("AS"))
    {
        table_rows(&mut out, GLOBAL, local_as, &all[at + 1..], row);
    }
    Ok(out.json())
}

/// `get_bgp_neighbors` from EOS `show ip bgp summary vrf all` / `show
/// ipv6 bgp summary vrf all` (family `afi`): per VRF `BGP summary
/// information for VRF X`, `Router identifier A, local AS number N`, then
/// `[Description] Neighbor V AS MsgRcvd MsgSent InQ OutQ Up/Down State
/// PfxRcd PfxAcc`. The description ends where the `Neighbor` column
/// starts; an IPv6 neighbour too long for its column sits alone on its
/// line. Prefix counts show for established sessions only.
pub fn eos_summary(
    command: &str,
    output: &str,
    errors: &[&str],
    afi: &str,
) -> Result<Value, ParseError> {
    check(command, output, errors)?;
    let mut out = Neighbors::default();
    let mut vrf = GLOBAL.to_string();
    let (mut local_as, mut column) = (-1, None::<usize>);
    let mut pending: Option<(String, String)> = None;
    let mut seen = false;
    for line in lines(output) {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("BGP summary information for VRF") {
            vrf = vrf_name(name.trim());
            column = None;
            seen = true;
            continue;
        }
        if let Some(rest) = t.strip_prefix("Router identifier") {
            let router_id = rest.split(',').next().unwrap_or("").trim();
            local_as = field(t, "local AS number").and_then(asn).unwrap_or(-1);
            out.vrf(&vrf, router_id);
            continue;
        }
        if t.contains("Neighbor") && t.contains("MsgRcvd") {
            column = line.find("Neighbor");
            continue;
        }
        let Some(col) = column else { continue };
        let (description, rest) = match line.get(..col) {
            Some(d) if line.len() > col => (d.trim(), &line[col..]),
            _ => ("", line),
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        if words.len() == 1 && napalm::cidr(words[0]).is_some() {
            pending = Some((description.to_string(), words[0].to_string()));
            continue;
        }
        let (description, ip, cols) = match pending.take() {
            Some((d, ip)) => (d, ip, &words[..]),
            None if !words.is_empty() => {
                (description.to_string(), words[0].to_string(), &words[1..])
            }
            None => continue,
        };
        // V, AS, MsgRcvd, MsgSent, InQ, OutQ, Up/Down, State, [PfxRcd, PfxAcc].
        if cols.len() < 8 || ip.parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let state = cols[7];
        let count = |i: usize| {
            cols.get(i)
                .and_then(|c| c.parse::<i64>().ok())
                .unwrap_or(-1)
        };
        let mut p = Peer::new(&ip);
        p.vrf = vrf.clone();
        p.afi = afi.to_string();
        p.local_as = local_as;
        p.remote_as = asn(cols[1]).unwrap_or(-1);
        p.description = description;
        p.is_up = state.starts_with("Estab");
        p.is_enabled = !state.contains("Admin");
        p.uptime = up_down(cols[6]);
        if p.is_up {
            p.received = count(8);
            p.accepted = count(9);
        }
        out.add(p);
    }
    if !seen {
        return Err(napalm::missing(
            command,
            "`BGP summary information for VRF` line",
        ));
    }
    Ok(out.json())
}

/// Two `get_bgp_neighbors` results as one: the families of a peer in
/// both are merged, router IDs kept.
pub fn merge(mut a: Value, b: Value) -> Value {
    let Value::Object(vrfs) = b else { return a };
    for (vrf, v) in vrfs {
        let target = &mut a[&vrf];
        if target.is_null() {
            *target = v;
            continue;
        }
        if target["router_id"].as_str().is_none_or(str::is_empty) {
            target["router_id"] = v["router_id"].clone();
        }
        let Value::Object(peers) = &v["peers"] else {
            continue;
        };
        for (ip, peer) in peers {
            let existing = &mut target["peers"][ip];
            if existing.is_null() {
                *existing = peer.clone();
            } else if let Value::Object(fams) = &peer["address_family"] {
                for (f, counts) in fams {
                    existing["address_family"][f] = counts.clone();
                }
            }
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_numbers_plain_and_asdot() {
        assert_eq!(asn("65001"), Some(65_001));
        assert_eq!(asn("1.10"), Some(65_546));
        assert_eq!(asn("x"), None);
    }

    #[test]
    fn up_down_never_is_minus_one() {
        assert_eq!(up_down("never"), -1);
        assert_eq!(up_down("1w2d"), 9 * 86_400);
        assert_eq!(up_down("00:05:12"), 312);
        assert_eq!(up_down("01h:03m:03s"), 3_783);
    }

    #[test]
    fn a_peer_listed_in_two_families_is_one_peer() {
        let mut n = Neighbors::default();
        let mut p = Peer::new("10.0.0.1");
        n.add(p.clone());
        p.afi = "ipv6".into();
        p.received = 3;
        n.add(p);
        let v = n.json();
        let fams = &v["global"]["peers"]["10.0.0.1"]["address_family"];
        assert_eq!(fams["ipv4"]["received_prefixes"], -1);
        assert_eq!(fams["ipv6"]["received_prefixes"], 3);
    }
}
