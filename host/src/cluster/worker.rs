//! `netrun worker`: pull device tasks from the work queue and run each with
//! the runner of a local run (same limits, pool, breakers, plugins). A task
//! is pulled only when a slot is free (a pulled task's ack wait is already
//! running), kept alive with progress acks while it runs, and acknowledged
//! once its record is on the result stream. Messages that are not our
//! tasks are logged and terminated, never retried, never fatal.

use super::message::{FORMAT, ResultMessage, ShippedTemplate, Task, TaskJob};
use super::{ClusterError, Mirror, WORKER_CONSUMER, result_subject};
use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::parsing::NamedTemplate;
use crate::results::Record;
use crate::runner::{self, Env, Gates, Job, Settings, Shutdown};
use crate::runtime::Plugin;
use async_nats::jetstream::{self, AckKind, consumer::PullConsumer};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Finds (and compiles, once) the workflow plugin a task names; the error
/// is the one-line reason for the record.
pub type WorkflowLoader = Arc<dyn Fn(&str) -> Result<Arc<Plugin>, String> + Send + Sync>;

/// A worker's own set-up.
pub struct WorkerConfig {
    /// Its name in records and logs.
    pub name: String,
    /// Runtime, platforms, pool, breakers: kept across tasks.
    pub env: Arc<Env>,
    /// The worker's inventory, by name: where addresses and secrets come from.
    pub hosts: HashMap<String, Host>,
    /// Limits and timeouts (the worker's flags; a task's timeouts win).
    pub settings: Settings,
    /// Workflow plugins by name.
    pub workflows: WorkflowLoader,
    /// `--nats-results`: also publish each record there.
    pub mirror: Option<Mirror>,
}

/// What a worker did, for its exit line.
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Tasks run to a record.
    pub done: AtomicU64,
    /// Messages dropped as not ours, expired or malformed.
    pub dropped: AtomicU64,
    /// Tasks handed back (shutdown) for another worker.
    pub returned: AtomicU64,
}

/// Most tasks asked for in one pull.
const MAX_BATCH: usize = 64;

struct Shared {
    config: WorkerConfig,
    /// Templates of `exec --template` runs, compiled once per worker.
    templates: std::sync::Mutex<HashMap<ShippedTemplate, Arc<NamedTemplate>>>,
    gates: Gates,
    js: jetstream::Context,
    ack_wait: Duration,
    shutdown: Shutdown,
    stats: WorkerStats,
}

/// Pull and run tasks until `shutdown.drain`; then let the tasks in flight
/// finish (or be cancelled by `shutdown.abort` and handed back).
pub async fn run_worker(
    config: WorkerConfig,
    js: jetstream::Context,
    mut consumer: PullConsumer,
    shutdown: Shutdown,
) -> Result<WorkerStats, ClusterError> {
    let ack_wait = consumer
        .info()
        .await
        .map(|i| i.config.ack_wait)
        .unwrap_or(super::DEFAULT_ACK_WAIT);
    let concurrency = crate::resilience::cap_concurrency(config.settings.concurrency.max(1));
    // Group limits across all tasks of this worker; the run's own slots
    // are `slots` below.
    let gates = Gates::new(&Settings {
        concurrency: usize::MAX >> 4,
        group_limits: config.settings.group_limits.clone(),
        ..Default::default()
    });
    let shared = Arc::new(Shared {
        config,
        templates: Default::default(),
        gates,
        js,
        ack_wait,
        shutdown: shutdown.clone(),
        stats: WorkerStats::default(),
    });
    tracing::info!(worker = %shared.config.name, concurrency, ack_wait_s = ack_wait.as_secs_f64(), "worker ready");
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut running: JoinSet<()> = JoinSet::new();
    let mut failures = 0u32;
    'pull: loop {
        let first = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.drain.cancelled() => break,
        };
        let mut permits = vec![first];
        while permits.len() < MAX_BATCH {
            match slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        let batch = consumer
            .batch()
            .max_messages(permits.len())
            .expires(Duration::from_secs(5))
            .messages()
            .await;
        let mut batch = match batch {
            Ok(b) => {
                failures = 0;
                b
            }
            Err(e) => {
                failures += 1;
                // Server gone or restarting: the client reconnects; back off.
                tracing::warn!(consumer = WORKER_CONSUMER, "cannot pull tasks: {e}");
                let pause = Duration::from_millis(200 * u64::from(failures.min(25)));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => continue,
                    _ = shutdown.drain.cancelled() => break,
                }
            }
        };
        loop {
            let next = tokio::select! {
                m = batch.next() => m,
                _ = shutdown.drain.cancelled() => break 'pull,
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    tracing::debug!("pull ended: {e}");
                    break;
                }
                Some(Ok(msg)) => {
                    let Some(permit) = permits.pop() else {
                        // More than asked for: hand it back at once.
                        let _ = msg.ack_with(AckKind::Nak(None)).await;
                        continue;
                    };
                    let shared = shared.clone();
                    running.spawn(async move {
                        let _permit = permit;
                        handle(&shared, msg).await;
                    });
                }
            }
        }
        while running.try_join_next().is_some() {}
    }
    while running.join_next().await.is_some() {}
    let shared = Arc::into_inner(shared).ok_or_else(|| ClusterError::Consume {
        consumer: WORKER_CONSUMER.into(),
        message: "tasks still running at exit".into(),
    })?;
    if let Some(m) = shared.config.mirror {
        m.finish().await;
    }
    Ok(shared.stats)
}

