//! `netrun-lab`: a simulated fleet of Cisco IOS-like devices served over real SSH,
//! and optionally Arista EOS-like devices served over eAPI (JSON-RPC over HTTPS).
//!
//! Each device listens on its own TCP port with its own ed25519 host key and offers an
//! IOS-style CLI over an SSH PTY shell (banner, `>`/`#` prompts, `enable`, paging with
//! `--More--`, abbreviations, configuration mode, IOS error messages) as well as
//! `exec` requests. Output is rendered from compact per-device state derived from the
//! lab seed. Fault knobs ([`Fault`]) make selected devices misbehave.
//!
//! EOS devices ([`LabConfig::eos_devices`]) each listen on their own HTTPS port and
//! answer `POST /command-api` like Arista eAPI; their certificate is signed by a CA
//! generated at lab start ([`Lab::ca_pem`], written to the inventory as `ca.pem`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let lab = netrun_lab::Lab::start(netrun_lab::LabConfig { devices: 10, ..Default::default() }).await?;
//! lab.write_inventory(std::path::Path::new("/tmp/lab-inventory"))?;
//! for d in lab.devices() {
//!     println!("{} listens on port {}", d.name, d.port);
//! }
//! lab.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod device;
mod eapi;
pub mod eos;
mod eos_show;
pub mod fault;
pub mod inventory;
mod line;
pub mod persona;
mod server;
pub mod templates;
mod tls;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use tokio::net::TcpSocket;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use device::{Device, Platform};
pub use eos::EosDevice;
pub use fault::{Fault, FaultRule, FaultSelector, parse_fault_spec};

use device::SplitMix64;
use eapi::EapiRuntime;
use persona::facts::PersonaDevice;
use server::{DeviceRuntime, Shared, Sim};

/// Settings of a lab.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Number of (Cisco IOS-like, SSH) devices.
    pub devices: usize,
    /// Number of Arista EOS-like devices served over eAPI (HTTPS), default 0. They
    /// come after the SSH devices (ports, seed indices) and are named `eos001` ….
    pub eos_devices: usize,
    /// Address the devices listen on (default 127.0.0.1).
    pub bind: IpAddr,
    /// 0: every device gets an ephemeral port; otherwise device `i` (0-based) listens on
    /// `base_port + i`.
    pub base_port: u16,
    /// Device name prefix: `r` gives `r001`, `r002` … (zero-padded to at least three
    /// digits, wider for more than 999 devices).
    pub name_prefix: String,
    /// Login user name (default `admin`).
    pub username: String,
    /// Login password (default `netrun-lab-pw`).
    pub password: String,
    /// Enable secret (default `netrun-lab-enable`).
    pub enable_secret: String,
    /// Fault rules; the first rule that selects a device applies to it.
    pub faults: Vec<FaultRule>,
    /// Seed for everything random: models, serials, uptimes, interfaces, host keys,
    /// percentage fault selection.
    pub seed: u64,
    /// Devices of other platforms (persona `device_type` and count), served over
    /// SSH after the IOS and EOS devices, named by the persona's prefix
    /// (`junos001` …). See [`persona::registry`] for the platforms.
    pub platforms: Vec<(String, usize)>,
    /// Releases pinned per persona platform: its devices all run the first
    /// release whose version starts with the text given (`("nokia_sros",
    /// "B-19.")`: SR OS's classic CLI); other platforms draw one per device.
    pub releases: Vec<(String, String)>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            devices: 1,
            eos_devices: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            name_prefix: "r".into(),
            username: "admin".into(),
            password: "netrun-lab-pw".into(),
            enable_secret: "netrun-lab-enable".into(),
            faults: Vec::new(),
            seed: 1,
            platforms: Vec::new(),
            releases: Vec::new(),
        }
    }
}

