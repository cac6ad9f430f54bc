//! Structured output for any command: the driver's own parser first, then a
//! TextFSM template found through a clitable index (ntc-templates or the
//! user's folder), else the raw text and the reason.
//!
//! TextFSM runs here in the host, natively, behind `netrun_textfsm::Limits`
//! (input size, regex size and backtracking, rule evaluations, time, output
//! size): a template is data, and its only unbounded costs are those the
//! limits cap. Parses run on the blocking pool so they never stall sessions.

use netrun_textfsm::{Index, IndexError, Limits, Records, Template};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The environment variable naming a templates folder (Netmiko's).
pub const TEMPLATES_ENV: &str = "NET_TEXTFSM";

/// Records a template gave, and which parser answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `textfsm:TEMPLATE[:TEMPLATE…]`, or the driver plugin's name.
    pub parser: String,
    /// The records (a JSON list of objects for TextFSM).
    pub records: Value,
}

/// Why TextFSM gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum ParsingError {
    /// No templates folder was given, and none is where netrun looks.
    #[error(
        "no TextFSM templates: pass --templates DIR, set {TEMPLATES_ENV}, or put a templates folder (with its `index`) at {}",
        config_templates_dir().map(|d| d.display().to_string()).unwrap_or_else(|| "~/.config/netrun/templates".into())
    )]
    NoTemplates,
    /// A folder was named but has no `index` file.
    #[error(
        "{} has no clitable `index` file (point {source_name} at ntc-templates' `templates` folder)",
        dir.display()
    )]
    NoIndex {
        /// The folder.
        dir: PathBuf,
        /// Where the folder came from (`--templates`, `NET_TEXTFSM`, …).
        source_name: &'static str,
    },
    /// The index, a template, or the parse failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A template given by itself does not compile or stopped.
    #[error("{}: {message}", path.display())]
    Template {
        /// The template file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The parse task died (a panic in the engine).
    #[error("TextFSM parse task failed: {0}")]
    Task(String),
}

/// `~/.config/netrun/templates` (the platform's config folder).
pub fn config_templates_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("netrun").join("templates"))
}

/// The templates folder: `flag`, else `$NET_TEXTFSM`, else the config
/// folder when it exists; with the name of where it came from. A folder
/// without an `index` but with `templates/index` (a checkout of
/// ntc-templates) means its `templates` folder, as in Netmiko.
pub fn templates_dir(flag: Option<&Path>) -> Result<(PathBuf, &'static str), ParsingError> {
    let (dir, source_name) = if let Some(d) = flag {
        (d.to_path_buf(), "--templates")
    } else if let Some(d) = std::env::var_os(TEMPLATES_ENV).filter(|d| !d.is_empty()) {
        (expand_home(PathBuf::from(d)), TEMPLATES_ENV)
    } else {
        match config_templates_dir().filter(|d| d.is_dir()) {
            Some(d) => (d, "the config folder"),
            None => return Err(ParsingError::NoTemplates),
        }
    };
    if dir.join("index").is_file() {
        return Ok((dir, source_name));
    }
    let nested = dir.join("templates");
    if nested.join("index").is_file() {
        return Ok((nested, source_name));
    }
    Err(ParsingError::NoIndex { dir, source_name })
}

fn expand_home(p: PathBuf) -> PathBuf {
    match (p.strip_prefix("~"), dirs::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => p,
    }
}

/// netrun platforms whose outputs ntc-templates' index files under another
/// name, with that name: a template written for the one parses the other.
/// Netmiko retries `cisco_xe` as `cisco_ios` the same way; the other
/// names differ because ntc-templates kept an older vendor name (SR OS
/// under Alcatel-Lucent, FastIron under Brocade) or Netmiko's SSH
/// `device_type` (`cisco_wlc_ssh`). MD-CLI's `show` commands are the
/// classic CLI's, so both SR OS platforms take `alcatel_sros` templates.
const TEMPLATE_PLATFORMS: &[(&str, &str)] = &[
    ("cisco_xe", "cisco_ios"),
    ("cisco_wlc", "cisco_wlc_ssh"),
    ("nokia_sros", "alcatel_sros"),
    ("nokia_sros_mdcli", "alcatel_sros"),
    ("ruckus_fastiron", "brocade_fastiron"),
];

/// The names templates for `platform` are looked up under, in order: its
/// own, then ntc-templates' name for the same outputs where it differs.
pub fn template_platforms(platform: &str) -> impl Iterator<Item = &str> {
    std::iter::once(platform).chain(
        TEMPLATE_PLATFORMS
            .iter()
            .filter(move |(name, _)| *name == platform)
            .map(|(_, ntc)| *ntc),
    )
}

