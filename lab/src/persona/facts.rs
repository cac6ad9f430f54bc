//! Per-device facts of a persona device (model, release, serial, interfaces, LLDP
//! neighbours, ARP and MAC tables, BGP peers, environment), derived from the lab
//! seed, and the device's configuration state shared by all its sessions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;

use super::def::ConfigDef;
use super::tree::Node;
use super::{Persona, PersonaError, registry};
use crate::device::SplitMix64;

/// One interface.
#[derive(Debug, Clone, Serialize)]
pub struct Iface {
    /// Name as the platform prints it (`ge-0/0/3`, `Ethernet1/4`).
    pub name: String,
    /// `physical`, `mgmt`, `loopback`.
    pub kind: &'static str,
    /// IPv4 address, empty when none.
    pub ip: String,
    /// Prefix length (0 when no address).
    pub prefix: u32,
    /// Network address of `ip/prefix`.
    pub network: String,
    /// Administratively enabled.
    pub admin_up: bool,
    /// Link and protocol up.
    pub oper_up: bool,
    /// Description, empty when none.
    pub description: String,
    /// MAC, 12 hex digits (format with the `mac` filter).
    pub mac: String,
    /// Speed, Mbit/s.
    pub speed: u32,
    /// MTU.
    pub mtu: u32,
    /// SNMP ifIndex.
    pub index: u32,
    /// Counters since boot.
    pub in_pkts: u64,
    /// Input octets.
    pub in_bytes: u64,
    /// Output packets.
    pub out_pkts: u64,
    /// Output octets.
    pub out_bytes: u64,
    /// Input errors.
    pub in_errors: u64,
    /// Access VLAN on switches (0 when routed).
    pub vlan: u32,
}

/// One LLDP neighbour.
#[derive(Debug, Clone, Serialize)]
pub struct Lldp {
    /// Local port.
    pub local: String,
    /// Neighbour system name.
    pub host: String,
    /// Neighbour port id.
    pub port: String,
    /// Neighbour port description.
    pub port_descr: String,
    /// Neighbour chassis MAC, 12 hex digits.
    pub chassis: String,
    /// Neighbour management address.
    pub mgmt_ip: String,
    /// Capabilities (`R`, `B,R`).
    pub caps: &'static str,
    /// Hold time left, seconds.
    pub ttl: u32,
    /// Neighbour system description.
    pub descr: String,
}

/// One ARP entry.
#[derive(Debug, Clone, Serialize)]
pub struct Arp {
    /// IPv4 address.
    pub ip: String,
    /// MAC, 12 hex digits.
    pub mac: String,
    /// Interface.
    pub interface: String,
    /// Age, minutes (0 for the device's own addresses).
    pub age: u32,
    /// The device's own address.
    pub local: bool,
}

/// One MAC table entry.
#[derive(Debug, Clone, Serialize)]
pub struct MacEntry {
    /// VLAN.
    pub vlan: u32,
    /// MAC, 12 hex digits.
    pub mac: String,
    /// Port.
    pub port: String,
}

/// One BGP neighbour.
#[derive(Debug, Clone, Serialize)]
pub struct BgpPeer {
    /// Peer address.
    pub ip: String,
    /// Peer AS.
    pub remote_as: u32,
    /// `Established`, `Active`, `Idle`, `Connect`.
    pub state: &'static str,
    /// Seconds in the current state.
    pub up_secs: u64,
    /// Prefixes received (0 unless established).
    pub received: u32,
    /// Prefixes accepted.
    pub accepted: u32,
    /// Prefixes advertised.
    pub sent: u32,
    /// Messages received.
    pub msg_rcvd: u64,
    /// Messages sent.
    pub msg_sent: u64,
    /// Description.
    pub description: String,
}

/// Environment sensors.
#[derive(Debug, Clone, Serialize)]
pub struct Sensor {
    /// Name.
    pub name: String,
    /// Reading (°C, RPM or W).
    pub value: u32,
    /// Working.
    pub ok: bool,
}

