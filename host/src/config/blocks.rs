//! What must be sent to a device whose configuration is made of blocks
//! opened by a word and closed by another (FortiOS: `config <path>` …
//! `end`, `edit <name>` … `next`): a `set <attribute> …` holds one value
//! per attribute (typing it again overwrites), `unset <attribute>` removes
//! a setting and `delete <name>` a table entry; there is no `no …`.

use super::diff::Change;

/// What a line is, for matching it with the running configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `config <path>`: a block closed by `end`.
    Config,
    /// `edit <name>`: a table entry closed by `next`.
    Edit,
    /// `set <attribute> <value…>`: one value per attribute.
    Set,
    /// `unset <attribute>`: removes the setting.
    Unset,
    /// `delete <name>`: removes the entry.
    Delete,
    /// Anything else (`append`, `select`, …): compared as a whole line.
    Other,
}

/// One line and, for `config`/`edit`, its block.
#[derive(Debug, Clone)]
struct Node {
    /// The line without indentation.
    line: String,
    kind: Kind,
    /// What identifies it among its siblings: the path of a `config`, the
    /// unquoted name of an `edit`, the attribute of a `set`/`unset`, the
    /// name of a `delete`, the line otherwise.
    key: String,
    /// Index of the line in the text it came from.
    index: usize,
    /// Index of its closing line (`end`, `next`), or `index` for a line
    /// without block or a block left open at the end of the text.
    close: usize,
    children: Vec<Node>,
}

impl Node {
    fn opens_block(&self) -> bool {
        matches!(self.kind, Kind::Config | Kind::Edit)
    }

    /// The line closing this block.
    fn closer(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Config => Some("end"),
            Kind::Edit => Some("next"),
            _ => None,
        }
    }

    /// `set` lines are equal when their values are, quotes aside (FortiOS
    /// prints `set hostname "fw1"` for a typed `set hostname fw1`).
    fn same_as(&self, other: &Node) -> bool {
        self.kind == other.kind
            && self.key == other.key
            && (self.kind != Kind::Set || values(&self.line) == values(&other.line))
    }
}

/// The words of `line` with double quotes dropped, quoted words kept whole.
fn values(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquoted(word: &str) -> String {
    values(word).join(" ")
}

fn kind_and_key(line: &str) -> (Kind, String) {
    let (verb, rest) = match line.split_once(char::is_whitespace) {
        Some((v, r)) => (v, r.trim()),
        None => (line, ""),
    };
    match verb {
        "config" => (Kind::Config, values(rest).join(" ")),
        "edit" => (Kind::Edit, unquoted(rest)),
        "delete" => (Kind::Delete, unquoted(rest)),
        "set" | "unset" => {
            let attr = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let kind = if verb == "set" {
                Kind::Set
            } else {
                Kind::Unset
            };
            (kind, attr)
        }
        _ => (Kind::Other, line.to_string()),
    }
}

/// The configuration text as a forest of blocks. Comments (`#…`) and blank
/// lines carry nothing; a closing line without open block is ignored.
fn parse(text: &str) -> (Vec<String>, Vec<Node>) {
    let lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    let mut roots: Vec<Node> = Vec::new();
    // Child indices from the roots to the open block.
    let mut open: Vec<usize> = Vec::new();
    for (index, raw) in lines.iter().enumerate() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t == "next" {
            // Closes an `edit`; with none open there is nothing to close.
            if let Some(&i) = open.last() {
                let (up, _) = open.split_at(open.len() - 1);
                let node = node_at(&mut roots, up, i);
                if node.kind == Kind::Edit {
                    node.close = index;
                    open.pop();
                }
            }
            continue;
        }
        if t == "end" {
            // Closes a `config`, and an `edit` left open inside it.
            while let Some(i) = open.pop() {
                let node = node_at(&mut roots, &open, i);
                node.close = index;
                if node.kind == Kind::Config {
                    break;
                }
            }
            continue;
        }
        let mut level = &mut roots;
        for i in &open {
            level = &mut level[*i].children;
        }
        let (kind, key) = kind_and_key(t);
        level.push(Node {
            line: t.to_string(),
            kind,
            key,
            index,
            close: index,
            children: Vec::new(),
        });
        if level.last().is_some_and(Node::opens_block) {
            open.push(level.len() - 1);
        }
    }
    // Blocks left open close at the end of the text.
    while let Some(i) = open.pop() {
        let last = lines.len().saturating_sub(1);
        node_at(&mut roots, &open, i).close = last;
    }
    (lines, roots)
}

