//! `netrun bench`: sweep a simulated fleet and print, for a cold run (a
//! fresh process, empty compiled-code cache), a warm run and the physical
//! floor (bare russh sessions, no plugins): devices/s, per-device latency
//! percentiles, CPU per device and peak RSS. Each runs in its own child
//! process, measured alone with `wait4`; the lab runs in another.
//!
//! Every contender runs `--rounds` times, all of them in turn in each
//! round, each round starting one contender further along, and each row is
//! its median run: a machine whose speed drifts, or a lab slower on its
//! first sessions, weighs on every row alike instead of on whichever ran
//! first.

mod floor;

use crate::inventory::{Filter, Inventory};
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
    /// Skip the cold run (a fresh process with an empty compiled-code cache).
    #[arg(long)]
    no_cold: bool,
    /// Runs of each sweep; each row is its median run (by CPU), the CPU of
    /// every run printed beside it.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Only run the floor (bare russh sessions, one command each) over the
    /// lab inventory in --inventory-dir and print JSON; the bench runs this
    /// as a child process to measure it alone.
    #[arg(long, hide = true)]
    floor_only: bool,
    /// A line the floor types after login, in order (repeat; an empty one
    /// is an Enter; default `show version`).
    #[arg(long = "floor-line", hide = true)]
    floor_lines: Vec<String>,
}

/// The lines `collect-facts` types on one of the lab's cisco_ios devices:
/// the Enter that confirms the first prompt, `enable`, the platform's on-open
/// commands, then the cisco-ios driver's `get_facts` commands. The floor
/// typing them does the job's wire work with none of netrun's machinery.
/// A test below holds these to the platform data file and the driver.
const COLLECT_FACTS_LINES: [&str; 6] = [
    "",
    // Sent only where the device lands at `>` (not the lab's devices).
    "enable",
    "terminal length 0",
    "terminal width 511",
    "show version",
    "show ip interface brief",
];

