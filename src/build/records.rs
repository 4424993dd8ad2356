//! The n-grams of one order of the streaming builder (`held_order`) while it is
//! read: each a record of a few bytes, in one byte buffer whose record width
//! is chosen at run time from the order's key width ([`Records`]); then
//! sorted by key and split into weights by rank ([`Backoffs`]).
//!
//! A record is, little-endian: the hashed key in as many bytes as the
//! order's keys need (at least 4, so a record is at least 8 bytes and its
//! first 8 bytes can be read as one word), the probability's f32 bits, then
//! below the highest order the backoff: a 2-byte index into the order's
//! distinct backoffs while there are at most 2^16 of them (as in models
//! `lmplz` writes), else its f32 bits (the records read so far are widened
//! when the 2^16+1-th distinct value comes). On the shared 4-gram the
//! trigrams' keys take 39 bits: 11 bytes a record instead of 16 for a `u64`
//! key and two f32s, the 4-grams' 9 instead of 12.

use ahash::AHashMap;
use bytemuck::Pod;

use super::radix;
use super::stream::cap;
use crate::format::bits::mask;

/// The backoff field of the records.
enum Field {
    /// The highest order: none.
    None,
    /// 2-byte indices into `values`, the distinct bit patterns of the
    /// backoffs in the order first met, found through `index`.
    Indexed {
        values: Vec<f32>,
        index: AHashMap<u32, u16>,
    },
    /// The backoffs' f32 bits.
    Raw,
}

/// The records of one order, in file order until [`Records::sort`]ed.
pub(super) struct Records {
    bytes: Vec<u8>,
    /// Bytes of a record (8 to 16).
    width: usize,
    /// Bytes of its key (4 to 8).
    key_bytes: usize,
    /// The key bits of a record's first 8 bytes.
    key_mask: u64,
    backoffs: Field,
    /// The order's count in the header, which growth aims at.
    header_count: u64,
}

/// The 8 bytes at `at`, little-endian (there must be 8).
#[inline(always)]
pub(super) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The key of a record (at least 8 bytes).
#[inline(always)]
fn key_of(record: &[u8], key_mask: u64) -> u64 {
    u64_at(record, 0) & key_mask
}

