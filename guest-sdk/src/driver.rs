//! Driver plugins: platform definitions as data, parsers and NAPALM-style
//! getters. Everything here is plain Rust; the WIT bindings stay inside.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.2",
        world: "driver-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_driver",
        default_bindings_module: "netrun_guest::driver::bindings",
        runtime_path: "netrun_guest::__wit_bindgen::rt",
    });
}

use bindings::netrun::plugin::platform as w;

pub use crate::error::{Error, ErrorClass};

crate::error::wit_error_conversions!(bindings::netrun::plugin::types);

/// Which secret the host types when a transition asks for one. The plugin
/// names it; the host fills in the value, which the plugin never sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The login password.
    Password,
    /// The enable / privilege-escalation secret.
    EnableSecret,
}

/// A prompt that may appear while a transition runs, and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Regular expression matched against the end of the received text.
    pub prompt: String,
    /// The secret typed in answer.
    pub answer: Secret,
}

/// How to go from one mode to a neighbouring one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Name of the mode reached.
    pub to: String,
    /// Input sent, without line ending.
    pub send: String,
    /// A prompt that may appear before the target mode's prompt.
    pub challenge: Option<Challenge>,
}

/// A CLI mode (privilege level) of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mode {
    /// Mode name: `exec`, `privileged-exec`, `configuration`, …
    pub name: String,
    /// Regular expression for this mode's prompt.
    pub prompt: String,
    /// Neighbouring modes and how to reach them.
    pub transitions: Vec<Transition>,
}

/// A pager prompt and the keystrokes that continue the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// Regular expression for the pager prompt (`--More--`).
    pub pattern: String,
    /// Keystrokes that continue the output.
    pub keys: String,
}

/// One step of a configuration operation: an input and the questions the
/// device may ask, as (pattern, answer) pairs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// Input sent; `{name}`, `{minutes}`, `{seconds}` are filled in by the host.
    pub send: String,
    /// Questions the device may ask and the text typed in answer.
    pub answers: Vec<(String, String)>,
}

impl Step {
    /// A step that sends `send` and expects no question.
    pub fn send(send: &str) -> Step {
        Step {
            send: send.to_string(),
            answers: Vec::new(),
        }
    }

    /// Answer `answer` when the device asks something matching `pattern`.
    pub fn answer(mut self, pattern: &str, answer: &str) -> Step {
        self.answers.push((pattern.to_string(), answer.to_string()));
        self
    }
}

/// How configuration text is structured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    /// `set` and `remove` commands that apply at once.
    Menus,
}

/// How the device rewrites an interface name typed in a section header into
/// the form its running configuration prints (`int gi0/1` →
/// `interface GigabitEthernet0/1`; NX-OS `interface Loopback0` →
/// `interface loopback0`), so the host matches headers typed either way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterfaceNaming {
    /// The word that opens an interface section, in full (`interface`).
    pub keyword: String,
    /// The shortest abbreviation of `keyword` the device accepts (`int`).
    pub shortest: String,
    /// Interface types as the device prints them (`GigabitEthernet`,
    /// `loopback`); a typed type equal to one case-insensitively, or the
    /// beginning of exactly one, takes its form.
    pub types: Vec<String>,
}

/// How the platform's configuration is read, changed, saved and rolled back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigMechanics {
    /// Command that prints the running configuration.
    pub show_running: String,
    /// Command that prints the startup configuration, where there is one.
    pub show_startup: Option<String>,
    /// Commands tried in turn where the device refuses `show_running` (a
    /// second CLI under the platform's name: SR OS MD-CLI); read for
    /// backups and diffs only.
    pub show_running_otherwise: Vec<String>,
    /// Regular expressions of lines that change by themselves.
    pub volatile: Vec<String>,
    /// Structure of the configuration text.
    pub style: ConfigStyle,
    /// Steps (configuration mode) that make a change take effect.
    pub commit: Vec<Step>,
    /// Steps (configuration mode) that commit with an automatic rollback.
    pub commit_confirmed: Vec<Step>,
    /// Steps that confirm a pending commit-confirmed.
    pub confirm: Vec<Step>,
    /// Steps (configuration mode) that discard uncommitted changes.
    pub abort: Vec<Step>,
    /// Steps that take the rollback point `{name}`.
    pub checkpoint: Vec<Step>,
    /// Steps that restore the rollback point `{name}`.
    pub rollback: Vec<Step>,
    /// Steps that make the running configuration the startup one.
    pub save: Vec<Step>,
    /// Steps that make the whole configuration equal the candidate: a step
    /// holding `{line}` is sent once per candidate line, `{line:tcl}` the
    /// same quoted for Tcl; `{name}` names the run's files or session.
    pub replace: Vec<Step>,
    /// Steps that remove what a change left on the device (the rollback
    /// point `{name}`, a replace's candidate file), run once the change is
    /// done or rolled back (IOS `delete /force flash:{name}`).
    pub cleanup: Vec<Step>,
    /// How interface names in section headers are rewritten by the device.
    pub interface_naming: Option<InterfaceNaming>,
    /// How to find the device's own identifier of the rollback point, which
    /// rollback and cleanup steps name `{index}`.
    pub locate: Option<Locate>,
}

