//! How a platform's configuration is read, changed, confirmed and rolled
//! back: data its driver declares (the `config` section of a platform
//! definition, contract 0.2), never vendor branches in the host. Every
//! configuration job takes them from the session's platform.

pub use crate::transport::config_mechanics::{ConfigMechanics, ConfigStyle as Style, Step};

#[cfg(test)]
pub(crate) mod fixtures {
    //! Mechanics as two real platforms declare them, for unit tests.
    use crate::transport::config_mechanics::{
        ConfigMechanics, ConfigSpec, ConfigStyle, InterfaceNaming, StepSpec,
    };

    fn steps(sends: &[&str]) -> Vec<StepSpec> {
        sends
            .iter()
            .map(|s| StepSpec {
                send: s.to_string(),
                answers: Vec::new(),
            })
            .collect()
    }

    /// Cisco IOS: lines apply at once; a copy in flash is the rollback point.
    pub fn cisco_ios() -> ConfigMechanics {
        let copy = |send: &str| StepSpec {
            send: send.into(),
            answers: vec![(
                r"Destination filename \[[^\]]*\]\?\s*$".into(),
                String::new(),
            )],
        };
        ConfigMechanics::compile(&ConfigSpec {
            show_running: "show running-config".into(),
            show_startup: Some("show startup-config".into()),
            volatile: [
                r"^Building configuration",
                r"^Current configuration\s*:\s*\d+ bytes",
                r"^! Last configuration change at ",
                r"^ntp clock-period \d+",
            ]
            .map(String::from)
            .to_vec(),
            style: ConfigStyle::Indented,
            checkpoint: vec![copy("copy running-config flash:{name}")],
            rollback: steps(&["configure replace flash:{name} force"]),
            save: vec![copy("copy running-config startup-config")],
            interface_naming: Some(InterfaceNaming {
                keyword: "interface".into(),
                shortest: "int".into(),
                types: ["GigabitEthernet", "FastEthernet", "Loopback", "Vlan"]
                    .map(String::from)
                    .to_vec(),
            }),
            ..Default::default()
        })
        .expect("the fixture compiles")
    }

    /// Juniper Junos: `set` lines into a candidate, native commit confirmed.
    pub fn juniper_junos() -> ConfigMechanics {
        ConfigMechanics::compile(&ConfigSpec {
            show_running: "show configuration | display set".into(),
            volatile: vec![r"^## Last commit: ".into()],
            style: ConfigStyle::Set,
            commit: steps(&["commit"]),
            commit_confirmed: steps(&["commit confirmed {minutes}"]),
            confirm: steps(&["configure", "commit", "exit"]),
            abort: steps(&["rollback 0"]),
            rollback: steps(&["configure", "rollback 1", "commit", "exit"]),
            ..Default::default()
        })
        .expect("the fixture compiles")
    }
}
