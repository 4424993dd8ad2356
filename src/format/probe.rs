//! The query hot path of one table: its layout flattened into a `Copy` value,
//! and the scan that finds an arc (see [`crate::format::table`] for the layout).

use super::bits::{mask, read_word};
use super::sys::Span;
use super::table::{KeyCodec, Layout, Payload, BASE_BLOCK};

/// One table's layout flattened for the query hot path: where the table lies in
/// the file and every constant a lookup needs, in one `Copy` value, so a probe
/// reads no other metadata. Every read is a bounds-checked read of the file
/// (bits past its end read as zero) or, in the query's
/// [`Probe::find_payload`], a read clamped to the table, so any file bytes are
/// memory-safe: a lookup in a corrupted table may read into later sections
/// and give wrong numbers, but it reads at most about `2^disp_bits` slots (a
/// scan stops at the latest when the displacement field overflows; a run
/// spans at most `2^disp_bits + 2^base_bits` slots).
///
/// ```
/// use dashlm::format::table::{Probe, Slot, TableWriter, Widths};
/// let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
/// let raw = widths.layout(4, 6, 0);
/// let mut w = TableWriter::new(raw, 200).unwrap();
/// let codec = widths.codec(4);
/// let arc = Slot { ctx: 3, word: 7, prob: 1.5f32.to_bits(), node: true, left: false, backoff: 0 };
/// // A one-arc table: the arc sits at its home.
/// let home = codec.home(codec.hash(3, 7));
/// w.put(home, &arc).unwrap();
/// w.seal();
/// let file = w.finish();
/// let layout = dashlm::format::table::Layout::new(raw, 200, 0).unwrap();
/// let probe = Probe::new(&layout, 0..file.len());
/// let h = probe.hash(3, 7);
/// let slot = probe.find(&file, h, probe.home(h)).unwrap();
/// assert_eq!(slot, home);
/// assert_eq!(f32::from_bits(probe.payload(&file, slot).prob), 1.5);
/// assert_eq!(probe.find(&file, probe.hash(3, 8), probe.home(probe.hash(3, 8))), None);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe {
    /// The table's first bit in the file.
    start_bit: u64,
    entry_bits: u64,
    num_slots: u64,
    codec: KeyCodec,
    tag_bits: u32,
    /// Whether the table stores run offsets (else displacements, scanned).
    runs: bool,
    /// Scanned tables: the key field's mask, one displacement step in it
    /// (`1 << rem_bits`) and the remainder's mask.
    tag_mask: u64,
    step: u64,
    rem_mask: u64,
    /// Run-offset tables: the remainder field's mask (above the offset
    /// field), the offset field's mask, and its width.
    run_rem_mask: u64,
    offset_mask: u64,
    disp_bits: u32,
    /// The mask of the field that is zero in empty slots and only there.
    occupied_mask: u64,
    prob_bits: u32,
    prob_mask: u64,
    /// The probability lies inside the 57 bits [`Probe::find`] read at the slot.
    prob_in_key_word: bool,
    /// The node, left and backoff fields lie inside the word the probability
    /// was taken from.
    rest_in_prob_word: bool,
    prob_at: u64,
    rest_at: u64,
    /// Zero in the highest order's table, whose slots have no flags or backoff.
    rest_mask: u64,
    /// The last file bit where a word inside the table (with its padding)
    /// starts: the end of [`Probe::find_payload`]'s [`Span`].
    last_word_bit: u64,
    /// How many bytes past a home's first [`Probe::prefetch`] fetches too,
    /// for the line where a lookup from that home usually ends.
    reach: usize,
    /// Run-offset tables with block bases: the file bit where the bases
    /// start, their width and mask (in other tables the table's first bit,
    /// 0 and 0, so a lookup adds a base of 0).
    bases_bit: u64,
    base_bits: u64,
    base_mask: u64,
}

