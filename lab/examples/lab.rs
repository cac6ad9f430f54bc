//! Starts a lab, writes its inventory and waits for Ctrl-C.
//!
//! ```text
//! cargo run -p netrun-lab --example lab -- [DEVICES] [INVENTORY_DIR] [--base-port P] [--eos N]
//!     [--platforms juniper_junos=2,…|all=N] [--fault SPEC]...
//! ```

use std::path::PathBuf;

use anyhow::{Context, bail};
use netrun_lab::{Lab, LabConfig, parse_fault_spec};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = LabConfig {
        devices: 3,
        ..Default::default()
    };
    let mut dir = PathBuf::from("lab-inventory");
    let mut positional = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--base-port" => {
                config.base_port = args.next().context("--base-port needs a value")?.parse()?;
            }
            "--seed" => config.seed = args.next().context("--seed needs a value")?.parse()?,
            "--eos" => {
                config.eos_devices = args.next().context("--eos needs a value")?.parse()?;
            }
            "--platforms" => {
                let spec = args.next().context("--platforms needs a value")?;
                config.set_platforms(&spec).map_err(anyhow::Error::msg)?;
            }
            "--fault" => {
                let spec = args.next().context("--fault needs a value")?;
                config
                    .faults
                    .push(parse_fault_spec(&spec).map_err(anyhow::Error::msg)?);
            }
            _ if positional == 0 => {
                config.devices = arg.parse().context("DEVICES must be a number")?;
                positional += 1;
            }
            _ if positional == 1 => {
                dir = PathBuf::from(arg);
                positional += 1;
            }
            other => bail!("unexpected argument {other}"),
        }
    }
    let lab = Lab::start(config).await?;
    lab.write_inventory(&dir)?;
    for d in lab.devices() {
        let fault = d
            .fault
            .as_ref()
            .map(|f| format!(" fault={f}"))
            .unwrap_or_default();
        eprintln!(
            "{} port={} platform={} model={} serial={}{fault}",
            d.name, d.port, d.platform, d.model, d.serial
        );
    }
    for d in lab.eos_devices() {
        eprintln!(
            "{} https_port={} model={} serial={} version={}",
            d.name, d.https_port, d.model, d.serial, d.version
        );
    }
    println!("ready");
    tokio::signal::ctrl_c().await?;
    lab.shutdown().await;
    Ok(())
}