fn node_at<'a>(roots: &'a mut [Node], path: &[usize], i: usize) -> &'a mut Node {
    let mut level = roots;
    for p in path {
        level = &mut level[*p].children;
    }
    &mut level[i]
}

/// An edit at some place of the tree.
#[derive(Debug, Clone)]
enum Edit {
    /// Add this line (and its block) at the end of the block at `path`.
    Add { path: Vec<String>, node: Node },
    /// Type `line` at `path`, overwriting the line at `index` (a `set` of
    /// another value).
    Overwrite {
        path: Vec<String>,
        line: String,
        index: usize,
    },
    /// Type `command` at `path`; it removes the lines `from..=to`.
    Remove {
        path: Vec<String>,
        command: String,
        from: usize,
        to: usize,
    },
}

impl Edit {
    fn path(&self) -> &[String] {
        match self {
            Edit::Add { path, .. } | Edit::Overwrite { path, .. } | Edit::Remove { path, .. } => {
                path
            }
        }
    }
}

fn find<'a>(level: &'a [Node], kind: &Kind, key: &str) -> Option<&'a Node> {
    level.iter().find(|n| &n.kind == kind && n.key == key)
}

fn deeper(path: &[String], line: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(line.to_string());
    p
}

/// Edits that make `running` hold every line of `candidate`.
fn merge(running: &[Node], candidate: &[Node], path: &[String], edits: &mut Vec<Edit>) {
    for c in candidate {
        match c.kind {
            Kind::Config | Kind::Edit => match find(running, &c.kind, &c.key) {
                Some(r) => merge(&r.children, &c.children, &deeper(path, &r.line), edits),
                None => edits.push(Edit::Add {
                    path: path.to_vec(),
                    node: c.clone(),
                }),
            },
            Kind::Set => match find(running, &Kind::Set, &c.key) {
                Some(r) if r.same_as(c) => {}
                Some(r) => edits.push(Edit::Overwrite {
                    path: path.to_vec(),
                    line: c.line.clone(),
                    index: r.index,
                }),
                None => edits.push(Edit::Add {
                    path: path.to_vec(),
                    node: c.clone(),
                }),
            },
            Kind::Unset | Kind::Delete => {
                let target = if c.kind == Kind::Unset {
                    Kind::Set
                } else {
                    Kind::Edit
                };
                // Already absent: nothing to send.
                if let Some(r) = find(running, &target, &c.key) {
                    edits.push(Edit::Remove {
                        path: path.to_vec(),
                        command: c.line.clone(),
                        from: r.index,
                        to: r.close,
                    });
                }
            }
            Kind::Other => {
                if !running.iter().any(|r| r.line == c.line) {
                    edits.push(Edit::Add {
                        path: path.to_vec(),
                        node: c.clone(),
                    });
                }
            }
        }
    }
}

