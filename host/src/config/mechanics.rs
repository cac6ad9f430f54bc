//! How a platform's configuration is read, changed, confirmed and rolled
//! back: data, like the rest of a platform. This is the host-native shape
//! of the `config` record of a platform definition; until drivers declare
//! it (contract 0.2), the built-in records below stand in for the
//! platforms the first-party drivers know.

use regex::Regex;

/// How a platform writes its configuration, which decides how a change is
/// computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Blocks by indentation (IOS, IOS-XE, EOS, NX-OS): a child line
    /// belongs to the nearest less-indented line above it.
    Indented,
    /// One `set` line per leaf (`show configuration | display set` on
    /// Junos); changes are `set` and `delete` lines.
    Set,
    /// Independent lines with no hierarchy.
    Flat,
}

/// One exchange of a mechanics step: input, then the prompts the device
/// may ask on the way and what to answer (`Destination filename [x]?` →
/// Enter). The step ends at the next prompt of a mode.
#[derive(Debug, Clone)]
pub struct Step {
    /// What is typed; the host fills in `{name}` (a rollback point's name),
    /// `{minutes}` and `{seconds}` (the commit-confirm window).
    pub send: String,
    /// Prompts the device may ask, and their answers.
    pub answers: Vec<(Regex, String)>,
}

impl Step {
    /// A step with no prompts to answer.
    pub fn plain(send: &str) -> Step {
        Step {
            send: send.to_string(),
            answers: Vec::new(),
        }
    }

    /// A step answering `prompt` (a regex) with `answer`.
    fn answering(send: &str, prompt: &str, answer: &str) -> Step {
        Step {
            send: send.to_string(),
            // The patterns below are constants checked by the tests.
            answers: Regex::new(prompt)
                .map(|re| vec![(re, answer.to_string())])
                .unwrap_or_default(),
        }
    }

    /// This step with `{name}`, `{minutes}` and `{seconds}` filled in
    /// (the window rounded up to whole minutes, at least one).
    pub fn filled(&self, name: &str, window: Option<std::time::Duration>) -> Step {
        let secs = window.map_or(0, |w| w.as_secs().max(1));
        let minutes = secs.div_ceil(60).max(1);
        Step {
            send: self
                .send
                .replace("{name}", name)
                .replace("{minutes}", &minutes.to_string())
                .replace("{seconds}", &secs.to_string()),
            answers: self.answers.clone(),
        }
    }
}

/// A platform's configuration mechanics.
#[derive(Debug, Clone)]
pub struct ConfigMechanics {
    /// The command that prints the running configuration.
    pub show_running: String,
    /// The command that prints the startup configuration, where there is one.
    pub show_startup: Option<String>,
    /// Lines that change without a configuration change (timestamps, byte
    /// counts, NTP clock period), dropped from backups and diffs.
    pub volatile: Vec<Regex>,
    /// How changes are computed.
    pub style: Style,
    /// Steps, in configuration mode, that make sent lines take effect
    /// (Junos `commit`); empty where lines apply at once (IOS).
    pub commit: Vec<Step>,
    /// Steps, in configuration mode, that commit with an automatic rollback
    /// unless confirmed (Junos `commit confirmed {minutes}`); empty: netrun
    /// emulates commit-confirm.
    pub commit_confirmed: Vec<Step>,
    /// Steps, from the default mode, that confirm a commit-confirmed change.
    pub confirm: Vec<Step>,
    /// Steps, in configuration mode, that drop uncommitted lines (Junos
    /// `rollback 0`); empty where there is nothing uncommitted.
    pub abort: Vec<Step>,
    /// Steps, from the default mode, that take a rollback point called `{name}`.
    pub checkpoint: Vec<Step>,
    /// Steps, from the default mode, that return to rollback point `{name}`.
    pub rollback: Vec<Step>,
    /// Steps, from the default mode, that save the running configuration
    /// as the startup configuration.
    pub save: Vec<Step>,
    /// Steps, from the default mode, that start loading a whole candidate
    /// which then replaces the configuration on `commit` (EOS session with
    /// `rollback clean-config`, Junos `load override terminal`); empty: the
    /// platform has no terminal replace (netrun replaces by difference on
    /// indented platforms, refuses elsewhere).
    pub replace: Vec<Step>,
}

