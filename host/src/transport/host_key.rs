//! Host-key verification during the SSH handshake: the server's key is
//! judged against the known_hosts files and the policy (`strict`,
//! `accept-new`, `off`); a refusal keeps its reason for the error message.

use super::known_hosts::{self, HostKeyPolicy, KnownHosts, Verdict};
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The russh client handler of a login: its one job is judging the
/// server's host key; the reason of a refusal is kept for the error.
pub(crate) struct HostKeyVerifier {
    host: String,
    port: u16,
    known_hosts: Arc<KnownHosts>,
    policy: HostKeyPolicy,
    accept_new_file: Option<PathBuf>,
    problem: Arc<Mutex<Option<String>>>,
}

/// A target's host-key settings, borrowed for one login.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trust<'a> {
    /// Known host keys.
    pub known_hosts: &'a Arc<KnownHosts>,
    /// How unknown keys are treated.
    pub policy: HostKeyPolicy,
    /// Where `accept-new` records keys.
    pub accept_new_file: Option<&'a Path>,
}

/// Why the handshake's host-key check refused, once it did.
pub(crate) type Refusal = Arc<Mutex<Option<String>>>;

impl HostKeyVerifier {
    /// A verifier of `host:port`'s key under `trust`; a refusal's reason
    /// lands in the returned slot.
    pub fn new(host: &str, port: u16, trust: Trust<'_>) -> (HostKeyVerifier, Refusal) {
        let problem: Refusal = Arc::new(Mutex::new(None));
        let verifier = HostKeyVerifier {
            host: host.to_string(),
            port,
            known_hosts: trust.known_hosts.clone(),
            policy: trust.policy,
            accept_new_file: trust.accept_new_file.map(Path::to_path_buf),
            problem: problem.clone(),
        };
        (verifier, problem)
    }
}

impl client::Handler for HostKeyVerifier {
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
                    let line = known_hosts::entry_line(&self.host, self.port, key);
                    known_hosts::append(file.clone(), line).await;
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

impl HostKeyVerifier {
    fn note(&self, message: String) {
        if let Ok(mut slot) = self.problem.lock() {
            *slot = Some(message);
        }
    }
}
