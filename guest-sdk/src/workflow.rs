//! Workflow plugins: a job run against each device through the host's CLI
//! session, with the device driver's parsers.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.2",
        world: "workflow-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_workflow",
        default_bindings_module: "netrun_guest::workflow::bindings",
        runtime_path: "netrun_guest::__wit_bindgen::rt",
    });
}

use bindings::netrun::plugin::{cli, getters, parser};

pub use crate::error::{Error, ErrorClass};

crate::error::wit_error_conversions!(bindings::netrun::plugin::types);

/// A device as a workflow sees it. Credentials and secrets are never part of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Inventory name (`r001`, `core-sw-1`).
    pub name: String,
    /// Address the host dials (name or IP).
    pub hostname: String,
    /// Netmiko / Scrapli `device_type` name (`cisco_ios`, `arista_eos`).
    pub platform: String,
    /// Inventory groups the device belongs to, nearest first.
    pub groups: Vec<String>,
    /// The device's inventory `data`, after group and defaults inheritance.
    pub data: serde_json::Value,
}

/// Per-call options; every field is optional and the host's defaults apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOptions {
    /// Deadline for this command in milliseconds.
    pub timeout_ms: Option<u32>,
    /// Regular expression that ends the command instead of the mode's prompt.
    pub expect: Option<String>,
    /// Keep the trailing prompt in the returned output.
    pub keep_prompt: bool,
}

impl From<&CommandOptions> for cli::CommandOptions {
    fn from(o: &CommandOptions) -> Self {
        cli::CommandOptions {
            timeout_ms: o.timeout_ms,
            expect: o.expect.clone(),
            keep_prompt: o.keep_prompt,
        }
    }
}

/// One step of an interactive exchange (`copy run start`, `reload`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    /// Input to send, without line ending.
    pub input: String,
    /// Regular expression for what the device prints when it is ready for the
    /// next step; empty means the mode's prompt.
    pub expect: String,
}

/// What a workflow plugin implements.
pub trait Workflow {
    /// Run against one device. `params` is the run's parameter object; the
    /// returned value becomes the `data` of the device's result record.
    fn run(device: Device, params: serde_json::Value) -> Result<serde_json::Value, Error>;
}

/// Answer a NAPALM-style getter (`facts`, `interfaces`, `lldp_neighbors`, …)
/// for the device through its driver: the host runs the driver's commands
/// and the driver shapes the result. Class `unsupported` when it cannot.
pub fn get(getter: &str) -> Result<serde_json::Value, Error> {
    let text = getters::get(getter)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::parse(format!(
            "driver returned invalid JSON for getter `{getter}`: {e}"
        ))
    })
}

/// An open CLI session to the device the workflow runs against. The host
/// logs in, walks modes, answers pagers and enforces timeouts.
pub struct Session(cli::Session);

impl Session {
    /// Open a session (or reuse the host's pooled one) in the platform's
    /// default mode.
    pub fn open() -> Result<Session, Error> {
        cli::open().map(Session).map_err(Error::from)
    }

    /// Send one command and return its normalised output (no echo, no prompt).
    pub fn send_command(&self, command: &str) -> Result<String, Error> {
        Ok(self.0.send_command(command, None)?)
    }

    /// Send one command with per-call options (timeout, expected prompt).
    pub fn send_command_with(
        &self,
        command: &str,
        options: CommandOptions,
    ) -> Result<String, Error> {
        Ok(self.0.send_command(command, Some(&(&options).into()))?)
    }

    /// Send one command in timing mode (Netmiko's `send_command_timing`):
    /// its output is what the device printed until it stayed quiet for
    /// `settle_ms` milliseconds (`None`: 2000), for output that ends in no
    /// prompt (a menu, a question). Echo and a trailing prompt are removed.
    pub fn send_command_timing(
        &self,
        command: &str,
        settle_ms: Option<u32>,
    ) -> Result<String, Error> {
        Ok(self.0.send_command_timing(command, settle_ms, None)?)
    }

    /// Send commands in order; stops at the first failure.
    pub fn send_commands(&self, commands: &[&str]) -> Result<Vec<String>, Error> {
        let commands: Vec<String> = commands.iter().map(|c| c.to_string()).collect();
        Ok(self.0.send_commands(&commands, None)?)
    }

    /// Enter configuration mode, send `lines`, return to the default mode.
    pub fn send_config(&self, lines: &[&str]) -> Result<String, Error> {
        let lines: Vec<String> = lines.iter().map(|c| c.to_string()).collect();
        Ok(self.0.send_config(&lines, None)?)
    }

