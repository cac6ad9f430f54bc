//! Dialling a device: the connect/login step, through the device's circuit
//! breaker, retried with backoff when the failure may pass.
//!
//! Only this step is retried. A command is never re-sent: once a session is
//! up, what happens on it may have changed the device.

use super::breaker::Breaker;
use super::deadline::Progress;
use super::retry::{RetryPolicy, retry};
use crate::error::{Error, ErrorClass};
use std::future::Future;
use std::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How a device is dialled.
pub struct Dial<'a> {
    /// Inventory name, for messages.
    pub device: &'a str,
    /// The device's breaker.
    pub breaker: &'a Breaker,
    /// Attempts and backoff.
    pub policy: &'a RetryPolicy,
    /// No retry sleep may reach this (the device deadline).
    pub deadline: Option<Instant>,
    /// Once cancelled (shutdown), no further attempt is made.
    pub stop: &'a CancellationToken,
    /// Counts attempts and names the step.
    pub progress: &'a Progress,
}

impl Dial<'_> {
    /// Call `open` until it succeeds, fails in a way retrying cannot fix
    /// (`auth`, `host-key`, …), the attempts are used up, the deadline is
    /// near, the run is stopping, or the breaker opens.
    ///
    /// A breaker open before the first attempt gives `breaker-open` and no
    /// attempt. A breaker that opens during the retries stops them; the
    /// error is the last real failure, saying the breaker is now open.
    pub async fn open<S, F, Fut>(&self, mut open: F) -> Result<S, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<S, Error>>,
    {
        let last: Mutex<Option<Error>> = Mutex::new(None);
        let device = self.device;
        let is_retryable = |e: &Error| e.class.retryable() && !self.stop.is_cancelled();
        let (result, _) = retry(self.policy, is_retryable, self.deadline, || {
            let attempt = self.breaker.acquire();
            // Boxed: an attempt's future held here and then awaited below
            // would be stored twice in this one.
            let fut = attempt.is_ok().then(|| Box::pin(open()));
            let last = &last;
            let retried_after = last
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(|e| e.class);
            async move {
                let permit = attempt.map_err(|open| open.into_error(device))?;
                if let Some(class) = retried_after {
                    crate::telemetry::metrics()
                        .retries
                        .get_or_create(&crate::telemetry::ClassLabels {
                            class: class.to_string(),
                        })
                        .inc();
                }
                let n = self.progress.attempt();
                self.progress.set_step(format!("connecting (attempt {n})"));
                // `fut` is Some whenever the permit is Ok (made together above).
                let Some(fut) = fut else {
                    return Err(Error::new(ErrorClass::Internal, "dial: no attempt made"));
                };
                match fut.await {
                    Ok(session) => {
                        permit.success();
                        Ok(session)
                    }
                    Err(e) => {
                        if e.class.blames_device() {
                            permit.failure();
                        }
                        *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                        Err(e)
                    }
                }
            }
        })
        .await;
        let last = last.into_inner().unwrap_or_else(|p| p.into_inner());
        match (result, last) {
            (Err(e), Some(mut real)) if e.class == ErrorClass::BreakerOpen => {
                real.message = format!(
                    "{} (after {} attempts; circuit breaker now open, the device is not dialled again for {}s)",
                    real.message,
                    self.progress.attempts(),
                    self.breaker.config().cool_down.as_secs()
                );
                Err(real)
            }
            (result, _) => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::backoff::Backoff;
    use crate::resilience::breaker::{BreakerConfig, State};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_secs(1),
                multiplier: 2.0,
            },
        }
    }

    fn breaker(threshold: u32) -> Breaker {
        Breaker::new(BreakerConfig {
            failure_threshold: threshold,
            cool_down: Duration::from_secs(30),
            half_open_probes: 1,
        })
    }

    struct Setup {
        breaker: Breaker,
        policy: RetryPolicy,
        stop: CancellationToken,
        progress: Progress,
    }

    impl Setup {
        fn new(attempts: u32, threshold: u32) -> Self {
            Setup {
                breaker: breaker(threshold),
                policy: policy(attempts),
                stop: CancellationToken::new(),
                progress: Progress::default(),
            }
        }
        fn dial(&self) -> Dial<'_> {
            Dial {
                device: "r1",
                breaker: &self.breaker,
                policy: &self.policy,
                deadline: None,
                stop: &self.stop,
                progress: &self.progress,
            }
        }
    }

    fn fail(class: ErrorClass) -> Result<&'static str, Error> {
        Err(Error::new(class, format!("r1: {class}")))
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_connection_is_retried_and_the_attempts_are_counted() {
        let s = Setup::new(3, 10);
        let calls = AtomicU32::new(0);
        let r = s
            .dial()
            .open(|| async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => fail(ErrorClass::ConnectRefused),
                    _ => Ok("session"),
                }
            })
            .await;
        assert_eq!(r, Ok("session"));
        assert_eq!(s.progress.attempts(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_password_is_tried_once() {
        let s = Setup::new(5, 10);
        let r = s.dial().open(|| async { fail(ErrorClass::Auth) }).await;
        assert_eq!(r.unwrap_err().class, ErrorClass::Auth);
        assert_eq!(s.progress.attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_breaker_skips_the_device_without_dialling() {
        let s = Setup::new(3, 1);
        s.breaker.acquire().unwrap().failure();
        assert_eq!(s.breaker.state(), State::Open);
        let dialled = AtomicU32::new(0);
        let r = s
            .dial()
            .open(|| async {
                dialled.fetch_add(1, Ordering::SeqCst);
                Ok("session")
            })
            .await;
        let e = r.unwrap_err();
        assert_eq!(e.class, ErrorClass::BreakerOpen);
        assert!(
            e.message.starts_with("r1: skipped, circuit breaker open"),
            "{}",
            e.message
        );
        assert_eq!(dialled.load(Ordering::SeqCst), 0);
        assert_eq!(s.progress.attempts(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_count_as_failures_and_stop_when_the_breaker_opens() {
        let s = Setup::new(10, 3);
        let r = s
            .dial()
            .open(|| async { fail(ErrorClass::ConnectRefused) })
            .await;
        let e = r.unwrap_err();
        assert_eq!(
            e.class,
            ErrorClass::ConnectRefused,
            "the real cause is kept"
        );
        assert!(
            e.message.contains("circuit breaker now open"),
            "{}",
            e.message
        );
        assert_eq!(s.progress.attempts(), 3);
        assert_eq!(s.breaker.state(), State::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_cool_down_one_probe_dials_and_success_closes_the_breaker() {
        let s = Setup::new(1, 1);
        let r = s
            .dial()
            .open(|| async { fail(ErrorClass::ConnectTimeout) })
            .await;
        assert!(r.is_err());
        assert_eq!(s.breaker.state(), State::Open);
        tokio::time::sleep(Duration::from_secs(30)).await;
        let r = s.dial().open(|| async { Ok("session") }).await;
        assert_eq!(r, Ok("session"));
        assert_eq!(s.breaker.state(), State::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_that_do_not_blame_the_device_leave_the_breaker_closed() {
        let s = Setup::new(1, 1);
        let r = s
            .dial()
            .open(|| async { fail(ErrorClass::Inventory) })
            .await;
        assert_eq!(r.unwrap_err().class, ErrorClass::Inventory);
        assert_eq!(s.breaker.state(), State::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_is_made_once_the_run_is_stopping() {
        let s = Setup::new(5, 10);
        let r = s
            .dial()
            .open(|| async {
                s.stop.cancel();
                fail(ErrorClass::ConnectTimeout)
            })
            .await;
        assert_eq!(r.unwrap_err().class, ErrorClass::ConnectTimeout);
        assert_eq!(s.progress.attempts(), 1);
    }
}
