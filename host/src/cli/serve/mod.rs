//! `netrun serve --config serve.yaml`: a long-lived poller. Each job runs a
//! workflow over its devices on an interval (with jitter); a device is never
//! polled by two runs of one job at once; `/metrics`, `/healthz` and
//! `/readyz` are served on their own address. SIGHUP reloads the config (a
//! bad config keeps the old one), SIGTERM / Ctrl-C drains and exits.
//!
//! What lives as long as the process is built once: the plugin runtime
//! (engine, instance pool) and the compiled plugins, and the session pool
//! with the circuit breakers. A reload re-reads the configuration and the
//! inventories, keeps polling the jobs that did not change (and their
//! sessions), and restarts only the others.

use super::PluginCache;
use crate::error::ErrorClass;
use crate::inventory::{Filter, Host, Inventory};
use crate::runner::{self, ConnectivityConfig, Env, Job, Settings};
use crate::runtime::device::{Connectivity, DeviceContext};
use crate::runtime::policy::Policy;
use crate::telemetry::{ResultLabels, metrics};
use anyhow::Context as _;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod config;
mod http;

pub use config::{JobConfig, ServeConfig};

/// Arguments of `netrun serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The poller's configuration (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Poll only one shard of each job's devices (a StatefulSet replica each).
    #[command(flatten)]
    pub shard: super::shard::ShardArgs,
}

/// A job ready to poll.
struct PlannedJob {
    config: JobConfig,
    hosts: Vec<Host>,
    interval: Duration,
    jitter: Duration,
    settings: Settings,
    job: Job,
    /// Changes when anything the job's polls depend on changes: its
    /// config, its inventory files, its workflow build, the connectivity.
    fingerprint: u64,
}

/// What the process keeps across reloads.
struct Process {
    plugin_dirs: Vec<PathBuf>,
    plugins: PluginCache,
    /// Instances the runtime was sized for at start.
    max_instances: u32,
    /// Pool and breakers, with the settings they were built from.
    connectivity: Option<(
        ConnectivityConfig,
        Arc<Connectivity>,
        tokio::task::JoinHandle<()>,
    )>,
    /// Bumped when the connectivity is rebuilt: every job restarts then.
    generation: u64,
    /// What each polled device's session depends on, as of the last load:
    /// a reload closes the sessions of devices that went or changed.
    sessions: BTreeMap<String, BTreeSet<u64>>,
}

impl Process {
    fn new(plugin_dirs: &[PathBuf], first: &ServeConfig) -> anyhow::Result<Process> {
        let concurrency: usize = first.jobs.iter().map(|j| j.concurrency).sum();
        let max_instances = super::instances_for(concurrency);
        Ok(Process {
            plugin_dirs: plugin_dirs.to_vec(),
            plugins: PluginCache::new(max_instances)?,
            max_instances,
            connectivity: None,
            generation: 0,
            sessions: BTreeMap::new(),
        })
    }

    /// The pool and breakers for `wanted`: the current ones when their
    /// settings still fit, else new ones (old sessions close with the old
    /// pool once its last poll is done).
    fn connectivity(&mut self, wanted: ConnectivityConfig) -> Arc<Connectivity> {
        if let Some((have, c, _)) = &self.connectivity {
            let fits = have.breaker == wanted.breaker
                && have.retry == wanted.retry
                && have.pool.max_idle >= wanted.pool.max_idle
                && have.pool.idle_timeout >= wanted.pool.idle_timeout;
            if fits {
                return c.clone();
            }
        }
        let c = Arc::new(Connectivity::new(&wanted));
        let evictor = c.pool.spawn_evictor(Duration::from_secs(10));
        if let Some((_, _, old_evictor)) = self.connectivity.replace((wanted, c.clone(), evictor)) {
            old_evictor.abort();
        }
        self.generation += 1;
        c
    }
}

/// Hash of the files of the inventory at `path` (hosts.yaml or its folder).
fn inventory_fingerprint(path: &Path, h: &mut impl Hasher) {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let hosts = if path.is_dir() {
        path.join("hosts.yaml")
    } else {
        path.to_path_buf()
    };
    for f in [hosts, dir.join("groups.yaml"), dir.join("defaults.yaml")] {
        std::fs::read(&f).ok().hash(h);
    }
}

/// Hash of what an open session of `host` was opened with: address,
/// login, secrets, platform and its driver build, connection extras. Its
/// groups and `data` are left out: they do not change a session.
fn session_identity(host: &Host, driver: Option<&str>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &host.hostname,
        host.port,
        host.port_explicit,
        &host.username,
    )
        .hash(&mut h);
    host.password.as_ref().map(|s| s.expose()).hash(&mut h);
    host.enable_secret.as_ref().map(|s| s.expose()).hash(&mut h);
    (&host.platform, driver, &host.known_hosts_files).hash(&mut h);
    serde_json::Value::Object(host.extras.clone())
        .to_string()
        .hash(&mut h);
    h.finish()
}

