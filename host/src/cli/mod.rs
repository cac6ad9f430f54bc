//! The `netrun` command line: parse arguments, build a plan, run it, print.
//! Errors reaching here become one line that names the thing and the fix.

pub mod args;
mod bench;
mod config;
mod credentials;
mod exec;
mod get;
mod inventory;
mod lab;
mod parse;
mod plugin;
mod serve;
mod shard;
pub mod stdout;
mod worker;

pub use get::platform_rows;

use crate::inventory::{Filter, Inventory, unknown_hosts};
use crate::resilience::backoff::Backoff;
use crate::resilience::breaker::BreakerConfig;
use crate::resilience::pool::PoolConfig;
use crate::resilience::retry::RetryPolicy;
use crate::results::format::{self, Format};
use crate::results::{JsonlSink, Record, Summary, render_table};
use crate::runner::{self, ConnectivityConfig, Env, Job, Settings, Shutdown, TimeoutOverrides};
use crate::runtime::bundle::{self, Kind};
use crate::runtime::device::Connectivity;
use crate::runtime::policy::Policy;
use crate::runtime::{DriverPlatform, Plugin, Runtime, RuntimeOptions};
use crate::transport::jump::JumpPool;
use crate::transport::known_hosts::HostKeyPolicy;
use crate::transport::ssh_config::SshConfig;
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Exit code when every device succeeded.
pub const EXIT_OK: i32 = 0;
/// Exit code for a usage or setup error (nothing ran).
pub const EXIT_FATAL: i32 = 1;
/// Exit code when the run finished and some devices failed.
pub const EXIT_SOME_FAILED: i32 = 2;
/// Exit code when a signal interrupted the run (every device still has its record).
pub const EXIT_INTERRUPTED: i32 = 130;

/// netrun — network automation with sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "netrun", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log level: error, warn, info, debug, trace (or a tracing filter).
    #[arg(long, global = true, default_value = "warn", env = "NETRUN_LOG", value_parser = args::log_level)]
    pub log_level: String,
    /// Colour in log lines: auto (only when stderr is a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = args::ColorChoice::Auto)]
    pub color: args::ColorChoice,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Extra folder to look for plugin bundles in (repeatable).
    #[arg(long = "plugin-dir", global = true)]
    plugin_dirs: Vec<PathBuf>,
    /// Threads that run device sessions and plugins [default: one per
    /// 1000 devices in flight, at most one per CPU, for run, exec, get and
    /// config; one per CPU for the other commands].
    #[arg(long, global = true, value_name = "N", env = "NETRUN_THREADS", value_parser = args::positive_usize)]
    pub threads: Option<usize>,
    /// With 8 or more device sessions open, a thread that slept less than
    /// this many microseconds waits this long before sleeping again, and
    /// reads what came meanwhile in one wake-up; 0 turns it off, and the
    /// reading of a device's echo typed back a character a packet in one
    /// wake-up with it [default: 1000].
    #[arg(long, global = true, value_name = "MICROSECONDS", env = crate::pacing::PAUSE_ENV)]
    pub wake_batch_us: Option<u64>,
}

/// A subcommand as the top level lists it; `build` adds its arguments
/// (or its own subcommands) when it is invoked or its help is asked for.
struct Sub {
    name: &'static str,
    about: &'static str,
    build: fn(clap::Command) -> clap::Command,
}

/// A subcommand taking arguments `A`. The about stays the subcommand's
/// (a derived `Args` sets its struct's doc comment as the about).
fn with_args<A: Args>(cmd: clap::Command) -> clap::Command {
    keep_about(cmd, A::augment_args)
}

/// A subcommand whose own subcommands are required, as a derived
/// `#[command(subcommand)]` field makes them.
fn nested<S: Subcommand>(cmd: clap::Command) -> clap::Command {
    keep_about(cmd, S::augment_subcommands)
        .subcommand_required(true)
        .arg_required_else_help(true)
}

fn keep_about(
    cmd: clap::Command,
    build: impl FnOnce(clap::Command) -> clap::Command,
) -> clap::Command {
    let about = cmd.get_about().cloned();
    let cmd = build(cmd);
    match about {
        Some(about) => cmd.about(about),
        None => cmd,
    }
}

/// The subcommands, in the order `netrun --help` lists them; the abouts
/// are what the variants' doc comments say.
const SUBCOMMANDS: &[Sub] = &[
    Sub {
        name: "run",
        about: "Run a workflow plugin against the devices of an inventory",
        build: with_args::<RunArgs>,
    },
    Sub {
        name: "exec",
        about: "Send ad-hoc commands; output is parsed when the driver has a parser",
        build: with_args::<ExecArgs>,
    },
    Sub {
        name: "plugin",
        about: "Manage plugins",
        build: nested::<plugin::PluginCommand>,
    },
    Sub {
        name: "lab",
        about: "Start a simulated fleet of devices (SSH, IOS-like CLI) on 127.0.0.1",
        build: with_args::<lab::LabArgs>,
    },
    Sub {
        name: "bench",
        about: "Measure a sweep over a simulated fleet: devices/s, latency, CPU, memory",
        build: with_args::<bench::BenchArgs>,
    },
    Sub {
        name: "serve",
        about: "Poll devices on an interval and serve Prometheus metrics",
        build: with_args::<serve::ServeArgs>,
    },
    Sub {
        name: "config",
        about: "Configuration: backup, diff against backups, templated push in waves",
        build: nested::<config::ConfigCommand>,
    },
    Sub {
        name: "inventory",
        about: "Show the inventory as netrun reads it",
        build: nested::<inventory::InventoryCommand>,
    },
    Sub {
        name: "get",
        about: "NAPALM-style getters on every device: `netrun get facts,interfaces -i INV`",
        build: with_args::<get::GetArgs>,
    },
    Sub {
        name: "platforms",
        about: "Every platform the installed drivers define, and the getters each answers",
        build: |cmd| cmd,
    },
    Sub {
        name: "parse",
        about: "Parse saved command outputs with TextFSM templates (ntc-templates), one JSON line per file",
        build: with_args::<parse::ParseArgs>,
    },
    Sub {
        name: "worker",
        about: "Pull device tasks from a NATS JetStream work queue and run them (for `netrun run|exec --nats`)",
        build: with_args::<worker::WorkerArgs>,
    },
];

impl Subcommand for Command {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd.subcommands(SUBCOMMANDS.iter().map(|sub| {
            clap::Command::new(sub.name)
                .about(sub.about)
                .defer(sub.build)
        }))
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        SUBCOMMANDS.iter().any(|sub| sub.name == name)
    }
}

