//! The query of a compiled [`Model`]: the unigram record, each order's probe
//! and the next state, compiled for each kind of model (see the [module
//! docs](super)).

use super::decoder::Decoder;
use super::{Model, State};
use crate::format::Span;
use crate::lm::FullScore;
use crate::vocab::WordId;
use crate::MAX_ORDER;

impl<D: AsRef<[u8]>> Model<D> {
    /// The unigram record of `word` (below the vocabulary size: callers clamp
    /// it): probability, backoff bits (`-0.0` = not a state) and whether a
    /// bigram ends with the word (the stored probability's sign bit is clear).
    #[inline(always)]
    pub(super) fn unigram(&self, word: WordId) -> (f32, u32, bool) {
        self.unigram_in::<false>(word)
    }

    /// [`Model::unigram`] in a model whose unigram records are raw f32 bits
    /// (`R`, 64-bit records: the probability's bits, then the backoff's) or
    /// not.
    #[inline(always)]
    fn unigram_in<const R: bool>(&self, word: WordId) -> (f32, u32, bool) {
        let u = &self.unigrams;
        // Both reads lie in the file for a word below the vocabulary size
        // (checked at open), so the span never clamps them.
        let Some(span) = Span::new(self.data.as_ref(), u.last_word_bit) else {
            return (0.0, (-0.0f32).to_bits(), false);
        };
        let start = u.bytes.start as u64 * 8;
        if R {
            // Whole bytes: the word read is the record.
            let record = span.word(start + u64::from(word) * 64);
            let prob = f32::from_bits(record as u32);
            return (-prob.abs(), (record >> 32) as u32, prob.is_sign_positive());
        }
        let pos = start + u64::from(word) * u.entry_bits;
        let prob = (span.word(pos) & u.prob_mask) as u32;
        let backoff = (span.word(pos + u64::from(u.prob_bits)) & u.backoff_mask) as u32;
        let prob = self.weight::<false>(&u.prob, prob);
        let backoff = self.weight::<false>(&u.backoff, backoff);
        (-prob.abs(), backoff.to_bits(), prob.is_sign_positive())
    }

    /// The byte of the unigram record of `word` (for prefetching).
    #[inline(always)]
    pub(super) fn unigram_byte(&self, word: WordId) -> usize {
        (u64::from(word) * self.unigrams.entry_bits / 8) as usize
    }

    /// The weight with code `code` in `decoder`, which is raw if `R`.
    #[inline(always)]
    pub(super) fn weight<const R: bool>(&self, decoder: &Decoder, code: u32) -> f32 {
        if R {
            return f32::from_bits(code);
        }
        decoder.decode(self.data.as_ref(), code)
    }

    /// The query of [`crate::LanguageModel::full_score`], compiled for each kind of
    /// model (highest order grouped or hashed, other tables all scanned or
    /// not), so that lookups check nothing more: checking the grouped table
    /// inside each lookup made the f32 model's queries 0.95-0.97x as fast, and
    /// the scanned tables' lookups without the run-offset code beside them
    /// take fewer instructions (see [`crate::format::table::Probe::find_payload_scanned`]).
    #[inline(always)]
    pub(super) fn query(
        &self,
        state: &State,
        word: WordId,
        ahead: Option<WordId>,
        fetch: bool,
        out: &mut State,
    ) -> FullScore {
        // The kind of f32 and q16 models tested first: a match over the four
        // kinds took 8 more instructions a query on the f32 model. Raw weights
        // (f32 models with many distinct values) saved 19 more on gen10M; raw
        // unigrams (every f32 and q16 file since `raw_unigrams` was added)
        // about 50 on the shared 4-gram, whose tables' backoffs are codes.
        if !self.grouped_top && self.scanned {
            if self.raw {
                return self.query_in::<false, true, true, true>(state, word, ahead, fetch, out);
            }
            if self.raw_unigrams {
                return self.query_in::<false, true, false, true>(state, word, ahead, fetch, out);
            }
            return self.query_in::<false, true, false, false>(state, word, ahead, fetch, out);
        }
        match (self.grouped_top, self.scanned) {
            (true, true) => {
                self.query_in::<true, true, false, false>(state, word, ahead, fetch, out)
            }
            (true, false) => {
                self.query_in::<true, false, false, false>(state, word, ahead, fetch, out)
            }
            (false, _) => {
                self.query_in::<false, false, false, false>(state, word, ahead, fetch, out)
            }
        }
    }