    /// Run an interactive exchange (`copy running-config startup-config`).
    pub fn send_interactive(&self, steps: &[Interaction]) -> Result<String, Error> {
        let steps: Vec<cli::Interaction> = steps
            .iter()
            .map(|s| cli::Interaction {
                input: s.input.clone(),
                expect: s.expect.clone(),
            })
            .collect();
        Ok(self.0.send_interactive(&steps, None)?)
    }

    /// The mode the session is in.
    pub fn mode(&self) -> String {
        self.0.mode()
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
        .map_err(|e| Error::parse(format!("driver returned invalid JSON for `{command}`: {e}")))
}

/// HTTP/REST through the host: the device's own API (paths such as
/// `/command-api`, credentials added by the host) or granted hosts.
pub mod http {
    use super::Error;
    use super::bindings::netrun::plugin::http as h;

    /// A response: every HTTP status, except 401/403 from the device's API
    /// (those fail with class `auth`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Response {
        /// Status code.
        pub status: u16,
        /// Response headers, names in lower case.
        pub headers: Vec<(String, String)>,
        /// Body as text.
        pub body: String,
    }

    /// The device's API endpoint from the inventory, if it has one.
    pub fn endpoint() -> Option<String> {
        h::endpoint()
    }

    /// Send a request; `url` is a path on the device's API or an absolute URL.
    pub fn send(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Response, Error> {
        let r = h::send(&h::Request {
            method: method.to_string(),
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.map(str::to_string),
            timeout_ms: None,
        })?;
        Ok(Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }

    /// POST a JSON document and read a JSON answer. A status other than
    /// 2xx fails with the status and the start of the body.
    pub fn post_json(url: &str, body: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let r = send(
            "POST",
            url,
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            Some(&body.to_string()),
        )?;
        if !(200..300).contains(&r.status) {
            let start: String = r.body.chars().take(200).collect();
            return Err(Error::internal(format!(
                "POST {url} answered HTTP {}: {start}",
                r.status
            )));
        }
        serde_json::from_str(&r.body)
            .map_err(|e| Error::parse(format!("POST {url} did not answer JSON: {e}")))
    }
}

/// Configuration changes on the device, the way `netrun config push` makes
/// them: [`Candidate::load`](config::Candidate::load) computes what a
/// candidate changes (nothing is sent),
/// [`Candidate::compare`](config::Candidate::compare) shows it,
/// [`Candidate::commit`](config::Candidate::commit) sends it behind a
/// rollback point (a refused line puts the device back and fails with
/// `rejected-command`), then [`Candidate::confirm`](config::Candidate::confirm)
/// or [`Candidate::rollback`](config::Candidate::rollback). Needs `config = true` under `[capabilities]` in
/// the manifest and `--grant config`; without them every call fails with
/// class `denied` and nothing reaches the device. Secrets are masked in all
/// that comes back.
///
/// ```ignore
/// use netrun_guest::workflow::config::{Candidate, Mode};
/// let candidate = Candidate::load_lines(&["ntp server 192.0.2.1"], Mode::Merge)?;
/// if candidate.compare()?.is_empty() {
///     return Ok(json!({"changed": false}));
/// }
/// let result = candidate.commit(Some(120))?; // undone unless confirmed within 2 min
/// Session::open()?.send_command("show ntp associations")?;
/// candidate.confirm()?;
/// ```
pub mod config {
    use super::Error;
    use super::bindings::netrun::plugin::config as c;

    /// How a candidate applies.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Mode {
        /// The configuration is to hold every candidate line; other lines stay.
        Merge,
        /// The configuration is to equal the candidate; lines it lacks are removed.
        Replace,
    }

    impl From<Mode> for c::LoadMode {
        fn from(m: Mode) -> Self {
            match m {
                Mode::Merge => c::LoadMode::Merge,
                Mode::Replace => c::LoadMode::Replace,
            }
        }
    }

    /// What a commit did (secrets masked).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CommitResult {
        /// Whether the configuration differs from before.
        pub changed: bool,
        /// Lines sent; empty when nothing changed.
        pub commands: Vec<String>,
        /// Unified diff of the running configuration, before → after.
        pub diff: String,
        /// The rollback point taken (`device:NAME`, `device`, `netrun`).
        pub rollback_point: String,
        /// Lines a second identical commit would send again (the device
        /// prints them in another form: write them as it does).
        pub resend: Vec<String>,
        /// Whether the commit awaits [`Candidate::confirm`].
        pub awaiting_confirm: bool,
    }

    /// A candidate configuration loaded against the device.
    pub struct Candidate(c::Candidate);