impl clap::FromArgMatches for Command {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, mut sub)) = matches.remove_subcommand() else {
            return Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand));
        };
        let m = &mut sub;
        Ok(match name.as_str() {
            "run" => Command::Run(RunArgs::from_arg_matches_mut(m)?),
            "exec" => Command::Exec(ExecArgs::from_arg_matches_mut(m)?),
            "plugin" => Command::Plugin {
                command: plugin::PluginCommand::from_arg_matches_mut(m)?,
            },
            "lab" => Command::Lab(lab::LabArgs::from_arg_matches_mut(m)?),
            "bench" => Command::Bench(bench::BenchArgs::from_arg_matches_mut(m)?),
            "serve" => Command::Serve(serve::ServeArgs::from_arg_matches_mut(m)?),
            "config" => Command::Config {
                command: config::ConfigCommand::from_arg_matches_mut(m)?,
            },
            "inventory" => Command::Inventory {
                command: inventory::InventoryCommand::from_arg_matches_mut(m)?,
            },
            "get" => Command::Get(get::GetArgs::from_arg_matches_mut(m)?),
            "platforms" => Command::Platforms,
            "parse" => Command::Parse(parse::ParseArgs::from_arg_matches_mut(m)?),
            "worker" => Command::Worker(worker::WorkerArgs::from_arg_matches_mut(m)?),
            other => {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::InvalidSubcommand,
                    format!("the subcommand '{other}' wasn't recognized"),
                ));
            }
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches_mut(matches)?;
        Ok(())
    }
}

/// Devices in flight one runtime thread serves by default. A thread keeps
/// up with about a thousand devices a second of `collect-facts` (1 ms of
/// CPU each): a thousand devices in flight on a network where a device
/// takes a second or more ask for less. Fewer threads spare the
/// cross-thread wake-ups (futex calls, idle threads woken to look for
/// work) that devices sending their output in small pieces cause (a
/// fifth of the client CPU against FakeNOS's IOS), and a heap per thread:
/// 10,000 lab devices at concurrency 1000 took 10.9 s of CPU and 370 MiB
/// on one thread, 11.4 s and 407 MiB on two, and finished sooner.
const DEVICES_PER_THREAD: usize = 1000;

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands. `Subcommand` and `FromArgMatches` are written out
/// below, not derived, so that each subcommand's arguments are built only
/// when it is the one invoked (clap's `defer`): building all of them was
/// 40% of the instructions `netrun --version` ran, and every command pays
/// it before doing anything (`netrun parse` once per file in a script).
#[derive(Debug)]
enum Command {
    // What each does: `SUBCOMMANDS` (the abouts `netrun --help` lists).
    Run(RunArgs),
    Exec(ExecArgs),
    Plugin {
        command: plugin::PluginCommand,
    },
    Lab(lab::LabArgs),
    Bench(bench::BenchArgs),
    Serve(serve::ServeArgs),
    Config {
        command: config::ConfigCommand,
    },
    Inventory {
        command: inventory::InventoryCommand,
    },
    Get(get::GetArgs),
    Platforms,
    Parse(parse::ParseArgs),
    Worker(worker::WorkerArgs),
}

/// Which devices, where results go, and the limits of a run.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Nornir inventory: hosts.yaml, or the folder holding it.
    #[arg(short, long)]
    inventory: PathBuf,
    /// Only these hosts: names or globs (`spine*`, `r0[0-4]*`), comma-separated;
    /// `@FILE` reads names from FILE (one per line).
    #[arg(long, value_delimiter = ',')]
    hosts: Vec<String>,
    /// Only hosts in these groups (comma-separated).
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Only hosts where KEY=VALUE, KEY!=VALUE or KEY~=REGEX (platform,
    /// hostname, port, or a data key; repeatable, all must hold).
    #[arg(long = "filter")]
    filters: Vec<String>,
    /// Write one JSON record per device to FILE (`-` for stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Devices worked on at once (capped by the open-files limit).
    #[arg(long, default_value_t = 100, value_parser = args::positive_usize)]
    concurrency: usize,
    /// At most N devices of inventory group GROUP at once (GROUP=N, repeatable;
    /// wins over the group's connection_options.netrun.extras.max_sessions).
    #[arg(long = "group-limit", value_name = "GROUP=N")]
    group_limits: Vec<String>,
    /// Sessions open at once to one device (devices have few VTY lines).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = args::positive_usize)]
    sessions_per_device: usize,
    /// Deadline for all work on one device, retries included, in seconds or with a unit (5m)
    /// [default: 120, or the inventory's timeouts.device].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    device_timeout: Option<f64>,
    /// TCP connect deadline, in seconds or with a unit (90s, 2m) [default: 5, or the inventory's timeouts.connect].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    connect_timeout: Option<f64>,
    /// SSH banner and key exchange deadline, in seconds or with a unit (90s, 2m) [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    handshake_timeout: Option<f64>,
    /// Authentication deadline, in seconds or with a unit (90s, 2m) [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    auth_timeout: Option<f64>,
    /// Deadline for the first prompt after login and each mode change, in seconds or with a unit (90s, 2m) [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    prompt_timeout: Option<f64>,
    /// Per-command deadline, in seconds or with a unit (90s, 2m) [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = args::positive_secs)]
    command_timeout: Option<f64>,
    /// Retries of the connect/login step after a transient failure (never
    /// after `auth`; commands are never re-sent).
    #[arg(long, default_value_t = 2, value_name = "N")]
    retries: u32,
    /// Ceiling of the first retry delay, in seconds; it doubles per retry
    /// (up to 10 s), and each delay is drawn at random below it.
    #[arg(long, default_value_t = 0.5, value_name = "SECONDS", value_parser = args::positive_secs)]
    backoff: f64,
    /// Consecutive failures (retries count) that open a device's circuit breaker.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = args::positive_u32)]
    breaker_threshold: u32,
    /// How long an open breaker keeps a device from being dialled, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = args::positive_secs)]
    breaker_cool_down: f64,
    /// On SIGINT/SIGTERM, how long devices in flight may finish before
    /// they are cancelled, in seconds (a second signal cancels at once).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = args::positive_secs)]
    grace: f64,
    /// How SSH host keys are checked [default: ssh_config's StrictHostKeyChecking, else strict].
    #[arg(long, value_enum)]
    host_key_policy: Option<PolicyArg>,
    /// OpenSSH client configuration to honour instead of ~/.ssh/config.
    #[arg(long, value_name = "FILE")]
    ssh_config: Option<PathBuf>,
    /// Write a transcript per device (secrets redacted) into DIR.
    #[arg(long, value_name = "DIR")]
    session_log: Option<PathBuf>,
    /// Devices connected at once through one ProxyJump host.
    #[arg(long, default_value_t = crate::transport::jump::DEFAULT_JUMP_CONCURRENCY, value_parser = args::positive_usize)]
    jump_concurrency: usize,
    /// TextFSM templates folder (ntc-templates' `templates`, with its
    /// `index`) for output no driver parses, on exec, run and get [default:
    /// $NET_TEXTFSM, else ~/.config/netrun/templates].
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Print every device in the table, however many.
    #[arg(long)]
    all_rows: bool,
    /// Write the metrics registry here at the end (Prometheus text format,
    /// for node_exporter's textfile collector).
    #[arg(long)]
    metrics_file: Option<PathBuf>,
    /// How results are printed at the end [default: table].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Re-run only the devices that failed in a previous run's JSON Lines
    /// results (`-o FILE` of that run).
    #[arg(long, value_name = "FILE")]
    failed_from: Option<PathBuf>,
    #[command(flatten)]
    credentials: credentials::CredentialArgs,
    #[command(flatten)]
    shard: shard::ShardArgs,
    #[command(flatten)]
    nats: worker::NatsArgs,
}

