//! What the host gives plugins: `log` for all, the device's CLI session and
//! its driver's parsers for workflows.

use super::bindings::{driver as dw, workflow as ww};
use super::{
    DriverPlatform, LimitExceeded, Plugin, PluginState, Runtime, check_output, policy, trap_error,
};
use crate::error::{Error, ErrorClass};
use crate::resilience::breaker::Breakers;
use crate::resilience::deadline::Progress;
use crate::resilience::dial::Dial;
use crate::resilience::pool::{Lease, Pool};
use crate::resilience::retry::RetryPolicy;
use crate::telemetry::{PluginLabels, metrics};
use crate::transport::http;
use crate::transport::ssh::{CliSession, CommandOptions, Target};
use regex::Regex;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wasmtime::Store;
use wasmtime::component::Resource;

/// The host side of a WIT `session` handle. Each device task has one CLI
/// session; handles are tokens that reach it through the store.
pub struct SessionToken;

/// How sessions are reached, shared by every device task of a process (and
/// across runs of a long-lived one): the pool, the breakers, the retries.
pub struct Connectivity {
    /// Open sessions per device.
    pub pool: Arc<Pool<CliSession>>,
    /// One circuit breaker per device.
    pub breakers: Arc<Breakers>,
    /// Attempts and backoff of the connect/login step.
    pub retry: RetryPolicy,
    /// HTTP clients, kept alive across devices and runs.
    pub http: Arc<http::Clients>,
}

/// What one device task knows about its own limits.
pub struct Limits {
    /// The device deadline: no retry sleep reaches it.
    pub deadline: Option<Instant>,
    /// Cancelled when the run stops dialling (shutdown).
    pub stop: CancellationToken,
    /// Attempts and current step, read by the runner.
    pub progress: Arc<Progress>,
}

/// Everything a workflow instance may reach of its device.
pub struct DeviceContext {
    /// How to reach the device (credentials stay here, host side).
    pub target: Target,
    /// The device's platform and driver, when the inventory names a known one.
    pub platform: Option<DriverPlatform>,
    /// The device's `platform` as the inventory names it.
    pub platform_name: String,
    /// For instantiating the driver's parsers.
    pub runtime: Arc<Runtime>,
    /// The device's slot in the pool, with its session once open.
    lease: Option<Lease<CliSession>>,
    connectivity: Arc<Connectivity>,
    limits: Limits,
    /// The last classified failure the host handed to the plugin; a workflow
    /// that returns the same error keeps its precise class.
    pub last_error: Option<Error>,
    /// A recorded device that answers instead of a real one (`netrun plugin
    /// test`); no connection is ever made while it is set.
    pub replay: Option<Transcript>,
    /// The device's HTTP API from the inventory (`connection_options.http`);
    /// an inventory mistake is kept and reported when a plugin uses it.
    pub http_endpoint: Result<Option<http::Endpoint>, Error>,
    driver: Option<DriverInstance>,
}

/// A recorded device: the commands a workflow is expected to send and what
/// the device answered, for running workflows with no device.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    exchanges: Vec<(String, String)>,
    /// Recorded HTTP exchanges with the device's API or other hosts.
    pub http: Vec<HttpExchange>,
    /// Commands and configuration lines the workflow sent, in order.
    pub sent: Vec<String>,
}

/// One recorded HTTP request and its response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpExchange {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path (`/command-api`) or absolute URL, as the plugin sends it.
    pub url: String,
    /// When set, the JSON request body must equal this.
    pub request: Option<serde_json::Value>,
    /// Status answered.
    pub status: u16,
    /// Body answered.
    pub body: String,
}

