//! Arista EOS-like devices served over eAPI.
//!
//! An [`EosDevice`] is immutable state derived from the lab seed (model, release,
//! serial, interfaces with their addresses, states and traffic rates). Counters are
//! not stored: they are computed from the time since lab start times a per-interface
//! rate, so two polls a moment apart see them grow, as on a live switch.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::device::SplitMix64;

/// Hardware model of a simulated EOS switch.
#[derive(Debug)]
pub struct EosModel {
    /// Model name as `show version` prints it (`DCS-7050SX3-48YC8`).
    pub name: &'static str,
    /// First three letters of the serial number.
    serial_prefix: &'static str,
    /// `hardwareRevision`.
    hardware_revision: &'static str,
    /// `imageOptimization`.
    image_optimization: &'static str,
    /// Speed of the front-panel ports, bits/s.
    port_speed: u64,
    /// Inventory role.
    pub role: &'static str,
    /// `memTotal`, KiB.
    mem_total: u64,
}

const MODELS: [EosModel; 4] = [
    EosModel {
        name: "DCS-7050SX3-48YC8",
        serial_prefix: "JPE",
        hardware_revision: "11.00",
        image_optimization: "Strata-4GB",
        port_speed: 25_000_000_000,
        role: "leaf",
        mem_total: 8_098_984,
    },
    EosModel {
        name: "DCS-7280SR-48C6",
        serial_prefix: "SSJ",
        hardware_revision: "21.02",
        image_optimization: "Sand-4GB",
        port_speed: 10_000_000_000,
        role: "spine",
        mem_total: 32_458_864,
    },
    EosModel {
        name: "DCS-7020TR-48",
        serial_prefix: "JAS",
        hardware_revision: "12.11",
        image_optimization: "Sand-4GB",
        port_speed: 1_000_000_000,
        role: "edge",
        mem_total: 8_011_528,
    },
    EosModel {
        name: "CCS-720XP-48ZC2",
        serial_prefix: "JPA",
        hardware_revision: "11.01",
        image_optimization: "Strata-4GB",
        port_speed: 2_500_000_000,
        role: "access",
        mem_total: 8_100_224,
    },
];

/// One EOS software release.
#[derive(Debug)]
pub struct EosRelease {
    /// `version` (`4.28.3M`).
    pub version: &'static str,
    /// `internalVersion`.
    internal_version: &'static str,
    /// `internalBuildId`.
    build_id: &'static str,
    /// `architecture`.
    architecture: &'static str,
}

const RELEASES: [EosRelease; 3] = [
    EosRelease {
        version: "4.28.3M",
        internal_version: "4.28.3M-28837868.4283M",
        build_id: "7e5a3c1b-9d2f-4b8e-a6c0-3f1d2e4b5a68",
        architecture: "i686",
    },
    EosRelease {
        version: "4.30.1F",
        internal_version: "4.30.1F-31384813.4301F",
        build_id: "c2b9e4d7-1a6f-4e3b-8d5c-9a0b7f2e6c14",
        architecture: "x86_64",
    },
    EosRelease {
        version: "4.31.2F",
        internal_version: "4.31.2F-35442176.4312F",
        build_id: "5f8d1e2a-b3c4-4d6e-9f7a-0b1c2d3e4f50",
        architecture: "x86_64",
    },
];

/// Front-panel ports simulated per switch (a slice of the real 48).
const FRONT_PORTS: usize = 12;

/// What kind of interface, which decides its hardware type and text layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EosIfKind {
    /// Front-panel `EthernetN`.
    Ethernet,
    /// Out-of-band `Management1`.
    Management,
    /// `Loopback0`.
    Loopback,
    /// `Port-ChannelN` (LAG).
    PortChannel,
    /// `VlanN` SVI.
    Vlan,
}

/// Operational state as EOS's `interfaceStatus` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EosLink {
    /// `connected`: up/up.
    Connected,
    /// `notconnect`: no link (cable unplugged).
    NotConnect,
    /// `disabled`: `shutdown` configured.
    Disabled,
}

/// One interface of an EOS device.
#[derive(Debug, Clone)]
pub struct EosInterface {
    /// `Ethernet1`, `Management1`, `Vlan10` …
    pub name: String,
    /// Interface kind.
    pub kind: EosIfKind,
    /// Configured description (may be empty).
    pub description: String,
    /// Operational state.
    pub link: EosLink,
    /// MAC address (`None` for loopbacks).
    pub mac: Option<[u8; 6]>,
    /// Primary IPv4 address and mask length (routed interfaces only).
    pub address: Option<(Ipv4Addr, u8)>,
    /// Bandwidth, bits/s (0 where EOS shows none).
    pub bandwidth: u64,
    /// MTU (L2 for switchports, IP MTU for routed interfaces).
    pub mtu: u32,
    /// Input / output traffic while up, bytes per second.
    pub rate_in: u64,
    /// Output rate, bytes per second.
    pub rate_out: u64,
    /// Counters at lab start.
    pub base_in: u64,
    /// Output octets at lab start.
    pub base_out: u64,
    /// FCS errors (fixed; a few ports have a dirty optic).
    pub fcs_errors: u64,
    /// Runt frames.
    pub runts: u64,
    /// Input discards.
    pub in_discards: u64,
    /// Output discards.
    pub out_discards: u64,
    /// `linkStatusChanges`.
    pub link_changes: u64,
    /// Seconds between the last link change and lab start.
    pub since_change: u64,
    /// Port-Channel members (Port-Channel only).
    pub members: Vec<String>,
}

