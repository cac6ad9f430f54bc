//! The clitable `index` of a templates folder (ntc-templates' format):
//! a CSV with a `Template` column and regex columns (`Hostname`,
//! `Platform`, `Command`, …), `[[…]]` command completion, `#` comments;
//! the first row whose regexes match (Python `re.match`: anchored at the
//! start only) names the templates, joined with `:`.

use crate::error::IndexError;
use crate::fsm::{BorrowedRecords, Cell, Records, Table};
use crate::pyre::{self, Pattern};
use crate::{Limits, Template};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A loaded index, with the templates it has compiled so far (cached: a
/// fleet parses the same command with the same template many times).
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    path: PathBuf,
    header: Vec<String>,
    /// The index file; rows are read from it when a lookup reaches them.
    text: String,
    template_col: usize,
    /// Where the `Platform` column is in the header (checked before a row is read).
    platform_col: Option<usize>,
    /// Where the `Command` column is (checked before a row is read, when
    /// it is plain words with completion).
    command_col: Option<usize>,
    rows: Vec<Line>,
    limits: Limits,
    templates: Mutex<HashMap<String, Arc<Template>>>,
}

/// A line after the header that may be a row, read on first use: a lookup
/// passes hundreds of rows of other platforms, and reading each into a row
/// cost more than the rest of the lookup.
#[derive(Debug)]
struct Line {
    /// Line in the index file (1-based).
    number: usize,
    /// Its bytes in [`Index::text`].
    span: std::ops::Range<usize>,
    /// The row; `None` for a line of the wrong width (clitable drops those).
    /// Boxed: most lines are never read, and stay small.
    row: OnceLock<Option<Box<IndexRow>>>,
}

/// One row of the index.
#[derive(Debug)]
pub struct IndexRow {
    /// Line in the index file (1-based).
    pub line: usize,
    /// Template file names, in order (the first one's records are extended
    /// by the others').
    pub templates: Vec<String>,
    /// Regex columns, in header order (the `Template` column excluded).
    columns: Vec<Column>,
}

#[derive(Debug)]
struct Column {
    name: String,
    /// The field as written (before completion is expanded).
    raw: String,
    /// The regex, completion expanded; empty matches anything.
    pattern: String,
    compiled: OnceLock<Result<Matcher, String>>,
}

#[derive(Debug)]
enum Matcher {
    /// A pattern without regex syntax matches the text's prefix.
    Prefix(String),
    /// Words with `[[…]]` completion and nothing else (most of an index):
    /// matched without building a regex.
    Words(Vec<(String, String)>),
    /// A regex, built on the first text that starts with its lead words
    /// and contains its literal: most rows an index lookup passes are
    /// about other platforms or commands.
    Regex {
        /// Words every match starts with: the field's plain start, before
        /// its first regex syntax (`sh[[ow]] ip bgp` of
        /// `sh[[ow]] ip bgp( vrf \S+)?`), read without parsing the regex.
        lead: Vec<(String, String)>,
        /// Python's syntax check, then the literals every match contains
        /// (its mandatory runs of plain characters: `sh`, ` int` and
        /// ` des` of `sh[[ow]] int[[erfaces]](?: (?:\S+))? des[[cription]]`):
        /// parsing the regex costs more than reading the row did.
        literal: OnceLock<Result<Vec<String>, String>>,
        built: OnceLock<Result<Box<Pattern>, String>>,
    },
}

/// Records from the templates the index chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The template files used, in order.
    pub templates: Vec<String>,
    /// The records, as ntc-templates' `parse_output` gives them.
    pub records: Records,
}

/// Records of [`Index::parse_output_records`]; both serialise as
/// [`Records`] does.
#[derive(Debug)]
pub enum OutputRecords<'a> {
    /// One template's records, pointing into the parsed text.
    Borrowed(BorrowedRecords<'a>),
    /// Several templates' records, merged.
    Owned(Records),
}

impl OutputRecords<'_> {
    /// Write the records as compact JSON (what serialising them gives).
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        match self {
            OutputRecords::Borrowed(r) => r.write_json(out),
            OutputRecords::Owned(r) => Ok(serde_json::to_writer(out, r)?),
        }
    }
}

