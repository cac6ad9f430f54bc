//! The session pool: open sessions kept per device and reused across the
//! commands of a workflow and across workflows of one process.
//!
//! * At most `max_per_device` sessions per device at once (devices have few
//!   VTY lines): a [`Lease`] holds one of the device's slots, whether it
//!   carries a reused session or the caller opens a new one into it.
//! * Sessions handed back ([`Lease::checkin`]) wait idle for the next
//!   checkout of the same device; dead ones are dropped, not reused.
//! * Idle sessions are closed after `idle_timeout` ([`Pool::evict_idle`], run
//!   periodically by [`Pool::spawn_evictor`]) and beyond `max_idle` in all.
//! * A one-shot run calls [`Pool::close_all`] at its end.
//! * A long-lived process whose configuration changed calls [`Pool::retire`]
//!   for the devices that went or changed: their idle sessions close now,
//!   leased ones when they come back.
//!
//! The pool is generic over the session type ([`Pooled`]) so its behaviour
//! is tested with paused time and fake sessions.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A session the pool can keep.
pub trait Pooled: Send + 'static {
    /// Whether the session can still carry commands.
    fn is_alive(&self) -> bool;
    /// Close it cleanly (log out, disconnect).
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Settings of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Sessions per device at once (0 behaves as 1).
    pub max_per_device: usize,
    /// How long a session may sit idle before it is closed.
    pub idle_timeout: Duration,
    /// Idle sessions kept in all, across devices; the longest idle beyond
    /// that are closed. Bounds open files between runs.
    pub max_idle: usize,
}

impl Default for PoolConfig {
    /// 1 session per device, 60 s idle, 100 idle sessions in all.
    fn default() -> Self {
        PoolConfig {
            max_per_device: 1,
            idle_timeout: Duration::from_secs(60),
            max_idle: 100,
        }
    }
}

struct Idle<S> {
    session: S,
    since: Instant,
    /// Its place in the pool's check-in order ([`Pool::trim`]).
    ticket: u64,
    /// The settings it was opened with ([`Pool::checkout_as`]).
    identity: u64,
}

/// One device's sessions: its slots and its idle sessions.
struct Slot<S> {
    slots: Arc<Semaphore>,
    idle: Mutex<Vec<Idle<S>>>,
    /// Bumped by [`Pool::retire`]: a session leased before is not kept.
    generation: AtomicU64,
}

impl<S> Slot<S> {
    fn idle(&self) -> MutexGuard<'_, Vec<Idle<S>>> {
        // Updates are single pushes/pops; a panic elsewhere cannot leave the
        // list half-written.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Sessions per device. `Send + Sync`; share it in an [`Arc`].
pub struct Pool<S> {
    config: PoolConfig,
    devices: Mutex<HashMap<String, Arc<Slot<S>>>>,
    /// Idle sessions by check-in, oldest first, so trimming to `max_idle`
    /// costs what it closes: walking every device's slot on each check-in
    /// made a 10,000-device run quadratic. Entries whose session has left
    /// the idle list since are stale and skipped.
    order: Mutex<VecDeque<(u64, Weak<Slot<S>>)>>,
    /// Idle sessions in all the slots.
    idle: AtomicUsize,
    next_ticket: AtomicU64,
}

/// Counts of a pool, for tests, logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Idle sessions kept.
    pub idle: usize,
    /// Sessions checked out (slots taken).
    pub leased: usize,
}

