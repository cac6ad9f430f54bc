//! How a platform's configuration is read, changed, saved and rolled back,
//! as its driver declares it: data the host acts on, never vendor branches.

use regex::Regex;

/// How configuration text is structured, for computing what to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfigStyle {
    /// Blocks by indentation, `no …` negates (IOS, EOS, NX-OS, XR).
    #[default]
    Indented,
    /// One `set …` statement per line, `delete …` removes (Junos, VyOS).
    Set,
    /// Flat lines, order matters.
    Flat,
}

/// Plain-data form of one step: input and (question pattern, answer) pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepSpec {
    /// Input sent; `{name}`, `{minutes}`, `{seconds}` are filled in by the host.
    pub send: String,
    /// Questions the device may ask and the text typed in answer.
    pub answers: Vec<(String, String)>,
}

/// Plain-data form of [`ConfigMechanics`], as a driver declares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigSpec {
    /// Command printing the running configuration.
    pub show_running: String,
    /// Command printing the startup configuration.
    pub show_startup: Option<String>,
    /// Patterns of lines that change by themselves.
    pub volatile: Vec<String>,
    /// Structure of the configuration text.
    pub style: ConfigStyle,
    /// Steps (configuration mode) that make a change take effect.
    pub commit: Vec<StepSpec>,
    /// Steps (configuration mode) that commit with automatic rollback.
    pub commit_confirmed: Vec<StepSpec>,
    /// Steps that confirm a pending commit-confirmed.
    pub confirm: Vec<StepSpec>,
    /// Steps (configuration mode) that discard uncommitted changes.
    pub abort: Vec<StepSpec>,
    /// Steps that take the rollback point `{name}`.
    pub checkpoint: Vec<StepSpec>,
    /// Steps that restore the rollback point `{name}`.
    pub rollback: Vec<StepSpec>,
    /// Steps that save the running configuration as the startup one.
    pub save: Vec<StepSpec>,
    /// Steps that replace the whole configuration with the file `{name}`.
    pub replace: Vec<StepSpec>,
}

/// One compiled step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Input sent (placeholders not yet filled in).
    pub send: String,
    /// Questions the device may ask, and the answers typed.
    pub answers: Vec<(Regex, String)>,
}

/// Compiled configuration mechanics of a platform.
#[derive(Debug, Clone, Default)]
pub struct ConfigMechanics {
    /// Command printing the running configuration.
    pub show_running: String,
    /// Command printing the startup configuration.
    pub show_startup: Option<String>,
    /// Lines that change by themselves (dropped from backups and diffs).
    pub volatile: Vec<Regex>,
    /// Structure of the configuration text.
    pub style: ConfigStyle,
    /// See [`ConfigSpec::commit`].
    pub commit: Vec<Step>,
    /// See [`ConfigSpec::commit_confirmed`].
    pub commit_confirmed: Vec<Step>,
    /// See [`ConfigSpec::confirm`].
    pub confirm: Vec<Step>,
    /// See [`ConfigSpec::abort`].
    pub abort: Vec<Step>,
    /// See [`ConfigSpec::checkpoint`].
    pub checkpoint: Vec<Step>,
    /// See [`ConfigSpec::rollback`].
    pub rollback: Vec<Step>,
    /// See [`ConfigSpec::save`].
    pub save: Vec<Step>,
    /// See [`ConfigSpec::replace`].
    pub replace: Vec<Step>,
}

impl ConfigMechanics {
    /// Compile a driver's declaration; the error names the field and the
    /// pattern that is wrong.
    pub fn compile(spec: &ConfigSpec) -> Result<ConfigMechanics, String> {
        if spec.show_running.trim().is_empty() {
            return Err("config.show-running is empty: give the command that prints the running configuration".into());
        }
        let re = |field: &str, p: &str| {
            Regex::new(p).map_err(|e| format!("config.{field}: bad pattern `{p}`: {e}"))
        };
        let steps = |field: &str, list: &[StepSpec]| -> Result<Vec<Step>, String> {
            list.iter()
                .map(|s| {
                    Ok(Step {
                        send: s.send.clone(),
                        answers: s
                            .answers
                            .iter()
                            .map(|(p, a)| Ok((re(field, p)?, a.clone())))
                            .collect::<Result<_, String>>()?,
                    })
                })
                .collect()
        };
        Ok(ConfigMechanics {
            show_running: spec.show_running.clone(),
            show_startup: spec.show_startup.clone(),
            volatile: spec
                .volatile
                .iter()
                .map(|p| re("volatile", p))
                .collect::<Result<_, _>>()?,
            style: spec.style,
            commit: steps("commit", &spec.commit)?,
            commit_confirmed: steps("commit-confirmed", &spec.commit_confirmed)?,
            confirm: steps("confirm", &spec.confirm)?,
            abort: steps("abort", &spec.abort)?,
            checkpoint: steps("checkpoint", &spec.checkpoint)?,
            rollback: steps("rollback", &spec.rollback)?,
            save: steps("save", &spec.save)?,
            replace: steps("replace", &spec.replace)?,
        })
    }

    /// Whether `line` changes by itself (a timestamp, a byte count).
    pub fn is_volatile(&self, line: &str) -> bool {
        self.volatile.iter().any(|r| r.is_match(line))
    }

    /// Whether the platform can go back on the device itself: rollback
    /// steps exist (to the checkpoint `{name}` taken before the change, or,
    /// without checkpoint steps, to the state before the last commit).
    pub fn has_checkpoint(&self) -> bool {
        !self.rollback.is_empty()
    }
}

impl Step {
    /// A step with no prompts to answer.
    pub fn plain(send: &str) -> Step {
        Step {
            send: send.to_string(),
            answers: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_lines_are_recognised_and_the_rest_kept() {
        let m = ConfigMechanics::compile(&ConfigSpec {
            show_running: "show running-config".into(),
            volatile: vec![
                r"^Current configuration : \d+ bytes".into(),
                r"^! Last configuration change at".into(),
            ],
            ..Default::default()
        })
        .unwrap();
        assert!(m.is_volatile("Current configuration : 1234 bytes"));
        assert!(m.is_volatile("! Last configuration change at 10:01:02 UTC Mon Nov 30 2026"));
        assert!(!m.is_volatile("Building configuration..."));
        assert!(!m.is_volatile("hostname r1"));
        let step = Step::plain("commit confirmed {minutes}")
            .filled("", Some(std::time::Duration::from_secs(90)));
        assert_eq!(step.send, "commit confirmed 2");
    }

    #[test]
    fn a_bad_pattern_names_the_field() {
        let e = ConfigMechanics::compile(&ConfigSpec {
            show_running: "show running-config".into(),
            save: vec![StepSpec {
                send: "copy running-config startup-config".into(),
                answers: vec![("Destination (".into(), String::new())],
            }],
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.contains("config.save"), "{e}");
        assert!(e.contains("Destination ("), "{e}");
    }
}
