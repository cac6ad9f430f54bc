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
//! A device that echoes a typed command a character a packet (a terminal
//! server passing keystrokes on, a simulator typing its echo back) wakes
//! its client once for each character however the runtime batches, since
//! the characters come one at a time. A session that sees its device do
//! so (the first characters of a command's echo each in a packet of its
//! own, or the whole echo of the command before) raises its connection's
//! read threshold ([`EchoWait`]; `SO_RCVLOWAT`) to about what the rest of
//! the echo and its line end fill the socket with, a packet each: the
//! runtime is woken for it once, not once a character. The kernel
//! still takes each packet as it comes and acknowledges it as before; only
//! the reader waits. The next read lowers the threshold back to one byte;
//! if less arrives (the device echoed the rest in fewer packets, or
//! stopped), the session gives up after about twice the time the echo
//! took so far and lowers it itself, so the wait can delay a device's
//! answer, never lose it.
//!
//! `--wake-batch-us N` (or `NETRUN_WAKE_BATCH_US`) sets the pause in
//! microseconds (`0` turns the batching, the waiting acknowledgements and
//! the echo waits off).

use std::cell::Cell;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
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

/// Whether sessions may ask their connections to wait for an echo (off
/// with `--wake-batch-us 0`).
static ECHO_WAITS: AtomicBool = AtomicBool::new(true);

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

/// Turn the echo waits off (`--wake-batch-us 0`) or back on.
pub fn set_echo_waits(on: bool) {
    ECHO_WAITS.store(on, Ordering::Relaxed);
}

/// Whether sessions ask their connections to wait for an echo.
pub fn echo_waits() -> bool {
    ECHO_WAITS.load(Ordering::Relaxed)
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

/// What a CLI session and its device connection share about echoes (see
/// the module documentation): the session raises the connection's read
/// threshold, the connection's next read lowers it.
#[derive(Debug)]
pub struct EchoWait {
    /// The connection's socket, `None` once it is closed (so a raise never
    /// reaches a descriptor number reused by another socket).
    socket: Mutex<Option<RawSocket>>,
    /// The threshold is raised.
    raised: AtomicBool,
    /// The smallest read of the connection since the session's shell
    /// opened, in bytes: one SSH packet (`u32::MAX` before the first read).
    smallest_read: AtomicU32,
}

#[cfg(unix)]
type RawSocket = std::os::fd::RawFd;
#[cfg(not(unix))]
type RawSocket = ();

/// The smallest SSH packet that carries a character, whatever the
/// algorithms: a 4-byte length, one 16-byte block (or two of 8 bytes) and
/// a 16-byte tag (AES-GCM, ChaCha20-Poly1305), or 8-byte blocks and a
/// 12-byte MAC. A smaller read is not such a packet (the server's
/// version line).
pub(crate) const SMALLEST_PACKET: u32 = 36;

impl EchoWait {
    fn new(socket: Option<RawSocket>) -> EchoWait {
        EchoWait {
            socket: Mutex::new(socket),
            raised: AtomicBool::new(false),
            smallest_read: AtomicU32::new(u32::MAX),
        }
    }

    /// The smallest read of the connection since [`EchoWait::shell_opened`]
    /// (a packet carrying a character or less), if it read anything.
    pub fn smallest_packet(&self) -> Option<u32> {
        Some(self.smallest_read.load(Ordering::Relaxed))
            .filter(|&n| n != u32::MAX)
            .map(|n| n.max(SMALLEST_PACKET))
    }

    /// The session's shell is open: from now on the connection's reads
    /// are the shell's packets (not the handshake's, nor the server's
    /// version line, shorter than any packet).
    pub fn shell_opened(&self) {
        self.smallest_read.store(u32::MAX, Ordering::Relaxed);
    }

    /// Wake the connection's reader only once `bytes` are queued, until its
    /// next read or [`EchoWait::lower`]. Whether it took (not on a closed
    /// connection, nor off Linux).
    pub fn raise(&self, bytes: u32) -> bool {
        if bytes <= 1 || !echo_waits() {
            return false;
        }
        let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        let took = socket.is_some_and(|fd| set_rcvlowat(fd, bytes).is_ok());
        if took {
            self.raised.store(true, Ordering::Relaxed);
        }
        took
    }

    /// Whether the threshold is still raised (no read since).
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Relaxed)
    }

    /// Back to waking the reader for each byte; the kernel then signals what
    /// is queued.
    pub fn lower(&self) {
        if self.raised.swap(false, Ordering::Relaxed) {
            let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(fd) = *socket {
                let _ = set_rcvlowat(fd, 1);
            }
        }
    }

    /// A read took `n` bytes (several packets, if the threshold was
    /// raised: not a measure of one).
    fn read(&self, n: usize) {
        if self.is_raised() {
            self.lower();
            return;
        }
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if n < self.smallest_read.load(Ordering::Relaxed) {
            self.smallest_read.store(n, Ordering::Relaxed);
        }
    }

    /// The socket's read threshold now (`SO_RCVLOWAT`), while open.
    #[cfg(all(test, target_os = "linux"))]
    pub(crate) fn threshold(&self) -> Option<u32> {
        let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        let fd = (*socket)?;
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `value`; the
        // lock held keeps the descriptor open.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        (r == 0).then(|| u32::try_from(value).unwrap_or(0))
    }

    /// The connection is closing: no more raises reach its socket.
    fn closed(&self) {
        *self.socket.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A TCP connection to a device whose acknowledgements wait while the
/// runtime batches its wake-ups, and whose reader waits for an echo when
/// its session asks (see the module documentation).
#[derive(Debug)]
pub struct DeviceTcp {
    inner: TcpStream,
    echo: Arc<EchoWait>,
}

impl DeviceTcp {
    /// Wrap a connected stream.
    pub fn new(inner: TcpStream) -> DeviceTcp {
        #[cfg(unix)]
        let socket = Some(std::os::fd::AsRawFd::as_raw_fd(&inner));
        #[cfg(not(unix))]
        let socket = None;
        DeviceTcp {
            inner,
            echo: Arc::new(EchoWait::new(socket)),
        }
    }

    /// What its session raises and lowers.
    pub fn echo_wait(&self) -> Arc<EchoWait> {
        self.echo.clone()
    }
}

impl Drop for DeviceTcp {
    fn drop(&mut self) {
        // Before `inner` closes the descriptor.
        self.echo.closed();
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
        if matches!(read, Poll::Ready(Ok(()))) {
            let n = buf.filled().len() - before;
            if n > 0 {
                self.echo.read(n);
                if batching() {
                    delay_acks(&self.inner);
                }
            } else {
                // The end of the stream: nothing more to wait for.
                self.echo.lower();
            }
        }
        read
    }
}

write_through!(DeviceTcp);

/// Set the socket's read threshold (`SO_RCVLOWAT`): readiness is signalled
/// once that many bytes are queued (and at once if they already are).
#[cfg(target_os = "linux")]
fn set_rcvlowat(fd: RawSocket, bytes: u32) -> std::io::Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVLOWAT, value)
}

