//! The plugin runtime: one wasmtime `Engine`, components compiled once and
//! cached on disk, an `InstancePre` per plugin, a `Store` per device task.

pub mod bundle;
pub mod host;
pub mod policy;

use crate::error::{Error, ErrorClass};
use crate::transport::platform::{ModeSpec, Platform, PlatformSpec, SecretKind, TransitionSpec};
use anyhow::Context as _;
use bundle::{Bundle, Kind, WitVersion};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Bindings generated from `wit/v0.1`.
pub mod bindings {
    /// The driver world.
    pub mod driver {
        wasmtime::component::bindgen!({
            path: "../wit/v0.1",
            world: "driver-plugin",
            imports: { default: async | trappable },
            exports: { default: async },
        });
    }
    /// The workflow world.
    pub mod workflow {
        wasmtime::component::bindgen!({
            path: "../wit/v0.1",
            world: "workflow-plugin",
            imports: { default: async | trappable },
            exports: { default: async },
            with: {
                "netrun:plugin/cli.session": crate::runtime::host::SessionToken,
            },
        });
    }
}

/// Settings of the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Instances alive at once (sizes the pooling allocator).
    pub max_instances: u32,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            max_instances: 256,
            cache_dir: dirs::cache_dir().map(|d| d.join("netrun").join("components")),
        }
    }
}

/// Store data of every plugin instance.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    /// Plugin name, for logs.
    pub plugin: Arc<str>,
    /// Device name, for logs.
    pub device: Arc<str>,
    /// Log records left in this instance's budget.
    pub log_budget: u32,
    /// Largest result the plugin may return, bytes.
    pub output_limit: usize,
    /// Metric series the plugin may hold (`limits.metric_series`).
    pub metric_series: usize,
    /// What the plugin may do to its device (workflows).
    pub guard: policy::Guard,
    /// The device a workflow runs against (workflows only).
    pub ctx: Option<Box<host::DeviceContext>>,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

enum Prepared {
    Driver(bindings::driver::DriverPluginPre<PluginState>),
    Workflow(bindings::workflow::WorkflowPluginPre<PluginState>),
}

/// A plugin ready to instantiate.
pub struct Plugin {
    /// Its bundle.
    pub bundle: Bundle,
    /// sha256 of its component.
    pub sha256: String,
    pre: Prepared,
}

/// A platform with the driver plugin that defined it.
#[derive(Clone)]
pub struct DriverPlatform {
    /// The compiled definition.
    pub platform: Arc<Platform>,
    /// Its driver.
    pub driver: Arc<Plugin>,
}

/// The runtime: engine and linkers, built once per process.
pub struct Runtime {
    engine: Engine,
    /// Linkers of WIT 0.1 (`wit/v0.1`). A later minor version gets its own
    /// pair and its own bindings module beside this one; [`Runtime::load`]
    /// picks the pair by the manifest's `wit`.
    driver_linker: Linker<PluginState>,
    workflow_linker: Linker<PluginState>,
    cache_dir: Option<PathBuf>,
    /// Driver instances between devices, by component sha256: a driver's
    /// parsers (and the regexes they compile on first use) serve one device
    /// after another instead of being rebuilt for each.
    idle_drivers: std::sync::Mutex<std::collections::HashMap<String, Vec<host::DriverInstance>>>,
}

/// Idle driver instances kept per driver plugin. Instances are only made
/// when none is idle, so no more are alive than devices parse at once.
const MAX_IDLE_DRIVERS: usize = 64;

