//! Terminal realism: recorded device byte streams (banners with `#` and
//! `>`, `\r\r\n`, ANSI colour, backspaces, vendor pager forms, `[confirm]`,
//! `Destination filename [startup-config]?`, `[yes/no]`) replayed by an
//! in-process SSH server through the real transport (`CliSession`), so the
//! reader, pager answering and output cleaning are tested without a device.

use super::known_hosts::{HostKeyPolicy, KnownHosts};
use super::platform::{ModeSpec, Platform, PlatformSpec, SecretKind, TransitionSpec};
use super::{CliSession, CommandOptions, Target};
use regex::Regex;
use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// One step of a recorded session, from the device's side.
#[derive(Debug, Clone)]
enum Step {
    /// The device prints these bytes.
    Send(&'static [u8]),
    /// The device waits until the client has typed this text.
    Expect(&'static str),
}
use Step::{Expect, Send};

/// A platform with the pager forms of several vendors (platform data
/// normally comes from driver plugins).
fn platform() -> Platform {
    let spec = PlatformSpec {
        name: "transcript".into(),
        default_mode: "privileged-exec".into(),
        configuration_mode: "configuration".into(),
        modes: vec![
            ModeSpec {
                name: "exec".into(),
                prompt: r"^[\w.\-]{1,63}>\s*$".into(),
                transitions: vec![TransitionSpec::new(
                    "privileged-exec",
                    "enable",
                    Some((r"(?i)password:\s*$", SecretKind::EnableSecret)),
                )],
            },
            ModeSpec {
                name: "privileged-exec".into(),
                prompt: r"^[\w.\-]{1,63}#\s*$".into(),
                transitions: vec![TransitionSpec::new(
                    "configuration",
                    "configure terminal",
                    None,
                )],
            },
            ModeSpec {
                name: "configuration".into(),
                prompt: r"^[\w.\-]{1,63}\(conf[\w.\-]*\)#\s*$".into(),
                transitions: vec![TransitionSpec::new("privileged-exec", "end", None)],
            },
        ],
        on_open: vec!["terminal length 0".into()],
        on_close: vec![],
        pagers: vec![
            (r"--\s?More\s?--".into(), " ".into()),
            (r"---\(more( \d+%)?\)---".into(), " ".into()),
            (r"^lines \d+-\d+".into(), " ".into()),
        ],
        failure_indicators: vec!["% Invalid input".into()],
        line_ending: "\n".into(),
    };
    match Platform::compile(&spec) {
        Ok(p) => p,
        Err(e) => panic!("test platform: {e}"),
    }
}

struct Replay {
    script: Option<Vec<Step>>,
    input: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

impl russh::server::Handler for Replay {
    type Error = russh::Error;

    async fn auth_password(&mut self, _user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if password == "login-pw" {
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
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        self.input = Some(tx);
        let script = self.script.take().unwrap_or_default();
        let handle = session.handle();
        tokio::spawn(async move {
            let mut typed = String::new();
            for step in script {
                match step {
                    Send(bytes) => {
                        if handle.data(channel, bytes.to_vec()).await.is_err() {
                            return;
                        }
                    }
                    Expect(text) => loop {
                        if let Some(i) = typed.find(text) {
                            typed.drain(..i + text.len());
                            break;
                        }
                        match rx.recv().await {
                            Some(b) => typed.push_str(&String::from_utf8_lossy(&b)),
                            None => return,
                        }
                    },
                }
            }
            // Stay open until the client goes.
            while rx.recv().await.is_some() {}
        });
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

/// Open a session against a server replaying `script`.
async fn session(script: Vec<Step>) -> CliSession {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7u8; 32]));
    let config = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        ..Default::default()
    });
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let handler = Replay {
            script: Some(script),
            input: None,
        };
        if let Ok(running) = russh::server::run_stream(config, sock, handler).await {
            let _ = running.await;
        }
    });
    let mut target = Target::new("rec1", "127.0.0.1", port, "admin");
    target.password = Some(crate::secret::Secret::new("login-pw"));
    target.enable_secret = Some(crate::secret::Secret::new("en-pw"));
    target.known_hosts = Arc::new(KnownHosts::default());
    target.host_key_policy = HostKeyPolicy::Off;
    target.agent = false;
    target.timeouts.prompt = Duration::from_secs(5);
    target.timeouts.command = Duration::from_secs(5);
    match CliSession::open(&target, Arc::new(platform())).await {
        Ok(s) => s,
        Err(e) => panic!("open: {e}"),
    }
}

