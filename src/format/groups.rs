//! Groups: `elements` consecutive items cut into `groups` consecutive groups
//! (any of them empty), stored in about one bit per group and per element
//! plus a sampled directory, and located in time independent of their number.
//!
//! The grouped top-order table keeps its arcs this way, one group per context
//! (see [`crate::format::table`]), and the vocabulary index its word ids, one
//! group per hash bucket (see [`crate::format::vocab`]).
//!
//! # Layout
//!
//! With `E` elements in `G` groups and `w = max(1, bits_for(E))`, bit-packed as
//! [`crate::format::bits`] packs fields:
//!
//! | bits | field |
//! |---|---|
//! | `D * w`, `D = G / 64 + 1` | the directory: entry `k` is the number of elements in groups `0..64k` |
//! | `E + G` | the group bits: for each group in order, a 0 per element, then a 1 |
//!
//! Group `g` starts at bit `g + start(g)` of the group bits (every group before
//! it left its elements and its closing 1), so from the directory entry of
//! group `64 * (g / 64)` a lookup counts `g % 64` ones forward, then the zeros
//! up to the next 1: about `64 * (1 + E / G)` bits, two or three 8-byte reads.
//!
//! ```
//! use dashlm::format::groups::{GroupsView, GroupsWriter};
//! // Elements 0..5 in 4 groups of sizes 2, 0, 3 and 0.
//! let mut w = GroupsWriter::new(4, 5);
//! for group in [0, 0, 2, 2, 2] {
//!     w.push(group).unwrap();
//! }
//! let bytes = w.finish().unwrap();
//! let view = GroupsView::new(4, 5, 0);
//! assert_eq!(view.range(&bytes, 0), 0..2);
//! assert_eq!(view.range(&bytes, 1), 2..2);
//! assert_eq!(view.range(&bytes, 2), 2..5);
//! assert_eq!(view.range(&bytes, 3), 5..5);
//! assert_eq!(view.range(&bytes, 4), 0..0); // no such group
//! ```

use std::ops::Range;

use super::bits::{bits_for, read_bits, read_word, BitWriter};

/// Groups between directory entries.
///
/// ```
/// assert_eq!(dashlm::format::groups::SAMPLE, 64);
/// ```
pub const SAMPLE: u64 = 64;

/// The sizes of a groups block: where its parts start and how long it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shape {
    groups: u64,
    elements: u64,
    entry_bits: u32,
}

impl Shape {
    fn new(groups: u64, elements: u64) -> Shape {
        Shape {
            groups,
            elements,
            entry_bits: bits_for(elements).max(1),
        }
    }

    /// The first bit of the group bits.
    fn group_bits_at(&self) -> u64 {
        (self.groups / SAMPLE + 1).saturating_mul(u64::from(self.entry_bits))
    }

    fn bits(&self) -> u64 {
        self.group_bits_at()
            .saturating_add(self.groups)
            .saturating_add(self.elements)
    }
}

/// The bytes of a groups block of `elements` elements in `groups` groups.
///
/// ```
/// use dashlm::format::groups::block_bytes;
/// // 1 directory entry of 3 bits, then 4 + 5 group bits: 12 bits.
/// assert_eq!(block_bytes(4, 5), 2);
/// // The shared 4-gram's q8 file at load 0.95 with `--top-order grouped`:
/// // its 1,795,884 4-grams grouped by the 1,924,898 slots of its trigram
/// // table, 2.26 bits a group (`dashlm inspect`).
/// assert_eq!(block_bytes(1_924_898, 1_795_884), 544_050);
/// ```
pub fn block_bytes(groups: u64, elements: u64) -> u64 {
    Shape::new(groups, elements).bits().div_ceil(8)
}