impl Probe {
    /// The probe of a table with `layout` stored at `bytes` of the file.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() }).unwrap();
    /// // A one-arc table stored after 8 other bytes of the file.
    /// let mut file = vec![0xAA; 8];
    /// file.extend(w.finish());
    /// let layout = Layout::new(raw, 100, 0).unwrap();
    /// let probe = Probe::new(&layout, 8..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// assert_eq!(probe.find(&file, h, at), Some(home));
    /// assert_eq!(probe.payload(&file, home).prob, 7);
    /// ```
    pub fn new(layout: &Layout, bytes: std::ops::Range<usize>) -> Probe {
        let c = layout.codec;
        let prob_bits = u32::from(layout.raw.prob_bits);
        let rest_bits = if layout.raw.has_nodes == 1 {
            u32::from(layout.raw.backoff_bits) + 2
        } else {
            0
        };
        let prob_in_key_word = layout.tag_bits + prob_bits <= 57;
        let before_rest = if prob_in_key_word {
            layout.tag_bits + prob_bits
        } else {
            prob_bits
        };
        Probe {
            start_bit: (bytes.start as u64).wrapping_mul(8),
            entry_bits: u64::from(layout.raw.entry_bits),
            num_slots: layout.raw.num_slots,
            codec: c,
            tag_bits: layout.tag_bits,
            runs: layout.runs(),
            tag_mask: mask(layout.tag_bits),
            step: 1 << c.rem_bits,
            rem_mask: mask(c.rem_bits),
            run_rem_mask: mask(c.rem_bits) << layout.raw.disp_bits,
            offset_mask: mask(u32::from(layout.raw.disp_bits)),
            disp_bits: u32::from(layout.raw.disp_bits),
            occupied_mask: if layout.runs() {
                mask(u32::from(layout.raw.disp_bits))
            } else {
                mask(layout.tag_bits) & !mask(c.rem_bits)
            },
            prob_bits,
            prob_mask: mask(prob_bits),
            prob_in_key_word,
            rest_in_prob_word: before_rest + rest_bits <= 57,
            prob_at: u64::from(layout.prob_at),
            rest_at: u64::from(layout.node_at),
            rest_mask: mask(rest_bits),
            last_word_bit: (bytes.end as u64).wrapping_mul(8).saturating_sub(64),
            reach: Self::reach(layout.runs(), layout.raw.entry_bits),
            bases_bit: (bytes.start as u64)
                .wrapping_add(layout.bases_at() * u64::from(layout.raw.base_bits > 0))
                .wrapping_mul(8),
            base_bits: u64::from(layout.raw.base_bits),
            base_mask: mask(u32::from(layout.raw.base_bits)),
        }
    }

    /// The `reach` of a table. In a run-offset table, which is full (q8: load
    /// 0.96), a home's run starts about ten slots past it, often in the next
    /// line, which the lookup would read only after the home's offsets: the
    /// next line (the shared 4-gram's q8 queries: 1.05x as fast). A scan reads
    /// 2.2 slots on average at load 0.7, each a 64-bit word: 4 slots on (f32
    /// and q16: 1.02-1.03x).
    fn reach(runs: bool, entry_bits: u32) -> usize {
        if runs {
            64
        } else {
            (u64::from(entry_bits) * 4 / 8) as usize
        }
    }

    /// The stored value of `(ctx, word)` ([`KeyCodec::hash`]).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let h = probe.hash(1, 2);
    /// assert_eq!(h, codec.hash(1, 2));
    /// // A bijection: the hash gives the arc back.
    /// assert_eq!(codec.unhash(h), (1, 2));
    /// ```
    #[inline(always)]
    pub fn hash(&self, ctx: u32, word: u32) -> u64 {
        self.codec.hash(ctx, word)
    }

    /// `(hash, home)` of `(ctx, word)` ([`KeyCodec::locate`]).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// assert_eq!((h, at), (probe.hash(1, 2), probe.home(h)));
    /// assert_eq!(probe.find(&file, h, at), Some(home));
    /// ```
    #[inline(always)]
    pub fn locate(&self, ctx: u32, word: u32) -> (u64, u64) {
        self.codec.locate(ctx, word)
    }

    /// The home slot of stored value `h` ([`KeyCodec::home`]).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let h = probe.hash(1, 2);
    /// assert!(probe.home(h) < 4); // one of the table's 4 homes
    /// assert_eq!(probe.home(h), home); // the only arc sits at its home
    /// ```
    #[inline(always)]
    pub fn home(&self, h: u64) -> u64 {
        self.codec.home(h)
    }

    /// The file bit where `slot` starts.
    #[inline(always)]
    fn slot_bit(&self, slot: u64) -> u64 {
        self.start_bit
            .wrapping_add(slot.wrapping_mul(self.entry_bits))
    }

