//! What must be sent to a device whose configuration is made of menus
//! (MikroTik RouterOS `/export`): a `/path` line heads the commands of its
//! menu, `add k=v …` makes an entry, `set [target] k=v …` changes
//! properties (of the menu itself, of a named item, or of the entries a
//! `[ find k=v … ]` selects), `remove [ find … ]` drops entries. Lines apply
//! at once, so the way back is computed the same way: what was added is
//! removed with `remove [ find <its properties> ]`, what was removed is
//! added again, a property is `set` back to its old value or unset with
//! `!name` (RouterOS's `set … !property`), as `/export` printed them before.

use super::diff::Change;
use std::collections::BTreeMap;

/// One `key=value` word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prop {
    /// The key, a RouterOS 7 shorthand `.as` expanded (`remote.as`).
    key: String,
    /// The value without quotes.
    value: String,
    /// The word as typed or printed (`comment="a b"`, `.as=65001`).
    word: String,
}

/// What a `set` or `remove` applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// The menu itself (`/ip dns set servers=…`).
    Menu,
    /// An item by name or number (`/ip service set telnet …`).
    Name(String),
    /// The entries whose properties include these (`[ find k=v … ]`).
    Find(Vec<Prop>),
}

impl Target {
    fn parse(word: &str) -> Target {
        let Some(inner) = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')) else {
            return Target::Name(unquoted(word));
        };
        let words: Vec<String> = words(inner)
            .into_iter()
            .filter(|w| !matches!(w.as_str(), "find" | "where" | "and"))
            .collect();
        Target::Find(props(&words).0)
    }

    /// How commands write it (empty for the menu itself).
    fn typed(&self) -> String {
        match self {
            Target::Menu => String::new(),
            Target::Name(n) => quoted(n),
            Target::Find(p) => {
                let words: Vec<String> = p.iter().map(full_word).collect();
                format!("[ find {} ]", words.join(" "))
            }
        }
    }

    /// Whether an `add` entry with `props` is one this target selects.
    fn selects(&self, props: &[Prop]) -> bool {
        match self {
            Target::Menu => false,
            Target::Name(n) => props.iter().any(|p| p.key == "name" && &p.value == n),
            Target::Find(want) => want
                .iter()
                .all(|w| props.iter().any(|p| p.key == w.key && p.value == w.value)),
        }
    }

    /// The same target, compared by value (quoting and spacing aside).
    fn same(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::Find(a), Target::Find(b)) => map(a) == map(b),
            (a, b) => a == b,
        }
    }
}

/// A line of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// `add k=v …`: an entry of a list.
    Add(Vec<Prop>),
    /// `set [target] k=v …`: properties of the menu or of an item.
    Set(Target, Vec<Prop>),
    /// Anything else the export prints, kept as is.
    Other(String),
}

impl Entry {
    fn line(&self) -> String {
        let words = |p: &[Prop]| p.iter().map(|p| p.word.clone()).collect::<Vec<_>>();
        match self {
            Entry::Add(p) => format!("add {}", words(p).join(" ")),
            Entry::Set(t, p) => {
                let mut all = vec!["set".to_string()];
                if *t != Target::Menu {
                    all.push(t.typed());
                }
                all.extend(words(p));
                all.join(" ")
            }
            Entry::Other(l) => l.clone(),
        }
    }
}

/// An entry and the lines it was printed as (none when netrun made it).
#[derive(Debug, Clone)]
struct Printed {
    entry: Entry,
    raw: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Menu {
    path: String,
    raw: Option<String>,
    entries: Vec<Printed>,
}

/// A whole `/export`.
#[derive(Debug, Clone, Default)]
struct Config {
    /// Lines before the first menu (the export's `#` header).
    preamble: Vec<String>,
    menus: Vec<Menu>,
}

impl Config {
    fn menu_mut(&mut self, path: &str) -> &mut Menu {
        let at = match self.menus.iter().position(|m| m.path == path) {
            Some(i) => i,
            None => {
                self.menus.push(Menu {
                    path: path.to_string(),
                    ..Default::default()
                });
                self.menus.len() - 1
            }
        };
        &mut self.menus[at]
    }

