//! Fault injection: misbehaving devices for resilience tests.

use std::fmt;
use std::time::Duration;

use crate::device::SplitMix64;

/// A way a simulated device misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The port is closed: connections are refused (the port is bound but not listening).
    Refuse,
    /// Every password / keyboard-interactive / public-key attempt is rejected.
    AuthReject,
    /// TCP is accepted but the SSH identification banner is never sent.
    HangBeforeBanner,
    /// Authentication and the shell succeed, but no banner or prompt is ever printed.
    HangAfterLogin,
    /// The shell prints nothing (no banner, no prompt) until the client
    /// sends its first line, as a console line behind a terminal server or
    /// a device showing `Press RETURN to get started` does; that first line
    /// is taken as the keypress and not run.
    WaitForEnter,
    /// The shell's line editor takes only a carriage return as Enter and
    /// ignores a bare line feed, as a typed control character: what a
    /// terminal sends for the Enter key is `\r`, and line editors built for
    /// people (linenoise, Go's `x/term` before it learned `\n`, many
    /// embedded CLIs) read nothing else. A client that ends its lines with
    /// `\n` alone gets no answer. Goes with any other fault
    /// (`wait-for-enter` and `enter-is-cr` on one device: a console line
    /// that waits for a key and reads only `\r`).
    EnterIsCr,
    /// After SSH authentication the shell asks `User Name:` and `Password:`
    /// itself, as Cisco Small Business, Dell PowerConnect and Avaya ERS
    /// switches whose SSH login is not tied to their user table do (and a
    /// console behind a terminal server). SSH lets anyone in (method
    /// `none`, or any password); the lab's credentials typed in the shell
    /// open the CLI, others get `Authentication failed` and `User Name:`
    /// again.
    LoginInShell,
    /// After SSH login the shell asks only `Password:` (not echoed) and
    /// wants the lab's password, as a device's console line with a line
    /// password (`line con 0`, `password …`, `login`) does behind a
    /// terminal server, and IOS vty lines with `login` and a line password;
    /// a wrong one gets `Password:` again.
    PasswordInShell,
    /// After login the device asks its platform's question before the first
    /// prompt (Huawei VRP: change the initial password now? RouterOS: see
    /// the software licence? FortiOS: accept the post-login banner?) and
    /// waits: the answer that declines or accepts it, as the persona names
    /// it, opens the CLI; any other answer ends the session. A platform with
    /// no such question greets as usual.
    LoginQuestion,
    /// After login the shell says the account's password has expired and
    /// asks for a new one (IOS with local password ageing, a PAM account
    /// that must change its password), and answers nothing else.
    PasswordExpired,
    /// The connection is dropped halfway through the output of a command whose output
    /// is longer than a few lines (after the prompt was shown normally).
    DropMidOutput,
    /// Shell output is written slowly, at this many bytes per second.
    Drip {
        /// Output rate.
        bytes_per_sec: u32,
    },
    /// Not an SSH server: sends `HTTP/1.1 400 Bad Request\r\n\r\n` and closes.
    GarbageBanner,
    /// The device alternates up / down (connection refused, sessions dropped) each period,
    /// starting up.
    Flap {
        /// Length of each up and each down phase.
        period: Duration,
    },
    /// Each typed character is echoed in a packet of its own, this long
    /// after the one before (a terminal server passing keystrokes on, a
    /// line editor that redraws as it reads); answers come as usual.
    SlowEcho {
        /// Time between two echoed characters.
        per_char: Duration,
        /// The line end is not echoed alone but sent with the answer, in
        /// one packet (a CLI that prints the line break when it answers).
        line_end_with_answer: bool,
    },
    /// The device waits this long before answering each command line.
    Latency {
        /// Delay per command.
        per_command: Duration,
    },
    /// Configuration lines matching this regular expression are refused with the
    /// platform's own error (IOS `% Invalid input detected at '^' marker.`, Junos
    /// `syntax error.` …), e.g. to make one device of ten refuse a change.
    RejectLine {
        /// Regular expression, searched in the trimmed configuration line.
        pattern: String,
    },
    /// The device's flash is full: a copy of the running configuration to a
    /// file fails as IOS says it (`%Error opening flash:x (No space left on
    /// device)`); saving to startup-config still works.
    FlashFull,
}

/// Which devices a [`FaultRule`] applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSelector {
    /// These device names.
    Devices(Vec<String>),
    /// This percentage of the devices (0–100), chosen deterministically from the lab seed;
    /// the count is rounded to the nearest device.
    Percent(f64),
}

/// A fault applied to a selection of devices. When several rules select a device,
/// the first rule wins.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// The devices it applies to.
    pub selector: FaultSelector,
}

fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1_000) && ms > 0 {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

impl fmt::Display for Fault {
    /// The fault part of the spec grammar of [`parse_fault_spec`] (`drip=10`, `flap=30s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Refuse => f.write_str("refuse"),
            Fault::AuthReject => f.write_str("auth-reject"),
            Fault::HangBeforeBanner => f.write_str("hang-before-banner"),
            Fault::HangAfterLogin => f.write_str("hang-after-login"),
            Fault::WaitForEnter => f.write_str("wait-for-enter"),
            Fault::EnterIsCr => f.write_str("enter-is-cr"),
            Fault::LoginInShell => f.write_str("login-in-shell"),
            Fault::PasswordInShell => f.write_str("password-in-shell"),
            Fault::LoginQuestion => f.write_str("login-question"),
            Fault::PasswordExpired => f.write_str("password-expired"),
            Fault::DropMidOutput => f.write_str("drop-mid-output"),
            Fault::Drip { bytes_per_sec } => write!(f, "drip={bytes_per_sec}"),
            Fault::GarbageBanner => f.write_str("garbage-banner"),
            Fault::Flap { period } => write!(f, "flap={}", fmt_duration(*period)),
            Fault::SlowEcho {
                per_char,
                line_end_with_answer,
            } => {
                let kind = match line_end_with_answer {
                    true => "slow-echo-joined",
                    false => "slow-echo",
                };
                write!(f, "{kind}={}", fmt_duration(*per_char))
            }
            Fault::Latency { per_command } => write!(f, "latency={}", fmt_duration(*per_command)),
            Fault::RejectLine { pattern } => write!(f, "reject-line={pattern}"),
            Fault::FlashFull => f.write_str("flash-full"),
        }
    }
}

/// Parses a duration like `500ms`, `30s`, `1.5s`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        return Err(format!("duration `{s}` needs a unit (ms, s or m)"));
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration `{s}`"))?;
    if !v.is_finite() || v < 0.0 || v * scale > 1e9 {
        return Err(format!("bad duration `{s}`"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Parses a fault spec as given on the command line.
///
/// Grammar:
///
/// ```text
/// spec     = fault [ ":" selector ]          (no selector = every device)
/// fault    = "refuse" | "auth-reject" | "hang-before-banner" | "hang-after-login"
///          | "wait-for-enter" | "enter-is-cr" | "login-in-shell" | "password-in-shell"
///          | "login-question" | "password-expired"
///          | "drop-mid-output" | "garbage-banner" | "flash-full"
///          | "drip=" BYTES_PER_SEC           (positive integer)
///          | "flap=" DURATION                (up and down phase length)
///          | "latency=" DURATION             (delay before each command's answer)
///          | "slow-echo=" DURATION           (each typed character echoed alone,
///                                             this long after the one before)
///          | "slow-echo-joined=" DURATION    (so, the line end sent in one packet
///                                             with the answer)
///          | "reject-line=" REGEX            (configuration lines matching it are
///                                             refused with the platform's error;
///                                             the selector comes after the last `:`)
/// selector = NAME { "," NAME }               (device names, e.g. r003,r007)
///          | PERCENT "%"                     (0-100, may be fractional; chosen by seed)
///          | "all"
/// DURATION = NUMBER ( "ms" | "s" | "m" )     (e.g. 500ms, 30s, 1.5s, 2m)
/// ```
///
/// Examples: `auth-reject:r003,r007`, `hang-after-login:5%`, `drip=10:r004`,
/// `latency=500ms:10%`, `flap=30s:r009`, `refuse:all`, `reject-line=^ntp server:r003`.
pub fn parse_fault_spec(s: &str) -> Result<FaultRule, String> {
    let s = s.trim();
    // A pattern may hold `:` (IPv6 addresses): its selector is after the last one.
    let split = if s.to_ascii_lowercase().starts_with("reject-line=") {
        s.rsplit_once(':')
    } else {
        s.split_once(':')
    };
    let (fault_part, sel_part) = match split {
        Some((f, sel)) => (f.trim(), Some(sel.trim())),
        None => (s, None),
    };
    let (kind, value) = match fault_part.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (fault_part, None),
    };
    let need = |what: &str| value.ok_or_else(|| format!("`{kind}` needs a value: {kind}={what}"));
    let fault = match kind.to_ascii_lowercase().as_str() {
        "refuse" => Fault::Refuse,
        "auth-reject" => Fault::AuthReject,
        "hang-before-banner" => Fault::HangBeforeBanner,
        "hang-after-login" => Fault::HangAfterLogin,
        "wait-for-enter" => Fault::WaitForEnter,
        "enter-is-cr" => Fault::EnterIsCr,
        "login-in-shell" => Fault::LoginInShell,
        "password-in-shell" => Fault::PasswordInShell,
        "login-question" => Fault::LoginQuestion,
        "password-expired" => Fault::PasswordExpired,
        "drop-mid-output" => Fault::DropMidOutput,
        "garbage-banner" => Fault::GarbageBanner,
        "flash-full" => Fault::FlashFull,
        "drip" => {
            let v = need("BYTES_PER_SEC")?;
            let bytes_per_sec: u32 = v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("bad drip rate `{v}` (positive bytes per second)"))?;
            Fault::Drip { bytes_per_sec }
        }
        "flap" => {
            let period = parse_duration(need("DURATION")?)?;
            if period.is_zero() {
                return Err("flap period must be positive".into());
            }
            Fault::Flap { period }
        }
        "latency" => Fault::Latency {
            per_command: parse_duration(need("DURATION")?)?,
        },
        "slow-echo" | "slow-echo-joined" => Fault::SlowEcho {
            per_char: parse_duration(need("DURATION")?)?,
            line_end_with_answer: kind == "slow-echo-joined",
        },
        "reject-line" => {
            let pattern = need("REGEX")?.to_string();
            regex::Regex::new(&pattern)
                .map_err(|e| format!("bad reject-line pattern `{pattern}`: {e}"))?;
            Fault::RejectLine { pattern }
        }
        other => return Err(format!("unknown fault `{other}`")),
    };
    if value.is_some()
        && !matches!(
            kind,
            "drip" | "flap" | "latency" | "slow-echo" | "slow-echo-joined" | "reject-line"
        )
    {
        return Err(format!("fault `{kind}` takes no value"));
    }
    let selector = match sel_part {
        None | Some("all") | Some("*") => FaultSelector::Percent(100.0),
        Some("") => return Err("empty device selector".into()),
        Some(sel) => {
            if let Some(p) = sel.strip_suffix('%') {
                let v: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad percentage `{sel}`"))?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(format!("percentage out of range: `{sel}`"));
                }
                FaultSelector::Percent(v)
            } else {
                let names: Vec<String> = sel
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect();
                if names.is_empty() {
                    return Err("empty device selector".into());
                }
                FaultSelector::Devices(names)
            }
        }
    };
    Ok(FaultRule { fault, selector })
}

