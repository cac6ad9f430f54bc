//! SSH CLI sessions (russh client): connect, verify the host key, log in,
//! open a PTY shell, walk the platform's modes and run commands, matching
//! prompts at the end of what the device sent.

use super::algorithms::{self, Algorithms};
use super::auth::{self, Credentials};
use super::jump::{self, Hop, JumpPool};
use super::known_hosts::{self, HostKeyPolicy, KnownHosts, Verdict};
use super::platform::{Platform, SecretKind};
use super::session_log::SessionLog;
use super::text;
use crate::error::{Error, ErrorClass, Result};
use crate::secret::Secret;
use crate::telemetry::{Metrics, metrics};
use regex::Regex;
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, Disconnect};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

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

/// Everything needed to open a session to one device.
#[derive(Debug, Clone)]
pub struct Target {
    /// Inventory name, used in messages.
    pub device: String,
    /// Address to dial.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Login user.
    pub username: String,
    /// Login password.
    pub password: Option<Secret>,
    /// Enable secret.
    pub enable_secret: Option<Secret>,
    /// Known host keys.
    pub known_hosts: Arc<KnownHosts>,
    /// How unknown keys are treated.
    pub host_key_policy: HostKeyPolicy,
    /// Where `accept-new` records keys (the user's known_hosts).
    pub accept_new_file: Option<PathBuf>,
    /// Phase deadlines.
    pub timeouts: Timeouts,
    /// Private key files tried after the agent's keys.
    pub key_files: Vec<PathBuf>,
    /// Passphrase of encrypted key files.
    pub key_passphrase: Option<Secret>,
    /// Try ssh-agent keys (`SSH_AUTH_SOCK`).
    pub agent: bool,
    /// Algorithms offered in key exchange.
    pub algorithms: Algorithms,
    /// Jump hosts (ProxyJump), first hop first.
    pub jumps: Vec<Hop>,
    /// Jump-host sessions shared by the run.
    pub jump_pool: Option<Arc<JumpPool>>,
    /// Folder of session transcripts (`--session-log`).
    pub session_log: Option<PathBuf>,
}

impl Target {
    /// A target with the defaults for everything but the essentials.
    pub fn new(device: &str, host: &str, port: u16, username: &str) -> Target {
        Target {
            device: device.to_string(),
            host: host.to_string(),
            port,
            username: username.to_string(),
            password: None,
            enable_secret: None,
            known_hosts: Arc::new(KnownHosts::default()),
            host_key_policy: HostKeyPolicy::Strict,
            accept_new_file: None,
            timeouts: Timeouts::default(),
            key_files: Vec::new(),
            key_passphrase: None,
            agent: true,
            algorithms: Algorithms::default(),
            jumps: Vec::new(),
            jump_pool: None,
            session_log: None,
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials {
            username: self.username.clone(),
            password: self.password.clone(),
            key_files: self.key_files.clone(),
            key_passphrase: self.key_passphrase.clone(),
            agent: self.agent,
        }
    }
}

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
    /// Host-key settings and timeouts.
    pub target: &'a Target,
    /// How to log in.
    pub credentials: &'a Credentials,
    /// Algorithms offered.
    pub algorithms: &'a Algorithms,
}

/// Per-command options.
#[derive(Debug, Clone, Default)]
pub struct CommandOptions {
    /// Overrides the command deadline.
    pub timeout: Option<Duration>,
    /// Ends the command on this pattern instead of a prompt.
    pub expect: Option<Regex>,
    /// Keep the trailing prompt in the output.
    pub keep_prompt: bool,
}

/// What ended a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The prompt of this mode.
    Prompt(usize),
    /// The caller's pattern (challenge or `expect`).
    Pattern,
}

/// Which timeout class a read reports.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Prompt,
    Command,
}

