//! Per-device circuit breakers.
//!
//! A device that keeps failing is left alone for a while instead of being
//! hammered by every run. The breaker is:
//!
//! * **Closed** — calls go through; `failure_threshold` consecutive failures
//!   open it.
//! * **Open** — calls are rejected with [`Open`] until `cool_down` has passed,
//!   then it turns half-open.
//! * **HalfOpen** — up to `half_open_probes` trial calls (probes) go through,
//!   the rest are rejected. The first probe to succeed closes the breaker;
//!   the first to fail opens it again with a fresh cool-down.
//!
//! Callers [`acquire`](Breaker::acquire) a [`Permit`] before the call and
//! resolve it with [`Permit::success`] or [`Permit::failure`] afterwards.
//! Time is read from [`tokio::time::Instant`], so tests can pause it.

use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// Settings of a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open a closed breaker (0 behaves as 1).
    pub failure_threshold: u32,
    /// How long an open breaker rejects calls before letting a probe through.
    pub cool_down: Duration,
    /// Probes let through at once while half-open (0 behaves as 1).
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    /// 5 failures, 30 s cool-down, 1 probe.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
            half_open_probes: 1,
        }
    }
}

/// The state of a breaker, as reported to observers and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Calls go through.
    Closed,
    /// Calls are rejected until the cool-down has passed.
    Open,
    /// A limited number of probes go through; their outcome decides.
    HalfOpen,
}

impl State {
    /// The state's name as it appears in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call was rejected because the breaker is open (or half-open with every
/// probe slot taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("circuit breaker open; next attempt allowed in {retry_in:?}")]
pub struct Open {
    /// How long until a call may be let through. Exact while open; while
    /// half-open with its probes in flight it is an estimate (a full
    /// cool-down, the wait should the probes fail).
    pub retry_in: Duration,
}

impl Open {
    /// The rejection as a classified host error (`breaker-open`) for `device`.
    pub fn into_error(self, device: &str) -> crate::error::Error {
        crate::error::Error::new(
            crate::error::ErrorClass::BreakerOpen,
            format!(
                "{device}: skipped, circuit breaker open after repeated failures; next attempt allowed in {}s",
                self.retry_in.as_secs_f64().ceil()
            ),
        )
    }
}

type Observer = Box<dyn Fn(State, State) + Send + Sync>;

/// A circuit breaker for one device. `Send + Sync`; share it in an [`Arc`].
pub struct Breaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
    observer: Option<Observer>,
}

struct Inner {
    phase: Phase,
    /// Bumped on every transition; permits from an earlier phase are stale.
    generation: u64,
    transitions: u64,
}

#[derive(Clone, Copy)]
enum Phase {
    Closed { failures: u32 },
    Open { since: Instant },
    HalfOpen { in_flight: u32 },
}

impl Phase {
    fn state(self) -> State {
        match self {
            Phase::Closed { .. } => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
        }
    }
}

/// A transition to report once the lock is released: (from, to).
type Change = Option<(State, State)>;

