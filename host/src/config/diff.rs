//! What must be sent to make a device's configuration hold a candidate:
//! hierarchical and indentation-aware for IOS-like configurations (a child
//! line is compared within its parent block), `set`/`delete` lines for
//! Junos, and unified diffs for people.

use super::mechanics::{ConfigMechanics, Style};

/// One configuration line and the block under it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    /// The line without indentation or trailing blanks.
    line: String,
    /// Index of the line in the text it came from.
    index: usize,
    /// Index of the last line of its block.
    end: usize,
    children: Vec<Node>,
}

/// A configuration as a forest of blocks, and its lines as printed.
#[derive(Debug, Clone)]
struct Tree {
    lines: Vec<String>,
    roots: Vec<Node>,
}

/// Lines that carry no configuration: comments, blank lines, the closing
/// `end`, and the `exit…` lines that close a sub-mode block.
fn is_structural(trimmed: &str, style: Style) -> bool {
    trimmed.is_empty()
        || trimmed.starts_with('!')
        || (style == Style::Set && trimmed.starts_with('#'))
        || trimmed == "end"
        || trimmed == "exit"
        || (trimmed.starts_with("exit-") && !trimmed.contains(' '))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The configuration text as a tree; top-level lines (section headers) in
/// the form the device prints them, so a header typed another way (`int
/// gi0/1`) matches the running configuration's (`interface GigabitEthernet0/1`).
fn parse(text: &str, mechanics: &ConfigMechanics) -> Tree {
    let style = mechanics.style;
    let lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    let mut roots: Vec<Node> = Vec::new();
    // Path of (indentation, child index) from the roots to the open block.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for (index, raw) in lines.iter().enumerate() {
        let trimmed = raw.trim();
        if is_structural(trimmed, style) {
            continue;
        }
        let indent = if style == Style::Indented {
            indent_of(raw)
        } else {
            0
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let line = if stack.is_empty() {
            mechanics.canonical(trimmed).into_owned()
        } else {
            trimmed.to_string()
        };
        let node = Node {
            line,
            index,
            end: index,
            children: Vec::new(),
        };
        let mut level = &mut roots;
        for (_, child) in &stack {
            let parent = &mut level[*child];
            parent.end = index;
            level = &mut parent.children;
        }
        level.push(node);
        stack.push((indent, level.len() - 1));
    }
    Tree { lines, roots }
}

/// An edit at some place of the tree: the parent lines leading there, and
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    /// Add this line (and its block) under `path`.
    Add { path: Vec<String>, node: Node },
    /// Send a negation (`no …`, `delete …`) under `path` that removes `removes`.
    Remove {
        path: Vec<String>,
        command: String,
        removes: Vec<usize>,
    },
}

/// The commands of a change, and the configuration predicted after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change {
    /// What to type in configuration mode, in order.
    pub commands: Vec<String>,
    /// The running configuration as it should read afterwards.
    pub predicted: String,
}

impl Change {
    /// Whether nothing needs sending.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// The node of `level` whose line is `line`.
fn find<'a>(level: &'a [Node], line: &str) -> Option<&'a Node> {
    level.iter().find(|n| n.line == line)
}

fn lines_of(node: &Node, out: &mut Vec<usize>) {
    out.push(node.index);
    for c in &node.children {
        lines_of(c, out);
    }
}

/// What `no X` would remove from `level`: lines equal to `X` or starting
/// with `X ` (IOS accepts `no ntp server 192.0.2.1` for
/// `ntp server 192.0.2.1 prefer`).
fn negated<'a>(level: &'a [Node], target: &str) -> Vec<&'a Node> {
    level
        .iter()
        .filter(|n| {
            n.line == target
                || (n.line.starts_with(target) && n.line[target.len()..].starts_with(' '))
        })
        .collect()
}