/// Counters of one interface at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EosCounters {
    /// Octets received.
    pub in_octets: u64,
    /// Unicast packets received.
    pub in_ucast: u64,
    /// Multicast packets received.
    pub in_mcast: u64,
    /// Broadcast packets received.
    pub in_bcast: u64,
    /// Octets sent.
    pub out_octets: u64,
    /// Unicast packets sent.
    pub out_ucast: u64,
    /// Multicast packets sent.
    pub out_mcast: u64,
    /// Broadcast packets sent.
    pub out_bcast: u64,
}

/// Average frame size used to turn octets into packets.
const AVG_FRAME: u64 = 740;

impl EosInterface {
    /// An idle, connected interface without address or traffic; generation sets
    /// what differs.
    fn base(name: &str, kind: EosIfKind) -> EosInterface {
        EosInterface {
            name: name.to_string(),
            kind,
            description: String::new(),
            link: EosLink::Connected,
            mac: None,
            address: None,
            bandwidth: 0,
            mtu: 1500,
            rate_in: 0,
            rate_out: 0,
            base_in: 0,
            base_out: 0,
            fcs_errors: 0,
            runts: 0,
            in_discards: 0,
            out_discards: 0,
            link_changes: 1,
            since_change: 0,
            members: Vec::new(),
        }
    }

    /// Whether the interface is up (line protocol up).
    pub fn is_up(&self) -> bool {
        self.link == EosLink::Connected
    }

    /// The counters `elapsed` after lab start: octets grow at the interface's rate
    /// while it is up.
    pub fn counters_at(&self, elapsed: Duration) -> EosCounters {
        let grow = |base: u64, rate: u64| {
            if self.is_up() {
                base + (rate as f64 * elapsed.as_secs_f64()) as u64
            } else {
                base
            }
        };
        let in_octets = grow(self.base_in, self.rate_in);
        let out_octets = grow(self.base_out, self.rate_out);
        let split = |octets: u64| {
            let packets = octets / AVG_FRAME;
            let mcast = packets / 97;
            let bcast = packets / 1_013;
            (packets - mcast - bcast, mcast, bcast)
        };
        let (in_ucast, in_mcast, in_bcast) = split(in_octets);
        let (out_ucast, out_mcast, out_bcast) = split(out_octets);
        EosCounters {
            in_octets,
            in_ucast,
            in_mcast,
            in_bcast,
            out_octets,
            out_ucast,
            out_mcast,
            out_bcast,
        }
    }

    /// `lineProtocolStatus`.
    pub fn line_protocol(&self) -> &'static str {
        match self.link {
            EosLink::Connected => "up",
            EosLink::NotConnect => "notPresent",
            EosLink::Disabled => "down",
        }
    }

    /// `interfaceStatus`.
    pub fn status(&self) -> &'static str {
        match self.link {
            EosLink::Connected => "connected",
            EosLink::NotConnect => "notconnect",
            EosLink::Disabled => "disabled",
        }
    }
}

/// A simulated Arista switch.
#[derive(Debug)]
pub struct EosDevice {
    /// Hostname.
    pub name: String,
    /// Hardware model.
    pub model: &'static EosModel,
    /// Software release.
    pub release: &'static EosRelease,
    /// Chassis serial number (`JPE19181234`).
    pub serial: String,
    /// System MAC address.
    pub system_mac: [u8; 6],
    /// Interfaces in EOS display order.
    pub interfaces: Vec<EosInterface>,
    /// Lab start.
    started: Instant,
    /// Lab start, wall clock.
    started_wall: SystemTime,
    /// Uptime at lab start, seconds.
    uptime_at_start: u64,
    /// `memFree` at lab start, KiB.
    mem_free: u64,
}

/// Arista's OUIs.
const OUIS: [[u8; 3]; 3] = [[0x00, 0x1c, 0x73], [0x44, 0x4c, 0xa8], [0xfc, 0xbd, 0x67]];

