//! What the host gives plugins, once, in host-native types: logging, the
//! device's CLI session, its driver's parsers and getters, HTTP, metrics.
//! Every grant check happens here. The per-version WIT modules
//! (`runtime::wit::v0_*`) only convert arguments and results.

use super::device::DeviceContext;
use super::{LimitExceeded, PluginState, policy};
use crate::error::{Error, ErrorClass};
use crate::telemetry::metrics;
use crate::telemetry::plugin::{Kind, Sample};
use crate::transport::http;
use crate::transport::session::DEFAULT_SETTLE;
use crate::transport::{CliSession, CommandOptions};
use std::time::Duration;

/// Per-call options of a CLI call, as a plugin gives them.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Deadline for this call in milliseconds.
    pub timeout_ms: Option<u32>,
    /// Regular expression that ends the command instead of the mode's prompt.
    pub expect: Option<String>,
    /// Keep the trailing prompt in the output.
    pub keep_prompt: bool,
}

/// One step of an interactive exchange, as a plugin gives it.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// Input sent, without line ending.
    pub input: String,
    /// What ends the step; empty means the mode's prompt.
    pub expect: String,
}

/// An HTTP request, as a plugin gives it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// A path on the device's API, or an absolute URL of a granted host.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
    /// Deadline in milliseconds.
    pub timeout_ms: Option<u32>,
}

/// Log severity, as a plugin gives it.
pub type Level = tracing::Level;

fn options(o: Option<CallOptions>) -> Result<CommandOptions, Error> {
    let Some(o) = o else {
        return Ok(CommandOptions::default());
    };
    let expect = match o.expect.as_deref() {
        Some(p) if !p.is_empty() => Some(pattern("expect pattern", p)?),
        _ => None,
    };
    Ok(CommandOptions {
        timeout: o.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
        expect,
        keep_prompt: o.keep_prompt,
    })
}

fn pattern(what: &str, p: &str) -> Result<crate::transport::platform::Pattern, Error> {
    crate::transport::platform::device_pattern(p).map_err(|e| {
        Error::new(
            ErrorClass::Internal,
            format!("{what} `{p}` is not a valid regex: {e}"),
        )
    })
}

impl PluginState {
    pub(crate) fn ctx(&mut self) -> Result<&mut DeviceContext, Error> {
        self.ctx
            .as_deref_mut()
            .ok_or_else(|| Error::new(ErrorClass::Internal, "this plugin runs without a device"))
    }

