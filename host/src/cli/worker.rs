//! `netrun worker --nats URL -i INV`, `netrun run|exec … --nats URL` and
//! `--nats-results SUBJECT`: the command-line side of `crate::cluster`.

use super::{
    Connectivity, Loaded, PluginCache, TargetArgs, connectivity_of, instances_for, load_plugins_in,
    load_workflow, needed_platforms, plan_hosts, secs, settings_of, watch_signals,
};
use crate::cluster::{self, Mirror, NatsOptions, RunSpec, TaskJob, WorkerConfig, WorkflowLoader};
use crate::inventory::Inventory;
use crate::results::Record;
use crate::runner::{self, Env, Shutdown};
use crate::runtime::bundle;
use crate::runtime::policy::Policy;
use anyhow::bail;
use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// NATS flags of `run`, `exec` and `worker`.
#[derive(Debug, Args, Clone, Default)]
pub struct NatsArgs {
    /// Spread the run over `netrun worker` processes through this NATS
    /// JetStream server: nats://HOST:4222 or tls://HOST:4222 (comma-separated
    /// for a cluster).
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// NATS credentials file (JWT and NKey seed, from `nsc generate creds`).
    #[arg(long, value_name = "FILE", env = "NATS_CREDS")]
    pub nats_creds: Option<PathBuf>,
    /// CA certificates to trust for a tls:// NATS server [default: the system's].
    #[arg(long, value_name = "FILE", env = "NATS_CA")]
    pub nats_ca: Option<PathBuf>,
    /// Also publish each record, as it is made, on this NATS subject (server:
    /// --nats, else $NATS_URL, else nats://127.0.0.1:4222).
    #[arg(long, value_name = "SUBJECT")]
    pub nats_results: Option<String>,
    /// With --nats: how long the run waits for its devices, in seconds or
    /// with a unit (90m, 2h); devices no worker finished by then are
    /// recorded `cancelled` [default: 3600].
    #[arg(long, value_name = "SECONDS", requires = "nats", value_parser = super::args::positive_secs)]
    pub run_timeout: Option<f64>,
}

impl NatsArgs {
    fn options(&self, url: String, name: String) -> NatsOptions {
        NatsOptions {
            url,
            creds: self.nats_creds.clone(),
            ca: self.nats_ca.clone(),
            name,
        }
    }

    /// `--nats-results`: connect and start publishing (None when not asked for).
    pub async fn mirror(&self, name: &str) -> anyhow::Result<Option<Mirror>> {
        let Some(subject) = &self.nats_results else {
            return Ok(None);
        };
        check_subject(subject)?;
        let url = self
            .nats
            .clone()
            .or_else(|| std::env::var("NATS_URL").ok())
            .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
        let client = cluster::connect(&self.options(url, name.to_string())).await?;
        Ok(Some(Mirror::start(client, subject.clone())))
    }
}

/// A subject records can be published on: tokens of visible characters, no wildcards.
fn check_subject(subject: &str) -> anyhow::Result<()> {
    let ok = !subject.is_empty()
        && subject.split('.').all(|t| {
            !t.is_empty() && t != "*" && t != ">" && t.chars().all(|c| c.is_ascii_graphic())
        });
    if !ok {
        bail!(
            "bad --nats-results subject `{subject}`: use dot-separated tokens without wildcards, e.g. netrun.records"
        );
    }
    Ok(())
}

/// Arguments of `netrun worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// This worker's name in records and logs [default: HOSTNAME-PID].
    #[arg(long)]
    name: Option<String>,
    /// Seconds a worker may hold a task without a sign of life before
    /// JetStream hands it to another worker (set on the shared consumer;
    /// workers extend it every third of it while a task runs), in seconds or
    /// with a unit (2m).
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = super::args::positive_secs)]
    ack_wait: f64,
    /// Grant workflows a capability their manifest requests (as `netrun run
    /// --grant`): the workers', not the run's, to give.
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Policy file granting capabilities per plugin.
    #[arg(long)]
    policy: Option<PathBuf>,
}

fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    format!("{host}-{}", std::process::id())
}

/// `netrun worker`.
pub async fn worker(a: WorkerArgs, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    let t = &a.target;
    let Some(url) = t.nats.nats.clone() else {
        bail!("netrun worker needs the NATS server: --nats nats://HOST:4222");
    };
    for (set, flag) in [
        (!t.hosts.is_empty(), "--hosts"),
        (!t.groups.is_empty(), "--groups"),
        (!t.filters.is_empty(), "--filter"),
        (t.output.is_some(), "--output"),
        (t.failed_from.is_some(), "--failed-from"),
        (
            t.shard.shard.is_some() || t.shard.shard_count.is_some(),
            "--shard",
        ),
        (t.nats.run_timeout.is_some(), "--run-timeout"),
    ] {
        if set {
            bail!(
                "{flag} is for `netrun run`, not for a worker: a worker does whatever task the run sends (records go back to the run)"
            );
        }
    }
    let name = a.name.clone().unwrap_or_else(worker_name);
    let ack_wait = secs(a.ack_wait, "--ack-wait")?;
    let inventory = Inventory::load(&t.inventory)?;
    let mut hosts = inventory.hosts.clone();
    // password_env / password_command / --username, as a local run resolves them.
    t.credentials.apply(&mut hosts)?;
    runner::check_named_known_hosts(&hosts)?;
    let policy = Policy::load(a.policy.as_deref(), &a.grants)?;
    let cache = Arc::new(PluginCache::new(instances_for(t.concurrency))?);
    let loaded: Loaded =
        load_plugins_in(&cache, dirs, None, &policy, &needed_platforms(&hosts)).await?;
    let settings = settings_of(t, &inventory)?;
    let connectivity = Arc::new(Connectivity::new(&connectivity_of(t)?));
    let evictor = connectivity.pool.spawn_evictor(Duration::from_secs(10));
    let env = Arc::new(Env {
        runtime: loaded.runtime.clone(),
        platforms: loaded.platforms,
        known_platforms: loaded.known_platforms,
        known_hosts: Arc::new(runner::load_known_hosts_with(&hosts, &settings.ssh_config)),
        connectivity: connectivity.clone(),
    });
    let workflows = workflow_loader(cache, dirs, policy);

    let client =
        cluster::connect(&t.nats.options(url.clone(), format!("netrun worker {name}"))).await?;
    let js = async_nats::jetstream::new(client);
    let (tasks, _) = cluster::ensure_streams(&js).await?;
    let consumer = cluster::ensure_worker_consumer(&tasks, ack_wait).await?;
    let mirror = t.nats.mirror(&format!("netrun worker {name}")).await?;
    let shutdown = Shutdown::default();
    let signals = watch_signals(shutdown.clone(), secs(t.grace, "--grace")?)?;
    eprintln!(
        "netrun worker {name}: {} devices in {}; pulling tasks from {url} (stream {}, consumer {})",
        hosts.len(),
        t.inventory.display(),
        cluster::TASK_STREAM,
        cluster::WORKER_CONSUMER,
    );
    let config = WorkerConfig {
        name: name.clone(),
        env,
        hosts: hosts.into_iter().map(|h| (h.name.clone(), h)).collect(),
        settings,
        workflows,
        mirror,
    };
    let stats = cluster::run_worker(config, js, consumer, shutdown).await?;
    signals.abort();
    evictor.abort();
    connectivity.pool.close_all().await;
    use std::sync::atomic::Ordering::Relaxed;
    eprintln!(
        "netrun worker {name}: stopped; {} tasks done, {} handed back, {} messages dropped",
        stats.done.load(Relaxed),
        stats.returned.load(Relaxed),
        stats.dropped.load(Relaxed)
    );
    Ok(super::EXIT_OK)
}

