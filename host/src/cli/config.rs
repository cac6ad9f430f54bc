//! `netrun config backup | diff | push`: configuration work over the
//! devices of an inventory, through the runner (one record per device,
//! deadlines and breakers as for any job), pushed changes in waves.

use super::{
    Keep, Loaded, Plan, TargetArgs, collect, connectivity_of, exit_code, load_plugins,
    needed_platforms, open_sink, plan_hosts, secs, settings_of, watch_signals,
};
use crate::config::push::PushSpec;
use crate::config::render::Template;
use crate::config::waves::{Budget, Rollout, roll_out};
use crate::config::{Operation, backup, pending};
use crate::results::{Record, Summary, render_table};
use crate::runner::{Job, Shutdown};
use crate::runtime::policy::Policy;
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// `netrun config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write each device's running configuration to DIR/<device>.cfg
    /// (volatile lines removed); a device that fails keeps its previous file.
    Backup(BackupArgs),
    /// Show what changed on each device since its backup in DIR.
    Diff(DiffArgs),
    /// Render a Jinja2 template per device and send what its running
    /// configuration lacks, behind a rollback point.
    Push(PushArgs),
}

/// Flags shared by every config subcommand.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    target: TargetArgs,
    /// Grant a third-party driver the commands its platform sends by itself:
    /// PLUGIN:command=PATTERN (repeatable).
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Policy file granting capabilities per plugin ([plugin.NAME] tables).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Where unconfirmed changes are noted [default: ~/.local/state/netrun/pending].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

impl ConfigCommand {
    /// Devices worked on at once.
    pub(crate) fn concurrency(&self) -> usize {
        match self {
            ConfigCommand::Backup(a) => a.common.target.concurrency,
            ConfigCommand::Diff(a) => a.common.target.concurrency,
            ConfigCommand::Push(a) => a.common.target.concurrency,
        }
    }
}

impl Common {
    /// Where unconfirmed changes are noted.
    fn pending_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(pending::default_dir)
    }
}

/// `config backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Folder of the backups.
    #[arg(long)]
    dir: PathBuf,
    /// Commit the changed backups to git (DIR becomes a repository), one
    /// commit per run naming the devices changed.
    #[arg(long)]
    git: bool,
    #[command(flatten)]
    common: Common,
}

/// `config diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Folder of the backups.
    #[arg(long)]
    dir: PathBuf,
    /// Show passwords, secrets and communities instead of ********.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    common: Common,
}

/// `config push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Jinja2 template rendered per device over its inventory fields and data.
    #[arg(long, short = 't')]
    template: PathBuf,
    /// Compute the change and the diff without entering configuration mode.
    #[arg(long)]
    dry_run: bool,
    /// Make the configuration equal the rendered one (lines it lacks are removed).
    #[arg(long)]
    replace: bool,
    /// Commit-confirm: unless netrun can log in again and the --verify
    /// commands pass within SECONDS (or with a unit: 90s, 5m), the change is
    /// rolled back (natively where the platform can, by netrun otherwise).
    #[arg(long, value_name = "SECONDS", value_parser = super::args::positive_secs)]
    confirm: Option<f64>,
    /// Write the startup configuration after a successful change.
    #[arg(long)]
    save: bool,
    /// A command that must succeed on each changed device (repeatable);
    /// a failure rolls the device back.
    #[arg(long = "verify", value_name = "COMMAND")]
    verify: Vec<String>,
    /// Change N devices first; stop if any of them fails.
    #[arg(long, value_name = "N", default_value_t = 0)]
    canary: usize,
    /// Then go on in waves of M devices.
    #[arg(long, value_name = "M")]
    wave_size: Option<usize>,
    /// Stop the rollout once more than K devices (or K% of them) failed.
    #[arg(long, value_name = "K")]
    max_failures: Option<String>,
    /// Show passwords, secrets and communities instead of ********.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    common: Common,
}

/// Run a config subcommand; returns the exit code.
pub async fn execute(command: ConfigCommand, dirs: &[PathBuf]) -> anyhow::Result<i32> {
    match command {
        ConfigCommand::Backup(a) => {
            let op = Operation::Backup {
                dir: a.dir.clone(),
                pending_dir: a.common.pending_dir(),
            };
            let (code, records) = run(dirs, &a.common, op, Rollout::default(), false).await?;
            if a.git {
                let changed: Vec<String> = records
                    .iter()
                    .filter(|r| {
                        r.data
                            .as_ref()
                            .and_then(|d| d.get("changed"))
                            .and_then(|c| c.as_bool())
                            == Some(true)
                    })
                    .map(|r| r.device.clone())
                    .collect();
                match backup::commit(&a.dir, &changed)? {
                    Some(hash) => crate::outln!(
                        "committed {} changed backup(s) to {} ({})",
                        changed.len(),
                        a.dir.display(),
                        &hash[..hash.len().min(12)]
                    )?,
                    None => crate::outln!("no backup changed: nothing to commit")?,
                }
            }
            Ok(code)
        }
        ConfigCommand::Diff(a) => {
            let op = Operation::Diff {
                dir: a.dir.clone(),
                show_secrets: a.show_secrets,
                pending_dir: a.common.pending_dir(),
            };
            Ok(run(dirs, &a.common, op, Rollout::default(), true).await?.0)
        }
        ConfigCommand::Push(a) => {
            let template = Template::load(&a.template).map_err(|e| anyhow::anyhow!("{e}"))?;
            let confirm = a.confirm.map(|s| secs(s, "--confirm")).transpose()?;
            let max_failures = a
                .max_failures
                .as_deref()
                .map(Budget::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!(e))?;
            if a.wave_size == Some(0) {
                bail!("--wave-size must be at least 1");
            }
            let spec = PushSpec {
                template,
                dry_run: a.dry_run,
                replace: a.replace,
                confirm,
                save: a.save,
                verify: a.verify.clone(),
                show_secrets: a.show_secrets,
                pending_dir: a.common.pending_dir(),
                run_id: format!("{}-{:04x}", pending::now(), rand::random::<u16>()),
            };
            let rollout = Rollout {
                canary: a.canary,
                wave_size: a.wave_size,
                max_failures,
            };
            Ok(run(dirs, &a.common, Operation::Push(spec), rollout, true)
                .await?
                .0)
        }
    }
}

