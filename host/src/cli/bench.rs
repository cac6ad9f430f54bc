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
    /// Measure the plugin runtime instead of a sweep: instantiation from a
    /// pre-instantiated component (pooled) and host→guest call overhead,
    /// with the first-party cisco-ios driver. No lab is started.
    #[arg(long)]
    plugin_overhead: bool,
    /// Iterations of each plugin-overhead measurement.
    #[arg(long, default_value_t = 2_000)]
    iterations: usize,
}

/// Median of `v` (sorted in place), in microseconds.
fn median_us(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// `netrun bench --plugin-overhead`.
async fn plugin_overhead(args: &BenchArgs, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    use crate::runtime::bundle::{self, Kind};
    use crate::runtime::driver::DriverInstance;
    use crate::runtime::{Runtime, RuntimeOptions};
    use std::sync::Arc;
    use std::time::Instant;
    let (bundles, _) = bundle::discover(dirs);
    let Some(b) = bundles
        .iter()
        .find(|b| b.manifest.kind == Kind::Driver && b.manifest.name == "cisco-ios")
    else {
        bail!("the cisco-ios driver is not installed: build it with scripts/build-plugins.sh");
    };
    let runtime = Runtime::new(&RuntimeOptions {
        max_instances: 64,
        ..Default::default()
    })?;
    let t0 = Instant::now();
    let plugin = Arc::new(runtime.load(b)?);
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let n = args.iterations.max(10);
    let device: Arc<str> = Arc::from("bench");

    // Store + instance from InstancePre, dropped each time (slot reuse).
    let mut instantiate = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut store = runtime.store(&plugin, device.clone(), None)?;
        // The instance and its store are dropped at the end of each round.
        let _instance = runtime.instantiate_driver(&plugin, &mut store).await?;
        instantiate.push(t.elapsed().as_secs_f64() * 1e6);
    }

    // Host→guest calls on one instance: a trivial export, and a real parse;
    // each call gets a fresh CPU budget, as in a run.
    let mut driver = DriverInstance::new(&runtime, plugin.clone(), device.clone()).await?;
    let mut call = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        driver.getters("cisco_ios").await?;
        call.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let brief = "Interface              IP-Address      OK? Method Status                Protocol\nGigabitEthernet0/0     10.0.0.1        YES NVRAM  up                    up\nLoopback0              10.255.0.1      YES NVRAM  up                    up\n";
    let mut parse = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let _ = driver
            .parse("cisco_ios", "show ip interface brief", brief)
            .await;
        parse.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let figures = json!({
        "plugin": "cisco-ios",
        "iterations": n,
        "load_ms": load_ms,
        "instantiate_us_p50": median_us(&mut instantiate),
        "call_us_p50": median_us(&mut call),
        "parse_us_p50": median_us(&mut parse),
        "debug_build": cfg!(debug_assertions),
    });
    if args.json {
        println!("{figures}");
    } else {
        println!("netrun bench --plugin-overhead: cisco-ios, {n} iterations (medians)");
        for (k, label) in [
            ("load_ms", "verify+compile/load (ms)"),
            ("instantiate_us_p50", "instantiate, pooled (µs)"),
            ("call_us_p50", "host→guest call (µs)"),
            ("parse_us_p50", "parse 3-row table (µs)"),
        ] {
            println!("  {label:<28} {:.2}", figures[k].as_f64().unwrap_or(0.0));
        }
        if cfg!(debug_assertions) {
            println!("  (debug build: use a release build for figures)");
        }
    }
    Ok(super::EXIT_OK)
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
    if args.plugin_overhead {
        return plugin_overhead(&args, dirs).await;
    }
    if !cfg!(feature = "lab") {
        bail!("{}", super::lab::NO_LAB);
    }
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
        &crate::runtime::policy::Policy::default(),
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