enum Outcome {
    Success,
    Failure,
    Abandoned,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            inner: Mutex::new(Inner {
                phase: Phase::Closed { failures: 0 },
                generation: 0,
                transitions: 0,
            }),
            observer: None,
        }
    }

    /// A closed breaker that calls `observer(from, to)` on every transition,
    /// e.g. to update metrics. The observer runs after the breaker's lock is
    /// released, so it may call back into the breaker; observers of
    /// concurrent transitions may run in either order.
    pub fn with_observer(
        config: BreakerConfig,
        observer: impl Fn(State, State) + Send + Sync + 'static,
    ) -> Self {
        Breaker {
            observer: Some(Box::new(observer)),
            ..Breaker::new(config)
        }
    }

    /// The breaker's settings.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// Ask to make a call. `Ok` carries a permit to resolve with the call's
    /// outcome.
    ///
    /// # Errors
    ///
    /// [`Open`] while the breaker is open, or half-open with every probe
    /// slot taken; it says how long until a call may be let through.
    pub fn acquire(&self) -> Result<Permit<'_>, Open> {
        let now = Instant::now();
        let mut inner = self.lock();
        let change = self.advance(&mut inner, now);
        let result = match inner.phase {
            Phase::Closed { .. } => Ok(false),
            Phase::Open { since } => Err(Open {
                retry_in: self.config.cool_down.saturating_sub(now - since),
            }),
            Phase::HalfOpen { ref mut in_flight } => {
                if *in_flight < self.config.half_open_probes.max(1) {
                    *in_flight += 1;
                    Ok(true)
                } else {
                    Err(Open {
                        retry_in: self.config.cool_down,
                    })
                }
            }
        };
        let generation = inner.generation;
        drop(inner);
        self.notify(change);
        result.map(|probe| Permit {
            breaker: self,
            generation,
            probe,
            resolved: false,
        })
    }

    /// The current state. An open breaker whose cool-down has passed reports
    /// (and becomes) half-open without waiting for the next `acquire`.
    pub fn state(&self) -> State {
        let mut inner = self.lock();
        let change = self.advance(&mut inner, Instant::now());
        let state = inner.phase.state();
        drop(inner);
        self.notify(change);
        state
    }

    /// How many transitions the breaker has made since it was created.
    pub fn transitions(&self) -> u64 {
        self.lock().transitions
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is updated in single assignments; a panic elsewhere while
        // holding the lock cannot leave it half-written.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open → HalfOpen once the cool-down has passed.
    fn advance(&self, inner: &mut Inner, now: Instant) -> Change {
        match inner.phase {
            Phase::Open { since } if now - since >= self.config.cool_down => {
                transition(inner, Phase::HalfOpen { in_flight: 0 })
            }
            _ => None,
        }
    }

    fn settle(&self, generation: u64, outcome: Outcome) {
        let mut inner = self.lock();
        if inner.generation != generation {
            // Acquired before the last transition: its outcome is old news.
            // (So a half-open outcome below is always a probe's.)
            return;
        }
        let now = Instant::now();
        let threshold = self.config.failure_threshold.max(1);
        let change = match (inner.phase, outcome) {
            (Phase::Closed { .. }, Outcome::Success) => {
                inner.phase = Phase::Closed { failures: 0 };
                None
            }
            (Phase::Closed { failures }, Outcome::Failure) if failures + 1 >= threshold => {
                transition(&mut inner, Phase::Open { since: now })
            }
            (Phase::Closed { failures }, Outcome::Failure) => {
                inner.phase = Phase::Closed {
                    failures: failures + 1,
                };
                None
            }
            (Phase::HalfOpen { .. }, Outcome::Success) => {
                transition(&mut inner, Phase::Closed { failures: 0 })
            }
            (Phase::HalfOpen { .. }, Outcome::Failure) => {
                transition(&mut inner, Phase::Open { since: now })
            }
            (Phase::HalfOpen { in_flight }, Outcome::Abandoned) => {
                inner.phase = Phase::HalfOpen {
                    in_flight: in_flight.saturating_sub(1),
                };
                None
            }
            // An abandoned call changes nothing while closed, and no permit
            // of the current generation exists while open.
            (Phase::Closed { .. }, Outcome::Abandoned) | (Phase::Open { .. }, _) => None,
        };
        drop(inner);
        self.notify(change);
    }

    fn notify(&self, change: Change) {
        if let (Some((from, to)), Some(observer)) = (change, &self.observer) {
            observer(from, to);
        }
    }
}

fn transition(inner: &mut Inner, to: Phase) -> Change {
    let from = inner.phase.state();
    inner.phase = to;
    inner.generation += 1;
    inner.transitions += 1;
    Some((from, to.state()))
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("config", &self.config)
            .field("state", &self.lock().phase.state())
            .finish_non_exhaustive()
    }
}

/// Leave to make one call through a [`Breaker`]. Resolve it with
/// [`success`](Permit::success) or [`failure`](Permit::failure).
///
/// A permit dropped unresolved (the task was cancelled, the device deadline
/// passed, the call never happened) counts as neither success nor failure;
/// if it was a half-open probe, its slot is freed for another probe.
///
/// A permit acquired before the breaker last changed state is stale: its
/// outcome is ignored.
#[must_use = "resolve the permit with `success()` or `failure()`"]
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    generation: u64,
    probe: bool,
    resolved: bool,
}

impl Permit<'_> {
    /// Whether this permit is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The call succeeded: resets the failure count, closes a half-open breaker.
    pub fn success(mut self) {
        self.resolve(Outcome::Success);
    }

    /// The call failed: counts towards opening the breaker, re-opens a
    /// half-open one. Only report failures that say something about the
    /// device (not, say, a plugin's bug).
    pub fn failure(mut self) {
        self.resolve(Outcome::Failure);
    }

    fn resolve(&mut self, outcome: Outcome) {
        self.resolved = true;
        self.breaker.settle(self.generation, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.resolved {
            self.resolve(Outcome::Abandoned);
        }
    }
}

