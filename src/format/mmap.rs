//! Memory-mapping a model file, cache prefetch hints, reads of words checked
//! once for many ([`Span`]), the allocator setting of `build-lm` and the query
//! of a signal's disposition: the only `unsafe` code in dashlm.

// The package denies `unsafe_code` (Cargo.toml's `[lints]`); this module is the
// library's one exception, and each block states why it is sound.
#![allow(unsafe_code)]

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
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("model.dlm");
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
/// let map = dashlm::format::map_file(&path).unwrap();
/// assert_eq!(map[..8], dashlm::format::MAGIC);
/// assert_eq!(map.len() as u64, std::fs::metadata(&path).unwrap().len());
/// ```
pub fn map_file(path: &Path) -> io::Result<Mmap> {
    let file = open_model_file(path, false)?;
    // SAFETY: `Mmap::map` is unsafe because the file may change while mapped.
    // Bytes changing under a live `&[u8]` break Rust's aliasing rules, a hazard
    // accepted here as by every user of memmap2, and stated in this function's
    // contract and `Model::open`'s docs: dashlm reads the bytes as untrusted
    // input, checking every offset and index derived from them (the section
    // bounds are copied out at open), so a change can give wrong scores but no
    // out-of-bounds access; a truncation faults with SIGBUS. `build-lm` and the
    // other writers replace files by rename, which leaves an open map intact.
    unsafe { Mmap::map(&file) }
}

/// Opens `path` to read a model from: a regular file (or a link to one) or,
/// with `stream`, a FIFO or pipe (`<(zcat lm.arpa.gz)`), which can be read
/// only once and in order (ARPA text; a compiled model is mapped or read
/// whole by its length, so it must be a regular file). What cannot hold a
/// model is refused by name before it is opened: a directory, a socket, a
/// device (`/dev/null` would read as an empty file), and a FIFO without
/// `stream` (opening one waits for a writer). Every command that reads a
/// model opens it here.
///
/// # Errors
/// I/O errors, and an [`io::ErrorKind::InvalidInput`] error saying what
/// `path` is (`is a directory, not a model file`).
///
/// ```
/// use dashlm::format::open_model_file;
/// let dir = tempfile::tempdir().unwrap();
/// let err = open_model_file(dir.path(), true).unwrap_err();
/// assert_eq!(err.to_string(), "is a directory, not a model file");
/// # #[cfg(unix)]
/// assert_eq!(
///     open_model_file("/dev/null".as_ref(), true).unwrap_err().to_string(),
///     "is a device, not a model file",
/// );
/// let path = dir.path().join("lm.arpa");
/// std::fs::write(&path, "\\data\\\n").unwrap();
/// assert!(open_model_file(&path, false).is_ok());
/// ```
pub fn open_model_file(path: &Path, stream: bool) -> io::Result<File> {
    let kind = std::fs::metadata(path)?.file_type();
    #[cfg(unix)]
    let (fifo, socket) = {
        use std::os::unix::fs::FileTypeExt;
        (kind.is_fifo(), kind.is_socket())
    };
    #[cfg(not(unix))]
    let (fifo, socket) = (false, false);
    let problem = if kind.is_file() || (fifo && stream) {
        return File::open(path);
    } else if kind.is_dir() {
        "is a directory, not a model file"
    } else if fifo {
        "is a FIFO or pipe: a compiled model must be a regular file (it is \
         memory-mapped or read whole)"
    } else if socket {
        "is a socket, not a model file"
    } else {
        "is a device, not a model file"
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, problem))
}

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

/// Hints the CPU to fetch the cache line holding `bytes[offset]`; a no-op on
/// targets without a prefetch instruction. An `offset` out of range is
/// harmless (the hint never faults and reads nothing), so it is not checked:
/// the check cost 3 of the ~300 instructions of a model query per order.
///
/// ```
/// dashlm::format::prefetch(&[1u8, 2, 3], 1);
/// dashlm::format::prefetch(&[1u8, 2, 3], usize::MAX);
/// ```
#[inline(always)]
pub fn prefetch(bytes: &[u8], offset: usize) {
    hint(bytes.as_ptr().wrapping_add(offset));
}

/// The 64-bit words of a byte slice up to bit `end`, checked once to lie
/// inside it, so that each read needs no bounds check: a position is clamped
/// to `end` (two instructions) where a checked read compares and branches
/// (four). A query reads about ten words, most of them scanning table slots.
///
/// ```
/// use dashlm::format::Span;
/// let bytes = [0x12u8, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22];
/// let span = Span::new(&bytes, 16).unwrap(); // the last word inside starts at bit 16
/// assert_eq!(span.word(0), 0xf0de_bc9a_7856_3412);
/// assert_eq!(span.word(4), 0x0f0d_ebc9_a785_6341);
/// assert_eq!(span.word(16), 0x2211_f0de_bc9a_7856);
/// assert_eq!(span.word(1000), span.word(16)); // clamped
/// assert!(Span::new(&bytes, 24).is_none()); // a word at bit 24 would pass the end
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Span<'a> {
    bytes: &'a [u8],
    end: u64,
}

