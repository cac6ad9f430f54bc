//! A device configuration as a tree of lines, with the parsers and printers of the
//! text formats devices use: indented blocks (IOS, NX-OS, EOS, XR, VRP, Comware …),
//! braces (Junos, PAN-OS, VyOS), FortiOS `config`/`edit`/`next`/`end` blocks and
//! RouterOS `/path` sections.

use std::fmt::Write as _;

/// One configuration line and the block under it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// The line as the device prints it, without indentation (`interface Gi0/1`,
    /// `host-name r1`, `set hostname "fgt"`).
    pub line: String,
    /// Lines of its block, in order.
    pub children: Vec<Node>,
}

impl Node {
    /// A line without a block.
    pub fn leaf(line: impl Into<String>) -> Node {
        Node {
            line: line.into(),
            children: Vec::new(),
        }
    }

    /// The child whose line is exactly `line`.
    pub fn child(&self, line: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.line == line)
    }

    /// The child whose line is `line`, created at the end when missing.
    pub fn child_mut_or_insert(&mut self, line: &str) -> &mut Node {
        let pos = match self.children.iter().position(|c| c.line == line) {
            Some(p) => p,
            None => {
                self.children.push(Node::leaf(line));
                self.children.len() - 1
            }
        };
        &mut self.children[pos]
    }

    /// The node at `path` (each element a full line), if it exists.
    pub fn at(&self, path: &[String]) -> Option<&Node> {
        let mut n = self;
        for p in path {
            n = n.child(p)?;
        }
        Some(n)
    }

    /// The node at `path`, creating missing blocks.
    pub fn at_mut_or_insert(&mut self, path: &[String]) -> &mut Node {
        let mut n = self;
        for p in path {
            n = n.child_mut_or_insert(p);
        }
        n
    }

    /// The node at `path`, if it exists.
    pub fn at_mut(&mut self, path: &[String]) -> Option<&mut Node> {
        let mut n = self;
        for p in path {
            n = n.children.iter_mut().find(|c| &c.line == p)?;
        }
        Some(n)
    }

    /// Removes the children whose line starts with the words of `prefix` (word-wise:
    /// `ip address` removes `ip address 10.0.0.1 255.0.0.0`, not `ip addresses`).
    /// Returns how many were removed.
    pub fn remove_prefixed(&mut self, prefix: &str) -> usize {
        let before = self.children.len();
        self.children
            .retain(|c| !starts_with_words(&c.line, prefix));
        before - self.children.len()
    }

    /// Sets a line in this block: replaces the first child starting with `key`
    /// (word-wise) when `key` is given, else adds the line unless present.
    pub fn upsert(&mut self, line: &str, key: Option<&str>) {
        if let Some(k) = key
            && let Some(c) = self
                .children
                .iter_mut()
                .find(|c| starts_with_words(&c.line, k))
        {
            if c.children.is_empty() {
                c.line = line.to_string();
            }
            return;
        }
        if self.child(line).is_none() {
            self.children.push(Node::leaf(line));
        }
    }

    /// Follows `path` where each element is a prefix of a line (word-wise) and
    /// returns the rest of the last line (quotes and a trailing `;` removed): how a
    /// persona finds its hostname (`hostname r1`, `system { host-name r1; }`).
    pub fn value_at(&self, path: &[String]) -> Option<String> {
        let mut n = self;
        let (last, parents) = path.split_last()?;
        for p in parents {
            n = n.children.iter().find(|c| starts_with_words(&c.line, p))?;
        }
        let leaf = n
            .children
            .iter()
            .find(|c| starts_with_words(&c.line, last))?;
        let v = leaf.line[last.len()..].trim().trim_end_matches(';').trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        // RouterOS style: `name=r1`.
        let v = v.strip_prefix('=').unwrap_or(v);
        Some(v.to_string())
    }

    /// [`Node::value_at`] here or, failing that, under one of the top-level blocks
    /// (FortiOS with VDOMs keeps `config system global` inside `config global`).
    pub fn find_value(&self, path: &[String]) -> Option<String> {
        self.value_at(path)
            .or_else(|| self.children.iter().find_map(|c| c.value_at(path)))
    }

    /// Whether some line of the tree is exactly `line`.
    pub fn contains_line(&self, line: &str) -> bool {
        self.children
            .iter()
            .any(|c| c.line == line || c.contains_line(line))
    }

    /// Number of lines in the tree (this node's line not counted).
    pub fn count(&self) -> usize {
        self.children.iter().map(|c| 1 + c.count()).sum()
    }
}

