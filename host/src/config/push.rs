//! A templated change on one device: render, compare with the running
//! configuration, send only what is missing, behind a rollback point, with
//! post-checks and commit-confirm; or compute all that without entering
//! configuration mode (`--dry-run`).

use super::candidate::{
    Candidate, CommitOptions, Committed, clean_up, mechanics_of, point_name, restore, with_device,
};
use super::diff;
use super::mask;
use super::pending::{self, Pending, RollbackPoint};
use super::render::Template;
use super::steps::{Start, read_running, run_steps, run_writing_steps};
use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::runtime::config::SETTLE_GRACE;
use crate::runtime::device::DeviceContext;
use crate::transport::{CliSession, CommandOptions};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// What `config push` does on every device.
pub struct PushSpec {
    /// The template rendered per device.
    pub template: Template,
    /// Compute and report, but do not enter configuration mode.
    pub dry_run: bool,
    /// Make the configuration equal the rendered one (not only hold it).
    pub replace: bool,
    /// Commit-confirm window (`--confirm SECONDS`).
    pub confirm: Option<Duration>,
    /// Write the startup configuration after success.
    pub save: bool,
    /// Commands that must succeed after the change (`--verify`).
    pub verify: Vec<String>,
    /// Show secrets in diffs and commands.
    pub show_secrets: bool,
    /// Where unconfirmed changes are noted.
    pub pending_dir: PathBuf,
    /// Names rollback points and pending notes.
    pub run_id: String,
}

impl PushSpec {
    fn show(&self, text: &str) -> String {
        mask::maybe(text, self.show_secrets)
    }

    fn show_lines(&self, lines: &[String]) -> Vec<String> {
        lines.iter().map(|l| self.show(l)).collect()
    }
}

/// Run `check` within the commit-confirm `window`; past it the change
/// counts as unconfirmed.
pub async fn within_window<T>(
    device: &str,
    window: Option<Duration>,
    check: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(window) = window else {
        return check.await;
    };
    match tokio::time::timeout(window, check).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(
            ErrorClass::CommandTimeout,
            format!(
                "{device}: the post-change checks did not pass within the --confirm window of {}",
                crate::resilience::deadline::seconds(window)
            ),
        )),
    }
}

/// Undo a change netrun made earlier and never confirmed (it was killed
/// inside the `--confirm` window). Returns what was done, for the record.
pub async fn recover(
    ctx: &mut DeviceContext,
    device: &str,
    dir: &std::path::Path,
) -> Result<Option<Value>, Error> {
    let Some(p) = pending::read(dir, device) else {
        return Ok(None);
    };
    let now = pending::now();
    if now < p.deadline {
        return Err(Error::new(
            ErrorClass::Cancelled,
            format!(
                "{device}: a change by run {} awaits confirmation for {} s more: run again after that",
                p.run_id,
                p.deadline - now
            ),
        ));
    }
    let session = ctx.session().await?;
    let mechanics = mechanics_of(session, device)?;
    restore(session, &mechanics, &p.point)
        .await
        .map_err(|e| with_device(device, e))?;
    pending::remove(dir, device);
    clean_up(session, &mechanics, &point_name(&p.run_id), device).await;
    tracing::warn!(device, run_id = %p.run_id, "rolled back a change that was never confirmed");
    Ok(Some(json!({
        "run_id": p.run_id,
        "rolled_back": true,
        "rollback_point": p.point.describe(),
    })))
}

/// What a push stopped part-way (by the device deadline) leaves to undo:
/// set once the rollback point is taken, cleared once the change stands
/// (checked, and confirmed when asked) or was rolled back.
#[derive(Default)]
pub struct InFlight {
    /// The candidate being committed.
    pub candidate: Option<Candidate>,
    /// The change sent or being sent.
    pub committed: Option<Committed>,
}