impl Transcript {
    /// A transcript of `(command, output)` exchanges.
    pub fn new(exchanges: Vec<(String, String)>) -> Transcript {
        Transcript {
            exchanges,
            http: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// What the recorded API answered to this request.
    pub fn answer_http(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&str>,
    ) -> Result<http::Response, Error> {
        self.sent.push(format!("{method} {url}"));
        let sent_json = body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
        self.http
            .iter()
            .find(|x| {
                x.method.eq_ignore_ascii_case(method)
                    && x.url == url
                    && x.request.as_ref().is_none_or(|r| Some(r) == sent_json.as_ref())
            })
            .map(|x| http::Response {
                status: x.status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: x.body.clone(),
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorClass::RejectedCommand,
                    format!(
                        "the transcript has no HTTP answer for {method} {url}{}: record it under \"http\" ({{\"method\": \"{method}\", \"url\": \"{url}\", \"request\": …, \"status\": 200, \"body\": …}})",
                        body.map(|b| format!(" with body {}", b.chars().take(200).collect::<String>()))
                            .unwrap_or_default()
                    ),
                )
            })
    }

    /// What the recorded device answered to `command`; a command the
    /// transcript lacks is refused like a device would.
    pub fn answer(&mut self, command: &str) -> Result<String, Error> {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        self.sent.push(command.to_string());
        let wanted = norm(command);
        self.exchanges
            .iter()
            .find(|(c, _)| norm(c) == wanted)
            .map(|(_, o)| o.clone())
            .ok_or_else(|| {
                Error::new(
                    ErrorClass::RejectedCommand,
                    format!(
                        "the transcript has no answer for `{wanted}`: record it under \"exchanges\" ({{\"command\": \"{wanted}\", \"output\": \"…\"}})"
                    ),
                )
            })
    }
}

impl DeviceContext {
    /// A context with no session taken yet.
    pub fn new(
        target: Target,
        platform: Option<DriverPlatform>,
        platform_name: String,
        runtime: Arc<Runtime>,
        connectivity: Arc<Connectivity>,
        limits: Limits,
    ) -> Self {
        DeviceContext {
            target,
            platform,
            platform_name,
            runtime,
            lease: None,
            connectivity,
            limits,
            last_error: None,
            replay: None,
            http_endpoint: Ok(None),
            driver: None,
        }
    }

    /// The pool key: the same device reached the same way.
    fn pool_key(&self) -> String {
        let t = &self.target;
        format!(
            "{}|{}@{}:{}|{}",
            t.device, t.username, t.host, t.port, self.platform_name
        )
    }

    /// Where the device task's attempts and step are kept.
    pub fn progress(&self) -> Arc<Progress> {
        self.limits.progress.clone()
    }

    /// Name the step in progress (for deadline and shutdown messages).
    pub fn set_step(&self, step: impl Into<String>) {
        self.limits.progress.set_step(step);
    }