/// Workflows are compiled the first time a task names them, then kept.
fn workflow_loader(plugins: Arc<PluginCache>, dirs: &[PathBuf], policy: Policy) -> WorkflowLoader {
    let dirs = dirs.to_vec();
    let (bundles, _) = bundle::discover(&dirs);
    let cache: Mutex<HashMap<String, Arc<crate::runtime::Plugin>>> = Mutex::default();
    Arc::new(move |name: &str| {
        let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(name) {
            return Ok(p.clone());
        }
        let plugin = load_workflow(&plugins, &dirs, &bundles, name, &policy)
            .map_err(|e| crate::error::chain_text(&*e))?;
        cache.insert(name.to_string(), plugin.clone());
        Ok(plugin)
    })
}

/// `netrun run|exec … --nats URL`: publish the tasks, gather the records.
pub async fn distribute(t: &TargetArgs, job: TaskJob, grants_given: bool) -> anyhow::Result<i32> {
    let Some(url) = t.nats.nats.clone() else {
        bail!("--nats URL is needed to spread a run over workers");
    };
    if t.credentials.username.is_some() || t.credentials.ask_pass {
        bail!(
            "--username and --ask-pass are the workers' to give with --nats (credentials never go on the bus): pass them to `netrun worker`"
        );
    }
    if t.templates.is_some() {
        bail!(
            "--templates names a folder on this machine; with --nats the workers parse: give it to `netrun worker` as NET_TEXTFSM"
        );
    }
    if grants_given {
        tracing::warn!(
            "--grant and --policy are ignored with --nats: each worker grants plugins their capabilities (netrun worker --grant)"
        );
    }
    let (inventory, hosts) = plan_hosts(t)?;
    let settings = settings_of(t, &inventory)?;
    let deadline = secs(t.nats.run_timeout.unwrap_or(3600.0), "--run-timeout")?;
    let run_id = cluster::new_run_id();
    let client =
        cluster::connect(&t.nats.options(url.clone(), format!("netrun run {run_id}"))).await?;
    let js = async_nats::jetstream::new(client);
    let mirror = t.nats.mirror(&format!("netrun run {run_id}")).await?;
    let mut sink = super::open_sink(t)?;
    let shutdown = Shutdown::default();
    let signals = watch_signals(shutdown.clone(), secs(t.grace, "--grace")?)?;
    let spec = RunSpec {
        run_id: run_id.clone(),
        job,
        timeouts: settings.forced_timeouts.into(),
        devices: hosts.iter().map(|h| h.name.clone()).collect(),
        deadline,
    };
    let mut records: Vec<Record> = Vec::with_capacity(hosts.len());
    let mut write_error = None;
    let drain = shutdown.drain.clone();
    let gathered = cluster::gather(&js, &spec, shutdown.drain.clone(), |mut r| {
        r.placement.shard = settings.shard.map(|s| s.to_string());
        if let Some(s) = sink.as_mut()
            && s.write_keeping_error(&r, &mut write_error)
        {
            // `-o - | head`: nobody takes the records; dispatch no more.
            drain.cancel();
        }
        if let Some(m) = &mirror {
            m.send(&r);
        }
        records.push(r);
    })
    .await;
    signals.abort();
    if let Some(m) = mirror {
        m.finish().await;
    }
    let gathered = gathered?;
    let mut notes = vec![format!(
        "NATS run {run_id}: {} workers, {} results of redelivered tasks dropped, {} devices not done by a worker",
        gathered.workers.len(),
        gathered.duplicates,
        gathered.timed_out
    )];
    if let Some(s) = settings.shard {
        notes.push(format!(
            "shard {s}: {} of the selected devices",
            records.len()
        ));
    }
    super::report(
        t,
        sink.as_mut(),
        &records,
        &gathered.summary,
        &notes,
        write_error,
        shutdown.drain.is_cancelled(),
    )
}