/// Edits that make `running` hold every line of `candidate` (merge).
fn merge(running: &[Node], candidate: &[Node], path: &[String], edits: &mut Vec<Edit>) {
    for c in candidate {
        if let Some(r) = find(running, &c.line) {
            let mut deeper = path.to_vec();
            deeper.push(c.line.clone());
            merge(&r.children, &c.children, &deeper, edits);
            continue;
        }
        if let Some(target) = c.line.strip_prefix("no ") {
            let hit = negated(running, target.trim());
            if !hit.is_empty() {
                let mut removes = Vec::new();
                for n in hit {
                    lines_of(n, &mut removes);
                }
                edits.push(Edit::Remove {
                    path: path.to_vec(),
                    command: c.line.clone(),
                    removes,
                });
            }
            // Nothing to remove: already absent.
            continue;
        }
        edits.push(Edit::Add {
            path: path.to_vec(),
            node: c.clone(),
        });
    }
}

/// A statement of a `set`-style configuration with a braces group
/// flattened: SR OS MD-CLI prints a list entry that has no leaves as
/// `/configure { system time ntp server 192.0.2.1 router-instance "Base" }`,
/// the same statement as the line without the braces.
fn statement(line: &str) -> std::borrow::Cow<'_, str> {
    if let Some(open) = line.find(" { ")
        && !line[..open].contains('"')
        && let Some(inner) = line[open + 3..].strip_suffix(" }")
    {
        return format!("{} {}", &line[..open], inner.trim()).into();
    }
    line.into()
}

/// The path a `delete` names to remove a statement: `set X` → `X` (Junos,
/// VyOS); a statement that is an absolute path (MD-CLI `/configure …`) is
/// its own path; other lines (`deactivate …`) have none.
fn statement_path(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("set ") {
        return Some(statement(rest).into_owned());
    }
    line.starts_with('/').then(|| statement(line).into_owned())
}

/// Whether `longer` is `shorter` or goes on from it by more words.
fn extends(longer: &str, shorter: &str) -> bool {
    longer == shorter || (longer.starts_with(shorter) && longer[shorter.len()..].starts_with(' '))
}

/// Whether the statement `c` holds in `running`: the same statement, or
/// one that goes on from it (`set interfaces ge-0/0/0` holds where `set
/// interfaces ge-0/0/0 description x` does; an MD-CLI list entry holds
/// where one of its leaves is set).
fn holds(running: &[Node], c: &str) -> bool {
    let c = statement(c);
    running.iter().any(|r| extends(&statement(&r.line), &c))
}

/// Running statements a `delete PATH` removes: those whose path is `PATH`
/// or goes on from it.
fn deleted_by<'a>(running: &'a [Node], path: &str) -> Vec<&'a Node> {
    let path = statement(path.trim());
    running
        .iter()
        .filter(|r| statement_path(&r.line).is_some_and(|p| extends(&p, &path)))
        .collect()
}

/// `set`-style replace: a running statement no candidate statement holds
/// is deleted by its path, then the merge adds what is missing.
fn replace_set(running: &[Node], candidate: &[Node], edits: &mut Vec<Edit>) {
    for r in running {
        let r_stmt = statement(&r.line);
        if candidate
            .iter()
            .any(|c| extends(&statement(&c.line), &r_stmt))
        {
            continue;
        }
        let Some(path) = statement_path(&r.line) else {
            continue;
        };
        edits.push(Edit::Remove {
            path: Vec::new(),
            command: format!("delete {path}"),
            removes: vec![r.index],
        });
    }
    let adds: Vec<Node> = candidate
        .iter()
        .filter(|c| !c.line.starts_with("delete "))
        .cloned()
        .collect();
    merge_set(running, &adds, edits);
}

/// Edits that make `running` equal `candidate` (replace): lines only in
/// `running` are negated, then the merge adds what is missing.
fn replace(running: &[Node], candidate: &[Node], path: &[String], edits: &mut Vec<Edit>) {
    for r in running {
        if find(candidate, &r.line).is_some() {
            continue;
        }
        let command = match r.line.strip_prefix("no ") {
            Some(rest) => rest.to_string(),
            None => format!("no {}", r.line),
        };
        let mut removes = Vec::new();
        lines_of(r, &mut removes);
        edits.push(Edit::Remove {
            path: path.to_vec(),
            command,
            removes,
        });
    }
    for c in candidate {
        match find(running, &c.line) {
            Some(r) => {
                let mut deeper = path.to_vec();
                deeper.push(c.line.clone());
                replace(&r.children, &c.children, &deeper, edits);
            }
            None => edits.push(Edit::Add {
                path: path.to_vec(),
                node: c.clone(),
            }),
        }
    }
}