/// The f32 whose little-endian bytes are at `at`.
pub(super) fn f32_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Whether sorted `keys` hold a key twice.
pub(super) fn repeats(mut keys: impl Iterator<Item = u64>) -> bool {
    let mut last = None;
    keys.any(|k| last.replace(k) == Some(k))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Moves `n` fields of `W` bytes, field `i` at `i * stride + offset`, to
/// `i * W`: from the first, so no field is overwritten before it is moved
/// (`W <= stride - offset`).
fn gather<const W: usize>(bytes: &mut [u8], n: usize, stride: usize, offset: usize) {
    for i in 0..n {
        let mut field = [0u8; W];
        field.copy_from_slice(&bytes[i * stride + offset..][..W]);
        bytes[i * W..][..W].copy_from_slice(&field);
    }
}

/// Sorts `bytes`, records of `N` bytes, by key, on two threads if `two`.
fn sort_as<const N: usize>(bytes: &mut [u8], key_mask: u64, two: bool)
where
    [u8; N]: Pod,
{
    let records: &mut [[u8; N]] = bytemuck::cast_slice_mut(bytes);
    let (key, bits) = (|r: &[u8; N]| key_of(r, key_mask), key_mask.count_ones());
    match two {
        true => radix::sort_on_two(records, &key, bits),
        false => radix::sort(records, &key, bits),
    }
}

/// Sorts `bytes`, records of `width` bytes (8 to 20) whose first 8 bytes
/// masked by `key_mask` are their key, by key (see `radix`), on two threads
/// if `two`.
pub(super) fn sort_by_key(bytes: &mut [u8], width: usize, key_mask: u64, two: bool) {
    match width {
        8 => sort_as::<8>(bytes, key_mask, two),
        9 => sort_as::<9>(bytes, key_mask, two),
        10 => sort_as::<10>(bytes, key_mask, two),
        11 => sort_as::<11>(bytes, key_mask, two),
        12 => sort_as::<12>(bytes, key_mask, two),
        13 => sort_as::<13>(bytes, key_mask, two),
        14 => sort_as::<14>(bytes, key_mask, two),
        15 => sort_as::<15>(bytes, key_mask, two),
        16 => sort_as::<16>(bytes, key_mask, two),
        17 => sort_as::<17>(bytes, key_mask, two),
        18 => sort_as::<18>(bytes, key_mask, two),
        19 => sort_as::<19>(bytes, key_mask, two),
        20 => sort_as::<20>(bytes, key_mask, two),
        w => unreachable!("records are 8 to 20 bytes, not {w}"),
    }
}

impl Records {
    /// No records of keys below `2^key_bits` (at most 64), with backoffs if
    /// `backoffs` (an order below the highest); room is made for
    /// `header_count` of them as they come.
    pub(super) fn new(key_bits: u32, backoffs: bool, header_count: u64) -> Records {
        let key_bytes = (key_bits.div_ceil(8) as usize).clamp(4, 8);
        let backoffs = if backoffs {
            Field::Indexed {
                values: Vec::new(),
                index: AHashMap::new(),
            }
        } else {
            Field::None
        };
        let width = key_bytes + 4 + if backoffs.is_none() { 0 } else { 2 };
        Records {
            bytes: Vec::with_capacity(cap(header_count) * width),
            width,
            key_bytes,
            key_mask: mask(8 * key_bytes as u32),
            backoffs,
            header_count,
        }
    }

    /// Bytes a record.
    #[cfg(test)]
    fn width(&self) -> usize {
        self.width
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len() / self.width
    }

    /// Appends a record (`backoff` ignored at the highest order).
    pub(super) fn push(&mut self, key: u64, prob: f32, backoff: f32) {
        let index = self.index_of(backoff);
        if self.bytes.len() + self.width > self.bytes.capacity() {
            // Grow toward the header's count (checked by the reader), at most
            // doubling: untrusted counts never reserve more than twice what is read.
            let len = self.len();
            let want = (self.header_count as usize).saturating_sub(len);
            let more = want.clamp(1, len.max(1024));
            self.bytes.reserve_exact(more * self.width);
        }
        // Assembled first, so that it is appended in one copy.
        let mut record = [0u8; 16];
        let at = self.key_bytes;
        record[..8].copy_from_slice(&key.to_le_bytes());
        record[at..at + 4].copy_from_slice(&prob.to_le_bytes());
        match (&self.backoffs, index) {
            (Field::Indexed { .. }, Some(i)) => {
                record[at + 4..at + 6].copy_from_slice(&i.to_le_bytes());
            }
            (Field::Raw, _) => record[at + 4..at + 8].copy_from_slice(&backoff.to_le_bytes()),
            _ => {}
        }
        self.bytes.extend_from_slice(&record[..self.width]);
    }

    /// The index of `backoff` among the distinct backoffs, added if new;
    /// `None` if they are not indexed (any more: the 2^16+1-th widens the
    /// records).
    fn index_of(&mut self, backoff: f32) -> Option<u16> {
        let Field::Indexed { values, index } = &mut self.backoffs else {
            return None;
        };
        let bits = backoff.to_bits();
        if let Some(&i) = index.get(&bits) {
            return Some(i);
        }
        match u16::try_from(values.len()) {
            Ok(i) => {
                index.insert(bits, i);
                values.push(backoff);
                Some(i)
            }
            Err(_) => {
                self.widen();
                None
            }
        }
    }

    /// Replaces the indexed backoffs of the records by their f32 bits.
    fn widen(&mut self) {
        let Field::Indexed { values, .. } = std::mem::replace(&mut self.backoffs, Field::Raw)
        else {
            return;
        };
        let (old, new, n) = (self.width, self.width + 2, self.len());
        self.bytes.reserve_exact(n * 2);
        self.bytes.resize(n * new, 0);
        let head = self.key_bytes + 4;
        // From the last record: each moves up, over records already moved.
        for i in (0..n).rev() {
            let backoff = values[usize::from(u16_at(&self.bytes, i * old + head))];
            self.bytes.copy_within(i * old..i * old + head, i * new);
            self.bytes[i * new + head..(i + 1) * new].copy_from_slice(&backoff.to_le_bytes());
        }
        self.width = new;
    }

    /// The key of record `i`.
    pub(super) fn key(&self, i: usize) -> u64 {
        key_of(&self.bytes[i * self.width..], self.key_mask)
    }

    /// The keys in order.
    pub(super) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        let key_mask = self.key_mask;
        self.bytes
            .chunks_exact(self.width)
            .map(move |r| key_of(r, key_mask))
    }

    /// The probability of record `i`.
    pub(super) fn prob(&self, i: usize) -> f32 {
        f32_at(&self.bytes, i * self.width + self.key_bytes)
    }

    /// The probabilities in order.
    pub(super) fn probs(&self) -> impl Iterator<Item = f32> + '_ {
        let at = self.key_bytes;
        self.bytes
            .chunks_exact(self.width)
            .map(move |r| f32_at(r, at))
    }

    /// The backoff of record `i` (0 at the highest order).
    pub(super) fn backoff(&self, i: usize) -> f32 {
        let at = i * self.width + self.key_bytes + 4;
        match &self.backoffs {
            Field::None => 0.0,
            Field::Indexed { values, .. } => values[usize::from(u16_at(&self.bytes, at))],
            Field::Raw => f32_at(&self.bytes, at),
        }
    }

    /// Sorts the records by key.
    pub(super) fn sort(&mut self) {
        sort_by_key(&mut self.bytes, self.width, self.key_mask, false);
    }

    /// Whether two records (sorted) have the same key.
    pub(super) fn has_duplicates(&self) -> bool {
        repeats(self.keys())
    }

    /// Takes the records' weights in their order: the probabilities, and the
    /// backoffs in the records' bytes (moved to their front, the rest freed),
    /// so that no more than the records' bytes and the probabilities are
    /// held at once. Leaves no records.
    pub(super) fn take_weights(&mut self) -> (Vec<f32>, Backoffs) {
        let n = self.len();
        let mut bytes = std::mem::take(&mut self.bytes);
        let (width, key_bytes) = (self.width, self.key_bytes);
        // Each record's weights to the front (`w` bytes a record), then the
        // backoffs (`b`).
        let w = width - key_bytes;
        let b = w - 4;
        match b {
            0 => gather::<4>(&mut bytes, n, width, key_bytes),
            2 => gather::<6>(&mut bytes, n, width, key_bytes),
            _ => gather::<8>(&mut bytes, n, width, key_bytes),
        }
        bytes.truncate(n * w);
        bytes.shrink_to_fit();
        let probs = bytes.chunks_exact(w).map(|r| f32_at(r, 0)).collect();
        match b {
            0 => {}
            2 => gather::<2>(&mut bytes, n, w, 4),
            _ => gather::<4>(&mut bytes, n, w, 4),
        }
        bytes.truncate(n * b);
        bytes.shrink_to_fit();
        let backoffs = match std::mem::replace(&mut self.backoffs, Field::Raw) {
            Field::Indexed { values, .. } => Backoffs::Indexed {
                values,
                indices: bytes,
            },
            Field::Raw => Backoffs::Raw(bytes),
            Field::None => Backoffs::Raw(vec![0; 4 * n]),
        };
        (probs, backoffs)
    }
}