    /// Log one record; past the budget the plugin is stopped (`plugin-limit`),
    /// so a plugin that floods the log cannot fill the host's disk or CPU.
    pub(crate) fn log(&mut self, level: Level, message: &str) -> wasmtime::Result<()> {
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

    /// A denial is logged where the operator sees it, then returned.
    pub(crate) fn denied(&self, checked: Result<(), Error>) -> Result<(), Error> {
        checked.inspect_err(|e| {
            tracing::warn!(
                plugin = &*self.plugin,
                device = &*self.device,
                "{}",
                e.message
            );
        })
    }

    /// Run a call on the device's session (a recorded device's too: replay
    /// happens beneath the session, in the transport).
    async fn with_session<T>(
        &mut self,
        command: &str,
        f: impl AsyncFnOnce(&mut CliSession) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let ctx = self.ctx()?;
        let progress = ctx.progress();
        let session = ctx.session().await?;
        if !command.is_empty() {
            progress.set_step(format!("waiting for the answer to `{command}`"));
        }
        f(session).await
    }

    /// Open (or take from the pool) the device's session.
    pub(crate) async fn cli_open(&mut self) -> Result<(), Error> {
        self.with_session("", async |_| Ok(())).await
    }

    /// Send one command the plugin was granted.
    pub(crate) async fn cli_send_command(
        &mut self,
        command: &str,
        opts: Option<CallOptions>,
    ) -> Result<String, Error> {
        self.denied(self.guard.check_command(command))?;
        let opts = options(opts)?;
        self.with_session(command, async |s| s.send_command(command, &opts).await)
            .await
    }

    /// Send one granted command in timing mode: its output ends once the
    /// device was quiet for `settle_ms` (default [`DEFAULT_SETTLE`]).
    pub(crate) async fn cli_send_command_timing(
        &mut self,
        command: &str,
        settle_ms: Option<u32>,
        opts: Option<CallOptions>,
    ) -> Result<String, Error> {
        self.denied(self.guard.check_command(command))?;
        if opts
            .as_ref()
            .and_then(|o| o.expect.as_deref())
            .is_some_and(|e| !e.is_empty())
        {
            return Err(Error::new(
                ErrorClass::Internal,
                format!(
                    "`{command}`: send-command-timing ends at quiet, not at a pattern: drop `expect`, or use send-command with it"
                ),
            ));
        }
        let opts = options(opts)?;
        let settle = settle_ms.map_or(DEFAULT_SETTLE, |ms| Duration::from_millis(ms.into()));
        self.with_session(command, async |s| {
            s.send_command_timing(command, settle, &opts).await
        })
        .await
    }

    /// Send commands in order, each checked before the first is sent.
    pub(crate) async fn cli_send_commands(
        &mut self,
        commands: &[String],
        opts: Option<CallOptions>,
    ) -> Result<Vec<String>, Error> {
        for c in commands {
            self.denied(self.guard.check_command(c))?;
        }
        let opts = options(opts)?;
        let mut out = Vec::with_capacity(commands.len());
        for c in commands {
            let o = self
                .with_session(c, async |s| s.send_command(c, &opts).await)
                .await?;
            out.push(o);
        }
        Ok(out)
    }

    /// Send configuration lines, when configuration mode is granted.
    pub(crate) async fn cli_send_config(
        &mut self,
        lines: &[String],
        opts: Option<CallOptions>,
    ) -> Result<String, Error> {
        self.denied(self.guard.check_config())?;
        let opts = options(opts)?;
        let first = lines.first().cloned().unwrap_or_default();
        self.with_session(&first, async |s| s.send_config(lines, &opts).await)
            .await
    }

    /// Run an interactive exchange; every input typed is checked like a
    /// command, except an empty one (accepting a default).
    pub(crate) async fn cli_send_interactive(
        &mut self,
        steps: &[Interaction],
        opts: Option<CallOptions>,
    ) -> Result<String, Error> {
        for s in steps.iter().filter(|s| !s.input.trim().is_empty()) {
            self.denied(self.guard.check_command(&s.input))?;
        }
        let opts = options(opts)?;
        let mut compiled = Vec::with_capacity(steps.len());
        for s in steps {
            let expect = if s.expect.is_empty() {
                None
            } else {
                Some(pattern("interaction pattern", &s.expect)?)
            };
            compiled.push((s.input.clone(), expect));
        }
        let first = steps.first().map(|s| s.input.clone()).unwrap_or_default();
        self.with_session(&first, async |s| s.send_interactive(&compiled, &opts).await)
            .await
    }

    /// The session's current mode, empty when none is open.
    pub(crate) fn cli_mode(&mut self) -> String {
        self.ctx
            .as_deref_mut()
            .and_then(DeviceContext::mode)
            .unwrap_or_default()
    }

    /// Parse with the device's driver, else with a TextFSM template from the
    /// index (`crate::parsing`): the records as a JSON list.
    pub(crate) async fn parser_parse(
        &mut self,
        command: &str,
        output: &str,
    ) -> Result<String, Error> {
        let ctx = self.ctx()?;
        let e = match ctx.parse(command, output).await {
            Err(e) if matches!(e.class, ErrorClass::Parse | ErrorClass::Unsupported) => e,
            answer => return answer,
        };
        let textfsm = match crate::parsing::fallback() {
            Ok(t) => t.parse_blocking(ctx.platform_name(), command, output).await,
            Err(why) => {
                return Err(Error::new(
                    e.class,
                    format!("{}; TextFSM: {why}", e.message),
                ));
            }
        };
        textfsm
            .map(|p| p.records.to_string())
            .map_err(|t| Error::new(e.class, format!("{}; TextFSM: {t}", e.message)))
    }

    /// Answer a getter through the device's driver. The commands it runs are
    /// the driver's (trusted like its on-open commands), not the workflow's.
    pub(crate) async fn getters_get(&mut self, name: &str) -> Result<String, Error> {
        self.ctx()?.get(name).await
    }

    /// The device's API base URL, if it has one.
    pub(crate) fn http_endpoint(&self) -> Option<String> {
        self.ctx.as_deref().and_then(DeviceContext::http_base)
    }

    /// Check an HTTP request against the plugin's grants, then send it.
    pub(crate) async fn http_send(
        &mut self,
        request: HttpRequest,
    ) -> Result<http::Response, Error> {
        let result = self.http_send_checked(request).await;
        if let Err(e) = &result
            && e.class == ErrorClass::Denied
        {
            tracing::warn!(
                plugin = &*self.plugin,
                device = &*self.device,
                "{}",
                e.message
            );
        }
        result
    }

    async fn http_send_checked(&mut self, request: HttpRequest) -> Result<http::Response, Error> {
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

    /// Set a gauge or a device counter under the plugin's series cap.
    pub(crate) fn metric(
        &mut self,
        kind: Kind,
        name: &str,
        help: &str,
        labels: &[(String, String)],
        value: f64,
    ) -> Result<(), Error> {
        let sample = Sample {
            plugin: &self.plugin,
            device: &self.device,
            kind,
            name,
            help,
            labels,
            value,
            max_series: self.metric_series,
        };
        metrics()
            .plugin
            .set(sample)
            .map_err(|m| Error::new(ErrorClass::Denied, format!("plugin {}: {m}", self.plugin)))
    }
}
