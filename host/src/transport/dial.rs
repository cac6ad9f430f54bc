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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
) -> Result<tokio::net::TcpStream> {
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
    Ok(stream)
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
        ..Default::default()
    });
    let (handler, problem) = HostKeyVerifier::new(ep.host, ep.port, ep.trust);
    // russh reads each packet with two `read_exact` calls on the stream (length,
    // then body): unbuffered, that is one `recvfrom` each, plus a failed one
    // whenever the body has not arrived yet. A read buffer takes whatever the
    // socket holds in one call.
    let stream = tokio::io::BufReader::with_capacity(READ_BUFFER, stream);
    let mut handle = match tokio::time::timeout(
        t.handshake,
        client::connect_stream(config, stream, handler),
    )
    .await
    {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            let note = problem.lock().ok().and_then(|mut p| p.take());
            return Err(handshake_error(device, &addr, e, note));
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

fn handshake_error(
    device: &str,
    addr: &str,
    e: russh::Error,
    host_key_note: Option<String>,
) -> Error {
    if let Some(note) = host_key_note {
        return err(ErrorClass::HostKey, format!("{device}: {note}"));
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
                "{device}: {addr} closed the connection during the SSH handshake (not an SSH server, or too many sessions)"
            ),
        ),
        other => err(
            ErrorClass::SshProtocol,
            format!("{device}: SSH handshake with {addr} failed: {other}"),
        ),
    }
}

fn err(class: ErrorClass, message: String) -> Error {
    Error::new(class, message)
}
