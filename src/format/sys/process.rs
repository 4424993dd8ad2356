//! Process-wide settings through the C library: the allocator's thresholds
//! (for programs to set, not the library) and a signal's disposition.

/// Makes the C library's allocator hand large freed blocks back to the
/// operating system at once: with glibc, a fixed `mmap` threshold of 128 KiB
/// (`mallopt(M_MMAP_THRESHOLD)`). glibc's default threshold adapts: after a
/// block of a few megabytes is freed it serves blocks up to that size from its
/// heaps, where memory freed between phases of a long build stays in the
/// process (13 MB of an 80 MB peak when compiling the shared 4-gram model with
/// q8 weights). Process-wide, so it is for programs to call (`build-lm` does,
/// first thing), not for the library's builders. Does nothing with other C
/// libraries; a Rust global allocator other than the system's is not affected.
///
/// ```
/// dashlm::format::release_freed_memory_at_once();
/// ```
pub fn release_freed_memory_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` takes no pointers; glibc applies the setting under the
    // allocator's lock, so it is sound from any thread at any time, and it
    // changes only where future blocks come from, never a live allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Makes the C library's allocator keep freed memory in the process, for
/// programs that hold their data to the end and free and allocate batches on
/// the way (`dashlm rescore` and `tune`: parsed and written n-best lines):
/// with glibc, no trimming of the heaps' free tops (`M_TRIM_THRESHOLD` at its
/// maximum) and blocks up to 32 MiB from the heaps (`M_MMAP_THRESHOLD`), so
/// that a batch reuses the pages the one before it freed instead of faulting
/// in fresh, zeroed ones. The peak is unchanged: memory is only not handed
/// back before the program exits. Process-wide, so it is for programs to call,
/// not for the library. Does nothing with other C libraries.
///
/// ```
/// dashlm::format::keep_freed_memory();
/// ```
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as in `release_freed_memory_at_once`: `mallopt` takes no
    // pointers, applies settings under the allocator's lock, and changes only
    // what happens to future frees and allocations.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

/// Whether `signal` is ignored (`SIG_IGN`), as a parent may have set it (SIGHUP
/// under `nohup`): [`crate::atomic::remove_unfinished_on_interrupt`] leaves
/// such a signal ignored.
///
/// ```
/// # #[cfg(unix)]
/// assert!(!dashlm::format::signal_ignored(libc::SIGSEGV));
/// ```
#[cfg(unix)]
pub fn signal_ignored(signal: i32) -> bool {
    // SAFETY: `sigaction` is a plain C struct, for which all zeroes is valid.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `current`,
    // which is valid for writes; an invalid signal number is an error return.
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    read == 0 && current.sa_sigaction == libc::SIG_IGN
}
