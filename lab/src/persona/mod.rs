//! Lab personas: simulated platforms described as data.
//!
//! Each platform is one YAML file in `lab/personas/` (embedded at build time; the
//! format is [`def::PersonaDef`]). A persona gives prompts per mode and the commands
//! that move between them (with secret challenges), the pager (text, lines per
//! page, keys), error texts exactly as the platform prints them, the login banner,
//! the models and releases devices are drawn from, command outputs as templates
//! over per-device facts ([`facts::Facts`]), and the configuration model (text
//! format, how lines are entered, commit and rollback).
//!
//! Command `action`s the engine ([`shell`]) implements: `mode` (switch to `to`,
//! with a `password` challenge), `exit`, `end`, `close`, `pager` (`{n}` lines),
//! `pager-off`, `config` (enter configuration mode `to`; `{session}` for EOS
//! sessions; `{path...}` in the classic style: an SR OS `configure …`
//! one-liner walked from the top, entering the context it ends at), `show-config` / `show-candidate` (the configuration, as `config`
//! in `output`), `commit`, `commit-replace` (what the session typed becomes
//! the whole configuration, IOS XR), `commit-confirmed-min` / `commit-confirmed-sec`
//! (`{n}`), `commit-timer` (EOS `hh:mm:ss`), `commit-check`, `abort`,
//! `rollback` (`{n}`: load revision n into the candidate), `rollback-apply`
//! (`{n}`: make revision n running at once, XR), `compare`, `save`,
//! `checkpoint` / `rollback-checkpoint` / `copy-running` / `replace` (`{name}`:
//! named copies of the running configuration), `files`, `set`, `delete`, `edit`
//! (`{path...}`), `up`, `top`, `load` (`{kind}`: merge/override/set from the
//! terminal until Ctrl-D), `do` (`{cmd...}`: an exec command from configuration
//! mode), `hostname` (`{name}`), `commits` (commit history as `commits`),
//! `clean-config` (empty the configuration being edited: EOS `rollback
//! clean-config` in a session, Junos `delete` at the top), `delete-file`
//! (`{name}`: remove a named copy, EOS `delete flash:x`, NX-OS `no
//! checkpoint x`; `missing` in `output` when there was none), `load-file`
//! (`{name}`: a named copy into the configuration being edited, PAN-OS
//! `load config from x`), `sessions` (the pending configuration sessions,
//! as `sessions`).

// minijinja::Error is large; persona errors happen at load or per bad
// command, never in a hot loop, so boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod def;
pub mod facts;
pub(crate) mod menus;
pub(crate) mod render;
pub mod shell;
pub mod tree;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::Environment;

use def::PersonaDef;

/// Personas compiled into the lab, by file name.
const FILES: &[(&str, &str)] = &[
    (
        "arista_eos.yaml",
        include_str!("../../personas/arista_eos.yaml"),
    ),
    (
        "aruba_aoscx.yaml",
        include_str!("../../personas/aruba_aoscx.yaml"),
    ),
    (
        "cisco_asa.yaml",
        include_str!("../../personas/cisco_asa.yaml"),
    ),
    (
        "cisco_nxos.yaml",
        include_str!("../../personas/cisco_nxos.yaml"),
    ),
    (
        "cisco_xr.yaml",
        include_str!("../../personas/cisco_xr.yaml"),
    ),
    (
        "dell_os10.yaml",
        include_str!("../../personas/dell_os10.yaml"),
    ),
    (
        "fortinet.yaml",
        include_str!("../../personas/fortinet.yaml"),
    ),
    (
        "hp_comware.yaml",
        include_str!("../../personas/hp_comware.yaml"),
    ),
    (
        "hp_procurve.yaml",
        include_str!("../../personas/hp_procurve.yaml"),
    ),
    (
        "huawei_vrp.yaml",
        include_str!("../../personas/huawei_vrp.yaml"),
    ),
    (
        "juniper_junos.yaml",
        include_str!("../../personas/juniper_junos.yaml"),
    ),
    ("linux.yaml", include_str!("../../personas/linux.yaml")),
    (
        "mikrotik_routeros.yaml",
        include_str!("../../personas/mikrotik_routeros.yaml"),
    ),
    (
        "nokia_sros.yaml",
        include_str!("../../personas/nokia_sros.yaml"),
    ),
    (
        "paloalto_panos.yaml",
        include_str!("../../personas/paloalto_panos.yaml"),
    ),
    ("vyos.yaml", include_str!("../../personas/vyos.yaml")),
];

