//! A platform definition (from a driver plugin) compiled for the transport:
//! prompt and pager patterns as regexes, and the mode graph.

use regex_automata::meta;
use regex_syntax::hir::Hir;
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

/// Why a driver's platform definition does not compile; each names the
/// platform and what to fix, for the driver's author.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlatformError {
    /// A prompt, challenge or pager pattern that is not a regex.
    #[error("platform {platform}: {what} pattern `{pattern}` is not a valid regex: {source}")]
    BadPattern {
        /// The platform.
        platform: String,
        /// Which pattern (`mode exec prompt`, `pager`, …).
        what: String,
        /// The pattern as declared.
        pattern: String,
        /// What the regex compiler said.
        source: regex::Error,
    },
    /// A transition, default or configuration mode naming no declared mode.
    #[error("platform {platform}: mode `{mode}` is referenced but not defined")]
    UnknownMode {
        /// The platform.
        platform: String,
        /// The mode named.
        mode: String,
    },
    /// No mode at all.
    #[error("platform {0} defines no modes")]
    NoModes(String),
    /// Its configuration mechanics do not compile.
    #[error("platform {platform}: {source}")]
    Config {
        /// The platform.
        platform: String,
        /// What is wrong with them.
        source: super::config_mechanics::ConfigMechanicsError,
    },
}

/// Which secret answers a challenge; the transport looks the value up in
/// the device's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecretKind {
    /// The login password.
    Password,
    /// The enable secret.
    EnableSecret,
}

/// A prompt that may interrupt a transition, and its answer.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Pattern matched against the last line received.
    pub prompt: Pattern,
    /// The secret typed in answer.
    pub answer: SecretKind,
}

/// How to reach a neighbouring mode.
#[derive(Debug, Clone)]
pub struct Transition {
    /// Index of the target mode in [`Platform::modes`].
    pub to: usize,
    /// Input sent.
    pub send: String,
    /// Optional secret prompt.
    pub challenge: Option<Challenge>,
}

/// One CLI mode.
#[derive(Debug, Clone)]
pub struct Mode {
    /// Mode name from the driver (`privileged-exec`).
    pub name: String,
    /// Prompt pattern matched against the last `lines` lines received.
    pub prompt: Pattern,
    /// Lines the prompt spans: one, or one more for each `\n` its pattern
    /// matches (SR OS MD-CLI's context line above the prompt).
    pub lines: usize,
    /// Outgoing transitions.
    pub transitions: Vec<Transition>,
}

/// A pager prompt and the keys that continue output.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Pattern matched against the last line received.
    pub pattern: Pattern,
    /// Keys sent to continue.
    pub keys: String,
}

/// A compiled platform.
#[derive(Debug, Clone)]
pub struct Platform {
    /// `device_type` name.
    pub name: String,
    /// Modes; indices are stable.
    pub modes: Vec<Mode>,
    /// Index of the default mode.
    pub default_mode: usize,
    /// Index of the configuration mode.
    pub configuration_mode: usize,
    /// Commands sent after login in the default mode.
    pub on_open: Vec<String>,
    /// Commands sent before closing.
    pub on_close: Vec<String>,
    /// Pager prompts.
    pub pagers: Vec<Pager>,
    /// Substrings that mark a command as refused.
    pub failure_indicators: Vec<String>,
    /// Typed after every input.
    pub line_ending: String,
    /// The most lines any mode's prompt spans (1 for most platforms).
    pub prompt_lines: usize,
    /// Other platforms a device may turn out to speak, told by its first
    /// prompt after login (SR OS: MD-CLI or classic under one name).
    pub variants: Vec<Variant>,
    /// How configuration is read, changed and rolled back, where the driver
    /// declares it (contract 0.2).
    pub config: Option<super::config_mechanics::ConfigMechanics>,
}

/// Another platform a device of this one may speak.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Pattern matched against the last line of the first prompt.
    pub prompt: Pattern,
    /// The platform's name.
    pub name: String,
    /// The platform, once the runtime found it among the installed drivers.
    pub platform: Option<Arc<Platform>>,
}

