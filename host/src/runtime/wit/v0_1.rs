//! Contract `netrun:plugin@0.1.x` (`wit/v0.1`, frozen as released): its
//! bindings and thin conversions to host-native types. Its error is a
//! variant of nine cases, coarser than the host's classes: a 0.1 plugin's
//! errors keep the nearest class (documented on [`from_wit`]); plugins
//! rebuilt against 0.2 keep every class exactly.

use crate::error::{Error, ErrorClass};
use crate::runtime::imports::{CallOptions, HttpRequest, Interaction};
use crate::runtime::{PluginDevice, PluginState, SessionToken};
use crate::telemetry::plugin::Kind;
use crate::transport::config_mechanics::ConfigSpec;
use crate::transport::platform::{ModeSpec, PlatformSpec, SecretKind, TransitionSpec};
use wasmtime::Store;
use wasmtime::component::Resource;

/// The driver world (generated; documented in the WIT).
#[allow(missing_docs)]
pub mod driver {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1",
        world: "driver-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// The workflow world (generated; documented in the WIT).
#[allow(missing_docs)]
pub mod workflow {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1",
        world: "workflow-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "netrun:plugin/cli.session": crate::runtime::SessionToken,
        },
    });
}

use driver::netrun::plugin as dp;
use workflow::netrun::plugin as wp;

/// Add this version's driver-world imports to `linker`.
pub fn add_to_driver_linker(
    linker: &mut wasmtime::component::Linker<PluginState>,
) -> wasmtime::Result<()> {
    driver::DriverPlugin::add_to_linker::<PluginState, wasmtime::component::HasSelf<PluginState>>(
        linker,
        |s| s,
    )
}

/// Add this version's workflow-world imports to `linker`.
pub fn add_to_workflow_linker(
    linker: &mut wasmtime::component::Linker<PluginState>,
) -> wasmtime::Result<()> {
    workflow::WorkflowPlugin::add_to_linker::<PluginState, wasmtime::component::HasSelf<PluginState>>(
        linker,
        |s| s,
    )
}

// ---- errors ---------------------------------------------------------------

/// The WIT form of a host error; `command` is the command concerned.
pub fn to_wit(e: &Error, command: &str) -> wp::types::Error {
    use wp::types::{Error as W, RejectedCommand};
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
        | ErrorClass::DeviceTimeout
        | ErrorClass::Cancelled => W::Timeout(m),
        ErrorClass::SessionClosed => W::SessionClosed(m),
        ErrorClass::RejectedCommand => W::RejectedCommand(RejectedCommand {
            command: command.to_string(),
            output: m,
        }),
        ErrorClass::Parse => W::Parse(m),
        ErrorClass::Denied => W::Denied(m),
        ErrorClass::Inventory | ErrorClass::Unsupported => W::Unsupported(m),
        ErrorClass::PluginTrap | ErrorClass::PluginLimit | ErrorClass::Internal => W::Internal(m),
    }
}

/// The host error a 0.1 workflow returned. Where a case stands for several
/// host classes, the nearest is chosen: `connection` → `ssh-protocol`,
/// `timeout` → `command-timeout`, `unsupported` → `unsupported`.
pub fn from_wit(e: wp::types::Error) -> Error {
    use wp::types::Error as W;
    match e {
        W::Connection(m) => Error::new(ErrorClass::SshProtocol, m),
        W::Auth(m) => Error::new(ErrorClass::Auth, m),
        W::Timeout(m) => Error::new(ErrorClass::CommandTimeout, m),
        W::SessionClosed(m) => Error::new(ErrorClass::SessionClosed, m),
        W::RejectedCommand(r) => Error::new(
            ErrorClass::RejectedCommand,
            format!("`{}` rejected: {}", r.command, r.output),
        ),
        W::Parse(m) => Error::new(ErrorClass::Parse, m),
        W::Denied(m) => Error::new(ErrorClass::Denied, m),
        W::Unsupported(m) => Error::new(ErrorClass::Unsupported, m),
        W::Internal(m) => Error::new(ErrorClass::Internal, m),
    }
}

/// What a 0.1 driver answers to a getter: it has none.
pub fn no_getters(plugin: &str, getter: &str) -> Error {
    Error::new(
        ErrorClass::Unsupported,
        format!(
            "driver {plugin} is built against contract 0.1, which has no getters (asked for `{getter}`): rebuild it against netrun:plugin@0.2"
        ),
    )
}

