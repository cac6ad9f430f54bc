//! The runner: fans a job out over the planned devices (`JoinSet` +
//! `Semaphore`), gives every device exactly one record, whatever happens.

use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::resilience::breaker::{BreakerConfig, Breakers, State};
use crate::resilience::deadline::{self, Progress};
use crate::resilience::pool::{Pool, PoolConfig};
use crate::resilience::retry::RetryPolicy;
use crate::results::{Record, Summary};
use crate::runtime::device::{
    Connectivity, DeviceContext, DeviceSpec, Limits, getter_failed_alone,
};
use crate::runtime::{DriverPlatform, Plugin, PluginDevice, Runtime, check_output};
use crate::transport::jump::JumpPool;
use crate::transport::known_hosts::{HostKeyPolicy, KnownHosts};
use crate::transport::ssh_config::SshConfig;
use crate::transport::{Target, Timeouts};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

mod exec;
pub mod shard;
mod target;
pub use exec::ExecOptions;
pub use target::target_of as resolve_target;

/// What to do on each device.
#[derive(Clone)]
pub enum Job {
    /// Run a workflow plugin with JSON parameters.
    Workflow {
        /// The workflow.
        plugin: Arc<Plugin>,
        /// Parameters object, as JSON text.
        params: String,
    },
    /// Send ad-hoc commands; parse each when the driver can.
    Exec {
        /// Commands, in order.
        commands: Vec<String>,
        /// What happens after a rejected command; prompts to answer.
        options: ExecOptions,
    },
    /// Configuration work: backup, diff, templated change.
    Config(Arc<crate::config::Operation>),
    /// NAPALM-style getters (`facts`, `interfaces`, …), one field each.
    Get {
        /// Getter names, without `get_`.
        getters: Vec<String>,
    },
}

impl Job {
    /// The job's name in logs and metrics.
    pub fn name(&self) -> String {
        match self {
            Job::Workflow { plugin, .. } => plugin.bundle.manifest.name.clone(),
            Job::Exec { .. } => "exec".to_string(),
            Job::Config(op) => op.name().to_string(),
            Job::Get { .. } => "get".to_string(),
        }
    }
}

/// Timeouts given for this run that win over the inventory's (the
/// command-line flags that were set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeoutOverrides {
    /// TCP connect.
    pub connect: Option<Duration>,
    /// SSH banner and key exchange.
    pub handshake: Option<Duration>,
    /// Authentication.
    pub auth: Option<Duration>,
    /// First prompt and each mode change.
    pub prompt: Option<Duration>,
    /// Each command.
    pub command: Option<Duration>,
    /// The whole device task.
    pub device: Option<Duration>,
}

impl TimeoutOverrides {
    /// Apply the overrides that are set onto `timeouts` and `device`.
    fn apply(&self, timeouts: &mut Timeouts, device: &mut Duration) {
        let set = |slot: &mut Duration, v: Option<Duration>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut timeouts.connect, self.connect);
        set(&mut timeouts.handshake, self.handshake);
        set(&mut timeouts.auth, self.auth);
        set(&mut timeouts.prompt, self.prompt);
        set(&mut timeouts.command, self.command);
        set(device, self.device);
    }

    /// The inventory's `connection_options.netrun.extras.timeouts` of
    /// `host`: `{connect, handshake, auth, prompt, command, device}` in
    /// seconds, or as a duration with a unit (`90s`, `500ms`, `2m`).
    /// Unknown keys and non-positive values are refused.
    pub fn of_host(host: &Host) -> Result<TimeoutOverrides, Error> {
        let mut o = TimeoutOverrides::default();
        let Some(v) = host.extras.get("timeouts") else {
            return Ok(o);
        };
        let bad = |what: String| {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: connection_options.netrun.extras.timeouts {what}: use seconds or a unit, e.g. {{connect: 5, handshake: 10, auth: 10, prompt: 10, command: 30s, device: 2m}}",
                    host.name
                ),
            )
        };
        let Some(map) = v.as_object() else {
            return Err(bad(format!("is {v}, not a mapping")));
        };
        for (key, value) in map {
            let secs = match value {
                serde_json::Value::String(s) => crate::cli::args::positive_secs(s).ok(),
                v => v.as_f64().and_then(crate::cli::args::positive),
            }
            .ok_or_else(|| {
                bad(format!(
                    "`{key}` is {value}, not a positive number of seconds or a duration (500ms, 90s, 2m)"
                ))
            })?;
            let d = Some(Duration::from_secs_f64(secs));
            match key.as_str() {
                "connect" => o.connect = d,
                "handshake" => o.handshake = d,
                "auth" => o.auth = d,
                "prompt" => o.prompt = d,
                "command" => o.command = d,
                "device" => o.device = d,
                other => return Err(bad(format!("has an unknown key `{other}`"))),
            }
        }
        Ok(o)
    }
}