/// Plain-data form of a platform, as a driver plugin declares it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSpec {
    /// `device_type` name.
    pub name: String,
    /// Default mode name.
    pub default_mode: String,
    /// Configuration mode name.
    pub configuration_mode: String,
    /// (name, prompt pattern, transitions: (to, send, challenge (prompt, secret))).
    pub modes: Vec<ModeSpec>,
    /// On-open commands.
    pub on_open: Vec<String>,
    /// On-close commands.
    pub on_close: Vec<String>,
    /// (pattern, keys).
    pub pagers: Vec<(String, String)>,
    /// Failure indicators.
    pub failure_indicators: Vec<String>,
    /// Line ending.
    pub line_ending: String,
    /// (prompt pattern, platform): another platform a device turns out to
    /// speak, told by its first prompt (contract 0.2; none in 0.1).
    #[serde(default)]
    pub variants: Vec<(String, String)>,
}

/// Plain-data form of a mode.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeSpec {
    /// Name.
    pub name: String,
    /// Prompt pattern.
    pub prompt: String,
    /// Transitions to neighbouring modes.
    pub transitions: Vec<TransitionSpec>,
}

/// Plain-data form of a transition.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionSpec {
    /// Target mode name.
    pub to: String,
    /// Input sent.
    pub send: String,
    /// Optional challenge: prompt pattern and the secret that answers it.
    pub challenge: Option<(String, SecretKind)>,
}

impl TransitionSpec {
    /// A transition to `to` by sending `send`, with an optional challenge.
    pub fn new(to: &str, send: &str, challenge: Option<(&str, SecretKind)>) -> Self {
        TransitionSpec {
            to: to.into(),
            send: send.into(),
            challenge: challenge.map(|(p, k)| (p.into(), k)),
        }
    }
}

/// Lines a prompt pattern spans: one more for each line break it matches
/// (`\n` outside a character class), at most four.
fn prompt_lines(pattern: &str) -> usize {
    let mut breaks = 0;
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next();
                breaks += usize::from(escaped == Some('n') && !in_class);
            }
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
    }
    (1 + breaks).min(4)
}

/// The last `lines` lines of `text` (all of it when it has fewer).
pub fn tail_lines(text: &str, lines: usize) -> &str {
    match text.rmatch_indices('\n').nth(lines.saturating_sub(1)) {
        Some((i, _)) => &text[i + 1..],
        None => text,
    }
}

/// A pattern matched against device text (prompts, pagers, challenges,
/// configuration output), made by [`device_pattern`]: checked when made,
/// compiled the first time it is matched (once for all the sessions
/// sharing it), so patterns a run never meets cost nothing: the
/// configuration mechanics of a platform in a run that changes nothing,
/// the challenge of a mode never entered.
#[derive(Clone)]
pub struct Pattern {
    /// As declared.
    text: Arc<str>,
    /// What is compiled: `text` with ASCII classes, parsed.
    hir: Arc<Hir>,
    compiled: Arc<OnceLock<Option<meta::Regex>>>,
}

impl std::fmt::Debug for Pattern {
    /// The pattern as declared, as `regex::Regex` shows itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.as_str()).finish()
    }
}

impl Pattern {
    /// Whether it matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    /// The byte range of its leftmost-first match in `text`.
    pub fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        self.regex()?.find(text).map(|m| m.range())
    }

    /// The pattern as declared.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn regex(&self) -> Option<&meta::Regex> {
        self.compiled
            .get_or_init(|| match build(&self.hir) {
                Ok(re) => Some(re),
                // Past the syntax check only a pattern over the size limit
                // (10 MB of automaton) fails here.
                Err(e) => {
                    tracing::error!(pattern = %self.text, "the pattern does not compile, so it matches nothing: {e}");
                    None
                }
            })
            .as_ref()
    }
}

/// Compile `source` with the regex crate's engines (lazy DFA, one-pass,
/// PikeVM) and limits, but no fully compiled DFA: the `regex` crate builds
/// one for every small pattern, a third of the compile time of a platform
/// (`(?i)^\s*password:\s*$` 107 µs with it, 25 µs without) to speed up
/// searches of a line or two, where the lazy DFA is as fast.
fn build(hir: &Hir) -> Result<meta::Regex, Box<meta::BuildError>> {
    meta::Regex::builder()
        .configure(
            meta::Config::new()
                .dfa(false)
                .nfa_size_limit(Some(10 * (1 << 20)))
                .hybrid_cache_capacity(2 * (1 << 20)),
        )
        .build_from_hir(hir)
        .map_err(Box::new)
}

