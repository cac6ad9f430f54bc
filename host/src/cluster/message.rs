//! What travels on the bus: a task per device, a result per task. JSON, with
//! a version field so a foreign or future message is told apart from ours.
//! Nothing here can hold a credential: a task names the device, and every
//! worker reads addresses and secrets from its own inventory.

use crate::results::Record;
use crate::runner::TimeoutOverrides;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The version of the task and result formats.
pub const FORMAT: u32 = 1;

/// The largest template an exec task carries: a task is one NATS message
/// (1 MiB at most by default), and ntc-templates' largest is under 20 KiB.
pub const MAX_SHIPPED_TEMPLATE: usize = 256 << 10;

/// A TextFSM template that travels with an exec task (`exec --template`):
/// the worker compiles it and parses every output with it, as `exec` does
/// in one process. Its text, not its path: workers need not share files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippedTemplate {
    /// The file's name, for `parser: "textfsm:NAME"`.
    pub name: String,
    /// The template's text.
    pub text: String,
}

/// What a worker does on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TaskJob {
    /// Run a workflow plugin installed on the worker.
    Workflow {
        /// Plugin name.
        name: String,
        /// Parameters object.
        params: Value,
    },
    /// Send these commands (`netrun exec`).
    Exec {
        /// Commands, in order.
        commands: Vec<String>,
        /// Send the commands after a rejected one anyway.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        continue_on_error: bool,
        /// Prompts to answer: (regular expression, answer), in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        answers: Vec<(String, String)>,
        /// Timing mode: the quiet time in milliseconds that ends each command.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settle_ms: Option<u64>,
        /// `--template`: the TextFSM template that parses every output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<ShippedTemplate>,
    },
    /// NAPALM-style getters (`netrun get`).
    Get {
        /// Getter names, without `get_`.
        getters: Vec<String>,
    },
}

/// Timeouts given for the run on the command line, in seconds; they win
/// over the worker's own, as they would in a local run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireTimeouts {
    /// TCP connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<f64>,
    /// SSH banner and key exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<f64>,
    /// Authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<f64>,
    /// First prompt and mode changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<f64>,
    /// Each command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<f64>,
    /// The whole device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<f64>,
}

impl From<TimeoutOverrides> for WireTimeouts {
    fn from(t: TimeoutOverrides) -> Self {
        let s = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        WireTimeouts {
            connect: s(t.connect),
            handshake: s(t.handshake),
            auth: s(t.auth),
            prompt: s(t.prompt),
            command: s(t.command),
            device: s(t.device),
        }
    }
}

impl WireTimeouts {
    /// As overrides; a value that is not a positive number of seconds is dropped.
    pub fn overrides(&self) -> TimeoutOverrides {
        let d = |s: Option<f64>| {
            s.and_then(crate::cli::args::positive)
                .map(Duration::from_secs_f64)
        };
        TimeoutOverrides {
            connect: d(self.connect),
            handshake: d(self.handshake),
            auth: d(self.auth),
            prompt: d(self.prompt),
            command: d(self.command),
            device: d(self.device),
        }
    }
}

/// One device's work, as published on `netrun.task.<run>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Format version (this module's `FORMAT`).
    pub netrun_task: u32,
    /// The run it belongs to; its results go to `netrun.result.<run>`.
    pub run: String,
    /// Inventory name of the device.
    pub device: String,
    /// What to do.
    pub job: TaskJob,
    /// Timeouts set for the run.
    #[serde(default)]
    pub timeouts: WireTimeouts,
    /// When the run gives up (Unix time, ms): a worker drops a task it
    /// receives later, as nobody waits for its result.
    pub deadline_unix_ms: u64,
}

/// Why a message is not a task or result of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not JSON of the expected shape.
    #[error("not a netrun {kind} message: {message}")]
    Malformed {
        /// `task` or `result`.
        kind: &'static str,
        /// What the parser said.
        message: String,
    },
    /// Ours, but of a format this netrun does not know.
    #[error(
        "netrun {kind} format {found}, this netrun reads format {FORMAT}: run the same netrun version on the run and the workers"
    )]
    Version {
        /// `task` or `result`.
        kind: &'static str,
        /// The version found.
        found: u32,
    },
    /// A run id that cannot be a subject token.
    #[error("bad run id `{0}`: letters, digits, `-` and `_` only")]
    RunId(String),
}

