//! A read-only view of one arc table, for `dump` and tests (the query hot
//! path is [`Probe`]).

use super::bits::{mask, read_word};
use super::grouped::GroupedProbe;
use super::probe::{Hit, Probe};
use super::table::{Layout, Payload, Slot};

/// A read-only view of one table's bytes. Any bytes are memory-safe: reads past
/// the end yield zeros, and lookups stop at the last slot.
///
/// ```
/// use dashlm::format::table::{Layout, Slot, TableView, TableWriter, Widths};
/// let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
/// let raw = widths.layout(4, 4, 0);
/// # let codec = widths.codec(4);
/// # let home = codec.home(codec.hash(1, 2));
/// let mut w = TableWriter::new(raw, 200).unwrap();
/// w.put(home, &Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() }).unwrap();
/// let bytes = w.finish();
/// let layout = Layout::new(raw, 200, 0).unwrap();
/// let view = TableView::new(&bytes, &layout);
/// assert_eq!(view.find(1, 2), Some(home));
/// assert_eq!(view.slot(home), Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() });
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TableView<'a> {
    bytes: &'a [u8],
    layout: &'a Layout,
    probe: Probe,
    /// A grouped table's probe (`probe` then serves nothing).
    grouped: Option<GroupedProbe>,
}

impl<'a> TableView<'a> {
    /// Wraps a table's bytes.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// let layout = Layout::new(raw, 200, 0).unwrap();
    /// let view = TableView::new(&bytes, &layout);
    /// assert_eq!(view.find(1, 2), Some(home));
    /// // Any bytes are safe: a view of none finds nothing.
    /// assert_eq!(TableView::new(&[], &layout).find(1, 2), None);
    /// ```
    pub fn new(bytes: &'a [u8], layout: &'a Layout) -> TableView<'a> {
        let probe = Probe::new(layout, 0..bytes.len());
        let grouped = layout
            .grouped()
            .then(|| GroupedProbe::new(layout, 0..bytes.len()));
        TableView {
            bytes,
            layout,
            probe,
            grouped,
        }
    }

    /// The hashed key of the arc in `slot`, if any.
    fn stored_key(&self, slot: u64) -> Option<u64> {
        let home = self.probe.home_of_slot(self.bytes, slot)?;
        let pos = slot.wrapping_mul(u64::from(self.layout.raw.entry_bits));
        Some(
            self.layout
                .codec
                .join(home, self.layout.rem_of(read_word(self.bytes, pos))),
        )
    }

    /// Prefetches the cache line of `slot`.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// let h = view.hash(1, 2);
    /// view.prefetch(view.home(h)); // only a hint: the lookup gives the same answer
    /// assert_eq!(view.find_from(h, view.home(h)), Some(home));
    /// ```
    #[inline(always)]
    pub fn prefetch(&self, slot: u64) {
        self.probe.prefetch(self.bytes, slot);
    }

    /// The stored value of `(ctx, word)` in this table.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// let h = view.hash(1, 2);
    /// assert_eq!(h, codec.hash(1, 2));
    /// assert_eq!(view.find_hashed(h), Some(home));
    /// ```
    #[inline(always)]
    pub fn hash(&self, ctx: u32, word: u32) -> u64 {
        self.probe.hash(ctx, word)
    }

    /// The home slot of stored value `h`.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// let h = view.hash(1, 2);
    /// assert!(view.home(h) < 4); // one of the table's 4 homes
    /// assert_eq!(view.home(h), home); // the only arc sits at its home
    /// ```
    #[inline(always)]
    pub fn home(&self, h: u64) -> u64 {
        self.probe.home(h)
    }

    /// Finds the slot of arc `(ctx, word)`.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// assert_eq!(view.find(1, 2), Some(home));
    /// assert_eq!(view.find(2, 1), None);
    /// ```
    #[inline]
    pub fn find(&self, ctx: u32, word: u32) -> Option<u64> {
        if let Some(g) = &self.grouped {
            let (h, home) = g.locate(self.bytes, ctx, word);
            return g.find_word(self.bytes, h, home).map(|hit| hit.slot);
        }
        self.find_hashed(self.hash(ctx, word))
    }

    /// Finds the slot holding stored value `h` (from [`TableView::hash`]).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// assert_eq!(view.find_hashed(view.hash(1, 2)), Some(home));
    /// assert_eq!(view.find_hashed(view.hash(1, 3)), None);
    /// ```
    #[inline]
    pub fn find_hashed(&self, h: u64) -> Option<u64> {
        self.find_from(h, self.home(h))
    }

    /// Finds the slot holding stored value `h`, whose home `home` the caller
    /// already computed (to prefetch it).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// let h = view.hash(1, 2);
    /// let at = view.home(h);
    /// view.prefetch(at); // ... other work while the line loads ...
    /// assert_eq!(view.find_from(h, at), Some(home));
    /// ```
    #[inline]
    pub fn find_from(&self, h: u64, home: u64) -> Option<u64> {
        self.probe.find(self.bytes, h, home)
    }

    /// Everything but the key of `slot`, in two reads.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// // The arc in `home` is (1, 2) with prob 7, backoff 9 and the node flag.
    /// let p = view.payload(home);
    /// assert_eq!(p, Payload { prob: 7, node: true, left: false, backoff: 9 });
    /// ```
    #[inline(always)]
    pub fn payload(&self, slot: u64) -> Payload {
        if let Some(g) = &self.grouped {
            let word = self.bits_at(slot);
            return g.payload_of(self.bytes, &Hit { slot, word });
        }
        self.probe.payload(self.bytes, slot)
    }

    /// Decodes every field of `slot` (an empty slot decodes as the key of
    /// hash `u64::MAX`).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// let expected = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// assert_eq!(view.slot(home), expected);
    /// let empty = (0..4).find(|&s| s != home).unwrap();
    /// assert_eq!((view.slot(empty).prob, view.slot(empty).node), (0, false));
    /// ```
    pub fn slot(&self, slot: u64) -> Slot {
        if let Some(g) = &self.grouped {
            let ctx = g.context_of(self.bytes, slot).unwrap_or(0);
            return self.grouped_arc(slot, ctx);
        }
        let h = self.stored_key(slot).unwrap_or(u64::MAX);
        self.decode(slot, h)
    }

    /// The bits read where `slot` starts.
    fn bits_at(&self, slot: u64) -> u64 {
        read_word(
            self.bytes,
            slot.wrapping_mul(u64::from(self.layout.raw.entry_bits)),
        )
    }

    /// The arc in `slot` of a grouped table, whose context is `ctx`.
    fn grouped_arc(&self, slot: u64, ctx: u64) -> Slot {
        let word = self.bits_at(slot) & mask(u32::from(self.layout.raw.word_bits));
        Slot {
            ctx: ctx as u32,
            word: word as u32,
            prob: self.payload(slot).prob,
            ..Slot::default()
        }
    }

    /// The arc in `slot`, whose hashed key is `h`.
    fn decode(&self, slot: u64, h: u64) -> Slot {
        let (ctx, word) = self.layout.codec.unhash(h);
        let p = self.payload(slot);
        Slot {
            ctx,
            word,
            prob: p.prob,
            node: p.node,
            left: p.left,
            backoff: p.backoff,
        }
    }

    /// Every arc with its slot, in slot order, home by home (a grouped table:
    /// context by context; in a corrupted table, each slot at most once).
    ///
    /// ```
    /// # use dashlm::format::table::{Slot, TableWriter, Widths};
    /// let widths = Widths { ctx: 8, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// let codec = widths.codec(4);
    /// let mut w = TableWriter::new(widths.layout(4, 4, 0), 200).unwrap();
    /// let home = codec.home(codec.hash(1, 2));
    /// w.put(home, &Slot { ctx: 1, word: 2, prob: 5, ..Slot::default() }).unwrap();
    /// w.seal();
    /// let arcs: Vec<_> = w.view().unwrap().arcs().map(|(s, a)| (s, a.ctx, a.word, a.prob)).collect();
    /// assert_eq!(arcs, [(home, 1, 2, 5)]);
    /// ```
    pub fn arcs(self) -> impl Iterator<Item = (u64, Slot)> + 'a {
        let num_slots = self.num_slots();
        let entry_bits = u64::from(self.layout.raw.entry_bits);
        let runs = self.layout.runs();
        let grouped = self.layout.grouped();
        // A grouped table is read group by group (context by context).
        let groups = self.grouped.unwrap_or_default();
        let mut next = 0;
        let by_group = (0..if grouped {
            self.layout.raw.num_homes
        } else {
            0
        })
            .flat_map(move |ctx| {
                let r = groups.group(self.bytes, ctx);
                let r = r.start.max(next)..r.end.max(next);
                next = r.end;
                r.map(move |slot| (slot, self.grouped_arc(slot, ctx)))
            });
        // A scanned table is read slot by slot; a run-offset one run by run
        // (a slot's home is where its run starts).
        let by_slot = (0..if runs || grouped { 0 } else { num_slots })
            .filter_map(move |slot| Some((slot, self.decode(slot, self.stored_key(slot)?))));
        let mut floor = 0;
        let homes = if runs { self.layout.raw.num_homes } else { 0 };
        let by_run = (0..homes).flat_map(move |home| {
            let (start, end, _) = self.probe.run(self.bytes, home).unwrap_or_default();
            let start = start.max(floor);
            let end = end.min(num_slots).max(start);
            floor = end;
            (start..end).map(move |slot| {
                let rem = self
                    .layout
                    .rem_of(read_word(self.bytes, slot.wrapping_mul(entry_bits)));
                (slot, self.decode(slot, self.layout.codec.join(home, rem)))
            })
        });
        by_slot.chain(by_run).chain(by_group)
    }

    /// Whether `slot` is empty.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// assert!(!view.is_empty(home));
    /// // The table's other 3 slots are empty.
    /// assert_eq!((0..view.num_slots()).filter(|&s| view.is_empty(s)).count(), 3);
    /// ```
    pub fn is_empty(&self, slot: u64) -> bool {
        if self.grouped.is_some() {
            return slot >= self.num_slots();
        }
        !self.probe.is_occupied(self.bytes, slot)
    }

    /// Number of slots.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Payload, Slot, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, node: true, left: false, backoff: 9 };
    /// # let mut w = TableWriter::new(raw, 200).unwrap();
    /// # w.put(home, &arc).unwrap();
    /// # let bytes = w.finish();
    /// # let layout = Layout::new(raw, 200, 0).unwrap();
    /// # let view = TableView::new(&bytes, &layout);
    /// assert_eq!(view.num_slots(), 4);
    /// assert_eq!(view.num_slots(), layout.raw().num_slots);
    /// ```
    pub fn num_slots(&self) -> u64 {
        self.layout.raw.num_slots
    }
}