/// Edits that make `running` equal `candidate`: settings the candidate
/// lacks are unset, entries it lacks deleted, and a `config` block it lacks
/// emptied the same way (the block itself is the device's); then what is
/// missing is added.
fn replace(running: &[Node], candidate: &[Node], path: &[String], edits: &mut Vec<Edit>) {
    for r in running {
        if find(candidate, &r.kind, &r.key).is_some() {
            continue;
        }
        let command = match r.kind {
            Kind::Set => format!("unset {}", r.key),
            Kind::Edit => format!("delete {}", r.line["edit".len()..].trim()),
            Kind::Config => {
                replace(&r.children, &[], &deeper(path, &r.line), edits);
                continue;
            }
            // Nothing the device holds that a negation could remove.
            _ => continue,
        };
        edits.push(Edit::Remove {
            path: path.to_vec(),
            command,
            from: r.index,
            to: r.close,
        });
    }
    for c in candidate {
        match (&c.kind, find(running, &c.kind, &c.key)) {
            (Kind::Config | Kind::Edit, Some(r)) => {
                replace(&r.children, &c.children, &deeper(path, &r.line), edits)
            }
            _ => merge(running, std::slice::from_ref(c), path, edits),
        }
    }
}

/// Type a new line and its block, closed.
fn type_node(node: &Node, out: &mut Vec<String>) {
    out.push(node.line.clone());
    for c in &node.children {
        type_node(c, out);
    }
    if let Some(close) = node.closer() {
        out.push(close.into());
    }
}

fn closer_of(line: &str) -> &'static str {
    if line.starts_with("edit") {
        "next"
    } else {
        "end"
    }
}

fn commands_of(edits: &[Edit]) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Vec<String> = Vec::new();
    for e in edits {
        let path = e.path();
        // Close the blocks this edit is not in, open the ones it is.
        let common = open.iter().zip(path).take_while(|(a, b)| a == b).count();
        while open.len() > common {
            if let Some(l) = open.pop() {
                out.push(closer_of(&l).into());
            }
        }
        for p in &path[common..] {
            out.push(p.clone());
            open.push(p.clone());
        }
        match e {
            Edit::Add { node, .. } => type_node(node, &mut out),
            Edit::Overwrite { line, .. } => out.push(line.clone()),
            Edit::Remove { command, .. } => out.push(command.clone()),
        }
    }
    while let Some(l) = open.pop() {
        out.push(closer_of(&l).into());
    }
    out
}

/// Where, in the original lines, a block added under `path` goes: before
/// the closing line of the innermost block of `path`, or at the end.
fn insertion_point(lines: &[String], roots: &[Node], path: &[String]) -> usize {
    let mut level = roots;
    let mut at = None;
    for p in path {
        let (kind, key) = kind_and_key(p);
        match find(level, &kind, &key) {
            Some(n) => {
                at = Some(if n.close > n.index {
                    n.close
                } else {
                    n.index + 1
                });
                level = &n.children;
            }
            None => break,
        }
    }
    at.unwrap_or(lines.len())
}

/// Spaces per block level: FortiOS prints four.
const INDENT: usize = 4;

fn render_new(node: &Node, depth: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(depth * INDENT);
    out.push(format!("{pad}{}", node.line));
    for c in &node.children {
        render_new(c, depth + 1, out);
    }
    if let Some(close) = node.closer() {
        out.push(format!("{pad}{close}"));
    }
}

