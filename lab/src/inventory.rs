//! Nornir SimpleInventory files (`hosts.yaml`, `groups.yaml`, `defaults.yaml`) and an
//! OpenSSH `known_hosts` file for a running lab; with EOS devices also `ca.pem`, the
//! lab CA their eAPI certificates chain to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::{LabConfig, LabDevice, LabEosDevice};

/// Group every SSH (Cisco IOS-like) lab host belongs to.
pub const GROUP: &str = "lab";
/// Group every EOS (eAPI) lab host belongs to.
pub const EOS_GROUP: &str = "eos";
/// File name of the lab CA certificate in the inventory directory.
pub const CA_FILE: &str = "ca.pem";

#[derive(Serialize)]
struct HostData<'a> {
    site: &'a str,
    role: &'a str,
    serial: &'a str,
    model: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    os_version: &'a str,
}

#[derive(Serialize)]
struct Host<'a> {
    hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a str>,
    groups: Vec<&'a str>,
    data: HostData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_options: Option<HostConnectionOptions>,
}

/// `connection_options.http` of an eAPI host: the host's HTTP transport reads these.
#[derive(Serialize)]
struct HostConnectionOptions {
    http: HttpOptions,
}

#[derive(Serialize)]
struct HttpOptions {
    port: u16,
    extras: HttpExtras,
}

#[derive(Serialize)]
struct HttpExtras {
    scheme: &'static str,
    ca_file: String,
}

#[derive(Serialize)]
struct GroupData<'a> {
    vendor: &'a str,
}

#[derive(Serialize)]
struct Group<'a> {
    platform: &'a str,
    data: GroupData<'a>,
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

/// Writes the inventory files of `devices` and `eos` into `dir` (created if missing);
/// `ca_pem` (the lab CA of the eAPI devices) goes to `ca.pem`.
pub(crate) fn write(
    dir: &Path,
    config: &LabConfig,
    devices: &[LabDevice],
    eos: &[LabEosDevice],
    ca_pem: Option<&str>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ip = connect_ip(config.bind);
    // The host resolves `ca_file` without knowing where the inventory was read from.
    let ca_file = std::path::absolute(dir.join(CA_FILE))
        .with_context(|| format!("resolving {}", dir.display()))?;

    let mut hosts: BTreeMap<&str, Host<'_>> = devices
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                Host {
                    hostname: ip.to_string(),
                    port: Some(d.port),
                    platform: Some(d.platform.as_str()),
                    // IOS hosts keep the historical `lab` group; others get one
                    // group per platform.
                    groups: vec![if d.platform == "cisco_ios" {
                        GROUP
                    } else {
                        d.platform.as_str()
                    }],
                    data: HostData {
                        site: "lab",
                        role: &d.role,
                        serial: &d.serial,
                        model: &d.model,
                        os_version: &d.os_version,
                    },
                    connection_options: None,
                },
            )
        })
        .collect();
    for d in eos {
        hosts.insert(
            d.name.as_str(),
            Host {
                hostname: ip.to_string(),
                port: None,
                platform: Some("arista_eos"),
                groups: vec![EOS_GROUP],
                data: HostData {
                    site: "lab",
                    role: &d.role,
                    serial: &d.serial,
                    model: &d.model,
                    os_version: &d.version,
                },
                connection_options: Some(HostConnectionOptions {
                    http: HttpOptions {
                        port: d.https_port,
                        extras: HttpExtras {
                            scheme: "https",
                            ca_file: ca_file.display().to_string(),
                        },
                    },
                }),
            },
        );
    }
    let mut groups = BTreeMap::from([(
        GROUP,
        Group {
            platform: "cisco_ios",
            data: GroupData { vendor: "cisco" },
        },
    )]);
    for d in devices.iter().filter(|d| d.platform != "cisco_ios") {
        groups.entry(d.platform.as_str()).or_insert(Group {
            platform: d.platform.as_str(),
            data: GroupData { vendor: &d.vendor },
        });
    }
    if !eos.is_empty() {
        groups.insert(
            EOS_GROUP,
            Group {
                platform: "arista_eos",
                data: GroupData { vendor: "arista" },
            },
        );
    }
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
    let mut files = vec![
        ("hosts.yaml", serde_saphyr::to_string(&hosts)?),
        ("groups.yaml", serde_saphyr::to_string(&groups)?),
        ("defaults.yaml", serde_saphyr::to_string(&defaults)?),
        ("known_hosts", known),
    ];
    if let Some(pem) = ca_pem {
        files.push((CA_FILE, pem.to_string()));
    }
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