/// Everything templates know about a device besides its configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// Device name (its hostname at lab start).
    pub name: String,
    /// Platform (`device_type`).
    pub platform: String,
    /// Model name.
    pub model: String,
    /// Inventory role.
    pub role: String,
    /// Free-form model fields.
    pub model_extra: BTreeMap<String, String>,
    /// Release fields (`release.version` …).
    pub release: BTreeMap<String, String>,
    /// Chassis serial number.
    pub serial: String,
    /// Base MAC, 12 hex digits.
    pub mac: String,
    /// Uptime at lab start, seconds.
    pub uptime_at_start: u64,
    /// Interfaces.
    pub interfaces: Vec<Iface>,
    /// LLDP neighbours.
    pub lldp: Vec<Lldp>,
    /// ARP table.
    pub arp: Vec<Arp>,
    /// MAC address table (switches).
    pub mac_table: Vec<MacEntry>,
    /// Local AS.
    pub local_as: u32,
    /// BGP router id.
    pub router_id: String,
    /// BGP neighbours.
    pub bgp: Vec<BgpPeer>,
    /// Temperatures, °C.
    pub temps: Vec<Sensor>,
    /// Fans, RPM.
    pub fans: Vec<Sensor>,
    /// Power supplies, W drawn.
    pub psus: Vec<Sensor>,
    /// CPU use, percent (5 s, 1 min, 5 min).
    pub cpu: [u32; 3],
    /// Memory, KiB.
    pub mem_total: u64,
    /// Memory used, KiB.
    pub mem_used: u64,
    /// Per-device entropy for templates.
    pub salt: u64,
    /// Device index in its platform (0-based).
    pub index: usize,
}

/// A named copy of a configuration (checkpoint, file on flash, commit revision).
#[derive(Debug, Clone)]
pub struct Saved {
    /// The configuration.
    pub config: Node,
    /// Unix time it was made.
    pub at: u64,
    /// Who made it.
    pub user: String,
    /// Commit comment or how it was made.
    pub comment: String,
}

/// A commit that reverts unless confirmed in time.
#[derive(Debug, Clone)]
pub struct PendingConfirm {
    /// When the device rolls back.
    pub deadline: tokio::time::Instant,
    /// The configuration it rolls back to.
    pub restore: Node,
}

/// The configuration state of a device, shared by all its sessions.
#[derive(Debug, Clone)]
pub struct ConfigState {
    /// Running (active, committed) configuration.
    pub running: Node,
    /// Saved (startup) configuration.
    pub startup: Node,
    /// Shared candidate (Junos, VRP two-stage); `None` when equal to running.
    pub candidate: Option<Node>,
    /// Named configuration sessions (EOS), XR per-session candidates.
    pub sessions: BTreeMap<String, Node>,
    /// Previous committed configurations, newest first (`rollback 1` is `[0]`).
    pub history: Vec<Saved>,
    /// Named copies: checkpoints, files on flash.
    pub files: BTreeMap<String, Saved>,
    /// Numbered rollback checkpoints (SR OS), newest (`latest-rb`) first.
    pub checkpoints: Vec<Saved>,
    /// Commit waiting for confirmation.
    pub confirm: Option<PendingConfirm>,
    /// Commit counter (commit ids).
    pub commits: u64,
}

/// Most revisions kept (Junos keeps 50).
pub const MAX_HISTORY: usize = 49;

impl ConfigState {
    /// Rolls back an unconfirmed commit whose time ran out. Called before every use
    /// of the state, so the device reverts "by itself" as seen by any client.
    pub fn expire(&mut self) {
        if let Some(p) = &self.confirm
            && tokio::time::Instant::now() >= p.deadline
        {
            let restore = p.restore.clone();
            self.confirm = None;
            self.commit_config(restore, "system", "rollback of unconfirmed commit");
        }
    }

