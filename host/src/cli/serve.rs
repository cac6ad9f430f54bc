//! `netrun serve --config serve.yaml`: a long-lived poller. Each job runs a
//! workflow over its devices on an interval (with jitter); a device is never
//! polled by two runs of one job at once; `/metrics`, `/healthz` and
//! `/readyz` are served on their own address. SIGHUP reloads the config (a
//! bad config keeps the old one), SIGTERM / Ctrl-C drains and exits.

use super::{Loaded, load_plugins};
use crate::inventory::{Filter, Host, Inventory};
use crate::runner::{self, Env, Job, Settings};
use crate::runtime::policy::Policy;
use crate::telemetry::{ResultLabels, metrics};
use anyhow::{Context as _, bail};
use clap::Args;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Arguments of `netrun serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The poller's configuration (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

/// `serve.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address of /metrics, /healthz and /readyz.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Policy file granting plugin capabilities (see `netrun run --policy`).
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// Circuit breakers, shared by all jobs.
    #[serde(default)]
    pub breaker: BreakerSettings,
    /// Retries of the connect/login step after a transient failure.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Polling jobs.
    pub jobs: Vec<JobConfig>,
}

/// `breaker:` of serve.yaml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSettings {
    /// Consecutive failures that open a device's breaker (default 5).
    pub threshold: Option<u32>,
    /// How long an open breaker keeps a device from being dialled (`30s`).
    pub cool_down: Option<String>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}

/// One polling job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Job name (metrics label).
    pub name: String,
    /// Workflow plugin to run.
    pub workflow: String,
    /// Nornir inventory (hosts.yaml or its folder), relative to serve.yaml.
    pub inventory: PathBuf,
    /// Only these hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Only hosts in these groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `key=value` filters.
    #[serde(default)]
    pub filter: Vec<String>,
    /// Time between polls (`30s`, `5m`).
    pub interval: String,
    /// Random delay added to each interval, up to this (`5s`).
    #[serde(default)]
    pub jitter: Option<String>,
    /// Deadline per device per poll.
    #[serde(default)]
    pub timeout: Option<String>,
    /// Devices polled at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Workflow parameters.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Capabilities granted to this job's workflow (as `netrun run --grant`).
    #[serde(default)]
    pub grants: Vec<String>,
}

fn default_concurrency() -> usize {
    100
}

