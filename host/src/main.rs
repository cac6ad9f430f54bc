//! The `netrun` binary: logging set-up, then the CLI.

use clap::Parser;
use netrun::cli::stdout::{self, StdoutError};
use netrun::cli::{Cli, EXIT_FATAL, EXIT_OK, LogFormat};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc malloc: thousands of sessions allocate and
/// free small buffers on every worker thread, and glibc's per-thread arenas
/// kept freed memory resident (peak RSS) and spent more CPU doing it.
/// Built without transparent huge pages (`no_thp`): faulting in 2 MiB
/// pages for small heaps cost a tenth of a sweep's CPU in page zeroing.
/// `--features system-allocator` keeps glibc's, for heap profilers
/// (heaptrack) that hook malloc.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Errors made and dropped in the normal course (wasmtime makes one
    // whenever a store is dropped) would each capture a stack backtrace
    // when RUST_BACKTRACE is set, as developers' shells often have it:
    // that unwinding cost a few percent of a sweep. Panics keep theirs
    // (RUST_BACKTRACE); library errors capture one only when asked for by
    // RUST_LIB_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: first statement of main, before any thread is spawned.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    // Before any thread is started: capabilities are per thread.
    let locking = netrun::memlock::stop_buffer_locking();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are answers, not errors; every other
            // argument error stops the run before it starts: exit 1, as
            // documented (clap's own 2 means "some devices failed" here).
            let code = if e.use_stderr() { EXIT_FATAL } else { EXIT_OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // The level was checked by clap; a filter that still fails falls back to warn.
    let mut filter = EnvFilter::try_new(&cli.log_level).unwrap_or_else(|_| EnvFilter::new("warn"));
    if locking == netrun::memlock::Locking::Stopped && !cli.log_level.contains("russh_cryptovec") {
        // russh warns once that it could not lock a buffer: by design here.
        if let Ok(quiet) = netrun::memlock::QUIET_DIRECTIVE.parse() {
            filter = filter.add_directive(quiet);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(cli.color.enabled(std::io::stderr().is_terminal()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    if cli.is_offline() {
        let code = match cli.execute_offline() {
            Ok(code) => code,
            Err(e) => fatal(&*e),
        };
        exit_now(code);
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.worker_threads() {
        builder.worker_threads(n);
    }
    match cli.wake_batch() {
        Some(pause) => netrun::pacing::install(&mut builder, pause),
        None => netrun::pacing::set_echo_waits(false),
    }
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(EXIT_FATAL);
        }
    };
    let code = runtime.block_on(async {
        // A command that works on devices runs as a task of the runtime,
        // not on this thread: a run's loop (a device's end frees a slot,
        // the next device starts) then lives on the worker thread that
        // ends the devices. On this thread, each device's end woke it (a
        // futex call and two context switches a device, ~10% of the CPU of
        // collect-facts over 1,000 lab devices).
        let done = match cli.into_sweep() {
            Ok(sweep) => tokio::spawn(sweep).await.unwrap_or_else(|e| {
                Err(anyhow::anyhow!(
                    "internal error (the sweep's task failed: {e}); please report it"
                ))
            }),
            Err(cli) => (*cli).execute().await,
        };
        match done {
            Ok(code) => code,
            Err(e) => fatal(&*e),
        }
    });
    // Do not wait for lingering device sessions at exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    exit_now(code);
}

/// The exit code of a command that failed, its error printed, except
/// when the reader of standard output went away (`netrun … | head`):
/// that ends quietly, as `cat` does in the same pipe.
fn fatal(e: &(dyn std::error::Error + 'static)) -> i32 {
    if stdout::reader_gone(e) {
        return stdout::EXIT_STDOUT_CLOSED;
    }
    eprintln!("error: {}", netrun::error::chain_text(e));
    EXIT_FATAL
}

/// End the process at once: standard output is flushed, and the
/// allocator's exit-time purge (returning every freed page to the kernel,
/// which is about to take them all anyway) is skipped; it cost 2 ms of a
/// 50,000-row `netrun parse`, and 2 % of a one-device `netrun exec`. Every
/// file a command writes is flushed and closed before it returns.
fn exit_now(code: i32) -> ! {
    use std::io::Write as _;
    let code = match std::io::stdout().flush() {
        Ok(()) => code,
        Err(e) => fatal(&StdoutError(e)),
    };
    // SAFETY: `_exit` ends the process without running atexit handlers;
    // nothing of ours is registered there, and standard output (the only
    // buffered stream; stderr is unbuffered) was flushed above.
    unsafe { libc::_exit(code) }
}