    /// Prefetches the cache line of `slot` and the one where a lookup from
    /// it usually ends ([`Probe::new`] sets how far on that is), often the
    /// same line.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// probe.prefetch(&file, at); // only a hint: the lookup gives the same answer
    /// assert_eq!(probe.find(&file, h, at), Some(home));
    /// ```
    #[inline(always)]
    pub fn prefetch(&self, file: &[u8], slot: u64) {
        let byte = (self.slot_bit(slot) >> 3) as usize;
        super::prefetch(file, byte);
        super::prefetch(file, byte.wrapping_add(self.reach));
    }

    /// The slot holding stored value `h` whose home is `home`, if any.
    ///
    /// In a scanned table, slots hold arcs in increasing order of `(home,
    /// remainder)` (the order of their hashes), each at or after its home.
    /// `delta` slots past the home, an arc of an earlier home has a larger
    /// displacement, one of a later home a smaller one, and one of this home
    /// the same; within a home the stored complemented remainders decrease.
    /// So the scan goes on while the key field is above `(delta + 1,
    /// !remainder)` and stops at the first that is not (an empty slot, 0,
    /// always stops it): one integer comparison per slot. In a run-offset
    /// table, the offset fields of slots `home` and `home + 1` give the run of
    /// the arcs of `home`, whose remainders are compared with `h`'s. Either
    /// way the zero padding after the last slot reads as an empty slot, so no
    /// slot count is checked.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// assert_eq!(probe.find(&file, h, at), Some(home));
    /// let (h, at) = probe.locate(1, 3);
    /// assert_eq!(probe.find(&file, h, at), None);
    /// ```
    #[inline(always)]
    pub fn find(&self, file: &[u8], h: u64, home: u64) -> Option<u64> {
        self.find_word(file, h, home)
            .map(|hit| hit.slot)
            .filter(|&slot| slot < self.num_slots)
    }

    /// The run of arcs whose home is `home`: its first slot, one past its
    /// last, and the file bit where it starts (`None`: no arc has this home).
    #[inline(always)]
    pub(super) fn run(&self, file: &[u8], home: u64) -> Option<(u64, u64, u64)> {
        self.run_with(|pos| read_word(file, pos), home)
    }

    /// [`Probe::run`] reading the words at file bits with `read`.
    #[inline(always)]
    fn run_with(&self, read: impl Fn(u64) -> u64, home: u64) -> Option<(u64, u64, u64)> {
        let pos = self.slot_bit(home);
        let first = read(pos) & self.offset_mask;
        if first == 0 {
            return None;
        }
        let next = read(pos.wrapping_add(self.entry_bits)) & self.offset_mask;
        // The bases of the home's block and the next (one read), the next's
        // used when `home + 1` starts a block.
        let block = home / BASE_BLOCK;
        let bases = read(
            self.bases_bit
                .wrapping_add(block.wrapping_mul(self.base_bits)),
        );
        let first = first.wrapping_add(bases & self.base_mask);
        let shift = u64::from(home.wrapping_add(1).is_multiple_of(BASE_BLOCK)) * self.base_bits;
        let next_base = (bases >> shift) & self.base_mask;
        let next = next.wrapping_add(next_base & 0u64.wrapping_sub(u64::from(next != 0)));
        let skip = first - 1;
        Some((
            home.wrapping_add(skip),
            home.wrapping_add(next.max(1)),
            pos.wrapping_add(skip.wrapping_mul(self.entry_bits)),
        ))
    }

    /// [`Probe::find`], also returning the bits read at the arc's slot, for
    /// [`Probe::payload_of`]. Unlike `find` it does not check the
    /// slot against the slot count: in a valid table no run passes the last
    /// slot, and in a corrupted one a slot past the end only gives wrong
    /// numbers (every read is bounds-checked).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// let hit = probe.find_word(&file, h, at).unwrap();
    /// assert_eq!(hit.slot, home);
    /// assert_eq!(f32::from_bits(probe.payload_of(&file, &hit).prob), 0.5);
    /// let (h, at) = probe.locate(2, 1);
    /// assert!(probe.find_word(&file, h, at).is_none());
    /// ```
    #[inline(always)]
    pub fn find_word(&self, file: &[u8], h: u64, home: u64) -> Option<Hit> {
        if self.runs {
            self.find_in_run(file, h, home)
        } else {
            self.scan(file, h, home)
        }
    }