/// One message: run it if it is a task of ours, drop it otherwise.
async fn handle(shared: &Shared, msg: jetstream::Message) {
    let delivery = msg.info().map(|i| i.delivered.max(1) as u64).unwrap_or(1);
    let task = match Task::parse(&msg.payload) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(subject = %msg.subject, "dropping a message that is not a task: {e}");
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            // Term: never redelivered, so it cannot loop through the workers.
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    if task.expired(SystemTime::now()) {
        tracing::info!(run_id = %task.run, device = %task.device, "dropping a task whose run has given up waiting");
        shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
        let _ = msg.ack_with(AckKind::Term).await;
        return;
    }
    tracing::info!(run_id = %task.run, device = %task.device, delivery, "task started");
    // Progress acks keep the task ours while it runs (waiting for a group
    // slot included); a dead worker sends none and the task moves on.
    let work = run_task(shared, &task);
    tokio::pin!(work);
    let mut tick = tokio::time::interval((shared.ack_wait / 3).max(Duration::from_millis(100)));
    tick.tick().await;
    let record = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = tick.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
        }
    };
    let handed_back = record
        .error
        .as_ref()
        .is_some_and(|e| e.class == ErrorClass::Cancelled)
        && (shared.shutdown.drain.is_cancelled() || shared.shutdown.abort.is_cancelled());
    if handed_back {
        // This worker is stopping: another one does the device now.
        tracing::info!(run_id = %task.run, device = %task.device, "handing the task back: this worker is stopping");
        shared.stats.returned.fetch_add(1, Ordering::Relaxed);
        let _ = msg.ack_with(AckKind::Nak(None)).await;
        return;
    }
    if let Some(m) = &shared.config.mirror {
        m.send(&record);
    }
    let result = ResultMessage {
        netrun_result: FORMAT,
        run: task.run.clone(),
        worker: shared.config.name.clone(),
        delivery,
        record,
    };
    let subject = result_subject(&task.run);
    let published = match shared
        .js
        .publish(subject.clone(), result.to_bytes().into())
        .await
    {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match published {
        Ok(()) => {
            shared.stats.done.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = msg.ack().await {
                tracing::warn!(run_id = %task.run, device = %task.device, "cannot acknowledge the task (it may be done twice; the run keeps one record): {e}");
            }
            tracing::info!(run_id = %task.run, device = %task.device, "task done");
        }
        Err(e) => {
            // Unacknowledged: redelivered after the ack wait.
            tracing::warn!(run_id = %task.run, device = %task.device, subject = %subject, "cannot publish the result, the task will be redelivered: {e}");
        }
    }
}

/// Most templates a worker keeps compiled (a run ships one; a worker
/// serving many runs forgets them all when it has this many).
const MAX_TEMPLATES: usize = 16;