impl LabConfig {
    /// Sets the device counts per platform from a `--platforms` spec
    /// (`cisco_ios=50,juniper_junos=20` or `all=N`): `cisco_ios` sets
    /// [`LabConfig::devices`], the others [`LabConfig::platforms`].
    pub fn set_platforms(&mut self, spec: &str) -> Result<(), String> {
        let all = platforms();
        let known: Vec<&str> = all.iter().map(String::as_str).collect();
        let counts = persona::parse_platforms(spec, &known)?;
        self.devices = counts.get("cisco_ios").copied().unwrap_or(0);
        self.platforms = counts
            .into_iter()
            .filter(|(p, n)| p != "cisco_ios" && *n > 0)
            .collect();
        Ok(())
    }
}

/// A running device as seen from outside.
#[derive(Debug, Clone)]
pub struct LabDevice {
    /// Device name (initial hostname and prompt).
    pub name: String,
    /// TCP port of its SSH server.
    pub port: u16,
    /// Host public key as an OpenSSH line: `ssh-ed25519 AAAA...`.
    pub host_key_openssh: String,
    /// The fault this device simulates, if any.
    pub fault: Option<Fault>,
    /// Chassis serial number (as in `show version` / `show inventory`).
    pub serial: String,
    /// Model / product id (`ISR4331/K9`, `C9300-24P` …).
    pub model: String,
    /// Inventory role (`access`, `edge`, `core`).
    pub role: String,
    /// Netmiko/Scrapli `device_type` (`cisco_ios`, `juniper_junos` …).
    pub platform: String,
    /// Vendor (`cisco`, `juniper` …).
    pub vendor: String,
    /// Software version as the device reports it.
    pub os_version: String,
}

/// A running EOS device as seen from outside.
#[derive(Debug, Clone)]
pub struct LabEosDevice {
    /// Device name (`eos001` …), also its hostname.
    pub name: String,
    /// TCP port of its eAPI HTTPS server.
    pub https_port: u16,
    /// Chassis serial number (`JPE19181234`), as in `show version`.
    pub serial: String,
    /// Model (`DCS-7050SX3-48YC8` …).
    pub model: String,
    /// EOS version (`4.28.3M` …).
    pub version: String,
    /// Inventory role (`leaf`, `spine`, `edge`, `access`).
    pub role: String,
}

/// Name prefix of EOS devices.
pub const EOS_PREFIX: &str = "eos";
/// Name prefix of `cisco_xe` devices (IOS-XE only models of the IOS engine).
pub const XE_PREFIX: &str = "xe";

/// Every platform a lab can simulate: the IOS engine's and the personas'.
pub fn platforms() -> Vec<String> {
    let mut out = vec!["cisco_ios".to_string(), "cisco_xe".to_string()];
    if let Ok(reg) = persona::registry() {
        out.extend(reg.platforms().iter().map(|p| p.to_string()));
    }
    out
}

/// A running lab. Dropping it stops the devices too (without waiting for them).
pub struct Lab {
    config: LabConfig,
    devices: Vec<LabDevice>,
    shared: Arc<Shared>,
    state: Vec<Sim>,
    eos_devices: Vec<LabEosDevice>,
    eos_state: Vec<Arc<EosDevice>>,
    /// PEM of the lab CA that signed the eAPI certificate (only with EOS devices).
    ca_pem: Option<String>,
    /// Ports of `refuse` devices: bound (reserved) but not listening.
    _reserved: Vec<TcpSocket>,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("config", &self.config)
            .field("devices", &self.devices.len())
            .field("eos_devices", &self.eos_devices.len())
            .finish()
    }
}

/// Device names: prefix + index from 1, zero-padded to max(3, digits(n)).
pub fn device_names(prefix: &str, n: usize) -> Vec<String> {
    let width = n.to_string().len().max(3);
    (1..=n).map(|i| format!("{prefix}{i:0width$}")).collect()
}

/// The deterministic ed25519 host key of device `index`.
fn host_key(seed: u64, index: usize) -> PrivateKey {
    let mut rng = SplitMix64::new(seed, index as u64, 0x4057_4B45);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    PrivateKey::from(Ed25519Keypair::from_seed(&bytes))
}