impl Runtime {
    /// Build the engine (pooling allocator, fuel for CPU limits) and linkers.
    pub fn new(options: &RuntimeOptions) -> anyhow::Result<Arc<Runtime>> {
        let engine = build_engine(options, true).or_else(|e| {
            // The pooling allocator reserves virtual memory up front; where the
            // machine refuses, instances are allocated on demand instead.
            tracing::warn!(error = %e, "pooling allocator unavailable, using on-demand allocation");
            build_engine(options, false)
        })?;
        let mut driver_linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut driver_linker).map_err(anyhow::Error::from)?;
        bindings::driver::DriverPlugin::add_to_linker::<
            PluginState,
            wasmtime::component::HasSelf<PluginState>,
        >(&mut driver_linker, |s| s)
        .map_err(anyhow::Error::from)?;
        let mut workflow_linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut workflow_linker)
            .map_err(anyhow::Error::from)?;
        bindings::workflow::WorkflowPlugin::add_to_linker::<
            PluginState,
            wasmtime::component::HasSelf<PluginState>,
        >(&mut workflow_linker, |s| s)
        .map_err(anyhow::Error::from)?;
        Ok(Arc::new(Runtime {
            engine,
            driver_linker,
            workflow_linker,
            cache_dir: options.cache_dir.clone(),
            idle_drivers: Default::default(),
        }))
    }

    /// The engine (for epoch ticks and tests).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Verify, compile (or load from cache) and pre-instantiate a bundle.
    pub fn load(&self, bundle: &Bundle) -> anyhow::Result<Plugin> {
        let version = bundle.wit_version()?;
        let (bytes, sha256) = bundle.read_verified()?;
        let component = self.compile_cached(&bytes, &sha256).with_context(|| {
            format!(
                "plugin {}: {} is not a valid WebAssembly component",
                bundle.manifest.name,
                bundle.component_path().display()
            )
        })?;
        let name = &bundle.manifest.name;
        let pre = match (version, bundle.manifest.kind) {
            (WitVersion::V0_1, Kind::Driver) => {
                let ipre = self.driver_linker.instantiate_pre(&component).map_err(anyhow::Error::from).with_context(|| {
                    format!("plugin {name} does not fit the driver contract netrun:plugin@{}: rebuild it against this host's WIT", bundle.manifest.wit)
                })?;
                Prepared::Driver(
                    bindings::driver::DriverPluginPre::new(ipre)
                        .map_err(anyhow::Error::from)
                        .with_context(|| {
                            format!("plugin {name} does not export the driver interface")
                        })?,
                )
            }
            (WitVersion::V0_1, Kind::Workflow) => {
                let ipre = self.workflow_linker.instantiate_pre(&component).map_err(anyhow::Error::from).with_context(|| {
                    format!("plugin {name} does not fit the workflow contract netrun:plugin@{}: rebuild it against this host's WIT", bundle.manifest.wit)
                })?;
                Prepared::Workflow(
                    bindings::workflow::WorkflowPluginPre::new(ipre)
                        .map_err(anyhow::Error::from)
                        .with_context(|| {
                            format!("plugin {name} does not export the workflow interface")
                        })?,
                )
            }
        };
        Ok(Plugin {
            bundle: bundle.clone(),
            sha256,
            pre,
        })
    }

    fn compile_cached(&self, bytes: &[u8], sha256: &str) -> anyhow::Result<Component> {
        let Some(dir) = &self.cache_dir else {
            return Component::new(&self.engine, bytes).map_err(anyhow::Error::from);
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let path = dir.join(format!("{sha256}-{:016x}.cwasm", h.finish()));
        if path.is_file() {
            // SAFETY: the file was written by `Component::serialize` of this
            // engine configuration (its name carries the compatibility hash)
            // into the user's own cache; wasmtime checks its header again.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring unusable compiled-component cache entry")
                }
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(anyhow::Error::from)?;
        if let Ok(serialized) = component.serialize() {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            let written = std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(&tmp, serialized))
                .and_then(|_| std::fs::rename(&tmp, &path));
            if let Err(e) = written {
                tracing::debug!(error = %e, "cannot write compiled-component cache");
            }
        }
        Ok(component)
    }

    /// A fresh store for one plugin instance.
    pub fn store(
        &self,
        plugin: &Plugin,
        device: Arc<str>,
        ctx: Option<Box<host::DeviceContext>>,
    ) -> Store<PluginState> {
        let limits = plugin.bundle.manifest.limits.capped();
        let memory = (limits.memory_mib as usize) << 20;
        let state = PluginState {
            // No preopens, no environment, no arguments, no sockets: plugins
            // reach the world only through netrun's own interfaces.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(memory)
                .instances(256)
                .tables(64)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            plugin: Arc::from(plugin.bundle.manifest.name.as_str()),
            device,
            log_budget: limits.log_records,
            output_limit: (limits.output_kib as usize) << 10,
            metric_series: limits.metric_series as usize,
            guard: policy::Guard::new(
                &plugin.bundle.manifest.name,
                &plugin.bundle.manifest.capabilities,
            ),
            ctx,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.fuel_async_yield_interval(Some(1_000_000)).ok();
        store
            .set_fuel(limits.fuel_millions.saturating_mul(1_000_000))
            .ok();
        store
    }

    /// Ask every driver for its platforms; later drivers do not override a
    /// platform an earlier one defined.
    pub async fn platforms(
        &self,
        drivers: &[Arc<Plugin>],
    ) -> anyhow::Result<BTreeMap<String, DriverPlatform>> {
        let mut out = BTreeMap::new();
        for d in drivers {
            let mut store = self.store(d, Arc::from("-"), None);
            let inst = self
                .instantiate_driver(d, &mut store)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let defs = inst
                .netrun_plugin_driver()
                .call_platforms(&mut store)
                .await
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("plugin {}: platforms() failed", d.bundle.manifest.name)
                })?;
            for def in defs {
                let spec = spec_of(&def);
                let platform = Platform::compile(&spec)
                    .map_err(|e| anyhow::anyhow!("plugin {}: {e}", d.bundle.manifest.name))?;
                out.entry(def.name.clone())
                    .or_insert_with(|| DriverPlatform {
                        platform: Arc::new(platform),
                        driver: d.clone(),
                    });
            }
        }
        Ok(out)
    }

    /// A driver instance for `device`: an idle one of the same component
    /// when there is one, else a new one.
    pub async fn checkout_driver(
        &self,
        plugin: &Arc<Plugin>,
        device: Arc<str>,
    ) -> Result<host::DriverInstance, Error> {
        let idle = self
            .idle_drivers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&plugin.sha256)
            .and_then(Vec::pop);
        match idle {
            Some(mut d) => {
                d.assign(device);
                Ok(d)
            }
            None => host::DriverInstance::new(self, plugin.clone(), device).await,
        }
    }

    /// Driver instances of the component `sha256` waiting for a device.
    pub fn idle_drivers(&self, sha256: &str) -> usize {
        self.idle_drivers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha256)
            .map_or(0, Vec::len)
    }

    /// Keep a healthy driver instance for the next device.
    pub fn checkin_driver(&self, driver: host::DriverInstance) {
        let mut idle = self.idle_drivers.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(driver.sha256().to_string()).or_default();
        if list.len() < MAX_IDLE_DRIVERS {
            list.push(driver);
        }
    }

    /// Instantiate a driver in `store`.
    pub async fn instantiate_driver(
        &self,
        plugin: &Plugin,
        store: &mut Store<PluginState>,
    ) -> Result<bindings::driver::DriverPlugin, Error> {
        let Prepared::Driver(pre) = &plugin.pre else {
            return Err(Error::new(
                ErrorClass::Internal,
                format!("plugin {} is not a driver", plugin.bundle.manifest.name),
            ));
        };
        pre.instantiate_async(&mut *store)
            .await
            .map_err(|e| trap_error(&plugin.bundle.manifest.name, "instantiate", e))
    }

    /// Instantiate a workflow in `store`.
    pub async fn instantiate_workflow(
        &self,
        plugin: &Plugin,
        store: &mut Store<PluginState>,
    ) -> Result<bindings::workflow::WorkflowPlugin, Error> {
        let Prepared::Workflow(pre) = &plugin.pre else {
            return Err(Error::new(
                ErrorClass::Internal,
                format!("plugin {} is not a workflow", plugin.bundle.manifest.name),
            ));
        };
        pre.instantiate_async(&mut *store)
            .await
            .map_err(|e| trap_error(&plugin.bundle.manifest.name, "instantiate", e))
    }
}