    /// [`Probe::find_word`] in a scanned table.
    #[inline(always)]
    fn scan(&self, file: &[u8], h: u64, home: u64) -> Option<Hit> {
        self.scan_with(|pos| read_word(file, pos), h, home)
            .map(|(hit, _)| hit)
    }

    /// [`Probe::scan`] reading the words at file bits with `read`; also
    /// returns the file bit where the arc's slot starts.
    #[inline(always)]
    fn scan_with(&self, read: impl Fn(u64) -> u64, h: u64, home: u64) -> Option<(Hit, u64)> {
        // Copies, so the loop keeps them in registers.
        let (tag_mask, step, entry_bits) = (self.tag_mask, self.step, self.entry_bits);
        let mut target = step | (!h & self.rem_mask);
        let mut pos = self.slot_bit(home);
        loop {
            let word = read(pos);
            let tag = word & tag_mask;
            if tag <= target {
                // The displacement field of `target` counts the slots read.
                let slot = home
                    .wrapping_add(target >> self.codec.rem_bits)
                    .wrapping_sub(1);
                return (tag == target).then_some((Hit { slot, word }, pos));
            }
            pos = pos.wrapping_add(entry_bits);
            target = target.wrapping_add(step);
        }
    }

    /// The slot and payload of the arc with stored value `h` and home `home`
    /// ([`Probe::find_word`] then [`Probe::payload_of`]), the table's words
    /// read through a [`Span`] of the table, without a bounds check each. In a
    /// valid table no read is clamped: a scan stops at the latest at the empty
    /// slot after the last, inside the table's padding. `None` also if `file`
    /// is shorter than the table.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// let (slot, payload) = probe.find_payload(&file, h, at).unwrap();
    /// assert_eq!((slot, payload), (home, probe.payload(&file, home)));
    /// let (h, at) = probe.locate(1, 3);
    /// assert!(probe.find_payload(&file, h, at).is_none());
    /// assert!(probe.find_payload(&file[..4], h, at).is_none()); // not the probe's file
    /// ```
    #[inline(always)]
    pub fn find_payload(&self, file: &[u8], h: u64, home: u64) -> Option<(u64, Payload)> {
        if !self.runs {
            return self.find_payload_scanned(file, h, home);
        }
        let span = Span::new(file, self.last_word_bit)?;
        let read = |pos| span.word(pos);
        let (hit, pos) = self.find_in_run_with(read, h, home)?;
        Some((hit.slot, self.payload_at(read, hit.word, pos)))
    }

    /// [`Probe::find_payload`] for a table known to be scanned ([`Layout::runs`]
    /// false): without the check, and without the run-offset code beside the
    /// scan, a query took about 20 instructions fewer (fewer registers spilled).
    /// In a run-offset table it finds wrong arcs (never reading out of bounds).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let layout = Layout::new(raw, 100, 0).unwrap();
    /// # let probe = Probe::new(&layout, 0..file.len());
    /// assert!(!layout.runs());
    /// let (h, at) = probe.locate(1, 2);
    /// assert_eq!(probe.find_payload_scanned(&file, h, at), probe.find_payload(&file, h, at));
    /// ```
    #[inline(always)]
    pub fn find_payload_scanned(&self, file: &[u8], h: u64, home: u64) -> Option<(u64, Payload)> {
        let span = Span::new(file, self.last_word_bit)?;
        let read = |pos| span.word(pos);
        let (hit, pos) = self.scan_with(read, h, home)?;
        Some((hit.slot, self.payload_at(read, hit.word, pos)))
    }

    /// [`Probe::find_word`] in a run-offset table.
    #[inline(always)]
    fn find_in_run(&self, file: &[u8], h: u64, home: u64) -> Option<Hit> {
        self.find_in_run_with(|pos| read_word(file, pos), h, home)
            .map(|(hit, _)| hit)
    }

    /// [`Probe::find_in_run`] reading the words at file bits with `read`;
    /// also returns the file bit where the arc's slot starts.
    #[inline(always)]
    fn find_in_run_with(&self, read: impl Fn(u64) -> u64, h: u64, home: u64) -> Option<(Hit, u64)> {
        let (mut slot, end, mut pos) = self.run_with(&read, home)?;
        // Copies, so the loop keeps them in registers.
        let (rem_mask, entry_bits) = (self.run_rem_mask, self.entry_bits);
        let rem = h.wrapping_shl(self.disp_bits) & rem_mask;
        while slot < end {
            let word = read(pos);
            if (word ^ rem) & rem_mask == 0 {
                return Some((Hit { slot, word }, pos));
            }
            slot += 1;
            pos = pos.wrapping_add(entry_bits);
        }
        None
    }

