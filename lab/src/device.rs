//! Per-device state.
//!
//! Each simulated device has a small immutable [`Profile`] (model, software version,
//! serial number, uptime at lab start, MAC base …) derived deterministically from the lab
//! seed and the device index, plus a mutable [`DeviceState`] (hostname, interfaces,
//! extra configuration lines) that CLI sessions may change, shared by all sessions of
//! that device as on a real box. All text output is rendered on demand from these.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Small, stable pseudo-random generator (SplitMix64).
///
/// Used instead of `rand`'s generators so that a given seed produces the same lab on
/// every version of every dependency.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for one purpose (`salt`) of one device of a lab.
    pub(crate) fn new(seed: u64, index: u64, salt: u64) -> Self {
        let mut g = SplitMix64(seed ^ 0x9E37_79B9_7F4A_7C15);
        let a = g.next_u64() ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut g = SplitMix64(a);
        let b = g.next_u64() ^ salt.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        SplitMix64(b)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform value in `0..n` (`n > 0`; returns 0 for `n == 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform value in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// Hardware platform a simulated device pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Cisco ISR 4331 router, IOS-XE.
    Isr4331,
    /// Catalyst 9300-24P switch, IOS-XE.
    C9300,
    /// Catalyst 3850-24T switch, IOS-XE 16.x.
    C3850,
    /// CSR1000V virtual router, IOS-XE.
    Csr1000v,
    /// IOSv virtual router, classic IOS 15.x.
    Iosv,
}

impl Platform {
    const ALL: [Platform; 5] = [
        Platform::Isr4331,
        Platform::C9300,
        Platform::C3850,
        Platform::Csr1000v,
        Platform::Iosv,
    ];

    /// Product id as shown by `show version` / `show inventory`.
    pub fn model(self) -> &'static str {
        match self {
            Platform::Isr4331 => "ISR4331/K9",
            Platform::C9300 => "C9300-24P",
            Platform::C3850 => "WS-C3850-24T",
            Platform::Csr1000v => "CSR1000V",
            Platform::Iosv => "IOSv",
        }
    }

    /// Whether this is a (layer-3) switch rather than a router.
    pub fn is_switch(self) -> bool {
        matches!(self, Platform::C9300 | Platform::C3850)
    }

    /// Whether the platform runs IOS-XE (otherwise classic IOS).
    pub fn is_xe(self) -> bool {
        !matches!(self, Platform::Iosv)
    }

    /// Inventory role of the device.
    pub fn role(self) -> &'static str {
        match self {
            Platform::C9300 | Platform::C3850 => "access",
            Platform::Isr4331 => "edge",
            Platform::Csr1000v | Platform::Iosv => "core",
        }
    }

    fn serial_prefix(self) -> &'static str {
        match self {
            Platform::Isr4331 => "FDO",
            Platform::C9300 => "FOC",
            Platform::C3850 => "FCW",
            Platform::Csr1000v => "9KQ",
            Platform::Iosv => "9MV",
        }
    }

    /// Software releases this platform may run.
    pub(crate) fn releases(self) -> &'static [Release] {
        match self {
            Platform::Isr4331 => &ISR_RELEASES,
            Platform::C9300 => &C9300_RELEASES,
            Platform::C3850 => &C3850_RELEASES,
            Platform::Csr1000v => &CSR_RELEASES,
            Platform::Iosv => &IOSV_RELEASES,
        }
    }
}

/// One software release (what `show version` prints about the image).
#[derive(Debug)]
pub(crate) struct Release {
    /// IOS-XE style version ("17.03.04a"); empty for classic IOS.
    pub xe: &'static str,
    /// IOS style version ("17.3.4a", "15.9(3)M4").
    pub ios: &'static str,
    /// Release train name ("Amsterdam"); empty for classic IOS.
    pub train: &'static str,
    /// Feature-set / image family in parentheses.
    pub image_family: &'static str,
    /// Release fc number ("fc3").
    pub fc: &'static str,
    /// `version` line of the running config ("17.3").
    pub config_version: &'static str,
    /// Image file name on flash.
    pub image: &'static str,
    /// "Compiled ..." line date.
    pub compiled: &'static str,
    /// Copyright end year.
    pub year: &'static str,
    /// ROM / bootloader version.
    pub rom: &'static str,
}

const ISR_RELEASES: [Release; 2] = [
    Release {
        xe: "17.03.04a",
        ios: "17.3.4a",
        train: "Amsterdam",
        image_family: "ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        fc: "fc3",
        config_version: "17.3",
        image: "bootflash:isr4300-universalk9.17.03.04a.SPA.bin",
        compiled: "Tue 20-Jul-21 05:59 by mcpre",
        year: "2021",
        rom: "16.9(4r)",
    },
    Release {
        xe: "16.09.05",
        ios: "16.9.5",
        train: "Fuji",
        image_family: "ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        fc: "fc1",
        config_version: "16.9",
        image: "bootflash:isr4300-universalk9.16.09.05.SPA.bin",
        compiled: "Thu 30-Jan-20 18:48 by mcpre",
        year: "2020",
        rom: "16.9(4r)",
    },
];

const C9300_RELEASES: [Release; 2] = [
    Release {
        xe: "17.06.05",
        ios: "17.6.5",
        train: "Bengaluru",
        image_family: "Catalyst L3 Switch Software (CAT9K_IOSXE)",
        fc: "fc2",
        config_version: "17.6",
        image: "flash:packages.conf",
        compiled: "Wed 25-Jan-23 16:15 by mcpre",
        year: "2023",
        rom: "IOS-XE ROMMON",
    },
    Release {
        xe: "16.12.04",
        ios: "16.12.4",
        train: "Gibraltar",
        image_family: "Catalyst L3 Switch Software (CAT9K_IOSXE)",
        fc: "fc5",
        config_version: "16.12",
        image: "flash:packages.conf",
        compiled: "Thu 09-Jul-20 21:49 by mcpre",
        year: "2020",
        rom: "IOS-XE ROMMON",
    },
];

const C3850_RELEASES: [Release; 2] = [
    Release {
        xe: "16.09.08",
        ios: "16.9.8",
        train: "Fuji",
        image_family: "Catalyst L3 Switch Software (CAT3K_CAA-UNIVERSALK9-M)",
        fc: "fc2",
        config_version: "16.9",
        image: "flash:packages.conf",
        compiled: "Thu 04-Nov-21 12:02 by mcpre",
        year: "2021",
        rom: "IOS-XE ROMMON",
    },
    Release {
        xe: "16.12.10a",
        ios: "16.12.10a",
        train: "Gibraltar",
        image_family: "Catalyst L3 Switch Software (CAT3K_CAA-UNIVERSALK9-M)",
        fc: "fc1",
        config_version: "16.12",
        image: "flash:packages.conf",
        compiled: "Mon 10-Jul-23 08:44 by mcpre",
        year: "2023",
        rom: "IOS-XE ROMMON",
    },
];

const CSR_RELEASES: [Release; 2] = [
    Release {
        xe: "17.03.06",
        ios: "17.3.6",
        train: "Amsterdam",
        image_family: "Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        fc: "fc1",
        config_version: "17.3",
        image: "bootflash:packages.conf",
        compiled: "Wed 12-Oct-22 13:45 by mcpre",
        year: "2022",
        rom: "IOS-XE ROMMON",
    },
    Release {
        xe: "16.12.05",
        ios: "16.12.5",
        train: "Gibraltar",
        image_family: "Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        fc: "fc3",
        config_version: "16.12",
        image: "bootflash:packages.conf",
        compiled: "Fri 29-Jan-21 05:37 by mcpre",
        year: "2021",
        rom: "IOS-XE ROMMON",
    },
];

const IOSV_RELEASES: [Release; 2] = [
    Release {
        xe: "",
        ios: "15.9(3)M4",
        train: "",
        image_family: "IOSv Software (VIOS-ADVENTERPRISEK9-M)",
        fc: "fc3",
        config_version: "15.9",
        image: "flash0:/vios-adventerprisek9-m",
        compiled: "Thu 28-Oct-21 21:12 by mcpre",
        year: "2021",
        rom: "Bootstrap program is IOSv",
    },
    Release {
        xe: "",
        ios: "15.6(2)T",
        train: "",
        image_family: "IOSv Software (VIOS-ADVENTERPRISEK9-M)",
        fc: "fc2",
        config_version: "15.6",
        image: "flash0:/vios-adventerprisek9-m",
        compiled: "Tue 22-Mar-16 16:19 by prod_rel_team",
        year: "2016",
        rom: "Bootstrap program is IOSv",
    },
];

/// Kind of an interface (drives naming and `show interfaces` details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfKind {
    /// Physical Gigabit Ethernet port.
    Gigabit,
    /// Switch management port (Gi0/0 in Mgmt-vrf).
    Management,
    /// Loopback interface.
    Loopback,
    /// Switched virtual interface.
    Vlan,
}

/// One interface of a device (part of the mutable device state).
#[derive(Debug, Clone)]
pub struct Interface {
    /// Full IOS name, e.g. `GigabitEthernet0/0/1`.
    pub name: String,
    /// Interface kind.
    pub kind: IfKind,
    /// IPv4 address and prefix length.
    pub ip: Option<(Ipv4Addr, u8)>,
    /// How the address was set, as `show ip interface brief` prints it.
    pub method: &'static str,
    /// `no shutdown`.
    pub admin_up: bool,
    /// Physical link present (cable plugged in).
    pub link: bool,
    /// `description` line.
    pub description: Option<String>,
    /// Layer-2 switchport (switch access ports).
    pub switchport: bool,
    /// Offset of this interface's MAC from the device MAC base.
    pub mac_offset: u16,
    /// Average input packets per second (while up).
    pub pps_in: u16,
    /// Average output packets per second (while up).
    pub pps_out: u16,
    /// Average packet size in bytes.
    pub avg_size: u16,
    /// Input errors per ten million packets.
    pub err_rate: u16,
}

impl Interface {
    /// Whether the line protocol is up.
    pub fn protocol_up(&self) -> bool {
        self.admin_up && (self.link || matches!(self.kind, IfKind::Loopback))
    }

    /// Status column text ("up", "down", "administratively down").
    pub fn status(&self) -> &'static str {
        if !self.admin_up {
            "administratively down"
        } else if self.protocol_up() || self.kind == IfKind::Vlan {
            "up"
        } else {
            "down"
        }
    }
}

/// Immutable facts of a device, derived from the lab seed and the device index.
#[derive(Debug)]
pub struct Profile {
    /// 0-based index in the lab.
    pub index: usize,
    /// Device name (also the initial hostname).
    pub name: String,
    /// Hardware platform.
    pub platform: Platform,
    /// Index into `platform.releases()`.
    pub release: usize,
    /// Chassis serial number (`Processor board ID`).
    pub serial: String,
    /// Uptime in seconds at the moment the lab started.
    pub uptime_at_start: u64,
    /// When the lab started.
    pub started: Instant,
    /// Base MAC address (48 bits).
    pub mac_base: u64,
    /// Extra per-device entropy for rendering (counters, memory sizes …).
    pub salt: u64,
}

impl Profile {
    /// Software release of this device.
    pub(crate) fn release(&self) -> &'static Release {
        let rel = self.platform.releases();
        &rel[self.release % rel.len()]
    }

    /// Current uptime in seconds.
    pub fn uptime_secs(&self) -> u64 {
        self.uptime_at_start + self.started.elapsed().as_secs()
    }
}

/// Mutable device state (changed by configuration commands).
#[derive(Debug, Clone)]
pub struct DeviceState {
    /// Current hostname (prompt).
    pub hostname: String,
    /// Interfaces in `show ip interface brief` order.
    pub interfaces: Vec<Interface>,
    /// Global configuration lines entered in config mode that are not modelled.
    pub extra_config: Vec<String>,
}

/// Largest number of unmodelled global configuration lines kept per device.
pub(crate) const MAX_EXTRA_CONFIG: usize = 500;

/// A simulated device: profile plus shared mutable state.
#[derive(Debug)]
pub struct Device {
    /// Immutable facts.
    pub profile: Profile,
    state: Mutex<DeviceState>,
    /// Configuration files on flash (`copy running-config flash:x`, `archive`).
    files: Mutex<std::collections::BTreeMap<String, DeviceState>>,
    /// Text files on flash written through `tclsh` (a candidate for
    /// `configure replace`).
    texts: Mutex<std::collections::BTreeMap<String, String>>,
}

impl Device {
    /// Builds device `index` of a lab with the given seed.
    pub fn generate(seed: u64, index: usize, name: String, started: Instant) -> Arc<Device> {
        Self::generate_from(seed, index, name, started, &Platform::ALL)
    }

    /// Builds device `index` running IOS-XE (`cisco_xe`: no classic IOS models).
    pub fn generate_xe(seed: u64, index: usize, name: String, started: Instant) -> Arc<Device> {
        const XE: [Platform; 4] = [
            Platform::Isr4331,
            Platform::C9300,
            Platform::C3850,
            Platform::Csr1000v,
        ];
        Self::generate_from(seed, index, name, started, &XE)
    }

    fn generate_from(
        seed: u64,
        index: usize,
        name: String,
        started: Instant,
        models: &[Platform],
    ) -> Arc<Device> {
        let mut rng = SplitMix64::new(seed, index as u64, 1);
        let platform = models[rng.below(models.len() as u64) as usize];
        let release = rng.below(platform.releases().len() as u64) as usize;
        let serial = make_serial(&mut rng, platform, index);
        // 1 hour .. ~400 days.
        let uptime_at_start = rng.range(3_600, 400 * 86_400);
        let oui: u64 = match platform {
            Platform::Isr4331 => 0x00a3d1,
            Platform::C9300 => 0x70695a,
            Platform::C3850 => 0x5c5ac7,
            Platform::Csr1000v => 0x005056,
            Platform::Iosv => 0x525400,
        };
        let mac_base = (oui << 24) | ((rng.next_u64() & 0xffff) << 8);
        let salt = rng.next_u64();
        let interfaces = make_interfaces(&mut rng, platform, index);
        Arc::new(Device {
            profile: Profile {
                index,
                name: name.clone(),
                platform,
                release,
                serial,
                uptime_at_start,
                started,
                mac_base,
                salt,
            },
            state: Mutex::new(DeviceState {
                hostname: name,
                interfaces,
                extra_config: Vec::new(),
            }),
            files: Mutex::new(std::collections::BTreeMap::new()),
            texts: Mutex::new(std::collections::BTreeMap::new()),
        })
    }

    /// Locks the mutable state (a poisoned lock is recovered: the state stays usable).
    pub fn state(&self) -> MutexGuard<'_, DeviceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Configuration files saved on the device (by name, `flash:x`).
    pub fn files(&self) -> MutexGuard<'_, std::collections::BTreeMap<String, DeviceState>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Text files on flash (by name, `flash:x`), written through `tclsh`.
    pub fn texts(&self) -> MutexGuard<'_, std::collections::BTreeMap<String, String>> {
        self.texts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current hostname.
    pub fn hostname(&self) -> String {
        self.state().hostname.clone()
    }
}

const B36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Serial like `FOC2214X0AB`: prefix, year, week, then 4 characters that are a bijection
/// of the device index (so serials are distinct for up to 36^4 devices).
fn make_serial(rng: &mut SplitMix64, platform: Platform, index: usize) -> String {
    let year = rng.range(17, 24);
    let week = rng.range(1, 52);
    let space = 36u64.pow(4);
    // 1_679_617 is coprime to 36^4 (odd and not divisible by 3), so this is a bijection.
    let offset = rng.below(space);
    let mut v = ((index as u64 % space) * 1_679_617 + offset) % space;
    let mut tail = [0u8; 4];
    for c in tail.iter_mut().rev() {
        *c = B36[(v % 36) as usize];
        v /= 36;
    }
    format!(
        "{}{year:02}{week:02}{}",
        platform.serial_prefix(),
        String::from_utf8_lossy(&tail)
    )
}

fn traffic(rng: &mut SplitMix64, iface: &mut Interface) {
    iface.pps_in = rng.range(1, 900) as u16;
    iface.pps_out = rng.range(1, 700) as u16;
    iface.avg_size = rng.range(90, 1100) as u16;
    iface.err_rate = if rng.below(4) == 0 {
        rng.range(1, 40) as u16
    } else {
        0
    };
}

fn make_interfaces(rng: &mut SplitMix64, platform: Platform, index: usize) -> Vec<Interface> {
    let total = rng.range(4, 12) as usize;
    let n = index as u32 + 1;
    let (hi, lo) = (((n >> 8) & 0xff) as u8, (n & 0xff) as u8);
    let base = |name: String, kind: IfKind, off: u16| Interface {
        name,
        kind,
        ip: None,
        method: "unset",
        admin_up: true,
        link: true,
        description: None,
        switchport: false,
        mac_offset: off,
        pps_in: 0,
        pps_out: 0,
        avg_size: 0,
        err_rate: 0,
    };
    let mut out = Vec::with_capacity(total);
    let mut phys_names: Vec<String> = Vec::new();
    match platform {
        Platform::Isr4331 => {
            for p in 0..3 {
                phys_names.push(format!("GigabitEthernet0/0/{p}"));
            }
            for p in 0..8 {
                phys_names.push(format!("GigabitEthernet0/1/{p}"));
            }
            phys_names.truncate(total - 1);
        }
        Platform::Csr1000v => {
            phys_names.extend((1..total).map(|p| format!("GigabitEthernet{p}")));
        }
        Platform::Iosv => {
            phys_names.extend((0..total - 1).map(|p| format!("GigabitEthernet0/{p}")));
        }
        Platform::C9300 | Platform::C3850 => {
            let mut vlan = base("Vlan1".into(), IfKind::Vlan, 0x40);
            if rng.below(2) == 0 {
                vlan.ip = Some((Ipv4Addr::new(10, 100, hi, lo), 16));
                vlan.method = "NVRAM";
            } else {
                vlan.admin_up = false;
            }
            out.push(vlan);
            let mut mgmt = base("GigabitEthernet0/0".into(), IfKind::Management, 0x3f);
            mgmt.ip = Some((Ipv4Addr::new(10, hi, lo, 1), 24));
            mgmt.method = "NVRAM";
            mgmt.description = Some("OOB management".into());
            traffic(rng, &mut mgmt);
            out.push(mgmt);
            phys_names.extend((1..total - 2).map(|p| format!("GigabitEthernet1/0/{p}")));
        }
    }
    let switch = platform.is_switch();
    for (j, name) in phys_names.into_iter().enumerate() {
        let mut iface = base(name, IfKind::Gigabit, j as u16 + 1);
        iface.switchport = switch;
        traffic(rng, &mut iface);
        if j == 0 && !switch {
            iface.ip = Some((Ipv4Addr::new(10, hi, lo, 1), 24));
            iface.method = "NVRAM";
            iface.description = Some("uplink to core".into());
        } else {
            match rng.below(20) {
                0..=10 => {
                    if !switch && rng.below(3) != 0 {
                        let net = (j as u8).wrapping_add(1);
                        iface.ip = Some((Ipv4Addr::new(172, 16, net, lo.max(1)), 24));
                        iface.method = "NVRAM";
                        iface.description = Some(format!("link {net}"));
                    } else if switch {
                        iface.description = Some(format!("access port {}", j + 1));
                    }
                }
                11..=13 => {
                    iface.link = false;
                }
                _ => {
                    iface.admin_up = false;
                    iface.link = false;
                }
            }
        }
        out.push(iface);
    }
    let mut lo0 = base("Loopback0".into(), IfKind::Loopback, 0);
    lo0.ip = Some((Ipv4Addr::new(10, 255, hi, lo), 32));
    lo0.method = "NVRAM";
    out.push(lo0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let t = Instant::now();
        let a = Device::generate(7, 0, "r001".into(), t);
        let b = Device::generate(7, 0, "r001".into(), t);
        let c = Device::generate(7, 1, "r002".into(), t);
        assert_eq!(a.profile.serial, b.profile.serial);
        assert_eq!(a.profile.uptime_at_start, b.profile.uptime_at_start);
        assert_ne!(a.profile.serial, c.profile.serial);
        let mut serials = std::collections::HashSet::new();
        for i in 0..3000 {
            let d = Device::generate(1, i, format!("r{i}"), t);
            let n = d.state().interfaces.len();
            assert!((4..=12).contains(&n), "{n} interfaces");
            assert_eq!(d.profile.serial.len(), 11);
            assert!(serials.insert(d.profile.serial.clone()));
        }
    }
}
