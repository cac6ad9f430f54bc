//! Golden-file tests for the getters: every
//! `tests/getters/<platform>/<getter>/<case>/` holds the raw output of each
//! command of the getter on a real release and the expected NAPALM-shaped
//! result (`OVERWRITE=1` rewrites `expected.json`; review the diff).

use netrun_guest::fixtures::{GetterSuite, Getters};
use netrun_plugin_netrun_platforms::getters::{self, ParseError};
use netrun_plugin_netrun_platforms::{DRIVER, data};

fn suite() -> GetterSuite<ParseError> {
    GetterSuite::new(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_PKG_NAME"),
        Getters {
            getters: |p| getters::getters(p).into_iter().map(String::from).collect(),
            commands: getters::commands,
            follow_up: getters::follow_up,
            answer: getters::answer,
        },
    )
}

fn platforms() -> Vec<String> {
    let (defs, errors) = data::definitions_for(DRIVER);
    assert!(errors.is_empty(), "{errors:?}");
    defs.into_iter().map(|d| d.name).collect()
}

#[test]
fn fixtures_match_golden_json() {
    suite().golden();
}

/// The platform files' own names (aliases answer as their file).
fn files() -> Vec<String> {
    let aliases: Vec<String> = data::loaded()
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|c| c.file.aliases.clone())
        .collect();
    platforms()
        .into_iter()
        .filter(|p| !aliases.contains(p))
        .collect()
}

#[test]
fn every_getter_has_fixtures() {
    let names = files();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    suite().every_getter_has_fixtures(&names);
}

#[test]
fn an_alias_answers_every_getter_of_its_platform_with_the_same_commands() {
    let mut checked = 0;
    for c in data::loaded().iter().filter_map(|r| r.as_ref().ok()) {
        for alias in &c.file.aliases {
            if c.file.driver != DRIVER {
                continue;
            }
            let own = getters::getters(&c.file.name);
            assert_eq!(getters::getters(alias), own, "{alias} of {}", c.file.name);
            for g in own {
                assert_eq!(
                    getters::commands(alias, g).unwrap(),
                    getters::commands(&c.file.name, g).unwrap(),
                    "{alias}/{g}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} aliases");
}

#[test]
fn truncated_outputs_never_panic() {
    suite().truncated_outputs_never_panic();
}

#[test]
fn every_platform_with_a_configuration_answers_config() {
    for p in platforms() {
        let has_config = data::platform(&p)
            .unwrap()
            .as_ref()
            .unwrap()
            .file
            .config
            .is_some();
        assert_eq!(getters::getters(&p).contains(&"config"), has_config, "{p}");
    }
}

#[test]
fn an_unanswered_getter_is_unsupported_not_guessed() {
    // The ASA runs no LLDP at all.
    let err = getters::commands("cisco_asa", "lldp_neighbors_detail").unwrap_err();
    assert!(
        matches!(err, ParseError::Unsupported(ref m) if m.contains("lldp_neighbors_detail") && m.contains("cisco_asa")),
        "{err:?}"
    );
    let err = getters::commands("juniper_junos", "vlans").unwrap_err();
    assert!(
        matches!(err, ParseError::Unsupported(ref m) if m.contains("no getter named")),
        "{err:?}"
    );
}

#[test]
fn outputs_of_other_commands_are_refused() {
    let outputs = vec![("show arp".to_string(), "x".to_string())];
    let err = getters::answer("juniper_junos", "lldp_neighbors", &outputs).unwrap_err();
    assert!(
        matches!(err, ParseError::Unexpected(ref m) if m.contains("show lldp neighbors")),
        "{err:?}"
    );
}

#[test]
fn a_linux_host_without_lldpd_cannot_answer_lldp() {
    // dash (`/bin/sh` on Debian) and bash say it differently.
    for refusal in [
        "-sh: 3: lldpctl: not found",
        "-bash: lldpctl: command not found",
    ] {
        for getter in ["lldp_neighbors", "lldp_neighbors_detail"] {
            let outputs = vec![("lldpctl -f keyvalue".to_string(), refusal.to_string())];
            let err = getters::answer("linux", getter, &outputs).unwrap_err();
            assert!(
                matches!(err, ParseError::Unsupported(ref m) if m.contains("lldpd")),
                "{getter} {refusal}: {err:?}"
            );
        }
    }
    // Any other refusal stays one.
    let outputs = vec![(
        "lldpctl -f keyvalue".to_string(),
        "lldpctl: Permission denied".to_string(),
    )];
    let err = getters::answer("linux", "lldp_neighbors", &outputs).unwrap_err();
    assert!(!matches!(err, ParseError::Unsupported(_)), "{err:?}");
}

#[test]
fn sros_lldp_details_ask_for_each_listed_port_once() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/getters/nokia_sros/lldp_neighbors_detail/7250ixr_23_10_mdcli"
    );
    let summary = std::fs::read_to_string(format!("{dir}/show_system_lldp_neighbor.raw")).unwrap();
    let mut outputs = vec![("show system lldp neighbor".to_string(), summary)];
    let more = getters::follow_up("nokia_sros", "lldp_neighbors_detail", &outputs).unwrap();
    assert_eq!(
        more,
        [
            "show port 1/1/c1/1 ethernet lldp remote-info",
            "show port 1/1/c5/1 ethernet lldp remote-info",
            "show port 1/1/c6/1 ethernet lldp remote-info",
        ]
    );
    // Without every port's output the getter says what it is missing.
    let err = getters::answer("nokia_sros", "lldp_neighbors_detail", &outputs).unwrap_err();
    assert!(
        matches!(err, ParseError::Unexpected(ref m) if m.contains("3 port(s)")),
        "{err:?}"
    );
    for c in more {
        let file = netrun_guest::fixtures::command_file(&c);
        outputs.push((c, std::fs::read_to_string(format!("{dir}/{file}")).unwrap()));
    }
    // Asked again with every output: nothing more to run.
    assert!(
        getters::follow_up("nokia_sros", "lldp_neighbors_detail", &outputs)
            .unwrap()
            .is_empty()
    );
    // The plan says which getters build follow-ups; the host asks no other.
    let table = getters::table("nokia_sros");
    assert!(getters::has_follow_up_in(
        table,
        "nokia_sros",
        "lldp_neighbors_detail"
    ));
    assert!(!getters::has_follow_up_in(
        table,
        "nokia_sros",
        "lldp_neighbors"
    ));
    // A getter that needs none asks for none.
    assert!(
        getters::follow_up("nokia_sros", "lldp_neighbors", &outputs[..1])
            .unwrap()
            .is_empty()
    );
}