/// A pattern matched against device text (prompts, pagers, challenges,
/// configuration output) with `\w`, `\d` and `\s` as ASCII classes, the
/// rest as written. Prompts are ASCII, and a Unicode class under a bounded
/// repeat explodes: `^[\w.\-@/:+]{1,63}#\s*$` takes 40 ms to compile and
/// 3 µs a match with Unicode `\w`, 0.07 ms and 65 ns with ASCII `\w`
/// (release build); the 127 patterns of the first-party platforms took
/// 1.6 s to compile. On ASCII text both match the same lines; `[^\]]` or
/// `\S` still match non-ASCII text (a path in a shell prompt). The error,
/// for a pattern that is not a regex, is the regex crate's, which shows
/// where it is wrong.
pub fn device_pattern(p: &str) -> Result<Pattern, regex::Error> {
    use regex_syntax::hir::translate::Translator;
    let parse = || regex_syntax::ast::parse::Parser::new().parse(p).ok();
    let translate = |ast: &regex_syntax::ast::Ast| Translator::new().translate(p, ast).ok();
    let hir = parse()
        .and_then(|mut ast| {
            ascii_classes(&mut ast);
            translate(&ast)
        })
        // Where the ASCII classes do not translate, as written.
        .or_else(|| parse().and_then(|ast| translate(&ast)));
    match hir {
        Some(hir) => Ok(Pattern {
            text: p.into(),
            hir: Arc::new(hir),
            compiled: Arc::new(OnceLock::new()),
        }),
        None => Err(match regex::Regex::new(p) {
            Err(error) => error,
            Ok(_) => regex::Error::Syntax(format!("`{p}` does not parse")),
        }),
    }
}