/// `set`/`delete` merge (Junos, VyOS, SR OS MD-CLI): a statement is sent
/// unless it holds already; a `delete X` only when some statement under
/// `X` exists.
fn merge_set(running: &[Node], candidate: &[Node], edits: &mut Vec<Edit>) {
    for c in candidate {
        if let Some(target) = c.line.strip_prefix("delete ") {
            let hit = deleted_by(running, target);
            if !hit.is_empty() {
                edits.push(Edit::Remove {
                    path: Vec::new(),
                    command: c.line.clone(),
                    removes: hit.iter().map(|n| n.index).collect(),
                });
            }
            continue;
        }
        if holds(running, &c.line) {
            continue;
        }
        edits.push(Edit::Add {
            path: Vec::new(),
            node: c.clone(),
        });
    }
}

/// Type a new block: its line, its children, and `exit` after a block
/// with children (it opened a sub-mode).
fn type_node(node: &Node, out: &mut Vec<String>) {
    out.push(node.line.clone());
    for c in &node.children {
        type_node(c, out);
    }
    if !node.children.is_empty() {
        out.push("exit".into());
    }
}

fn commands_of(edits: &[Edit]) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Vec<String> = Vec::new();
    for e in edits {
        let (path, lines) = match e {
            Edit::Add { path, node } => {
                let mut lines = Vec::new();
                type_node(node, &mut lines);
                (path, lines)
            }
            Edit::Remove { path, command, .. } => (path, vec![command.clone()]),
        };
        if &open != path {
            // Leave the blocks entered for the previous edit, enter this one's.
            for _ in 0..open.len() {
                out.push("exit".into());
            }
            out.extend(path.iter().cloned());
            open = path.clone();
        }
        out.extend(lines);
    }
    for _ in 0..open.len() {
        out.push("exit".into());
    }
    out
}

/// Where, in the original lines, a block added under `path` goes: after
/// the parent's block, or before the closing `end` at the top.
fn insertion_point(tree: &Tree, path: &[String]) -> usize {
    let mut level = &tree.roots;
    let mut after = None;
    for p in path {
        match level.iter().find(|n| &n.line == p) {
            Some(n) => {
                after = Some(n.end);
                level = &n.children;
            }
            None => break,
        }
    }
    match after {
        Some(i) => i + 1,
        None => tree
            .lines
            .iter()
            .rposition(|l| l.trim() == "end")
            .unwrap_or(tree.lines.len()),
    }
}

/// Where the top-level lines of `tree` start and the spaces per block level
/// below them: the top-level lines' smallest indentation (0, or 4 in an SR
/// OS classic configuration whose `configure` framing was left out) and the
/// smallest step beyond it (IOS 1, NX-OS 2, EOS 3, SR OS 4), 1 when nothing
/// is nested.
fn indentation(tree: &Tree) -> (usize, usize) {
    let base = tree
        .roots
        .iter()
        .map(|n| indent_of(&tree.lines[n.index]))
        .min()
        .unwrap_or(0);
    let unit = tree
        .lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l))
        .filter(|i| *i > base)
        .min()
        .map_or(1, |i| i - base);
    (base, unit)
}

fn render_new(node: &Node, depth: usize, indent: (usize, usize), out: &mut Vec<String>) {
    let (base, unit) = indent;
    out.push(format!("{}{}", " ".repeat(base + depth * unit), node.line));
    for c in &node.children {
        render_new(c, depth + 1, indent, out);
    }
}