/// Whether `id` can name a run: one NATS subject token of safe characters.
pub fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Now, as Unix milliseconds.
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Task {
    /// Read a task; foreign, malformed and other-version messages are errors.
    pub fn parse(bytes: &[u8]) -> Result<Task, MessageError> {
        let malformed = |e: serde_json::Error| MessageError::Malformed {
            kind: "task",
            message: e.to_string(),
        };
        let v: Value = serde_json::from_slice(bytes).map_err(malformed)?;
        match v.get("netrun_task").and_then(Value::as_u64) {
            Some(n) if n == u64::from(FORMAT) => {}
            Some(n) => {
                return Err(MessageError::Version {
                    kind: "task",
                    found: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
            None => {
                return Err(MessageError::Malformed {
                    kind: "task",
                    message: "no `netrun_task` version field".into(),
                });
            }
        }
        let t: Task = serde_json::from_value(v).map_err(malformed)?;
        if !valid_run_id(&t.run) {
            return Err(MessageError::RunId(t.run));
        }
        Ok(t)
    }

    /// The task as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings, numbers and JSON values always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether the run stopped waiting for this task at `now`.
    pub fn expired(&self, now: SystemTime) -> bool {
        unix_ms(now) > self.deadline_unix_ms
    }
}

/// A worker's record of one task, as published on `netrun.result.<run>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultMessage {
    /// Format version (this module's `FORMAT`).
    pub netrun_result: u32,
    /// The run.
    pub run: String,
    /// The worker that made it.
    pub worker: String,
    /// How often JetStream had handed out the task, this time included.
    pub delivery: u64,
    /// The device's record.
    pub record: Record,
}

impl ResultMessage {
    /// Read a result; foreign, malformed and other-version messages are errors.
    pub fn parse(bytes: &[u8]) -> Result<ResultMessage, MessageError> {
        let malformed = |e: serde_json::Error| MessageError::Malformed {
            kind: "result",
            message: e.to_string(),
        };
        let v: Value = serde_json::from_slice(bytes).map_err(malformed)?;
        match v.get("netrun_result").and_then(Value::as_u64) {
            Some(n) if n == u64::from(FORMAT) => {}
            Some(n) => {
                return Err(MessageError::Version {
                    kind: "result",
                    found: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
            None => {
                return Err(MessageError::Malformed {
                    kind: "result",
                    message: "no `netrun_result` version field".into(),
                });
            }
        }
        serde_json::from_value(v).map_err(malformed)
    }

    /// The result as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Records are plain data: they always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use serde_json::json;

    fn task() -> Task {
        Task {
            netrun_task: FORMAT,
            run: "0123abcd".into(),
            device: "r001".into(),
            job: TaskJob::Workflow {
                name: "collect-facts".into(),
                params: json!({"interfaces": true}),
            },
            timeouts: WireTimeouts {
                device: Some(60.0),
                ..Default::default()
            },
            deadline_unix_ms: 2_000,
        }
    }

    #[test]
    fn a_task_reads_back_as_written() {
        let t = task();
        assert_eq!(Task::parse(&t.to_bytes()).unwrap(), t);
        let exec = Task {
            job: TaskJob::Exec {
                commands: vec!["show version".into()],
                continue_on_error: false,
                answers: vec![],
                settle_ms: None,
                template: None,
            },
            ..task()
        };
        let v: Value = serde_json::from_slice(&exec.to_bytes()).unwrap();
        assert_eq!(v["job"], json!({"exec": {"commands": ["show version"]}}));
        assert_eq!(Task::parse(&exec.to_bytes()).unwrap(), exec);
    }

    #[test]
    fn exec_options_and_getters_cross_the_queue() {
        let exec = Task {
            job: TaskJob::Exec {
                commands: vec!["copy running-config startup-config".into()],
                continue_on_error: true,
                answers: vec![(r"\[confirm\]".into(), "y".into())],
                settle_ms: Some(500),
                template: Some(ShippedTemplate {
                    name: "uptime.textfsm".into(),
                    text: "Value UPTIME (.+)\n\nStart\n  ^.* uptime is ${UPTIME}\n".into(),
                }),
            },
            ..task()
        };
        let v: Value = serde_json::from_slice(&exec.to_bytes()).unwrap();
        assert_eq!(v["job"]["exec"]["continue_on_error"], json!(true));
        assert_eq!(v["job"]["exec"]["answers"], json!([[r"\[confirm\]", "y"]]));
        assert_eq!(v["job"]["exec"]["settle_ms"], json!(500));
        assert_eq!(
            v["job"]["exec"]["template"]["name"],
            json!("uptime.textfsm")
        );
        assert_eq!(Task::parse(&exec.to_bytes()).unwrap(), exec);
        let get = Task {
            job: TaskJob::Get {
                getters: vec!["facts".into(), "lldp_neighbors".into()],
            },
            ..task()
        };
        let v: Value = serde_json::from_slice(&get.to_bytes()).unwrap();
        assert_eq!(
            v["job"],
            json!({"get": {"getters": ["facts", "lldp_neighbors"]}})
        );
        assert_eq!(Task::parse(&get.to_bytes()).unwrap(), get);
    }

    #[test]
    fn a_task_has_no_field_for_addresses_or_secrets() {
        let v: Value = serde_json::from_slice(&task().to_bytes()).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "deadline_unix_ms",
                "device",
                "job",
                "netrun_task",
                "run",
                "timeouts"
            ]
        );
    }

    #[test]
    fn foreign_malformed_and_future_messages_are_refused_with_the_reason() {
        for (bytes, words) in [
            (&b"\xff\x00garbage"[..], "not a netrun task"),
            (&b"{\"hello\": 1}"[..], "no `netrun_task`"),
            (&b"{\"netrun_task\": 9}"[..], "format 9"),
            (
                &b"{\"netrun_task\": 1, \"run\": \"x\"}"[..],
                "missing field",
            ),
        ] {
            let e = Task::parse(bytes).unwrap_err().to_string();
            assert!(e.contains(words), "{e}");
        }
        let mut bad_run = task();
        bad_run.run = "a.b>".into();
        let e = Task::parse(&bad_run.to_bytes()).unwrap_err();
        assert_eq!(e, MessageError::RunId("a.b>".into()));
        assert!(ResultMessage::parse(b"[]").is_err());
    }

    #[test]
    fn a_task_past_the_run_deadline_is_expired() {
        let t = task();
        assert!(!t.expired(UNIX_EPOCH + Duration::from_millis(2_000)));
        assert!(t.expired(UNIX_EPOCH + Duration::from_millis(2_001)));
    }

    #[test]
    fn a_result_carries_the_record_both_ways() {
        let r = ResultMessage {
            netrun_result: FORMAT,
            run: "0123abcd".into(),
            worker: "w1".into(),
            delivery: 2,
            record: Record::failed(
                "r001",
                Error::new(ErrorClass::Auth, "r001: rejected"),
                Duration::from_millis(5),
                1,
            ),
        };
        let back = ResultMessage::parse(&r.to_bytes()).unwrap();
        assert_eq!(back.delivery, 2);
        let e = back.record.error.unwrap();
        assert_eq!(
            (e.class, e.message.as_str()),
            (ErrorClass::Auth, "r001: rejected")
        );
    }

    #[test]
    fn wire_timeouts_keep_only_positive_seconds() {
        let w = WireTimeouts {
            connect: Some(2.5),
            command: Some(-1.0),
            device: Some(f64::NAN),
            ..Default::default()
        };
        let o = w.overrides();
        assert_eq!(o.connect, Some(Duration::from_millis(2500)));
        assert_eq!((o.command, o.device), (None, None));
        assert_eq!(WireTimeouts::from(o).connect, Some(2.5));
    }
}
