//! How a platform's configuration is read, changed, saved and rolled back,
//! as its driver declares it: data the host acts on, never vendor branches.

use super::platform::Pattern;

/// The placeholder of a rollback or cleanup step filled with the device's
/// own identifier of the rollback point `{name}`, as [`Locate`] finds it.
pub const INDEX: &str = "{index}";

/// How to find the device's identifier of the rollback point `{name}`
/// where the device numbers its checkpoints itself (SR OS `admin rollback
/// save comment "{name}"` → `latest-rb`, `1`, `2`, … shifted by every
/// later save): a command listing them and a pattern naming the row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locate {
    /// The command that lists the checkpoints (`show system rollback`).
    pub command: String,
    /// Regex over its output, `{name}` standing for the point's name; the
    /// group `index` captures the identifier.
    pub pattern: String,
    /// The identifier when the match holds no `index` (`latest-rb`).
    pub otherwise: String,
}

impl Locate {
    /// The identifier of the point `name` in `listing`, or `None` when it
    /// is not listed (deleted, or rotated out by later saves).
    pub fn find(&self, listing: &str, name: &str) -> Option<String> {
        let re = regex::Regex::new(&self.pattern.replace("{name}", &regex::escape(name))).ok()?;
        let caps = re.captures(listing)?;
        Some(
            caps.name("index")
                .map_or_else(|| self.otherwise.clone(), |m| m.as_str().to_string()),
        )
    }
}

/// Why a driver's configuration mechanics do not compile; each names the
/// field and what to fix.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigMechanicsError {
    /// No command prints the running configuration.
    #[error("config.show-running is empty: give the command that prints the running configuration")]
    NoShowRunning,
    /// `interface-naming` whose shortest form does not start the keyword.
    #[error(
        "config.interface-naming: shortest `{shortest}` is not an abbreviation of keyword `{keyword}`: give the full word and the shortest form the device accepts (`interface`, `int`)"
    )]
    NotAnAbbreviation {
        /// The keyword as declared.
        keyword: String,
        /// The shortest form as declared.
        shortest: String,
    },
    /// A pattern that is not a regex.
    #[error("config.{field}: bad pattern `{pattern}`: {source}")]
    BadPattern {
        /// The field (`volatile`, `save`, …).
        field: String,
        /// The pattern as declared.
        pattern: String,
        /// What the regex compiler said.
        source: regex::Error,
    },
}

/// How configuration text is structured, for computing what to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ConfigStyle {
    /// Blocks by indentation, `no …` negates (IOS, EOS, NX-OS, XR).
    #[default]
    Indented,
    /// One statement per line, `set …` (Junos, VyOS) or an absolute path
    /// (SR OS MD-CLI `/configure …`); `delete <path>` removes it.
    Set,
    /// Flat lines, order matters.
    Flat,
    /// Blocks opened and closed by words (FortiOS `config …`/`end`,
    /// `edit …`/`next`); `set` holds one value per attribute, `unset` and
    /// `delete` remove.
    Blocks,
    /// Menus (MikroTik RouterOS `/export`): a `/path` line heads `add`,
    /// `set` and `remove` commands that apply at once; an entry is undone
    /// by `remove [ find … ]`, a property by `set` back or `!property`.
    Menus,
}

/// Plain-data form of one step: input and (question pattern, answer) pairs.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Input sent; `{name}`, `{minutes}`, `{seconds}` are filled in by the host.
    pub send: String,
    /// Questions the device may ask and the text typed in answer.
    pub answers: Vec<(String, String)>,
}

/// How the device rewrites an interface name typed in a section header
/// into the form its running configuration prints (`int gi0/1` →
/// `interface GigabitEthernet0/1`, NX-OS `interface Loopback0` →
/// `interface loopback0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceNaming {
    /// The word that opens an interface section, in full (`interface`).
    pub keyword: String,
    /// The shortest abbreviation of `keyword` the device accepts (`int`).
    pub shortest: String,
    /// Interface types as the device prints them (`GigabitEthernet`, `loopback`).
    pub types: Vec<String>,
}