    impl Candidate {
        /// Load configuration text as the device prints it (indented blocks,
        /// or `set` lines on Junos-style platforms); nothing is sent.
        pub fn load(text: &str, mode: Mode) -> Result<Candidate, Error> {
            Ok(Candidate(c::load(
                &c::Source::Text(text.to_string()),
                mode.into(),
            )?))
        }

        /// Load lines as typed in configuration mode; indentation marks a
        /// line as inside the block above it. Nothing is sent.
        pub fn load_lines(lines: &[&str], mode: Mode) -> Result<Candidate, Error> {
            let lines = lines.iter().map(|l| l.to_string()).collect();
            Ok(Candidate(c::load(&c::Source::Lines(lines), mode.into())?))
        }

        /// Unified diff of the running configuration → the one a commit
        /// would make; empty when the device already holds the candidate.
        pub fn compare(&self) -> Result<String, Error> {
            Ok(self.0.compare()?)
        }

        /// The lines a commit would send, in order.
        pub fn commands(&self) -> Vec<String> {
            self.0.commands()
        }

        /// Send the candidate behind a rollback point. With `confirm_seconds`,
        /// the change is undone unless [`Candidate::confirm`] is called in
        /// time (and when the workflow ends without confirming). A candidate
        /// commits once.
        pub fn commit(&self, confirm_seconds: Option<u32>) -> Result<CommitResult, Error> {
            let r = self.0.commit(confirm_seconds)?;
            Ok(CommitResult {
                changed: r.changed,
                commands: r.commands,
                diff: r.diff,
                rollback_point: r.rollback_point,
                resend: r.resend,
                awaiting_confirm: r.awaiting_confirm,
            })
        }

        /// Confirm a commit made with `confirm_seconds`. Past the window the
        /// change is rolled back and this fails with `command-timeout`.
        pub fn confirm(&self) -> Result<(), Error> {
            Ok(self.0.confirm()?)
        }

        /// Undo a commit: the device's configuration as before it, checked.
        pub fn rollback(&self) -> Result<(), Error> {
            Ok(self.0.rollback()?)
        }

        /// Drop an uncommitted candidate; nothing is sent. After a commit it
        /// fails: use [`Candidate::rollback`].
        pub fn discard(&self) -> Result<(), Error> {
            Ok(self.0.discard()?)
        }
    }
}

/// Device metrics for Prometheus (`netrun serve` `/metrics`,
/// `--metrics-file`). The host prefixes names with the plugin's name and adds
/// the `device` label.
pub mod metrics {
    use super::Error;
    use super::bindings::netrun::plugin::metrics as m;

    fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Set a gauge.
    pub fn gauge(name: &str, help: &str, labels: &[(&str, &str)], value: f64) -> Result<(), Error> {
        Ok(m::gauge(name, help, &owned(labels), value)?)
    }

    /// Export a device-side counter's running total (name ends in `_total`).
    pub fn counter(
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        value: f64,
    ) -> Result<(), Error> {
        Ok(m::counter(name, help, &owned(labels), value)?)
    }
}

#[doc(hidden)]
pub fn __device(device: bindings::netrun::plugin::types::Device) -> Device {
    Device {
        name: device.name,
        hostname: device.hostname,
        platform: device.platform,
        groups: device.groups,
        data: serde_json::from_str(&device.data).unwrap_or(serde_json::Value::Null),
    }
}

#[doc(hidden)]
pub fn __params(params: &str) -> Result<serde_json::Value, Error> {
    if params.trim().is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_str(params)
        .map_err(|e| Error::internal(format!("run parameters are not JSON: {e}")))
}

/// Register the type that implements [`Workflow`] as this component's workflow.
#[macro_export]
macro_rules! register_workflow {
    ($workflow:ty) => {
        #[doc(hidden)]
        pub struct __NetrunWorkflowExport;

        impl $crate::workflow::bindings::exports::netrun::plugin::workflow::Guest
            for __NetrunWorkflowExport
        {
            fn run(
                device: $crate::workflow::bindings::netrun::plugin::types::Device,
                params: ::std::string::String,
            ) -> ::std::result::Result<
                ::std::string::String,
                $crate::workflow::bindings::netrun::plugin::types::Error,
            > {
                let params = $crate::workflow::__params(&params)?;
                <$workflow as $crate::workflow::Workflow>::run(
                    $crate::workflow::__device(device),
                    params,
                )
                .map(|value| value.to_string())
                .map_err(::std::convert::Into::into)
            }
        }

        // Exported only in the component: a native build (tests of the
        // plugin's Rust code) must not export names with `:`, which
        // linkers reject in a shared object's symbol list.
        #[cfg(target_arch = "wasm32")]
        $crate::workflow::bindings::__export_workflow!(__NetrunWorkflowExport);
    };
}