    fn no_platform(&self) -> Error {
        if self.platform_name.is_empty() {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: no platform set: add `platform: cisco_ios` (or another device_type) to the host or its group",
                    self.target.device
                ),
            )
        } else {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: no installed driver defines platform `{}`: install its driver plugin (netrun plugin list shows what is installed)",
                    self.target.device, self.platform_name
                ),
            )
        }
    }

    /// The device's session: from the pool when one is idle, else opened
    /// (through the breaker, with retries); reopened when it died.
    pub async fn session(&mut self) -> Result<&mut CliSession, Error> {
        let platform = self
            .platform
            .as_ref()
            .ok_or_else(|| self.no_platform())?
            .platform
            .clone();
        if self.lease.is_none() {
            self.set_step("waiting for a free session slot of the device");
            let key = self.pool_key();
            self.lease = Some(self.connectivity.pool.checkout(&key).await);
        }
        let alive = self
            .lease
            .as_mut()
            .and_then(Lease::session)
            .is_some_and(|s| s.is_alive());
        if !alive {
            if let Some(dead) = self.lease.as_mut().and_then(Lease::take) {
                // Out of step or disconnected: never reused, closed quietly.
                dead.close().await;
            }
            let breaker = self.connectivity.breakers.get(&self.target.device);
            let dial = Dial {
                device: &self.target.device,
                breaker: &breaker,
                policy: &self.connectivity.retry,
                deadline: self.limits.deadline,
                stop: &self.limits.stop,
                progress: &self.limits.progress,
            };
            let target = &self.target;
            let session = dial
                .open(|| CliSession::open(target, platform.clone()))
                .await?;
            if let Some(lease) = self.lease.as_mut() {
                lease.put(session);
            }
        }
        self.set_step("logged in");
        self.lease
            .as_mut()
            .and_then(Lease::session)
            .ok_or_else(|| Error::new(ErrorClass::Internal, "session vanished from its lease"))
    }

    /// Parse with the device's driver; the driver instance lives as long as
    /// the device task.
    pub async fn parse(&mut self, command: &str, output: &str) -> Result<String, Error> {
        let dp = self.platform.clone().ok_or_else(|| self.no_platform())?;
        if self.driver.is_none() {
            let device = Arc::from(self.target.device.as_str());
            self.driver = Some(self.runtime.checkout_driver(&dp.driver, device).await?);
        }
        let Some(driver) = self.driver.as_mut() else {
            return Err(Error::new(ErrorClass::Internal, "driver instance vanished"));
        };
        let result = driver.parse(&dp.platform.name, command, output).await;
        if result.as_ref().is_err_and(|e| e.class != ErrorClass::Parse) {
            // A trapped instance is unusable; the next parse gets a fresh one.
            self.driver = None;
        }
        result.map_err(|mut e| {
            e.message = format!("{}: {}", self.target.device, e.message);
            e
        })
    }

    /// Time left for one exchange: `asked` (or the command timeout), never
    /// past the device deadline.
    fn exchange_timeout(&self, asked: Option<Duration>) -> Duration {
        let t = asked.unwrap_or(self.target.timeouts.command);
        match self.limits.deadline {
            Some(d) => t.min(d.saturating_duration_since(Instant::now())),
            None => t,
        }
    }

    /// Send an HTTP request to the device's own API: `path` on its
    /// inventory endpoint, with its credentials, through its breaker, the
    /// connect step retried like an SSH login.
    pub async fn http_device(
        &mut self,
        method: reqwest::Method,
        path: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<http::Response, Error> {
        let device = self.target.device.clone();
        let endpoint = self.http_endpoint.clone()?.ok_or_else(|| {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{device}: no HTTP API is set for this device: add connection_options.http (port, extras: {{scheme: https, ca_file: …}}) to it or its group"
                ),
            )
        })?;
        let request = http::Request {
            method,
            url: endpoint.url(path)?,
            headers,
            body,
            timeout: self.exchange_timeout(timeout),
        };
        let client =
            self.connectivity
                .http
                .get(&device, &endpoint.tls, self.target.timeouts.connect)?;
        let auth = match (&endpoint.username, &endpoint.password) {
            (Some(u), Some(p)) => Some((u.as_str(), p)),
            _ => None,
        };
        let breaker = self.connectivity.breakers.get(&device);
        let dial = Dial {
            device: &device,
            breaker: &breaker,
            policy: &self.connectivity.retry,
            deadline: self.limits.deadline,
            stop: &self.limits.stop,
            progress: &self.limits.progress,
        };
        let started = Instant::now();
        let outcome = dial.open(|| http::send_once(&client, &request, auth)).await;
        crate::telemetry::Metrics::observe(
            &metrics().http_request_seconds,
            &self.platform_name,
            started.elapsed(),
        );
        let response = outcome??;
        if response.status == 401 || response.status == 403 {
            return Err(Error::new(
                ErrorClass::Auth,
                format!(
                    "{device}: the API at {} refused the inventory's credentials (HTTP {}): check username and password (connection_options.http or the host's own)",
                    endpoint.base, response.status
                ),
            ));
        }
        Ok(response)
    }

    /// Send an HTTP request to another host (the caller checked the grant):
    /// system CA roots, no credentials, one attempt.
    pub async fn http_external(
        &mut self,
        method: reqwest::Method,
        url: reqwest::Url,
        headers: Vec<(String, String)>,
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<http::Response, Error> {
        let request = http::Request {
            method,
            url,
            headers,
            body,
            timeout: self.exchange_timeout(timeout),
        };
        let client = self.connectivity.http.get(
            &self.target.device,
            &http::Tls::System,
            self.target.timeouts.connect,
        )?;
        http::send_once(&client, &request, None).await?
    }

    /// The current session's mode, if a session is open.
    pub fn mode(&mut self) -> Option<String> {
        self.lease
            .as_mut()
            .and_then(Lease::session)
            .map(|s| s.mode().to_string())
    }

    /// Hand the session back to the pool (a dead one is closed) and free
    /// the device's slot.
    pub async fn close(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.checkin(&self.connectivity.pool).await;
        }
    }
}