fn wit<T>(r: Result<T, Error>, command: &str) -> wasmtime::Result<Result<T, wp::types::Error>> {
    Ok(r.map_err(|e| to_wit(&e, command)))
}

// ---- exports --------------------------------------------------------------

/// Platform definitions of a driver, in host-native form.
pub async fn platforms(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
) -> wasmtime::Result<Vec<(PlatformSpec, Option<ConfigSpec>)>> {
    let defs = inst.netrun_plugin_driver().call_platforms(store).await?;
    Ok(defs.iter().map(spec_of).collect())
}

/// Call `parse`.
pub async fn parse(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    plugin: &str,
    platform: &str,
    command: &str,
    output: &str,
) -> wasmtime::Result<Result<String, Error>> {
    use driver::exports::netrun::plugin::driver::ParseError as P;
    let r = inst
        .netrun_plugin_driver()
        .call_parse(store, platform, command, output)
        .await?;
    Ok(r.map_err(|e| match e {
        P::UnsupportedCommand(m) => Error::new(
            ErrorClass::Unsupported,
            super::no_parser_message(plugin, command, platform, &m),
        ),
        P::UnexpectedOutput(m) => Error::new(
            ErrorClass::Parse,
            format!("cannot parse output of `{command}`: {m}"),
        ),
    }))
}

/// Call a workflow's `run`.
pub async fn run(
    inst: &workflow::WorkflowPlugin,
    store: &mut Store<PluginState>,
    device: &PluginDevice,
    params: &str,
) -> wasmtime::Result<Result<String, Error>> {
    let device = wp::types::Device {
        name: device.name.clone(),
        hostname: device.hostname.clone(),
        platform: device.platform.clone(),
        groups: device.groups.clone(),
        data: device.data.clone(),
    };
    let r = inst
        .netrun_plugin_workflow()
        .call_run(store, &device, &params.to_string())
        .await?;
    Ok(r.map_err(from_wit))
}

fn spec_of(def: &dp::platform::Definition) -> (PlatformSpec, Option<ConfigSpec>) {
    use dp::platform::Secret;
    let spec = PlatformSpec {
        name: def.name.clone(),
        default_mode: def.default_mode.clone(),
        configuration_mode: def.configuration_mode.clone(),
        modes: def
            .modes
            .iter()
            .map(|m| ModeSpec {
                name: m.name.clone(),
                prompt: m.prompt.clone(),
                transitions: m
                    .transitions
                    .iter()
                    .map(|t| TransitionSpec {
                        to: t.to.clone(),
                        send: t.send.clone(),
                        challenge: t.challenge.as_ref().map(|c| {
                            let kind = match c.answer {
                                Secret::Password => SecretKind::Password,
                                Secret::EnableSecret => SecretKind::EnableSecret,
                            };
                            (c.prompt.clone(), kind)
                        }),
                    })
                    .collect(),
            })
            .collect(),
        on_open: def.on_open.clone(),
        on_close: def.on_close.clone(),
        pagers: def
            .pagers
            .iter()
            .map(|p| (p.pattern.clone(), p.keys.clone()))
            .collect(),
        failure_indicators: def.failure_indicators.clone(),
        line_ending: def.line_ending.clone(),
        // Contract 0.1 has no variants.
        variants: Vec::new(),
    };
    (spec, None)
}

// ---- imports --------------------------------------------------------------

fn level_of(l: wp::log::Level) -> tracing::Level {
    use wp::log::Level as L;
    match l {
        L::Trace => tracing::Level::TRACE,
        L::Debug => tracing::Level::DEBUG,
        L::Info => tracing::Level::INFO,
        L::Warn => tracing::Level::WARN,
        L::Error => tracing::Level::ERROR,
    }
}

impl dp::log::Host for PluginState {
    async fn log(&mut self, level: dp::log::Level, message: String) -> wasmtime::Result<()> {
        use dp::log::Level as L;
        let level = match level {
            L::Trace => wp::log::Level::Trace,
            L::Debug => wp::log::Level::Debug,
            L::Info => wp::log::Level::Info,
            L::Warn => wp::log::Level::Warn,
            L::Error => wp::log::Level::Error,
        };
        PluginState::log(self, level_of(level), &message)
    }
}

impl dp::types::Host for PluginState {}
impl dp::platform::Host for PluginState {}

impl wp::log::Host for PluginState {
    async fn log(&mut self, level: wp::log::Level, message: String) -> wasmtime::Result<()> {
        PluginState::log(self, level_of(level), &message)
    }
}

