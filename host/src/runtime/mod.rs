//! The plugin runtime: one wasmtime `Engine`, components compiled once and
//! cached on disk, an `InstancePre` per plugin, a `Store` per device task.

pub mod bundle;
pub mod compile;
pub mod config;
pub mod device;
pub mod driver;
pub mod imports;
pub mod platform_cache;
pub mod policy;
pub mod pooling;
pub mod trap;
pub mod verified;
pub mod wit;

use crate::error::{Error, ErrorClass};
use crate::transport::platform::{Platform, PlatformError};
use bundle::{Bundle, BundleError, Kind, WitVersion};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Store, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wit::{DriverExports, DriverPre, WorkflowExports, WorkflowPre};

/// The host side of a WIT `session` handle. Each device task has one CLI
/// session; handles are tokens that reach it through the store.
pub struct SessionToken;

/// A device as a workflow sees it: no credentials, no secrets.
#[derive(Debug, Clone, Default)]
pub struct PluginDevice {
    /// Inventory name.
    pub name: String,
    /// Address the host dials.
    pub hostname: String,
    /// `device_type` name.
    pub platform: String,
    /// Groups, nearest first.
    pub groups: Vec<String>,
    /// The inventory `data` as JSON text.
    pub data: String,
}

/// Why the runtime could not start or a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime refused the engine configuration or the WASI/host linker.
    #[error("cannot start the plugin runtime: {0}")]
    Engine(String),
    /// The bundle itself is wrong (manifest, digest, contract version).
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The component does not compile.
    #[error("plugin {plugin}: {path} is not a valid WebAssembly component: {reason}")]
    NotAComponent {
        /// Plugin name.
        plugin: String,
        /// Component file.
        path: PathBuf,
        /// wasmtime's reason.
        reason: String,
    },
    /// The component does not fit the contract its manifest names.
    #[error(
        "plugin {plugin} does not fit the {kind} contract netrun:plugin@{wit}: {reason}; rebuild it against this host's WIT (netrun plugin build)"
    )]
    Contract {
        /// Plugin name.
        plugin: String,
        /// `driver` or `workflow`.
        kind: &'static str,
        /// The manifest's `wit`.
        wit: String,
        /// What did not fit.
        reason: String,
    },
    /// A driver's `platforms` call failed (its message names the plugin).
    #[error(transparent)]
    Declarations(Error),
    /// A platform a driver declares does not compile.
    #[error("plugin {plugin}: {source}")]
    Platform {
        /// Plugin name.
        plugin: String,
        /// What is wrong with the declaration (boxed: regex errors are large).
        source: Box<PlatformError>,
    },
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
    limiter: trap::Limiter,
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
    pub ctx: Option<Box<device::DeviceContext>>,
    /// Configuration candidates the workflow loaded (`config` interface).
    candidates: config::Candidates,
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
    Driver(DriverPre),
    Workflow(WorkflowPre),
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
    /// One linker per world, holding WASI and every contract version's
    /// imports (their names carry the version, `netrun:plugin/cli@0.2.0`);
    /// [`Runtime::load`] picks the bindings by the manifest's `wit`.
    driver_linker: Linker<PluginState>,
    /// Built when the first workflow loads: `exec` and `config` run none,
    /// and a linker of WASI and both contract versions costs a millisecond.
    workflow_linker: std::sync::OnceLock<Linker<PluginState>>,
    cache_dir: Option<PathBuf>,
    /// Driver instances between devices, by component sha256: a driver's
    /// parsers (and the regexes they compile on first use) serve one device
    /// after another instead of being rebuilt for each.
    idle_drivers: std::sync::Mutex<std::collections::HashMap<String, Vec<driver::DriverInstance>>>,
    /// Driver calls in flight per driver component, capped near the CPU
    /// count: parsing is CPU work, so more at once gains nothing, while each
    /// extra instance costs its memory and a rebuild of its regexes.
    driver_slots: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// Drivers' platform declarations and the platforms compiled from
    /// them: a reload of `serve` reuses those still in use.
    platforms: platform_cache::PlatformCache<Plugin>,
    /// Workflow instances alive now (see [`Runtime::workflow_instances`]).
    workflow_instances: std::sync::atomic::AtomicUsize,
}