impl Shared {
    /// `shipped`, compiled: once per worker, not once per task.
    fn template(&self, shipped: &ShippedTemplate) -> Result<Arc<NamedTemplate>, String> {
        let cached = self
            .templates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(shipped)
            .cloned();
        if let Some(t) = cached {
            return Ok(t);
        }
        let compiled = Arc::new(NamedTemplate::compile(
            shipped.name.clone(),
            shipped.text.clone(),
        )?);
        let mut templates = self
            .templates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if templates.len() >= MAX_TEMPLATES {
            templates.clear();
        }
        templates.insert(shipped.clone(), compiled.clone());
        Ok(compiled)
    }
}

/// The device's record for `task`.
async fn run_task(shared: &Shared, task: &Task) -> Record {
    let started = tokio::time::Instant::now();
    let fail = |class: ErrorClass, message: String| {
        Record::failed(
            &task.device,
            Error::new(class, message),
            started.elapsed(),
            0,
        )
    };
    let name = &shared.config.name;
    let Some(host) = shared.config.hosts.get(&task.device) else {
        return fail(
            ErrorClass::Inventory,
            format!(
                "{}: worker {name} has no such device in its inventory: give every worker the inventory the run uses",
                task.device
            ),
        );
    };
    let job = match &task.job {
        TaskJob::Exec {
            commands,
            continue_on_error,
            answers,
            settle_ms,
            template,
        } => {
            let template = match template {
                Some(shipped) => match shared.template(shipped) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        return fail(
                            ErrorClass::Parse,
                            format!(
                                "{}: worker {name} cannot compile the run's template {}: {e}",
                                task.device, shipped.name
                            ),
                        );
                    }
                },
                None => None,
            };
            let mut compiled = Vec::with_capacity(answers.len());
            for (expect, answer) in answers {
                match crate::transport::platform::device_pattern(expect) {
                    Ok(re) => compiled.push((re, answer.clone())),
                    Err(e) => {
                        return fail(
                            ErrorClass::Internal,
                            format!(
                                "{}: the run's --expect `{expect}` is not a regular expression: {e}",
                                task.device
                            ),
                        );
                    }
                }
            }
            Job::Exec {
                commands: commands.clone(),
                options: runner::ExecOptions {
                    continue_on_error: *continue_on_error,
                    answers: compiled,
                    settle: settle_ms.map(std::time::Duration::from_millis),
                    template,
                },
            }
        }
        TaskJob::Get { getters } => Job::Get {
            getters: getters.clone(),
        },
        TaskJob::Workflow { name: w, params } => match (shared.config.workflows)(w) {
            Ok(plugin) => Job::Workflow {
                plugin,
                params: params.to_string(),
            },
            Err(why) => {
                return fail(
                    ErrorClass::Inventory,
                    format!("{}: worker {name}: {why}", task.device),
                );
            }
        },
    };
    let _group_permits = tokio::select! {
        p = shared.gates.enter(host) => p,
        _ = shared.shutdown.drain.cancelled() => {
            return fail(ErrorClass::Cancelled, format!("{}: worker {name} is stopping", task.device));
        }
    };
    let mut settings = shared.config.settings.clone();
    settings.concurrency = 1;
    settings.group_limits.clear();
    let forced = task.timeouts.overrides();
    let t = &mut settings.forced_timeouts;
    for (slot, v) in [
        (&mut t.connect, forced.connect),
        (&mut t.handshake, forced.handshake),
        (&mut t.auth, forced.auth),
        (&mut t.prompt, forced.prompt),
        (&mut t.command, forced.command),
        (&mut t.device, forced.device),
    ] {
        if v.is_some() {
            *slot = v;
        }
    }
    let mut record = None;
    runner::run(
        shared.config.env.clone(),
        job,
        vec![host.clone()],
        settings,
        shared.shutdown.clone(),
        |r| record = Some(r),
    )
    .await;
    record.unwrap_or_else(|| {
        fail(
            ErrorClass::Internal,
            format!(
                "{}: the runner gave no record; please report it",
                task.device
            ),
        )
    })
}
