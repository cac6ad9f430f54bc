//! The CLI session on a PTY shell: find the prompt past the banner, walk
//! the platform's modes (answering secret challenges), run commands,
//! answer pagers, remove echo and prompt, and spot failure indicators.

use super::dial::{self, Handle, Timeouts};
use super::echo_pace::EchoPace;
use super::platform::{self, Platform, SecretKind};
use super::platform::{Pattern, device_pattern};
use super::replay::Replay;
use super::session_log::SessionLog;
use super::target::Target;
use super::text;
use crate::error::{Error, ErrorClass, Result};
use crate::secret::Secret;
use crate::telemetry::{Metrics, metrics};
use russh::client;
use russh::{ChannelMsg, Disconnect};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Per-command options.
#[derive(Debug, Clone, Default)]
pub struct CommandOptions {
    /// Overrides the command deadline.
    pub timeout: Option<Duration>,
    /// Ends the command on this pattern instead of a prompt.
    pub expect: Option<Pattern>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The first read after login: a prompt, sending Enter once if the
    /// device stays quiet without one (see [`LOGIN_NUDGE_QUIET`]).
    Login,
    Prompt,
    Command,
}

/// An open CLI session on a PTY shell.
pub struct CliSession {
    device: String,
    handle: Handle,
    channel: russh::Channel<client::Msg>,
    platform: Arc<Platform>,
    mode: usize,
    /// The login name, typed where the shell asks for it itself.
    username: String,
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
    /// A timing-mode command ended without a prompt of the platform (a menu,
    /// a question): the workflow that sent it may go on, but the pool must
    /// not hand the session to another one in that state.
    off_prompt: bool,
    /// The prompt line the device showed at login when no prompt of the
    /// platform matched it (a device whose prompt the platform does not
    /// know): that exact line then ends each answer, in the mode the session
    /// opened in, as Netmiko's learned base prompt does.
    learned: Option<String>,
    /// Enters sent after login to a device that showed no prompt: the
    /// platform's line ending, then (when that has no `\r` and got no
    /// answer) a carriage return.
    nudges: u8,
    /// An answer just typed at the shell's own login question, ended with
    /// the platform's line ending: if the device shows it (or, for the
    /// password, nothing) and then stays quiet, its line editor took the
    /// text and not the line feed.
    typed_answer: Option<TypedAnswer>,
    /// The mode the session logged in to (its first prompt's). The shell of
    /// that mode is the login shell itself: a transition out of it that
    /// leaves a shell ([`leaves_the_shell`]), such as Linux's `exit` from a
    /// root prompt, would end the session rather than change mode.
    login_mode: Option<usize>,
    /// Pagers answered so far: output read without answering one has no
    /// pager line to remove.
    pagers_answered: u32,
    /// Commands' echoes typed back a character a packet, read in one
    /// wake-up.
    pace: EchoPace,
}

/// Whether sending `command` leaves the shell it is typed in (`exit` from a
/// `sudo -s` root shell back to the user's): from the shell the session
/// logged in to, that would log out.
fn leaves_the_shell(command: &str) -> bool {
    let c = command.trim();
    ["exit", "logout", "quit", "bye"]
        .iter()
        .any(|w| c.eq_ignore_ascii_case(w))
}

/// Quiet time that ends a timing-mode command when none is given:
/// Netmiko's `last_read` of `send_command_timing`.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(2);

/// How long the device must stay quiet after a prompt-shaped line whose
/// stem differs from the learned one (`Device#` inside `show version`, or a
/// real prompt after `hostname X`) before it counts as the prompt.
const UNCONFIRMED_PROMPT_QUIET: Duration = Duration::from_secs(1);

/// How long the device may stay quiet at login before it is sent Enter:
/// after login without showing a prompt (some devices print nothing until a
/// key is pressed: a console-style `Press RETURN to get started`, a line
/// behind a terminal server; Netmiko and Scrapli both send Enter to find
/// the prompt), and after a line feed got no answer, when the Enter is sent
/// again as a carriage return. A device that was only slow answers it with
/// one more prompt, which is read away before the session goes on.
const LOGIN_NUDGE_QUIET: Duration = Duration::from_millis(1500);

/// An answer typed at the shell's own login question.
#[derive(Debug, PartialEq, Eq)]
enum TypedAnswer {
    /// The user name, which the shell echoes.
    UserName(String),
    /// The password, which it does not.
    Password,
}

/// Quiet that ends the read-away of what a nudged device sends.
const NUDGE_DRAIN_QUIET: Duration = Duration::from_millis(300);

/// A prompt that ends the read only once the device has gone quiet after
/// it for [`UNCONFIRMED_PROMPT_QUIET`].
struct Unconfirmed {
    mode: usize,
    /// The prompt as received (the whole line unless `glued`).
    prompt: String,
    /// Received after other text on its line.
    glued: bool,
    /// No prompt of the platform: the first prompt-shaped line after login,
    /// learned as the session's prompt once the device is quiet after it.
    learned: bool,
}

/// Whether a read has received the echo of the command it was sent for:
/// searched for in what arrives, once found no more.
struct Echo<'a> {
    /// The command as typed, trimmed; `None` once found (or when there is
    /// nothing to find: an Enter alone, a read not after a command).
    wanted: Option<&'a str>,
    /// How much of the received text was searched.
    searched: usize,
}

impl<'a> Echo<'a> {
    fn new(sent: Option<&'a str>) -> Echo<'a> {
        Echo {
            wanted: sent.map(str::trim).filter(|s| !s.is_empty()),
            searched: 0,
        }
    }

    /// Whether `buf` (all received so far, only ever appended to) holds
    /// the echo: as typed, or as a terminal shows it (a device that colours
    /// the command line or redraws it with escape sequences, backspaces
    /// and carriage returns echoes it so).
    fn received(&mut self, buf: &[u8]) -> bool {
        let Some(wanted) = self.wanted else {
            return true;
        };
        // The echo may straddle the end of the part already searched.
        let from = self.searched.saturating_sub(wanted.len() - 1);
        self.searched = buf.len();
        let found = memchr::memmem::find(&buf[from..], wanted.as_bytes()).is_some()
            || (memchr::memchr3(0x1b, 0x08, b'\r', buf).is_some()
                && text::normalise(&String::from_utf8_lossy(buf)).contains(wanted));
        if found {
            self.wanted = None;
        }
        found
    }
}

/// The last line received after login, when it has the shape of a CLI
/// prompt although no prompt of the platform matches it: short, ending in
/// one of the prompt characters (`>`, `#`, `$`, `%`, `]`, maybe a blank),
/// with a letter or digit in it (not a banner's row of `#`), and neither a
/// question (`?`, `[y/n]`) nor a login challenge (`:`).
fn learnable_prompt(line: &str) -> Option<&str> {
    let prompt = line.trim();
    let last = prompt.chars().last()?;
    // `Continue? [y/n]`, `Save [yes/no]`: questions, not prompts.
    let question = prompt.contains('?')
        || (last == ']' && prompt.rsplit('[').next().is_some_and(|b| b.contains('/')));
    let shaped = (2..=80).contains(&prompt.len())
        && matches!(last, '>' | '#' | '$' | '%' | ']')
        && prompt.chars().any(char::is_alphanumeric)
        && prompt.split_whitespace().count() <= 3;
    (shaped && !question).then_some(prompt)
}

/// A shell's own login question on the last line: `User Name:`,
/// `Username:`, `User:`, `login:`, `Password:`, and Avaya/Extreme ERS's
/// `Enter Username:` / `Enter Password:` (its local password security),
/// Brocade/Ruckus FastIron's `Please Enter Login Name:` / `Please Enter
/// Password:`; and the questions of an account whose password must be
/// changed (`Enter new password:`, `Current password:`), which
/// [`password_change`] tells apart.
fn login_question() -> &'static Pattern {
    static QUESTION: std::sync::OnceLock<Pattern> = std::sync::OnceLock::new();
    QUESTION.get_or_init(|| {
        device_pattern(
            r"(?i)^\s*(?:please\s+)?(?:enter\s+)?(?:(?:the|a|your)\s+)?(?:(?:new|old|current|\(current\))\s+(?:unix\s+)?)?(?:user\s?name|login(?:\s?name)?|user|password)\s*:\s*$",
        )
            .expect("a valid pattern")
    })
}