/// Run `op` over the planned devices in the waves of `rollout`; print the
/// table (and each device's diff when `show_diffs`).
async fn run(
    dirs: &[PathBuf],
    common: &Common,
    op: Operation,
    rollout: Rollout,
    show_diffs: bool,
) -> anyhow::Result<(i32, Vec<Record>)> {
    let t = &common.target;
    if t.nats.nats.is_some() {
        bail!(
            "netrun config does not run over --nats (its waves, rollbacks and backups need one process): split it over machines with --shard I/N"
        );
    }
    if let Some(dir) = &t.templates {
        bail!(
            "netrun config parses no command output, so --templates {} would do nothing: drop it (it is for exec, run and get)",
            dir.display()
        );
    }
    let policy = Policy::load(common.policy.as_deref(), &common.grants)?;
    let (inventory, hosts) = plan_hosts(t)?;
    let needed = needed_platforms(&hosts);
    let loaded = load_plugins(
        dirs,
        None,
        &policy,
        &needed,
        super::instances_for_run(t.concurrency, hosts.len()),
    )
    .await?;
    let settings = settings_of(t, &inventory)?;
    crate::runner::check_named_known_hosts(&hosts)?;
    let connectivity = connectivity_of(t)?;
    let grace = secs(t.grace, "--grace")?;
    let records_to_stdout = t.output.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let mut sink = open_sink(t)?;
    let shutdown = Shutdown::default();
    let signals = watch_signals(shutdown.clone(), grace)?;
    let mirror = t.nats.mirror("netrun config").await?;
    let job = Job::Config(Arc::new(op));
    let started = std::time::Instant::now();
    let mut records: Vec<Record> = Vec::with_capacity(hosts.len());
    let mut write_error: Option<std::io::Error> = None;
    let show_progress = std::io::stderr().is_terminal();
    let Loaded {
        runtime,
        platforms,
        known_platforms,
        ..
    } = loaded;
    let mut late: Vec<Record> = Vec::new();
    let mut reached: std::collections::HashSet<String> = std::collections::HashSet::new();
    let outcome = roll_out(
        hosts,
        &rollout,
        async |wave| {
            // Interrupted between waves, the runner gives the devices of
            // later waves their `cancelled` records without dialling them.
            let plan = Plan {
                hosts: wave,
                job: job.clone(),
                settings: settings.clone(),
                connectivity,
                // Published per wave below, with the devices no wave reached.
                mirror: None,
            };
            let loaded = Loaded {
                runtime: runtime.clone(),
                platforms: platforms.clone(),
                known_platforms: known_platforms.clone(),
                workflow: None,
            };
            let (wave_records, _, err) = collect(
                loaded,
                plan,
                sink.as_mut(),
                show_progress,
                shutdown.clone(),
                Keep::All,
            )
            .await;
            if write_error.is_none() {
                write_error = err;
            }
            reached.extend(wave_records.iter().map(|r| r.device.clone()));
            if let Some(m) = &mirror {
                wave_records.iter().for_each(|r| m.send(r));
            }
            wave_records
        },
        |r| late.push(r),
    )
    .await;
    // Records of devices the rollout never reached go to the sink too.
    let mut summary = Summary::default();
    for r in late {
        if !reached.contains(&r.device) {
            if let Some(m) = &mirror {
                m.send(&r);
            }
            if let Some(s) = sink.as_mut() {
                // The rollout is over: nothing left to stop starting.
                s.write_keeping_error(&r, &mut write_error);
            }
        }
        summary.add(&r);
        records.push(r);
    }
    summary.wall = started.elapsed();
    signals.abort();
    if let Some(m) = mirror {
        m.finish().await;
    }
    if let Some(s) = sink.as_mut()
        && let Err(e) = s.flush()
    {
        write_error.get_or_insert(e);
    }
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let out: &mut dyn std::io::Write = if records_to_stdout {
        &mut stderr
    } else {
        &mut stdout
    };
    if show_diffs {
        let mut sorted: Vec<&Record> = records.iter().collect();
        sorted.sort_by(|a, b| a.device.cmp(&b.device));
        for r in sorted {
            if let Some(d) = r
                .data
                .as_ref()
                .and_then(|d| d.get("diff"))
                .and_then(|d| d.as_str())
                .filter(|d| !d.is_empty())
            {
                let _ = write!(out, "{d}");
                if !d.ends_with('\n') {
                    let _ = writeln!(out);
                }
            }
        }
    }
    let max_rows = if t.all_rows { usize::MAX } else { 50 };
    let _ = write!(out, "{}", render_table(&records, &summary, max_rows));
    if let Some(reason) = &outcome.stopped {
        let _ = writeln!(
            out,
            "rollout stopped after {} wave(s): {reason}",
            outcome.waves_run
        );
    }
    if let Some(path) = &t.metrics_file {
        std::fs::write(path, crate::telemetry::metrics().encode())
            .with_context(|| format!("cannot write metrics to {}", path.display()))?;
    }
    if let (Some(s), Some(e)) = (&sink, write_error) {
        return Err(s.failure(e));
    }
    Ok((exit_code(&shutdown, &summary), records))
}
