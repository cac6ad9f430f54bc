//! What the commands print on standard output.
//!
//! `print!` panics when standard output cannot take the text, which
//! happens as soon as the reader of a pipe has gone: `netrun inventory
//! list | head -3` over a large inventory ended in a panic and a stack
//! trace. The commands print through [`out!`](crate::out) and
//! [`outln!`](crate::outln) instead: a failed write is an error of the
//! command ([`StdoutError`]). When the reader went away, `main` ends the
//! process quietly with [`EXIT_STDOUT_CLOSED`] (141, what a shell reports
//! for `cat` or `grep` ended the same way by SIGPIPE); any other failure
//! (a full disk behind `> file`) is printed as an error.

use std::io::Write as _;

/// Exit code when the reader of standard output went away (`| head`):
/// 128 + SIGPIPE, as a shell reports it for a writer the signal ended.
pub const EXIT_STDOUT_CLOSED: i32 = 141;

/// Standard output could not take what a command printed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub struct StdoutError(#[from] pub std::io::Error);

impl StdoutError {
    /// Whether the reader closed its end (a pipe into `head`, a pager quit):
    /// nothing to report to anyone.
    pub fn reader_gone(&self) -> bool {
        closed_by_reader(&self.0)
    }
}

/// Whether a write to standard output failed because its reader closed it.
pub fn closed_by_reader(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Whether `e` (or one of its causes) is standard output's reader gone.
pub fn reader_gone(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if err
            .downcast_ref::<StdoutError>()
            .is_some_and(StdoutError::reader_gone)
        {
            return true;
        }
        next = err.source();
    }
    false
}

/// Write `args` to standard output (what [`out!`](crate::out) expands to).
pub fn write(args: std::fmt::Arguments<'_>) -> Result<(), StdoutError> {
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(StdoutError)
}

/// `print!` that returns a [`StdoutError`] instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::stdout::write(format_args!($($arg)*))
    };
}

/// `println!` that returns a [`StdoutError`] instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_told_apart_from_other_write_failures() {
        let gone = StdoutError(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let full = StdoutError(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(gone.reader_gone());
        assert!(!full.reader_gone());
        // Found below the context a command adds to it.
        let wrapped = anyhow::Error::new(gone).context("listing hosts");
        assert!(reader_gone(wrapped.as_ref()));
        let wrapped = anyhow::Error::new(full).context("listing hosts");
        assert!(!reader_gone(wrapped.as_ref()));
        // A broken pipe to some other process is not standard output's.
        let other = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(!reader_gone(other.as_ref()));
    }
}
