//! An order of a completed model by hashed key, ready to be placed and
//! written (see `tables`): each n-gram a record in one byte buffer, every
//! field in the bytes the order needs, chosen at run time.
//!
//! A record is, little-endian: the hashed key with, below the highest order,
//! the node and left flags in the two bits above it; the probability's code;
//! below the highest order the backoff's code (zero unless a node) and the
//! n-gram's id. The codes are those of the order's coders, built before the
//! records (for q8 one byte each), so no f32 weights are held beside them: a
//! trigram of the generated 10M-n-gram model of `examples/gen_arpa.rs` takes
//! 11 bytes with q8 weights, 21 as key, f32 weights, id and flags. Records
//! are at least 8 bytes (padded), so that a key is read as one word. They
//! are in huge pages where available (sorting them misses the TLB less),
//! and their memory is given back as they are written
//! ([`Keyed::release`]), while the next order is keyed.

use std::ops::Range;

use super::records::{repeats, sort_by_key};
use crate::format::bits::{bits_for, mask};
use crate::format::HugeBuf;

/// The widest record: an 8-byte key field, two 4-byte codes, a 4-byte id.
const MAX_WIDTH: usize = 20;

/// The bytes a record is assembled in: each field written as 8 bytes.
const RECORD: usize = MAX_WIDTH + 4;

/// One record's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fields {
    pub key: u64,
    /// The node and left flags (`complete::EXTENDS`, `complete::LEFT`).
    pub flags: u8,
    pub prob: u32,
    pub backoff: u32,
    pub id: u32,
}

/// The records of one order, in the order pushed until [`Keyed::sort`]ed.
pub(super) struct Keyed {
    /// The records, then room for an assembled record (see [`Keyed::push`]),
    /// in huge pages where available (see [`Keyed::release`]).
    bytes: HugeBuf<u8>,
    /// How many records there are.
    len: usize,
    width: usize,
    key_bits: u32,
    /// Where each field starts in a record, and the masks of their bytes:
    /// key and flags, probability, backoff, id.
    starts: [usize; 4],
    masks: [u64; 4],
}

/// Bytes for `len` records of `width` bytes and an assembled record past them.
fn room(len: usize, width: usize) -> usize {
    len.saturating_mul(width).saturating_add(RECORD)
}

/// Bytes for a field of `bits` bits.
fn bytes_of(bits: u32) -> usize {
    bits.div_ceil(8) as usize
}

/// The 8 bytes at `at` (zeros past the end), little-endian.
#[inline(always)]
fn read(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().unwrap_or_default()),
        None => {
            let mut word = [0u8; 8];
            let tail = &bytes[at.min(bytes.len())..];
            word[..tail.len()].copy_from_slice(tail);
            u64::from_le_bytes(word)
        }
    }
}

