//! Large buffers faulted in with one call instead of one page fault per
//! 4 KiB as they fill: on the 5,000-row `show ip interface brief` the input
//! (93 pages) and the parse's cells (117 pages) were a fifth of the page
//! faults of a whole `netrun parse` process.

/// Spare room below this is left to fault page by page: the call is not
/// worth it for a few pages.
const MIN_BYTES: usize = 64 << 10;

/// Map in the pages of `buf`'s spare capacity at once
/// (`MADV_POPULATE_WRITE`), when it is large. Best effort: a kernel before
/// 5.14, or a system other than Linux, leaves them to be faulted on use.
/// Changes nothing a program can observe but the time it takes.
pub fn populate_spare<T>(buf: &mut Vec<T>) {
    populate_ahead(buf, usize::MAX);
}

/// Map in the pages of up to `max_bytes` of `buf`'s spare capacity (when
/// that is large enough to be worth a call); the elements of room it
/// covered, mapped in or not.
pub(crate) fn populate_ahead<T>(buf: &mut Vec<T>, max_bytes: usize) -> usize {
    let spare = buf.spare_capacity_mut();
    let n = spare.len().min(max_bytes / std::mem::size_of::<T>().max(1));
    let bytes = n * std::mem::size_of::<T>();
    if bytes >= MIN_BYTES {
        populate(spare.as_mut_ptr().cast::<u8>(), bytes);
    }
    n
}

#[cfg(target_os = "linux")]
fn populate(start: *mut u8, len: usize) {
    // SAFETY: sysconf reads a constant of the system.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let start = start as usize;
    let (from, to) = (start.next_multiple_of(page), (start + len) / page * page);
    if from < to {
        // SAFETY: [from, to) lies inside the vector's own allocation (its
        // spare capacity, whole pages only); MADV_POPULATE_WRITE maps the
        // pages in and changes no byte a program could read (the room is
        // uninitialised anyway).
        unsafe {
            libc::madvise(
                from as *mut libc::c_void,
                to - from,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn populate(_start: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn populating_changes_neither_contents_nor_capacity() {
        let mut buf: Vec<u64> = vec![7; 3];
        buf.reserve_exact(1 << 20);
        let capacity = buf.capacity();
        populate_spare(&mut buf);
        assert_eq!(buf, [7, 7, 7]);
        assert_eq!(buf.capacity(), capacity);
        // The room is usable as before.
        buf.extend(std::iter::repeat_n(9, 1 << 20));
        assert_eq!(buf.len(), 3 + (1 << 20));
        assert_eq!(buf[3 + (1 << 19)], 9);
    }
}
