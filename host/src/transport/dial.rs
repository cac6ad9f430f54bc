//! Reaching a device's SSH server: the TCP connection, the handshake with
//! the host key verified, and the login; phase deadlines of a session.

use super::algorithms::{self, Algorithms};
use super::auth::{self, Credentials};
use super::host_key::{HostKeyVerifier, Trust};
use crate::error::{Error, ErrorClass, Result};
use russh::client;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Deadlines of each phase of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// TCP connect (and name resolution).
    pub connect: Duration,
    /// SSH banner exchange and key exchange.
    pub handshake: Duration,
    /// Authentication.
    pub auth: Duration,
    /// From shell start to the first recognised prompt, and each mode change.
    pub prompt: Duration,
    /// Each command.
    pub command: Duration,
}

impl Default for Timeouts {
    /// connect 5 s, handshake 10 s, auth 10 s, prompt 10 s, command 30 s.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(10),
            auth: Duration::from_secs(10),
            prompt: Duration::from_secs(10),
            command: Duration::from_secs(30),
        }
    }
}

/// SSH keepalive: a probe after this much silence; a session whose peer
/// misses [`KEEPALIVE_MAX`] probes in a row is closed (and so not reused).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Unanswered keepalives before the session counts as dead.
pub const KEEPALIVE_MAX: usize = 3;

/// A byte stream an SSH session runs over: TCP, or a `direct-tcpip`
/// channel through a jump host.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Where one SSH login goes: the session's target, or one of its jump hosts.
pub(crate) struct Endpoint<'a> {
    /// Names the session in messages.
    pub device: &'a str,
    /// Host checked against known_hosts.
    pub host: &'a str,
    /// Port checked against known_hosts.
    pub port: u16,
    /// Host-key settings.
    pub trust: Trust<'a>,
    /// Handshake and auth deadlines.
    pub timeouts: Timeouts,
    /// How to log in.
    pub credentials: &'a Credentials,
    /// Algorithms offered.
    pub algorithms: &'a Algorithms,
}

/// An SSH connection whose host key was verified.
pub(crate) type Handle = client::Handle<HostKeyVerifier>;

/// Resolve `host` and open a TCP connection within `limit`.
pub(crate) async fn dial(
    device: &str,
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<crate::pacing::DeviceTcp> {
    let addr = format!("{host}:{port}");
    let addrs = match tokio::time::timeout(limit, tokio::net::lookup_host(&addr)).await {
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            return Err(err(
                ErrorClass::Dns,
                format!("{device}: cannot resolve `{host}`: {e}; check hostname in the inventory"),
            ));
        }
        Err(_) => {
            return Err(err(
                ErrorClass::Dns,
                format!("{device}: resolving `{host}` took longer than {limit:?}"),
            ));
        }
    };
    let Some(sockaddr) = addrs.first().copied() else {
        return Err(err(
            ErrorClass::Dns,
            format!("{device}: `{host}` resolves to no address"),
        ));
    };
    let stream = match tokio::time::timeout(limit, tokio::net::TcpStream::connect(sockaddr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(err(
                ErrorClass::ConnectRefused,
                format!(
                    "{device}: connection to {sockaddr} refused: is SSH enabled on the device and the port ({port}) right?"
                ),
            ));
        }
        Ok(Err(e)) => {
            return Err(err(
                ErrorClass::ConnectRefused,
                format!("{device}: cannot connect to {sockaddr}: {e}"),
            ));
        }
        Err(_) => {
            return Err(err(
                ErrorClass::ConnectTimeout,
                format!(
                    "{device}: TCP connect to {sockaddr} timed out after {limit:?}: device down or filtered"
                ),
            ));
        }
    };
    let _ = stream.set_nodelay(true);
    Ok(crate::pacing::DeviceTcp::new(stream))
}

/// Bytes read from the socket at once. Device output arrives in packets of
/// up to 32 KiB; larger reads than this bypass the buffer.
const READ_BUFFER: usize = 8 * 1024;