impl<S: Pooled> Pool<S> {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Pool {
            config,
            devices: Mutex::new(HashMap::new()),
            order: Mutex::new(VecDeque::new()),
            idle: AtomicUsize::new(0),
            next_ticket: AtomicU64::new(0),
        }
    }

    /// The pool's settings.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    fn devices(&self) -> MutexGuard<'_, HashMap<String, Arc<Slot<S>>>> {
        self.devices.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn order(&self) -> MutexGuard<'_, VecDeque<(u64, Weak<Slot<S>>)>> {
        // Single pushes, pops and a retain: never left half-written.
        self.order.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count `n` sessions gone from the idle lists.
    fn left_idle(&self, n: usize) {
        if n > 0 {
            self.idle.fetch_sub(n, Ordering::SeqCst);
        }
    }

    fn slot(&self, key: &str) -> Arc<Slot<S>> {
        self.devices()
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Slot {
                    slots: Arc::new(Semaphore::new(self.config.max_per_device.max(1))),
                    idle: Mutex::new(Vec::new()),
                    generation: AtomicU64::new(0),
                })
            })
            .clone()
    }

    /// [`checkout_as`](Pool::checkout_as) for callers whose sessions of a
    /// key are all opened alike.
    pub async fn checkout(&self, key: &str) -> Lease<S> {
        self.checkout_as(key, 0).await
    }

    /// Take one of `key`'s slots, waiting while all are leased (bound the
    /// wait with the caller's deadline). The lease carries the most recently
    /// used live idle session opened with the same settings (`identity`),
    /// if any; dead idle sessions, and those opened with other settings (a
    /// configuration reloaded since), are closed on the way. With no
    /// session, open one and [`put`](Lease::put) it in the lease.
    pub async fn checkout_as(&self, key: &str, identity: u64) -> Lease<S> {
        let slot = self.slot(key);
        // The semaphore is never closed, so acquiring cannot fail; the arm
        // is there to avoid a panic path.
        let permit = slot.slots.clone().acquire_owned().await.ok();
        let generation = slot.generation.load(Ordering::SeqCst);
        let mut dead = Vec::new();
        let session = {
            let mut idle = slot.idle();
            let mut found = None;
            while let Some(entry) = idle.pop() {
                self.left_idle(1);
                if entry.session.is_alive() && entry.identity == identity {
                    found = Some(entry.session);
                    break;
                }
                dead.push(entry.session);
            }
            found
        };
        for s in dead {
            s.close().await;
        }
        if session.is_some() {
            crate::telemetry::metrics().sessions_reused.inc();
        }
        Lease {
            reused: session.is_some(),
            session,
            slot,
            generation,
            identity,
            _permit: permit,
        }
    }

    /// Close sessions idle longer than `idle_timeout`, and dead ones.
    /// Returns how many were closed.
    pub async fn evict_idle(&self) -> usize {
        let now = Instant::now();
        let timeout = self.config.idle_timeout;
        let mut expired = Vec::new();
        for slot in self.all_slots() {
            let mut idle = slot.idle();
            let (keep, gone): (Vec<_>, Vec<_>) = idle
                .drain(..)
                .partition(|e| e.session.is_alive() && now - e.since < timeout);
            *idle = keep;
            self.left_idle(gone.len());
            expired.extend(gone.into_iter().map(|e| e.session));
        }
        let n = expired.len();
        for s in expired {
            s.close().await;
        }
        n
    }

    /// Close every idle session (the end of a one-shot run). Leased
    /// sessions are not touched: their leases close or return them.
    pub async fn close_all(&self) {
        let mut all = Vec::new();
        for slot in self.all_slots() {
            all.extend(slot.idle().drain(..).map(|e| e.session));
        }
        self.left_idle(all.len());
        for s in all {
            s.close().await;
        }
    }

    /// Retire the sessions of the devices whose key `gone` picks (a device
    /// no longer polled, or polled with other settings): idle ones are
    /// closed now, leased ones when their lease is checked in, and the next
    /// checkout opens a fresh one. Returns how many were closed now.
    pub async fn retire(&self, gone: impl Fn(&str) -> bool) -> usize {
        let mut closing = Vec::new();
        {
            let mut devices = self.devices();
            for (key, slot) in devices.iter() {
                if gone(key) {
                    slot.generation.fetch_add(1, Ordering::SeqCst);
                    closing.extend(slot.idle().drain(..).map(|e| e.session));
                }
            }
            self.left_idle(closing.len());
            // A slot no lease holds is forgotten (checkouts clone it under
            // this lock, so none can be starting on it).
            devices.retain(|key, slot| !gone(key) || Arc::strong_count(slot) > 1);
        }
        let n = closing.len();
        for s in closing {
            s.close().await;
        }
        n
    }

    /// Idle and leased sessions right now.
    pub fn stats(&self) -> PoolStats {
        let max = self.config.max_per_device.max(1);
        self.all_slots()
            .iter()
            .fold(PoolStats::default(), |mut st, slot| {
                st.idle += slot.idle().len();
                st.leased += max - slot.slots.available_permits();
                st
            })
    }

    fn all_slots(&self) -> Vec<Arc<Slot<S>>> {
        self.devices().values().cloned().collect()
    }

    /// Keep `slot`'s newly idle session (`ticket`), already counted, in the
    /// check-in order.
    fn note_idle(&self, ticket: u64, slot: &Arc<Slot<S>>) {
        let mut order = self.order();
        order.push_back((ticket, Arc::downgrade(slot)));
        let idle = self.idle.load(Ordering::SeqCst);
        // Sessions reused from the pool leave stale entries behind; drop
        // them once they outnumber the live ones (amortised O(1)).
        if order.len() > 2 * idle + 1024 {
            order.retain(|(ticket, slot)| {
                slot.upgrade()
                    .is_some_and(|s| s.idle().iter().any(|e| e.ticket == *ticket))
            });
        }
    }

    /// Close the longest-idle sessions beyond `max_idle`.
    async fn trim(&self) {
        let mut closing = Vec::new();
        while self.idle.load(Ordering::SeqCst) > self.config.max_idle {
            // Every idle session has its entry in the order, so the loop
            // ends: at worst when the order is empty.
            let Some((ticket, slot)) = self.order().pop_front() else {
                break;
            };
            let Some(slot) = slot.upgrade() else { continue };
            let mut idle = slot.idle();
            if let Some(i) = idle.iter().position(|e| e.ticket == ticket) {
                closing.push(idle.remove(i).session);
                self.left_idle(1);
            }
        }
        for s in closing {
            s.close().await;
        }
    }
}