/// The running text with `edits` applied: removed lines dropped, added
/// blocks placed at the end of their parent block.
fn predict(tree: &Tree, edits: &[Edit]) -> String {
    let indent = indentation(tree);
    let mut removed = vec![false; tree.lines.len()];
    let mut inserts: Vec<(usize, Vec<String>)> = Vec::new();
    for e in edits {
        match e {
            Edit::Remove { removes, .. } => {
                for i in removes {
                    if let Some(r) = removed.get_mut(*i) {
                        *r = true;
                    }
                }
            }
            Edit::Add { path, node } => {
                let at = insertion_point(tree, path);
                let mut lines = Vec::new();
                render_new(node, path.len(), indent, &mut lines);
                inserts.push((at, lines));
            }
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(tree.lines.len());
    for (i, line) in tree.lines.iter().enumerate() {
        for (_, lines) in inserts.iter().filter(|(at, _)| *at == i) {
            out.extend(lines.iter().cloned());
        }
        if !removed[i] {
            out.push(line.clone());
        }
    }
    for (_, lines) in inserts.iter().filter(|(at, _)| *at >= tree.lines.len()) {
        out.extend(lines.iter().cloned());
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The change that makes `running` hold `candidate`: with `replace`, the
/// configuration becomes `candidate` exactly (lines it lacks are negated).
pub fn change(
    running: &str,
    candidate: &str,
    mechanics: &ConfigMechanics,
    replace_all: bool,
) -> Change {
    let style = mechanics.style;
    if style == Style::Blocks {
        return super::blocks::change(running, candidate, replace_all);
    }
    if style == Style::Menus {
        return super::menus::change(running, candidate, replace_all);
    }
    let r = parse(running, mechanics);
    let c = parse(candidate, mechanics);
    let mut edits = Vec::new();
    match (style, replace_all) {
        (Style::Set, true) => replace_set(&r.roots, &c.roots, &mut edits),
        (_, true) => replace(&r.roots, &c.roots, &[], &mut edits),
        (Style::Set, false) => merge_set(&r.roots, &c.roots, &mut edits),
        (_, false) => merge(&r.roots, &c.roots, &[], &mut edits),
    }
    Change {
        commands: commands_of(&edits),
        predicted: predict(&r, &edits),
    }
}

/// Whether two configurations hold the same lines in the same blocks
/// (order of siblings, comments and blank lines aside).
pub fn same_config(a: &str, b: &str, mechanics: &ConfigMechanics) -> bool {
    if mechanics.style == Style::Blocks {
        return super::blocks::same_config(a, b);
    }
    if mechanics.style == Style::Menus {
        return super::menus::same_config(a, b);
    }
    if mechanics.style == Style::Set {
        let statements = |text: &str| {
            let mut v: Vec<String> = parse(text, mechanics)
                .roots
                .iter()
                .map(|n| statement(&n.line).into_owned())
                .collect();
            v.sort();
            v
        };
        return statements(a) == statements(b);
    }
    fn canon(nodes: &[Node]) -> Vec<(String, Vec<String>)> {
        let mut v: Vec<(String, Vec<String>)> = nodes
            .iter()
            .map(|n| {
                let kids = canon(&n.children)
                    .into_iter()
                    .map(|(l, k)| format!("{l}{{{}}}", k.join(";")))
                    .collect();
                (n.line.clone(), kids)
            })
            .collect();
        v.sort();
        v
    }
    canon(&parse(a, mechanics).roots) == canon(&parse(b, mechanics).roots)
}

/// A unified diff of `before` → `after` (empty when equal), with the
/// device's name in the headers.
pub fn unified(device: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{device} (before)"), &format!("{device} (after)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(style: Style) -> ConfigMechanics {
        ConfigMechanics {
            style,
            ..Default::default()
        }
    }

    const RUNNING: &str = "\
!
hostname r1
!
ntp server 192.0.2.1 prefer
!
interface GigabitEthernet0/1
 description uplink
 ip address 10.0.0.1 255.255.255.0
!
router bgp 65000
 neighbor 10.0.0.2 remote-as 65001
 address-family ipv4
  network 10.0.0.0 mask 255.255.255.0
 exit-address-family
!
line vty 0 4
 login local
!
end
";

    fn merged(candidate: &str) -> Change {
        change(RUNNING, candidate, &of(Style::Indented), false)
    }

    #[test]
    fn lines_already_present_are_not_sent() {
        let c = merged("hostname r1\ninterface GigabitEthernet0/1\n description uplink\n");
        assert!(c.is_empty(), "{:?}", c.commands);
        assert_eq!(c.predicted, RUNNING);
    }

    #[test]
    fn a_child_line_is_sent_inside_its_parent_block_then_left() {
        let c = merged("interface GigabitEthernet0/1\n description uplink\n shutdown\n");
        assert_eq!(
            c.commands,
            ["interface GigabitEthernet0/1", "shutdown", "exit"]
        );
        assert!(
            c.predicted
                .contains(" ip address 10.0.0.1 255.255.255.0\n shutdown\n!\nrouter bgp"),
            "{}",
            c.predicted
        );
    }

    #[test]
    fn the_same_child_under_another_parent_is_a_change() {
        // ` login local` exists under `line vty 0 4`, not under `line con 0`.
        let c = merged("line con 0\n login local\n");
        assert_eq!(c.commands, ["line con 0", "login local", "exit"]);
    }

    #[test]
    fn nested_blocks_are_entered_level_by_level() {
        let c = merged(
            "router bgp 65000\n address-family ipv4\n  network 10.1.0.0 mask 255.255.0.0\n exit-address-family\n",
        );
        assert_eq!(
            c.commands,
            [
                "router bgp 65000",
                "address-family ipv4",
                "network 10.1.0.0 mask 255.255.0.0",
                "exit",
                "exit"
            ]
        );
    }

    #[test]
    fn a_new_block_is_typed_whole() {
        let c = merged(
            "interface Loopback9\n description mgmt\n ip address 10.9.9.9 255.255.255.255\nntp server 192.0.2.2\n",
        );
        assert_eq!(
            c.commands,
            [
                "interface Loopback9",
                "description mgmt",
                "ip address 10.9.9.9 255.255.255.255",
                "exit",
                "ntp server 192.0.2.2"
            ]
        );
        assert!(c.predicted.ends_with(
            "interface Loopback9\n description mgmt\n ip address 10.9.9.9 255.255.255.255\nntp server 192.0.2.2\nend\n"
        ));
    }

    #[test]
    fn a_negation_is_sent_only_when_it_removes_something() {
        let c = merged("no ntp server 192.0.2.1\nno ntp server 192.0.2.99\n");
        assert_eq!(c.commands, ["no ntp server 192.0.2.1"]);
        assert!(!c.predicted.contains("ntp server"));
        let again = change(
            &c.predicted,
            "no ntp server 192.0.2.1\n",
            &of(Style::Indented),
            false,
        );
        assert!(again.is_empty(), "idempotent: {:?}", again.commands);
    }

    #[test]
    fn applying_the_predicted_change_twice_changes_nothing() {
        let candidate = "ntp server 192.0.2.7\ninterface GigabitEthernet0/1\n shutdown\n";
        let first = merged(candidate);
        let second = change(&first.predicted, candidate, &of(Style::Indented), false);
        assert!(second.is_empty(), "{:?}", second.commands);
    }

    #[test]
    fn replace_negates_what_the_candidate_lacks() {
        let running = "hostname r1\nntp server 192.0.2.1\nno ip domain lookup\ninterface Loopback1\n description old\n ip address 10.1.1.1 255.255.255.255\n";
        let candidate = "hostname r1\nntp server 192.0.2.2\ninterface Loopback1\n ip address 10.1.1.1 255.255.255.255\n";
        let c = change(running, candidate, &of(Style::Indented), true);
        assert_eq!(
            c.commands,
            [
                "no ntp server 192.0.2.1",
                "ip domain lookup",
                "ntp server 192.0.2.2",
                "interface Loopback1",
                "no description old",
                "exit"
            ]
        );
        assert!(
            same_config(&c.predicted, candidate, &of(Style::Indented)),
            "{}",
            c.predicted
        );
    }

    #[test]
    fn junos_set_lines_are_sent_when_missing_and_deletes_when_present() {
        let running = "## Last commit: 2026-11-30 06:00:00 UTC by admin\nset system host-name j1\nset system ntp server 192.0.2.1\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\n";
        let c = change(
            running,
            "set system host-name j1\nset system ntp server 192.0.2.2\ndelete system ntp server 192.0.2.1\ndelete system syslog\n",
            &of(Style::Set),
            false,
        );
        assert_eq!(
            c.commands,
            [
                "set system ntp server 192.0.2.2",
                "delete system ntp server 192.0.2.1"
            ]
        );
        let again = change(
            &c.predicted,
            "set system ntp server 192.0.2.2\ndelete system ntp server 192.0.2.1\n",
            &of(Style::Set),
            false,
        );
        assert!(again.is_empty(), "{:?}", again.commands);
    }

    #[test]
    fn junos_replace_deletes_set_lines_the_candidate_lacks() {
        let running = "set system host-name j1\nset system ntp server 192.0.2.1\n";
        let c = change(
            running,
            "set system host-name j1\nset system ntp server 192.0.2.2\n",
            &of(Style::Set),
            true,
        );
        assert_eq!(
            c.commands,
            [
                "delete system ntp server 192.0.2.1",
                "set system ntp server 192.0.2.2"
            ]
        );
    }

    /// SR OS MD-CLI `admin show configuration full-context`, as printed.
    const MD_CLI: &str = r#"# TiMOS-C-23.10.R1 cpm/x86_64 Nokia 7750 SR Copyright (c) 2000-2023 Nokia.
    /configure card 1 card-type iom-1
    /configure port 1/1/c1/1 admin-state enable
    /configure port 1/1/c1/1 description "to-core"
    /configure { router "Base" interface "system" }
    /configure system name "pe1"
    /configure { system time ntp server 10.0.0.1 router-instance "management" }
"#;

    #[test]
    fn md_cli_statements_hold_in_their_braces_form_and_under_their_leaves() {
        let m = of(Style::Set);
        // Typed with or without the braces, an entry the device prints in
        // braces holds; so does an entry one of whose leaves is set.
        let c = change(
            MD_CLI,
            concat!(
                "/configure system time ntp server 10.0.0.1 router-instance \"management\"\n",
                "/configure { router \"Base\" interface \"system\" }\n",
                "/configure port 1/1/c1/1\n",
                "/configure system time ntp server 192.0.2.9 router-instance \"Base\"\n",
                "/configure system location \"Lab\"\n",
            ),
            &m,
            false,
        );
        assert_eq!(
            c.commands,
            [
                "/configure system time ntp server 192.0.2.9 router-instance \"Base\"",
                "/configure system location \"Lab\"",
            ]
        );
        let again = change(
            &c.predicted,
            "/configure system location \"Lab\"\n",
            &m,
            false,
        );
        assert!(again.is_empty(), "{:?}", again.commands);
    }

    #[test]
    fn md_cli_deletes_name_the_path_and_remove_what_is_under_it() {
        let m = of(Style::Set);
        let c = change(
            MD_CLI,
            concat!(
                "delete /configure system time ntp server 10.0.0.1 router-instance \"management\"\n",
                "delete /configure port 1/1/c1/1 description\n",
                "delete /configure system location\n",
            ),
            &m,
            false,
        );
        assert_eq!(
            c.commands,
            [
                "delete /configure system time ntp server 10.0.0.1 router-instance \"management\"",
                "delete /configure port 1/1/c1/1 description",
            ],
            "nothing sent for what is absent"
        );
        assert!(!c.predicted.contains("ntp server"));
        assert!(!c.predicted.contains("to-core"));
        // Replace: what the candidate lacks goes, by its path, braces flattened.
        let r = change(
            MD_CLI,
            "/configure card 1 card-type iom-1\n/configure port 1/1/c1/1 admin-state enable\n/configure system name \"pe1\"\n/configure router \"Base\" interface \"system\"\n",
            &m,
            true,
        );
        assert_eq!(
            r.commands,
            [
                "delete /configure port 1/1/c1/1 description \"to-core\"",
                "delete /configure system time ntp server 10.0.0.1 router-instance \"management\"",
            ]
        );
        assert!(same_config(
            &r.predicted,
            "/configure card 1 card-type iom-1\n/configure port 1/1/c1/1 admin-state enable\n/configure system name \"pe1\"\n/configure { router \"Base\" interface \"system\" }\n",
            &m
        ));
    }

    #[test]
    fn a_set_statement_holds_where_a_longer_one_goes_on_from_it() {
        let c = change(
            "set system ntp server 192.0.2.1 prefer\nset system host-name j1-backup\n",
            "set system ntp server 192.0.2.1\nset system host-name j1\n",
            &of(Style::Set),
            false,
        );
        assert_eq!(c.commands, ["set system host-name j1"]);
    }

    #[test]
    fn flat_style_ignores_indentation() {
        let c = change("a 1\n b 2\n", "b 2\nc 3\n", &of(Style::Flat), false);
        assert_eq!(c.commands, ["c 3"]);
    }

    #[test]
    fn same_config_ignores_order_comments_and_exit_lines() {
        assert!(same_config(
            "a\n b\n c\n!\nd\nend\n",
            "d\na\n c\n b\n exit\n",
            &of(Style::Indented)
        ));
        assert!(!same_config("a\n b\n", "a\nb\n", &of(Style::Indented)));
    }

    #[test]
    fn unified_diff_names_the_device_and_is_empty_without_change() {
        assert_eq!(unified("r1", "a\n", "a\n"), "");
        let d = unified("r1", "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- r1 (before)\n+++ r1 (after)\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }

    fn nxos() -> ConfigMechanics {
        use crate::transport::config_mechanics::InterfaceNaming;
        ConfigMechanics {
            interface_naming: Some(InterfaceNaming {
                keyword: "interface".into(),
                shortest: "int".into(),
                types: ["Ethernet", "loopback", "mgmt", "port-channel", "Vlan"]
                    .map(String::from)
                    .to_vec(),
            }),
            ..of(Style::Indented)
        }
    }

    const NXOS_RUNNING: &str = "\
hostname leaf1
interface mgmt0
  vrf member management
  ip address 192.0.2.10/24
interface loopback0
  description router-id
  ip address 10.255.0.1/32
interface Ethernet1/1
  no switchport
";

    #[test]
    fn a_header_typed_in_another_case_matches_the_running_section() {
        let c = change(
            NXOS_RUNNING,
            "interface Loopback0\n  description router-id\n",
            &nxos(),
            false,
        );
        assert!(c.is_empty(), "{:?}", c.commands);
        assert_eq!(c.predicted, NXOS_RUNNING);
    }

    #[test]
    fn a_child_under_a_header_typed_differently_is_sent_in_the_device_form() {
        let candidate = "int e1/1\n  description uplink\n";
        let c = change(NXOS_RUNNING, candidate, &nxos(), false);
        assert_eq!(
            c.commands,
            ["interface Ethernet1/1", "description uplink", "exit"]
        );
        assert!(
            c.predicted
                .ends_with("interface Ethernet1/1\n  no switchport\n  description uplink\n"),
            "{}",
            c.predicted
        );
        let again = change(&c.predicted, candidate, &nxos(), false);
        assert!(again.is_empty(), "idempotent: {:?}", again.commands);
    }

    #[test]
    fn a_new_interface_is_typed_and_predicted_as_the_device_prints_it() {
        let c = change(
            NXOS_RUNNING,
            "interface Vlan10\n  no shutdown\n",
            &nxos(),
            false,
        );
        assert_eq!(c.commands, ["interface Vlan10", "no shutdown", "exit"]);
        let c = change(NXOS_RUNNING, "interface Port-Channel10\n", &nxos(), false);
        assert_eq!(c.commands, ["interface port-channel10"]);
        assert!(
            c.predicted.ends_with("interface port-channel10\n"),
            "{}",
            c.predicted
        );
    }

    #[test]
    fn replace_keeps_a_section_the_candidate_names_in_another_form() {
        let candidate = "hostname leaf1\ninterface MGMT0\n  vrf member management\n  ip address 192.0.2.10/24\ninterface Loopback0\n  description router-id\n  ip address 10.255.0.1/32\ninterface ethernet1/1\n  no switchport\n";
        let c = change(NXOS_RUNNING, candidate, &nxos(), true);
        assert!(c.is_empty(), "{:?}", c.commands);
        assert!(same_config(NXOS_RUNNING, candidate, &nxos()));
    }

    #[test]
    fn removing_an_interface_typed_in_another_case_removes_the_section() {
        let c = change(NXOS_RUNNING, "no interface Loopback0\n", &nxos(), false);
        assert_eq!(c.commands, ["no interface loopback0"]);
        assert!(!c.predicted.contains("router-id"), "{}", c.predicted);
    }

    /// SR OS classic `admin display-config` (19.x), as the platform file
    /// reads it: its volatile lines (`#` comments, the `echo` section
    /// titles, the `exit all` / `configure` framing) left out.
    const SROS_DISPLAY_CONFIG: &str = "\
# TiMOS-C-19.10.R7 cpm/x86_64 Nokia 7750 SR-1 Copyright (c) 2000-2020 Nokia.
# Generated TUE DEC 01 10:40:51 2026 UTC

exit all
configure
#--------------------------------------------------
echo \"System Configuration\"
#--------------------------------------------------
    system
        name \"sros001\"
        time
            ntp
                server 10.0.0.1
                no shutdown
            exit
            zone UTC
        exit
    exit
#--------------------------------------------------
echo \"Router (Network Side) Configuration\"
#--------------------------------------------------
    router Base
        interface \"to-pe2\"
            address 10.0.0.1/31
            no shutdown
        exit
        autonomous-system 65001
    exit
exit all

# Finished TUE DEC 01 10:40:52 2026 UTC
";

    fn sros_classic() -> ConfigMechanics {
        use crate::transport::config_mechanics::ConfigSpec;
        ConfigMechanics::compile(&ConfigSpec {
            show_running: "admin display-config".into(),
            volatile: ["^#", "^echo \"", "^exit all$", "^configure$"]
                .map(String::from)
                .to_vec(),
            style: Style::Indented,
            ..Default::default()
        })
        .expect("compiles")
    }

    #[test]
    fn sros_classic_blocks_closed_by_exit_take_a_line_in_place_and_predict_its_indentation() {
        let m = sros_classic();
        let running = super::super::steps::strip_volatile(SROS_DISPLAY_CONFIG, &m);
        assert!(running.starts_with("    system\n"), "{running}");
        let candidate = "system\n    time\n        ntp\n            server 192.0.2.123\n        exit\n    exit\nexit\n";
        let c = change(&running, candidate, &m, false);
        assert_eq!(
            c.commands,
            [
                "system",
                "time",
                "ntp",
                "server 192.0.2.123",
                "exit",
                "exit",
                "exit"
            ]
        );
        // Where the device prints it: in `ntp`, four spaces deeper.
        assert!(
            c.predicted.contains(
                "                no shutdown\n                server 192.0.2.123\n            exit\n"
            ),
            "{}",
            c.predicted
        );
        let again = change(&c.predicted, candidate, &m, false);
        assert!(again.is_empty(), "idempotent: {:?}", again.commands);
        // A new context under an existing one, and a leaf removed.
        let c = change(
            &running,
            "router Base\n    interface \"to-pe3\"\n        shutdown\n    exit\n    no autonomous-system\nexit\n",
            &m,
            false,
        );
        assert_eq!(
            c.commands,
            [
                "router Base",
                "interface \"to-pe3\"",
                "shutdown",
                "exit",
                "no autonomous-system",
                "exit"
            ]
        );
        assert!(
            c.predicted.contains(
                "        exit\n        interface \"to-pe3\"\n            shutdown\n    exit\n"
            ),
            "{}",
            c.predicted
        );
        assert!(
            !c.predicted.contains("autonomous-system"),
            "{}",
            c.predicted
        );
    }
}
