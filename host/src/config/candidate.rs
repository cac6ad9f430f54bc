//! A candidate configuration against one device, in the steps NAPALM users
//! know: load it (compare with the running configuration; nothing sent),
//! commit it behind a rollback point (optionally commit-confirm), then
//! confirm or roll back. `netrun config push` and workflow plugins (contract
//! 0.2 `config` interface) both change devices through here.

use super::diff::{self, Change};
use super::mask;
use super::mechanics::{ConfigMechanics, Step, Style};
use super::pending::{self, Pending, RollbackPoint};
use super::steps::{
    Start, read_running, run_point_steps, run_replace, run_steps, run_writing_steps, send_lines,
};
use crate::error::{Error, ErrorClass};
use crate::transport::CliSession;
use std::path::Path;
use std::time::Duration;

/// `e` with its message starting with the device's name.
pub fn with_device(device: &str, mut e: Error) -> Error {
    if !e.message.starts_with(&format!("{device}:")) {
        e.message = format!("{device}: {}", e.message);
    }
    e
}

/// The mechanics the session's platform declares, or an error saying it
/// declares none.
pub fn mechanics_of(session: &CliSession, device: &str) -> Result<ConfigMechanics, Error> {
    let platform = session.platform();
    platform.config.clone().ok_or_else(|| {
        Error::new(
            ErrorClass::Unsupported,
            format!(
                "{device}: platform {} declares no configuration mechanics (show-running, rollback, …) in its driver: configuration jobs need them; `netrun plugin list` shows the drivers",
                platform.name
            ),
        )
    })
}

/// Go back to `point`: the platform's rollback steps, or the change that
/// makes the device equal the configuration netrun kept.
pub async fn restore(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    point: &RollbackPoint,
) -> Result<(), Error> {
    match point {
        RollbackPoint::Device(name) => {
            run_point_steps(session, mechanics, &mechanics.rollback, name)
                .await
                .map(|_| ())
        }
        RollbackPoint::Netrun(before)
            if !mechanics.has_checkpoint() && !mechanics.replace.is_empty() =>
        {
            // No way back on the device but a native replace (SR OS MD-CLI:
            // a private candidate emptied, refilled, committed at once): the
            // configuration netrun kept goes back whole, in the lines the
            // device printed, rather than as deletions whose syntax the
            // device may not take.
            run_replace(
                session,
                &mechanics.replace,
                "",
                before,
                mechanics.style == Style::Indented,
                None,
            )
            .await
            .map(|_| ())
        }
        RollbackPoint::Netrun(before) => {
            let current = read_running(session, mechanics).await?;
            let back = diff::change(&current, before, mechanics, true);
            if back.is_empty() {
                return Ok(());
            }
            send_lines(session, mechanics, &back.commands, &mechanics.commit, None).await
        }
    }
}

/// The name of run `run_id`'s rollback point, files and session (`netrun-RUN`).
pub fn point_name(run_id: &str) -> String {
    format!("netrun-{run_id}")
}

/// The platform's cleanup steps for the change named `name` (see
/// [`Committed::clean_up`]); the error's message when they failed.
pub async fn clean_up(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    name: &str,
    device: &str,
) -> Option<String> {
    if mechanics.cleanup.is_empty() {
        return None;
    }
    match run_point_steps(session, mechanics, &mechanics.cleanup, name).await {
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(device, error = %e.message, "could not remove the change's files from the device");
            Some(e.message)
        }
    }
}

/// [`restore`], then check the configuration reads as `before` again.
async fn restore_checked(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    point: &RollbackPoint,
    before: &str,
) -> Result<(), Error> {
    restore(session, mechanics, point).await?;
    let now = read_running(session, mechanics).await?;
    if diff::same_config(&now, before, mechanics) {
        return Ok(());
    }
    let left: Vec<String> = diff::change(&now, before, mechanics, true).commands;
    Err(Error::new(
        ErrorClass::Internal,
        format!(
            "the rollback ({}) left the configuration different from before; still needed: {}",
            point.describe(),
            mask::mask(&left.join(" / "))
        ),
    ))
}