/// `line` starts with the whole words of `prefix`.
pub fn starts_with_words(line: &str, prefix: &str) -> bool {
    let prefix = prefix.trim();
    line.starts_with(prefix)
        && line[prefix.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '=' || c == ';')
}

/// Parses indentation-structured text (IOS, NX-OS, EOS, XR, VRP, Comware, SR OS
/// classic). Lines that are only a comment marker (`!`, `#`), blank lines,
/// `end`/`return` at top level and SR OS `exit` lines are dropped: printers put
/// them back.
pub fn parse_indented(text: &str, comments: &[&str]) -> Node {
    let mut root = Node::default();
    // Stack of (indent, path-of-indices).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let comment = comments.iter().any(|c| trimmed.starts_with(c));
        if comment && line == trimmed {
            // A comment at the left margin (`!`, `#`) ends every open block (VRP,
            // Comware write top-level lines indented by one space).
            stack.clear();
        }
        if trimmed.is_empty()
            || comment
            || trimmed == "exit"
            || (line == trimmed && (trimmed == "end" || trimmed == "return"))
        {
            continue;
        }
        let indent = line.len() - trimmed.len();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let mut n = &mut root;
        for (_, idx) in &stack {
            let i = *idx;
            n = &mut n.children[i];
        }
        n.children.push(Node::leaf(trimmed));
        stack.push((indent, n.children.len() - 1));
    }
    root
}

/// How an indented configuration is printed.
#[derive(Debug, Clone, Copy)]
pub struct IndentStyle<'a> {
    /// Indentation per level.
    pub indent: &'a str,
    /// Line printed after each top-level block (`!`, `#`, or empty for none).
    pub separator: &'a str,
    /// Print the separator after blocks only (true) or after every top-level line.
    pub separator_after_blocks_only: bool,
    /// Closing line of nested blocks (`exit` on SR OS classic), empty for none.
    pub close: &'a str,
}