pub(crate) struct Client {
    host: String,
    port: u16,
    known_hosts: Arc<KnownHosts>,
    policy: HostKeyPolicy,
    accept_new_file: Option<PathBuf>,
    problem: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let key = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key,
            PublicKeyOrCertificate::Certificate(_) => {
                self.note("the server offered a host certificate; netrun checks plain host keys only: add the host's plain key to known_hosts".into());
                return Ok(false);
            }
        };
        if self.policy == HostKeyPolicy::Off {
            return Ok(true);
        }
        let name = known_hosts::host_name(&self.host, self.port);
        let fp = known_hosts::fingerprint(key);
        let alg = key.algorithm();
        match self.known_hosts.check(&self.host, self.port, key) {
            Verdict::Trusted => Ok(true),
            Verdict::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                if let Some(file) = &self.accept_new_file {
                    append_known_host(file, &known_hosts::entry_line(&self.host, self.port, key));
                }
                Ok(true)
            }
            Verdict::Unknown => {
                let files: Vec<String> = self
                    .known_hosts
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect();
                self.note(format!(
                    "host key of {name} is not known ({alg} {fp}; looked in: {}): verify the fingerprint, then add it with `ssh-keyscan -p {} {} >> ~/.ssh/known_hosts`, name a known_hosts file in the inventory (connection_options.netrun.extras.known_hosts), or run with --host-key-policy accept-new",
                    if files.is_empty() { "no known_hosts file".to_string() } else { files.join(", ") },
                    self.port,
                    self.host
                ));
                Ok(false)
            }
            Verdict::Changed { file, line } => {
                self.note(format!(
                    "HOST KEY CHANGED for {name}: the device offered {alg} {fp}, which differs from the key at {}:{line}; if the device was replaced, remove that line (ssh-keygen -R '{name}') and connect again",
                    file.display()
                ));
                Ok(false)
            }
            Verdict::Revoked { file, line } => {
                self.note(format!(
                    "host key of {name} ({fp}) is marked @revoked at {}:{line}",
                    file.display()
                ));
                Ok(false)
            }
        }
    }
}

impl Client {
    fn note(&self, message: String) {
        if let Ok(mut slot) = self.problem.lock() {
            *slot = Some(message);
        }
    }
}

fn append_known_host(file: &std::path::Path, line: &str) {
    use std::io::Write;
    // Appends from concurrent sessions are serialised so lines never interleave.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
    {
        Ok(mut f) => {
            let _ = writeln!(f, "{line}");
        }
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "cannot record accepted host key")
        }
    }
}

/// An open CLI session on a PTY shell.
pub struct CliSession {
    device: String,
    handle: client::Handle<Client>,
    channel: russh::Channel<client::Msg>,
    platform: Arc<Platform>,
    mode: usize,
    password: Option<Secret>,
    enable_secret: Option<Secret>,
    timeouts: Timeouts,
    closed: bool,
    /// The prompt's stem as the device printed it at login (`r001` of
    /// `r001#`): a prompt-shaped line with another stem is taken for a prompt
    /// only once the device has gone quiet after it.
    stem: Option<String>,
    /// Transcript with secrets redacted (`--session-log`).
    log: Option<SessionLog>,
    /// A read timed out: the rest of that answer may still arrive, so the
    /// session is out of step and must not be reused.
    desynced: bool,
}

/// How long the device must stay quiet after a prompt-shaped line whose
/// stem differs from the learned one (`Device#` inside `show version`, or a
/// real prompt after `hostname X`) before it counts as the prompt.
const UNCONFIRMED_PROMPT_QUIET: Duration = Duration::from_secs(1);

/// The stem of a prompt line: everything before the first mode character.
fn prompt_stem(line: &str) -> &str {
    let line = line.trim();
    let end = line
        .find(['>', '#', '(', '$', '%', ']'])
        .unwrap_or(line.len());
    &line[..end]
}

fn err(class: ErrorClass, message: String) -> Error {
    Error::new(class, message)
}