/// TextFSM through one templates folder's index; templates are compiled on
/// first use and kept.
#[derive(Debug)]
pub struct TextFsm {
    index: Arc<Index>,
}

impl TextFsm {
    /// Read the index of `dir`.
    pub fn load(dir: &Path) -> Result<TextFsm, ParsingError> {
        Ok(TextFsm {
            index: Arc::new(Index::load(dir, Limits::default())?),
        })
    }

    /// The templates folder.
    pub fn dir(&self) -> &Path {
        self.index.dir()
    }

    /// The index (records in template order, for `netrun parse`).
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The platform name `command`'s template is found under for a device
    /// of `platform`: its own where the index has a row for it, else the
    /// name ntc-templates gives the same outputs ([`template_platforms`]),
    /// else its own (the parse then says no template matched). Rows
    /// whose regexes do not compile are left for the parse to report.
    pub fn template_platform<'a>(&self, platform: &'a str, command: &str) -> &'a str {
        template_platforms(platform)
            .find(|name| matches!(self.index.find(name, command), Ok(Some(_))))
            .unwrap_or(platform)
    }

    /// Parse `output` of `command` on `platform` (the inventory's
    /// platform: ntc-templates' names, `cisco_ios`, `arista_eos`, …, or a
    /// netrun name ntc-templates spells otherwise, `cisco_xe`).
    pub fn parse(
        &self,
        platform: &str,
        command: &str,
        output: &str,
    ) -> Result<Parsed, ParsingError> {
        let platform = self.template_platform(platform, command);
        let parsed = self.index.parse_output(platform, command, output)?;
        Ok(Parsed {
            parser: format!("textfsm:{}", parsed.templates.join(":")),
            records: records_json(&parsed.records),
        })
    }

    /// [`TextFsm::parse`] on the blocking pool (a parse may use its whole
    /// time budget).
    pub async fn parse_blocking(
        &self,
        platform: &str,
        command: &str,
        output: &str,
    ) -> Result<Parsed, ParsingError> {
        let (index, platform, command, output) = (
            self.index.clone(),
            platform.to_string(),
            command.to_string(),
            output.to_string(),
        );
        tokio::task::spawn_blocking(move || TextFsm { index }.parse(&platform, &command, &output))
            .await
            .map_err(|e| ParsingError::Task(e.to_string()))?
    }
}

/// One template the user named for every output (`netrun exec --template`,
/// Netmiko's `textfsm_template`): it answers instead of the driver's
/// parser and the index.
#[derive(Debug)]
pub struct NamedTemplate {
    /// The file's name, for `parser: "textfsm:NAME"`.
    pub name: String,
    /// The text it was compiled from (what a run over NATS ships).
    pub text: String,
    /// The compiled template.
    pub template: Template,
}

impl NamedTemplate {
    /// Read and compile `path`; the error names the file.
    pub fn load(path: &Path) -> Result<NamedTemplate, ParsingError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read template: {e}"))
            .and_then(|text| NamedTemplate::compile(name, text))
            .map_err(|message| ParsingError::Template {
                path: path.to_path_buf(),
                message,
            })
    }

    /// Compile `text`, to be known as `name`.
    pub fn compile(name: String, text: String) -> Result<NamedTemplate, String> {
        let template = Template::compile(&text, &Limits::default()).map_err(|e| e.to_string())?;
        Ok(NamedTemplate {
            name,
            text,
            template,
        })
    }

    /// Parse `output` on the blocking pool (a parse may use its whole
    /// time budget): the records, or why not, naming the template.
    pub async fn parse(self: &Arc<Self>, output: &str) -> Outcome {
        let (t, output) = (self.clone(), output.to_string());
        let parsed = tokio::task::spawn_blocking(move || parse_with_template(&t.template, &output))
            .await
            .unwrap_or_else(|e| Err(format!("parse task failed: {e}")));
        match parsed {
            Ok(records) => Outcome::Parsed(Parsed {
                parser: format!("textfsm:{}", self.name),
                records: records_json(&records),
            }),
            Err(e) => Outcome::Unparsed {
                reason: format!("TextFSM template {}: {e}", self.name),
            },
        }
    }
}

/// Parse `output` with one template (no index), records shaped as
/// `parse_output` shapes them.
pub fn parse_with_template(template: &Template, output: &str) -> Result<Records, String> {
    template
        .parse_text(output, &Limits::default())
        .map(netrun_textfsm::Table::into_records)
        .map_err(|e| e.to_string())
}

/// Records as JSON objects (keys in alphabetical order, as serde_json keeps them).
pub fn records_json(records: &Records) -> Value {
    serde_json::to_value(records).unwrap_or(Value::Null)
}

