//! Configuration management, one runner job kind: backups, diffs against
//! them, and templated changes behind rollback points, with commit-confirm
//! and rollout in waves. Per-platform mechanics are data
//! ([`mechanics::ConfigMechanics`]).

pub mod backup;
pub mod blocks;
pub mod candidate;
pub mod diff;
pub mod mask;
pub mod mechanics;
pub mod menus;
pub mod pending;
pub mod push;
pub mod render;
pub mod steps;
pub mod waves;

use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::runtime::device::DeviceContext;
use serde_json::{Value, json};
use std::path::PathBuf;

/// A configuration job, done on each device. One value per run, shared by
/// every device task, so the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Operation {
    /// Store the running configuration in `DIR/<device>.cfg`.
    Backup {
        /// The backup folder.
        dir: PathBuf,
        /// Where unconfirmed changes are noted.
        pending_dir: PathBuf,
    },
    /// Compare the running configuration with `DIR/<device>.cfg`.
    Diff {
        /// The backup folder.
        dir: PathBuf,
        /// Show secrets in the diff.
        show_secrets: bool,
        /// Where unconfirmed changes are noted.
        pending_dir: PathBuf,
    },
    /// A templated change.
    Push(push::PushSpec),
}

impl Operation {
    /// The job's name in logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Backup { .. } => "config-backup",
            Operation::Diff { .. } => "config-diff",
            Operation::Push(_) => "config-push",
        }
    }

    /// Where unconfirmed changes are noted.
    fn pending_dir(&self) -> &std::path::Path {
        match self {
            Operation::Backup { pending_dir, .. } | Operation::Diff { pending_dir, .. } => {
                pending_dir
            }
            Operation::Push(spec) => &spec.pending_dir,
        }
    }
}

/// Do `op` on the device of `ctx`; first undo a change an earlier netrun
/// made and never confirmed (emulated commit-confirm).
pub async fn on_device(
    ctx: &mut DeviceContext,
    host: &Host,
    op: &Operation,
) -> Result<Value, Error> {
    let recovered = push::recover(ctx, &host.name, op.pending_dir()).await?;
    let mut data = match op {
        Operation::Backup { dir, .. } => backup_device(ctx, host, dir).await,
        Operation::Diff {
            dir, show_secrets, ..
        } => diff_device(ctx, host, dir, *show_secrets).await,
        Operation::Push(spec) => push::push_within_deadline(ctx, host, spec).await,
    }?;
    if let Some(r) = recovered {
        data["recovered"] = r;
    }
    Ok(data)
}

async fn running_of(ctx: &mut DeviceContext, host: &Host) -> Result<String, Error> {
    let progress = ctx.progress();
    let session = ctx.session().await?;
    let mechanics = candidate::mechanics_of(session, &host.name)?;
    progress.set_step("reading the running configuration");
    // Backups and diffs take the configuration in whichever of the
    // platform's CLIs the device speaks (SR OS classic or MD-CLI).
    steps::read_running_any(session, &mechanics)
        .await
        .map(|(text, _)| text)
}

async fn backup_device(
    ctx: &mut DeviceContext,
    host: &Host,
    dir: &std::path::Path,
) -> Result<Value, Error> {
    let config = running_of(ctx, host).await?;
    if config.trim().is_empty() {
        return Err(Error::new(
            ErrorClass::Parse,
            format!(
                "{}: the device printed an empty configuration; the previous backup is kept",
                host.name
            ),
        ));
    }
    let path = backup::path_of(dir, &host.name);
    let changed = backup::store(dir, &host.name, &config).map_err(|e| {
        Error::new(
            ErrorClass::Internal,
            format!("{}: cannot write {}: {e}", host.name, path.display()),
        )
    })?;
    Ok(json!({
        "path": path.display().to_string(),
        "changed": changed,
        "bytes": config.len(),
        "lines": config.lines().count(),
    }))
}

async fn diff_device(
    ctx: &mut DeviceContext,
    host: &Host,
    dir: &std::path::Path,
    show_secrets: bool,
) -> Result<Value, Error> {
    let path = backup::path_of(dir, &host.name);
    let saved = std::fs::read_to_string(&path).map_err(|e| {
        Error::new(
            ErrorClass::Inventory,
            format!(
                "{}: no backup to compare with ({}: {e}): run `netrun config backup --dir {}` first",
                host.name,
                path.display(),
                dir.display()
            ),
        )
    })?;
    let running = running_of(ctx, host).await?;
    let d = diff::unified(&host.name, &saved, &running);
    Ok(json!({
        "changed": !d.is_empty(),
        "diff": mask::maybe(&d, show_secrets),
        "backup": path.display().to_string(),
    }))
}
