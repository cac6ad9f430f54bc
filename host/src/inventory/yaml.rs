//! YAML as operators write it (Nornir inventories, serve.yaml): anchors and
//! merge keys (`<<: *defaults`) expanded, duplicate keys refused naming both
//! lines, and every error one line with its line and column.

use serde::de::DeserializeOwned;

/// Why YAML text could not be read; each is one line naming where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// A mapping holds the same key twice (YAML forbids it; a parser that
    /// kept the last one would silently drop the first).
    #[error("`{key}` is defined twice{}: keep one (or rename the other)", lines(*.first, *.line))]
    DuplicateKey {
        /// The key.
        key: String,
        /// The line of its first definition, when found.
        first: Option<usize>,
        /// The line of the second.
        line: usize,
    },
    /// Not YAML, or not of the expected shape: the parser's message on one
    /// line, with its line and column.
    #[error("{0}")]
    Invalid(String),
}

/// Where a duplicate key is, for [`YamlError::DuplicateKey`].
fn lines(first: Option<usize>, line: usize) -> String {
    match first {
        Some(first) => format!(", at line {first} and at line {line}"),
        None => format!(" (again at line {line})"),
    }
}

/// Parse `text` into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    // Defaults: merge keys expanded, duplicate keys an error. Booleans
    // are YAML 1.2's `true`/`false` only (as serde_yaml read them: `yes`
    // stays a string). No snippet: the message must stay on one line.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| describe(text, &e))
}

fn describe(text: &str, e: &serde_saphyr::Error) -> YamlError {
    if let serde_saphyr::Error::DuplicateMappingKey {
        key: Some(key),
        location,
    } = e.without_snippet()
    {
        let line = location.line() as usize;
        let column = location.column() as usize;
        return YamlError::DuplicateKey {
            key: key.to_string(),
            first: first_line_of_key(text, key, line, column),
            line,
        };
    }
    // One line: the crate's message may span several.
    YamlError::Invalid(
        e.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
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
        assert_eq!(
            e.to_string(),
            "`r1` is defined twice, at line 1 and at line 5: keep one (or rename the other)"
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
        assert!(matches!(e, YamlError::Invalid(_)), "{e:?}");
        let e = e.to_string();
        assert!(!e.contains('\n') && e.contains("line"), "{e}");
    }
}
