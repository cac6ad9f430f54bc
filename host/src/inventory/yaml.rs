//! YAML as operators write it (Nornir inventories, serve.yaml): anchors and
//! merge keys (`<<: *defaults`) expanded, duplicate keys refused naming both
//! lines, and every error one line with its line and column.

use serde::de::DeserializeOwned;

/// Parse `text` into `T`. The error is one line: what is wrong and where.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    // Defaults: merge keys expanded, duplicate keys an error. Booleans
    // are YAML 1.2's `true`/`false` only (as serde_yaml read them: `yes`
    // stays a string). No snippet: the message must stay on one line.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| describe(text, &e))
}

fn describe(text: &str, e: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::DuplicateMappingKey {
        key: Some(key),
        location,
    } = e.without_snippet()
    {
        let line = location.line() as usize;
        let column = location.column() as usize;
        return match first_line_of_key(text, key, line, column) {
            Some(first) => format!(
                "`{key}` is defined twice, at line {first} and at line {line}: keep one (or rename the other)"
            ),
            None => format!(
                "`{key}` is defined twice (again at line {line}): keep one (or rename the other)"
            ),
        };
    }
    // One line: the crate's message may span several.
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The line (1-based) of the first `key:` at `column` before line `before`,
/// found in the text since the parser reports only the second one.
fn first_line_of_key(text: &str, key: &str, before: usize, column: usize) -> Option<usize> {
    let indent = column.saturating_sub(1);
    let spellings = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    text.lines()
        .take(before.saturating_sub(1))
        .enumerate()
        .find(|(_, l)| {
            let (lead, rest) = l.split_at(l.len() - l.trim_start().len());
            // Block keys (`key:`) and keys of a block sequence item (`- key:`).
            let rest = rest.strip_prefix("- ").unwrap_or(rest);
            (lead.len() == indent || lead.len() + 2 == indent)
                && spellings.iter().any(|s| rest.starts_with(s.as_str()))
        })
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn merge_keys_and_anchors_expand_as_nornir_users_write_them() {
        let text = "\
defaults: &site
  platform: cisco_ios
  data: {site: lab}
r1:
  <<: *site
  hostname: 10.0.0.1
r2:
  <<: *site
  platform: arista_eos
";
        let v: Value = from_str(text).unwrap();
        assert_eq!(v["r1"]["platform"], "cisco_ios");
        assert_eq!(v["r1"]["data"]["site"], "lab");
        assert_eq!(v["r1"]["hostname"], "10.0.0.1");
        assert_eq!(
            v["r2"]["platform"], "arista_eos",
            "the entry's own key wins"
        );
        assert!(v["r1"].get("<<").is_none());
    }

    #[test]
    fn a_duplicate_key_names_both_lines() {
        let text = "r1:\n  hostname: a\nr2:\n  hostname: b\nr1:\n  hostname: c\n";
        let e = from_str::<Value>(text).unwrap_err();
        assert!(
            e.contains("`r1`") && e.contains("line 1") && e.contains("line 5"),
            "{e}"
        );
    }

    #[test]
    fn only_true_and_false_are_booleans_as_in_yaml_1_2() {
        let v: Value = from_str("a: yes\nb: true\nc: on\n").unwrap();
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], true);
        assert_eq!(v["c"], "on");
    }

    #[test]
    fn errors_are_one_line_with_the_position() {
        let e = from_str::<Value>("r1:\n  port: [not a port\n").unwrap_err();
        assert!(!e.contains('\n') && e.contains("line"), "{e}");
    }
}
