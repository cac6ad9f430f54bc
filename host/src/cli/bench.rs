//! `netrun bench`: sweep a simulated fleet and print devices/s, per-device
//! latency percentiles, CPU seconds and peak RSS of the sweeping process.
//! The lab runs in a child process so its CPU is not counted.

use super::{Loaded, Plan, collect, load_plugins};
use crate::inventory::{Filter, Inventory};
use crate::resilience::process_usage;
use crate::runner::{ConnectivityConfig, Job, Settings, Shutdown};
use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Arguments of `netrun bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Simulated devices to sweep.
    #[arg(long, default_value_t = 200)]
    devices: usize,
    /// Devices worked on at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Workflow to run.
    #[arg(long, default_value = "collect-facts")]
    workflow: String,
    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Keep the lab inventory here (default: a temporary folder).
    #[arg(long)]
    inventory_dir: Option<PathBuf>,
}

/// Percentile `p` (0–100) of sorted `v`, nearest rank.
fn percentile(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub async fn execute(args: BenchArgs, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let dir = args.inventory_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("netrun-bench-{}", std::process::id()))
    });
    let exe = std::env::current_exe().context("cannot find the netrun binary")?;
    crate::resilience::raise_nofile_limit();
    let mut lab = tokio::process::Command::new(exe)
        .args([
            "lab",
            "--devices",
            &args.devices.to_string(),
            "--inventory-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the lab process")?;
    let Some(stdout) = lab.stdout.take() else {
        bail!("lab process has no stdout")
    };
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next_line().await? {
            Some(l) if l.contains("ready") => break,
            Some(_) => {}
            None => bail!("the lab process exited before it was ready"),
        }
    }

    let inventory = Inventory::load(&dir)?;
    let hosts = inventory.select(&Filter::default());
    let needed = vec!["cisco_ios".to_string()];
    let loaded: Loaded = load_plugins(
        dirs,
        Some(&args.workflow),
        &needed,
        super::instances_for(args.concurrency),
    )
    .await?;
    let Some(plugin) = loaded.workflow.clone() else {
        bail!("workflow not loaded")
    };
    let job = Job::Workflow {
        plugin,
        params: "{}".into(),
    };
    let plan = Plan {
        hosts,
        job,
        settings: Settings {
            concurrency: args.concurrency,
            ..Default::default()
        },
        connectivity: ConnectivityConfig::default(),
    };
    let (cpu0, _) = process_usage();
    let (records, summary, _) = collect(loaded, plan, None, false, Shutdown::default()).await;
    let (cpu1, peak_rss) = process_usage();
    let _ = lab.kill().await;
    if args.inventory_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let mut latencies: Vec<u64> = records.iter().map(|r| r.elapsed_ms).collect();
    latencies.sort_unstable();
    let wall = summary.wall.as_secs_f64();
    let figures = json!({
        "devices": summary.total(),
        "ok": summary.ok,
        "failed": summary.failures(),
        "concurrency": args.concurrency,
        "workflow": args.workflow,
        "wall_s": wall,
        "devices_per_s": summary.total() as f64 / wall.max(1e-9),
        "latency_ms_p50": percentile(&latencies, 50.0),
        "latency_ms_p99": percentile(&latencies, 99.0),
        "latency_ms_max": latencies.last().copied().unwrap_or(0),
        "cpu_s": cpu1 - cpu0,
        "peak_rss_mib": peak_rss as f64 / (1024.0 * 1024.0),
    });
    if args.json {
        println!("{figures}");
    } else {
        println!(
            "netrun bench: {} ({} devices, concurrency {})",
            args.workflow,
            summary.total(),
            args.concurrency
        );
        for (k, label) in [
            ("ok", "ok"),
            ("failed", "failed"),
            ("wall_s", "wall time (s)"),
            ("devices_per_s", "devices/s"),
            ("latency_ms_p50", "latency p50 (ms)"),
            ("latency_ms_p99", "latency p99 (ms)"),
            ("latency_ms_max", "latency max (ms)"),
            ("cpu_s", "CPU (s, sweeping process)"),
            ("peak_rss_mib", "peak RSS (MiB)"),
        ] {
            let v = &figures[k];
            let text = match v.as_f64() {
                Some(f) if v.is_f64() => format!("{f:.2}"),
                _ => v.to_string(),
            };
            println!("  {label:<28} {text}");
        }
    }
    Ok(if summary.failures() == 0 {
        super::EXIT_OK
    } else {
        super::EXIT_SOME_FAILED
    })
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
