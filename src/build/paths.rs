//! The last lookup path of a builder, reused when the next n-gram shares a
//! prefix (ARPA files list each order grouped by context, so most lookups of
//! a context repeat the last one).

use crate::vocab::WordId;
use crate::MAX_ORDER;

/// The ids of the prefixes of the last path looked up.
#[derive(Clone, Copy, Default)]
pub(super) struct PathCache {
    words: [WordId; MAX_ORDER],
    /// `ids[k]`: the id of `words[..=k]` (its word id for `k = 0`, else an id
    /// within order `k + 1`, as the builder numbers them).
    ids: [u32; MAX_ORDER],
    len: usize,
}

impl PathCache {
    /// How much of `words` (not empty) the cache holds: the length `k >= 1`
    /// of the longest prefix it holds and that prefix's id.
    pub(super) fn shared(&self, words: &[WordId]) -> (usize, u32) {
        let held = self.words[..self.len].iter().zip(words);
        match held.take_while(|(a, b)| a == b).count() {
            0 => (1, words[0]),
            k => (k, self.ids[k - 1]),
        }
    }

    /// The id of `words` (not empty): the cached ids of the prefix it shares
    /// with the last path, then `next(k, id of words[..k], words[k])` for the id
    /// of each longer prefix `words[..=k]`, in turn. Stops at the first error.
    pub(super) fn id<E>(
        &mut self,
        words: &[WordId],
        mut next: impl FnMut(usize, u32, WordId) -> Result<u32, E>,
    ) -> Result<u32, E> {
        let mut k = 0;
        while k < self.len && k < words.len() && self.words[k] == words[k] {
            k += 1;
        }
        if k == 0 {
            self.words[0] = words[0];
            self.ids[0] = words[0];
            k = 1;
        }
        self.len = k;
        while k < words.len() {
            let id = next(k, self.ids[k - 1], words[k])?;
            self.words[k] = words[k];
            self.ids[k] = id;
            k += 1;
            self.len = k;
        }
        Ok(self.ids[words.len() - 1])
    }
}