impl CliSession {
    /// Connect, verify the host key, authenticate, open a shell, reach the
    /// platform's default mode and run its on-open commands.
    pub async fn open(target: &Target, platform: Arc<Platform>) -> Result<CliSession> {
        let t = target.timeouts;
        let device = &target.device;
        let started = Instant::now();
        let stream: Box<dyn Io> = if target.jumps.is_empty() {
            Box::new(dial(device, &target.host, target.port, t.connect).await?)
        } else {
            jump::connect(target).await?
        };
        let credentials = target.credentials();
        let endpoint = Endpoint {
            device,
            host: &target.host,
            port: target.port,
            target,
            credentials: &credentials,
            algorithms: &target.algorithms,
        };
        let handle = login(stream, &endpoint).await?;
        let m = metrics();
        Metrics::observe(&m.connect_seconds, &platform.name, started.elapsed());
        let authenticated = Instant::now();

        let channel = tokio::time::timeout(t.prompt, async {
            let ch = handle.channel_open_session().await?;
            // A wide terminal so the device never wraps long lines.
            ch.request_pty(true, "vt100", 511, 24, 0, 0, &[]).await?;
            ch.request_shell(true).await?;
            Ok::<_, russh::Error>(ch)
        })
        .await
        .map_err(|_| {
            err(
                ErrorClass::PromptTimeout,
                format!(
                    "{device}: shell did not open within {}: raise --prompt-timeout",
                    secs(t.prompt)
                ),
            )
        })?
        .map_err(|e| {
            err(
                ErrorClass::SessionClosed,
                format!("{device}: cannot open a shell: {e}"),
            )
        })?;

        let default_mode = platform.default_mode;
        let mut session = CliSession {
            device: device.clone(),
            handle,
            channel,
            platform,
            mode: default_mode,
            password: target.password.clone(),
            enable_secret: target.enable_secret.clone(),
            timeouts: t,
            closed: false,
            stem: None,
            log: open_session_log(target),
            desynced: false,
        };
        m.sessions_open.inc();
        m.sessions_opened.inc();
        session.settle().await?;
        session.acquire(session.platform.default_mode).await?;
        let on_open = session.platform.on_open.clone();
        for command in on_open {
            let out = session
                .exchange(&command, None, t.prompt, Phase::Prompt)
                .await?;
            if let Some(ind) = session.platform.failure_in(&out) {
                tracing::debug!(device = %session.device, command, indicator = ind, "on-open command refused");
            }
        }
        Metrics::observe(
            &m.login_seconds,
            &session.platform.name,
            authenticated.elapsed(),
        );
        Ok(session)
    }

    /// Find the first prompt after login (past any banner), then send an
    /// empty line and read the prompt again, so a banner line that merely
    /// looks like a prompt cannot leave the session out of step.
    async fn settle(&mut self) -> Result<()> {
        let deadline = Instant::now() + self.timeouts.prompt;
        let (_, stop) = self
            .read_until(deadline, None, false, Phase::Prompt)
            .await?;
        self.set_mode(stop);
        let le = self.platform.line_ending.clone();
        self.write(&le).await?;
        let (_, stop) = self.read_until(deadline, None, true, Phase::Prompt).await?;
        self.set_mode(stop);
        Ok(())
    }

    fn set_mode(&mut self, stop: Stop) {
        if let Stop::Prompt(m) = stop {
            self.mode = m;
        }
    }

    /// Name of the current mode.
    pub fn mode(&self) -> &str {
        &self.platform.modes[self.mode].name
    }

    /// The platform this session drives.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Whether the session can carry more commands: the transport is up
    /// and no earlier answer is still pending.
    pub fn is_alive(&self) -> bool {
        !self.desynced && self.connected()
    }

    fn connected(&self) -> bool {
        !self.closed && !self.handle.is_closed()
    }

    /// Go to mode `target` along the platform's transitions, answering
    /// secret challenges on the way.
    pub async fn acquire(&mut self, target: usize) -> Result<()> {
        if self.mode == target {
            return Ok(());
        }
        let platform = self.platform.clone();
        let Some(path) = platform.path(self.mode, target) else {
            return Err(err(
                ErrorClass::Internal,
                format!(
                    "{}: platform {} has no way from mode {} to mode {}",
                    self.device,
                    platform.name,
                    platform.modes[self.mode].name,
                    platform.modes[target].name
                ),
            ));
        };
        for step in path {
            let le = &platform.line_ending;
            self.write(&format!("{}{le}", step.send)).await?;
            let deadline = Instant::now() + self.timeouts.prompt;
            let challenge = step.challenge.as_ref();
            let (_, mut stop) = self
                .read_until(deadline, challenge.map(|c| &c.prompt), true, Phase::Prompt)
                .await?;
            let mut answered = false;
            if stop == Stop::Pattern {
                // Unwrap-free: Stop::Pattern only happens when a challenge was given.
                let Some(c) = challenge else { break };
                let (secret, what, key) = match c.answer {
                    SecretKind::Password => (&self.password, "password", "password"),
                    SecretKind::EnableSecret => (
                        &self.enable_secret,
                        "enable secret",
                        "connection_options.netrun.extras.secret",
                    ),
                };
                let Some(secret) = secret.clone() else {
                    return Err(err(
                        ErrorClass::Auth,
                        format!(
                            "{}: `{}` asks for the {what}, and the inventory has none: set {key}",
                            self.device, step.send
                        ),
                    ));
                };
                self.write(&format!("{}{le}", secret.expose())).await?;
                answered = true;
                let deadline = Instant::now() + self.timeouts.prompt;
                stop = self
                    .read_until(deadline, Some(&c.prompt), true, Phase::Prompt)
                    .await?
                    .1;
                if stop == Stop::Pattern {
                    // Asked again: the secret was wrong. The device now waits
                    // for another try, so this session is not reused.
                    self.closed = true;
                    return Err(err(
                        ErrorClass::Auth,
                        format!(
                            "{}: `{}` asked for the {what} again after it was sent: the {what} is wrong; check {key}",
                            self.device, step.send
                        ),
                    ));
                }
            }
            self.set_mode(stop);
            if self.mode != step.to {
                let reached = &platform.modes[self.mode].name;
                let wanted = &platform.modes[step.to].name;
                return Err(if answered {
                    err(
                        ErrorClass::Auth,
                        format!(
                            "{}: `{}` was refused (secret rejected): still in mode {reached}, wanted {wanted}; check the enable secret",
                            self.device, step.send
                        ),
                    )
                } else {
                    err(
                        ErrorClass::RejectedCommand,
                        format!(
                            "{}: `{}` left the device in mode {reached}, wanted {wanted}",
                            self.device, step.send
                        ),
                    )
                });
            }
        }
        Ok(())
    }