/// Limits and settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Devices worked on at once.
    pub concurrency: usize,
    /// Devices of a group worked on at once (inventory `max_sessions` of
    /// the group, or `--group-limit`).
    pub group_limits: BTreeMap<String, usize>,
    /// Deadline for everything done on one device (default 120 s).
    pub device_timeout: Duration,
    /// Phase timeouts of sessions.
    pub timeouts: Timeouts,
    /// Timeouts that win over the inventory's (set on the command line).
    pub forced_timeouts: TimeoutOverrides,
    /// Host-key policy.
    pub host_key_policy: HostKeyPolicy,
    /// Where accept-new records keys.
    pub accept_new_file: Option<PathBuf>,
    /// Whether the host-key policy was given on the command line (it then
    /// wins over ssh_config's StrictHostKeyChecking).
    pub host_key_policy_explicit: bool,
    /// Whether `--connect-timeout` was given (it then wins over ssh_config's ConnectTimeout).
    pub connect_timeout_explicit: bool,
    /// The OpenSSH client configuration, read once per run.
    pub ssh_config: Arc<SshConfig>,
    /// Jump-host sessions shared by the run's devices.
    pub jump_pool: Arc<JumpPool>,
    /// Folder of per-device session transcripts.
    pub session_log: Option<PathBuf>,
    /// The static shard this run works on; named in every record.
    pub shard: Option<shard::Shard>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 100,
            group_limits: BTreeMap::new(),
            device_timeout: Duration::from_secs(120),
            timeouts: Timeouts::default(),
            forced_timeouts: TimeoutOverrides::default(),
            host_key_policy: HostKeyPolicy::Strict,
            accept_new_file: user_known_hosts(),
            host_key_policy_explicit: false,
            connect_timeout_explicit: false,
            ssh_config: Arc::new(SshConfig::default()),
            jump_pool: Arc::new(JumpPool::default()),
            session_log: None,
            shard: None,
        }
    }
}

impl Settings {
    /// The phase timeouts and device deadline of `host`: built-in defaults,
    /// then the inventory's, then the command line's.
    pub fn timeouts_of(&self, host: &Host) -> Result<(Timeouts, Duration), Error> {
        let (mut timeouts, mut device) = (self.timeouts, self.device_timeout);
        TimeoutOverrides::of_host(host)?.apply(&mut timeouts, &mut device);
        self.forced_timeouts.apply(&mut timeouts, &mut device);
        Ok((timeouts, device))
    }
}

/// `~/.ssh/known_hosts`.
pub fn user_known_hosts() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".ssh").join("known_hosts"))
}

/// What the runner needs from the rest of the process. The pool and the
/// breakers live here so a long-lived process (`netrun serve`) keeps them
/// across runs.
pub struct Env {
    /// The plugin runtime.
    pub runtime: Arc<Runtime>,
    /// Platforms by `device_type`, with their drivers.
    pub platforms: BTreeMap<String, DriverPlatform>,
    /// Every platform the installed drivers name, for the "did you mean" of
    /// a platform none defines.
    pub known_platforms: Vec<String>,
    /// Known host keys, read once.
    pub known_hosts: Arc<KnownHosts>,
    /// Session pool, breakers and retry policy.
    pub connectivity: Arc<Connectivity>,
}

/// How sessions are reached: pool, breakers, retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectivityConfig {
    /// The session pool.
    pub pool: PoolConfig,
    /// Each device's circuit breaker.
    pub breaker: BreakerConfig,
    /// Retries of the connect/login step.
    pub retry: RetryPolicy,
}

