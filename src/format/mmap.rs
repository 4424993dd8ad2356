//! Memory-mapping a model file: the one `unsafe` operation dashlm performs.

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::Mmap;

/// Maps `path` read-only.
///
/// # Safety contract (for callers)
/// The mapping reflects the file: if another process truncates or rewrites the
/// file while it is mapped, reads may see changed bytes (wrong scores, never
/// out-of-bounds reads, since every index is checked) or fault with SIGBUS on
/// truncation. `build-lm` never rewrites a file in place (it renames a new file
/// over the old one), so models written by dashlm are safe to replace while open.
///
/// # Errors
/// I/O errors opening or mapping the file.
///
/// ```no_run
/// let map = dashlm::format::map_file("model.dlm".as_ref()).unwrap();
/// println!("{} bytes", map.len());
/// ```
pub fn map_file(path: &Path) -> io::Result<Mmap> {
    let file = File::open(path)?;
    // SAFETY: the map is read-only and dashlm treats its bytes as untrusted input
    // (every offset and index derived from them is bounds-checked), so concurrent
    // modification can change results but cannot cause out-of-bounds access; the
    // remaining hazard (SIGBUS if the file is truncated while mapped) is documented
    // above as the caller's contract, as memmap2 requires.
    unsafe { Mmap::map(&file) }
}

/// Hints the CPU to fetch the cache line holding `bytes[offset]`; a no-op when
/// `offset` is out of range or on targets without a prefetch instruction.
///
/// ```
/// dashlm::format::prefetch(&[1u8, 2, 3], 1);
/// ```
#[inline(always)]
pub fn prefetch(bytes: &[u8], offset: usize) {
    if offset >= bytes.len() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let ptr = bytes[offset..].as_ptr().cast::<i8>();
        // SAFETY: `_mm_prefetch` only hints the cache; it never faults or reads
        // into registers, and `ptr` points inside `bytes` anyway. SSE is part of
        // the x86_64 baseline.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr) };
    }
}
