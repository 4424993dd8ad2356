//! How the completing builder finds an n-gram's context and suffix, and
//! KenLM's blanks: a missing context or suffix is added as a blank (with its
//! own suffix, recursively) and flagged as such; a blank gets its probability
//! as KenLM's probing loader gives it, from the n-gram that first needs it as
//! a suffix ([`Completer::fill_suffixes`]) or, once the file is read, from its
//! context's backoff ([`Completer::finish_blanks`]).

use std::io::{Seek, Write};

use super::{Completer, Rec, BLANK, DONE, EXTENDS, LEFT};
use crate::build::paths::PathCache;
use crate::build::reading::{Need, Stop};
use crate::vocab::WordId;
use crate::MAX_ORDER;

impl<W: Write + Seek> Completer<W> {
    /// The id of `words` (fewer than N), walking from the id of each prefix
    /// cached in `cache`; a missing prefix is added as a blank.
    pub(super) fn walk(&mut self, cache: &mut PathCache, words: &[WordId]) -> Result<u32, Stop> {
        cache.id(words, |k, ctx, _| self.find_or_blank(&words[..=k], ctx))
    }

    /// The id of `words` (2 to N - 1 of them), whose context has id `ctx`;
    /// when missing it is added as a blank, its suffix first.
    pub(super) fn find_or_blank(&mut self, words: &[WordId], ctx: u32) -> Result<u32, Stop> {
        let n = words.len();
        let word = words[n - 1];
        if let Some(found) = self.orders[n - 2].table.get(ctx, word) {
            return Ok(found);
        }
        let suffix = match n {
            2 => word,
            _ => self.walk(&mut PathCache::default(), &words[1..])?,
        };
        let blank = Rec {
            ctx,
            word,
            prob: 0.0,
            backoff: 0.0,
        };
        let i = self.orders[n - 2].add(blank, BLANK).need()?;
        self.orders[n - 2].blanks.push((i, suffix));
        self.link(n, ctx, suffix);
        Ok(i)
    }

    /// Flags the context and the suffix of an n-gram of order `n`.
    pub(super) fn link(&mut self, n: usize, ctx: u32, suffix: u32) {
        if n == 2 {
            self.unigrams[ctx as usize].extends = true;
            self.unigrams[suffix as usize].extends_left = true;
        } else {
            let below = &mut self.orders[n - 3].table;
            below.add_flags(ctx, EXTENDS);
            below.add_flags(suffix, LEFT);
        }
    }

    /// The weights `[prob, backoff]` of id `id` of order `n` (a word id for 1).
    fn weights(&self, n: usize, id: u32) -> [f32; 2] {
        if n == 1 {
            let u = &self.unigrams[id as usize];
            [u.prob, u.backoff]
        } else {
            let r = self.orders[n - 2].table.rec(id);
            [r.prob, r.backoff]
        }
    }

    pub(super) fn done(&self, n: usize, id: u32) -> bool {
        n == 1 || self.orders[n - 2].table.flags(id) & DONE != 0
    }

    /// KenLM's loader, for the file's n-gram `words` (order n >= 3): from its
    /// longest suffix that has a probability, gives each longer suffix (a
    /// blank) the backed-off sum, adding the backoffs of their contexts.
    pub(super) fn fill_suffixes(&mut self, words: &[WordId]) -> Result<(), Stop> {
        let n = words.len();
        // suffix[l]: the id of the suffix of l words.
        let mut suffix = [0u32; MAX_ORDER];
        suffix[1] = words[n - 1];
        for l in 2..n {
            suffix[l] = self.walk(&mut PathCache::default(), &words[n - l..])?;
        }
        let mut len = n - 1;
        while len >= 2 && !self.done(len, suffix[len]) {
            len -= 1;
        }
        let mut prob = -self.weights(len, suffix[len])[0].abs();
        for (l, &id) in suffix.iter().enumerate().take(n).skip(len + 1) {
            let ctx = self.orders[l - 2].table.rec(id).ctx;
            prob += self.weights(l - 1, ctx)[1];
            let order = &mut self.orders[l - 2].table;
            order.set_prob(id, prob);
            order.add_flags(id, DONE);
        }
        Ok(())
    }

    /// Gives the blanks no file n-gram filled `-|p(suffix)| + backoff(context)`,
    /// from the lowest order up, then makes every blank's probability negative.
    pub(super) fn finish_blanks(&mut self) {
        for n in 2..self.order() {
            let blanks = std::mem::take(&mut self.orders[n - 2].blanks);
            for &(i, suffix) in &blanks {
                let order = &self.orders[n - 2].table;
                if order.flags(i) & DONE == 0 {
                    let ctx = order.rec(i).ctx;
                    let prob = -self.weights(n - 1, suffix)[0].abs() + self.weights(n - 1, ctx)[1];
                    self.orders[n - 2].table.set_prob(i, prob);
                }
            }
            let order = &mut self.orders[n - 2].table;
            for &(i, _) in &blanks {
                order.set_prob(i, -order.rec(i).prob.abs());
            }
        }
    }
}
