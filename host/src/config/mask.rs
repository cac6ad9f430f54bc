//! Secrets in configurations (`enable secret`, `password`, SNMP
//! communities, keys) masked before they reach diffs, records and logs.

use regex::Regex;
use std::sync::LazyLock;

/// What replaces a secret.
pub const MASK: &str = "********";

/// Patterns whose group `s` is a secret; matched per line, anywhere in it
/// (`+`/`-` diff markers and indentation come before).
static SECRETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // IOS/EOS/NX-OS: enable secret 9 $9$…, username x secret 0 y, password 7 0822…
        r"\b(?:secret|password)(?:\s+(?:sha512|\d))?\s+(?P<s>\S+)",
        // snmp-server community NAME RO / snmp-server user … auth sha KEY priv aes 128 KEY
        r"\bsnmp-server\s+community\s+(?P<s>\S+)",
        r"\b(?:auth\s+(?:md5|sha\S*)|priv\s+(?:des|3des|aes(?:\s+\d+)?))\s+(?P<s>\S+)",
        // tacacs/radius keys, key-chain key-strings, OSPF/BGP/NTP keys, VPN pre-shared keys
        r"\b(?:key-string|pre-shared-key|message-digest-key\s+\d+\s+md5)(?:\s+\d)?\s+(?P<s>\S+)",
        r"\b(?:tacacs-server|radius-server|tacacs|radius)\b.*?\bkey(?:\s+\d)?\s+(?P<s>\S+)",
        r"\bntp\s+authentication-key\s+\d+\s+md5\s+(?P<s>\S+)",
        // Junos quotes its secrets: encrypted-password "$6$…"; secret "$9$…"
        r#"\b(?:encrypted-password|secret|authentication-key|ascii-text|key)\s+(?P<s>"[^"]*")"#,
        r"\bsnmp\s+community\s+(?P<s>\S+)",
    ]
    .iter()
    // Constant patterns, exercised by the tests below.
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

/// `text` with every secret replaced by [`MASK`], line by line.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&mask_line(line));
    }
    out
}

/// One line with its secrets masked.
pub fn mask_line(line: &str) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for re in SECRETS.iter() {
        for caps in re.captures_iter(line) {
            if let Some(m) = caps.name("s")
                && m.as_str() != MASK
            {
                spans.push((m.start(), m.end()));
            }
        }
    }
    if spans.is_empty() {
        return line.to_string();
    }
    spans.sort();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            // Inside a span already masked.
            continue;
        }
        out.push_str(&line[at..start]);
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&line[at..]);
    out
}

/// Masks `text` unless `show` (`--show-secrets`).
pub fn maybe(text: &str, show: bool) -> String {
    if show { text.to_string() } else { mask(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_secrets_are_masked_and_the_rest_kept() {
        for (line, want) in [
            ("enable secret 9 $9$abc$def", "enable secret 9 ********"),
            (
                "username admin privilege 15 secret 9 $9$xyz",
                "username admin privilege 15 secret 9 ********",
            ),
            (" password 7 0822455D0A16", " password 7 ********"),
            ("+enable password cisco", "+enable password ********"),
            (
                "snmp-server community s3cr3t RO",
                "snmp-server community ******** RO",
            ),
            (
                "tacacs-server host 192.0.2.5 key 7 1234ABCD",
                "tacacs-server host 192.0.2.5 key 7 ********",
            ),
            (" key-string 7 05080F1C2243", " key-string 7 ********"),
            (
                "ntp authentication-key 1 md5 0822455D0A16 7",
                "ntp authentication-key 1 md5 ******** 7",
            ),
            (
                "snmp-server user u1 g1 v3 auth sha AUTHKEY priv aes 128 PRIVKEY",
                "snmp-server user u1 g1 v3 auth sha ******** priv aes 128 ********",
            ),
            ("hostname r1", "hostname r1"),
            ("ntp server 192.0.2.1", "ntp server 192.0.2.1"),
        ] {
            assert_eq!(mask_line(line), want, "{line}");
        }
    }

    #[test]
    fn junos_secrets_are_masked() {
        assert_eq!(
            mask_line(r#"set system root-authentication encrypted-password "$6$abc$def""#),
            "set system root-authentication encrypted-password ********"
        );
        assert_eq!(
            mask_line("set snmp community public authorization read-only"),
            "set snmp community ******** authorization read-only"
        );
    }

    #[test]
    fn masking_keeps_lines_and_is_stable() {
        let text = "a\nenable secret 5 $1$x\n\nb";
        let once = mask(text);
        assert_eq!(once, "a\nenable secret 5 ********\n\nb");
        assert_eq!(mask(&once), once);
        assert_eq!(maybe(text, true), text);
    }
}
