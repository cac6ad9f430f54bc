//! From an inventory host to a session [`Target`]: inventory values first,
//! then ssh_config, then the run's defaults.

use super::Settings;
use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::secret::Secret;
use crate::transport::Target;
use crate::transport::algorithms::Algorithms;
use crate::transport::auth::{Credentials, default_key_files};
use crate::transport::jump::Hop;
use crate::transport::known_hosts::KnownHosts;
use crate::transport::ssh_config::JumpSpec;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// `~/` expanded; other paths as written.
fn expand(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

/// A string or a list of strings from the extras.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn secret(host: &Host, key: &str) -> Option<Secret> {
    host.extras
        .get(key)
        .and_then(Value::as_str)
        .map(Secret::new)
}

/// The session target of `host`.
pub fn target_of(
    host: &Host,
    known_hosts: Arc<KnownHosts>,
    settings: &Settings,
) -> Result<Target, Error> {
    let name = &host.name;
    let config = settings.ssh_config.clone();
    let cfg = config.for_host(&host.hostname);
    let extras = &host.extras;
    let bad = |what: String| {
        Error::new(
            ErrorClass::Inventory,
            format!(
                "{name}: {what}: fix connection_options.netrun.extras in the inventory or the ssh config"
            ),
        )
    };

    let username = host.username.clone().or(cfg.user.clone()).ok_or_else(|| {
        Error::new(
            ErrorClass::Inventory,
            format!(
                "{name}: no username: set `username` on the host, a group or defaults.yaml (or `User` in ~/.ssh/config)"
            ),
        )
    })?;
    let port = if host.port_explicit {
        host.port
    } else {
        cfg.port.unwrap_or(host.port)
    };
    let mut key_files: Vec<PathBuf> = strings(extras.get("key_file"))
        .into_iter()
        .chain(strings(extras.get("key_files")))
        .map(|p| expand(&p))
        .collect();
    if key_files.is_empty() {
        key_files = cfg.identity_files.clone();
    }
    if key_files.is_empty() {
        key_files = default_key_files();
    }
    let key_passphrase = secret(host, "key_passphrase");
    let agent = extras.get("use_agent").and_then(Value::as_bool) != Some(false);
    let algorithms = Algorithms::for_device(
        [
            cfg.kex_algorithms.as_deref(),
            cfg.host_key_algorithms.as_deref(),
            cfg.ciphers.as_deref(),
            cfg.macs.as_deref(),
        ],
        extras,
    )
    .map_err(|e| bad(e.to_string()))?;

    let host_key_policy = if settings.host_key_policy_explicit {
        settings.host_key_policy
    } else {
        cfg.strict_host_key_checking
            .unwrap_or(settings.host_key_policy)
    };
    let accept_new_file = cfg
        .user_known_hosts_files
        .first()
        .cloned()
        .or_else(|| settings.accept_new_file.clone());
    let mut timeouts = settings.timeouts;
    if !settings.connect_timeout_explicit
        && let Some(t) = cfg.connect_timeout
    {
        timeouts.connect = t;
    }

    // ProxyJump: the inventory's `proxy_jump` over ssh_config's.
    let hops: Vec<JumpSpec> = match extras.get("proxy_jump").and_then(Value::as_str) {
        Some(v) if v.eq_ignore_ascii_case("none") => Vec::new(),
        Some(v) => v.split(',').filter_map(JumpSpec::parse).collect(),
        None => cfg.proxy_jump.clone(),
    };
    let jump_password = secret(host, "jump_password");
    let mut jumps = Vec::with_capacity(hops.len());
    for spec in hops {
        let jc = config.for_host(&spec.host);
        let mut files = jc.identity_files.clone();
        for f in &key_files {
            if !files.contains(f) {
                files.push(f.clone());
            }
        }
        let algorithms = Algorithms::default()
            .with_ssh_config(
                jc.kex_algorithms.as_deref(),
                jc.host_key_algorithms.as_deref(),
                jc.ciphers.as_deref(),
                jc.macs.as_deref(),
            )
            .map_err(|e| bad(format!("jump host {}: {e}", spec.host)))?;
        jumps.push(Hop {
            alias: spec.host.clone(),
            host: jc.hostname.clone().unwrap_or_else(|| spec.host.clone()),
            port: spec.port.or(jc.port).unwrap_or(22),
            credentials: Credentials {
                username: spec.user.or(jc.user).unwrap_or_else(|| username.clone()),
                password: jump_password.clone(),
                key_files: files,
                key_passphrase: key_passphrase.clone(),
                agent,
            },
            algorithms,
        });
    }

    Ok(Target {
        device: name.clone(),
        host: cfg
            .hostname
            .clone()
            .unwrap_or_else(|| host.hostname.clone()),
        port,
        username,
        password: host.password.clone(),
        enable_secret: host.enable_secret.clone(),
        known_hosts,
        host_key_policy,
        accept_new_file,
        timeouts,
        key_files,
        key_passphrase,
        agent,
        algorithms,
        jumps,
        jump_pool: Some(settings.jump_pool.clone()),
        session_log: settings.session_log.clone(),
        replay: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::known_hosts::HostKeyPolicy;
    use crate::transport::ssh_config::SshConfig;
    use serde_json::{Map, json};
    use std::path::Path;

    fn host(hostname: &str, port: Option<u16>, user: Option<&str>, extras: Value) -> Host {
        Host {
            name: "r1".into(),
            hostname: hostname.into(),
            port: port.unwrap_or(22),
            port_explicit: port.is_some(),
            username: user.map(str::to_string),
            password: Some(Secret::new("pw")),
            enable_secret: None,
            platform: None,
            groups: Vec::new(),
            data: Map::new(),
            known_hosts_files: Vec::new(),
            extras: extras.as_object().cloned().unwrap_or_default(),
            http: None,
        }
    }

    fn settings(config: &str) -> Settings {
        Settings {
            ssh_config: Arc::new(
                SshConfig::parse(config, Some(Path::new("/home/op")), Path::new("cfg")).unwrap(),
            ),
            accept_new_file: Some(PathBuf::from("/home/op/.ssh/known_hosts")),
            ..Settings::default()
        }
    }

    const CONFIG: &str = "Host r1-*\n  HostName 10.0.0.%h\n  User cfg-user\n  Port 2222\n  IdentityFile ~/.ssh/id_lab\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/kh_lab\n  ConnectTimeout 3\n  ProxyJump ops@bastion:2200,inner\n  KexAlgorithms +diffie-hellman-group14-sha1\nHost inner\n  HostName 192.0.2.9\n  User jumper\n  IdentityFile ~/.ssh/id_inner\n";

    #[test]
    fn ssh_config_fills_what_the_inventory_leaves_open() {
        let t = target_of(
            &host("r1-a", None, None, json!({})),
            Arc::new(KnownHosts::default()),
            &settings(CONFIG),
        )
        .unwrap();
        assert_eq!(t.host, "10.0.0.r1-a");
        assert_eq!(t.port, 2222);
        assert_eq!(t.username, "cfg-user");
        assert_eq!(t.key_files, vec![PathBuf::from("/home/op/.ssh/id_lab")]);
        assert_eq!(t.host_key_policy, HostKeyPolicy::AcceptNew);
        assert_eq!(
            t.accept_new_file,
            Some(PathBuf::from("/home/op/.ssh/kh_lab"))
        );
        assert_eq!(t.timeouts.connect, std::time::Duration::from_secs(3));
        assert!(
            t.algorithms
                .kex
                .iter()
                .any(|k| k == "diffie-hellman-group14-sha1")
        );
        let hops: Vec<(&str, &str, u16, &str)> = t
            .jumps
            .iter()
            .map(|h| {
                (
                    h.alias.as_str(),
                    h.host.as_str(),
                    h.port,
                    h.credentials.username.as_str(),
                )
            })
            .collect();
        assert_eq!(
            hops,
            vec![
                ("bastion", "bastion", 2200, "ops"),
                ("inner", "192.0.2.9", 22, "jumper")
            ]
        );
        assert_eq!(
            t.jumps[1].credentials.key_files,
            vec![
                PathBuf::from("/home/op/.ssh/id_inner"),
                PathBuf::from("/home/op/.ssh/id_lab")
            ]
        );
    }

    #[test]
    fn inventory_values_override_ssh_config() {
        let mut s = settings(CONFIG);
        s.host_key_policy_explicit = true;
        s.connect_timeout_explicit = true;
        let t = target_of(
            &host(
                "r1-b",
                Some(22),
                Some("inv-user"),
                json!({ "key_file": "/keys/inv", "proxy_jump": "none", "legacy_algorithms": true }),
            ),
            Arc::new(KnownHosts::default()),
            &s,
        )
        .unwrap();
        assert_eq!(t.port, 22);
        assert_eq!(t.username, "inv-user");
        assert_eq!(t.key_files, vec![PathBuf::from("/keys/inv")]);
        assert_eq!(t.host_key_policy, HostKeyPolicy::Strict);
        assert_eq!(t.timeouts.connect, Settings::default().timeouts.connect);
        assert!(t.jumps.is_empty());
        assert!(t.algorithms.ciphers.iter().any(|c| c == "aes128-cbc"));
    }

    #[test]
    fn an_unknown_algorithm_in_the_inventory_is_an_inventory_error() {
        let e = target_of(
            &host("r9", None, Some("u"), json!({ "ciphers": ["rc4"] })),
            Arc::new(KnownHosts::default()),
            &settings(""),
        )
        .unwrap_err();
        assert_eq!(e.class, ErrorClass::Inventory);
        assert!(
            e.message
                .starts_with("r1: unsupported ciphers algorithm(s): rc4"),
            "{}",
            e.message
        );
    }
}