/// Prints a tree as indented text.
pub fn render_indented(root: &Node, style: IndentStyle<'_>) -> String {
    fn walk(out: &mut String, n: &Node, depth: usize, style: IndentStyle<'_>) {
        for c in &n.children {
            let _ = writeln!(out, "{}{}", style.indent.repeat(depth), c.line);
            walk(out, c, depth + 1, style);
            if !c.children.is_empty() && !style.close.is_empty() {
                let _ = writeln!(out, "{}{}", style.indent.repeat(depth + 1), style.close);
            }
            if depth == 0
                && !style.separator.is_empty()
                && (!c.children.is_empty() || !style.separator_after_blocks_only)
            {
                let _ = writeln!(out, "{}", style.separator);
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, root, 0, style);
    out
}

/// Parses SR OS classic configuration text (`admin display-config`): the
/// `exit all` / `configure` framing, `#` comments and `echo "…"` section
/// titles are dropped, blocks go by indentation (their `exit` closers too).
pub fn parse_classic(text: &str) -> Node {
    let body: String = text
        .lines()
        .filter(|l| {
            let t = l.trim_end();
            !(t == "exit all" || t == "configure" || t.trim_start().starts_with("echo \""))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    parse_indented(&body, &["#"])
}

/// Prints an SR OS classic configuration as `admin display-config` does
/// between its `configure` and `exit all`: every top-level block one level
/// in, each block closed by `exit` at its own indentation, and a run of
/// top-level blocks whose keyword `echo` names headed by that title.
pub fn render_classic(
    root: &Node,
    indent: &str,
    echo: &std::collections::BTreeMap<String, String>,
) -> String {
    fn walk(out: &mut String, n: &Node, depth: usize, indent: &str) {
        let pad = indent.repeat(depth);
        let _ = writeln!(out, "{pad}{}", n.line);
        for c in &n.children {
            walk(out, c, depth + 1, indent);
        }
        if !n.children.is_empty() {
            let _ = writeln!(out, "{pad}exit");
        }
    }
    let rule = format!("#{}", "-".repeat(50));
    let mut out = String::new();
    let mut last = "";
    for c in &root.children {
        let kw = c.line.split_whitespace().next().unwrap_or_default();
        if kw != last
            && let Some(title) = echo.get(kw)
        {
            let _ = writeln!(out, "{rule}\necho \"{title}\"\n{rule}");
        }
        last = kw;
        walk(&mut out, c, 1, indent);
    }
    out
}

/// Splits a line into words, keeping double-quoted strings whole (with quotes).
pub fn words(line: &str) -> Vec<String> {
    split_words(line, false)
}

/// [`words`], also keeping `[ … ]` whole (RouterOS `[ find k=v ]`).
pub fn words_bracketed(line: &str) -> Vec<String> {
    split_words(line, true)
}

fn split_words(line: &str, brackets: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut depth) = (false, 0usize);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            // `\"` inside quotes is a quote of the value, not its end.
            '\\' if quoted => {
                cur.push(c);
                cur.extend(chars.next());
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '[' if brackets && !quoted => {
                depth += 1;
                cur.push(c);
            }
            ']' if brackets && !quoted => {
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

/// Parses a braces configuration (Junos, PAN-OS, VyOS): `name {` opens a block,
/// `}` closes it, `leaf;` (or `leaf` on VyOS) is a line. `/* … */` and `#`
/// comments are skipped.
pub fn parse_braces(text: &str) -> Node {
    let mut root = Node::default();
    let mut path: Vec<usize> = Vec::new();
    let mut comment = false;
    for raw in text.lines() {
        let t = raw.trim();
        if comment {
            if t.ends_with("*/") {
                comment = false;
            }
            continue;
        }
        if t.starts_with("/*") {
            comment = !t.ends_with("*/");
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut n = &mut root;
        for i in &path {
            n = &mut n.children[*i];
        }
        if t == "}" {
            path.pop();
        } else if let Some(head) = t.strip_suffix('{') {
            n.children.push(Node::leaf(head.trim()));
            path.push(n.children.len() - 1);
        } else {
            n.children.push(Node::leaf(t.trim_end_matches(';').trim()));
        }
    }
    root
}

/// Prints a braces configuration; `semicolons` for Junos/PAN-OS, not VyOS.
pub fn render_braces(root: &Node, indent: &str, semicolons: bool) -> String {
    fn walk(out: &mut String, n: &Node, depth: usize, indent: &str, semi: bool) {
        for c in &n.children {
            let pad = indent.repeat(depth);
            if c.children.is_empty() {
                let _ = writeln!(out, "{pad}{}{}", c.line, if semi { ";" } else { "" });
            } else {
                let _ = writeln!(out, "{pad}{} {{", c.line);
                walk(out, c, depth + 1, indent, semi);
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, root, 0, indent, semicolons);
    out
}

/// The `set` commands that build a braces tree (`show | display set`).
pub fn render_set(root: &Node, verb: &str) -> String {
    fn walk(out: &mut String, n: &Node, prefix: &str, verb: &str) {
        for c in &n.children {
            let p = if prefix.is_empty() {
                c.line.clone()
            } else {
                format!("{prefix} {}", c.line)
            };
            if c.children.is_empty() {
                let _ = writeln!(out, "{verb} {p}");
            } else {
                walk(out, c, &p, verb);
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, root, "", verb);
    out
}

/// SR OS MD-CLI `info full-context` / `admin show configuration
/// full-context`: every leaf as an absolute path four spaces in; a list
/// entry (its first word one of `entries`) with nothing under it in braces
/// after `/configure`.
pub fn render_full_context(root: &Node, entries: &[String]) -> String {
    fn walk(out: &mut String, n: &Node, prefix: &str, entries: &[String]) {
        for c in &n.children {
            let p = format!("{prefix} {}", c.line);
            if !c.children.is_empty() {
                walk(out, c, &p, entries);
                continue;
            }
            let first = c.line.split_whitespace().next().unwrap_or_default();
            if entries.iter().any(|e| e == first) {
                let _ = writeln!(out, "    /configure {{{p} }}");
            } else {
                let _ = writeln!(out, "    /configure{p}");
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, root, "", entries);
    out
}

/// Groups the words of a `set`/`delete` path into tree lines: a word listed in
/// `keyed` takes the next word with it (`unit 0`, `host-name r1`,
/// `address 10.0.0.1/24`), any other word stands alone (`interfaces`, `ge-0/0/0`).
/// An entry of more words names a list with more keys, each taken with its
/// value when it follows (`server router-instance`: SR OS MD-CLI's
/// `server 192.0.2.1 router-instance "Base"` is one line).
pub fn set_path(words: &[String], keyed: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let entry = keyed
            .iter()
            .find(|k| k.split_whitespace().next() == Some(w.as_str()));
        if let Some(entry) = entry
            && i + 1 < words.len()
        {
            let mut line = format!("{w} {}", words[i + 1]);
            i += 2;
            let more: Vec<&str> = entry.split_whitespace().skip(1).collect();
            while i + 1 < words.len() && more.contains(&words[i].as_str()) {
                line = format!("{line} {} {}", words[i], words[i + 1]);
                i += 2;
            }
            out.push(line);
        } else {
            out.push(w.clone());
            i += 1;
        }
    }
    out
}

/// Sets the line path `path` in a braces tree. The last element replaces a sibling
/// with the same first word when that word is `single` valued (`host-name`).
pub fn set_in(root: &mut Node, path: &[String], single: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let parent = root.at_mut_or_insert(parents);
    let first = last.split_whitespace().next().unwrap_or_default();
    let key = single.iter().any(|s| s == first).then_some(first);
    if parent.child(last).is_none() {
        if let Some(k) = key
            && let Some(c) = parent
                .children
                .iter_mut()
                .find(|c| starts_with_words(&c.line, k))
        {
            c.line = last.clone();
            return;
        }
        parent.children.push(Node::leaf(last.as_str()));
    }
}

/// Deletes the subtree at `path` (the last element may be a bare keyword such as
/// `description`, which matches `description "x"`). Empty parent blocks are
/// removed too, as Junos does. Returns whether something was removed.
pub fn delete_in(root: &mut Node, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let Some(parent) = root.at_mut(parents) else {
        return false;
    };
    let removed = match parent.children.iter().position(|c| &c.line == last) {
        Some(i) => {
            parent.children.remove(i);
            1
        }
        None => parent.remove_prefixed(last),
    };
    if removed > 0 {
        for depth in (1..parents.len() + 1).rev() {
            let (up, name) = (&parents[..depth - 1], &parents[depth - 1]);
            if let Some(p) = root.at_mut(up)
                && let Some(i) = p
                    .children
                    .iter()
                    .position(|c| &c.line == name && c.children.is_empty())
            {
                p.children.remove(i);
            }
        }
    }
    removed > 0
}

/// Junos-style `show | compare`: for every block that differs, a `[edit path]`
/// header and the removed (`-`) and added (`+`) lines, in braces format.
pub fn compare_braces(old: &Node, new: &Node, indent: &str, semicolons: bool) -> String {
    fn subtree(n: &Node, depth: usize, indent: &str, semi: bool, sign: char, out: &mut String) {
        // Junos prints the sign, three spaces, then four per level below.
        let pad = indent.repeat(depth.saturating_sub(1));
        if n.children.is_empty() {
            let _ = writeln!(
                out,
                "{sign}   {pad}{}{}",
                n.line,
                if semi { ";" } else { "" }
            );
        } else {
            let _ = writeln!(out, "{sign}   {pad}{} {{", n.line);
            for c in &n.children {
                subtree(c, depth + 1, indent, semi, sign, out);
            }
            let _ = writeln!(out, "{sign}   {pad}}}");
        }
    }
    fn walk(old: &Node, new: &Node, path: &mut Vec<String>, ctx: &mut Ctx<'_>) {
        // Children in configuration order: the new ones, with removed ones where
        // they stood in the old configuration.
        let mut order: Vec<(&Node, char)> = Vec::new();
        for (i, o) in old.children.iter().enumerate() {
            if new.child(&o.line).is_none() {
                // Before the first new child that followed it in the old tree.
                let next = old.children[i + 1..]
                    .iter()
                    .find_map(|n| order.iter().position(|(x, _)| x.line == n.line));
                match next {
                    Some(p) => order.insert(p, (o, '-')),
                    None => order.push((o, '-')),
                }
            } else if !order.iter().any(|(x, _)| x.line == o.line) {
                order.push((new.child(&o.line).unwrap_or(o), ' '));
            }
        }
        for n in &new.children {
            if old.child(&n.line).is_none() {
                let pos =
                    new.children
                        .iter()
                        .position(|c| c.line == n.line)
                        .and_then(|p| {
                            new.children[..p].iter().rev().find_map(|prev| {
                                order.iter().position(|(x, _)| x.line == prev.line)
                            })
                        })
                        .map_or(0, |p| p + 1);
                // Removed lines come before the added ones that replace them.
                let mut pos = pos;
                while order.get(pos).is_some_and(|(_, s)| *s == '-') {
                    pos += 1;
                }
                order.insert(pos, (n, '+'));
            }
        }
        let header = if path.is_empty() {
            "[edit]".to_string()
        } else {
            format!("[edit {}]", path.join(" "))
        };
        for (n, sign) in order {
            if sign == ' ' {
                if let Some(o) = old.child(&n.line)
                    && o != n
                {
                    path.push(n.line.clone());
                    walk(o, n, path, ctx);
                    path.pop();
                }
                continue;
            }
            if ctx.last_header != header {
                ctx.out.push_str(&header);
                ctx.out.push('\n');
                ctx.last_header = header.clone();
            }
            subtree(n, 1, ctx.indent, ctx.semi, sign, &mut ctx.out);
        }
    }
    struct Ctx<'a> {
        indent: &'a str,
        semi: bool,
        out: String,
        last_header: String,
    }
    let mut ctx = Ctx {
        indent,
        semi: semicolons,
        out: String::new(),
        last_header: String::new(),
    };
    walk(old, new, &mut Vec::new(), &mut ctx);
    ctx.out
}

/// Parses FortiOS configuration text (`config …`/`edit …`/`set …`/`next`/`end`).
pub fn parse_fortios(text: &str) -> Node {
    let mut root = Node::default();
    let mut path: Vec<usize> = Vec::new();
    for raw in text.lines() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t == "end" || t == "next" {
            path.pop();
            continue;
        }
        let mut n = &mut root;
        for i in &path {
            n = &mut n.children[*i];
        }
        n.children.push(Node::leaf(t));
        if t.starts_with("config ") || t.starts_with("edit ") {
            path.push(n.children.len() - 1);
        }
    }
    root
}

/// Prints FortiOS configuration text.
pub fn render_fortios(root: &Node) -> String {
    fn walk(out: &mut String, n: &Node, depth: usize) {
        for c in &n.children {
            let pad = "    ".repeat(depth);
            let _ = writeln!(out, "{pad}{}", c.line);
            if c.line.starts_with("config ") {
                walk(out, c, depth + 1);
                let _ = writeln!(out, "{pad}end");
            } else if c.line.starts_with("edit ") {
                walk(out, c, depth + 1);
                let _ = writeln!(out, "{pad}next");
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, root, 0);
    out
}

/// Parses RouterOS `/export` text: `/path` lines head sections of commands.
pub fn parse_routeros(text: &str) -> Node {
    let mut root = Node::default();
    let mut cur: Option<usize> = None;
    let mut pending = String::new();
    for raw in text.lines() {
        let t = raw.trim_end();
        if t.trim_start().starts_with('#') || t.trim().is_empty() {
            continue;
        }
        // Continuation lines end with a backslash.
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head.trim_start());
            continue;
        }
        let line = format!("{pending}{}", t.trim_start());
        pending.clear();
        if line.starts_with('/') {
            root.children.push(Node::leaf(line));
            cur = Some(root.children.len() - 1);
        } else if let Some(i) = cur {
            root.children[i].children.push(Node::leaf(line));
        }
    }
    root
}

/// Prints RouterOS `/export` text (sections with their commands).
pub fn render_routeros(root: &Node) -> String {
    let mut out = String::new();
    // RouterOS prints no header for a menu with nothing set.
    for s in root.children.iter().filter(|s| !s.children.is_empty()) {
        let _ = writeln!(out, "{}", s.line);
        for c in &s.children {
            let _ = writeln!(out, "{}", c.line);
        }
    }
    out
}

/// Unified line diff of two texts (`---`/`+++` headers omitted), used by
/// `show configuration` of candidate-based platforms and tests.
pub fn line_diff(old: &str, new: &str) -> Vec<(char, String)> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence table; configurations are small (hundreds of lines).
    let mut l = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            l[i][j] = if a[i] == b[j] {
                l[i + 1][j + 1] + 1
            } else {
                l[i + 1][j].max(l[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i].to_string()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || l[i][j + 1] >= l[i + 1][j]) {
            out.push(('+', b[j].to_string()));
            j += 1;
        } else {
            out.push(('-', a[i].to_string()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS: &str = "hostname r1\n!\ninterface Gi0/1\n description up\n ip address 10.0.0.1 255.255.255.0\n!\nrouter bgp 65000\n neighbor 10.0.0.2 remote-as 65001\n address-family ipv4\n  network 10.0.0.0\n exit-address-family\n!\nend\n";

    #[test]
    fn indented_round_trip() {
        let t = parse_indented(IOS, &["!"]);
        assert_eq!(t.children.len(), 3);
        assert_eq!(
            t.children[2].children[1].children[0].line,
            "network 10.0.0.0"
        );
        let style = IndentStyle {
            indent: " ",
            separator: "!",
            separator_after_blocks_only: false,
            close: "",
        };
        let text = render_indented(&t, style);
        assert_eq!(format!("{text}end\n"), IOS);
        assert_eq!(t.value_at(&["hostname".into()]).as_deref(), Some("r1"));
    }

    #[test]
    fn braces_set_delete_compare() {
        let text = "system {\n    host-name r1;\n    ntp {\n        server 192.0.2.1;\n    }\n}\ninterfaces {\n    ge-0/0/0 {\n        description \"to core\";\n    }\n}\n";
        let t = parse_braces(text);
        assert_eq!(render_braces(&t, "    ", true), text);
        let keyed: Vec<String> = ["host-name", "server", "description", "unit"]
            .map(String::from)
            .to_vec();
        let single: Vec<String> = ["host-name", "description"].map(String::from).to_vec();
        let mut n = t.clone();
        let w = words("system host-name r2");
        set_in(&mut n, &set_path(&w, &keyed), &single);
        let w = words("system ntp server 192.0.2.2");
        set_in(&mut n, &set_path(&w, &keyed), &single);
        assert_eq!(
            n.value_at(&["system".into(), "host-name".into()])
                .as_deref(),
            Some("r2")
        );
        assert!(delete_in(
            &mut n,
            &set_path(&words("interfaces ge-0/0/0 description"), &keyed)
        ));
        // The emptied interface block goes too.
        assert!(n.child("interfaces").is_none());
        let diff = compare_braces(&t, &n, "    ", true);
        assert_eq!(
            diff,
            "[edit system]\n-   host-name r1;\n+   host-name r2;\n[edit system ntp]\n+   server 192.0.2.2;\n[edit]\n-   interfaces {\n-       ge-0/0/0 {\n-           description \"to core\";\n-       }\n-   }\n"
        );
        assert!(render_set(&n, "set").contains("set system ntp server 192.0.2.2\n"));
    }

    #[test]
    fn fortios_and_routeros_round_trip() {
        let f = "config system global\n    set hostname \"fgt1\"\nend\nconfig system interface\n    edit \"port1\"\n        set ip 10.0.0.1 255.255.255.0\n    next\nend\n";
        let t = parse_fortios(f);
        assert_eq!(render_fortios(&t), f);
        assert_eq!(
            t.value_at(&["config system global".into(), "set hostname".into()])
                .as_deref(),
            Some("fgt1")
        );
        let r = "/interface ethernet\nset [ find default-name=ether1 ] comment=uplink\n/system identity\nset name=mt1\n";
        let t = parse_routeros(r);
        assert_eq!(render_routeros(&t), r);
        assert_eq!(
            t.value_at(&["/system identity".into(), "set name".into()])
                .as_deref(),
            Some("mt1")
        );
    }

    #[test]
    fn sros_md_cli_full_context_prints_paths_and_bare_list_entries_in_braces() {
        let keyed: Vec<String> = [
            "name",
            "server router-instance",
            "interface",
            "port",
            "admin-state",
        ]
        .map(String::from)
        .to_vec();
        let single: Vec<String> = ["name", "admin-state"].map(String::from).to_vec();
        let mut t = parse_braces(
            "port 1/1/1 {\n    admin-state enable\n}\nrouter \"Base\" {\n    interface \"system\" {\n    }\n}\nsystem {\n    name \"pe1\"\n}\n",
        );
        let w = words(r#"system time ntp server 192.0.2.1 router-instance "Base""#);
        let path = set_path(&w, &keyed);
        assert_eq!(
            path,
            [
                "system",
                "time",
                "ntp",
                r#"server 192.0.2.1 router-instance "Base""#
            ]
        );
        set_in(&mut t, &path, &single);
        let entries: Vec<String> = ["server", "interface"].map(String::from).to_vec();
        assert_eq!(
            render_full_context(&t, &entries),
            concat!(
                "    /configure port 1/1/1 admin-state enable\n",
                "    /configure { router \"Base\" interface \"system\" }\n",
                "    /configure system name \"pe1\"\n",
                "    /configure { system time ntp server 192.0.2.1 router-instance \"Base\" }\n",
            )
        );
        assert!(delete_in(&mut t, &path));
        assert!(!render_full_context(&t, &entries).contains("ntp"));
    }

    #[test]
    fn sros_classic_round_trip_with_echo_titles_and_exit_closers() {
        let text = "system\n    name \"pe1\"\n    time\n        ntp\n            server 10.0.0.1\n            no shutdown\nport 1/1/1\n    shutdown\nport 1/1/2\n    no shutdown\n";
        let t = parse_classic(text);
        let echo = std::collections::BTreeMap::from([
            ("system".to_string(), "System Configuration".to_string()),
            ("port".to_string(), "Port Configuration".to_string()),
        ]);
        let rule = format!("#{}", "-".repeat(50));
        let shown = render_classic(&t, "    ", &echo);
        assert_eq!(
            shown,
            format!(
                "{rule}\necho \"System Configuration\"\n{rule}\n    system\n        name \"pe1\"\n        time\n            ntp\n                server 10.0.0.1\n                no shutdown\n            exit\n        exit\n    exit\n{rule}\necho \"Port Configuration\"\n{rule}\n    port 1/1/1\n        shutdown\n    exit\n    port 1/1/2\n        no shutdown\n    exit\n"
            )
        );
        // What `admin display-config` prints reads back the same.
        let framed =
            format!("# TiMOS-C-19.10.R7\n\nexit all\nconfigure\n{shown}exit all\n\n# Finished\n");
        assert_eq!(parse_classic(&framed), t);
        assert_eq!(
            t.value_at(&["system".into(), "name".into()]).as_deref(),
            Some("pe1")
        );
    }

    #[test]
    fn diff_lines() {
        let d = line_diff("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(
            d,
            vec![
                (' ', "a".into()),
                ('-', "b".into()),
                (' ', "c".into()),
                ('+', "d".into())
            ]
        );
    }
}