/// [`push`], stopped [`SETTLE_GRACE`] (at most a quarter of the device's
/// time left now) before the device deadline; a change it stopped in
/// flight (lines half sent, post-checks or confirmation pending) is rolled
/// back in that grace, so no device is left half-changed by a deadline.
pub async fn push_within_deadline(
    ctx: &mut DeviceContext,
    host: &Host,
    spec: &PushSpec,
) -> Result<Value, Error> {
    let mut inflight = InFlight::default();
    let Some(deadline) = ctx.deadline().filter(|_| !spec.dry_run) else {
        return push(ctx, host, spec, &mut inflight).await;
    };
    let device = host.name.as_str();
    let progress = ctx.progress();
    let grace = SETTLE_GRACE.min(deadline.saturating_duration_since(Instant::now()) / 4);
    // Whole seconds, for the record (a budget of seconds, less what came before).
    let grace = match grace.as_secs_f64().round() {
        s if s >= 1.0 => Duration::from_secs_f64(s),
        _ => grace,
    };
    let stopped =
        match tokio::time::timeout_at(deadline - grace, push(ctx, host, spec, &mut inflight)).await
        {
            Ok(r) => return r,
            Err(_) => format!(
                "{device}: the device deadline was {} away while {}",
                crate::resilience::deadline::seconds(grace),
                progress.step()
            ),
        };
    let (Some(candidate), Some(committed)) = (inflight.candidate, inflight.committed) else {
        return Err(Error::new(
            ErrorClass::DeviceTimeout,
            format!("{stopped}: stopped before anything was sent"),
        ));
    };
    progress.set_step("undoing the change the deadline stopped");
    let undo = tokio::time::timeout_at(deadline, async {
        // The session may have been stopped inside a command: log in again.
        ctx.close().await;
        let session = ctx.session().await?;
        undo_stopped(session, &candidate, &committed, device, &spec.pending_dir).await
    })
    .await
    .unwrap_or_else(|_| {
        Err(Error::new(
            ErrorClass::DeviceTimeout,
            format!(
                "the rollback did not finish within the {} grace",
                crate::resilience::deadline::seconds(grace)
            ),
        ))
    });
    let how = match undo {
        Ok(how) => how,
        Err(u) if committed.native_confirm => format!(
            "not confirmed: the device rolls back by itself when its timer runs out ({})",
            u.message
        ),
        Err(u) => {
            // The next netrun config command on the device undoes it, as
            // after a netrun killed inside a --confirm window.
            let noted = !matches!(&committed.point, RollbackPoint::Device(n) if n.is_empty())
                && pending::write(
                    &spec.pending_dir,
                    &Pending {
                        device: device.to_string(),
                        run_id: spec.run_id.clone(),
                        deadline: pending::now(),
                        point: committed.point.clone(),
                    },
                )
                .is_ok();
            if noted {
                format!(
                    "NOT ROLLED BACK YET ({}): the next netrun config command on this device rolls it back",
                    u.message
                )
            } else {
                format!("NOT ROLLED BACK ({}): check the device", u.message)
            }
        }
    };
    tracing::warn!(device, outcome = %how, "the device deadline stopped a configuration change");
    Err(Error::new(
        ErrorClass::DeviceTimeout,
        format!("{stopped}: the change was stopped part-way; {how}"),
    ))
}

/// Undo a change stopped part-way, on a fresh session: when the device
/// reads as before, nothing took effect (lines typed into a candidate that
/// waits for its commit are dropped by the abort steps); otherwise the
/// change is rolled back and checked. Returns what was done.
async fn undo_stopped(
    session: &mut CliSession,
    candidate: &Candidate,
    committed: &Committed,
    device: &str,
    pending_dir: &std::path::Path,
) -> Result<String, Error> {
    let mechanics = &candidate.mechanics;
    let now = read_running(session, mechanics).await?;
    if diff::same_config(&now, &candidate.before, mechanics) {
        if !mechanics.commit.is_empty() && !mechanics.abort.is_empty() {
            run_steps(session, &mechanics.abort, Start::Configuration, "", None).await?;
            let default = session.platform().default_mode;
            session.acquire(default).await?;
        }
        pending::remove(pending_dir, device);
        committed.clean_up(session, mechanics, device).await;
        return Ok("nothing of it had taken effect, nothing is left pending".into());
    }
    committed
        .rollback(session, candidate, device, pending_dir)
        .await?;
    Ok(format!("rolled back ({})", committed.point.describe()))
}