    /// Makes `config` the running configuration, recording the old one.
    pub fn commit_config(&mut self, config: Node, user: &str, comment: &str) {
        let old = std::mem::replace(&mut self.running, config);
        self.history.insert(
            0,
            Saved {
                config: old,
                at: crate::templates::now_unix().0,
                user: user.to_string(),
                comment: comment.to_string(),
            },
        );
        self.history.truncate(MAX_HISTORY);
        self.commits += 1;
    }

    /// Revision `n` (0: running).
    pub fn revision(&self, n: usize) -> Option<&Node> {
        if n == 0 {
            Some(&self.running)
        } else {
            self.history.get(n - 1).map(|s| &s.config)
        }
    }
}

/// A simulated device of a persona.
#[derive(Debug)]
pub struct PersonaDevice {
    /// Its persona.
    pub persona: &'static Persona,
    /// Facts (immutable).
    pub facts: Facts,
    pub(crate) facts_value: minijinja::Value,
    started: Instant,
    state: Mutex<ConfigState>,
}

const B36: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A serial of `len` characters from `charset`, distinct per index (a bijection of
/// the index for up to charset^len devices, offset by the seed).
fn serial(rng: &mut SplitMix64, prefix: &str, len: usize, charset: &str, index: usize) -> String {
    let chars: &[u8] = match charset {
        "digits" => &B36[..10],
        "hex" => &B36[..16],
        _ => B36,
    };
    let base = chars.len() as u64;
    let len = len.clamp(4, 12);
    let space = base.saturating_pow(len as u32);
    let offset = rng.below(space);
    // A multiplier coprime to every base used (2, 3, 5 do not divide it).
    let mult = 1_000_003u64;
    let mut v = ((index as u64 % space) * mult % space + offset) % space;
    let mut tail = vec![b'0'; len];
    for c in tail.iter_mut().rev() {
        *c = chars[(v % base) as usize];
        v /= base;
    }
    format!("{prefix}{}", String::from_utf8_lossy(&tail))
}

fn hex_mac(v: u64) -> String {
    format!("{:012x}", v & 0xffff_ffff_ffff)
}

fn parse_oui(s: &str) -> u64 {
    let hex: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    u64::from_str_radix(&hex, 16).unwrap_or(0x02_00_00)
}

const NEIGHBOUR_NAMES: [&str; 6] = ["core1", "core2", "dist1", "dist2", "border1", "spine1"];
const NEIGHBOUR_PORTS: [&str; 6] = [
    "Ethernet1/1",
    "GigabitEthernet0/0/1",
    "ge-0/0/1",
    "xe-0/0/4",
    "Ethernet49/1",
    "TenGigabitEthernet1/1/2",
];

impl Facts {
    /// Facts of device `index` of `persona` in a lab with `seed`.
    pub fn generate(persona: &Persona, seed: u64, index: usize, name: &str) -> Facts {
        Facts::generate_pinned(persona, seed, index, name, None)
    }

    /// [`Facts::generate`], the release drawn among those whose version
    /// starts with `release` (all when none fits the model).
    pub fn generate_pinned(
        persona: &Persona,
        seed: u64,
        index: usize,
        name: &str,
        release: Option<&str>,
    ) -> Facts {
        let salt0 = persona
            .def
            .platform
            .bytes()
            .fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(u64::from(b)));
        let mut rng = SplitMix64::new(seed, index as u64, salt0);
        let d = &persona.def;
        let model = &d.models[rng.below(d.models.len() as u64) as usize];
        // A release may name the models it runs on (`models: "CE6881-48S6CQ,…"`).
        let fits: Vec<&BTreeMap<String, String>> = d
            .releases
            .iter()
            .filter(|r| {
                r.get("models")
                    .is_none_or(|m| m.split(',').any(|x| x.trim() == model.name))
            })
            .collect();
        let mut pool = if fits.is_empty() {
            d.releases.iter().collect()
        } else {
            fits
        };
        if let Some(v) = release
            && pool.iter().any(|r| r["version"].starts_with(v))
        {
            pool.retain(|r| r["version"].starts_with(v));
        }
        let release = pool[rng.below(pool.len() as u64) as usize].clone();
        let serial = serial(
            &mut rng,
            &model.serial_prefix,
            model.serial_len,
            &model.serial_charset,
            index,
        );
        let uptime_at_start = rng.range(3_600, 400 * 86_400);
        let mac_base = (parse_oui(&model.oui) << 24) | ((rng.next_u64() & 0xffff) << 8);
        let n = index as u32 + 1;
        let (hi, lo) = (((n >> 8) & 0xff) as u8, (n & 0xff) as u8);
        let mut interfaces = Vec::new();
        let mut ifindex = 1;
        let mut push = |ifs: &mut Vec<Iface>, name: String, kind: &'static str, speed: u32| {
            ifs.push(Iface {
                name,
                kind,
                ip: String::new(),
                prefix: 0,
                network: String::new(),
                admin_up: true,
                oper_up: true,
                description: String::new(),
                mac: hex_mac(mac_base + ifindex as u64),
                speed,
                mtu: if kind == "loopback" { 65535 } else { 1500 },
                index: ifindex,
                in_pkts: 0,
                in_bytes: 0,
                out_pkts: 0,
                out_bytes: 0,
                in_errors: 0,
                vlan: 0,
            });
            ifindex += 1;
        };
        if let Some(m) = &model.mgmt {
            push(&mut interfaces, m.clone(), "mgmt", 1000);
            let i = interfaces.len() - 1;
            set_ip(&mut interfaces[i], [192, 168, hi, lo.max(1)], 24);
            interfaces[i].description = "oob management".into();
        }
        let nports = rng.range(4, u64::from(model.ports.max(4))) as u32;
        for p in 0..nports {
            let name = model
                .port
                .replace("{n}", &(model.first_port + p).to_string());
            push(&mut interfaces, name, "physical", model.speed);
            let i = interfaces.len() - 1;
            let f = &mut interfaces[i];
            if p == 0 {
                set_ip(f, [10, hi, lo, 1], 30);
                f.description = "uplink to core1".into();
            } else {
                match rng.below(20) {
                    0..=9 => {
                        if model.switch {
                            f.vlan = [1, 10, 20, 30][rng.below(4) as usize];
                            f.description = format!("access port {p}");
                        } else {
                            let net = (p as u8).wrapping_add(1);
                            set_ip(f, [172, 16, net, lo.max(1)], 24);
                            f.description = format!("link {net}");
                        }
                    }
                    10..=13 => f.oper_up = false,
                    _ => {
                        f.admin_up = false;
                        f.oper_up = false;
                    }
                }
            }
            if f.oper_up {
                let t = uptime_at_start / 7;
                let pps_in = rng.range(1, 900);
                let pps_out = rng.range(1, 700);
                let size = rng.range(90, 1100);
                f.in_pkts = pps_in * t;
                f.out_pkts = pps_out * t;
                f.in_bytes = f.in_pkts * size;
                f.out_bytes = f.out_pkts * size * 9 / 10;
                f.in_errors = if rng.below(4) == 0 {
                    rng.range(1, 500)
                } else {
                    0
                };
            }
        }
        if let Some(l) = &model.loopback {
            push(&mut interfaces, l.clone(), "loopback", 0);
            let i = interfaces.len() - 1;
            set_ip(&mut interfaces[i], [10, 255, hi, lo], 32);
        }
        let router_id = format!("10.255.{hi}.{lo}");
        // LLDP: a neighbour on every other connected physical port.
        let mut lldp = Vec::new();
        let mut arp = Vec::new();
        let mut mac_table = Vec::new();
        for (k, f) in interfaces.iter().enumerate() {
            if f.kind != "physical" || !f.oper_up {
                continue;
            }
            if k % 2 == 1 || f.description.starts_with("uplink") {
                let j = rng.below(NEIGHBOUR_NAMES.len() as u64) as usize;
                let chassis = hex_mac(0x00_1c_73_00_00_00 | (rng.next_u64() & 0xff_ffff));
                lldp.push(Lldp {
                    local: f.name.clone(),
                    host: format!("{}.lab.local", NEIGHBOUR_NAMES[j]),
                    port: NEIGHBOUR_PORTS[(j + k) % NEIGHBOUR_PORTS.len()].to_string(),
                    port_descr: format!("to {name}"),
                    chassis,
                    mgmt_ip: format!("192.168.0.{}", 10 + j),
                    caps: if j < 4 { "B,R" } else { "R" },
                    ttl: rng.range(90, 120) as u32,
                    descr: "Network operating system".into(),
                });
            }
            if !f.ip.is_empty() {
                arp.push(Arp {
                    ip: f.ip.clone(),
                    mac: f.mac.clone(),
                    interface: f.name.clone(),
                    age: 0,
                    local: true,
                });
                let peers = if f.prefix >= 30 { 1 } else { rng.range(1, 3) };
                for q in 0..peers {
                    let ip: std::net::Ipv4Addr = f.ip.parse().unwrap_or([0, 0, 0, 0].into());
                    let o = ip.octets();
                    let last = if f.prefix >= 30 {
                        o[3] ^ 3
                    } else {
                        o[3].wrapping_add(10 + q as u8)
                    };
                    arp.push(Arp {
                        ip: format!("{}.{}.{}.{last}", o[0], o[1], o[2]),
                        mac: hex_mac(0x00_50_56_00_00_00 | (rng.next_u64() & 0xff_ffff)),
                        interface: f.name.clone(),
                        age: rng.range(0, 239) as u32,
                        local: false,
                    });
                }
            }
            if model.switch && f.vlan != 0 {
                for _ in 0..rng.range(1, 3) {
                    mac_table.push(MacEntry {
                        vlan: f.vlan,
                        mac: hex_mac(0x00_50_56_00_00_00 | (rng.next_u64() & 0xff_ffff)),
                        port: f.name.clone(),
                    });
                }
            }
        }
        let local_as = 65_000 + (index as u32 % 500);
        let mut bgp = Vec::new();
        for (q, f) in interfaces
            .iter()
            .filter(|f| f.kind == "physical" && !f.ip.is_empty())
            .take(4)
            .enumerate()
        {
            let ip: std::net::Ipv4Addr = f.ip.parse().unwrap_or([0, 0, 0, 0].into());
            let o = ip.octets();
            let peer_last = if f.prefix >= 30 {
                o[3] ^ 3
            } else {
                o[3].wrapping_add(10)
            };
            let established = f.oper_up && rng.below(6) != 0;
            let received = if established {
                rng.range(1, 800) as u32
            } else {
                0
            };
            let up = rng.range(300, uptime_at_start.max(301));
            bgp.push(BgpPeer {
                ip: format!("{}.{}.{}.{peer_last}", o[0], o[1], o[2]),
                remote_as: if q == 0 { 65_535 } else { 64_600 + q as u32 },
                state: if established {
                    "Established"
                } else if rng.below(2) == 0 {
                    "Active"
                } else {
                    "Idle"
                },
                up_secs: up,
                received,
                accepted: received,
                sent: if established {
                    rng.range(1, 50) as u32
                } else {
                    0
                },
                msg_rcvd: if established {
                    up / 60 + u64::from(received)
                } else {
                    0
                },
                msg_sent: if established { up / 60 + 3 } else { 0 },
                description: if q == 0 {
                    "core1".into()
                } else {
                    format!("peer{q}")
                },
            });
        }
        let temps = (0..3)
            .map(|i| Sensor {
                name: ["Inlet", "CPU", "Outlet"][i].to_string(),
                value: rng.range(24, 55) as u32,
                ok: true,
            })
            .collect();
        let fans = (0..rng.range(2, 4))
            .map(|i| Sensor {
                name: format!("Fan {}", i + 1),
                value: rng.range(4_000, 9_000) as u32,
                ok: true,
            })
            .collect();
        let psus = (0..2)
            .map(|i| Sensor {
                name: format!("PSU {}", i + 1),
                value: rng.range(80, 250) as u32,
                ok: i == 0 || rng.below(8) != 0,
            })
            .collect();
        let mem_total = [4_194_304, 8_388_608, 16_777_216][rng.below(3) as usize];
        let mem_used = mem_total * rng.range(25, 70) / 100;
        let cpu1 = rng.range(2, 35) as u32;
        Facts {
            name: name.to_string(),
            platform: d.platform.clone(),
            model: model.name.clone(),
            role: model.role.clone(),
            model_extra: model.extra.clone(),
            release,
            serial,
            mac: hex_mac(mac_base),
            uptime_at_start,
            interfaces,
            lldp,
            arp,
            mac_table,
            local_as,
            router_id,
            bgp,
            temps,
            fans,
            psus,
            cpu: [cpu1 + 2, cpu1, cpu1.saturating_sub(1).max(1)],
            mem_total,
            mem_used,
            salt: rng.next_u64(),
            index,
        }
    }
}