impl InterfaceNaming {
    /// `line` (without indentation) as the device would print it, when it
    /// is an interface header (or its `no` form) the device rewrites;
    /// `None` when the line is no interface header.
    pub fn canonical(&self, line: &str) -> Option<String> {
        let (negation, body) = match line.strip_prefix("no ") {
            Some(rest) => ("no ", rest.trim_start()),
            None => ("", line),
        };
        let mut words = body.split_whitespace();
        let typed = words.next()?.to_ascii_lowercase();
        if typed.len() < self.shortest.len()
            || !self.keyword.to_ascii_lowercase().starts_with(&typed)
        {
            return None;
        }
        let rest: Vec<&str> = words.collect();
        if rest.is_empty() {
            return None;
        }
        // `Gi 0/1` and `Gi0/1` name the same interface.
        let name = self.name(&rest.concat()).unwrap_or_else(|| rest.join(" "));
        Some(format!("{negation}{} {name}", self.keyword))
    }

    /// An interface name (`gi0/1`, `Loopback0`) in the device's form, or
    /// `None` when its type is not one of [`Self::types`] or it is no name.
    fn name(&self, typed: &str) -> Option<String> {
        let split = typed.find(|c: char| c.is_ascii_digit())?;
        let (kind, number) = typed.split_at(split);
        if kind.is_empty()
            || !number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '/' | '.' | ':'))
        {
            return None;
        }
        let kind = kind.to_ascii_lowercase();
        let exact = self.types.iter().find(|t| t.to_ascii_lowercase() == kind);
        let canonical = match exact {
            Some(t) => t,
            None => {
                let mut hits = self
                    .types
                    .iter()
                    .filter(|t| t.to_ascii_lowercase().starts_with(&kind));
                match (hits.next(), hits.next()) {
                    (Some(t), None) => t,
                    // Unknown or ambiguous: the device would refuse it.
                    _ => return None,
                }
            }
        };
        Some(format!("{canonical}{number}"))
    }
}

/// Plain-data form of [`ConfigMechanics`], as a driver declares it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// Command printing the running configuration.
    pub show_running: String,
    /// Command printing the startup configuration.
    pub show_startup: Option<String>,
    /// Commands tried in turn where the device refuses `show_running`.
    #[serde(default)]
    pub show_running_otherwise: Vec<String>,
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
    /// Steps that make the whole configuration equal the candidate (the
    /// platform's native replace): a step holding `{line}` is sent once per
    /// candidate line, `{line:tcl}` the same quoted for Tcl (IOS writes the
    /// file through `tclsh`); `{name}` names the run's files or session.
    pub replace: Vec<StepSpec>,
    /// Steps that remove what a change left on the device (the rollback
    /// point `{name}`, a replace's candidate file) once it is done or
    /// rolled back: IOS `delete /force flash:{name}`, NX-OS `no checkpoint {name}`.
    pub cleanup: Vec<StepSpec>,
    /// How the device rewrites interface names in section headers.
    pub interface_naming: Option<InterfaceNaming>,
    /// How to find the device's identifier of the rollback point (`{index}`).
    #[serde(default)]
    pub locate: Option<Locate>,
}

/// One compiled step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Input sent (placeholders not yet filled in).
    pub send: String,
    /// Questions the device may ask, and the answers typed.
    pub answers: Vec<(Pattern, String)>,
}

/// Compiled configuration mechanics of a platform.
#[derive(Debug, Clone, Default)]
pub struct ConfigMechanics {
    /// Command printing the running configuration.
    pub show_running: String,
    /// Command printing the startup configuration.
    pub show_startup: Option<String>,
    /// Commands that print the running configuration where the device
    /// refuses `show_running`: a second CLI under the platform's name
    /// (SR OS MD-CLI's `admin show configuration`). Read for backups and
    /// diffs; a change on such a device is refused.
    pub show_running_otherwise: Vec<String>,
    /// Lines that change by themselves (dropped from backups and diffs).
    pub volatile: Vec<Pattern>,
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
    /// See [`ConfigSpec::cleanup`].
    pub cleanup: Vec<Step>,
    /// See [`ConfigSpec::interface_naming`].
    pub interface_naming: Option<InterfaceNaming>,
    /// See [`ConfigSpec::locate`].
    pub locate: Option<Locate>,
}