    /// Whether `slot` holds an arc.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// assert!(probe.is_occupied(&file, home));
    /// // The table's 6 slots hold one arc.
    /// assert_eq!((0..6).filter(|&s| probe.is_occupied(&file, s)).count(), 1);
    /// ```
    pub fn is_occupied(&self, file: &[u8], slot: u64) -> bool {
        read_word(file, self.slot_bit(slot)) & self.occupied_mask != 0
    }

    /// The home of the arc in `slot` (`None` if the slot is empty, or in a
    /// corrupted run-offset table, in no run): in a scanned table its slot
    /// less its displacement; in a run-offset table the home whose run holds
    /// it, found by bisecting the `2^disp_bits` homes before `slot`
    /// (`2^disp_bits + 2^base_bits` with block bases).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// # let codec = widths.codec(1);
    /// # let mut arcs = [(1, 2), (3, 4)].map(|(ctx, word)| Slot { ctx, word, ..Slot::default() });
    /// # arcs.sort_by_key(|a| codec.hash(a.ctx, a.word));
    /// // One home, 3 slots: both arcs have home 0, the second sits in slot 1.
    /// let raw = widths.layout(1, 3, 1);
    /// let mut w = TableWriter::new(raw, 100).unwrap();
    /// w.put(0, &arcs[0]).unwrap();
    /// w.put(1, &arcs[1]).unwrap();
    /// let file = w.finish();
    /// let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// assert_eq!(probe.home_of_slot(&file, 0), Some(0));
    /// assert_eq!(probe.home_of_slot(&file, 1), Some(0));
    /// assert_eq!(probe.home_of_slot(&file, 2), None); // empty
    /// ```
    pub fn home_of_slot(&self, file: &[u8], slot: u64) -> Option<u64> {
        let word = read_word(file, self.slot_bit(slot));
        if word & self.occupied_mask == 0 {
            return None;
        }
        if !self.runs {
            let d = (word & self.tag_mask) >> self.codec.rem_bits;
            return Some(slot.wrapping_sub(d - 1));
        }
        // Where home `h`'s run starts, `h` itself if its slot is empty: never
        // decreasing in `h` in a valid table (runs are in home order, and no
        // arc passes an empty slot), so the slot's home is the last home whose
        // run starts at or before it, found by bisection (a corrupted table
        // gives some home, or none, after at most ~34 reads).
        let start = |h: u64| self.run(file, h).map_or(h, |(start, _, _)| start);
        let mut hi = slot.min(self.codec.num_homes() - 1);
        let mut lo = hi.saturating_sub(self.offset_mask + self.base_mask);
        if start(lo) > slot {
            return None;
        }
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if start(mid) <= slot {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let (start, end, _) = self.run(file, lo)?;
        (start <= slot && slot < end).then_some(lo)
    }

    /// Everything but the key of `slot` ([`TableView::payload`](super::table::TableView::payload)).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let p = probe.payload(&file, home);
    /// assert_eq!(f32::from_bits(p.prob), 0.5);
    /// assert!(p.node && !p.left);
    /// assert_eq!(f32::from_bits(p.backoff), -0.25);
    /// ```
    #[inline(always)]
    pub fn payload(&self, file: &[u8], slot: u64) -> Payload {
        let word = read_word(file, self.slot_bit(slot));
        self.payload_of(file, &Hit { slot, word })
    }

    /// Everything but the key of the arc [`Probe::find_word`] found: fields
    /// inside the bits it read cost no further read.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
    /// # let raw = widths.layout(4, 6, 0);
    /// # let mut w = TableWriter::new(raw, 100).unwrap();
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let (prob, backoff) = (0.5f32.to_bits(), (-0.25f32).to_bits());
    /// # w.put(home, &Slot { ctx: 1, word: 2, prob, node: true, left: false, backoff }).unwrap();
    /// # let file = w.finish();
    /// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
    /// let (h, at) = probe.locate(1, 2);
    /// let hit = probe.find_word(&file, h, at).unwrap();
    /// assert_eq!(probe.payload_of(&file, &hit), probe.payload(&file, hit.slot));
    /// assert_eq!(f32::from_bits(probe.payload_of(&file, &hit).backoff), -0.25);
    /// ```
    #[inline(always)]
    pub fn payload_of(&self, file: &[u8], hit: &Hit) -> Payload {
        let pos = self.slot_bit(hit.slot);
        self.payload_at(|pos| read_word(file, pos), hit.word, pos)
    }

    /// [`Probe::payload_of`] of the slot starting at file bit `pos`, whose
    /// first bits are `key_word`, reading other words with `read`.
    #[inline(always)]
    fn payload_at(&self, read: impl Fn(u64) -> u64, key_word: u64, pos: u64) -> Payload {
        let word = if self.prob_in_key_word {
            key_word >> self.tag_bits
        } else {
            read(pos.wrapping_add(self.prob_at))
        };
        // Without flags and backoff `rest_mask` is 0 and the fields fit in the
        // probability's word, so no read is made for them.
        let rest = if self.rest_in_prob_word {
            (word >> self.prob_bits) & self.rest_mask
        } else {
            read(pos.wrapping_add(self.rest_at)) & self.rest_mask
        };
        Payload {
            prob: (word & self.prob_mask) as u32,
            node: rest & 1 == 1,
            left: rest & 2 == 2,
            backoff: (rest >> 2) as u32,
        }
    }
}

/// An arc [`Probe::find_word`] found: its slot and the bits read where the
/// slot starts.
///
/// ```
/// # use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
/// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
/// # let raw = widths.layout(4, 6, 0);
/// # let mut w = TableWriter::new(raw, 100).unwrap();
/// # let codec = widths.codec(4);
/// let arc = Slot { ctx: 1, word: 2, prob: 0.5f32.to_bits(), ..Slot::default() };
/// # let home = codec.home(codec.hash(1, 2));
/// # w.put(home, &arc).unwrap();
/// # let file = w.finish();
/// # let probe = Probe::new(&Layout::new(raw, 100, 0).unwrap(), 0..file.len());
/// let h = probe.hash(1, 2);
/// let hit = probe.find_word(&file, h, probe.home(h)).unwrap();
/// assert_eq!(hit.slot, home);
/// assert_eq!(probe.payload_of(&file, &hit).prob, 0.5f32.to_bits());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    /// The arc's slot.
    pub slot: u64,
    /// The 64 bits read where the slot starts, shifted so the slot's first bit is bit 0.
    pub(super) word: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::table::{Slot, TableWriter, Widths};

