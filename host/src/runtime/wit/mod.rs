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

/// The message of a driver's "no parser for this command", naming the
/// driver, the command and the platform once: drivers' own messages say
/// anything from the bare command (`show clock`) to a whole sentence that
/// already names it.
pub(crate) fn no_parser_message(plugin: &str, command: &str, platform: &str, said: &str) -> String {
    let said = said.trim();
    if said.is_empty() || said == command.trim() {
        format!("driver {plugin} has no parser for `{command}` on {platform}")
    } else if said.contains(command.trim()) {
        format!("driver {plugin}: {said}")
    } else {
        format!("driver {plugin} has no parser for `{command}` on {platform}: {said}")
    }
}

#[cfg(test)]
mod tests {
    use super::no_parser_message;

    #[test]
    fn a_driver_without_a_parser_is_named_with_the_command_once() {
        assert_eq!(
            no_parser_message("cisco-ios", "show clock", "cisco_ios", "show clock"),
            "driver cisco-ios has no parser for `show clock` on cisco_ios"
        );
        assert_eq!(
            no_parser_message(
                "netrun-platforms",
                "show clock",
                "huawei_vrp",
                "netrun-platforms has no parser for \"show clock\" on huawei_vrp; use its getters"
            ),
            "driver netrun-platforms: netrun-platforms has no parser for \"show clock\" on huawei_vrp; use its getters"
        );
        assert_eq!(
            no_parser_message("acme", "show users", "acme_os", "only show version"),
            "driver acme has no parser for `show users` on acme_os: only show version"
        );
    }
}
