//! `netrun-lab`: a simulated fleet of Cisco IOS-like devices served over real SSH.
//!
//! Each device listens on its own TCP port with its own ed25519 host key and offers an
//! IOS-style CLI over an SSH PTY shell (banner, `>`/`#` prompts, `enable`, paging with
//! `--More--`, abbreviations, configuration mode, IOS error messages) as well as
//! `exec` requests. Output is rendered from compact per-device state derived from the
//! lab seed. Fault knobs ([`Fault`]) make selected devices misbehave.
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
pub mod fault;
pub mod inventory;
mod server;
pub mod templates;

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
pub use fault::{Fault, FaultRule, FaultSelector, parse_fault_spec};

use device::SplitMix64;
use server::{DeviceRuntime, Shared};

/// Settings of a lab.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Number of devices.
    pub devices: usize,
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
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            devices: 1,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            name_prefix: "r".into(),
            username: "admin".into(),
            password: "netrun-lab-pw".into(),
            enable_secret: "netrun-lab-enable".into(),
            faults: Vec::new(),
            seed: 1,
        }
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
}

/// A running lab. Dropping it stops the devices too (without waiting for them).
pub struct Lab {
    config: LabConfig,
    devices: Vec<LabDevice>,
    shared: Arc<Shared>,
    state: Vec<Arc<Device>>,
    /// Ports of `refuse` devices: bound (reserved) but not listening.
    _reserved: Vec<TcpSocket>,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("config", &self.config)
            .field("devices", &self.devices.len())
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
        if config.base_port != 0 && usize::from(config.base_port) + config.devices > 65_536 {
            bail!(
                "{} devices from port {} do not fit below 65536",
                config.devices,
                config.base_port
            );
        }
        let names = device_names(&config.name_prefix, config.devices);
        let faults = fault::assign(&config.faults, &names, config.seed).map_err(|e| anyhow!(e))?;
        let shared = Arc::new(Shared {
            username: config.username.clone(),
            password: config.password.clone(),
            enable_secret: config.enable_secret.clone(),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
        });
        let started = Instant::now();
        let mut devices = Vec::with_capacity(names.len());
        let mut state = Vec::with_capacity(names.len());
        let mut reserved = Vec::new();
        let mut runtimes = Vec::with_capacity(names.len());
        for (i, (name, fault)) in names.into_iter().zip(faults).enumerate() {
            let key = host_key(config.seed, i);
            let host_key_openssh = key
                .public_key()
                .to_openssh()
                .context("encoding host key")?
                .trim()
                .to_string();
            let device = Device::generate(config.seed, i, name.clone(), started);
            let port = if config.base_port == 0 {
                0
            } else {
                // Checked above: base_port + devices <= 65536.
                config.base_port + i as u16
            };
            let addr = SocketAddr::new(config.bind, port);
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
                    device: device.clone(),
                    config: Arc::new(server::server_config(key)),
                    fault: fault.clone(),
                    lab: shared.clone(),
                    addr: SocketAddr::new(config.bind, port),
                });
                runtimes.push((rt, listener));
                port
            };
            let p = &device.profile;
            devices.push(LabDevice {
                name,
                port,
                host_key_openssh,
                fault,
                serial: p.serial.clone(),
                model: p.platform.model().to_string(),
                role: p.platform.role().to_string(),
            });
            state.push(device);
        }
        for (rt, listener) in runtimes {
            shared.tracker.spawn(server::run_device(rt, listener));
        }
        Ok(Lab {
            config,
            devices,
            shared,
            state,
            _reserved: reserved,
        })
    }

    /// The devices, in index order.
    pub fn devices(&self) -> &[LabDevice] {
        &self.devices
    }

    /// The configuration the lab was started with.
    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    /// The simulated state of device `index` (hostname, interfaces …), e.g. to check
    /// the effect of configuration pushed by a test.
    pub fn device_state(&self, index: usize) -> Option<&Arc<Device>> {
        self.state.get(index)
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
    /// (created if missing).
    pub fn write_inventory(&self, dir: &Path) -> anyhow::Result<()> {
        inventory::write(dir, &self.config, &self.devices)
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

impl Drop for Lab {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}