type DeviceObserver = Arc<dyn Fn(&str, State, State) + Send + Sync>;

/// One breaker per device name, created on first use with a shared config,
/// kept for the life of the process (across the runs of `netrun serve`).
pub struct Breakers {
    config: BreakerConfig,
    map: Mutex<HashMap<String, Arc<Breaker>>>,
    observer: Option<DeviceObserver>,
}

impl Breakers {
    /// An empty set of breakers built with `config`.
    pub fn new(config: BreakerConfig) -> Self {
        Breakers {
            config,
            map: Mutex::new(HashMap::new()),
            observer: None,
        }
    }

    /// Like [`Breakers::new`], with `observer(device, from, to)` called on
    /// every transition of every breaker (see [`Breaker::with_observer`]).
    pub fn with_observer(
        config: BreakerConfig,
        observer: impl Fn(&str, State, State) + Send + Sync + 'static,
    ) -> Self {
        Breakers {
            observer: Some(Arc::new(observer)),
            ..Breakers::new(config)
        }
    }

    /// The breaker of `device`, created closed on first use.
    pub fn get(&self, device: &str) -> Arc<Breaker> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(breaker) = map.get(device) {
            return breaker.clone();
        }
        let breaker = Arc::new(match &self.observer {
            Some(observer) => {
                let (observer, name) = (observer.clone(), device.to_owned());
                Breaker::with_observer(self.config, move |from, to| observer(&name, from, to))
            }
            None => Breaker::new(self.config),
        });
        map.insert(device.to_owned(), breaker.clone());
        breaker
    }

    /// Every device's current state, sorted by device name.
    pub fn states(&self) -> Vec<(String, State)> {
        let breakers: Vec<(String, Arc<Breaker>)> = {
            let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut states: Vec<(String, State)> = breakers
            .into_iter()
            .map(|(name, breaker)| (name, breaker.state()))
            .collect();
        states.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        states
    }
}