fn mac(rng: &mut SplitMix64) -> [u8; 6] {
    let oui = OUIS[rng.below(OUIS.len() as u64) as usize];
    let low = rng.next_u64();
    [
        oui[0],
        oui[1],
        oui[2],
        (low >> 16) as u8,
        (low >> 8) as u8,
        low as u8 & 0xf0,
    ]
}

/// EOS's dotted MAC form: `001c.7312.3456`.
pub fn mac_dotted(mac: &[u8; 6]) -> String {
    format!(
        "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

/// eAPI's colon MAC form: `00:1c:73:12:34:56`.
pub fn mac_colons(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn with_last(base: [u8; 6], n: u8) -> [u8; 6] {
    let mut m = base;
    m[5] = m[5].wrapping_add(n);
    m
}

impl EosDevice {
    /// Derives device `index` of a lab from `seed`.
    pub fn generate(seed: u64, index: usize, name: String, started: Instant) -> EosDevice {
        let mut rng = SplitMix64::new(seed, index as u64, 0xE05);
        let model = &MODELS[rng.below(MODELS.len() as u64) as usize];
        let release = &RELEASES[rng.below(RELEASES.len() as u64) as usize];
        // Serial: prefix, two-digit year, two-digit week, four digits.
        let serial = format!(
            "{}{:02}{:02}{:04}",
            model.serial_prefix,
            rng.range(16, 23),
            rng.range(1, 52),
            rng.below(10_000)
        );
        let system_mac = mac(&mut rng);
        let site = (index % 200) as u8 + 1;
        let mut interfaces = Vec::new();
        let lag_members = [FRONT_PORTS - 1, FRONT_PORTS];
        for port in 1..=FRONT_PORTS {
            let roll = rng.below(100);
            let (description, address, link) = if port <= 2 {
                (
                    format!("to-spine{port}"),
                    Some((Ipv4Addr::new(10, site, port as u8, 1), 31)),
                    EosLink::Connected,
                )
            } else if lag_members.contains(&port) {
                (
                    format!("mlag-peer Po1 member {}", port + 38),
                    None,
                    EosLink::Connected,
                )
            } else if roll < 15 {
                (String::new(), None, EosLink::Disabled)
            } else if roll < 40 {
                (String::new(), None, EosLink::NotConnect)
            } else {
                (format!("host-{:02}", port), None, EosLink::Connected)
            };
            let dirty = rng.below(8) == 0;
            interfaces.push(EosInterface {
                name: format!("Ethernet{port}"),
                kind: EosIfKind::Ethernet,
                description,
                link,
                mac: Some(with_last(system_mac, port as u8)),
                address,
                bandwidth: model.port_speed,
                // Routed ports show their IP MTU, switchports the L2 MTU.
                mtu: if address.is_some() { 1500 } else { 9214 },
                rate_in: rng.range(1_000, model.port_speed / 80),
                rate_out: rng.range(1_000, model.port_speed / 80),
                base_in: rng.range(1 << 30, 1 << 42),
                base_out: rng.range(1 << 30, 1 << 42),
                fcs_errors: if dirty { rng.range(1, 5_000) } else { 0 },
                runts: if dirty { rng.below(40) } else { 0 },
                in_discards: rng.below(3) * rng.below(2_000),
                out_discards: rng.below(3) * rng.below(500),
                link_changes: rng.range(1, 9),
                since_change: rng.range(3_600, 90 * 86_400),
                members: Vec::new(),
            });
        }
        interfaces.push(EosInterface {
            description: "oob".into(),
            mac: Some(with_last(system_mac, 0x0f)),
            address: Some((Ipv4Addr::new(192, 168, 0, (index % 250) as u8 + 2), 24)),
            bandwidth: 1_000_000_000,
            rate_in: rng.range(200, 20_000),
            rate_out: rng.range(200, 20_000),
            base_in: rng.range(1 << 20, 1 << 32),
            base_out: rng.range(1 << 20, 1 << 32),
            since_change: rng.range(86_400, 300 * 86_400),
            ..EosInterface::base("Management1", EosIfKind::Management)
        });
        interfaces.push(EosInterface {
            description: "router-id".into(),
            address: Some((Ipv4Addr::new(10, 255, site, 1), 32)),
            mtu: 65535,
            since_change: 300 * 86_400,
            ..EosInterface::base("Loopback0", EosIfKind::Loopback)
        });
        let members: Vec<String> = lag_members.iter().map(|p| format!("Ethernet{p}")).collect();
        let (lag_in, lag_out, lag_base_in, lag_base_out) = lag_members
            .iter()
            .map(|p| &interfaces[p - 1])
            .fold((0, 0, 0, 0), |acc, i| {
                (
                    acc.0 + i.rate_in,
                    acc.1 + i.rate_out,
                    acc.2 + i.base_in,
                    acc.3 + i.base_out,
                )
            });
        interfaces.push(EosInterface {
            description: "mlag-peer".into(),
            mac: Some(with_last(system_mac, lag_members[0] as u8)),
            bandwidth: model.port_speed * lag_members.len() as u64,
            mtu: 9214,
            rate_in: lag_in,
            rate_out: lag_out,
            base_in: lag_base_in,
            base_out: lag_base_out,
            link_changes: 2,
            since_change: rng.range(86_400, 60 * 86_400),
            members,
            ..EosInterface::base("Port-Channel1", EosIfKind::PortChannel)
        });
        for (n, vlan) in [10u16, 20, 30].into_iter().enumerate() {
            let down = n == 2 && rng.below(2) == 0;
            // EOS shows no counters for SVIs, so they need no traffic rates.
            interfaces.push(EosInterface {
                description: format!("svi-{vlan}"),
                link: if down {
                    EosLink::Disabled
                } else {
                    EosLink::Connected
                },
                mac: Some(system_mac),
                address: Some((Ipv4Addr::new(10, (vlan / 10) as u8 + 100, site, 1), 24)),
                since_change: rng.range(86_400, 120 * 86_400),
                ..EosInterface::base(&format!("Vlan{vlan}"), EosIfKind::Vlan)
            });
        }
        let uptime_at_start = rng.range(3_600, 400 * 86_400);
        let mem_free = model.mem_total / 2 + rng.below(model.mem_total / 4);
        EosDevice {
            name,
            model,
            release,
            serial,
            system_mac,
            interfaces,
            started,
            started_wall: SystemTime::now(),
            uptime_at_start,
            mem_free,
        }
    }

    /// Time since lab start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Seconds since boot, `elapsed` after lab start.
    pub fn uptime_at(&self, elapsed: Duration) -> f64 {
        self.uptime_at_start as f64 + elapsed.as_secs_f64()
    }

    /// Wall clock (Unix seconds) `elapsed` after lab start.
    pub fn epoch_at(&self, elapsed: Duration) -> f64 {
        let start = self
            .started_wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (start + elapsed).as_secs_f64()
    }

    /// Boot time, Unix seconds.
    pub fn boot_epoch(&self) -> f64 {
        self.epoch_at(Duration::ZERO) - self.uptime_at_start as f64
    }

    /// `memTotal`, KiB.
    pub fn model_mem_total(&self) -> u64 {
        self.model.mem_total
    }

    /// `memFree`, KiB.
    pub fn mem_free(&self) -> u64 {
        self.mem_free
    }

    /// The device's fully qualified name.
    pub fn fqdn(&self) -> String {
        format!("{}.lab.netrun.example", self.name)
    }

    /// `hardwareRevision`.
    pub(crate) fn hardware_revision(&self) -> &'static str {
        self.model.hardware_revision
    }

    /// `imageOptimization`.
    pub(crate) fn image_optimization(&self) -> &'static str {
        self.model.image_optimization
    }

    /// `internalVersion`.
    pub(crate) fn internal_version(&self) -> &'static str {
        self.release.internal_version
    }

    /// `internalBuildId`.
    pub(crate) fn build_id(&self) -> &'static str {
        self.release.build_id
    }

    /// `architecture`.
    pub(crate) fn architecture(&self) -> &'static str {
        self.release.architecture
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> EosDevice {
        EosDevice::generate(7, 0, "eos001".into(), Instant::now())
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let a = device();
        let b = device();
        assert_eq!(a.serial, b.serial);
        assert_eq!(a.model.name, b.model.name);
        assert_eq!(a.interfaces.len(), b.interfaces.len());
        let other = EosDevice::generate(8, 0, "eos001".into(), Instant::now());
        assert_ne!(a.serial, other.serial);
    }

    #[test]
    fn serial_looks_like_arista() {
        let d = device();
        assert_eq!(d.serial.len(), 11, "{}", d.serial);
        assert!(d.serial[..3].chars().all(|c| c.is_ascii_uppercase()));
        assert!(d.serial[3..].chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn counters_of_up_interfaces_grow_and_down_ones_stay() {
        let d = device();
        for i in &d.interfaces {
            let a = i.counters_at(Duration::from_secs(10));
            let b = i.counters_at(Duration::from_secs(11));
            if i.is_up() && i.rate_in > 0 {
                assert!(b.in_octets > a.in_octets, "{}", i.name);
                assert!(b.out_octets > a.out_octets, "{}", i.name);
            } else {
                assert_eq!(a, b, "{}", i.name);
            }
        }
    }

    #[test]
    fn interfaces_include_every_kind() {
        let d = device();
        for kind in [
            EosIfKind::Ethernet,
            EosIfKind::Management,
            EosIfKind::Loopback,
            EosIfKind::PortChannel,
            EosIfKind::Vlan,
        ] {
            assert!(d.interfaces.iter().any(|i| i.kind == kind), "{kind:?}");
        }
    }
}
