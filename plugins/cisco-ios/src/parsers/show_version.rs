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
//!   (IMAGE), Version 15.0(2)SE11, …` line (or `IOS (tm) …` on 12.x;
//!   `Experimental Version …` on engineering images).
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
        r"^(?:Cisco IOS Software(?:\s*\[[^\]]*\])?,|IOS \(tm\))\s.*?Software\s*\(([^)]+)\),?\s*(?:Experimental\s+)?Version\s+([^,\s]+)",
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

// The version, processor and switch-stack lines below are read with string
// operations on ASCII lines (every release prints them so) and with the
// regexes above otherwise, so a line reads the same either way: inside a plugin a capture with Unicode
// classes and a lazy `.*?` costs more than the rest of the parse, and the
// regexes are compiled only when a line needs them. The unit test
// `string_readers_agree_with_the_regexes` holds the two to each other.

/// A blank as the regexes' `\s` means it (Unicode White_Space; on ASCII
/// also the vertical tab, which `u8::is_ascii_whitespace` leaves out).
fn blank(c: char) -> bool {
    c.is_whitespace()
}

/// Group `i` of `re`'s first match in `text`: the readers below on a line
/// that is not all ASCII.
fn group<'t>(re: &Regex, text: &'t str, i: usize) -> Option<&'t str> {
    re.captures(text)?.get(i).map(|m| m.as_str())
}

/// `text` after one or more leading blanks, or `None` when it has none.
fn after_blanks(text: &str) -> Option<&str> {
    let rest = text.trim_start_matches(blank);
    (rest.len() < text.len()).then_some(rest)
}

