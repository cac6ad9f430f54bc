//! `show version`.
//!
//! Output: one JSON object (IOS 12.x/15.x, IOS-XE 3.x/16.x/17.x, routers,
//! switches and switch stacks):
//!
//! ```json
//! {"software_image": "CAT9K_IOSXE", "version": "17.03.04a",
//!  "rommon": "17.3.2r[FC2]", "hostname": "SW1",
//!  "uptime": "1 year, 8 weeks, 2 days, 3 hours, 44 minutes",
//!  "uptime_years": 1, "uptime_weeks": 8, "uptime_days": 2,
//!  "uptime_hours": 3, "uptime_minutes": 44,
//!  "reload_reason": "Reload Command", "running_image": "packages.conf",
//!  "hardware": ["C9300-48P"], "serial": ["FOC2318X0E1"],
//!  "config_register": "0x102", "mac_address": ["2c:ab:eb:4e:2d:80"],
//!  "restarted": "10:46:12 UTC Wed Feb 2 2022"}
//! ```
//!
//! Field by field:
//! * `version`: on IOS-XE the release of the `Cisco IOS XE Software, Version
//!   17.03.04a` line; otherwise the `Version` of the `Cisco IOS Software, …
//!   (IMAGE), Version 15.0(2)SE11, …` line (or `IOS (tm) …` on 12.x).
//!   `software_image` is the IMAGE between the parentheses of that line.
//! * `rommon`: the version on the `ROM:` line (`15.0(1r)M16`, `16.9(4r)`);
//!   when that line names no version (`IOS-XE ROMMON`, `Bootstrap program is
//!   … boot loader`), the version of the `BOOTLDR:` line, else the `ROM:`
//!   text itself.
//! * `hostname`, `uptime`, `uptime_*`: from `<host> uptime is …`; the
//!   components are integers, 0 when the device does not print them.
//! * `reload_reason`: `Last reload reason: …` when printed, else the reason
//!   of `System returned to ROM by …` without its trailing timestamp.
//! * `running_image`: the `System image file is "…"` path without its
//!   file-system prefix (`flash:`), as ntc-templates does.
//! * `hardware`: one model per chassis or stack member: the models of the
//!   `Switch Ports Model …` table, else the `Model number :` lines, else the
//!   `cisco <MODEL> (…) processor` line.
//! * `serial`: the `System serial number :` lines (one per stack member), else
//!   `Processor board ID`.
//! * `mac_address`: the `Base ethernet MAC Address :` lines (switches only),
//!   as printed.
//! * `restarted`: the time of `System restarted at …`.

use std::sync::LazyLock;

use netrun_guest::text::re;
use regex::Regex;
use serde_json::{Map, Value, json};

use super::{ParseError, excerpt, lines};

const COMMAND: &str = "show version";

static XE_VERSION: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Cisco IOS[ -]XE Software, Version\s+(\S+)"));
static SOFTWARE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:Cisco IOS Software(?:\s*\[[^\]]*\])?,|IOS \(tm\))\s.*?Software\s*\(([^)]+)\),?\s*Version\s+([^,\s]+)",
    )
});
static VERSION_IN: LazyLock<Regex> = LazyLock::new(|| re(r"\bVersion\s+([^,\s]+)"));
static PROCESSOR: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[Cc]isco\s+(\S+)\s+\([^)]*\)\s+(?:processor|with)\b"));
static SWITCH_DETAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(base ethernet mac address|model number|system serial number)\s*:\s*(\S+)")
});
static SWITCH_TABLE_HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Switch\s+Ports\s+Model\s+SW Version\s+SW Image"));
static SWITCH_ROW: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\*?\s*(\d+)\s+(\d+)\s+(\S+)\s+\S+\s+\S+"));

/// A `Label value` line read with string operations rather than a regex:
/// this parser runs once a device on every sweep, and capture groups
/// with lazy quantifiers (`\s*(.*?)\s*$`) cost more inside a plugin than
/// everything else the parser does.
struct Field {
    /// The literal the line begins with.
    prefix: &'static str,
    /// Turns the text after `prefix` into the value, or rules the line out.
    value: fn(&str) -> Option<&str>,
}

/// The rest, trimmed (`ROM: Bootstrap program is …`); an empty rest counts.
fn trimmed(rest: &str) -> Option<&str> {
    Some(rest.trim())
}