/// The Perl classes (`\w`, `\D`, …) of `ast` rewritten as the POSIX ASCII
/// classes of the same meaning (`[[:word:]]`, `[[:^digit:]]`, …).
fn ascii_classes(ast: &mut regex_syntax::ast::Ast) {
    use regex_syntax::ast::{
        Ast, ClassAscii, ClassAsciiKind, ClassBracketed, ClassPerl, ClassPerlKind, ClassSet,
        ClassSetItem,
    };
    fn ascii(c: &ClassPerl) -> ClassAscii {
        ClassAscii {
            span: c.span,
            kind: match c.kind {
                ClassPerlKind::Digit => ClassAsciiKind::Digit,
                ClassPerlKind::Space => ClassAsciiKind::Space,
                ClassPerlKind::Word => ClassAsciiKind::Word,
            },
            negated: c.negated,
        }
    }
    fn in_set(set: &mut ClassSet) {
        match set {
            ClassSet::Item(item) => in_item(item),
            ClassSet::BinaryOp(op) => {
                in_set(&mut op.lhs);
                in_set(&mut op.rhs);
            }
        }
    }
    fn in_item(item: &mut ClassSetItem) {
        match item {
            ClassSetItem::Perl(c) => *item = ClassSetItem::Ascii(ascii(c)),
            ClassSetItem::Bracketed(b) => in_set(&mut b.kind),
            ClassSetItem::Union(u) => u.items.iter_mut().for_each(in_item),
            _ => {}
        }
    }
    fn walk(ast: &mut Ast) {
        match ast {
            Ast::ClassPerl(c) => {
                let class = ascii(c);
                *ast = Ast::ClassBracketed(Box::new(ClassBracketed {
                    span: class.span,
                    negated: false,
                    kind: ClassSet::Item(ClassSetItem::Ascii(class)),
                }));
            }
            Ast::ClassBracketed(b) => in_set(&mut b.kind),
            Ast::Repetition(r) => walk(&mut r.ast),
            Ast::Group(g) => walk(&mut g.ast),
            Ast::Alternation(a) => a.asts.iter_mut().for_each(walk),
            Ast::Concat(c) => c.asts.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(ast);
}

impl Platform {
    /// Compile a driver's declaration. The error names the platform, the mode
    /// and the pattern that is wrong, for the driver's author.
    pub fn compile(spec: &PlatformSpec) -> Result<Platform, PlatformError> {
        let re = |what: &str, p: &str| {
            device_pattern(p).map_err(|source| PlatformError::BadPattern {
                platform: spec.name.clone(),
                what: what.to_string(),
                pattern: p.to_string(),
                source,
            })
        };
        let index = |name: &str| {
            spec.modes
                .iter()
                .position(|m| m.name == name)
                .ok_or_else(|| PlatformError::UnknownMode {
                    platform: spec.name.clone(),
                    mode: name.to_string(),
                })
        };
        let mut modes = Vec::with_capacity(spec.modes.len());
        for m in &spec.modes {
            let mut transitions = Vec::new();
            for TransitionSpec {
                to,
                send,
                challenge,
            } in &m.transitions
            {
                transitions.push(Transition {
                    to: index(to)?,
                    send: send.clone(),
                    challenge: match challenge {
                        Some((p, answer)) => Some(Challenge {
                            prompt: re(&format!("mode {} challenge", m.name), p)?,
                            answer: *answer,
                        }),
                        None => None,
                    },
                });
            }
            modes.push(Mode {
                name: m.name.clone(),
                prompt: re(&format!("mode {} prompt", m.name), &m.prompt)?,
                lines: prompt_lines(&m.prompt),
                transitions,
            });
        }
        if modes.is_empty() {
            return Err(PlatformError::NoModes(spec.name.clone()));
        }
        let pagers = spec
            .pagers
            .iter()
            .map(|(p, keys)| {
                Ok(Pager {
                    pattern: re("pager", p)?,
                    keys: keys.clone(),
                })
            })
            .collect::<Result<_, PlatformError>>()?;
        let prompt_lines = modes.iter().map(|m| m.lines).max().unwrap_or(1);
        let variants = spec
            .variants
            .iter()
            .map(|(p, name)| {
                Ok(Variant {
                    prompt: re(&format!("variant {name}"), p)?,
                    name: name.clone(),
                    platform: None,
                })
            })
            .collect::<Result<_, PlatformError>>()?;
        Ok(Platform {
            name: spec.name.clone(),
            prompt_lines,
            variants,
            default_mode: index(&spec.default_mode)?,
            configuration_mode: index(&spec.configuration_mode)?,
            modes,
            on_open: spec.on_open.clone(),
            on_close: spec.on_close.clone(),
            pagers,
            failure_indicators: spec.failure_indicators.clone(),
            line_ending: if spec.line_ending.is_empty() {
                "\n".into()
            } else {
                spec.line_ending.clone()
            },
            config: None,
        })
    }

    /// The mode whose prompt matches the end of `text` (its last line, or
    /// its last lines for a prompt that spans several), most specific
    /// first: when two modes match, the later-declared one wins only if the
    /// earlier does not. `text` holds up to [`Platform::prompt_lines`] lines.
    pub fn mode_of(&self, text: &str) -> Option<usize> {
        self.modes
            .iter()
            .position(|m| m.prompt.is_match(tail_lines(text, m.lines)))
    }

    /// The platform a device whose first prompt ends in `text` speaks, where
    /// it is one of this platform's variants (found among the installed
    /// drivers).
    pub fn variant_of(&self, text: &str) -> Option<&Arc<Platform>> {
        let line = tail_lines(text, 1);
        self.variants
            .iter()
            .find(|v| v.prompt.is_match(line))
            .and_then(|v| v.platform.as_ref())
    }

    /// The pager whose pattern matches `line`.
    pub fn pager_of(&self, line: &str) -> Option<&Pager> {
        self.pagers.iter().find(|p| p.pattern.is_match(line))
    }

    /// Shortest path of transitions from `from` to `to` (breadth-first).
    pub fn path(&self, from: usize, to: usize) -> Option<Vec<&Transition>> {
        self.path_where(from, to, |_, _| true)
    }

    /// Shortest path from `from` to `to` taking only the transitions `usable`
    /// accepts (given the mode they leave and the transition).
    pub fn path_where(
        &self,
        from: usize,
        to: usize,
        usable: impl Fn(usize, &Transition) -> bool,
    ) -> Option<Vec<&Transition>> {
        if from == to {
            return Some(Vec::new());
        }
        let mut prev: Vec<Option<(usize, usize)>> = vec![None; self.modes.len()];
        let mut seen = vec![false; self.modes.len()];
        seen[from] = true;
        let mut queue = VecDeque::from([from]);
        while let Some(m) = queue.pop_front() {
            for (ti, t) in self.modes[m].transitions.iter().enumerate() {
                if !seen[t.to] && usable(m, t) {
                    seen[t.to] = true;
                    prev[t.to] = Some((m, ti));
                    if t.to == to {
                        let mut steps = Vec::new();
                        let mut at = to;
                        while let Some((pm, pti)) = prev[at] {
                            steps.push(&self.modes[pm].transitions[pti]);
                            at = pm;
                        }
                        steps.reverse();
                        return Some(steps);
                    }
                    queue.push_back(t.to);
                }
            }
        }
        None
    }

    /// The failure indicator contained anywhere in `output`, if any: for
    /// the steps of a configuration change, where a refusal may follow
    /// lines the device printed first (a commit's check), and a missed one
    /// would leave a change half made.
    pub fn failure_in<'a>(&'a self, output: &str) -> Option<&'a str> {
        self.failure_indicators
            .iter()
            .find(|f| output.contains(f.as_str()))
            .map(String::as_str)
    }

    /// The line refusing a command at the head of its `answer` (echo and
    /// prompt removed), if any. A CLI refuses a command at once: its
    /// message stands in the first lines of the answer, at most under a
    /// caret line pointing at the word (IOS `% Invalid input detected at
    /// '^' marker.`, Junos `syntax error, expecting <command>.`, a shell's
    /// `bash: x: command not found`). The same words further down are
    /// output, not a refusal: a log line (`show log` holding `error: `),
    /// a description in a configuration (`Error: ` on EXOS, `Fail!` on
    /// D-Link), a file a shell printed.
    pub fn refusal_in<'t>(&self, answer: &'t str) -> Option<&'t str> {
        answer
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(REFUSAL_HEAD_LINES)
            .find(|l| {
                self.failure_indicators
                    .iter()
                    .any(|f| l.contains(f.as_str()))
            })
            .map(str::trim)
    }
}