impl TargetArgs {
    /// Whether this sweep runs as a task of the runtime ([`Cli::into_sweep`]):
    /// one of this process (no `--nats`) whose records do not stream to
    /// standard output. A reader of `-o -` that stops reading (a pager, a
    /// paused terminal) blocks the write of the next record; on the main
    /// thread that holds back only the next devices, on the worker thread
    /// it would stall every session in flight while their deadlines run.
    fn in_task(&self) -> bool {
        self.nats.nats.is_none() && self.output.as_deref() != Some(Path::new("-"))
    }
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Per-device table and summary; parsed rows as aligned tables.
    Table,
    /// One JSON array of every record.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// A YAML list of every record.
    Yaml,
    /// Each device's output under a header (like Nornir's print_result).
    Raw,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Raw => Format::Raw,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PolicyArg {
    /// Only keys in known_hosts files.
    Strict,
    /// Trust unknown keys and record them in ~/.ssh/known_hosts; refuse changed ones.
    AcceptNew,
    /// Accept any key (insecure; for labs only).
    Off,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Workflow plugin name (see `netrun plugin list`).
    workflow: String,
    #[command(flatten)]
    target: TargetArgs,
    /// Workflow parameter KEY=VALUE (repeatable; VALUE parsed as JSON when it is JSON).
    #[arg(long = "param", short = 'p')]
    params: Vec<String>,
    /// Grant the workflow a capability its manifest requests: command='show *',
    /// config, http=HOST, state (repeatable); PLUGIN:GRANT grants another
    /// plugin, e.g. a third-party driver's own commands
    /// (acme-os:command='terminal length 0'). First-party plugins need none.
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Policy file granting capabilities per plugin ([plugin.NAME] tables);
    /// default ~/.config/netrun/policy.toml when it exists.
    #[arg(long)]
    policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ExecArgs {
    /// Commands to send, in order.
    #[arg(required_unless_present = "file")]
    commands: Vec<String>,
    #[command(flatten)]
    how: exec::ExecCommandArgs,
    #[command(flatten)]
    target: TargetArgs,
    /// Grant a third-party driver the commands its platform sends by itself:
    /// PLUGIN:command=PATTERN (repeatable).
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Policy file granting capabilities per plugin ([plugin.NAME] tables);
    /// default ~/.config/netrun/policy.toml when it exists.
    #[arg(long)]
    policy: Option<PathBuf>,
}

impl Cli {
    /// Worker threads of the async runtime: `--threads`, else one per
    /// `DEVICES_PER_THREAD` (1,000) devices in flight (at least one, at most one
    /// per CPU) for the commands that sweep an inventory. `None`: the
    /// runtime's own default (`TOKIO_WORKER_THREADS`, else one per CPU),
    /// for `lab`, `serve`, `bench` and `worker`, whose load the command
    /// line does not tell.
    pub fn worker_threads(&self) -> Option<usize> {
        if self.threads.is_some() {
            return self.threads;
        }
        if std::env::var_os("TOKIO_WORKER_THREADS").is_some() {
            return None;
        }
        let concurrency = match &self.command {
            Command::Run(a) => a.target.concurrency,
            Command::Exec(a) => a.target.concurrency,
            Command::Get(a) => a.target.concurrency,
            Command::Config { command } => command.concurrency(),
            _ => return None,
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Some(concurrency.div_ceil(DEVICES_PER_THREAD).clamp(1, cpus))
    }

    /// The pause of the runtime's wake-up batching ([`crate::pacing`]):
    /// `--wake-batch-us`, else 1 ms; `None` when it is 0.
    pub fn wake_batch(&self) -> Option<std::time::Duration> {
        crate::pacing::pause(self.wake_batch_us)
    }

    /// Whether the command runs without the async runtime (`parse`: offline,
    /// one thread), so `main` need not build one (its worker threads are a
    /// good part of a short parse's start-up).
    pub fn is_offline(&self) -> bool {
        matches!(self.command, Command::Parse(_))
    }

    /// Run an [offline](Cli::is_offline) command; any other command is
    /// refused here.
    pub fn execute_offline(self) -> anyhow::Result<i32> {
        match self.command {
            Command::Parse(a) => parse::execute(a),
            _ => anyhow::bail!("this command needs the async runtime"),
        }
    }

    /// A command that works on devices in this process (`run`, `exec` and
    /// `get` without `--nats` or `-o -`, `worker`, `serve`) as a future that
    /// can run as a task of the runtime; the command back for any other
    /// (`config`'s future is not `Send`).
    pub fn into_sweep(self) -> Result<SweepFuture, Box<Cli>> {
        let dirs = bundle::search_path(&self.plugin_dirs);
        match self.command {
            Command::Run(a) if a.target.in_task() => Ok(Box::pin(run_here(dirs, a))),
            Command::Exec(a) if a.target.in_task() => Ok(Box::pin(exec_here(dirs, a))),
            Command::Get(a) if a.target.in_task() => {
                Ok(Box::pin(async move { get::sweep_get(&dirs, a).await }))
            }
            Command::Worker(a) => Ok(Box::pin(async move { worker::worker(a, &dirs).await })),
            Command::Serve(a) => Ok(Box::pin(async move { serve::execute(a, &dirs).await })),
            command => Err(Box::new(Cli { command, ..self })),
        }
    }

    /// Run the command; returns the process exit code.
    pub async fn execute(self) -> anyhow::Result<i32> {
        let dirs = bundle::search_path(&self.plugin_dirs);
        match self.command {
            Command::Run(a) if a.target.nats.nats.is_some() => {
                let job = crate::cluster::TaskJob::Workflow {
                    name: a.workflow.clone(),
                    params: serde_json::from_str(&params_json(&a.params)?)?,
                };
                let grants = !a.grants.is_empty() || a.policy.is_some();
                worker::distribute(&a.target, job, grants).await
            }
            Command::Exec(a) if a.target.nats.nats.is_some() => {
                let options = a.how.options()?;
                a.how.check_settle(a.target.command_timeout)?;
                // The template travels in each task (workers need not
                // share files); read and compiled here first, so a broken
                // one stops the run before any task is queued.
                let template = match (&options.template, &a.how.template) {
                    (Some(t), Some(path)) => {
                        if t.text.len() > crate::cluster::MAX_SHIPPED_TEMPLATE {
                            bail!(
                                "--template {}: {} bytes is more than a task on the bus carries ({} KiB): run the exec without --nats, or parse the records afterwards with `netrun parse --template`",
                                path.display(),
                                t.text.len(),
                                crate::cluster::MAX_SHIPPED_TEMPLATE >> 10
                            );
                        }
                        Some(crate::cluster::ShippedTemplate {
                            name: t.name.clone(),
                            text: t.text.clone(),
                        })
                    }
                    _ => None,
                };
                let job = crate::cluster::TaskJob::Exec {
                    commands: a.how.commands(&a.commands)?,
                    continue_on_error: options.continue_on_error,
                    settle_ms: options.settle.map(|d| d.as_millis() as u64),
                    answers: options
                        .answers
                        .iter()
                        .map(|(re, answer)| (re.as_str().to_string(), answer.clone()))
                        .collect(),
                    template,
                };
                let grants = !a.grants.is_empty() || a.policy.is_some();
                worker::distribute(&a.target, job, grants).await
            }
            Command::Run(a) => run_here(dirs, a).await,
            Command::Exec(a) => exec_here(dirs, a).await,
            Command::Plugin { command } => plugin::execute(command, &dirs).await,
            Command::Lab(a) => lab::execute(a).await,
            Command::Bench(a) => bench::execute(a, &dirs).await,
            Command::Serve(a) => serve::execute(a, &dirs).await,
            Command::Config { command } => config::execute(command, &dirs).await,
            Command::Inventory { command } => inventory::execute(command),
            Command::Get(a) => get::sweep_get(&dirs, a).await,
            Command::Platforms => get::platforms(&dirs).await,
            Command::Parse(a) => parse::execute(a),
            Command::Worker(a) => worker::worker(a, &dirs).await,
        }
    }
}

/// `netrun run` in this process.
async fn run_here(dirs: Vec<PathBuf>, a: RunArgs) -> anyhow::Result<i32> {
    let params = params_json(&a.params)?;
    let policy = Policy::load(a.policy.as_deref(), &a.grants)?;
    sweep(&dirs, Some(&a.workflow), &policy, params, a.target).await
}

/// `netrun exec` in this process.
async fn exec_here(dirs: Vec<PathBuf>, a: ExecArgs) -> anyhow::Result<i32> {
    // Checked before anything is dialled.
    let commands = a.how.commands(&a.commands)?;
    let options = a.how.options()?;
    a.how.check_settle(a.target.command_timeout)?;
    let policy = Policy::load(a.policy.as_deref(), &a.grants)?;
    sweep_exec(&dirs, Job::Exec { commands, options }, &policy, a.target).await
}

fn params_json(params: &[String]) -> anyhow::Result<String> {
    let mut map = serde_json::Map::new();
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            bail!("bad --param `{p}`: use KEY=VALUE, e.g. --param commands='[\"show clock\"]'");
        };
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
        map.insert(k.to_string(), value);
    }
    Ok(serde_json::Value::Object(map).to_string())
}

/// A command's future, for [`Cli::into_sweep`].
pub type SweepFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<i32>> + Send>>;

/// Plugins loaded for a run: every driver, and the workflow asked for.
pub struct Loaded {
    /// The runtime.
    pub runtime: Arc<Runtime>,
    /// Platforms defined by the drivers.
    pub platforms: BTreeMap<String, DriverPlatform>,
    /// Every platform the installed drivers name (compiled or not).
    pub known_platforms: Vec<String>,
    /// The workflow, when one was asked for.
    pub workflow: Option<Arc<Plugin>>,
}

/// Compiled plugins of one runtime, by bundle folder and component
/// sha256. A long-lived process (`serve`) keeps one for its whole life, so
/// a reload reuses what is compiled instead of building (and holding) a
/// second engine and second copies of every component.
pub struct PluginCache {
    /// The runtime the plugins are compiled for.
    pub runtime: Arc<Runtime>,
    loaded: std::sync::Mutex<std::collections::HashMap<(PathBuf, String), Arc<Plugin>>>,
}

impl PluginCache {
    /// An empty cache over a new runtime sized for `max_instances`.
    pub fn new(max_instances: u32) -> anyhow::Result<PluginCache> {
        Ok(PluginCache {
            runtime: Runtime::new(&RuntimeOptions {
                max_instances,
                ..Default::default()
            })?,
            loaded: Default::default(),
        })
    }

