//! Resilience: the device deadline, retries with backoff, circuit
//! breakers, the session pool, and bounded resources (open files).

pub mod backoff;
pub mod breaker;
pub mod deadline;
pub mod dial;
pub mod pool;
pub mod retry;

/// Raise the open-files soft limit to the hard limit. Returns (soft, hard)
/// after the change; each SSH session holds one descriptor.
pub fn raise_nofile_limit() -> (u64, u64) {
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return (0, 0);
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
        // rlim_t is u64 on Linux but not on every unix.
        #[allow(clippy::unnecessary_cast)]
        (lim.rlim_cur as u64, lim.rlim_max as u64)
    }
}

/// Cap `concurrency` to what the open-files limit allows (a session and a
/// little headroom per device), warning when it had to.
pub fn cap_concurrency(concurrency: usize) -> usize {
    let (soft, _) = raise_nofile_limit();
    if soft == 0 {
        return concurrency;
    }
    let allowed = (soft.saturating_sub(64) / 2).max(1) as usize;
    if concurrency > allowed {
        tracing::warn!(
            requested = concurrency,
            allowed,
            open_files_limit = soft,
            "concurrency capped by the open-files limit; raise it with `ulimit -n` (hard limit) to go higher"
        );
        return allowed;
    }
    concurrency
}

/// CPU seconds (user + system) and peak RSS in bytes of this process.
pub fn process_usage() -> (f64, u64) {
    // SAFETY: getrusage fills the struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return (0.0, 0);
        }
        let cpu = ru.ru_utime.tv_sec as f64
            + ru.ru_utime.tv_usec as f64 / 1e6
            + ru.ru_stime.tv_sec as f64
            + ru.ru_stime.tv_usec as f64 / 1e6;
        (cpu, ru.ru_maxrss as u64 * 1024)
    }
}
