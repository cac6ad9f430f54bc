//! Transports to devices: SSH CLI sessions (russh) and what they need —
//! connection targets, dialling and login, host-key verification, compiled
//! platform definitions, terminal text handling — and HTTP to device APIs.

pub mod algorithms;
pub mod auth;
pub mod config_mechanics;
pub mod dial;
mod echo_pace;
pub mod host_key;
pub mod http;
pub mod jump;
pub mod known_hosts;
pub mod platform;
pub mod replay;
pub mod session;
pub mod session_log;
pub mod ssh_config;
pub mod target;
pub mod text;

pub use dial::Timeouts;
pub use session::{CliSession, CommandOptions};
pub use target::Target;
