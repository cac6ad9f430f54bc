//! SSH user authentication in OpenSSH's order: ssh-agent keys, key files,
//! password, keyboard-interactive. Secrets are only ever sent to the
//! server, never formatted into messages.

use super::algorithms::{self, Algorithms};
use crate::error::{Error, ErrorClass, Result};
use crate::secret::Secret;
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse as Kbd};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg};
use russh::{MethodKind, MethodSet};
use std::path::PathBuf;
use std::sync::Arc;

/// What a login may use.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Login user.
    pub username: String,
    /// Password (also answers keyboard-interactive).
    pub password: Option<Secret>,
    /// Private key files, tried in order.
    pub key_files: Vec<PathBuf>,
    /// Passphrase of encrypted key files.
    pub key_passphrase: Option<Secret>,
    /// Try the keys of the agent at `SSH_AUTH_SOCK`.
    pub agent: bool,
}

/// The default key files OpenSSH tries when none is configured.
/// Looked up once per process: a sweep plans thousands of devices and
/// each would otherwise stat the same three files.
pub fn default_key_files() -> Vec<PathBuf> {
    static FILES: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(|| {
            let Some(home) = dirs::home_dir() else {
                return Vec::new();
            };
            ["id_ed25519", "id_ecdsa", "id_rsa"]
                .iter()
                .map(|n| home.join(".ssh").join(n))
                .filter(|p| p.is_file())
                .collect()
        })
        .clone()
}

/// The hash for RSA signatures with this server, asked once per login.
async fn rsa_hash<H: client::Handler>(
    handle: &client::Handle<H>,
    algorithms: &Algorithms,
    cache: &mut Option<Option<HashAlg>>,
) -> Option<HashAlg> {
    if let Some(h) = cache {
        return *h;
    }
    let h = algorithms::rsa_hash(
        handle.best_supported_rsa_hash().await.ok().flatten(),
        algorithms,
    );
    *cache = Some(h);
    h
}

fn err(class: ErrorClass, message: String) -> Error {
    Error::new(class, message)
}

