//! SSH side of a device: listeners, per-connection fault behaviour and the russh
//! [`Handler`](russh::server::Handler) that connects channels to the [`Cli`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use russh::server::{Auth, Handle, Msg, Session};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet, Preferred};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use crate::cli::{Action, Cli, SessionInfo};
use crate::device::Device;
use crate::fault::Fault;
use crate::persona::def::LoginQuestionDef;
use crate::persona::facts::PersonaDevice;
use crate::persona::shell::PersonaCli;

/// The simulated device behind a listener: the IOS engine or a persona.
#[derive(Debug, Clone)]
pub(crate) enum Sim {
    /// Cisco IOS / IOS-XE ([`Cli`]).
    Ios(Arc<Device>),
    /// A persona device ([`PersonaCli`]).
    Persona(Arc<PersonaDevice>),
}

impl Sim {
    /// Device name (for logs).
    pub(crate) fn name(&self) -> &str {
        match self {
            Sim::Ios(d) => &d.profile.name,
            Sim::Persona(d) => &d.facts.name,
        }
    }

    fn terminal(&self, info: SessionInfo) -> Terminal {
        match self {
            Sim::Ios(d) => Terminal::Ios(Box::new(Cli::new(d.clone(), info))),
            Sim::Persona(d) => Terminal::Persona(Box::new(PersonaCli::new(d.clone(), info))),
        }
    }
}

/// One CLI session of either engine.
enum Terminal {
    Ios(Box<Cli>),
    Persona(Box<PersonaCli>),
}

impl Terminal {
    fn greeting(&self) -> Vec<u8> {
        match self {
            Terminal::Ios(c) => c.greeting(),
            Terminal::Persona(c) => c.greeting(),
        }
    }

    /// The question asked after login under the `login-question` fault.
    fn login_question(&self) -> Option<&'static LoginQuestionDef> {
        match self {
            Terminal::Ios(_) => None,
            Terminal::Persona(c) => c.login_question(),
        }
    }

    fn feed(&mut self, data: &[u8]) -> Vec<Action> {
        match self {
            Terminal::Ios(c) => c.feed(data),
            Terminal::Persona(c) => c.feed(data),
        }
    }

    fn run_exec(&mut self, command: &str) -> (Vec<u8>, u32) {
        match self {
            Terminal::Ios(c) => c.run_exec(command),
            Terminal::Persona(c) => c.run_exec(command),
        }
    }
}

/// Lab-wide settings and lifecycle shared by all devices.
#[derive(Debug)]
pub(crate) struct Shared {
    pub username: String,
    pub password: String,
    pub enable_secret: String,
    /// Cancelled by `Lab::shutdown` (or drop).
    pub cancel: CancellationToken,
    /// Every task the lab spawns.
    pub tracker: TaskTracker,
    /// Accepted SSH logins by device name (tests count session reuse).
    pub logins: std::sync::Mutex<HashMap<String, u64>>,
}

impl Shared {
    fn count_login(&self, device: &str) {
        // One insert or increment per update: a poisoned map is still whole.
        let mut logins = self.logins.lock().unwrap_or_else(|p| p.into_inner());
        *logins.entry(device.to_string()).or_default() += 1;
    }
}

/// One device as the server sees it.
pub(crate) struct DeviceRuntime {
    pub device: Sim,
    pub config: Arc<russh::server::Config>,
    pub fault: Option<Fault>,
    /// The `enter-is-cr` fault, which goes with any other.
    pub enter_is_cr: bool,
    pub lab: Arc<Shared>,
    pub addr: SocketAddr,
}