/// A persona file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    /// The YAML does not parse or does not fit the format.
    #[error("persona {file}: {source}")]
    Yaml {
        /// File name.
        file: String,
        /// Parser error (with line and column).
        source: serde_saphyr::Error,
    },
    /// A template does not compile.
    #[error("persona {file}: template `{name}`: {source}")]
    Template {
        /// File name.
        file: String,
        /// Which template (`command show version`, `prompt exec` …).
        name: String,
        /// Template error.
        source: minijinja::Error,
    },
    /// A reference that does not resolve (unknown mode, action, format …).
    #[error("persona {file}: {message}")]
    Invalid {
        /// File name.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// One word of a command pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Word {
    /// A keyword.
    Lit(String),
    /// `{name}`: any one word.
    Arg(String),
    /// `{name...}`: the rest of the line (at least one word).
    Rest(String),
}

/// A command pattern ready for matching.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub words: Vec<Word>,
    pub def: def::CommandDef,
    /// Template name of `output`.
    pub output: Option<String>,
    /// Template name of `confirm`.
    pub confirm: Option<String>,
}

/// A loaded persona.
#[derive(Debug)]
pub struct Persona {
    /// The data file.
    pub def: PersonaDef,
    pub(crate) cmds: Vec<Cmd>,
}

impl Persona {
    /// The persona's `device_type`.
    pub fn platform(&self) -> &str {
        &self.def.platform
    }

    pub(crate) fn tpl(&self, kind: &str) -> String {
        format!("{}/{kind}", self.def.platform)
    }
}

/// Every persona with the template environment they share.
#[derive(Debug)]
pub struct Registry {
    personas: Vec<Persona>,
    pub(crate) env: Environment<'static>,
}

impl Registry {
    /// All personas, in file-name order.
    pub fn personas(&self) -> &[Persona] {
        &self.personas
    }

    /// The persona of a `device_type`.
    pub fn get(&self, platform: &str) -> Option<&Persona> {
        self.personas.iter().find(|p| p.def.platform == platform)
    }

    /// Names of all personas' platforms.
    pub fn platforms(&self) -> Vec<&str> {
        self.personas
            .iter()
            .map(|p| p.def.platform.as_str())
            .collect()
    }
}

const ACTIONS: &[&str] = &[
    "mode",
    "exit",
    "end",
    "close",
    "pager",
    "pager-off",
    "config",
    "show-config",
    "show-candidate",
    "commit",
    "commit-replace",
    "commit-confirmed-min",
    "commit-confirmed-sec",
    "commit-timer",
    "commit-check",
    "abort",
    "rollback",
    "rollback-apply",
    "compare",
    "save",
    "checkpoint",
    "rollback-checkpoint",
    "copy-running",
    "replace",
    "files",
    "set",
    "delete",
    "edit",
    "up",
    "top",
    "load",
    "do",
    "hostname",
    "commits",
    "clean-config",
    "delete-file",
    "rb-save",
    "output-format",
    "rb-list",
    "rb-delete",
    "delete-all",
    "rb-revert",
    "load-file",
    "sessions",
    "noop",
];

fn parse_words(cmd: &str) -> Vec<Word> {
    cmd.split_whitespace()
        .map(
            |w| match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(inner) => match inner.strip_suffix("...") {
                    Some(name) => Word::Rest(name.to_string()),
                    None => Word::Arg(inner.to_string()),
                },
                None => Word::Lit(w.to_string()),
            },
        )
        .collect()
}