/// A live instance of a driver plugin, for parsing.
pub struct DriverInstance {
    plugin: Arc<Plugin>,
    store: Store<PluginState>,
    instance: dw::DriverPlugin,
}

impl Drop for DeviceContext {
    fn drop(&mut self) {
        // A driver instance that only ever returned parse results is
        // healthy: hand it to the next device.
        if let Some(driver) = self.driver.take() {
            self.runtime.checkin_driver(driver);
        }
    }
}

impl DriverInstance {
    /// The component's sha256 (the idle-instance key).
    pub fn sha256(&self) -> &str {
        &self.plugin.sha256
    }

    /// The device the instance serves now.
    pub fn device(&self) -> &str {
        &self.store.data().device
    }

    /// Serve `device` from now on: its name in the driver's log records and
    /// a fresh log budget.
    pub fn assign(&mut self, device: Arc<str>) {
        let budget = self.plugin.bundle.manifest.limits.capped().log_records;
        let data = self.store.data_mut();
        data.device = device;
        data.log_budget = budget;
    }

    /// Instantiate `plugin` in a fresh store.
    pub async fn new(
        runtime: &Runtime,
        plugin: Arc<Plugin>,
        device: Arc<str>,
    ) -> Result<Self, Error> {
        let mut store = runtime.store(&plugin, device, None);
        let instance = runtime.instantiate_driver(&plugin, &mut store).await?;
        Ok(DriverInstance {
            plugin,
            store,
            instance,
        })
    }

    /// Parse `output` of `command` on `platform`; returns the JSON text.
    /// A trap leaves the instance unusable: drop it on any non-parse error.
    pub async fn parse(
        &mut self,
        platform: &str,
        command: &str,
        output: &str,
    ) -> Result<String, Error> {
        use dw::exports::netrun::plugin::driver::ParseError as P;
        let name = &self.plugin.bundle.manifest.name;
        // CPU budget per call, not per instance: a driver parses many outputs.
        let fuel = self
            .plugin
            .bundle
            .manifest
            .limits
            .fuel_millions
            .saturating_mul(1_000_000);
        let _ = self.store.set_fuel(fuel);
        let started = std::time::Instant::now();
        let result = self
            .instance
            .netrun_plugin_driver()
            .call_parse(&mut self.store, platform, command, output)
            .await;
        metrics()
            .plugin_call_seconds
            .get_or_create(&PluginLabels {
                plugin: name.clone(),
                call: "parse".into(),
            })
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(Ok(json)) => {
                let limit = self.store.data().output_limit;
                check_output(name, "parse", &json, limit)?;
                Ok(json)
            }
            Ok(Err(P::UnsupportedCommand(m))) => Err(Error::new(
                ErrorClass::Parse,
                format!("driver {name} has no parser for `{command}` on {platform}: {m}"),
            )),
            Ok(Err(P::UnexpectedOutput(m))) => Err(Error::new(
                ErrorClass::Parse,
                format!("cannot parse output of `{command}`: {m}"),
            )),
            Err(e) => Err(trap_error(name, "parse", e)),
        }
    }
}

fn options(o: Option<ww::netrun::plugin::cli::CommandOptions>) -> Result<CommandOptions, Error> {
    let Some(o) = o else {
        return Ok(CommandOptions::default());
    };
    let expect = match o.expect.as_deref() {
        Some(p) if !p.is_empty() => Some(Regex::new(p).map_err(|e| {
            Error::new(
                ErrorClass::Internal,
                format!("expect pattern `{p}` is not a valid regex: {e}"),
            )
        })?),
        _ => None,
    };
    Ok(CommandOptions {
        timeout: o.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
        expect,
        keep_prompt: o.keep_prompt,
    })
}