/// Key exchange algorithms: russh's safe defaults plus the SHA-1 groups old IOS
/// images and old clients still use. No post-quantum hybrid
/// (`mlkem768x25519-sha256`): the network operating systems the lab plays
/// do not offer one, and a lab that did would cost clients several times a
/// field device's key-exchange CPU in every benchmark.
const KEX: &[russh::kex::Name] = &[
    russh::kex::CURVE25519,
    russh::kex::CURVE25519_PRE_RFC_8731,
    russh::kex::DH_GEX_SHA256,
    russh::kex::DH_G18_SHA512,
    russh::kex::DH_G17_SHA512,
    russh::kex::DH_G16_SHA512,
    russh::kex::DH_G15_SHA512,
    russh::kex::DH_G14_SHA256,
    russh::kex::DH_G14_SHA1,
    russh::kex::DH_GEX_SHA1,
    russh::kex::DH_G1_SHA1,
    russh::kex::EXTENSION_SUPPORT_AS_SERVER,
    russh::kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
];
const CIPHERS: &[russh::cipher::Name] = &[
    russh::cipher::CHACHA20_POLY1305,
    russh::cipher::AES_256_GCM,
    russh::cipher::AES_256_CTR,
    russh::cipher::AES_192_CTR,
    russh::cipher::AES_128_CTR,
    russh::cipher::AES_256_CBC,
    russh::cipher::AES_128_CBC,
    russh::cipher::TRIPLE_DES_CBC,
];
const MACS: &[russh::mac::Name] = &[
    russh::mac::HMAC_SHA512_ETM,
    russh::mac::HMAC_SHA256_ETM,
    russh::mac::HMAC_SHA512,
    russh::mac::HMAC_SHA256,
    russh::mac::HMAC_SHA1,
];

/// The russh server configuration of one device (each device has its own
/// host key). `open` lets a client in without authentication (method
/// `none`), as a switch whose shell asks for the login itself does.
pub(crate) fn server_config(
    key: russh::keys::PrivateKey,
    ssh_id: &str,
    open: bool,
) -> russh::server::Config {
    let mut methods = vec![
        MethodKind::PublicKey,
        MethodKind::KeyboardInteractive,
        MethodKind::Password,
    ];
    if open {
        methods.insert(0, MethodKind::None);
    }
    russh::server::Config {
        // What the platform announces (`SSH-2.0-Cisco-1.25` for IOS).
        server_id: russh::SshId::Standard(Cow::Owned(ssh_id.to_string())),
        methods: MethodSet::from(&methods[..]),
        auth_rejection_time: Duration::from_millis(100),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        inactivity_timeout: Some(Duration::from_secs(3_600)),
        max_auth_attempts: 6,
        nodelay: true,
        preferred: Preferred {
            kex: Cow::Borrowed(KEX),
            cipher: Cow::Borrowed(CIPHERS),
            mac: Cow::Borrowed(MACS),
            ..Preferred::default()
        },
        ..Default::default()
    }
}

fn socket_for(addr: SocketAddr) -> io::Result<TcpSocket> {
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    sock.set_reuseaddr(true)?;
    sock.bind(addr)
        .map_err(|e| port_in_use_hint(e, addr.port()))?;
    Ok(sock)
}

/// A port already taken, said with what to do about it: which ports the
/// system hands out to outgoing connections (a lab placed among them
/// collides with any connection that happens to hold one) and the options.
fn port_in_use_hint(e: io::Error, port: u16) -> io::Error {
    if e.kind() != io::ErrorKind::AddrInUse || port == 0 {
        return e;
    }
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            let mut it = t.split_whitespace().map(str::parse::<u16>);
            Some((it.next()?.ok()?, it.next()?.ok()?))
        });
    let among = match ephemeral {
        Some((lo, hi)) if (lo..=hi).contains(&port) => format!(
            " (ports {lo}-{hi} are the system's ephemeral range: an outgoing connection may hold it)"
        ),
        _ => String::new(),
    };
    io::Error::new(
        e.kind(),
        format!(
            "port {port} is already in use{among}; choose another --base-port \
             (below the ephemeral range), or --base-port 0 to take free ports"
        ),
    )
}

/// Binds and listens.
pub(crate) fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    socket_for(addr)?.listen(1024)
}

/// Binds without listening: the port stays reserved but connections are refused.
pub(crate) fn reserve_port(addr: SocketAddr) -> io::Result<TcpSocket> {
    socket_for(addr)
}

/// Runs one device until the lab stops.
pub(crate) async fn run_device(rt: Arc<DeviceRuntime>, listener: TcpListener) {
    match rt.fault.clone() {
        Some(Fault::Flap { period }) => flap_loop(rt, listener, period).await,
        _ => {
            let stop = rt.lab.cancel.clone();
            accept_loop(&rt, &listener, &stop).await;
        }
    }
}

