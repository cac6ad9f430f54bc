//! `netrun lab`: a simulated fleet for demos, tests and benchmarks.

use clap::Args;
#[cfg(feature = "lab")]
use netrun_lab::{Lab, LabConfig, parse_fault_spec};
use std::net::IpAddr;
use std::path::PathBuf;

/// Fault grammar shown in `netrun lab --help`.
const FAULT_HELP: &str = "Make devices misbehave (repeatable): FAULT[:SELECTOR].
FAULT: refuse | auth-reject | hang-before-banner | hang-after-login | wait-for-enter |
       enter-is-cr | login-in-shell | password-in-shell | login-question | password-expired |
       drop-mid-output | garbage-banner | flash-full | drip=BYTES_PER_SEC | flap=DURATION | latency=DURATION |
       slow-echo=DURATION (each typed character echoed alone, this long after the one before) |
       slow-echo-joined=DURATION (so, the line end sent in one packet with the answer) |
       reject-line=REGEX (configuration lines matching it are refused with the
       platform's own error; the selector follows the last `:`)
SELECTOR: device names (r003,r007) | PERCENT% (chosen by --seed) | all (default)
DURATION: 500ms, 30s, 2m.  Examples: --fault auth-reject:r003 --fault latency=200ms:10%
          --fault 'reject-line=^ntp server 192.0.2.9:junos003'";

/// `--platforms` help.
const PLATFORMS_HELP: &str = "Devices per platform (Netmiko/Scrapli device_type): PLATFORM=N,…
or all=N for every platform. cisco_ios devices are named by --prefix (r001 …), the others
by their platform (junos001, nxos001, …). Platforms: cisco_ios, arista_eos, cisco_nxos,
cisco_xe, cisco_xr, cisco_asa, juniper_junos, paloalto_panos, fortinet, huawei_vrp,
hp_comware, aruba_aoscx, nokia_sros, mikrotik_routeros, linux, dell_os10, vyos.
Overrides --devices.
Example: --platforms cisco_ios=50,juniper_junos=20,huawei_vrp=10";

/// Arguments of `netrun lab`.
#[derive(Debug, Args)]
#[cfg_attr(not(feature = "lab"), allow(dead_code))]
pub struct LabArgs {
    /// Number of devices.
    #[arg(long, default_value_t = 10)]
    pub devices: usize,
    /// Number of Arista EOS-like devices served over eAPI (HTTPS), after the others.
    #[arg(long = "eos", value_name = "N", default_value_t = 0)]
    pub eos: usize,
    /// Where to write hosts.yaml, groups.yaml, defaults.yaml, known_hosts (and ca.pem).
    #[arg(long, default_value = "lab")]
    pub inventory_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// First port (device i listens on base+i); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    pub base_port: u16,
    /// Device name prefix (r → r001, r002, …).
    #[arg(long, default_value = "r")]
    pub prefix: String,
    /// Seed for serials, uptimes, models and fault selection.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_name = "PLATFORM=N,…", help = "Devices per platform: cisco_ios=50,juniper_junos=20 or all=N", long_help = PLATFORMS_HELP)]
    pub platforms: Option<String>,
    #[arg(long = "fault", help = "Make devices misbehave (repeatable): FAULT[:SELECTOR]", long_help = FAULT_HELP)]
    pub faults: Vec<String>,
}

/// What `netrun lab` (and `netrun bench`, which starts one) says in a build
/// without the device simulator.
pub const NO_LAB: &str = "this netrun was built without the device simulator (`lab` feature): rebuild with default features, e.g. `cargo build --release -p netrun`";

#[cfg(not(feature = "lab"))]
pub async fn execute(_args: LabArgs) -> anyhow::Result<i32> {
    anyhow::bail!("{NO_LAB}")
}

#[cfg(feature = "lab")]
impl LabArgs {
    /// The lab configuration these arguments describe.
    pub fn config(&self) -> anyhow::Result<LabConfig> {
        let mut faults = Vec::new();
        for f in &self.faults {
            faults
                .push(parse_fault_spec(f).map_err(|e| anyhow::anyhow!("bad --fault `{f}`: {e}"))?);
        }
        let mut config = LabConfig {
            devices: self.devices,
            eos_devices: self.eos,
            bind: self.bind,
            base_port: self.base_port,
            name_prefix: self.prefix.clone(),
            faults,
            seed: self.seed,
            ..Default::default()
        };
        if let Some(spec) = &self.platforms {
            config
                .set_platforms(spec)
                .map_err(|e| anyhow::anyhow!("bad --platforms `{spec}`: {e}"))?;
        }
        Ok(config)
    }
}

#[cfg(feature = "lab")]
pub async fn execute(args: LabArgs) -> anyhow::Result<i32> {
    use anyhow::Context as _;
    let config = args.config()?;
    let total = config.devices
        + config.eos_devices
        + config.platforms.iter().map(|(_, n)| n).sum::<usize>();
    if total == 0 {
        anyhow::bail!("--devices (or --platforms, --eos) must be at least 1");
    }
    let (soft, _) = crate::resilience::raise_nofile_limit();
    if soft != 0 && (total as u64) + 64 > soft {
        anyhow::bail!(
            "{total} devices need {} open files, the limit is {soft}: raise it with `ulimit -n`",
            total + 64
        );
    }
    let lab = Lab::start(config).await.context("cannot start the lab")?;
    lab.write_inventory(&args.inventory_dir).with_context(|| {
        format!(
            "cannot write the lab inventory to {}",
            args.inventory_dir.display()
        )
    })?;
    let ports: Vec<u16> = lab.devices().iter().map(|d| d.port).collect();
    let (lo, hi) = (
        ports.iter().min().copied().unwrap_or(0),
        ports.iter().max().copied().unwrap_or(0),
    );
    let mut per_platform: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in lab.devices() {
        *per_platform.entry(d.platform.as_str()).or_default() += 1;
    }
    let mix = per_platform
        .iter()
        .map(|(p, n)| format!("{p}={n}"))
        .collect::<Vec<_>>()
        .join(",");
    // Informational: the lab serves on where standard output is closed.
    let _ = crate::outln!(
        "lab ready: {} devices ({mix}) on {} ports {lo}-{hi}; inventory in {} (try: netrun run collect-facts -i {}/hosts.yaml)",
        lab.devices().len(),
        args.bind,
        args.inventory_dir.display(),
        args.inventory_dir.display()
    );
    let eapi: Vec<u16> = lab.eos_devices().iter().map(|d| d.https_port).collect();
    if let (Some(lo), Some(hi)) = (eapi.iter().min(), eapi.iter().max()) {
        let _ = crate::outln!(
            "eAPI ready: {} EOS devices on https://{}:{lo}-{hi}/command-api; CA in {}/ca.pem",
            eapi.len(),
            args.bind,
            args.inventory_dir.display()
        );
    }
    wait_for_shutdown().await;
    lab.shutdown().await;
    Ok(super::EXIT_OK)
}

/// Ctrl-C or SIGTERM.
#[cfg(feature = "lab")]
pub async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