/// The leading run of characters that are not blanks (`\S+`), if any.
fn leading_word(text: &str) -> Option<&str> {
    let end = text.find(blank).unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

/// The leading run of characters that are neither blanks nor commas
/// (`[^,\s]+`), if any.
fn leading_version(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| c == ',' || blank(c))
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

/// `Cisco IOS XE Software, Version 17.03.04a` → `17.03.04a`.
fn xe_version(line: &str) -> Option<&str> {
    if !line.is_ascii() {
        return group(&XE_VERSION, line, 1);
    }
    let rest = line
        .strip_prefix("Cisco IOS XE Software, Version")
        .or_else(|| line.strip_prefix("Cisco IOS-XE Software, Version"))?;
    leading_word(after_blanks(rest)?)
}

/// `Cisco IOS Software [Amsterdam], ISR Software (X86_64_LINUX_IOSD-
/// UNIVERSALK9-M), Version 17.3.4a, RELEASE SOFTWARE (fc3)` (or `IOS (tm)
/// … Software (IMAGE), Version …` on 12.x) → the image and the version.
fn software(line: &str) -> Option<(&str, &str)> {
    if !line.is_ascii() {
        let caps = SOFTWARE.captures(line)?;
        return Some((caps.get(1)?.as_str(), caps.get(2)?.as_str()));
    }
    let rest = if let Some(rest) = line.strip_prefix("Cisco IOS Software") {
        // An optional `[train]` (blanks may precede it), then a comma.
        let rest = match rest.trim_start_matches(blank).strip_prefix('[') {
            Some(inside) => &inside[inside.find(']')? + 1..],
            None => rest,
        };
        rest.strip_prefix(',')?
    } else {
        line.strip_prefix("IOS (tm)")?
    };
    // One blank, then the first `Software (IMAGE), Version V` that reads.
    let first = rest.chars().next().filter(|&c| blank(c))?;
    let rest = &rest[first.len_utf8()..];
    rest.match_indices("Software").find_map(|(at, word)| {
        let after = rest[at + word.len()..]
            .trim_start_matches(blank)
            .strip_prefix('(')?;
        let close = after.find(')')?;
        let image = &after[..close];
        let after = &after[close + 1..];
        let after = after.strip_prefix(',').unwrap_or(after);
        let after = after.trim_start_matches(blank);
        // Engineering images: `…), Experimental Version 15.0(20100325:222114) [...]`.
        let after = match after.strip_prefix("Experimental").and_then(after_blanks) {
            Some(rest) => rest,
            None => after,
        };
        let after = after.strip_prefix("Version")?;
        let version = leading_version(after_blanks(after)?)?;
        (!image.is_empty()).then_some((image, version))
    })
}

/// `cisco ISR4331/K9 (1RU) processor with …`, `Cisco 3725 (R7000)
/// processor …`, `cisco WS-C2960-24TT-L (PowerPC405) with …` → the model.
fn processor_model(line: &str) -> Option<&str> {
    if !line.is_ascii() {
        return group(&PROCESSOR, line, 1);
    }
    let rest = line
        .strip_prefix("Cisco")
        .or_else(|| line.strip_prefix("cisco"))?;
    let rest = after_blanks(rest)?;
    let model = leading_word(rest)?;
    let rest = after_blanks(&rest[model.len()..])?.strip_prefix('(')?;
    let rest = after_blanks(&rest[rest.find(')')? + 1..])?;
    let word = rest
        .strip_prefix("processor")
        .or_else(|| rest.strip_prefix("with"))?;
    // A word boundary: the word ends the line or a non-word byte follows.
    let ends = word
        .bytes()
        .next()
        .is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
    ends.then_some(model)
}

/// The version after the first whole word `Version` followed by blanks
/// (`System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE` → `15.0(1r)M16`).
fn version_in(text: &str) -> Option<&str> {
    if !text.is_ascii() {
        return group(&VERSION_IN, text, 1);
    }
    text.match_indices("Version").find_map(|(at, word)| {
        let bytes = text.as_bytes();
        let starts_word =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if !starts_word {
            return None;
        }
        leading_version(after_blanks(&text[at + word.len()..])?)
    })
}

/// A leading run of ASCII digits (`\d+` on an ASCII line), if any.
fn leading_digits(text: &str) -> Option<&str> {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

/// `Switch Ports Model              SW Version        SW Image`.
fn switch_table_header(line: &str) -> bool {
    if !line.is_ascii() {
        return SWITCH_TABLE_HEADER.is_match(line);
    }
    let read = || {
        let rest = after_blanks(line.strip_prefix("Switch")?)?;
        let rest = after_blanks(rest.strip_prefix("Ports")?)?;
        let rest = after_blanks(rest.strip_prefix("Model")?)?;
        let rest = after_blanks(rest.strip_prefix("SW Version")?)?;
        Some(rest.starts_with("SW Image"))
    };
    read() == Some(true)
}

/// A row of that table (`*    1 52    C9300-48P          17.03.04a         CAT9K_IOSXE`,
/// the member's number, its ports, then its model) → the model.
fn switch_row(line: &str) -> Option<&str> {
    if !line.is_ascii() {
        return group(&SWITCH_ROW, line, 3);
    }
    let rest = line.strip_prefix('*').unwrap_or(line);
    let rest = rest.trim_start_matches(blank);
    let rest = after_blanks(&rest[leading_digits(rest)?.len()..])?;
    let rest = after_blanks(&rest[leading_digits(rest)?.len()..])?;
    let model = leading_word(rest)?;
    let rest = after_blanks(&rest[model.len()..])?;
    let rest = after_blanks(&rest[leading_word(rest)?.len()..])?;
    leading_word(rest).map(|_| model)
}

/// What a `Label : value` line of a switch's member details gives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Detail {
    Mac,
    Model,
    Serial,
}

const DETAILS: [(&str, Detail); 3] = [
    ("base ethernet mac address", Detail::Mac),
    ("model number", Detail::Model),
    ("system serial number", Detail::Serial),
];

/// `Base ethernet MAC Address         : 2c:ab:eb:4e:2d:80`, `Model number :
/// C9300-48P`, `System serial number : FOC2318X0E1` (any case, maybe
/// indented) → which and the value.
fn switch_detail(line: &str) -> Option<(Detail, &str)> {
    let label = line.trim_start().as_bytes();
    let (name, detail) = *DETAILS.iter().find(|(name, _)| {
        label
            .get(..name.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
    })?;
    if !line.is_ascii() {
        let caps = SWITCH_DETAIL.captures(line)?;
        let found = caps.get(1)?.as_str().to_ascii_lowercase();
        let (_, detail) = DETAILS.iter().find(|(name, _)| *name == found)?;
        return Some((*detail, caps.get(2)?.as_str()));
    }
    let rest = line.trim_start_matches(blank)[name.len()..]
        .trim_start_matches(blank)
        .strip_prefix(':')?;
    leading_word(rest.trim_start_matches(blank)).map(|value| (detail, value))
}

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
                if let Some(model) = switch_row(line) {
                    facts.table_models.push(model.to_string());
                    continue;
                }
                table = Table::Outside;
            }
            _ => table = Table::Outside,
        }
        if line.starts_with("Switch") && switch_table_header(line) {
            table = Table::Header;
            continue;
        }
        // Most lines start with a letter that no field's line starts with.
        match line.as_bytes().first() {
            Some(b'C' | b'c' | b'I') => {
                if facts.software.is_none()
                    && let Some((image, version)) = software(line)
                {
                    facts.software = Some((image.to_string(), version.to_string()));
                }
                if facts.xe_version.is_none()
                    && let Some(version) = xe_version(line)
                {
                    facts.xe_version = Some(version.to_string());
                }
                if facts.processor_model.is_none()
                    && let Some(model) = processor_model(line)
                {
                    facts.processor_model = Some(model.to_string());
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
        if let Some((detail, value)) = switch_detail(line) {
            let value = value.to_string();
            match detail {
                Detail::Mac => facts.macs.push(value),
                Detail::Model => facts.model_numbers.push(value),
                Detail::Serial => facts.serials.push(value),
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
            version_in(text).map(str::to_string).or_else(|| {
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

    /// Each string reader against its regex, on the version lines of real
    /// releases and on many lines made from them by deleting, inserting and
    /// replacing characters (blanks of every kind, commas, brackets, the
    /// words the readers look for).
    #[test]
    fn string_readers_agree_with_the_regexes() {
        let seeds = [
            "Cisco IOS XE Software, Version 17.03.04a",
            "Cisco IOS-XE Software, Version 16.09.03",
            "Cisco IOS Software [Amsterdam], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE SOFTWARE (fc3)",
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E3, RELEASE SOFTWARE (fc3)",
            "Cisco IOS Software, 3700 Software (C3725-ADVENTERPRISEK9-M), Version 12.4(15)T14, RELEASE SOFTWARE (fc2)",
            "IOS (tm) C2600 Software (C2600-I-M), Version 12.2(3), RELEASE SOFTWARE (fc1)",
            "Cisco IOS Software, 7200 Software (C7200P-ADVENTERPRISEK9-M), Experimental Version 15.0(20100325:222114) [scube_alto-gclendon-alto_precollapse 221]",
            "Cisco IOS Software, Catalyst 4500 L3 Switch  Software (cat4500e-UNIVERSALK9-M), Version 15.2(4)E8",
            "cisco ISR4331/K9 (1RU) processor with 1797174K/6147K bytes of memory.",
            "Cisco 3725 (R7000) processor (revision 0.1) with 124928K/6144K bytes of memory.",
            "cisco WS-C2960-24TT-L (PowerPC405) processor (revision B0) with 65536K bytes of memory.",
            "Cisco C9300-48P (X86) processor with 1419044K/6147K bytes of memory.",
            "System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)",
            "Bootstrap program is IOS-XE ROMMON",
            "C2960X Boot Loader (C2960X-HBOOT-M) Version 15.2(3r)E1, RELEASE SOFTWARE (fc1)",
            // Word boundaries, each side of the line.
            "cisco X (Y) processor_1",
            "cisco X (Y) with-2",
            "cisco X (Y) withal",
            "cisco X (Y) processor",
            "ROM: _Version 1 -Version 2",
            "ROM: xVersion 1, 9Version 2 Version,",
            // A switch stack's table and member details.
            "Switch Ports Model              SW Version        SW Image",
            "Switch\tPorts Model SW Version SW Image Mode",
            "*    1 52    WS-C3850-48P       16.3.7            CAT3K_CAA-UNIVERSALK9 INSTALL",
            "     2 28    WS-C2960X-24PS-L   15.2(7)E3         C2960X-UNIVERSALK9-M",
            "*1 2 3 4 5",
            "Base ethernet MAC Address          : 2c:ab:eb:4e:2d:80",
            "  model NUMBER :C9300-48P",
            "System Serial Number               : FOC2318X0E1",
            "Model Number",
        ];
        let pieces = [
            " ",
            "  ",
            "\t",
            "\u{b}",
            ",",
            "(",
            ")",
            "[",
            "]",
            "_",
            "a",
            "9",
            "Software",
            "Version",
            "Experimental",
            "processor",
            "with",
            "Cisco IOS Software",
            "IOS (tm)",
            "é",
            "\u{a0}",
            "*",
            ":",
            "1",
            "Switch",
            "SW Image",
            "\u{212a}",
        ];
        let captures = |re: &Regex, line: &str, group: usize| {
            re.captures(line)
                .and_then(|caps| caps.get(group))
                .map(|m| m.as_str().to_string())
        };
        let check = |line: &str| {
            assert_eq!(
                xe_version(line).map(str::to_string),
                captures(&XE_VERSION, line, 1),
                "xe_version({line:?})"
            );
            assert_eq!(
                software(line).map(|(i, v)| (i.to_string(), v.to_string())),
                captures(&SOFTWARE, line, 1).zip(captures(&SOFTWARE, line, 2)),
                "software({line:?})"
            );
            assert_eq!(
                processor_model(line).map(str::to_string),
                captures(&PROCESSOR, line, 1),
                "processor_model({line:?})"
            );
            assert_eq!(
                version_in(line).map(str::to_string),
                captures(&VERSION_IN, line, 1),
                "version_in({line:?})"
            );
            assert_eq!(
                switch_row(line).map(str::to_string),
                captures(&SWITCH_ROW, line, 3),
                "switch_row({line:?})"
            );
            assert_eq!(
                switch_table_header(line),
                SWITCH_TABLE_HEADER.is_match(line),
                "switch_table_header({line:?})"
            );
            // The regex alone also takes a label the driver never asks for
            // (`(?i)` folds `K` into the Kelvin sign): the reader first
            // checks the label in ASCII, as the parse always did.
            let label = line.trim_start().to_ascii_lowercase();
            let asked = DETAILS.iter().any(|(name, _)| label.starts_with(name));
            let expected = captures(&SWITCH_DETAIL, line, 1)
                .zip(captures(&SWITCH_DETAIL, line, 2))
                .filter(|_| asked)
                .map(|(name, value)| {
                    let name = name.to_ascii_lowercase();
                    let detail = DETAILS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
                    (detail, value)
                });
            assert_eq!(
                switch_detail(line).map(|(d, v)| (Some(d), v.to_string())),
                expected,
                "switch_detail({line:?})"
            );
        };
        // A fixed pseudo-random sequence (64-bit LCG), so a failure repeats.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let mut checked = 0;
        for seed in seeds {
            check(seed);
            for _ in 0..400 {
                let mut line: Vec<char> = seed.chars().collect();
                for _ in 0..1 + next(3) {
                    let at = next(line.len() + 1);
                    match next(3) {
                        0 if at < line.len() => {
                            line.remove(at);
                        }
                        1 if at < line.len() => {
                            let piece = pieces[next(pieces.len())];
                            line.splice(at..at + 1, piece.chars());
                        }
                        _ => {
                            let piece = pieces[next(pieces.len())];
                            line.splice(at..at, piece.chars());
                        }
                    }
                }
                check(&line.iter().collect::<String>());
                checked += 1;
            }
        }
        assert_eq!(checked, seeds.len() * 400);
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
    fn experimental_images_give_their_version() {
        // Engineering builds say `Experimental Version` (a 7200 lab image;
        // pyATS' mock IOS device answers with one).
        let parsed = parse(
            "Cisco IOS Software, 7200 Software (C7200P-ADVENTERPRISEK9-M), Experimental Version \
             15.0(20100325:222114) [scube_alto-gclendon-alto_precollapse 221]\n\
             Copyright (c) 1986-2010 by Cisco Systems, Inc.\n\
             \n\
             lab-7200 uptime is 7 weeks, 2 days, 51 minutes\n\
             Cisco 7206VXR (NPE-G2) processor (revision A) with 917504K/65536K bytes of memory.\n\
             Processor board ID 34579393\n",
        )
        .unwrap();
        assert_eq!(parsed["version"], "15.0(20100325:222114)");
        assert_eq!(parsed["software_image"], "C7200P-ADVENTERPRISEK9-M");
        assert_eq!(parsed["hostname"], "lab-7200");
        assert_eq!(parsed["hardware"], json!(["7206VXR"]));
        assert_eq!(parsed["serial"], json!(["34579393"]));
        assert_eq!(parsed["uptime_weeks"], 7);
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