impl wp::types::Host for PluginState {}

fn call_options(o: Option<wp::cli::CommandOptions>) -> Option<CallOptions> {
    o.map(|o| CallOptions {
        timeout_ms: o.timeout_ms,
        expect: o.expect,
        keep_prompt: o.keep_prompt,
    })
}

impl wp::cli::Host for PluginState {
    async fn open(&mut self) -> wasmtime::Result<Result<Resource<SessionToken>, wp::types::Error>> {
        match self.cli_open().await {
            Ok(()) => Ok(Ok(self.table.push(SessionToken)?)),
            Err(e) => wit(Err(e), ""),
        }
    }
}

impl wp::cli::HostSession for PluginState {
    async fn send_command(
        &mut self,
        _session: Resource<SessionToken>,
        command: String,
        opts: Option<wp::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let r = self.cli_send_command(&command, call_options(opts)).await;
        wit(r, &command)
    }

    async fn send_commands(
        &mut self,
        _session: Resource<SessionToken>,
        commands: Vec<String>,
        opts: Option<wp::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<Vec<String>, wp::types::Error>> {
        let r = self.cli_send_commands(&commands, call_options(opts)).await;
        wit(r, "")
    }

    async fn send_config(
        &mut self,
        _session: Resource<SessionToken>,
        lines: Vec<String>,
        opts: Option<wp::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let r = self.cli_send_config(&lines, call_options(opts)).await;
        wit(r, "")
    }

    async fn send_interactive(
        &mut self,
        _session: Resource<SessionToken>,
        steps: Vec<wp::cli::Interaction>,
        opts: Option<wp::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let steps: Vec<Interaction> = steps
            .into_iter()
            .map(|s| Interaction {
                input: s.input,
                expect: s.expect,
            })
            .collect();
        let r = self.cli_send_interactive(&steps, call_options(opts)).await;
        wit(r, "")
    }

    async fn mode(&mut self, _session: Resource<SessionToken>) -> wasmtime::Result<String> {
        Ok(self.cli_mode())
    }

    async fn drop(&mut self, session: Resource<SessionToken>) -> wasmtime::Result<()> {
        // The session itself stays open for the rest of the device task.
        self.table.delete(session)?;
        Ok(())
    }
}

impl wp::parser::Host for PluginState {
    async fn parse(
        &mut self,
        command: String,
        output: String,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let r = self.parser_parse(&command, &output).await;
        wit(r, &command)
    }
}

impl wp::http::Host for PluginState {
    async fn endpoint(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.http_endpoint())
    }

    async fn send(
        &mut self,
        request: wp::http::Request,
    ) -> wasmtime::Result<Result<wp::http::Response, wp::types::Error>> {
        let what = format!("{} {}", request.method, request.url);
        let r = self
            .http_send(HttpRequest {
                method: request.method,
                url: request.url,
                headers: request.headers,
                body: request.body,
                timeout_ms: request.timeout_ms,
            })
            .await
            .map(|r| wp::http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            });
        wit(r, &what)
    }
}

impl wp::metrics::Host for PluginState {
    async fn gauge(
        &mut self,
        name: String,
        help: String,
        labels: Vec<(String, String)>,
        value: f64,
    ) -> wasmtime::Result<Result<(), wp::types::Error>> {
        wit(self.metric(Kind::Gauge, &name, &help, &labels, value), "")
    }

    async fn counter(
        &mut self,
        name: String,
        help: String,
        labels: Vec<(String, String)>,
        value: f64,
    ) -> wasmtime::Result<Result<(), wp::types::Error>> {
        wit(self.metric(Kind::Counter, &name, &help, &labels, value), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_that_0_1_can_carry_come_back_unchanged() {
        for class in [
            ErrorClass::Auth,
            ErrorClass::SshProtocol,
            ErrorClass::CommandTimeout,
            ErrorClass::SessionClosed,
            ErrorClass::Parse,
            ErrorClass::Denied,
            ErrorClass::Unsupported,
            ErrorClass::Internal,
        ] {
            let e = Error::new(class, "m");
            assert_eq!(from_wit(to_wit(&e, "show x")).class, class);
        }
        let rejected = from_wit(to_wit(
            &Error::new(ErrorClass::RejectedCommand, "% Invalid input"),
            "show bogus",
        ));
        assert_eq!(rejected.class, ErrorClass::RejectedCommand);
        assert!(rejected.message.contains("show bogus"));
    }
}
