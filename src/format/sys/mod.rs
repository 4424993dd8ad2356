//! The only `unsafe` code in dashlm, each block with a `SAFETY:` comment:
//! opening and mapping model files (`files`), the bit reads of [`Span`]
//! (`span`), cache prefetch hints (`prefetch`), memory in huge pages
//! (`huge`), and process-wide settings through the C library (`process`:
//! the allocator's thresholds, a signal's disposition).

// The package denies `unsafe_code` (Cargo.toml's `[lints]`); this module and
// its submodules are the library's one exception, and each block states why
// it is sound.
#![allow(unsafe_code)]

mod files;
mod huge;
mod prefetch;
mod process;
mod span;

pub use files::{map_file, open_model_file, read_file_huge};
pub use huge::HugeBuf;
pub use prefetch::{prefetch, prefetch_items};
#[cfg(unix)]
pub use process::signal_ignored;
pub use process::{keep_freed_memory, release_freed_memory_at_once};
pub use span::Span;
