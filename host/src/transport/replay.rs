//! Replay: a recorded device played by an in-process SSH server over an
//! in-memory stream, so a workflow runs against a transcript through the
//! real session code — login past a banner, prompt matching, mode changes,
//! pager answering, echo removal, failure detection — with no network.
//!
//! A transcript records what the device printed:
//!
//! - version 2: `prompt` is the prompt the device shows after login,
//!   `banner` what it prints before that, `prompts` the prompt of other
//!   modes (by mode name). Each exchange's `output` holds every byte the
//!   device sent after the typed line, its echo included, up to the next
//!   prompt; `chunks` holds the same split where the device stopped at a
//!   pager and waited for a key. An exchange's own `prompt` replaces the
//!   prompt printed after it: a prompt of another mode moves the device
//!   there; anything else (or `""`) is a question, and the device waits for
//!   the answer, which the next exchange records.
//! - version 1 (no `version`): each `output` is the text a workflow
//!   receives; the device echoes the command, prints the output with
//!   `\r\n` line endings, then a prompt made of the device's name that the
//!   platform's default mode accepts (or the transcript's `prompt`).
//!
//! What a transcript lacks is answered as a device would answer it: empty
//! lines and the platform's on-open and on-close commands with the prompt,
//! mode changes with the new mode's prompt, lines in the configuration mode
//! accepted silently; any other command gets a line starting with
//! [`MISSING`], which the session takes for a failure indicator and so
//! reports as `rejected-command`, with the fix in the message.

use super::dial::Io;
use super::known_hosts::KnownHosts;
use super::platform::Platform;
use super::session::prompt_stem;
use crate::error::{Error, ErrorClass};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId};
use serde::Deserialize;
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The newest transcript version; older ones stay readable.
pub const VERSION: u32 = 2;

/// How the replayed device starts a line for a command the transcript
/// lacks; every replayed session counts it as a failure indicator.
pub const MISSING: &str = "% netrun replay:";

/// The password the replayed device takes: the host logs in with it
/// through the ordinary password authentication.
pub(crate) const PASSWORD: &str = "replay";

/// The replayed device's host key, fixed so the target can trust it in
/// advance and the real host-key check runs.
static HOST_KEY: LazyLock<PrivateKey> =
    LazyLock::new(|| PrivateKey::from(Ed25519Keypair::from_seed(&[0x5e; 32])));

/// One recorded exchange of a transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// What the host typed (compared with runs of whitespace folded).
    pub command: String,
    /// What the device printed (version 1: the output a workflow receives;
    /// version 2: every byte after the typed line, echo included, up to the
    /// prompt).
    #[serde(default)]
    pub output: Option<String>,
    /// Version 2: the output in the pieces the device printed, waiting for
    /// a key (a pager) before each piece after the first.
    #[serde(default)]
    pub chunks: Option<Vec<String>>,
    /// Version 2: printed after the output instead of the current mode's
    /// prompt; a prompt of another mode moves the device there, anything
    /// else is a question whose answer the next exchange records.
    #[serde(default)]
    pub prompt: Option<String>,
}

/// The device side of a transcript.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// Transcript version (1 when the file has none).
    pub version: u32,
    /// The device's inventory name.
    pub device: String,
    /// The device's hostname, when the transcript names one.
    pub hostname: Option<String>,
    /// Printed at login before the first prompt.
    pub banner: Option<String>,
    /// The prompt after login; derived from the device's name when absent.
    pub prompt: Option<String>,
    /// Prompts of other modes, by mode name.
    pub prompts: BTreeMap<String, String>,
    /// Recorded commands and what the device printed.
    pub exchanges: Vec<Exchange>,
}

/// Why a transcript cannot be played on a platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A version this host does not read.
    #[error(
        "transcript version {0} is not one this netrun reads (1 or {VERSION}): write \"version\": {VERSION}"
    )]
    Version(u32),
    /// A version 2 field in a version 1 transcript.
    #[error(
        "exchange `{command}` uses `{field}`, which needs \"version\": {VERSION} (and outputs recorded byte for byte, echo included)"
    )]
    NeedsVersion2 {
        /// The exchange's command.
        command: String,
        /// The field.
        field: &'static str,
    },
    /// Both forms of an output.
    #[error("exchange `{0}` has both `output` and `chunks`: keep one")]
    OutputTwice(String),
    /// A prompt that no mode of the platform accepts.
    #[error(
        "prompt {prompt:?} matches no mode of platform {platform}: record the prompt exactly as the device printed it"
    )]
    PromptOfNoMode {
        /// The prompt.
        prompt: String,
        /// The platform.
        platform: String,
    },
    /// No prompt given and none derivable.
    #[error(
        "no prompt recorded, and none made of the device's name matches the {mode} prompt `{pattern}` of platform {platform}: add \"prompt\": \"<the device's prompt>\" to the transcript"
    )]
    NoPrompt {
        /// The platform.
        platform: String,
        /// Its default mode.
        mode: String,
        /// That mode's pattern.
        pattern: String,
    },
    /// `prompts` names a mode the platform lacks.
    #[error("prompts: platform {platform} has no mode `{mode}` (it has {modes})")]
    UnknownMode {
        /// The platform.
        platform: String,
        /// The mode named.
        mode: String,
        /// The platform's modes.
        modes: String,
    },
    /// `prompts` gives a mode a prompt of another mode.
    #[error(
        "prompts: {prompt:?} is not a prompt of mode {mode} of platform {platform} (pattern `{pattern}`)"
    )]
    WrongMode {
        /// The platform.
        platform: String,
        /// The mode.
        mode: String,
        /// The prompt given.
        prompt: String,
        /// The mode's pattern.
        pattern: String,
    },
}

