//! Cache prefetch hints: instructions that never fault, so their addresses
//! need no check.

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