/// The folder a run's `--templates` named, for [`fallback`].
static TEMPLATES_FLAG: OnceLock<PathBuf> = OnceLock::new();

/// Make `dir` (a run's `--templates`, already checked) the folder the
/// process's fallback reads, before `$NET_TEXTFSM` and the config folder.
/// Only the first call counts, and only before the fallback's first use.
pub fn use_templates_dir(dir: PathBuf) {
    let _ = TEMPLATES_FLAG.set(dir);
}

/// The process's TextFSM fallback, from a run's `--templates`, else
/// `$NET_TEXTFSM` or the config folder, read once on first use; the error
/// says why there is none.
pub fn fallback() -> Result<&'static TextFsm, &'static str> {
    static FALLBACK: OnceLock<Result<TextFsm, String>> = OnceLock::new();
    FALLBACK
        .get_or_init(|| {
            let loaded = templates_dir(TEMPLATES_FLAG.get().map(PathBuf::as_path))
                .and_then(|(dir, _)| TextFsm::load(&dir));
            if let Err(e) = &loaded
                && !matches!(e, ParsingError::NoTemplates)
            {
                tracing::warn!("TextFSM fallback unavailable: {e}");
            }
            loaded.map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(String::as_str)
}

/// What became of one command's output.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A parser answered.
    Parsed(Parsed),
    /// Nobody could parse it.
    Unparsed {
        /// Why, naming each parser tried.
        reason: String,
    },
}

impl Outcome {
    /// The fields an exec record carries: `parsed`, `parser`, and when
    /// nothing parsed, `parse_reason`.
    pub fn fields(&self) -> [(&'static str, Value); 2] {
        match self {
            Outcome::Parsed(p) => [
                ("parsed", p.records.clone()),
                ("parser", Value::String(p.parser.clone())),
            ],
            Outcome::Unparsed { reason } => [
                ("parsed", Value::Null),
                ("parse_reason", Value::String(reason.clone())),
            ],
        }
    }
}

/// The precedence: `driver` is the driver's answer (its name and parsed
/// JSON, or why it has none); without one, TextFSM through `textfsm`.
pub async fn resolve(
    driver: Result<(String, Value), String>,
    textfsm: Result<&TextFsm, &str>,
    platform: &str,
    command: &str,
    output: &str,
) -> Outcome {
    let driver_reason = match driver {
        Ok((parser, records)) => return Outcome::Parsed(Parsed { parser, records }),
        Err(reason) => reason,
    };
    let textfsm_reason = match textfsm {
        Ok(t) => match t.parse_blocking(platform, command, output).await {
            Ok(p) => return Outcome::Parsed(p),
            Err(e) => e.to_string(),
        },
        Err(why) => why.to_string(),
    };
    Outcome::Unparsed {
        reason: format!("{driver_reason}; TextFSM: {textfsm_reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A templates folder with one template for `show clock` on `acme_os`.
    fn folder() -> tempfile_dir::Dir {
        let d = tempfile_dir::Dir::new("parsing");
        std::fs::write(
            d.path().join("index"),
            "Template, Hostname, Platform, Command\n\nacme_os_show_clock.textfsm, .*, acme_os, sh[[ow]] clo[[ck]]\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("acme_os_show_clock.textfsm"),
            "Value TIME (\\S+)\nValue ZONE (\\S+)\n\nStart\n  ^\\*?${TIME}\\s+${ZONE} -> Record\n",
        )
        .unwrap();
        d
    }

    /// A scratch folder removed on drop.
    mod tempfile_dir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new(tag: &str) -> Dir {
                let p = std::env::temp_dir().join(format!(
                    "netrun-{tag}-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[tokio::test]
    async fn driver_parser_wins_over_textfsm() {
        let d = folder();
        let t = TextFsm::load(d.path()).unwrap();
        let out = resolve(
            Ok(("acme-driver".into(), json!({"time": "own"}))),
            Ok(&t),
            "acme_os",
            "show clock",
            "*10:00:00.000 UTC\n",
        )
        .await;
        assert_eq!(
            out,
            Outcome::Parsed(Parsed {
                parser: "acme-driver".into(),
                records: json!({"time": "own"})
            })
        );
    }

    #[tokio::test]
    async fn textfsm_answers_when_the_driver_has_no_parser() {
        let d = folder();
        let t = TextFsm::load(d.path()).unwrap();
        let out = resolve(
            Err("driver acme has no parser for `sh clock`".into()),
            Ok(&t),
            "acme_os",
            "sh clock",
            "*10:00:00.000 UTC\n",
        )
        .await;
        assert_eq!(
            out,
            Outcome::Parsed(Parsed {
                parser: "textfsm:acme_os_show_clock.textfsm".into(),
                records: json!([{"time": "10:00:00.000", "zone": "UTC"}])
            })
        );
    }

    /// A `cisco_xe` or `ruckus_fastiron` device parses with the templates
    /// ntc-templates files under `cisco_ios` and `brocade_fastiron`, unless
    /// the index has a row of its own name for the command.
    #[test]
    fn a_platform_ntc_templates_names_otherwise_finds_its_templates() {
        let d = tempfile_dir::Dir::new("aliases");
        let clock = "Value TIME (\\S+)\n\nStart\n  ^\\*?${TIME}\\s -> Record\n";
        let xe_clock = "Value XE_TIME (\\S+)\n\nStart\n  ^\\*?${XE_TIME}\\s -> Record\n";
        std::fs::write(
            d.path().join("index"),
            "Template, Hostname, Platform, Command\n\n\
             cisco_xe_show_clock.textfsm, .*, cisco_xe, sh[[ow]] clo[[ck]]\n\
             cisco_ios_show_clock.textfsm, .*, cisco_ios, sh[[ow]] clo[[ck]]\n\
             cisco_ios_show_users.textfsm, .*, cisco_ios, sh[[ow]] us[[ers]]\n\
             brocade_fastiron_show_clock.textfsm, .*, brocade_fastiron, sh[[ow]] clo[[ck]]\n",
        )
        .unwrap();
        for (name, text) in [
            ("cisco_xe_show_clock.textfsm", xe_clock),
            ("cisco_ios_show_clock.textfsm", clock),
            ("cisco_ios_show_users.textfsm", clock),
            ("brocade_fastiron_show_clock.textfsm", clock),
        ] {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        let t = TextFsm::load(d.path()).unwrap();
        let out = "*10:00:00.000 UTC\n";
        let parser = |platform, command| t.parse(platform, command, out).map(|p| p.parser);
        assert_eq!(
            parser("cisco_xe", "sh users").unwrap(),
            "textfsm:cisco_ios_show_users.textfsm"
        );
        assert_eq!(
            parser("cisco_xe", "show clock").unwrap(),
            "textfsm:cisco_xe_show_clock.textfsm"
        );
        assert_eq!(
            parser("ruckus_fastiron", "show clock").unwrap(),
            "textfsm:brocade_fastiron_show_clock.textfsm"
        );
        assert_eq!(
            t.parse("cisco_xe", "sh users", out).unwrap().records,
            json!([{"time": "10:00:00.000"}])
        );
        // Only the names listed: no other platform borrows IOS's templates,
        // and a miss names the device's own platform.
        let e = parser("cisco_nxos", "show users").unwrap_err().to_string();
        assert!(e.contains("cisco_nxos"), "{e}");
        let e = parser("cisco_xe", "show ntp").unwrap_err().to_string();
        assert!(e.contains("cisco_xe"), "{e}");
        assert_eq!(
            template_platforms("nokia_sros_mdcli").collect::<Vec<_>>(),
            ["nokia_sros_mdcli", "alcatel_sros"]
        );
    }

    #[tokio::test]
    async fn unparsed_output_says_why_for_each_parser() {
        let d = folder();
        let t = TextFsm::load(d.path()).unwrap();
        let out = resolve(
            Err("driver acme has no parser for `show users`".into()),
            Ok(&t),
            "acme_os",
            "show users",
            "x\n",
        )
        .await;
        let Outcome::Unparsed { reason } = out else {
            panic!("parsed: {out:?}")
        };
        assert!(reason.contains("no parser for `show users`"), "{reason}");
        assert!(
            reason.contains("no template in") && reason.contains("`show users`"),
            "{reason}"
        );
        let no_templates = resolve(
            Err("driver: none".into()),
            Err("no TextFSM templates"),
            "p",
            "c",
            "",
        )
        .await;
        assert_eq!(
            no_templates.fields()[1],
            (
                "parse_reason",
                json!("driver: none; TextFSM: no TextFSM templates")
            )
        );
    }

    #[test]
    fn a_checkout_of_ntc_templates_means_its_templates_folder() {
        let d = tempfile_dir::Dir::new("checkout");
        std::fs::create_dir(d.path().join("templates")).unwrap();
        std::fs::write(d.path().join("templates/index"), "Template\n").unwrap();
        let (dir, from) = templates_dir(Some(d.path())).unwrap();
        assert_eq!((dir, from), (d.path().join("templates"), "--templates"));
        let e = templates_dir(Some(&d.path().join("templates/none"))).unwrap_err();
        assert!(e.to_string().contains("has no clitable `index`"), "{e}");
    }
}