impl<'a> Span<'a> {
    /// The words of `bytes` up to bit `end`, if the word at `end` lies inside.
    ///
    /// ```
    /// use dashlm::format::Span;
    /// let bytes = [0u8; 12];
    /// assert!(Span::new(&bytes, 39).is_some()); // the word at bit 39 starts in byte 4
    /// assert!(Span::new(&bytes, 40).is_none()); // bytes 5..13: past the end
    /// assert!(Span::new(&bytes, u64::MAX).is_none());
    /// ```
    #[inline(always)]
    pub fn new(bytes: &'a [u8], end: u64) -> Option<Span<'a>> {
        ((end >> 3).saturating_add(8) <= bytes.len() as u64).then_some(Span { bytes, end })
    }

    /// The bits from bit `pos` on (from `end` if `pos` is past it),
    /// little-endian: the 8 bytes from byte `pos / 8` shifted right by `pos %
    /// 8`, so the low `64 - pos % 8` bits (at least 57) are the span's and the
    /// top `pos % 8` are zero. Fields of at most 57 bits
    /// ([`MAX_KEY_BITS`](crate::format::table::MAX_KEY_BITS)) read whole.
    ///
    /// ```
    /// use dashlm::format::Span;
    /// let bytes = 0x0123_4567_89ab_cdefu64.to_le_bytes();
    /// let span = Span::new(&bytes, 4).unwrap();
    /// assert_eq!(span.word(0), 0x0123_4567_89ab_cdef);
    /// assert_eq!(span.word(4), 0x0012_3456_789a_bcde); // 60 bits, the top 4 zero
    /// assert_eq!(span.word(9), span.word(4)); // past `end`: clamped
    /// ```
    #[inline(always)]
    pub fn word(&self, pos: u64) -> u64 {
        let pos = pos.min(self.end);
        let byte = (pos >> 3) as usize;
        debug_assert!(byte + 8 <= self.bytes.len());
        // SAFETY: `pos <= end` and `new` checked `end / 8 + 8 <= bytes.len()`,
        // so bytes `byte..byte + 8` lie inside `bytes`. The read is unaligned.
        let word = unsafe { self.bytes.as_ptr().add(byte).cast::<u64>().read_unaligned() };
        u64::from_le(word) >> (pos & 7)
    }
}

/// Hints the CPU to fetch the first cache lines (up to 256 bytes) of `items`; a
/// no-op on targets without a prefetch instruction.
///
/// ```
/// dashlm::format::prefetch_items(&[1u32, 2, 3]);
/// ```
#[inline(always)]
pub fn prefetch_items<T>(items: &[T]) {
    let start = items.as_ptr().cast::<u8>();
    let bytes = std::mem::size_of_val(items).min(256);
    for offset in (0..bytes).step_by(64) {
        hint(start.wrapping_add(offset));
    }
}

/// The prefetch instruction for the line holding `ptr`.
#[inline(always)]
fn hint(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache: it never faults (whatever the
    // address, so `ptr` may point anywhere) and reads nothing into registers.
    // SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// `len` bytes (at least one) of zeroed anonymous memory, advised to use
/// transparent huge pages where the OS offers them.
fn huge_zeroed(len: usize) -> io::Result<memmap2::MmapMut> {
    let mem = memmap2::MmapMut::map_anon(len.max(1))?;
    #[cfg(target_os = "linux")]
    let _ = mem.advise(memmap2::Advice::HugePage);
    Ok(mem)
}

/// Buffers this large or larger go to huge pages (one huge page).
const HUGE_MIN: usize = 2 << 20;

/// A fixed-length table of `T` for random access while a model is built or
/// read: from 2 MiB up in anonymous memory advised to use transparent huge
/// pages (as KenLM's `HugeMalloc`), so random lookups rarely miss the TLB;
/// smaller ones on the heap.
///
/// ```
/// let mut t = dashlm::format::HugeBuf::filled(1 << 20, [0u32; 4]);
/// t[7][2] = 5;
/// assert_eq!((t.len(), t[7][2], t[8][2]), (1 << 20, 5, 0));
/// assert_eq!(t.clone()[7], [0, 0, 5, 0]);
/// ```
pub enum HugeBuf<T> {
    /// In huge pages.
    Huge(memmap2::MmapMut),
    /// On the heap.
    Heap(Vec<T>),
}

impl<T: bytemuck::Pod> HugeBuf<T> {
    /// `len` copies of `value`.
    ///
    /// ```
    /// use dashlm::format::HugeBuf;
    /// let small = HugeBuf::filled(3, 9u16);
    /// assert_eq!(small[..], [9, 9, 9]);
    /// assert!(matches!(small, HugeBuf::Heap(_))); // below 2 MiB: on the heap
    /// let big = HugeBuf::filled(1 << 20, 7u32); // 4 MiB: huge pages where available
    /// assert!(big.len() == 1 << 20 && big.iter().all(|&v| v == 7));
    /// ```
    pub fn filled(len: usize, value: T) -> HugeBuf<T> {
        let bytes = len.checked_mul(std::mem::size_of::<T>());
        let huge = bytes.filter(|&b| b >= HUGE_MIN).map(huge_zeroed);
        let Some(Ok(mut mem)) = huge else {
            return HugeBuf::Heap(vec![value; len]);
        };
        if bytemuck::bytes_of(&value).iter().any(|&b| b != 0) {
            bytemuck::cast_slice_mut::<u8, T>(&mut mem).fill(value);
        }
        HugeBuf::Huge(mem)
    }

    /// Gives the memory of the items in `range` back to the operating system
    /// where it can (the whole pages inside those items' bytes, in huge
    /// pages): read again, those items are zero or keep their values, so
    /// release what will not be read. Items outside `range` keep their values.
    ///
    /// ```
    /// let mut t = dashlm::format::HugeBuf::filled(1 << 20, 7u32);
    /// t.release(1000..600_000);
    /// assert!(t[1000..600_000].iter().all(|&v| v == 0 || v == 7));
    /// assert!(t[..1000].iter().chain(&t[600_000..]).all(|&v| v == 7));
    /// #[cfg(target_os = "linux")] // whole 4 KiB pages inside the range are zero
    /// assert!(t[1024..599_040].iter().all(|&v| v == 0));
    /// ```
    pub fn release(&mut self, range: std::ops::Range<usize>) {
        let HugeBuf::Huge(mem) = self else {
            return;
        };
        let size = std::mem::size_of::<T>();
        let len = mem.len() / size.max(1);
        let end = range.end.min(len) * size;
        let page = page_size();
        let first = (range.start.min(len) * size).next_multiple_of(page);
        let last = end / page * page;
        if first >= last {
            return;
        }
        #[cfg(unix)]
        // SAFETY: `&mut self` means nothing else reads or writes this memory
        // now. MADV_DONTNEED on private anonymous memory (`huge_zeroed`) makes
        // the whole pages `first..last` read as zero from now on, like writing
        // zeros over them: any bytes are a valid `T` (`Pod`), and those pages lie
        // inside the bytes of the items in `range` (rounded inwards), so no other
        // item changes. The range is inside the mapping (`last <= mem.len()`).
        unsafe {
            let _ =
                mem.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, first, last - first);
        }
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

/// The size of a memory page (4 KiB where the OS does not say).
fn page_size() -> usize {
    #[cfg(unix)]
    // SAFETY: `sysconf` takes no pointers and only reads a system setting.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let size = 4096;
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}

impl<T: bytemuck::Pod> std::ops::Deref for HugeBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            HugeBuf::Huge(mem) => bytemuck::cast_slice(mem),
            HugeBuf::Heap(v) => v,
        }
    }
}

impl<T: bytemuck::Pod> std::ops::DerefMut for HugeBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            HugeBuf::Huge(mem) => bytemuck::cast_slice_mut(mem),
            HugeBuf::Heap(v) => v,
        }
    }
}