/// How to find the device's identifier of the rollback point `{name}`
/// where the device numbers checkpoints itself (SR OS `latest-rb`, `1`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locate {
    /// The command listing the checkpoints (`show system rollback`).
    pub command: String,
    /// Regex over its output, `{name}` standing for the point's name; the
    /// group `index` captures the identifier.
    pub pattern: String,
    /// The identifier when the match holds no `index` (`latest-rb`).
    pub otherwise: String,
}

/// A platform (one Netmiko / Scrapli `device_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// `device_type` name: `cisco_ios`, `arista_eos`, …
    pub name: String,
    /// Mode commands run in, and the mode a session is opened in.
    pub default_mode: String,
    /// Mode used by configuration commands.
    pub configuration_mode: String,
    /// Every mode of the platform.
    pub modes: Vec<Mode>,
    /// Commands sent in the default mode right after login.
    pub on_open: Vec<String>,
    /// Commands sent before the session closes.
    pub on_close: Vec<String>,
    /// Pager prompts and their keystrokes.
    pub pagers: Vec<Pager>,
    /// Text that marks a command as refused.
    pub failure_indicators: Vec<String>,
    /// Line ending typed after each input.
    pub line_ending: String,
    /// Configuration mechanics, where the driver knows them.
    pub config: Option<ConfigMechanics>,
    /// Other platforms a device of this one may turn out to speak: (regular
    /// expression over the first prompt's last line, platform name). SR OS:
    /// `(r"^\*?[AB]:[\w.\-]+@", "nokia_sros_mdcli")`.
    pub variants: Vec<(String, String)>,
}

/// Why output could not be parsed, or a getter not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No parser for this command (or no such getter) on this platform.
    UnsupportedCommand(String),
    /// The output does not look like the command's output; say which line or
    /// field did not fit.
    UnexpectedOutput(String),
}

impl From<crate::text::ParseError> for ParseError {
    fn from(e: crate::text::ParseError) -> Self {
        match e {
            crate::text::ParseError::Unsupported(m) => ParseError::UnsupportedCommand(m),
            crate::text::ParseError::Unexpected(m) => ParseError::UnexpectedOutput(m),
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::UnsupportedCommand(m) => Error::unsupported(m),
            ParseError::UnexpectedOutput(m) => Error::parse(m),
        }
    }
}

/// What a driver plugin implements. Getters have defaults that answer
/// `unsupported`, so a driver adds them one at a time.
pub trait Driver {
    /// The platforms (Netmiko / Scrapli `device_type`s) this driver defines.
    fn platforms() -> Vec<Definition>;
    /// Full commands this driver parses on `platform`.
    fn parsers(platform: &str) -> Vec<String>;
    /// Turn `output` of `command` into structured data.
    fn parse(platform: &str, command: &str, output: &str) -> Result<serde_json::Value, ParseError>;

    /// NAPALM getter names this driver answers on `platform` (`facts`,
    /// `interfaces`, `lldp_neighbors`, …).
    fn getters(_platform: &str) -> Vec<String> {
        Vec::new()
    }

    /// The commands whose outputs answer `getter` on `platform`, in order.
    fn getter_commands(platform: &str, getter: &str) -> Result<Vec<String>, ParseError> {
        Err(ParseError::UnsupportedCommand(format!(
            "no getter `{getter}` on {platform}"
        )))
    }