/// The WIT form of a host error.
pub fn to_wit(e: &Error, command: &str) -> ww::netrun::plugin::types::Error {
    use ww::netrun::plugin::types::{Error as W, RejectedCommand};
    let m = e.message.clone();
    match e.class {
        ErrorClass::Dns
        | ErrorClass::ConnectRefused
        | ErrorClass::SshProtocol
        | ErrorClass::HostKey
        | ErrorClass::Tls
        | ErrorClass::BreakerOpen => W::Connection(m),
        ErrorClass::Auth => W::Auth(m),
        ErrorClass::ConnectTimeout
        | ErrorClass::PromptTimeout
        | ErrorClass::CommandTimeout
        | ErrorClass::Cancelled => W::Timeout(m),
        ErrorClass::SessionClosed => W::SessionClosed(m),
        ErrorClass::RejectedCommand => W::RejectedCommand(RejectedCommand {
            command: command.to_string(),
            output: m,
        }),
        ErrorClass::Parse => W::Parse(m),
        ErrorClass::Denied => W::Denied(m),
        ErrorClass::Inventory => W::Unsupported(m),
        ErrorClass::PluginTrap | ErrorClass::PluginLimit | ErrorClass::Internal => W::Internal(m),
    }
}

/// The host class of an error a plugin returned.
pub fn from_wit(e: &ww::netrun::plugin::types::Error) -> Error {
    use ww::netrun::plugin::types::Error as W;
    let (class, m) = match e {
        W::Connection(m) => (ErrorClass::SshProtocol, m.clone()),
        W::Auth(m) => (ErrorClass::Auth, m.clone()),
        W::Timeout(m) => (ErrorClass::CommandTimeout, m.clone()),
        W::SessionClosed(m) => (ErrorClass::SessionClosed, m.clone()),
        W::RejectedCommand(r) => (
            ErrorClass::RejectedCommand,
            format!("`{}` rejected: {}", r.command, r.output),
        ),
        W::Parse(m) => (ErrorClass::Parse, m.clone()),
        W::Denied(m) => (ErrorClass::Denied, m.clone()),
        W::Unsupported(m) => (ErrorClass::Parse, m.clone()),
        W::Internal(m) => (ErrorClass::Internal, m.clone()),
    };
    Error::new(class, m)
}

impl PluginState {
    fn ctx(&mut self) -> Result<&mut DeviceContext, Error> {
        self.ctx
            .as_deref_mut()
            .ok_or_else(|| Error::new(ErrorClass::Internal, "this plugin runs without a device"))
    }