/// Which faults each device has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assigned {
    /// One optional fault per device (the first matching rule wins).
    pub faults: Vec<Option<Fault>>,
    /// Per device, whether its line editor takes only a carriage return as
    /// Enter: [`Fault::EnterIsCr`] goes with any other fault (a console
    /// line that waits for a key and reads only `\r`).
    pub enter_is_cr: Vec<bool>,
}

/// Resolves rules to the faults of each device.
pub(crate) fn assign(rules: &[FaultRule], names: &[String], seed: u64) -> Result<Assigned, String> {
    let mut out: Vec<Option<Fault>> = vec![None; names.len()];
    let mut enter_is_cr = vec![false; names.len()];
    for (r, rule) in rules.iter().enumerate() {
        let chosen: Vec<usize> = match &rule.selector {
            FaultSelector::Devices(list) => list
                .iter()
                .map(|n| {
                    names
                        .iter()
                        .position(|x| x == n)
                        .ok_or_else(|| format!("fault rule names unknown device `{n}`"))
                })
                .collect::<Result<_, _>>()?,
            FaultSelector::Percent(p) => {
                if !(0.0..=100.0).contains(p) {
                    return Err(format!("fault percentage out of range: {p}"));
                }
                let count = ((names.len() as f64) * p / 100.0).round() as usize;
                let mut idx: Vec<usize> = (0..names.len()).collect();
                let mut rng = SplitMix64::new(seed, r as u64, 0xFA17);
                for i in (1..idx.len()).rev() {
                    let j = rng.below(i as u64 + 1) as usize;
                    idx.swap(i, j);
                }
                idx.truncate(count.min(names.len()));
                idx
            }
        };
        for i in chosen {
            if rule.fault == Fault::EnterIsCr {
                enter_is_cr[i] = true;
            } else if out[i].is_none() {
                out[i] = Some(rule.fault.clone());
            }
        }
    }
    Ok(Assigned {
        faults: out,
        enter_is_cr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_examples() {
        let r = parse_fault_spec("auth-reject:r003,r007").unwrap();
        assert_eq!(r.fault, Fault::AuthReject);
        assert_eq!(
            r.selector,
            FaultSelector::Devices(vec!["r003".into(), "r007".into()])
        );
        let r = parse_fault_spec("hang-after-login:5%").unwrap();
        assert_eq!(r.selector, FaultSelector::Percent(5.0));
        let r = parse_fault_spec("drip=10:r004").unwrap();
        assert_eq!(r.fault, Fault::Drip { bytes_per_sec: 10 });
        let r = parse_fault_spec("latency=500ms:10%").unwrap();
        assert_eq!(
            r.fault,
            Fault::Latency {
                per_command: Duration::from_millis(500)
            }
        );
        let r = parse_fault_spec("slow-echo=10ms:r002").unwrap();
        assert_eq!(
            r.fault,
            Fault::SlowEcho {
                per_char: Duration::from_millis(10),
                line_end_with_answer: false,
            }
        );
        assert_eq!(r.fault.to_string(), "slow-echo=10ms");
        assert!(parse_fault_spec("slow-echo:r002").is_err());
        let r = parse_fault_spec("slow-echo-joined=5ms:r001").unwrap();
        assert_eq!(
            r.fault,
            Fault::SlowEcho {
                per_char: Duration::from_millis(5),
                line_end_with_answer: true,
            }
        );
        assert_eq!(r.fault.to_string(), "slow-echo-joined=5ms");
        assert!(parse_fault_spec("slow-echo-joined:r001").is_err());
        let r = parse_fault_spec("flap=30s:r009").unwrap();
        assert_eq!(
            r.fault,
            Fault::Flap {
                period: Duration::from_secs(30)
            }
        );
        assert_eq!(r.fault.to_string(), "flap=30s");
        assert_eq!(
            parse_fault_spec("refuse").unwrap().selector,
            FaultSelector::Percent(100.0)
        );
        let r = parse_fault_spec("reject-line=^ntp server 2001:db8::1:r003").unwrap();
        assert_eq!(
            r.fault,
            Fault::RejectLine {
                pattern: "^ntp server 2001:db8::1".into()
            }
        );
        assert_eq!(r.selector, FaultSelector::Devices(vec!["r003".into()]));
        assert!(parse_fault_spec("reject-line=([:r001").is_err());
        let r = parse_fault_spec("flash-full:r002").unwrap();
        assert_eq!(r.fault, Fault::FlashFull);
        assert_eq!(r.fault.to_string(), "flash-full");
        assert!(parse_fault_spec("flash-full=1:r002").is_err());
        let r = parse_fault_spec("password-expired:r001").unwrap();
        assert_eq!(r.fault.to_string(), "password-expired");
        let r = parse_fault_spec("login-question:huawei001").unwrap();
        assert_eq!(r.fault, Fault::LoginQuestion);
        assert_eq!(r.fault.to_string(), "login-question");
        let r = parse_fault_spec("wait-for-enter:r001").unwrap();
        assert_eq!(r.fault, Fault::WaitForEnter);
        assert_eq!(r.fault.to_string(), "wait-for-enter");
        let r = parse_fault_spec("enter-is-cr:r003").unwrap();
        assert_eq!(r.fault, Fault::EnterIsCr);
        assert_eq!(r.fault.to_string(), "enter-is-cr");
        let r = parse_fault_spec("login-in-shell:r002").unwrap();
        assert_eq!(r.fault, Fault::LoginInShell);
        assert_eq!(r.fault.to_string(), "login-in-shell");
        let r = parse_fault_spec("password-in-shell:r002").unwrap();
        assert_eq!(r.fault, Fault::PasswordInShell);
        assert_eq!(r.fault.to_string(), "password-in-shell");
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "nope:r001",
            "drip:r001",
            "drip=0:r001",
            "latency=5:r001",
            "refuse=3:r001",
            "refuse:",
            "refuse:150%",
            "flap=0s",
        ] {
            assert!(parse_fault_spec(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn assignment_is_deterministic() {
        let names: Vec<String> = (1..=100).map(|i| format!("r{i:03}")).collect();
        let rules = vec![
            parse_fault_spec("refuse:r001").unwrap(),
            parse_fault_spec("latency=1s:10%").unwrap(),
        ];
        let a = assign(&rules, &names, 5).unwrap();
        let b = assign(&rules, &names, 5).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.faults[0], Some(Fault::Refuse));
        let latency = a
            .faults
            .iter()
            .filter(|f| matches!(f, Some(Fault::Latency { .. })))
            .count();
        assert!((9..=10).contains(&latency), "{latency}");
        assert!(assign(&[parse_fault_spec("refuse:r999").unwrap()], &names, 5).is_err());
    }

    #[test]
    fn enter_is_cr_goes_with_another_fault() {
        let names: Vec<String> = (1..=3).map(|i| format!("r{i:03}")).collect();
        let rules = vec![
            parse_fault_spec("enter-is-cr:r001,r002").unwrap(),
            parse_fault_spec("wait-for-enter:r001").unwrap(),
        ];
        let a = assign(&rules, &names, 5).unwrap();
        assert_eq!(a.faults, vec![Some(Fault::WaitForEnter), None, None]);
        assert_eq!(a.enter_is_cr, vec![true, true, false]);
    }
}