impl Keyed {
    /// Room for `len` records of keys below `2^key_bits` (at most 62) and
    /// codes of `prob_bits` and `backoff_bits` (at most 32); `ids` ids
    /// (below the highest order, else 0: no flags, backoff codes nor ids).
    pub(super) fn new(
        len: usize,
        key_bits: u32,
        [prob_bits, backoff_bits]: [u32; 2],
        ids: u64,
    ) -> Keyed {
        let lower = ids > 0;
        let sizes = if lower {
            let id_bits = bits_for(ids - 1).max(1);
            [key_bits + 2, prob_bits, backoff_bits, id_bits].map(bytes_of)
        } else {
            [bytes_of(key_bits), bytes_of(prob_bits), 0, 0]
        };
        let width = sizes.iter().sum::<usize>().max(8);
        debug_assert!(width <= MAX_WIDTH && key_bits <= 62);
        let mut starts = [0; 4];
        for i in 1..4 {
            starts[i] = starts[i - 1] + sizes[i - 1];
        }
        Keyed {
            bytes: HugeBuf::filled(room(len, width), 0),
            len: 0,
            width,
            key_bits,
            starts,
            masks: sizes.map(|s| mask(8 * s as u32)),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends a record (room for more is made if the records announced to
    /// [`Keyed::new`] are passed).
    pub(super) fn push(&mut self, f: Fields) {
        let at = self.len * self.width;
        if self.bytes.len() < at + RECORD {
            let mut more = HugeBuf::filled(room(self.len.saturating_mul(2), self.width), 0);
            more[..at].copy_from_slice(&self.bytes[..at]);
            self.bytes = more;
        }
        let mut record = [0u8; RECORD];
        let key = f.key | u64::from(f.flags) << self.key_bits;
        let values = [key, f.prob.into(), f.backoff.into(), f.id.into()];
        // In increasing order: each field's bytes past its size are zeros,
        // overwritten by the next field.
        for ((value, at), mask) in values.into_iter().zip(self.starts).zip(self.masks) {
            record[at..at + 8].copy_from_slice(&(value & mask).to_le_bytes());
        }
        // A whole record's bytes written at once, the next overwriting
        // what passes the width.
        self.bytes[at..at + RECORD].copy_from_slice(&record);
        self.len += 1;
    }

    /// Gives the memory of records `range` back (see [`HugeBuf::release`]):
    /// they must not be read again.
    pub(super) fn release(&mut self, range: Range<usize>) {
        let width = self.width;
        self.bytes.release(range.start * width..range.end * width);
    }

    /// The fields of record `i`.
    pub(super) fn get(&self, i: usize) -> Fields {
        let at = i * self.width;
        let field = |f: usize| read(&self.bytes, at + self.starts[f]) & self.masks[f];
        let [key, prob, backoff, id] = [0, 1, 2, 3].map(field);
        Fields {
            key: key & mask(self.key_bits),
            flags: (key >> self.key_bits) as u8,
            prob: prob as u32,
            backoff: backoff as u32,
            id: id as u32,
        }
    }

    /// The id of record `i`, if there is one.
    pub(super) fn id(&self, i: usize) -> Option<u32> {
        let at = (i < self.len()).then_some(i * self.width + self.starts[3])?;
        Some((read(&self.bytes, at) & self.masks[3]) as u32)
    }

    /// The key of record `i`.
    pub(super) fn key(&self, i: usize) -> u64 {
        read(&self.bytes, i * self.width) & mask(self.key_bits)
    }

    /// The keys in order.
    pub(super) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).map(|i| self.key(i))
    }

    /// Sorts the records by key (on two threads when one is free).
    pub(super) fn sort(&mut self) {
        let records = &mut self.bytes[..self.len * self.width];
        sort_by_key(records, self.width, mask(self.key_bits), true);
    }

    /// Whether two records (sorted) have the same key.
    pub(super) fn has_duplicates(&self) -> bool {
        repeats(self.keys())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of every width keep their fields through sorting.
    #[test]
    fn records_keep_their_fields_sorted() {
        let cases = [
            (38, [8, 8], 2_300_000),
            (41, [32, 32], u64::from(u32::MAX) + 1),
            (42, [8, 0], 0),
            (20, [1, 0], 0),
            (57, [32, 0], 0),
            (57, [32, 32], 3),
        ];
        for (key_bits, code_bits, ids) in cases {
            let n = 3000u64;
            let mut keyed = Keyed::new(n as usize, key_bits, code_bits, ids);
            let mut expected = Vec::new();
            for i in 0..n {
                let m = |bits: u32| mask(bits) & i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let lower = ids > 0;
                let f = Fields {
                    key: m(key_bits),
                    flags: if lower { (i % 4) as u8 } else { 0 },
                    prob: m(code_bits[0]) as u32,
                    backoff: m(code_bits[1]) as u32,
                    id: if lower { (i % ids) as u32 } else { 0 },
                };
                keyed.push(f);
                expected.push(f);
            }
            assert_eq!(keyed.len(), n as usize);
            keyed.sort();
            expected.sort_by_key(|f| f.key);
            assert!(!keyed.has_duplicates());
            for (i, f) in expected.iter().enumerate() {
                assert_eq!(keyed.get(i), *f, "{key_bits} {code_bits:?} {ids}");
            }
        }
    }

    /// Records past those announced make room for themselves; records
    /// released after being read leave the others as they were.
    #[test]
    fn records_grow_past_the_announced_and_are_released_once_read() {
        let n = 400_000u32;
        let mut keyed = Keyed::new(1000, 40, [8, 8], u64::from(n));
        let fields = |i: u32| Fields {
            key: u64::from(i.wrapping_mul(0x9e37_79b9)),
            flags: (i % 4) as u8,
            prob: i % 256,
            backoff: (i / 3) % 256,
            id: i,
        };
        for i in 0..n {
            keyed.push(fields(i));
        }
        assert_eq!(keyed.len(), n as usize);
        // Grown to huge pages (where available), which releasing gives back.
        assert!(keyed.bytes.len() > 4 << 20);
        let step = 100_000;
        for start in (0..n as usize).step_by(step) {
            for i in start..start + step {
                assert_eq!(keyed.get(i), fields(i as u32), "{i}");
                assert_eq!(keyed.id(i), Some(i as u32));
            }
            keyed.release(start..start + step);
        }
        assert_eq!(keyed.id(n as usize), None);
    }

    /// Fields take the bytes they need: a q8 trigram of the generated 10M
    /// model takes 11, a q8 n-gram of the highest order is padded to 8.
    #[test]
    fn records_are_as_wide_as_their_fields() {
        assert_eq!(Keyed::new(0, 41, [8, 8], 4_347_841).width, 6 + 1 + 1 + 3);
        assert_eq!(Keyed::new(0, 42, [8, 0], 0).width, 8);
        assert_eq!(Keyed::new(0, 57, [32, 32], 1 << 32).width, 20);
        let mut keyed = Keyed::new(2, 30, [8, 0], 0);
        keyed.push(Fields {
            key: 5,
            flags: 0,
            prob: 1,
            backoff: 0,
            id: 0,
        });
        keyed.push(Fields {
            key: 5,
            flags: 0,
            prob: 2,
            backoff: 0,
            id: 0,
        });
        keyed.sort();
        assert!(keyed.has_duplicates());
    }
}