    /// Send one command in the default mode; returns its output without
    /// echo and prompt. A failure indicator in the output is an error.
    pub async fn send_command(&mut self, command: &str, opts: &CommandOptions) -> Result<String> {
        self.acquire(self.platform.default_mode).await?;
        self.run_in_mode(command, opts).await
    }

    /// Enter the configuration mode, send `lines`, go back to the default mode.
    pub async fn send_config(&mut self, lines: &[String], opts: &CommandOptions) -> Result<String> {
        self.acquire(self.platform.configuration_mode).await?;
        let mut transcript = String::new();
        for line in lines {
            let out = self.run_in_mode(line, opts).await?;
            transcript.push_str(&out);
            if !out.is_empty() {
                transcript.push('\n');
            }
        }
        self.acquire(self.platform.default_mode).await?;
        Ok(transcript)
    }

    /// Run an interactive exchange: each step's input, then wait for its
    /// pattern (or a prompt when the pattern is empty).
    pub async fn send_interactive(
        &mut self,
        steps: &[(String, Option<Regex>)],
        opts: &CommandOptions,
    ) -> Result<String> {
        let mut transcript = String::new();
        let timeout = opts.timeout.unwrap_or(self.timeouts.command);
        for (input, expect) in steps {
            let raw = self
                .exchange(input, expect.as_ref(), timeout, Phase::Command)
                .await?;
            transcript.push_str(&text::normalise(&raw));
        }
        Ok(transcript)
    }

    async fn run_in_mode(&mut self, command: &str, opts: &CommandOptions) -> Result<String> {
        let timeout = opts.timeout.unwrap_or(self.timeouts.command);
        let started = Instant::now();
        let raw = self
            .exchange(command, opts.expect.as_ref(), timeout, Phase::Command)
            .await?;
        Metrics::observe(
            &metrics().command_seconds,
            &self.platform.name,
            started.elapsed(),
        );
        let out = clean_output(&raw, command, &self.platform, opts.keep_prompt);
        if let Some(ind) = self.platform.failure_in(&out) {
            let line = out.lines().find(|l| l.contains(ind)).unwrap_or(ind).trim();
            return Err(err(
                ErrorClass::RejectedCommand,
                format!("{}: device refused `{command}`: {line}", self.device),
            ));
        }
        Ok(out)
    }

    /// Write `input` and a line ending, read to the next prompt (or
    /// `expect`) and return the raw text received.
    async fn exchange(
        &mut self,
        input: &str,
        expect: Option<&Regex>,
        timeout: Duration,
        phase: Phase,
    ) -> Result<String> {
        let le = self.platform.line_ending.clone();
        self.write(&format!("{input}{le}")).await?;
        let deadline = Instant::now() + timeout;
        let (raw, stop) = self.read_until(deadline, expect, true, phase).await?;
        self.set_mode(stop);
        Ok(raw)
    }