/// The rest after at least one blank, trimmed, not empty.
fn spaced(rest: &str) -> Option<&str> {
    let value = rest.strip_prefix(char::is_whitespace)?.trim();
    (!value.is_empty()).then_some(value)
}

/// The rest, trimmed, not empty (a colon may sit right before it).
fn nonempty(rest: &str) -> Option<&str> {
    let value = rest.trim();
    (!value.is_empty()).then_some(value)
}

/// The first word after at least one blank (`Processor board ID FOC1234`).
fn word(rest: &str) -> Option<&str> {
    spaced(rest)?.split_whitespace().next()
}

/// The text between the quotes after at least one blank.
fn quoted(rest: &str) -> Option<&str> {
    let inner = spaced(rest)?.strip_prefix('"')?;
    inner.find('"').map(|end| &inner[..end])
}

/// The reason, without the ` at 10:54:38 PST Mon Feb 24 2014` that
/// follows it on most releases.
fn reason(rest: &str) -> Option<&str> {
    let value = spaced(rest)?;
    let timestamp = |i: usize| {
        value[i..]
            .trim_start()
            .strip_prefix("at")
            .and_then(|after| after.strip_prefix(char::is_whitespace))
            .is_some_and(|after| starts_with_clock(after.trim_start()))
    };
    let cut = value
        .char_indices()
        .find(|&(i, c)| i > 0 && c.is_whitespace() && timestamp(i))
        .map(|(i, _)| i);
    Some(cut.map_or(value, |i| value[..i].trim_end()))
}

/// `H:MM:SS` or `HH:MM:SS` at the start of `text`.
fn starts_with_clock(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let hours = if digits(0, 2) {
        2
    } else {
        usize::from(digits(0, 1))
    };
    hours > 0
        && b.get(hours) == Some(&b':')
        && digits(hours + 1, 2)
        && b.get(hours + 3) == Some(&b':')
        && digits(hours + 4, 2)
}

static ROM: Field = Field {
    prefix: "ROM:",
    value: trimmed,
};
static BOOTLDR: Field = Field {
    prefix: "BOOTLDR:",
    value: trimmed,
};
static RETURNED: Field = Field {
    prefix: "System returned to ROM by",
    value: reason,
};
static LAST_RELOAD_REASON: Field = Field {
    prefix: "Last reload reason:",
    value: nonempty,
};
static RESTARTED: Field = Field {
    prefix: "System restarted at",
    value: spaced,
};
static IMAGE: Field = Field {
    prefix: "System image file is",
    value: quoted,
};
static BOARD_ID: Field = Field {
    prefix: "Processor board ID",
    value: word,
};
static CONFIG_REGISTER: Field = Field {
    prefix: "Configuration register is",
    value: word,
};

/// `R1 uptime is 1 year, 2 weeks, …`: the host name (the line's first
/// word) and the uptime text.
fn uptime_line(line: &str) -> Option<(&str, &str)> {
    let (host, rest) = line.split_once(char::is_whitespace)?;
    if host.is_empty() {
        return None;
    }
    let uptime = rest.trim_start().strip_prefix("uptime is")?;
    Some((host, spaced(uptime)?))
}

/// The count before `unit` (`3 days` → 3) in an uptime text.
fn uptime_part(uptime: &str, unit: &str) -> Option<u64> {
    let words: Vec<&str> = uptime.split_whitespace().collect();
    words.windows(2).find_map(|pair| {
        let name = pair[1].trim_end_matches(|c: char| !c.is_alphanumeric());
        let name = name.strip_suffix('s').unwrap_or(name);
        (name == unit).then(|| pair[0].parse().ok()).flatten()
    })
}

/// Where we are in the `Switch Ports Model SW Version SW Image` table.
#[derive(PartialEq)]
enum Table {
    Outside,
    Header,
    Rows,
}

#[derive(Default)]
struct Facts {
    xe_version: Option<String>,
    software: Option<(String, String)>,
    rom: Option<String>,
    bootldr: Option<String>,
    hostname: Option<String>,
    uptime: Option<String>,
    returned_by: Option<String>,
    last_reload_reason: Option<String>,
    restarted: Option<String>,
    image: Option<String>,
    processor_model: Option<String>,
    board_id: Option<String>,
    table_models: Vec<String>,
    model_numbers: Vec<String>,
    serials: Vec<String>,
    macs: Vec<String>,
    config_register: Option<String>,
}

