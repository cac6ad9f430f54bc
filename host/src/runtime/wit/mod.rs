//! One module per contract version (`wit/v0.N` → `v0_N.rs`): its bindings
//! and thin conversions to host-native types. Everything else in the host
//! sees only host-native types. Adding a version is one WIT folder, one
//! module here and one arm in each enum below.

pub mod v0_1;
pub mod v0_2;

use super::PluginState;

/// A driver component ready to instantiate, by contract version.
pub enum DriverPre {
    /// Built against `netrun:plugin@0.1.x`.
    V0_1(v0_1::driver::DriverPluginPre<PluginState>),
    /// Built against `netrun:plugin@0.2.x`.
    V0_2(v0_2::driver::DriverPluginPre<PluginState>),
}

/// A workflow component ready to instantiate, by contract version.
pub enum WorkflowPre {
    /// Built against `netrun:plugin@0.1.x`.
    V0_1(v0_1::workflow::WorkflowPluginPre<PluginState>),
    /// Built against `netrun:plugin@0.2.x`.
    V0_2(v0_2::workflow::WorkflowPluginPre<PluginState>),
}

/// A driver instance's exports, by contract version.
pub enum DriverExports {
    /// `netrun:plugin@0.1.x`.
    V0_1(v0_1::driver::DriverPlugin),
    /// `netrun:plugin@0.2.x`.
    V0_2(v0_2::driver::DriverPlugin),
}

/// A workflow instance's exports, by contract version.
pub enum WorkflowExports {
    /// `netrun:plugin@0.1.x`.
    V0_1(v0_1::workflow::WorkflowPlugin),
    /// `netrun:plugin@0.2.x`.
    V0_2(v0_2::workflow::WorkflowPlugin),
}
