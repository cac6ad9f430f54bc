//! Transports to devices: SSH CLI sessions (russh) and what they need —
//! compiled platform definitions, terminal text handling, known_hosts.

pub mod algorithms;
pub mod auth;
pub mod config_mechanics;
pub mod http;
pub mod jump;
pub mod known_hosts;
pub mod platform;
pub mod session_log;
pub mod ssh;
pub mod ssh_config;
pub mod text;
#[cfg(test)]
mod transcripts;