    /// [`Model::query`] with the highest order grouped (`G`) or hashed, every
    /// other table scanned (`S`) or not, every weight raw f32 bits (`R`) or
    /// not, the unigram records raw 64-bit words (`U`, true if `R`) or not;
    /// with `ahead`, each slot found that is a context of the next state
    /// in a hashed table also starts the fetch of that context's probe for the
    /// word `ahead` (the probe the next query makes); a context in the grouped
    /// table starts the fetch of what its lookup reads first, with or without
    /// `ahead`. With `fetch`, each table's home is prefetched as its probe is
    /// located (without, the caller prefetched them: `prefetch_query`).
    #[inline(always)]
    fn query_in<const G: bool, const S: bool, const R: bool, const U: bool>(
        &self,
        state: &State,
        word: WordId,
        ahead: Option<WordId>,
        fetch: bool,
        out: &mut State,
    ) -> FullScore {
        let word = if word < self.header.vocab_size {
            word
        } else {
            0
        };
        // At most `MAX_ORDER - 1` tables (checked at open); the clamp lets the
        // compiler drop the index checks below.
        let num_tables = self.num_tables.min(MAX_ORDER - 1);
        let mut probes = [(0, 0); MAX_ORDER - 1];
        let len = self.probes::<G>(state, word, &mut probes, fetch);
        let bytes = self.data.as_ref();
        let (mut prob, bo_bits, mut left) = self.unigram_in::<U>(word);
        out.ids[0] = word;
        out.backoffs[0] = f32::from_bits(bo_bits) + 0.0;
        out.len = u8::from(bo_bits != (-0.0f32).to_bits() && num_tables > 0);
        let mut matched = 1;
        for (j, (t, &(h, home))) in self.tables[..len].iter().zip(&probes).enumerate() {
            if !left {
                // No longer arc ends with the one matched: the match is final.
                break;
            }
            let found = if G && j + 1 == num_tables {
                let hit = self.top.find_word(bytes, h, home);
                hit.map(|hit| (hit.slot, self.top.payload_of(bytes, &hit)))
            } else if S {
                t.probe.find_payload_scanned(bytes, h, home)
            } else {
                t.probe.find_payload(bytes, h, home)
            };
            let Some((slot, p)) = found else {
                break;
            };
            prob = self.weight::<R>(&t.prob, p.prob);
            matched = j + 2;
            left = p.left;
            if j + 1 < num_tables {
                if G && j + 2 == num_tables {
                    // A grouped table's group is read by the next query: reading
                    // it here, to prefetch the arcs of `ahead`, waits for two
                    // reads at the end of this one (measured: 0.84x as fast).
                    self.top.prefetch_context(bytes, slot as u32);
                } else if let Some(next) = ahead {
                    self.locate::<G>(j + 1, slot as u32, next);
                }
                // A context of the next state (a longer one may be a state even
                // when this one is not: its backoff then counts as 0).
                out.ids[j + 1] = slot as u32;
                out.backoffs[j + 1] = if p.node {
                    self.weight::<R>(&t.backoff, p.backoff)
                } else {
                    0.0
                };
                if p.node {
                    out.len = j as u8 + 2;
                }
            }
        }
        // The backoffs of the contexts longer than the match (`len` is at most
        // `MAX_ORDER - 1`, so the indexing needs no check).
        for i in matched - 1..len {
            prob += state.backoffs[i];
        }
        FullScore {
            log10_prob: prob,
            ngram_length: matched as u8,
        }
    }

    /// Issues prefetches for every memory location `(state, word)` will probe.
    #[inline(always)]
    pub(super) fn prefetch_all(&self, state: &State, word: WordId) {
        let b = &self.data.as_ref()[self.unigrams.bytes.clone()];
        crate::format::prefetch(b, self.unigram_byte(word));
        let mut probes = [(0, 0); MAX_ORDER - 1];
        if self.grouped_top {
            self.probes::<true>(state, word, &mut probes, true);
        } else {
            self.probes::<false>(state, word, &mut probes, true);
        }
    }

    /// The lookup of `(ctx, word)` in table `j` (order `j + 2`; grouped if it
    /// is the highest and `G`), its first line prefetched: the arguments of
    /// that table's `find_word`.
    #[inline(always)]
    pub(super) fn locate<const G: bool>(&self, j: usize, ctx: u32, word: WordId) -> (u64, u64) {
        let (h, home) = self.place::<G>(j, ctx, word);
        let bytes = self.data.as_ref();
        if G && j + 1 == self.num_tables {
            self.top.prefetch(bytes, home);
        } else {
            self.tables[j].probe.prefetch(bytes, home);
        }
        (h, home)
    }

    /// [`Model::locate`] without the prefetch.
    #[inline(always)]
    fn place<const G: bool>(&self, j: usize, ctx: u32, word: WordId) -> (u64, u64) {
        if G && j + 1 == self.num_tables {
            return self.top.locate(self.data.as_ref(), ctx, word);
        }
        self.tables[j].probe.locate(ctx, word)
    }

    /// Fills `probes` with the hashed key and home slot of `(context, word)` for
    /// every order of the state's context, each home prefetched if `fetch`;
    /// returns how many orders there are.
    #[inline(always)]
    fn probes<const G: bool>(
        &self,
        state: &State,
        word: WordId,
        probes: &mut [(u64, u64); MAX_ORDER - 1],
        fetch: bool,
    ) -> usize {
        // Contexts longer than the model allows cannot come from this model;
        // clamp rather than index out of range.
        let len = (state.len as usize).min(self.num_tables.min(MAX_ORDER - 1));
        for (j, (&ctx, p)) in state.ids[..len].iter().zip(probes.iter_mut()).enumerate() {
            *p = if fetch {
                self.locate::<G>(j, ctx, word)
            } else {
                self.place::<G>(j, ctx, word)
            };
        }
        len
    }
}
