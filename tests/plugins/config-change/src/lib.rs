//! A workflow for netrun's workflow-API tests: it changes each device's
//! configuration through the contract's `config` interface, as the
//! `action` parameter says:
//!
//! - `compare`: load, compare, discard (nothing sent);
//! - `commit`: load, compare, commit (with `confirm` seconds: then confirm);
//! - `rollback`: load, commit, roll back;
//! - `unconfirmed`: load, commit with `confirm` seconds, end without
//!   confirming (the host rolls the change back);
//! - `unconfirmed-then-wait`: the same, then wait `wait` seconds before
//!   ending (the device deadline comes first);
//! - `misuse`: calls out of order (rollback or confirm before a commit, a
//!   second commit, discard after a commit), returning each error, then
//!   rolls back.
//!
//! The candidate is `text_<platform>` when given, else `text` (or `lines`, a
//! list); `mode` is `merge` (default) or `replace`.

use netrun_guest::workflow::config::{Candidate, CommitResult, Mode};
use netrun_guest::workflow::{Device, Error, Workflow};
use netrun_guest::{Value, json};

struct ConfigChange;

fn committed(r: &CommitResult) -> Value {
    json!({
        "changed": r.changed,
        "commands": r.commands,
        "diff": r.diff,
        "rollback_point": r.rollback_point,
        "resend": r.resend,
        "awaiting_confirm": r.awaiting_confirm,
    })
}

fn load(device: &Device, params: &Value) -> Result<Candidate, Error> {
    let mode = match params.get("mode").and_then(Value::as_str) {
        Some("replace") => Mode::Replace,
        _ => Mode::Merge,
    };
    let own = format!("text_{}", device.platform);
    if let Some(text) = params.get(&own).or_else(|| params.get("text")) {
        return Candidate::load(text.as_str().unwrap_or_default(), mode);
    }
    let lines: Vec<&str> = params
        .get("lines")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Candidate::load_lines(&lines, mode)
}

impl Workflow for ConfigChange {
    fn run(device: Device, params: Value) -> Result<Value, Error> {
        let action = params.get("action").and_then(Value::as_str).unwrap_or("");
        let confirm = params
            .get("confirm")
            .and_then(Value::as_u64)
            .map(|s| s as u32);
        let candidate = load(&device, &params)?;
        let mut out = json!({
            "compare": candidate.compare()?,
            "commands": candidate.commands(),
        });
        match action {
            "compare" => candidate.discard()?,
            "commit" => {
                out["commit"] = committed(&candidate.commit(confirm)?);
                if confirm.is_some() {
                    candidate.confirm()?;
                    out["confirmed"] = json!(true);
                }
            }
            "rollback" => {
                out["commit"] = committed(&candidate.commit(None)?);
                candidate.rollback()?;
                out["rolled_back"] = json!(true);
            }
            "unconfirmed" => {
                out["commit"] = committed(&candidate.commit(Some(confirm.unwrap_or(60)))?);
            }
            "unconfirmed-then-wait" => {
                out["commit"] = committed(&candidate.commit(Some(confirm.unwrap_or(60)))?);
                let wait = params.get("wait").and_then(Value::as_u64).unwrap_or(3600);
                std::thread::sleep(std::time::Duration::from_secs(wait));
            }
            "misuse" => {
                let class = |r: Result<(), Error>| match r {
                    Ok(()) => json!("ok"),
                    Err(e) => json!(format!("{}: {}", e.class.as_str(), e.message)),
                };
                out["rollback_first"] = class(candidate.rollback());
                out["confirm_first"] = class(candidate.confirm());
                out["commit"] = committed(&candidate.commit(None)?);
                out["confirm_unasked"] = class(candidate.confirm());
                out["commit_again"] = class(candidate.commit(None).map(|_| ()));
                out["discard_committed"] = class(candidate.discard());
                candidate.rollback()?;
                out["rolled_back"] = json!(true);
            }
            other => {
                return Err(Error::internal(format!(
                    "unknown action `{other}`: compare, commit, rollback or unconfirmed"
                )));
            }
        }
        Ok(out)
    }
}

netrun_guest::register_workflow!(ConfigChange);
