//! netrun-platforms: the generic first-party driver. Its platforms are data
//! files (`platforms/<device_type>.yaml`, embedded at build time); its
//! getters answer NAPALM-style questions (facts, interfaces, LLDP, ARP, …)
//! from CLI output. Adding a platform is one data file plus fixtures.
//!
//! Vendor drivers with their own parsers (cisco-ios, arista-eos) read their
//! platform files through [`data`] too; each file names the driver that
//! serves it, so a `device_type` is defined by exactly one installed driver.

pub mod data;
pub mod getters;

/// The name this driver's platform files give in their `driver` field.
pub const DRIVER: &str = "netrun-platforms";

/// The component's driver (only with the `component` feature).
#[cfg(feature = "component")]
pub mod component {
    use netrun_guest::driver::{Definition, Driver, ParseError};
    use netrun_guest::{Level, log};

    /// The driver.
    pub struct Platforms;

    impl Driver for Platforms {
        fn platforms() -> Vec<Definition> {
            let (defs, errors) = crate::data::definitions_for(crate::DRIVER);
            // A refused file (caught by this crate's tests before release)
            // leaves its platform undefined; say why in the host's log.
            for e in errors {
                log(Level::Error, &e.to_string());
            }
            defs
        }

        fn parsers(_platform: &str) -> Vec<String> {
            Vec::new()
        }

        fn getters(platform: &str) -> Vec<String> {
            crate::getters::getters(platform)
                .into_iter()
                .map(String::from)
                .collect()
        }

        fn getter_commands(platform: &str, getter: &str) -> Result<Vec<String>, ParseError> {
            crate::getters::commands(platform, getter).map_err(ParseError::from)
        }

        fn getter_has_follow_up(platform: &str, getter: &str) -> bool {
            crate::getters::has_follow_up_in(crate::getters::table(platform), platform, getter)
        }

        fn getter_follow_up(
            platform: &str,
            getter: &str,
            outputs: &[(String, String)],
        ) -> Result<Vec<String>, ParseError> {
            crate::getters::follow_up(platform, getter, outputs).map_err(ParseError::from)
        }

        fn getter(
            platform: &str,
            getter: &str,
            outputs: &[(String, String)],
        ) -> Result<serde_json::Value, ParseError> {
            crate::getters::answer(platform, getter, outputs).map_err(ParseError::from)
        }

        fn parse(
            platform: &str,
            command: &str,
            _output: &str,
        ) -> Result<serde_json::Value, ParseError> {
            Err(ParseError::UnsupportedCommand(format!(
                "netrun-platforms has no parser for {command:?} on {platform}; use its getters"
            )))
        }
    }

    netrun_guest::register_driver!(Platforms);
}

/// A vendor driver: its platforms are this crate's data files whose
/// `driver` field names it, its parsers and getter table are its own.
/// Defines the driver type and registers it as the component's driver.
///
/// ```ignore
/// netrun_plugin_netrun_platforms::vendor_driver! {
///     /// The driver.
///     CiscoIos, driver: "cisco-ios", commands: parsers::COMMANDS,
///     parse: parsers::parse, getters: getters::table
/// }
/// ```
///
/// `getters` is a `fn(&str) -> &'static [Getter]`: the getter table of a
/// platform (a driver may answer more on one of its platforms than another).
#[macro_export]
macro_rules! vendor_driver {
    ($(#[$doc:meta])* $ty:ident, driver: $driver:expr, commands: $commands:expr,
     parse: $parse:path, getters: $getters:path) => {
        $(#[$doc])*
        pub struct $ty;

        impl netrun_guest::driver::Driver for $ty {
            fn platforms() -> Vec<netrun_guest::driver::Definition> {
                let (defs, errors) = $crate::data::definitions_for($driver);
                // A refused file leaves its platform undefined; the host's
                // log says why (this crate's tests catch it before release).
                for e in errors {
                    netrun_guest::log(netrun_guest::Level::Error, &e.to_string());
                }
                defs
            }

            fn parsers(_platform: &str) -> Vec<String> {
                $commands.iter().map(|c| c.to_string()).collect()
            }

            fn parse(
                _platform: &str,
                command: &str,
                output: &str,
            ) -> Result<serde_json::Value, netrun_guest::driver::ParseError> {
                $parse(command, output).map_err(netrun_guest::driver::ParseError::from)
            }

            fn getters(platform: &str) -> Vec<String> {
                $crate::getters::getters_in($getters(platform), platform)
                    .into_iter()
                    .map(String::from)
                    .collect()
            }

            fn getter_commands(
                platform: &str,
                getter: &str,
            ) -> Result<Vec<String>, netrun_guest::driver::ParseError> {
                $crate::getters::commands_in($getters(platform), platform, getter)
                    .map_err(netrun_guest::driver::ParseError::from)
            }

            fn getter_has_follow_up(platform: &str, getter: &str) -> bool {
                $crate::getters::has_follow_up_in($getters(platform), platform, getter)
            }

            fn getter_follow_up(
                platform: &str,
                getter: &str,
                outputs: &[(String, String)],
            ) -> Result<Vec<String>, netrun_guest::driver::ParseError> {
                $crate::getters::follow_up_in($getters(platform), platform, getter, outputs)
                    .map_err(netrun_guest::driver::ParseError::from)
            }

            fn getter(
                platform: &str,
                getter: &str,
                outputs: &[(String, String)],
            ) -> Result<serde_json::Value, netrun_guest::driver::ParseError> {
                $crate::getters::answer_in($getters(platform), platform, getter, outputs)
                    .map_err(netrun_guest::driver::ParseError::from)
            }
        }

        netrun_guest::register_driver!($ty);
    };
}
