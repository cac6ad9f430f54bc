//! The runner: fans a job out over the planned devices (`JoinSet` +
//! `Semaphore`), gives every device exactly one record, whatever happens.

use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::results::{Record, Summary};
use crate::runtime::bindings::workflow::netrun::plugin::types::Device as WitDevice;
use crate::runtime::host::{DeviceContext, from_wit, to_wit};
use crate::runtime::{DriverPlatform, Plugin, Runtime, check_output, trap_error};
use crate::transport::jump::JumpPool;
use crate::transport::known_hosts::{HostKeyPolicy, KnownHosts};
use crate::transport::ssh::{CommandOptions, Target, Timeouts};
use crate::transport::ssh_config::SshConfig;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod target;
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
    },
}

/// Limits and settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Devices worked on at once.
    pub concurrency: usize,
    /// Deadline for everything done on one device.
    pub device_timeout: Duration,
    /// Phase timeouts of sessions.
    pub timeouts: Timeouts,
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 100,
            device_timeout: Duration::from_secs(300),
            timeouts: Timeouts::default(),
            host_key_policy: HostKeyPolicy::Strict,
            accept_new_file: user_known_hosts(),
            host_key_policy_explicit: false,
            connect_timeout_explicit: false,
            ssh_config: Arc::new(SshConfig::default()),
            jump_pool: Arc::new(JumpPool::default()),
            session_log: None,
        }
    }
}

/// `~/.ssh/known_hosts`.
pub fn user_known_hosts() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".ssh").join("known_hosts"))
}

/// What the runner needs from the rest of the process.
pub struct Env {
    /// The plugin runtime.
    pub runtime: Arc<Runtime>,
    /// Platforms by `device_type`, with their drivers.
    pub platforms: BTreeMap<String, DriverPlatform>,
    /// Known host keys, read once.
    pub known_hosts: Arc<KnownHosts>,
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

/// Run `job` over `hosts`; `on_record` sees each record as it completes.
/// Returns when every device has its record.
pub async fn run(
    env: Arc<Env>,
    job: Job,
    hosts: Vec<Host>,
    settings: Settings,
    cancel: CancellationToken,
    mut on_record: impl FnMut(Record),
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let sem = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut tasks: JoinSet<Record> = JoinSet::new();
    let mut names: HashMap<tokio::task::Id, String> = HashMap::with_capacity(hosts.len());
    let settings = Arc::new(settings);
    for host in hosts {
        let name = host.name.clone();
        let (env, job, sem, settings, cancel) = (
            env.clone(),
            job.clone(),
            sem.clone(),
            settings.clone(),
            cancel.clone(),
        );
        let handle = tasks.spawn(async move {
            let queued = Instant::now();
            let device = host.name.clone();
            let permit = tokio::select! {
                p = sem.acquire_owned() => p,
                _ = cancel.cancelled() => {
                    return Record::failed(&device, Error::new(ErrorClass::Cancelled, format!("{device}: run cancelled before the device was reached")), queued.elapsed(), 0);
                }
            };
            let _permit = permit;
            let start = Instant::now();
            let deadline = settings.device_timeout;
            tokio::select! {
                r = tokio::time::timeout(deadline, run_device(&env, &job, &host, &settings)) => match r {
                    Ok(Ok(data)) => Record::ok(&device, data, start.elapsed(), 1),
                    Ok(Err(e)) => Record::failed(&device, e, start.elapsed(), 1),
                    Err(_) => Record::failed(
                        &device,
                        Error::new(ErrorClass::Cancelled, format!("{device}: device deadline of {deadline:?} passed; raise it with --device-timeout")),
                        start.elapsed(),
                        1,
                    ),
                },
                _ = cancel.cancelled() => Record::failed(&device, Error::new(ErrorClass::Cancelled, format!("{device}: run cancelled while in progress")), start.elapsed(), 1),
            }
        });
        names.insert(handle.id(), name);
    }
    while let Some(joined) = tasks.join_next_with_id().await {
        let record = match joined {
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
                    1,
                )
            }
        };
        summary.add(&record);
        on_record(record);
    }
    summary.wall = started.elapsed();
    summary
}

fn target_of(host: &Host, env: &Env, settings: &Settings) -> Result<Target, Error> {
    target::target_of(host, env.known_hosts.clone(), settings)
}

async fn run_device(
    env: &Env,
    job: &Job,
    host: &Host,
    settings: &Settings,
) -> Result<Value, Error> {
    let target = target_of(host, env, settings)?;
    let platform_name = host.platform.clone().unwrap_or_default();
    let platform = env.platforms.get(&platform_name).cloned();
    let mut ctx = DeviceContext::new(target, platform, platform_name, env.runtime.clone());
    match job {
        Job::Exec { commands } => {
            let result = exec(&mut ctx, commands).await;
            ctx.close().await;
            result
        }
        Job::Workflow { plugin, params } => run_workflow(env, plugin, params, host, ctx).await,
    }
}

async fn exec(ctx: &mut DeviceContext, commands: &[String]) -> Result<Value, Error> {
    let mut out = Vec::with_capacity(commands.len());
    for command in commands {
        let output = ctx
            .session()
            .await?
            .send_command(command, &CommandOptions::default())
            .await?;
        let parsed = match ctx.parse(command, &output).await {
            Ok(json) => serde_json::from_str::<Value>(&json).ok(),
            Err(e) if e.class == ErrorClass::Parse => None,
            Err(e) => return Err(e),
        };
        let mut entry = json!({ "command": command, "output": output });
        if let Some(p) = parsed {
            entry["parsed"] = p;
        }
        out.push(entry);
    }
    Ok(json!({ "commands": out }))
}

async fn run_workflow(
    env: &Env,
    plugin: &Plugin,
    params: &str,
    host: &Host,
    ctx: DeviceContext,
) -> Result<Value, Error> {
    let name = &plugin.bundle.manifest.name;
    let mut store = env
        .runtime
        .store(plugin, Arc::from(host.name.as_str()), Some(Box::new(ctx)));
    let outcome = async {
        let instance = env.runtime.instantiate_workflow(plugin, &mut store).await?;
        let device = WitDevice {
            name: host.name.clone(),
            hostname: host.hostname.clone(),
            platform: host.platform.clone().unwrap_or_default(),
            groups: host.groups.clone(),
            data: Value::Object(host.data.clone()).to_string(),
        };
        instance
            .netrun_plugin_workflow()
            .call_run(&mut store, &device, &params.to_string())
            .await
            .map_err(|e| trap_error(name, "run", e))
    }
    .await;
    let mut ctx = store.data_mut().ctx.take();
    if let Some(c) = ctx.as_mut() {
        c.close().await;
    }
    let output_limit = store.data().output_limit;
    match outcome? {
        Ok(json) => {
            check_output(name, "run", &json, output_limit)?;
            serde_json::from_str(&json).map_err(|e| {
                Error::new(
                    ErrorClass::Internal,
                    format!("plugin {name} returned invalid JSON: {e}"),
                )
            })
        }
        Err(werr) => {
            // Keep the host's precise class when the plugin passed its error on.
            let last = ctx.and_then(|c| c.last_error);
            match last {
                Some(e)
                    if std::mem::discriminant(&to_wit(&e, "")) == std::mem::discriminant(&werr) =>
                {
                    Err(e)
                }
                _ => {
                    let mut e = from_wit(&werr);
                    e.message = format!("{}: workflow {name}: {}", host.name, e.message);
                    Err(e)
                }
            }
        }
    }
}