impl ReplayError {
    /// The class of a transcript that does not fit: the recorded device is
    /// described wrongly, as an inventory mistake describes a real one.
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Inventory
    }
}

impl From<ReplayError> for Error {
    fn from(e: ReplayError) -> Error {
        Error::new(e.class(), e.to_string())
    }
}

/// A transcript ready to be played, shared by every session opened to it.
#[derive(Debug)]
pub struct Replay {
    recording: Recording,
    typed: Mutex<Vec<String>>,
}

impl Replay {
    /// Check what can be checked without a platform.
    pub fn new(recording: Recording) -> Result<Replay, ReplayError> {
        if !(1..=VERSION).contains(&recording.version) {
            return Err(ReplayError::Version(recording.version));
        }
        for x in &recording.exchanges {
            if x.output.is_some() && x.chunks.is_some() {
                return Err(ReplayError::OutputTwice(x.command.clone()));
            }
            if recording.version < 2 {
                let field = if x.chunks.is_some() {
                    Some("chunks")
                } else if x.prompt.is_some() {
                    Some("prompt")
                } else {
                    None
                };
                if let Some(field) = field {
                    return Err(ReplayError::NeedsVersion2 {
                        command: x.command.clone(),
                        field,
                    });
                }
            }
        }
        Ok(Replay {
            recording,
            typed: Mutex::new(Vec::new()),
        })
    }

    /// The recorded device's inventory name.
    pub fn device(&self) -> &str {
        &self.recording.device
    }

    /// Check the transcript against `platform` (prompts, modes), so a
    /// mistake is reported before anything runs.
    pub fn check(&self, platform: &Platform) -> Result<(), ReplayError> {
        Script::compile(&self.recording, platform).map(|_| ())
    }

