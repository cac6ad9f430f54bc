//! NAPALM-style getters: each one names the CLI commands the host runs (in
//! the platform's default mode) and builds NAPALM's result shape from their
//! outputs. Every getter is a pure function of the outputs, tested on
//! recorded output of real releases (`tests/getters/<platform>/<getter>/<case>/`).
//!
//! A getter a platform cannot answer is refused with
//! [`ParseError::Unsupported`], never guessed.

pub mod bgp;
pub mod env;
pub mod lldp;
pub mod napalm;
pub mod neigh;

mod aos;
mod arubaos;
mod asa;
mod awplus;
mod comware;
mod edgeswitch;
mod exos;
mod fastiron;
mod force10;
mod fortios;
mod ifaces;
mod junos;
mod linux;
mod nxos;
mod os10;
mod panos;
mod procurve;
mod routeros;
mod s300;
mod sros;
mod vrp;
mod vyos;
mod xr;

pub use netrun_guest::text::ParseError;
use serde_json::{Value, json};

/// Every getter name (NAPALM's `get_…` without the prefix), in the order
/// `netrun platforms` shows them.
pub const NAMES: &[&str] = &[
    "facts",
    "interfaces",
    "interfaces_ip",
    "lldp_neighbors",
    "lldp_neighbors_detail",
    "arp_table",
    "mac_address_table",
    "bgp_neighbors",
    "config",
    "environment",
];

/// Builds a getter's result from its commands' outputs, in command order.
pub type Build = fn(&[&str]) -> Result<Value, ParseError>;

/// The commands to run after a getter's own, from every (command, output)
/// so far: one per port or neighbour a summary listed. Empty once the
/// outputs are complete.
pub type FollowUp = fn(&[(String, String)]) -> Result<Vec<String>, ParseError>;

/// One getter of one platform.
pub struct Getter {
    /// Getter name (`facts`).
    pub name: &'static str,
    /// Commands run, in this order.
    pub commands: &'static [&'static str],
    /// Builds the result from the outputs of `commands` and then of the
    /// follow-up commands, in the order they ran.
    pub build: Build,
    /// Where the platform has no command that shows everything at once
    /// (SR OS prints LLDP details per port): the commands to run next.
    pub follow_up: Option<FollowUp>,
}

/// The getters coded for `platform` (the data-driven `config` getter aside).
/// (`pub` for the lab, which runs every getter over its personas.)
pub fn table(platform: &str) -> &'static [Getter] {
    // An alias (`juniper`, `huawei`) answers as the file it names.
    let platform = crate::data::platform_file(platform).map_or(platform, |f| f.name.as_str());
    match platform {
        "juniper_junos" => junos::GETTERS,
        "cisco_nxos" => nxos::GETTERS,
        "cisco_xr" => xr::GETTERS,
        "huawei_vrp" => vrp::GETTERS,
        "linux" => linux::GETTERS,
        "cisco_asa" => asa::GETTERS,
        "paloalto_panos" => panos::GETTERS,
        "fortinet" => fortios::GETTERS,
        "vyos" => vyos::GETTERS,
        "dell_os10" => os10::GETTERS,
        "mikrotik_routeros" => routeros::GETTERS,
        "nokia_sros" | "nokia_sros_mdcli" => sros::GETTERS,
        "hp_comware" => comware::GETTERS,
        "hp_procurve" => procurve::PROCURVE,
        "aruba_aoscx" => procurve::AOSCX,
        "extreme_exos" => exos::GETTERS,
        "ruckus_fastiron" => fastiron::GETTERS,
        "dell_force10" => force10::GETTERS,
        "cisco_s300" => s300::GETTERS,
        "ubiquiti_edgeswitch" => edgeswitch::GETTERS,
        "alcatel_aos" => aos::GETTERS,
        "allied_telesis_awplus" => awplus::GETTERS,
        "aruba_os" => arubaos::GETTERS,
        _ => &[],
    }
}

/// Getter names `platform` answers, in [`NAMES`] order.
pub fn getters(platform: &str) -> Vec<&'static str> {
    getters_in(table(platform), platform)
}

/// The commands the host runs to answer `getter` on `platform`.
pub fn commands(platform: &str, getter: &str) -> Result<Vec<String>, ParseError> {
    commands_in(table(platform), platform, getter)
}

/// Build `getter`'s result on `platform` from (command, output) pairs given
/// in the order of [`commands`].
pub fn answer(
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> Result<Value, ParseError> {
    answer_in(table(platform), platform, getter, outputs)
}

/// Getter names answered by `coded` on `platform`, plus `config` where the
/// platform's data file has configuration mechanics. Vendor drivers call
/// this with their own table.
pub fn getters_in(coded: &[Getter], platform: &str) -> Vec<&'static str> {
    let has_config = config_commands(platform).is_some();
    NAMES
        .iter()
        .copied()
        .filter(|n| coded.iter().any(|g| g.name == *n) || (*n == "config" && has_config))
        .collect()
}

fn unsupported(coded: &[Getter], platform: &str, getter: &str) -> ParseError {
    if NAMES.contains(&getter) {
        ParseError::Unsupported(format!(
            "getter {getter} is not available on {platform} (available: {})",
            getters_in(coded, platform).join(", ")
        ))
    } else {
        ParseError::Unsupported(format!(
            "no getter named {getter:?}; getters: {}",
            NAMES.join(", ")
        ))
    }
}

