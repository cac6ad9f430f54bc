//! The lines of the 0.1.1 guest SDK (`netrun-guest` at commit 0cf58e2,
//! vendored by the scaffold in `.netrun/guest-sdk/`) that `lib.rs` uses,
//! unchanged but for the paths of a module instead of a crate.

pub use serde_json::{Value, json};

/// Severity of a log record, from quietest to loudest.
#[allow(dead_code)] // The SDK's full set; the scaffold logs at Debug only.
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

/// Workflow plugins: a job run against each device through the host's CLI
/// session, with the device driver's parsers.
pub mod workflow {
    #[doc(hidden)]
    pub mod bindings {
        wit_bindgen::generate!({
            path: "wit",
            world: "workflow-plugin",
            default_bindings_module: "crate::netrun_guest::workflow::bindings",
        });
        // Used by `register_workflow!` in the component only.
        #[cfg(target_arch = "wasm32")]
        pub(crate) use export as __export_workflow;
    }

    use bindings::netrun::plugin::{cli, parser};

    pub use bindings::netrun::plugin::types::{Device, Error};

    /// What a workflow plugin implements.
    pub trait Workflow {
        /// Run against one device. `params` is the run's parameter object; the
        /// returned value becomes the `data` of the device's result record.
        fn run(device: Device, params: serde_json::Value) -> Result<serde_json::Value, Error>;
    }

    /// An open CLI session to the device the workflow runs against. The host
    /// logs in, walks modes, answers pagers and enforces timeouts.
    pub struct Session(cli::Session);

    impl Session {
        /// Open a session (or reuse the host's pooled one) in the platform's
        /// default mode.
        pub fn open() -> Result<Session, Error> {
            cli::open().map(Session)
        }

        /// Send one command and return its normalised output (no echo, no prompt).
        pub fn send_command(&self, command: &str) -> Result<String, Error> {
            self.0.send_command(command, None)
        }

        /// Send `command` and parse its output with the device's driver.
        pub fn send_command_parsed(&self, command: &str) -> Result<serde_json::Value, Error> {
            let output = self.send_command(command)?;
            parse(command, &output)
        }
    }

    /// Parse `output` of `command` with the driver of the device's platform.
    pub fn parse(command: &str, output: &str) -> Result<serde_json::Value, Error> {
        let text = parser::parse(command, output)?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Parse(format!("driver returned invalid JSON for `{command}`: {e}")))
    }

    #[doc(hidden)]
    pub fn __params(params: &str) -> Result<serde_json::Value, Error> {
        if params.trim().is_empty() {
            return Ok(serde_json::Value::Object(Default::default()));
        }
        serde_json::from_str(params)
            .map_err(|e| Error::Internal(format!("run parameters are not JSON: {e}")))
    }
}

/// Register the type that implements [`workflow::Workflow`] as this
/// component's workflow.
macro_rules! register_workflow {
    ($workflow:ty) => {
        #[doc(hidden)]
        pub struct __NetrunWorkflowExport;

        impl crate::netrun_guest::workflow::bindings::exports::netrun::plugin::workflow::Guest
            for __NetrunWorkflowExport
        {
            fn run(
                device: crate::netrun_guest::workflow::Device,
                params: ::std::string::String,
            ) -> ::std::result::Result<::std::string::String, crate::netrun_guest::workflow::Error>
            {
                let params = crate::netrun_guest::workflow::__params(&params)?;
                <$workflow as crate::netrun_guest::workflow::Workflow>::run(device, params)
                    .map(|value| value.to_string())
            }
        }

        // Exported only in the component: a native build (tests of the
        // plugin's Rust code) must not export names with `:`, which
        // linkers reject in a shared object's symbol list.
        #[cfg(target_arch = "wasm32")]
        crate::netrun_guest::workflow::bindings::__export_workflow!(__NetrunWorkflowExport);
    };
}
pub(crate) use register_workflow;