impl ConfigMechanics {
    /// Compile a driver's declaration; the error names the field and the
    /// pattern that is wrong.
    pub fn compile(spec: &ConfigSpec) -> Result<ConfigMechanics, ConfigMechanicsError> {
        if spec.show_running.trim().is_empty() {
            return Err(ConfigMechanicsError::NoShowRunning);
        }
        let re = |field: &str, p: &str| {
            super::platform::device_pattern(p).map_err(|source| ConfigMechanicsError::BadPattern {
                field: field.to_string(),
                pattern: p.to_string(),
                source,
            })
        };
        let steps = |field: &str, list: &[StepSpec]| -> Result<Vec<Step>, ConfigMechanicsError> {
            list.iter()
                .map(|s| {
                    Ok(Step {
                        send: s.send.clone(),
                        answers: s
                            .answers
                            .iter()
                            .map(|(p, a)| Ok((re(field, p)?, a.clone())))
                            .collect::<Result<_, ConfigMechanicsError>>()?,
                    })
                })
                .collect()
        };
        if let Some(n) = &spec.interface_naming {
            let keyword = n.keyword.to_ascii_lowercase();
            if keyword.trim().is_empty()
                || n.shortest.is_empty()
                || !keyword.starts_with(&n.shortest.to_ascii_lowercase())
            {
                return Err(ConfigMechanicsError::NotAnAbbreviation {
                    keyword: n.keyword.clone(),
                    shortest: n.shortest.clone(),
                });
            }
        }
        if let Some(l) = &spec.locate {
            re("locate", &l.pattern.replace("{name}", "netrun-0"))?;
        }
        Ok(ConfigMechanics {
            show_running: spec.show_running.clone(),
            show_startup: spec.show_startup.clone(),
            show_running_otherwise: spec.show_running_otherwise.clone(),
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
            cleanup: steps("cleanup", &spec.cleanup)?,
            interface_naming: spec.interface_naming.clone(),
            locate: spec.locate.clone(),
        })
    }

    /// `line` (without indentation) in the form the device prints it:
    /// interface headers rewritten per [`InterfaceNaming`], others as given.
    pub fn canonical<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        match self
            .interface_naming
            .as_ref()
            .and_then(|n| n.canonical(line))
        {
            Some(c) => std::borrow::Cow::Owned(c),
            None => std::borrow::Cow::Borrowed(line),
        }
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

