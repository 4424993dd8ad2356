//! The grouped table: the highest order's arcs sorted by context, a
//! [`groups`](super::groups) block telling where each context's arcs are.
//!
//! No order looks the highest order up (its arcs are no state's context), so
//! its slots need not be found by hashing: a grouped table ([`RawLayout::runs`]
//! = 2) stores the arcs sorted by `(ctx, word)`, each as the word id and the
//! probability only (`word_bits + prob_bits` bits, no key remainder, no
//! displacement, no empty slots), and a groups block of one group per
//! context id `0..num_homes` (the slots of the table below). A lookup of
//! `(ctx, word)` reads the range of group `ctx` and searches it for `word`
//! (a binary search). The shared 4-gram's q8
//! 4-grams take 26 bits an arc and 2.2 bits a context instead of 34 bits a
//! slot at load 0.9 (37.8 bits an arc).
//!
//! | bits | field |
//! |---|---|
//! | `num_slots * entry_bits` | the arcs in `(ctx, word)` order: word id (`word_bits`), then prob (`prob_bits`) |
//! | to a byte boundary | zero |
//! | [`block_bytes`]`(num_homes, num_slots)` bytes | the groups block (element = arc, group = context id) |
//! | [`TABLE_PADDING`] bytes | zero |
//!
//! The layout fields: `num_homes` = context ids, `num_slots` = arcs,
//! `has_nodes` = 0, `backoff_bits` = 0, `disp_bits` = 0.
//!
//! ```
//! use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
//! let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
//! let raw = widths.grouped_layout(10, 3); // contexts 0..10, 3 arcs
//! let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
//! for (slot, (ctx, word)) in [(2, 5), (2, 9), (7, 1)].into_iter().enumerate() {
//!     let arc = Slot { ctx, word, prob: word + 100, ..Slot::default() };
//!     stream.put(slot as u64, &arc).unwrap();
//! }
//! let table = stream.finish().unwrap();
//! let layout = Layout::new(raw, 200, 0).unwrap();
//! assert_eq!(table.len() as u64, layout.table_bytes());
//! let probe = GroupedProbe::new(&layout, 0..table.len());
//! let (h, at) = probe.locate(&table, 2, 9);
//! let hit = probe.find_word(&table, h, at).unwrap();
//! assert_eq!((hit.slot, probe.payload_of(&table, &hit).prob), (1, 109));
//! let (h, at) = probe.locate(&table, 7, 5);
//! assert!(probe.find_word(&table, h, at).is_none());
//! ```

use std::ops::Range;

use super::bits::{mask, read_word};
use super::error::FormatError;
use super::groups::{block_bytes, GroupsView};
use super::header::RawLayout;
use super::probe::Hit;
use super::table::{Layout, Payload, Widths, TABLE_PADDING};

/// [`RawLayout::runs`] of a grouped table.
///
/// ```
/// use dashlm::format::table::{Widths, GROUPED};
/// let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
/// assert_eq!(widths.grouped_layout(10, 3).runs, GROUPED);
/// ```
pub const GROUPED: u8 = 2;

impl Widths {
    /// The layout of a grouped table of `arcs` arcs whose contexts have ids
    /// `0..contexts` (for the highest order: no nodes, no backoff).
    ///
    /// ```
    /// use dashlm::format::table::Widths;
    /// let w = Widths { ctx: 21, word: 18, prob: 8, nodes: false, backoff: 0 };
    /// let raw = w.grouped_layout(2_000_000, 1_800_000);
    /// assert_eq!((raw.num_homes, raw.num_slots, raw.entry_bits), (2_000_000, 1_800_000, 26));
    /// ```
    pub fn grouped_layout(&self, contexts: u64, arcs: u64) -> RawLayout {
        let byte = |w: u32| u8::try_from(w).unwrap_or(u8::MAX);
        RawLayout {
            num_homes: contexts,
            num_slots: arcs,
            entry_bits: self.word.saturating_add(self.prob),
            ctx_bits: byte(self.ctx),
            word_bits: byte(self.word),
            prob_bits: byte(self.prob),
            has_nodes: 0,
            backoff_bits: 0,
            disp_bits: 0,
            runs: GROUPED,
            prob_segmented: 0,
            backoff_segmented: 0,
            base_bits: 0,
            reserved: [0; 2],
        }
    }
}