    /// Whether `getter` on `platform` builds follow-up commands from its
    /// outputs ([`Driver::getter_follow_up`]); the host asks for them only
    /// when this says so.
    fn getter_has_follow_up(_platform: &str, _getter: &str) -> bool {
        false
    }

    /// The commands to run next for `getter`, built from the (command,
    /// output) pairs so far (one `show … detail` per port a summary
    /// listed); empty when the outputs are complete. The host runs them,
    /// appends their outputs and asks again, then calls [`Driver::getter`].
    /// Called only where [`Driver::getter_has_follow_up`] says so.
    fn getter_follow_up(
        _platform: &str,
        _getter: &str,
        _outputs: &[(String, String)],
    ) -> Result<Vec<String>, ParseError> {
        Ok(Vec::new())
    }

    /// Build the getter's NAPALM-shaped result from (command, output)
    /// pairs: its commands' and then any follow-up commands'.
    fn getter(
        platform: &str,
        getter: &str,
        _outputs: &[(String, String)],
    ) -> Result<serde_json::Value, ParseError> {
        Err(ParseError::UnsupportedCommand(format!(
            "no getter `{getter}` on {platform}"
        )))
    }
}

impl Mode {
    /// A mode with its prompt pattern and no transitions yet.
    pub fn new(name: &str, prompt: &str) -> Self {
        Mode {
            name: name.to_string(),
            prompt: prompt.to_string(),
            transitions: Vec::new(),
        }
    }

    /// Add a transition to `to` by sending `send`.
    pub fn to(mut self, to: &str, send: &str) -> Self {
        self.transitions.push(Transition {
            to: to.to_string(),
            send: send.to_string(),
            challenge: None,
        });
        self
    }

    /// Add a transition that may ask for a secret (`enable` → `Password:`).
    pub fn to_with_secret(mut self, to: &str, send: &str, prompt: &str, answer: Secret) -> Self {
        self.transitions.push(Transition {
            to: to.to_string(),
            send: send.to_string(),
            challenge: Some(Challenge {
                prompt: prompt.to_string(),
                answer,
            }),
        });
        self
    }
}

impl Pager {
    /// A pager prompt and the keystrokes that continue the output.
    pub fn new(pattern: &str, keys: &str) -> Self {
        Pager {
            pattern: pattern.to_string(),
            keys: keys.to_string(),
        }
    }
}

fn steps(list: Vec<Step>) -> Vec<w::Step> {
    list.into_iter()
        .map(|s| w::Step {
            send: s.send,
            answers: s.answers,
        })
        .collect()
}

impl From<Definition> for w::Definition {
    fn from(d: Definition) -> Self {
        w::Definition {
            name: d.name,
            default_mode: d.default_mode,
            configuration_mode: d.configuration_mode,
            modes: d
                .modes
                .into_iter()
                .map(|m| w::Mode {
                    name: m.name,
                    prompt: m.prompt,
                    transitions: m
                        .transitions
                        .into_iter()
                        .map(|t| w::Transition {
                            to: t.to,
                            send: t.send,
                            challenge: t.challenge.map(|c| w::Challenge {
                                prompt: c.prompt,
                                answer: match c.answer {
                                    Secret::Password => w::Secret::Password,
                                    Secret::EnableSecret => w::Secret::EnableSecret,
                                },
                            }),
                        })
                        .collect(),
                })
                .collect(),
            on_open: d.on_open,
            on_close: d.on_close,
            pagers: d
                .pagers
                .into_iter()
                .map(|p| w::Pager {
                    pattern: p.pattern,
                    keys: p.keys,
                })
                .collect(),
            failure_indicators: d.failure_indicators,
            line_ending: d.line_ending,
            variants: d.variants,
            config: d.config.map(|c| w::ConfigMechanics {
                show_running: c.show_running,
                show_startup: c.show_startup,
                show_running_otherwise: c.show_running_otherwise,
                volatile: c.volatile,
                style: match c.style {
                    ConfigStyle::Indented => w::ConfigStyle::Indented,
                    ConfigStyle::Set => w::ConfigStyle::Set,
                    ConfigStyle::Flat => w::ConfigStyle::Flat,
                    ConfigStyle::Blocks => w::ConfigStyle::Blocks,
                    ConfigStyle::Menus => w::ConfigStyle::Menus,
                },
                commit: steps(c.commit),
                commit_confirmed: steps(c.commit_confirmed),
                confirm: steps(c.confirm),
                abort: steps(c.abort),
                checkpoint: steps(c.checkpoint),
                rollback: steps(c.rollback),
                save: steps(c.save),
                replace: steps(c.replace),
                cleanup: steps(c.cleanup),
                locate: c.locate.map(|l| w::Locate {
                    command: l.command,
                    pattern: l.pattern,
                    otherwise: l.otherwise,
                }),
                interface_naming: c.interface_naming.map(|n| w::InterfaceNaming {
                    keyword: n.keyword,
                    shortest: n.shortest,
                    types: n.types,
                }),
            }),
        }
    }
}

