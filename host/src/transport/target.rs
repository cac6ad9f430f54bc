//! What a session needs to reach one device: address, login, host-key
//! settings, algorithms offered, jump hosts and phase deadlines.

use super::algorithms::Algorithms;
use super::auth::Credentials;
use super::dial::{self, Endpoint, Io, Timeouts};
use super::host_key::Trust;
use super::jump::{self, Hop, JumpPool, Route};
use super::known_hosts::{HostKeyPolicy, KnownHosts};
use super::replay::{self, Replay};
use crate::error::Result;
use crate::pacing::EchoWait;
use crate::secret::Secret;
use std::path::PathBuf;
use std::sync::Arc;

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
    pub algorithms: Arc<Algorithms>,
    /// Jump hosts (ProxyJump), first hop first.
    pub jumps: Vec<Hop>,
    /// Jump-host sessions shared by the run.
    pub jump_pool: Option<Arc<JumpPool>>,
    /// Folder of session transcripts (`--session-log`).
    pub session_log: Option<PathBuf>,
    /// A recorded device played in process instead of dialling `host`
    /// (`netrun plugin test`); see [`Target::replay`].
    pub replay: Option<Arc<Replay>>,
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
            algorithms: Algorithms::shared_default(),
            jumps: Vec::new(),
            jump_pool: None,
            session_log: None,
            replay: None,
        }
    }

    /// A target whose sessions talk to the recorded device of `replay`,
    /// played by an in-process SSH server: no network, and the login, host
    /// key check, prompts, pagers and failure indicators all run through the
    /// real session code.
    pub fn replay(replay: Arc<Replay>) -> Target {
        // Never dialled: a fixed host name that says so in any message.
        let host = "replay";
        let mut t = Target::new(replay.device(), host, 22, "netrun");
        t.password = Some(Secret::new(replay::PASSWORD));
        t.enable_secret = Some(Secret::new(replay::PASSWORD));
        t.known_hosts = Arc::new(Replay::known_hosts(host, 22));
        t.accept_new_file = None;
        t.agent = false;
        t.replay = Some(replay);
        t
    }

    /// A hash of everything a session of this target is opened with and
    /// keeps: address, login and secrets, keys, algorithms, jump hosts,
    /// host-key policy, phase deadlines, transcript folder. Two targets
    /// with the same identity may share a pooled session; a changed
    /// password or extra makes another identity. (Known host keys are left
    /// out: they were checked when the session opened.)
    pub fn session_identity(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.host, self.port, &self.username).hash(&mut h);
        for secret in [&self.password, &self.enable_secret, &self.key_passphrase] {
            secret.as_ref().map(Secret::expose).hash(&mut h);
        }
        for hop in &self.jumps {
            (&hop.alias, &hop.host, hop.port, &hop.credentials.username).hash(&mut h);
            hop.credentials
                .password
                .as_ref()
                .map(Secret::expose)
                .hash(&mut h);
        }
        (
            &self.key_files,
            self.agent,
            &self.accept_new_file,
            &self.session_log,
            self.host_key_policy,
            &self.algorithms,
            self.timeouts,
        )
            .hash(&mut h);
        // Hops have no Hash (credentials); their Debug forms hold every
        // field, secrets hashed above.
        if !self.jumps.is_empty() {
            format!("{:?}", self.jumps).hash(&mut h);
        }
        h.finish()
    }

    pub(crate) fn credentials(&self) -> Credentials {
        Credentials {
            username: self.username.clone(),
            password: self.password.clone(),
            key_files: self.key_files.clone(),
            key_passphrase: self.key_passphrase.clone(),
            agent: self.agent,
        }
    }

    /// The host-key settings of this target (its jump hosts share them).
    pub(crate) fn trust(&self) -> Trust<'_> {
        Trust {
            known_hosts: &self.known_hosts,
            policy: self.host_key_policy,
            accept_new_file: self.accept_new_file.as_deref(),
        }
    }

    /// A byte stream to the device's SSH server: TCP, or a channel through
    /// its jump hosts; with a TCP one, what its session tells it about
    /// echoes.
    pub(crate) async fn connect(&self) -> Result<(Box<dyn Io>, Option<Arc<EchoWait>>)> {
        if self.jumps.is_empty() {
            let tcp =
                dial::dial(&self.device, &self.host, self.port, self.timeouts.connect).await?;
            let echo = tcp.echo_wait();
            return Ok((Box::new(tcp), Some(echo)));
        }
        // Boxed: the jump-host path's future (~5 KiB) is not reserved in
        // every direct login's.
        Box::pin(jump::connect(&Route {
            device: &self.device,
            host: &self.host,
            port: self.port,
            hops: &self.jumps,
            pool: self.jump_pool.clone(),
            trust: self.trust(),
            timeouts: self.timeouts,
        }))
        .await
        .map(|stream| (stream, None))
    }

    /// Where the device's own login goes.
    pub(crate) fn endpoint<'a>(&'a self, credentials: &'a Credentials) -> Endpoint<'a> {
        Endpoint {
            device: &self.device,
            host: &self.host,
            port: self.port,
            trust: self.trust(),
            timeouts: self.timeouts,
            credentials,
            algorithms: &self.algorithms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_password_or_extra_makes_another_session_identity() {
        let base = || {
            let mut t = Target::new("r1", "10.0.0.1", 22, "admin");
            t.password = Some(Secret::new("old"));
            t
        };
        assert_eq!(base().session_identity(), base().session_identity());
        let mut changed = base();
        changed.password = Some(Secret::new("new"));
        assert_ne!(base().session_identity(), changed.session_identity());
        let mut legacy = base();
        legacy.timeouts.command = std::time::Duration::from_secs(90);
        assert_ne!(base().session_identity(), legacy.session_identity());
        let mut secret = base();
        secret.enable_secret = Some(Secret::new("en"));
        assert_ne!(base().session_identity(), secret.session_identity());
        let mut old_kex = base();
        Arc::make_mut(&mut old_kex.algorithms).kex = vec!["diffie-hellman-group14-sha1".into()];
        assert_ne!(base().session_identity(), old_kex.session_identity());
        let mut trusting = base();
        trusting.host_key_policy = crate::transport::known_hosts::HostKeyPolicy::AcceptNew;
        assert_ne!(base().session_identity(), trusting.session_identity());
    }
}