/// A configuration model's format and style are known ones.
fn check_config(c: &def::ConfigDef) -> Result<(), String> {
    if !["indented", "braces", "fortios", "routeros", "classic"].contains(&c.format.as_str()) {
        return Err(format!("unknown config format `{}`", c.format));
    }
    if !["context", "set", "fortios", "routeros", "classic", "none"].contains(&c.style.as_str()) {
        return Err(format!("unknown config style `{}`", c.style));
    }
    if c.style == "classic" && !c.contexts.contains_key("") {
        return Err("classic style: `contexts` needs the top (`\"\"`)".into());
    }
    for (path, ctx) in &c.contexts {
        for (kw, e) in &ctx.enter {
            if !matches!(e.arg.as_deref(), None | Some("plain" | "quoted")) {
                return Err(format!(
                    "context `{path}`: `{kw}`: arg is none, plain or quoted"
                ));
            }
            let inner = format!("{path} {kw}");
            if !c.contexts.contains_key(inner.trim()) {
                return Err(format!(
                    "context `{}` is entered but not described",
                    inner.trim()
                ));
            }
        }
    }
    Ok(())
}

fn load_one(
    file: &str,
    text: &str,
    env: &mut Environment<'static>,
) -> Result<Persona, PersonaError> {
    let def: PersonaDef = serde_saphyr::from_str(text).map_err(|source| PersonaError::Yaml {
        file: file.to_string(),
        source,
    })?;
    let invalid = |message: String| PersonaError::Invalid {
        file: file.to_string(),
        message,
    };
    let platform = def.platform.clone();
    let mut add = |name: String, src: &str| -> Result<String, PersonaError> {
        let full = format!("{platform}/{name}");
        env.add_template_owned(full.clone(), src.to_string())
            .map_err(|source| PersonaError::Template {
                file: file.to_string(),
                name,
                source,
            })?;
        Ok(full)
    };
    if !def.modes.contains_key(&def.login_mode) {
        return Err(invalid(format!(
            "login_mode `{}` is not a mode",
            def.login_mode
        )));
    }
    if def.models.is_empty() || def.releases.is_empty() {
        return Err(invalid("needs at least one model and one release".into()));
    }
    if let Some(r) = def.releases.iter().find(|r| !r.contains_key("version")) {
        return Err(invalid(format!("release {r:?} has no `version`")));
    }
    for (name, m) in &def.modes {
        add(format!("prompt/{name}"), &m.prompt)?;
        if let Some(p) = &m.parent
            && !def.modes.contains_key(p)
        {
            return Err(invalid(format!(
                "mode `{name}`: parent `{p}` is not a mode"
            )));
        }
    }
    for (name, src) in &def.partials {
        add(name.clone(), src)?;
    }
    add("banner".into(), &def.banner)?;
    add("output_prefix".into(), &def.output_prefix)?;
    add("initial_config".into(), &def.initial_config)?;
    add("error/invalid".into(), &def.errors.invalid)?;
    add("error/incomplete".into(), &def.errors.incomplete)?;
    add("error/ambiguous".into(), &def.errors.ambiguous)?;
    add(
        "error/config_invalid".into(),
        def.errors
            .config_invalid
            .as_deref()
            .unwrap_or(&def.errors.invalid),
    )?;
    for (kw, ctx) in &def.config.sections {
        add(format!("section/{kw}"), ctx)?;
    }
    check_config(&def.config).map_err(&invalid)?;
    for (name, v) in &def.variants {
        check_config(&v.config).map_err(|m| invalid(format!("variant `{name}`: {m}")))?;
        add(format!("initial_config/{name}"), &v.initial_config)?;
    }
    if let Some(v) = def
        .releases
        .iter()
        .filter_map(|r| r.get("variant"))
        .find(|v| !def.variants.contains_key(*v))
    {
        return Err(invalid(format!("release variant `{v}` is not a variant")));
    }
    let mut cmds = Vec::with_capacity(def.commands.len());
    for (i, c) in def.commands.iter().enumerate() {
        let words = parse_words(&c.cmd);
        if words.is_empty() {
            return Err(invalid(format!("command {i} is empty")));
        }
        if let Some(a) = &c.action
            && !ACTIONS.contains(&a.as_str())
        {
            return Err(invalid(format!(
                "command `{}`: unknown action `{a}`",
                c.cmd
            )));
        }
        for m in c.modes.iter().chain(c.to.iter()) {
            if !def.modes.contains_key(m) {
                return Err(invalid(format!("command `{}`: `{m}` is not a mode", c.cmd)));
            }
        }
        let output = match &c.output {
            Some(src) => Some(add(format!("command/{i}/{}", c.cmd), src)?),
            None => None,
        };
        let confirm = match &c.confirm {
            Some(src) => Some(add(format!("confirm/{i}/{}", c.cmd), src)?),
            None => None,
        };
        cmds.push(Cmd {
            words,
            def: c.clone(),
            output,
            confirm,
        });
    }
    Ok(Persona { def, cmds })
}

