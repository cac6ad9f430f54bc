//! Session buffers are not locked in RAM.
//!
//! russh allocates every packet buffer of a session locked (`mlock` when a
//! buffer is allocated or grows, `munlock` when it is freed), so that what
//! passes through it stays out of swap. For a process that may lock memory
//! (root, or the memory-lock limit not yet reached) each of those calls
//! splits or merges the heap's mappings and faults the pages in: on 10,000
//! lab devices at concurrency 1000, `mlock`/`munlock` were 2.7 % of the
//! run's CPU samples (as root); without the locking the run's system time
//! fell 8-14 % and its whole CPU 2.6 % (24 runs alternated with the build
//! before, in three batches). OpenSSH, Paramiko
//! and asyncssh lock nothing either; a machine whose swap must not hold
//! session data wants encrypted swap, or none.
//!
//! So the `netrun` binary, first thing, sets its memory-lock limit to 0
//! and drops `CAP_IPC_LOCK` from the capabilities in effect: russh's calls
//! then fail at once, and it goes on with the buffers unlocked, as it does
//! whenever locking fails. `NETRUN_LOCK_MEMORY=1` keeps the locking.
//! Commands netrun runs for the operator (a password command such as
//! `pass`, whose gpg locks its own memory) get the limit netrun started
//! with back ([`restore_in_child`]); a command run as root regains its
//! capabilities when it starts, as any program run by root does.

use std::sync::OnceLock;

/// A log filter directive for the warning russh logs once when it cannot
/// lock a buffer (expected once locking is stopped).
pub const QUIET_DIRECTIVE: &str = "russh_cryptovec=error";

/// Set to `1` to keep russh's locking of session buffers.
pub const KEEP_ENV: &str = "NETRUN_LOCK_MEMORY";

/// The memory-lock limit this process started with, when it was lowered.
static STARTED_WITH: OnceLock<libc::rlimit> = OnceLock::new();

/// What [`stop_buffer_locking`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locking {
    /// `NETRUN_LOCK_MEMORY=1`: nothing changed.
    Kept,
    /// Locking now fails at once: limit 0, `CAP_IPC_LOCK` not in effect.
    Stopped,
    /// The limit or the capability could not be changed (a seccomp filter,
    /// a platform without them): russh locks buffers as far as what is
    /// left of the limit and the capability lets it.
    Unchanged,
}

/// Make locking memory fail at once for this process (see the module
/// documentation). Call it before any thread is started: capabilities are
/// per thread, and threads started later inherit the caller's.
pub fn stop_buffer_locking() -> Locking {
    if std::env::var(KEEP_ENV).is_ok_and(|v| v.trim() == "1") {
        return Locking::Kept;
    }
    if lower_limit() && drop_ipc_lock() {
        Locking::Stopped
    } else {
        Locking::Unchanged
    }
}

/// Give `cmd`, when it starts, the memory-lock limit netrun started with.
pub fn restore_in_child(cmd: &mut std::process::Command) {
    let Some(&limit) = STARTED_WITH.get() else {
        return;
    };
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and makes one
    // async-signal-safe call (setrlimit) on a value copied before the fork.
    unsafe {
        cmd.pre_exec(move || {
            // Best effort: the child runs either way, as it would have
            // under a limit it was given.
            libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit);
            Ok(())
        });
    }
}

/// Soft memory-lock limit to 0 (the hard limit stays, so it can be raised
/// again); remembers the old one for [`restore_in_child`].
fn lower_limit() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) != 0 {
            return false;
        }
        if limit.rlim_cur == 0 {
            return true;
        }
        let lowered = libc::rlimit {
            rlim_cur: 0,
            rlim_max: limit.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_MEMLOCK, &lowered) != 0 {
            return false;
        }
    }
    let _ = STARTED_WITH.set(limit);
    true
}

/// `CAP_IPC_LOCK` out of this thread's effective set (it stays permitted).
/// Without it the limit of 0 holds for root too.
#[cfg(target_os = "linux")]
fn drop_ipc_lock() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // _LINUX_CAPABILITY_VERSION_3: 64 capability bits in two words.
    const VERSION_3: u32 = 0x2008_0522;
    const CAP_IPC_LOCK: u32 = 14;
    let bit = 1u32 << CAP_IPC_LOCK;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset read and write the header and the two data
    // words of version 3, which is what we pass; pid 0 is this thread.
    unsafe {
        if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) != 0 {
            return false;
        }
        if data[0].effective & bit == 0 {
            return true;
        }
        data[0].effective &= !bit;
        libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) == 0
    }
}

/// No capabilities to drop: the limit of 0 is enough.
#[cfg(not(target_os = "linux"))]
fn drop_ipc_lock() -> bool {
    true
}