    fn nxos() -> InterfaceNaming {
        InterfaceNaming {
            keyword: "interface".into(),
            shortest: "int".into(),
            types: [
                "Ethernet",
                "loopback",
                "mgmt",
                "port-channel",
                "Vlan",
                "nve",
                "Tunnel",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    #[test]
    fn nxos_interface_headers_take_the_form_the_switch_prints() {
        let n = nxos();
        for (typed, printed) in [
            ("interface Loopback0", "interface loopback0"),
            ("interface lo0", "interface loopback0"),
            ("int e1/1", "interface Ethernet1/1"),
            ("interface ethernet 1/1", "interface Ethernet1/1"),
            ("interface MGMT0", "interface mgmt0"),
            ("interface po10", "interface port-channel10"),
            ("interface vlan10", "interface Vlan10"),
            ("no interface Loopback9", "no interface loopback9"),
            ("interface loopback0", "interface loopback0"),
        ] {
            assert_eq!(n.canonical(typed).as_deref(), Some(printed), "{typed}");
        }
    }

    #[test]
    fn lines_that_are_no_interface_header_are_left_alone() {
        let n = nxos();
        assert_eq!(n.canonical("in Loopback0"), None, "shorter than `int`");
        assert_eq!(n.canonical("ip route 0.0.0.0/0 10.0.0.1"), None);
        assert_eq!(n.canonical("interface"), None);
        assert_eq!(n.canonical("description interface lo0"), None);
        // An unknown or ambiguous type stays as typed: the device refuses it.
        assert_eq!(
            n.canonical("interface Serial0/0").as_deref(),
            Some("interface Serial0/0")
        );
        assert_eq!(
            n.canonical("int breakout module 1").as_deref(),
            Some("interface breakout module 1")
        );
    }

    #[test]
    fn ios_abbreviations_expand_to_the_full_names() {
        let n = InterfaceNaming {
            keyword: "interface".into(),
            shortest: "int".into(),
            types: [
                "GigabitEthernet",
                "FastEthernet",
                "TenGigabitEthernet",
                "Loopback",
                "Port-channel",
                "Tunnel",
                "Vlan",
            ]
            .map(String::from)
            .to_vec(),
        };
        assert_eq!(
            n.canonical("int gi0/1").as_deref(),
            Some("interface GigabitEthernet0/1")
        );
        assert_eq!(
            n.canonical("inter Te1/0/1.100").as_deref(),
            Some("interface TenGigabitEthernet1/0/1.100")
        );
        assert_eq!(
            n.canonical("interface po 5").as_deref(),
            Some("interface Port-channel5")
        );
        // `t` begins both Tunnel and TenGigabitEthernet.
        assert_eq!(n.canonical("int t0").as_deref(), Some("interface t0"));
    }

    #[test]
    fn a_shortest_form_that_is_no_abbreviation_is_refused() {
        let e = ConfigMechanics::compile(&ConfigSpec {
            show_running: "show running-config".into(),
            interface_naming: Some(InterfaceNaming {
                keyword: "interface".into(),
                shortest: "if".into(),
                types: Vec::new(),
            }),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            matches!(&e, ConfigMechanicsError::NotAnAbbreviation { shortest, .. } if shortest == "if"),
            "{e}"
        );
        assert!(e.to_string().starts_with("config.interface-naming: shortest `if` is not an abbreviation of keyword `interface`"), "{e}");
    }

    /// SR OS classic `show system rollback`, laid out as Nokia's guide
    /// shows it: a row per checkpoint, its comment on the next line.
    const SROS_ROLLBACK: &str = "\
===============================================================================
Rollback Files and Comments
===============================================================================
Idx    Suffix     Creation Time            Release            User
       Comment
-------------------------------------------------------------------------------
latest .rb        2026/12/01 03:50:12 UTC  B-19.10.R7         cron
       nightly
1      .rb.1      2026/12/01 03:49:58 UTC  B-19.10.R7         admin
       netrun-1796-ab
2      .rb.2      2026/11/30 03:50:00 UTC  B-19.10.R7         admin
       netrun-1796-ab2
===============================================================================
";

    fn sros_locate() -> Locate {
        Locate {
            command: "show system rollback".into(),
            pattern: r"(?m)^\S+\s+\.rb(?:\.(?P<index>\d+))?\s.*\r?\n\s+{name}\s*$".into(),
            otherwise: "latest-rb".into(),
        }
    }

    #[test]
    fn a_checkpoint_is_found_by_its_comment_and_numbered_as_the_device_does() {
        let l = sros_locate();
        // Another save came after netrun's: it is `1` now, not `latest-rb`.
        assert_eq!(
            l.find(SROS_ROLLBACK, "netrun-1796-ab").as_deref(),
            Some("1")
        );
        assert_eq!(
            l.find(SROS_ROLLBACK, "netrun-1796-ab2").as_deref(),
            Some("2")
        );
        assert_eq!(
            l.find(SROS_ROLLBACK, "nightly").as_deref(),
            Some("latest-rb")
        );
        // Not listed (deleted, rotated out): nothing to revert or delete.
        assert_eq!(l.find(SROS_ROLLBACK, "netrun-9"), None);
        assert_eq!(
            l.find(&SROS_ROLLBACK.replace('\n', "\r\n"), "netrun-1796-ab")
                .as_deref(),
            Some("1")
        );
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
        assert!(
            matches!(&e, ConfigMechanicsError::BadPattern { field, pattern, .. } if field == "save" && pattern == "Destination ("),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("config.save: bad pattern `Destination (`"),
            "{e}"
        );
    }
}
