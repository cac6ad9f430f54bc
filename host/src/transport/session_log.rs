//! Per-device session transcripts (`--session-log DIR`): everything sent
//! and received, with the session's secrets replaced by `********` and the
//! line typed after a password challenge blanked, before it reaches disk.

use crate::secret::Secret;
use regex::Regex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// What replaces a secret in the transcript.
pub const MASK: &str = "********";

/// A challenge whose answer is a secret (`Password:`, `Enable secret:`, `passphrase`).
static CHALLENGE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)(password|passphrase|secret|passcode)\s*:?\s*$").ok());

/// An open transcript.
pub struct SessionLog {
    file: std::fs::File,
    path: PathBuf,
    secrets: Vec<Secret>,
    /// The last received line asked for a secret: blank the next line sent.
    after_challenge: bool,
    /// Received text since the last line break, to spot challenges.
    partial: String,
    /// Received text held back (already redacted) because a secret may
    /// continue in the next chunk.
    held: String,
}

impl Drop for SessionLog {
    fn drop(&mut self) {
        self.flush_held();
    }
}

impl std::fmt::Debug for SessionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionLog({})", self.path.display())
    }
}

/// The transcript file of `device` in `dir` (name made safe for file systems).
pub fn path_for(dir: &Path, device: &str) -> PathBuf {
    let safe: String = device
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.log"))
}

impl SessionLog {
    /// Create (truncate) the transcript of `device` in `dir`.
    pub fn create(dir: &Path, device: &str, secrets: Vec<Secret>) -> std::io::Result<SessionLog> {
        std::fs::create_dir_all(dir)?;
        let path = path_for(dir, device);
        let file = std::fs::File::create(&path)?;
        Ok(SessionLog {
            file,
            path,
            secrets: secrets
                .into_iter()
                .filter(|s| !s.expose().is_empty())
                .collect(),
            after_challenge: false,
            partial: String::new(),
            held: String::new(),
        })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.expose(), MASK);
        }
        out
    }

    /// Record text sent to the device.
    pub fn sent(&mut self, data: &str) {
        self.flush_held();
        let text = if self.after_challenge {
            // Whatever answers a password challenge is a secret, known or not.
            self.after_challenge = false;
            let ending = data.len() - data.trim_end_matches(['\r', '\n']).len();
            format!("{MASK}{}", &data[data.len() - ending..])
        } else {
            self.redact(data)
        };
        self.write(&text);
    }

    /// Record bytes received from the device.
    pub fn received(&mut self, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        match text.rfind('\n') {
            Some(i) => self.partial = text[i + 1..].to_string(),
            None => self.partial.push_str(&text),
        }
        if self.partial.len() > 512 {
            let cut = self.partial.len() - 512;
            let cut = (cut..self.partial.len())
                .find(|i| self.partial.is_char_boundary(*i))
                .unwrap_or(self.partial.len());
            self.partial.drain(..cut);
        }
        self.after_challenge = CHALLENGE
            .as_ref()
            .is_some_and(|re| re.is_match(self.partial.trim_end()));
        // A secret split across chunks is redacted once both halves are in:
        // keep back as many characters as the longest secret minus one.
        let mut pending = std::mem::take(&mut self.held);
        pending.push_str(&text);
        let redacted = self.redact(&pending);
        let keep = self
            .secrets
            .iter()
            .map(|s| s.expose().len())
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        let mut cut = redacted.len().saturating_sub(keep);
        while !redacted.is_char_boundary(cut) {
            cut -= 1;
        }
        self.held = redacted[cut..].to_string();
        self.write(&redacted[..cut]);
    }

    fn flush_held(&mut self) {
        let held = std::mem::take(&mut self.held);
        self.write(&held);
    }

    fn write(&mut self, text: &str) {
        if let Err(e) = self.file.write_all(text.as_bytes()) {
            tracing::warn!(file = %self.path.display(), error = %e, "cannot write session log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn secrets_and_answers_to_password_challenges_never_reach_the_file() {
        let dir = Dir(std::env::temp_dir().join(format!("netrun-slog-{}", std::process::id())));
        let mut log = SessionLog::create(
            &dir.0,
            "core/r1",
            vec![Secret::new("en-s3cret"), Secret::new("")],
        )
        .unwrap();
        assert_eq!(log.path(), dir.0.join("core_r1.log"));
        log.received(b"r1>");
        log.sent("enable\n");
        log.received(b"enable\r\nPass");
        log.received(b"word: ");
        // An unknown secret after a challenge is blanked all the same.
        log.sent("typed-unknown\n");
        log.received(b"\r\nr1#");
        log.sent("show run | include en-s3cret\n");
        log.received(b"show run | include en-s3cret\r\nenable secret en-");
        // The secret arrives split across two chunks.
        log.received(b"s3cret\r\nr1#");
        drop(log);
        let text = std::fs::read_to_string(dir.0.join("core_r1.log")).unwrap();
        assert!(!text.contains("typed-unknown"), "{text}");
        assert!(!text.contains("en-s3cret"), "{text}");
        assert!(text.contains("Password: ********\n"), "{text}");
        assert!(text.contains("enable secret ********"), "{text}");
        assert!(text.starts_with("r1>enable\n"), "{text}");
        assert!(text.ends_with("enable secret ********\r\nr1#"), "{text}");
    }
}