    fn menu(&self, path: &str) -> Option<&Menu> {
        self.menus.iter().find(|m| m.path == path)
    }

    fn render(&self) -> String {
        let mut out: Vec<String> = self.preamble.clone();
        for m in &self.menus {
            if m.entries.is_empty() && m.raw.is_none() {
                continue;
            }
            out.push(m.raw.clone().unwrap_or_else(|| m.path.clone()));
            for e in &m.entries {
                if e.raw.is_empty() {
                    out.push(e.entry.line());
                } else {
                    out.extend(e.raw.iter().cloned());
                }
            }
        }
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}

/// Words of a command: blanks split them except inside quotes and `[ … ]`.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut depth) = (false, false, 0usize);
    for c in text.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '[' if !quoted => {
                depth += 1;
                cur.push(c);
            }
            ']' if !quoted => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquoted(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_string(),
    }
}

/// `value` as RouterOS reads it back: quoted when it holds blanks or is empty.
fn quoted(value: &str) -> String {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || "\"[];".contains(c))
    {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

/// `key=value` with the full key, for a `[ find … ]`.
fn full_word(p: &Prop) -> String {
    format!("{}={}", p.key, quoted(&p.value))
}

/// The `key=value` words of `words` as properties (RouterOS 7's `.as=`
/// shorthand expanded after the key it continues), and the `!key` words.
fn props(words: &[String]) -> (Vec<Prop>, Vec<String>) {
    let mut out = Vec::new();
    let mut unset = Vec::new();
    let mut prefix = String::new();
    for w in words {
        if let Some(k) = w.strip_prefix('!') {
            unset.push(k.to_string());
            continue;
        }
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        let key = if k.starts_with('.') && !prefix.is_empty() {
            format!("{prefix}{k}")
        } else {
            if let Some((p, _)) = k.rsplit_once('.') {
                prefix = p.to_string();
            }
            k.to_string()
        };
        out.push(Prop {
            key,
            value: unquoted(v),
            word: w.clone(),
        });
    }
    (out, unset)
}

fn map(props: &[Prop]) -> BTreeMap<&str, &str> {
    props
        .iter()
        .map(|p| (p.key.as_str(), p.value.as_str()))
        .collect()
}

/// `/ip/address` (RouterOS 7) and `/ip address` name the same menu.
fn menu_path(words: &[String]) -> String {
    let joined = words.join(" ");
    let mut path = String::from("/");
    path.push_str(&joined.trim_start_matches('/').replace('/', " "));
    path.split_whitespace().collect::<Vec<_>>().join(" ")
}

const VERBS: [&str; 3] = ["add", "set", "remove"];

/// A command of a candidate, in its menu.
#[derive(Debug, Clone)]
enum Command {
    Add(Vec<Prop>),
    Set(Target, Vec<Prop>, Vec<String>),
    Remove(Target),
    /// A line that is no add/set/remove: sent as is when missing.
    Other(String),
}

fn command_of(words: &[String]) -> Command {
    let rest = &words[1..];
    match words[0].as_str() {
        "add" => Command::Add(props(rest).0),
        "set" => {
            let (target, rest) = match rest.first() {
                Some(w) if w.starts_with('[') || (!w.contains('=') && !w.starts_with('!')) => {
                    (Target::parse(w), &rest[1..])
                }
                _ => (Target::Menu, rest),
            };
            let (p, unset) = props(rest);
            Command::Set(target, p, unset)
        }
        "remove" => Command::Remove(rest.first().map_or(Target::Menu, |w| {
            Target::parse(w.trim_start_matches("numbers="))
        })),
        _ => Command::Other(words.join(" ")),
    }
}

/// Logical lines (continuations ending in `\` joined) with the lines they
/// were printed as.
fn logical_lines(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut raw = Vec::new();
    for line in text.lines() {
        let t = line.trim_end();
        raw.push(t.to_string());
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head.trim_start());
            continue;
        }
        pending.push_str(t.trim_start());
        out.push((std::mem::take(&mut pending), std::mem::take(&mut raw)));
    }
    if !pending.is_empty() {
        out.push((pending, raw));
    }
    out
}