/// The lines of the job `workflow` on the lab, where the bench knows them.
fn job_lines(workflow: &str) -> Option<Vec<String>> {
    (workflow == "collect-facts").then(|| COLLECT_FACTS_LINES.map(String::from).to_vec())
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
    // A real device's `show version` (an ISR 2911 on IOS 15.7, 64 lines),
    // the parse every facts run does.
    let version =
        include_str!("../../../plugins/cisco-ios/tests/fixtures/show_version/ios_15_7_isr2911.raw");
    let mut parse_version = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let _ = driver.parse("cisco_ios", "show version", version).await;
        parse_version.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let figures = json!({
        "plugin": "cisco-ios",
        "iterations": n,
        "load_ms": load_ms,
        "instantiate_us_p50": median_us(&mut instantiate),
        "call_us_p50": median_us(&mut call),
        "parse_us_p50": median_us(&mut parse),
        "parse_show_version_us_p50": median_us(&mut parse_version),
        "debug_build": cfg!(debug_assertions),
    });
    if args.json {
        crate::outln!("{figures}")?;
    } else {
        crate::outln!("netrun bench --plugin-overhead: cisco-ios, {n} iterations (medians)")?;
        for (k, label) in [
            ("load_ms", "verify+compile/load (ms)"),
            ("instantiate_us_p50", "instantiate, pooled (µs)"),
            ("call_us_p50", "host→guest call (µs)"),
            ("parse_us_p50", "parse 3-row table (µs)"),
            ("parse_show_version_us_p50", "parse show version (µs)"),
        ] {
            crate::outln!("  {label:<28} {:.2}", figures[k].as_f64().unwrap_or(0.0))?;
        }
        if cfg!(debug_assertions) {
            crate::outln!("  (debug build: use a release build for figures)")?;
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

/// What one measured child process used.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    wall_s: f64,
    cpu_s: f64,
    peak_rss_mib: f64,
}

/// Run `cmd` to its end and measure it alone: wall time, CPU (user +
/// system) and peak RSS from `wait4`, so neither the lab nor this process
/// is counted.
async fn measure(mut cmd: std::process::Command) -> anyhow::Result<(Usage, i32)> {
    let started = std::time::Instant::now();
    let child = cmd
        .spawn()
        .context("cannot start a measured netrun process")?;
    let pid = child.id() as libc::pid_t;
    let (status, ru) = tokio::task::spawn_blocking(move || {
        let mut status = 0;
        // SAFETY: wait4 fills the status and rusage we pass, for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        drop(child);
        (if r == pid { status } else { -1 }, ru)
    })
    .await?;
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let usage = Usage {
        wall_s: started.elapsed().as_secs_f64(),
        cpu_s: secs(ru.ru_utime) + secs(ru.ru_stime),
        // ru_maxrss is in KiB on Linux.
        peak_rss_mib: ru.ru_maxrss as f64 / 1024.0,
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((usage, code))
}

/// Figures of one sweep (netrun or the floor).
fn figures(usage: Usage, ok: usize, failed: usize, latencies: &[u64]) -> serde_json::Value {
    let devices = (ok + failed).max(1) as f64;
    json!({
        "ok": ok,
        "failed": failed,
        "wall_s": usage.wall_s,
        "devices_per_s": (ok + failed) as f64 / usage.wall_s.max(1e-9),
        "latency_ms_p50": percentile(latencies, 50.0),
        "latency_ms_p99": percentile(latencies, 99.0),
        "cpu_s": usage.cpu_s,
        "cpu_ms_per_device": usage.cpu_s * 1e3 / devices,
        "peak_rss_mib": usage.peak_rss_mib,
    })
}

/// A sweep the bench measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    /// `netrun run` with an empty compiled-code cache.
    Cold,
    /// `netrun run` with the cache filled.
    Warm,
    /// Bare russh sessions sending `show version`.
    Floor,
    /// Bare russh sessions typing the job's lines.
    FloorSameWork,
}

/// The order `n` contenders run in round `round`: all of them, starting
/// `round` places along, so each takes every place in turn.
fn round_order(n: usize, round: usize) -> Vec<usize> {
    (0..n).map(|i| (round + i) % n).collect()
}

/// The run whose CPU is the median of `runs` (the lower middle one of an
/// even count), whole: its wall time, latencies and RSS too; with the CPU
/// of every run (`cpu_s_runs`, in the order run) and the failures of all
/// runs (`failed`), so a failure in any run shows.
fn median_run(runs: &[serde_json::Value]) -> serde_json::Value {
    let cpu = |r: &serde_json::Value| r["cpu_s"].as_f64().unwrap_or(0.0);
    let mut sorted: Vec<&serde_json::Value> = runs.iter().collect();
    sorted.sort_by(|a, b| cpu(a).total_cmp(&cpu(b)));
    let Some(median) = sorted.get(runs.len().saturating_sub(1) / 2) else {
        return serde_json::Value::Null;
    };
    let mut row = (*median).clone();
    row["failed"] = runs
        .iter()
        .map(|r| r["failed"].as_u64().unwrap_or(0))
        .sum::<u64>()
        .into();
    row["cpu_s_runs"] = runs.iter().map(cpu).collect::<Vec<f64>>().into();
    row
}

/// `netrun run` over the lab in a child process, with its compiled-code
/// cache in `cache`, finding plugins where this process does (`plugins`,
/// in order: `--plugin-dir` folders first).
async fn netrun_sweep(
    exe: &std::path::Path,
    args: &BenchArgs,
    dir: &std::path::Path,
    cache: &std::path::Path,
    plugins: &[PathBuf],
) -> anyhow::Result<serde_json::Value> {
    let out = dir.join(format!("records-{}.jsonl", std::process::id()));
    let mut cmd = std::process::Command::new(exe);
    for d in plugins {
        cmd.arg("--plugin-dir").arg(d);
    }
    cmd.args(["run", &args.workflow, "-i"])
        .arg(dir)
        .args(["--concurrency", &args.concurrency.to_string(), "-o"])
        .arg(&out)
        .env("XDG_CACHE_HOME", cache)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let (usage, code) = measure(cmd).await?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line)?;
        if r["status"] == "ok" {
            ok += 1;
        } else {
            failed += 1;
        }
        latencies.push(r["elapsed_ms"].as_u64().unwrap_or(0));
    }
    if ok + failed == 0 {
        bail!("netrun run exited with {code} and wrote no records");
    }
    latencies.sort_unstable();
    Ok(figures(usage, ok, failed, &latencies))
}

/// `netrun bench --floor-only`: the floor over the lab in `--inventory-dir`,
/// as a JSON object of latencies and failures (the bench measures it as a
/// child process).
async fn floor_only(args: &BenchArgs) -> anyhow::Result<i32> {
    let Some(dir) = &args.inventory_dir else {
        bail!("--floor-only needs --inventory-dir (a lab inventory)");
    };
    let inventory = Inventory::load(dir)?;
    let hosts = inventory.select(&Filter::default());
    let known = std::sync::Arc::new(crate::runner::load_known_hosts(&hosts));
    crate::resilience::raise_nofile_limit();
    let lines = if args.floor_lines.is_empty() {
        vec!["show version".to_string()]
    } else {
        args.floor_lines.clone()
    };
    let (latencies, failures) = floor::sweep(hosts, known, args.concurrency, &lines).await;
    crate::outln!(
        "{}",
        json!({ "latencies_ms": latencies, "failures": failures })
    )?;
    Ok(super::EXIT_OK)
}