/// Close the sessions of devices no longer polled, or polled with other
/// settings than `process` last knew; remember `now` for the next reload.
/// Returns the devices no longer polled.
async fn retire_sessions(
    process: &mut Process,
    connectivity: &Connectivity,
    now: BTreeMap<String, BTreeSet<u64>>,
) -> HashSet<String> {
    let gone: HashSet<&str> = process
        .sessions
        .iter()
        .filter(|(name, was)| now.get(*name) != Some(*was))
        .map(|(name, _)| name.as_str())
        .collect();
    if !gone.is_empty() {
        let closed = connectivity
            .pool
            .retire(|key| gone.contains(DeviceContext::device_of_pool_key(key)))
            .await;
        tracing::info!(
            devices = gone.len(),
            closed,
            "sessions of devices removed or changed by the reload retired"
        );
    }
    let removed = process
        .sessions
        .keys()
        .filter(|name| !now.contains_key(*name))
        .cloned()
        .collect();
    process.sessions = now;
    removed
}

/// A configuration ready to apply.
struct Planned {
    config: ServeConfig,
    env: Arc<Env>,
    jobs: Vec<PlannedJob>,
    /// Session identities of the devices it polls ([`session_identity`]).
    sessions: BTreeMap<String, BTreeSet<u64>>,
}

/// Read and check the config; load inventories and plugins into `process`.
async fn load(
    path: &Path,
    process: &mut Process,
    shard: Option<crate::runner::shard::Shard>,
) -> anyhow::Result<Planned> {
    let config = ServeConfig::read(path)?;
    let at = |j: &JobConfig| format!("{}: job `{}`", path.display(), j.name);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut selected = Vec::new();
    let mut all_hosts = Vec::new();
    let mut workflows: Vec<String> = Vec::new();
    for j in &config.jobs {
        let inventory = Inventory::load(&base.join(&j.inventory)).with_context(|| at(j))?;
        let filter = Filter {
            hosts: j.hosts.clone(),
            groups: j.groups.clone(),
            ..Default::default()
        }
        .with_fields(&j.filter)
        .with_context(|| at(j))?;
        let hosts = inventory.select(&filter);
        if hosts.is_empty() {
            anyhow::bail!("{}: no devices match its filters", at(j));
        }
        let hosts = super::shard::keep(hosts, shard);
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
    if super::instances_for(concurrency) > process.max_instances {
        tracing::warn!(
            "the jobs' concurrency ({concurrency}) is above what the plugin runtime was sized for at start; restart netrun serve to apply it fully"
        );
    }
    // One runtime for the process: drivers shared, each workflow compiled once.
    let plugin_dirs = process.plugin_dirs.clone();
    let loaded = super::load_plugins_in(
        &process.plugins,
        &plugin_dirs,
        None,
        &Policy::default(),
        &needed,
    )
    .await?;
    let (bundles, _) = crate::runtime::bundle::discover(&plugin_dirs);
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
            super::load_workflow(&process.plugins, &plugin_dirs, &bundles, w, &policy)?,
        );
    }
    // Breakers and pooled sessions outlive polls and reloads: a flapping
    // device stays fenced off, sessions are reused.
    let mut wanted = ConnectivityConfig::default();
    if let Some(n) = config.breaker.threshold {
        wanted.breaker.failure_threshold = n;
    }
    if let Some(d) = config.cool_down() {
        wanted.breaker.cool_down = d;
    }
    if let Some(n) = config.retries {
        wanted.retry.max_attempts = n.saturating_add(1);
    }
    // Keep every polled device's session between polls.
    wanted.pool.max_idle = all_hosts.len();
    let mut longest = Duration::ZERO;
    for j in &config.jobs {
        longest = longest.max(j.times()?.interval);
    }
    wanted.pool.idle_timeout = wanted.pool.idle_timeout.max(longest * 3);
    // A plugin's device metric not set again within three polls belongs to a
    // device or interface that is gone; dropping it keeps memory flat.
    metrics()
        .plugin
        .set_stale_after((longest * 3).max(Duration::from_secs(60)));
    runner::check_named_known_hosts(&all_hosts)?;
    let connectivity = process.connectivity(wanted);
    let mut sessions: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for h in &all_hosts {
        let driver = h
            .platform
            .as_ref()
            .and_then(|p| loaded.platforms.get(p))
            .map(|dp| dp.driver.sha256.as_str());
        sessions
            .entry(h.name.clone())
            .or_default()
            .insert(session_identity(h, driver));
    }
    process.plugins.prune();
    let env = Arc::new(Env {
        connectivity,
        runtime: loaded.runtime,
        platforms: loaded.platforms,
        known_platforms: loaded.known_platforms,
        known_hosts: Arc::new(runner::load_known_hosts(&all_hosts)),
    });
    let mut jobs = Vec::new();
    for (j, hosts) in config.jobs.iter().zip(selected) {
        let Some(plugin) = loaded_workflows.get(&j.workflow).cloned() else {
            anyhow::bail!("{}: workflow {} not loaded", at(j), j.workflow);
        };
        let times = j.times()?;
        let mut settings = Settings {
            concurrency: crate::resilience::cap_concurrency(j.concurrency),
            shard,
            ..Default::default()
        };
        if let Some(t) = times.timeout {
            settings.device_timeout = t;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{j:?}").hash(&mut h);
        inventory_fingerprint(&base.join(&j.inventory), &mut h);
        plugin.sha256.hash(&mut h);
        process.generation.hash(&mut h);
        jobs.push(PlannedJob {
            config: j.clone(),
            hosts,
            interval: times.interval,
            jitter: times.jitter,
            settings,
            job: Job::Workflow {
                plugin,
                params: serde_json::Value::Object(j.params.clone()).to_string(),
            },
            fingerprint: h.finish(),
        });
    }
    Ok(Planned {
        config,
        env,
        jobs,
        sessions,
    })
}

