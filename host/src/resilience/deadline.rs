//! One deadline for everything done on a device: the work is dropped when
//! it passes (nothing outlives it), and the record says what step the
//! device was at, how many connection attempts were made, and the fix.

use crate::error::{Error, ErrorClass};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What a device task is doing, kept outside the task so the deadline and
/// the shutdown can name it after the task was dropped.
#[derive(Debug)]
pub struct Progress {
    attempts: AtomicU32,
    step: Mutex<String>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            attempts: AtomicU32::new(0),
            step: Mutex::new("starting".into()),
        }
    }
}

impl Progress {
    /// Count a connection attempt; returns its number (from 1).
    pub fn attempt(&self) -> u32 {
        self.attempts.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Connection attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }

    /// Record the current step, in words (`connecting (attempt 2)`).
    pub fn set_step(&self, step: impl Into<String>) {
        // Single assignment; a poisoned lock still holds a whole string.
        *self.step.lock().unwrap_or_else(|p| p.into_inner()) = step.into();
    }

    /// The current step.
    pub fn step(&self) -> String {
        self.step.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Run `work` for `device` until it finishes, `limit` passes, or `cancel`
/// fires. In the last two cases `work` is dropped (its sessions with it) and
/// the error is `device-timeout` or `cancelled`, naming the step `progress`
/// was at.
pub async fn within<T>(
    device: &str,
    limit: Duration,
    cancel: &CancellationToken,
    progress: &Progress,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::new(
            ErrorClass::Cancelled,
            format!(
                "{device}: run interrupted while {}; the device was left as it was (check it if the job changes state)",
                progress.step()
            ),
        )),
        r = tokio::time::timeout(limit, work) => r.unwrap_or_else(|_| Err(Error::new(
            ErrorClass::DeviceTimeout,
            format!(
                "{device}: device deadline of {} passed while {}: raise it with --device-timeout or connection_options.netrun.extras.timeouts.device",
                seconds(limit),
                progress.step()
            ),
        ))),
    }
}

/// `5s`, `1.5s`: durations as people write them in flags.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use tokio::time::{Instant, sleep};

    /// Sets its flag when dropped: proves the work did not outlive the deadline.
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn work_that_finishes_in_time_returns_its_result() {
        let p = Progress::default();
        let r = within(
            "r1",
            Duration::from_secs(10),
            &CancellationToken::new(),
            &p,
            async {
                sleep(Duration::from_secs(9)).await;
                Ok::<_, Error>(7)
            },
        )
        .await;
        assert_eq!(r, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_device_times_out_exactly_at_its_deadline_naming_the_step() {
        let p = Progress::default();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let start = Instant::now();
        let r: Result<(), Error> = within(
            "r1",
            Duration::from_secs(120),
            &CancellationToken::new(),
            &p,
            async {
                let _flag = flag;
                p.attempt();
                p.set_step("connecting (attempt 1)");
                std::future::pending().await
            },
        )
        .await;
        assert_eq!(start.elapsed(), Duration::from_secs(120));
        let e = r.unwrap_err();
        assert_eq!(e.class, ErrorClass::DeviceTimeout);
        assert!(
            e.message
                .starts_with("r1: device deadline of 120s passed while connecting (attempt 1)"),
            "{}",
            e.message
        );
        assert!(e.message.contains("--device-timeout"), "{}", e.message);
        assert!(dropped.load(Ordering::SeqCst), "the work was dropped");
        assert_eq!(p.attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_the_run_stops_the_work_at_once() {
        let p = Progress::default();
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            sleep(Duration::from_secs(3)).await;
            trigger.cancel();
        });
        let start = Instant::now();
        let r: Result<(), Error> = within("r2", Duration::from_secs(120), &cancel, &p, async {
            p.set_step("running workflow collect-facts");
            std::future::pending().await
        })
        .await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        let e = r.unwrap_err();
        assert_eq!(e.class, ErrorClass::Cancelled);
        assert!(
            e.message
                .starts_with("r2: run interrupted while running workflow collect-facts"),
            "{}",
            e.message
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_already_cancelled_run_does_not_start_the_work() {
        let p = Progress::default();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let started = AtomicBool::new(false);
        let r = within("r3", Duration::from_secs(1), &cancel, &p, async {
            started.store(true, Ordering::SeqCst);
            Ok::<_, Error>(())
        })
        .await;
        assert_eq!(r.unwrap_err().class, ErrorClass::Cancelled);
        assert!(!started.load(Ordering::SeqCst));
    }

    #[test]
    fn seconds_are_written_like_flags() {
        assert_eq!(seconds(Duration::from_secs(5)), "5s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
    }
}