async fn accept_loop(rt: &Arc<DeviceRuntime>, listener: &TcpListener, stop: &CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((sock, peer)) => {
                    let conn = serve_connection(rt.clone(), sock, peer, stop.child_token());
                    rt.lab.tracker.spawn(conn);
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    warn!(device = %rt.device.name(), "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn flap_loop(rt: Arc<DeviceRuntime>, first: TcpListener, period: Duration) {
    let lab = rt.lab.cancel.clone();
    let mut listener = Some(first);
    loop {
        // Up phase.
        let phase = lab.child_token();
        if let Some(l) = listener.take() {
            tokio::select! {
                _ = accept_loop(&rt, &l, &phase) => {}
                _ = tokio::time::sleep(period) => {}
            }
        }
        // Going down: close the listener and drop the phase's sessions.
        phase.cancel();
        if lab.is_cancelled() {
            return;
        }
        let reserved = reserve_port(rt.addr).ok();
        tokio::select! {
            _ = lab.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        drop(reserved);
        for _ in 0..40 {
            match bind_listener(rt.addr) {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
        if listener.is_none() {
            warn!(device = %rt.device.name(), "flap: could not re-bind {}", rt.addr);
        }
    }
}

/// A TCP stream that reports end-of-stream / broken pipe once `kill` is cancelled,
/// so the device can drop a connection abruptly (no SSH disconnect message).
struct KillableStream {
    inner: TcpStream,
    killed: Pin<Box<WaitForCancellationFutureOwned>>,
    kill: CancellationToken,
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_cancelled() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn serve_connection(
    rt: Arc<DeviceRuntime>,
    mut sock: TcpStream,
    peer: SocketAddr,
    stop: CancellationToken,
) {
    match rt.fault {
        Some(Fault::HangBeforeBanner) => {
            // Swallow whatever the client sends, never answer; end when it gives up.
            let mut buf = [0u8; 512];
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    r = sock.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return },
                }
            }
        }
        Some(Fault::GarbageBanner) => {
            let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            let _ = sock.shutdown().await;
            return;
        }
        _ => {}
    }
    let _ = sock.set_nodelay(true);
    let kill = CancellationToken::new();
    let stream = KillableStream {
        inner: sock,
        killed: Box::pin(kill.clone().cancelled_owned()),
        kill: kill.clone(),
    };
    let handler = Conn {
        rt: rt.clone(),
        peer,
        stop: stop.clone(),
        kill: kill.clone(),
        channels: HashMap::new(),
        user: String::new(),
    };
    let session = tokio::select! {
        _ = stop.cancelled() => return,
        s = russh::server::run_stream(rt.config.clone(), stream, handler) => match s {
            Ok(s) => s,
            Err(e) => {
                debug!(device = %rt.device.name(), "ssh setup failed: {e}");
                return;
            }
        },
    };
    let handle = session.handle();
    tokio::select! {
        r = session => {
            if let Err(e) = r {
                debug!(device = %rt.device.name(), "session ended: {e}");
            }
        }
        _ = stop.cancelled() => {
            if !kill.is_cancelled() {
                let _ = handle
                    .disconnect(Disconnect::ByApplication, "device going down".into(), String::new())
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // Make sure the socket is released even if the session loop is still busy.
    kill.cancel();
    stop.cancel();
}

struct ChanState {
    input: Option<mpsc::UnboundedSender<Vec<u8>>>,
    started: bool,
}

/// The user name without RouterOS login options (`admin+ct511w4098h` → `admin`).
fn login_name<'a>(dev: &Sim, user: &'a str) -> &'a str {
    match dev {
        Sim::Persona(d) if d.persona.platform() == "mikrotik_routeros" => {
            user.split_once('+').map_or(user, |(u, _)| u)
        }
        _ => user,
    }
}

/// Per-connection russh handler.
struct Conn {
    rt: Arc<DeviceRuntime>,
    peer: SocketAddr,
    /// Cancelled when this connection ends (also ends its channel tasks).
    stop: CancellationToken,
    /// Drops the TCP connection abruptly.
    kill: CancellationToken,
    channels: HashMap<ChannelId, ChanState>,
    user: String,
}

impl Conn {
    fn credentials_ok(&self, user: &str, password: &[u8]) -> bool {
        let user = login_name(&self.rt.device, user);
        match self.rt.fault {
            Some(Fault::AuthReject) => false,
            // The shell checks the user name and password itself: SSH
            // lets anyone in, as such switches do.
            Some(Fault::LoginInShell) => true,
            _ => user == self.rt.lab.username && password == self.rt.lab.password.as_bytes(),
        }
    }

    fn session_info(&self) -> SessionInfo {
        SessionInfo {
            enable_secret: self.rt.lab.enable_secret.clone(),
            username: login_name(&self.rt.device, &self.user).to_string(),
            login_options: self
                .user
                .split_once('+')
                .map(|(_, o)| o.to_string())
                .unwrap_or_default(),
            peer: self.peer.ip().to_string(),
            refuse: match &self.rt.fault {
                Some(Fault::RejectLine { pattern }) => {
                    regex::Regex::new(pattern).ok().map(Arc::new)
                }
                _ => None,
            },
            flash_full: matches!(self.rt.fault, Some(Fault::FlashFull)),
        }
    }

    fn output(&self, handle: Handle, channel: ChannelId) -> Output {
        Output {
            handle,
            channel,
            stop: self.stop.clone(),
            drip: match self.rt.fault {
                Some(Fault::Drip { bytes_per_sec }) => Some(bytes_per_sec.max(1)),
                _ => None,
            },
        }
    }
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        // login-in-shell: the shell asks for the user name and password.
        if matches!(self.rt.fault, Some(Fault::LoginInShell)) {
            self.user = user.to_string();
            self.rt.lab.count_login(self.rt.device.name());
            return Ok(Auth::Accept);
        }
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if self.credentials_ok(user, password.as_bytes()) {
            self.user = user.to_string();
            self.rt.lab.count_login(self.rt.device.name());
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        _offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        match response {
            None => Ok(Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Borrowed(&[(Cow::Borrowed("Password: "), false)]),
            }),
            Some(mut answers) => {
                let ok = answers
                    .next()
                    .is_some_and(|pw| self.credentials_ok(user, &pw));
                if ok {
                    self.user = user.to_string();
                    self.rt.lab.count_login(self.rt.device.name());
                    Ok(Auth::Accept)
                } else {
                    Ok(Auth::reject())
                }
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // IOS allows a handful of vty sessions; be generous but bounded.
        if self.channels.len() >= 16 {
            reply
                .reject(russh::ChannelOpenFailure::ResourceShortage)
                .await;
            return Ok(());
        }
        self.channels.insert(
            channel.id(),
            ChanState {
                input: None,
                started: false,
            },
        );
        reply.accept().await;
        // Data arrives through `Handler::data`; the channel object itself is not needed.
        drop(channel);
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let info = self.session_info();
        let out = self.output(session.handle(), channel);
        let Some(state) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        if state.started {
            session.channel_failure(channel)?;
            return Ok(());
        }
        session.channel_success(channel)?;
        let (tx, rx) = mpsc::unbounded_channel();
        state.input = Some(tx);
        state.started = true;
        let task = shell_task(self.rt.clone(), out, rx, info, self.kill.clone());
        self.rt.lab.tracker.spawn(task);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let info = self.session_info();
        let out = self.output(session.handle(), channel);
        let Some(state) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        if state.started {
            session.channel_failure(channel)?;
            return Ok(());
        }
        state.started = true;
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        let task = exec_task(self.rt.clone(), out, command, info, self.kill.clone());
        self.rt.lab.tracker.spawn(task);
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = self.channels.get(&channel).and_then(|c| c.input.as_ref()) {
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The shell finishes the input it has, then closes the channel.
        if let Some(state) = self.channels.get_mut(&channel) {
            state.input = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Writes channel output, honouring the drip fault and the connection's stop token.
struct Output {
    handle: Handle,
    channel: ChannelId,
    stop: CancellationToken,
    drip: Option<u32>,
}

/// The session is gone; the task should end.
struct Gone;

impl Output {
    async fn send(&self, bytes: &[u8]) -> Result<(), Gone> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self.drip {
            None => self
                .handle
                .data(self.channel, bytes.to_vec())
                .await
                .map_err(|_| Gone),
            Some(bps) => {
                // Chunks of ~50 ms worth of bytes (at least one byte).
                let chunk = (bps as usize / 20).max(1);
                let pause = Duration::from_secs_f64(chunk as f64 / f64::from(bps));
                for part in bytes.chunks(chunk) {
                    self.handle
                        .data(self.channel, part.to_vec())
                        .await
                        .map_err(|_| Gone)?;
                    self.sleep(pause).await?;
                }
                Ok(())
            }
        }
    }

    /// An echo a character a packet, `per_char` apart (a line break's
    /// `\r\n` in one).
    async fn send_slowly(&self, bytes: &[u8], per_char: Duration) -> Result<(), Gone> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = if rest.starts_with(b"\r\n") { 2 } else { 1 };
            let (key, after) = rest.split_at(n);
            self.send(key).await?;
            rest = after;
            if !rest.is_empty() {
                self.sleep(per_char).await?;
            }
        }
        Ok(())
    }

    async fn sleep(&self, d: Duration) -> Result<(), Gone> {
        tokio::select! {
            _ = self.stop.cancelled() => Err(Gone),
            _ = tokio::time::sleep(d) => Ok(()),
        }
    }

    /// Ends the channel like IOS does on `exit`: exit status, EOF, close, then the
    /// connection itself.
    async fn finish(&self, status: u32, disconnect: bool) {
        let _ = self.handle.exit_status_request(self.channel, status).await;
        let _ = self.handle.eof(self.channel).await;
        let _ = self.handle.close(self.channel).await;
        if disconnect && self.sleep(Duration::from_millis(300)).await.is_ok() {
            let _ = self
                .handle
                .disconnect(Disconnect::ByApplication, String::new(), String::new())
                .await;
        }
    }
}

/// The `slow-echo` faults: time between echoed characters, and whether
/// the line end waits to go with the answer.
fn slow_echo(rt: &DeviceRuntime) -> Option<(Duration, bool)> {
    match rt.fault {
        Some(Fault::SlowEcho {
            per_char,
            line_end_with_answer,
        }) => Some((per_char, line_end_with_answer)),
        _ => None,
    }
}

/// `echo` split before the line end that ends it, if one does.
fn split_line_end(echo: &[u8]) -> (&[u8], &[u8]) {
    let n = if echo.ends_with(b"\r\n") {
        2
    } else {
        usize::from(echo.ends_with(b"\n") || echo.ends_with(b"\r"))
    };
    echo.split_at(echo.len() - n)
}

fn latency(rt: &DeviceRuntime) -> Option<Duration> {
    match rt.fault {
        Some(Fault::Latency { per_command }) => Some(per_command),
        _ => None,
    }
}

/// Output longer than this many lines triggers the drop-mid-output fault.
const DROP_MIN_LINES: usize = 6;

async fn shell_task(
    rt: Arc<DeviceRuntime>,
    out: Output,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    info: SessionInfo,
    kill: CancellationToken,
) {
    let hang = matches!(rt.fault, Some(Fault::HangAfterLogin));
    // password-expired: the shell asks for a new password and nothing more.
    let expired = matches!(rt.fault, Some(Fault::PasswordExpired));
    let drop_mid = matches!(rt.fault, Some(Fault::DropMidOutput));
    let mut cli = rt.device.terminal(info);
    // wait-for-enter: the greeting waits for the client's first line.
    let mut await_enter = matches!(rt.fault, Some(Fault::WaitForEnter));
    // login-in-shell: the shell asks for the user name and password first;
    // password-in-shell: for the password alone.
    let mut login = match rt.fault {
        Some(Fault::LoginInShell) => Some(ShellLogin::default()),
        Some(Fault::PasswordInShell) => Some(ShellLogin::password_only(&rt.lab.username)),
        _ => None,
    };
    // login-question: the platform's question comes before the greeting.
    let mut question = matches!(rt.fault, Some(Fault::LoginQuestion))
        .then(|| cli.login_question())
        .flatten()
        .map(Question::new);
    if expired {
        let said = b"\r\nYour password has expired.\r\nEnter new password: ";
        if out.send(said).await.is_err() {
            return;
        }
    } else if let Some(l) = &login {
        if out.send(l.first_question()).await.is_err() {
            return;
        }
    } else if let Some(q) = &question {
        if out.send(&q.asked()).await.is_err() {
            return;
        }
    } else if !hang && !await_enter && out.send(&cli.greeting()).await.is_err() {
        return;
    }
    loop {
        let data = tokio::select! {
            _ = out.stop.cancelled() => return,
            d = rx.recv() => d,
        };
        let Some(mut data) = data else {
            break;
        };
        if rt.enter_is_cr {
            // A line feed typed alone is not Enter to it: dropped.
            data.retain(|&b| b != b'\n');
        }
        if hang || expired {
            continue;
        }
        if await_enter {
            // Up to the first line break is the keypress; the rest is input.
            let Some((_, rest)) = split_line(&data) else {
                continue;
            };
            data = rest.to_vec();
            await_enter = false;
            if out.send(&cli.greeting()).await.is_err() {
                return;
            }
        }
        if let Some(q) = question.as_mut() {
            match q.feed(&data) {
                Answer::Pending(echo) => {
                    if out.send(&echo).await.is_err() {
                        return;
                    }
                    continue;
                }
                Answer::Right(echo, rest) => {
                    question = None;
                    if out.send(&echo).await.is_err() || out.send(&cli.greeting()).await.is_err() {
                        return;
                    }
                    data = rest;
                }
                Answer::Wrong(echo) => {
                    let _ = out.send(&echo).await;
                    let _ = out
                        .send(b"\r\nNot the expected answer: session ended.\r\n")
                        .await;
                    out.finish(0, true).await;
                    return;
                }
            }
        }
        if let Some(l) = login.as_mut() {
            let (reply, rest) = l.feed(&data, &rt.lab.username, &rt.lab.password);
            if out.send(&reply).await.is_err() {
                return;
            }
            if !l.done {
                continue;
            }
            login = None;
            if out.send(&cli.greeting()).await.is_err() {
                return;
            }
            data = rest;
        }
        // A line end held back to go with the answer (`slow-echo-joined`).
        let mut line_end: Vec<u8> = Vec::new();
        for action in cli.feed(&data) {
            let sent = match action {
                Action::Echo(bytes) => match slow_echo(&rt) {
                    Some((per_char, false)) => out.send_slowly(&bytes, per_char).await,
                    Some((per_char, true)) => {
                        let (chars, end) = split_line_end(&bytes);
                        line_end.extend_from_slice(end);
                        out.send_slowly(chars, per_char).await
                    }
                    None => out.send(&bytes).await,
                },
                Action::Reply(bytes) => {
                    if let Some(d) = latency(&rt)
                        && out.sleep(d).await.is_err()
                    {
                        return;
                    }
                    let bytes = match line_end.is_empty() {
                        true => bytes,
                        false => [std::mem::take(&mut line_end), bytes].concat(),
                    };
                    let lines = bytes.iter().filter(|b| **b == b'\n').count();
                    if drop_mid && lines > DROP_MIN_LINES {
                        let _ = out.send(&bytes[..bytes.len() / 2]).await;
                        // Let the partial output reach the socket, then cut the TCP connection.
                        let _ = out.sleep(Duration::from_millis(50)).await;
                        kill.cancel();
                        return;
                    }
                    out.send(&bytes).await
                }
                Action::Close => {
                    if !line_end.is_empty() {
                        let _ = out.send(&line_end).await;
                    }
                    out.finish(0, true).await;
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
        if !line_end.is_empty() && out.send(&line_end).await.is_err() {
            return;
        }
    }
    // The client sent EOF: answer with EOF and close, like a terminated vty.
    out.finish(0, false).await;
}

/// `data` split at its first line break: the line, and what follows the
/// break (`\r\n`, `\r` or `\n`); `None` until a line break came.
fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = data.iter().position(|b| matches!(b, b'\r' | b'\n'))?;
    let after = if data[end..].starts_with(b"\r\n") {
        2
    } else {
        1
    };
    Some((&data[..end], &data[end + after..]))
}

/// The `login-question` fault's question, waiting for its answer.
struct Question {
    def: &'static LoginQuestionDef,
    line: Vec<u8>,
}

/// What a question made of typed bytes.
enum Answer {
    /// Not answered yet: the echo.
    Pending(Vec<u8>),
    /// Answered as expected: the echo, and what was typed after the answer.
    Right(Vec<u8>, Vec<u8>),
    /// Answered otherwise: the echo.
    Wrong(Vec<u8>),
}

impl Question {
    fn new(def: &'static LoginQuestionDef) -> Question {
        Question {
            def,
            line: Vec::new(),
        }
    }

    /// The question as sent: on a line of its own, lines ending in `\r\n`.
    fn asked(&self) -> Vec<u8> {
        format!("\r\n{}", self.def.text.replace('\n', "\r\n")).into_bytes()
    }

    fn feed(&mut self, data: &[u8]) -> Answer {
        let expected = self.def.answer.as_bytes();
        if !self.def.line {
            // One key, not echoed; a line break after it is part of it.
            let Some((&key, rest)) = data.split_first() else {
                return Answer::Pending(Vec::new());
            };
            if !expected
                .first()
                .is_some_and(|e| e.eq_ignore_ascii_case(&key))
            {
                return Answer::Wrong(Vec::new());
            }
            let rest = match split_line(rest) {
                Some(([], after)) => after,
                _ => rest,
            };
            return Answer::Right(b"\r\n".to_vec(), rest.to_vec());
        }
        // A line, echoed as typed.
        match split_line(data) {
            None => {
                self.line.extend_from_slice(data);
                Answer::Pending(data.to_vec())
            }
            Some((typed, rest)) => {
                self.line.extend_from_slice(typed);
                let mut echo = typed.to_vec();
                echo.extend_from_slice(b"\r\n");
                if self.line.trim_ascii().eq_ignore_ascii_case(expected) {
                    Answer::Right(echo, rest.to_vec())
                } else {
                    Answer::Wrong(echo)
                }
            }
        }
    }
}

/// The `login-in-shell` fault's own login: `User Name:`, then `Password:`
/// (not echoed), line by line; `password-in-shell`'s: `Password:` alone.
#[derive(Default)]
struct ShellLogin {
    line: Vec<u8>,
    user: Option<String>,
    done: bool,
    /// The last line ended with `\r`: a `\n` next is its other half.
    after_cr: bool,
    /// Only the password is asked (the user name is the lab's).
    password_only: bool,
}

impl ShellLogin {
    const USER: &'static [u8] = b"\r\n\r\nUser Name:";
    const PASSWORD: &'static [u8] = b"\r\nPassword:";

    /// A login that asks for the password alone, for `username`.
    fn password_only(username: &str) -> ShellLogin {
        ShellLogin {
            user: Some(username.to_string()),
            password_only: true,
            ..ShellLogin::default()
        }
    }

    /// What the shell asks first.
    fn first_question(&self) -> &'static [u8] {
        if self.password_only {
            Self::PASSWORD
        } else {
            Self::USER
        }
    }

    /// Take typed bytes: the echo and questions to send, and what was typed
    /// after the login ended (the first command, typed ahead).
    fn feed(&mut self, data: &[u8], username: &str, password: &str) -> (Vec<u8>, Vec<u8>) {
        let mut reply = Vec::new();
        let mut rest = data;
        while let Some((&b, tail)) = rest.split_first() {
            rest = tail;
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                continue; // the \n of a \r\n
            }
            self.after_cr = b == b'\r';
            if b != b'\r' && b != b'\n' {
                self.line.push(b);
                if self.user.is_none() {
                    reply.push(b);
                }
                continue;
            }
            let typed = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
            match self.user.take() {
                None => {
                    self.user = Some(typed);
                    reply.extend_from_slice(Self::PASSWORD);
                }
                Some(user) if user == username && typed == password => {
                    reply.extend_from_slice(b"\r\n");
                    self.done = true;
                    if self.after_cr && rest.first() == Some(&b'\n') {
                        rest = &rest[1..];
                    }
                    return (reply, rest.to_vec());
                }
                Some(user) if self.password_only => {
                    self.user = Some(user);
                    reply.extend_from_slice(b"\r\n");
                    reply.extend_from_slice(Self::PASSWORD);
                }
                Some(_) => {
                    reply.extend_from_slice(b"\r\nAuthentication failed\r\n");
                    reply.extend_from_slice(Self::USER);
                }
            }
        }
        (reply, Vec::new())
    }
}

async fn exec_task(
    rt: Arc<DeviceRuntime>,
    out: Output,
    command: String,
    info: SessionInfo,
    kill: CancellationToken,
) {
    if matches!(rt.fault, Some(Fault::HangAfterLogin)) {
        out.stop.cancelled().await;
        return;
    }
    if let Some(d) = latency(&rt)
        && out.sleep(d).await.is_err()
    {
        return;
    }
    let mut cli = rt.device.terminal(info);
    let (bytes, status) = cli.run_exec(command.trim());
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    if matches!(rt.fault, Some(Fault::DropMidOutput)) && lines > DROP_MIN_LINES {
        let _ = out.send(&bytes[..bytes.len() / 2]).await;
        let _ = out.sleep(Duration::from_millis(50)).await;
        kill.cancel();
        return;
    }
    if out.send(&bytes).await.is_ok() {
        out.finish(status, false).await;
    }
}

#[cfg(test)]
mod port_tests {
    use super::*;

    #[tokio::test]
    async fn a_port_in_use_says_so_and_what_to_do() {
        let first = bind_listener("127.0.0.1:0".parse().unwrap()).unwrap();
        let taken = first.local_addr().unwrap();
        let e = bind_listener(taken).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        let text = e.to_string();
        assert!(
            text.contains(&format!("port {} is already in use", taken.port()))
                && text.contains("--base-port"),
            "{text}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ShellLogin, split_line};

    #[test]
    fn a_line_ends_at_any_line_break_and_the_rest_follows_it() {
        type Split<'a> = Option<(&'a [u8], &'a [u8])>;
        let cases: [(&[u8], Split); 5] = [
            (b"abc", None),
            (b"y\r\nshow ver", Some((b"y", b"show ver"))),
            (b"y\rnext", Some((b"y", b"next"))),
            (b"\n\r\n", Some((b"", b"\r\n"))),
            (b"admin\n", Some((b"admin", b""))),
        ];
        for (data, want) in cases {
            assert_eq!(
                split_line(data),
                want,
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    /// Feed `typed` in the pieces given; the replies joined, and what was
    /// typed past the login.
    fn login(pieces: &[&[u8]]) -> (ShellLogin, String, Vec<u8>) {
        let mut l = ShellLogin::default();
        let (mut replies, mut rest) = (Vec::new(), Vec::new());
        for piece in pieces {
            let (reply, after) = l.feed(piece, "admin", "pw");
            replies.extend(reply);
            rest = after;
        }
        (l, String::from_utf8_lossy(&replies).into_owned(), rest)
    }

    #[test]
    fn the_shells_own_login_takes_cr_lf_and_lf_line_ends_alike() {
        for pieces in [
            &[&b"admin\r\npw\r\nshow clock\r"[..]][..],
            &[&b"admin\r"[..], &b"\npw\r\nshow clock\r"[..]],
            &[&b"admin\npw\nshow clock\r"[..]],
        ] {
            let (l, replies, rest) = login(pieces);
            assert!(l.done, "{pieces:?}: {replies:?}");
            assert!(replies.contains("Password:"), "{replies:?}");
            assert_eq!(rest, b"show clock\r", "{pieces:?}");
        }
    }

    #[test]
    fn an_empty_user_name_typed_with_lf_alone_is_one() {
        // Enter at `User Name:` gives an empty name; the password after it
        // is then refused and the question asked again.
        let (l, replies, _) = login(&[b"\n", b"pw\n"]);
        assert!(!l.done);
        assert!(replies.contains("Authentication failed"), "{replies:?}");
    }

    #[test]
    fn a_password_only_login_asks_again_after_a_wrong_one_and_echoes_nothing() {
        let mut l = ShellLogin::password_only("admin");
        assert_eq!(l.first_question(), b"\r\nPassword:");
        let (reply, _) = l.feed(b"nope\n", "admin", "pw");
        assert!(!l.done);
        assert_eq!(reply, b"\r\n\r\nPassword:", "no echo, the question again");
        let (reply, rest) = l.feed(b"pw\r\nshow clock\r", "admin", "pw");
        assert!(l.done, "{:?}", String::from_utf8_lossy(&reply));
        assert_eq!(reply, b"\r\n");
        assert_eq!(rest, b"show clock\r");
    }
}

#[cfg(test)]
mod question_tests {
    use super::*;

    fn def(answer: &str, line: bool) -> &'static LoginQuestionDef {
        Box::leak(Box::new(LoginQuestionDef {
            text: "Change now? [Y/N]:".into(),
            answer: answer.into(),
            line,
        }))
    }

    #[test]
    fn a_line_answer_is_echoed_and_judged_at_enter_in_either_case() {
        let mut q = Question::new(def("N", true));
        assert_eq!(q.asked(), b"\r\nChange now? [Y/N]:");
        assert!(matches!(q.feed(b"n"), Answer::Pending(e) if e == b"n"));
        match q.feed(b"\r\nshow version\r") {
            Answer::Right(echo, rest) => {
                assert_eq!(echo, b"\r\n");
                assert_eq!(rest, b"show version\r");
            }
            _ => panic!("n then Enter declines"),
        }
        let mut q = Question::new(def("N", true));
        assert!(matches!(q.feed(b"Y\n"), Answer::Wrong(_)));
        let mut q = Question::new(def("N", true));
        assert!(matches!(q.feed(b"\r"), Answer::Wrong(_)), "Enter alone");
    }

    #[test]
    fn a_key_answer_is_one_key_and_its_line_break_is_part_of_it() {
        let mut q = Question::new(def("a", false));
        assert!(matches!(q.feed(b""), Answer::Pending(_)));
        match q.feed(b"A\r\nget system status\n") {
            Answer::Right(_, rest) => assert_eq!(rest, b"get system status\n"),
            _ => panic!("a accepts"),
        }
        let mut q = Question::new(def("a", false));
        assert!(matches!(q.feed(b"\r"), Answer::Wrong(_)));
    }
}