/// SSH handshake (host key verified) and login over `stream`.
pub(crate) async fn login(stream: Box<dyn Io>, ep: &Endpoint<'_>) -> Result<Handle> {
    let t = ep.timeouts;
    let device = ep.device;
    let addr = format!("{}:{}", ep.host, ep.port);
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        preferred: ep.algorithms.preferred(),
        // Constant sizes, checked by a test: the fallback is never taken.
        gex: {
            let (min, preferred, max) = algorithms::GEX;
            client::GexParams::new(min, preferred, max).unwrap_or_default()
        },
        ..Default::default()
    });
    let (handler, problem) = HostKeyVerifier::new(ep.host, ep.port, ep.trust);
    // What the peer sends first is kept, to name a service that is not SSH.
    let (stream, first_bytes) = FirstBytes::wrap(stream);
    // russh reads each packet with two `read_exact` calls on the stream (length,
    // then body): unbuffered, that is one `recvfrom` each, plus a failed one
    // whenever the body has not arrived yet. A read buffer takes whatever the
    // socket holds in one call.
    let stream = tokio::io::BufReader::with_capacity(READ_BUFFER, stream);
    let stream = SendOnWait::new(stream);
    let mut handle = match tokio::time::timeout(
        t.handshake,
        client::connect_stream(config, stream, handler),
    )
    .await
    {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            let note = problem.lock().ok().and_then(|mut p| p.take());
            let sent = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
            return Err(handshake_error(device, &addr, e, note, &sent));
        }
        Err(_) => {
            return Err(err(
                ErrorClass::ConnectTimeout,
                format!(
                    "{device}: no SSH banner or key exchange from {addr} within {:?}: the service is hung or not SSH",
                    t.handshake
                ),
            ));
        }
    };
    let auth = tokio::time::timeout(
        t.auth,
        auth::authenticate(&mut handle, device, ep.credentials, ep.algorithms),
    );
    match auth.await {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(err(
            ErrorClass::Auth,
            format!(
                "{device}: authentication did not finish within {:?}",
                t.auth
            ),
        )),
    }
}

/// How many of the peer's first bytes are kept to name what a non-SSH
/// service sent.
const FIRST_BYTES: usize = 64;

/// A stream that keeps a copy of the first [`FIRST_BYTES`] bytes read from
/// it, so a failed handshake can say what the peer sent. Past those bytes a
/// read costs one branch: no lock, no copy, no allocation.
struct FirstBytes<S> {
    inner: S,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
    /// Whether [`FIRST_BYTES`] were kept (then `seen` is never touched again).
    full: bool,
}

impl<S: Io> FirstBytes<S> {
    /// The wrapped stream and where its first bytes will be.
    fn wrap(inner: S) -> (FirstBytes<S>, Arc<std::sync::Mutex<Vec<u8>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::with_capacity(FIRST_BYTES)));
        let stream = FirstBytes {
            inner,
            seen: seen.clone(),
            full: false,
        };
        (stream, seen)
    }
}

impl<S: Io> AsyncRead for FirstBytes<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.full && buf.filled().len() > before {
            let this = &mut *self;
            if let Ok(mut seen) = this.seen.lock() {
                let room = FIRST_BYTES - seen.len();
                let new = &buf.filled()[before..];
                seen.extend_from_slice(&new[..new.len().min(room)]);
                this.full = seen.len() == FIRST_BYTES;
            }
        }
        polled
    }
}

write_through!(FirstBytes<S> where S: Io);

/// Most bytes a [`SendOnWait`] holds back; a write past them goes out at once.
const SEND_HOLD: usize = 64 * 1024;

/// A stream whose writes go out when its reader is about to wait, not at
/// each flush. russh flushes after each turn of its loop, so two packets
/// made from one piece of input (KEXINIT then KEX_ECDH_INIT from the
/// server's KEXINIT, NEWKEYS then SERVICE_REQUEST from its NEWKEYS) left as
/// two TCP segments, two sends and two wake-ups of the device. Held until
/// the session's read finds nothing to read, they leave together: nothing
/// waits longer than that, since a session that waits always polls its
/// read first (russh's loop has the read in every `select!`), and the peer
/// cannot answer what it has not been sent. While output streams in and the
/// read never waits, what is held (a window adjustment) goes out after
/// [`READS_HELD`] reads, so the peer's window never runs dry for it.
/// Shutdown sends what is held.
struct SendOnWait<S> {
    inner: S,
    held: Vec<u8>,
    /// Reads that found data since `held` was last empty.
    reads: u8,
    /// The session counted open while its stream lives (the runtime's
    /// wake-up batching: [`crate::pacing`]).
    _open: crate::pacing::Open,
}

/// Reads that may find data while bytes are held.
const READS_HELD: u8 = 8;

