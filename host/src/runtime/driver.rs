//! A live driver instance: parsers and getters of one driver component,
//! whichever contract version it was built against.

use super::wit::{DriverExports, v0_1, v0_2};
use super::{Plugin, PluginState, Runtime, check_output, trap};
use crate::error::{Error, ErrorClass};
use crate::telemetry::{PluginLabels, metrics};
use std::sync::Arc;
use wasmtime::Store;

/// A live instance of a driver plugin.
pub struct DriverInstance {
    plugin: Arc<Plugin>,
    store: Store<PluginState>,
    exports: DriverExports,
    /// The runtime's permit for a driver call in flight, while checked out.
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
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

    /// Hold a call slot while checked out of the runtime.
    pub(super) fn hold(&mut self, slot: tokio::sync::OwnedSemaphorePermit) {
        self.slot = Some(slot);
    }

    /// Give the call slot back (the instance goes idle).
    pub(super) fn release(&mut self) {
        self.slot = None;
    }

    /// Instantiate `plugin` in a fresh store.
    pub async fn new(
        runtime: &Runtime,
        plugin: Arc<Plugin>,
        device: Arc<str>,
    ) -> Result<Self, Error> {
        let mut store = runtime.store(&plugin, device, None)?;
        let exports = runtime.instantiate_driver(&plugin, &mut store).await?;
        Ok(DriverInstance {
            plugin,
            store,
            exports,
            slot: None,
        })
    }

    /// Run one export call under a fresh CPU budget (per call, not per
    /// instance: a driver serves many outputs), timed, traps classified.
    async fn call<T>(
        &mut self,
        call: &str,
        f: impl AsyncFnOnce(
            &DriverExports,
            &mut Store<PluginState>,
        ) -> wasmtime::Result<Result<T, Error>>,
    ) -> Result<T, Error> {
        let name = self.plugin.bundle.manifest.name.clone();
        let fuel = self
            .plugin
            .bundle
            .manifest
            .limits
            .fuel_millions
            .saturating_mul(1_000_000);
        self.store.set_fuel(fuel).map_err(|e| {
            Error::new(
                ErrorClass::Internal,
                format!("plugin {name}: cannot set its CPU budget: {e}"),
            )
        })?;
        let started = std::time::Instant::now();
        let result = f(&self.exports, &mut self.store).await;
        metrics()
            .plugin_call_seconds
            .get_or_create(&PluginLabels {
                plugin: name.clone(),
                call: call.into(),
            })
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(r) => r,
            Err(e) => Err(trap::classify(&name, call, e, self.store.data())),
        }
    }

    fn check(&self, call: &str, json: String) -> Result<String, Error> {
        let limit = self.store.data().output_limit;
        check_output(&self.plugin.bundle.manifest.name, call, &json, limit)?;
        Ok(json)
    }

    /// Parse `output` of `command` on `platform`; returns the JSON text.
    /// A trap leaves the instance unusable: drop it on a trap or limit.
    pub async fn parse(
        &mut self,
        platform: &str,
        command: &str,
        output: &str,
    ) -> Result<String, Error> {
        let name = self.plugin.bundle.manifest.name.clone();
        let json = self
            .call("parse", async |x, store| match x {
                DriverExports::V0_1(i) => {
                    v0_1::parse(i, store, &name, platform, command, output).await
                }
                DriverExports::V0_2(i) => {
                    v0_2::parse(i, store, &name, platform, command, output).await
                }
            })
            .await?;
        self.check("parse", json)
    }

    /// The getters the driver answers on `platform`.
    pub async fn getters(&mut self, platform: &str) -> Result<Vec<String>, Error> {
        self.call("getters", async |x, store| match x {
            DriverExports::V0_1(_) => Ok(Ok(Vec::new())),
            DriverExports::V0_2(i) => v0_2::getters(i, store, platform).await.map(Ok),
        })
        .await
    }

    /// The commands that answer `getter` on `platform`, and whether the
    /// driver builds follow-up commands from their outputs.
    pub async fn getter_commands(
        &mut self,
        platform: &str,
        getter: &str,
    ) -> Result<(Vec<String>, bool), Error> {
        let name = self.plugin.bundle.manifest.name.clone();
        self.call("getter-commands", async |x, store| match x {
            DriverExports::V0_1(_) => Ok(Err(v0_1::no_getters(&name, getter))),
            DriverExports::V0_2(i) => v0_2::getter_commands(i, store, platform, getter).await,
        })
        .await
    }

    /// The commands to run next for `getter`, given the outputs so far;
    /// empty when they are complete.
    pub async fn getter_follow_up(
        &mut self,
        platform: &str,
        getter: &str,
        outputs: &[(String, String)],
    ) -> Result<Vec<String>, Error> {
        self.call("getter-follow-up", async |x, store| match x {
            DriverExports::V0_1(_) => Ok(Ok(Vec::new())),
            DriverExports::V0_2(i) => {
                v0_2::getter_follow_up(i, store, platform, getter, outputs).await
            }
        })
        .await
    }

    /// The getter's result from the outputs of its commands; JSON text.
    pub async fn getter(
        &mut self,
        platform: &str,
        getter: &str,
        outputs: &[(String, String)],
    ) -> Result<String, Error> {
        let name = self.plugin.bundle.manifest.name.clone();
        let json = self
            .call("getter", async |x, store| match x {
                DriverExports::V0_1(_) => Ok(Err(v0_1::no_getters(&name, getter))),
                DriverExports::V0_2(i) => v0_2::getter(i, store, platform, getter, outputs).await,
            })
            .await?;
        self.check("getter", json)
    }
}