    async fn write(&mut self, data: &str) -> Result<()> {
        if let Some(log) = self.log.as_mut() {
            log.sent(data);
        }
        self.channel
            .data_bytes(data.as_bytes().to_vec())
            .await
            .map_err(|e| {
                self.closed = true;
                err(
                    ErrorClass::SessionClosed,
                    format!("{}: cannot send to the device: {e}", self.device),
                )
            })
    }

    /// Read until a mode prompt (or `pattern`) ends the received text,
    /// answering pagers. With `after_newline`, a prompt counts only once a
    /// line break was received (the device's answer to our Enter), so a stale
    /// prompt cannot end the read early.
    async fn read_until(
        &mut self,
        deadline: Instant,
        pattern: Option<&Regex>,
        after_newline: bool,
        phase: Phase,
    ) -> Result<(String, Stop)> {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut answered_pager_at = usize::MAX;
        let mut checked_len = usize::MAX;
        // A prompt-shaped line with an unexpected stem: (mode, line), accepted
        // if nothing follows it for UNCONFIRMED_PROMPT_QUIET.
        let mut unconfirmed: Option<(usize, String)> = None;
        loop {
            if buf.len() != checked_len {
                checked_len = buf.len();
                unconfirmed = None;
                let window = &buf[buf.len().saturating_sub(4096)..];
                let tail = String::from_utf8_lossy(window);
                let line = text::last_line(&tail, 4096);
                if let Some(p) = pattern
                    && p.is_match(&line)
                {
                    return Ok((String::from_utf8_lossy(&buf).into_owned(), Stop::Pattern));
                }
                if (!after_newline || buf.contains(&b'\n'))
                    && let Some(m) = self.platform.mode_of(&line)
                {
                    match &self.stem {
                        Some(stem) if prompt_stem(&line) != stem => {
                            unconfirmed = Some((m, line.clone()))
                        }
                        _ => {
                            self.stem = Some(prompt_stem(&line).to_string());
                            return Ok((
                                String::from_utf8_lossy(&buf).into_owned(),
                                Stop::Prompt(m),
                            ));
                        }
                    }
                }
                if answered_pager_at != buf.len()
                    && let Some(pager) = self.platform.pager_of(&line)
                {
                    answered_pager_at = buf.len();
                    let keys = pager.keys.clone();
                    self.write(&keys).await?;
                }
            }
            let wait_until = match &unconfirmed {
                Some(_) => deadline.min(Instant::now() + UNCONFIRMED_PROMPT_QUIET),
                None => deadline,
            };
            let msg = match tokio::time::timeout_at(wait_until, self.channel.wait()).await {
                Ok(m) => m,
                Err(_) => {
                    if let Some((m, line)) = unconfirmed.take() {
                        // Quiet after it: it is the prompt (the hostname changed).
                        self.stem = Some(prompt_stem(&line).to_string());
                        return Ok((String::from_utf8_lossy(&buf).into_owned(), Stop::Prompt(m)));
                    }
                    self.desynced = true;
                    return Err(self.timed_out(&buf, phase));
                }
            };
            if let (
                Some(log),
                Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }),
            ) = (self.log.as_mut(), &msg)
            {
                log.received(data);
            }
            match msg {
                Some(ChannelMsg::Data { data }) => buf.extend_from_slice(&data),
                Some(ChannelMsg::ExtendedData { data, .. }) => buf.extend_from_slice(&data),
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                    self.closed = true;
                    let seen = tail_chars(&text::normalise(&String::from_utf8_lossy(&buf)), 200);
                    return Err(err(
                        ErrorClass::SessionClosed,
                        format!(
                            "{}: the device closed the session; last output: {seen:?}",
                            self.device
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }

    fn timed_out(&self, buf: &[u8], phase: Phase) -> Error {
        let seen = tail_chars(&text::normalise(&String::from_utf8_lossy(buf)), 200);
        let (class, what, fix) = match phase {
            Phase::Prompt => (
                ErrorClass::PromptTimeout,
                "no prompt of the platform matched",
                "check the platform, or raise --prompt-timeout",
            ),
            Phase::Command => (
                ErrorClass::CommandTimeout,
                "the command did not finish (no prompt)",
                "raise --command-timeout for slow commands",
            ),
        };
        err(
            class,
            format!(
                "{}: {what} in time (platform {}); {fix}; last 200 characters received: {seen:?}",
                self.device, self.platform.name
            ),
        )
    }

    /// Send the platform's on-close commands and disconnect.
    pub async fn close(self) {
        if self.connected() {
            let le = self.platform.line_ending.clone();
            for c in self.platform.on_close.clone() {
                let _ = self
                    .channel
                    .data_bytes(format!("{c}{le}").into_bytes())
                    .await;
            }
            let _ = self.channel.eof().await;
            let _ = self
                .handle
                .disconnect(Disconnect::ByApplication, "", "en")
                .await;
        }
    }
}

/// The transcript of `target`'s session when `--session-log` is on; its
/// secrets are known here so they are redacted before reaching disk.
impl Drop for CliSession {
    fn drop(&mut self) {
        metrics().sessions_open.dec();
    }
}

fn open_session_log(target: &Target) -> Option<SessionLog> {
    let dir = target.session_log.as_ref()?;
    let secrets = [
        &target.password,
        &target.enable_secret,
        &target.key_passphrase,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    match SessionLog::create(dir, &target.device, secrets) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(device = %target.device, dir = %dir.display(), error = %e, "cannot open session log");
            None
        }
    }
}

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

/// SSH handshake (host key verified) and login over `stream`.
pub(crate) async fn login(
    stream: Box<dyn Io>,
    ep: &Endpoint<'_>,
) -> Result<client::Handle<Client>> {
    let t = ep.target.timeouts;
    let device = ep.device;
    let addr = format!("{}:{}", ep.host, ep.port);
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        preferred: ep.algorithms.preferred(),
        ..Default::default()
    });
    let problem = Arc::new(Mutex::new(None));
    let handler = Client {
        host: ep.host.to_string(),
        port: ep.port,
        known_hosts: ep.target.known_hosts.clone(),
        policy: ep.target.host_key_policy,
        accept_new_file: ep.target.accept_new_file.clone(),
        problem: problem.clone(),
    };
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

/// Normalise a command's raw output: terminal rendering, echo removed,
/// pager prompts and the trailing prompt dropped.
pub fn clean_output(raw: &str, command: &str, platform: &Platform, keep_prompt: bool) -> String {
    let rendered = text::normalise(raw);
    let mut lines: Vec<&str> = rendered
        .split('\n')
        .filter(|l| platform.pager_of(l).is_none() || l.len() > 80)
        .collect();
    // The echo of the command is the first line (possibly after blank lines).
    let command = command.trim();
    if !command.is_empty()
        && let Some(i) = lines.iter().position(|l| !l.trim().is_empty())
        && lines[i].trim_end().ends_with(command)
    {
        lines.drain(..=i);
    }
    if !keep_prompt
        && let Some(last) = lines.last()
        && platform.mode_of(last).is_some()
    {
        lines.pop();
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// `5s`, `1.5s`, as the timeout flags take them.
fn secs(d: Duration) -> String {
    crate::resilience::deadline::seconds(d)
}

impl crate::resilience::pool::Pooled for CliSession {
    fn is_alive(&self) -> bool {
        CliSession::is_alive(self)
    }

    async fn close(self) {
        CliSession::close(self).await
    }
}

fn tail_chars(s: &str, n: usize) -> String {
    let count = s.chars().count();
    s.chars().skip(count.saturating_sub(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::platform::tests::ios_like;

    #[test]
    fn prompt_stem_is_the_text_before_the_mode_character() {
        assert_eq!(prompt_stem("r001#"), "r001");
        assert_eq!(prompt_stem("r001(config-if)# "), "r001");
        assert_eq!(prompt_stem("admin@core1> "), "admin@core1");
        assert_eq!(prompt_stem("RP/0/RP0/CPU0:xr1#"), "RP/0/RP0/CPU0:xr1");
        assert_eq!(prompt_stem("Device#"), "Device");
    }

    #[test]
    fn clean_output_removes_echo_pager_and_prompt() {
        let p = ios_like();
        let raw = "show version\r\nline 1\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line 2\r\n\r\nr1#";
        assert_eq!(
            clean_output(raw, "show version", &p, false),
            "line 1\nline 2"
        );
    }

    #[test]
    fn clean_output_keeps_prompt_when_asked() {
        let p = ios_like();
        let raw = "sh clock\r\r\n*10:00:00.000 UTC Mon Jan 1 2024\r\nr1#";
        assert_eq!(
            clean_output(raw, "sh clock", &p, true),
            "*10:00:00.000 UTC Mon Jan 1 2024\nr1#"
        );
    }
}
