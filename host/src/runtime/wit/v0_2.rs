//! Contract `netrun:plugin@0.2.x` (`wit/v0.2`): its bindings and thin
//! conversions to host-native types. Errors cross losslessly: the WIT
//! `error-class` enum is the host's [`ErrorClass`], one to one.

use crate::error::{Error, ErrorClass};
use crate::runtime::config::{CandidateToken, Load};
use crate::runtime::imports::{CallOptions, HttpRequest, Interaction};
use crate::runtime::{PluginDevice, PluginState, SessionToken};
use crate::telemetry::plugin::Kind;
use crate::transport::config_mechanics::{
    ConfigSpec, ConfigStyle, InterfaceNaming, Locate, StepSpec,
};
use crate::transport::platform::{ModeSpec, PlatformSpec, SecretKind, TransitionSpec};
use wasmtime::Store;
use wasmtime::component::Resource;

/// The driver world (generated; documented in the WIT).
#[allow(missing_docs)]
pub mod driver {
    wasmtime::component::bindgen!({
        path: "../wit/v0.2",
        world: "driver-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// The workflow world (generated; documented in the WIT).
#[allow(missing_docs)]
pub mod workflow {
    wasmtime::component::bindgen!({
        path: "../wit/v0.2",
        world: "workflow-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "netrun:plugin/cli.session": crate::runtime::SessionToken,
            "netrun:plugin/config.candidate": crate::runtime::config::CandidateToken,
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

/// Calls `$m!` with the list of classes, which the host's [`ErrorClass`]
/// and the WIT `error-class` spell alike.
macro_rules! with_classes {
    ($m:ident ! ($($args:tt)*)) => {
        $m!($($args)*;
            Inventory, Dns, ConnectRefused, ConnectTimeout, SshProtocol, HostKey, Tls, Auth,
            PromptTimeout, CommandTimeout, DeviceTimeout, SessionClosed, RejectedCommand, Parse,
            Unsupported, PluginTrap, PluginLimit, Denied, BreakerOpen, Cancelled, Internal);
    };
}

/// One-to-one conversions between [`ErrorClass`] and a generated enum.
macro_rules! class_map {
    ($to:ident, $from:ident, $($wit:ident)::+; $($c:ident),* $(,)?) => {
        // Both directions are generated together; a world may need only one.
        #[allow(dead_code)]
        fn $to(c: ErrorClass) -> $($wit)::+ {
            use $($wit)::+ as W;
            match c { $(ErrorClass::$c => W::$c,)* }
        }
        #[allow(dead_code)]
        fn $from(c: $($wit)::+) -> ErrorClass {
            use $($wit)::+ as W;
            match c { $(W::$c => ErrorClass::$c,)* }
        }
    };
}

with_classes!(class_map!(
    class_to_wit,
    class_from_wit,
    wp::types::ErrorClass
));
with_classes!(class_map!(
    driver_class_to_wit,
    driver_class_from_wit,
    dp::types::ErrorClass
));

/// The WIT form of a host error; `command` is the command concerned.
pub fn to_wit(e: &Error, command: &str) -> wp::types::Error {
    wp::types::Error {
        class: class_to_wit(e.class),
        message: e.message.clone(),
        command: (!command.is_empty()).then(|| command.to_string()),
    }
}

/// The host error a workflow returned: its class exactly as given.
pub fn from_wit(e: wp::types::Error) -> Error {
    Error::new(class_from_wit(e.class), e.message)
}

/// The host error a driver returned (the driver world has its own copy of
/// the types).
fn from_driver_wit(e: dp::types::Error) -> Error {
    Error::new(driver_class_from_wit(e.class), e.message)
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

/// Call `parse`; the message says which driver, command and platform.
pub async fn parse(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    plugin: &str,
    platform: &str,
    command: &str,
    output: &str,
) -> wasmtime::Result<Result<String, Error>> {
    let r = inst
        .netrun_plugin_driver()
        .call_parse(store, platform, command, output)
        .await?;
    Ok(r.map_err(|e| {
        let mut e = from_driver_wit(e);
        e.message = match e.class {
            ErrorClass::Unsupported => {
                super::no_parser_message(plugin, command, platform, &e.message)
            }
            ErrorClass::Parse => format!("cannot parse output of `{command}`: {}", e.message),
            _ => e.message,
        };
        e
    }))
}

/// Call `getters`.
pub async fn getters(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    platform: &str,
) -> wasmtime::Result<Vec<String>> {
    inst.netrun_plugin_driver()
        .call_getters(store, platform)
        .await
}

/// Call `getter-commands`: the commands, and whether the driver builds
/// follow-up commands from their outputs.
pub async fn getter_commands(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    platform: &str,
    getter: &str,
) -> wasmtime::Result<Result<(Vec<String>, bool), Error>> {
    let r = inst
        .netrun_plugin_driver()
        .call_getter_commands(store, platform, getter)
        .await?;
    Ok(r.map(|p| (p.commands, p.follow_up))
        .map_err(from_driver_wit))
}

/// Call `getter-follow-up`.
pub async fn getter_follow_up(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> wasmtime::Result<Result<Vec<String>, Error>> {
    let r = inst
        .netrun_plugin_driver()
        .call_getter_follow_up(store, platform, getter, outputs)
        .await?;
    Ok(r.map_err(from_driver_wit))
}

/// Call `getter`.
pub async fn getter(
    inst: &driver::DriverPlugin,
    store: &mut Store<PluginState>,
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> wasmtime::Result<Result<String, Error>> {
    let r = inst
        .netrun_plugin_driver()
        .call_getter(store, platform, getter, outputs)
        .await?;
    Ok(r.map_err(from_driver_wit))
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
        variants: def.variants.clone(),
    };
    let config = def.config.as_ref().map(|c| {
        let steps = |l: &[dp::platform::Step]| {
            l.iter()
                .map(|s| StepSpec {
                    send: s.send.clone(),
                    answers: s.answers.clone(),
                })
                .collect()
        };
        ConfigSpec {
            show_running: c.show_running.clone(),
            show_startup: c.show_startup.clone(),
            show_running_otherwise: c.show_running_otherwise.clone(),
            volatile: c.volatile.clone(),
            style: match c.style {
                dp::platform::ConfigStyle::Indented => ConfigStyle::Indented,
                dp::platform::ConfigStyle::Set => ConfigStyle::Set,
                dp::platform::ConfigStyle::Flat => ConfigStyle::Flat,
                dp::platform::ConfigStyle::Blocks => ConfigStyle::Blocks,
                dp::platform::ConfigStyle::Menus => ConfigStyle::Menus,
            },
            commit: steps(&c.commit),
            commit_confirmed: steps(&c.commit_confirmed),
            confirm: steps(&c.confirm),
            abort: steps(&c.abort),
            checkpoint: steps(&c.checkpoint),
            rollback: steps(&c.rollback),
            save: steps(&c.save),
            replace: steps(&c.replace),
            cleanup: steps(&c.cleanup),
            interface_naming: c.interface_naming.as_ref().map(|n| InterfaceNaming {
                keyword: n.keyword.clone(),
                shortest: n.shortest.clone(),
                types: n.types.clone(),
            }),
            locate: c.locate.as_ref().map(|l| Locate {
                command: l.command.clone(),
                pattern: l.pattern.clone(),
                otherwise: l.otherwise.clone(),
            }),
        }
    });
    (spec, config)
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

    async fn send_command_timing(
        &mut self,
        _session: Resource<SessionToken>,
        command: String,
        settle_ms: Option<u32>,
        opts: Option<wp::cli::CommandOptions>,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let r = self
            .cli_send_command_timing(&command, settle_ms, call_options(opts))
            .await;
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

impl wp::config::Host for PluginState {
    async fn load(
        &mut self,
        source: wp::config::Source,
        mode: wp::config::LoadMode,
    ) -> wasmtime::Result<Result<Resource<CandidateToken>, wp::types::Error>> {
        let text = match source {
            wp::config::Source::Text(t) => t,
            wp::config::Source::Lines(l) => {
                let mut t = l.join("\n");
                t.push('\n');
                t
            }
        };
        let load = Load {
            text,
            replace: mode == wp::config::LoadMode::Replace,
        };
        match self.config_load(load).await {
            Ok(token) => Ok(Ok(self.table.push(token)?)),
            Err(e) => wit(Err(e), ""),
        }
    }
}

/// The candidate a WIT handle stands for.
fn candidate(
    table: &wasmtime::component::ResourceTable,
    c: &Resource<CandidateToken>,
) -> wasmtime::Result<CandidateToken> {
    Ok(CandidateToken(table.get(c)?.0))
}

impl wp::config::HostCandidate for PluginState {
    async fn compare(
        &mut self,
        c: Resource<CandidateToken>,
    ) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let token = candidate(&self.table, &c)?;
        wit(self.config_compare(&token), "")
    }

    async fn commands(&mut self, c: Resource<CandidateToken>) -> wasmtime::Result<Vec<String>> {
        let token = candidate(&self.table, &c)?;
        // Without the grant there is no candidate to read: an empty list.
        Ok(self.config_commands(&token).unwrap_or_default())
    }

    async fn commit(
        &mut self,
        c: Resource<CandidateToken>,
        confirm_seconds: Option<u32>,
    ) -> wasmtime::Result<Result<wp::config::CommitResult, wp::types::Error>> {
        let token = candidate(&self.table, &c)?;
        let r =
            self.config_commit(&token, confirm_seconds)
                .await
                .map(|r| wp::config::CommitResult {
                    changed: r.changed,
                    commands: r.commands,
                    diff: r.diff,
                    rollback_point: r.rollback_point,
                    resend: r.resend,
                    awaiting_confirm: r.awaiting_confirm,
                });
        wit(r, "")
    }

    async fn confirm(
        &mut self,
        c: Resource<CandidateToken>,
    ) -> wasmtime::Result<Result<(), wp::types::Error>> {
        let token = candidate(&self.table, &c)?;
        wit(self.config_confirm(&token).await, "")
    }

    async fn rollback(
        &mut self,
        c: Resource<CandidateToken>,
    ) -> wasmtime::Result<Result<(), wp::types::Error>> {
        let token = candidate(&self.table, &c)?;
        wit(self.config_rollback(&token).await, "")
    }

    async fn discard(
        &mut self,
        c: Resource<CandidateToken>,
    ) -> wasmtime::Result<Result<(), wp::types::Error>> {
        let token = candidate(&self.table, &c)?;
        wit(self.config_discard(&token), "")
    }

    async fn drop(&mut self, c: Resource<CandidateToken>) -> wasmtime::Result<()> {
        // A commit still awaiting confirmation is rolled back when the
        // workflow ends (`config_settle`), not here.
        self.table.delete(c)?;
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

impl wp::getters::Host for PluginState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, wp::types::Error>> {
        let r = self.getters_get(&name).await;
        wit(r, "")
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
    fn every_host_class_crosses_the_boundary_and_comes_back_unchanged() {
        for class in ErrorClass::ALL {
            let e = Error::new(*class, format!("{class} happened"));
            let w = to_wit(&e, "show version");
            assert_eq!(w.command.as_deref(), Some("show version"));
            assert_eq!(from_wit(w), e);
            let d = dp::types::Error {
                class: driver_class_to_wit(*class),
                message: e.message.clone(),
                command: None,
            };
            assert_eq!(from_driver_wit(d), e);
        }
    }
}
