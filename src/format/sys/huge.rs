//! Memory in transparent huge pages: buffers for the builders' random
//! lookups ([`HugeBuf`]) and the memory a model is read into.

use std::io;

/// `len` bytes (at least one) of zeroed anonymous memory, advised to use
/// transparent huge pages where the OS offers them.
pub(super) fn huge_zeroed(len: usize) -> io::Result<memmap2::MmapMut> {
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