impl Connectivity {
    /// An empty pool and fresh breakers.
    pub fn new(config: &ConnectivityConfig) -> Connectivity {
        Connectivity {
            pool: Arc::new(Pool::new(config.pool)),
            breakers: Arc::new(Breakers::with_observer(
                config.breaker,
                |_device, from, to| {
                    let m = crate::telemetry::metrics();
                    m.breaker_transitions
                        .get_or_create(&crate::telemetry::TransitionLabels {
                            from: from.to_string(),
                            to: to.to_string(),
                        })
                        .inc();
                    if to == State::Open {
                        m.breakers_open.inc();
                    } else if from == State::Open {
                        m.breakers_open.dec();
                    }
                },
            )),
            retry: config.retry,
            http: Arc::default(),
        }
    }
}

/// How a run stops early. `drain`: no device is started any more (the
/// first signal); `abort`: devices in flight are cancelled (grace over, or
/// the second signal). Each device still gets its record.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Stop starting devices and dialling.
    pub drain: CancellationToken,
    /// Cancel what is in flight.
    pub abort: CancellationToken,
}

impl Shutdown {
    /// Whether a drain or an abort has begun.
    fn stopping(&self) -> bool {
        self.drain.is_cancelled() || self.abort.is_cancelled()
    }

    /// Resolves once a drain or an abort has begun.
    async fn stopped(&self) {
        tokio::select! {
            _ = self.drain.cancelled() => {}
            _ = self.abort.cancelled() => {}
        }
    }
}

/// The known_hosts files of a run: the user's, then every file the
/// inventory names, each read once.
pub fn load_known_hosts(hosts: &[Host]) -> KnownHosts {
    load_known_hosts_with(hosts, &SshConfig::default())
}

/// As [`load_known_hosts`], plus ssh_config's `UserKnownHostsFile`s of each host.
pub fn load_known_hosts_with(hosts: &[Host], ssh_config: &SshConfig) -> KnownHosts {
    let mut files: Vec<PathBuf> = user_known_hosts().into_iter().collect();
    for h in hosts {
        for f in ssh_config.for_host(&h.hostname).user_known_hosts_files {
            if !files.contains(&f) {
                files.push(f);
            }
        }
        for f in &h.known_hosts_files {
            if !files.contains(f) {
                files.push(f.clone());
            }
        }
    }
    KnownHosts::load(&files)
}