/// Fill `slot` from the first line `field` matches.
fn first(slot: &mut Option<String>, field: &Field, line: &str) {
    if slot.is_none()
        && let Some(rest) = line.strip_prefix(field.prefix)
        && let Some(value) = (field.value)(rest)
    {
        *slot = Some(value.to_string());
    }
}

pub(super) fn parse(output: &str) -> Result<Value, ParseError> {
    let mut facts = Facts::default();
    let mut table = Table::Outside;
    for line in lines(output) {
        match table {
            Table::Header if line.trim_start().starts_with("---") => {
                table = Table::Rows;
                continue;
            }
            Table::Rows => {
                if let Some(caps) = SWITCH_ROW.captures(line) {
                    facts.table_models.push(caps[3].to_string());
                    continue;
                }
                table = Table::Outside;
            }
            _ => table = Table::Outside,
        }
        if line.starts_with("Switch") && SWITCH_TABLE_HEADER.is_match(line) {
            table = Table::Header;
            continue;
        }
        // Most lines start with a letter that no field's line starts with.
        match line.as_bytes().first() {
            Some(b'C' | b'c' | b'I') => {
                let software =
                    line.starts_with("Cisco IOS Software") || line.starts_with("IOS (tm)");
                if facts.software.is_none()
                    && software
                    && let Some(caps) = SOFTWARE.captures(line)
                {
                    facts.software = Some((caps[1].to_string(), caps[2].to_string()));
                }
                let xe = line.starts_with("Cisco IOS XE Software")
                    || line.starts_with("Cisco IOS-XE Software");
                if facts.xe_version.is_none()
                    && xe
                    && let Some(caps) = XE_VERSION.captures(line)
                {
                    facts.xe_version = Some(caps[1].to_string());
                }
                // `cisco ISR4331/K9 (1RU) processor …`, `Cisco C9300-48P (X86)
                // processor …`, `cisco WS-C2960-24TT-L (PowerPC405) … with …`.
                let cisco = (line.starts_with("Cisco") || line.starts_with("cisco"))
                    && (line.contains("processor") || line.contains("with"));
                if facts.processor_model.is_none()
                    && cisco
                    && let Some(caps) = PROCESSOR.captures(line)
                {
                    facts.processor_model = Some(caps[1].to_string());
                }
                first(&mut facts.config_register, &CONFIG_REGISTER, line);
            }
            Some(b'R') => first(&mut facts.rom, &ROM, line),
            Some(b'B') => first(&mut facts.bootldr, &BOOTLDR, line),
            Some(b'S') => {
                first(&mut facts.returned_by, &RETURNED, line);
                first(&mut facts.restarted, &RESTARTED, line);
                first(&mut facts.image, &IMAGE, line);
            }
            Some(b'L') => first(&mut facts.last_reload_reason, &LAST_RELOAD_REASON, line),
            Some(b'P') => first(&mut facts.board_id, &BOARD_ID, line),
            _ => {}
        }
        if facts.hostname.is_none()
            && line.contains("uptime is")
            && let Some((host, uptime)) = uptime_line(line)
        {
            facts.hostname = Some(host.to_string());
            facts.uptime = Some(uptime.to_string());
        }
        // `Base ethernet MAC Address`, `Model number`, `System serial
        // number` (any case, maybe indented), each with a colon.
        let label = line.trim_start().as_bytes();
        let detail = [
            "base ethernet mac address",
            "model number",
            "system serial number",
        ]
        .iter()
        .any(|l| {
            label
                .get(..l.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(l.as_bytes()))
        });
        if detail
            && line.contains(':')
            && let Some(caps) = SWITCH_DETAIL.captures(line)
        {
            let value = caps[2].to_string();
            match caps[1].to_ascii_lowercase().as_str() {
                "base ethernet mac address" => facts.macs.push(value),
                "model number" => facts.model_numbers.push(value),
                _ => facts.serials.push(value),
            }
        }
    }
    facts.into_json(output)
}