/// Devices of a job with a poll in flight.
type Busy = Arc<Mutex<HashSet<String>>>;

/// A job being polled: what it was started from, and its handles.
struct Running {
    fingerprint: u64,
    handles: JobHandles,
}

/// What a polling job is stopped and waited for with.
#[derive(Clone)]
struct JobHandles {
    /// Ends the poll loop: no new poll starts.
    stop: CancellationToken,
    /// Drained when a reload replaces or removes the job: devices of its
    /// polls in flight that have not started yet are left out (the new
    /// job polls them with the new settings), the started ones finish.
    shutdown: runner::Shutdown,
    /// Devices with a poll in flight, handed on to the job's replacement
    /// so that no device is polled twice at once.
    busy: Busy,
    /// This job's polls in flight.
    runs: tokio_util::task::TaskTracker,
}

impl JobHandles {
    fn new(busy: Busy) -> JobHandles {
        JobHandles {
            stop: CancellationToken::new(),
            shutdown: runner::Shutdown::default(),
            busy,
            runs: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Stop polling and drain the polls in flight.
    fn stop(&self) {
        self.stop.cancel();
        self.shutdown.drain.cancel();
        self.runs.close();
    }
}

/// Poll one job until stopped: each tick runs the devices not still busy
/// from an earlier tick (of this job, or of the job it replaced).
async fn poll(
    env: Arc<Env>,
    job: PlannedJob,
    h: JobHandles,
    all_runs: tokio_util::task::TaskTracker,
) {
    let name = job.config.name.clone();
    loop {
        let free: Vec<Host> = {
            let mut b = h.busy.lock().unwrap_or_else(|p| p.into_inner());
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
            let (env, j, settings, h, name) = (
                env.clone(),
                job.job.clone(),
                job.settings.clone(),
                h.clone(),
                name.clone(),
            );
            let shutdown = h.shutdown.clone();
            let run = async move {
                let summary = runner::run(env, j, free, settings, shutdown, |r| {
                    h.busy
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&r.device);
                    let class = r.error.as_ref().map(|e| e.class);
                    if class == Some(ErrorClass::Cancelled) && h.shutdown.drain.is_cancelled() {
                        // Left to the job that replaced this one.
                        return;
                    }
                    metrics()
                        .device_results
                        .get_or_create(&ResultLabels {
                            job: name.clone(),
                            status: if class.is_some() { "error" } else { "ok" }.into(),
                            class: class.map(|c| c.to_string()).unwrap_or_default(),
                        })
                        .inc();
                })
                .await;
                metrics().run_seconds.observe(summary.wall.as_secs_f64());
                tracing::info!(job = %name, ok = summary.ok, failed = summary.failures(), wall_ms = summary.wall.as_millis() as u64, "poll done");
            };
            all_runs.spawn(h.runs.track_future(run));
        }
        let jitter = if job.jitter.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(rand::random::<f64>() * job.jitter.as_secs_f64())
        };
        tokio::select! {
            _ = tokio::time::sleep(job.interval + jitter) => {}
            _ = h.stop.cancelled() => return,
        }
    }
}

/// The jobs of a reloaded configuration, sorted out against the running ones.
struct Changes {
    /// Unchanged jobs: they keep polling (and keep their sessions).
    kept: usize,
    /// Jobs new or changed, each with the busy set of the job it replaces.
    start: Vec<(PlannedJob, Busy)>,
    /// Jobs removed or replaced, stopped and drained.
    stopped: Vec<JobHandles>,
}