/// Why [`GroupsWriter`] refused an element or a block.
///
/// ```
/// use dashlm::format::groups::{GroupsError, GroupsWriter};
/// let mut w = GroupsWriter::new(2, 1);
/// assert_eq!(w.push(2), Err(GroupsError::GroupOutOfRange { group: 2, groups: 2 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupsError {
    /// An element of a group past the last.
    #[error("group {group} of {groups}")]
    GroupOutOfRange {
        /// The group given.
        group: u64,
        /// The number of groups.
        groups: u64,
    },
    /// An element of a group before the previous element's.
    #[error("group {group} after group {previous}: elements must come in group order")]
    OutOfOrder {
        /// The group given.
        group: u64,
        /// The previous element's group.
        previous: u64,
    },
    /// More or fewer elements than declared.
    #[error("{pushed} elements where {declared} were declared")]
    Count {
        /// Elements pushed.
        pushed: u64,
        /// Elements declared to [`GroupsWriter::new`].
        declared: u64,
    },
}

/// Writes a groups block from its elements' groups, in order.
///
/// ```
/// use dashlm::format::groups::{block_bytes, GroupsWriter};
/// let mut w = GroupsWriter::new(3, 2);
/// w.push(1).unwrap();
/// w.push(1).unwrap();
/// let bytes = w.finish().unwrap();
/// assert_eq!(bytes.len() as u64, block_bytes(3, 2));
/// // Bits 0-1: the directory entry (0 elements before group 0); bit 2:
/// // group 0 closes; bits 3-4: group 1's elements, bit 5 its close; bit 6:
/// // group 2 closes.
/// assert_eq!(bytes, [0b0110_0100]);
/// ```
#[derive(Debug)]
pub struct GroupsWriter {
    shape: Shape,
    bits: BitWriter,
    /// Bit where the next group bit goes.
    at: u64,
    /// The group of the next element (every group before it is closed).
    group: u64,
    pushed: u64,
}

impl GroupsWriter {
    /// A writer of `elements` elements in `groups` groups.
    ///
    /// ```
    /// let w = dashlm::format::groups::GroupsWriter::new(0, 0);
    /// assert_eq!(w.finish().unwrap().len(), 1); // a 1-bit directory entry
    /// ```
    pub fn new(groups: u64, elements: u64) -> GroupsWriter {
        let shape = Shape::new(groups, elements);
        let mut bits = BitWriter::zeroed(shape.bits());
        // Directory entry 0: no elements before group 0 (already zero).
        bits.put(0, 0, shape.entry_bits);
        GroupsWriter {
            shape,
            bits,
            at: shape.group_bits_at(),
            group: 0,
            pushed: 0,
        }
    }

    /// Closes the groups before `group`: each leaves a 1, and every 64th
    /// group's directory entry is written as it opens.
    fn close_until(&mut self, group: u64) {
        while self.group < group {
            self.bits.put(self.at, 1, 1);
            self.at += 1;
            self.group += 1;
            if self.group.is_multiple_of(SAMPLE) {
                let entry = self.group / SAMPLE;
                let w = self.shape.entry_bits;
                self.bits.put(entry * u64::from(w), self.pushed, w);
            }
        }
    }

    /// Adds an element to `group` (groups in nondecreasing order).
    ///
    /// # Errors
    /// [`GroupsError`] for a group past the last, before the previous
    /// element's, or an element more than declared.
    ///
    /// ```
    /// use dashlm::format::groups::{GroupsError, GroupsWriter};
    /// let mut w = GroupsWriter::new(3, 2);
    /// w.push(2).unwrap();
    /// assert_eq!(w.push(1), Err(GroupsError::OutOfOrder { group: 1, previous: 2 }));
    /// ```
    pub fn push(&mut self, group: u64) -> Result<(), GroupsError> {
        if group >= self.shape.groups {
            return Err(GroupsError::GroupOutOfRange {
                group,
                groups: self.shape.groups,
            });
        }
        if group < self.group {
            return Err(GroupsError::OutOfOrder {
                group,
                previous: self.group,
            });
        }
        if self.pushed == self.shape.elements {
            return Err(GroupsError::Count {
                pushed: self.pushed + 1,
                declared: self.shape.elements,
            });
        }
        self.close_until(group);
        // The element's bit stays 0.
        self.at += 1;
        self.pushed += 1;
        Ok(())
    }