/// Check that every known_hosts file the inventory names can be read: a
/// mistyped path would otherwise surface only later, per device, as "host
/// key not known". The error names the host and the file.
pub fn check_named_known_hosts(hosts: &[Host]) -> Result<(), Error> {
    // A fleet's hosts mostly name the same file: look at each once.
    let mut seen = std::collections::HashSet::new();
    for h in hosts {
        for f in &h.known_hosts_files {
            if !seen.insert(f) {
                continue;
            }
            let problem = match std::fs::metadata(f) {
                Ok(m) if m.is_dir() => Some("is a folder, not a file".to_string()),
                Ok(_) => std::fs::File::open(f)
                    .err()
                    .map(|e| format!("cannot be read ({e})")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Some("does not exist".to_string())
                }
                Err(e) => Some(format!("cannot be read ({e})")),
            };
            if let Some(problem) = problem {
                return Err(Error::new(
                    ErrorClass::Inventory,
                    format!(
                        "{}: the known_hosts file {} named in the inventory (connection_options.netrun.extras.known_hosts) {problem}: fix the path, or create the file with `ssh-keyscan -p {} {} >> {}`",
                        h.name,
                        f.display(),
                        h.port,
                        h.hostname,
                        f.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Permits a device needs before it starts: its limited groups', then the
/// run's. Taken in this fixed order (groups sorted by name) so tasks never
/// wait on each other in a cycle; groups first so a device waiting for its
/// group does not hold one of the run's slots.
pub(crate) struct Gates {
    run: Arc<Semaphore>,
    groups: BTreeMap<String, Arc<Semaphore>>,
}

impl Gates {
    pub(crate) fn new(settings: &Settings) -> Gates {
        Gates {
            run: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            groups: settings
                .group_limits
                .iter()
                .map(|(g, n)| (g.clone(), Arc::new(Semaphore::new((*n).max(1)))))
                .collect(),
        }
    }

    pub(crate) async fn enter(&self, host: &Host) -> Vec<OwnedSemaphorePermit> {
        let mut permits = Vec::new();
        for (group, sem) in &self.groups {
            if host.groups.contains(group)
                && let Ok(p) = sem.clone().acquire_owned().await
            {
                permits.push(p);
            }
        }
        // Never closed: acquiring cannot fail.
        if let Ok(p) = self.run.clone().acquire_owned().await {
            permits.push(p);
        }
        permits
    }
}

/// Run `job` over `hosts`; `on_record` sees each record as it completes.
/// Returns when every device has its record.
pub async fn run(
    env: Arc<Env>,
    job: Job,
    hosts: Vec<Host>,
    settings: Settings,
    shutdown: Shutdown,
    mut on_record: impl FnMut(Record),
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let run = Arc::new(RunShared {
        gates: Gates::new(&settings),
        settings,
        env,
        job_name: job.name(),
        job,
        shutdown,
        // Every log record of a device carries the run id and the device
        // name, so one device's story can be filtered out of a
        // 10,000-device log.
        run_id: format!("{:08x}", rand::random::<u32>()),
    });
    let mut tasks: JoinSet<Record> = JoinSet::new();
    let mut names: HashMap<tokio::task::Id, String> = HashMap::new();
    tracing::info!(run_id = %run.run_id, job = %run.job_name, devices = hosts.len(), "run started");
    let shard = run.settings.shard.map(|s| s.to_string());
    let mut deliver = |mut record: Record| {
        record.placement.shard.clone_from(&shard);
        summary.add(&record);
        on_record(record);
    };
    // A device of a limited group waits for its group's slot in a task of
    // its own, so a full group holds back no other device. Without group
    // limits devices start in inventory order, and a device gets its task
    // (its host, span and future) only once it holds one of the run's
    // slots: 10,000 queued devices cost their place in the list, not
    // kilobytes each.
    let mut queue = hosts.into_iter();
    if !run.settings.group_limits.is_empty() {
        for host in queue.by_ref() {
            let name = host.name.clone();
            let id = tasks.spawn(device_task(run.clone(), host, None)).id();
            names.insert(id, name);
        }
    }
    loop {
        tokio::select! {
            biased;
            Some(joined) = tasks.join_next_with_id() => deliver(match joined {
                Ok((id, r)) => {
                    names.remove(&id);
                    r
                }
                Err(e) => {
                    let device = names.remove(&e.id()).unwrap_or_else(|| "?".into());
                    Record::failed(
                        &device,
                        Error::new(
                            ErrorClass::Internal,
                            format!("{device}: internal error (task failed: {e}); please report it"),
                        ),
                        Duration::ZERO,
                        0,
                    )
                }
            }),
            permit = run.gates.run.clone().acquire_owned(), if queue.len() > 0 && !run.shutdown.stopping() => {
                if let (Ok(permit), Some(host)) = (permit, queue.next()) {
                    let name = host.name.clone();
                    let id = tasks.spawn(device_task(run.clone(), host, Some(vec![permit]))).id();
                    names.insert(id, name);
                }
            }
            () = run.shutdown.stopped(), if queue.len() > 0 => {
                for host in queue.by_ref() {
                    deliver(not_started(&host.name, started, "the run was interrupted"));
                }
            }
            else => break,
        }
    }
    let run_id = &run.run_id;
    summary.wall = started.elapsed();
    tracing::info!(run_id = %run_id, ok = summary.ok, failed = summary.failures(), wall_ms = summary.wall.as_millis() as u64, "run finished");
    summary
}

/// What every device task of a run shares.
struct RunShared {
    env: Arc<Env>,
    job: Job,
    /// `job.name()`, named in every device's log span.
    job_name: String,
    gates: Gates,
    settings: Settings,
    shutdown: Shutdown,
    run_id: String,
}

/// The record of a device the run did not start.
fn not_started(device: &str, queued: Instant, why: &str) -> Record {
    Record::failed(
        device,
        Error::new(
            ErrorClass::Cancelled,
            format!("{device}: not started, {why}; run again for the devices marked cancelled"),
        ),
        queued.elapsed(),
        0,
    )
}

/// One device from its turn to its record: waits for its slots unless
/// `admitted` holds them already.
async fn device_task(
    run: Arc<RunShared>,
    host: Host,
    admitted: Option<Vec<OwnedSemaphorePermit>>,
) -> Record {
    let span = tracing::info_span!("device", run_id = %run.run_id, device = %host.name, job = %run.job_name);
    let RunShared {
        env,
        job,
        gates,
        settings,
        shutdown,
        ..
    } = &*run;
    async move {
        let queued = Instant::now();
        let device = host.name.clone();
        let interrupted = || not_started(&device, queued, "the run was interrupted");
        let permits = match admitted {
            Some(p) => p,
            None => tokio::select! {
                p = gates.enter(&host) => p,
                () = shutdown.stopped() => return interrupted(),
            },
        };
        if shutdown.stopping() {
            return interrupted();
        }
        let _permits = permits;
        let start = Instant::now();
        let progress = Arc::new(Progress::default());
        let outcome: Result<(Value, Option<Error>), Error> = match settings.timeouts_of(&host) {
            Err(e) => Err(e),
            Ok((timeouts, limit)) => {
                let limits = Limits {
                    deadline: start.checked_add(limit),
                    stop: shutdown.drain.clone(),
                    progress: progress.clone(),
                };
                // Boxed, the device's work apart from its deadline: a
                // future passed in and then awaited in place is stored
                // twice, and a thousand devices in flight hold theirs.
                Box::pin(deadline::within(
                    &device,
                    limit,
                    &shutdown.abort,
                    &progress,
                    Box::pin(run_device(env, job, &host, settings, timeouts, limits)),
                ))
                .await
            }
        };
        let attempts = progress.attempts();
        match outcome {
            Ok((data, None)) => Record::ok(&device, data, start.elapsed(), attempts),
            // Failed part-way: the record keeps what was done before.
            Ok((data, Some(e))) => {
                let mut r = Record::failed(&device, e, start.elapsed(), attempts);
                r.data = Some(data);
                r
            }
            Err(e) => Record::failed(&device, e, start.elapsed(), attempts),
        }
    }
    .instrument(span)
    .await
}

fn target_of(
    host: &Host,
    env: &Env,
    settings: &Settings,
    timeouts: Timeouts,
) -> Result<Target, Error> {
    let mut t = target::target_of(host, env.known_hosts.clone(), settings)?;
    // Phase timeouts: defaults, then ssh_config's ConnectTimeout, then the
    // inventory's, then the command line's.
    let from_ssh_config = t.timeouts.connect;
    t.timeouts = timeouts;
    if settings.forced_timeouts.connect.is_none()
        && TimeoutOverrides::of_host(host)?.connect.is_none()
    {
        t.timeouts.connect = from_ssh_config;
    }
    Ok(t)
}

async fn run_device(
    env: &Env,
    job: &Job,
    host: &Host,
    settings: &Settings,
    timeouts: Timeouts,
    limits: Limits,
) -> Result<(Value, Option<Error>), Error> {
    let target = target_of(host, env, settings, timeouts)?;
    let platform_name = host.platform.clone().unwrap_or_default();
    let platform = env.platforms.get(&platform_name).cloned();
    if platform.is_none() && !platform_name.is_empty() {
        return Err(unknown_platform(host, &platform_name, &env.known_platforms));
    }
    let driver_name = platform
        .as_ref()
        .map(|dp| dp.driver.bundle.manifest.name.clone())
        .unwrap_or_default();
    let mut ctx = DeviceContext::new(
        DeviceSpec {
            target,
            platform,
            platform_name,
            http_endpoint: crate::transport::http::Endpoint::of(host),
        },
        env.runtime.clone(),
        env.connectivity.clone(),
        limits,
    );
    // Each kind of job's state boxed on its own: the device's future then
    // holds the state of the job it runs, not room for the largest of them
    // (configuration changes need tens of kilobytes; a workflow far less),
    // and a thousand devices in flight hold a thousand of them.
    match job {
        Job::Exec { commands, options } => {
            // The driver's manifest says whether its commands may go over
            // the device's API; the inventory says whether it has one.
            let over_api = env
                .platforms
                .get(host.platform.as_deref().unwrap_or_default())
                .is_some_and(|dp| dp.driver.bundle.manifest.exec_api.is_some())
                && matches!(crate::transport::http::Endpoint::of(host), Ok(Some(_)));
            let result = Box::pin(exec::exec(
                &mut ctx,
                commands,
                options,
                over_api,
                &driver_name,
            ))
            .await;
            ctx.close().await;
            Ok(result)
        }
        Job::Workflow { plugin, params } => Box::pin(run_workflow(env, plugin, params, host, ctx))
            .await
            .map(|v| (v, None)),
        Job::Config(op) => {
            let result = Box::pin(crate::config::on_device(&mut ctx, host, op)).await;
            ctx.close().await;
            result.map(|v| (v, None))
        }
        Job::Get { getters } => {
            let result = Box::pin(get_all(&mut ctx, getters)).await;
            ctx.close().await;
            Ok(result)
        }
    }
}

/// Every getter in turn, a field each. Getters the device's platform does
/// not answer, or this device cannot (its driver says `unsupported`: a
/// Linux host without an LLDP agent), are listed under `unsupported`, the
/// reasons of the latter under `unsupported_reasons` (a mixed fleet asked
/// for `interfaces` still gives every device's other answers). A getter
/// whose output does not parse or whose command the device refuses fails
/// alone: the others still run, and the device's error is the first such
/// failure (every one is under `failed`). Any other failure (the session
/// lost, a deadline) ends the device, the answers before it kept.
async fn get_all(ctx: &mut DeviceContext, getters: &[String]) -> (Value, Option<Error>) {
    let mut data = serde_json::Map::new();
    let answered = match ctx.getters().await {
        Ok(a) => a,
        Err(e) => return (Value::Object(data), Some(e)),
    };
    let (getters, mut unsupported): (Vec<&String>, Vec<&String>) =
        getters.iter().partition(|g| answered.contains(g));
    let mut reasons = serde_json::Map::new();
    let mut failed = serde_json::Map::new();
    let mut first_failure: Option<Error> = None;
    let mut fatal: Option<Error> = None;
    for getter in getters {
        ctx.set_step(format!("getter {getter}"));
        let answer = match ctx.get(getter).await {
            Ok(text) => serde_json::from_str::<Value>(&text).map_err(|e| {
                Error::new(
                    ErrorClass::Parse,
                    format!("getter {getter}: the driver answered text that is not JSON ({e}): fix or update the driver"),
                )
            }),
            Err(mut e) => {
                if !e.message.contains(getter.as_str()) {
                    e.message = format!("getter {getter}: {}", e.message);
                }
                Err(e)
            }
        };
        match answer {
            Ok(v) => {
                data.insert(getter.clone(), v);
            }
            Err(e) if e.class == ErrorClass::Unsupported => {
                reasons.insert(getter.clone(), Value::String(e.message));
                unsupported.push(getter);
            }
            Err(e) if getter_failed_alone(&e) => {
                failed.insert(
                    getter.clone(),
                    Value::String(format!("{}: {}", e.class.as_str(), e.message)),
                );
                first_failure.get_or_insert(e);
            }
            Err(e) => {
                fatal = Some(e);
                break;
            }
        }
    }
    if !unsupported.is_empty() {
        data.insert("unsupported".into(), serde_json::json!(unsupported));
    }
    if !reasons.is_empty() {
        data.insert("unsupported_reasons".into(), Value::Object(reasons));
    }
    if !failed.is_empty() {
        data.insert("failed".into(), Value::Object(failed));
    }
    (Value::Object(data), fatal.or(first_failure))
}

/// A host whose platform no installed driver defines: one line naming the
/// host, the platform and the closest installed ones.
fn unknown_platform(host: &Host, name: &str, known: &[String]) -> Error {
    let names: Vec<&str> = known.iter().map(String::as_str).collect();
    let hint = crate::inventory::closest(name, &names)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Error::new(
        ErrorClass::Inventory,
        format!(
            "{}: no installed driver defines platform `{name}`{hint}; installed platforms: {}",
            host.name,
            if names.is_empty() {
                "none (install a driver plugin)".to_string()
            } else {
                names.join(", ")
            }
        ),
    )
}

async fn run_workflow(
    env: &Env,
    plugin: &Plugin,
    params: &str,
    host: &Host,
    mut ctx: DeviceContext,
) -> Result<Value, Error> {
    let manifest = &plugin.bundle.manifest;
    let name = &manifest.name;
    if manifest.connects_before_start() {
        // A plugin runs only with every capability it requests granted.
        let api_allowed = manifest.capabilities.http.iter().any(|h| h == "device");
        // Boxed: the login's and the getters' futures are needed only here.
        Box::pin(ctx.before_start(api_allowed, &manifest.prefetch)).await;
    }
    ctx.set_step(format!("running workflow {name}"));
    let mut store =
        env.runtime
            .store(plugin, Arc::from(host.name.as_str()), Some(Box::new(ctx)))?;
    let device = PluginDevice {
        name: host.name.clone(),
        hostname: host.hostname.clone(),
        platform: host.platform.clone().unwrap_or_default(),
        groups: host.groups.clone(),
        // Written from the host's map, not a copy of it: a map of strings
        // and values always serialises.
        data: serde_json::to_string(&host.data).unwrap_or_else(|_| "{}".into()),
    };
    let started = std::time::Instant::now();
    let outcome = env
        .runtime
        .run_workflow(plugin, &mut store, &device, params)
        .instrument(tracing::debug_span!("plugin", plugin = %name, call = "run"))
        .await;
    crate::telemetry::metrics()
        .plugin_call_seconds
        .get_or_create(&crate::telemetry::PluginLabels {
            plugin: name.clone(),
            call: "run".into(),
        })
        .observe(started.elapsed().as_secs_f64());
    if let Some(c) = store.data_mut().ctx.as_mut() {
        c.close().await;
    }
    let output_limit = store.data().output_limit;
    match outcome {
        Ok(json) => {
            check_output(name, "run", &json, output_limit)?;
            serde_json::from_str(&json).map_err(|e| {
                Error::new(
                    ErrorClass::Internal,
                    format!("plugin {name} returned invalid JSON: {e}"),
                )
            })
        }
        // The plugin's own error (or the host error it passed on, class
        // kept by the contract), or its classified trap.
        Err(mut e) => {
            if !e.message.starts_with(host.name.as_str()) {
                e.message = format!("{}: workflow {name}: {}", host.name, e.message);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn host(name: &str, groups: &[&str], extras: Value) -> Host {
        Host {
            name: name.into(),
            hostname: "127.0.0.1".into(),
            port: 22,
            port_explicit: false,
            username: Some("admin".into()),
            password: None,
            enable_secret: None,
            platform: Some("cisco_ios".into()),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            data: Map::new(),
            known_hosts_files: Vec::new(),
            extras: extras.as_object().cloned().unwrap_or_default(),
            http: None,
        }
    }

    #[test]
    fn timeouts_come_from_defaults_then_the_inventory_then_the_command_line() {
        let h = host(
            "r1",
            &[],
            json!({"timeouts": {"connect": 1, "prompt": 2.5, "device": 60, "command": "90s", "auth": "1500ms"}}),
        );
        let mut settings = Settings::default();
        let (t, device) = settings.timeouts_of(&h).unwrap();
        assert_eq!(t.connect, Duration::from_secs(1));
        assert_eq!(t.prompt, Duration::from_millis(2500));
        assert_eq!(t.handshake, Timeouts::default().handshake);
        assert_eq!(device, Duration::from_secs(60));
        assert_eq!(t.command, Duration::from_secs(90));
        assert_eq!(t.auth, Duration::from_millis(1500));

        settings.forced_timeouts.connect = Some(Duration::from_secs(7));
        let (t, device) = settings.timeouts_of(&h).unwrap();
        assert_eq!(t.connect, Duration::from_secs(7));
        assert_eq!(device, Duration::from_secs(60));
    }

    #[test]
    fn a_known_hosts_file_named_in_the_inventory_must_exist() {
        let dir = std::env::temp_dir().join(format!("netrun-kh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let present = dir.join("kh_present");
        std::fs::write(&present, "").unwrap();
        let mut ok = host("r1", &[], json!({}));
        ok.known_hosts_files = vec![present];
        let mut bad = host("r2", &[], json!({}));
        bad.known_hosts_files = vec![dir.join("kh_missing")];
        assert!(check_named_known_hosts(std::slice::from_ref(&ok)).is_ok());
        let e = check_named_known_hosts(&[ok, bad]).unwrap_err();
        assert_eq!(e.class, ErrorClass::Inventory);
        assert!(e.message.starts_with("r2: "), "{}", e.message);
        assert!(e.message.contains("kh_missing"), "{}", e.message);
        assert!(e.message.contains("does not exist"), "{}", e.message);
        let mut folder = host("r3", &[], json!({}));
        folder.known_hosts_files = vec![dir.clone()];
        let e = check_named_known_hosts(&[folder]).unwrap_err();
        assert!(e.message.contains("is a folder"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let (t, device) = Settings::default()
            .timeouts_of(&host("r1", &[], json!({})))
            .unwrap();
        let secs = |d: Duration| d.as_secs();
        assert_eq!(
            [t.connect, t.handshake, t.auth, t.prompt, t.command, device].map(secs),
            [5, 10, 10, 10, 30, 120]
        );
    }

    #[test]
    fn a_bad_inventory_timeout_is_an_inventory_error_naming_the_host_and_key() {
        for (extras, words) in [
            (json!({"timeouts": {"conect": 5}}), "unknown key `conect`"),
            (json!({"timeouts": {"command": 0}}), "`command`"),
            (json!({"timeouts": {"auth": "ten"}}), "`auth`"),
            (json!({"timeouts": {"auth": "-5s"}}), "`auth`"),
            (json!({"timeouts": {"prompt": "0ms"}}), "`prompt`"),
            (json!({"timeouts": 5}), "not a mapping"),
        ] {
            let e = Settings::default()
                .timeouts_of(&host("r9", &[], extras))
                .unwrap_err();
            assert_eq!(e.class, ErrorClass::Inventory);
            assert!(
                e.message
                    .starts_with("r9: connection_options.netrun.extras.timeouts")
                    && e.message.contains(words),
                "{}",
                e.message
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_limit_lets_at_most_that_many_devices_of_the_group_in_at_once() {
        let settings = Settings {
            concurrency: 100,
            group_limits: BTreeMap::from([("site-a".to_string(), 2)]),
            ..Default::default()
        };
        let gates = Arc::new(Gates::new(&settings));
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for i in 0..6 {
            let (gates, inside, most) = (gates.clone(), inside.clone(), most.clone());
            let h = host(&format!("a{i}"), &["site-a"], json!({}));
            tasks.spawn(async move {
                let _p = gates.enter(&h).await;
                use std::sync::atomic::Ordering::SeqCst;
                let n = inside.fetch_add(1, SeqCst) + 1;
                most.fetch_max(n, SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                inside.fetch_sub(1, SeqCst);
            });
        }
        // Devices outside the group are not held up by it.
        let other = host("b1", &["site-b"], json!({}));
        let entered = tokio::time::timeout(Duration::from_millis(1), gates.enter(&other)).await;
        assert!(entered.is_ok());
        let start = Instant::now();
        while tasks.join_next().await.is_some() {}
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "6 devices, 2 at a time"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_run_limit_applies_across_groups() {
        let settings = Settings {
            concurrency: 1,
            group_limits: BTreeMap::from([("site-a".to_string(), 5)]),
            ..Default::default()
        };
        let gates = Gates::new(&settings);
        let _first = gates.enter(&host("a1", &["site-a"], json!({}))).await;
        let second = tokio::time::timeout(
            Duration::from_secs(1),
            gates.enter(&host("b1", &[], json!({}))),
        )
        .await;
        assert!(second.is_err(), "the run's single slot is taken");
    }
}
