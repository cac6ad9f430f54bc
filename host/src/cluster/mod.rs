//! Past one machine with NATS JetStream: `netrun run|exec --nats URL`
//! publishes one task per device on a work-queue stream and gathers one
//! record per device; `netrun worker` processes pull the tasks and run them
//! with the same runner as a local run. A worker that dies leaves its tasks
//! unacknowledged and JetStream hands them to another worker after the ack
//! wait. Tasks carry the run id, the device name, the job and its params —
//! never credentials: each worker reads them from its own inventory.
//!
//! What lives on the server (created by netrun, idempotently):
//!
//! | name | kind | subjects | retention and limits |
//! |---|---|---|---|
//! | `NETRUN_TASKS` | stream | `netrun.task.<run>` | work queue (a task is gone once acked), file storage, 24 h max age, 1 GiB, new tasks refused when full, 2 min duplicate window (a re-sent task is dropped) |
//! | `netrun-workers` | durable pull consumer of `NETRUN_TASKS` | `netrun.task.>` | explicit ack, ack wait 30 s (workers send progress every third of it), 5 deliveries at most, 20,000 tasks in flight |
//! | `NETRUN_RESULTS` | stream | `netrun.result.<run>` | limits, file storage, 1 h max age, 1 GiB, oldest dropped when full |
//!
//! `--nats-results SUBJECT` ([`Mirror`]) publishes every record on a
//! subject of the operator's choice as plain NATS messages, for other
//! systems to consume.

mod gather;
mod message;
mod mirror;
mod worker;

pub use gather::{Gathered, RunSpec, gather, new_run_id};
pub use message::{
    MAX_SHIPPED_TEMPLATE, MessageError, ResultMessage, ShippedTemplate, Task, TaskJob, WireTimeouts,
};
pub use mirror::Mirror;
pub use worker::{WorkerConfig, WorkerStats, WorkflowLoader, run_worker};

use async_nats::jetstream::{self, consumer, stream};
use std::path::PathBuf;
use std::time::Duration;

/// The work-queue stream of device tasks.
pub const TASK_STREAM: &str = "NETRUN_TASKS";
/// The stream of result records, read by the run that published the tasks.
pub const RESULT_STREAM: &str = "NETRUN_RESULTS";
/// The durable pull consumer all workers share.
pub const WORKER_CONSUMER: &str = "netrun-workers";
/// How often JetStream hands out one task before giving up on it.
pub const MAX_DELIVER: i64 = 5;
/// The default time a worker has to acknowledge (or extend) a task.
pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

/// The subject of run `run`'s tasks.
pub fn task_subject(run: &str) -> String {
    format!("netrun.task.{run}")
}

/// The subject of run `run`'s results.
pub fn result_subject(run: &str) -> String {
    format!("netrun.result.{run}")
}

/// Why the NATS side of a run or a worker failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No connection to the server.
    #[error(
        "cannot connect to NATS at {url}: {message} (is nats-server running with -js, and the URL, credentials and TLS settings right?)"
    )]
    Connect {
        /// The URL given.
        url: String,
        /// What the client said.
        message: String,
    },
    /// A credentials file that cannot be read.
    #[error(
        "cannot read NATS credentials file {path}: {source} (give the .creds file from `nsc generate creds`)"
    )]
    Creds {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Stream or consumer set-up was refused.
    #[error(
        "cannot set up JetStream {what}: {message} (is JetStream enabled on the server, `nats-server -js`?)"
    )]
    Setup {
        /// `stream NETRUN_TASKS` and the like.
        what: String,
        /// What the server said.
        message: String,
    },
    /// A stream exists with settings netrun cannot work with.
    #[error(
        "JetStream stream {name} exists with {found}; netrun needs {needed}: delete it (`nats stream rm {name}`) and netrun recreates it"
    )]
    Conflict {
        /// The stream.
        name: String,
        /// What it has.
        found: String,
        /// What netrun needs.
        needed: String,
    },
    /// Publishing failed.
    #[error("cannot publish to NATS subject {subject}: {message}")]
    Publish {
        /// The subject.
        subject: String,
        /// What the client said.
        message: String,
    },
    /// Reading from a consumer failed.
    #[error("cannot read from JetStream consumer {consumer}: {message}")]
    Consume {
        /// The consumer.
        consumer: String,
        /// What the client said.
        message: String,
    },
}