    /// The compiled plugin of `b`, compiled now if this bundle (folder and
    /// sha256) was not seen before.
    pub fn load(&self, b: &bundle::Bundle) -> anyhow::Result<Arc<Plugin>> {
        let key = (b.dir.clone(), b.manifest.sha256.trim().to_ascii_lowercase());
        // A poisoned lock still holds a whole map.
        if let Some(p) = self.lock().get(&key) {
            return Ok(p.clone());
        }
        let p = Arc::new(self.runtime.load(b)?);
        self.lock().insert(key, p.clone());
        Ok(p)
    }

    /// Load `bundles` at once, each on its own thread (compiling the ones
    /// with no compiled code yet); results in the order given.
    pub fn load_all(&self, bundles: &[&bundle::Bundle]) -> Vec<anyhow::Result<Arc<Plugin>>> {
        if bundles.len() < 2 {
            return bundles.iter().map(|b| self.load(b)).collect();
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = bundles
                .iter()
                .map(|b| s.spawn(move || self.load(b)))
                .collect();
            handles
                .into_iter()
                .zip(bundles)
                .map(|(h, b)| {
                    h.join().unwrap_or_else(|_| {
                        Err(anyhow::anyhow!(
                            "plugin {}: compiling it crashed; please report it",
                            b.manifest.name
                        ))
                    })
                })
                .collect()
        })
    }