impl Lab {
    /// Starts all devices; every listener is bound before this returns.
    pub async fn start(config: LabConfig) -> anyhow::Result<Lab> {
        let persona_total: usize = config.platforms.iter().map(|(_, n)| n).sum();
        let total = config.devices + config.eos_devices + persona_total;
        if config.base_port != 0 && usize::from(config.base_port) + total > 65_536 {
            bail!(
                "{total} devices from port {} do not fit below 65536",
                config.base_port
            );
        }
        let started = Instant::now();
        // Every SSH device: (name, simulated device, index for ports and host keys).
        let mut sims: Vec<(String, Sim, usize, String)> =
            Vec::with_capacity(config.devices + persona_total);
        for (i, name) in device_names(&config.name_prefix, config.devices)
            .into_iter()
            .enumerate()
        {
            let device = Device::generate(config.seed, i, name.clone(), started);
            sims.push((name, Sim::Ios(device), i, "cisco_ios".into()));
        }
        let mut next = config.devices + config.eos_devices;
        if persona_total > 0 {
            let reg = persona::registry().map_err(|e| anyhow!("{e}"))?;
            for (platform, n) in &config.platforms {
                if platform == "cisco_xe" {
                    // IOS-XE devices use the IOS engine with XE models only.
                    for name in device_names(XE_PREFIX, *n) {
                        let dev = Device::generate_xe(config.seed, next, name.clone(), started);
                        sims.push((name, Sim::Ios(dev), next, platform.clone()));
                        next += 1;
                    }
                    continue;
                }
                let Some(p) = reg.get(platform) else {
                    bail!(
                        "no lab persona for platform `{platform}` (known: cisco_ios, {})",
                        reg.platforms().join(", ")
                    );
                };
                let pin = config
                    .releases
                    .iter()
                    .find(|(q, _)| q == platform)
                    .map(|(_, v)| v.as_str());
                if let Some(v) = pin
                    && !p.def.releases.iter().any(|r| r["version"].starts_with(v))
                {
                    bail!("no release `{v}…` in the lab persona of `{platform}`");
                }
                for (k, name) in device_names(&p.def.name_prefix, *n).into_iter().enumerate() {
                    let dev = PersonaDevice::generate_pinned(
                        platform,
                        config.seed,
                        k,
                        name.clone(),
                        started,
                        pin,
                    )?;
                    sims.push((name, Sim::Persona(dev), next, platform.clone()));
                    next += 1;
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for name in sims
            .iter()
            .map(|(n, _, _, _)| n.clone())
            .chain(device_names(EOS_PREFIX, config.eos_devices))
        {
            if !seen.insert(name.clone()) {
                bail!("device name `{name}` is used twice: choose another --prefix");
            }
        }
        let names: Vec<String> = sims.iter().map(|(n, _, _, _)| n.clone()).collect();
        let assigned =
            fault::assign(&config.faults, &names, config.seed).map_err(|e| anyhow!(e))?;
        let shared = Arc::new(Shared {
            username: config.username.clone(),
            password: config.password.clone(),
            enable_secret: config.enable_secret.clone(),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            logins: Default::default(),
        });
        let mut devices = Vec::with_capacity(names.len());
        let mut state = Vec::with_capacity(names.len());
        let mut reserved = Vec::new();
        let mut runtimes = Vec::with_capacity(names.len());
        let faults = assigned.faults.into_iter().zip(assigned.enter_is_cr);
        for ((name, sim, i, platform), (fault, enter_is_cr)) in sims.into_iter().zip(faults) {
            let key = host_key(config.seed, i);
            let host_key_openssh = key
                .public_key()
                .to_openssh()
                .context("encoding host key")?
                .trim()
                .to_string();
            let port = if config.base_port == 0 {
                0
            } else {
                // Checked above: base_port + all devices <= 65536.
                config.base_port + i as u16
            };
            let addr = SocketAddr::new(config.bind, port);
            let ssh_id = match &sim {
                Sim::Ios(_) => "SSH-2.0-Cisco-1.25".to_string(),
                Sim::Persona(d) => d.persona.def.ssh_id.clone(),
            };
            let port = if fault == Some(Fault::Refuse) {
                let sock = server::reserve_port(addr)
                    .with_context(|| format!("reserving {addr} for {name}"))?;
                let port = sock.local_addr()?.port();
                reserved.push(sock);
                port
            } else {
                let listener = server::bind_listener(addr)
                    .with_context(|| format!("binding {addr} for {name}"))?;
                let port = listener.local_addr()?.port();
                let rt = Arc::new(DeviceRuntime {
                    device: sim.clone(),
                    config: Arc::new(server::server_config(
                        key,
                        &ssh_id,
                        fault == Some(Fault::LoginInShell),
                    )),
                    fault: fault.clone(),
                    enter_is_cr,
                    lab: shared.clone(),
                    addr: SocketAddr::new(config.bind, port),
                });
                runtimes.push((rt, listener));
                port
            };
            let (serial, model, role, platform, vendor, os_version) = match &sim {
                Sim::Ios(d) => {
                    let p = &d.profile;
                    (
                        p.serial.clone(),
                        p.platform.model().to_string(),
                        p.platform.role().to_string(),
                        platform.clone(),
                        "cisco".to_string(),
                        p.release().ios.to_string(),
                    )
                }
                Sim::Persona(d) => (
                    d.facts.serial.clone(),
                    d.facts.model.clone(),
                    d.facts.role.clone(),
                    d.facts.platform.clone(),
                    d.persona.def.vendor.clone(),
                    d.facts.release.get("version").cloned().unwrap_or_default(),
                ),
            };
            devices.push(LabDevice {
                name,
                port,
                host_key_openssh,
                fault,
                serial,
                model,
                role,
                platform,
                vendor,
                os_version,
            });
            state.push(sim);
        }
        let eos = match start_eos(&config, &shared, started) {
            Ok(eos) => eos,
            Err(e) => {
                // Stop the EOS devices already started.
                shared.cancel.cancel();
                return Err(e);
            }
        };
        for (rt, listener) in runtimes {
            shared.tracker.spawn(server::run_device(rt, listener));
        }
        Ok(Lab {
            config,
            devices,
            shared,
            state,
            eos_devices: eos.devices,
            eos_state: eos.state,
            ca_pem: eos.ca_pem,
            _reserved: reserved,
        })
    }

    /// Accepted SSH logins of device `name` since the lab started.
    pub fn logins(&self, name: &str) -> u64 {
        let logins = self.shared.logins.lock().unwrap_or_else(|p| p.into_inner());
        logins.get(name).copied().unwrap_or(0)
    }

    /// The devices, in index order.
    pub fn devices(&self) -> &[LabDevice] {
        &self.devices
    }

    /// The EOS (eAPI) devices, in index order.
    pub fn eos_devices(&self) -> &[LabEosDevice] {
        &self.eos_devices
    }

    /// The simulated state of EOS device `index`.
    pub fn eos_state(&self, index: usize) -> Option<&Arc<EosDevice>> {
        self.eos_state.get(index)
    }

    /// The address clients connect to for the eAPI of EOS device `index`.
    pub fn eos_addr(&self, index: usize) -> Option<SocketAddr> {
        let d = self.eos_devices.get(index)?;
        Some(SocketAddr::new(
            inventory::connect_ip(self.config.bind),
            d.https_port,
        ))
    }

    /// PEM of the lab CA that signed the eAPI server certificate; `None` in a lab
    /// without EOS devices.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The configuration the lab was started with.
    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    /// The simulated state of device `index` (hostname, interfaces …), e.g. to check
    /// the effect of configuration pushed by a test.
    pub fn device_state(&self, index: usize) -> Option<&Arc<Device>> {
        match self.state.get(index)? {
            Sim::Ios(d) => Some(d),
            Sim::Persona(_) => None,
        }
    }

    /// The simulated state of persona device `index` (an index into
    /// [`Lab::devices`]); `None` for IOS devices.
    pub fn persona_state(&self, index: usize) -> Option<&Arc<PersonaDevice>> {
        match self.state.get(index)? {
            Sim::Persona(d) => Some(d),
            Sim::Ios(_) => None,
        }
    }

    /// The running configuration of device `index` as `show running-config` prints
    /// its body (IOS) or the platform's configuration text (personas).
    pub fn running_config(&self, index: usize) -> Option<String> {
        Some(match self.state.get(index)? {
            Sim::Ios(d) => templates::show_running_config(&d.profile, &d.state()),
            Sim::Persona(d) => d.running_config_text(),
        })
    }

    /// The device named `name`, with its index.
    pub fn device_named(&self, name: &str) -> Option<(usize, &LabDevice)> {
        self.devices
            .iter()
            .enumerate()
            .find(|(_, d)| d.name == name)
    }

    /// The address clients connect to for device `index`.
    pub fn addr(&self, index: usize) -> Option<SocketAddr> {
        let d = self.devices.get(index)?;
        Some(SocketAddr::new(
            inventory::connect_ip(self.config.bind),
            d.port,
        ))
    }

    /// Writes hosts.yaml, groups.yaml, defaults.yaml and known_hosts into `dir`
    /// (created if missing), and `ca.pem` when the lab has EOS devices.
    pub fn write_inventory(&self, dir: &Path) -> anyhow::Result<()> {
        inventory::write(
            dir,
            &self.config,
            &self.devices,
            &self.eos_devices,
            self.ca_pem.as_deref(),
        )
    }

    /// Stops all listeners and sessions and waits (up to a few seconds) for them to end.
    pub async fn shutdown(self) {
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.shared.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("lab shutdown: some device tasks did not stop within 5 s");
        }
    }
}

/// The running EOS devices of a lab.
struct EosFleet {
    devices: Vec<LabEosDevice>,
    state: Vec<Arc<EosDevice>>,
    /// PEM of the CA that signed their certificate (`None` without EOS devices).
    ca_pem: Option<String>,
}

/// Binds and starts the EOS devices of `config` (after the SSH devices' ports).
fn start_eos(
    config: &LabConfig,
    shared: &Arc<Shared>,
    started: Instant,
) -> anyhow::Result<EosFleet> {
    if config.eos_devices == 0 {
        return Ok(EosFleet {
            devices: Vec::new(),
            state: Vec::new(),
            ca_pem: None,
        });
    }
    let pki = tls::LabPki::generate(config.bind)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(pki.server.clone());
    let mut devices = Vec::with_capacity(config.eos_devices);
    let mut state = Vec::with_capacity(config.eos_devices);
    for (j, name) in device_names(EOS_PREFIX, config.eos_devices)
        .into_iter()
        .enumerate()
    {
        // Seed index after the SSH devices, so adding EOS devices changes none of them.
        let index = config.devices + j;
        let device = Arc::new(EosDevice::generate(
            config.seed,
            index,
            name.clone(),
            started,
        ));
        let port = if config.base_port == 0 {
            0
        } else {
            // Checked by the caller: base_port + all devices <= 65536.
            config.base_port + index as u16
        };
        let addr = SocketAddr::new(config.bind, port);
        let listener =
            server::bind_listener(addr).with_context(|| format!("binding {addr} for {name}"))?;
        let https_port = listener.local_addr()?.port();
        let rt = Arc::new(EapiRuntime {
            device: device.clone(),
            tls: acceptor.clone(),
            lab: shared.clone(),
        });
        shared.tracker.spawn(eapi::run_device(rt, listener));
        devices.push(LabEosDevice {
            name,
            https_port,
            serial: device.serial.clone(),
            model: device.model.name.to_string(),
            version: device.release.version.to_string(),
            role: device.model.role.to_string(),
        });
        state.push(device);
    }
    Ok(EosFleet {
        devices,
        state,
        ca_pem: Some(pki.ca_pem),
    })
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}