#[doc(hidden)]
pub fn __to_wit_error(e: ParseError) -> bindings::netrun::plugin::types::Error {
    Error::from(e).into()
}

#[doc(hidden)]
pub fn __to_wit_definitions(
    d: Vec<Definition>,
) -> Vec<bindings::netrun::plugin::platform::Definition> {
    d.into_iter().map(Into::into).collect()
}

/// Register the type that implements [`Driver`] as this component's driver.
#[macro_export]
macro_rules! register_driver {
    ($driver:ty) => {
        #[doc(hidden)]
        pub struct __NetrunDriverExport;

        impl $crate::driver::bindings::exports::netrun::plugin::driver::Guest
            for __NetrunDriverExport
        {
            fn platforms()
            -> ::std::vec::Vec<$crate::driver::bindings::netrun::plugin::platform::Definition> {
                $crate::driver::__to_wit_definitions(
                    <$driver as $crate::driver::Driver>::platforms(),
                )
            }

            fn parsers(platform: ::std::string::String) -> ::std::vec::Vec<::std::string::String> {
                <$driver as $crate::driver::Driver>::parsers(&platform)
            }

            fn parse(
                platform: ::std::string::String,
                command: ::std::string::String,
                output: ::std::string::String,
            ) -> ::std::result::Result<
                ::std::string::String,
                $crate::driver::bindings::netrun::plugin::types::Error,
            > {
                <$driver as $crate::driver::Driver>::parse(&platform, &command, &output)
                    .map(|value| value.to_string())
                    .map_err($crate::driver::__to_wit_error)
            }

            fn getters(platform: ::std::string::String) -> ::std::vec::Vec<::std::string::String> {
                <$driver as $crate::driver::Driver>::getters(&platform)
            }

            fn getter_commands(
                platform: ::std::string::String,
                getter: ::std::string::String,
            ) -> ::std::result::Result<
                $crate::driver::bindings::exports::netrun::plugin::driver::GetterPlan,
                $crate::driver::bindings::netrun::plugin::types::Error,
            > {
                <$driver as $crate::driver::Driver>::getter_commands(&platform, &getter)
                    .map(|commands| {
                        $crate::driver::bindings::exports::netrun::plugin::driver::GetterPlan {
                            commands,
                            follow_up: <$driver as $crate::driver::Driver>::getter_has_follow_up(
                                &platform, &getter,
                            ),
                        }
                    })
                    .map_err($crate::driver::__to_wit_error)
            }

            fn getter_follow_up(
                platform: ::std::string::String,
                getter: ::std::string::String,
                outputs: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
            ) -> ::std::result::Result<
                ::std::vec::Vec<::std::string::String>,
                $crate::driver::bindings::netrun::plugin::types::Error,
            > {
                <$driver as $crate::driver::Driver>::getter_follow_up(&platform, &getter, &outputs)
                    .map_err($crate::driver::__to_wit_error)
            }

            fn getter(
                platform: ::std::string::String,
                getter: ::std::string::String,
                outputs: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
            ) -> ::std::result::Result<
                ::std::string::String,
                $crate::driver::bindings::netrun::plugin::types::Error,
            > {
                <$driver as $crate::driver::Driver>::getter(&platform, &getter, &outputs)
                    .map(|value| value.to_string())
                    .map_err($crate::driver::__to_wit_error)
            }
        }

        // Exported only in the component: a native build (tests of the
        // plugin's Rust code) must not export names with `:`, which
        // linkers reject in a shared object's symbol list.
        #[cfg(target_arch = "wasm32")]
        $crate::driver::bindings::__export_driver!(__NetrunDriverExport);
    };
}