/// The floor in a child process.
async fn floor_sweep(
    exe: &std::path::Path,
    args: &BenchArgs,
    dir: &std::path::Path,
    lines: &[String],
) -> anyhow::Result<serde_json::Value> {
    let out = dir.join(format!("floor-{}.json", std::process::id()));
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["bench", "--floor-only", "--inventory-dir"])
        .arg(dir)
        .args(["--concurrency", &args.concurrency.to_string()]);
    for line in lines {
        cmd.arg(format!("--floor-line={line}"));
    }
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out)?);
    let (usage, _) = measure(cmd).await?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .with_context(|| format!("the floor run printed no result: {text:?}"))?;
    let latencies: Vec<u64> = v["latencies_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
        .unwrap_or_default();
    let failures = v["failures"].as_array().map_or(0, Vec::len);
    if let Some(first) = v["failures"].get(0) {
        tracing::warn!("floor: {failures} devices failed, e.g. {first}");
    }
    Ok(figures(usage, latencies.len(), failures, &latencies))
}

pub async fn execute(args: BenchArgs, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    if args.plugin_overhead {
        return plugin_overhead(&args, dirs).await;
    }
    if args.floor_only {
        return floor_only(&args).await;
    }
    if !cfg!(feature = "lab") {
        bail!("{}", super::lab::NO_LAB);
    }
    let scratch = std::env::temp_dir().join(format!("netrun-bench-{}", std::process::id()));
    let dir = args
        .inventory_dir
        .clone()
        .unwrap_or_else(|| scratch.join("lab"));
    let exe = std::env::current_exe().context("cannot find the netrun binary")?;
    crate::resilience::raise_nofile_limit();
    let mut lab = tokio::process::Command::new(&exe)
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

    // Cold: a fresh process with an empty compiled-code cache (plugins
    // compiled ahead of time beside their bundles are still used, as after
    // an install), emptied before each cold run. Warm: a cache of its own,
    // filled by one unmeasured run first, which also takes the lab's first
    // sessions off every row.
    let cold_cache = scratch.join("cache-cold");
    let warm_cache = scratch.join("cache-warm");
    let lines = job_lines(&args.workflow);
    let mut contenders = Vec::new();
    if !args.no_cold {
        contenders.push(Contender::Cold);
    }
    contenders.extend([Contender::Warm, Contender::Floor]);
    if lines.is_some() {
        contenders.push(Contender::FloorSameWork);
    }
    netrun_sweep(&exe, &args, &dir, &warm_cache, dirs).await?;
    let mut runs: Vec<Vec<serde_json::Value>> = vec![Vec::new(); contenders.len()];
    for round in 0..args.rounds as usize {
        for i in round_order(contenders.len(), round) {
            let run = match contenders[i] {
                Contender::Cold => {
                    let _ = std::fs::remove_dir_all(&cold_cache);
                    netrun_sweep(&exe, &args, &dir, &cold_cache, dirs).await?
                }
                Contender::Warm => netrun_sweep(&exe, &args, &dir, &warm_cache, dirs).await?,
                Contender::Floor => floor_sweep(&exe, &args, &dir, &[]).await?,
                Contender::FloorSameWork => {
                    floor_sweep(&exe, &args, &dir, lines.as_deref().unwrap_or_default()).await?
                }
            };
            runs[i].push(run);
        }
    }
    let _ = lab.kill().await;
    let _ = std::fs::remove_dir_all(&scratch);
    let row = |c: Contender| {
        contenders
            .iter()
            .position(|&x| x == c)
            .map(|i| median_run(&runs[i]))
    };
    let (cold, warm, floor, same_work) = (
        row(Contender::Cold),
        row(Contender::Warm).unwrap_or_default(),
        row(Contender::Floor).unwrap_or_default(),
        row(Contender::FloorSameWork),
    );

    let ratio = |a: &serde_json::Value, b: &serde_json::Value, k: &str| {
        a[k].as_f64().unwrap_or(0.0) / b[k].as_f64().unwrap_or(0.0).max(1e-9)
    };
    let report = json!({
        "workflow": args.workflow,
        "devices": args.devices,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "release_build": !cfg!(debug_assertions),
        "cold": cold,
        "warm": warm,
        "floor": floor,
        "floor_ratio_cpu": ratio(&warm, &floor, "cpu_s"),
        "floor_ratio_wall": ratio(&warm, &floor, "wall_s"),
        "floor_same_work": same_work,
        "floor_same_work_lines": lines,
        "floor_same_work_ratio_cpu": same_work.as_ref().map(|f| ratio(&warm, f, "cpu_s")),
        "cold_warm_ratio_cpu": cold.as_ref().map(|c| ratio(c, &warm, "cpu_s")),
    });
    if args.json {
        crate::outln!("{report}")?;
    } else {
        crate::out!("{}", render(&report))?;
    }
    let failed = ["cold", "warm"]
        .iter()
        .any(|k| report[k]["failed"].as_u64().unwrap_or(0) > 0);
    Ok(if failed {
        super::EXIT_SOME_FAILED
    } else {
        super::EXIT_OK
    })
}