    /// Every line the host typed to the replayed device so far, in order
    /// (secrets answered to a challenge included, as typed).
    pub fn typed(&self) -> Vec<String> {
        self.typed.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// The replayed device's host key.
    pub fn host_key() -> PublicKey {
        HOST_KEY.public_key().clone()
    }

    /// known_hosts trusting the replayed device as `host:port`.
    pub(crate) fn known_hosts(host: &str, port: u16) -> KnownHosts {
        let mut kh = KnownHosts::default();
        let line = super::known_hosts::entry_line(host, port, &Replay::host_key());
        kh.add_text(&line, Path::new("(replayed device)"));
        kh
    }

    /// `platform` with [`MISSING`] as one more failure indicator.
    pub(crate) fn platform(platform: &Platform) -> Platform {
        let mut p = platform.clone();
        p.failure_indicators.push(MISSING.to_string());
        p
    }

    /// Start the recorded device on `platform` and return the stream the
    /// host's SSH client runs over.
    pub(crate) fn connect(self: &Arc<Self>, platform: &Platform) -> Result<Box<dyn Io>, Error> {
        let script = Script::compile(&self.recording, platform)?;
        let (client, server) = tokio::io::duplex(64 * 1024);
        let config = Arc::new(russh::server::Config {
            keys: vec![HOST_KEY.clone()],
            auth_rejection_time: Duration::ZERO,
            auth_rejection_time_initial: Some(Duration::ZERO),
            inactivity_timeout: None,
            ..Default::default()
        });
        let device = Device {
            script: Some(script),
            replay: self.clone(),
            input: None,
        };
        tokio::spawn(async move {
            if let Ok(running) = russh::server::run_stream(config, server, device).await {
                let _ = running.await;
            }
        });
        Ok(Box::new(client))
    }

    fn note_typed(&self, line: &str) {
        if let Ok(mut t) = self.typed.lock() {
            t.push(line.to_string());
        }
    }
}

/// Runs of whitespace folded to one space, ends trimmed.
fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text with every line ending made `\r\n`, as a terminal receives it.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// A recorded answer, compiled.
#[derive(Debug, Clone)]
struct Answer {
    /// The command, folded.
    command: String,
    /// Printed in turn, waiting for a key before each after the first.
    chunks: Vec<String>,
    /// Replaces the current mode's prompt.
    prompt: Option<String>,
    /// Version 1: the device echoes the line as typed before the chunks.
    echo: bool,
}

/// A transcript compiled for one platform.
#[derive(Debug, Clone)]
struct Script {
    platform: Platform,
    banner: String,
    start: usize,
    /// Prompt of each mode, when known.
    prompts: Vec<Option<String>>,
    answers: Vec<Answer>,
}

/// Prompt shapes tried, `{}` standing for the stem, when a mode's prompt
/// has to be made up: IOS and its kin, Junos, XR, VRP, SR OS, RouterOS,
/// FortiOS and shells.
const PROMPT_FORMS: &[&str] = &[
    "{}#",
    "{}>",
    "{}(config)#",
    "{}(conf)#",
    "{}(config)>",
    "{}# ",
    "{}> ",
    "{}$ ",
    "{}% ",
    "{} # ",
    "{} > ",
    "{} (global) # ",
    "admin@{}> ",
    "admin@{}# ",
    "admin@{}:~$ ",
    "<{}>",
    "[{}]",
    "[~{}]",
    "[admin@{}] > ",
    "RP/0/RP0/CPU0:{}#",
    "RP/0/RP0/CPU0:{}(config)#",
    "A:{}# ",
    "*A:{}# ",
    "A:admin@{}# ",
];

/// Secret challenges tried when a mode change asks for one.
const CHALLENGES: &[&str] = &["Password: ", "password: ", "Password:", "Secret: "];

impl Script {
    fn compile(r: &Recording, platform: &Platform) -> Result<Script, ReplayError> {
        let p = platform;
        let prompt_for = |stem: &str, mode: usize| {
            PROMPT_FORMS
                .iter()
                .map(|f| f.replace("{}", stem))
                .find(|c| p.mode_of(c) == Some(mode))
        };
        let (start_prompt, start) = match &r.prompt {
            Some(prompt) => {
                let line =
                    super::text::last_lines(&super::text::normalise(prompt), 4096, p.prompt_lines)
                        .into_owned();
                let mode = p
                    .mode_of(&line)
                    .ok_or_else(|| ReplayError::PromptOfNoMode {
                        prompt: prompt.clone(),
                        platform: p.name.clone(),
                    })?;
                (prompt.clone(), mode)
            }
            None => {
                let stems = [r.hostname.as_deref(), Some(r.device.as_str())]
                    .into_iter()
                    .flatten()
                    .chain(["Router", "switch", "device"]);
                let found = stems
                    .filter(|s| !s.is_empty())
                    .find_map(|s| prompt_for(s, p.default_mode));
                let prompt = found.ok_or_else(|| ReplayError::NoPrompt {
                    platform: p.name.clone(),
                    mode: p.modes[p.default_mode].name.clone(),
                    pattern: p.modes[p.default_mode].prompt.as_str().to_string(),
                })?;
                (prompt, p.default_mode)
            }
        };
        let stem = {
            let prompt = super::text::normalise(&start_prompt);
            let line = super::text::last_line(&prompt, 4096);
            prompt_stem(&line).to_string()
        };
        let mut prompts: Vec<Option<String>> = vec![None; p.modes.len()];
        for (name, prompt) in &r.prompts {
            let Some(m) = p.modes.iter().position(|m| &m.name == name) else {
                return Err(ReplayError::UnknownMode {
                    platform: p.name.clone(),
                    mode: name.clone(),
                    modes: p
                        .modes
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let line =
                super::text::last_lines(&super::text::normalise(prompt), 4096, p.prompt_lines)
                    .into_owned();
            if p.mode_of(&line) != Some(m) {
                return Err(ReplayError::WrongMode {
                    platform: p.name.clone(),
                    mode: name.clone(),
                    prompt: prompt.clone(),
                    pattern: p.modes[m].prompt.as_str().to_string(),
                });
            }
            prompts[m] = Some(prompt.clone());
        }
        prompts[start] = Some(start_prompt);
        for (m, slot) in prompts.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = prompt_for(&stem, m);
            }
        }
        let answers = r
            .exchanges
            .iter()
            .map(|x| {
                let chunks = match (&x.chunks, &x.output) {
                    (Some(c), _) => c.clone(),
                    (None, Some(o)) if r.version >= 2 => vec![o.clone()],
                    (None, Some(o)) if !o.is_empty() => {
                        let mut text = crlf(o);
                        if !text.ends_with('\n') {
                            text.push_str("\r\n");
                        }
                        vec![text]
                    }
                    (None, _) => Vec::new(),
                };
                Answer {
                    command: fold(&x.command),
                    chunks,
                    prompt: x.prompt.clone(),
                    echo: r.version < 2,
                }
            })
            .collect();
        Ok(Script {
            platform: p.clone(),
            banner: r.banner.clone().unwrap_or_default(),
            start,
            prompts,
            answers,
        })
    }
}

/// What the device does after printing an answer.
#[derive(Debug, PartialEq, Eq)]
enum Then {
    /// Wait for the next line.
    Line,
    /// The next line is a secret; then print `mode`'s prompt.
    Secret(usize),
    /// Close the session (the transcript cannot go on).
    Close,
}

/// The recorded device's state between lines.
struct Player {
    script: Script,
    mode: usize,
    /// Index after the last answer played: answers are looked for from
    /// here first, so a repeated command gets its next recording.
    next: usize,
    /// The last answer ended in a question.
    question: bool,
}

/// What the replayed device prints on entering a mode.
enum Prompt {
    /// The recorded prompt.
    Known(String),
    /// No prompt recorded: a line naming the fix.
    Missing(String),
}

impl Player {
    /// `mode`'s prompt; without one, the line the device prints before it
    /// hangs up (the session reports it as a failure naming the fix).
    fn prompt(&self, mode: usize) -> Prompt {
        match &self.script.prompts[mode] {
            Some(prompt) => Prompt::Known(prompt.clone()),
            None => {
                let name = &self.script.platform.modes[mode].name;
                Prompt::Missing(format!(
                    "{MISSING} the transcript has no prompt for mode `{name}` of platform {}: add \"prompts\": {{\"{name}\": \"<the device's prompt in that mode>\"}}\r\n",
                    self.script.platform.name
                ))
            }
        }
    }

