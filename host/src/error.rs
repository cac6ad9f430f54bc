//! Errors as data: every failure carries a class from a fixed set, used for
//! retry decisions, metrics and the `error.class` of result records.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The fixed, documented set of failure classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// The inventory or the run's settings are wrong for this device.
    Inventory,
    /// Name resolution failed.
    Dns,
    /// TCP connection refused (nothing listens, or a firewall rejects), or
    /// accepted and closed before the SSH banner (the server's limit of
    /// logins in progress, an access list).
    ConnectRefused,
    /// TCP connect, SSH banner or key exchange did not finish in time.
    ConnectTimeout,
    /// Not an SSH server, a bad banner, or no common algorithm.
    SshProtocol,
    /// The host key is unknown or changed.
    HostKey,
    /// A TLS handshake failed: the API's certificate is not trusted or does
    /// not match its address (HTTP APIs).
    Tls,
    /// Credentials (password, key, enable secret) rejected.
    Auth,
    /// Logged in, but no prompt was recognised in time.
    PromptTimeout,
    /// A command did not finish in time.
    CommandTimeout,
    /// The device's own deadline (all its work, retries included) passed.
    DeviceTimeout,
    /// The session dropped in the middle of an exchange.
    SessionClosed,
    /// The device answered with a failure indicator (`% Invalid input`).
    RejectedCommand,
    /// Output could not be parsed.
    Parse,
    /// Nothing implements what was asked: no parser, no getter, no platform
    /// support.
    Unsupported,
    /// The plugin trapped (panic, unreachable, bad memory access).
    PluginTrap,
    /// The plugin hit a limit (CPU, memory, output, log volume).
    PluginLimit,
    /// Refused by policy (not granted to the plugin).
    Denied,
    /// The device's circuit breaker is open.
    BreakerOpen,
    /// The run was cancelled or the device's deadline passed.
    Cancelled,
    /// A plugin or host fault that fits no other class.
    Internal,
}

impl ErrorClass {
    /// Every class, in documentation order.
    pub const ALL: &'static [ErrorClass] = &[
        ErrorClass::Inventory,
        ErrorClass::Dns,
        ErrorClass::ConnectRefused,
        ErrorClass::ConnectTimeout,
        ErrorClass::SshProtocol,
        ErrorClass::HostKey,
        ErrorClass::Tls,
        ErrorClass::Auth,
        ErrorClass::PromptTimeout,
        ErrorClass::CommandTimeout,
        ErrorClass::DeviceTimeout,
        ErrorClass::SessionClosed,
        ErrorClass::RejectedCommand,
        ErrorClass::Parse,
        ErrorClass::Unsupported,
        ErrorClass::PluginTrap,
        ErrorClass::PluginLimit,
        ErrorClass::Denied,
        ErrorClass::BreakerOpen,
        ErrorClass::Cancelled,
        ErrorClass::Internal,
    ];

    /// The class's name as it appears in records and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Inventory => "inventory",
            ErrorClass::Dns => "dns",
            ErrorClass::ConnectRefused => "connect-refused",
            ErrorClass::ConnectTimeout => "connect-timeout",
            ErrorClass::SshProtocol => "ssh-protocol",
            ErrorClass::HostKey => "host-key",
            ErrorClass::Tls => "tls",
            ErrorClass::Auth => "auth",
            ErrorClass::PromptTimeout => "prompt-timeout",
            ErrorClass::CommandTimeout => "command-timeout",
            ErrorClass::DeviceTimeout => "device-timeout",
            ErrorClass::SessionClosed => "session-closed",
            ErrorClass::RejectedCommand => "rejected-command",
            ErrorClass::Parse => "parse",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::PluginTrap => "plugin-trap",
            ErrorClass::PluginLimit => "plugin-limit",
            ErrorClass::Denied => "denied",
            ErrorClass::BreakerOpen => "breaker-open",
            ErrorClass::Cancelled => "cancelled",
            ErrorClass::Internal => "internal",
        }
    }

    /// Whether trying again later may succeed. Never true for `auth`: retrying
    /// a wrong password locks accounts.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Dns
                | ErrorClass::ConnectRefused
                | ErrorClass::ConnectTimeout
                | ErrorClass::PromptTimeout
                | ErrorClass::SessionClosed
        )
    }
}