/// Take a rollback point: the platform's own, or (when it has none, or the
/// device refuses the checkpoint command) the configuration netrun keeps.
async fn take_point(
    session: &mut CliSession,
    mechanics: &ConfigMechanics,
    name: &str,
    before: &str,
    device: &str,
) -> Result<RollbackPoint, Error> {
    if !mechanics.has_checkpoint() {
        return Ok(RollbackPoint::Netrun(before.to_string()));
    }
    if mechanics.checkpoint.is_empty() {
        return Ok(RollbackPoint::Device(String::new()));
    }
    match run_writing_steps(session, &mechanics.checkpoint, name).await {
        Ok(_) => Ok(RollbackPoint::Device(name.to_string())),
        Err(e) if e.class == ErrorClass::RejectedCommand => {
            tracing::warn!(device, error = %e.message, "the device refused the rollback-point command; netrun keeps the configuration itself");
            Ok(RollbackPoint::Netrun(before.to_string()))
        }
        Err(e) => Err(with_device(device, e)),
    }
}

/// The steps that finish a change, and whether they are a native
/// commit-confirm.
fn commit_steps(mechanics: &ConfigMechanics, confirm: Option<Duration>) -> (Vec<Step>, bool) {
    match confirm {
        Some(_) if !mechanics.commit_confirmed.is_empty() => {
            (mechanics.commit_confirmed.clone(), true)
        }
        _ => (mechanics.commit.clone(), false),
    }
}

/// Whether the platform's replace steps commit with its plain commit step
/// (Junos `commit`, SR OS MD-CLI `commit` before its `exit all`), which a
/// native commit-confirm can stand in for.
fn replace_commits_plainly(mechanics: &ConfigMechanics) -> bool {
    match mechanics.commit.first() {
        Some(commit) => mechanics.replace.iter().any(|s| s.send == commit.send),
        None => false,
    }
}

/// How `--replace` makes a device's configuration equal the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaceMode {
    /// The platform's own replace (its `replace` steps): the candidate goes
    /// to the device whole (IOS `configure replace` of a file written with
    /// `tclsh`, an EOS session from `rollback clean-config`, Junos `delete`
    /// + `set` lines in one commit).
    Native,
    /// The removals and additions netrun computes, behind a rollback point
    /// on the device that undoes a replace left halfway (NX-OS checkpoint),
    /// or, on block-structured configurations (FortiOS), behind the
    /// configuration netrun keeps: there `unset` and `delete` return every
    /// setting and entry to what it was, so the difference undoes exactly.
    Difference,
}

impl ReplaceMode {
    /// How `mechanics` replace, or `None` when the platform cannot: no
    /// `replace` steps, no rollback point on the device, and no block
    /// structure whose difference undoes exactly.
    pub fn of(mechanics: &ConfigMechanics) -> Option<ReplaceMode> {
        if !mechanics.replace.is_empty() {
            Some(ReplaceMode::Native)
        } else if mechanics.style == Style::Blocks
            || (mechanics.style != Style::Flat && mechanics.has_checkpoint())
        {
            Some(ReplaceMode::Difference)
        } else {
            None
        }
    }

    /// How records name it.
    pub fn name(self) -> &'static str {
        match self {
            ReplaceMode::Native => "native",
            ReplaceMode::Difference => "difference",
        }
    }
}

/// How a candidate is committed.
#[derive(Debug, Clone)]
pub struct CommitOptions<'a> {
    /// Commit-confirm window: the change is undone unless confirmed within it.
    pub confirm: Option<Duration>,
    /// Names the rollback point and the pending note.
    pub run_id: &'a str,
    /// Where unconfirmed (emulated) changes are noted.
    pub pending_dir: &'a Path,
    /// Show secrets in error messages.
    pub show_secrets: bool,
}

/// A candidate configuration loaded against one device.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The device's configuration mechanics.
    pub mechanics: ConfigMechanics,
    /// The candidate text.
    pub text: String,
    /// Whether the configuration is to equal the candidate (not only hold it).
    pub replace: bool,
    /// How it is made equal, when `replace`.
    pub replace_mode: Option<ReplaceMode>,
    /// The running configuration when the candidate was loaded.
    pub before: String,
    /// What commit would send, and the configuration predicted after it.
    pub change: Change,
}

