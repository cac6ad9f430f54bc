//! Fewer wake-ups when many sessions trickle.
//!
//! Each time a worker thread of the async runtime runs out of work it
//! sleeps in the kernel until a socket has data, and each such sleep and
//! wake-up costs the thread tens of microseconds of CPU on a virtual
//! machine (a context switch each way, `epoll_wait`, the scheduler), more
//! than decrypting the packet that woke it. A device CLI that echoes each
//! typed character in a packet of its own, or writes its output a line at
//! a time, sends its client a hundred packets or more a session, and when
//! a sweep has many such sessions open the packets arrive one at a time,
//! a fraction of a millisecond apart: the thread wakes for almost each.
//!
//! So when at least [`MIN_SESSIONS`] device sessions are open and the
//! thread's last sleep was shorter than the pause, the thread waits the
//! pause ([`DEFAULT_PAUSE`], 1 ms) before it sleeps again: what arrives
//! meanwhile is then read in one wake-up. A thread whose last sleep was
//! longer (the devices are few, or slow to answer) sleeps at once, as
//! before, and a sweep whose sessions keep the thread busy never sleeps at
//! all, so neither pays anything. What it costs is at most the pause of
//! latency on a packet that arrives while the thread waits; a handful of
//! sessions (fewer than [`MIN_SESSIONS`]), where nothing arrives to batch,
//! never wait.
//!
//! While a thread batches, a device connection's acknowledgements wait
//! too ([`DeviceTcp`]). Linux acknowledges a small segment as soon as the
//! reader has taken it, unless the connection is in its "ping-pong"
//! (interactive) mode, where the acknowledgement waits to ride on the
//! reader's next packet or on the next segment. A device that trickles
//! output while the client sends nothing drops the connection out of
//! that mode at the first delayed acknowledgement that had to be sent
//! alone, and from then each echoed character costs the client a pure
//! acknowledgement: a TCP transmission and, on the same machine, the
//! peer's receive path too, about a tenth of the client's CPU on such a
//! device. So after each read that took data while batching, the
//! connection is put back in that mode (`TCP_QUICKACK` off): the kernel
//! then acknowledges every second segment, or with the next data sent, or
//! when its delayed-acknowledgement timer fires. A peer whose own small
//! writes wait for acknowledgements (Nagle's algorithm, off on IOS and in
//! OpenSSH's interactive sessions) may hold a write until then; in a
//! sweep batching its wake-ups that delays a device's output, not the
//! sweep. Outside batching the kernel decides alone, as for any client.
//!
//! `--wake-batch-us N` (or `NETRUN_WAKE_BATCH_US`) sets the pause in
//! microseconds (`0` turns the batching, and so the waiting
//! acknowledgements, off).

use std::cell::Cell;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpStream;

/// The wait before a worker thread sleeps again after a short sleep.
pub const DEFAULT_PAUSE: Duration = Duration::from_millis(1);

/// Device sessions open from which a worker thread batches its wake-ups.
pub const MIN_SESSIONS: usize = 8;

/// Environment variable for `--wake-batch-us`: the pause in microseconds,
/// `0` for none.
pub const PAUSE_ENV: &str = "NETRUN_WAKE_BATCH_US";

/// Device sessions (SSH connections to devices) open in this process.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Whether a worker thread waited before its last sleep: the runtime is
/// batching its wake-ups.
static BATCHING: AtomicBool = AtomicBool::new(false);

/// One open device session, counted while it lives.
#[derive(Debug)]
pub struct Open(());

impl Open {
    /// Count a session open until the returned value is dropped.
    pub fn new() -> Open {
        OPEN.fetch_add(1, Ordering::Relaxed);
        Open(())
    }
}