impl serde::Serialize for OutputRecords<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OutputRecords::Borrowed(r) => r.serialize(s),
            OutputRecords::Owned(r) => r.serialize(s),
        }
    }
}

impl Index {
    /// Read `DIR/index`; templates compile (and run) within `limits`.
    pub fn load(dir: &Path, limits: Limits) -> Result<Index, IndexError> {
        let path = dir.join("index");
        let text = std::fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        Index::from_string(dir, text, limits)
    }

    /// An index read from `text`, whose templates live in `dir`.
    pub fn from_text(dir: &Path, text: &str, limits: Limits) -> Result<Index, IndexError> {
        Index::from_string(dir, text.to_string(), limits)
    }

    fn from_string(dir: &Path, text: String, limits: Limits) -> Result<Index, IndexError> {
        let path = dir.join("index");
        let bad = |line: usize, message: String| IndexError::Syntax {
            path: path.clone(),
            line,
            message,
        };
        let mut lines = text.lines().enumerate();
        let header: Vec<String> = loop {
            let Some((n, line)) = lines.next() else {
                return Err(bad(
                    1,
                    "no header line (e.g. `Template, Hostname, Platform, Command`)".into(),
                ));
            };
            let content = line.split('#').next().unwrap_or("").trim();
            if !content.is_empty() {
                let header: Vec<String> =
                    content.split(',').map(|h| h.trim().to_string()).collect();
                for (i, h) in header.iter().enumerate() {
                    if header[..i].contains(h) {
                        return Err(bad(n + 1, format!("column `{h}` appears twice")));
                    }
                }
                break header;
            }
        };
        let Some(template_col) = header.iter().position(|h| h == "Template") else {
            return Err(bad(
                1,
                "the header has no `Template` column (e.g. `Template, Hostname, Platform, Command`)"
                    .into(),
            ));
        };
        let platform_col = header.iter().position(|h| h == "Platform");
        let command_col = header.iter().position(|h| h == "Command");
        let mut rows = Vec::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1);
        rows.extend(
            lines
                .filter(|(_, line)| !line.starts_with('#'))
                .map(|(n, line)| {
                    // `line` is a slice of `text`: its offset is where it starts.
                    let start = line.as_ptr() as usize - text.as_ptr() as usize;
                    Line {
                        number: n + 1,
                        span: start..start + line.len(),
                        row: OnceLock::new(),
                    }
                }),
        );
        Ok(Index {
            dir: dir.to_path_buf(),
            path,
            header,
            text,
            template_col,
            platform_col,
            command_col,
            rows,
            limits,
            templates: Mutex::new(HashMap::new()),
        })
    }

    /// Index line `line` as a row (`None`: the wrong width).
    fn read_row(&self, line: &Line) -> Option<Box<IndexRow>> {
        let fields: Vec<&str> = self.text[line.span.clone()]
            .split(',')
            .map(str::trim)
            .collect();
        // clitable drops rows of the wrong width (blank lines among them).
        if fields.len() != self.header.len() {
            return None;
        }
        let templates = fields[self.template_col]
            .split(':')
            .map(str::to_string)
            .collect();
        let columns = self
            .header
            .iter()
            .zip(&fields)
            .filter(|(h, _)| h.as_str() != "Template")
            .map(|(h, f)| Column {
                name: h.clone(),
                raw: f.to_string(),
                pattern: if h == "Command" {
                    expand_completion(f)
                } else {
                    f.to_string()
                },
                compiled: OnceLock::new(),
            })
            .collect();
        Some(Box::new(IndexRow {
            line: line.number,
            templates,
            columns,
        }))
    }

    /// Whether `line` is certainly no row for `platform` and `command`,
    /// told from its text without reading it into a row: a line of the
    /// right width whose Platform field is a plain name `platform` does not
    /// start with (a row of another platform), or a plain name it starts
    /// with and a Command field of plain words with `[[…]]` completion that
    /// `command` does not spell (another command of the platform). A regex
    /// in either field leaves the line to be read (and its regex checked)
    /// as before.
    fn passed_over(&self, line: &Line, platform: &str, command: &str) -> bool {
        let Some(platform_col) = self.platform_col else {
            return false;
        };
        let text = &self.text[line.span.clone()];
        // A line of the wrong width is no row either: its field at the
        // Platform column passes it over as well as reading it would.
        let name = nth_field(text, platform_col).unwrap_or("");
        if name.is_empty() || !name.chars().all(|c| is_plain(c) || c == ' ') {
            return false;
        }
        if !platform.starts_with(name) {
            return true;
        }
        if memchr::memchr_iter(b',', text.as_bytes()).count() + 1 != self.header.len() {
            return false;
        }
        self.command_col
            .and_then(|col| nth_field(text, col))
            .filter(|raw| !raw.is_empty())
            .and_then(|raw| spelled(raw, command))
            == Some(false)
    }

    /// The templates folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index's columns.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The first row matching `platform` and `command` (other columns, such
    /// as Hostname, are not consulted, as in ntc-templates).
    pub fn find(&self, platform: &str, command: &str) -> Result<Option<&IndexRow>, IndexError> {
        'rows: for line in &self.rows {
            if self.passed_over(line, platform, command) {
                continue;
            }
            let Some(row) = line.row.get_or_init(|| self.read_row(line)) else {
                continue;
            };
            // Platform first: most are plain names, cheaper than a Command regex.
            for (column, attribute) in [("Platform", platform), ("Command", command)] {
                let Some(col) = row.columns.iter().find(|c| c.name == column) else {
                    continue;
                };
                if col.pattern.is_empty() {
                    continue;
                }
                let matcher = col.compiled.get_or_init(|| compile_column(col));
                let matched = match matcher {
                    Ok(Matcher::Prefix(p)) => Ok(attribute.starts_with(p.as_str())),
                    Ok(Matcher::Words(words)) => Ok(words_match(pairs(words), attribute)),
                    Ok(Matcher::Regex { lead, .. }) if !words_match(pairs(lead), attribute) => {
                        Ok(false)
                    }
                    Ok(Matcher::Regex { literal, built, .. }) => {
                        let literal = literal.get_or_init(|| {
                            pyre::check(&col.pattern)?;
                            Ok(pyre::literal_runs(&col.pattern).unwrap_or_default())
                        });
                        match literal {
                            Err(reason) => Err(reason.as_str()),
                            Ok(runs) if runs.iter().any(|l| !attribute.contains(l.as_str())) => {
                                Ok(false)
                            }
                            Ok(_) => built
                                .get_or_init(|| {
                                    Pattern::new(&col.pattern, &self.limits).map(Box::new)
                                })
                                .as_ref()
                                .map(|p| p.is_match(attribute))
                                .map_err(String::as_str),
                        }
                    }
                    Err(reason) => Err(reason.as_str()),
                };
                let matched = match matched {
                    Ok(m) => m,
                    Err(reason) => {
                        return Err(IndexError::Syntax {
                            path: self.path.clone(),
                            line: row.line,
                            message: format!(
                                "{column} regex `{}` does not compile: {reason}",
                                col.pattern
                            ),
                        });
                    }
                };
                if !matched {
                    continue 'rows;
                }
            }
            return Ok(Some(row));
        }
        Ok(None)
    }

    /// Template `name` of this folder, compiled once.
    pub fn template(&self, name: &str) -> Result<Arc<Template>, IndexError> {
        if let Some(t) = self.cache().get(name) {
            return Ok(t.clone());
        }
        let relative = Path::new(name);
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(IndexError::Syntax {
                path: self.path.clone(),
                line: 0,
                message: format!(
                    "template `{name}` must be a file of the templates folder, not a path out of it"
                ),
            });
        }
        let path = self.dir.join(relative);
        let text = std::fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let t = Arc::new(Template::compile(&text, &self.limits).map_err(|source| {
            IndexError::Template {
                name: name.to_string(),
                source,
            }
        })?);
        self.cache().insert(name.to_string(), t.clone());
        Ok(t)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Template>>> {
        // A panic while holding the lock leaves a valid map (inserts are atomic).
        self.templates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Parse `text`, the output of `command` on `platform`, as ntc-templates'
    /// `parse_output(platform, command, text)` does.
    pub fn parse_output(
        &self,
        platform: &str,
        command: &str,
        text: &str,
    ) -> Result<Parsed, IndexError> {
        let Some(row) = self.find(platform, command)? else {
            return Err(IndexError::NoTemplate {
                path: self.path.clone(),
                platform: platform.to_string(),
                command: command.to_string(),
            });
        };
        let templates = row.templates.clone();
        let table = self.parse_with(&templates, text)?;
        Ok(Parsed {
            templates,
            records: table.into_records(),
        })
    }

    /// [`Index::parse_output`] with records that point into `text` when one
    /// template answers (nearly always; several are merged into owned
    /// records): `netrun parse` serialises them without copying a cell.
    pub fn parse_output_records<'a>(
        &self,
        platform: &str,
        command: &str,
        text: &'a str,
    ) -> Result<OutputRecords<'a>, IndexError> {
        let Some(row) = self.find(platform, command)? else {
            return Err(IndexError::NoTemplate {
                path: self.path.clone(),
                platform: platform.to_string(),
                command: command.to_string(),
            });
        };
        if let [name] = row.templates.as_slice() {
            let t = self.template(name)?;
            return t
                .parse_records(text, &self.limits)
                .map(OutputRecords::Borrowed)
                .map_err(|source| IndexError::Parse {
                    name: name.clone(),
                    source,
                });
        }
        Ok(OutputRecords::Owned(
            self.parse_with(&row.templates, text)?.into_records(),
        ))
    }

    /// Parse `text` with `templates` of this folder: the first template's
    /// records, extended with the columns of the others' (joined on the Key
    /// values, else row by row), as clitable does.
    pub fn parse_with(&self, templates: &[String], text: &str) -> Result<Table, IndexError> {
        let mut table: Option<Table> = None;
        let mut keys: Vec<String> = Vec::new();
        for name in templates {
            let t = self.template(name)?;
            let next = t
                .parse_text(text, &self.limits)
                .map_err(|source| IndexError::Parse {
                    name: name.clone(),
                    source,
                })?;
            if keys.is_empty() {
                keys = t.keys().into_iter().map(str::to_string).collect();
            }
            match table.as_mut() {
                None => table = Some(next),
                Some(first) => extend(first, next, &keys, name)?,
            }
        }
        Ok(table.unwrap_or_default())
    }
}

