//! Classifying what stopped a plugin call: a host limit the plugin hit, a
//! trap by its code, or the store's limiter having refused memory — never
//! by matching error text.

use super::{LimitExceeded, PluginState};
use crate::error::{Error, ErrorClass};
use crate::telemetry::{PluginLabels, metrics};
use wasmtime::{ResourceLimiter, StoreLimits};

/// The store's resource limiter: wasmtime's [`StoreLimits`], remembering
/// whether it refused a memory or table growth, so the failure that follows
/// is classified `plugin-limit` from state, not from its message.
pub struct Limiter {
    inner: StoreLimits,
    refused: Option<&'static str>,
}

impl Limiter {
    /// Wrap `inner`.
    pub fn new(inner: StoreLimits) -> Limiter {
        Limiter {
            inner,
            refused: None,
        }
    }

    /// What the limiter refused since the last reset, if anything.
    pub fn refused(&self) -> Option<&'static str> {
        self.refused
    }

    /// Forget earlier refusals (an instance reused for another call).
    pub fn reset(&mut self) {
        self.refused = None;
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let r = self.inner.memory_growing(current, desired, maximum);
        if !matches!(r, Ok(true)) {
            self.refused = Some("memory");
        }
        r
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let r = self.inner.table_growing(current, desired, maximum);
        if !matches!(r, Ok(true)) {
            self.refused = Some("table");
        }
        r
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Classify a wasmtime error from calling into (or instantiating) a plugin.
pub fn classify(plugin: &str, call: &str, e: wasmtime::Error, state: &PluginState) -> Error {
    metrics()
        .plugin_limit_hits
        .get_or_create(&PluginLabels {
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
    if let Some(what) = state.limiter.refused() {
        return Error::new(
            ErrorClass::PluginLimit,
            format!(
                "plugin {plugin}: {call} exceeded its {what} limit ({})",
                if what == "memory" {
                    "limits.memory_mib"
                } else {
                    "the host's table limit"
                }
            ),
        );
    }
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => Error::new(
            ErrorClass::PluginLimit,
            format!(
                "plugin {plugin}: {call} used up its CPU budget (limits.fuel_millions) and was stopped"
            ),
        ),
        Some(wasmtime::Trap::Interrupt) => Error::new(
            ErrorClass::PluginLimit,
            format!("plugin {plugin}: {call} ran past its time limit and was interrupted"),
        ),
        Some(other) => Error::new(
            ErrorClass::PluginTrap,
            format!("plugin {plugin}: {call} trapped: {other}"),
        ),
        None => Error::new(
            ErrorClass::PluginTrap,
            format!("plugin {plugin}: {call} failed: {e:#}"),
        ),
    }
}