/// A text as (menu, command, line as typed), menus resolved: a `/path`
/// line alone enters the menu, `/path verb …` is a command of that menu.
fn commands(text: &str) -> Vec<(String, Command, Vec<String>)> {
    let mut out = Vec::new();
    let mut menu = String::from("/");
    for (line, raw) in logical_lines(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let w = words(t);
        if t.starts_with('/') {
            match w.iter().position(|x| VERBS.contains(&x.as_str())) {
                Some(v) => {
                    let path = menu_path(&w[..v]);
                    out.push((path, command_of(&w[v..]), raw));
                }
                None => menu = menu_path(&w),
            }
            continue;
        }
        out.push((menu.clone(), command_of(&w), raw));
    }
    out
}

fn parse(text: &str) -> Config {
    let mut config = Config::default();
    let mut current: Option<usize> = None;
    for (line, raw) in logical_lines(text) {
        let t = line.trim();
        if t.starts_with('/') {
            let w = words(t);
            if !w.iter().any(|x| VERBS.contains(&x.as_str())) {
                let path = menu_path(&w);
                config.menus.push(Menu {
                    path,
                    raw: Some(raw.join("\n")),
                    entries: Vec::new(),
                });
                current = Some(config.menus.len() - 1);
                continue;
            }
        }
        let Some(i) = current else {
            config.preamble.extend(raw);
            continue;
        };
        if t.is_empty() || t.starts_with('#') {
            config.menus[i].entries.push(Printed {
                entry: Entry::Other(t.to_string()),
                raw,
            });
            continue;
        }
        let entry = match command_of(&words(t)) {
            Command::Add(p) => Entry::Add(p),
            Command::Set(target, p, _) => Entry::Set(target, p),
            _ => Entry::Other(t.to_string()),
        };
        config.menus[i].entries.push(Printed { entry, raw });
    }
    config
}

/// `props` written over `into` (an empty value or a `!key` returns the
/// property to its default, which `/export` does not print).
fn apply(into: &mut Vec<Prop>, props: &[Prop], unset: &[String]) {
    for p in props {
        match into.iter_mut().find(|q| q.key == p.key) {
            Some(q) => *q = p.clone(),
            None => into.push(p.clone()),
        }
    }
    into.retain(|q| !q.value.is_empty() && !unset.contains(&q.key));
}

/// Whether writing `props` and unsetting `unset` would change `have`.
fn changes(have: &[Prop], props: &[Prop], unset: &[String]) -> bool {
    props.iter().any(|p| {
        let now = have
            .iter()
            .find(|q| q.key == p.key)
            .map(|q| q.value.as_str());
        now.unwrap_or("") != p.value
    }) || unset.iter().any(|k| have.iter().any(|q| &q.key == k))
}

/// Merge: what makes `running` hold every command of `candidate`.
fn merge(running: &str, candidate: &str) -> Change {
    let mut config = parse(running);
    let mut sent = Vec::new();
    for (path, cmd, raw) in commands(candidate) {
        let typed = || {
            let body = raw
                .iter()
                .map(|l| l.trim().trim_end_matches('\\').trim())
                .collect::<Vec<_>>()
                .join(" ");
            if body.starts_with('/') {
                body
            } else {
                format!("{path} {body}")
            }
        };
        let menu = config.menu_mut(&path);
        match cmd {
            Command::Add(p) => {
                let want = map(&p);
                if menu
                    .entries
                    .iter()
                    .any(|e| matches!(&e.entry, Entry::Add(q) if map(q) == want))
                {
                    continue;
                }
                sent.push(typed());
                menu.entries.push(Printed {
                    entry: Entry::Add(p),
                    raw: Vec::new(),
                });
            }
            Command::Set(target, p, unset) => {
                let mut hit = false;
                let mut needed = false;
                for e in &mut menu.entries {
                    let props = match &mut e.entry {
                        Entry::Set(t, q) if t.same(&target) => q,
                        Entry::Add(q) if target.selects(q) => q,
                        _ => continue,
                    };
                    hit = true;
                    if changes(props, &p, &unset) {
                        needed = true;
                        apply(props, &p, &unset);
                        e.raw.clear();
                    }
                }
                if !hit && p.iter().any(|q| !q.value.is_empty()) {
                    needed = true;
                    let mut q = Vec::new();
                    apply(&mut q, &p, &unset);
                    menu.entries.push(Printed {
                        entry: Entry::Set(target, q),
                        raw: Vec::new(),
                    });
                }
                if needed {
                    sent.push(typed());
                }
            }
            Command::Remove(target) => {
                let before = menu.entries.len();
                menu.entries
                    .retain(|e| !matches!(&e.entry, Entry::Add(q) if target.selects(q)));
                if menu.entries.len() != before {
                    sent.push(typed());
                }
            }
            Command::Other(line) => {
                if menu
                    .entries
                    .iter()
                    .any(|e| matches!(&e.entry, Entry::Other(l) if *l == line))
                {
                    continue;
                }
                sent.push(typed());
                menu.entries.push(Printed {
                    entry: Entry::Other(line),
                    raw: Vec::new(),
                });
            }
        }
    }
    // `set` entries left without properties are no longer printed.
    for m in &mut config.menus {
        m.entries
            .retain(|e| !matches!(&e.entry, Entry::Set(_, p) if p.is_empty()));
    }
    Change {
        commands: sent,
        predicted: config.render(),
    }
}