    /// The block's bytes ([`block_bytes`] of them).
    ///
    /// # Errors
    /// [`GroupsError::Count`] if fewer elements came than declared.
    ///
    /// ```
    /// use dashlm::format::groups::{GroupsError, GroupsWriter};
    /// let w = GroupsWriter::new(3, 2);
    /// assert_eq!(w.finish(), Err(GroupsError::Count { pushed: 0, declared: 2 }));
    /// ```
    pub fn finish(mut self) -> Result<Vec<u8>, GroupsError> {
        if self.pushed != self.shape.elements {
            return Err(GroupsError::Count {
                pushed: self.pushed,
                declared: self.shape.elements,
            });
        }
        self.close_until(self.shape.groups);
        Ok(self.bits.finish())
    }
}

/// Reads the ranges of a groups block at byte `at` of a file; any bytes are
/// memory-safe (reads are bounds-checked) and a lookup reads at most the
/// block: a corrupted block gives wrong ranges, never one past `elements`.
///
/// ```
/// use dashlm::format::groups::{GroupsView, GroupsWriter};
/// // 200 groups, every third holding one element.
/// let mut w = GroupsWriter::new(200, 67);
/// for g in (0..200).step_by(3) {
///     w.push(g).unwrap();
/// }
/// let block = w.finish().unwrap();
/// let mut file = vec![0xaa; 16]; // the block at byte 16 of a file
/// file.extend_from_slice(&block);
/// let view = GroupsView::new(200, 67, 16);
/// assert_eq!(view.range(&file, 198), 66..67);
/// assert_eq!(view.range(&file, 199), 67..67);
/// assert_eq!(view.range(&file, 130), 44..44);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupsView {
    shape: Shape,
    /// The file bit of the directory and of the group bits.
    dir_bit: u64,
    group_bit: u64,
    end_bit: u64,
}

/// Bits taken from each read while counting (a read holds at least 57).
const STEP: u64 = 56;

impl GroupsView {
    /// The view of a block of `elements` elements in `groups` groups starting
    /// at byte `at` of the file.
    ///
    /// ```
    /// let view = dashlm::format::groups::GroupsView::new(10, 3, 0);
    /// assert_eq!(view.range(&[], 3), 0..0); // any bytes are safe
    /// ```
    pub fn new(groups: u64, elements: u64, at: u64) -> GroupsView {
        let shape = Shape::new(groups, elements);
        let dir_bit = at.saturating_mul(8);
        GroupsView {
            shape,
            dir_bit,
            group_bit: dir_bit.saturating_add(shape.group_bits_at()),
            end_bit: dir_bit.saturating_add(shape.bits()),
        }
    }

    /// The file bit where the group bits of `group`'s directory sample start.
    #[inline(always)]
    fn sample_bit(&self, file: &[u8], group: u64) -> u64 {
        let k = group / SAMPLE;
        let w = self.shape.entry_bits;
        let before = read_bits(file, self.dir_bit + k * u64::from(w), w);
        self.group_bit.wrapping_add(k * SAMPLE).wrapping_add(before)
    }

    /// Prefetches the directory entry of `group` and the group bits where
    /// `group` starts if its groups were all of the mean size.
    ///
    /// ```
    /// use dashlm::format::groups::{GroupsView, GroupsWriter};
    /// let w = GroupsWriter::new(5, 0);
    /// let bytes = w.finish().unwrap();
    /// let view = GroupsView::new(5, 0, 0);
    /// view.prefetch(&bytes, 4); // only a hint
    /// assert_eq!(view.range(&bytes, 4), 0..0);
    /// ```
    #[inline(always)]
    pub fn prefetch(&self, file: &[u8], group: u64) {
        let w = u64::from(self.shape.entry_bits);
        super::prefetch(file, ((self.dir_bit + group / SAMPLE * w) >> 3) as usize);
        let mean = self.shape.elements / self.shape.groups.max(1);
        let guess = self.group_bit.wrapping_add(group.wrapping_mul(1 + mean));
        super::prefetch(file, (guess.min(self.end_bit) >> 3) as usize);
    }

