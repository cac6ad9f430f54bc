//! `netrun lab`: a simulated fleet for demos, tests and benchmarks.

use anyhow::Context as _;
use clap::Args;
use netrun_lab::{Lab, LabConfig, parse_fault_spec};
use std::net::IpAddr;
use std::path::PathBuf;

/// Fault grammar shown in `netrun lab --help`.
const FAULT_HELP: &str = "Make devices misbehave (repeatable): FAULT[:SELECTOR].
FAULT: refuse | auth-reject | hang-before-banner | hang-after-login | drop-mid-output |
       garbage-banner | drip=BYTES_PER_SEC | flap=DURATION | latency=DURATION
SELECTOR: device names (r003,r007) | PERCENT% (chosen by --seed) | all (default)
DURATION: 500ms, 30s, 2m.  Examples: --fault auth-reject:r003 --fault latency=200ms:10%";

/// Arguments of `netrun lab`.
#[derive(Debug, Args)]
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
    #[arg(long = "fault", help = "Make devices misbehave (repeatable): FAULT[:SELECTOR]", long_help = FAULT_HELP)]
    pub faults: Vec<String>,
}

impl LabArgs {
    /// The lab configuration these arguments describe.
    pub fn config(&self) -> anyhow::Result<LabConfig> {
        let mut faults = Vec::new();
        for f in &self.faults {
            faults
                .push(parse_fault_spec(f).map_err(|e| anyhow::anyhow!("bad --fault `{f}`: {e}"))?);
        }
        Ok(LabConfig {
            devices: self.devices,
            eos_devices: self.eos,
            bind: self.bind,
            base_port: self.base_port,
            name_prefix: self.prefix.clone(),
            faults,
            seed: self.seed,
            ..Default::default()
        })
    }
}

pub async fn execute(args: LabArgs) -> anyhow::Result<i32> {
    let total = args.devices + args.eos;
    if total == 0 {
        anyhow::bail!("--devices (or --eos) must be at least 1");
    }
    let (soft, _) = crate::resilience::raise_nofile_limit();
    if soft != 0 && (total as u64) + 64 > soft {
        anyhow::bail!(
            "{total} devices need {} open files, the limit is {soft}: raise it with `ulimit -n`",
            total + 64
        );
    }
    let config = args.config()?;
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
    println!(
        "lab ready: {} devices on {} ports {lo}-{hi}; inventory in {} (try: netrun run collect-facts -i {}/hosts.yaml)",
        lab.devices().len(),
        args.bind,
        args.inventory_dir.display(),
        args.inventory_dir.display()
    );
    let eapi: Vec<u16> = lab.eos_devices().iter().map(|d| d.https_port).collect();
    if let (Some(lo), Some(hi)) = (eapi.iter().min(), eapi.iter().max()) {
        println!(
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
