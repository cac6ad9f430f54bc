//! RouterOS menu commands on a persona's configuration, as RouterOS 6 and 7
//! apply them: `add k=v …` appends an entry, `set [target] k=v …` writes
//! properties (`!k` or `k=""` returns one to its default, which `/export`
//! no longer prints), `remove <target>` drops the entries selected. A
//! target is `[ find k=v … ]` (entries holding all those properties), a
//! name (`telnet`, the entry `name=telnet`) or nothing (the menu itself).

use super::tree::{Node, words_bracketed as words};

/// (key, value without quotes, word) of each `k=v`; `.as=` keys of
/// RouterOS 7 expanded after the key they continue.
fn props(words: &[String]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        let key = if k.starts_with('.') {
            format!("{prefix}{k}")
        } else {
            if let Some((p, _)) = k.rsplit_once('.') {
                prefix = p.to_string();
            }
            k.to_string()
        };
        let value = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .map_or_else(|| v.to_string(), |x| x.replace("\\\"", "\""));
        out.push((key, value, w.clone()));
    }
    out
}

enum Target {
    Menu,
    Name(String),
    Find(Vec<(String, String)>),
}

impl Target {
    fn of(word: Option<&String>) -> Target {
        let Some(w) = word else {
            return Target::Menu;
        };
        match w.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            Some(inner) => Target::Find(
                props(&words(inner))
                    .into_iter()
                    .map(|(k, v, _)| (k, v))
                    .collect(),
            ),
            None => Target::Name(w.trim_matches('"').to_string()),
        }
    }

    /// Whether the entry printed as `line` (`add …`) is selected.
    fn selects(&self, line: &str) -> bool {
        let w = words(line);
        if w.first().map(String::as_str) != Some("add") {
            return false;
        }
        let have = props(&w[1..]);
        match self {
            Target::Menu => false,
            Target::Name(n) => have.iter().any(|(k, v, _)| k == "name" && v == n),
            Target::Find(want) => want
                .iter()
                .all(|(k, v)| have.iter().any(|(hk, hv, _)| hk == k && hv == v)),
        }
    }
}

/// `line` with the property words of `changes` written over its own.
fn written(line: &str, changes: &[String]) -> String {
    let w = words(line);
    let (head, mut kept): (Vec<String>, Vec<String>) = {
        let split = w
            .iter()
            .position(|x| x.contains('=') && !x.starts_with('['))
            .unwrap_or(w.len());
        (w[..split].to_vec(), w[split..].to_vec())
    };
    for c in changes {
        let (key, unset) = match c.strip_prefix('!') {
            Some(k) => (k.to_string(), true),
            None => {
                let (k, v) = c.split_once('=').unwrap_or((c, ""));
                (k.to_string(), v.is_empty() || v == "\"\"")
            }
        };
        let at = kept
            .iter()
            .position(|x| x.split_once('=').is_some_and(|(k, _)| k == key));
        match (at, unset) {
            (Some(i), true) => {
                kept.remove(i);
            }
            (Some(i), false) => kept[i] = c.clone(),
            (None, true) => {}
            (None, false) => kept.push(c.clone()),
        }
    }
    let mut all = head;
    all.extend(kept);
    all.join(" ")
}