/// How many non-blank lines at the head of a command's answer can hold the
/// device's refusal of it ([`Platform::refusal_in`]): a caret line or two
/// (a long command the terminal wrapped), the message, and a line some
/// devices add after it (PAN-OS `Invalid syntax.`, FortiOS `Command fail.`).
const REFUSAL_HEAD_LINES: usize = 5;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn device_patterns_use_ascii_classes_and_stay_small() {
        let p = r"^[\w.\-@/:+]{1,63}\([a-z][\w.\-@/:+]{0,40}\)#\s*$";
        let small = |text: &str| regex::RegexBuilder::new(text).size_limit(1 << 20).build();
        assert!(small(p).is_err(), "Unicode \\w under {{1,63}} is megabytes");
        let mut ast = regex_syntax::ast::parse::Parser::new().parse(p).unwrap();
        ascii_classes(&mut ast);
        let mut ascii = String::new();
        regex_syntax::ast::print::Printer::new()
            .print(&ast, &mut ascii)
            .unwrap();
        assert!(small(&ascii).is_ok(), "{ascii}");
        let re = device_pattern(p).unwrap();
        assert!(re.is_match("core-sw1.lab(config-if)#"));
        assert!(re.is_match("R1(config-router-af)# "));
        assert!(!re.is_match("core-sw1.lab#"));
        // ASCII \w: a letter outside ASCII is not a word character…
        assert!(!device_pattern(r"^\w+#$").unwrap().is_match("r\u{e9}seau#"));
        // …but negated classes still match any text.
        let shell = device_pattern(r"^\[[\w.\-]+@[\w.\-]+ [^\]]+\]\$\s*$").unwrap();
        assert!(shell.is_match("[admin@web1 ~/donn\u{e9}es]$ "));
        assert!(
            device_pattern(r"^\S+ \D\W$")
                .unwrap()
                .is_match("\u{e9}t\u{e9} x!")
        );
        // Escapes, flags and groups survive the rewrite.
        let pager = device_pattern(r"(?i)^\s*-+\s?\(?more(?: \d+%)?\)?\s?-+\s*$").unwrap();
        assert!(pager.is_match(" --More-- "));
        assert!(pager.is_match("---(more 42%)---"));
        let named = device_pattern(r"(?P<host>[\w-]+)[>#]").unwrap();
        assert_eq!(named.find("sw-1#"), Some(0..5));
        // A pattern that does not parse gives the regex crate's error.
        assert!(device_pattern(r"^[\w+$").is_err());
        // As does one that could match bytes that are not UTF-8.
        assert!(device_pattern(r"(?-u:\xFF)").is_err());
    }

    #[test]
    fn a_pattern_is_compiled_once_when_first_matched() {
        let p = device_pattern(r"^\s*--\s?More\s?--\s*$").unwrap();
        assert!(p.compiled.get().is_none(), "not compiled when made");
        let shared = p.clone();
        assert!(shared.is_match(" --More-- "));
        assert!(p.compiled.get().is_some(), "compiled for every copy");
        assert_eq!(p.as_str(), r"^\s*--\s?More\s?--\s*$");
        assert_eq!(format!("{p:?}"), r#"Pattern("^\\s*--\\s?More\\s?--\\s*$")"#);
        // Over the size limit: it parses, and matches nothing (no panic).
        let huge = device_pattern(r"\w{1000}{1000}").unwrap();
        assert!(!huge.is_match(&"a".repeat(2000)));
        assert_eq!(huge.find("abc"), None);
    }

    /// An IOS-like platform for transport tests (the real one comes from the
    /// cisco-ios driver plugin).
    pub fn ios_like() -> Platform {
        let spec = PlatformSpec {
            name: "test_ios".into(),
            default_mode: "privileged-exec".into(),
            configuration_mode: "configuration".into(),
            modes: vec![
                ModeSpec {
                    name: "exec".into(),
                    prompt: r"^[\w.\-]{1,63}>\s*$".into(),
                    transitions: vec![TransitionSpec::new(
                        "privileged-exec",
                        "enable",
                        Some((r"(?i)password:\s*$", SecretKind::EnableSecret)),
                    )],
                },
                ModeSpec {
                    name: "privileged-exec".into(),
                    prompt: r"^[\w.\-]{1,63}#\s*$".into(),
                    transitions: vec![
                        TransitionSpec::new("exec", "disable", None),
                        TransitionSpec::new("configuration", "configure terminal", None),
                    ],
                },
                ModeSpec {
                    name: "configuration".into(),
                    prompt: r"^[\w.\-]{1,63}\(conf[\w.\-]*\)#\s*$".into(),
                    transitions: vec![TransitionSpec::new("privileged-exec", "end", None)],
                },
            ],
            on_open: vec!["terminal length 0".into()],
            on_close: vec!["exit".into()],
            pagers: vec![(r"--More--".into(), " ".into())],
            failure_indicators: vec!["% Invalid input".into()],
            line_ending: "\n".into(),
            variants: Vec::new(),
        };
        Platform::compile(&spec).unwrap()
    }

    #[test]
    fn a_refusal_is_read_at_the_head_of_a_commands_answer_only() {
        let mut p = ios_like();
        p.failure_indicators = vec![
            "% Invalid input".into(),
            "Error: ".into(),
            ": command not found".into(),
        ];
        // Under a caret line, after blank lines, as devices print it.
        assert_eq!(
            p.refusal_in("\n              ^\n% Invalid input detected at '^' marker.\n"),
            Some("% Invalid input detected at '^' marker.")
        );
        assert_eq!(
            p.refusal_in("\r\n  ^\r\nError: Bad command.\r\n"),
            Some("Error: Bad command.")
        );
        assert_eq!(
            p.refusal_in("bash: shw: command not found"),
            Some("bash: shw: command not found")
        );
        // The same words in output further down: a description in the
        // configuration, a log line.
        let config = "#\n# Module vlan configuration.\n#\nconfigure vlan default delete ports all\n\
                      create vlan \"users\"\nconfigure ports 1 description-string \"Error: flapping\"\n";
        assert_eq!(p.refusal_in(config), None);
        let log = "Dec  4 10:01:02 web-01 cron[811]: (root) CMD (run-parts)\n\
                   Dec  4 10:01:03 web-01 a[1]: b\nDec  4 10:01:04 web-01 a[1]: c\n\
                   Dec  4 10:01:05 web-01 a[1]: d\nDec  4 10:01:06 web-01 a[1]: e\n\
                   Dec  4 10:01:07 web-01 sh[912]: sh: 1: ntpq: command not found\n";
        assert_eq!(p.refusal_in(log), None);
        // A configuration step's output is still read whole.
        assert_eq!(p.failure_in(config), Some("Error: "));
        assert_eq!(p.refusal_in("Building configuration...\n[OK]"), None);
    }

    #[test]
    fn prompts_identify_their_mode() {
        let p = ios_like();
        assert_eq!(p.mode_of("r1>"), Some(0));
        assert_eq!(p.mode_of("r1#"), Some(1));
        assert_eq!(p.mode_of("r1(config-if)#"), Some(2));
        assert_eq!(p.mode_of("# banner with > and #"), None);
    }

    #[test]
    fn a_prompt_over_two_lines_is_matched_against_the_last_two() {
        let spec = PlatformSpec {
            name: "md".into(),
            default_mode: "exec".into(),
            configuration_mode: "configuration".into(),
            modes: vec![
                ModeSpec {
                    name: "configuration".into(),
                    prompt: r"^\*?\((?:ex|pr)\)\[[^\]\n]*\]\n[AB]:\S+@\S+#\s*$".into(),
                    transitions: vec![],
                },
                ModeSpec {
                    name: "exec".into(),
                    prompt: r"^\[[^\]\n]*\]\n[AB]:\S+@\S+#\s*$".into(),
                    transitions: vec![],
                },
            ],
            ..PlatformSpec::default()
        };
        let p = Platform::compile(&spec).unwrap();
        assert_eq!(p.prompt_lines, 2);
        assert_eq!(p.modes[0].lines, 2, "`\\n` in a class is not a line break");
        assert_eq!(p.mode_of("[/]\nA:admin@pe1# "), Some(1));
        assert_eq!(p.mode_of("*(pr)[/configure]\nA:admin@pe1# "), Some(0));
        assert_eq!(p.mode_of("output line\n[/]\nA:admin@pe1# "), Some(1));
        // The prompt line alone, or under an output line, is no prompt.
        assert_eq!(p.mode_of("A:admin@pe1# "), None);
        assert_eq!(p.mode_of("Loopback up\nA:admin@pe1# "), None);
    }

    #[test]
    fn a_variant_is_told_by_the_first_prompt_once_resolved() {
        let mut p = ios_like();
        p.variants = vec![Variant {
            prompt: device_pattern(r"^\*?[AB]:\S+@").unwrap(),
            name: "md".into(),
            platform: None,
        }];
        assert!(p.variant_of("A:admin@pe1# ").is_none(), "not resolved yet");
        p.variants[0].platform = Some(Arc::new(ios_like()));
        assert!(p.variant_of("banner\nA:admin@pe1# ").is_some());
        assert!(p.variant_of("A:pe1# ").is_none());
    }

    #[test]
    fn path_walks_through_privileged_to_configuration() {
        let p = ios_like();
        let path = p.path(0, 2).unwrap();
        let sends: Vec<&str> = path.iter().map(|t| t.send.as_str()).collect();
        assert_eq!(sends, vec!["enable", "configure terminal"]);
        assert!(p.path(1, 1).unwrap().is_empty());
    }

    #[test]
    fn bad_pattern_names_the_mode() {
        let mut spec = PlatformSpec {
            name: "x".into(),
            default_mode: "m".into(),
            configuration_mode: "m".into(),
            ..Default::default()
        };
        spec.modes.push(ModeSpec {
            name: "m".into(),
            prompt: "(".into(),
            transitions: vec![],
        });
        let err = Platform::compile(&spec).unwrap_err();
        assert!(
            matches!(&err, PlatformError::BadPattern { what, pattern, .. } if what == "mode m prompt" && pattern == "("),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("platform x: mode m prompt pattern `(` is not a valid regex"),
            "{err}"
        );
    }
}