    /// Log one record; past the budget the plugin is stopped (`plugin-limit`),
    /// so a plugin that floods the log cannot fill the host's disk or CPU.
    fn write_log(&mut self, level: tracing::Level, message: &str) -> wasmtime::Result<()> {
        if self.log_budget == 0 {
            return Err(wasmtime::Error::new(LimitExceeded(
                "it wrote more log records than its limit (limits.log_records)".into(),
            )));
        }
        self.log_budget -= 1;
        let message: String = message.chars().take(4096).collect();
        let (plugin, device) = (&*self.plugin, &*self.device);
        match level {
            tracing::Level::ERROR => tracing::error!(plugin, device, "{message}"),
            tracing::Level::WARN => tracing::warn!(plugin, device, "{message}"),
            tracing::Level::INFO => tracing::info!(plugin, device, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(plugin, device, "{message}"),
            tracing::Level::TRACE => tracing::trace!(plugin, device, "{message}"),
        }
        if self.log_budget == 0 {
            tracing::warn!(
                plugin,
                device,
                "plugin log budget used up; one more record stops the plugin"
            );
        }
        Ok(())
    }

    /// Refuse the command unless the plugin's manifest requested it; recorded
    /// like a host error so the device's record keeps class `denied`.
    fn guard_command(&mut self, command: &str) -> Result<(), ww::netrun::plugin::types::Error> {
        let checked = self.guard.check_command(command);
        self.refused(checked, command)
    }

    fn guard_config(&mut self) -> Result<(), ww::netrun::plugin::types::Error> {
        let checked = self.guard.check_config();
        self.refused(checked, "")
    }

    fn refused(
        &mut self,
        checked: Result<(), Error>,
        command: &str,
    ) -> Result<(), ww::netrun::plugin::types::Error> {
        checked.map_err(|e| {
            tracing::warn!(
                plugin = &*self.plugin,
                device = &*self.device,
                "{}",
                e.message
            );
            let w = to_wit(&e, command);
            if let Some(ctx) = self.ctx.as_deref_mut() {
                ctx.last_error = Some(e);
            }
            w
        })
    }

    /// Run a session call, recording the host error for precise classes.
    /// With a transcript set, `replay` answers instead of a device.
    async fn with_session<T>(
        &mut self,
        command: &str,
        replay: impl FnOnce(&mut Transcript) -> Result<T, Error>,
        f: impl AsyncFnOnce(&mut CliSession) -> Result<T, Error>,
    ) -> wasmtime::Result<Result<T, ww::netrun::plugin::types::Error>> {
        let ctx = match self.ctx() {
            Ok(c) => c,
            Err(e) => return Ok(Err(to_wit(&e, command))),
        };
        let progress = ctx.progress();
        let result = if let Some(t) = ctx.replay.as_mut() {
            replay(t)
        } else {
            match ctx.session().await {
                Ok(s) => {
                    if !command.is_empty() {
                        progress.set_step(format!("waiting for the answer to `{command}`"));
                    }
                    f(s).await
                }
                Err(e) => Err(e),
            }
        };
        Ok(result.map_err(|e| {
            let w = to_wit(&e, command);
            ctx.last_error = Some(e);
            w
        }))
    }
}

fn tracing_level_driver(l: dw::netrun::plugin::log::Level) -> tracing::Level {
    use dw::netrun::plugin::log::Level as L;
    match l {
        L::Trace => tracing::Level::TRACE,
        L::Debug => tracing::Level::DEBUG,
        L::Info => tracing::Level::INFO,
        L::Warn => tracing::Level::WARN,
        L::Error => tracing::Level::ERROR,
    }
}

fn tracing_level_workflow(l: ww::netrun::plugin::log::Level) -> tracing::Level {
    use ww::netrun::plugin::log::Level as L;
    match l {
        L::Trace => tracing::Level::TRACE,
        L::Debug => tracing::Level::DEBUG,
        L::Info => tracing::Level::INFO,
        L::Warn => tracing::Level::WARN,
        L::Error => tracing::Level::ERROR,
    }
}

impl dw::netrun::plugin::log::Host for PluginState {
    async fn log(
        &mut self,
        level: dw::netrun::plugin::log::Level,
        message: String,
    ) -> wasmtime::Result<()> {
        self.write_log(tracing_level_driver(level), &message)
    }
}

impl dw::netrun::plugin::types::Host for PluginState {}
impl dw::netrun::plugin::platform::Host for PluginState {}

impl ww::netrun::plugin::log::Host for PluginState {
    async fn log(
        &mut self,
        level: ww::netrun::plugin::log::Level,
        message: String,
    ) -> wasmtime::Result<()> {
        self.write_log(tracing_level_workflow(level), &message)
    }
}

impl ww::netrun::plugin::types::Host for PluginState {}

impl ww::netrun::plugin::cli::Host for PluginState {
    async fn open(
        &mut self,
    ) -> wasmtime::Result<Result<Resource<SessionToken>, ww::netrun::plugin::types::Error>> {
        match self.with_session("", |_| Ok(()), async |_| Ok(())).await? {
            Ok(()) => Ok(Ok(self.table.push(SessionToken)?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl ww::netrun::plugin::cli::HostSession for PluginState {
    async fn send_command(
        &mut self,
        _session: Resource<SessionToken>,
        command: String,
        opts: Option<ww::netrun::plugin::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, ww::netrun::plugin::types::Error>> {
        if let Err(e) = self.guard_command(&command) {
            return Ok(Err(e));
        }
        let opts = match options(opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(to_wit(&e, &command))),
        };
        self.with_session(
            &command,
            |t| t.answer(&command),
            async |s| s.send_command(&command, &opts).await,
        )
        .await
    }

    async fn send_commands(
        &mut self,
        _session: Resource<SessionToken>,
        commands: Vec<String>,
        opts: Option<ww::netrun::plugin::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<Vec<String>, ww::netrun::plugin::types::Error>> {
        // Every command is checked before the first is sent.
        for c in &commands {
            if let Err(e) = self.guard_command(c) {
                return Ok(Err(e));
            }
        }
        let opts = match options(opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(to_wit(&e, ""))),
        };
        let mut out = Vec::with_capacity(commands.len());
        for c in &commands {
            match self
                .with_session(c, |t| t.answer(c), async |s| s.send_command(c, &opts).await)
                .await?
            {
                Ok(o) => out.push(o),
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(out))
    }

    async fn send_config(
        &mut self,
        _session: Resource<SessionToken>,
        lines: Vec<String>,
        opts: Option<ww::netrun::plugin::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, ww::netrun::plugin::types::Error>> {
        if let Err(e) = self.guard_config() {
            return Ok(Err(e));
        }
        let opts = match options(opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(to_wit(&e, ""))),
        };
        let first = lines.first().cloned().unwrap_or_default();
        self.with_session(
            &first,
            |t| {
                t.sent.extend(lines.iter().cloned());
                Ok(String::new())
            },
            async |s| s.send_config(&lines, &opts).await,
        )
        .await
    }

    async fn send_interactive(
        &mut self,
        _session: Resource<SessionToken>,
        steps: Vec<ww::netrun::plugin::cli::Interaction>,
        opts: Option<ww::netrun::plugin::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, ww::netrun::plugin::types::Error>> {
        // Every input typed is checked like a command; an empty input (just
        // the line ending, accepting a default) is always allowed.
        for s in steps.iter().filter(|s| !s.input.trim().is_empty()) {
            if let Err(e) = self.guard_command(&s.input) {
                return Ok(Err(e));
            }
        }
        let opts = match options(opts) {
            Ok(o) => o,
            Err(e) => return Ok(Err(to_wit(&e, ""))),
        };
        let mut compiled = Vec::with_capacity(steps.len());
        for s in &steps {
            let expect = if s.expect.is_empty() {
                None
            } else {
                match Regex::new(&s.expect) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let e = Error::new(
                            ErrorClass::Internal,
                            format!(
                                "interaction pattern `{}` is not a valid regex: {e}",
                                s.expect
                            ),
                        );
                        return Ok(Err(to_wit(&e, &s.input)));
                    }
                }
            };
            compiled.push((s.input.clone(), expect));
        }
        let first = steps.first().map(|s| s.input.clone()).unwrap_or_default();
        self.with_session(
            &first,
            |t| {
                let mut out = String::new();
                for (input, _) in &compiled {
                    out.push_str(&t.answer(input)?);
                }
                Ok(out)
            },
            async |s| s.send_interactive(&compiled, &opts).await,
        )
        .await
    }

    async fn mode(&mut self, _session: Resource<SessionToken>) -> wasmtime::Result<String> {
        Ok(self
            .ctx
            .as_deref_mut()
            .and_then(DeviceContext::mode)
            .unwrap_or_default())
    }

    async fn drop(&mut self, session: Resource<SessionToken>) -> wasmtime::Result<()> {
        // The session itself stays open for the rest of the device task.
        self.table.delete(session)?;
        Ok(())
    }
}

impl ww::netrun::plugin::parser::Host for PluginState {
    async fn parse(
        &mut self,
        command: String,
        output: String,
    ) -> wasmtime::Result<Result<String, ww::netrun::plugin::types::Error>> {
        let ctx = match self.ctx() {
            Ok(c) => c,
            Err(e) => return Ok(Err(to_wit(&e, &command))),
        };
        Ok(ctx.parse(&command, &output).await.map_err(|e| {
            let w = to_wit(&e, &command);
            ctx.last_error = Some(e);
            w
        }))
    }
}

impl ww::netrun::plugin::http::Host for PluginState {
    async fn endpoint(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self
            .ctx
            .as_deref()
            .and_then(|c| c.http_endpoint.as_ref().ok()?.as_ref())
            .map(|e| e.base.to_string()))
    }

    async fn send(
        &mut self,
        request: ww::netrun::plugin::http::Request,
    ) -> wasmtime::Result<
        Result<ww::netrun::plugin::http::Response, ww::netrun::plugin::types::Error>,
    > {
        let what = format!("{} {}", request.method, request.url);
        let result = self.http_send(request).await;
        Ok(match result {
            Ok(r) => Ok(ww::netrun::plugin::http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => {
                if e.class == ErrorClass::Denied {
                    tracing::warn!(
                        plugin = &*self.plugin,
                        device = &*self.device,
                        "{}",
                        e.message
                    );
                }
                let w = to_wit(&e, &what);
                if let Some(ctx) = self.ctx.as_deref_mut() {
                    ctx.last_error = Some(e);
                }
                Err(w)
            }
        })
    }
}

impl PluginState {
    /// Check an HTTP request against the plugin's grants, then send it.
    async fn http_send(
        &mut self,
        request: ww::netrun::plugin::http::Request,
    ) -> Result<http::Response, Error> {
        let method = match request.method.to_ascii_uppercase().as_str() {
            m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD") => {
                reqwest::Method::from_bytes(m.as_bytes()).map_err(|e| {
                    Error::new(ErrorClass::Internal, format!("HTTP method {m}: {e}"))
                })?
            }
            other => {
                return Err(Error::new(
                    ErrorClass::Internal,
                    format!(
                        "HTTP method `{other}` is not one of GET, POST, PUT, PATCH, DELETE, HEAD"
                    ),
                ));
            }
        };
        http::check_headers(&request.headers)?;
        let timeout = request
            .timeout_ms
            .map(|ms| Duration::from_millis(ms.into()));
        // `None`: the device's own API; else an absolute URL of another host.
        let external = if request.url.starts_with('/') {
            self.guard.check_http(policy::HttpTarget::Device)?;
            None
        } else {
            let url = reqwest::Url::parse(&request.url).map_err(|e| {
                Error::new(
                    ErrorClass::Internal,
                    format!(
                        "`{}` is neither a path on the device's API (`/…`) nor an absolute URL: {e}",
                        request.url
                    ),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
                return Err(Error::new(
                    ErrorClass::Denied,
                    format!(
                        "`{}`: only http(s) URLs without credentials are allowed",
                        request.url
                    ),
                ));
            }
            let host = url.host_str().unwrap_or_default().to_string();
            self.guard.check_http(policy::HttpTarget::Host(&host))?;
            Some(url)
        };
        let ctx = self.ctx()?;
        if let Some(t) = ctx.replay.as_mut() {
            return t.answer_http(&request.method, &request.url, request.body.as_deref());
        }
        match external {
            None => {
                ctx.http_device(method, &request.url, request.headers, request.body, timeout)
                    .await
            }
            Some(url) => {
                ctx.http_external(method, url, request.headers, request.body, timeout)
                    .await
            }
        }
    }

    fn set_metric(
        &mut self,
        kind: crate::telemetry::plugin::Kind,
        name: &str,
        help: &str,
        labels: &[(String, String)],
        value: f64,
    ) -> Result<(), ww::netrun::plugin::types::Error> {
        let sample = crate::telemetry::plugin::Sample {
            plugin: &self.plugin,
            device: &self.device,
            kind,
            name,
            help,
            labels,
            value,
            max_series: self.metric_series,
        };
        metrics().plugin.set(sample).map_err(|m| {
            ww::netrun::plugin::types::Error::Denied(format!("plugin {}: {m}", self.plugin))
        })
    }
}

impl ww::netrun::plugin::metrics::Host for PluginState {
    async fn gauge(
        &mut self,
        name: String,
        help: String,
        labels: Vec<(String, String)>,
        value: f64,
    ) -> wasmtime::Result<Result<(), ww::netrun::plugin::types::Error>> {
        Ok(self.set_metric(
            crate::telemetry::plugin::Kind::Gauge,
            &name,
            &help,
            &labels,
            value,
        ))
    }

    async fn counter(
        &mut self,
        name: String,
        help: String,
        labels: Vec<(String, String)>,
        value: f64,
    ) -> wasmtime::Result<Result<(), ww::netrun::plugin::types::Error>> {
        Ok(self.set_metric(
            crate::telemetry::plugin::Kind::Counter,
            &name,
            &help,
            &labels,
            value,
        ))
    }
}