impl<T: bytemuck::Pod> Clone for HugeBuf<T> {
    fn clone(&self) -> Self {
        let mut copy = HugeBuf::filled(self.len(), T::zeroed());
        copy.copy_from_slice(self);
        copy
    }
}

impl<T: bytemuck::Pod> std::fmt::Debug for HugeBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HugeBuf({} items)", self.len())
    }
}

/// Reads `path` into anonymous memory advised to use transparent huge pages
/// (where the OS offers them), the way KenLM loads models into `HugeMalloc`ed
/// memory: slower to open than [`map_file`] (the whole file is read), but
/// random lookups then miss the TLB far less often.
///
/// # Errors
/// I/O errors reading the file or allocating the memory.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("model.dlm");
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
/// let mem = dashlm::format::read_file_huge(&path).unwrap();
/// assert_eq!(mem[..], std::fs::read(&path).unwrap()[..]);
/// ```
pub fn read_file_huge(path: &Path) -> io::Result<Mmap> {
    use std::io::Read;
    let mut file = open_model_file(path, false)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "file larger than the address space",
        )
    })?;
    if len == 0 {
        // Anonymous memory has at least one byte: an empty file is mapped
        // instead, so that it reads as 0 bytes (`file is too short: 0 bytes`).
        // SAFETY: the map is read-only and holds no bytes: nothing can change
        // under it or fault (a file that grows later is not part of it).
        return unsafe { Mmap::map(&file) };
    }
    let mut mem = huge_zeroed(len)?;
    file.read_exact(&mut mem[..len])?;
    if file.read(&mut [0u8; 1])? != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "file grew while being read",
        ));
    }
    let map = mem.make_read_only()?;
    Ok(map)
}