impl Candidate {
    /// Read the running configuration and compute what `text` changes;
    /// nothing is sent.
    pub async fn load(
        session: &mut CliSession,
        device: &str,
        text: String,
        replace: bool,
    ) -> Result<Candidate, Error> {
        let mechanics = mechanics_of(session, device)?;
        let replace_mode = if replace {
            Some(ReplaceMode::of(&mechanics).ok_or_else(|| {
                Error::new(
                    ErrorClass::Unsupported,
                    format!(
                        "{device}: platform {} cannot replace its whole configuration: its platform file declares no `replace` steps and no rollback point on the device to undo a replace left halfway; push without --replace to merge",
                        session.platform().name
                    ),
                )
            })?)
        } else {
            None
        };
        let before = read_running(session, &mechanics).await?;
        let change = diff::change(&before, &text, &mechanics, replace);
        Ok(Candidate {
            mechanics,
            text,
            replace,
            replace_mode,
            before,
            change,
        })
    }

    /// Whether the device already holds the candidate.
    pub fn is_empty(&self) -> bool {
        self.change.is_empty()
    }

    /// Unified diff of the running configuration → the predicted one
    /// (empty when nothing would change).
    pub fn diff(&self, device: &str) -> String {
        diff::unified(device, &self.before, &self.change.predicted)
    }

    /// Send the change behind a rollback point. A line the device refuses
    /// undoes the change and fails with `rejected-command` naming the line
    /// and saying whether the device is back where it was.
    pub async fn commit(
        &self,
        session: &mut CliSession,
        device: &str,
        opts: &CommitOptions<'_>,
    ) -> Result<Committed, Error> {
        self.commit_noting(session, device, opts, &mut None).await
    }

    /// [`Candidate::commit`], noting the change in `sending` as soon as its
    /// rollback point is taken and before any line is sent, so a caller
    /// that stops the commit part-way (a deadline) knows what to undo.
    pub async fn commit_noting(
        &self,
        session: &mut CliSession,
        device: &str,
        opts: &CommitOptions<'_>,
        sending: &mut Option<Committed>,
    ) -> Result<Committed, Error> {
        let mechanics = &self.mechanics;
        let name = point_name(opts.run_id);
        let point = take_point(session, mechanics, &name, &self.before, device).await?;
        let (finish, mut native_confirm) = commit_steps(mechanics, opts.confirm);
        if self.replace_mode == Some(ReplaceMode::Native) && !replace_commits_plainly(mechanics) {
            // The replace commits its own way (XR `commit replace`), which
            // the platform's commit-confirmed cannot stand in for: netrun
            // confirms instead.
            native_confirm = false;
        }
        if let Some(window) = opts.confirm.filter(|_| !native_confirm) {
            let note = Pending {
                device: device.to_string(),
                run_id: opts.run_id.to_string(),
                deadline: pending::now() + window.as_secs().max(1),
                point: point.clone(),
            };
            pending::write(opts.pending_dir, &note).map_err(|e| {
                Error::new(
                    ErrorClass::Internal,
                    format!(
                        "{device}: cannot note the change for commit-confirm in {}: {e}; fix the folder or pass --state-dir",
                        opts.pending_dir.display()
                    ),
                )
            })?;
        }
        let committed = Committed {
            point,
            name,
            native_confirm,
            confirm: opts.confirm,
            confirmed: false,
        };
        *sending = Some(committed.clone());
        let sent = if self.replace_mode == Some(ReplaceMode::Native) {
            self.send_replace(session, &committed, opts.confirm).await
        } else {
            send_lines(
                session,
                mechanics,
                &self.change.commands,
                &finish,
                opts.confirm,
            )
            .await
        };
        let Err(e) = sent else {
            return Ok(committed);
        };
        let e = with_device(device, e);
        if e.class != ErrorClass::RejectedCommand {
            // The session is gone or out of step: nothing more can be sent.
            return Err(e);
        }
        // Lines that wait for a commit (Junos, XR), or a native replace
        // stopped in configuration mode before its commit step (an EOS
        // session), are dropped by the abort steps; lines applied as typed
        // are undone by the rollback point.
        let default = session.platform().default_mode;
        let uncommitted = !mechanics.commit.is_empty()
            || (self.replace_mode == Some(ReplaceMode::Native)
                && session.mode() != session.platform().modes[default].name);
        let undo = if mechanics.abort.is_empty() || !uncommitted {
            restore_checked(session, mechanics, &committed.point, &self.before).await
        } else {
            // Nothing was committed: dropping the candidate is enough, where
            // lines did wait for the commit. A release that applies them as
            // typed (VRP5 under a platform file written for VRP8's two-stage
            // commit) still holds them: then the rollback point undoes them.
            match run_steps(session, &mechanics.abort, Start::Configuration, "", None).await {
                Ok(_) => {
                    async {
                        let default = session.platform().default_mode;
                        session.acquire(default).await?;
                        let now = read_running(session, mechanics).await?;
                        if diff::same_config(&now, &self.before, mechanics) {
                            return Ok(());
                        }
                        restore_checked(session, mechanics, &committed.point, &self.before).await
                    }
                    .await
                }
                Err(u) => Err(u),
            }
        };
        pending::remove(opts.pending_dir, device);
        if undo.is_ok() {
            *sending = None;
            committed.clean_up(session, mechanics, device).await;
        }
        let how = match undo {
            Ok(()) => format!("rolled back ({})", committed.point.describe()),
            Err(u) => format!("ROLLBACK FAILED: {}", u.message),
        };
        Err(Error::new(
            ErrorClass::RejectedCommand,
            format!("{}; {how}", mask::maybe(&e.message, opts.show_secrets)),
        ))
    }