impl ErrorClass {
    /// Whether the failure says something about the device or the path to
    /// it, and so counts against its circuit breaker. A wrong password
    /// counts (repeating it locks accounts); the run's own faults do not.
    pub fn blames_device(self) -> bool {
        matches!(
            self,
            ErrorClass::Dns
                | ErrorClass::ConnectRefused
                | ErrorClass::ConnectTimeout
                | ErrorClass::SshProtocol
                | ErrorClass::HostKey
                | ErrorClass::Tls
                | ErrorClass::Auth
                | ErrorClass::PromptTimeout
                | ErrorClass::DeviceTimeout
                | ErrorClass::SessionClosed
        )
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure. The message names the step and, where there is
/// one, the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What kind of failure.
    pub class: ErrorClass,
    /// One line for a human: what failed, where, and how to fix it.
    pub message: String,
}

impl Error {
    /// A failure of `class` with `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Error {
            class,
            message: message.into(),
        }
    }
}

/// Shorthand for results carrying a classified [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_never_retried() {
        assert!(!ErrorClass::Auth.retryable());
        assert!(!ErrorClass::HostKey.retryable());
        assert!(ErrorClass::ConnectTimeout.retryable());
    }

    #[test]
    fn only_transient_network_failures_are_retryable() {
        let retryable: Vec<&str> = ErrorClass::ALL
            .iter()
            .filter(|c| c.retryable())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            retryable,
            [
                "dns",
                "connect-refused",
                "connect-timeout",
                "prompt-timeout",
                "session-closed"
            ]
        );
    }

    #[test]
    fn every_retryable_class_counts_against_the_device_breaker() {
        for class in ErrorClass::ALL {
            if class.retryable() {
                assert!(class.blames_device(), "{class}");
            }
        }
        assert!(!ErrorClass::Cancelled.blames_device());
        assert!(!ErrorClass::PluginTrap.blames_device());
        assert!(!ErrorClass::BreakerOpen.blames_device());
    }

    #[test]
    fn class_names_are_kebab_case_and_serialise_the_same() {
        for class in ErrorClass::ALL {
            let json = serde_json::to_string(class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }
}

/// An error and its causes on one line, `outer: inner: root`, as `{:#}`
/// prints them, but without a cause whose text the line already holds:
/// many errors write their source into their own message (`cannot read
/// {path}: {source}`), and `{:#}` then printed that source a second time.
pub fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut cause = Some(e);
    while let Some(c) = cause {
        cause = c.source();
        let text = c.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod chain_text_tests {
    use super::chain_text;
    use anyhow::Context;

    #[test]
    fn a_source_written_into_the_message_is_printed_once() {
        let e = crate::inventory::Inventory::load(std::path::Path::new("/nonexistent/netrun-inv"))
            .map_err(anyhow::Error::from)
            .unwrap_err();
        let text = chain_text(&*e);
        assert_eq!(text.matches("(os error 2)").count(), 1, "{text}");
        assert!(text.contains("/nonexistent/netrun-inv"), "{text}");
        // `{:#}` alone repeats it: what this helper is for.
        assert_eq!(format!("{e:#}").matches("(os error 2)").count(), 2);
    }

    #[test]
    fn causes_not_in_the_message_are_all_kept_in_order() {
        let e = Err::<(), _>(std::io::Error::other("connection reset"))
            .context("reading the banner")
            .context("device r1")
            .unwrap_err();
        assert_eq!(
            chain_text(&*e),
            "device r1: reading the banner: connection reset"
        );
    }
}