    /// The answer recorded for `command`: the next one in order when the
    /// device asked a question, else the first from `next` on, else any.
    fn recorded(&self, command: &str) -> Option<usize> {
        let answers = &self.script.answers;
        let at = |i: usize| answers.get(i).is_some_and(|a| a.command == command);
        if self.question {
            return at(self.next).then_some(self.next);
        }
        if command.is_empty() {
            return None;
        }
        (self.next..answers.len())
            .chain(0..self.next)
            .find(|&i| at(i))
    }

    /// Print `mode`'s prompt after `chunks` and move there.
    fn enter(&mut self, mut chunks: Vec<String>, mode: usize) -> (Vec<String>, Then) {
        match self.prompt(mode) {
            Prompt::Known(prompt) => {
                self.mode = mode;
                push_last(&mut chunks, &prompt);
                (chunks, Then::Line)
            }
            Prompt::Missing(why) => {
                push_last(&mut chunks, &why);
                (chunks, Then::Close)
            }
        }
    }

    /// The device's answer to one typed line.
    fn answer(&mut self, line: &str) -> (Vec<String>, Then) {
        let command = fold(line);
        let platform = &self.script.platform;
        let transition = platform.modes[self.mode]
            .transitions
            .iter()
            .find(|t| fold(&t.send) == command && !command.is_empty())
            .map(|t| {
                let challenge = t.challenge.as_ref().and_then(|c| {
                    CHALLENGES
                        .iter()
                        .find(|text| c.prompt.is_match(text))
                        .map(|s| s.to_string())
                });
                (t.to, challenge)
            });
        let recorded = self.recorded(&command);
        self.question = false;
        if let Some(i) = recorded {
            let mut answer = self.script.answers[i].clone();
            self.next = i + 1;
            if answer.echo {
                let echo = format!("{line}\r\n");
                match answer.chunks.first_mut() {
                    Some(first) => first.insert_str(0, &echo),
                    None => answer.chunks.push(echo),
                }
            }
            if let Some(prompt) = answer.prompt {
                let mut chunks = answer.chunks;
                push_last(&mut chunks, &prompt);
                let shown = super::text::normalise(&prompt);
                let line = super::text::last_lines(&shown, 4096, platform.prompt_lines);
                match platform.mode_of(&line) {
                    Some(m) if !prompt.is_empty() => self.mode = m,
                    _ => self.question = true,
                }
                return (chunks, Then::Line);
            }
            return match transition {
                Some((to, Some(challenge))) => {
                    let mut chunks = answer.chunks;
                    push_last(&mut chunks, &challenge);
                    (chunks, Then::Secret(to))
                }
                Some((to, None)) => self.enter(answer.chunks, to),
                None => self.enter(answer.chunks, self.mode),
            };
        }
        let echo = format!("{line}\r\n");
        if let Some((to, challenge)) = transition {
            return match challenge {
                Some(text) => (vec![echo + &text], Then::Secret(to)),
                None => self.enter(vec![echo], to),
            };
        }
        let own = platform
            .on_open
            .iter()
            .chain(&platform.on_close)
            .any(|c| fold(c) == command);
        if command.is_empty() || own || self.mode == platform.configuration_mode {
            return self.enter(vec![echo], self.mode);
        }
        let missing = format!(
            "{echo}{MISSING} the transcript has no answer for `{command}`: record it under \"exchanges\" ({{\"command\": \"{command}\", \"output\": \"…\"}})\r\n"
        );
        self.enter(vec![missing], self.mode)
    }
}

/// Append `text` to the last chunk (a new chunk when there is none).
fn push_last(chunks: &mut Vec<String>, text: &str) {
    match chunks.last_mut() {
        Some(last) => last.push_str(text),
        None => chunks.push(text.to_string()),
    }
}

/// Bytes typed by the host, read as lines (`\r`, `\n` and `\r\n` each end
/// one) or as single keys.
struct Keyboard {
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: VecDeque<u8>,
    last_cr: bool,
}

impl Keyboard {
    async fn byte(&mut self) -> Option<u8> {
        loop {
            while let Some(b) = self.pending.pop_front() {
                let after_cr = std::mem::replace(&mut self.last_cr, b == b'\r');
                if b == b'\n' && after_cr {
                    continue;
                }
                return Some(b);
            }
            self.pending.extend(self.rx.recv().await?);
        }
    }