    /// The elements of `group` (empty for a group past the last).
    ///
    /// ```
    /// use dashlm::format::groups::{GroupsView, GroupsWriter};
    /// let mut w = GroupsWriter::new(2, 300);
    /// for _ in 0..300 {
    ///     w.push(1).unwrap(); // one group longer than a read
    /// }
    /// let bytes = w.finish().unwrap();
    /// let view = GroupsView::new(2, 300, 0);
    /// assert_eq!((view.range(&bytes, 0), view.range(&bytes, 1)), (0..0, 0..300));
    /// ```
    #[inline(always)]
    pub fn range(&self, file: &[u8], group: u64) -> Range<u64> {
        if group >= self.shape.groups {
            return 0..0;
        }
        let sample = self.sample_bit(file, group);
        // Past `rank` closing ones from the sample's start, group `group`
        // starts; its elements are the zeros up to the next one.
        let rank = (group % SAMPLE) as u32;
        // Usually both ones lie in the next 3 * STEP bits (a sample spans
        // about 64 * (1 + E / G) bits): found there without branches.
        let words: [u64; 3] = std::array::from_fn(|i| {
            read_word(file, sample.wrapping_add(i as u64 * STEP)) & ((1 << STEP) - 1)
        });
        let sums = words.map(byte_sums);
        let c0 = (sums[0] >> 56) as u32;
        let c1 = c0 + (sums[1] >> 56) as u32;
        let c2 = c1 + (sums[2] >> 56) as u32;
        if rank >= c2 {
            return self.range_from(file, group, sample, rank);
        }
        // The bit (from `sample`) of the one of rank `r` < c2.
        let find = |r: u32| -> u64 {
            let i = usize::from(r >= c0) + usize::from(r >= c1);
            let before = [0, c0, c1][i];
            i as u64 * STEP + u64::from(select_in(words[i], sums[i], r - before))
        };
        let start_pos = if rank == 0 {
            sample
        } else {
            sample.wrapping_add(find(rank - 1) + 1)
        };
        self.checked(group, start_pos, sample.wrapping_add(find(rank)))
    }

    /// The range of `group` counting `rank` closing ones forward from file
    /// bit `pos` a read at a time (groups larger than a few reads).
    #[cold]
    fn range_from(&self, file: &[u8], group: u64, mut pos: u64, rank: u32) -> Range<u64> {
        let mut ones = rank;
        while ones > 0 {
            if pos >= self.end_bit {
                return 0..0; // corrupted: the ones run out
            }
            let word = read_word(file, pos) & ((1 << STEP) - 1);
            let count = word.count_ones();
            if count >= ones {
                pos += u64::from(select_in(word, byte_sums(word), ones - 1)) + 1;
                break;
            }
            ones -= count;
            pos += STEP;
        }
        // The zeros up to the next one are the group's elements.
        let mut end_pos = pos;
        loop {
            if end_pos >= self.end_bit {
                return 0..0;
            }
            let word = read_word(file, end_pos) & ((1 << STEP) - 1);
            if word != 0 {
                end_pos += u64::from(word.trailing_zeros());
                break;
            }
            end_pos += STEP;
        }
        self.checked(group, pos, end_pos)
    }