/// The running text with `edits` applied.
fn predict(lines: &[String], roots: &[Node], edits: &[Edit]) -> String {
    let mut removed = vec![false; lines.len()];
    let mut replaced: Vec<Option<String>> = vec![None; lines.len()];
    let mut inserts: Vec<(usize, Vec<String>)> = Vec::new();
    for e in edits {
        match e {
            Edit::Remove { from, to, .. } => {
                for r in removed.iter_mut().take(*to + 1).skip(*from) {
                    *r = true;
                }
            }
            Edit::Overwrite { line, index, .. } => {
                if let Some(old) = lines.get(*index) {
                    let pad = &old[..old.len() - old.trim_start().len()];
                    replaced[*index] = Some(format!("{pad}{line}"));
                }
            }
            Edit::Add { path, node } => {
                let at = insertion_point(lines, roots, path);
                let mut new = Vec::new();
                render_new(node, path.len(), &mut new);
                inserts.push((at, new));
            }
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        for (_, new) in inserts.iter().filter(|(at, _)| *at == i) {
            out.extend(new.iter().cloned());
        }
        if removed[i] {
            continue;
        }
        out.push(replaced[i].clone().unwrap_or_else(|| line.clone()));
    }
    for (_, new) in inserts.iter().filter(|(at, _)| *at >= lines.len()) {
        out.extend(new.iter().cloned());
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The change that makes `running` hold `candidate` (with `replace_all`,
/// equal it).
pub fn change(running: &str, candidate: &str, replace_all: bool) -> Change {
    let (lines, r) = parse(running);
    let (_, c) = parse(candidate);
    let mut edits = Vec::new();
    if replace_all {
        replace(&r, &c, &[], &mut edits);
    } else {
        merge(&r, &c, &[], &mut edits);
    }
    Change {
        commands: commands_of(&edits),
        predicted: predict(&lines, &r, &edits),
    }
}

/// Whether two configurations hold the same settings and entries (order of
/// siblings, comments, quotes and empty `config` blocks aside).
pub fn same_config(a: &str, b: &str) -> bool {
    fn canon(nodes: &[Node]) -> Vec<String> {
        let mut v: Vec<String> = nodes
            .iter()
            .filter_map(|n| {
                let line = if n.kind == Kind::Set {
                    values(&n.line).join(" ")
                } else {
                    format!("{:?} {}", n.kind, n.key)
                };
                let children = canon(&n.children);
                // A `config` block holding nothing is the device's own
                // (printed or not), not configuration.
                if n.kind == Kind::Config && children.is_empty() {
                    return None;
                }
                Some(format!("{line}{{{}}}", children.join(";")))
            })
            .collect();
        v.sort();
        v
    }
    canon(&parse(a).1) == canon(&parse(b).1)
}

/// How many blocks are open after the first `n` of `commands` (the lines
/// typed before a refused one): each is left with the platform's abort.
pub fn open_after(commands: &[String], n: usize) -> usize {
    let mut depth: usize = 0;
    for c in commands.iter().take(n) {
        match kind_and_key(c.trim()).0 {
            Kind::Config | Kind::Edit => depth += 1,
            _ if matches!(c.trim(), "end" | "next") => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As a FortiGate prints `show` (volatile `#…` header lines aside).
    const RUNNING: &str = "\
config system global
    set hostname \"fgt1\"
    set timezone \"Etc/UTC\"
end
config system interface
    edit \"port1\"
        set vdom \"root\"
        set ip 192.0.2.1 255.255.255.0
        set allowaccess ping https ssh
    next
    edit \"port2\"
        set vdom \"root\"
        set status down
    next
end
config system ntp
    set ntpsync enable
    set type custom
    config ntpserver
        edit 1
            set server \"10.0.0.1\"
        next
    end
end
";

    #[test]
    fn a_setting_of_another_value_is_typed_once_inside_its_blocks_and_closed() {
        let c = change(
            RUNNING,
            "config system interface\n    edit port1\n        set allowaccess ping\n    next\nend\n",
            false,
        );
        assert_eq!(
            c.commands,
            [
                "config system interface",
                "edit \"port1\"",
                "set allowaccess ping",
                "next",
                "end"
            ]
        );
        assert!(
            c.predicted
                .contains("        set allowaccess ping\n    next\n    edit \"port2\""),
            "overwritten in place: {}",
            c.predicted
        );
        assert!(!c.predicted.contains("https"), "{}", c.predicted);
        let again = change(
            &c.predicted,
            "config system interface\n    edit port1\n        set allowaccess ping\n    next\nend\n",
            false,
        );
        assert!(again.is_empty(), "idempotent: {:?}", again.commands);
    }

    #[test]
    fn values_typed_without_quotes_match_the_quoted_ones_the_device_prints() {
        let c = change(
            RUNNING,
            "config system global\n    set hostname fgt1\nend\nconfig system ntp\n    config ntpserver\n        edit 1\n            set server 10.0.0.1\n        next\n    end\nend\n",
            false,
        );
        assert!(c.is_empty(), "{:?}", c.commands);
        assert_eq!(c.predicted, RUNNING);
    }

    #[test]
    fn a_new_entry_is_typed_whole_in_the_table_and_predicted_where_the_device_prints_it() {
        let t = "config system ntp\n    config ntpserver\n        edit 2\n            set server \"192.0.2.9\"\n        next\n    end\nend\n";
        let c = change(RUNNING, t, false);
        assert_eq!(
            c.commands,
            [
                "config system ntp",
                "config ntpserver",
                "edit 2",
                "set server \"192.0.2.9\"",
                "next",
                "end",
                "end"
            ]
        );
        assert!(
            c.predicted.ends_with("        next\n        edit 2\n            set server \"192.0.2.9\"\n        next\n    end\nend\n"),
            "{}",
            c.predicted
        );
        assert!(change(&c.predicted, t, false).is_empty());
    }

    #[test]
    fn unset_and_delete_are_sent_only_when_they_remove_something() {
        let t = "config system interface\n    edit port1\n        unset allowaccess\n        unset description\n    next\n    delete port2\n    delete port9\nend\n";
        let c = change(RUNNING, t, false);
        assert_eq!(
            c.commands,
            [
                "config system interface",
                "edit \"port1\"",
                "unset allowaccess",
                "next",
                "delete port2",
                "end"
            ]
        );
        assert!(!c.predicted.contains("port2"), "{}", c.predicted);
        assert!(!c.predicted.contains("allowaccess"), "{}", c.predicted);
        assert!(change(&c.predicted, t, false).is_empty());
    }

    #[test]
    fn replace_unsets_settings_deletes_entries_and_never_types_no() {
        let candidate = "\
config system global
    set hostname \"fgt1\"
end
config system interface
    edit \"port1\"
        set vdom \"root\"
        set ip 192.0.2.1 255.255.255.0
        set allowaccess ping
    next
end
";
        let c = change(RUNNING, candidate, true);
        assert_eq!(
            c.commands,
            [
                "config system ntp",
                "unset ntpsync",
                "unset type",
                "config ntpserver",
                "delete 1",
                "end",
                "end",
                "config system global",
                "unset timezone",
                "end",
                "config system interface",
                "delete \"port2\"",
                "edit \"port1\"",
                "set allowaccess ping",
                "next",
                "end"
            ]
        );
        assert!(
            c.commands.iter().all(|l| !l.starts_with("no ")),
            "{:?}",
            c.commands
        );
        assert!(same_config(&c.predicted, candidate), "{}", c.predicted);
        assert!(change(&c.predicted, candidate, true).is_empty());
    }

    #[test]
    fn same_config_ignores_order_quotes_and_comments() {
        assert!(same_config(
            "#config-version=x\nconfig a\n    set x \"1\"\n    set y 2\nend\n",
            "config a\nset y 2\nset x 1\nend\n"
        ));
        assert!(!same_config(
            "config a\n    set x 1\nend\n",
            "config a\n    set x 2\nend\n"
        ));
        assert!(!same_config(
            "config a\n    edit 1\n    next\nend\n",
            "config a\nend\n"
        ));
    }

    #[test]
    fn blocks_open_before_a_refused_line_are_counted() {
        let lines: Vec<String> = [
            "config system interface",
            "edit \"port1\"",
            "set bogus 1",
            "next",
            "end",
            "config system global",
            "set x y",
            "end",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(open_after(&lines, 0), 0);
        assert_eq!(open_after(&lines, 2), 2);
        assert_eq!(open_after(&lines, 4), 1);
        assert_eq!(open_after(&lines, 6), 1);
        assert_eq!(open_after(&lines, 8), 0);
    }
}