/// Anchored regexes from string constants.
fn regexes(patterns: &[&str]) -> Vec<Regex> {
    patterns.iter().filter_map(|p| Regex::new(p).ok()).collect()
}

/// IOS `copy` asks for the destination name; Enter keeps the one given.
const DESTINATION: &str = r"Destination filename \[[^\]]*\]\?\s*$";

impl ConfigMechanics {
    /// Cisco IOS and IOS-XE: lines apply at once; `copy running-config
    /// flash:` is the rollback point and `configure replace` returns to it.
    pub fn cisco_ios() -> ConfigMechanics {
        ConfigMechanics {
            show_running: "show running-config".into(),
            show_startup: Some("show startup-config".into()),
            volatile: regexes(&[
                r"^Building configuration",
                r"^Current configuration\s*:\s*\d+ bytes",
                r"^! Last configuration change at ",
                r"^! NVRAM config last updated at ",
                r"^! No configuration change since last restart",
                r"^ntp clock-period \d+",
            ]),
            style: Style::Indented,
            commit: Vec::new(),
            commit_confirmed: Vec::new(),
            confirm: Vec::new(),
            abort: Vec::new(),
            checkpoint: vec![Step::answering(
                "copy running-config flash:{name}",
                DESTINATION,
                "",
            )],
            rollback: vec![Step::plain("configure replace flash:{name} force")],
            save: vec![Step::answering(
                "copy running-config startup-config",
                DESTINATION,
                "",
            )],
            replace: Vec::new(),
        }
    }

    /// Arista EOS: IOS-like lines; checkpoints by name, `configure replace`
    /// to return; a configure session with `rollback clean-config` replaces.
    pub fn arista_eos() -> ConfigMechanics {
        ConfigMechanics {
            show_running: "show running-config".into(),
            show_startup: Some("show startup-config".into()),
            volatile: regexes(&[
                r"^! Command: show running-config",
                r"^! device: ",
                r"^! boot system ",
                r"^! Startup-config last modified at ",
                r"^! Time: ",
            ]),
            style: Style::Indented,
            commit: Vec::new(),
            commit_confirmed: Vec::new(),
            confirm: Vec::new(),
            abort: Vec::new(),
            checkpoint: vec![Step::plain("configure checkpoint save {name}")],
            rollback: vec![Step::plain("configure replace checkpoint:{name}")],
            save: vec![Step::plain("copy running-config startup-config")],
            replace: vec![
                Step::plain("configure session {name}"),
                Step::plain("rollback clean-config"),
            ],
        }
    }

    /// Cisco NX-OS: checkpoints and `rollback running-config checkpoint`.
    pub fn cisco_nxos() -> ConfigMechanics {
        ConfigMechanics {
            show_running: "show running-config".into(),
            show_startup: Some("show startup-config".into()),
            volatile: regexes(&[
                r"^!Command: show running-config",
                r"^!Running configuration last done at: ",
                r"^!Time: ",
            ]),
            style: Style::Indented,
            commit: Vec::new(),
            commit_confirmed: Vec::new(),
            confirm: Vec::new(),
            abort: Vec::new(),
            checkpoint: vec![Step::plain("checkpoint {name}")],
            rollback: vec![Step::plain("rollback running-config checkpoint {name}")],
            save: vec![Step::plain("copy running-config startup-config")],
            replace: Vec::new(),
        }
    }

