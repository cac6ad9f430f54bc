//! Transports to devices: SSH CLI sessions (russh) and what they need —
//! compiled platform definitions, terminal text handling, known_hosts.

pub mod known_hosts;
pub mod platform;
pub mod ssh;
pub mod text;
