//! The host side of the contract's `config` interface: a workflow loads a
//! candidate, compares, commits, confirms or rolls back through the same
//! code as `netrun config push` ([`crate::config::candidate`]). Every call
//! needs the `config` grant; a commit left unconfirmed when the workflow
//! ends is rolled back, and so is one still unconfirmed when the device
//! deadline comes near: the workflow is stopped [`SETTLE_GRACE`] early for it.

use super::PluginState;
use crate::config::candidate::{Candidate, CommitOptions, Committed, with_device};
use crate::config::push::{Outcome, recover};
use crate::config::{mask, pending};
use crate::error::{Error, ErrorClass};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How long before the device deadline a workflow holding a commit that
/// awaits confirmation is stopped, so the host rolls the commit back in
/// this run rather than leaving it to the device's timer or the next
/// netrun (at most a quarter of the time the device had left at start).
pub const SETTLE_GRACE: Duration = Duration::from_secs(10);

/// The workflow's candidates, and whether one of them awaits confirmation
/// (watched by the run, see [`unless_settling`]).
pub struct Candidates {
    slots: Vec<Slot>,
    awaiting: watch::Sender<bool>,
}

impl Default for Candidates {
    fn default() -> Self {
        Candidates {
            slots: Vec::new(),
            awaiting: watch::Sender::new(false),
        }
    }
}

impl Candidates {
    /// Publish whether a commit awaits confirmation.
    fn refresh(&self) {
        let any = self.slots.iter().any(|s| {
            matches!(
                s.stage,
                Stage::Committed {
                    deadline: Some(_),
                    ..
                }
            )
        });
        self.awaiting
            .send_if_modified(|a| std::mem::replace(a, any) != any);
    }
}

/// When a running workflow is stopped so its unconfirmed commit can be
/// rolled back before the device deadline.
pub struct SettleCut {
    /// From then on, a commit awaiting confirmation stops the workflow.
    pub at: Instant,
    /// The grace left for the rollback.
    pub grace: Duration,
    awaiting: watch::Receiver<bool>,
}

/// Run `work` (the workflow) to its end, unless a commit awaits
/// confirmation at or after `cut.at`: then `work` is dropped and the
/// answer is `None` (the caller rolls the commit back).
pub async fn unless_settling<F: Future>(work: F, cut: Option<SettleCut>) -> Option<F::Output> {
    let Some(mut cut) = cut else {
        return Some(work.await);
    };
    let stop = async move {
        tokio::time::sleep_until(cut.at).await;
        if cut.awaiting.wait_for(|a| *a).await.is_err() {
            // The candidates are gone: nothing can await confirmation.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        r = work => Some(r),
        () = stop => None,
    }
}

/// The host side of a WIT `candidate` handle: its slot in
/// `PluginState::candidates`.
pub struct CandidateToken(pub usize);

/// What the workflow asked: a candidate's text and how it applies.
#[derive(Debug, Clone)]
pub struct Load {
    /// The candidate configuration text.
    pub text: String,
    /// Make the configuration equal it (not only hold it).
    pub replace: bool,
}

/// What a commit did, as the workflow sees it (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitResult {
    /// The configuration differs from before.
    pub changed: bool,
    /// Lines sent; empty when nothing changed.
    pub commands: Vec<String>,
    /// Unified diff, before → after.
    pub diff: String,
    /// The rollback point taken.
    pub rollback_point: String,
    /// Lines a second identical commit would send again.
    pub resend: Vec<String>,
    /// The commit awaits `confirm`.
    pub awaiting_confirm: bool,
}

/// Where a candidate is in its life.
enum Stage {
    Loaded,
    Committed {
        committed: Committed,
        /// Until when `confirm` is accepted (none: nothing to confirm).
        deadline: Option<Instant>,
    },
    /// Rolled back, discarded, or refused by the device: nothing more to do.
    Done,
}

/// One candidate of the workflow.
pub struct Slot {
    candidate: Candidate,
    stage: Stage,
}

fn lines(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| mask::mask(l)).collect()
}

fn misuse(message: String) -> Error {
    Error::new(ErrorClass::Internal, message)
}