/// Checks the fields of a grouped layout read from a file (the caller,
/// [`Layout::new`](super::table::Layout::new), checks the word width against
/// the vocabulary).
pub(super) fn check(raw: &RawLayout) -> Result<(), String> {
    let widths = [raw.ctx_bits, raw.word_bits, raw.prob_bits];
    if widths.iter().any(|&w| w == 0 || w > 32) {
        return Err(format!(
            "grouped table field widths {widths:?} out of range"
        ));
    }
    if raw.has_nodes != 0 || raw.backoff_bits != 0 || raw.disp_bits != 0 {
        return Err(format!(
            "a grouped table has no nodes, backoffs or displacements (node flag {}, {}-bit backoffs, {}-bit displacements)",
            raw.has_nodes, raw.backoff_bits, raw.disp_bits
        ));
    }
    if raw.entry_bits != u32::from(raw.word_bits) + u32::from(raw.prob_bits) {
        return Err(format!(
            "entry bits {} differ from word + prob bits",
            raw.entry_bits
        ));
    }
    if raw.num_homes > 1 << 40 || raw.num_slots > 1 << 40 {
        return Err(format!(
            "{} contexts / {} arcs",
            raw.num_homes, raw.num_slots
        ));
    }
    Ok(())
}

/// Bytes of the arcs of a grouped table with `raw`: where its groups block starts.
pub(super) fn arcs_bytes(raw: &RawLayout) -> u64 {
    (raw.num_slots * u64::from(raw.entry_bits)).div_ceil(8)
}

/// Bytes of a grouped table with `raw`.
pub(super) fn table_bytes(raw: &RawLayout) -> u64 {
    arcs_bytes(raw) + block_bytes(raw.num_homes, raw.num_slots) + TABLE_PADDING
}

/// A grouped table refused by a writer.
pub(super) fn refused(problem: String) -> FormatError {
    FormatError::field("grouped table", 0, problem)
}

/// The query hot path of a grouped table (as [`Probe`](super::table::Probe)
/// is a hashed table's): where the table lies in the file and the constants
/// a lookup needs, in one `Copy` value. Every read is bounds-checked, so any
/// file bytes are memory-safe; a lookup reads at most the groups block and
/// `log2` of the arcs.
///
/// ```
/// use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
/// let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
/// let raw = widths.grouped_layout(3, 2);
/// let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
/// stream.put(0, &Slot { ctx: 1, word: 4, prob: 7, ..Slot::default() }).unwrap();
/// stream.put(1, &Slot { ctx: 1, word: 6, prob: 9, ..Slot::default() }).unwrap();
/// let file = stream.finish().unwrap();
/// let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
/// let (h, at) = probe.locate(&file, 1, 6);
/// probe.prefetch(&file, at); // only a hint
/// let hit = probe.find_word(&file, h, at).unwrap();
/// assert_eq!((hit.slot, probe.payload_of(&file, &hit).prob), (1, 9));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupedProbe {
    /// The table's first bit in the file.
    start_bit: u64,
    entry_bits: u64,
    word_bits: u32,
    prob_mask: u64,
    /// The probability lies inside the bits read where an arc starts.
    prob_in_word: bool,
    groups: GroupsView,
}

impl GroupedProbe {
    /// The probe of a grouped table with `layout` stored at `bytes` of the file.
    ///
    /// ```
    /// use dashlm::format::table::{GroupedProbe, Layout, Widths};
    /// let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// let layout = Layout::new(widths.grouped_layout(3, 0), 200, 0).unwrap();
    /// let probe = GroupedProbe::new(&layout, 0..layout.table_bytes() as usize);
    /// let (h, at) = probe.locate(&[], 1, 4); // any bytes are safe
    /// assert!(probe.find_word(&[], h, at).is_none());
    /// ```
    pub fn new(layout: &Layout, bytes: Range<usize>) -> GroupedProbe {
        let raw = layout.raw();
        let word_bits = u32::from(raw.word_bits);
        let prob_bits = u32::from(raw.prob_bits);
        GroupedProbe {
            start_bit: (bytes.start as u64).wrapping_mul(8),
            entry_bits: u64::from(raw.entry_bits),
            word_bits,
            prob_mask: mask(prob_bits),
            prob_in_word: word_bits + prob_bits <= 57,
            groups: GroupsView::new(
                raw.num_homes,
                raw.num_slots,
                bytes.start as u64 + arcs_bytes(raw),
            ),
        }
    }