/// Parse `500ms`, `30s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .with_context(|| format!("bad duration `{text}`: use 500ms, 30s, 5m or 1h"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => bail!("bad duration unit `{other}` in `{text}`: use ms, s, m or h"),
    };
    if !(secs.is_finite() && secs >= 0.0) {
        bail!("bad duration `{text}`");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The longest polling interval of the config.
fn jobs_interval_max(config: &ServeConfig) -> anyhow::Result<Duration> {
    let mut longest = Duration::ZERO;
    for j in &config.jobs {
        longest = longest.max(parse_duration(&j.interval)?);
    }
    Ok(longest)
}

/// A job ready to poll.
struct PlannedJob {
    config: JobConfig,
    hosts: Vec<Host>,
    interval: Duration,
    jitter: Duration,
    settings: Settings,
    job: Job,
}

/// Read and check the config; loads inventories and plugins.
async fn load(
    path: &Path,
    plugin_dirs: &[PathBuf],
) -> anyhow::Result<(ServeConfig, Arc<Env>, Vec<PlannedJob>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config: ServeConfig =
        serde_yaml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
    if config.jobs.is_empty() {
        bail!("{} defines no jobs", path.display());
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut selected = Vec::new();
    let mut all_hosts = Vec::new();
    let mut workflows: Vec<String> = Vec::new();
    for j in &config.jobs {
        let inventory =
            Inventory::load(&base.join(&j.inventory)).with_context(|| format!("job {}", j.name))?;
        let filter = Filter {
            hosts: j.hosts.clone(),
            groups: j.groups.clone(),
            ..Default::default()
        }
        .with_fields(&j.filter)?;
        let hosts = inventory.select(&filter);
        if hosts.is_empty() {
            bail!("job {}: no devices match its filters", j.name);
        }
        all_hosts.extend(hosts.iter().cloned());
        selected.push(hosts);
        if !workflows.contains(&j.workflow) {
            workflows.push(j.workflow.clone());
        }
    }
    let mut needed: Vec<String> = all_hosts
        .iter()
        .filter_map(|h| h.platform.clone())
        .collect();
    needed.sort();
    needed.dedup();
    let concurrency: usize = config.jobs.iter().map(|j| j.concurrency).sum();
    // One runtime: drivers shared, each workflow loaded once.
    let loaded: Loaded = load_plugins(
        plugin_dirs,
        None,
        &Policy::default(),
        &needed,
        super::instances_for(concurrency),
    )
    .await?;
    let (bundles, _) = crate::runtime::bundle::discover(plugin_dirs);
    let policy_file = config.policy.as_ref().map(|p| base.join(p));
    let mut loaded_workflows = BTreeMap::new();
    for w in &workflows {
        let grants: Vec<String> = config
            .jobs
            .iter()
            .filter(|j| &j.workflow == w)
            .flat_map(|j| j.grants.clone())
            .collect();
        let policy = Policy::load(policy_file.as_deref(), &grants)?;
        loaded_workflows.insert(
            w.clone(),
            super::load_workflow(&loaded.runtime, plugin_dirs, &bundles, w, &policy)?,
        );
    }
    // Breakers and pooled sessions live as long as this configuration: a
    // flapping device stays fenced off across polls, sessions are reused.
    let mut connectivity = runner::ConnectivityConfig::default();
    if let Some(n) = config.breaker.threshold {
        connectivity.breaker.failure_threshold = n.max(1);
    }
    if let Some(d) = &config.breaker.cool_down {
        connectivity.breaker.cool_down = parse_duration(d)?;
    }
    if let Some(n) = config.retries {
        connectivity.retry.max_attempts = n.saturating_add(1);
    }
    // Keep every polled device's session between polls.
    connectivity.pool.max_idle = all_hosts.len();
    let longest = jobs_interval_max(&config)?;
    connectivity.pool.idle_timeout = connectivity.pool.idle_timeout.max(longest * 3);
    // A plugin's device metric not set again within three polls belongs to a
    // device or interface that is gone; dropping it keeps memory flat.
    metrics()
        .plugin
        .set_stale_after((longest * 3).max(Duration::from_secs(60)));
    let connectivity = Arc::new(crate::runtime::device::Connectivity::new(&connectivity));
    connectivity.pool.spawn_evictor(Duration::from_secs(10));
    let env = Arc::new(Env {
        connectivity,
        runtime: loaded.runtime,
        platforms: loaded.platforms,
        known_hosts: Arc::new(runner::load_known_hosts(&all_hosts)),
    });
    let mut jobs = Vec::new();
    for (j, hosts) in config.jobs.iter().zip(selected) {
        let Some(plugin) = loaded_workflows.get(&j.workflow).cloned() else {
            bail!("job {}: workflow {} not loaded", j.name, j.workflow);
        };
        let mut settings = Settings {
            concurrency: crate::resilience::cap_concurrency(j.concurrency.max(1)),
            ..Default::default()
        };
        if let Some(t) = &j.timeout {
            settings.device_timeout = parse_duration(t)?;
        }
        let interval = parse_duration(&j.interval)?;
        if interval.is_zero() {
            bail!("job {}: interval must be more than 0", j.name);
        }
        jobs.push(PlannedJob {
            config: j.clone(),
            hosts,
            interval,
            jitter: j
                .jitter
                .as_deref()
                .map(parse_duration)
                .transpose()?
                .unwrap_or_default(),
            settings,
            job: Job::Workflow {
                plugin,
                params: serde_json::Value::Object(j.params.clone()).to_string(),
            },
        });
    }
    Ok((config, env, jobs))
}

/// Poll one job until `stop`: each tick runs the devices not still busy
/// from an earlier tick.
async fn poll(
    env: Arc<Env>,
    job: PlannedJob,
    stop: CancellationToken,
    runs: tokio_util::task::TaskTracker,
) {
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    let name = job.config.name.clone();
    loop {
        let free: Vec<Host> = {
            let mut b = busy.lock().unwrap_or_else(|p| p.into_inner());
            let free: Vec<Host> = job
                .hosts
                .iter()
                .filter(|h| !b.contains(&h.name))
                .cloned()
                .collect();
            for h in &free {
                b.insert(h.name.clone());
            }
            free
        };
        if free.len() < job.hosts.len() {
            tracing::info!(job = %name, skipped = job.hosts.len() - free.len(), "devices still busy from the last poll");
        }
        if !free.is_empty() {
            let (env, j, settings, busy, name) = (
                env.clone(),
                job.job.clone(),
                job.settings.clone(),
                busy.clone(),
                name.clone(),
            );
            runs.spawn(async move {
                let summary = runner::run(env, j, free, settings, runner::Shutdown::default(), |r| {
                    let class = r.error.as_ref().map(|e| e.class.to_string()).unwrap_or_default();
                    let status = if r.error.is_some() { "error" } else { "ok" };
                    metrics()
                        .device_results
                        .get_or_create(&ResultLabels {
                            job: name.clone(),
                            status: status.into(),
                            class,
                        })
                        .inc();
                    busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&r.device);
                })
                .await;
                metrics().run_seconds.observe(summary.wall.as_secs_f64());
                tracing::info!(job = %name, ok = summary.ok, failed = summary.failures(), wall_ms = summary.wall.as_millis() as u64, "poll done");
            });
        }
        let jitter = if job.jitter.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(rand::random::<f64>() * job.jitter.as_secs_f64())
        };
        tokio::select! {
            _ = tokio::time::sleep(job.interval + jitter) => {}
            _ = stop.cancelled() => return,
        }
    }
}

