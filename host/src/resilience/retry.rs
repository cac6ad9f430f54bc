//! Retrying an operation that may fail transiently, with backoff between
//! attempts and a deadline.
//!
//! Only wrap steps that are safe to repeat — connecting, opening a session —
//! never a command that may have changed the device's state.

use super::backoff::Backoff;
use std::future::Future;
use tokio::time::{Instant, sleep};

/// How often, and how patiently, to try.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (0 behaves as 1).
    pub max_attempts: u32,
    /// Delays between attempts.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    /// 3 attempts with the default [`Backoff`].
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::default(),
        }
    }
}

/// A predicate for [`retry`] over the host's classified errors: retry what
/// its class says may succeed later (never `auth`).
pub fn retryable(error: &crate::error::Error) -> bool {
    error.class.retryable()
}

/// Run `op` until it succeeds, fails with an error `is_retryable` rejects,
/// has been tried `policy.max_attempts` times, or the next backoff sleep
/// would reach `deadline`. Returns the last outcome and the number of
/// attempts made (at least 1: the first attempt is made even if the deadline
/// has already passed).
///
/// Sleep `n` (after attempt `n + 1` failed) is `policy.backoff.delay(n)`.
/// The deadline bounds the sleeps, not `op` itself: give `op` its own
/// timeout, or wrap the whole call in one.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    is_retryable: impl Fn(&E) -> bool,
    deadline: Option<Instant>,
    mut op: F,
) -> (Result<T, E>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let max_attempts = policy.max_attempts.max(1);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match op().await {
            Ok(value) => return (Ok(value), attempts),
            Err(error) => error,
        };
        if attempts >= max_attempts || !is_retryable(&error) {
            return (Err(error), attempts);
        }
        let delay = policy.backoff.delay(attempts - 1);
        if let Some(deadline) = deadline
            && Instant::now()
                .checked_add(delay)
                .is_none_or(|wake| wake >= deadline)
        {
            return (Err(error), attempts);
        }
        sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            backoff: Backoff {
                base: Duration::from_secs(1),
                max: Duration::from_secs(8),
                multiplier: 2.0,
            },
        }
    }

    fn failing(class: ErrorClass) -> Result<(), Error> {
        Err(Error::new(class, format!("r1: {class}")))
    }

    /// The sum of the ceilings of the first `sleeps` delays.
    fn max_sleep(policy: &RetryPolicy, sleeps: u32) -> Duration {
        (0..sleeps).map(|n| policy.backoff.ceiling(n)).sum()
    }

    #[tokio::test(start_paused = true)]
    async fn auth_failure_is_not_retried() {
        let start = Instant::now();
        let (result, attempts) = retry(&policy(3), retryable, None, || async {
            failing(ErrorClass::Auth)
        })
        .await;
        assert_eq!(result.unwrap_err().class, ErrorClass::Auth);
        assert_eq!(attempts, 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn connect_timeout_is_retried_up_to_max_attempts() {
        let p = policy(3);
        let start = Instant::now();
        let (result, attempts) = retry(&p, retryable, None, || async {
            failing(ErrorClass::ConnectTimeout)
        })
        .await;
        assert_eq!(result.unwrap_err().class, ErrorClass::ConnectTimeout);
        assert_eq!(attempts, 3);
        assert!(start.elapsed() <= max_sleep(&p, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn success_on_second_attempt_reports_two_attempts() {
        let calls = AtomicU32::new(0);
        let (result, attempts) = retry(&policy(3), retryable, None, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Error::new(ErrorClass::ConnectRefused, "r1: refused")),
                _ => Ok("session"),
            }
        })
        .await;
        assert_eq!(result, Ok("session"));
        assert_eq!(attempts, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_retryable_error_after_a_retryable_one_stops_the_retries() {
        let calls = AtomicU32::new(0);
        let (result, attempts) = retry(&policy(5), retryable, None, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => failing(ErrorClass::ConnectTimeout),
                _ => failing(ErrorClass::HostKey),
            }
        })
        .await;
        assert_eq!(result.unwrap_err().class, ErrorClass::HostKey);
        assert_eq!(attempts, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_at_the_deadline() {
        // Each attempt takes 5 s; sleeps are at most 1 s; the deadline is 12 s
        // away. Attempts start at 0 s, 5–6 s and 10–12 s; no sleep may end at
        // or past the deadline, so there are at most three.
        let p = RetryPolicy {
            max_attempts: 10,
            backoff: Backoff {
                base: Duration::from_secs(1),
                max: Duration::from_secs(1),
                multiplier: 1.0,
            },
        };
        let start = Instant::now();
        let deadline = start + Duration::from_secs(12);
        let starts = std::sync::Mutex::new(Vec::new());
        let (result, attempts) = retry(&p, retryable, Some(deadline), || async {
            starts.lock().unwrap().push(Instant::now());
            sleep(Duration::from_secs(5)).await;
            failing(ErrorClass::ConnectTimeout)
        })
        .await;
        assert!(result.is_err());
        assert!((2..=3).contains(&attempts), "{attempts} attempts");
        let starts = starts.into_inner().unwrap();
        assert_eq!(starts.len() as u32, attempts);
        assert!(starts.iter().all(|&s| s < deadline));
        assert!(start.elapsed() <= Duration::from_secs(5) * attempts + max_sleep(&p, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_never_sleeps_past_the_deadline() {
        // Sleeps of up to 10 s against a 1 s deadline: whatever the jitter
        // draws, no sleep may cross the deadline.
        let p = RetryPolicy {
            max_attempts: 1000,
            backoff: Backoff {
                base: Duration::from_secs(10),
                max: Duration::from_secs(10),
                multiplier: 1.0,
            },
        };
        for _ in 0..200 {
            let start = Instant::now();
            let deadline = start + Duration::from_secs(1);
            let (result, _) = retry(&p, retryable, Some(deadline), || async {
                failing(ErrorClass::ConnectTimeout)
            })
            .await;
            assert!(result.is_err());
            assert!(Instant::now() < deadline);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_deadline_still_gets_one_attempt_and_no_sleep() {
        let start = Instant::now();
        let (result, attempts) = retry(&policy(3), retryable, Some(start), || async {
            failing(ErrorClass::ConnectTimeout)
        })
        .await;
        assert!(result.is_err());
        assert_eq!(attempts, 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn total_elapsed_time_is_within_the_backoff_bounds() {
        let p = RetryPolicy {
            max_attempts: 5,
            backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_millis(500),
                multiplier: 2.0,
            },
        };
        // Ceilings 100 + 200 + 400 + 500 ms.
        assert_eq!(max_sleep(&p, 4), Duration::from_millis(1200));
        for _ in 0..100 {
            let start = Instant::now();
            let (_, attempts) = retry(&p, retryable, None, || async {
                failing(ErrorClass::SessionClosed)
            })
            .await;
            assert_eq!(attempts, 5);
            assert!(start.elapsed() <= max_sleep(&p, 4), "{:?}", start.elapsed());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn zero_max_attempts_still_tries_once() {
        let (result, attempts) = retry(&policy(0), retryable, None, || async {
            failing(ErrorClass::Dns)
        })
        .await;
        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn works_with_any_error_type_and_predicate_and_can_be_spawned() {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let task = tokio::spawn(async move {
            let p = policy(4);
            retry(
                &p,
                |e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut,
                None,
                || {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < 3 {
                            Err(std::io::ErrorKind::TimedOut.into())
                        } else {
                            Ok(n)
                        }
                    }
                },
            )
            .await
        });
        let (result, attempts) = task.await.unwrap();
        assert_eq!(result.unwrap(), 3);
        assert_eq!(attempts, 4);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