/// Stop the running jobs that `jobs` removes or changes (by fingerprint).
fn stop_changed(running: &mut BTreeMap<String, Running>, jobs: Vec<PlannedJob>) -> Changes {
    let names: HashSet<String> = jobs.iter().map(|j| j.config.name.clone()).collect();
    let mut stopped = Vec::new();
    running.retain(|name, r| {
        let keep = names.contains(name);
        if !keep {
            r.handles.stop();
            stopped.push(r.handles.clone());
        }
        keep
    });
    let (mut kept, mut start) = (0, Vec::new());
    for j in jobs {
        match running.get(&j.config.name) {
            Some(r) if r.fingerprint == j.fingerprint => kept += 1,
            _ => {
                let busy = match running.remove(&j.config.name) {
                    Some(old) => {
                        old.handles.stop();
                        let busy = old.handles.busy.clone();
                        stopped.push(old.handles);
                        busy
                    }
                    None => Busy::default(),
                };
                start.push((j, busy));
            }
        }
    }
    Changes {
        kept,
        start,
        stopped,
    }
}

/// Start polling `jobs`.
fn start(
    running: &mut BTreeMap<String, Running>,
    env: &Arc<Env>,
    jobs: Vec<(PlannedJob, Busy)>,
    all_runs: &tokio_util::task::TaskTracker,
) {
    for (j, busy) in jobs {
        let handles = JobHandles::new(busy);
        running.insert(
            j.config.name.clone(),
            Running {
                fingerprint: j.fingerprint,
                handles: handles.clone(),
            },
        );
        tokio::spawn(poll(env.clone(), j, handles, all_runs.clone()));
    }
}

pub async fn execute(args: ServeArgs, plugin_dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let first = ServeConfig::read(&args.config)?;
    let mut process = Process::new(plugin_dirs, &first)?;
    let shard = args.shard.resolve()?;
    let Planned {
        config,
        env,
        jobs,
        sessions,
    } = load(&args.config, &mut process, shard).await?;
    process.sessions = sessions;
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (set `listen:` in {})",
            config.listen,
            args.config.display()
        )
    })?;
    let ready = Arc::new(AtomicBool::new(false));
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(http::serve(listener, ready.clone(), shutdown.clone()));
    // Informational: serving goes on where standard output is closed.
    let _ = crate::outln!(
        "netrun serve: {} jobs{}; metrics on http://{}/metrics",
        jobs.len(),
        shard.map(|s| format!(", shard {s}")).unwrap_or_default(),
        config.listen
    );
    let runs = tokio_util::task::TaskTracker::new();
    let mut running = BTreeMap::new();
    let jobs = jobs.into_iter().map(|j| (j, Busy::default())).collect();
    start(&mut running, &env, jobs, &runs);
    ready.store(true, Ordering::SeqCst);

    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                match load(&args.config, &mut process, shard).await {
                    Ok(new) => {
                        if new.config.listen != config.listen {
                            tracing::warn!("listen address changes need a restart; keeping {}", config.listen);
                        }
                        let Changes { kept, start: new_jobs, stopped } = stop_changed(&mut running, new.jobs);
                        // Before the new jobs start, so that only sessions
                        // opened under the old configuration are retired:
                        // idle ones now, those of polls in flight as they
                        // come back.
                        let conn = new.env.connectivity.clone();
                        let removed = retire_sessions(&mut process, &conn, new.sessions).await;
                        let started = new_jobs.len();
                        start(&mut running, &new.env, new_jobs, &runs);
                        if !removed.is_empty() && !stopped.is_empty() {
                            // A device the stopped jobs started just before
                            // the reload may open a session after the retire:
                            // close what removed devices left once they end.
                            tokio::spawn(async move {
                                for h in stopped {
                                    h.runs.wait().await;
                                }
                                conn.pool.retire(|key| removed.contains(DeviceContext::device_of_pool_key(key))).await;
                            });
                        }
                        tracing::info!(kept, started, "configuration reloaded from {}", args.config.display());
                    }
                    Err(e) => tracing::error!("reload of {} failed, keeping the running configuration: {}", args.config.display(), crate::error::chain_text(&*e)),
                }
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    // Drain: no new polls, let running ones finish for a while.
    ready.store(false, Ordering::SeqCst);
    for r in running.values() {
        r.handles.stop.cancel();
    }
    runs.close();
    if tokio::time::timeout(Duration::from_secs(15), runs.wait())
        .await
        .is_err()
    {
        tracing::warn!("polls still running after 15 s; exiting");
    }
    shutdown.cancel();
    let _ = server.await;
    Ok(super::EXIT_OK)
}