/// The bench report as a table.
fn render(report: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let rounds = report["rounds"].as_u64().unwrap_or(1);
    let _ = writeln!(
        out,
        "netrun bench: {} over {} lab devices, concurrency {}{}{}",
        report["workflow"].as_str().unwrap_or(""),
        report["devices"],
        report["concurrency"],
        if rounds > 1 {
            format!("; each row its median run of {rounds} (failed: over all runs)")
        } else {
            String::new()
        },
        if report["release_build"] == true {
            ""
        } else {
            " (debug build: use a release build for figures)"
        }
    );
    let _ = writeln!(
        out,
        "  {:<14} {:>6} {:>6} {:>8} {:>9} {:>8} {:>8} {:>8} {:>11} {:>9}{}",
        "",
        "ok",
        "failed",
        "wall s",
        "devices/s",
        "p50 ms",
        "p99 ms",
        "CPU s",
        "CPU/dev ms",
        "RSS MiB",
        if rounds > 1 {
            "  CPU s of each run"
        } else {
            ""
        }
    );
    for (key, label) in [
        ("cold", "netrun cold"),
        ("warm", "netrun warm"),
        ("floor", "floor (russh)"),
        ("floor_same_work", "floor, job's"),
    ] {
        let f = &report[key];
        if f.is_null() {
            continue;
        }
        let n = |k: &str| f[k].as_f64().unwrap_or(0.0);
        // Integers as u64: a JSON value's Display ignores width and alignment.
        let i = |k: &str| f[k].as_u64().unwrap_or(0);
        let each = match f["cpu_s_runs"].as_array() {
            Some(runs) if rounds > 1 => {
                let runs: Vec<String> = runs
                    .iter()
                    .map(|c| format!("{:.3}", c.as_f64().unwrap_or(0.0)))
                    .collect();
                format!("  {}", runs.join(" "))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {label:<14} {:>6} {:>6} {:>8.2} {:>9.1} {:>8} {:>8} {:>8.2} {:>11.3} {:>9.1}{each}",
            i("ok"),
            i("failed"),
            n("wall_s"),
            n("devices_per_s"),
            i("latency_ms_p50"),
            i("latency_ms_p99"),
            n("cpu_s"),
            n("cpu_ms_per_device"),
            n("peak_rss_mib"),
        );
    }
    let _ = writeln!(
        out,
        "  netrun warm / floor: CPU {:.2}x, wall {:.2}x",
        report["floor_ratio_cpu"].as_f64().unwrap_or(0.0),
        report["floor_ratio_wall"].as_f64().unwrap_or(0.0)
    );
    if let Some(r) = report["floor_same_work_ratio_cpu"].as_f64() {
        let _ = writeln!(
            out,
            "  netrun warm / floor typing the job's lines ({}): CPU {r:.2}x",
            report["floor_same_work_lines"]
                .as_array()
                .map(|l| l
                    .iter()
                    .map(|c| format!("{:?}", c.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        );
    }
    if let Some(r) = report["cold_warm_ratio_cpu"].as_f64() {
        let _ = writeln!(out, "  netrun cold / warm: CPU {r:.2}x");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn the_collect_facts_floor_types_what_the_platform_and_driver_send() {
        #[derive(serde::Deserialize)]
        struct Platform {
            on_open: Vec<String>,
        }
        let yaml = include_str!("../../../plugins/netrun-platforms/platforms/cisco_ios.yaml");
        let platform: Platform = serde_saphyr::from_str(yaml).unwrap();
        let getters = include_str!("../../../plugins/cisco-ios/src/getters.rs");
        let facts = getters
            .split("name: \"facts\",")
            .nth(1)
            .and_then(|rest| rest.lines().find(|l| l.contains("commands:")))
            .unwrap();
        let lines = super::job_lines("collect-facts").unwrap();
        // The Enter that confirms the prompt, then the on-open commands.
        assert_eq!(lines[..2], ["", "enable"]);
        assert_eq!(lines[2..4], platform.on_open[..]);
        let quoted: Vec<String> = lines[4..].iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(facts.trim(), format!("commands: &[{}],", quoted.join(", ")));
        assert!(super::job_lines("interface-counters").is_none());
    }

    #[test]
    fn each_round_starts_one_contender_further_along() {
        use super::round_order;
        assert_eq!(round_order(4, 0), [0, 1, 2, 3]);
        assert_eq!(round_order(4, 1), [1, 2, 3, 0]);
        assert_eq!(round_order(4, 5), [1, 2, 3, 0]);
        // Over as many rounds as contenders, each runs first once.
        let firsts: Vec<usize> = (0..3).map(|r| round_order(3, r)[0]).collect();
        assert_eq!(firsts, [0, 1, 2]);
    }

    #[test]
    fn a_row_is_its_median_run_with_every_runs_cpu_and_all_failures() {
        use super::median_run;
        use serde_json::json;
        let run = |cpu: f64, failed: u64, p50: u64| json!({"ok": 10 - failed, "failed": failed, "cpu_s": cpu, "latency_ms_p50": p50});
        let row = median_run(&[run(0.9, 0, 9), run(0.5, 1, 5), run(0.7, 2, 7)]);
        // The middle run by CPU, whole: its latency and its `ok` come along.
        assert_eq!(row["cpu_s"], 0.7);
        assert_eq!(row["latency_ms_p50"], 7);
        assert_eq!(row["ok"], 8);
        // Failures of every run, and every run's CPU in the order run.
        assert_eq!(row["failed"], 3);
        assert_eq!(row["cpu_s_runs"], json!([0.9, 0.5, 0.7]));
        // An even count takes the lower middle run; one run is itself.
        assert_eq!(median_run(&[run(0.4, 0, 4), run(0.2, 0, 2)])["cpu_s"], 0.2);
        assert_eq!(median_run(&[run(0.3, 0, 3)])["cpu_s"], 0.3);
        assert!(median_run(&[]).is_null());
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn table_rows_line_up_with_the_header() {
        let row = serde_json::json!({"ok": 1000, "failed": 0, "wall_s": 3.31,
            "devices_per_s": 301.9, "latency_ms_p50": 167, "latency_ms_p99": 1534,
            "cpu_s": 2.14, "cpu_ms_per_device": 2.136, "peak_rss_mib": 200.4});
        let report = serde_json::json!({"workflow": "collect-facts", "devices": 1000,
            "concurrency": 100, "release_build": true, "warm": row, "floor": row,
            "floor_ratio_cpu": 1.0, "floor_ratio_wall": 1.0});
        let text = super::render(&report);
        let lines: Vec<&str> = text.lines().skip(1).take(3).collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{text}");
        // The `ok` figure ends where its header does.
        let end = lines[0].find(" ok").unwrap() + 3;
        assert_eq!(&lines[1][end - 4..end], "1000", "{text}");
        assert!(!text.contains("each run"), "{text}");
    }

    #[test]
    fn with_rounds_each_row_lists_the_cpu_of_every_run_under_its_header() {
        let mut row = serde_json::json!({"ok": 200, "failed": 0, "wall_s": 0.31,
            "devices_per_s": 645.2, "latency_ms_p50": 12, "latency_ms_p99": 30,
            "cpu_s": 0.12, "cpu_ms_per_device": 0.6, "peak_rss_mib": 40.0});
        row["cpu_s_runs"] = serde_json::json!([0.124, 0.12, 0.131]);
        let report = serde_json::json!({"workflow": "collect-facts", "devices": 200,
            "concurrency": 100, "rounds": 3, "release_build": true, "warm": row,
            "floor": row, "floor_ratio_cpu": 1.0, "floor_ratio_wall": 1.0});
        let text = super::render(&report);
        assert!(
            text.lines().next().unwrap().contains("median run of 3"),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().skip(1).take(3).collect();
        let column = lines[0].find("CPU s of each run").expect(&text);
        for row in &lines[1..] {
            assert_eq!(&row[column..], "0.124 0.120 0.131", "{text}");
        }
    }
}