    /// The platform's native replace with this candidate. A refusal by a
    /// step that is no candidate line (IOS `configure replace` reporting a
    /// line it could not apply) names the lines the device did not take.
    async fn send_replace(
        &self,
        session: &mut CliSession,
        committed: &Committed,
        confirm: Option<Duration>,
    ) -> Result<(), Error> {
        let mechanics = &self.mechanics;
        // With a native commit-confirm the replace's commit step commits
        // confirmed instead (Junos `commit` → `commit confirmed M`).
        let commit_as = match (committed.native_confirm, mechanics.commit.first()) {
            (true, Some(commit)) => Some((
                commit.send.as_str(),
                mechanics.commit_confirmed.as_slice(),
                confirm,
            )),
            _ => None,
        };
        let refused = match run_replace(
            session,
            &mechanics.replace,
            &committed.name,
            &self.text,
            mechanics.style == Style::Indented,
            commit_as,
        )
        .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.class == ErrorClass::RejectedCommand => e,
            Err(e) => return Err(e),
        };
        if self.text.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && refused.message.contains(&format!("`{l}`"))
        }) {
            return Err(refused);
        }
        let default = session.platform().default_mode;
        if session.mode() != session.platform().modes[default].name {
            // Left in configuration mode with changes pending: only the
            // abort or rollback may go on from here.
            return Err(refused);
        }
        let now = read_running(session, mechanics).await?;
        let missing = diff::change(&now, &self.text, mechanics, true).commands;
        let missing: Vec<&String> = missing
            .iter()
            .filter(|l| self.text.lines().any(|t| t.trim() == l.trim()))
            .collect();
        if missing.is_empty() {
            return Err(refused);
        }
        let names: Vec<String> = missing.iter().map(|l| format!("`{}`", l.trim())).collect();
        Err(Error::new(
            ErrorClass::RejectedCommand,
            format!(
                "device did not take {}; {}",
                names.join(", "),
                refused.message
            ),
        ))
    }
}

/// A change sent to a device: what it takes to confirm or undo it.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The way back.
    pub point: RollbackPoint,
    /// The rollback point's name (`netrun-RUN`).
    pub name: String,
    /// The device itself undoes the change unless confirmed (Junos `commit confirmed`).
    pub native_confirm: bool,
    /// The commit-confirm window, when one was asked for.
    pub confirm: Option<Duration>,
    /// Whether [`Committed::confirm`] ran.
    pub confirmed: bool,
}