/// clitable's `extend`: add `other`'s new columns to `table`'s rows, taking
/// them from the first row of `other` with equal keys (row by row without keys).
fn extend(table: &mut Table, other: Table, keys: &[String], name: &str) -> Result<(), IndexError> {
    let mut key_cols = Vec::with_capacity(keys.len());
    for k in keys {
        let Some(i) = table.header.iter().position(|h| h == k) else {
            return Err(IndexError::UnknownKey {
                name: name.to_string(),
                key: k.clone(),
            });
        };
        let j = other.header.iter().position(|h| h == k);
        key_cols.push((i, j));
    }
    let new: Vec<usize> = (0..other.header.len())
        .filter(|&j| !table.header.contains(&other.header[j]))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    for &j in &new {
        table.header.push(other.header[j].clone());
    }
    for row in &mut table.rows {
        row.extend(new.iter().map(|_| Cell::Str(String::new())));
    }
    let width = table.header.len() - new.len();
    if keys.is_empty() {
        for (row, o) in table.rows.iter_mut().zip(&other.rows) {
            for (n, &j) in new.iter().enumerate() {
                row[width + n] = o[j].clone();
            }
        }
        return Ok(());
    }
    for row in &mut table.rows {
        let found = other.rows.iter().find(|o| {
            key_cols
                .iter()
                .all(|&(i, j)| j.is_some_and(|j| row[i] == o[j]))
        });
        if let Some(o) = found {
            for (n, &j) in new.iter().enumerate() {
                row[width + n] = o[j].clone();
            }
        }
    }
    Ok(())
}