impl<S: Io> SendOnWait<S> {
    fn new(inner: S) -> SendOnWait<S> {
        SendOnWait {
            inner,
            held: Vec::new(),
            reads: 0,
            _open: crate::pacing::Open::new(),
        }
    }

    /// Write what is held to the inner stream, and flush it.
    fn poll_send(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        while !self.held.is_empty() {
            let n =
                std::task::ready!(std::pin::Pin::new(&mut self.inner).poll_write(cx, &self.held))?;
            if n == 0 {
                return std::task::Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.held.drain(..n);
        }
        self.reads = 0;
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
}

impl<S: Io> AsyncRead for SendOnWait<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let std::task::Poll::Ready(r) = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf) {
            if !this.held.is_empty() {
                this.reads = this.reads.saturating_add(1);
                if this.reads >= READS_HELD {
                    // Pending: the rest goes at a later read or write.
                    if let std::task::Poll::Ready(Err(e)) = this.poll_send(cx) {
                        return std::task::Poll::Ready(Err(e));
                    }
                }
            }
            return std::task::Poll::Ready(r);
        }
        // The reader waits: what it wrote goes out now. A send that must
        // wait for room is polled again at the next read or write.
        if let std::task::Poll::Ready(Err(e)) = this.poll_send(cx) {
            return std::task::Poll::Ready(Err(e));
        }
        std::task::Poll::Pending
    }
}

impl<S: Io> AsyncWrite for SendOnWait<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.held.len() + data.len() > SEND_HOLD {
            std::task::ready!(this.poll_send(cx))?;
            if data.len() > SEND_HOLD {
                return std::pin::Pin::new(&mut this.inner).poll_write(cx, data);
            }
        }
        this.held.extend_from_slice(data);
        std::task::Poll::Ready(Ok(data.len()))
    }

    /// Held until the reader waits (see [`SendOnWait`]).
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_send(cx))?;
        std::pin::Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The first line of what a peer sent (all of it when no text comes
/// before a line break); shown with `{:?}`, which escapes what is not printable.
fn first_line(sent: &[u8]) -> String {
    let text = String::from_utf8_lossy(sent);
    match text.find(['\r', '\n']) {
        Some(i) if i > 0 => text[..i].to_string(),
        _ => text.into_owned(),
    }
}

/// Whether `sent` holds no SSH identification string. RFC 4253 4.2 lets
/// a server print other lines before it, so any line may carry it; the
/// last, unfinished line counts while it can still become one.
fn not_ssh(sent: &[u8]) -> bool {
    if sent.is_empty() {
        return false;
    }
    let mut lines = sent.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if line.starts_with(b"SSH-") || (last && !line.is_empty() && b"SSH-".starts_with(line)) {
            return false;
        }
    }
    true
}