fn set_ip(f: &mut Iface, ip: [u8; 4], prefix: u32) {
    let a = std::net::Ipv4Addr::from(ip);
    let bits = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    f.ip = a.to_string();
    f.prefix = prefix;
    f.network = std::net::Ipv4Addr::from(u32::from(a) & bits).to_string();
}

impl PersonaDevice {
    /// Builds device `index` of `platform` with its configuration at lab start.
    pub fn generate(
        platform: &str,
        seed: u64,
        index: usize,
        name: String,
        started: Instant,
    ) -> Result<Arc<PersonaDevice>, PersonaError> {
        PersonaDevice::generate_pinned(platform, seed, index, name, started, None)
    }

    /// [`PersonaDevice::generate`] on a release whose version starts with
    /// `release` (see [`Facts::generate_pinned`]).
    pub fn generate_pinned(
        platform: &str,
        seed: u64,
        index: usize,
        name: String,
        started: Instant,
        release: Option<&str>,
    ) -> Result<Arc<PersonaDevice>, PersonaError> {
        let reg = registry().map_err(|e| PersonaError::Invalid {
            file: "personas".into(),
            message: e.to_string(),
        })?;
        let persona = reg.get(platform).ok_or_else(|| PersonaError::Invalid {
            file: format!("{platform}.yaml"),
            message: format!("no persona for platform `{platform}`"),
        })?;
        let facts = Facts::generate_pinned(persona, seed, index, &name, release);
        let facts_value = minijinja::Value::from(minijinja::value::Serde(&facts));
        let mut dev = PersonaDevice {
            persona,
            facts,
            facts_value,
            started,
            state: Mutex::new(ConfigState {
                running: Node::default(),
                startup: Node::default(),
                candidate: None,
                sessions: BTreeMap::new(),
                history: Vec::new(),
                files: BTreeMap::new(),
                checkpoints: Vec::new(),
                confirm: None,
                commits: 0,
            }),
        };
        let initial = match dev.variant() {
            Some(v) => format!("initial_config/{v}"),
            None => "initial_config".into(),
        };
        let text = dev
            .render(&persona.tpl(&initial), minijinja::Value::UNDEFINED)
            .map_err(|source| PersonaError::Template {
                file: format!("{platform}.yaml"),
                name: initial.clone(),
                source,
            })?;
        let running = super::shell::parse_config(dev.config_def(), &text);
        {
            let st = dev.state.get_mut().unwrap_or_else(|e| e.into_inner());
            st.startup = running.clone();
            st.running = running;
        }
        Ok(Arc::new(dev))
    }

