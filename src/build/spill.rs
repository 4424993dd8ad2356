//! What the completing builder keeps out of memory while the model is read:
//! the highest order's records, and the backoffs of the order below the one
//! being read.
//!
//! The highest order is usually the largest and is only needed again when it
//! is placed, after every lower order: its 12-byte records go to an unnamed
//! temporary file as they are read, and come back when the order is placed.
//! An order's backoffs (4 bytes a slot) go to another such file while the
//! order above it is read, which reads none of them (see `order_table`). The
//! files are in the output's directory when the model is built into a path,
//! as `build-lm` does, else in the system's temporary directory (`TMPDIR`),
//! and are gone when dropped. Where no temporary file can be made the values
//! stay in memory.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

use bytemuck::Pod;

use super::reading::{Need, Stop};

/// Values pushed one by one and read back in the same order.
pub(super) struct Spill<T> {
    len: usize,
    /// How many values to expect (untrusted: a header's count).
    expected: u64,
    place: Place<T>,
}

enum Place<T> {
    File(BufWriter<File>),
    Memory(Vec<T>),
}

/// Values read per chunk from a file.
const CHUNK: usize = 1 << 14;

impl<T: Pod> Spill<T> {
    /// An empty store for about `expected` values, in a file in `dir` (else
    /// in the system's temporary directory).
    pub(super) fn new(expected: u64, dir: Option<&Path>) -> Spill<T> {
        let file = match dir {
            Some(dir) => tempfile::tempfile_in(dir),
            None => tempfile::tempfile(),
        };
        let place = match file {
            Ok(file) => Place::File(BufWriter::with_capacity(1 << 16, file)),
            Err(_) => Place::Memory(Vec::with_capacity(super::stream::cap(expected))),
        };
        Spill {
            len: 0,
            expected,
            place,
        }
    }

    /// How many values were pushed.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends `value`: [`Stop::Fallback`] past `u32::MAX - 1` values (ids
    /// are `u32`), [`Stop::Io`] when the temporary file cannot be written.
    pub(super) fn push(&mut self, value: T) -> Result<(), Stop> {
        self.extend(std::slice::from_ref(&value))
    }

    /// Appends `values`, as [`push`](Self::push) each.
    pub(super) fn extend(&mut self, values: &[T]) -> Result<(), Stop> {
        let len = self.len.saturating_add(values.len());
        u32::try_from(len).ok().need()?;
        match &mut self.place {
            Place::File(w) => w.write_all(bytemuck::cast_slice(values))?,
            Place::Memory(v) => {
                if v.capacity() - v.len() < values.len() {
                    v.reserve_exact(growth(v.len(), self.expected).max(values.len()));
                }
                v.extend_from_slice(values);
            }
        }
        self.len = len;
        Ok(())
    }

    /// A reader of the values pushed, from the first; again at every call
    /// (nothing may be pushed after the first).
    ///
    /// # Errors
    /// Writing the temporary file failed.
    pub(super) fn reader(&mut self) -> io::Result<Reader<'_, T>> {
        let source = match &mut self.place {
            Place::Memory(v) => Source::Memory(v),
            Place::File(w) => {
                w.flush()?;
                let file = w.get_mut();
                file.rewind()?;
                Source::File(file, Vec::new())
            }
        };
        Ok(Reader {
            source,
            left: self.len,
        })
    }

    /// Calls `f` with every value pushed, in order; again at every call
    /// (nothing may be pushed after the first).
    ///
    /// # Errors
    /// Writing or reading the temporary file failed.
    pub(super) fn for_each(&mut self, mut f: impl FnMut(T)) -> io::Result<()> {
        let mut reader = self.reader()?;
        loop {
            let chunk = reader.next(CHUNK)?;
            if chunk.is_empty() {
                return Ok(());
            }
            chunk.iter().copied().for_each(&mut f);
        }
    }
}

/// The values of a [`Spill`], chunk by chunk.
pub(super) struct Reader<'a, T> {
    source: Source<'a, T>,
    /// Values not read yet.
    left: usize,
}

enum Source<'a, T> {
    Memory(&'a [T]),
    /// The file and a buffer for its chunks.
    File(&'a mut File, Vec<T>),
}

impl<T: Pod> Reader<'_, T> {
    /// The next `n` values, fewer at the end (none past it).
    ///
    /// # Errors
    /// Reading the temporary file failed.
    pub(super) fn next(&mut self, n: usize) -> io::Result<&[T]> {
        let n = n.min(self.left);
        self.left -= n;
        match &mut self.source {
            Source::Memory(values) => {
                let (chunk, rest) = values.split_at(n);
                *values = rest;
                Ok(chunk)
            }
            Source::File(file, buf) => {
                buf.resize(n, T::zeroed());
                file.read_exact(bytemuck::cast_slice_mut(buf))?;
                Ok(buf)
            }
        }
    }
}

/// How many more values to reserve when `len` of the expected `count` are
/// held: toward the count, at most doubling; past it an eighth more at a time.
fn growth(len: usize, count: u64) -> usize {
    match usize::try_from(count)
        .unwrap_or(usize::MAX)
        .saturating_sub(len)
    {
        0 => (len / 8).max(1024),
        want => want.clamp(1, len.max(1024)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::complete::TopRec;

    fn rec(i: u32) -> TopRec {
        TopRec {
            ctx: i,
            word: i ^ 5,
            prob: -(i as f32),
        }
    }

    #[test]
    fn gives_back_what_was_pushed_from_file_and_memory() {
        let file = Spill::new(10, None);
        assert!(matches!(file.place, Place::File(_)));
        let memory = Spill {
            len: 0,
            expected: 10,
            place: Place::Memory(Vec::new()),
        };
        for mut top in [file, memory] {
            for i in 0..100_000 {
                assert!(top.push(rec(i)).is_ok());
            }
            assert_eq!(top.len(), 100_000);
            let mut back = Vec::new();
            top.for_each(|r| back.push(r)).unwrap();
            let mut again = Vec::new();
            top.for_each(|r| again.push(r)).unwrap();
            assert_eq!(back.len(), 100_000);
            assert!(back
                .iter()
                .zip(&again)
                .all(|(a, b)| a.ctx == b.ctx && a.prob == b.prob));
            for (i, r) in (0..).zip(&back) {
                assert_eq!((r.ctx, r.word, r.prob), (i, i ^ 5, -(i as f32)));
            }
            // Chunk by chunk, as many as asked for, then none.
            let mut reader = top.reader().unwrap();
            assert_eq!(reader.next(3).unwrap()[2].ctx, 2);
            assert_eq!(reader.next(200_000).unwrap().len(), 100_000 - 3);
            assert!(reader.next(1).unwrap().is_empty());
        }
    }
}