fn handshake_error(
    device: &str,
    addr: &str,
    e: russh::Error,
    host_key_note: Option<String>,
    sent: &[u8],
) -> Error {
    if let Some(note) = host_key_note {
        return err(ErrorClass::HostKey, format!("{device}: {note}"));
    }
    // russh reports such a peer as `Version`, `Disconnected` or an early
    // EOF, depending on when it stops talking: judge by what it sent.
    let negotiated = matches!(
        &e,
        russh::Error::NoCommonAlgo { .. } | russh::Error::UnknownKey
    );
    // A server at its limit of logins in progress closes the connection
    // before its banner, silently (Dropbear) or after a line saying so
    // (OpenSSH): worth another try, unlike a service that is not SSH.
    let busy = if sent.is_empty() && closed(&e) {
        Some("accepted the connection and closed it before its SSH banner".to_string())
    } else if !negotiated && not_ssh(sent) && says_busy(sent) {
        Some(format!(
            "closed the connection before its SSH banner, saying {:?}",
            first_line(sent)
        ))
    } else {
        None
    };
    if let Some(what) = busy {
        return err(
            ErrorClass::ConnectRefused,
            format!(
                "{device}: {addr} {what}: its SSH server is at its limit of logins in progress (OpenSSH's MaxStartups, Dropbear's 5 an address, a device's vty lines all busy) or refuses this address; such a refusal is tried again (`--retries`), and a group's `max_sessions` keeps devices behind one address under the limit"
            ),
        );
    }
    if !negotiated && not_ssh(sent) {
        return err(
            ErrorClass::SshProtocol,
            format!(
                "{device}: {addr} is not an SSH server: it sent {:?}; check the port (web servers, telnet and consoles answer like this)",
                first_line(sent)
            ),
        );
    }
    match e {
        russh::Error::UnknownKey => err(
            ErrorClass::HostKey,
            format!("{device}: host key of {addr} not accepted"),
        ),
        russh::Error::NoCommonAlgo { kind, ours, theirs } => err(
            ErrorClass::SshProtocol,
            algorithms::negotiation_failure(device, addr, kind, &ours, &theirs),
        ),
        russh::Error::Version => err(
            ErrorClass::SshProtocol,
            format!(
                "{device}: {addr} did not answer with an SSH banner: is this port an SSH server?"
            ),
        ),
        russh::Error::IO(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => err(
            ErrorClass::SshProtocol,
            format!(
                "{device}: {addr} closed the connection during the SSH handshake, after its banner: the device's SSH log says why (a limit of sessions, an algorithm it requires)"
            ),
        ),
        other => err(
            ErrorClass::SshProtocol,
            format!("{device}: SSH handshake with {addr} failed: {other}"),
        ),
    }
}

/// Whether the first line a peer sent instead of an SSH banner says it is
/// busy: OpenSSH's "Exceeded MaxStartups" and, since 9.8, "Not allowed at
/// this time" (a source it penalises), or a device's "Too many users" / "try
/// again later".
fn says_busy(sent: &[u8]) -> bool {
    let line = first_line(sent).to_ascii_lowercase();
    !line.starts_with("http/")
        && [
            "maxstartups",
            "not allowed at this time",
            "too many",
            "try again later",
        ]
        .iter()
        .any(|notice| line.contains(notice))
}

/// Whether the peer hung up: the connection was closed or reset under the
/// handshake.
fn closed(e: &russh::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    match e {
        russh::Error::Disconnect => true,
        russh::Error::IO(io) => matches!(
            io.kind(),
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
        ),
        _ => false,
    }
}

fn err(class: ErrorClass, message: String) -> Error {
    Error::new(class, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_first_bytes_read_are_kept_and_no_more() {
        let (mut far, near) = tokio::io::duplex(256);
        let (mut stream, seen) = FirstBytes::wrap(near);
        far.write_all(b"HTTP/1.1 400 Bad Request\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 10];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&*seen.lock().unwrap(), b"HTTP/1.1 4");
        far.write_all(&[b'x'; 200]).await.unwrap();
        let mut rest = vec![0u8; 216];
        stream.read_exact(&mut rest).await.unwrap();
        let kept = seen.lock().unwrap().clone();
        assert_eq!(kept.len(), FIRST_BYTES);
        assert!(kept.starts_with(b"HTTP/1.1 400 Bad Request\r\nxxx"));
        assert!(stream.full);
    }

    fn send_on_wait() -> (SendOnWait<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (far, near) = tokio::io::duplex(1 << 20);
        (SendOnWait::new(near), far)
    }

    /// What has reached `stream`'s reader so far (time is paused: a read
    /// that would wait ends at once).
    async fn arrived(stream: &mut tokio::io::DuplexStream) -> Vec<u8> {
        let mut buf = vec![0u8; 1 << 17];
        match tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
            Ok(n) => buf[..n.unwrap()].to_vec(),
            Err(_) => Vec::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn packets_flushed_apart_leave_together_when_the_reader_waits() {
        let (mut stream, mut far) = send_on_wait();
        stream.write_all(b"KEXINIT").await.unwrap();
        stream.flush().await.unwrap();
        stream.write_all(b"+ECDH_INIT").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(arrived(&mut far).await, b"", "held until the reader waits");
        let mut b = [0u8; 1];
        let waited = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut b)).await;
        assert!(waited.is_err(), "nothing to read: {waited:?}");
        assert_eq!(arrived(&mut far).await, b"KEXINIT+ECDH_INIT");
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_finds_data_keeps_holding_until_reads_held() {
        let (mut stream, mut far) = send_on_wait();
        stream.write_all(b"NEWKEYS").await.unwrap();
        stream.flush().await.unwrap();
        far.write_all(&[b'x'; 64]).await.unwrap();
        let mut b = [0u8; 1];
        for _ in 1..READS_HELD {
            stream.read_exact(&mut b).await.unwrap();
        }
        assert_eq!(arrived(&mut far).await, b"", "input still flowing: held");
        stream.read_exact(&mut b).await.unwrap();
        assert_eq!(
            arrived(&mut far).await,
            b"NEWKEYS",
            "sent after {READS_HELD} reads"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_and_large_writes_send_at_once() {
        let (mut stream, mut far) = send_on_wait();
        stream.write_all(b"DISCONNECT").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut got = Vec::new();
        far.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"DISCONNECT");

        let (mut stream, mut far) = send_on_wait();
        stream.write_all(b"held").await.unwrap();
        let big = vec![7u8; SEND_HOLD + 1];
        stream.write_all(&big).await.unwrap();
        let mut got = vec![0u8; 4 + big.len()];
        far.read_exact(&mut got).await.unwrap();
        assert_eq!(&got[..4], b"held", "what was held goes first");
        assert!(got[4..].iter().all(|&b| b == 7));
    }

    #[test]
    fn a_peer_that_is_not_ssh_is_named_by_its_first_line() {
        let e = handshake_error(
            "r1",
            "127.0.0.1:8080",
            russh::Error::Version,
            None,
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n",
        );
        assert_eq!(e.class, ErrorClass::SshProtocol);
        assert!(
            e.message.starts_with(
                r#"r1: 127.0.0.1:8080 is not an SSH server: it sent "HTTP/1.1 400 Bad Request""#
            ),
            "{}",
            e.message
        );
        // Binary garbage is escaped, not written raw.
        let e = handshake_error(
            "r1",
            "h:1",
            russh::Error::Version,
            None,
            b"\x16\x03\x01\x02",
        );
        assert!(
            e.message.contains(r#"it sent "\u{16}\u{3}\u{1}\u{2}""#),
            "{}",
            e.message
        );
        // An SSH server that closed early is not called something else.
        let eof = || russh::Error::IO(std::io::ErrorKind::UnexpectedEof.into());
        let e = handshake_error("r1", "h:1", eof(), None, b"SSH-2.0-OpenSSH_9.2\r\n");
        assert!(!e.message.contains("it sent"), "{}", e.message);
        assert_eq!(e.class, ErrorClass::SshProtocol);
        // One that closed before its banner is at its limit of logins in
        // progress (or refuses this address): worth another try.
        let reset = || russh::Error::IO(std::io::ErrorKind::ConnectionReset.into());
        let e = handshake_error(
            "r1",
            "h:1",
            russh::Error::Disconnect,
            None,
            b"Exceeded MaxStartups\r\n",
        );
        assert_eq!(e.class, ErrorClass::ConnectRefused, "{}", e.message);
        assert!(
            e.message.starts_with(
                r#"r1: h:1 closed the connection before its SSH banner, saying "Exceeded MaxStartups": its SSH server is at its limit"#
            ),
            "{}",
            e.message
        );
        let e = handshake_error("r1", "h:1", eof(), None, b"Not allowed at this time\r\n");
        assert_eq!(e.class, ErrorClass::ConnectRefused, "{}", e.message);
        // A web server's refusal is still not SSH.
        let e = handshake_error(
            "r1",
            "h:1",
            eof(),
            None,
            b"HTTP/1.1 429 Too Many Requests\r\n",
        );
        assert_eq!(e.class, ErrorClass::SshProtocol, "{}", e.message);
        for e in [eof(), reset(), russh::Error::Disconnect] {
            let e = handshake_error("r1", "h:1", e, None, b"");
            assert_eq!(e.class, ErrorClass::ConnectRefused, "{}", e.message);
            assert!(e.class.retryable());
            assert!(
                e.message.starts_with(
                    "r1: h:1 accepted the connection and closed it before its SSH banner"
                ),
                "{}",
                e.message
            );
        }
        // Lines before the identification string are allowed (RFC 4253 4.2).
        let sent = b"Authorized use only\r\nSSH-2.0-Cisco-1.25\r\n";
        let e = handshake_error("r1", "h:1", russh::Error::Disconnect, None, sent);
        assert!(!e.message.contains("it sent"), "{}", e.message);
        let e = handshake_error("r1", "h:1", russh::Error::Disconnect, None, b"SS");
        assert!(!e.message.contains("it sent"), "{}", e.message);
        let e = handshake_error("r1", "h:1", russh::Error::Disconnect, None, b"<html>");
        assert!(e.message.contains(r#"it sent "<html>""#), "{}", e.message);
    }
}