    /// In a run-offset table, `home_of_slot` gives the home whose run holds
    /// the slot, and `None` for a slot in no run: an empty one, or one whose
    /// offset field a corruption set (past the end of every run, and
    /// claiming a run of the home after the last).
    #[test]
    fn home_of_slot_is_none_for_a_slot_in_no_run() {
        let widths = Widths {
            ctx: 8,
            word: 8,
            prob: 8,
            nodes: false,
            backoff: 0,
        };
        let codec = widths.codec(1);
        let mut arcs = [(1, 2), (3, 4)].map(|(ctx, word)| Slot {
            ctx,
            word,
            ..Slot::default()
        });
        arcs.sort_by_key(|a| codec.hash(a.ctx, a.word));
        // One home, 4 slots: both arcs have home 0, in slots 0 and 1.
        let raw = widths.layout(1, 4, 2).with_runs(true);
        let mut w = TableWriter::new(raw, 100).unwrap();
        w.put(0, &arcs[0]).unwrap();
        w.put(1, &arcs[1]).unwrap();
        let mut file = w.finish();
        let layout = Layout::new(raw, 100, 0).unwrap();
        let probe = Probe::new(&layout, 0..file.len());
        assert!(probe.runs);
        assert_eq!(probe.run(&file, 0).map(|(s, e, _)| (s, e)), Some((0, 2)));
        let homes = |file: &[u8]| {
            (0..4)
                .map(|s| probe.home_of_slot(file, s))
                .collect::<Vec<_>>()
        };
        assert_eq!(homes(&file), [Some(0), Some(0), None, None]);
        // Slot 2's offset field set to its largest value: occupied, and "the
        // run of home 1" would span slots 2 and 3, but the table has one home.
        let bit = 2 * u64::from(raw.entry_bits);
        for b in bit..bit + u64::from(raw.disp_bits) {
            file[(b / 8) as usize] |= 1 << (b % 8);
        }
        assert!(probe.is_occupied(&file, 2));
        assert_eq!(homes(&file), [Some(0), Some(0), None, None]);
    }
}
