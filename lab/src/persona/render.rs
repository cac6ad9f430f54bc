//! The template environment personas render with: minijinja (Jinja2 syntax) plus
//! filters for the text devices print (padded columns, MAC and mask formats,
//! uptimes, dates).

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

use crate::templates::{DAYS, MONTHS, civil, uptime_text};

/// A fresh environment with the lab's filters and Jinja2-like whitespace handling.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Infallible: the builder only fails on bad delimiters, and none are set.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // A misspelt field is a bug in the persona, caught by its tests.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("ljust", ljust);
    env.add_filter("rjust", rjust);
    env.add_filter("mac", mac);
    env.add_filter("mask", mask);
    env.add_filter("wildcard", wildcard);
    env.add_filter("broadcast", broadcast);
    env.add_filter("strftime", strftime);
    env.add_filter("uptime", uptime);
    env.add_filter("hexn", hexn);
    env.add_filter("head", head);
    env.add_filter("hexbytes", hexbytes);
    env
}

fn text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None if v.is_none() || v.is_undefined() => String::new(),
        None => v.to_string(),
    }
}

/// `{{ name|ljust(20) }}`: left-aligned in a column (never truncated).
fn ljust(v: Value, width: usize) -> String {
    format!("{:<width$}", text(&v))
}

/// `{{ n|rjust(8) }}`: right-aligned in a column.
fn rjust(v: Value, width: usize) -> String {
    format!("{:>width$}", text(&v))
}

/// `{{ "001c73a1b2c3"|mac("dotted") }}`: `dotted` 001c.73a1.b2c3, `colon`
/// 00:1c:73:a1:b2:c3, `dash` 001c-73a1-b2c3 (VRP, Comware), `hyphen`
/// 00-1C-73-A1-B2-C3, `upper` 00:1C:73:A1:B2:C3, `plain` 001c73a1b2c3.
fn mac(v: String, style: Option<String>) -> Result<String, Error> {
    let hex: String = v.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 12 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("mac: `{v}` is not 12 hex digits"),
        ));
    }
    let hex = hex.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    let quads = [&hex[0..4], &hex[4..8], &hex[8..12]];
    Ok(match style.as_deref().unwrap_or("dotted") {
        "dotted" => quads.join("."),
        "dash" => quads.join("-"),
        "colon" => pairs.join(":"),
        "hyphen" => pairs.join("-").to_ascii_uppercase(),
        "upper" => pairs.join(":").to_ascii_uppercase(),
        "plain" => hex.clone(),
        // ArubaOS-Switch: `9457a5-123400`.
        "procurve" => format!("{}-{}", &hex[..6], &hex[6..]),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("mac: unknown style `{other}`"),
            ));
        }
    })
}

fn mask_bits(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32))
    }
}

/// `{{ 24|mask }}` → `255.255.255.0`.
fn mask(len: u32) -> String {
    std::net::Ipv4Addr::from(mask_bits(len)).to_string()
}

/// `{{ 24|wildcard }}` → `0.0.0.255`.
fn wildcard(len: u32) -> String {
    std::net::Ipv4Addr::from(!mask_bits(len)).to_string()
}

/// `{{ "10.1.2.3"|broadcast(24) }}` → `10.1.2.255`; `ip` unchanged when it is
/// not an IPv4 address.
fn broadcast(ip: String, len: u32) -> String {
    match ip.parse::<std::net::Ipv4Addr>() {
        Ok(a) => std::net::Ipv4Addr::from(u32::from(a) | !mask_bits(len)).to_string(),
        Err(_) => ip,
    }
}

/// `{{ n|hexn(4) }}`: zero-padded lower-case hex.
fn hexn(n: u64, width: usize) -> String {
    format!("{n:0width$x}")
}