/// Log in on `handle` as `creds.username`. `device` names the target in messages.
pub async fn authenticate<H: client::Handler>(
    handle: &mut client::Handle<H>,
    device: &str,
    creds: &Credentials,
    algorithms: &Algorithms,
) -> Result<()> {
    let user = creds.username.clone();
    let lost = |e: russh::Error| {
        err(
            ErrorClass::SessionClosed,
            format!("{device}: connection lost during authentication: {e}"),
        )
    };
    let agent = creds.agent && std::env::var_os("SSH_AUTH_SOCK").is_some();
    // With keys to offer, `none` first, as OpenSSH does: it tells which
    // methods the server takes. With a password alone, the password first,
    // as paramiko (Netmiko) does: one round trip less per login, which a
    // slow link feels; a refusal still lists the methods to go on with.
    let password_only = creds.password.is_some() && creds.key_files.is_empty() && !agent;
    let mut tried_none = false;
    let mut methods: MethodSet = if password_only {
        MethodSet::empty()
    } else {
        tried_none = true;
        match handle.authenticate_none(&user).await.map_err(lost)? {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure {
                remaining_methods, ..
            } => remaining_methods,
        }
    };
    let allows = |m: &MethodSet, k: MethodKind| m.is_empty() || m.contains(&k);
    let mut tried: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    if allows(&methods, MethodKind::PublicKey) {
        // Asked only when an RSA key is used: the server may take a second to say.
        let mut rsa_hash_cache: Option<Option<HashAlg>> = None;
        if agent {
            match russh::keys::agent::client::AgentClient::connect_env().await {
                Ok(mut agent) => match agent.request_identities().await {
                    Ok(ids) => {
                        for id in ids {
                            let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = id
                            else {
                                continue;
                            };
                            let hash = if key.algorithm().is_rsa() {
                                rsa_hash(handle, algorithms, &mut rsa_hash_cache).await
                            } else {
                                None
                            };
                            tried.push(format!("agent key {}", key.algorithm().as_str()));
                            match handle
                                .authenticate_publickey_with(&user, key, hash, &mut agent)
                                .await
                            {
                                Ok(AuthResult::Success) => return Ok(()),
                                Ok(AuthResult::Failure {
                                    remaining_methods, ..
                                }) => methods = remaining_methods,
                                Err(e) => notes.push(format!("the agent could not sign: {e}")),
                            }
                        }
                    }
                    Err(e) => notes.push(format!("cannot list the agent's keys: {e}")),
                },
                Err(e) => notes.push(format!("cannot reach ssh-agent at SSH_AUTH_SOCK: {e}")),
            }
        }
        for file in &creds.key_files {
            let passphrase = creds.key_passphrase.as_ref().map(Secret::expose);
            let key = match russh::keys::load_secret_key(file, passphrase) {
                Ok(k) => k,
                Err(russh::keys::Error::KeyIsEncrypted) => {
                    notes.push(format!(
                        "key file {} is passphrase-protected: set connection_options.netrun.extras.key_passphrase",
                        file.display()
                    ));
                    continue;
                }
                Err(e) => {
                    notes.push(format!(
                        "cannot use key file {} ({e}){}",
                        file.display(),
                        if creds.key_passphrase.is_some() {
                            "; is key_passphrase right?"
                        } else {
                            ""
                        }
                    ));
                    continue;
                }
            };
            let hash = if key.algorithm().is_rsa() {
                rsa_hash(handle, algorithms, &mut rsa_hash_cache).await
            } else {
                None
            };
            tried.push(format!("key file {}", file.display()));
            let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
            match handle
                .authenticate_publickey(&user, key)
                .await
                .map_err(lost)?
            {
                AuthResult::Success => return Ok(()),
                AuthResult::Failure {
                    remaining_methods, ..
                } => methods = remaining_methods,
            }
        }
    }

    if let Some(password) = &creds.password {
        if allows(&methods, MethodKind::Password) {
            tried.push("password".into());
            match handle
                .authenticate_password(&user, password.expose())
                .await
                .map_err(lost)?
            {
                AuthResult::Success => return Ok(()),
                AuthResult::Failure {
                    remaining_methods, ..
                } => methods = remaining_methods,
            }
        }
        if methods.contains(&MethodKind::KeyboardInteractive) {
            tried.push("keyboard-interactive".into());
            let mut reply = handle
                .authenticate_keyboard_interactive_start(&user, None)
                .await
                .map_err(lost)?;
            // Bounded: a server that keeps asking gets a few rounds, not forever.
            for _ in 0..5 {
                match reply {
                    Kbd::Success => return Ok(()),
                    Kbd::Failure { .. } => break,
                    Kbd::InfoRequest { prompts, .. } => {
                        let answers = prompts
                            .iter()
                            .map(|p| {
                                if p.echo {
                                    user.clone()
                                } else {
                                    password.expose().to_string()
                                }
                            })
                            .collect();
                        reply = handle
                            .authenticate_keyboard_interactive_respond(answers)
                            .await
                            .map_err(lost)?;
                    }
                }
            }
        }
    }

    // A server that lets anyone in (some console servers) may refuse the
    // password it does not ask for: `none` last, then.
    if !tried_none {
        match handle.authenticate_none(&user).await.map_err(lost)? {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure {
                remaining_methods, ..
            } => {
                if methods.is_empty() {
                    methods = remaining_methods;
                }
            }
        }
    }
    let offered: Vec<&str> = methods.iter().map(<&str>::from).collect();
    let mut message = format!(
        "{device}: authentication failed for user `{user}` (tried {}; the server accepts {})",
        if tried.is_empty() {
            "nothing".to_string()
        } else {
            tried.join(", ")
        },
        if offered.is_empty() {
            "nothing more".to_string()
        } else {
            offered.join(", ")
        }
    );
    for n in &notes {
        message.push_str("; ");
        message.push_str(n);
    }
    message.push_str(
        ": check username and password in the inventory, or key_file / ssh-agent keys and the device's authorized keys",
    );
    Err(err(ErrorClass::Auth, message))
}