impl Committed {
    /// Confirm a commit-confirm: the platform's confirm steps where it is
    /// native, else netrun's note is removed. Returns `native` or `netrun`.
    pub async fn confirm(
        &mut self,
        session: &mut CliSession,
        mechanics: &ConfigMechanics,
        device: &str,
        pending_dir: &Path,
    ) -> Result<&'static str, Error> {
        let how = if self.native_confirm {
            run_steps(
                session,
                &mechanics.confirm,
                Start::Default,
                &self.name,
                None,
            )
            .await
            .map_err(|e| with_device(device, e))?;
            "native"
        } else {
            "netrun"
        };
        pending::remove(pending_dir, device);
        self.confirmed = true;
        Ok(how)
    }

    /// The way back to the configuration before the change. The platform's
    /// "before the last commit" (Junos `rollback 1`) no longer is once a
    /// native confirm committed again: then it is the configuration kept.
    fn way_back(&self, before: &str) -> RollbackPoint {
        match &self.point {
            RollbackPoint::Device(name) if name.is_empty() && self.confirmed => {
                RollbackPoint::Netrun(before.to_string())
            }
            point => point.clone(),
        }
    }

    /// Remove what the change left on the device: the platform's cleanup
    /// steps (IOS `delete /force flash:{name}` of the rollback point and
    /// the replace candidate, NX-OS `no checkpoint {name}`), once the change
    /// is done or rolled back. A failure is logged and returned, never the
    /// change's: the configuration is as intended either way.
    pub async fn clean_up(
        &self,
        session: &mut CliSession,
        mechanics: &ConfigMechanics,
        device: &str,
    ) -> Option<String> {
        clean_up(session, mechanics, &self.name, device).await
    }

    /// Undo the change and check the configuration reads as before again;
    /// on success the pending note and the change's files are removed.
    pub async fn rollback(
        &self,
        session: &mut CliSession,
        candidate: &Candidate,
        device: &str,
        pending_dir: &Path,
    ) -> Result<(), Error> {
        let point = self.way_back(&candidate.before);
        restore_checked(session, &candidate.mechanics, &point, &candidate.before)
            .await
            .map_err(|e| with_device(device, e))?;
        pending::remove(pending_dir, device);
        self.clean_up(session, &candidate.mechanics, device).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_native_confirm_the_way_back_is_the_configuration_kept() {
        let mut c = Committed {
            point: RollbackPoint::Device(String::new()),
            name: "netrun-1".into(),
            native_confirm: true,
            confirm: Some(Duration::from_secs(60)),
            confirmed: false,
        };
        assert_eq!(c.way_back("set a\n"), RollbackPoint::Device(String::new()));
        c.confirmed = true;
        assert_eq!(
            c.way_back("set a\n"),
            RollbackPoint::Netrun("set a\n".into())
        );
        c.point = RollbackPoint::Device("netrun-1".into());
        assert_eq!(
            c.way_back("set a\n"),
            RollbackPoint::Device("netrun-1".into())
        );
    }

    #[test]
    fn a_replace_that_commits_its_own_way_is_not_confirmed_natively() {
        use crate::transport::config_mechanics::{ConfigSpec, StepSpec};
        let of = |replace: &[&str]| {
            let steps = |l: &[&str]| {
                l.iter()
                    .map(|s| StepSpec {
                        send: s.to_string(),
                        answers: Vec::new(),
                    })
                    .collect()
            };
            ConfigMechanics::compile(&ConfigSpec {
                show_running: "show running-config".into(),
                commit: steps(&["commit"]),
                commit_confirmed: steps(&["commit confirmed {minutes}"]),
                replace: steps(replace),
                ..Default::default()
            })
            .unwrap()
        };
        // Junos: its replace ends in the plain `commit`.
        assert!(replace_commits_plainly(&of(&[
            "configure",
            "{line}",
            "commit"
        ])));
        // XR: `commit replace` is no plain commit.
        assert!(!replace_commits_plainly(&of(&[
            "configure terminal",
            "{line}",
            "commit replace",
            "end"
        ])));
    }

    #[test]
    fn commit_confirmed_is_native_only_where_the_platform_has_it() {
        let sends = |(steps, native): (Vec<Step>, bool)| {
            (
                steps
                    .iter()
                    .map(|s| s.filled("", Some(Duration::from_secs(90))).send)
                    .collect::<Vec<_>>(),
                native,
            )
        };
        let junos = crate::config::mechanics::fixtures::juniper_junos();
        assert_eq!(
            sends(commit_steps(&junos, Some(Duration::from_secs(90)))),
            (vec!["commit confirmed 2".to_string()], true)
        );
        assert_eq!(
            sends(commit_steps(&junos, None)),
            (vec!["commit".to_string()], false)
        );
        let ios = crate::config::mechanics::fixtures::cisco_ios();
        assert_eq!(
            sends(commit_steps(&ios, Some(Duration::from_secs(90)))),
            (Vec::new(), false)
        );
    }
}