impl PluginState {
    /// Check the grant, and that a real device (not a replayed transcript)
    /// is behind the session.
    fn config_allowed(&mut self) -> Result<(), Error> {
        self.denied(self.guard.check_config())?;
        if self.ctx()?.is_replay() {
            return Err(Error::new(
                ErrorClass::Unsupported,
                "configuration changes need a device: a replayed transcript cannot take them",
            ));
        }
        Ok(())
    }

    fn slot(&mut self, token: &CandidateToken) -> Result<&mut Slot, Error> {
        self.candidates
            .slots
            .get_mut(token.0)
            .ok_or_else(|| misuse(format!("candidate {} does not exist", token.0)))
    }

    /// Load a candidate: first undo a change an earlier netrun never
    /// confirmed, then read the running configuration and compute the change.
    pub(crate) async fn config_load(&mut self, load: Load) -> Result<CandidateToken, Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        let ctx = self.ctx()?;
        recover(ctx, &device, &pending::default_dir()).await?;
        let session = ctx.session().await?;
        let candidate = Candidate::load(session, &device, load.text, load.replace).await?;
        self.candidates.slots.push(Slot {
            candidate,
            stage: Stage::Loaded,
        });
        Ok(CandidateToken(self.candidates.slots.len() - 1))
    }

    /// The diff a commit would make, masked.
    pub(crate) fn config_compare(&mut self, token: &CandidateToken) -> Result<String, Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        Ok(mask::mask(&self.slot(token)?.candidate.diff(&device)))
    }

    /// The lines a commit would send, masked.
    pub(crate) fn config_commands(&mut self, token: &CandidateToken) -> Result<Vec<String>, Error> {
        self.config_allowed()?;
        Ok(lines(&self.slot(token)?.candidate.change.commands))
    }

    /// Commit a loaded candidate.
    pub(crate) async fn config_commit(
        &mut self,
        token: &CandidateToken,
        confirm_seconds: Option<u32>,
    ) -> Result<CommitResult, Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        let window = confirm_seconds.map(|s| Duration::from_secs(s.max(1).into()));
        let slot = self
            .candidates
            .slots
            .get_mut(token.0)
            .ok_or_else(|| misuse(format!("candidate {} does not exist", token.0)))?;
        if !matches!(slot.stage, Stage::Loaded) {
            return Err(misuse(format!(
                "{device}: this candidate was already committed or dropped: load a new one"
            )));
        }
        let candidate = &slot.candidate;
        if candidate.is_empty() {
            slot.stage = Stage::Done;
            return Ok(CommitResult {
                changed: false,
                commands: Vec::new(),
                diff: String::new(),
                rollback_point: String::new(),
                resend: Vec::new(),
                awaiting_confirm: false,
            });
        }
        let ctx = self
            .ctx
            .as_deref_mut()
            .ok_or_else(|| misuse("this plugin runs without a device".into()))?;
        let session = ctx.session().await?;
        let run_id = format!("{}-{:04x}", pending::now(), rand::random::<u16>());
        let pending_dir = pending::default_dir();
        let opts = CommitOptions {
            confirm: window,
            run_id: &run_id,
            pending_dir: &pending_dir,
            show_secrets: false,
        };
        let committed = match candidate.commit(session, &device, &opts).await {
            Ok(c) => c,
            Err(e) => {
                slot.stage = Stage::Done;
                return Err(e);
            }
        };
        let rollback_point = committed.point.describe();
        slot.stage = Stage::Committed {
            committed,
            deadline: window.map(|w| Instant::now() + w),
        };
        self.candidates.refresh();
        let Some(slot) = self.candidates.slots.get_mut(token.0) else {
            return Err(misuse(format!("candidate {} does not exist", token.0)));
        };
        let candidate = &slot.candidate;
        let after = crate::config::steps::read_running(session, &candidate.mechanics).await?;
        let outcome = Outcome::of(candidate, &after);
        Ok(CommitResult {
            changed: outcome.changed,
            commands: if outcome.changed {
                lines(&candidate.change.commands)
            } else {
                Vec::new()
            },
            diff: mask::mask(&crate::config::diff::unified(
                &device,
                &candidate.before,
                &after,
            )),
            rollback_point,
            resend: lines(&outcome.resend),
            awaiting_confirm: window.is_some(),
        })
    }

    /// Confirm a commit-confirm; past its window, roll back instead.
    pub(crate) async fn config_confirm(&mut self, token: &CandidateToken) -> Result<(), Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        let deadline = match &self.slot(token)?.stage {
            Stage::Committed {
                deadline: Some(d), ..
            } => *d,
            _ => {
                return Err(misuse(format!(
                    "{device}: nothing awaits confirmation: commit with confirm-seconds first"
                )));
            }
        };
        if Instant::now() > deadline {
            let how = self.config_undo(token).await;
            return Err(Error::new(
                ErrorClass::CommandTimeout,
                format!("{device}: confirmed after the commit-confirm window; {how}"),
            ));
        }
        let ctx = self
            .ctx
            .as_deref_mut()
            .ok_or_else(|| misuse("this plugin runs without a device".into()))?;
        let session = ctx.session().await?;
        let Some(slot) = self.candidates.slots.get_mut(token.0) else {
            return Err(misuse(format!("candidate {} does not exist", token.0)));
        };
        if let Stage::Committed {
            committed,
            deadline,
        } = &mut slot.stage
        {
            committed
                .confirm(
                    session,
                    &slot.candidate.mechanics,
                    &device,
                    &pending::default_dir(),
                )
                .await?;
            *deadline = None;
        }
        self.candidates.refresh();
        Ok(())
    }

    /// Undo a commit.
    pub(crate) async fn config_rollback(&mut self, token: &CandidateToken) -> Result<(), Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        if !matches!(self.slot(token)?.stage, Stage::Committed { .. }) {
            return Err(misuse(format!(
                "{device}: nothing to roll back: the candidate is not committed (discard drops an uncommitted one)"
            )));
        }
        self.config_rollback_now(token.0).await
    }

    /// Drop an uncommitted candidate.
    pub(crate) fn config_discard(&mut self, token: &CandidateToken) -> Result<(), Error> {
        self.config_allowed()?;
        let device = self.device.clone();
        let slot = self.slot(token)?;
        match slot.stage {
            Stage::Loaded | Stage::Done => {
                slot.stage = Stage::Done;
                Ok(())
            }
            Stage::Committed { .. } => Err(misuse(format!(
                "{device}: the candidate is committed: use rollback to undo it"
            ))),
        }
    }

    /// Roll the commit of slot `index` back; the stage becomes done.
    async fn config_rollback_now(&mut self, index: usize) -> Result<(), Error> {
        let device = self.device.clone();
        let ctx = self
            .ctx
            .as_deref_mut()
            .ok_or_else(|| misuse("this plugin runs without a device".into()))?;
        let session = ctx.session().await?;
        let Some(slot) = self.candidates.slots.get_mut(index) else {
            return Err(misuse(format!("candidate {index} does not exist")));
        };
        let Stage::Committed { committed, .. } = &slot.stage else {
            return Ok(());
        };
        committed
            .rollback(session, &slot.candidate, &device, &pending::default_dir())
            .await?;
        slot.stage = Stage::Done;
        self.candidates.refresh();
        Ok(())
    }

    /// Roll back, and say how it went, for an error message.
    async fn config_undo(&mut self, token: &CandidateToken) -> String {
        match self.config_rollback_now(token.0).await {
            Ok(()) => "rolled back".into(),
            Err(e) => format!("ROLLBACK FAILED: {}", e.message),
        }
    }

    /// When the running workflow is to be stopped for its unconfirmed
    /// commit: [`SETTLE_GRACE`] (at most a quarter of the time left now)
    /// before the device deadline; `None` without a device or a deadline.
    pub(crate) fn settle_cut(&self) -> Option<SettleCut> {
        let deadline = self.ctx.as_deref()?.deadline()?;
        let left = deadline.saturating_duration_since(Instant::now());
        let grace = SETTLE_GRACE.min(left / 4);
        Some(SettleCut {
            at: deadline - grace,
            grace,
            awaiting: self.candidates.awaiting.subscribe(),
        })
    }

    /// After the workflow: roll back every commit still awaiting
    /// confirmation, and remove the files of those that stand (a workflow
    /// may roll a commit back until it ends, so they stay until then).
    /// Returns what was done, for the device's record.
    pub(crate) async fn config_settle(&mut self) -> Option<Error> {
        let undone = self.config_roll_back_unconfirmed().await;
        self.config_clean_up().await;
        undone
    }

    /// Remove the files of every commit that stands (confirmed, or made
    /// without a confirm window).
    async fn config_clean_up(&mut self) {
        let device = self.device.clone();
        let Some(ctx) = self.ctx.as_deref_mut() else {
            return;
        };
        for slot in &mut self.candidates.slots {
            // One still awaiting confirmation failed to roll back: its
            // rollback point is what the next netrun restores.
            if let Stage::Committed {
                committed,
                deadline: None,
            } = &slot.stage
            {
                let Ok(session) = ctx.session().await else {
                    return;
                };
                committed
                    .clean_up(session, &slot.candidate.mechanics, &device)
                    .await;
                slot.stage = Stage::Done;
            }
        }
    }

    /// Roll back every commit still awaiting confirmation.
    async fn config_roll_back_unconfirmed(&mut self) -> Option<Error> {
        let device = self.device.clone();
        let open: Vec<usize> = self
            .candidates
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.stage,
                    Stage::Committed {
                        deadline: Some(_),
                        ..
                    }
                )
            })
            .map(|(i, _)| i)
            .collect();
        if open.is_empty() {
            return None;
        }
        let mut notes = Vec::new();
        for i in open {
            let how = match self.config_rollback_now(i).await {
                Ok(()) => "rolled back".to_string(),
                Err(e) => format!(
                    "ROLLBACK FAILED ({}): the next netrun config command on this device rolls it back",
                    e.message
                ),
            };
            notes.push(how);
        }
        let e = Error::new(
            ErrorClass::CommandTimeout,
            format!(
                "the workflow ended without confirming its configuration commit; {}",
                notes.join("; ")
            ),
        );
        let e = with_device(&device, e);
        tracing::warn!(device = &*device, "{}", e.message);
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(at: u64, awaiting: &watch::Sender<bool>) -> Option<SettleCut> {
        Some(SettleCut {
            at: Instant::now() + Duration::from_secs(at),
            grace: Duration::from_secs(10),
            awaiting: awaiting.subscribe(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_workflow_holding_an_unconfirmed_commit_is_stopped_at_the_cut() {
        let awaiting = watch::Sender::new(false);
        let started = Instant::now();
        let flag = awaiting.clone();
        let work = async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            flag.send_replace(true); // committed, awaiting confirmation
            tokio::time::sleep(Duration::from_secs(3600)).await;
        };
        assert_eq!(unless_settling(work, cut(50, &awaiting)).await, None);
        assert_eq!(started.elapsed(), Duration::from_secs(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_commit_made_after_the_cut_stops_the_workflow_at_once() {
        let awaiting = watch::Sender::new(false);
        let started = Instant::now();
        let flag = awaiting.clone();
        let work = async move {
            tokio::time::sleep(Duration::from_secs(55)).await;
            flag.send_replace(true);
            tokio::time::sleep(Duration::from_secs(3600)).await;
        };
        assert_eq!(unless_settling(work, cut(50, &awaiting)).await, None);
        assert_eq!(started.elapsed(), Duration::from_secs(55));
    }

    #[tokio::test(start_paused = true)]
    async fn a_workflow_without_an_unconfirmed_commit_runs_past_the_cut() {
        let awaiting = watch::Sender::new(false);
        let flag = awaiting.clone();
        let work = async move {
            flag.send_replace(true);
            tokio::time::sleep(Duration::from_secs(10)).await;
            flag.send_replace(false); // confirmed
            tokio::time::sleep(Duration::from_secs(60)).await;
            7
        };
        assert_eq!(unless_settling(work, cut(50, &awaiting)).await, Some(7));
        assert_eq!(unless_settling(async { 8 }, None).await, Some(8));
    }
}