    /// Forget plugins nothing else holds any more (a bundle replaced on disk).
    pub fn prune(&self) {
        self.lock().retain(|_, p| Arc::strong_count(p) > 1);
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(PathBuf, String), Arc<Plugin>>> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Find bundles, verify and compile the drivers and the named workflow.
/// The workflow is refused before it is compiled unless `policy` grants
/// every capability its manifest requests.
pub async fn load_plugins(
    dirs: &[PathBuf],
    workflow: Option<&str>,
    policy: &Policy,
    needed_platforms: &[String],
    max_instances: u32,
) -> anyhow::Result<Loaded> {
    let cache = PluginCache::new(max_instances)?;
    load_plugins_in(&cache, dirs, workflow, policy, needed_platforms).await
}

/// As [`load_plugins`], compiling into (and reusing from) `cache`.
pub async fn load_plugins_in(
    cache: &PluginCache,
    dirs: &[PathBuf],
    workflow: Option<&str>,
    policy: &Policy,
    needed_platforms: &[String],
) -> anyhow::Result<Loaded> {
    let runtime = cache.runtime.clone();
    let (bundles, errors) = bundle::discover(dirs);
    for e in &errors {
        // A broken bundle hiding a working one of its name is the operator's
        // to fix: running the other one silently is not what they chose.
        if matches!(e, bundle::BundleError::Shadowing { .. }) {
            bail!("{e}");
        }
        tracing::warn!("{e}");
    }
    // Compile only the drivers this inventory needs (a component costs
    // seconds to compile on an empty cache), unless one of its platforms is
    // in no driver's manifest: then every driver is asked.
    let serves = |b: &bundle::Bundle| {
        b.manifest
            .platforms
            .iter()
            .any(|p| needed_platforms.contains(p))
    };
    let every_platform_listed = needed_platforms.iter().all(|p| {
        bundles
            .iter()
            .any(|b| b.manifest.kind == Kind::Driver && b.manifest.platforms.contains(p))
    });
    let wanted: Vec<&bundle::Bundle> = bundles
        .iter()
        .filter(|b| b.manifest.kind == Kind::Driver)
        .filter(|b| !every_platform_listed || serves(b))
        .collect();
    // The drivers compile each on its own thread, the workflow on another.
    let (loaded_drivers, workflow) = std::thread::scope(|s| {
        let all = &bundles[..];
        let workflow =
            workflow.map(|name| s.spawn(move || load_workflow(cache, dirs, all, name, policy)));
        let drivers = cache.load_all(&wanted);
        let workflow = workflow.map(|h| {
            h.join().unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "loading the workflow crashed; please report it"
                ))
            })
        });
        (drivers, workflow)
    });
    let mut drivers = Vec::new();
    for (b, loaded) in wanted.iter().zip(loaded_drivers) {
        match loaded {
            Ok(p) => drivers.push(p),
            Err(e) => {
                if serves(b) {
                    return Err(e.context(format!(
                        "driver plugin {} (needed for this inventory) cannot be loaded",
                        b.manifest.name
                    )));
                }
                tracing::warn!(
                    "skipping driver plugin {}: {}",
                    b.manifest.name,
                    crate::error::chain_text(&*e)
                );
            }
        }
    }
    let platforms = runtime.platforms_for(&drivers, needed_platforms).await?;
    // A third-party driver types its own commands (on-open, mode changes)
    // into the devices of its platform: only what the operator granted it.
    for name in needed_platforms {
        if let Some(dp) = platforms.get(name) {
            policy.authorize_driver(&dp.driver.bundle, &dp.platform)?;
        }
    }
    let workflow = workflow.transpose()?;
    // Every platform an installed driver names, for "did you mean" on a
    // platform no driver defines.
    let mut known_platforms: Vec<String> = bundles
        .iter()
        .filter(|b| b.manifest.kind == Kind::Driver)
        .flat_map(|b| b.manifest.platforms.iter().cloned())
        .chain(platforms.keys().cloned())
        .collect();
    known_platforms.sort();
    known_platforms.dedup();
    Ok(Loaded {
        runtime,
        platforms,
        known_platforms,
        workflow,
    })
}