    /// Juniper Junos: `set`/`delete` lines into the candidate, `commit`
    /// (natively `commit confirmed`), `rollback 0` drops the candidate,
    /// `rollback 1` returns to the previous commit.
    pub fn juniper_junos() -> ConfigMechanics {
        ConfigMechanics {
            show_running: "show configuration | display set".into(),
            show_startup: None,
            volatile: regexes(&[r"^## Last commit: ", r"^## Last changed: "]),
            style: Style::Set,
            commit: vec![Step::plain("commit")],
            commit_confirmed: vec![Step::plain("commit confirmed {minutes}")],
            confirm: vec![
                Step::plain("configure"),
                Step::plain("commit"),
                Step::plain("exit"),
            ],
            abort: vec![Step::plain("rollback 0")],
            checkpoint: Vec::new(),
            rollback: vec![
                Step::plain("configure"),
                Step::plain("rollback 1"),
                Step::plain("commit"),
                Step::plain("exit"),
            ],
            save: Vec::new(),
            replace: vec![
                Step::plain("configure"),
                Step::plain("load override terminal"),
            ],
        }
    }

    /// The built-in mechanics of platform `name` (`device_type`), until its
    /// driver declares them.
    pub fn builtin(name: &str) -> Option<ConfigMechanics> {
        Some(match name {
            "cisco_ios" | "cisco_xe" | "cisco_iosxe" => ConfigMechanics::cisco_ios(),
            "arista_eos" => ConfigMechanics::arista_eos(),
            "cisco_nxos" => ConfigMechanics::cisco_nxos(),
            "juniper_junos" | "juniper" => ConfigMechanics::juniper_junos(),
            _ => return None,
        })
    }

    /// Whether `line` is volatile.
    pub fn is_volatile(&self, line: &str) -> bool {
        self.volatile.iter().any(|re| re.is_match(line))
    }

    /// Whether the platform has a device-side rollback point.
    pub fn has_checkpoint(&self) -> bool {
        !self.rollback.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_pattern_compiles() {
        let ios = ConfigMechanics::cisco_ios();
        // A pattern that failed to compile would leave a step without its answer.
        assert_eq!(ios.checkpoint[0].answers.len(), 1);
        assert_eq!(ios.save[0].answers.len(), 1);
        for (m, n) in [
            (ConfigMechanics::cisco_ios(), 6),
            (ConfigMechanics::arista_eos(), 5),
            (ConfigMechanics::cisco_nxos(), 3),
            (ConfigMechanics::juniper_junos(), 2),
        ] {
            assert_eq!(m.volatile.len(), n, "{}", m.show_running);
        }
    }

    #[test]
    fn ios_volatile_lines_are_the_timestamps_and_byte_count() {
        let m = ConfigMechanics::cisco_ios();
        assert!(m.is_volatile("Current configuration : 1234 bytes"));
        assert!(
            m.is_volatile("! Last configuration change at 10:00:01 UTC Mon Nov 30 2026 by admin")
        );
        assert!(m.is_volatile("ntp clock-period 17179814"));
        assert!(!m.is_volatile("ntp server 192.0.2.1"));
        assert!(!m.is_volatile("hostname r1"));
    }

    #[test]
    fn ios_copy_answers_the_destination_prompt_with_enter() {
        let m = ConfigMechanics::cisco_ios();
        let step = m.checkpoint[0].filled("netrun-1", None);
        assert_eq!(step.send, "copy running-config flash:netrun-1");
        let (re, answer) = &step.answers[0];
        assert!(re.is_match("Destination filename [netrun-1]? "));
        assert_eq!(answer, "");
    }

    #[test]
    fn junos_lines_are_set_style_with_native_commit_confirmed() {
        let m = ConfigMechanics::builtin("juniper_junos").unwrap();
        assert_eq!(m.style, Style::Set);
        assert!(m.is_volatile("## Last commit: 2026-11-30 06:00:00 UTC by admin"));
        let step = m.commit_confirmed[0].filled("", Some(std::time::Duration::from_secs(90)));
        assert_eq!(step.send, "commit confirmed 2");
        assert!(ConfigMechanics::builtin("acme_os").is_none());
    }
}
