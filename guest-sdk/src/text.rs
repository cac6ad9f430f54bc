//! Small helpers for parsing CLI text, shared by parsers in any driver.

/// Split `output` into lines with trailing white space removed, dropping the
/// `\r` of `\r\n` endings.
pub fn lines(output: &str) -> impl Iterator<Item = &str> {
    output.lines().map(|l| l.trim_end())
}

/// Parse a counter such as `1234` or `1,234` into a number.
pub fn counter(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|c| *c != ',').collect();
    digits.parse().ok()
}

/// Columns of a fixed-width table row, split on runs of two or more spaces
/// or on single spaces, whichever the header's column starts say.
///
/// `starts` are the byte offsets where each column begins (taken from the
/// header line with [`column_starts`]).
pub fn columns<'a>(row: &'a str, starts: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(row.len());
        let s = start.min(row.len());
        let e = end.min(row.len()).max(s);
        out.push(row.get(s..e).unwrap_or("").trim());
    }
    out
}

/// Byte offsets where each of `names` begins in `header`, or `None` when a
/// name is missing (the output is not the table expected).
pub fn column_starts(header: &str, names: &[&str]) -> Option<Vec<usize>> {
    names.iter().map(|n| header.find(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_accepts_thousands_separators() {
        assert_eq!(counter("1,234,567"), Some(1_234_567));
        assert_eq!(counter("12"), Some(12));
        assert_eq!(counter("x"), None);
    }

    #[test]
    fn columns_follow_header_offsets() {
        let header = "Interface   IP-Address  Status";
        let starts = column_starts(header, &["Interface", "IP-Address", "Status"]).unwrap();
        let row = "Gi0/0       10.0.0.1    up";
        assert_eq!(columns(row, &starts), vec!["Gi0/0", "10.0.0.1", "up"]);
        assert!(column_starts(header, &["Nope"]).is_none());
    }
}