    /// The range of `group` whose first element bit is file bit `pos` and
    /// closing one `end_pos` (>= `pos`), or empty if that is not inside
    /// the elements (corrupted bits, or bits past the block).
    #[inline(always)]
    fn checked(&self, group: u64, pos: u64, end_pos: u64) -> Range<u64> {
        // `pos` = group bits + group + start.
        let start = pos.wrapping_sub(self.group_bit).wrapping_sub(group);
        let end = start.wrapping_add(end_pos.wrapping_sub(pos));
        if start > end || end > self.shape.elements {
            return 0..0; // corrupted
        }
        start..end
    }
}

impl GroupsView {
    /// The group holding element `element` (`None` past the last element):
    /// a binary search over the groups, for listing a table, not for queries.
    ///
    /// ```
    /// use dashlm::format::groups::{GroupsView, GroupsWriter};
    /// let mut w = GroupsWriter::new(5, 3);
    /// for group in [1, 1, 4] {
    ///     w.push(group).unwrap();
    /// }
    /// let bytes = w.finish().unwrap();
    /// let view = GroupsView::new(5, 3, 0);
    /// let groups: Vec<_> = (0..4).map(|e| view.group_of(&bytes, e)).collect();
    /// assert_eq!(groups, [Some(1), Some(1), Some(4), None]);
    /// ```
    pub fn group_of(&self, file: &[u8], element: u64) -> Option<u64> {
        if element >= self.shape.elements {
            return None;
        }
        // The first group ending past `element`.
        let (mut lo, mut hi) = (0, self.shape.groups);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.range(file, mid).end <= element {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < self.shape.groups && self.range(file, lo).contains(&element)).then_some(lo)
    }
}