/// The change for one device; `inflight` says what to undo when the
/// caller stops it part-way.
pub async fn push(
    ctx: &mut DeviceContext,
    host: &Host,
    spec: &PushSpec,
    inflight: &mut InFlight,
) -> Result<Value, Error> {
    let device = host.name.as_str();
    // Steps are named through the progress handle: it borrows nothing of
    // `ctx`, whose session is held across them.
    let progress = ctx.progress();
    let text = spec
        .template
        .render(host)
        .map_err(|e| Error::new(ErrorClass::Inventory, e.to_string()))?;
    let session = ctx.session().await?;
    progress.set_step("reading the running configuration");
    let candidate = Candidate::load(session, device, text, spec.replace).await?;
    let mut data = json!({
        "changed": false,
        "dry_run": spec.dry_run,
        "diff": "",
        "commands": [],
    });
    if let Some(mode) = candidate.replace_mode {
        data["replace"] = json!(mode.name());
    }
    if candidate.is_empty() {
        return Ok(data);
    }
    data["commands"] = json!(spec.show_lines(&candidate.change.commands));
    if spec.dry_run {
        data["changed"] = json!(true);
        data["diff"] = json!(spec.show(&candidate.diff(device)));
        return Ok(data);
    }

    progress.set_step("sending the change");
    let opts = CommitOptions {
        confirm: spec.confirm,
        run_id: &spec.run_id,
        pending_dir: &spec.pending_dir,
        show_secrets: spec.show_secrets,
    };
    inflight.candidate = Some(candidate.clone());
    let mut committed = candidate
        .commit_noting(session, device, &opts, &mut inflight.committed)
        .await?;
    data["rollback_point"] = json!(committed.point.describe());

    // Post-checks: can netrun still log in (when confirming), and do the
    // --verify commands succeed?
    progress.set_step("checking the device after the change");
    let checks = within_window(device, spec.confirm, async {
        if spec.confirm.is_some() {
            // A fresh login proves the change left the device reachable.
            ctx.close().await;
        }
        let session = ctx.session().await?;
        let mut outputs = Vec::new();
        for command in &spec.verify {
            let out = session
                .send_command(command, &CommandOptions::default())
                .await
                .map_err(|e| {
                    Error::new(
                        e.class,
                        format!("post-check `{command}` failed: {}", e.message),
                    )
                })?;
            outputs.push(json!({"command": command, "output": out}));
        }
        Ok(outputs)
    })
    .await;
    match checks {
        Ok(outputs) => {
            if !outputs.is_empty() {
                data["verify"] = json!(outputs);
            }
        }
        Err(e) => {
            let e = with_device(device, e);
            let undo = match ctx.session().await {
                Ok(session) => {
                    committed
                        .rollback(session, &candidate, device, &spec.pending_dir)
                        .await
                }
                Err(u) => Err(u),
            };
            // Undone (or left to the device's timer or the next netrun).
            inflight.committed = None;
            let how = match undo {
                Ok(()) => format!("rolled back ({})", committed.point.describe()),
                Err(u) if committed.native_confirm => format!(
                    "not confirmed: the device rolls back by itself when its timer runs out ({})",
                    u.message
                ),
                Err(u) => format!(
                    "NOT ROLLED BACK YET ({}): the next netrun config command on this device rolls it back",
                    u.message
                ),
            };
            return Err(Error::new(e.class, format!("{}; {how}", e.message)));
        }
    }

    let session = ctx.session().await?;
    let mechanics = &candidate.mechanics;
    if spec.confirm.is_some() {
        let how = committed
            .confirm(session, mechanics, device, &spec.pending_dir)
            .await?;
        data["confirmed"] = json!(how);
    }
    // The change stands: a deadline from here on leaves it in place.
    inflight.committed = None;
    if spec.save {
        progress.set_step("saving the startup configuration");
        run_writing_steps(session, &mechanics.save, &committed.name)
            .await
            .map_err(|e| with_device(device, e))?;
        data["saved"] = json!(true);
    }
    // The change stands: its rollback point and files go.
    if let Some(failed) = committed.clean_up(session, mechanics, device).await {
        data["leftover"] = json!(format!(
            "the change's files ({}) are still on the device: {failed}",
            committed.name
        ));
    }
    let after = read_running(session, mechanics).await?;
    let outcome = Outcome::of(&candidate, &after);
    outcome.record(
        &mut data,
        device,
        &candidate.before,
        &after,
        spec.show_secrets,
    );
    if spec.replace && !outcome.resend.is_empty() {
        data["replace_complete"] = json!(false);
    }
    Ok(data)
}

/// What a sent change did, read back from the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The configuration differs from before.
    pub changed: bool,
    /// What a second identical change would send again: lines the device
    /// holds in another form than the candidate's (empty when idempotent).
    pub resend: Vec<String>,
}

