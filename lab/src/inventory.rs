//! Nornir SimpleInventory files (`hosts.yaml`, `groups.yaml`, `defaults.yaml`) and an
//! OpenSSH `known_hosts` file for a running lab.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::{LabConfig, LabDevice};

/// Group every lab host belongs to.
pub const GROUP: &str = "lab";

#[derive(Serialize)]
struct HostData<'a> {
    site: &'a str,
    role: &'a str,
    serial: &'a str,
    model: &'a str,
}

#[derive(Serialize)]
struct Host<'a> {
    hostname: String,
    port: u16,
    groups: Vec<&'a str>,
    data: HostData<'a>,
}

#[derive(Serialize)]
struct GroupData {
    vendor: &'static str,
}

#[derive(Serialize)]
struct Group {
    platform: &'static str,
    data: GroupData,
}

#[derive(Serialize)]
struct Extras<'a> {
    secret: &'a str,
    known_hosts: &'a str,
}

#[derive(Serialize)]
struct NetrunOptions<'a> {
    extras: Extras<'a>,
}

#[derive(Serialize)]
struct ConnectionOptions<'a> {
    netrun: NetrunOptions<'a>,
}

#[derive(Serialize)]
struct Defaults<'a> {
    username: &'a str,
    password: &'a str,
    connection_options: ConnectionOptions<'a>,
}

/// The address clients should connect to (a wildcard bind is reached via loopback).
pub(crate) fn connect_ip(bind: IpAddr) -> IpAddr {
    match bind {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// `known_hosts` host field: `[127.0.0.1]:40001` (plain address for port 22).
pub(crate) fn known_hosts_host(ip: IpAddr, port: u16) -> String {
    if port == 22 {
        ip.to_string()
    } else {
        format!("[{ip}]:{port}")
    }
}

/// Writes the inventory files of `devices` into `dir` (created if missing).
pub(crate) fn write(dir: &Path, config: &LabConfig, devices: &[LabDevice]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ip = connect_ip(config.bind);

    let hosts: BTreeMap<&str, Host<'_>> = devices
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                Host {
                    hostname: ip.to_string(),
                    port: d.port,
                    groups: vec![GROUP],
                    data: HostData {
                        site: "lab",
                        role: &d.role,
                        serial: &d.serial,
                        model: &d.model,
                    },
                },
            )
        })
        .collect();
    let groups = BTreeMap::from([(
        GROUP,
        Group {
            platform: "cisco_ios",
            data: GroupData { vendor: "cisco" },
        },
    )]);
    let defaults = Defaults {
        username: &config.username,
        password: &config.password,
        connection_options: ConnectionOptions {
            netrun: NetrunOptions {
                extras: Extras {
                    secret: &config.enable_secret,
                    known_hosts: "known_hosts",
                },
            },
        },
    };
    let mut known = String::with_capacity(devices.len() * 100);
    for d in devices {
        let _ = writeln!(
            known,
            "{} {}",
            known_hosts_host(ip, d.port),
            d.host_key_openssh
        );
    }
    let files = [
        ("hosts.yaml", serde_yaml::to_string(&hosts)?),
        ("groups.yaml", serde_yaml::to_string(&groups)?),
        ("defaults.yaml", serde_yaml::to_string(&defaults)?),
        ("known_hosts", known),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