impl<S: Pooled> Pool<S> {
    /// Run [`evict_idle`](Pool::evict_idle) every `every` until the pool is
    /// dropped (the task holds it weakly).
    pub fn spawn_evictor(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let pool: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(pool) = pool.upgrade() else { return };
                let closed = pool.evict_idle().await;
                if closed > 0 {
                    tracing::debug!(closed, "closed idle sessions");
                }
            }
        })
    }
}

/// One of a device's session slots, with the session in it (if any).
/// Dropping the lease frees the slot and drops its session without putting
/// it back: a session abandoned mid-exchange is never reused.
pub struct Lease<S> {
    session: Option<S>,
    reused: bool,
    slot: Arc<Slot<S>>,
    /// The slot's generation at checkout.
    generation: u64,
    /// The settings its session is (to be) opened with.
    identity: u64,
    _permit: Option<OwnedSemaphorePermit>,
}

impl<S: Pooled> Lease<S> {
    /// The session, if the lease carries one.
    pub fn session(&mut self) -> Option<&mut S> {
        self.session.as_mut()
    }

    /// Whether the session came from the pool rather than being opened for
    /// this lease.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Put a newly opened session in the lease (replacing a dead one).
    pub fn put(&mut self, session: S) -> &mut S {
        self.reused = false;
        self.session.insert(session)
    }

    /// Take the session out, e.g. to drop a dead one; the slot stays held.
    pub fn take(&mut self) -> Option<S> {
        self.session.take()
    }