impl fmt::Debug for Breakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breakers")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    const COOL_DOWN: Duration = Duration::from_secs(30);

    fn fail(breaker: &Breaker, times: u32) {
        for _ in 0..times {
            breaker.acquire().unwrap().failure();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn breaker_opens_after_five_consecutive_failures() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 4);
        assert_eq!(breaker.state(), State::Closed);
        fail(&breaker, 1);
        assert_eq!(breaker.state(), State::Open);
        assert_eq!(breaker.acquire().unwrap_err().retry_in, COOL_DOWN);
    }

    #[tokio::test(start_paused = true)]
    async fn success_resets_the_failure_count() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 4);
        breaker.acquire().unwrap().success();
        fail(&breaker, 4);
        assert_eq!(breaker.state(), State::Closed);
        fail(&breaker, 1);
        assert_eq!(breaker.state(), State::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn open_breaker_rejects_until_cool_down_then_allows_one_probe() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 5);
        advance(COOL_DOWN - Duration::from_millis(1)).await;
        let rejected = breaker.acquire().unwrap_err();
        assert_eq!(rejected.retry_in, Duration::from_millis(1));
        assert_eq!(breaker.state(), State::Open);

        advance(Duration::from_millis(1)).await;
        let probe = breaker.acquire().unwrap();
        assert!(probe.is_probe());
        assert_eq!(breaker.state(), State::HalfOpen);
        assert!(breaker.acquire().is_err(), "a second probe must wait");
        drop(probe);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_reopens_with_fresh_cool_down() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 5);
        advance(COOL_DOWN + Duration::from_secs(10)).await;
        breaker.acquire().unwrap().failure();
        assert_eq!(breaker.state(), State::Open);
        assert_eq!(breaker.acquire().unwrap_err().retry_in, COOL_DOWN);

        advance(COOL_DOWN - Duration::from_secs(1)).await;
        assert!(breaker.acquire().is_err());
        advance(Duration::from_secs(1)).await;
        assert!(breaker.acquire().unwrap().is_probe());
    }

    #[tokio::test(start_paused = true)]
    async fn successful_probe_closes() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 5);
        advance(COOL_DOWN).await;
        breaker.acquire().unwrap().success();
        assert_eq!(breaker.state(), State::Closed);
        // A fresh start: it takes five new failures to open again.
        fail(&breaker, 4);
        assert_eq!(breaker.state(), State::Closed);
        let permit = breaker.acquire().unwrap();
        assert!(!permit.is_probe());
        permit.failure();
        assert_eq!(breaker.state(), State::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn transitions_are_reported_to_the_observer_and_counted() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let breaker = Breaker::with_observer(BreakerConfig::default(), move |from, to| {
            sink.lock().unwrap().push((from, to));
        });
        fail(&breaker, 5);
        advance(COOL_DOWN).await;
        breaker.acquire().unwrap().failure();
        advance(COOL_DOWN).await;
        breaker.acquire().unwrap().success();
        use State::*;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (Closed, Open),
                (Open, HalfOpen),
                (HalfOpen, Open),
                (Open, HalfOpen),
                (HalfOpen, Closed)
            ]
        );
        assert_eq!(breaker.transitions(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_permit_counts_as_neither_success_nor_failure() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 4);
        drop(breaker.acquire().unwrap());
        assert_eq!(breaker.state(), State::Closed);
        fail(&breaker, 1);
        assert_eq!(breaker.state(), State::Open, "the count was not reset");
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_probe_frees_its_slot_for_another_probe() {
        let breaker = Breaker::new(BreakerConfig::default());
        fail(&breaker, 5);
        advance(COOL_DOWN).await;
        drop(breaker.acquire().unwrap());
        assert_eq!(breaker.state(), State::HalfOpen);
        assert!(breaker.acquire().unwrap().is_probe());
    }

    #[tokio::test(start_paused = true)]
    async fn outcome_of_a_permit_from_before_a_transition_is_ignored() {
        let breaker = Breaker::new(BreakerConfig::default());
        let late = breaker.acquire().unwrap();
        fail(&breaker, 5);
        advance(COOL_DOWN).await;
        let probe = breaker.acquire().unwrap();
        late.success();
        assert_eq!(breaker.state(), State::HalfOpen);
        probe.success();
        assert_eq!(breaker.state(), State::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_lets_the_configured_number_of_probes_through() {
        let breaker = Breaker::new(BreakerConfig {
            half_open_probes: 2,
            ..BreakerConfig::default()
        });
        fail(&breaker, 5);
        advance(COOL_DOWN).await;
        let first = breaker.acquire().unwrap();
        let second = breaker.acquire().unwrap();
        assert!(breaker.acquire().is_err());
        first.failure();
        assert_eq!(breaker.state(), State::Open);
        second.success(); // stale: the breaker already re-opened
        assert_eq!(breaker.state(), State::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_threshold_and_probes_behave_as_one() {
        let breaker = Breaker::new(BreakerConfig {
            failure_threshold: 0,
            cool_down: COOL_DOWN,
            half_open_probes: 0,
        });
        breaker.acquire().unwrap().success();
        fail(&breaker, 1);
        assert_eq!(breaker.state(), State::Open);
        advance(COOL_DOWN).await;
        let _probe = breaker.acquire().unwrap();
        assert!(breaker.acquire().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn breakers_keep_one_breaker_per_device_and_name_it_to_the_observer() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let breakers =
            Breakers::with_observer(BreakerConfig::default(), move |device, from, to| {
                sink.lock().unwrap().push((device.to_owned(), from, to));
            });
        assert!(Arc::ptr_eq(&breakers.get("r1"), &breakers.get("r1")));
        fail(&breakers.get("r1"), 5);
        assert_eq!(breakers.get("r2").state(), State::Closed);
        assert_eq!(
            breakers.states(),
            [("r1".into(), State::Open), ("r2".into(), State::Closed)]
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [("r1".to_owned(), State::Closed, State::Open)]
        );
    }

    #[test]
    fn breaker_permit_and_breakers_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Breaker>();
        send_sync::<Permit<'static>>();
        send_sync::<Breakers>();
    }

    #[test]
    fn open_converts_to_a_breaker_open_error_naming_the_device() {
        let e = Open {
            retry_in: Duration::from_millis(12_300),
        }
        .into_error("r1");
        assert_eq!(e.class, crate::error::ErrorClass::BreakerOpen);
        assert!(e.message.starts_with("r1: "), "{}", e.message);
        assert!(e.message.contains("13s"), "{}", e.message);
    }

    #[test]
    fn states_serialise_as_their_kebab_case_names() {
        for state in [State::Closed, State::Open, State::HalfOpen] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{state}\""));
        }
        assert_eq!(State::HalfOpen.as_str(), "half-open");
    }
}