impl Default for Open {
    fn default() -> Open {
        Open::new()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Device sessions open now.
pub fn open_sessions() -> usize {
    OPEN.load(Ordering::Relaxed)
}

/// Whether the runtime is batching its wake-ups now.
pub fn batching() -> bool {
    BATCHING.load(Ordering::Relaxed)
}

/// The pause asked for in microseconds (`--wake-batch-us`, or
/// [`PAUSE_ENV`]), else [`DEFAULT_PAUSE`]; `None` when 0 is asked for.
pub fn pause(asked_us: Option<u64>) -> Option<Duration> {
    match asked_us {
        Some(0) => None,
        Some(us) => Some(Duration::from_micros(us)),
        None => Some(DEFAULT_PAUSE),
    }
}

/// Whether a worker thread waits `pause` before it sleeps, given how long
/// its last sleep lasted and how many sessions are open.
pub fn waits(last_sleep: Option<Duration>, pause: Duration, open: usize) -> bool {
    open >= MIN_SESSIONS && last_sleep.is_some_and(|slept| slept < pause)
}

thread_local! {
    /// When this worker thread last went to sleep (after any pause).
    static ASLEEP_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// How long its last sleep lasted.
    static LAST_SLEEP: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Batch the wake-ups of `builder`'s worker threads with `pause` (see the
/// module documentation).
pub fn install(builder: &mut tokio::runtime::Builder, pause: Duration) {
    builder
        .on_thread_park(move || {
            let wait = waits(LAST_SLEEP.get(), pause, open_sessions());
            if BATCHING.load(Ordering::Relaxed) != wait {
                BATCHING.store(wait, Ordering::Relaxed);
            }
            if wait {
                std::thread::sleep(pause);
            }
            ASLEEP_SINCE.set(Some(Instant::now()));
        })
        .on_thread_unpark(|| {
            LAST_SLEEP.set(ASLEEP_SINCE.take().map(|since| since.elapsed()));
        });
}

/// A TCP connection to a device whose acknowledgements wait while the
/// runtime batches its wake-ups (see the module documentation).
#[derive(Debug)]
pub struct DeviceTcp {
    inner: TcpStream,
}

impl DeviceTcp {
    /// Wrap a connected stream.
    pub fn new(inner: TcpStream) -> DeviceTcp {
        DeviceTcp { inner }
    }
}

impl AsyncRead for DeviceTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before && batching() {
            delay_acks(&self.inner);
        }
        read
    }
}

/// Put `stream` back in the kernel's delayed-acknowledgement (ping-pong)
/// mode. Best effort: a connection that refuses it acknowledges at once,
/// as before.
fn delay_acks(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    let _ = set_quickack(stream, false);
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// Set `TCP_QUICKACK`: on acknowledges at once, off enters the ping-pong
/// mode.
#[cfg(target_os = "linux")]
fn set_quickack(stream: &TcpStream, on: bool) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::from(on);
    // SAFETY: setsockopt reads `value`, an int, for the length given, on a
    // descriptor `stream` keeps open.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

write_through!(DeviceTcp);

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSE: Duration = DEFAULT_PAUSE;

    #[test]
    fn a_short_sleep_with_many_sessions_open_waits() {
        assert!(waits(Some(Duration::from_micros(200)), PAUSE, MIN_SESSIONS));
        assert!(waits(Some(Duration::ZERO), PAUSE, 1000));
    }

    #[test]
    fn a_long_sleep_or_none_yet_does_not_wait() {
        assert!(!waits(Some(PAUSE), PAUSE, 1000));
        assert!(!waits(Some(Duration::from_millis(40)), PAUSE, 1000));
        assert!(!waits(None, PAUSE, 1000));
    }

    #[test]
    fn the_pause_is_a_millisecond_unless_asked_and_zero_is_none() {
        assert_eq!(pause(None), Some(DEFAULT_PAUSE));
        assert_eq!(pause(Some(2500)), Some(Duration::from_micros(2500)));
        assert_eq!(pause(Some(0)), None);
    }

    #[test]
    fn a_few_sessions_never_wait() {
        assert!(!waits(Some(Duration::ZERO), PAUSE, MIN_SESSIONS - 1));
        assert!(!waits(Some(Duration::ZERO), PAUSE, 0));
    }

    /// The tests that set or read [`BATCHING`], one at a time.
    static BATCHING_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_runtime_woken_often_with_many_sessions_open_batches() {
        let _one = BATCHING_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        BATCHING.store(false, Ordering::Relaxed);
        let open: Vec<Open> = (0..MIN_SESSIONS).map(|_| Open::new()).collect();
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1).enable_all();
        // A pause far longer than the task's sleeps: each sleep of the
        // worker is shorter than it, however slow the machine.
        install(&mut builder, Duration::from_millis(200));
        let runtime = builder.build().expect("runtime");
        let seen = runtime.block_on(async {
            tokio::spawn(async {
                for _ in 0..50 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    if batching() {
                        return true;
                    }
                }
                false
            })
            .await
            .expect("task")
        });
        drop(open);
        BATCHING.store(false, Ordering::Relaxed);
        assert!(seen, "a worker waking every millisecond never batched");
    }

    /// Whether the kernel acknowledges `stream`'s segments at once
    /// (`TCP_QUICKACK` reads 1 outside the ping-pong mode).
    #[cfg(target_os = "linux")]
    fn acks_at_once(stream: &TcpStream) -> bool {
        use std::os::fd::AsRawFd;
        let mut on: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `on`.
        let r = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&mut on as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0, "getsockopt TCP_QUICKACK");
        on != 0
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_read_while_batching_leaves_the_connection_delaying_its_acks() {
        let _one = BATCHING_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(read_while_batching_or_not());
        BATCHING.store(false, Ordering::Relaxed);
    }

    #[cfg(target_os = "linux")]
    async fn read_while_batching_or_not() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut device = server.expect("accept").0;
        let mut tcp = DeviceTcp::new(client.expect("connect"));
        let mut buf = [0u8; 16];
        for batching_now in [false, true] {
            BATCHING.store(batching_now, Ordering::Relaxed);
            // A fresh connection acknowledges at once; so does one taken out
            // of the ping-pong mode, as the kernel does when a delayed
            // acknowledgement had to go alone.
            tcp.inner.set_nodelay(true).expect("nodelay");
            set_quickack(&tcp.inner, true).expect("TCP_QUICKACK on");
            device.write_all(b"R1#").await.expect("write");
            let n = tcp.read(&mut buf).await.expect("read");
            assert_eq!(&buf[..n], b"R1#");
            assert_eq!(
                acks_at_once(&tcp.inner),
                !batching_now,
                "batching: {batching_now}"
            );
        }
    }
}