/// Menus whose entries apply in order (firewall rules): an entry added
/// back goes before the one it preceded (`place-before=`); elsewhere it is
/// added at the end, where order changes nothing but the export's.
fn ordered(path: &str) -> bool {
    ["/ip firewall ", "/ipv6 firewall "]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Replace: what makes `running` equal `target` (the way back to a
/// configuration printed before).
fn replace(running: &str, target: &str) -> Change {
    let now = parse(running);
    let want = parse(target);
    let mut sent = Vec::new();
    let mut paths: Vec<&str> = now.menus.iter().map(|m| m.path.as_str()).collect();
    for m in &want.menus {
        if !paths.contains(&m.path.as_str()) {
            paths.push(&m.path);
        }
    }
    let empty = Menu::default();
    for path in paths {
        let have = now.menu(path).unwrap_or(&empty);
        let need = want.menu(path).unwrap_or(&empty);
        let adds = |m: &Menu| -> Vec<Vec<Prop>> {
            m.entries
                .iter()
                .filter_map(|e| match &e.entry {
                    Entry::Add(p) => Some(p.clone()),
                    _ => None,
                })
                .collect()
        };
        let sets = |m: &Menu| -> Vec<(Target, Vec<Prop>)> {
            m.entries
                .iter()
                .filter_map(|e| match &e.entry {
                    Entry::Set(t, p) => Some((t.clone(), p.clone())),
                    _ => None,
                })
                .collect()
        };
        let (mut have_adds, need_adds) = (adds(have), adds(need));
        // Entries to drop: each present now and not wanted (duplicates counted).
        let mut keep = vec![false; have_adds.len()];
        let mut missing = vec![false; need_adds.len()];
        for (j, n) in need_adds.iter().enumerate() {
            match (0..have_adds.len()).find(|&i| !keep[i] && map(&have_adds[i]) == map(n)) {
                Some(i) => keep[i] = true,
                None => missing[j] = true,
            }
        }
        for (i, p) in have_adds.drain(..).enumerate() {
            if !keep[i] {
                sent.push(format!("{path} remove {}", Target::Find(p).typed()));
            }
        }
        for (j, p) in need_adds.iter().enumerate().filter(|(j, _)| missing[*j]) {
            let mut line = format!("{path} {}", Entry::Add(p.clone()).line());
            // Rule order decides in a firewall: back to its place, before
            // the next rule that stayed.
            if ordered(path)
                && let Some(next) = (j + 1..need_adds.len()).find(|k| !missing[*k])
            {
                line.push_str(&format!(
                    " place-before={}",
                    Target::Find(need_adds[next].clone()).typed()
                ));
            }
            sent.push(line);
        }
        let (have_sets, need_sets) = (sets(have), sets(need));
        let mut targets: Vec<&Target> = have_sets.iter().map(|(t, _)| t).collect();
        for (t, _) in &need_sets {
            if !targets.iter().any(|x| x.same(t)) {
                targets.push(t);
            }
        }
        for t in targets {
            let now_p: Vec<Prop> = have_sets
                .iter()
                .filter(|(x, _)| x.same(t))
                .flat_map(|(_, p)| p.clone())
                .collect();
            let want_p: Vec<Prop> = need_sets
                .iter()
                .filter(|(x, _)| x.same(t))
                .flat_map(|(_, p)| p.clone())
                .collect();
            let mut words: Vec<String> = want_p
                .iter()
                .filter(|p| !now_p.iter().any(|q| q.key == p.key && q.value == p.value))
                .map(full_word)
                .collect();
            words.extend(
                now_p
                    .iter()
                    .filter(|q| !want_p.iter().any(|p| p.key == q.key))
                    .map(|q| format!("!{}", q.key)),
            );
            if words.is_empty() {
                continue;
            }
            let target = match t {
                Target::Menu => String::new(),
                t => format!(" {}", t.typed()),
            };
            sent.push(format!("{path} set{target} {}", words.join(" ")));
        }
    }
    Change {
        commands: sent,
        predicted: want.render(),
    }
}

/// The change that makes `running` hold `candidate` (merge) or equal it
/// (`replace_all`, the way back).
pub fn change(running: &str, candidate: &str, replace_all: bool) -> Change {
    if replace_all {
        replace(running, candidate)
    } else {
        merge(running, candidate)
    }
}

/// Whether two exports hold the same entries and properties in each menu
/// (order, comments and line wrapping aside).
pub fn same_config(a: &str, b: &str) -> bool {
    fn canon(text: &str) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in parse(text).menus {
            let mut lines: Vec<String> = m
                .entries
                .iter()
                .filter_map(|e| match &e.entry {
                    Entry::Add(p) => Some(format!("add {:?}", map(p))),
                    Entry::Set(t, p) if !p.is_empty() => {
                        let t = match t {
                            Target::Find(f) => format!("{:?}", map(f)),
                            t => t.typed(),
                        };
                        Some(format!("set {t} {:?}", map(p)))
                    }
                    Entry::Other(l) if !l.is_empty() && !l.starts_with('#') => Some(l.clone()),
                    _ => None,
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            lines.sort();
            out.entry(m.path).or_default().extend(lines);
        }
        for v in out.values_mut() {
            v.sort();
        }
        out
    }
    canon(a) == canon(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/export` of a RouterOS 7 router, as it prints it.
    const EXPORT: &str = "\
# 2023-01-16 10:11:12 by RouterOS 7.11.2
# software id = HFA0-1A2B
#
/interface ethernet
set [ find default-name=ether1 ] comment=uplink
/ip address
add address=10.0.0.1/24 interface=ether1 network=10.0.0.0
/ip dns
set servers=10.0.0.1
/ip service
set telnet disabled=yes
/routing bgp connection
add as=65000 local.role=ebgp name=peer1 remote.address=10.0.0.2/32 .as=65001 \\
    router-id=10.0.0.1
/system identity
set name=mt001
/system ntp client servers
add address=10.0.0.1
";

    #[test]
    fn an_entry_already_there_is_not_sent_and_a_missing_one_is_added_in_its_menu() {
        let c = change(
            EXPORT,
            "/system ntp client servers\nadd address=10.0.0.1\nadd address=192.0.2.123\n",
            false,
        );
        assert_eq!(
            c.commands,
            ["/system ntp client servers add address=192.0.2.123"]
        );
        assert!(
            c.predicted
                .contains("add address=10.0.0.1\nadd address=192.0.2.123\n"),
            "{}",
            c.predicted
        );
        // The same, typed as one-liners with RouterOS 7's slashes.
        let again = change(
            &c.predicted,
            "/system/ntp/client/servers add address=192.0.2.123\n",
            false,
        );
        assert!(again.is_empty(), "{:?}", again.commands);
        assert!(same_config(&again.predicted, &c.predicted));
    }

    #[test]
    fn a_set_is_sent_only_when_a_property_differs() {
        let same = change(EXPORT, "/ip dns set servers=10.0.0.1\n", false);
        assert!(same.is_empty(), "{:?}", same.commands);
        let c = change(EXPORT, "/system identity set name=edge-1\n", false);
        assert_eq!(c.commands, ["/system identity set name=edge-1"]);
        assert!(c.predicted.contains("/system identity\nset name=edge-1\n"));
        // A property of the entries a find selects.
        let c = change(
            EXPORT,
            "/ip address set [ find address=10.0.0.1/24 ] comment=\"core link\"\n",
            false,
        );
        assert_eq!(c.commands.len(), 1);
        assert!(
            c.predicted.contains(
                "add address=10.0.0.1/24 interface=ether1 network=10.0.0.0 comment=\"core link\""
            ),
            "{}",
            c.predicted
        );
        let again = change(
            &c.predicted,
            "/ip address set [ find address=10.0.0.1/24 ] comment=\"core link\"\n",
            false,
        );
        assert!(again.is_empty(), "{:?}", again.commands);
    }

    #[test]
    fn a_remove_is_sent_only_when_it_selects_an_entry() {
        let gone = change(
            EXPORT,
            "/system ntp client servers remove [ find address=192.0.2.9 ]\n",
            false,
        );
        assert!(gone.is_empty());
        let c = change(
            EXPORT,
            "/system ntp client servers remove [ find address=10.0.0.1 ]\n",
            false,
        );
        assert_eq!(c.commands.len(), 1);
        assert!(!c.predicted.contains("add address=10.0.0.1\n"));
    }

    #[test]
    fn the_way_back_removes_what_was_added_sets_back_and_readds_what_was_removed() {
        let after = "\
/interface ethernet
set [ find default-name=ether1 ] comment=uplink disabled=yes
/ip address
add address=10.0.0.1/24 interface=ether1 network=10.0.0.0
add address=192.0.2.1/24 comment=\"netrun test\" interface=ether2 network=192.0.2.0
/ip dns
set servers=192.0.2.53
/routing bgp connection
add as=65000 local.role=ebgp name=peer1 remote.address=10.0.0.2/32 .as=65001 router-id=10.0.0.1
/system identity
set name=edge-1
";
        let back = change(after, EXPORT, true);
        assert_eq!(
            back.commands,
            [
                "/interface ethernet set [ find default-name=ether1 ] !disabled",
                "/ip address remove [ find address=192.0.2.1/24 comment=\"netrun test\" interface=ether2 network=192.0.2.0 ]",
                "/ip dns set servers=10.0.0.1",
                "/system identity set name=mt001",
                "/ip service set telnet disabled=yes",
                "/system ntp client servers add address=10.0.0.1",
            ]
        );
        assert!(same_config(&back.predicted, EXPORT));
        // Nothing to undo: nothing sent.
        assert!(change(EXPORT, EXPORT, true).is_empty());
    }

    #[test]
    fn a_firewall_rule_added_back_goes_before_the_rule_it_preceded() {
        let before = "/ip firewall filter\nadd action=accept chain=input protocol=icmp\nadd action=drop chain=input\n";
        let after = "/ip firewall filter\nadd action=drop chain=input\n";
        assert_eq!(
            change(after, before, true).commands,
            [
                "/ip firewall filter add action=accept chain=input protocol=icmp place-before=[ find action=drop chain=input ]"
            ]
        );
    }

    #[test]
    fn the_v7_shorthand_and_wrapped_lines_read_as_one_entry() {
        let one_line = EXPORT.replace(" \\\n    router-id", " router-id");
        assert!(same_config(EXPORT, &one_line));
        let c = change(
            EXPORT,
            "/routing bgp connection add as=65000 local.role=ebgp name=peer1 remote.address=10.0.0.2/32 remote.as=65001 router-id=10.0.0.1\n",
            false,
        );
        assert!(c.is_empty(), "{:?}", c.commands);
        assert!(!same_config(
            EXPORT,
            &EXPORT.replace(".as=65001", ".as=65002")
        ));
    }

    #[test]
    fn quoted_values_and_finds_keep_their_blanks() {
        assert_eq!(
            words("set [ find default-name=ether1 ] comment=\"a \\\"b\\\" c\""),
            [
                "set",
                "[ find default-name=ether1 ]",
                "comment=\"a \\\"b\\\" c\""
            ]
        );
        assert_eq!(unquoted("\"a \\\"b\\\" c\""), "a \"b\" c");
        assert_eq!(quoted("a b"), "\"a b\"");
        assert_eq!(quoted("x"), "x");
    }
}