/// What ends a read besides a prompt of the platform.
#[derive(Debug, Clone, Copy)]
enum Until<'a> {
    /// Nothing else.
    Prompt,
    /// A last line this pattern matches.
    Pattern(&'a Pattern),
    /// The shell's own login question ([`login_question`]).
    LoginQuestion,
}

impl<'a> From<Option<&'a Pattern>> for Until<'a> {
    fn from(pattern: Option<&'a Pattern>) -> Self {
        pattern.map_or(Until::Prompt, Until::Pattern)
    }
}

impl Until<'_> {
    /// Whether `line`, the last line received, ends the read.
    fn matches(self, line: &str) -> bool {
        match self {
            Until::Prompt => false,
            Until::Pattern(p) => p.is_match(line),
            // Each ends with `:`: the pattern is compiled only once a line
            // does (most sessions never see one).
            Until::LoginQuestion => {
                line.trim_end().ends_with(':') && login_question().is_match(line)
            }
        }
    }
}

/// Whether the shell's question `asked` is for a new password or the
/// current one to change it: the account's password expired or must be
/// changed at first login (PAM's `Current password:`, IOS's `Enter new
/// password:`, Junos's `New password:`). netrun never changes a password.
fn password_change(asked: &str) -> bool {
    let asked = asked.to_ascii_lowercase();
    ["new ", "old ", "current ", "(current)"]
        .iter()
        .any(|w| asked.contains(w))
        && asked.contains("password")
}

/// What a secret of `kind` is called in messages, and the inventory key
/// that sets it.
fn secret_names(kind: SecretKind) -> (&'static str, &'static str) {
    match kind {
        SecretKind::Password => ("password", "password"),
        SecretKind::EnableSecret => ("enable secret", "connection_options.netrun.extras.secret"),
    }
}

/// The stem of a prompt line: everything before the first mode character,
/// without what changes from one prompt to the next on its own: ExtremeXOS
/// prints `* ` before the name while the configuration is unsaved and a
/// command counter after it (`* X440G2-48p.12 #`, then `X440G2-48p.13 #`).
pub(crate) fn prompt_stem(line: &str) -> &str {
    let line = line.trim();
    let end = line
        .find(['>', '#', '(', '$', '%', ']'])
        .unwrap_or(line.len());
    let stem = line[..end].trim_end();
    let stem = stem.strip_prefix("* ").unwrap_or(stem);
    match stem.rsplit_once('.') {
        Some((name, counter))
            if !name.is_empty()
                && !counter.is_empty()
                && counter.bytes().all(|b| b.is_ascii_digit()) =>
        {
            name
        }
        _ => stem,
    }
}

fn err(class: ErrorClass, message: String) -> Error {
    Error::new(class, message)
}

impl CliSession {
    /// Connect, verify the host key, authenticate, open a shell, reach the
    /// platform's default mode and run its on-open commands.
    pub async fn open(target: &Target, platform: Arc<Platform>) -> Result<CliSession> {
        Self::open_reporting(target, platform, &|_| {}).await
    }