impl Field {
    fn is_none(&self) -> bool {
        matches!(self, Field::None)
    }
}

/// A placed order's backoffs by rank.
pub(super) enum Backoffs {
    /// Indices into `values`, the distinct bit patterns of the backoffs (at
    /// most 2^16), 2 bytes each, little-endian.
    Indexed { values: Vec<f32>, indices: Vec<u8> },
    /// The backoffs' f32 bits, little-endian (more distinct backoffs).
    Raw(Vec<u8>),
}

impl Backoffs {
    /// The index into `values` of the backoff of rank `i`.
    pub(super) fn index(indices: &[u8], i: usize) -> usize {
        usize::from(u16_at(indices, 2 * i))
    }

    /// The backoff of rank `i`.
    pub(super) fn get(&self, i: usize) -> f32 {
        match self {
            Backoffs::Indexed { values, indices } => values[Backoffs::index(indices, i)],
            Backoffs::Raw(bytes) => f32_at(bytes, 4 * i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` records of `key_bits`-bit keys whose backoffs take `distinct`
    /// values, pushed, sorted and split: the same keys, probabilities and
    /// backoffs as sorting the triples.
    fn round_trip(n: u64, key_bits: u32, distinct: u64) -> usize {
        let mut records = Records::new(key_bits, true, n);
        let mut expected = Vec::new();
        for i in 0..n {
            // Distinct keys of `key_bits` bits (an odd multiplier is a
            // bijection modulo 2^key_bits), in no order.
            let key = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & mask(key_bits);
            let (prob, backoff) = (-(i as f32) / 7.0, -((i % distinct) as f32) / 3.0);
            records.push(key, prob, backoff);
            expected.push((key, prob, backoff));
        }
        assert_eq!(records.len(), n as usize);
        records.sort();
        expected.sort_by_key(|e| e.0);
        assert!(!records.has_duplicates());
        assert!(records.keys().eq(expected.iter().map(|e| e.0)));
        for (i, e) in expected.iter().enumerate() {
            assert_eq!((records.key(i), records.prob(i), records.backoff(i)), *e);
        }
        let width = records.width();
        let (probs, backoffs) = records.take_weights();
        assert!(probs.iter().eq(expected.iter().map(|e| &e.1)));
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(backoffs.get(i).to_bits(), e.2.to_bits());
        }
        width
    }

    /// Keys take the bytes their width needs; backoffs 2 bytes while at
    /// most 2^16 are distinct, else 4 (the records read so far widened).
    #[test]
    fn records_keep_keys_and_weights() {
        assert_eq!(round_trip(1000, 39, 100), 5 + 4 + 2);
        assert_eq!(round_trip(1000, 12, 1000), 4 + 4 + 2);
        assert_eq!(round_trip(1000, 57, 7), 8 + 4 + 2);
        assert_eq!(round_trip(70_000, 40, 70_000), 5 + 4 + 4);
        assert_eq!(round_trip(70_000, 41, 65_536), 6 + 4 + 2);
    }

    /// Sorting gives the standard sort's keys, each record whole, whatever
    /// the keys: few distinct ones, only low bits used, all bits used.
    #[test]
    fn sorting_orders_any_keys() {
        for (n, spread) in [(40, 7), (5000, 3), (5000, 1 << 20), (100_000, 1 << 40)] {
            let mut records = Records::new(40, false, n);
            for i in 0..n {
                let key = (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24) % spread;
                records.push(key, i as f32, 0.0);
            }
            let pairs = |r: &Records| {
                let mut pairs: Vec<(u64, u32)> =
                    r.keys().zip(r.probs().map(f32::to_bits)).collect();
                pairs.sort_unstable();
                pairs
            };
            let before = pairs(&records);
            records.sort();
            assert!(
                records.keys().eq(before.iter().map(|p| p.0)),
                "{n} {spread}"
            );
            assert_eq!(pairs(&records), before);
        }
    }

    /// The highest order's records have no backoffs.
    #[test]
    fn top_records_have_no_backoffs() {
        let mut records = Records::new(39, false, 2);
        records.push(3, -1.5, -0.5);
        records.push(1, -2.5, -0.25);
        assert_eq!(records.width(), 9);
        records.sort();
        assert!(records.keys().eq([1, 3]));
        assert!(records.probs().eq([-2.5, -1.5]));
        assert_eq!(records.backoff(0), 0.0);
        records.push(1, -3.0, 0.0);
        records.sort();
        assert!(records.has_duplicates());
    }
}
