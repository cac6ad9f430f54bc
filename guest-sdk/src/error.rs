//! The error every plugin call returns: a class from the host's fixed set and
//! a message. It crosses the WIT boundary unchanged, so a workflow that
//! passes on a host error (`session.send_command(..)?`) keeps its class in
//! the device's result record.

use std::fmt;

/// The class of a failure: the set the host writes into result records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The inventory or the run's settings are wrong for this device.
    Inventory,
    /// Name resolution failed.
    Dns,
    /// TCP connection refused, or closed by the server before its SSH
    /// banner (at its limit of logins in progress: OpenSSH's MaxStartups,
    /// all of a device's vty lines busy). Worth retrying.
    ConnectRefused,
    /// TCP connect, SSH banner or key exchange did not finish in time.
    ConnectTimeout,
    /// Not an SSH server, a bad banner, or no common algorithm.
    SshProtocol,
    /// The device's host key is unknown or changed.
    HostKey,
    /// A TLS handshake failed (HTTP APIs).
    Tls,
    /// The device rejected the credentials.
    Auth,
    /// Logged in, but no prompt was recognised in time.
    PromptTimeout,
    /// A command did not finish in time.
    CommandTimeout,
    /// The device's own deadline passed.
    DeviceTimeout,
    /// The session closed while a command was running.
    SessionClosed,
    /// The device answered with one of the platform's failure indicators.
    RejectedCommand,
    /// Output could not be turned into structured data.
    Parse,
    /// Nothing implements what was asked: no parser, no getter.
    Unsupported,
    /// A plugin trapped.
    PluginTrap,
    /// A plugin hit one of its limits.
    PluginLimit,
    /// The operator's policy does not allow this.
    Denied,
    /// The device's circuit breaker is open.
    BreakerOpen,
    /// The run was interrupted.
    Cancelled,
    /// Anything else; the message says what.
    Internal,
}

impl ErrorClass {
    /// Every class, in the host's documentation order.
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

    /// The class's name as result records and metrics spell it (`connect-refused`).
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

    /// The class named `name` (`"rejected-command"`), if there is one.
    pub fn from_name(name: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub class: ErrorClass,
    /// One line for a human: what failed and how to fix it.
    pub message: String,
    /// The command or configuration line concerned, when there is one.
    pub command: Option<String>,
}

impl Error {
    /// A failure of `class`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Error {
        Error {
            class,
            message: message.into(),
            command: None,
        }
    }

    /// Output that could not be turned into structured data.
    pub fn parse(message: impl Into<String>) -> Error {
        Error::new(ErrorClass::Parse, message)
    }

    /// Something the plugin cannot answer (no parser, no getter).
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorClass::Unsupported, message)
    }

    /// A failure that fits no other class.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorClass::Internal, message)
    }

    /// The device refused `command`; `output` is what it answered.
    pub fn rejected(command: impl Into<String>, output: impl Into<String>) -> Error {
        Error {
            class: ErrorClass::RejectedCommand,
            message: output.into(),
            command: Some(command.into()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.command {
            Some(c) => write!(f, "`{c}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Conversions between [`Error`] and a world's generated WIT error, which
/// spells every class the same way.
#[allow(unused_macros)]
macro_rules! wit_error_conversions {
    ($($types:ident)::+) => {
        impl From<$($types)::+::Error> for $crate::error::Error {
            fn from(e: $($types)::+::Error) -> Self {
                use $($types)::+::ErrorClass as W;
                use $crate::error::ErrorClass as C;
                $crate::error::Error {
                    class: $crate::error::wit_error_conversions!(@map e.class; W => C),
                    message: e.message,
                    command: e.command,
                }
            }
        }

        impl From<$crate::error::Error> for $($types)::+::Error {
            fn from(e: $crate::error::Error) -> Self {
                use $($types)::+::ErrorClass as W;
                use $crate::error::ErrorClass as C;
                $($types)::+::Error {
                    class: $crate::error::wit_error_conversions!(@map e.class; C => W),
                    message: e.message,
                    command: e.command,
                }
            }
        }
    };
    (@map $v:expr; $from:ident => $to:ident) => {
        match $v {
            $from::Inventory => $to::Inventory,
            $from::Dns => $to::Dns,
            $from::ConnectRefused => $to::ConnectRefused,
            $from::ConnectTimeout => $to::ConnectTimeout,
            $from::SshProtocol => $to::SshProtocol,
            $from::HostKey => $to::HostKey,
            $from::Tls => $to::Tls,
            $from::Auth => $to::Auth,
            $from::PromptTimeout => $to::PromptTimeout,
            $from::CommandTimeout => $to::CommandTimeout,
            $from::DeviceTimeout => $to::DeviceTimeout,
            $from::SessionClosed => $to::SessionClosed,
            $from::RejectedCommand => $to::RejectedCommand,
            $from::Parse => $to::Parse,
            $from::Unsupported => $to::Unsupported,
            $from::PluginTrap => $to::PluginTrap,
            $from::PluginLimit => $to::PluginLimit,
            $from::Denied => $to::Denied,
            $from::BreakerOpen => $to::BreakerOpen,
            $from::Cancelled => $to::Cancelled,
            $from::Internal => $to::Internal,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use wit_error_conversions;