/// `abc[[xyz]]` → `abc(x(y(z)?)?)?`: any prefix of the bracketed word.
fn expand_completion(field: &str) -> String {
    let mut out = String::with_capacity(field.len() * 2);
    let mut rest = field;
    while let Some(open) = rest.find("[[") {
        let Some((word, after)) = completion(&rest[open..]) else {
            break;
        };
        out.push_str(&rest[..open]);
        let n = word.chars().count();
        out.push('(');
        for (i, c) in word.chars().enumerate() {
            if i > 0 {
                out.push('(');
            }
            out.push(c);
        }
        out.push_str(&")?".repeat(n));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The completion `[[word]]` that `text` starts with, as its word and what
/// follows it: the shortest `[[.+?]]` (the word has at least one
/// character), as clitable reads it.
fn completion(text: &str) -> Option<(&str, &str)> {
    let after = text.strip_prefix("[[")?;
    let first = after.chars().next()?;
    let close = first.len_utf8() + after[first.len_utf8()..].find("]]")?;
    Some((&after[..close], &after[close + 2..]))
}

fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

fn compile_column(col: &Column) -> Result<Matcher, String> {
    let pattern = &col.pattern;
    if pattern.chars().all(|c| is_plain(c) || c == ' ') {
        return Ok(Matcher::Prefix(pattern.clone()));
    }
    if col.name == "Command"
        && let Some(words) = completion_words(&col.raw)
    {
        return Ok(Matcher::Words(words));
    }
    // Python's syntax check, the literal and the regex when a text may match.
    Ok(Matcher::Regex {
        lead: lead_words(&col.raw, pattern, col.name == "Command"),
        literal: OnceLock::new(),
        built: OnceLock::new(),
    })
}

/// The words a field's every match starts with (see [`words_match`]): its
/// start up to the first character with a regex meaning (`[[…]]` counts as
/// a word's completion in a `Command` field), less the last word when a
/// quantifier follows it. Empty (no filter) when the regex (`expanded`, the
/// field with completion written out) has a top-level `|`, since then a
/// match may start with another branch.
fn lead_words(raw: &str, expanded: &str, completions: bool) -> Vec<(String, String)> {
    if has_top_level_alternation(expanded) {
        return Vec::new();
    }
    let mut end = 0;
    while let Some(c) = raw[end..].chars().next() {
        if completions && raw[end..].starts_with("[[") {
            let Some((_, after)) = completion(&raw[end..]) else {
                break;
            };
            end = raw.len() - after.len();
        } else if is_plain(c) || c == ' ' {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    let mut lead = &raw[..end];
    if matches!(raw[end..].chars().next(), Some('?' | '*' | '+' | '{')) {
        lead = lead.rsplit_once(' ').map_or("", |(head, _)| head);
    }
    let lead = lead.trim_end();
    if lead.is_empty() {
        return Vec::new();
    }
    completion_words(lead).unwrap_or_default()
}

/// Whether the regex has a `|` outside every group and character class.
fn has_top_level_alternation(pattern: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                // A class: `]` first (or after `^`) is a literal.
                let mut first = true;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '^' if first => continue,
                        ']' if !first => break,
                        _ => {}
                    }
                    first = false;
                }
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// `sh[[ow]] ip int[[erface]]` as `[("sh", "ow"), ("ip", ""), ("int", "erface")]`,
/// when the field is only such words separated by single spaces.
fn completion_words(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split(' ')
        .map(|word| completion_word(word).map(|(r, o)| (r.to_string(), o.to_string())))
        .collect()
}

/// Field `n` (0-based) of an index line, trimmed; `None` past its last.
fn nth_field(line: &str, n: usize) -> Option<&str> {
    let bytes = line.as_bytes();
    let mut start = 0;
    for _ in 0..n {
        start += memchr::memchr(b',', &bytes[start..])? + 1;
    }
    let end = memchr::memchr(b',', &bytes[start..]).map_or(line.len(), |e| start + e);
    Some(line[start..end].trim())
}

/// One word of a Command field as its required part and its `[[…]]`
/// completion (empty without one); `None` when it is not a plain word so.
fn completion_word(word: &str) -> Option<(&str, &str)> {
    let (required, optional) = match word.split_once("[[") {
        Some((r, rest)) => (r, rest.strip_suffix("]]")?),
        None => (word, ""),
    };
    (!required.is_empty() && required.chars().all(is_plain) && optional.chars().all(is_plain))
        .then_some((required, optional))
}

/// Whether `text` matches the Command field `raw` as its
/// [`completion_words`] do, without making them; `None` when `raw` is not
/// such words.
fn spelled(raw: &str, text: &str) -> Option<bool> {
    if !raw.split(' ').all(|word| completion_word(word).is_some()) {
        return None;
    }
    Some(words_match(
        raw.split(' ').filter_map(completion_word),
        text,
    ))
}

/// The words of [`completion_words`] as [`words_match`] takes them.
fn pairs(words: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone {
    words.iter().map(|(r, o)| (r.as_str(), o.as_str()))
}

/// Whether `text` starts with the words, each written out at least to its
/// required part and at most in full (what the expanded regex matches,
/// anchored at the start only).
fn words_match<'a>(
    mut words: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    text: &str,
) -> bool {
    let Some((required, optional)) = words.next() else {
        return true;
    };
    let Some(after) = text.strip_prefix(required) else {
        return false;
    };
    if words.clone().next().is_none() {
        return true;
    }
    // Every written-out length of the optional part, longest first.
    (0..=optional.len()).rev().any(|n| {
        after
            .strip_prefix(&optional[..n])
            .and_then(|t| t.strip_prefix(' '))
            .is_some_and(|t| words_match(words.clone(), t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_expands_to_every_prefix() {
        assert_eq!(expand_completion("sh[[ow]] ip"), "sh(o(w)?)? ip");
        assert_eq!(
            expand_completion("sh[[ow]] ip int[[erface]] br[[ief]]"),
            "sh(o(w)?)? ip int(e(r(f(a(c(e)?)?)?)?)?)? br(i(e(f)?)?)?"
        );
        assert_eq!(expand_completion("a[[]]]"), "a(])?");
        assert_eq!(expand_completion("no brackets"), "no brackets");
    }

    fn index() -> Index {
        let text = "\
# comment
Template, Hostname, Platform, Command

a_show_version.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]
a_show_ip_int_brief.textfsm:b_extra.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]
#a_commented.textfsm, .*, cisco_ios, show clock
c_show_clock.textfsm, .*, cisco_(ios|xe), sh[[ow]] clo[[ck]]
a_wrong_width.textfsm, .*, cisco_ios
";
        Index::from_text(Path::new("/nowhere"), text, Limits::default()).unwrap()
    }

    #[test]
    fn abbreviated_command_finds_its_row() {
        let i = index();
        let row = i.find("cisco_ios", "show ip int br").unwrap().unwrap();
        assert_eq!(
            row.templates,
            ["a_show_ip_int_brief.textfsm", "b_extra.textfsm"]
        );
        assert_eq!(i.find("cisco_ios", "sh ver").unwrap().unwrap().line, 4);
    }

    #[test]
    fn match_is_anchored_at_the_start_only_as_re_match_is() {
        let i = index();
        // Prefix semantics: trailing words and a longer platform still match.
        assert!(
            i.find("cisco_ios", "show version | i uptime")
                .unwrap()
                .is_some()
        );
        assert!(
            i.find("cisco_ios_telnet", "show version")
                .unwrap()
                .is_some()
        );
        assert!(i.find("cisco_ios", "do show version").unwrap().is_none());
        assert!(i.find("arista_eos", "show version").unwrap().is_none());
    }

    #[test]
    fn comments_and_rows_of_the_wrong_width_are_skipped() {
        let i = index();
        assert_eq!(i.find("cisco_xe", "show clock").unwrap().unwrap().line, 7);
        assert!(i.find("cisco_ios", "show clock").unwrap().unwrap().line == 7);
        let rows = i.rows.iter().filter(|l| i.read_row(l).is_some());
        assert_eq!(rows.count(), 3);
    }

    #[test]
    fn completion_words_match_as_their_expanded_regex_does() {
        let limits = Limits::default();
        for (field, commands) in [
            (
                "sh[[ow]] ip int[[erface]] br[[ief]]",
                &[
                    "show ip int br",
                    "sh ip interface brief",
                    "show ip int brief extra",
                    "show ip in br",
                    "sho ip int",
                    "show  ip int br",
                    "show ip int bri",
                    "",
                ][..],
            ),
            (
                "sh[[ow]] mac-a[[ddress-table]]",
                &[
                    "sh mac-a",
                    "show mac-address-table",
                    "show mac-address-tablex",
                    "show mac-add",
                    "show mac",
                ],
            ),
            ("show vlan", &["show vlan", "show vlan brief", "show vla"]),
        ] {
            let words = completion_words(field).unwrap();
            let regex = Pattern::new(&expand_completion(field), &limits).unwrap();
            for c in commands {
                assert_eq!(
                    words_match(pairs(&words), c),
                    regex.is_match(c),
                    "`{field}` on `{c}`"
                );
                // Read from the field's text alike, without making the words.
                assert_eq!(
                    spelled(field, c),
                    Some(regex.is_match(c)),
                    "`{field}` on `{c}`"
                );
            }
        }
        assert!(completion_words("sh[[ow]] (ip|ipv6) route").is_none());
        assert!(completion_words("sh[[ow]]  ver").is_none());
        assert_eq!(spelled("sh[[ow]] (ip|ipv6) route", "show ip route"), None);
        assert_eq!(spelled("sh[[ow]]  ver", "sh  ver"), None);
        assert_eq!(spelled("sh[[ow]] ver[[sion]](", "show version"), None);
    }

    #[test]
    fn a_regex_row_is_built_only_for_a_text_with_all_its_literals() {
        let text = "Template, Hostname, Platform, Command\n\
            d.textfsm, .*, cisco_ios, sh[[ow]] int[[erfaces]](?: (?:\\S+))? des[[cription]]\n\
            i.textfsm, .*, cisco_ios, sh[[ow]] int[[erfaces]](?: (?:\\S+))?\n";
        let i = Index::from_text(Path::new("/x"), text, Limits::default()).unwrap();
        let built = |row: usize| {
            let Some(Some(row)) = i.rows[row].row.get() else {
                return false;
            };
            let col = row.columns.iter().find(|c| c.name == "Command").unwrap();
            match col.compiled.get() {
                Some(Ok(Matcher::Regex { built, .. })) => built.get().is_some(),
                other => panic!("{other:?}"),
            }
        };
        // `show interfaces` holds ` int` but not ` des`: row 1 is refused
        // without building its regex.
        assert_eq!(
            i.find("cisco_ios", "show interfaces")
                .unwrap()
                .unwrap()
                .line,
            3
        );
        assert!(!built(0));
        assert!(built(1));
        assert_eq!(
            i.find("cisco_ios", "sh int Gi1/0/1 desc")
                .unwrap()
                .unwrap()
                .line,
            2
        );
        assert!(built(0));
        assert_eq!(
            super::pyre::literal_runs(r"sh(o(w)?)? int(e(r)?)?(?: (?:\S+))? des(c)?"),
            Some(vec!["sh".to_string(), " int".into(), " des".into()])
        );
    }

    #[test]
    fn a_regex_row_is_built_only_for_a_text_with_its_literal() {
        let text = "Template, Hostname, Platform, Command\n\
            p.textfsm, .*, (hp|aruba)_procurve, sh[[ow]] (ip|ipv6) route\n\
            c.textfsm, .*, cisco_ios, sh[[ow]] (ip|ipv6) route\n";
        let i = Index::from_text(Path::new("/x"), text, Limits::default()).unwrap();
        let built = |row: usize, column: &str| {
            let Some(Some(row)) = i.rows[row].row.get() else {
                return false;
            };
            let col = row.columns.iter().find(|c| c.name == column).unwrap();
            match col.compiled.get() {
                Some(Ok(Matcher::Regex { built, .. })) => built.get().is_some(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            i.find("cisco_ios", "sh ipv6 route").unwrap().unwrap().line,
            3
        );
        assert!(!built(0, "Platform"), "`cisco_ios` has no `_procurve`");
        assert!(built(1, "Command"));
        assert_eq!(
            i.find("aruba_procurve", "show ip route")
                .unwrap()
                .unwrap()
                .line,
            2
        );
        assert!(built(0, "Platform") && built(0, "Command"));
        assert!(i.find("aruba_procurve", "show ip bgp").unwrap().is_none());
        assert!(
            i.find("aruba_procurveX", "show ip routes")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn lead_words_never_refuse_what_the_regex_matches() {
        let limits = Limits::default();
        let commands = [
            "show ip bgp neighbors 10.0.0.1 advertised-routes",
            "sh ip bgp nei adv",
            "show switch",
            "show switch detail",
            "sh sw d",
            "show authentication sessions method dot1x details",
            "show ip route vrf A",
            "show ipv6 route",
            "show ip",
            "show i",
            "show interfaces status",
            "show int",
            "show x",
            "dir",
            "",
        ];
        for (field, lead) in [
            (
                "sh[[ow]] ip bgp nei[[ghbors]](\\s+\\d+\\.\\d+\\.\\d+\\.\\d+)? adv[[ertised-routes]]",
                "sh[[ow]] ip bgp nei[[ghbors]]",
            ),
            (
                "sh[[ow]] sw[[itch]]( d[[etail]])?\\s*$",
                "sh[[ow]] sw[[itch]]",
            ),
            (
                "show authen[[tication]] ses[[sions]] met[[hod]](\\s+d[[ot1x]]|\\s+m[[ab]])? det[[ails]]",
                "show authen[[tication]] ses[[sions]] met[[hod]]",
            ),
            // A quantifier takes the last word out of the lead.
            ("show ipv?6? route", "show"),
            ("sh[[ow]] ip route( vrf \\S+)?", "sh[[ow]] ip route"),
            ("sh[[ow]] int[[erfaces]] *status", "sh[[ow]] int[[erfaces]]"),
            ("show ips+", "show"),
            // A top-level `|` leaves no lead; one in a group or class does not count.
            ("show ip route|show ipv6 route", ""),
            ("show (ip|ipv6) route", "show"),
            ("show [|a]x", "show"),
            ("show \\|x", "show"),
            ("dir( \\S+)?", "dir"),
            ("^show", ""),
        ] {
            let words = lead_words(field, &expand_completion(field), true);
            assert_eq!(
                words,
                completion_words(lead).unwrap_or_default(),
                "`{field}`"
            );
            let regex = Pattern::new(&expand_completion(field), &limits).unwrap();
            for c in commands {
                if regex.is_match(c) {
                    assert!(
                        words_match(pairs(&words), c),
                        "`{field}` matches `{c}`; its lead does not"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_of_other_commands_are_passed_over_unread() {
        let text = "Template, Hostname, Platform, Command\n\
            v.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]\n\
            r.textfsm, .*, cisco_ios, sh[[ow]] (ip|ipv6) ro[[ute]]\n\
            n.textfsm, .*, cisco_nxos, sh[[ow]] ip int[[erface]] br[[ief]]\n\
            x.textfsm, .*, cisco_(ios|xe), sh[[ow]] ip int[[erface]] br[[ief]]\n\
            b.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]\n";
        let i = Index::from_text(Path::new("/x"), text, Limits::default()).unwrap();
        let row = i.find("cisco_ios", "sh ip int br").unwrap().unwrap();
        assert_eq!(row.templates, ["x.textfsm"]);
        let read: Vec<bool> = i.rows.iter().map(|l| l.row.get().is_some()).collect();
        // `show version` and the NX-OS row are told apart from their text;
        // a regex in the Command or Platform field is read and tried.
        assert_eq!(read, [false, true, false, true, false]);
        let row = i.find("cisco_ios", "show ip route").unwrap().unwrap();
        assert_eq!(row.templates, ["r.textfsm"]);
        assert_eq!(
            i.find("cisco_ios", "show clock").unwrap().map(|r| r.line),
            None
        );
    }

    #[test]
    fn a_broken_regex_row_is_reported_when_a_lookup_reaches_it() {
        let text = "Template, Hostname, Platform, Command\n\
            a.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]](\n\
            b.textfsm, .*, cisco_ios, sh[[ow]] clock\n";
        let i = Index::from_text(Path::new("/x"), text, Limits::default()).unwrap();
        assert_eq!(i.find("cisco_ios", "show clock").unwrap().unwrap().line, 3);
        let e = i.find("cisco_ios", "show version").unwrap_err();
        assert!(e.to_string().contains("does not compile"), "{e}");
    }

    #[test]
    fn index_without_template_column_is_refused() {
        let e = Index::from_text(Path::new("/x"), "Hostname, Platform\n", Limits::default())
            .unwrap_err();
        assert!(e.to_string().contains("no `Template` column"), "{e}");
    }

    #[test]
    fn template_names_cannot_leave_the_folder() {
        let e = index().template("../secret").unwrap_err();
        assert!(e.to_string().contains("not a path out of it"), "{e}");
    }
}