    /// The file bit where arc `slot` starts.
    #[inline(always)]
    fn slot_bit(&self, slot: u64) -> u64 {
        self.start_bit
            .wrapping_add(slot.wrapping_mul(self.entry_bits))
    }

    /// Reads the group of context `ctx` and returns `(word | number of arcs
    /// << 32, first arc's slot)` for [`GroupedProbe::find_word`], so that the
    /// arcs can be prefetched (at the first) before they are searched.
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.grouped_layout(3, 2);
    /// # let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// # stream.put(0, &Slot { ctx: 1, word: 4, ..Slot::default() }).unwrap();
    /// # stream.put(1, &Slot { ctx: 1, word: 6, ..Slot::default() }).unwrap();
    /// # let file = stream.finish().unwrap();
    /// # let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
    /// // Context 1 has arcs 0 and 1.
    /// assert_eq!(probe.locate(&file, 1, 6), (6 | 2 << 32, 0));
    /// assert_eq!(probe.locate(&file, 2, 6), (6, 2));
    /// ```
    #[inline(always)]
    pub fn locate(&self, file: &[u8], ctx: u32, word: u32) -> (u64, u64) {
        let r = self.groups.range(file, u64::from(ctx));
        let len = (r.end - r.start).min(u64::from(u32::MAX));
        (u64::from(word) | len << 32, r.start)
    }

    /// Prefetches the cache line of arc `slot`.
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let layout = Layout::new(widths.grouped_layout(3, 0), 200, 0).unwrap();
    /// let probe = GroupedProbe::new(&layout, 0..0);
    /// probe.prefetch(&[], 5); // only a hint, safe anywhere
    /// ```
    #[inline(always)]
    pub fn prefetch(&self, file: &[u8], slot: u64) {
        super::prefetch(file, (self.slot_bit(slot) >> 3) as usize);
    }

    /// Prefetches where [`GroupedProbe::locate`] reads the group of context
    /// `ctx` (a query calls it as soon as it knows the next state's context
    /// of this order, before the next word is known).
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let layout = Layout::new(widths.grouped_layout(3, 0), 200, 0).unwrap();
    /// let probe = GroupedProbe::new(&layout, 0..0);
    /// probe.prefetch_context(&[], 2); // only a hint, safe anywhere
    /// ```
    #[inline(always)]
    pub fn prefetch_context(&self, file: &[u8], ctx: u32) {
        self.groups.prefetch(file, u64::from(ctx));
    }

    /// The arc of `(h, home)` from [`GroupedProbe::locate`]: a binary search of
    /// the group's arcs whose steps choose without branching (the length of a
    /// group, not the words in it, decides the number of steps).
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.grouped_layout(3, 2);
    /// # let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// # stream.put(0, &Slot { ctx: 1, word: 4, ..Slot::default() }).unwrap();
    /// # stream.put(1, &Slot { ctx: 1, word: 6, ..Slot::default() }).unwrap();
    /// # let file = stream.finish().unwrap();
    /// # let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
    /// let found = |ctx, word| {
    ///     let (h, at) = probe.locate(&file, ctx, word);
    ///     probe.find_word(&file, h, at).map(|hit| hit.slot)
    /// };
    /// assert_eq!((found(1, 4), found(1, 6), found(1, 5), found(0, 4)), (Some(0), Some(1), None, None));
    /// ```
    #[inline(always)]
    pub fn find_word(&self, file: &[u8], h: u64, home: u64) -> Option<Hit> {
        let word_mask = mask(self.word_bits);
        let word = h & 0xffff_ffff;
        let (mut base, mut len) = (home, h >> 32);
        if len == 0 {
            return None;
        }
        // The last arc at or below `word` is in `base..base + len`, if any is.
        while len > 1 {
            let half = len / 2;
            let below = read_word(file, self.slot_bit(base + half)) & word_mask <= word;
            base = if below { base + half } else { base };
            len -= half;
        }
        let bits = read_word(file, self.slot_bit(base));
        (bits & word_mask == word).then_some(Hit {
            slot: base,
            word: bits,
        })
    }