/// Apply `verb rest` (`rest` the words after the verb) to the menu
/// `section`. The error is RouterOS's message.
pub fn apply(section: &mut Node, verb: &str, rest: &str) -> Result<(), String> {
    let w = words(rest);
    match verb {
        "add" => {
            // `place-before=<target>` puts the entry before the one selected.
            let (place, own): (Vec<String>, Vec<String>) =
                w.into_iter().partition(|x| x.starts_with("place-before="));
            let line = Node::leaf(format!("add {}", own.join(" ")));
            let before = place
                .first()
                .and_then(|p| p.split_once('='))
                .map(|(_, t)| Target::of(Some(&t.to_string())));
            match before.and_then(|t| section.children.iter().position(|c| t.selects(&c.line))) {
                Some(at) => section.children.insert(at, line),
                None => section.children.push(line),
            }
            Ok(())
        }
        "set" => {
            let has_target = w
                .first()
                .is_some_and(|x| x.starts_with('[') || (!x.contains('=') && !x.starts_with('!')));
            let target = Target::of(w.first().filter(|_| has_target));
            let changes: Vec<String> = w[usize::from(has_target)..].to_vec();
            let head = if has_target {
                format!("set {}", w[0])
            } else {
                "set".to_string()
            };
            let mut hit = false;
            for c in &mut section.children {
                let own = words(&c.line);
                let same_set = own.first().map(String::as_str) == Some("set")
                    && match &target {
                        Target::Menu => own.get(1).is_none_or(|x| x.contains('=')),
                        _ => has_target && own.get(1) == w.first(),
                    };
                if same_set || target.selects(&c.line) {
                    c.line = written(&c.line, &changes);
                    hit = true;
                }
            }
            if !hit {
                // Items that exist without a line (ports, services) take one.
                section.children.push(Node::leaf(written(&head, &changes)));
            }
            // A `set` left with no property is printed no more.
            section.children.retain(|c| {
                let own = words(&c.line);
                own.first().map(String::as_str) != Some("set")
                    || own
                        .iter()
                        .skip(1)
                        .any(|x| x.contains('=') && !x.starts_with('['))
            });
            Ok(())
        }
        _ => {
            let target = Target::of(w.first());
            if let Target::Name(n) = &target
                && !section.children.iter().any(|c| target.selects(&c.line))
            {
                return Err(format!("no such item ({n})\n"));
            }
            section.children.retain(|c| !target.selects(&c.line));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(lines: &[&str]) -> Node {
        let mut n = Node::leaf("/ip address");
        n.children = lines.iter().map(|l| Node::leaf(*l)).collect();
        n
    }

    fn lines(n: &Node) -> Vec<&str> {
        n.children.iter().map(|c| c.line.as_str()).collect()
    }

    #[test]
    fn add_set_and_remove_by_find_as_routeros_does() {
        let mut s = section(&["add address=10.0.0.1/24 interface=ether1 network=10.0.0.0"]);
        apply(&mut s, "add", "address=192.0.2.1/24 interface=ether2").unwrap();
        apply(
            &mut s,
            "set",
            "[ find address=192.0.2.1/24 ] comment=\"a b\"",
        )
        .unwrap();
        assert_eq!(
            lines(&s)[1],
            "add address=192.0.2.1/24 interface=ether2 comment=\"a b\""
        );
        apply(&mut s, "set", "[ find address=192.0.2.1/24 ] !comment").unwrap();
        assert_eq!(lines(&s)[1], "add address=192.0.2.1/24 interface=ether2");
        apply(
            &mut s,
            "remove",
            "[ find address=192.0.2.1/24 interface=ether2 ]",
        )
        .unwrap();
        assert_eq!(
            lines(&s),
            ["add address=10.0.0.1/24 interface=ether1 network=10.0.0.0"]
        );
        apply(
            &mut s,
            "add",
            "address=10.0.0.9/24 interface=ether1 place-before=[ find address=10.0.0.1/24 ]",
        )
        .unwrap();
        assert_eq!(lines(&s)[0], "add address=10.0.0.9/24 interface=ether1");
        s.children.remove(0);
        // An empty find removes nothing and is no error.
        apply(&mut s, "remove", "[ find address=203.0.113.1/24 ]").unwrap();
        assert_eq!(lines(&s).len(), 1);
    }

    #[test]
    fn a_menu_set_writes_over_its_properties_and_a_default_is_not_printed() {
        let mut s = section(&["set servers=10.0.0.1"]);
        apply(
            &mut s,
            "set",
            "servers=192.0.2.53 allow-remote-requests=yes",
        )
        .unwrap();
        assert_eq!(
            lines(&s),
            ["set servers=192.0.2.53 allow-remote-requests=yes"]
        );
        apply(&mut s, "set", "!allow-remote-requests servers=\"\"").unwrap();
        assert!(lines(&s).is_empty(), "{:?}", lines(&s));
        let mut s = section(&["set [ find default-name=ether1 ] comment=uplink"]);
        apply(&mut s, "set", "[ find default-name=ether1 ] disabled=yes").unwrap();
        assert_eq!(
            lines(&s),
            ["set [ find default-name=ether1 ] comment=uplink disabled=yes"]
        );
        assert_eq!(
            apply(&mut s, "remove", "bogus-item"),
            Err("no such item (bogus-item)\n".into())
        );
    }
}
