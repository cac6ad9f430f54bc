//! The physical floor of a sweep: per device a bare russh client connects,
//! checks the host key, logs in with a password, opens a PTY shell, sends
//! one command and reads to the next prompt. No plugins, no platform
//! modes, no parsing: what any SSH automation must pay at least. It offers
//! the algorithms a netrun session offers, so both negotiate the same.
//!
//! Given the lines a job types instead (the empty line that confirms the
//! prompt, `enable` and its secret where the session lands at `>`, the
//! set-up commands, the job's commands), the floor does the same wire work
//! as the job, so the two can be compared exchange for exchange.

use crate::inventory::Host;
use crate::transport::known_hosts::{KnownHosts, Verdict};
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, Disconnect};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether `text` ends with a CLI prompt (`name#`, `name>`, maybe a blank).
fn ends_with_prompt(text: &[u8]) -> bool {
    let trimmed = text.trim_ascii_end();
    // The last line alone, and a prompt has no spaces in it.
    let last = match trimmed.iter().rposition(|&b| b == b'\n') {
        Some(nl) => &trimmed[nl + 1..],
        None => trimmed,
    };
    matches!(last.last(), Some(b'#' | b'>')) && !last.contains(&b' ')
}

struct Verify {
    known: Arc<KnownHosts>,
    host: String,
    port: u16,
}

impl client::Handler for Verify {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                self.known.check(&self.host, self.port, key) == Verdict::Trusted
            }
            PublicKeyOrCertificate::Certificate(_) => false,
        })
    }
}

/// Read from `channel` until the text ends with a prompt; with
/// `after_newline`, only once a line break came (the answer to our Enter).
/// A pager (`--More--`) is answered with a space, a `Password:` challenge
/// with `secret`. Returns the bytes read and the prompt's last character.
async fn read_prompt(
    channel: &mut russh::Channel<client::Msg>,
    after_newline: bool,
    secret: &str,
) -> Result<(usize, u8), String> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    // Bytes of the pieces answered (a pager, a challenge) and cleared.
    let mut answered = 0;
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Data { data }) => {
                buf.extend_from_slice(&data);
                let tail = buf.trim_ascii_end();
                let answer = if tail.ends_with(b"--More--") {
                    Some(" ".to_string())
                } else if tail.ends_with(b"assword:") {
                    Some(format!("{secret}\n"))
                } else {
                    None
                };
                if let Some(keys) = answer {
                    answered += buf.len();
                    buf.clear();
                    channel
                        .data_bytes(keys.into_bytes())
                        .await
                        .map_err(|e| e.to_string())?;
                    continue;
                }
                if (!after_newline || buf.contains(&b'\n')) && ends_with_prompt(&buf) {
                    let last = buf.trim_ascii_end().last().copied().unwrap_or(b'#');
                    return Ok((answered + buf.len(), last));
                }
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                return Err("the device closed the session".into());
            }
            Some(_) => {}
        }
    }
}

/// One device: connect, log in, PTY shell, each of `lines` (an empty one
/// is an Enter) and its answer up to the prompt. Returns the bytes received.
pub async fn one(host: &Host, known: Arc<KnownHosts>, lines: &[String]) -> Result<usize, String> {
    let tcp = tokio::net::TcpStream::connect((host.hostname.as_str(), host.port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true).ok();
    // netrun's algorithm preferences, so the floor negotiates what a
    // session would (the MAC a server without AEAD ciphers gets is most of
    // the crypto per packet).
    let config = Arc::new(client::Config {
        preferred: crate::transport::algorithms::Algorithms::shared_default().preferred(),
        ..client::Config::default()
    });
    let handler = Verify {
        known,
        host: host.hostname.clone(),
        port: host.port,
    };
    let mut handle = client::connect_stream(config, tcp, handler)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let user = host.username.clone().unwrap_or_default();
    let password = host
        .password
        .as_ref()
        .map(|p| p.expose().to_string())
        .unwrap_or_default();
    let auth = handle
        .authenticate_password(user, password)
        .await
        .map_err(|e| format!("auth: {e}"))?;
    if !auth.success() {
        return Err("password refused".into());
    }
    let mut channel = handle
        .channel_open_session()
        .await
        .map_err(|e| format!("channel: {e}"))?;
    channel
        .request_pty(true, "vt100", 511, 24, 0, 0, &[])
        .await
        .map_err(|e| format!("pty: {e}"))?;
    channel
        .request_shell(true)
        .await
        .map_err(|e| format!("shell: {e}"))?;
    let secret = host
        .enable_secret
        .as_ref()
        .or(host.password.as_ref())
        .map(|p| p.expose().to_string())
        .unwrap_or_default();
    let (mut received, mut prompt) = read_prompt(&mut channel, false, &secret).await?;
    for line in lines {
        // `enable` only where the session landed in user exec, as a CLI
        // session acquires privileged exec only when it is not there.
        if line == "enable" && prompt != b'>' {
            continue;
        }
        channel
            .data_bytes(format!("{line}\n").into_bytes())
            .await
            .map_err(|e| format!("send: {e}"))?;
        let (n, last) = read_prompt(&mut channel, true, &secret).await?;
        (received, prompt) = (received + n, last);
    }
    let _ = channel.eof().await;
    let _ = handle.disconnect(Disconnect::ByApplication, "", "en").await;
    Ok(received)
}

/// The floor over `hosts`, `concurrency` at once: per-device latencies
/// (ms, sorted) and the failures.
pub async fn sweep(
    hosts: Vec<Host>,
    known: Arc<KnownHosts>,
    concurrency: usize,
    lines: &[String],
) -> (Vec<u64>, Vec<String>) {
    let lines: Arc<[String]> = lines.into();
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for host in hosts {
        let (gate, known, lines) = (gate.clone(), known.clone(), lines.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let started = Instant::now();
            let outcome =
                tokio::time::timeout(Duration::from_secs(60), one(&host, known, &lines)).await;
            let elapsed = started.elapsed().as_millis() as u64;
            match outcome {
                Ok(Ok(_)) => Ok(elapsed),
                Ok(Err(e)) => Err(format!("{}: {e}", host.name)),
                Err(_) => Err(format!("{}: no answer within 60 s", host.name)),
            }
        });
    }
    let (mut latencies, mut failures) = (Vec::new(), Vec::new());
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(ms)) => latencies.push(ms),
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(format!("task failed: {e}")),
        }
    }
    latencies.sort_unstable();
    (latencies, failures)
}

#[cfg(test)]
mod tests {
    use super::ends_with_prompt;

    #[test]
    fn prompts_end_the_read_and_output_lines_do_not() {
        assert!(ends_with_prompt(b"banner\r\nr001#"));
        assert!(ends_with_prompt(b"r001> "));
        assert!(ends_with_prompt(b"show version\r\n...\r\nr001#"));
        assert!(!ends_with_prompt(b"Cisco IOS Software, Version 15.2"));
        assert!(!ends_with_prompt(b"line with a # and words #"));
    }
}