impl Outcome {
    /// Compare the configuration before `candidate` was committed with the
    /// one read `after`.
    pub fn of(candidate: &Candidate, after: &str) -> Outcome {
        let mechanics = &candidate.mechanics;
        Outcome {
            changed: !diff::same_config(&candidate.before, after, mechanics),
            resend: diff::change(after, &candidate.text, mechanics, candidate.replace).commands,
        }
    }

    /// Write the outcome into a device's record, whose `commands` holds what
    /// was sent: `changed` is true exactly when `commands` is not empty, so
    /// commands that changed nothing move to `no_effect`.
    pub fn record(
        &self,
        data: &mut Value,
        device: &str,
        before: &str,
        after: &str,
        show_secrets: bool,
    ) {
        data["changed"] = json!(self.changed);
        data["diff"] = json!(mask::maybe(
            &diff::unified(device, before, after),
            show_secrets
        ));
        if !self.changed {
            data["no_effect"] = data["commands"].take();
            data["commands"] = json!([]);
            tracing::warn!(device, "the commands sent left the configuration as it was");
        }
        if !self.resend.is_empty() {
            // The device prints these lines in another form than the
            // template: the next push would send them again.
            let lines: Vec<String> = self
                .resend
                .iter()
                .map(|l| mask::maybe(l, show_secrets))
                .collect();
            data["resend"] = json!(lines);
            tracing::warn!(
                device,
                lines = self.resend.len(),
                "the device holds the change in another form than the template: write those lines as `show running-config` prints them"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn checks_that_pass_inside_the_confirm_window_confirm() {
        let r = within_window("r1", Some(Duration::from_secs(30)), async {
            tokio::time::sleep(Duration::from_secs(29)).await;
            Ok::<_, Error>(7)
        })
        .await;
        assert_eq!(r, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn checks_still_running_when_the_window_closes_leave_the_change_unconfirmed() {
        let started = tokio::time::Instant::now();
        let r = within_window("r1", Some(Duration::from_secs(30)), async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, Error>(())
        })
        .await;
        let e = r.unwrap_err();
        assert_eq!(e.class, ErrorClass::CommandTimeout);
        assert!(
            e.message.contains("--confirm window of 30s"),
            "{}",
            e.message
        );
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_window_checks_take_as_long_as_they_take() {
        let r = within_window("r1", None, async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, Error>(1)
        })
        .await;
        assert_eq!(r, Ok(1));
    }

    fn loaded(before: &str, text: &str) -> Candidate {
        let mechanics = crate::config::mechanics::fixtures::cisco_ios();
        Candidate {
            change: diff::change(before, text, &mechanics, false),
            mechanics,
            text: text.into(),
            replace: false,
            replace_mode: None,
            before: before.into(),
        }
    }

    #[test]
    fn sent_commands_that_changed_nothing_are_recorded_as_no_effect() {
        let before = "hostname r1\ninterface Loopback0\n description x\n";
        let outcome = Outcome::of(&loaded(before, "interface Lo0\n description x\n"), before);
        assert!(!outcome.changed);
        assert!(outcome.resend.is_empty(), "{:?}", outcome.resend);
        let mut data = json!({"commands": ["interface Loopback0", "description x", "exit"]});
        outcome.record(&mut data, "r1", before, before, false);
        assert_eq!(data["changed"], json!(false));
        assert_eq!(data["commands"], json!([]));
        assert_eq!(data["no_effect"][0], json!("interface Loopback0"));
        assert_eq!(data["diff"], json!(""));
        assert!(data.get("resend").is_none());
    }

    #[test]
    fn a_change_the_device_holds_in_another_form_names_what_would_be_resent() {
        let before = "hostname r1\n";
        let after = "hostname r1\nntp server 192.0.2.1\n";
        let outcome = Outcome::of(&loaded(before, "ntp serv 192.0.2.1\n"), after);
        assert!(outcome.changed);
        assert_eq!(outcome.resend, ["ntp serv 192.0.2.1"]);
        let mut data = json!({"commands": ["ntp serv 192.0.2.1"]});
        outcome.record(&mut data, "r1", before, after, false);
        assert_eq!(data["changed"], json!(true));
        assert_eq!(data["commands"], json!(["ntp serv 192.0.2.1"]));
        assert_eq!(data["resend"], json!(["ntp serv 192.0.2.1"]));
        assert!(
            data["diff"]
                .as_str()
                .unwrap()
                .contains("+ntp server 192.0.2.1")
        );
    }
}
