//! The netrun guest SDK: what a Rust plugin author depends on.
//!
//! A plugin is one WebAssembly component, built for `wasm32-wasip2`. It is
//! either a **driver** (platform definitions and parsers for one vendor) or a
//! **workflow** (a job run against each device). Enable the matching feature
//! of this crate, implement the trait and register it with one macro:
//!
//! ```ignore
//! use netrun_guest::driver::{Driver, Definition, ParseError};
//!
//! struct MyVendor;
//! impl Driver for MyVendor {
//!     fn platforms() -> Vec<Definition> { vec![/* … */] }
//!     fn parsers(_platform: &str) -> Vec<String> { vec!["show version".into()] }
//!     fn parse(_platform: &str, command: &str, output: &str)
//!         -> Result<serde_json::Value, ParseError> { todo_parse(command, output) }
//! }
//! netrun_guest::register_driver!(MyVendor);
//! ```
//!
//! The WIT contract lives in `wit/v0.2` of the netrun repository
//! (`netrun:plugin@0.2`); the bindings generated from it stay inside this
//! crate: its public API is plain Rust types.

#![warn(missing_docs)]

// Generated bindings name this crate by its external name, also from inside.
extern crate self as netrun_guest;

#[cfg(feature = "driver")]
pub mod driver;
pub mod error;
pub mod fixtures;
pub mod text;
#[cfg(feature = "workflow")]
pub mod workflow;

pub use error::{Error, ErrorClass};
pub use serde_json::{Value, json};

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

/// Severity of a log record, from quietest to loudest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Information useful when debugging a plugin.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that the plugin worked around.
    Warn,
    /// Something failed.
    Error,
}

/// Write a record into the host's structured log; it carries the device and
/// run id. The host drops records past its per-plugin budget.
pub fn log(level: Level, message: &str) {
    #[cfg(feature = "workflow")]
    {
        use workflow::bindings::netrun::plugin::log as l;
        l::log(
            match level {
                Level::Trace => l::Level::Trace,
                Level::Debug => l::Level::Debug,
                Level::Info => l::Level::Info,
                Level::Warn => l::Level::Warn,
                Level::Error => l::Level::Error,
            },
            message,
        );
    }
    #[cfg(all(feature = "driver", not(feature = "workflow")))]
    {
        use driver::bindings::netrun::plugin::log as l;
        l::log(
            match level {
                Level::Trace => l::Level::Trace,
                Level::Debug => l::Level::Debug,
                Level::Info => l::Level::Info,
                Level::Warn => l::Level::Warn,
                Level::Error => l::Level::Error,
            },
            message,
        );
    }
    #[cfg(not(any(feature = "driver", feature = "workflow")))]
    let _ = (level, message);
}