    /// The probability of the arc [`GroupedProbe::find_word`] found (the
    /// other fields are those of an arc of the highest order: no node, no
    /// left flag, no backoff).
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
    /// let widths = Widths { ctx: 4, word: 30, prob: 32, nodes: false, backoff: 0 };
    /// let raw = widths.grouped_layout(3, 1);
    /// let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// let prob = (-1.5f32).to_bits();
    /// stream.put(0, &Slot { ctx: 2, word: 7, prob, ..Slot::default() }).unwrap();
    /// let file = stream.finish().unwrap();
    /// let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(&file, 2, 7);
    /// let hit = probe.find_word(&file, h, at).unwrap();
    /// assert_eq!(f32::from_bits(probe.payload_of(&file, &hit).prob), -1.5); // past the bits read
    /// ```
    #[inline(always)]
    pub fn payload_of(&self, file: &[u8], hit: &Hit) -> Payload {
        let word = if self.prob_in_word {
            hit.word >> self.word_bits
        } else {
            read_word(
                file,
                self.slot_bit(hit.slot)
                    .wrapping_add(u64::from(self.word_bits)),
            )
        };
        Payload {
            prob: (word & self.prob_mask) as u32,
            node: false,
            left: false,
            backoff: 0,
        }
    }

    /// The slots of the arcs of context `ctx`.
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.grouped_layout(3, 2);
    /// # let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// # stream.put(0, &Slot { ctx: 1, word: 4, ..Slot::default() }).unwrap();
    /// # stream.put(1, &Slot { ctx: 1, word: 6, ..Slot::default() }).unwrap();
    /// # let file = stream.finish().unwrap();
    /// # let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
    /// assert_eq!((probe.group(&file, 0), probe.group(&file, 1)), (0..0, 0..2));
    /// ```
    pub fn group(&self, file: &[u8], ctx: u64) -> Range<u64> {
        self.groups.range(file, ctx)
    }

