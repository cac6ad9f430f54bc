//! Every platform data file, checked against real lines of its platform:
//! prompts are recognised as their mode and no other, banners and output
//! lines are not prompts, pagers, secret prompts, error lines and volatile
//! configuration lines are recognised. Runs natively with `cargo test`.

use netrun_plugin_netrun_platforms::data::{self, Compiled};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn all() -> Vec<&'static Compiled> {
    data::loaded()
        .iter()
        .map(|r| r.as_ref().unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Run `check` on every file and report every problem at once.
fn each(check: impl Fn(&Compiled, &mut String)) {
    let mut problems = String::new();
    for c in all() {
        check(c, &mut problems);
    }
    assert!(problems.is_empty(), "\n{problems}");
}

#[test]
fn at_least_fifteen_platforms_load() {
    let files = all();
    assert!(files.len() >= 15, "{} platform files", files.len());
}

#[test]
fn every_prompt_is_recognised_as_its_mode_and_no_other() {
    each(|c, out| {
        for (mode, prompts) in &c.file.examples.prompts {
            for p in prompts {
                let matching = c.modes_matching(p);
                if matching != [mode.as_str()] {
                    writeln!(
                        out,
                        "{}: {p:?} should be {mode}, matches {matching:?}",
                        c.file.name
                    )
                    .unwrap();
                }
                if c.is_pager(p) {
                    writeln!(out, "{}: prompt {p:?} is taken for a pager", c.file.name).unwrap();
                }
            }
        }
    });
}

#[test]
fn every_mode_has_real_prompts() {
    each(|c, out| {
        for m in &c.file.modes {
            let n = c.file.examples.prompts.get(&m.name).map_or(0, Vec::len);
            if n < 2 {
                writeln!(
                    out,
                    "{}: mode {} has {n} example prompts, want 2 or more",
                    c.file.name, m.name
                )
                .unwrap();
            }
        }
    });
}

#[test]
fn prompts_cover_hostnames_with_dots_dashes_and_underscores() {
    each(|c, out| {
        let prompts: Vec<&String> = c.file.examples.prompts.values().flatten().collect();
        for ch in ['.', '-'] {
            if !prompts.iter().any(|p| p.contains(ch)) {
                writeln!(
                    out,
                    "{}: no example prompt with a hostname holding {ch:?}",
                    c.file.name
                )
                .unwrap();
            }
        }
    });
}

#[test]
fn banners_and_output_lines_are_not_prompts() {
    each(|c, out| {
        if !c.file.examples.not_prompts.iter().any(|l| l.contains('#'))
            || !c.file.examples.not_prompts.iter().any(|l| l.contains('>'))
        {
            writeln!(
                out,
                "{}: not_prompts needs banner lines holding `#` and `>`",
                c.file.name
            )
            .unwrap();
        }
        for line in &c.file.examples.not_prompts {
            let matching = c.modes_matching(line);
            if !matching.is_empty() {
                writeln!(
                    out,
                    "{}: {line:?} is not a prompt but matches {matching:?}",
                    c.file.name
                )
                .unwrap();
            }
            if c.is_pager(line) {
                writeln!(
                    out,
                    "{}: {line:?} is not a pager but matches one",
                    c.file.name
                )
                .unwrap();
            }
        }
    });
}

#[test]
fn pager_lines_are_answered_and_are_not_prompts() {
    each(|c, out| {
        if c.file.pagers.is_empty() != c.file.examples.pagers.is_empty() {
            writeln!(
                out,
                "{}: every pager needs example lines, and examples a pager",
                c.file.name
            )
            .unwrap();
        }
        for line in &c.file.examples.pagers {
            if !c.is_pager(line) {
                writeln!(
                    out,
                    "{}: pager line {line:?} is not recognised",
                    c.file.name
                )
                .unwrap();
            }
            if c.mode_of(line).is_some() {
                writeln!(
                    out,
                    "{}: pager line {line:?} is taken for a prompt",
                    c.file.name
                )
                .unwrap();
            }
        }
        for p in &c.file.pagers {
            if p.keys.is_empty() {
                writeln!(out, "{}: pager {:?} sends no keys", c.file.name, p.pattern).unwrap();
            }
        }
    });
}

#[test]
fn secret_prompts_are_answered() {
    each(|c, out| {
        let has_challenge = !c.challenges.is_empty();
        if has_challenge && c.file.examples.challenges.is_empty() {
            writeln!(
                out,
                "{}: a transition has a challenge but no example",
                c.file.name
            )
            .unwrap();
        }
        for line in &c.file.examples.challenges {
            if !c.is_challenge(line) {
                writeln!(
                    out,
                    "{}: secret prompt {line:?} is not answered",
                    c.file.name
                )
                .unwrap();
            }
            if c.mode_of(line).is_some() {
                writeln!(
                    out,
                    "{}: secret prompt {line:?} is taken for a prompt",
                    c.file.name
                )
                .unwrap();
            }
        }
    });
}

#[test]
fn device_errors_mark_the_command_refused() {
    each(|c, out| {
        if c.file.examples.failures.is_empty() {
            writeln!(out, "{}: no example error line", c.file.name).unwrap();
        }
        for line in &c.file.examples.failures {
            if c.failure_in(line).is_none() {
                writeln!(out, "{}: error {line:?} is not recognised", c.file.name).unwrap();
            }
        }
        for line in c
            .file
            .examples
            .prompts
            .values()
            .flatten()
            .chain(&c.file.examples.not_prompts)
        {
            if let Some(f) = c.failure_in(line) {
                writeln!(
                    out,
                    "{}: {line:?} would mark a command refused ({f:?})",
                    c.file.name
                )
                .unwrap();
            }
        }
    });
}

#[test]
fn volatile_configuration_lines_are_recognised() {
    each(|c, out| {
        for line in &c.file.examples.volatile {
            if !c.is_volatile(line) {
                writeln!(out, "{}: volatile line {line:?} is kept", c.file.name).unwrap();
            }
        }
        // Ordinary configuration stays.
        for line in [
            "hostname core-1",
            "interface GigabitEthernet0/1",
            " description uplink",
            "set system host-name r1",
        ] {
            if c.is_volatile(line) {
                writeln!(
                    out,
                    "{}: {line:?} would be dropped from backups",
                    c.file.name
                )
                .unwrap();
            }
        }
        if let Some(config) = &c.file.config
            && !config.volatile.is_empty()
            && c.file.examples.volatile.is_empty()
        {
            writeln!(
                out,
                "{}: volatile patterns without example lines",
                c.file.name
            )
            .unwrap();
        }
    });
}

#[test]
fn platform_names_are_unique_across_files() {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for c in all() {
        for name in c.file.names() {
            if let Some(other) = seen.insert(name.to_string(), c.file.name.clone()) {
                panic!(
                    "platform {name} is defined by {other}.yaml and {}.yaml",
                    c.file.name
                );
            }
        }
    }
}

/// The `platforms = [...]` list of a first-party manifest.
fn manifest_platforms(driver: &str) -> Vec<String> {
    let path = format!(
        "{}/../{driver}/netrun-plugin.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let line = text
        .lines()
        .find(|l| l.starts_with("platforms"))
        .unwrap_or_else(|| panic!("{path}: no platforms line"));
    let list = line.split_once('=').unwrap().1.trim();
    let mut names: Vec<String> = list
        .trim_matches(['[', ']'])
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    names.sort();
    names
}

#[test]
fn each_file_names_a_first_party_driver_whose_manifest_lists_it() {
    let mut by_driver: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in all() {
        by_driver
            .entry(c.file.driver.clone())
            .or_default()
            .extend(c.file.names().map(str::to_string));
    }
    for (driver, mut names) in by_driver {
        names.sort();
        assert_eq!(
            manifest_platforms(&driver),
            names,
            "plugins/{driver}/netrun-plugin.toml `platforms` must list exactly the files that name driver {driver}"
        );
    }
}

#[test]
fn definitions_carry_every_name_and_alias() {
    let (defs, errors) = data::definitions_for(netrun_plugin_netrun_platforms::DRIVER);
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert!(names.contains(&"juniper_junos"), "{names:?}");
    assert!(
        !names.contains(&"cisco_ios"),
        "cisco_ios belongs to the cisco-ios driver"
    );
    let (ios, _) = data::definitions_for("cisco-ios");
    let ios: Vec<&str> = ios.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(ios, ["cisco_ios", "cisco_xe", "cisco_iosxe"]);
}

#[test]
fn variants_name_platform_files_and_tell_some_of_the_example_prompts_apart() {
    let names: Vec<&str> = all().iter().map(|c| c.file.name.as_str()).collect();
    each(|c, out| {
        for v in &c.file.variants {
            if !names.contains(&v.platform.as_str()) || v.platform == c.file.name {
                writeln!(
                    out,
                    "{}: variant {} is no other platform file",
                    c.file.name, v.platform
                )
                .unwrap();
            }
            let re = match regex::Regex::new(&v.prompt) {
                Ok(re) => re,
                Err(e) => {
                    writeln!(out, "{}: variant {}: {e}", c.file.name, v.platform).unwrap();
                    continue;
                }
            };
            let prompts: Vec<&String> = c.file.examples.prompts.values().flatten().collect();
            let hits = prompts.iter().filter(|p| re.is_match(p)).count();
            if hits == 0 || hits == prompts.len() {
                writeln!(
                    out,
                    "{}: variant {} matches {hits} of {} example prompts: it should tell some apart",
                    c.file.name,
                    v.platform,
                    prompts.len()
                )
                .unwrap();
            }
        }
    });
}