/// Answer one HTTP request: GET /metrics, /healthz, /readyz.
async fn answer(mut stream: tokio::net::TcpStream, ready: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut buf[len..]).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => {
                    len += n;
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        return true;
                    }
                    if len == buf.len() {
                        return false;
                    }
                }
            }
        }
    })
    .await;
    if read != Ok(true) {
        return;
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, ctype, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics().encode(),
        ),
        ("GET", "/healthz") => ("200 OK", "text/plain", "ok\n".to_string()),
        ("GET", "/readyz") if ready.load(Ordering::SeqCst) => {
            ("200 OK", "text/plain", "ready\n".to_string())
        }
        ("GET", "/readyz") => (
            "503 Service Unavailable",
            "text/plain",
            "not ready\n".to_string(),
        ),
        ("GET", _) => (
            "404 Not Found",
            "text/plain",
            "not found: try /metrics, /healthz, /readyz\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

pub async fn execute(args: ServeArgs, plugin_dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let (config, env, jobs) = load(&args.config, plugin_dirs).await?;
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (set `listen:` in {})",
            config.listen,
            args.config.display()
        )
    })?;
    let ready = Arc::new(AtomicBool::new(false));
    let shutdown = CancellationToken::new();
    {
        let (ready, shutdown) = (ready.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((s, _)) = accepted {
                            tokio::spawn(answer(s, ready.clone()));
                        }
                    }
                    _ = shutdown.cancelled() => return,
                }
            }
        });
    }
    println!(
        "netrun serve: {} jobs; metrics on http://{}/metrics",
        jobs.len(),
        config.listen
    );
    let runs = tokio_util::task::TaskTracker::new();
    let mut stop = CancellationToken::new();
    for j in jobs {
        tokio::spawn(poll(env.clone(), j, stop.clone(), runs.clone()));
    }
    ready.store(true, Ordering::SeqCst);

    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                match load(&args.config, plugin_dirs).await {
                    Ok((new_config, new_env, new_jobs)) => {
                        if new_config.listen != config.listen {
                            tracing::warn!("listen address changes need a restart; keeping {}", config.listen);
                        }
                        stop.cancel();
                        stop = CancellationToken::new();
                        for j in new_jobs {
                            tokio::spawn(poll(new_env.clone(), j, stop.clone(), runs.clone()));
                        }
                        tracing::info!("configuration reloaded from {}", args.config.display());
                    }
                    Err(e) => tracing::error!("reload of {} failed, keeping the running configuration: {e:#}", args.config.display()),
                }
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    // Drain: no new polls, let running ones finish for a while.
    ready.store(false, Ordering::SeqCst);
    stop.cancel();
    runs.close();
    if tokio::time::timeout(Duration::from_secs(15), runs.wait())
        .await
        .is_err()
    {
        tracing::warn!("polls still running after 15 s; exiting");
    }
    shutdown.cancel();
    Ok(super::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_operator_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn config_rejects_unknown_keys() {
        let bad = "jobs:\n  - name: a\n    workflow: collect-facts\n    inventory: x\n    interval: 5s\n    intervall: 3s\n";
        assert!(serde_yaml::from_str::<ServeConfig>(bad).is_err());
        let good = "listen: 127.0.0.1:9999\njobs:\n  - name: a\n    workflow: collect-facts\n    inventory: x\n    interval: 5s\n";
        let c: ServeConfig = serde_yaml::from_str(good).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.jobs[0].concurrency, 100);
    }
}
