//! The run side: publish one task per device, gather one record per device.
//! The first result for a device wins (a task that was redelivered after a
//! worker stalled can be done twice); devices with no result by the run's
//! deadline get a `cancelled` record, and their tasks are purged so no
//! worker starts them later.

use super::message::{FORMAT, ResultMessage, Task, TaskJob, WireTimeouts, unix_ms};
use super::{
    ClusterError, RESULT_STREAM, TASK_STREAM, ensure_streams, result_subject, task_subject,
};
use crate::error::{Error, ErrorClass};
use crate::results::{Record, Summary};
use async_nats::jetstream::{self, consumer, message::PublishMessage};
use futures_util::StreamExt as _;
use std::collections::HashSet;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A run to spread over the workers.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Its id (subject token): see [`new_run_id`].
    pub run_id: String,
    /// What every device gets.
    pub job: TaskJob,
    /// Timeouts set for the run.
    pub timeouts: WireTimeouts,
    /// Inventory names of the devices.
    pub devices: Vec<String>,
    /// How long the run waits for results in all.
    pub deadline: Duration,
}

/// What a gathered run saw beside the records.
#[derive(Debug, Default, Clone)]
pub struct Gathered {
    /// Counts, as a local run's.
    pub summary: Summary,
    /// Devices with no result by the deadline (recorded as cancelled).
    pub timed_out: usize,
    /// Results for devices that already had one (redelivered tasks).
    pub duplicates: usize,
    /// Messages on the run's result subject that were not results of it.
    pub ignored: usize,
    /// Workers that sent results.
    pub workers: HashSet<String>,
}

/// A fresh run id: 16 hex digits.
pub fn new_run_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Publish `spec`'s tasks and call `on_record` with one record per device
/// as results arrive. Ends when every device has a record, at the
/// deadline, or when `stop` is cancelled (undone devices are `cancelled`).
pub async fn gather(
    js: &jetstream::Context,
    spec: &RunSpec,
    stop: CancellationToken,
    mut on_record: impl FnMut(Record),
) -> Result<Gathered, ClusterError> {
    let started = Instant::now();
    let (tasks, results) = ensure_streams(js).await?;
    let run = &spec.run_id;
    let reader = format!("run-{run}");
    let consume_error = |e: &dyn std::fmt::Display| ClusterError::Consume {
        consumer: format!("{RESULT_STREAM}/{reader}"),
        message: e.to_string(),
    };
    // Subscribed before the first task is out, so no result is missed.
    let consumer: consumer::PullConsumer = results
        .create_consumer(consumer::pull::Config {
            durable_name: Some(reader.clone()),
            description: Some(format!("results of netrun run {run}")),
            filter_subject: result_subject(run),
            deliver_policy: consumer::DeliverPolicy::All,
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(600),
            ..Default::default()
        })
        .await
        .map_err(|e| consume_error(&e))?;
    let mut incoming = consumer.messages().await.map_err(|e| consume_error(&e))?;

    let deadline_at = SystemTime::now() + spec.deadline;
    let subject = task_subject(run);
    let publish_error = |e: &dyn std::fmt::Display| ClusterError::Publish {
        subject: subject.clone(),
        message: e.to_string(),
    };
    // Acks awaited in chunks: thousands of tasks in flight, bounded memory.
    for chunk in spec.devices.chunks(1000) {
        let mut acks = Vec::with_capacity(chunk.len());
        for device in chunk {
            let task = Task {
                netrun_task: FORMAT,
                run: run.clone(),
                device: device.clone(),
                job: spec.job.clone(),
                timeouts: spec.timeouts,
                deadline_unix_ms: unix_ms(deadline_at),
            };
            let msg = PublishMessage::build()
                .payload(task.to_bytes().into())
                // A task re-sent after a lost ack is dropped by the server.
                .message_id(format!("{run}.{device}"));
            acks.push(
                js.send_publish(subject.clone(), msg)
                    .await
                    .map_err(|e| publish_error(&e))?,
            );
        }
        for ack in acks {
            ack.await.map_err(|e| publish_error(&e))?;
        }
    }
    tracing::info!(run_id = %run, tasks = spec.devices.len(), stream = TASK_STREAM, "published tasks");

    let mut pending: HashSet<&str> = spec.devices.iter().map(String::as_str).collect();
    let mut out = Gathered::default();
    let deadline = tokio::time::sleep(spec.deadline);
    tokio::pin!(deadline);
    while !pending.is_empty() {
        let msg = tokio::select! {
            m = incoming.next() => m,
            _ = &mut deadline => break,
            _ = stop.cancelled() => break,
        };
        let msg = match msg {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                // Heartbeat gaps and reconnects: the client pulls again.
                tracing::debug!(run_id = %run, "reading results: {e}");
                continue;
            }
            None => return Err(consume_error(&"the result stream ended")),
        };
        let result = match ResultMessage::parse(&msg.payload) {
            Ok(r) if r.run == *run => r,
            Ok(r) => {
                out.ignored += 1;
                tracing::warn!(run_id = %run, "ignoring a result of another run ({})", r.run);
                continue;
            }
            Err(e) => {
                out.ignored += 1;
                tracing::warn!(run_id = %run, subject = %msg.subject, "ignoring a message: {e}");
                continue;
            }
        };
        let mut record = result.record;
        if !pending.remove(record.device.as_str()) {
            if spec.devices.contains(&record.device) {
                out.duplicates += 1;
                tracing::info!(run_id = %run, device = %record.device, worker = %result.worker, "a second result for a device (its task was redelivered): keeping the first");
            } else {
                out.ignored += 1;
                tracing::warn!(run_id = %run, device = %record.device, "ignoring a result for a device not in this run");
            }
            continue;
        }
        record.placement.worker = Some(result.worker.clone());
        record.placement.deliveries = Some(result.delivery);
        out.workers.insert(result.worker);
        out.summary.add(&record);
        on_record(record);
    }

    // Whatever is left: no worker finished it in time.
    let why = if stop.is_cancelled() {
        "the run was interrupted before a worker finished it".to_string()
    } else {
        format!(
            "no worker finished it within the run's deadline of {}: are `netrun worker` processes connected to this NATS server?",
            crate::resilience::deadline::seconds(spec.deadline)
        )
    };
    let mut left: Vec<&str> = pending.into_iter().collect();
    left.sort_unstable();
    out.timed_out = left.len();
    for device in left {
        let record = Record::failed(
            device,
            Error::new(
                ErrorClass::Cancelled,
                format!("{device}: {why}; run again for the devices marked cancelled"),
            ),
            started.elapsed(),
            0,
        );
        out.summary.add(&record);
        on_record(record);
    }
    // Undone tasks would only make workers busy for nobody.
    if let Err(e) = tasks.purge().filter(subject.clone()).await {
        tracing::warn!(run_id = %run, "cannot remove the run's undone tasks from {TASK_STREAM}: {e}");
    }
    if let Err(e) = results.delete_consumer(&reader).await {
        tracing::debug!(run_id = %run, "cannot delete consumer {reader}: {e}");
    }
    if let Err(e) = results.purge().filter(result_subject(run)).await {
        tracing::debug!(run_id = %run, "cannot purge the run's results: {e}");
    }
    out.summary.wall = started.elapsed();
    Ok(out)
}
