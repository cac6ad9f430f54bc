//! Command output templates, laid out like real Cisco IOS / IOS-XE output.
//!
//! Every function returns text with `\n` line endings (the CLI converts to `\r\n`).

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::device::{DeviceState, IfKind, Interface, Platform, Profile, SplitMix64};

pub(crate) const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Broken-down UTC time.
pub(crate) struct Civil {
    pub year: i64,
    pub month: usize,
    pub day: u32,
    pub weekday: usize,
    pub hour: u64,
    pub min: u64,
    pub sec: u64,
}

pub(crate) fn civil(unix: u64) -> Civil {
    let days = (unix / 86_400) as i64;
    let rem = unix % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        weekday: days.rem_euclid(7) as usize,
        hour: rem / 3_600,
        min: rem % 3_600 / 60,
        sec: rem % 60,
    }
}

pub(crate) fn now_unix() -> (u64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs(), d.subsec_millis())
}

/// `08:13:25 UTC Mon Nov 3 2026`
fn ios_time(unix: u64) -> String {
    let c = civil(unix);
    format!(
        "{:02}:{:02}:{:02} UTC {} {} {} {}",
        c.hour,
        c.min,
        c.sec,
        DAYS[c.weekday],
        MONTHS[c.month - 1],
        c.day,
        c.year
    )
}