fn build_engine(options: &RuntimeOptions, pooling: bool) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(true);
    if pooling {
        let n = options.max_instances.max(4);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            // Python and JavaScript components hold dozens of core
            // instances (CPython: 38) and several tables; Rust ones a few.
            .total_core_instances(n * 16)
            .total_memories(n * 2)
            .total_tables(n * 8)
            .max_memories_per_component(8)
            .max_core_instances_per_component(128)
            .max_memory_size(1 << 30);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        // Reserve what a plugin may use (1 GiB) rather than wasmtime's 4 GiB
        // default, so thousands of slots fit in the address space.
        config.memory_reservation(1 << 30);
        config.memory_guard_size(64 << 10);
    }
    Engine::new(&config).map_err(anyhow::Error::from)
}

/// A limit a host function found exceeded; returned as a trap so the plugin
/// stops, and classified `plugin-limit` by [`trap_error`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LimitExceeded(pub String);

/// Refuse a result larger than the plugin's `limits.output_kib`.
pub fn check_output(plugin: &str, call: &str, output: &str, limit: usize) -> Result<(), Error> {
    if output.len() <= limit {
        return Ok(());
    }
    Err(Error::new(
        ErrorClass::PluginLimit,
        format!(
            "plugin {plugin}: {call} returned {} KiB, more than its limit of {} KiB (limits.output_kib)",
            output.len() >> 10,
            limit >> 10
        ),
    ))
}