/// `{{ s|hexbytes(18, 24) }}`: the text's bytes as upper-case hex pairs
/// joined by `:` (SR OS's `Port Id : 31:2F:31:2F:31`), a new line indented
/// by the second argument after every `per_line` bytes.
fn hexbytes(v: Value, per_line: usize, indent: usize) -> String {
    let bytes = text(&v).into_bytes();
    let lines: Vec<String> = bytes
        .chunks(per_line.max(1))
        .map(|c| {
            c.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    lines.join(&format!("\n{:indent$}", ""))
}

/// `{{ s|head(4) }}`: the first characters.
fn head(v: Value, n: usize) -> String {
    text(&v).chars().take(n).collect()
}

/// `{{ ts|strftime("%Y-%m-%d %H:%M:%S") }}` in UTC. Supports %Y %y %m %d %e %H %M
/// %S %b %a %j %%.
fn strftime(ts: u64, fmt: String) -> String {
    let c = civil(ts);
    let doy = {
        let jan1 = ts / 86_400 * 86_400
            - (u64::from(c.day) - 1) * 86_400
            - MONTH_DAYS[..c.month - 1].iter().sum::<u64>() * 86_400
            - if c.month > 2 && leap(c.year) {
                86_400
            } else {
                0
            };
        (ts - jan1) / 86_400 + 1
    };
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&c.year.to_string()),
            Some('y') => out.push_str(&format!("{:02}", c.year % 100)),
            Some('m') => out.push_str(&format!("{:02}", c.month)),
            Some('d') => out.push_str(&format!("{:02}", c.day)),
            Some('e') => out.push_str(&format!("{:>2}", c.day)),
            Some('H') => out.push_str(&format!("{:02}", c.hour)),
            Some('M') => out.push_str(&format!("{:02}", c.min)),
            Some('S') => out.push_str(&format!("{:02}", c.sec)),
            Some('b') => out.push_str(MONTHS[c.month - 1]),
            Some('a') => out.push_str(DAYS[c.weekday]),
            Some('j') => out.push_str(&format!("{doy:03}")),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

const MONTH_DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// `{{ secs|uptime("ios") }}` in a platform's words:
/// `ios` 3 weeks, 2 days, 4 hours, 17 minutes; `nxos` 23 day(s), 4 hour(s), 17
/// minute(s), 5 second(s); `eos` 3 weeks, 2 days, 4 hours and 17 minutes; `dhm` 23
/// days, 4 hours, 17 minutes; `wdhm` 3w2d 04:17; `linux` 23 days,  4:17;
/// `routeros` 3w2d4h17m5s; `short` Cisco table style (00:12:34, 2d04h, 3w2d);
/// `junos_short` 3w2d 4:17:05 or 4:17:05; `hms` 556:17:05; `aoscx`
/// 556h:17m:05s.
fn uptime(secs: u64, style: String) -> Result<String, Error> {
    let (w, d, h, m, s) = (
        secs / 604_800,
        secs / 86_400 % 7,
        secs / 3_600 % 24,
        secs / 60 % 60,
        secs % 60,
    );
    let days = secs / 86_400;
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    Ok(match style.as_str() {
        "ios" => uptime_text(secs),
        "nxos" => format!("{days} day(s), {h} hour(s), {m} minute(s), {s} second(s)"),
        "eos" => {
            let mut parts = Vec::new();
            if w > 0 {
                parts.push(plural(w, "week"));
            }
            if d > 0 {
                parts.push(plural(d, "day"));
            }
            parts.push(plural(h, "hour"));
            format!("{} and {}", parts.join(", "), plural(m, "minute"))
        }
        "dhm" => format!(
            "{}, {}, {}",
            plural(days, "day"),
            plural(h, "hour"),
            plural(m, "minute")
        ),
        "wdhm" => format!("{w}w{d}d {h:02}:{m:02}"),
        "linux" => format!("{}, {h:>2}:{m:02}", plural(days, "day")),
        "routeros" => {
            let mut o = String::new();
            for (n, u) in [(w, 'w'), (d, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
                if n > 0 || (u == 's' && o.is_empty()) {
                    o.push_str(&format!("{n}{u}"));
                }
            }
            o
        }
        "short" => {
            if days == 0 {
                format!("{h:02}:{m:02}:{s:02}")
            } else if w == 0 {
                format!("{d}d{h:02}h")
            } else {
                format!("{w}w{d}d")
            }
        }
        "junos_short" => {
            if w > 0 || d > 0 {
                format!("{w}w{d}d {h}:{m:02}:{s:02}")
            } else {
                format!("{h}:{m:02}:{s:02}")
            }
        }
        "hms" => format!("{}:{m:02}:{s:02}", secs / 3_600),
        "aoscx" => format!("{:02}h:{m:02}m:{s:02}s", secs / 3_600),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("uptime: unknown style `{other}`"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(mac("001C73A1B2C3".into(), None).unwrap(), "001c.73a1.b2c3");
        assert_eq!(
            mac("001c73a1b2c3".into(), Some("hyphen".into())).unwrap(),
            "00-1C-73-A1-B2-C3"
        );
        assert!(mac("zz".into(), None).is_err());
        assert_eq!(mask(22), "255.255.252.0");
        assert_eq!(wildcard(24), "0.0.0.255");
        assert_eq!(broadcast("10.1.2.3".into(), 24), "10.1.2.255");
        assert_eq!(broadcast("10.1.2.3".into(), 32), "10.1.2.3");
        // 2026-11-25 12:34:56 UTC, a Wednesday, day 329.
        assert_eq!(
            strftime(1_795_610_096, "%a %b %e %H:%M:%S %Y (%j) %y-%m-%d".into()),
            "Wed Nov 25 12:34:56 2026 (329) 26-11-25"
        );
        let t = 3 * 604_800 + 2 * 86_400 + 4 * 3_600 + 17 * 60 + 5;
        assert_eq!(uptime(t, "wdhm".into()).unwrap(), "3w2d 04:17");
        assert_eq!(uptime(t, "routeros".into()).unwrap(), "3w2d4h17m5s");
        assert_eq!(uptime(t, "short".into()).unwrap(), "3w2d");
        assert_eq!(uptime(754, "short".into()).unwrap(), "00:12:34");
        assert_eq!(
            uptime(t, "eos".into()).unwrap(),
            "3 weeks, 2 days, 4 hours and 17 minutes"
        );
        assert_eq!(ljust(Value::from(7), 3), "7  ");
        assert_eq!(rjust(Value::from("ab"), 4), "  ab");
    }
}