    async fn line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        loop {
            match self.byte().await? {
                b'\r' | b'\n' => return Some(String::from_utf8_lossy(&line).into_owned()),
                b => line.push(b),
            }
        }
    }
}

/// Play `script` on `channel` until the host goes or the script ends it.
async fn play(
    script: Script,
    replay: Arc<Replay>,
    handle: russh::server::Handle,
    channel: ChannelId,
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let send = async |text: String| handle.data(channel, text.into_bytes()).await.is_ok();
    let mut keys = Keyboard {
        rx,
        pending: VecDeque::new(),
        last_cr: false,
    };
    let mut player = Player {
        mode: script.start,
        script,
        next: 0,
        question: false,
    };
    if !player.script.banner.is_empty() && !send(player.script.banner.clone()).await {
        return;
    }
    let (greeting, mut then) = player.enter(Vec::new(), player.mode);
    for chunk in greeting {
        if !send(chunk).await {
            return;
        }
    }
    loop {
        let Some(line) = keys.line().await else {
            return;
        };
        replay.note_typed(&line);
        let (chunks, next) = match then {
            Then::Secret(to) => player.enter(vec!["\r\n".to_string()], to),
            Then::Line => player.answer(&line),
            Then::Close => break,
        };
        then = next;
        for (i, chunk) in chunks.into_iter().enumerate() {
            // The device paused at a pager: any key goes on.
            if i > 0 && keys.byte().await.is_none() {
                return;
            }
            if !send(chunk).await {
                return;
            }
        }
        if then == Then::Close {
            break;
        }
    }
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// The recorded device's SSH server side.
struct Device {
    script: Option<Script>,
    replay: Arc<Replay>,
    input: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

impl russh::server::Handler for Device {
    type Error = russh::Error;

    async fn auth_password(&mut self, _user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if password == PASSWORD {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
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

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        // One shell per connection, as the host opens it.
        let Some(script) = self.script.take() else {
            return Ok(());
        };
        let (tx, rx) = mpsc::unbounded_channel();
        self.input = Some(tx);
        tokio::spawn(play(
            script,
            self.replay.clone(),
            session.handle(),
            channel,
            rx,
        ));
        Ok(())
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = &self.input {
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::platform::device_pattern;
    use crate::transport::platform::tests::ios_like;
    use crate::transport::{CliSession, CommandOptions, Target};

    fn x(command: &str, output: &str) -> Exchange {
        Exchange {
            command: command.into(),
            output: Some(output.into()),
            ..Default::default()
        }
    }

    fn v2(prompt: &str, exchanges: Vec<Exchange>) -> Recording {
        Recording {
            version: 2,
            device: "rec1".into(),
            prompt: Some(prompt.into()),
            exchanges,
            ..Default::default()
        }
    }

    async fn open(recording: Recording) -> (CliSession, Arc<Replay>) {
        open_on(recording, ios_like()).await
    }

    async fn open_on(recording: Recording, platform: Platform) -> (CliSession, Arc<Replay>) {
        let replay = Arc::new(Replay::new(recording).unwrap());
        let target = Target::replay(replay.clone());
        match CliSession::open(&target, Arc::new(platform)).await {
            Ok(s) => (s, replay),
            Err(e) => panic!("open: {e}"),
        }
    }

    async fn run(s: &mut CliSession, command: &str) -> crate::error::Result<String> {
        s.send_command(command, &CommandOptions::default()).await
    }

    /// `show running-config` as IOS pages it: a banner holding prompt
    /// look-alikes, split where the device waited at `--More--`.
    fn paged_running_config() -> Exchange {
        Exchange {
            command: "show running-config".into(),
            chunks: Some(vec![
                "show running-config\r\nBuilding configuration...\r\n\r\nhostname rec1\r\nbanner motd ^C\r\nRouter#\r\nrec1>\r\n --More-- ".into(),
                "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08^C\r\n\x1b[1mend\x1b[0m\r\r\n\r\n".into(),
            ]),
            ..Default::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pager_banner_and_prompt_look_alikes_run_through_the_real_session() {
        let mut r = v2("rec1#", vec![paged_running_config()]);
        r.banner = Some(
            "\r\n****\r\n* r9# and Router> are not prompts *\r\nRouter#\r\n****\r\n\r\n".into(),
        );
        let (mut s, replay) = open(r).await;
        assert_eq!(s.mode(), "privileged-exec");
        let out = run(&mut s, "show running-config").await.unwrap();
        assert_eq!(
            out,
            "Building configuration...\n\nhostname rec1\nbanner motd ^C\nRouter#\nrec1>\n^C\nend"
        );
        // Enter after the banner, the on-open command, the command.
        assert_eq!(
            replay.typed(),
            ["", "terminal length 0", "show running-config"]
        );
        assert!(s.is_alive());
    }

    #[tokio::test(start_paused = true)]
    async fn version_1_outputs_are_echoed_and_end_at_a_prompt_made_of_the_device_name() {
        let r = Recording {
            version: 1,
            device: "br-isr4331".into(),
            exchanges: vec![x("show clock", "*10:00:00.000 UTC Mon Jan 1 2024\n")],
            ..Default::default()
        };
        let replay = Replay::new(r).unwrap();
        let script = Script::compile(&replay.recording, &ios_like()).unwrap();
        assert_eq!(script.prompts[1].as_deref(), Some("br-isr4331#"));
        assert_eq!(script.prompts[0].as_deref(), Some("br-isr4331>"));
        assert_eq!(script.prompts[2].as_deref(), Some("br-isr4331(config)#"));
        let (mut s, _) = open(replay.recording.clone()).await;
        assert_eq!(
            run(&mut s, "show  clock").await.unwrap(),
            "*10:00:00.000 UTC Mon Jan 1 2024"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_the_transcript_lacks_is_a_rejected_command_naming_the_fix() {
        let (mut s, _) = open(v2("rec1#", vec![])).await;
        let e = run(&mut s, "show   ip route").await.unwrap_err();
        assert_eq!(e.class, ErrorClass::RejectedCommand, "{}", e.message);
        assert!(
            e.message.contains(
                r#"no answer for `show ip route`: record it under "exchanges" ({"command": "show ip route""#
            ),
            "{}",
            e.message
        );
        // The session stays usable, as after a device's refusal.
        assert!(s.is_alive());
    }

    #[tokio::test(start_paused = true)]
    async fn a_recorded_failure_indicator_is_a_rejected_command() {
        let (mut s, _) = open(v2(
            "rec1#",
            vec![x(
                "show foo",
                "show foo\r\n        ^\r\n% Invalid input detected at '^' marker.\r\n\r\n",
            )],
        ))
        .await;
        let e = run(&mut s, "show foo").await.unwrap_err();
        assert_eq!(e.class, ErrorClass::RejectedCommand);
        assert!(
            e.message.contains("% Invalid input detected"),
            "{}",
            e.message
        );
    }

    #[tokio::test(start_paused = true)]
    async fn mode_changes_and_configuration_lines_are_answered_with_prompts() {
        let (mut s, replay) = open(v2("rec1#", vec![])).await;
        let lines = vec![
            "interface Gi1".to_string(),
            "description uplink".to_string(),
        ];
        let out = s
            .send_config(&lines, &CommandOptions::default())
            .await
            .unwrap();
        assert_eq!(out, "");
        assert_eq!(s.mode(), "privileged-exec");
        assert_eq!(
            replay.typed(),
            [
                "",
                "terminal length 0",
                "configure terminal",
                "interface Gi1",
                "description uplink",
                "end"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_device_starting_in_user_mode_is_enabled_through_its_password_challenge() {
        let (s, replay) = open(v2("rec1>", vec![])).await;
        assert_eq!(s.mode(), "privileged-exec");
        assert_eq!(
            replay.typed(),
            ["", "enable", PASSWORD, "terminal length 0"]
        );
    }

    /// `copy running-config startup-config`: a question no mode's prompt
    /// matches, then the answer (Enter) and the prompt.
    fn copy_to_startup() -> Recording {
        let question = Exchange {
            command: "copy running-config startup-config".into(),
            output: Some("copy running-config startup-config\r\n".into()),
            prompt: Some("Destination filename [startup-config]? ".into()),
            ..Default::default()
        };
        let answer = x("", "\r\nBuilding configuration...\r\n[OK]\r\n");
        v2("rec1#", vec![question, answer])
    }

    #[tokio::test(start_paused = true)]
    async fn a_question_waits_for_the_answer_the_next_exchange_records() {
        let (mut s, _) = open(copy_to_startup()).await;
        let re = |p: &str| Some(device_pattern(p).unwrap());
        let out = s
            .send_interactive(
                &[
                    (
                        "copy running-config startup-config".into(),
                        re(r"Destination filename \[\S+\]\?\s*$"),
                    ),
                    (String::new(), None),
                ],
                &CommandOptions::default(),
            )
            .await
            .unwrap();
        assert!(out.contains("[OK]"), "{out}");
        assert_eq!(s.mode(), "privileged-exec");
    }

    #[tokio::test(start_paused = true)]
    async fn timing_mode_returns_a_question_no_prompt_pattern_matches_then_the_answer() {
        use crate::resilience::pool::Pooled;
        let (mut s, replay) = open(copy_to_startup()).await;
        let settle = Duration::from_secs(2);
        let opts = CommandOptions::default();
        let start = tokio::time::Instant::now();
        let out = s
            .send_command_timing("copy running-config startup-config", settle, &opts)
            .await
            .unwrap();
        assert_eq!(out, "Destination filename [startup-config]?");
        assert!(start.elapsed() >= settle && start.elapsed() < settle * 2);
        // Waiting at a question: usable by this workflow, not by the pool.
        assert!(s.is_alive() && !Pooled::is_alive(&s));
        let out = s.send_command_timing("", settle, &opts).await.unwrap();
        assert_eq!(out, "Building configuration...\n[OK]");
        assert_eq!(s.mode(), "privileged-exec");
        assert!(Pooled::is_alive(&s));
        assert_eq!(
            replay.typed(),
            [
                "",
                "terminal length 0",
                "copy running-config startup-config",
                ""
            ]
        );
        let e = s
            .send_command_timing("show clock", Duration::from_secs(60), &opts)
            .await
            .unwrap_err();
        assert!(
            e.message.contains("below the command timeout"),
            "{}",
            e.message
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_command_gets_its_recordings_in_order() {
        let (mut s, _) = open(v2(
            "rec1#",
            vec![
                x("show clock", "show clock\r\n10:00\r\n"),
                x("show clock", "show clock\r\n10:01\r\n"),
            ],
        ))
        .await;
        assert_eq!(run(&mut s, "show clock").await.unwrap(), "10:00");
        assert_eq!(run(&mut s, "show clock").await.unwrap(), "10:01");
        assert_eq!(run(&mut s, "show clock").await.unwrap(), "10:00");
    }

    /// A login as IOS prints it: a banner full of `#` and `>`, the user-mode
    /// prompt (so the host enables), `terminal length 0` echoed with `\r\r\n`.
    fn login(exchanges: Vec<Exchange>) -> Recording {
        let mut r = v2("rec1>", exchanges);
        r.banner = Some("\r\n*******************************************\r\n* Authorized access only #1 > all else  *\r\n* r9# is not a prompt; neither is r9>    *\r\n*******************************************\r\n\r\n".into());
        r.exchanges
            .insert(0, x("terminal length 0", "terminal length 0\r\r\n"));
        r
    }

    #[tokio::test(start_paused = true)]
    async fn ansi_colour_and_crcrlf_line_endings_are_cleaned() {
        let (mut s, _) = open(login(vec![x(
            "show clock",
            "show clock\r\r\n\x1b[1;32m*10:00:00.000 UTC\x1b[0m Mon Jan 1 2024\r\r\n",
        )]))
        .await;
        assert_eq!(s.mode(), "privileged-exec");
        assert_eq!(
            run(&mut s, "show clock").await.unwrap(),
            "*10:00:00.000 UTC Mon Jan 1 2024"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_prompt_glued_to_output_without_a_final_line_break_ends_the_command() {
        // The on-open command's message and a file's last line end without a
        // line break: the device prints its prompt right after them.
        let (mut s, _) = open(v2(
            "rec1#",
            vec![
                x(
                    "terminal length 0",
                    "terminal length 0\r\nPagination disabled.",
                ),
                x(
                    "more flash:note.txt",
                    "more flash:note.txt\r\nline one\r\nno line break at the end",
                ),
                x(
                    "show clock",
                    "show clock\r\n*10:00:00.000 UTC Mon Jan 1 2024\r\n",
                ),
            ],
        ))
        .await;
        assert_eq!(
            run(&mut s, "more flash:note.txt").await.unwrap(),
            "line one\nno line break at the end"
        );
        assert_eq!(
            run(&mut s, "show clock").await.unwrap(),
            "*10:00:00.000 UTC Mon Jan 1 2024"
        );
        assert_eq!(s.mode(), "privileged-exec");
        assert!(s.is_alive());
    }

    #[tokio::test(start_paused = true)]
    async fn vendor_pager_forms_are_answered_and_erased() {
        // IOS, EOS/Junos (`---(more)---`, `---(more 80%)---`) and `less`.
        let mut platform = ios_like();
        platform.pagers = [
            r"--\s?More\s?--",
            r"---\(more( \d+%)?\)---",
            r"^lines \d+-\d+",
        ]
        .into_iter()
        .map(|p| super::super::platform::Pager {
            pattern: device_pattern(p).unwrap(),
            keys: " ".into(),
        })
        .collect();
        let paged = Exchange {
            command: "show log".into(),
            chunks: Some(vec![
                "show log\r\nline 1\r\n--More--".into(),
                "\x08\x08\x08\x08\x08\x08\x08\x08        \x08\x08\x08\x08\x08\x08\x08\x08line 2\r\n -- More -- ".into(),
                "\r           \rline 3\r\n---(more)---".into(),
                "\r            \rline 4\r\n---(more 80%)---".into(),
                "\r                \rline 5\r\nlines 1-24".into(),
                "\r          \rline 6\r\n".into(),
            ]),
            ..Default::default()
        };
        let (mut s, _) = open_on(login(vec![paged]), platform).await;
        assert_eq!(
            run(&mut s, "show log").await.unwrap(),
            "line 1\nline 2\nline 3\nline 4\nline 5\nline 6"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backspaces_in_output_render_as_a_terminal_shows_them() {
        let (mut s, _) = open(login(vec![x(
            "show users",
            "show users\r\nLine  User\r\nvty 0 adminX\x08 \x08\r\n",
        )]))
        .await;
        assert_eq!(
            run(&mut s, "show users").await.unwrap(),
            "Line  User\nvty 0 admin"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn yes_no_then_confirm_questions_are_answered_in_turn() {
        let ask = |command: &str, output: &str, question: &str| Exchange {
            command: command.into(),
            output: Some(output.into()),
            prompt: Some(question.into()),
            ..Default::default()
        };
        let (mut s, replay) = open(login(vec![
            ask(
                "reload",
                "reload\r\n",
                "System configuration has been modified. Save? [yes/no]: ",
            ),
            ask("no", "no\r\n", "Proceed with reload? [confirm]"),
            x("", "\r\n"),
        ]))
        .await;
        let re = |p: &str| Some(device_pattern(p).unwrap());
        let out = s
            .send_interactive(
                &[
                    ("reload".into(), re(r"\[yes/no\]:\s*$")),
                    ("no".into(), re(r"\[confirm\]\s*$")),
                    (String::new(), None),
                ],
                &CommandOptions::default(),
            )
            .await
            .unwrap();
        assert!(out.contains("Proceed with reload? [confirm]"), "{out}");
        assert_eq!(s.mode(), "privileged-exec");
        assert_eq!(
            replay.typed(),
            [
                "",
                "enable",
                PASSWORD,
                "terminal length 0",
                "reload",
                "no",
                ""
            ]
        );
    }

    #[test]
    fn transcripts_that_cannot_play_say_what_to_fix() {
        let p = ios_like();
        let check = |r: Recording| Replay::new(r).and_then(|rp| rp.check(&p)).unwrap_err();
        let e = check(v2("hello there", vec![]));
        assert!(matches!(e, ReplayError::PromptOfNoMode { .. }), "{e}");
        let mut r = v2("rec1#", vec![]);
        r.prompts.insert("shell".into(), "rec1$ ".into());
        let e = check(r);
        assert!(e.to_string().contains("has no mode `shell`"), "{e}");
        let mut r = v2("rec1#", vec![]);
        r.prompts.insert("configuration".into(), "rec1#".into());
        assert!(matches!(check(r), ReplayError::WrongMode { .. }));
        let mut r = v2("rec1#", vec![paged_running_config()]);
        r.version = 1;
        r.prompt = None;
        let e = check(r);
        assert!(e.to_string().contains("needs \"version\": 2"), "{e}");
        let mut r = v2("rec1#", vec![]);
        r.version = 3;
        assert_eq!(check(r), ReplayError::Version(3));
        assert_eq!(ReplayError::Version(3).class(), ErrorClass::Inventory);
    }

    #[test]
    fn a_platform_whose_prompt_cannot_be_made_up_asks_for_one() {
        let mut spec = crate::transport::platform::PlatformSpec {
            name: "odd".into(),
            default_mode: "main".into(),
            configuration_mode: "main".into(),
            ..Default::default()
        };
        spec.modes.push(crate::transport::platform::ModeSpec {
            name: "main".into(),
            prompt: r"^\{\{\w+\}\}$".into(),
            transitions: vec![],
        });
        let p = Platform::compile(&spec).unwrap();
        let r = Recording {
            version: 1,
            device: "r1".into(),
            ..Default::default()
        };
        let e = Replay::new(r.clone()).unwrap().check(&p).unwrap_err();
        assert!(matches!(e, ReplayError::NoPrompt { .. }));
        assert!(e.to_string().contains("add \"prompt\""), "{e}");
        let given = Recording {
            prompt: Some("{{r1}}".into()),
            ..r
        };
        assert!(Replay::new(given).unwrap().check(&p).is_ok());
    }
}
