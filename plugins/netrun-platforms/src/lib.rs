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