    /// Hand the session back for reuse (a dead one is dropped), freeing the slot.
    pub async fn checkin(mut self, pool: &Pool<S>) {
        if let Some(session) = self.session.take() {
            let current = self.slot.generation.load(Ordering::SeqCst) == self.generation;
            if session.is_alive() && current {
                let ticket = pool.next_ticket.fetch_add(1, Ordering::SeqCst);
                // Counted before it can be seen (and taken) in the slot, so
                // the count never drops below the sessions really idle.
                pool.idle.fetch_add(1, Ordering::SeqCst);
                self.slot.idle().push(Idle {
                    session,
                    since: Instant::now(),
                    ticket,
                    identity: self.identity,
                });
                pool.note_idle(ticket, &self.slot);
                drop(self);
                pool.trim().await;
            } else {
                session.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A fake session: an id, a switch to kill it, a counter of closes.
    struct Fake {
        id: usize,
        alive: Arc<AtomicBool>,
        closed: Arc<AtomicUsize>,
    }

    impl Pooled for Fake {
        fn is_alive(&self) -> bool {
            self.alive.load(Ordering::SeqCst)
        }
        async fn close(self) {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }

    struct Opener {
        next: AtomicUsize,
        closed: Arc<AtomicUsize>,
    }

    impl Opener {
        fn new() -> Self {
            Opener {
                next: AtomicUsize::new(1),
                closed: Arc::new(AtomicUsize::new(0)),
            }
        }
        fn open(&self) -> (Fake, Arc<AtomicBool>) {
            let alive = Arc::new(AtomicBool::new(true));
            let fake = Fake {
                id: self.next.fetch_add(1, Ordering::SeqCst),
                alive: alive.clone(),
                closed: self.closed.clone(),
            };
            (fake, alive)
        }
        fn opened(&self) -> usize {
            self.next.load(Ordering::SeqCst) - 1
        }
        fn closed(&self) -> usize {
            self.closed.load(Ordering::SeqCst)
        }
    }

    fn pool(max_per_device: usize, idle_secs: u64, max_idle: usize) -> Pool<Fake> {
        Pool::new(PoolConfig {
            max_per_device,
            idle_timeout: Duration::from_secs(idle_secs),
            max_idle,
        })
    }

    /// Check out `key`, opening a session when the lease has none.
    async fn use_session(pool: &Pool<Fake>, opener: &Opener, key: &str) -> (usize, bool) {
        let mut lease = pool.checkout(key).await;
        let reused = lease.reused();
        let id = match lease.session() {
            Some(s) => s.id,
            None => lease.put(opener.open().0).id,
        };
        lease.checkin(pool).await;
        (id, reused)
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_is_reused_by_the_next_checkout_of_the_same_device() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        assert_eq!(use_session(&p, &o, "r1").await, (1, false));
        assert_eq!(use_session(&p, &o, "r1").await, (1, true));
        assert_eq!(use_session(&p, &o, "r2").await, (2, false));
        assert_eq!(o.opened(), 2);
        assert_eq!(p.stats(), PoolStats { idle: 2, leased: 0 });
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_opened_with_old_settings_is_never_handed_to_a_checkout_with_new_ones() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        let (old, new) = (1, 2);
        // A poll started before a reload opens and returns its session
        // after the reload retired the device's sessions.
        p.retire(|_| true).await;
        let mut late = p.checkout_as("r1", old).await;
        late.put(o.open().0);
        late.checkin(&p).await;
        assert_eq!(p.stats().idle, 1);
        // The new configuration's poll gets a fresh session; the old one closes.
        let mut lease = p.checkout_as("r1", new).await;
        assert!(lease.session().is_none() && !lease.reused());
        assert_eq!(o.closed(), 1);
        lease.put(o.open().0);
        lease.checkin(&p).await;
        let mut again = p.checkout_as("r1", new).await;
        assert_eq!(again.session().map(|s| s.id), Some(2));
        again.checkin(&p).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_idle_session_is_dropped_and_a_new_one_opened() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        let mut lease = p.checkout("r1").await;
        let (s, alive) = o.open();
        lease.put(s);
        lease.checkin(&p).await;
        alive.store(false, Ordering::SeqCst);
        let mut lease = p.checkout("r1").await;
        assert!(lease.session().is_none(), "dead session not handed out");
        assert!(!lease.reused());
        assert_eq!(o.closed(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_session_checked_in_is_closed_not_kept() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        let mut lease = p.checkout("r1").await;
        let (s, alive) = o.open();
        lease.put(s);
        alive.store(false, Ordering::SeqCst);
        lease.checkin(&p).await;
        assert_eq!(p.stats(), PoolStats::default());
        assert_eq!(o.closed(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_device_gets_at_most_max_per_device_sessions_at_once() {
        let p = Arc::new(pool(1, 60, 10));
        let first = p.checkout("r1").await;
        assert_eq!(p.stats().leased, 1);
        let waiter = {
            let p = p.clone();
            tokio::spawn(async move {
                let _second = p.checkout("r1").await;
                Instant::now()
            })
        };
        // Another device is not held up.
        let other = tokio::time::timeout(Duration::from_secs(1), p.checkout("r2")).await;
        assert!(other.is_ok());
        drop(other);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiter.is_finished(), "second checkout waits for the slot");
        let released = Instant::now();
        drop(first);
        let got = waiter.await.unwrap();
        assert_eq!(got, released);
    }

    #[tokio::test(start_paused = true)]
    async fn two_sessions_per_device_when_allowed() {
        let p = pool(2, 60, 10);
        let a = p.checkout("r1").await;
        let b = tokio::time::timeout(Duration::from_secs(1), p.checkout("r1")).await;
        assert!(b.is_ok());
        drop((a, b));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lease_dropped_without_checkin_frees_the_slot_and_keeps_nothing() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        let mut lease = p.checkout("r1").await;
        lease.put(o.open().0);
        drop(lease);
        assert_eq!(p.stats(), PoolStats::default());
        let mut again = tokio::time::timeout(Duration::from_secs(1), p.checkout("r1"))
            .await
            .expect("slot freed");
        assert!(again.session().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn idle_sessions_are_closed_after_the_idle_timeout() {
        let (p, o) = (Arc::new(pool(1, 60, 10)), Opener::new());
        use_session(&p, &o, "r1").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        use_session(&p, &o, "r2").await;
        let evictor = p.spawn_evictor(Duration::from_secs(10));
        // r1 idle since 0 s expires at 60 s; r2 idle since 30 s at 90 s.
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!((o.closed(), p.stats().idle), (1, 1));
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!((o.closed(), p.stats().idle), (2, 0));
        evictor.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn reuse_refreshes_the_idle_clock() {
        let (p, o) = (pool(1, 60, 10), Opener::new());
        use_session(&p, &o, "r1").await;
        tokio::time::sleep(Duration::from_secs(50)).await;
        assert_eq!(use_session(&p, &o, "r1").await, (1, true));
        tokio::time::sleep(Duration::from_secs(50)).await;
        assert_eq!(p.evict_idle().await, 0);
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(p.evict_idle().await, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_sessions_beyond_max_idle_close_longest_idle_first() {
        let (p, o) = (pool(1, 600, 2), Opener::new());
        for key in ["r1", "r2", "r3"] {
            use_session(&p, &o, key).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert_eq!(p.stats().idle, 2);
        assert_eq!(o.closed(), 1);
        // r1 (the longest idle) went; r2 and r3 are reused.
        assert_eq!(use_session(&p, &o, "r2").await, (2, true));
        assert_eq!(use_session(&p, &o, "r3").await, (3, true));
        assert_eq!(use_session(&p, &o, "r1").await, (4, false));
    }

    #[tokio::test(start_paused = true)]
    async fn trimming_follows_check_in_order_after_sessions_were_reused() {
        let (p, o) = (pool(1, 600, 2), Opener::new());
        for key in ["r1", "r2"] {
            use_session(&p, &o, key).await;
        }
        // r1 reused: it is now the most recently checked in, r2 the oldest.
        assert_eq!(use_session(&p, &o, "r1").await, (1, true));
        use_session(&p, &o, "r3").await;
        assert_eq!((o.closed(), p.stats().idle), (1, 2));
        assert_eq!(use_session(&p, &o, "r1").await, (1, true));
        assert_eq!(use_session(&p, &o, "r3").await, (3, true));
        assert_eq!(
            use_session(&p, &o, "r2").await,
            (4, false),
            "r2 was trimmed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reusing_sessions_for_ever_keeps_the_check_in_order_small() {
        let (p, o) = (pool(1, 600, 100), Opener::new());
        for round in 0..3_000 {
            use_session(&p, &o, &format!("r{}", round % 10)).await;
        }
        assert_eq!((o.opened(), o.closed(), p.stats().idle), (10, 0, 10));
        assert!(p.order().len() <= 2 * 10 + 1024, "{}", p.order().len());
        // The running count agrees with the slots after all that.
        assert_eq!(p.idle.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn close_all_closes_every_idle_session() {
        let (p, o) = (pool(1, 600, 10), Opener::new());
        for key in ["r1", "r2", "r3"] {
            use_session(&p, &o, key).await;
        }
        p.close_all().await;
        assert_eq!(o.closed(), 3);
        assert_eq!(p.stats(), PoolStats::default());
    }

    #[tokio::test(start_paused = true)]
    async fn retiring_a_device_closes_its_idle_session_and_keeps_the_others() {
        let (p, o) = (pool(1, 600, 10), Opener::new());
        for key in ["r1", "r2", "r3"] {
            use_session(&p, &o, key).await;
        }
        assert_eq!(p.retire(|k| k == "r2").await, 1);
        assert_eq!(o.closed(), 1);
        assert_eq!(use_session(&p, &o, "r1").await, (1, true));
        assert_eq!(use_session(&p, &o, "r3").await, (3, true));
        assert_eq!(use_session(&p, &o, "r2").await, (4, false), "reopened");
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_leased_when_its_device_is_retired_is_closed_on_checkin() {
        let (p, o) = (pool(1, 600, 10), Opener::new());
        let mut lease = p.checkout("r1").await;
        lease.put(o.open().0);
        assert_eq!(
            p.retire(|k| k == "r1").await,
            0,
            "nothing idle to close yet"
        );
        lease.checkin(&p).await;
        assert_eq!(o.closed(), 1, "not kept for reuse");
        assert_eq!(p.stats(), PoolStats::default());
        // Checkouts after the retirement keep their sessions again.
        assert_eq!(use_session(&p, &o, "r1").await, (2, false));
        assert_eq!(use_session(&p, &o, "r1").await, (2, true));
    }

    #[tokio::test(start_paused = true)]
    async fn the_evictor_stops_when_the_pool_is_dropped() {
        let p = Arc::new(pool(1, 60, 10));
        let evictor = p.spawn_evictor(Duration::from_secs(1));
        drop(p);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(evictor.is_finished());
    }
}