/// Elsewhere the reader is woken for each packet, as without asking.
#[cfg(not(target_os = "linux"))]
fn set_rcvlowat(_: RawSocket, _: u32) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
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
    setsockopt_int(
        stream.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_QUICKACK,
        value,
    )
}

/// `setsockopt` of an int option on an open socket.
#[cfg(target_os = "linux")]
fn setsockopt_int(
    fd: RawSocket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> std::io::Result<()> {
    // SAFETY: setsockopt reads `value`, an int, for the length given; the
    // callers hold the descriptor open (a stream, or the lock its closing
    // takes first).
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
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

#[cfg(test)]
pub(crate) mod tests {
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
        let (mut tcp, mut device) = device_pair().await;
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

    /// A device connection and the device's end of it.
    #[cfg(target_os = "linux")]
    pub(crate) async fn device_pair() -> (DeviceTcp, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let device = server.expect("accept").0;
        device.set_nodelay(true).expect("nodelay");
        (DeviceTcp::new(client.expect("connect")), device)
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_raised_threshold_wakes_the_reader_once_that_much_has_arrived() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, mut device) = device_pair().await;
        let wait = tcp.echo_wait();
        assert!(wait.raise(30), "raised on an open connection");
        assert!(wait.is_raised());
        assert_eq!(wait.threshold(), Some(30));
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let n = tcp.read(&mut buf).await.expect("read");
            (buf[..n].to_vec(), tcp)
        });
        // Three pieces, each given time to be read on its own were the
        // threshold one byte.
        for piece in [b"0123456789", b"abcdefghij", b"ABCDEFGHIJ"] {
            device.write_all(piece).await.expect("write");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (got, tcp) = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("the reader woke")
            .expect("reader task");
        assert_eq!(
            got, b"0123456789abcdefghijABCDEFGHIJ",
            "one read took all three"
        );
        assert!(!wait.is_raised(), "the read lowered it");
        assert_eq!(wait.threshold(), Some(1));
        drop(tcp);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn lowering_wakes_the_reader_for_what_is_already_queued() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, mut device) = device_pair().await;
        let wait = tcp.echo_wait();
        assert!(wait.raise(1000));
        device.write_all(b"R1#").await.expect("write");
        let mut reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let n = tcp.read(&mut buf).await.expect("read");
            buf[..n].to_vec()
        });
        let early = tokio::time::timeout(Duration::from_millis(100), &mut reader).await;
        assert!(early.is_err(), "three bytes of a thousand woke the reader");
        wait.lower();
        let got = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("lowering woke the reader")
            .expect("reader task");
        assert_eq!(got, b"R1#");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_closed_connection_takes_no_raise_and_reads_count_from_the_shell_on() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, mut device) = device_pair().await;
        let wait = tcp.echo_wait();
        let mut buf = [0u8; 64];
        device.write_all(b"SSH-2.0-x\r\n").await.expect("write");
        assert_eq!(tcp.read(&mut buf).await.expect("read"), 11);
        assert_eq!(
            wait.smallest_packet(),
            Some(SMALLEST_PACKET),
            "no packet is smaller than one carrying a character"
        );
        wait.shell_opened();
        assert_eq!(wait.smallest_packet(), None);
        device.write_all(&[7u8; 52]).await.expect("write");
        let mut got = 0;
        while got < 52 {
            got += tcp.read(&mut buf).await.expect("read");
        }
        assert_eq!(wait.smallest_packet(), Some(52));
        drop(tcp);
        assert!(!wait.raise(100), "a raise after the close took");
        assert!(!wait.is_raised());
        assert_eq!(wait.threshold(), None);
    }
}
