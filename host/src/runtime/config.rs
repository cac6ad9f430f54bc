//! The host side of the contract's `config` interface: a workflow loads a
//! candidate, compares, commits, confirms or rolls back through the same
//! code as `netrun config push` ([`crate::config::candidate`]). Every call
//! needs the `config` grant; a commit left unconfirmed when the workflow
//! ends is rolled back.

use super::PluginState;
use crate::config::candidate::{Candidate, CommitOptions, Committed, with_device};
use crate::config::push::{Outcome, recover};
use crate::config::{mask, pending};
use crate::error::{Error, ErrorClass};
use std::time::Duration;
use tokio::time::Instant;

/// The host side of a WIT `candidate` handle: its slot in
/// [`PluginState::candidates`].
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
        self.candidates.push(Slot {
            candidate,
            stage: Stage::Loaded,
        });
        Ok(CandidateToken(self.candidates.len() - 1))
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
        let Some(slot) = self.candidates.get_mut(token.0) else {
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
        let Some(slot) = self.candidates.get_mut(index) else {
            return Err(misuse(format!("candidate {index} does not exist")));
        };
        let Stage::Committed { committed, .. } = &slot.stage else {
            return Ok(());
        };
        committed
            .rollback(session, &slot.candidate, &device, &pending::default_dir())
            .await?;
        slot.stage = Stage::Done;
        Ok(())
    }

    /// Roll back, and say how it went, for an error message.
    async fn config_undo(&mut self, token: &CandidateToken) -> String {
        match self.config_rollback_now(token.0).await {
            Ok(()) => "rolled back".into(),
            Err(e) => format!("ROLLBACK FAILED: {}", e.message),
        }
    }

    /// After the workflow: roll back every commit still awaiting
    /// confirmation. Returns what was done, for the device's record.
    pub(crate) async fn config_settle(&mut self) -> Option<Error> {
        let device = self.device.clone();
        let open: Vec<usize> = self
            .candidates
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
