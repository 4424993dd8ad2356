//! The completing builder's highest order, kept out of memory while the model
//! is read.
//!
//! The highest order is usually the largest and is only needed again when it
//! is placed, after every lower order: its 12-byte records go to an unnamed
//! temporary file as they are read (in the output's directory when the model
//! is built into a path, as `build-lm` does, else in the system's temporary
//! directory, `TMPDIR`; the file is gone when dropped), and come back when the
//! order is placed. Where no temporary file can be made they stay in memory.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

use bytemuck::Zeroable;

use super::complete::TopRec;
use super::reading::{Need, Stop};

/// The records of the highest order, in the order they were pushed.
pub(super) struct TopSpill {
    len: usize,
    /// The header's count: how many records to expect (untrusted).
    expected: u64,
    place: Place,
}

enum Place {
    File(BufWriter<File>),
    Memory(Vec<TopRec>),
}

impl TopSpill {
    /// An empty store for about `expected` records, in a file in `dir` (else
    /// in the system's temporary directory).
    pub(super) fn new(expected: u64, dir: Option<&Path>) -> TopSpill {
        let file = match dir {
            Some(dir) => tempfile::tempfile_in(dir),
            None => tempfile::tempfile(),
        };
        let place = match file {
            Ok(file) => Place::File(BufWriter::with_capacity(1 << 16, file)),
            Err(_) => Place::Memory(Vec::with_capacity(super::stream::cap(expected))),
        };
        TopSpill {
            len: 0,
            expected,
            place,
        }
    }

    /// How many records were pushed.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends `rec`: [`Stop::Fallback`] past `u32::MAX - 1` records (ids are
    /// `u32`), [`Stop::Io`] when the temporary file cannot be written.
    pub(super) fn push(&mut self, rec: TopRec) -> Result<(), Stop> {
        u32::try_from(self.len)
            .ok()
            .filter(|&i| i < u32::MAX)
            .need()?;
        match &mut self.place {
            Place::File(w) => w.write_all(bytemuck::bytes_of(&rec))?,
            Place::Memory(v) => {
                if v.len() == v.capacity() {
                    v.reserve_exact(growth(v.len(), self.expected));
                }
                v.push(rec);
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Calls `f` with every record pushed, in order; again at every call
    /// (nothing may be pushed after the first).
    ///
    /// # Errors
    /// Writing or reading the temporary file failed.
    pub(super) fn for_each(&mut self, mut f: impl FnMut(TopRec)) -> io::Result<()> {
        let file = match &mut self.place {
            Place::Memory(v) => {
                v.iter().copied().for_each(f);
                return Ok(());
            }
            Place::File(w) => {
                w.flush()?;
                w.get_mut()
            }
        };
        file.rewind()?;
        let mut chunk = vec![TopRec::zeroed(); 1 << 14];
        let mut left = self.len;
        while left > 0 {
            let part = &mut chunk[..left.min(1 << 14)];
            file.read_exact(bytemuck::cast_slice_mut(part))?;
            part.iter().copied().for_each(&mut f);
            left -= part.len();
        }
        Ok(())
    }
}

/// How many more records to reserve when `len` of the header's `count` are
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

    fn rec(i: u32) -> TopRec {
        TopRec {
            ctx: i,
            word: i ^ 5,
            prob: -(i as f32),
        }
    }

    #[test]
    fn gives_back_what_was_pushed_from_file_and_memory() {
        let file = TopSpill::new(10, None);
        assert!(matches!(file.place, Place::File(_)));
        let memory = TopSpill {
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
        }
    }
}