/// Loads the personas compiled into the lab (once per process).
pub fn registry() -> Result<&'static Registry, &'static PersonaError> {
    static REG: OnceLock<Result<Registry, PersonaError>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut env = render::environment();
        let mut personas = Vec::with_capacity(FILES.len());
        for (file, text) in FILES {
            personas.push(load_one(file, text, &mut env)?);
        }
        Ok(Registry { personas, env })
    })
    .as_ref()
}

/// Device counts per platform as `netrun lab --platforms` takes them:
/// `cisco_ios=50,juniper_junos=20` or `all=N` (every platform, N each).
pub fn parse_platforms(spec: &str, known: &[&str]) -> Result<BTreeMap<String, usize>, String> {
    let mut out = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, n) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected PLATFORM=COUNT, e.g. juniper_junos=20"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{part}`: `{}` is not a device count", n.trim()))?;
        let name = name.trim();
        if name == "all" {
            for k in known {
                out.insert((*k).to_string(), n);
            }
        } else if known.contains(&name) {
            out.insert(name.to_string(), n);
        } else {
            let near = known
                .iter()
                .filter(|k| {
                    k.split('_').next() == name.split('_').next()
                        || k.contains(name)
                        || name.contains(*k)
                })
                .copied()
                .collect::<Vec<_>>();
            let hint = if near.is_empty() {
                format!("known: {}", known.join(", "))
            } else {
                format!("did you mean {}?", near.join(" or "))
            };
            return Err(format!("unknown platform `{name}`: {hint}"));
        }
    }
    if out.is_empty() {
        return Err("no platforms given: use e.g. cisco_ios=10,juniper_junos=5 or all=5".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_persona_loads() {
        let reg = registry().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reg.personas().len(), FILES.len());
        let mut prefixes = std::collections::HashSet::new();
        for p in reg.personas() {
            assert!(
                prefixes.insert(p.def.name_prefix.clone()),
                "{}",
                p.platform()
            );
        }
    }

    #[test]
    fn platform_counts() {
        let known = ["cisco_ios", "juniper_junos", "huawei_vrp"];
        let m = parse_platforms("cisco_ios=5, juniper_junos=2", &known).unwrap();
        assert_eq!(m["cisco_ios"], 5);
        assert_eq!(m["juniper_junos"], 2);
        let m = parse_platforms("all=3", &known).unwrap();
        assert_eq!(m.len(), 3);
        let e = parse_platforms("juniper=2", &known).unwrap_err();
        assert!(e.contains("did you mean juniper_junos?"), "{e}");
        assert!(parse_platforms("cisco_ios=x", &known).is_err());
        assert!(parse_platforms("", &known).is_err());
    }
}