/// Classify a wasmtime error from calling into a plugin.
pub fn trap_error(plugin: &str, call: &str, e: wasmtime::Error) -> Error {
    crate::telemetry::metrics()
        .plugin_limit_hits
        .get_or_create(&crate::telemetry::PluginLabels {
            plugin: plugin.to_string(),
            call: call.to_string(),
        })
        .inc();
    if let Some(limit) = e.downcast_ref::<LimitExceeded>() {
        return Error::new(
            ErrorClass::PluginLimit,
            format!("plugin {plugin}: {call} stopped: {limit}"),
        );
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return match trap {
            wasmtime::Trap::OutOfFuel => Error::new(
                ErrorClass::PluginLimit,
                format!(
                    "plugin {plugin}: {call} used up its CPU budget (limits.fuel_millions) and was stopped"
                ),
            ),
            other => Error::new(
                ErrorClass::PluginTrap,
                format!("plugin {plugin}: {call} trapped: {other}"),
            ),
        };
    }
    let text = format!("{e:#}");
    if text.contains("forcing trap when growing memory") || text.contains("memory minimum size") {
        return Error::new(
            ErrorClass::PluginLimit,
            format!("plugin {plugin}: {call} exceeded its memory limit (limits.memory_mib)"),
        );
    }
    Error::new(
        ErrorClass::PluginTrap,
        format!("plugin {plugin}: {call} failed: {text}"),
    )
}

fn spec_of(def: &bindings::driver::netrun::plugin::platform::Definition) -> PlatformSpec {
    use bindings::driver::netrun::plugin::platform::Secret;
    PlatformSpec {
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
                    .map(|t| {
                        let challenge = t.challenge.as_ref().map(|c| {
                            let kind = match c.answer {
                                Secret::Password => SecretKind::Password,
                                Secret::EnableSecret => SecretKind::EnableSecret,
                            };
                            (c.prompt.clone(), kind)
                        });
                        TransitionSpec {
                            to: t.to.clone(),
                            send: t.send.clone(),
                            challenge,
                        }
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
    }
}