    /// Locks the configuration state (rolling back an expired unconfirmed commit
    /// first). A poisoned lock is recovered: the state stays usable.
    pub fn state(&self) -> MutexGuard<'_, ConfigState> {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.expire();
        g
    }

    /// The variant its release runs (SR OS `classic`), if any.
    pub fn variant(&self) -> Option<&str> {
        self.facts
            .release
            .get("variant")
            .map(String::as_str)
            .filter(|v| self.persona.def.variants.contains_key(*v))
    }

    /// The configuration model of its release.
    pub fn config_def(&self) -> &'static ConfigDef {
        let def = &self.persona.def;
        match self.variant() {
            Some(v) => &def.variants[v].config,
            None => &def.config,
        }
    }

    /// Current uptime, seconds.
    pub fn uptime_secs(&self) -> u64 {
        self.facts.uptime_at_start + self.started.elapsed().as_secs()
    }

    /// The hostname in the running configuration (the device name when unset).
    pub fn hostname(&self) -> String {
        let path = &self.config_def().hostname_path;
        self.state()
            .running
            .find_value(path)
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| self.facts.name.clone())
    }

    /// The running configuration as the device prints it (without headers).
    pub fn running_config_text(&self) -> String {
        super::shell::render_config(self.config_def(), &self.state().running)
    }

    /// The interfaces with the description and shutdown state their configuration
    /// gives them now (`None` when the persona does not say where that lives).
    fn configured_interfaces(&self, running: &Node) -> Option<Vec<Iface>> {
        let ic = self.config_def().interface_config.as_ref()?;
        let mut out = self.facts.interfaces.clone();
        for i in &mut out {
            let path: Vec<String> = ic
                .path
                .iter()
                .map(|p| p.replace("{name}", &i.name))
                .collect();
            let Some(block) = running.at(&path) else {
                continue;
            };
            let desc = block
                .children
                .iter()
                .find(|c| super::tree::starts_with_words(&c.line, &ic.description))
                .map(|c| {
                    let v = c.line[ic.description.len()..].trim().trim_end_matches(';');
                    v.trim_matches('"').to_string()
                });
            i.description = desc.unwrap_or_default();
            let down = block.children.iter().any(|c| c.line == ic.shutdown);
            if down {
                i.admin_up = false;
                i.oper_up = false;
            } else if !i.admin_up {
                // `no shutdown` on a port whose cable is plugged in.
                i.admin_up = true;
                i.oper_up = true;
            }
        }
        Some(out)
    }

    /// Renders template `name` with the device facts, `host`, `uptime`, `now` and
    /// `extra` merged in.
    pub(crate) fn render(
        &self,
        name: &str,
        extra: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        let reg = registry().map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
        })?;
        let t = reg.env.get_template(name)?;
        let (host, interfaces) = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let host = st
                .running
                .find_value(&self.config_def().hostname_path)
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| self.facts.name.clone());
            (host, self.configured_interfaces(&st.running))
        };
        let up = self.uptime_secs();
        let now = crate::templates::now_unix().0;
        let dynamic = minijinja::context! {
            host => host,
            uptime => up,
            now => now,
            boot => now.saturating_sub(up),
            ..extra
        };
        // `merge_maps`: the last map that has a key wins.
        let dynamic = match interfaces {
            Some(i) => minijinja::value::merge_maps([
                dynamic,
                minijinja::context! { interfaces => minijinja::Value::from(minijinja::value::Serde(i)) },
            ]),
            None => dynamic,
        }; // The per-render values shadow the facts.
        t.render(minijinja::value::merge_maps([
            self.facts_value.clone(),
            dynamic,
        ]))
    }
}