/// Find workflow `name` among `bundles`, check the operator's grants, and
/// compile it into `cache`.
pub fn load_workflow(
    cache: &PluginCache,
    dirs: &[PathBuf],
    bundles: &[bundle::Bundle],
    name: &str,
    policy: &Policy,
) -> anyhow::Result<Arc<Plugin>> {
    let Some(b) = bundles.iter().find(|b| b.manifest.name == name) else {
        let known: Vec<&str> = bundles
            .iter()
            .filter(|b| b.manifest.kind == Kind::Workflow)
            .map(|b| b.manifest.name.as_str())
            .collect();
        bail!(
            "no workflow plugin named `{name}` (installed workflows: {}); searched: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    if b.manifest.kind != Kind::Workflow {
        bail!("plugin `{name}` is a {}, not a workflow", b.manifest.kind);
    }
    // A tampered or broken bundle is refused before the operator is asked
    // to grant it anything (the load below takes the digest found here).
    cache.runtime.check_integrity(b)?;
    policy.authorize(b, true)?;
    cache
        .load(b)
        .with_context(|| format!("workflow plugin {name} cannot be loaded"))
}

async fn sweep(
    dirs: &[PathBuf],
    workflow: Option<&str>,
    policy: &Policy,
    params: String,
    t: TargetArgs,
) -> anyhow::Result<i32> {
    let (inventory, hosts) = plan_hosts(&t)?;
    let needed = needed_platforms(&hosts);
    let loaded = load_plugins(
        dirs,
        workflow,
        policy,
        &needed,
        instances_for_run(t.concurrency, hosts.len()),
    )
    .await?;
    let job = match &loaded.workflow {
        Some(plugin) => Job::Workflow {
            plugin: plugin.clone(),
            params,
        },
        None => bail!("no workflow given"),
    };
    execute_plan(loaded, inventory, hosts, job, &t).await
}

async fn sweep_exec(
    dirs: &[PathBuf],
    job: Job,
    policy: &Policy,
    t: TargetArgs,
) -> anyhow::Result<i32> {
    let (inventory, hosts) = plan_hosts(&t)?;
    let needed = needed_platforms(&hosts);
    let instances = instances_for_run(t.concurrency, hosts.len());
    let loaded = load_plugins(dirs, None, policy, &needed, instances).await?;
    execute_plan(loaded, inventory, hosts, job, &t).await
}

fn instances_for(concurrency: usize) -> u32 {
    // Idle instances of up to four driver components (the first-party ones
    // and a few more) besides those in use.
    crate::runtime::pooling::instances_for(concurrency, 4)
}

/// Instances for a run over `devices` devices: no more of them are in
/// flight than there are, whatever `--concurrency` says (the pool's stacks
/// are mapped, guard page by guard page, when the run starts: 472 of them
/// for one device at the default concurrency).
fn instances_for_run(concurrency: usize, devices: usize) -> u32 {
    instances_for(concurrency.min(devices))
}

fn needed_platforms(hosts: &[crate::inventory::Host]) -> Vec<String> {
    let mut p: Vec<String> = hosts.iter().filter_map(|h| h.platform.clone()).collect();
    p.sort();
    p.dedup();
    p
}

fn plan_hosts(t: &TargetArgs) -> anyhow::Result<(Inventory, Vec<crate::inventory::Host>)> {
    check_outputs(t)?;
    if let Some(dir) = &t.templates {
        // Checked before anything is dialled: a wrong folder given by hand
        // is an error, not a reason on every record.
        let (dir, _) = crate::parsing::templates_dir(Some(dir))?;
        crate::parsing::use_templates_dir(dir);
    }
    let inventory = Inventory::load(&t.inventory)?;
    let host_args = args::expand_hosts(&t.hosts)?;
    let missing = unknown_hosts(&inventory, &host_args);
    if !missing.is_empty() {
        bail!(
            "--hosts names devices not in the inventory {}: {}",
            t.inventory.display(),
            missing.join(", ")
        );
    }
    // Group limits are checked here, before any plugin loads or device is dialled.
    group_limits(&inventory, &t.group_limits)?;
    let filter = Filter {
        hosts: host_args,
        groups: t.groups.clone(),
        ..Default::default()
    }
    .with_fields(&t.filters)?;
    let mut hosts = inventory.select(&filter);
    if let Some(file) = &t.failed_from {
        let failed = args::failed_devices(file)?;
        if failed.is_empty() {
            bail!("no device failed in {}: nothing to re-run", file.display());
        }
        let known: std::collections::HashSet<&str> =
            inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        let missing: Vec<&str> = failed
            .iter()
            .map(String::as_str)
            .filter(|d| !known.contains(d))
            .collect();
        if !missing.is_empty() {
            bail!(
                "--failed-from {} names devices not in the inventory {}: {}",
                file.display(),
                t.inventory.display(),
                missing.join(", ")
            );
        }
        hosts.retain(|h| failed.contains(&h.name));
    }
    t.credentials.apply(&mut hosts)?;
    if hosts.is_empty() {
        bail!(
            "no devices of {} match the filters ({} hosts in the inventory)",
            t.inventory.display(),
            inventory.hosts.len()
        );
    }
    // A shard may hold none of a small selection: that is an empty run, not an error.
    Ok((inventory, shard::keep(hosts, t.shard.resolve()?)))
}

/// Every file the run will write, checked before anything starts.
fn check_outputs(t: &TargetArgs) -> anyhow::Result<()> {
    if let Some(p) = &t.output {
        if p.as_os_str() == "-" && t.format.is_some_and(|f| f != FormatArg::Table) {
            bail!(
                "-o - and --format both write to stdout: write the records to a file with -o FILE, or drop one"
            );
        }
        args::check_writable(p, "-o")?;
    }
    if let Some(p) = &t.metrics_file {
        args::check_writable(p, "--metrics-file")?;
    }
    if let Some(dir) = &t.session_log {
        std::fs::create_dir_all(dir).with_context(|| {
            format!("--session-log {}: cannot create the folder", dir.display())
        })?;
    }
    Ok(())
}

fn secs(s: f64, what: &str) -> anyhow::Result<Duration> {
    let Some(s) = args::positive(s) else {
        bail!("{what} must be a positive number of seconds, got {s}");
    };
    Ok(Duration::from_secs_f64(s))
}

fn opt_secs(s: Option<f64>, what: &str) -> anyhow::Result<Option<Duration>> {
    s.map(|s| secs(s, what)).transpose()
}

/// `--group-limit GROUP=N` over the inventory's group `max_sessions`.
fn group_limits(
    inventory: &Inventory,
    flags: &[String],
) -> anyhow::Result<BTreeMap<String, usize>> {
    let mut limits = inventory.group_limits.clone();
    for f in flags {
        let parsed = f
            .split_once('=')
            .and_then(|(g, n)| Some((g.trim(), n.trim().parse::<usize>().ok()?)))
            .filter(|(g, n)| !g.is_empty() && *n > 0);
        let Some((group, n)) = parsed else {
            bail!(
                "bad --group-limit `{f}`: use GROUP=N with N at least 1, e.g. --group-limit site-a=5"
            );
        };
        if !inventory.group_names.iter().any(|g| g == group) {
            let known: Vec<&str> = inventory.group_names.iter().map(String::as_str).collect();
            bail!(
                "--group-limit `{f}`: no group `{group}` in the inventory{} (groups: {})",
                crate::inventory::did_you_mean(group, &known),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
        limits.insert(group.to_string(), n);
    }
    Ok(limits)
}

/// Settings of a run from the command line and the inventory.
fn settings_of(t: &TargetArgs, inventory: &Inventory) -> anyhow::Result<Settings> {
    let mut s = Settings {
        concurrency: t.concurrency.max(1),
        group_limits: group_limits(inventory, &t.group_limits)?,
        forced_timeouts: TimeoutOverrides {
            connect: opt_secs(t.connect_timeout, "--connect-timeout")?,
            handshake: opt_secs(t.handshake_timeout, "--handshake-timeout")?,
            auth: opt_secs(t.auth_timeout, "--auth-timeout")?,
            prompt: opt_secs(t.prompt_timeout, "--prompt-timeout")?,
            command: opt_secs(t.command_timeout, "--command-timeout")?,
            device: opt_secs(t.device_timeout, "--device-timeout")?,
        },
        ..Default::default()
    };
    s.connect_timeout_explicit = t.connect_timeout.is_some();
    s.host_key_policy_explicit = t.host_key_policy.is_some();
    s.host_key_policy = match t.host_key_policy.unwrap_or(PolicyArg::Strict) {
        PolicyArg::Strict => HostKeyPolicy::Strict,
        PolicyArg::AcceptNew => HostKeyPolicy::AcceptNew,
        PolicyArg::Off => {
            tracing::warn!(
                "host-key checking is off: connections can be intercepted; use it only in a lab"
            );
            HostKeyPolicy::Off
        }
    };
    // Read once per run; every device's target is resolved from this copy.
    let ssh_config = match &t.ssh_config {
        Some(p) => SshConfig::load(p, dirs::home_dir().as_deref())?,
        None => SshConfig::load_user()?,
    };
    s.ssh_config = Arc::new(ssh_config);
    s.jump_pool = Arc::new(JumpPool::new(t.jump_concurrency));
    s.session_log = t.session_log.clone();
    s.shard = t.shard.resolve()?;
    Ok(s)
}

/// Pool, breaker and retry settings from the command line.
fn connectivity_of(t: &TargetArgs) -> anyhow::Result<ConnectivityConfig> {
    let base = secs(t.backoff, "--backoff")?;
    Ok(ConnectivityConfig {
        pool: PoolConfig {
            max_per_device: t.sessions_per_device.max(1),
            // A one-shot run visits each device once: a finished device's
            // session is closed at once, so it holds no open file, VTY line
            // or ProxyJump channel while other devices wait for theirs.
            max_idle: 0,
            ..Default::default()
        },
        breaker: BreakerConfig {
            failure_threshold: t.breaker_threshold.max(1),
            cool_down: secs(t.breaker_cool_down, "--breaker-cool-down")?,
            half_open_probes: 1,
        },
        retry: RetryPolicy {
            max_attempts: t.retries.saturating_add(1),
            backoff: Backoff {
                base,
                max: base.max(Duration::from_secs(10)),
                multiplier: 2.0,
            },
        },
    })
}

async fn execute_plan(
    loaded: Loaded,
    inventory: Inventory,
    hosts: Vec<crate::inventory::Host>,
    job: Job,
    t: &TargetArgs,
) -> anyhow::Result<i32> {
    let settings = settings_of(t, &inventory)?;
    // The selected hosts are copies: the inventory is not needed again.
    drop(inventory);
    runner::check_named_known_hosts(&hosts)?;
    let shard = settings.shard;
    let connectivity = connectivity_of(t)?;
    let grace = secs(t.grace, "--grace")?;
    let mut sink = open_sink(t)?;
    let shutdown = Shutdown::default();
    let signals = watch_signals(shutdown.clone(), grace)?;
    let mirror = t.nats.mirror("netrun run").await?;
    let plan = Plan {
        hosts,
        job,
        settings,
        connectivity,
        mirror,
    };
    let keep = match t.format.map(Format::from).unwrap_or_default() {
        Format::Table if !t.all_rows => Keep::Table {
            max_rows: TABLE_ROWS,
        },
        _ => Keep::All,
    };
    let (records, summary, write_error) = collect(
        loaded,
        plan,
        sink.as_mut(),
        std::io::stderr().is_terminal(),
        shutdown.clone(),
        keep,
    )
    .await;
    signals.abort();
    let notes: Vec<String> = shard
        .map(|s| format!("shard {s}: {} of the selected devices", summary.total()))
        .into_iter()
        .collect();
    report(
        t,
        sink.as_mut(),
        &records,
        &summary,
        &notes,
        write_error,
        shutdown.drain.is_cancelled() || shutdown.abort.is_cancelled(),
    )
}

/// The end of a run: flush the records, print the table (and `notes`),
/// write the metrics file; the exit code.
fn report(
    t: &TargetArgs,
    mut sink: Option<&mut JsonlSink>,
    records: &[Record],
    summary: &Summary,
    notes: &[String],
    mut write_error: Option<std::io::Error>,
    interrupted: bool,
) -> anyhow::Result<i32> {
    let records_to_stdout = t.output.as_deref().is_some_and(|p| p.as_os_str() == "-");
    // A write that failed (a full disk, or standard output's reader gone,
    // which ends the command quietly with 141) is the command's error, told
    // after the summary: the records written so far are whole.
    if let Some(s) = sink.as_deref_mut()
        && let Err(e) = s.flush()
    {
        write_error.get_or_insert(e);
    }
    let max_rows = if t.all_rows { usize::MAX } else { TABLE_ROWS };
    let format = t.format.map(Format::from).unwrap_or_default();
    let mut table = match format {
        Format::Table => format::render(Format::Table, records, summary, max_rows),
        other => {
            crate::out!("{}", format::render(other, records, summary, max_rows))?;
            // The summary line alone, on stderr: stdout stays machine-readable.
            render_table(records, summary, 0)
        }
    };
    for n in notes {
        table.push_str(n);
        table.push('\n');
    }
    if records_to_stdout || format != Format::Table {
        eprint!("{table}");
    } else {
        crate::out!("{table}")?;
    }
    if let Some(path) = &t.metrics_file {
        std::fs::write(path, crate::telemetry::metrics().encode())
            .with_context(|| format!("cannot write metrics to {}", path.display()))?;
    }
    if let (Some(s), Some(e)) = (sink, write_error) {
        return Err(s.failure(e));
    }
    Ok(code_of(interrupted, summary))
}

/// The `-o FILE` sink of a run, if asked for.
fn open_sink(t: &TargetArgs) -> anyhow::Result<Option<JsonlSink>> {
    t.output
        .as_ref()
        .map(|p| {
            JsonlSink::create(p).with_context(|| format!("cannot write results to {}", p.display()))
        })
        .transpose()
}

/// The exit code of a finished run.
fn exit_code(shutdown: &Shutdown, summary: &Summary) -> i32 {
    code_of(
        shutdown.drain.is_cancelled() || shutdown.abort.is_cancelled(),
        summary,
    )
}

/// The exit code of a run that was (or was not) interrupted.
fn code_of(interrupted: bool, summary: &Summary) -> i32 {
    if interrupted {
        EXIT_INTERRUPTED
    } else if summary.failures() == 0 {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    }
}

/// On the first SIGINT/SIGTERM stop starting devices, and cancel those in
/// flight after `grace`; on the second cancel them at once; on the third
/// (or should cancelling hang) exit.
fn watch_signals(
    shutdown: Shutdown,
    grace: Duration,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    // Registered before the run starts, so no signal falls to the default
    // handler (which would kill the process and lose records).
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(tokio::spawn(async move {
        let mut next = async move || {
            tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            }
        };
        let first = next().await;
        eprintln!(
            "netrun: {first}: starting no more devices; devices in flight get {} to finish (signal again to cancel them now)",
            crate::resilience::deadline::seconds(grace)
        );
        shutdown.drain.cancel();
        tokio::select! {
            _ = tokio::time::sleep(grace) => {
                eprintln!("netrun: grace period over: cancelling devices still in flight");
            }
            second = next() => {
                eprintln!("netrun: {second}: cancelling devices in flight now");
            }
        }
        shutdown.abort.cancel();
        // Cancelled devices get their records within moments; should
        // anything hang, leave anyway.
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = next() => {}
        }
        eprintln!("netrun: exiting without waiting further");
        std::process::exit(EXIT_INTERRUPTED);
    }))
}

/// What one sweep does: devices, job, run settings, and how sessions are
/// reached.
pub struct Plan {
    /// The devices.
    pub hosts: Vec<crate::inventory::Host>,
    /// What to do on each.
    pub job: Job,
    /// Limits and timeouts.
    pub settings: Settings,
    /// Pool, breakers, retries (this process's, fresh for a one-shot run).
    pub connectivity: ConnectivityConfig,
    /// `--nats-results`: where else each record goes.
    pub mirror: Option<crate::cluster::Mirror>,
}

/// Rows of the end-of-run table (failures first) unless `--all-rows`.
const TABLE_ROWS: usize = 50;

/// Which records a sweep keeps in memory once they went to the sink.
#[derive(Clone, Copy, Debug)]
pub enum Keep {
    /// Every record: the caller prints or reads them all.
    All,
    /// Only what the end-of-run table shows, so a 10,000-device run holds
    /// no device's data after its record is written: every record while
    /// the run has seen no more than `max_rows`, then the first `max_rows`
    /// failures by device name, and records with parsed command output
    /// (printed for every device).
    Table {
        /// The table's row limit.
        max_rows: usize,
    },
}

/// The records [`Keep`] retains, as they arrive.
struct Kept {
    keep: Keep,
    seen: usize,
    all: Vec<Record>,
    failures: BTreeMap<String, Record>,
}

impl Kept {
    fn new(keep: Keep) -> Kept {
        Kept {
            keep,
            seen: 0,
            all: Vec::new(),
            failures: BTreeMap::new(),
        }
    }

    fn offer(&mut self, r: Record) {
        self.seen += 1;
        let max_rows = match self.keep {
            Keep::All => return self.all.push(r),
            Keep::Table { max_rows } => max_rows,
        };
        if format::has_parsed_tables(&r) {
            self.all.push(r);
        } else if r.error.is_some() {
            self.failures.insert(r.device.clone(), r);
            if self.failures.len() > max_rows {
                self.failures.pop_last();
            }
        } else if self.seen <= max_rows {
            self.all.push(r);
        } else if self.seen == max_rows + 1 {
            // Past the limit the table lists failures only.
            self.all.retain(format::has_parsed_tables);
        }
    }

    fn into_records(self) -> Vec<Record> {
        let mut all = self.all;
        all.extend(self.failures.into_values());
        all
    }
}

/// Run `plan`, writing each record to `sink` as it arrives; close the
/// pooled sessions at the end. Returns the records `keep` asks for, the
/// summary, and the first write error if any.
pub async fn collect(
    loaded: Loaded,
    plan: Plan,
    mut sink: Option<&mut JsonlSink>,
    show_progress: bool,
    shutdown: Shutdown,
    keep: Keep,
) -> (Vec<Record>, Summary, Option<std::io::Error>) {
    let Plan {
        hosts,
        job,
        mut settings,
        connectivity,
        mirror,
    } = plan;
    settings.concurrency = crate::resilience::cap_concurrency(settings.concurrency);
    let known_hosts = Arc::new(runner::load_known_hosts_with(&hosts, &settings.ssh_config));
    let connectivity = Arc::new(Connectivity::new(&connectivity));
    let evictor = connectivity.pool.spawn_evictor(Duration::from_secs(10));
    let env = Arc::new(Env {
        runtime: loaded.runtime,
        platforms: loaded.platforms,
        known_platforms: loaded.known_platforms,
        known_hosts,
        connectivity: connectivity.clone(),
    });
    let progress = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(hosts.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} devices  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut kept = Kept::new(keep);
    let mut write_error: Option<std::io::Error> = None;
    let job_name = job.name();
    let m = crate::telemetry::metrics();
    let drain = shutdown.drain.clone();
    let summary: Summary = runner::run(env, job, hosts, settings, shutdown, |r| {
        m.device_results
            .get_or_create(&crate::telemetry::ResultLabels {
                job: job_name.clone(),
                status: if r.error.is_some() { "error" } else { "ok" }.into(),
                class: r
                    .error
                    .as_ref()
                    .map(|e| e.class.to_string())
                    .unwrap_or_default(),
            })
            .inc();
        if let Some(s) = sink.as_mut()
            && s.write_keeping_error(&r, &mut write_error)
        {
            // `-o - | head`: nobody takes the records; start no more
            // devices (those in flight finish, as on SIGINT).
            drain.cancel();
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        if let Some(m) = &mirror {
            m.send(&r);
        }
        kept.offer(r);
    })
    .await;
    let records = kept.into_records();
    m.run_seconds.observe(summary.wall.as_secs_f64());
    if let Some(m) = mirror {
        m.finish().await;
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    evictor.abort();
    // A one-shot run keeps nothing: log out of every pooled session.
    connectivity.pool.close_all().await;
    (records, summary, write_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use clap::CommandFactory as _;
    use serde_json::json;

    #[test]
    fn every_subcommand_is_built_when_invoked_and_parses_into_its_variant() {
        Cli::command().debug_assert();
        for sub in SUBCOMMANDS {
            assert!(Command::has_subcommand(sub.name), "{}", sub.name);
            let help = Cli::try_parse_from(["netrun", sub.name, "--help"]).unwrap_err();
            assert_eq!(
                help.kind(),
                clap::error::ErrorKind::DisplayHelp,
                "{}",
                sub.name
            );
            let text = help.to_string();
            assert!(text.contains(sub.about), "{}: {text}", sub.name);
            // The deferred part is there: options (or subcommands) beyond help.
            assert!(
                text.contains("Commands:") || text.contains("--") && text.matches("--").count() > 2,
                "{}: {text}",
                sub.name
            );
        }
        let cli = Cli::try_parse_from([
            "netrun",
            "parse",
            "--color",
            "never",
            "--template",
            "t.textfsm",
            "--command",
            "c",
            "f",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Parse(_)));
        let cli = Cli::try_parse_from(["netrun", "inventory", "list", "-i", "inv"]).unwrap();
        assert!(matches!(cli.command, Command::Inventory { .. }));
        let nested = Cli::try_parse_from(["netrun", "plugin"]).unwrap_err();
        assert_eq!(
            nested.kind(),
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        let unknown = Cli::try_parse_from(["netrun", "bogus"]).unwrap_err();
        assert_eq!(unknown.kind(), clap::error::ErrorKind::InvalidSubcommand);
        let platforms = Cli::try_parse_from(["netrun", "platforms"]).unwrap();
        assert!(matches!(platforms.command, Command::Platforms));
    }

    #[test]
    fn wake_batching_takes_microseconds_and_zero_turns_it_off() {
        let parse = |flag: &[&str]| {
            let mut args = vec!["netrun", "inventory", "list", "-i", "inv"];
            args.extend_from_slice(flag);
            Cli::try_parse_from(args)
        };
        let off = parse(&["--wake-batch-us", "0"]).unwrap();
        assert_eq!(off.wake_batch(), None);
        let two = parse(&["--wake-batch-us", "2000"]).unwrap();
        assert_eq!(two.wake_batch(), Some(Duration::from_millis(2)));
        let bad = parse(&["--wake-batch-us", "1ms"]).unwrap_err();
        assert!(bad.to_string().contains("--wake-batch-us"), "{bad}");
        if std::env::var_os(crate::pacing::PAUSE_ENV).is_none() {
            let default = parse(&[]).unwrap();
            assert_eq!(default.wake_batch(), Some(crate::pacing::DEFAULT_PAUSE));
        }
    }

    fn record(i: usize, failed: bool, parsed: bool) -> Record {
        let device = format!("d{i:03}");
        let data = if parsed {
            json!({"commands": [{"command": "show clock", "output": "x", "parsed": [{"time": "x"}]}]})
        } else {
            json!({"hostname": device})
        };
        if failed {
            Record::failed(
                &device,
                Error::new(ErrorClass::Auth, "wrong password"),
                Duration::ZERO,
                1,
            )
        } else {
            Record::ok(&device, data, Duration::ZERO, 1)
        }
    }

    #[test]
    fn a_table_run_keeps_only_the_rows_its_table_shows() {
        let (mut kept, mut summary) = (Kept::new(Keep::Table { max_rows: 5 }), Summary::default());
        for i in (0..100).rev() {
            let r = record(i, i % 10 == 3, false);
            summary.add(&r);
            kept.offer(r);
        }
        let records = kept.into_records();
        let names: Vec<&str> = records.iter().map(|r| r.device.as_str()).collect();
        assert_eq!(names, ["d003", "d013", "d023", "d033", "d043"]);
        let table = render_table(&records, &summary, 5);
        let row = |d: &str| table.lines().find(|l| l.starts_with(d)).map(str::to_string);
        assert!(row("d043").is_some_and(|l| l.contains("error")), "{table}");
        assert!(!table.contains("d053"), "{table}");
        assert!(table.contains("(90 ok devices not listed)"), "{table}");
        assert!(table.contains("100 devices: 90 ok, 10 failed"), "{table}");
    }

    #[test]
    fn a_small_run_and_parsed_output_are_kept_whole() {
        let (mut kept, mut summary) = (Kept::new(Keep::Table { max_rows: 5 }), Summary::default());
        for i in 0..4 {
            let r = record(i, false, false);
            summary.add(&r);
            kept.offer(r);
        }
        let records = kept.into_records();
        assert_eq!(records.len(), 4);
        let table = render_table(&records, &summary, 5);
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("d003") && l.contains(" ok ")),
            "{table}"
        );

        let mut kept = Kept::new(Keep::Table { max_rows: 5 });
        for i in 0..20 {
            kept.offer(record(i, false, i % 2 == 0));
        }
        assert_eq!(
            kept.into_records().len(),
            10,
            "every device's parsed output"
        );

        let mut kept = Kept::new(Keep::All);
        for i in 0..20 {
            kept.offer(record(i, i % 2 == 0, false));
        }
        assert_eq!(kept.into_records().len(), 20);
    }
}