/// How to reach the NATS server: URL(s) (`nats://`, `tls://`, comma
/// separated), a credentials file, a CA for `tls://`.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// `nats://host:4222`, `tls://host:4222`, or several, comma separated.
    pub url: String,
    /// A `.creds` file (JWT and NKey seed), as the `nats` CLI's `--creds`.
    pub creds: Option<PathBuf>,
    /// CA certificates to trust for `tls://` servers (else the system's).
    pub ca: Option<PathBuf>,
    /// The connection's name, seen in the server's monitoring.
    pub name: String,
}

/// Connect to the server (no retry: a wrong URL is reported at once;
/// reconnects after that are the client's).
pub async fn connect(o: &NatsOptions) -> Result<async_nats::Client, ClusterError> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(&o.name)
        .connection_timeout(Duration::from_secs(5));
    if let Some(path) = &o.creds {
        opts = opts
            .credentials_file(path)
            .await
            .map_err(|source| ClusterError::Creds {
                path: path.clone(),
                source,
            })?;
    }
    if let Some(ca) = &o.ca {
        opts = opts.add_root_certificates(ca.clone()).require_tls(true);
    }
    let urls: Vec<&str> = o
        .url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    opts.connect(urls).await.map_err(|e| ClusterError::Connect {
        url: o.url.clone(),
        message: e.to_string(),
    })
}

fn setup_error(what: &str, e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Setup {
        what: what.to_string(),
        message: e.to_string(),
    }
}

/// Create the task and result streams, or check the existing ones.
pub async fn ensure_streams(
    js: &jetstream::Context,
) -> Result<(stream::Stream, stream::Stream), ClusterError> {
    const GIB: i64 = 1 << 30;
    let tasks = js
        .get_or_create_stream(stream::Config {
            name: TASK_STREAM.into(),
            description: Some("netrun device tasks (work queue; see netrun's README)".into()),
            subjects: vec!["netrun.task.>".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(24 * 3600),
            max_bytes: GIB,
            max_message_size: 1 << 20,
            discard: stream::DiscardPolicy::New,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .map_err(|e| setup_error(&format!("stream {TASK_STREAM}"), e))?;
    let found = tasks.cached_info().config.retention;
    if found != stream::RetentionPolicy::WorkQueue {
        return Err(ClusterError::Conflict {
            name: TASK_STREAM.into(),
            found: format!("retention {found:?}"),
            needed: "work-queue retention".into(),
        });
    }
    let results = js
        .get_or_create_stream(stream::Config {
            name: RESULT_STREAM.into(),
            description: Some("netrun result records, read by the run that asked".into()),
            subjects: vec!["netrun.result.>".into()],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(3600),
            max_bytes: GIB,
            max_message_size: 1 << 20,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        })
        .await
        .map_err(|e| setup_error(&format!("stream {RESULT_STREAM}"), e))?;
    Ok((tasks, results))
}

/// Create the workers' consumer, or bring its ack wait to `ack_wait`.
pub async fn ensure_worker_consumer(
    tasks: &stream::Stream,
    ack_wait: Duration,
) -> Result<consumer::PullConsumer, ClusterError> {
    tasks
        .create_consumer(consumer::pull::Config {
            durable_name: Some(WORKER_CONSUMER.into()),
            description: Some("netrun worker processes".into()),
            filter_subject: "netrun.task.>".into(),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait,
            max_deliver: MAX_DELIVER,
            max_ack_pending: 20_000,
            ..Default::default()
        })
        .await
        .map_err(|e| setup_error(&format!("consumer {WORKER_CONSUMER}"), e))
}