    /// As [`CliSession::open`], telling `step` which step it is in, so a
    /// device deadline that passes names it (a device that hangs after
    /// login is not "connecting").
    pub async fn open_reporting(
        target: &Target,
        platform: Arc<Platform>,
        step: &(dyn Fn(&'static str) + Sync),
    ) -> Result<CliSession> {
        let t = target.timeouts;
        let device = &target.device;
        let started = Instant::now();
        let ((stream, echo_wait), platform) = match &target.replay {
            // The recorded device's refusals name the fix on their own line.
            Some(r) => (
                (r.connect(&platform)?, None),
                Arc::new(Replay::platform(&platform)),
            ),
            None => (target.connect().await?, platform),
        };
        let credentials = target.credentials();
        step("authenticating");
        let handle = dial::login(stream, &target.endpoint(&credentials)).await?;
        step("opening a shell after login");
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

        if let Some(wait) = &echo_wait {
            wait.shell_opened();
        }
        let default_mode = platform.default_mode;
        let mut session = CliSession {
            device: device.clone(),
            handle,
            channel,
            platform,
            mode: default_mode,
            username: target.username.clone(),
            password: target.password.clone(),
            enable_secret: target.enable_secret.clone(),
            timeouts: t,
            closed: false,
            stem: None,
            log: open_session_log(target),
            desynced: false,
            off_prompt: false,
            learned: None,
            nudges: 0,
            typed_answer: None,
            login_mode: None,
            pagers_answered: 0,
            pace: EchoPace::new(device, echo_wait),
        };
        m.sessions_open.inc();
        m.sessions_opened.inc();
        step("waiting for the first prompt after login");
        session.pace.shell_asked();
        session.settle().await?;
        session.login_mode = Some(session.mode);
        session.acquire(session.platform.default_mode).await?;
        step("running the on-open commands");
        let on_open = session.platform.on_open.clone();
        for command in on_open {
            let out = session
                .exchange(&command, None, t.prompt, Phase::Prompt)
                .await?;
            if let Some(line) = session.platform.refusal_in(&out) {
                tracing::debug!(device = %session.device, command, line, "on-open command refused");
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
        let (raw, stop) = self
            .read_until(deadline, Until::LoginQuestion, false, None, Phase::Login)
            .await?;
        let (raw, stop) = self.log_in_in_shell(raw, stop, deadline).await?;
        self.set_mode(stop);
        if self.nudges > 0 {
            // Enter was sent to a quiet device: whatever else it answers
            // (a second prompt, if it was only slow) is read away, so the
            // next read starts in step.
            self.drain(deadline, NUDGE_DRAIN_QUIET).await?;
        }
        if self.nudges > 1 {
            // The line feed got nothing and the carriage return a prompt.
            self.end_lines_with_cr();
        }
        // A device of this platform that speaks one of its variants (SR OS
        // MD-CLI under `nokia_sros`) is driven as that platform from here:
        // the prompt read again below is one of its modes.
        if let Some(variant) = self
            .platform
            .variant_of(&text::last_line(&raw, 4096))
            .cloned()
        {
            tracing::debug!(device = %self.device, from = %self.platform.name, to = %variant.name, "the first prompt tells the platform's variant");
            self.mode = variant.default_mode;
            self.stem = None;
            self.platform = variant;
        }
        let le = self.platform.line_ending.clone();
        self.write(&le).await?;
        let (_, stop) = self.answer_to_enter(deadline, &le).await?;
        self.set_mode(stop);
        Ok(())
    }

    /// The prompt that answers the Enter just sent (`le`) at login. A shell
    /// whose line editor takes only a carriage return as Enter (what a
    /// person's terminal sends; linenoise, Go's `x/term` before it learned
    /// `\n`, many embedded CLIs) ignores a bare line feed: when `le` has no
    /// `\r` and the device stays quiet for [`LOGIN_NUDGE_QUIET`], Enter is sent
    /// again as `\r`, and once that is answered every line of this session
    /// ends with `\r` (which any device CLI takes: it is the Enter key). A
    /// device that was only slow answers both; the second prompt is read
    /// away.
    async fn answer_to_enter(&mut self, deadline: Instant, le: &str) -> Result<(String, Stop)> {
        if le.contains('\r') {
            return self
                .read_until(deadline, Until::Prompt, true, None, Phase::Prompt)
                .await;
        }
        let quiet = deadline.min(Instant::now() + LOGIN_NUDGE_QUIET);
        match self
            .read_until(quiet, Until::Prompt, true, None, Phase::Prompt)
            .await
        {
            Err(e)
                if e.class == ErrorClass::PromptTimeout
                    && !self.closed
                    && Instant::now() < deadline =>
            {
                tracing::debug!(device = %self.device, "no answer to Enter sent as a line feed: sending a carriage return");
                self.desynced = false;
                self.write("\r").await?;
                let answer = self
                    .read_until(deadline, Until::Prompt, true, None, Phase::Prompt)
                    .await?;
                self.end_lines_with_cr();
                self.drain(deadline, NUDGE_DRAIN_QUIET).await?;
                Ok(answer)
            }
            other => other,
        }
    }

    /// Every line of this session ends with `\r` from here on: the device
    /// answered a carriage return where the platform's line ending got
    /// nothing.
    fn end_lines_with_cr(&mut self) {
        tracing::debug!(device = %self.device, "the device answered a carriage return: it ends this session's lines");
        let mut platform = (*self.platform).clone();
        platform.line_ending = "\r".into();
        self.platform = Arc::new(platform);
    }

    /// Whether `buf`, read since an answer was typed at the shell's login
    /// question with a line ending that has no `\r`, shows the answer typed
    /// and no line break after it: the user name's echo, or for the
    /// password (not echoed) nothing but the `*` some shells show for each
    /// character. The line editor took the text and not the line feed (one
    /// that takes only a carriage return as Enter). A device that took it
    /// echoes the line break at once, however slow its check and its next
    /// question; a user name not echoed is left alone.
    fn echoed_without_enter(&self, buf: &[u8]) -> bool {
        let Some(typed) = &self.typed_answer else {
            return false;
        };
        if self.platform.line_ending.contains('\r') || buf.contains(&b'\n') {
            return false;
        }
        match typed {
            TypedAnswer::UserName(name) => buf.trim_ascii_end().ends_with(name.as_bytes()),
            TypedAnswer::Password => buf.iter().all(|&b| b == b'*' || b == b' '),
        }
    }

    /// How many Enters a device quiet after login is sent: the platform's
    /// line ending, then a carriage return unless that was one already.
    fn login_nudges(&self) -> u8 {
        if self.platform.line_ending.contains('\r') {
            1
        } else {
            2
        }
    }

    /// Answer the shell's own `User Name:` / `Password:` questions, asked
    /// after SSH authentication by switches whose SSH login is not their
    /// user table's (Cisco Small Business, Dell PowerConnect, Avaya ERS) and
    /// by consoles behind terminal servers, with the inventory's user name
    /// and password, as Netmiko's login handlers for them do; `stop` is the
    /// first read's end. A question asked again after the password was
    /// typed is a refused login.
    async fn log_in_in_shell(
        &mut self,
        mut raw: String,
        mut stop: Stop,
        deadline: Instant,
    ) -> Result<(String, Stop)> {
        let mut typed_password = false;
        while stop == Stop::Pattern {
            let asked = text::last_line(&raw, 256).trim().to_string();
            if password_change(&asked) {
                self.closed = true;
                let said = text::normalise(&raw);
                let why = said
                    .lines()
                    .rev()
                    .skip(1)
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(|l| format!(" after `{l}`"))
                    .unwrap_or_default();
                return Err(err(
                    ErrorClass::Auth,
                    format!(
                        "{}: the device asks `{asked}`{why}: the account's password has expired or must be changed before it can log in; change it on the device (or with the AAA server) and update the inventory's password (netrun does not change passwords)",
                        self.device
                    ),
                ));
            }
            let wants_password = asked.to_ascii_lowercase().contains("pass");
            if typed_password {
                self.closed = true;
                return Err(err(
                    ErrorClass::Auth,
                    format!(
                        "{}: the device's shell asked `{asked}` again after the password was typed at its own login prompt: the user name or password is wrong for the device's local login; check the inventory's username and password",
                        self.device
                    ),
                ));
            }
            if wants_password {
                tracing::debug!(device = %self.device, "the shell asks for the password itself: typing it");
                let asker = format!("the device's shell (`{asked}` after login)");
                self.type_secret(SecretKind::Password, &asker).await?;
                typed_password = true;
                self.typed_answer = Some(TypedAnswer::Password);
            } else {
                tracing::debug!(device = %self.device, "the shell asks for the user name itself: typing it");
                let le = self.platform.line_ending.clone();
                let user = self.username.clone();
                self.write(&format!("{user}{le}")).await?;
                self.typed_answer = Some(TypedAnswer::UserName(user));
            }
            let answer = self
                .read_until(deadline, Until::LoginQuestion, true, None, Phase::Prompt)
                .await;
            self.typed_answer = None;
            (raw, stop) = answer?;
        }
        Ok((raw, stop))
    }

    /// Type the inventory's secret of `kind` and a line ending, as the
    /// answer to `asker`'s question (`` `enable` ``, the device's shell);
    /// none in the inventory is an `auth` error naming the key to set. The
    /// secret is never logged.
    async fn type_secret(&mut self, kind: SecretKind, asker: &str) -> Result<()> {
        let secret = match kind {
            SecretKind::Password => &self.password,
            SecretKind::EnableSecret => &self.enable_secret,
        };
        let Some(secret) = secret.clone() else {
            let (what, key) = secret_names(kind);
            return Err(err(
                ErrorClass::Auth,
                format!(
                    "{}: {asker} asks for the {what}, and the inventory has none: set {key}",
                    self.device
                ),
            ));
        };
        let le = self.platform.line_ending.clone();
        self.write(&format!("{}{le}", secret.expose())).await
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
        let login_mode = self.login_mode;
        let path = platform.path_where(self.mode, target, |from, t| {
            Some(from) != login_mode || !leaves_the_shell(&t.send)
        });
        let Some(path) = path else {
            // Reachable only by leaving the login shell (a Linux host logged
            // in to as root, whose `exit` would log out): when that shell's
            // mode is itself reached from the one wanted (root from `sudo -s`
            // at a user prompt), it can do what that one does: stay.
            if Some(self.mode) == login_mode
                && platform.path(self.mode, target).is_some()
                && platform.path(target, self.mode).is_some()
            {
                tracing::debug!(
                    device = %self.device,
                    mode = %platform.modes[self.mode].name,
                    wanted = %platform.modes[target].name,
                    "staying in the mode of the login shell: leaving it would log out"
                );
                return Ok(());
            }
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
            // Its echo is followed as a command's is (a device that types
            // `enable` back a character a packet will so type the next
            // command); a secret asked for is not echoed, nor waited for.
            let challenge = step.challenge.as_ref();
            let (_, mut stop) = self
                .send_and_read(
                    &step.send,
                    challenge.map(|c| &c.prompt),
                    self.timeouts.prompt,
                    Phase::Prompt,
                )
                .await?;
            let mut answered = false;
            if stop == Stop::Pattern {
                // Unwrap-free: Stop::Pattern only happens when a challenge was given.
                let Some(c) = challenge else { break };
                let (what, key) = secret_names(c.answer);
                self.type_secret(c.answer, &format!("`{}`", step.send))
                    .await?;
                answered = true;
                let deadline = Instant::now() + self.timeouts.prompt;
                stop = self
                    .read_until(
                        deadline,
                        Until::Pattern(&c.prompt),
                        true,
                        None,
                        Phase::Prompt,
                    )
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
    /// echo and prompt. A refusal at the head of the output (one of the
    /// platform's failure indicators, [`Platform::refusal_in`]) is an error.
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
        steps: &[(String, Option<Pattern>)],
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

    /// Send one command in the current mode and return what the device
    /// printed until it stayed quiet for `settle` (Netmiko's
    /// `send_command_timing`), for output that ends in no prompt of the
    /// platform: menus, questions, a prompt the platform's patterns miss.
    /// Pagers are answered; echo and a trailing prompt, if any, are removed.
    /// Nothing received, or output that never goes quiet, within the
    /// command timeout is a `command-timeout`.
    pub async fn send_command_timing(
        &mut self,
        command: &str,
        settle: Duration,
        opts: &CommandOptions,
    ) -> Result<String> {
        let timeout = opts.timeout.unwrap_or(self.timeouts.command);
        if settle.is_zero() || settle >= timeout {
            return Err(err(
                ErrorClass::Internal,
                format!(
                    "{}: a settle time of {} cannot end `{command}` within its command timeout of {}: give a settle time above zero and below the command timeout",
                    self.device,
                    secs(settle),
                    secs(timeout)
                ),
            ));
        }
        let started = Instant::now();
        let le = self.platform.line_ending.clone();
        self.write(&format!("{command}{le}")).await?;
        let platform = self.platform.clone();
        let end = read_quiet(self, &platform, settle, started + timeout).await;
        let raw = match end {
            Quiet::Settled(buf) => text::into_text(buf),
            Quiet::Closed(buf) => return Err(self.closed_by_device(&buf)),
            Quiet::Failed(e) => return Err(e),
            Quiet::Silent | Quiet::Streaming(_) => {
                self.desynced = true;
                let (what, buf) = match &end {
                    Quiet::Streaming(buf) => (
                        format!("its output did not stay quiet for {}", secs(settle)),
                        buf.as_slice(),
                    ),
                    _ => ("the device printed nothing".to_string(), &[][..]),
                };
                let seen = tail_chars(&text::normalise(&String::from_utf8_lossy(buf)), 200);
                return Err(err(
                    ErrorClass::CommandTimeout,
                    format!(
                        "{}: `{command}` in timing mode: {what} within {}; raise --command-timeout, or lower --settle for a device that never stops printing; last 200 characters received: {seen:?}",
                        self.device,
                        secs(timeout)
                    ),
                ));
            }
        };
        // Ended at a prompt of the platform: the session is back in step in
        // that mode; else it waits in a menu or a question.
        let last = text::last_lines(&raw, 4096, self.platform.prompt_lines);
        match self.platform.mode_of(&last) {
            Some(m) => {
                self.mode = m;
                self.off_prompt = false;
            }
            None => self.off_prompt = true,
        }
        // Pagers answered while it was quiet-reading are not counted.
        self.command_output(&raw, command, opts, started, true)
    }

    async fn run_in_mode(&mut self, command: &str, opts: &CommandOptions) -> Result<String> {
        let timeout = opts.timeout.unwrap_or(self.timeouts.command);
        let started = Instant::now();
        let paged_before = self.pagers_answered;
        let raw = self
            .exchange(command, opts.expect.as_ref(), timeout, Phase::Command)
            .await?;
        let paged = self.pagers_answered != paged_before;
        self.command_output(&raw, command, opts, started, paged)
    }

    /// A command's answer as the caller gets it: timed, cleaned (pager
    /// lines removed when a pager was `paged` during it), and a refusal at
    /// its head made a `rejected-command`.
    fn command_output(
        &self,
        raw: &str,
        command: &str,
        opts: &CommandOptions,
        started: Instant,
        paged: bool,
    ) -> Result<String> {
        Metrics::observe(
            &metrics().command_seconds,
            &self.platform.name,
            started.elapsed(),
        );
        let mut out = clean_output(raw, command, &self.platform, opts.keep_prompt, paged);
        if !opts.keep_prompt
            && let Some(learned) = &self.learned
        {
            drop_learned_prompt(&mut out, learned);
        }
        if let Some(line) = self.platform.refusal_in(&out) {
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
        expect: Option<&Pattern>,
        timeout: Duration,
        phase: Phase,
    ) -> Result<String> {
        let (raw, stop) = self.send_and_read(input, expect, timeout, phase).await?;
        self.set_mode(stop);
        if matches!(stop, Stop::Prompt(_)) {
            self.off_prompt = false;
        }
        Ok(raw)
    }

    /// Write `input` and a line ending, then read to the next prompt (or
    /// `expect`) within `timeout`, following the input's echo
    /// ([`EchoPace`]): a read threshold raised for it is lowered however
    /// the read ends.
    async fn send_and_read(
        &mut self,
        input: &str,
        expect: Option<&Pattern>,
        timeout: Duration,
        phase: Phase,
    ) -> Result<(String, Stop)> {
        let le = self.platform.line_ending.clone();
        self.pace.sending(input.trim(), timeout);
        let _lower = self.pace.lower_on_drop();
        self.write(&format!("{input}{le}")).await?;
        let deadline = Instant::now() + timeout;
        let read = self
            .read_until(deadline, expect.into(), true, Some(input), phase)
            .await;
        self.pace.answered();
        read
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
    /// prompt cannot end the read early. With `echo` (the command just
    /// sent), a prompt counts at once only after the command's echo: one
    /// received before it is a prompt the device printed earlier and late
    /// (a slow device answering both the Enter sent to find its prompt and
    /// the one after), taken only if the device then stays quiet (a device
    /// that echoes nothing, or not as typed), as Scrapli and Netmiko read
    /// to the echo before they look for the prompt.
    async fn read_until(
        &mut self,
        deadline: Instant,
        until: Until<'_>,
        after_newline: bool,
        echo: Option<&str>,
        phase: Phase,
    ) -> Result<(String, Stop)> {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut echo = Echo::new(echo);
        let mut answered_pager_at = usize::MAX;
        let mut checked_len = usize::MAX;
        // A prompt-shaped line with an unexpected stem, or the prompt glued
        // to output that did not end its line: accepted if nothing follows
        // it for UNCONFIRMED_PROMPT_QUIET.
        let mut unconfirmed: Option<Unconfirmed> = None;
        loop {
            if buf.len() != checked_len {
                checked_len = buf.len();
                unconfirmed = None;
                // Only the last line can be a prompt or a pager: decode
                // from the last newline (of the last 4 KiB) on, not the
                // whole window, for each of the many small pieces a device
                // that echoes or prints line by line sends.
                let lines = self.platform.prompt_lines;
                let window = &buf[buf.len().saturating_sub(4096)..];
                let window = match window.iter().rposition(|&b| b == b'\n') {
                    Some(i) if lines == 1 => &window[i + 1..],
                    _ => window,
                };
                let tail = String::from_utf8_lossy(window);
                // The prompt's lines: the last line, or as many as the
                // platform's longest prompt spans.
                let text = text::last_lines(&tail, 4096, lines);
                let line = platform::tail_lines(&text, 1);
                if until.matches(line) {
                    return Ok((text::into_text(buf), Stop::Pattern));
                }
                if (!after_newline || buf.contains(&b'\n'))
                    && let Some(m) = self.platform.mode_of(&text)
                {
                    match &self.stem {
                        Some(stem) if prompt_stem(line) != stem => {
                            unconfirmed = Some(Unconfirmed {
                                mode: m,
                                prompt: line.to_string(),
                                glued: false,
                                learned: false,
                            })
                        }
                        _ if !echo.received(&buf) => {
                            unconfirmed = Some(Unconfirmed {
                                mode: m,
                                prompt: line.to_string(),
                                glued: false,
                                learned: false,
                            })
                        }
                        _ => {
                            self.stem = Some(prompt_stem(line).to_string());
                            return Ok((text::into_text(buf), Stop::Prompt(m)));
                        }
                    }
                }
                if let Some(learned) = &self.learned
                    && (!after_newline || buf.contains(&b'\n'))
                    && line.trim() == learned
                {
                    return Ok((text::into_text(buf), Stop::Prompt(self.mode)));
                }
                if unconfirmed.is_none()
                    && (!after_newline || buf.contains(&b'\n'))
                    && let Some(glued) = self.glued_prompt(line)
                {
                    unconfirmed = Some(glued);
                }
                // The first prompt after login, of a shape the platform
                // does not know: taken once the device is quiet after it.
                if unconfirmed.is_none()
                    && matches!(phase, Phase::Prompt | Phase::Login)
                    && self.stem.is_none()
                    && self.learned.is_none()
                    && let Some(prompt) = learnable_prompt(line)
                {
                    unconfirmed = Some(Unconfirmed {
                        mode: self.mode,
                        prompt: prompt.to_string(),
                        glued: false,
                        learned: true,
                    });
                }
                if answered_pager_at != buf.len()
                    && let Some(pager) = self.platform.pager_of(line)
                {
                    answered_pager_at = buf.len();
                    self.pagers_answered += 1;
                    let keys = pager.keys.clone();
                    self.write(&keys).await?;
                }
            }
            let nudge = phase == Phase::Login && self.nudges < self.login_nudges();
            let echoed = self.echoed_without_enter(&buf);
            let wait_until = match &unconfirmed {
                Some(_) => deadline.min(Instant::now() + UNCONFIRMED_PROMPT_QUIET),
                None if nudge || echoed => deadline.min(Instant::now() + LOGIN_NUDGE_QUIET),
                None => deadline,
            };
            let waited =
                tokio::time::timeout_at(self.pace.wait_until(wait_until), self.channel.wait())
                    .await;
            if waited.is_err() && self.pace.give_up_now() {
                // What the raised threshold held back is read now.
                continue;
            }
            let msg = match waited {
                Ok(m) => m,
                Err(_) if echoed && unconfirmed.is_none() && Instant::now() < deadline => {
                    tracing::debug!(device = %self.device, "the shell showed the answer typed at its login question and took no line feed: sending a carriage return");
                    if self.typed_answer.take() == Some(TypedAnswer::Password) {
                        // A shell that was only slow to check it (and
                        // echoed no line break) takes this Enter at its
                        // prompt: what it answers is read away after login.
                        self.nudges += 1;
                    }
                    self.write("\r").await?;
                    self.end_lines_with_cr();
                    continue;
                }
                Err(_) if nudge && unconfirmed.is_none() && Instant::now() < deadline => {
                    let enter = match self.nudges {
                        0 => self.platform.line_ending.clone(),
                        _ => "\r".to_string(),
                    };
                    tracing::debug!(device = %self.device, enter = ?enter, "no prompt after login and the device is quiet: sending Enter");
                    self.nudges += 1;
                    self.write(&enter).await?;
                    continue;
                }
                Err(_) => {
                    if let Some(u) = unconfirmed.take() {
                        // Quiet after it: it is the prompt (the hostname
                        // changed, or the output's last line had no end).
                        self.stem = Some(prompt_stem(&u.prompt).to_string());
                        if u.learned {
                            tracing::warn!(
                                device = %self.device,
                                platform = %self.platform.name,
                                prompt = %u.prompt,
                                "no prompt of the platform matches the device's prompt: using the prompt it showed at login (commands run in the mode it opened in; mode changes need the right platform)"
                            );
                            self.learned = Some(u.prompt.clone());
                        }
                        let mut raw = text::into_text(buf);
                        if u.glued
                            && let Some(at) = raw.rfind(&u.prompt)
                        {
                            // The prompt on a line of its own, as the
                            // output's cleaning expects it.
                            raw.insert(at, '\n');
                        }
                        return Ok((raw, Stop::Prompt(u.mode)));
                    }
                    self.desynced = true;
                    return Err(self.timed_out(&buf, phase));
                }
            };
            let had = buf.len();
            self.append_received(msg, &mut buf)?;
            if buf.len() > had && self.pace.watching() {
                let wanted = echo.wanted;
                let whole = echo.received(&buf);
                self.pace.piece(&buf, wanted, whole, deadline);
            }
        }
    }

    /// One message of the channel into `buf`: its data is logged and
    /// appended; the channel's end is the error that names what was read.
    fn append_received(&mut self, msg: Option<ChannelMsg>, buf: &mut Vec<u8>) -> Result<()> {
        match msg {
            Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => {
                if let Some(log) = self.log.as_mut() {
                    log.received(&data);
                }
                buf.extend_from_slice(&data);
                Ok(())
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => Err(self.closed_by_device(buf)),
            Some(_) => Ok(()),
        }
    }

    /// Read and drop what the device sends until it has been quiet for
    /// `quiet` (or `deadline` passes).
    async fn drain(&mut self, deadline: Instant, quiet: Duration) -> Result<()> {
        let mut dropped: Vec<u8> = Vec::new();
        loop {
            let until = deadline.min(Instant::now() + quiet);
            let Ok(msg) = tokio::time::timeout_at(until, self.channel.wait()).await else {
                if !dropped.is_empty() {
                    tracing::debug!(device = %self.device, bytes = dropped.len(), "read away after the Enter sent at login");
                }
                return Ok(());
            };
            self.append_received(msg, &mut dropped)?;
        }
    }

    /// The learned prompt at the end of `line` after other text: output
    /// that did not end its last line (`cat` of a file without a final line
    /// break, a message printed without one: `Pagination disabled.r1#`).
    fn glued_prompt(&self, line: &str) -> Option<Unconfirmed> {
        let stem = self.stem.as_deref().filter(|s| !s.is_empty())?;
        if self.platform.prompt_lines != 1 {
            return None;
        }
        let at = line.rfind(stem).filter(|&at| at > 0)?;
        let prompt = &line[at..];
        if prompt_stem(prompt) != stem {
            return None;
        }
        let mode = self.platform.mode_of(prompt)?;
        Some(Unconfirmed {
            mode,
            prompt: prompt.to_string(),
            glued: true,
            learned: false,
        })
    }

    /// The device ended the channel: the session is gone.
    fn closed_by_device(&mut self, buf: &[u8]) -> Error {
        self.closed = true;
        let seen = tail_chars(&text::normalise(&String::from_utf8_lossy(buf)), 200);
        err(
            ErrorClass::SessionClosed,
            format!(
                "{}: the device closed the session; last output: {seen:?}",
                self.device
            ),
        )
    }

    fn timed_out(&self, buf: &[u8], phase: Phase) -> Error {
        let seen = tail_chars(&text::normalise(&String::from_utf8_lossy(buf)), 200);
        let (class, what, fix) = match phase {
            Phase::Login | Phase::Prompt => (
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

impl Drop for CliSession {
    fn drop(&mut self) {
        metrics().sessions_open.dec();
    }
}

/// How a timing-mode read ended.
enum Quiet {
    /// Output came and then nothing for the settle time.
    Settled(Vec<u8>),
    /// The deadline passed with nothing received.
    Silent,
    /// The deadline passed while output kept coming.
    Streaming(Vec<u8>),
    /// The device closed the channel.
    Closed(Vec<u8>),
    /// Answering a pager failed.
    Failed(Error),
}

/// What a timing-mode read needs of a channel: the session's, or a scripted
/// one in tests.
trait Wire {
    /// The next bytes received; `None` once the channel is closed.
    fn receive(&mut self) -> impl std::future::Future<Output = Option<Vec<u8>>> + Send;
    /// Send keys (a pager's).
    fn send(&mut self, keys: &str) -> impl std::future::Future<Output = Result<()>> + Send;
}

impl Wire for CliSession {
    async fn receive(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.channel.wait().await {
                Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => {
                    if let Some(log) = self.log.as_mut() {
                        log.received(&data);
                    }
                    return Some(data.to_vec());
                }
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return None,
                Some(_) => {}
            }
        }
    }

    async fn send(&mut self, keys: &str) -> Result<()> {
        self.write(keys).await
    }
}

/// Read until the device has been quiet for `settle` after it printed
/// something (Netmiko's `read_channel_timing`), answering pagers, or until
/// `deadline`. Quiet counts only once output came: a slow device that has
/// not answered yet is not done.
async fn read_quiet(
    wire: &mut impl Wire,
    platform: &Platform,
    settle: Duration,
    deadline: Instant,
) -> Quiet {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let quiet_until = (!buf.is_empty()).then(|| Instant::now() + settle);
        let wait_until = quiet_until.map_or(deadline, |q| q.min(deadline));
        match tokio::time::timeout_at(wait_until, wire.receive()).await {
            Ok(Some(data)) => {
                buf.extend_from_slice(&data);
                let window = &buf[buf.len().saturating_sub(4096)..];
                let window = String::from_utf8_lossy(window);
                let line = text::last_line(&window, 4096);
                if let Some(pager) = platform.pager_of(&line) {
                    let keys = pager.keys.clone();
                    if let Err(e) = wire.send(&keys).await {
                        return Quiet::Failed(e);
                    }
                }
            }
            Ok(None) => return Quiet::Closed(buf),
            Err(_) => {
                return match quiet_until {
                    Some(q) if q <= deadline => Quiet::Settled(buf),
                    Some(_) => Quiet::Streaming(buf),
                    None => Quiet::Silent,
                };
            }
        }
    }
}

/// The transcript of `target`'s session when `--session-log` is on; its
/// secrets are known here so they are redacted before reaching disk.
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

/// Normalise a command's raw output: terminal rendering, echo removed,
/// pager prompts (when a pager was answered: `paged`) and the trailing
/// prompt dropped. Without a pager answered, every line is the device's
/// output, and none is matched against the pager patterns (a regex search a
/// line was most of the cleaning's cost).
pub fn clean_output(
    raw: &str,
    command: &str,
    platform: &Platform,
    keep_prompt: bool,
    paged: bool,
) -> String {
    let rendered = text::normalise(raw);
    let mut lines: Vec<&str> = rendered
        .split('\n')
        .filter(|l| !paged || platform.pager_of(l).is_none() || l.len() > 80)
        .collect();
    // The echo of the command is the first line (possibly after blank lines).
    let command = command.trim();
    if !command.is_empty()
        && let Some(i) = lines.iter().position(|l| !l.trim().is_empty())
        && lines[i].trim_end().ends_with(command)
    {
        lines.drain(..=i);
    } else if command.is_empty() && lines.len() > 1 && lines[0].trim().is_empty() {
        // An empty line's echo is the line break alone (an answer accepting a default).
        lines.remove(0);
    }
    if !keep_prompt && !lines.is_empty() {
        // The prompt: its last line, and the lines above it where it spans
        // several (SR OS MD-CLI's context line).
        let n = platform.prompt_lines.min(lines.len());
        let prompt = lines[lines.len() - n..].join("\n");
        if let Some(m) = platform.mode_of(&prompt) {
            let spans = platform.modes[m].lines.min(lines.len());
            lines.truncate(lines.len() - spans);
        }
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// Drop the learned prompt (see `CliSession::learned`) that ends `out`,
/// and the blank lines before it.
fn drop_learned_prompt(out: &mut String, learned: &str) {
    let start = out.rfind('\n').map_or(0, |i| i + 1);
    if out[start..].trim() == learned {
        out.truncate(start);
        let kept = out.trim_end().len();
        out.truncate(kept);
    }
}

/// `5s`, `1.5s`, as the timeout flags take them.
fn secs(d: Duration) -> String {
    crate::resilience::deadline::seconds(d)
}

impl crate::resilience::pool::Pooled for CliSession {
    fn is_alive(&self) -> bool {
        CliSession::is_alive(self) && !self.off_prompt
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
    fn a_commands_echo_is_found_across_the_pieces_it_arrives_in() {
        let mut echo = Echo::new(Some(" show version "));
        let mut buf = b"\r\nr1#".to_vec();
        assert!(!echo.received(&buf), "a prompt before the echo is not it");
        buf.extend_from_slice(b"show ver");
        assert!(!echo.received(&buf));
        buf.extend_from_slice(b"sion\r\nCisco IOS Software\r\nr1#");
        assert!(echo.received(&buf), "the echo straddles two pieces");
        assert!(echo.received(b""), "once found, found");
        // Nothing to find after an Enter alone or a read not after a command.
        assert!(Echo::new(Some("")).received(b"r1#"));
        assert!(Echo::new(Some("  ")).received(b"r1#"));
        assert!(Echo::new(None).received(b"r1#"));
        // Echoed as a terminal shows it: coloured, or redrawn.
        let mut echo = Echo::new(Some("show version"));
        assert!(echo.received(b"r1#\x1b[1mshow\x1b[0m \x1b[32mversion\x1b[0m\r\n"));
        let mut echo = Echo::new(Some("show version"));
        assert!(echo.received(b"r1#show verz\x08sion\r\n"));
        let mut echo = Echo::new(Some("show version"));
        assert!(!echo.received(b"r1#\x1b[1mshow\x1b[0m\r\nr1#"));
        // Found in the piece it first arrives in, however many came before.
        let mut echo = Echo::new(Some("terminal length 0"));
        let mut buf = Vec::new();
        for piece in ["\r\n", "r1#", "t", "erminal length 0", "\r\nr1#"] {
            buf.extend_from_slice(piece.as_bytes());
            let found = echo.received(&buf);
            assert_eq!(found, buf.len() >= 22, "{piece:?}");
        }
    }

    #[test]
    fn prompt_stem_is_the_text_before_the_mode_character() {
        assert_eq!(prompt_stem("r001#"), "r001");
        assert_eq!(prompt_stem("r001(config-if)# "), "r001");
        assert_eq!(prompt_stem("admin@core1> "), "admin@core1");
        assert_eq!(prompt_stem("RP/0/RP0/CPU0:xr1#"), "RP/0/RP0/CPU0:xr1");
        assert_eq!(prompt_stem("Device#"), "Device");
        // ExtremeXOS: the unsaved mark and the command counter come and go.
        assert_eq!(prompt_stem("* X440G2-48p-10G4.12 # "), "X440G2-48p-10G4");
        assert_eq!(prompt_stem("X440G2-48p-10G4.13 #"), "X440G2-48p-10G4");
        assert_eq!(prompt_stem("Slot-1 Stack.4 # "), "Slot-1 Stack");
        assert_eq!(prompt_stem("core1.lab#"), "core1.lab");
    }

    #[test]
    fn a_shells_own_login_questions_are_told_from_other_lines() {
        for asked in [
            "User Name:",
            "Username: ",
            "username:",
            "User:",
            "login: ",
            "Password:",
            "Enter Username: ",
            "Enter Password:",
            // Brocade / Ruckus FastIron without AAA on the line.
            "Please Enter Login Name: ",
            "Please Enter Password: ",
        ] {
            assert!(login_question().is_match(asked), "{asked:?}");
        }
        for line in [
            "Last login: Fri Dec  4 10:01:02 2026 from 192.0.2.9",
            "Enter configuration commands, one per line.  End with CNTL/Z.",
            "Password expires in 5 days: change it",
            "sw1#",
            "User Name: admin",
            "Please enter a password for the new user: admin",
        ] {
            assert!(!login_question().is_match(line), "{line:?}");
        }
        // Questions of an account whose password must be changed: asked
        // like the others, told apart to be refused.
        for asked in [
            "Current password:",
            "(current) UNIX password:",
            "Enter new password:",
            "New password: ",
            "Enter the old password:",
            "Please enter old password:",
        ] {
            assert!(login_question().is_match(asked), "{asked:?}");
            assert!(password_change(asked), "{asked:?}");
        }
        for asked in [
            "Password:",
            "Enter Password:",
            "User Name:",
            "Please Enter Password: ",
        ] {
            assert!(!password_change(asked), "{asked:?}");
        }
        for line in [
            "New password policy: 12 characters",
            "Old password reuse: denied",
        ] {
            assert!(!login_question().is_match(line), "{line:?}");
        }
    }

    #[test]
    fn prompts_of_any_vendor_can_be_learned_and_questions_cannot() {
        for prompt in [
            "x-cisco-xr>",
            "<HUAWEI>",
            "[~HUAWEI]",
            "[admin@MikroTik] >",
            "admin@PA-VM> ",
            "vyos@vyos:~$ ",
            "FGT60E # ",
            "A:sros1#",
            "RP/0/RP0/CPU0:xr1#",
            "user@host%",
        ] {
            assert_eq!(learnable_prompt(prompt), Some(prompt.trim()), "{prompt:?}");
        }
        for line in [
            "Continue? [y/n]",
            "Save configuration [yes/no]",
            "Password:",
            "login:",
            "Last login: Thu Dec  3 10:00:00 2026 from 10.0.0.1",
            "#",
            "This is a banner line that happens to end in a hash #",
            "##########################",
            "",
        ] {
            assert_eq!(learnable_prompt(line), None, "{line:?}");
        }
    }

    #[test]
    fn a_learned_prompt_ending_the_output_is_dropped_and_nothing_else() {
        let mut out = "Huawei Versatile Routing Platform\nuptime 1 week\n\n<r1>".to_string();
        drop_learned_prompt(&mut out, "<r1>");
        assert_eq!(out, "Huawei Versatile Routing Platform\nuptime 1 week");
        let mut out = "line <r1>".to_string();
        drop_learned_prompt(&mut out, "<r1>");
        assert_eq!(out, "line <r1>");
        let mut out = "<r1>".to_string();
        drop_learned_prompt(&mut out, "<r1>");
        assert_eq!(out, "");
    }

    #[test]
    fn clean_output_removes_echo_pager_and_prompt() {
        let p = ios_like();
        let raw = "show version\r\nline 1\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line 2\r\n\r\nr1#";
        assert_eq!(
            clean_output(raw, "show version", &p, false, true),
            "line 1\nline 2"
        );
    }

    #[test]
    fn a_pager_shaped_line_is_output_when_no_pager_was_answered() {
        let p = ios_like();
        let raw = "show banner motd\r\nline 1\r\n --More-- \r\nline 2\r\nr1#";
        assert_eq!(
            clean_output(raw, "show banner motd", &p, false, false),
            "line 1\n --More--\nline 2"
        );
        assert_eq!(
            clean_output(raw, "show banner motd", &p, false, true),
            "line 1\nline 2"
        );
    }

    #[test]
    fn clean_output_keeps_prompt_when_asked() {
        let p = ios_like();
        let raw = "sh clock\r\r\n*10:00:00.000 UTC Mon Jan 1 2024\r\nr1#";
        assert_eq!(
            clean_output(raw, "sh clock", &p, true, false),
            "*10:00:00.000 UTC Mon Jan 1 2024\nr1#"
        );
    }
    /// A channel whose device prints `script` (delay before each piece,
    /// text), each piece after a pager waiting for a key.
    struct Scripted {
        rx: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
        keys: tokio::sync::mpsc::UnboundedSender<String>,
    }

    impl Wire for Scripted {
        async fn receive(&mut self) -> Option<Vec<u8>> {
            self.rx.recv().await
        }
        async fn send(&mut self, keys: &str) -> Result<()> {
            let _ = self.keys.send(keys.to_string());
            Ok(())
        }
    }

    /// The device side of [`Scripted`]: pieces after their delays; a piece
    /// after one ending in a pager waits for the key first. `hold` keeps
    /// the channel open after the last piece.
    fn device(
        script: Vec<(u64, &'static str)>,
        hold: bool,
    ) -> (Scripted, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (keys, mut typed) = tokio::sync::mpsc::unbounded_channel::<String>();
        let (seen_tx, seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let p = ios_like();
            let mut waits_for_key = false;
            for (delay, piece) in script {
                if waits_for_key {
                    let Some(k) = typed.recv().await else { return };
                    let _ = seen_tx.send(k);
                }
                tokio::time::sleep(Duration::from_millis(delay)).await;
                if tx.send(piece.as_bytes().to_vec()).is_err() {
                    return;
                }
                waits_for_key = p.pager_of(&text::last_line(piece, 4096)).is_some();
            }
            if hold {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            drop(tx);
        });
        (Scripted { rx, keys }, seen)
    }

    const SETTLE: Duration = Duration::from_millis(500);

    /// A timing read of `wire` with the IOS-like platform, [`SETTLE`] and a
    /// command timeout of `timeout_secs`; how it ended and when.
    async fn read_timed(wire: &mut Scripted, timeout_secs: u64) -> (Quiet, Duration) {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(timeout_secs);
        let end = read_quiet(wire, &ios_like(), SETTLE, deadline).await;
        (end, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn timing_read_ends_once_output_was_quiet_for_the_settle_time() {
        let (mut wire, _) = device(
            vec![
                (50, "copy run start\r\n"),
                (300, "Destination filename "),
                (400, "[startup-config]? "),
            ],
            true,
        );
        let (end, elapsed) = read_timed(&mut wire, 30).await;
        let Quiet::Settled(buf) = end else {
            panic!("not settled")
        };
        assert_eq!(
            String::from_utf8_lossy(&buf),
            "copy run start\r\nDestination filename [startup-config]? "
        );
        // Gaps shorter than the settle time do not end it; the last piece
        // came at 750 ms.
        assert_eq!(elapsed, Duration::from_millis(750) + SETTLE);
    }

    #[tokio::test(start_paused = true)]
    async fn timing_read_waits_for_a_slow_first_answer_then_for_quiet() {
        // Quiet counts only once something came: 5 s of nothing is not done.
        let (mut wire, _) = device(vec![(5000, "menu\r\n1) status\r\nchoice: ")], true);
        let (end, elapsed) = read_timed(&mut wire, 30).await;
        assert!(matches!(end, Quiet::Settled(_)));
        assert_eq!(elapsed, Duration::from_millis(5000) + SETTLE);
    }

    #[tokio::test(start_paused = true)]
    async fn timing_read_is_bounded_by_the_command_timeout() {
        let (mut silent, _) = device(vec![], true);
        let (end, elapsed) = read_timed(&mut silent, 2).await;
        assert!(matches!(end, Quiet::Silent));
        assert_eq!(elapsed, Duration::from_secs(2));
        // A device that prints every 100 ms never settles.
        let chatter: Vec<(u64, &str)> = (0..100).map(|_| (100, "debug line\r\n")).collect();
        let (mut chatty, _) = device(chatter, true);
        let (end, elapsed) = read_timed(&mut chatty, 2).await;
        let Quiet::Streaming(buf) = end else {
            panic!("a stream that never goes quiet must time out")
        };
        assert!(buf.len() >= 19 * 12, "{}", buf.len());
        assert_eq!(elapsed, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn timing_read_answers_pagers_and_reports_a_closed_channel() {
        let (mut wire, mut typed) = device(
            vec![
                (10, "line 1\r\n --More-- "),
                (
                    10,
                    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line 2\r\n",
                ),
            ],
            false,
        );
        let (end, _) = read_timed(&mut wire, 30).await;
        assert_eq!(typed.recv().await.as_deref(), Some(" "));
        let Quiet::Closed(buf) = end else {
            panic!("the device closed after its last piece")
        };
        assert_eq!(
            text::normalise(&String::from_utf8_lossy(&buf)),
            "line 1\nline 2\n"
        );
    }
}