/// Byte `i`: the set bits of bytes `0..=i` of `word` (at most 64: no carry),
/// so the top byte is `word`'s popcount.
#[inline(always)]
fn byte_sums(word: u64) -> u64 {
    let mut x = word - ((word >> 1) & 0x5555_5555_5555_5555);
    x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    x = (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x.wrapping_mul(0x0101_0101_0101_0101)
}

/// The position of the set bit of rank `rank` (0 = the lowest) in `word`,
/// which has more than `rank` set bits, given its [`byte_sums`], without
/// branches: the byte holding it from the running popcounts (Vigna's
/// broadword select), then the bit within the byte from a table.
#[inline(always)]
fn select_in(word: u64, sums: u64, rank: u32) -> u32 {
    const L8: u64 = 0x0101_0101_0101_0101;
    const H8: u64 = 0x8080_8080_8080_8080;
    // The high bit of byte i: whether bytes 0..=i hold at most `rank` set
    // bits (`rank | 0x80` minus at most 64 never borrows across bytes).
    let rank = rank.min(63);
    let at_most = (((u64::from(rank) * L8) | H8) - sums) & H8;
    // Bytes before the one holding the bit: the flags, summed.
    let byte = (((at_most >> 7).wrapping_mul(L8) >> 56) as u32).min(7);
    let place = 8 * byte;
    let before = (((sums << 8) >> place) & 0xff) as u32;
    let in_byte = ((word >> place) & 0xff) as usize;
    place + u32::from(SELECT_IN_BYTE[in_byte][(rank.wrapping_sub(before) & 7) as usize])
}

/// For each byte value and rank `r`: the position of its set bit of rank `r`
/// (8 when it has `r` set bits or fewer).
const SELECT_IN_BYTE: [[u8; 8]; 256] = {
    let mut table = [[8u8; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let (mut bit, mut rank) = (0, 0);
        while bit < 8 {
            if byte >> bit & 1 == 1 {
                table[byte][rank] = bit as u8;
                rank += 1;
            }
            bit += 1;
        }
        byte += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn select_finds_every_set_bit() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut words = vec![1u64, 0x8000_0000_0000_0000, u64::MAX, 0x0f0f_0000_00f0_1001];
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Dense and sparse words.
            words.extend([x, x & x.rotate_left(17) & x.rotate_left(29)]);
        }
        for word in words {
            let positions: Vec<u32> = (0..64).filter(|&i| word >> i & 1 == 1).collect();
            for (rank, &p) in positions.iter().enumerate() {
                assert_eq!(
                    select_in(word, byte_sums(word), rank as u32),
                    p,
                    "{word:#x} rank {rank}"
                );
            }
        }
    }

    /// An element past the declared count is refused with the count it would
    /// make, and the block written so far is kept.
    #[test]
    fn an_element_past_the_count_is_refused() {
        let mut w = GroupsWriter::new(3, 2);
        w.push(0).unwrap();
        w.push(2).unwrap();
        assert_eq!(
            w.push(2),
            Err(GroupsError::Count {
                pushed: 3,
                declared: 2
            })
        );
        let bytes = w.finish().unwrap();
        let view = GroupsView::new(3, 2, 0);
        let ranges: Vec<_> = (0..3).map(|g| view.range(&bytes, g)).collect();
        assert_eq!(ranges, [0..1, 1..1, 1..2]);
    }

    /// The groups of `sizes[g]` elements each, written after `pad` bytes of
    /// 0xff; with the number of groups and of elements.
    fn written(sizes: &[u64], pad: usize) -> (Vec<u8>, u64, u64) {
        let elements: u64 = sizes.iter().sum();
        let groups = sizes.len() as u64;
        let mut w = GroupsWriter::new(groups, elements);
        for (g, &n) in sizes.iter().enumerate() {
            for _ in 0..n {
                w.push(g as u64).unwrap();
            }
        }
        let mut file = vec![0xff; pad];
        file.extend_from_slice(&w.finish().unwrap());
        (file, groups, elements)
    }

    proptest! {
        #[test]
        fn ranges_are_the_groups_written(
            sizes in prop::collection::vec(
                prop_oneof![3 => 0u64..3, 1 => 0u64..200], 0..400),
            pad in 0usize..9,
        ) {
            let (file, groups, elements) = written(&sizes, pad);
            prop_assert_eq!((file.len() - pad) as u64, block_bytes(groups, elements));
            let view = GroupsView::new(groups, elements, pad as u64);
            let mut start = 0;
            for (g, &n) in sizes.iter().enumerate() {
                prop_assert_eq!(view.range(&file, g as u64), start..start + n);
                start += n;
            }
            prop_assert_eq!(view.range(&file, groups), 0..0);
        }


        /// `group_of` gives each element the group it was pushed to (empty
        /// groups in between are skipped), and `None` past the last element.
        #[test]
        fn group_of_is_the_group_written(
            sizes in prop::collection::vec(
                prop_oneof![3 => 0u64..3, 1 => 0u64..200], 0..200),
            pad in 0usize..9,
        ) {
            let (file, groups, elements) = written(&sizes, pad);
            let of: Vec<_> = (sizes.iter().enumerate())
                .flat_map(|(g, &n)| (0..n).map(move |_| Some(g as u64)))
                .collect();
            let view = GroupsView::new(groups, elements, pad as u64);
            let found: Vec<_> = (0..elements).map(|e| view.group_of(&file, e)).collect();
            prop_assert_eq!(found, of);
            prop_assert_eq!(view.group_of(&file, elements), None);
        }

        /// On any bytes, a range lies inside the elements, and `group_of` names
        /// a group only if that group's range (as `range` reads it) holds the
        /// element.
        #[test]
        fn any_bytes_give_ranges_inside_the_elements_and_groups_holding_them(
            bytes in prop::collection::vec(any::<u8>(), 0..300),
            groups in 0u64..2000,
            elements in 0u64..2000,
            group in 0u64..2100,
            element in 0u64..2100,
        ) {
            let view = GroupsView::new(groups, elements, 0);
            let r = view.range(&bytes, group);
            prop_assert!(r.start <= r.end && r.end <= elements);
            if let Some(g) = view.group_of(&bytes, element) {
                prop_assert!(g < groups, "{} of {}", g, groups);
                prop_assert!(view.range(&bytes, g).contains(&element));
            }
        }
    }
}