/// [`commands`] over the table `coded`.
pub fn commands_in(
    coded: &[Getter],
    platform: &str,
    getter: &str,
) -> Result<Vec<String>, ParseError> {
    if getter == "config"
        && let Some(c) = config_commands(platform)
    {
        return Ok(c);
    }
    coded
        .iter()
        .find(|g| g.name == getter)
        .map(|g| g.commands.iter().map(|c| c.to_string()).collect())
        .ok_or_else(|| unsupported(coded, platform, getter))
}

/// The follow-up commands of `getter` on `platform` given the outputs so
/// far (none for most getters).
pub fn follow_up(
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> Result<Vec<String>, ParseError> {
    follow_up_in(table(platform), platform, getter, outputs)
}

/// Whether `getter` in the table `coded` builds follow-up commands on
/// `platform` (`config` does where the platform has a second CLI whose
/// configuration another command prints: SR OS MD-CLI).
pub fn has_follow_up_in(coded: &[Getter], platform: &str, getter: &str) -> bool {
    if getter == "config" {
        return config_otherwise(platform).is_some_and(|o| !o.is_empty());
    }
    coded
        .iter()
        .any(|g| g.name == getter && g.follow_up.is_some())
}

/// The platform's `show_running_otherwise` commands, where it has
/// configuration mechanics.
fn config_otherwise(platform: &str) -> Option<&'static [String]> {
    let c = crate::data::platform_file(platform)?.config.as_ref()?;
    Some(&c.show_running_otherwise)
}

/// Whether `output` is the host's report of a command the device refused
/// (one of the platform's failure indicators at its head; further down, as
/// in a description of the running configuration, it is output).
fn refused(platform: &str, output: &str) -> bool {
    crate::data::platform_file(platform)
        .is_some_and(|f| crate::data::refusal_in(&f.failure_indicators, output).is_some())
}

/// (command, output) pairs, in the order the commands ran.
type Outputs = [(String, String)];

/// A getter's outputs split into those of its own `expected` commands and
/// those of the follow-up commands that ran after them.
fn own_and_follow_ups<'a>(expected: &[String], outputs: &'a Outputs) -> (&'a Outputs, &'a Outputs) {
    outputs.split_at(expected.len().min(outputs.len()))
}

/// [`follow_up`] over the table `coded`: asked only once the getter's own
/// commands have all run.
pub fn follow_up_in(
    coded: &[Getter],
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> Result<Vec<String>, ParseError> {
    let expected = commands_in(coded, platform, getter)?;
    if getter == "config" {
        // The running configuration in the platform's other CLI, one
        // command after another, while the device refuses them.
        let otherwise = config_otherwise(platform).unwrap_or_default();
        let tried = outputs.len().saturating_sub(expected.len());
        let last = if tried == 0 {
            outputs.first()
        } else {
            outputs.last()
        };
        return Ok(match (last, otherwise.get(tried)) {
            (Some((_, output)), Some(next)) if refused(platform, output) => vec![next.clone()],
            _ => Vec::new(),
        });
    }
    let Some(next) = coded
        .iter()
        .find(|g| g.name == getter)
        .and_then(|g| g.follow_up)
    else {
        return Ok(Vec::new());
    };
    napalm::outputs_in_order(getter, &expected, own_and_follow_ups(&expected, outputs).0)?;
    next(outputs)
}

/// [`answer`] over the table `coded`.
pub fn answer_in(
    coded: &[Getter],
    platform: &str,
    getter: &str,
    outputs: &[(String, String)],
) -> Result<Value, ParseError> {
    let expected = commands_in(coded, platform, getter)?;
    if getter == "config" {
        let (own, others) = own_and_follow_ups(&expected, outputs);
        let mut texts = napalm::outputs_in_order(getter, &expected, own)?;
        // Where the device refused the running configuration's command,
        // the first of the platform's other commands it answered.
        if texts.first().is_some_and(|t| refused(platform, t)) {
            let Some((_, other)) = others.iter().find(|(_, o)| !refused(platform, o)) else {
                return Err(ParseError::Unexpected(format!(
                    "{platform} refused every command that prints its running configuration"
                )));
            };
            texts[0] = other;
        }
        return Ok(config(&texts));
    }
    let g = coded
        .iter()
        .find(|g| g.name == getter)
        .ok_or_else(|| unsupported(coded, platform, getter))?;
    // Follow-up outputs come after the getter's own, in the order they ran.
    let (own, others) = match g.follow_up {
        Some(_) => own_and_follow_ups(&expected, outputs),
        None => (outputs, &[][..]),
    };
    let mut texts = napalm::outputs_in_order(getter, &expected, own)?;
    texts.extend(others.iter().map(|(_, o)| o.as_str()));
    (g.build)(&texts)
}

/// `show running-config` and, where the platform has one, the startup
/// configuration, from the platform's data file.
fn config_commands(platform: &str) -> Option<Vec<String>> {
    let c = crate::data::platform_file(platform)?.config.as_ref()?;
    let mut commands = vec![c.show_running.clone()];
    commands.extend(c.show_startup.clone());
    Some(commands)
}

/// NAPALM's `get_config`: the configurations as the device prints them,
/// without the lines that are not configuration (the IOS XR timestamp line,
/// the Junos / VyOS `[edit]` and `{master:0}` lines before the prompt).
/// Commit platforms show their candidate only in configuration mode, so
/// `candidate` is empty here.
pub fn config(texts: &[&str]) -> Value {
    let text = |i: usize| {
        texts
            .get(i)
            .map(|t| napalm::lines(t).join("\n"))
            .unwrap_or_default()
    };
    json!({
        "running": text(0),
        "startup": text(1),
        "candidate": "",
    })
}