    /// The context of the arc in `slot` (`None` past the last): a binary
    /// search over the groups, for listing a table, not for queries.
    ///
    /// ```
    /// # use dashlm::format::table::{GroupedProbe, Layout, Slot, TableStream, Widths};
    /// # let widths = Widths { ctx: 4, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.grouped_layout(3, 2);
    /// # let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// # stream.put(0, &Slot { ctx: 1, word: 4, ..Slot::default() }).unwrap();
    /// # stream.put(1, &Slot { ctx: 1, word: 6, ..Slot::default() }).unwrap();
    /// # let file = stream.finish().unwrap();
    /// # let probe = GroupedProbe::new(&Layout::new(raw, 200, 0).unwrap(), 0..file.len());
    /// assert_eq!((probe.context_of(&file, 1), probe.context_of(&file, 2)), (Some(1), None));
    /// ```
    pub fn context_of(&self, file: &[u8], slot: u64) -> Option<u64> {
        self.groups.group_of(file, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::{Layout, Slot, TableStream, TableView};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Every arc is found with its probability, every other key is not,
        /// and the view lists and decodes the arcs as written.
        #[test]
        fn grouped_tables_find_exactly_their_arcs(
            arcs in prop::collection::btree_map((0u32..300, 0u32..500), 0u32..256, 0..2000),
            prob in 1u32..=32,
        ) {
            let arcs: BTreeMap<(u32, u32), u32> =
                arcs.into_iter().map(|(k, p)| (k, p & mask(prob) as u32)).collect();
            let widths = Widths { ctx: 9, word: 9, prob, nodes: false, backoff: 0 };
            let raw = widths.grouped_layout(300, arcs.len() as u64);
            let mut stream = TableStream::new(raw, 500, Vec::new()).unwrap();
            for (slot, (&(ctx, word), &p)) in arcs.iter().enumerate() {
                stream.put(slot as u64, &Slot { ctx, word, prob: p, ..Slot::default() }).unwrap();
            }
            let table = stream.finish().unwrap();
            let layout = Layout::new(raw, 500, 0).unwrap();
            prop_assert_eq!(table.len() as u64, layout.table_bytes());
            let probe = GroupedProbe::new(&layout, 0..table.len());
            for ctx in 0..300 {
                for word in (0..500).step_by(7).chain([0, 499]) {
                    let (h, at) = probe.locate(&table, ctx, word);
                    let found = probe.find_word(&table, h, at).map(|hit| probe.payload_of(&table, &hit).prob);
                    prop_assert_eq!(found, arcs.get(&(ctx, word)).copied(), "{} {}", ctx, word);
                }
            }
            for (&(ctx, word), &p) in &arcs {
                let (h, at) = probe.locate(&table, ctx, word);
                let hit = probe.find_word(&table, h, at).unwrap();
                prop_assert_eq!(probe.payload_of(&table, &hit).prob, p);
            }
            let view = TableView::new(&table, &layout);
            let listed: Vec<(u32, u32, u32)> = view.arcs().map(|(_, a)| (a.ctx, a.word, a.prob)).collect();
            let expected: Vec<(u32, u32, u32)> = arcs.iter().map(|(&(c, w), &p)| (c, w, p)).collect();
            prop_assert_eq!(&listed, &expected);
            for (slot, &(c, w, p)) in expected.iter().enumerate().step_by(13) {
                let a = view.slot(slot as u64);
                prop_assert_eq!((a.ctx, a.word, a.prob), (c, w, p));
            }
        }
    }

    /// `check`'s bounds at their edges: widths 1..=32, at most 2^40 contexts
    /// and arcs, no node flag, backoff or displacement bits (audit 33: its
    /// `> 1 << 40` as `>=` or `==`, and its conditions joined by `&&`, survived).
    #[test]
    fn check_bounds_each_field_at_its_edges() {
        let widest = Widths {
            ctx: 32,
            word: 32,
            prob: 32,
            nodes: false,
            backoff: 0,
        };
        let ok = widest.grouped_layout(1 << 40, 1 << 40);
        assert_eq!(check(&ok), Ok(()));
        let narrowest = Widths {
            ctx: 1,
            word: 1,
            prob: 1,
            nodes: false,
            backoff: 0,
        };
        assert_eq!(check(&narrowest.grouped_layout(0, 0)), Ok(()));
        let past = (1 << 40) + 1;
        for raw in [
            RawLayout {
                num_homes: past,
                ..ok
            },
            RawLayout {
                num_slots: past,
                ..ok
            },
            RawLayout { ctx_bits: 0, ..ok },
            RawLayout { ctx_bits: 33, ..ok },
            RawLayout { has_nodes: 1, ..ok },
            RawLayout {
                backoff_bits: 1,
                ..ok
            },
            RawLayout { disp_bits: 1, ..ok },
        ] {
            assert!(check(&raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn arcs_out_of_order_or_missing_are_refused() {
        let widths = Widths {
            ctx: 4,
            word: 8,
            prob: 8,
            nodes: false,
            backoff: 0,
        };
        let arc = |ctx, word| Slot {
            ctx,
            word,
            ..Slot::default()
        };
        let mut stream = TableStream::new(widths.grouped_layout(4, 3), 200, Vec::new()).unwrap();
        stream.put(0, &arc(2, 5)).unwrap();
        let err = stream.put(1, &arc(2, 5)).unwrap_err().to_string();
        assert!(err.contains("increasing (ctx, word) order"), "{err}");
        let err = stream.put(1, &arc(1, 9)).unwrap_err().to_string();
        assert!(err.contains("increasing (ctx, word) order"), "{err}");
        let err = stream.put(2, &arc(3, 1)).unwrap_err().to_string();
        assert!(err.contains("written in slot order"), "{err}");
        let err = stream.put(1, &arc(4, 1)).unwrap_err().to_string();
        assert!(err.contains("group 4 of 4"), "{err}");
        stream.put(1, &arc(3, 1)).unwrap();
        let err = stream.finish().unwrap_err().to_string();
        assert!(err.contains("2 elements where 3 were declared"), "{err}");
    }
}
