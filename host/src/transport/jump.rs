//! ProxyJump: devices reached through one or more SSH jump hosts over
//! `direct-tcpip` channels. One shared session per jump host (per chain)
//! serves every device behind it, with its own limit on channels open at once.

use super::algorithms::Algorithms;
use super::auth::Credentials;
use super::dial::{self, Endpoint, Handle, Io, Timeouts};
use super::host_key::Trust;
use crate::error::{Error, ErrorClass, Result};
use russh::client;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

/// Channels open at once through one jump host unless the inventory says
/// otherwise (`connection_options.netrun.extras.jump_concurrency`).
pub const DEFAULT_JUMP_CONCURRENCY: usize = 10;

/// One jump host, resolved (ssh_config applied).
#[derive(Debug, Clone)]
pub struct Hop {
    /// The name as written in ProxyJump, for messages.
    pub alias: String,
    /// Address to dial.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How to log in.
    pub credentials: Credentials,
    /// Algorithms offered to it.
    pub algorithms: Algorithms,
}

/// An established jump-host session.
struct JumpSession {
    handle: Handle,
    channels: Arc<Semaphore>,
}

type Slot = Arc<OnceCell<Arc<JumpSession>>>;
/// A chain of hops, each `(user, host, port)`, naming one jump session.
type Chain = Vec<(String, String, u16)>;

/// The jump-host sessions of a run, shared by all devices.
pub struct JumpPool {
    sessions: Mutex<HashMap<Chain, Slot>>,
    concurrency: usize,
}

impl std::fmt::Debug for JumpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JumpPool")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Default for JumpPool {
    fn default() -> Self {
        JumpPool::new(DEFAULT_JUMP_CONCURRENCY)
    }
}

impl JumpPool {
    /// A pool allowing `concurrency` channels at once through each jump host.
    pub fn new(concurrency: usize) -> Self {
        JumpPool {
            sessions: Mutex::new(HashMap::new()),
            concurrency: concurrency.max(1),
        }
    }

    fn slot(&self, key: &[(String, String, u16)]) -> Slot {
        let mut map = match self.sessions.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let slot = map.entry(key.to_vec()).or_default();
        // A session that died is replaced by the next device that needs it.
        if slot.get().is_some_and(|s| s.handle.is_closed()) {
            *slot = Arc::default();
        }
        slot.clone()
    }

    /// Number of jump sessions currently held (for tests and metrics).
    pub fn sessions(&self) -> usize {
        self.sessions.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// A `direct-tcpip` channel that holds its jump host's channel permit and
/// keeps the jump session alive for as long as it is open.
struct JumpStream {
    inner: russh::ChannelStream<client::Msg>,
    _permit: OwnedSemaphorePermit,
    _via: Arc<JumpSession>,
}

impl AsyncRead for JumpStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

write_through!(JumpStream);

/// Open a channel from `via` to `host:port`, waiting for a channel permit.
async fn channel(
    via: Arc<JumpSession>,
    device: &str,
    via_alias: &str,
    host: &str,
    port: u16,
) -> Result<JumpStream> {
    let permit = via.channels.clone().acquire_owned().await.map_err(|_| {
        Error::new(
            ErrorClass::Internal,
            format!("{device}: jump host {via_alias} is shutting down"),
        )
    })?;
    let ch = via
        .handle
        .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
        .await
        .map_err(|e| {
            Error::new(
                ErrorClass::ConnectRefused,
                format!(
                    "{device}: jump host {via_alias} could not open a channel to {host}:{port} ({e}): is the address reachable from the jump host, and does it allow TCP forwarding (AllowTcpForwarding)?"
                ),
            )
        })?;
    Ok(JumpStream {
        inner: ch.into_stream(),
        _permit: permit,
        _via: via,
    })
}

/// A device reached through jump hosts.
pub(crate) struct Route<'a> {
    /// Names the device in messages.
    pub device: &'a str,
    /// The device's address, as the last jump host dials it.
    pub host: &'a str,
    /// The device's port.
    pub port: u16,
    /// Jump hosts, first hop first.
    pub hops: &'a [Hop],
    /// Jump-host sessions shared by the run (a private pool when `None`).
    pub pool: Option<Arc<JumpPool>>,
    /// Host-key settings, the same for jump hosts as for the device.
    pub trust: Trust<'a>,
    /// Connect, handshake and auth deadlines of each hop.
    pub timeouts: Timeouts,
}

/// A stream to the device through its jump hosts, first hop first. Sessions
/// to the jump hosts are shared through `route.pool`.
pub(crate) async fn connect(route: &Route<'_>) -> Result<Box<dyn Io>> {
    let device = route.device;
    let pool = route.pool.clone().unwrap_or_default();
    let mut key: Chain = Vec::with_capacity(route.hops.len());
    let mut prev: Option<(Arc<JumpSession>, String)> = None;
    for hop in route.hops {
        key.push((hop.credentials.username.clone(), hop.host.clone(), hop.port));
        let slot = pool.slot(&key);
        let via = prev.clone();
        let session = slot
            .get_or_try_init(|| async {
                let label = format!("{device} (jump host {})", hop.alias);
                let stream: Box<dyn Io> = match &via {
                    None => Box::new(
                        dial::dial(&label, &hop.host, hop.port, route.timeouts.connect).await?,
                    ),
                    Some((s, alias)) => {
                        Box::new(channel(s.clone(), &label, alias, &hop.host, hop.port).await?)
                    }
                };
                let endpoint = Endpoint {
                    device: &label,
                    host: &hop.host,
                    port: hop.port,
                    trust: route.trust,
                    timeouts: route.timeouts,
                    credentials: &hop.credentials,
                    algorithms: &hop.algorithms,
                };
                let handle = dial::login(stream, &endpoint).await?;
                Ok::<_, Error>(Arc::new(JumpSession {
                    handle,
                    channels: Arc::new(Semaphore::new(pool.concurrency)),
                }))
            })
            .await?
            .clone();
        prev = Some((session, hop.alias.clone()));
    }
    let Some((last, alias)) = prev else {
        return Err(Error::new(
            ErrorClass::Internal,
            format!("{device}: no jump host to connect through"),
        ));
    };
    Ok(Box::new(
        channel(last, device, &alias, route.host, route.port).await?,
    ))
}