/// A banner full of `#` and `>`, a user-mode prompt, `enable` with its
/// password, and `terminal length 0` echoed with `\r\r\n`.
fn login() -> Vec<Step> {
    vec![
        Send(b"\r\n*******************************************\r\n* Authorized access only #1 > all else  *\r\n* r9# is not a prompt; neither is r9>    *\r\n*******************************************\r\n\r\nrec1>"),
        Expect("\n"),
        Send(b"\r\nrec1>"),
        Expect("enable\n"),
        Send(b"enable\r\nPassword: "),
        Expect("en-pw\n"),
        Send(b"\r\nrec1#"),
        Expect("terminal length 0\n"),
        Send(b"terminal length 0\r\r\nrec1#"),
    ]
}

fn script(rest: &[Step]) -> Vec<Step> {
    let mut s = login();
    s.extend_from_slice(rest);
    s
}

#[tokio::test]
async fn banner_enable_and_ansi_colour_with_crcrlf() {
    let mut s = session(script(&[
        Expect("show clock\n"),
        Send(b"show clock\r\r\n\x1b[1;32m*10:00:00.000 UTC\x1b[0m Mon Jan 1 2024\r\r\nrec1#"),
    ]))
    .await;
    assert_eq!(s.mode(), "privileged-exec");
    let out = s
        .send_command("show clock", &CommandOptions::default())
        .await
        .unwrap();
    assert_eq!(out, "*10:00:00.000 UTC Mon Jan 1 2024");
}

#[tokio::test]
async fn vendor_pager_forms_are_answered_and_erased() {
    let mut s = session(script(&[
        Expect("show log\n"),
        Send(b"show log\r\nline 1\r\n--More--"),
        Expect(" "),
        // IOS erases the pager with backspaces.
        Send(b"\x08\x08\x08\x08\x08\x08\x08\x08        \x08\x08\x08\x08\x08\x08\x08\x08line 2\r\n -- More -- "),
        Expect(" "),
        Send(b"\r           \rline 3\r\n---(more)---"),
        Expect(" "),
        Send(b"\r            \rline 4\r\n---(more 80%)---"),
        Expect(" "),
        Send(b"\r                \rline 5\r\nlines 1-24"),
        Expect(" "),
        Send(b"\r          \rline 6\r\nrec1#"),
    ]))
    .await;
    let out = s
        .send_command("show log", &CommandOptions::default())
        .await
        .unwrap();
    assert_eq!(out, "line 1\nline 2\nline 3\nline 4\nline 5\nline 6");
}

#[tokio::test]
async fn backspaces_in_output_render_as_a_terminal_shows_them() {
    let mut s = session(script(&[
        Expect("show users\n"),
        Send(b"show users\r\nLine  User\r\nvty 0 adminX\x08 \x08\r\nrec1#"),
    ]))
    .await;
    let out = s
        .send_command("show users", &CommandOptions::default())
        .await
        .unwrap();
    assert_eq!(out, "Line  User\nvty 0 admin");
}

#[tokio::test]
async fn confirm_destination_filename_and_yes_no_via_send_interactive() {
    let mut s = session(script(&[
        Expect("copy running-config startup-config\n"),
        Send(b"copy running-config startup-config\r\nDestination filename [startup-config]? "),
        Expect("\n"),
        Send(b"\r\nBuilding configuration...\r\n[OK]\r\nrec1#"),
        Expect("reload\n"),
        Send(b"reload\r\nSystem configuration has been modified. Save? [yes/no]: "),
        Expect("no\n"),
        Send(b"no\r\nProceed with reload? [confirm]"),
        Expect("\n"),
        Send(b"\r\nrec1#"),
    ]))
    .await;
    let re = |p: &str| Some(Regex::new(p).unwrap());
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
}

#[tokio::test]
async fn invalid_input_marker_is_a_rejected_command() {
    let mut s = session(script(&[
        Expect("show foo\n"),
        Send(b"show foo\r\n        ^\r\n% Invalid input detected at '^' marker.\r\n\r\nrec1#"),
    ]))
    .await;
    let e = s
        .send_command("show foo", &CommandOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.class, crate::error::ErrorClass::RejectedCommand);
    assert!(
        e.message.contains("% Invalid input detected"),
        "{}",
        e.message
    );
}