/// Counts one workflow instance for as long as it lives.
struct Alive<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Alive<'a> {
    fn count(n: &'a std::sync::atomic::AtomicUsize) -> Self {
        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Alive(n)
    }
}

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Idle driver instances kept per driver plugin. Instances are only made
/// when none is idle, so no more are alive than devices parse at once.
const MAX_IDLE_DRIVERS: usize = 64;

/// Driver calls run at once per driver component: two per CPU, so a call
/// that yields (fuel, host calls) leaves the CPUs busy.
fn driver_calls_at_once() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

impl Runtime {
    /// Build the engine (pooling allocator, fuel for CPU limits) and linkers.
    pub fn new(options: &RuntimeOptions) -> Result<Arc<Runtime>, RuntimeError> {
        let (reservation, guard) = pooling::memory_reservation(options.max_instances);
        let engine = build_engine(options, Some((reservation, guard)))
            .or_else(|e| {
                if reservation == pooling::SMALL_RESERVATION {
                    return Err(e);
                }
                // The pooling allocator reserves virtual memory up front: a
                // process limit (`ulimit -v`) or a small address space may
                // refuse full reservations and still take 1 GiB ones.
                tracing::warn!(
                    error = %e,
                    "the address space for full linear-memory reservations was refused: reserving 1 GiB a memory, \
                     and plugin code checks every memory access (slower); raise the limit (`ulimit -v unlimited`) for full speed"
                );
                build_engine(
                    options,
                    Some((pooling::SMALL_RESERVATION, pooling::SMALL_GUARD)),
                )
            })
            .or_else(|e| {
                // Where the machine refuses any pool, instances are allocated
                // on demand instead.
                tracing::warn!(error = %e, "pooling allocator unavailable, using on-demand allocation");
                build_engine(options, None)
            })?;
        let engine_err = |e: wasmtime::Error| RuntimeError::Engine(format!("{e:#}"));
        let mut driver_linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut driver_linker).map_err(engine_err)?;
        wit::v0_1::add_to_driver_linker(&mut driver_linker).map_err(engine_err)?;
        wit::v0_2::add_to_driver_linker(&mut driver_linker).map_err(engine_err)?;
        Ok(Arc::new(Runtime {
            engine,
            driver_linker,
            workflow_linker: Default::default(),
            cache_dir: options.cache_dir.clone(),
            idle_drivers: Default::default(),
            driver_slots: Default::default(),
            platforms: Default::default(),
            workflow_instances: Default::default(),
        }))
    }

    /// Workflow instances alive now, from instantiation to the end of the
    /// workflow's run: one per device a workflow is running on.
    pub fn workflow_instances(&self) -> usize {
        self.workflow_instances
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The engine (for epoch ticks and tests).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker of the workflow world (WASI and every contract version's
    /// imports), built on first use.
    fn workflow_linker(&self) -> Result<&Linker<PluginState>, RuntimeError> {
        if let Some(linker) = self.workflow_linker.get() {
            return Ok(linker);
        }
        let engine_err = |e: wasmtime::Error| RuntimeError::Engine(format!("{e:#}"));
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_err)?;
        wit::v0_1::add_to_workflow_linker(&mut linker).map_err(engine_err)?;
        wit::v0_2::add_to_workflow_linker(&mut linker).map_err(engine_err)?;
        // Two loads racing build it twice; the first stays.
        Ok(self.workflow_linker.get_or_init(|| linker))
    }

    /// [`Bundle::check_integrity`], with the digest kept in the cache for
    /// an unchanged component file (see [`verified`]): a Python or
    /// JavaScript component is tens of megabytes.
    pub fn check_integrity(&self, bundle: &Bundle) -> Result<(), BundleError> {
        bundle.wit_version()?;
        verified::verify(bundle, self.cache_dir.as_deref(), verified::SETTLE).map(|_| ())
    }

    /// Verify, compile (or load from cache) and pre-instantiate a bundle.
    pub fn load(&self, bundle: &Bundle) -> Result<Plugin, RuntimeError> {
        let version = bundle.wit_version()?;
        let sha256 = verified::verify(bundle, self.cache_dir.as_deref(), verified::SETTLE)?;
        let name = bundle.manifest.name.clone();
        let component = match self.compiled(bundle, &sha256) {
            Some(c) => c,
            None => {
                // Read whole (and checked again) only to be compiled.
                let (bytes, sha256) = bundle.read_verified()?;
                self.compile_into_cache(&bytes, &sha256).map_err(|e| {
                    RuntimeError::NotAComponent {
                        plugin: name.clone(),
                        path: bundle.component_path(),
                        reason: format!("{e:#}"),
                    }
                })?
            }
        };
        let contract = |kind: &'static str| {
            let (plugin, wit) = (name.clone(), bundle.manifest.wit.clone());
            move |e: wasmtime::Error| RuntimeError::Contract {
                plugin,
                kind,
                wit,
                reason: format!("{e:#}"),
            }
        };
        let pre = match bundle.manifest.kind {
            Kind::Driver => {
                let ipre = self
                    .driver_linker
                    .instantiate_pre(&component)
                    .map_err(contract("driver"))?;
                Prepared::Driver(match version {
                    WitVersion::V0_1 => DriverPre::V0_1(
                        wit::v0_1::driver::DriverPluginPre::new(ipre)
                            .map_err(contract("driver"))?,
                    ),
                    WitVersion::V0_2 => DriverPre::V0_2(
                        wit::v0_2::driver::DriverPluginPre::new(ipre)
                            .map_err(contract("driver"))?,
                    ),
                })
            }
            Kind::Workflow => {
                let ipre = self
                    .workflow_linker()?
                    .instantiate_pre(&component)
                    .map_err(contract("workflow"))?;
                Prepared::Workflow(match version {
                    WitVersion::V0_1 => WorkflowPre::V0_1(
                        wit::v0_1::workflow::WorkflowPluginPre::new(ipre)
                            .map_err(contract("workflow"))?,
                    ),
                    WitVersion::V0_2 => WorkflowPre::V0_2(
                        wit::v0_2::workflow::WorkflowPluginPre::new(ipre)
                            .map_err(contract("workflow"))?,
                    ),
                })
            }
        };
        Ok(Plugin {
            bundle: bundle.clone(),
            sha256,
            pre,
        })
    }

    /// A fresh store for one plugin instance.
    pub fn store(
        &self,
        plugin: &Plugin,
        device: Arc<str>,
        ctx: Option<Box<device::DeviceContext>>,
    ) -> Result<Store<PluginState>, Error> {
        let limits = plugin.bundle.manifest.limits.capped();
        let memory = (limits.memory_mib as usize) << 20;
        let state = PluginState {
            // No preopens, no environment, no arguments, no sockets: plugins
            // reach the world only through netrun's own interfaces.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limiter: trap::Limiter::new(
                StoreLimitsBuilder::new()
                    .memory_size(memory)
                    .instances(256)
                    .tables(64)
                    .memories(16)
                    .trap_on_grow_failure(true)
                    .build(),
            ),
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
            candidates: config::Candidates::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Both fail only on an engine built without fuel, which `build_engine`
        // never makes; a failure is still reported, never ignored.
        let fuel_err = |e: wasmtime::Error| {
            Error::new(
                ErrorClass::Internal,
                format!(
                    "plugin {}: cannot set its CPU budget: {e}",
                    plugin.bundle.manifest.name
                ),
            )
        };
        store
            .fuel_async_yield_interval(Some(1_000_000))
            .map_err(fuel_err)?;
        store
            .set_fuel(limits.fuel_millions.saturating_mul(1_000_000))
            .map_err(fuel_err)?;
        Ok(store)
    }

    /// Ask every driver for its platforms; later drivers do not override a
    /// platform an earlier one defined.
    pub async fn platforms(
        &self,
        drivers: &[Arc<Plugin>],
    ) -> Result<BTreeMap<String, DriverPlatform>, RuntimeError> {
        self.platforms_among(drivers, None).await
    }

    /// Like [`Runtime::platforms`], compiling only the platforms named in
    /// `wanted` (those of a run's inventory): a platform's prompt, pager and
    /// configuration patterns cost milliseconds each to compile, and the
    /// first-party drivers define dozens of platforms a run does not use.
    pub async fn platforms_for(
        &self,
        drivers: &[Arc<Plugin>],
        wanted: &[String],
    ) -> Result<BTreeMap<String, DriverPlatform>, RuntimeError> {
        self.platforms_among(drivers, Some(wanted)).await
    }

    async fn platforms_among(
        &self,
        drivers: &[Arc<Plugin>],
        wanted: Option<&[String]>,
    ) -> Result<BTreeMap<String, DriverPlatform>, RuntimeError> {
        let mut declared = Vec::with_capacity(drivers.len());
        for d in drivers {
            let defs = match self.platforms.declarations(&d.sha256) {
                Some(defs) => defs,
                None => {
                    let defs = match self.stored_declarations(d) {
                        Some(defs) => defs,
                        None => {
                            let defs = self
                                .declarations(d)
                                .await
                                .map_err(RuntimeError::Declarations)?;
                            self.store_declarations(d, &defs);
                            defs
                        }
                    };
                    self.platforms.keep_declarations(&d.sha256, d, defs)
                }
            };
            declared.push((d, defs));
        }
        // The platforms wanted, and those they may turn out to be.
        let wanted: Option<Vec<String>> = wanted.map(|w| {
            let mut names = w.to_vec();
            let mut i = 0;
            while i < names.len() {
                let name = names[i].clone();
                for (_, defs) in &declared {
                    for (spec, _) in defs.iter().filter(|(s, _)| s.name == name) {
                        for (_, variant) in &spec.variants {
                            if !names.contains(variant) {
                                names.push(variant.clone());
                            }
                        }
                    }
                }
                i += 1;
            }
            names
        });
        let mut out = BTreeMap::new();
        for (d, defs) in &declared {
            for def in defs.iter() {
                let name = &def.0.name;
                let skip =
                    out.contains_key(name) || wanted.as_ref().is_some_and(|w| !w.contains(name));
                if skip {
                    continue;
                }
                let platform = self.platforms.compiled(&d.sha256, def).map_err(|source| {
                    RuntimeError::Platform {
                        plugin: d.bundle.manifest.name.clone(),
                        source: Box::new(source),
                    }
                })?;
                out.insert(
                    name.clone(),
                    DriverPlatform {
                        platform,
                        driver: (*d).clone(),
                    },
                );
            }
        }
        // Each variant named by the platform it is (one level: a variant's
        // own variants are not followed); one no driver defines stays
        // unresolved, and its devices are driven as the platform named.
        let by_name: BTreeMap<String, Arc<Platform>> = out
            .iter()
            .map(|(n, dp)| (n.clone(), dp.platform.clone()))
            .collect();
        for dp in out.values_mut() {
            if dp.platform.variants.is_empty() {
                continue;
            }
            let mut p = (*dp.platform).clone();
            for v in &mut p.variants {
                v.platform = by_name.get(&v.name).cloned();
                if v.platform.is_none() {
                    tracing::warn!(platform = %p.name, variant = %v.name, "no installed driver defines this variant platform");
                }
            }
            dp.platform = Arc::new(p);
        }
        Ok(out)
    }

    /// Driver `d`'s declarations as stored by an earlier run or `plugin
    /// compile`: beside the bundle where netrun keeps compiled code, else
    /// in the cache.
    fn stored_declarations(&self, d: &Plugin) -> Option<Vec<platform_cache::Declaration>> {
        let name = platform_cache::stored_name(&d.sha256);
        let beside = compile::trusted_location(&d.bundle).then(|| d.bundle.dir.join(&name));
        let cached = self.cache_dir.as_ref().map(|c| c.join(&name));
        beside
            .into_iter()
            .chain(cached)
            .find_map(|p| platform_cache::read_stored(&p))
    }

    /// Store driver `d`'s declarations for later runs: beside the bundle
    /// where netrun keeps compiled code and may write, else in the cache.
    fn store_declarations(&self, d: &Plugin, defs: &[platform_cache::Declaration]) {
        let name = platform_cache::stored_name(&d.sha256);
        if compile::trusted_location(&d.bundle)
            && platform_cache::store(&d.bundle.dir.join(&name), defs, true).is_ok()
        {
            return;
        }
        if let Some(c) = &self.cache_dir
            && let Err(e) = platform_cache::store(&c.join(&name), defs, false)
        {
            tracing::debug!(error = %e, "cannot store platform declarations in the cache");
        }
    }

    /// Ask driver `d` for its platform declarations (a fresh instance).
    async fn declarations(&self, d: &Plugin) -> Result<Vec<platform_cache::Declaration>, Error> {
        let name = &d.bundle.manifest.name;
        let mut store = self.store(d, Arc::from("-"), None)?;
        let exports = self.instantiate_driver(d, &mut store).await?;
        match &exports {
            DriverExports::V0_1(i) => wit::v0_1::platforms(i, &mut store).await,
            DriverExports::V0_2(i) => wit::v0_2::platforms(i, &mut store).await,
        }
        .map_err(|e| trap::classify(name, "platforms", e, store.data()))
    }

    /// A driver instance for `device`: an idle one of the same component
    /// when there is one, else a new one. [`Runtime::call_driver`] is the
    /// way to use one: an instance checked out by hand goes back with
    /// [`Runtime::checkin_driver`] only after a call that completed and did
    /// not trap, never after one abandoned half-way.
    pub async fn checkout_driver(
        &self,
        plugin: &Arc<Plugin>,
        device: Arc<str>,
    ) -> Result<driver::DriverInstance, Error> {
        let slots = self
            .driver_slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(plugin.sha256.clone())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(driver_calls_at_once())))
            .clone();
        // The semaphore is never closed, so acquiring only waits.
        let slot = slots
            .acquire_owned()
            .await
            .map_err(|_| Error::new(ErrorClass::Internal, "driver slots closed"))?;
        let idle = self
            .idle_drivers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&plugin.sha256)
            .and_then(Vec::pop);
        let mut d = match idle {
            Some(mut d) => {
                d.assign(device);
                d
            }
            None => driver::DriverInstance::new(self, plugin.clone(), device).await?,
        };
        d.hold(slot);
        Ok(d)
    }

    /// Run `f` on a driver instance for `device` ([`Runtime::checkout_driver`])
    /// and return the instance to the idle list after it, unless the call
    /// left it unusable: it trapped or hit a limit. An instance whose call
    /// was abandoned half-way (the caller's future dropped: a device
    /// deadline, a stopping run) is in a state no one knows and is dropped
    /// with the future, never handed to the next device.
    pub async fn call_driver<T>(
        &self,
        plugin: &Arc<Plugin>,
        device: Arc<str>,
        f: impl AsyncFnOnce(&mut driver::DriverInstance) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut instance = self.checkout_driver(plugin, device).await?;
        let result = f(&mut instance).await;
        if !result.as_ref().is_err_and(instance_unusable_after) {
            // Back to the idle list at once: driver instances follow the
            // calls in flight (a few), not the devices in flight (1,000s),
            // and each serves warm (parsers and regexes already built).
            self.checkin_driver(instance);
        }
        result
    }

    /// Driver instances of the component `sha256` waiting for a device.
    pub fn idle_drivers(&self, sha256: &str) -> usize {
        self.idle_drivers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha256)
            .map_or(0, Vec::len)
    }

    /// Keep a healthy driver instance for the next device
    /// ([`Runtime::call_driver`] does, after its call).
    pub fn checkin_driver(&self, mut driver: driver::DriverInstance) {
        driver.release();
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
    ) -> Result<DriverExports, Error> {
        let name = &plugin.bundle.manifest.name;
        let instantiated = match &plugin.pre {
            Prepared::Driver(DriverPre::V0_1(pre)) => pre
                .instantiate_async(&mut *store)
                .await
                .map(DriverExports::V0_1),
            Prepared::Driver(DriverPre::V0_2(pre)) => pre
                .instantiate_async(&mut *store)
                .await
                .map(DriverExports::V0_2),
            Prepared::Workflow(_) => {
                return Err(Error::new(
                    ErrorClass::Internal,
                    format!("plugin {name} is not a driver"),
                ));
            }
        };
        instantiated.map_err(|e| trap::classify(name, "instantiate", e, store.data()))
    }

    /// Instantiate a workflow in `store`.
    pub async fn instantiate_workflow(
        &self,
        plugin: &Plugin,
        store: &mut Store<PluginState>,
    ) -> Result<WorkflowExports, Error> {
        let name = &plugin.bundle.manifest.name;
        let instantiated = match &plugin.pre {
            Prepared::Workflow(WorkflowPre::V0_1(pre)) => pre
                .instantiate_async(&mut *store)
                .await
                .map(WorkflowExports::V0_1),
            Prepared::Workflow(WorkflowPre::V0_2(pre)) => pre
                .instantiate_async(&mut *store)
                .await
                .map(WorkflowExports::V0_2),
            Prepared::Driver(_) => {
                return Err(Error::new(
                    ErrorClass::Internal,
                    format!("plugin {name} is not a workflow"),
                ));
            }
        };
        instantiated.map_err(|e| trap::classify(name, "instantiate", e, store.data()))
    }

    /// Instantiate a workflow and run it against `device`; returns the JSON
    /// text of its result. The error is the plugin's, class kept, or the
    /// classified trap.
    pub async fn run_workflow(
        &self,
        plugin: &Plugin,
        store: &mut Store<PluginState>,
        device: &PluginDevice,
        params: &str,
    ) -> Result<String, Error> {
        let name = &plugin.bundle.manifest.name;
        let _alive = Alive::count(&self.workflow_instances);
        let exports = self.instantiate_workflow(plugin, store).await?;
        let cut = store.data().settle_cut();
        let grace = cut.as_ref().map(|c| c.grace).unwrap_or_default();
        let run = async {
            match &exports {
                WorkflowExports::V0_1(i) => wit::v0_1::run(i, &mut *store, device, params).await,
                WorkflowExports::V0_2(i) => wit::v0_2::run(i, &mut *store, device, params).await,
            }
        };
        // The call and the settling are boxed: a workflow's future lives as
        // long as its device, a thousand at once, and a future awaited in
        // place is stored twice (as the argument, then as the awaited).
        let result = match config::unless_settling(Box::pin(run), cut).await {
            Some(Ok(r)) => r,
            Some(Err(e)) => Err(trap::classify(name, "run", e, store.data())),
            // Stopped to roll its commit back before the device deadline.
            None => Err(Error::new(
                ErrorClass::DeviceTimeout,
                format!(
                    "the device deadline was {} away with a configuration commit awaiting confirmation: the workflow was stopped",
                    crate::resilience::deadline::seconds(grace)
                ),
            )),
        };
        // A configuration commit nobody confirmed is undone now: the
        // workflow can no longer confirm it.
        match (Box::pin(store.data_mut().config_settle()).await, result) {
            (None, r) => r,
            (Some(unconfirmed), Ok(_)) => Err(unconfirmed),
            (Some(unconfirmed), Err(mut e)) => {
                e.message = format!("{}; {}", e.message, unconfirmed.message);
                Err(e)
            }
        }
    }
}

/// The engine; `pooling` gives the pool's linear-memory reservation and
/// guard, `None` allocates instances on demand.
fn build_engine(
    options: &RuntimeOptions,
    pooling: Option<(u64, u64)>,
) -> Result<Engine, RuntimeError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    // `perf` can name plugin functions in profiles (/tmp/perf-PID.map).
    if std::env::var_os("NETRUN_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Some((reservation, guard)) = pooling {
        let pool = pooling::config(options.max_instances);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config.memory_reservation(reservation);
        config.memory_guard_size(guard);
    }
    Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))
}

/// A limit a host function found exceeded; returned as a trap so the plugin
/// stops, and classified `plugin-limit` by [`trap::classify`].
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

/// Whether a driver call's failure leaves its instance unusable: a trap or a
/// limit stops the instance; an answer (no parser, output that does not fit)
/// does not.
fn instance_unusable_after(e: &Error) -> bool {
    matches!(
        e.class,
        ErrorClass::PluginTrap | ErrorClass::PluginLimit | ErrorClass::Internal
    )
}