impl Facts {
    fn into_json(self, output: &str) -> Result<Value, ParseError> {
        let (software_image, software_version) = match (self.software, &self.xe_version) {
            (Some(software), _) => software,
            (None, Some(_)) => (String::new(), String::new()),
            (None, None) => {
                let first_line = lines(output).find(|l| !l.trim().is_empty()).unwrap_or("");
                return Err(ParseError::Unexpected(format!(
                    "{COMMAND}: expected a \"Cisco IOS Software, … Version …\" or \"Cisco IOS \
                     XE Software, Version …\" line, found none (output starts with {:?})",
                    excerpt(first_line)
                )));
            }
        };
        let version = self.xe_version.unwrap_or(software_version);

        let rom_version = |text: &str| {
            VERSION_IN
                .captures(text)
                .map(|caps| caps[1].to_string())
                .or_else(|| {
                    text.starts_with(|c: char| c.is_ascii_digit())
                        .then(|| text.to_string())
                })
        };
        let rommon = self
            .rom
            .as_deref()
            .and_then(rom_version)
            .or_else(|| self.bootldr.as_deref().and_then(rom_version))
            .or(self.rom)
            .unwrap_or_default();

        let uptime = self.uptime.unwrap_or_default();
        let mut parts = Map::new();
        for unit in ["year", "week", "day", "hour", "minute"] {
            let value = uptime_part(&uptime, unit);
            let value = match (value, uptime.is_empty()) {
                (Some(value), _) => json!(value),
                (None, false) => json!(0),
                (None, true) => Value::Null,
            };
            parts.insert(format!("uptime_{unit}s"), value);
        }

        let hardware = if !self.table_models.is_empty() {
            self.table_models
        } else if !self.model_numbers.is_empty() {
            self.model_numbers
        } else {
            self.processor_model.into_iter().collect()
        };
        let serial = if self.serials.is_empty() {
            self.board_id.into_iter().collect()
        } else {
            self.serials
        };
        let running_image = self
            .image
            .map(|path| match path.split_once(':') {
                Some((_, rest)) => rest.to_string(),
                None => path,
            })
            .unwrap_or_default();

        let mut object = json!({
            "software_image": software_image,
            "version": version,
            "rommon": rommon,
            "hostname": self.hostname.unwrap_or_default(),
            "uptime": uptime,
            "reload_reason": self
                .last_reload_reason
                .or(self.returned_by)
                .unwrap_or_default(),
            "running_image": running_image,
            "hardware": hardware,
            "serial": serial,
            "config_register": self.config_register.unwrap_or_default(),
            "mac_address": self.macs,
            "restarted": self.restarted.unwrap_or_default(),
        });
        if let Value::Object(map) = &mut object {
            map.extend(parts);
        }
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse as parse_command;
    use super::*;

    #[test]
    fn every_regex_compiles() {
        for re in [
            &XE_VERSION,
            &SOFTWARE,
            &VERSION_IN,
            &PROCESSOR,
            &SWITCH_DETAIL,
            &SWITCH_TABLE_HEADER,
            &SWITCH_ROW,
        ] {
            LazyLock::force(re);
        }
    }

    const MINIMAL: &str = "\
Cisco IOS Software, 3700 Software (C3725-ADVENTERPRISEK9-M), Version 12.4(15)T14, RELEASE SOFTWARE (fc2)
ROM: ROMMON Emulation Microcode
R1 uptime is 9 minutes
System returned to ROM by unknown reload cause - suspect boot_data[BOOT_COUNT] 0x0, BOOT_COUNT 0, BOOTDATA 19
System image file is \"tftp://255.255.255.255/unknown\"
Cisco 3725 (R7000) processor (revision 0.1) with 124928K/6144K bytes of memory.
Processor board ID FTX0945W0MY
Configuration register is 0x2102
";

    #[test]
    fn minimal_router() {
        let parsed = parse(MINIMAL).unwrap();
        assert_eq!(parsed["version"], "12.4(15)T14");
        assert_eq!(parsed["software_image"], "C3725-ADVENTERPRISEK9-M");
        assert_eq!(parsed["rommon"], "ROMMON Emulation Microcode");
        assert_eq!(parsed["hostname"], "R1");
        assert_eq!(parsed["uptime_minutes"], 9);
        assert_eq!(parsed["uptime_years"], 0);
        assert_eq!(parsed["hardware"], json!(["3725"]));
        assert_eq!(parsed["serial"], json!(["FTX0945W0MY"]));
        assert_eq!(parsed["mac_address"], json!([]));
        assert_eq!(parsed["running_image"], "//255.255.255.255/unknown");
        assert_eq!(parsed["restarted"], "");
        assert_eq!(
            parsed["reload_reason"],
            "unknown reload cause - suspect boot_data[BOOT_COUNT] 0x0, BOOT_COUNT 0, BOOTDATA 19"
        );
    }

    #[test]
    fn reload_reason_loses_only_a_trailing_timestamp() {
        for (line, reason) in [
            (" power-on at 10:54:38 PST Mon Feb 24 2014", "power-on"),
            (" reload at 1:02:03 UTC Sun Jan 1 2023", "reload"),
            (" Reload Command", "Reload Command"),
            (
                " error - a Software forced crash, PC 0x1  at  16:20:11 UTC Tue Mar 1 2016",
                "error - a Software forced crash, PC 0x1",
            ),
            (
                " reload at the operator's request",
                "reload at the operator's request",
            ),
            (
                " bus error at PC 0x6068CC50, address 0x0",
                "bus error at PC 0x6068CC50, address 0x0",
            ),
        ] {
            assert_eq!(super::reason(line), Some(reason), "{line:?}");
        }
        assert_eq!(super::reason("power-on"), None, "no blank after the label");
        assert_eq!(super::reason("   "), None);
    }

    #[test]
    fn fields_read_as_their_labels_say() {
        assert_eq!(
            quoted(r#" "flash:c2960-lanbasek9-mz.150-2.SE11.bin""#),
            Some("flash:c2960-lanbasek9-mz.150-2.SE11.bin")
        );
        assert_eq!(quoted(" flash:x.bin"), None);
        assert_eq!(
            word(" 0x2142 (will be 0x2102 at next reload)"),
            Some("0x2142")
        );
        assert_eq!(word(""), None);
        assert_eq!(
            trimmed("  Bootstrap program is IOS-XE ROMMON "),
            Some("Bootstrap program is IOS-XE ROMMON")
        );
        assert_eq!(trimmed(""), Some(""));
        assert_eq!(nonempty("  "), None);
        assert_eq!(
            spaced("  10:46:12 UTC Wed Feb 2 2022 "),
            Some("10:46:12 UTC Wed Feb 2 2022")
        );
    }

    #[test]
    fn uptime_is_split_into_its_parts() {
        let (host, uptime) =
            uptime_line("core-sw1.lab uptime is 1 year, 8 weeks, 2 days, 3 hours, 44 minutes")
                .unwrap();
        assert_eq!(host, "core-sw1.lab");
        assert_eq!(uptime, "1 year, 8 weeks, 2 days, 3 hours, 44 minutes");
        let parts: Vec<_> = ["year", "week", "day", "hour", "minute"]
            .iter()
            .map(|unit| uptime_part(uptime, unit))
            .collect();
        assert_eq!(parts, [Some(1), Some(8), Some(2), Some(3), Some(44)]);
        assert_eq!(uptime_part("9 minutes", "hour"), None);
        assert_eq!(uptime_line(" uptime is 9 minutes"), None, "no host name");
        assert_eq!(uptime_line("R1 uptime is"), None, "no uptime");
        assert_eq!(uptime_line("R1 said uptime is 9 minutes"), None);
    }

    #[test]
    fn abbreviations_reach_this_parser() {
        for command in ["show version", "sh ver", "sho versi", "SHOW VERSION"] {
            assert_eq!(
                parse_command(command, MINIMAL).unwrap(),
                parse(MINIMAL).unwrap()
            );
        }
    }

    #[test]
    fn crlf_line_endings() {
        let crlf = MINIMAL.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(MINIMAL).unwrap());
    }

    #[test]
    fn pending_config_register_keeps_current_value() {
        let text = MINIMAL.replace(
            "Configuration register is 0x2102",
            "Configuration register is 0x2142 (will be 0x2102 at next reload)",
        );
        assert_eq!(parse(&text).unwrap()["config_register"], "0x2142");
    }

    #[test]
    fn xe_version_line_alone_is_enough() {
        let parsed = parse("Cisco IOS XE Software, Version 17.09.04a\n").unwrap();
        assert_eq!(parsed["version"], "17.09.04a");
        assert_eq!(parsed["software_image"], "");
        assert_eq!(parsed["uptime_days"], Value::Null);
    }

    #[test]
    fn garbage_is_unexpected() {
        for garbage in [
            "",
            "random text\nwith two lines",
            "% Invalid input detected at '^' marker.",
            "Interface              IP-Address      OK? Method Status                Protocol\n\
             GigabitEthernet0/0     192.0.2.1       YES NVRAM  up                    up",
            "Linux router 6.1.0 #1 SMP x86_64 GNU/Linux",
        ] {
            let err = parse_command(COMMAND, garbage).unwrap_err();
            let ParseError::Unexpected(msg) = &err else {
                panic!("{err:?}");
            };
            assert!(msg.contains(COMMAND), "{msg}");
        }
    }
}