/// `show clock`: `*08:13:25.123 UTC Mon Nov 3 2026` (the star: not NTP-synchronised).
pub fn show_clock() -> String {
    let (secs, ms) = now_unix();
    let c = civil(secs);
    format!(
        "*{:02}:{:02}:{:02}.{ms:03} UTC {} {} {} {}\n",
        c.hour,
        c.min,
        c.sec,
        DAYS[c.weekday],
        MONTHS[c.month - 1],
        c.day,
        c.year
    )
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// IOS uptime text: `3 weeks, 2 days, 4 hours, 17 minutes`.
pub fn uptime_text(secs: u64) -> String {
    let mins = secs / 60;
    let (years, rest) = (mins / 525_600, mins % 525_600);
    let (weeks, rest) = (rest / 10_080, rest % 10_080);
    let (days, rest) = (rest / 1_440, rest % 1_440);
    let (hours, minutes) = (rest / 60, rest % 60);
    let mut parts = Vec::new();
    for (n, unit) in [
        (years, "year"),
        (weeks, "week"),
        (days, "day"),
        (hours, "hour"),
    ] {
        if n > 0 {
            parts.push(plural(n, unit));
        }
    }
    parts.push(plural(minutes, "minute"));
    parts.join(", ")
}

/// Cisco dotted MAC: `00a3.d14f.2a40`.
pub fn mac_text(mac: u64) -> String {
    format!(
        "{:04x}.{:04x}.{:04x}",
        (mac >> 32) & 0xffff,
        (mac >> 16) & 0xffff,
        mac & 0xffff
    )
}

fn prefix_to_mask(len: u8) -> Ipv4Addr {
    let bits = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    Ipv4Addr::from(bits)
}

/// Mask to prefix length (`None` if not contiguous).
pub fn mask_to_prefix(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

const CRYPTO_NOTICE: &str = "\
This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.
";

const GPL_NOTICE: &str = "\
All rights reserved.  Certain components of Cisco IOS-XE software are
licensed under the GNU General Public License (\"GPL\") Version 2.0.  The
software code licensed under GPL Version 2.0 is free software that comes
with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such
GPL code under the terms of GPL Version 2.0.  For more details, see the
documentation or \"License Notice\" file accompanying the IOS-XE software,
or the applicable URL provided on the flyer accompanying the IOS-XE
software.
";

/// `show version`.
pub fn show_version(p: &Profile, s: &DeviceState) -> String {
    let r = p.release();
    let up = p.uptime_secs();
    let (now, _) = now_unix();
    let restarted = ios_time(now.saturating_sub(up));
    let gig = s
        .interfaces
        .iter()
        .filter(|i| matches!(i.kind, IfKind::Gigabit | IfKind::Management))
        .count();
    let mut o = String::with_capacity(4096);
    if p.platform.is_xe() {
        let _ = writeln!(o, "Cisco IOS XE Software, Version {}", r.xe);
        let _ = writeln!(
            o,
            "Cisco IOS Software [{}], {}, Version {}, RELEASE SOFTWARE ({})",
            r.train, r.image_family, r.ios, r.fc
        );
    } else {
        let _ = writeln!(
            o,
            "Cisco IOS Software, {}, Version {}, RELEASE SOFTWARE ({})",
            r.image_family, r.ios, r.fc
        );
    }
    o.push_str("Technical Support: http://www.cisco.com/techsupport\n");
    let _ = writeln!(o, "Copyright (c) 1986-{} by Cisco Systems, Inc.", r.year);
    let _ = writeln!(o, "Compiled {}", r.compiled);
    o.push_str("\n\n");
    if p.platform.is_xe() {
        let _ = writeln!(
            o,
            "Cisco IOS-XE software, Copyright (c) 2005-{} by cisco Systems, Inc.",
            r.year
        );
        o.push_str(GPL_NOTICE);
        o.push_str("\n\n");
        let _ = writeln!(o, "ROM: {}", r.rom);
        if p.platform.is_switch() {
            let _ = writeln!(
                o,
                "BOOTLDR: System Bootstrap, Version 17.8.1r[FC2], RELEASE SOFTWARE (P)"
            );
        }
    } else {
        let _ = writeln!(o, "ROM: {}", r.rom);
    }
    o.push('\n');
    let _ = writeln!(o, "{} uptime is {}", s.hostname, uptime_text(up));
    if p.platform.is_xe() {
        let _ = writeln!(
            o,
            "Uptime for this control processor is {}",
            uptime_text(up.saturating_sub(60))
        );
    }
    o.push_str("System returned to ROM by Reload Command at ");
    let _ = writeln!(o, "{restarted}");
    let _ = writeln!(o, "System restarted at {restarted}");
    let _ = writeln!(o, "System image file is \"{}\"", r.image);
    o.push_str("Last reload reason: Reload Command\n\n\n\n");
    o.push_str(CRYPTO_NOTICE);
    o.push_str("\n\n");
    let mem_k = 1_795_219 + (p.salt % 4096);
    match p.platform {
        Platform::Isr4331 => {
            o.push_str("\nTechnology Package License Information: \n\n");
            o.push_str("-----------------------------------------------------------------\n");
            o.push_str("Technology    Technology-package           Technology-package\n");
            o.push_str("              Current       Type           Next reboot  \n");
            o.push_str("------------------------------------------------------------------\n");
            o.push_str("appxk9           None             None             None\n");
            o.push_str("uck9             None             None             None\n");
            o.push_str("securityk9       securityk9       RightToUse       securityk9\n");
            o.push_str("ipbase           ipbasek9         Permanent        ipbasek9\n\n");
            o.push_str("The current throughput level is 100000 kbps \n\n\n");
            let _ = writeln!(
                o,
                "cisco ISR4331/K9 (1RU) processor with {mem_k}K/6147K bytes of memory."
            );
        }
        Platform::Csr1000v => {
            o.push_str("\nTechnology Package License Information: \n\n");
            o.push_str("Controller-managed\n\n");
            o.push_str("The current throughput level is 1000 kbps \n\n\n");
            let _ = writeln!(
                o,
                "cisco CSR1000V (VXE) processor (revision VXE) with {mem_k}K/3075K bytes of memory."
            );
        }
        Platform::C9300 | Platform::C3850 => {
            let _ = writeln!(
                o,
                "cisco {} ({}) processor (revision V02) with {}K/6147K bytes of memory.",
                p.platform.model(),
                if p.platform == Platform::C9300 {
                    "X86"
                } else {
                    "ARM"
                },
                mem_k - 1_000_000
            );
        }
        Platform::Iosv => {
            let _ = writeln!(
                o,
                "Cisco IOSv (revision 1.0) with  with {}K/{}K bytes of memory.",
                460_137 + (p.salt % 1024),
                62_464
            );
        }
    }
    let _ = writeln!(o, "Processor board ID {}", p.serial);
    if p.platform == Platform::Isr4331 || p.platform == Platform::Csr1000v {
        o.push_str("Router operating mode: Autonomous\n");
    }
    if p.platform.is_switch() {
        o.push_str("1 Virtual Ethernet interface\n");
    }
    let _ = writeln!(o, "{gig} Gigabit Ethernet interfaces");
    o.push_str("32768K bytes of non-volatile configuration memory.\n");
    if p.platform.is_xe() {
        o.push_str("8388608K bytes of physical memory.\n");
        let _ = writeln!(
            o,
            "{}K bytes of flash memory at bootflash:.",
            6_598_655 + (p.salt >> 40) % 9999
        );
    } else {
        o.push_str("2097152K bytes of ATA System CompactFlash 0 (Read/Write)\n");
    }
    o.push('\n');
    if p.platform.is_switch() {
        let b = p.mac_base.to_be_bytes();
        let _ = writeln!(
            o,
            "Base Ethernet MAC Address          : {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[2], b[3], b[4], b[5], b[6], b[7]
        );
        let _ = writeln!(o, "Motherboard Assembly Number        : 73-17954-06");
        let _ = writeln!(o, "Motherboard Serial Number          : {}", p.serial);
        let _ = writeln!(o, "Model Revision Number              : A0");
        let _ = writeln!(o, "Motherboard Revision Number        : A0");
        let _ = writeln!(
            o,
            "Model Number                       : {}",
            p.platform.model()
        );
        let _ = writeln!(o, "System Serial Number               : {}", p.serial);
        o.push('\n');
        o.push_str(
            "\nSwitch Ports Model              SW Version        SW Image              Mode   \n",
        );
        o.push_str(
            "------ ----- -----              ----------        ----------            ----   \n",
        );
        let image = if p.platform == Platform::C9300 {
            "CAT9K_IOSXE"
        } else {
            "CAT3K_CAA-UNIVERSALK9"
        };
        let _ = writeln!(
            o,
            "*    1 {:<5} {:<18} {:<17} {:<21} INSTALL",
            // Front-panel + uplink-module ports of the model.
            if p.platform == Platform::C9300 {
                41
            } else {
                32
            },
            p.platform.model(),
            r.xe,
            image
        );
        o.push_str("\n\n");
    }
    o.push_str("Configuration register is 0x2102\n\n");
    o
}

/// `show ip interface brief`.
pub fn show_ip_int_brief(s: &DeviceState) -> String {
    let mut o = String::with_capacity(96 * (s.interfaces.len() + 1));
    o.push_str(
        "Interface              IP-Address      OK? Method Status                Protocol\n",
    );
    for i in &s.interfaces {
        let ip =
            i.ip.map_or_else(|| "unassigned".to_string(), |(a, _)| a.to_string());
        let proto = if i.protocol_up() { "up" } else { "down" };
        let _ = writeln!(
            o,
            "{:<22} {:<15} YES {:<6} {:<21} {:<8}",
            i.name,
            ip,
            i.method,
            i.status(),
            proto
        );
    }
    o
}

/// What is plugged into a physical port whose link is up: its MAC and, when
/// it speaks LLDP, its row of `show lldp neighbors`.
struct Attached {
    mac: u64,
    lldp: Option<LldpRow>,
}

/// A neighbour as `show lldp neighbors` lists it.
struct LldpRow {
    device: String,
    hold: u32,
    caps: &'static str,
    port: String,
}

/// The router's uplink goes to a core router and most of its other links to
/// distribution routers; a switch port has a Cisco IP phone, a VMware host
/// or a station without LLDP. Drawn from the device's salt and the port, so
/// LLDP, ARP and MAC tables agree and every session sees the same.
fn attached(p: &Profile, i: &Interface) -> Option<Attached> {
    if i.kind != IfKind::Gigabit || !i.protocol_up() {
        return None;
    }
    let mut rng = SplitMix64::new(p.salt, u64::from(i.mac_offset), 0x11d9);
    let n = rng.range(1, 4);
    let port = rng.range(1, 48);
    let low = rng.next_u64() & 0xff_ffff;
    // OUIs: Cisco IP phones 00:1B:D4, VMware 00:50:56, Cisco routers 00:A3:8E.
    let (phone, host, router) = (
        0x001b_d400_0000 | low,
        0x0050_5600_0000 | low,
        0x00a3_8e00_0000 | low,
    );
    let row = |device: String, hold, caps, port| LldpRow {
        device,
        hold,
        caps,
        port,
    };
    Some(match (p.platform.is_switch(), rng.below(3)) {
        (true, 0) => {
            let hex = format!("{phone:012X}");
            Attached {
                mac: phone,
                lldp: Some(row(format!("SEP{hex}"), 180, "B,T", format!("{hex}:P1"))),
            }
        }
        (true, 1) => Attached {
            mac: host,
            lldp: Some(row(format!("esxi-{n:02}"), 180, "", mac_text(host))),
        },
        // The router's first port is its uplink (see `make_interfaces`).
        (false, _) if i.mac_offset == 1 => Attached {
            mac: router,
            lldp: Some(row(
                format!("core{}.lab.local", n % 2 + 1),
                120,
                "B,R",
                format!("Gi1/0/{port}"),
            )),
        },
        (false, 1 | 2) => Attached {
            mac: router,
            lldp: Some(row(
                format!("dist{n}.lab.local"),
                120,
                "R",
                format!("Gi0/0/{}", port % 4),
            )),
        },
        _ => Attached {
            mac: host,
            lldp: None,
        },
    })
}

/// `show lldp neighbors`.
pub fn show_lldp_neighbors(p: &Profile, s: &DeviceState) -> String {
    let mut o = String::from(
        "Capability codes:\n    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\nDevice ID           Local Intf     Hold-time  Capability      Port ID\n",
    );
    let mut count = 0;
    for i in &s.interfaces {
        let Some(n) = attached(p, i).and_then(|a| a.lldp) else {
            continue;
        };
        count += 1;
        let _ = writeln!(
            o,
            "{:<19} {:<14} {:<10} {:<15} {}",
            n.device,
            abbreviate(&i.name),
            n.hold,
            n.caps,
            n.port
        );
    }
    let _ = write!(o, "\nTotal entries displayed: {count}\n\n");
    o
}

/// `show lldp neighbors detail`: the neighbours of `show lldp neighbors`,
/// a dashed block each, the system description on the lines after its key.
pub fn show_lldp_neighbors_detail(p: &Profile, s: &DeviceState) -> String {
    let mut o = String::new();
    let mut count = 0;
    for i in &s.interfaces {
        let Some(a) = attached(p, i) else { continue };
        let Some(n) = a.lldp else { continue };
        count += 1;
        let (descr, port_descr) = match n.caps {
            "B,T" => (
                "Cisco IP Phone 8841, V1, sip88xx.12-8-1-0001-455",
                "SW PORT",
            ),
            "" => ("VMware ESX Server 7.0.3 build-20328353", "vmnic0"),
            _ => (
                "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.3.4, RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2021 by Cisco Systems, Inc.",
                "uplink",
            ),
        };
        let caps = if n.caps.is_empty() {
            "not advertised".to_string()
        } else {
            n.caps.to_string()
        };
        let _ = write!(
            o,
            "------------------------------------------------\n\
             Local Intf: {}\n\
             Chassis id: {}\n\
             Port id: {}\n\
             Port Description: {port_descr}\n\
             System Name: {}\n\n\
             System Description: \n{descr}\n\n\
             Time remaining: {} seconds\n\
             System Capabilities: {caps}\n\
             Enabled Capabilities: {caps}\n\
             Management Addresses - not advertised\n\
             Auto Negotiation - supported, enabled\n\
             Vlan ID: - not advertised\n\n",
            abbreviate(&i.name),
            mac_text(a.mac),
            n.port,
            n.device,
            n.hold.saturating_sub(15),
        );
    }
    let _ = write!(o, "\nTotal entries displayed: {count}\n\n");
    o
}

/// `show processes cpu`: the utilisation line, then the head of the
/// process table.
pub fn show_processes_cpu(p: &Profile) -> String {
    let mut rng = SplitMix64::new(p.salt, 0, 0xc9);
    let one = rng.range(1, 35);
    let five_s = one + rng.below(6);
    format!(
        "CPU utilization for five seconds: {five_s}%/{}%; one minute: {one}%; five minutes: {}%\n \
         PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process \n   \
         1           3          24        125  0.00%  0.00%  0.00%   0 Chunk Manager    \n   \
         2        2816      214622         13  0.07%  0.02%  0.00%   0 Load Meter       \n",
        five_s / 3,
        one.saturating_sub(1).max(1),
    )
}

/// `show memory statistics`: the processor pool is the `show version`
/// memory, a share of it used.
pub fn show_memory_statistics(p: &Profile) -> String {
    let total = (1_795_219 + (p.salt % 4096)) * 1024;
    let mut rng = SplitMix64::new(p.salt, 0, 0x3e3);
    let used = total * rng.range(20, 60) / 100;
    let free = total - used;
    let head = 0x007f_5a5a_6010 + (p.salt & 0xfff0);
    let io: u64 = 33_554_432;
    let io_used = io * rng.range(30, 80) / 100;
    format!(
        "                Head    Total(b)     Used(b)     Free(b)   Lowest(b)  Largest(b)\n\
         Processor  {head:X}  {total:>10}  {used:>10}  {free:>10}  {:>10}  {:>10}\n      \
         I/O  {:X}  {io:>10}  {io_used:>10}  {:>10}  {:>10}  {:>10}\n",
        free - free / 100,
        free - free / 50,
        head + 0x2_9ff0,
        io - io_used,
        io - io_used - 1000,
        io - io_used - 2000,
    )
}

/// Inlet and hotspot temperatures, fan speeds and whether the second
/// supply is present, from the device's salt (the same at every call).
pub fn sensors(p: &Profile) -> ([u64; 2], [u64; 3], bool) {
    let mut rng = SplitMix64::new(p.salt, 0, 0xe47);
    let inlet = rng.range(22, 38);
    (
        [inlet, inlet + rng.range(10, 30)],
        [
            rng.range(4_800, 7_200),
            rng.range(4_800, 7_200),
            rng.range(4_800, 7_200),
        ],
        rng.below(6) != 0,
    )
}

/// `show environment all` as each IOS-XE platform prints it: Catalyst
/// switches their fan, temperature and supply sections, the routers their
/// sensor table (none on the CSR1000V); classic IOSv refuses it (`None`).
pub fn show_environment_all(p: &Profile) -> Option<String> {
    let ([inlet, hotspot], fans, second_psu) = sensors(p);
    let mut o = String::new();
    match p.platform {
        Platform::C9300 | Platform::C3850 => {
            for n in 1..=fans.len() {
                let _ = writeln!(o, "Switch 1 FAN {n} is OK");
            }
            o.push_str("FAN PS-1 is OK\n");
            o.push_str(if second_psu {
                "FAN PS-2 is OK\n"
            } else {
                "FAN PS-2 is NOT PRESENT\n"
            });
            let _ = write!(
                o,
                "Switch 1: SYSTEM TEMPERATURE is OK\n\
                 Inlet Temperature Value: {inlet} Degree Celsius\n\
                 Temperature State: GREEN\n\
                 Yellow Threshold : 46 Degree Celsius\n\
                 Red Threshold    : 56 Degree Celsius\n\n\
                 Hotspot Temperature Value: {hotspot} Degree Celsius\n\
                 Temperature State: GREEN\n\
                 Yellow Threshold : 105 Degree Celsius\n\
                 Red Threshold    : 125 Degree Celsius\n\
                 SW  PID                 Serial#     Status           Sys Pwr  PoE Pwr  Watts\n\
                 --  ------------------  ----------  ---------------  -------  -------  -----\n\
                 1A  PWR-C1-715WAC       {}  OK               Good     Good     715\n",
                supply_serial(p, 1),
            );
            if second_psu {
                let _ = writeln!(
                    o,
                    "1B  PWR-C1-715WAC       {}  OK               Good     Good     715",
                    supply_serial(p, 2)
                );
            } else {
                o.push_str("1B  Not Present\n");
            }
            o.push_str(
                "\nSW  Status          RPS Name          RPS Serial#  RPS Port#\n\
                 --  -------------   ----------------  -----------  ---------\n\
                 1   Not Present     <>\n",
            );
        }
        Platform::Isr4331 | Platform::Csr1000v => {
            o.push_str(
                "Number of Critical alarms:  0\nNumber of Major alarms:     0\nNumber of Minor alarms:     0\n\n \
                 Slot        Sensor          Current State       Reading        Threshold(Minor,Major,Critical,Shutdown)\n \
                 ----------  --------------  ---------------     ------------   ---------------------------------------\n",
            );
            if p.platform == Platform::Isr4331 {
                let mut row = |slot: &str, name: &str, reading: String, limits: &str| {
                    let _ = writeln!(
                        o,
                        " {slot:<11} {name:<15} {:<19} {reading:<14} {limits}",
                        "Normal"
                    );
                };
                row(
                    "P0",
                    "Temp: Temp 1",
                    format!("{} Celsius", inlet + 4),
                    "(na ,na ,na ,na )(Celsius)",
                );
                row(
                    "R0",
                    "Temp: Inlet",
                    format!("{inlet} Celsius"),
                    "(45 ,55 ,65 ,70 )(Celsius)",
                );
                row(
                    "R0",
                    "Temp: outlet",
                    format!("{} Celsius", inlet + 7),
                    "(60 ,70 ,80 ,85 )(Celsius)",
                );
                row(
                    "R0",
                    "Temp: CPU Die",
                    format!("{hotspot} Celsius"),
                    "(90 ,95 ,105,110)(Celsius)",
                );
                row("P0", "V1: VX1", "1014 mV".into(), "(na ,na ,na ,na )(mV)");
                row(
                    "P0",
                    "P: pwr",
                    "36 Watts".into(),
                    "(na ,na ,na ,na )(Watts)",
                );
                for (n, rpm) in fans.iter().enumerate() {
                    row(
                        "P2",
                        &format!("RPM: fan{n}"),
                        format!("{rpm} RPM"),
                        "(na ,na ,na ,na )(RPM)",
                    );
                }
            }
        }
        Platform::Iosv => return None,
    }
    Some(o)
}

/// A supply's serial number, from the device's salt.
fn supply_serial(p: &Profile, n: u64) -> String {
    format!(
        "DCB{:04}G{:03}",
        (p.salt >> 8) % 10_000,
        (p.salt + n * 37) % 1000
    )
}

/// `show bgp all summary`: a router peers with the router at the far end
/// of each routed link that speaks LLDP (the core uplink and the
/// distribution routers, from `attached`); a session is up while its
/// link is. A switch runs no BGP.
pub fn show_bgp_all_summary(p: &Profile, s: &DeviceState) -> String {
    if p.platform.is_switch() {
        return "% BGP not active\n\n".to_string();
    }
    let local_as = 65_000 + p.salt % 500;
    let router_id = s
        .interfaces
        .iter()
        .find(|i| i.kind == IfKind::Loopback)
        .or_else(|| s.interfaces.iter().find(|i| i.ip.is_some()))
        .and_then(|i| i.ip)
        .map_or_else(|| "0.0.0.0".to_string(), |(ip, _)| ip.to_string());
    let mut rows = String::new();
    let mut total = 0;
    for i in &s.interfaces {
        let (Some((ip, len)), IfKind::Gigabit) = (i.ip, i.kind) else {
            continue;
        };
        let mut rng = SplitMix64::new(p.salt, u64::from(i.mac_offset), 0xb9b);
        // The peer is the neighbour `show ip arp` lists on the link.
        let o = ip.octets();
        if len >= 31 {
            continue;
        }
        let last = if o[3] == 254 { 253 } else { 254 };
        let peer = Ipv4Addr::new(o[0], o[1], o[2], last);
        let remote_as = if i.mac_offset == 1 {
            65_535
        } else {
            64_600 + u64::from(i.mac_offset)
        };
        let up = attached(p, i).is_some_and(|a| a.lldp.is_some());
        let secs = rng.range(300, p.uptime_secs().max(301));
        let (rcvd, sent, state) = if up {
            let pfx = rng.range(1, 800);
            total += pfx;
            (secs / 60 + pfx, secs / 60 + 3, pfx.to_string())
        } else if i.admin_up {
            (0, 0, "Active".to_string())
        } else {
            (0, 0, "Idle (Admin)".to_string())
        };
        let _ = writeln!(
            rows,
            "{:<15} 4 {remote_as:>12} {rcvd:>7} {sent:>7} {:>8}    0    0 {:<8} {state:>12}",
            peer.to_string(),
            10 + total,
            if up {
                short_uptime(secs)
            } else {
                "never".to_string()
            }
        );
    }
    if rows.is_empty() {
        return "% BGP not active\n\n".to_string();
    }
    format!(
        "For address family: IPv4 Unicast\n\
         BGP router identifier {router_id}, local AS number {local_as}\n\
         BGP table version is {v}, main routing table version {v}\n\
         {total} network entries using {mem} bytes of memory\n\
         {total} path entries using {paths} bytes of memory\n\
         BGP activity {total}/0 prefixes, {total}/0 paths, scan interval 60 secs\n\n\
         Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd\n{rows}\n",
        v = 10 + total,
        mem = total * 248,
        paths = total * 136,
    )
}

/// `1w2d`, `3d04h` or `01:02:03`, as IOS prints the Up/Down column.
fn short_uptime(secs: u64) -> String {
    let (w, d, h) = (secs / 604_800, secs / 86_400 % 7, secs / 3_600 % 24);
    if secs >= 604_800 {
        format!("{w}w{d}d")
    } else if secs >= 86_400 {
        format!("{d}d{h:02}h")
    } else {
        format!("{h:02}:{:02}:{:02}", secs / 60 % 60, secs % 60)
    }
}

/// `show ip arp` (global table: the switch's management port is in Mgmt-vrf):
/// the device's own address on each interface that is up, the neighbour on
/// each routed link, and the hosts behind a switch's ports on its SVI.
pub fn show_ip_arp(p: &Profile, s: &DeviceState) -> String {
    let mut o =
        String::from("Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n");
    let mut row = |ip: Ipv4Addr, age: Option<u64>, mac: u64, name: &str| {
        let age = age.map_or_else(|| "-".to_string(), |a| a.to_string());
        let _ = writeln!(
            o,
            "Internet  {:<16}{age:>9}   {}  ARPA   {name}",
            ip.to_string(),
            mac_text(mac)
        );
    };
    let hosts: Vec<u64> = s
        .interfaces
        .iter()
        .filter_map(|i| attached(p, i))
        .filter(|a| a.lldp.as_ref().is_none_or(|n| n.caps != "B,T"))
        .map(|a| a.mac)
        .collect();
    for i in &s.interfaces {
        let Some((ip, len)) = i.ip else { continue };
        if !i.protocol_up() || matches!(i.kind, IfKind::Loopback | IfKind::Management) {
            continue;
        }
        row(ip, None, p.mac_base + u64::from(i.mac_offset), &i.name);
        let o = ip.octets();
        let age = |mac: u64| Some(mac % 240);
        match i.kind {
            IfKind::Gigabit if len < 31 => {
                if let Some(a) = attached(p, i) {
                    let last = if o[3] == 254 { 253 } else { 254 };
                    row(
                        Ipv4Addr::new(o[0], o[1], o[2], last),
                        age(a.mac),
                        a.mac,
                        &i.name,
                    );
                }
            }
            IfKind::Vlan => {
                for (k, mac) in hosts.iter().enumerate() {
                    let last = 200 + k as u8 % 50;
                    if last != o[3] {
                        row(
                            Ipv4Addr::new(o[0], o[1], o[2], last),
                            age(*mac),
                            *mac,
                            &i.name,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    o
}

/// `show mac address-table` on a switch: the CPU's entries, then what is
/// attached to each access port that is up (VLAN 1).
pub fn show_mac_address_table(p: &Profile, s: &DeviceState) -> String {
    let mut o = String::from(
        "          Mac Address Table\n-------------------------------------------\n\nVlan    Mac Address       Type        Ports\n----    -----------       --------    -----\n",
    );
    let cpu = [0x0100_0ccc_cccc_u64, 0x0100_0ccc_cccd, 0x0180_c200_0000];
    for mac in cpu {
        let _ = writeln!(o, " All    {}    STATIC      CPU", mac_text(mac));
    }
    let mut total = cpu.len();
    for i in s.interfaces.iter().filter(|i| i.switchport) {
        if let Some(a) = attached(p, i) {
            total += 1;
            let _ = writeln!(
                o,
                "   1    {}    DYNAMIC     {}",
                mac_text(a.mac),
                abbreviate(&i.name)
            );
        }
    }
    let _ = writeln!(o, "Total Mac Addresses for this criterion: {total}");
    o
}

fn hardware(p: &Profile, i: &Interface) -> &'static str {
    match (i.kind, p.platform) {
        (IfKind::Loopback, _) => "Loopback",
        (IfKind::Vlan, _) => "Ethernet SVI",
        (IfKind::Management, _) => "RP management port",
        (IfKind::Gigabit, Platform::Isr4331) if i.name.starts_with("GigabitEthernet0/0/") => {
            "ISR4331-3x1GE"
        }
        (IfKind::Gigabit, Platform::Isr4331) => "NIM-ES2-8",
        (IfKind::Gigabit, Platform::Csr1000v) => "CSR vNIC",
        (IfKind::Gigabit, Platform::Iosv) => "iGbE",
        (IfKind::Gigabit, _) => "Gigabit Ethernet",
    }
}

/// Counters of one interface, derived from its rates and the device uptime.
struct Counters {
    pkts_in: u64,
    bytes_in: u64,
    pkts_out: u64,
    bytes_out: u64,
    bcast: u64,
    mcast: u64,
    errors: u64,
    crc: u64,
    resets: u64,
    rate_in: (u64, u64),
    rate_out: (u64, u64),
}

fn counters(p: &Profile, i: &Interface) -> Counters {
    if !i.protocol_up() || i.kind == IfKind::Loopback {
        let resets = u64::from(!i.admin_up);
        return Counters {
            pkts_in: 0,
            bytes_in: 0,
            pkts_out: 0,
            bytes_out: 0,
            bcast: 0,
            mcast: 0,
            errors: 0,
            crc: 0,
            resets,
            rate_in: (0, 0),
            rate_out: (0, 0),
        };
    }
    // Traffic ran for most of the uptime; keep numbers plausible (not every packet/s).
    let t = p.uptime_secs() / 7;
    let pkts_in = u64::from(i.pps_in) * t + u64::from(i.mac_offset);
    let pkts_out = u64::from(i.pps_out) * t + 17;
    let size = u64::from(i.avg_size.max(64));
    let errors = pkts_in / 10_000_000 * u64::from(i.err_rate);
    let pi = u64::from(i.pps_in) / 7;
    let po = u64::from(i.pps_out) / 7;
    Counters {
        pkts_in,
        bytes_in: pkts_in * size,
        pkts_out,
        bytes_out: pkts_out * (size * 9 / 10).max(64),
        bcast: pkts_in / 97,
        mcast: pkts_in / 41,
        errors,
        crc: errors / 2,
        resets: 1 + u64::from(i.mac_offset % 3),
        rate_in: (pi * size * 8, pi),
        rate_out: (po * size * 8 * 9 / 10, po),
    }
}

fn one_interface(o: &mut String, p: &Profile, i: &Interface) {
    let proto = if i.protocol_up() { "up" } else { "down" };
    let _ = writeln!(
        o,
        "{} is {}, line protocol is {} ",
        i.name,
        i.status(),
        proto
    );
    let c = counters(p, i);
    let mac = mac_text(p.mac_base + u64::from(i.mac_offset));
    if i.kind == IfKind::Loopback {
        o.push_str("  Hardware is Loopback\n");
    } else {
        let _ = writeln!(
            o,
            "  Hardware is {}, address is {mac} (bia {mac})",
            hardware(p, i)
        );
    }
    if let Some(d) = &i.description {
        let _ = writeln!(o, "  Description: {d}");
    }
    if let Some((a, l)) = i.ip {
        let _ = writeln!(o, "  Internet address is {a}/{l}");
    }
    let (mtu, bw, dly) = match i.kind {
        IfKind::Loopback => (1514, 8_000_000, 5000),
        _ => (1500, 1_000_000, 10),
    };
    let _ = writeln!(o, "  MTU {mtu} bytes, BW {bw} Kbit/sec, DLY {dly} usec, ");
    let load = if i.protocol_up() && i.kind != IfKind::Loopback {
        1 + (i.pps_in as u64 / 300)
    } else {
        1
    };
    let _ = writeln!(
        o,
        "     reliability 255/255, txload 1/255, rxload {load}/255"
    );
    if i.kind == IfKind::Loopback {
        o.push_str("  Encapsulation LOOPBACK, loopback not set\n");
    } else {
        o.push_str("  Encapsulation ARPA, loopback not set\n");
    }
    match i.kind {
        IfKind::Vlan => o.push_str("  Keepalive not supported \n"),
        _ => o.push_str("  Keepalive set (10 sec)\n"),
    }
    if matches!(i.kind, IfKind::Gigabit | IfKind::Management) {
        if i.protocol_up() {
            o.push_str("  Full Duplex, 1000Mbps, link type is auto, media type is RJ45\n");
        } else {
            o.push_str("  Auto Duplex, Auto Speed, link type is auto, media type is RJ45\n");
        }
        o.push_str("  output flow-control is unsupported, input flow-control is unsupported\n");
    }
    if i.kind != IfKind::Loopback {
        o.push_str("  ARP type: ARPA, ARP Timeout 04:00:00\n");
    }
    if c.pkts_in > 0 {
        o.push_str("  Last input 00:00:00, output 00:00:00, output hang never\n");
    } else {
        o.push_str("  Last input never, output never, output hang never\n");
    }
    o.push_str("  Last clearing of \"show interface\" counters never\n");
    let (qmax, oq) = if i.kind == IfKind::Loopback {
        (75, 0)
    } else {
        (375, 40)
    };
    let _ = writeln!(
        o,
        "  Input queue: 0/{qmax}/0/0 (size/max/drops/flushes); Total output drops: 0"
    );
    o.push_str("  Queueing strategy: fifo\n");
    let _ = writeln!(o, "  Output queue: 0/{oq} (size/max)");
    let _ = writeln!(
        o,
        "  5 minute input rate {} bits/sec, {} packets/sec",
        c.rate_in.0, c.rate_in.1
    );
    let _ = writeln!(
        o,
        "  5 minute output rate {} bits/sec, {} packets/sec",
        c.rate_out.0, c.rate_out.1
    );
    let _ = writeln!(
        o,
        "     {} packets input, {} bytes, 0 no buffer",
        c.pkts_in, c.bytes_in
    );
    let _ = writeln!(o, "     Received {} broadcasts (0 IP multicasts)", c.bcast);
    o.push_str("     0 runts, 0 giants, 0 throttles \n");
    let _ = writeln!(
        o,
        "     {} input errors, {} CRC, {} frame, 0 overrun, 0 ignored",
        c.errors,
        c.crc,
        c.errors - c.crc
    );
    if matches!(i.kind, IfKind::Gigabit | IfKind::Management) {
        let _ = writeln!(o, "     0 watchdog, {} multicast, 0 pause input", c.mcast);
        o.push_str("     0 input packets with dribble condition detected\n");
    }
    let _ = writeln!(
        o,
        "     {} packets output, {} bytes, 0 underruns",
        c.pkts_out, c.bytes_out
    );
    o.push_str("     Output 0 broadcasts (0 IP multicasts)\n");
    let _ = writeln!(
        o,
        "     0 output errors, 0 collisions, {} interface resets",
        c.resets
    );
    o.push_str("     0 unknown protocol drops\n");
    if matches!(i.kind, IfKind::Gigabit | IfKind::Management) {
        o.push_str("     0 babbles, 0 late collision, 0 deferred\n");
        let carrier = u64::from(!i.link && i.admin_up);
        let _ = writeln!(
            o,
            "     {carrier} lost carrier, 0 no carrier, 0 pause output"
        );
    }
    o.push_str("     0 output buffer failures, 0 output buffers swapped out\n");
}

/// `show interfaces [name]` (`only` selects one interface).
pub fn show_interfaces(p: &Profile, s: &DeviceState, only: Option<&str>) -> String {
    let mut o = String::with_capacity(1400 * s.interfaces.len());
    for i in s
        .interfaces
        .iter()
        .filter(|i| only.is_none_or(|n| n == i.name))
    {
        one_interface(&mut o, p, i);
    }
    o
}

/// `show interfaces description`.
pub fn show_interfaces_description(s: &DeviceState) -> String {
    let mut o = String::new();
    o.push_str("Interface                      Status         Protocol Description\n");
    for i in &s.interfaces {
        let status = if i.admin_up { i.status() } else { "admin down" };
        let proto = if i.protocol_up() { "up" } else { "down" };
        let _ = writeln!(
            o,
            "{:<30} {:<14} {:<8} {}",
            abbreviate(&i.name),
            status,
            proto,
            i.description.as_deref().unwrap_or("")
        );
    }
    o
}

/// `show interfaces status` (Catalyst switches): the physical ports, with
/// the state `show interfaces` gives them: `connected` when the line
/// protocol is up, `notconnect` without link, `disabled` when shut; the
/// access VLAN, or `routed` for a layer-3 port; the name cut at 18
/// characters as IOS cuts it.
pub fn show_interfaces_status(s: &DeviceState) -> String {
    let mut o = String::from(
        "\nPort         Name               Status       Vlan       Duplex  Speed Type \n",
    );
    for i in s
        .interfaces
        .iter()
        .filter(|i| matches!(i.kind, IfKind::Gigabit | IfKind::Management))
    {
        let status = if !i.admin_up {
            "disabled"
        } else if i.protocol_up() {
            "connected"
        } else {
            "notconnect"
        };
        let vlan = if i.switchport { "1" } else { "routed" };
        let (duplex, speed) = if i.protocol_up() {
            ("a-full", "a-1000")
        } else {
            ("auto", "auto")
        };
        let name: String = i
            .description
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(18)
            .collect();
        let _ = writeln!(
            o,
            "{:<12} {name:<18} {status:<12} {vlan:<10} {duplex:>6} {speed:>6} 10/100/1000BaseTX",
            abbreviate(&i.name)
        );
    }
    o
}

/// Short interface name as IOS prints it in tables: `Gi0/0/1`, `Lo0`, `Vl1`.
pub fn abbreviate(name: &str) -> String {
    for (long, short) in [
        ("GigabitEthernet", "Gi"),
        ("Loopback", "Lo"),
        ("Vlan", "Vl"),
        ("TenGigabitEthernet", "Te"),
    ] {
        if let Some(rest) = name.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    name.to_string()
}

/// `show ip interface` (only the commonly parsed head of each section).
pub fn show_ip_interface(s: &DeviceState) -> String {
    let mut o = String::new();
    for i in &s.interfaces {
        let proto = if i.protocol_up() { "up" } else { "down" };
        let _ = writeln!(
            o,
            "{} is {}, line protocol is {}",
            i.name,
            i.status(),
            proto
        );
        match i.ip {
            Some((a, l)) => {
                let _ = writeln!(o, "  Internet address is {a}/{l}");
                o.push_str("  Broadcast address is 255.255.255.255\n");
                o.push_str("  Address determined by non-volatile memory\n");
                let mtu = if i.kind == IfKind::Loopback {
                    1514
                } else {
                    1500
                };
                let _ = writeln!(o, "  MTU is {mtu} bytes");
                o.push_str("  Helper address is not set\n");
                o.push_str("  Directed broadcast forwarding is disabled\n");
                o.push_str("  Outgoing Common access list is not set \n");
                o.push_str("  Outgoing access list is not set\n");
                o.push_str("  Inbound Common access list is not set \n");
                o.push_str("  Inbound  access list is not set\n");
                o.push_str("  Proxy ARP is enabled\n");
                o.push_str("  Local Proxy ARP is disabled\n");
                o.push_str("  Security level is default\n");
                o.push_str("  Split horizon is enabled\n");
                o.push_str("  ICMP redirects are always sent\n");
                o.push_str("  ICMP unreachables are always sent\n");
                o.push_str("  ICMP mask replies are never sent\n");
                o.push_str("  IP fast switching is enabled\n");
                o.push_str("  IP CEF switching is enabled\n");
            }
            None => o.push_str("  Internet protocol processing disabled\n"),
        }
    }
    o
}

/// `show inventory`.
pub fn show_inventory(p: &Profile) -> String {
    let mut o = String::new();
    let mut item = |name: &str, descr: &str, pid: &str, vid: &str, sn: &str| {
        let _ = writeln!(o, "NAME: \"{name}\", DESCR: \"{descr}\"");
        let _ = writeln!(o, "PID: {pid:<18}, VID: {vid:<5}, SN: {sn}");
        o.push('\n');
    };
    let sn2 = |n: u64| format!("{}{:07}", &p.serial[..4], (p.salt >> (n * 8)) % 10_000_000);
    match p.platform {
        Platform::Isr4331 => {
            item(
                "Chassis",
                "Cisco ISR4331 Chassis",
                "ISR4331/K9",
                "V04",
                &p.serial,
            );
            item(
                "Power Supply Module 0",
                "250W AC Power Supply for Cisco ISR 4330",
                "PWR-4330-AC",
                "V02",
                &sn2(1),
            );
            item(
                "Fan Tray",
                "Cisco ISR4330 Fan Assembly",
                "ACS-4330-FANASSY",
                "",
                "",
            );
            item(
                "module 0",
                "Cisco ISR4331 Built-In NIM controller",
                "ISR4331/K9",
                "",
                "",
            );
            item(
                "NIM subslot 0/0",
                "Front Panel 3 ports Gigabitethernet Module",
                "ISR4331-3x1GE",
                "V01",
                "",
            );
            item(
                "module R0",
                "Cisco ISR4331 Route Processor",
                "ISR4331/K9",
                "V04",
                &sn2(2),
            );
            item(
                "module F0",
                "Cisco ISR4331 Forwarding Processor",
                "ISR4331/K9",
                "",
                "",
            );
        }
        Platform::C9300 | Platform::C3850 => {
            let model = p.platform.model();
            let descr = if p.platform == Platform::C9300 {
                "C9300-24P"
            } else {
                "WS-C3850-24T-E"
            };
            item(
                "c93xx Stack",
                &format!("{descr} Stack"),
                model,
                "V02",
                &p.serial,
            );
            item("Switch 1", descr, model, "V02", &p.serial);
            item(
                "Switch 1 - Power Supply A",
                "Switch 1 - Power Supply A",
                "PWR-C1-715WAC",
                "V02",
                &sn2(1),
            );
            item(
                "Switch 1 FRU Uplink Module 1",
                "8x10G Uplink Module",
                "C9300-NM-8X",
                "V02",
                &sn2(2),
            );
        }
        Platform::Csr1000v => {
            item(
                "Chassis",
                "Cisco CSR1000V Chassis",
                "CSR1000V",
                "V00",
                &p.serial,
            );
            item(
                "module R0",
                "Cisco CSR1000V Route Processor",
                "CSR1000V",
                "V00",
                &p.serial,
            );
            item(
                "module F0",
                "Cisco CSR1000V Embedded Services Processor",
                "CSR1000V",
                "",
                "",
            );
        }
        Platform::Iosv => {
            item(
                "IOSv",
                "IOSv chassis, Hw Serial#: 9MVXXXXXXXX, Hw Revision: 1.0",
                "IOSv",
                "1.0",
                &p.serial,
            );
        }
    }
    o
}

fn push_interface_config(o: &mut String, p: &Profile, i: &Interface) {
    let _ = writeln!(o, "interface {}", i.name);
    if let Some(d) = &i.description {
        let _ = writeln!(o, " description {d}");
    }
    if i.kind == IfKind::Management {
        o.push_str(" vrf forwarding Mgmt-vrf\n");
    }
    if i.switchport && i.kind == IfKind::Gigabit {
        o.push_str(" switchport mode access\n");
    } else {
        match i.ip {
            Some((a, l)) => {
                let _ = writeln!(o, " ip address {a} {}", prefix_to_mask(l));
            }
            None => o.push_str(" no ip address\n"),
        }
    }
    if !i.admin_up {
        o.push_str(" shutdown\n");
    }
    if i.kind == IfKind::Gigabit && p.platform.is_xe() && !p.platform.is_switch() {
        o.push_str(" negotiation auto\n");
    }
    if i.kind == IfKind::Gigabit && p.platform == Platform::Iosv {
        o.push_str(" duplex auto\n speed auto\n media-type rj45\n");
    }
    o.push_str("!\n");
}

/// `show running-config` (with the `Building configuration...` header and a correct
/// `Current configuration : N bytes` count).
pub fn show_running_config(p: &Profile, s: &DeviceState) -> String {
    let r = p.release();
    let mut b = String::with_capacity(2048 + 200 * s.interfaces.len());
    b.push_str("!\n");
    let (now, _) = now_unix();
    let changed = now.saturating_sub(p.uptime_secs()) + 97;
    let _ = writeln!(
        b,
        "! Last configuration change at {} by admin",
        ios_time(changed)
    );
    b.push_str("!\n");
    let _ = writeln!(b, "version {}", r.config_version);
    b.push_str("service timestamps debug datetime msec\n");
    b.push_str("service timestamps log datetime msec\n");
    b.push_str("service password-encryption\n");
    if p.platform.is_xe() && !p.platform.is_switch() {
        b.push_str("platform qfp utilization monitor load 80\n");
        b.push_str("platform punt-keepalive disable-kernel-core\n");
    }
    if p.platform.is_switch() {
        b.push_str("service call-home\n");
        b.push_str("no platform punt-keepalive disable-kernel-core\n");
    }
    b.push_str("!\n");
    let _ = writeln!(b, "hostname {}", s.hostname);
    b.push_str("!\n");
    b.push_str("boot-start-marker\n");
    b.push_str("boot-end-marker\n");
    b.push_str("!\n");
    if p.platform.is_switch() {
        b.push_str("!\nvrf definition Mgmt-vrf\n !\n address-family ipv4\n exit-address-family\n !\n address-family ipv6\n exit-address-family\n!\n");
    }
    let _ = writeln!(
        b,
        "enable secret 9 $9$lab{:013x}$Vh1Xh0uUhaEDiI5bMWsTdBvSgJxJa7NmkqPQgO2aNYE",
        p.salt & 0xf_ffff_ffff_ffff
    );
    b.push_str("!\n");
    b.push_str("no aaa new-model\n");
    b.push_str("!\n");
    b.push_str("no ip domain lookup\n");
    b.push_str("ip domain name lab.netrun.local\n");
    b.push_str("!\n");
    b.push_str("login on-success log\n");
    b.push_str("!\n");
    if p.platform.is_xe() {
        let _ = writeln!(b, "license udi pid {} sn {}", p.platform.model(), p.serial);
    }
    b.push_str("!\n");
    b.push_str("lldp run\n");
    b.push_str("!\n");
    b.push_str("username admin privilege 15 secret 9 $9$nR5l4bL4bS3cr3tH4shV4lu3xY$kq8b5G0JzL3d1Q6mZcVtYwR2pN7sH9aF4eU0oI1jKx\n");
    b.push_str("!\n");
    b.push_str("redundancy\n");
    b.push_str("!\n");
    b.push_str("!\n");
    for line in &s.extra_config {
        b.push_str(line);
        b.push('\n');
        b.push_str("!\n");
    }
    for i in &s.interfaces {
        push_interface_config(&mut b, p, i);
    }
    b.push_str("ip forward-protocol nd\n");
    b.push_str("no ip http server\n");
    b.push_str("no ip http secure-server\n");
    b.push_str("ip ssh version 2\n");
    b.push_str("!\n");
    b.push_str("!\n");
    b.push_str("control-plane\n");
    b.push_str("!\n");
    b.push_str("!\n");
    b.push_str("line con 0\n");
    b.push_str(" stopbits 1\n");
    b.push_str("line vty 0 4\n");
    b.push_str(" login local\n");
    b.push_str(" transport preferred none\n");
    b.push_str(" transport input ssh\n");
    b.push_str("line vty 5 15\n");
    b.push_str(" login local\n");
    b.push_str(" transport input ssh\n");
    b.push_str("!\n");
    b.push_str("!\n");
    b.push_str("end\n");
    let mut o = String::with_capacity(b.len() + 64);
    o.push_str("Building configuration...\n\n");
    let _ = writeln!(o, "Current configuration : {} bytes", b.len());
    o.push_str(&b);
    o.push('\n');
    o
}

/// `show privilege`.
pub fn show_privilege(level: u8) -> String {
    format!("Current privilege level is {level}\n")
}

/// `show users`.
pub fn show_users(user: &str, peer: &str) -> String {
    format!(
        "    Line       User       Host(s)              Idle       Location\n\
         *  2 vty 0     {user:<10} idle                 00:00:00 {peer}\n\n\
         \x20 Interface    User               Mode         Idle     Peer Address\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        let c = civil(0);
        assert_eq!(
            (c.year, c.month, c.day, DAYS[c.weekday]),
            (1970, 1, 1, "Thu")
        );
        // 2026-11-25 12:34:56 UTC is a Wednesday.
        let c = civil(1_795_610_096);
        assert_eq!(
            (c.year, c.month, c.day, DAYS[c.weekday]),
            (2026, 11, 25, "Wed")
        );
        assert_eq!((c.hour, c.min, c.sec), (12, 34, 56));
    }

    #[test]
    fn uptime_format() {
        let s = 3 * 604_800 + 2 * 86_400 + 4 * 3_600 + 17 * 60 + 5;
        assert_eq!(uptime_text(s), "3 weeks, 2 days, 4 hours, 17 minutes");
        assert_eq!(uptime_text(61), "1 minute");
        assert_eq!(uptime_text(3_600), "1 hour, 0 minutes");
    }

    #[test]
    fn masks() {
        assert_eq!(prefix_to_mask(24), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(prefix_to_mask(32), Ipv4Addr::new(255, 255, 255, 255));
        assert_eq!(mask_to_prefix(Ipv4Addr::new(255, 255, 255, 252)), Some(30));
        assert_eq!(mask_to_prefix(Ipv4Addr::new(255, 0, 255, 0)), None);
    }
}
