//! netrun: an embedded, WASM-scriptable network-automation runtime.
//!
//! The layers follow the data flow of DESIGN.md, top to bottom:
//! [`cli`] → [`runner`] → [`runtime`] (wasmtime plugins) → [`transport`]
//! (SSH), with [`inventory`], [`results`] and [`error`] beside them;
//! [`parsing`] gives structured output for any command (driver, then TextFSM).

#![warn(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod config;
pub mod error;
pub mod inventory;
pub mod memlock;
pub mod parsing;
pub mod resilience;
pub mod results;
pub mod runner;
pub mod runtime;
pub mod secret;
pub mod telemetry;
pub mod transport;
