//! A seeded generator of large, realistic and valid ARPA backoff models, plus
//! query sentences sampled from them. Shared by `examples/gen_arpa.rs`,
//! `examples/bench.rs` and `benches/dashlm.rs` (included with `#[path]`).
//!
//! The model is grown order by order as a trie, so every n-gram's context is
//! an (n-1)-gram of the model by construction and n-grams are unique:
//!
//! - Unigrams: `<unk>`, `<s>`, `</s>` and pseudo-words (syllable strings) with
//!   Zipfian probabilities (exponent [`Params::zipf`]); `</s>` is the third most
//!   frequent word, `<s>` the most frequent context.
//! - Every n-gram has a latent frequency (its probability times its context's
//!   frequency). A context's fan-out (its number of continuations) is
//!   `floor(lambda * frequency^beta)` (0 = not a context: pruned), with `lambda`
//!   solved so each order gets its share of [`Params::ngrams`]; `beta` is 1 for
//!   bigrams and [`Params::fanout_exponent`] above. This gives heavy-tailed
//!   fan-outs like lmplz's: on a 5M 4-gram, 35% / 70% / 56% of the uni/bi/trigrams
//!   are contexts (real: 36 / 71 / 73%), half to three quarters of the contexts
//!   have one continuation, the largest have tens of thousands.
//! - A context `a b c` continues with words chosen, Zipf-weighted by rank, among
//!   the continuations of its suffix `b c` (as in a real Kneser-Ney model, where
//!   every n-gram's suffix is an n-gram too), except that a fraction
//!   [`Params::missing_suffix`] of the n-grams of order >= 3 take a word from the
//!   whole vocabulary instead: their suffix is absent, as after pruning.
//! - A context's continuations get a share `M` of the probability mass, split by
//!   rank with a Zipf law (exponent [`Params::child_zipf`]); `M` is log-normal
//!   around 0.2 and at least the mass the lower order gives the same words, and
//!   the backoff is `log10((1 - M) / (1 - lower mass))`: probabilities are
//!   normalized up to the approximation of the lower mass, and backoffs are
//!   negative, mostly between -0.02 and -1.5 as in lmplz output. N-grams that are
//!   not contexts get backoff 0, as lmplz writes them.
#![allow(dead_code)] // every includer uses a different part

use std::io::{self, Write};

/// No index (a missing suffix).
pub const NONE: u32 = u32::MAX;
/// Word id of `<unk>`.
pub const UNK: u32 = 0;
/// Word id of `<s>`.
pub const BOS: u32 = 1;
/// Word id of `</s>`.
pub const EOS: u32 = 2;

/// Probability of ending a sampled sentence after a word (besides `</s>` drawn
/// from the model).
const SENTENCE_END: f64 = 0.055;

/// Least probability that a sampled sentence continues its current context
/// (rather than backing off): with it, sampled queries match n-grams about as
/// long as dev.txt's do on the real 4-gram (mean matched length 2.36 of 4).
const SAMPLE_CONTINUE: f64 = 0.5;

/// Relative n-gram counts per order, from `../shared`'s pruned 4-gram
/// (251,546 / 1,088,008 / 1,828,647 / 1,795,884), extended for orders 5 to 8.
const SHARES: [f64; 8] = [1.0, 4.33, 7.27, 7.14, 6.8, 6.5, 6.2, 6.0];

/// Generator parameters.
#[derive(Clone, Debug)]
pub struct Params {
    /// Model order (1 to 8; 3 to 5 are typical).
    pub order: usize,
    /// Target total n-gram count (the result is within a fraction of a percent).
    pub ngrams: u64,
    /// Unigram count including `<unk>`, `<s>`, `</s>` (default: the share of
    /// [`Params::ngrams`] that a real pruned model has, about 5% for a 4-gram).
    pub vocab: Option<u64>,
    /// Random seed: the same parameters and seed give the same file.
    pub seed: u64,
    /// Zipf exponent of unigram frequencies.
    pub zipf: f64,
    /// Zipf exponent of continuation probabilities within a context (by rank).
    pub child_zipf: f64,
    /// Fan-out = lambda * frequency^beta for contexts of order >= 2 (lower = flatter).
    pub fanout_exponent: f64,
    /// Fraction of n-grams of order >= 3 whose suffix (n-1)-gram is absent.
    pub missing_suffix: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            order: 4,
            ngrams: 1_000_000,
            vocab: None,
            seed: 1,
            zipf: 1.0,
            child_zipf: 1.0,
            fanout_exponent: 0.7,
            missing_suffix: 0.01,
        }
    }
}

impl Params {
    /// Target n-gram count per order.
    pub fn targets(&self) -> Vec<u64> {
        let order = self.order.clamp(1, 8);
        let shares = &SHARES[..order];
        let total: f64 = shares.iter().sum();
        let mut t: Vec<u64> = shares
            .iter()
            .map(|s| (self.ngrams as f64 * s / total).round() as u64)
            .collect();
        if let Some(v) = self.vocab {
            let rest = self.ngrams.saturating_sub(v) as f64;
            let rest_total: f64 = shares[1..].iter().sum();
            t[0] = v;
            for (i, s) in shares.iter().enumerate().skip(1) {
                t[i] = (rest * s / rest_total).round() as u64;
            }
        }
        t[0] = t[0].max(4);
        t
    }
}

/// SplitMix64: tiny, seedable and stable across versions of everything.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A rank in `0..m` with P(r) roughly proportional to (r + 1)^-s (inverse CDF of
/// the continuous density).
pub fn zipf_rank(u: f64, m: usize, s: f64) -> usize {
    let m1 = m as f64 + 1.0;
    let x = if (s - 1.0).abs() < 1e-9 {
        m1.powf(u) - 1.0
    } else {
        let a = 1.0 - s;
        (1.0 + u * (m1.powf(a) - 1.0)).powf(1.0 / a) - 1.0
    };
    (x.max(0.0) as usize).min(m - 1)
}

/// The n-grams of one order, grouped by context (a trie level).
#[derive(Clone, Debug, Default)]
pub struct Level {
    /// Last word of each n-gram.
    pub words: Vec<u32>,
    /// Index of the context in the level below (empty for unigrams).
    pub parent: Vec<u32>,
    /// Index of the suffix (words 2..n) in the level below, or [`NONE`] when it is
    /// absent (empty for unigrams, whose suffix is the empty context).
    pub suf: Vec<u32>,
    /// log10 probability.
    pub prob: Vec<f32>,
    /// log10 backoff (0 for n-grams that are not contexts; empty at the top order).
    pub backoff: Vec<f32>,
    /// Probability mass of the continuations (0 when none; empty at the top order).
    pub mass: Vec<f32>,
    /// Continuations of n-gram `i` are `child_start[i]..child_start[i + 1]` in the
    /// level above (empty at the top order).
    pub child_start: Vec<u32>,
}

impl Level {
    fn children(&self, i: usize) -> std::ops::Range<usize> {
        if self.child_start.is_empty() {
            0..0
        } else {
            self.child_start[i] as usize..self.child_start[i + 1] as usize
        }
    }
}

/// Statistics of one generated order.
#[derive(Clone, Debug, Default)]
pub struct OrderStats {
    /// n-grams of this order.
    pub count: u64,
    /// How many of them are contexts of the next order.
    pub contexts: u64,
    /// Largest fan-out of a context of this order.
    pub max_fanout: u64,
    /// n-grams (of this order) whose suffix is absent.
    pub missing_suffix: u64,
    /// Median fan-out of the contexts of this order.
    pub fanout_median: u32,
    /// 99th percentile of the fan-out.
    pub fanout_p99: u32,
    /// Fraction of contexts with exactly one continuation.
    pub fanout_ones: f64,
}

/// A generated model.
pub struct Synth {
    /// The parameters it was generated with.
    pub params: Params,
    /// `levels[k]` holds the (k+1)-grams.
    pub levels: Vec<Level>,
    /// Word ids in decreasing frequency (without `<unk>` and `<s>`).
    by_rank: Vec<u32>,
    /// Per-order statistics.
    pub stats: Vec<OrderStats>,
}

const SYL_CONS: &[u8] = b"bcdfghklmnprstvw";
const SYL_VOWELS: &[u8] = b"aeiou";

/// Appends the spelling of word `id`: `<unk>`, `<s>`, `</s>`, or a pseudo-word of
/// consonant-vowel syllables (frequent words are short). Never contains `z`.
pub fn spell(id: u32, out: &mut Vec<u8>) {
    match id {
        UNK => out.extend_from_slice(b"<unk>"),
        BOS => out.extend_from_slice(b"<s>"),
        EOS => out.extend_from_slice(b"</s>"),
        _ => syllables(u64::from(id - 3) + 1, out),
    }
}

/// A word guaranteed not to be in any generated vocabulary (it starts with `z`).
pub fn spell_oov(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"zq");
    syllables(n + 1, out);
}

/// Bijective base-80 numeration of `n >= 1` in syllables (distinct n, distinct strings).
fn syllables(mut n: u64, out: &mut Vec<u8>) {
    let base = (SYL_CONS.len() * SYL_VOWELS.len()) as u64;
    while n > 0 {
        n -= 1;
        let d = (n % base) as usize;
        out.push(SYL_CONS[d / SYL_VOWELS.len()]);
        out.push(SYL_VOWELS[d % SYL_VOWELS.len()]);
        n /= base;
    }
}

enum Cands {
    Global,
    Range(usize, usize),
}

impl Synth {
    /// Generates the model for `params` (deterministic).
    pub fn generate(params: &Params) -> Synth {
        let order = params.order.clamp(1, 8);
        let targets = params.targets();
        let mut rng = Rng::new(params.seed);
        let v = targets[0] as usize;
        // Frequency ranks: words 3.. in id order, with </s> third.
        let mut by_rank: Vec<u32> = (3..v as u32).collect();
        by_rank.insert(by_rank.len().min(2), EOS);
        let weights: Vec<f64> = (0..by_rank.len())
            .map(|r| (r as f64 + 1.0).powf(-params.zipf))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut uni = Level {
            words: (0..v as u32).collect(),
            prob: vec![0.0; v],
            ..Level::default()
        };
        let mut freq = vec![0f32; v];
        for (r, &w) in by_rank.iter().enumerate() {
            let p = weights[r] / total;
            uni.prob[w as usize] = p.log10() as f32;
            if w != EOS {
                freq[w as usize] = p as f32;
            }
        }
        let min_prob = uni.prob[*by_rank.last().unwrap() as usize];
        uni.prob[UNK as usize] = min_prob - 0.5;
        uni.prob[BOS as usize] = -99.0;
        freq[BOS as usize] = (weights[0] / total) as f32;
        let mut synth = Synth {
            params: params.clone(),
            levels: vec![uni],
            by_rank,
            stats: vec![OrderStats {
                count: v as u64,
                ..OrderStats::default()
            }],
        };
        for k in 0..order - 1 {
            freq = synth.extend(k, &freq, targets[k + 1], &mut rng);
        }
        synth
    }

    /// The model order.
    pub fn order(&self) -> usize {
        self.levels.len()
    }

    /// n-grams per order.
    pub fn counts(&self) -> Vec<u64> {
        self.levels.iter().map(|l| l.words.len() as u64).collect()
    }

    /// Total n-grams.
    pub fn total(&self) -> u64 {
        self.counts().iter().sum()
    }

    /// Grows level `k + 1` from the contexts of level `k`; returns its frequencies.
    fn extend(&mut self, k: usize, freq: &[f32], target: u64, rng: &mut Rng) -> Vec<f32> {
        let p = self.params.clone();
        let beta = if k == 0 { 1.0 } else { p.fanout_exponent };
        let lv = &self.levels[k];
        let n = lv.words.len();
        let cands = |g: usize| -> Cands {
            if k == 0 {
                return Cands::Global;
            }
            match lv.suf[g] {
                NONE => Cands::Global,
                s => {
                    let r = self.levels[k - 1].children(s as usize);
                    Cands::Range(r.start, r.len())
                }
            }
        };
        let cap = |c: &Cands| match *c {
            Cands::Global => self.by_rank.len(),
            Cands::Range(_, len) => len,
        };
        // Fan-out weights and caps, then lambda by bisection on the expected total.
        let mut x = vec![0f32; n];
        let mut caps = vec![0u32; n];
        for g in 0..n {
            let c = cap(&cands(g));
            if freq[g] > 0.0 && c > 0 {
                x[g] = (f64::from(freq[g])).powf(beta) as f32;
                caps[g] = c.min(u32::MAX as usize) as u32;
            }
        }
        let expected = |lambda: f64| -> f64 {
            x.iter()
                .zip(&caps)
                .map(|(&x, &c)| (lambda * f64::from(x)).floor().min(f64::from(c)))
                .sum()
        };
        let target = target as f64;
        let (mut lo, mut hi) = (0f64, 1f64);
        while expected(hi) < target && hi < 1e30 {
            lo = hi;
            hi *= 16.0;
        }
        for _ in 0..48 {
            let mid = if lo == 0.0 {
                hi / 2.0
            } else {
                (lo * hi).sqrt()
            };
            if expected(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let lambda = hi;

        let top = k + 2 == p.order.clamp(1, 8);
        let mut next = Level::default();
        let mut next_freq = Vec::new();
        let mut child_start = Vec::with_capacity(n + 1);
        let mut mass = vec![0f32; n];
        let mut backoff = vec![0f32; n];
        let mut picked: Vec<(u32, u32)> = Vec::new();
        let mut seen = hashbrown::HashSet::<u32>::new();
        let mut weights: Vec<f64> = Vec::new();
        let mut stats = OrderStats::default();
        let mut fans: Vec<u32> = Vec::new();
        for g in 0..n {
            child_start.push(next.words.len() as u32);
            // Rounded down: contexts whose fan-out would be below 1 are pruned.
            let fan = (lambda * f64::from(x[g])).floor().min(f64::from(caps[g])) as usize;
            if fan == 0 {
                continue;
            }
            fans.push(fan as u32);
            let c = cands(g);
            self.pick(k, &c, fan, rng, &mut seen, &mut picked);
            // Mass of the lower order on the same words.
            let lower: f64 = picked
                .iter()
                .map(|&(w, s)| {
                    let lp = if s == NONE || k == 0 {
                        self.levels[0].prob[w as usize]
                    } else {
                        self.levels[k].prob[s as usize]
                    };
                    10f64.powf(f64::from(lp))
                })
                .sum::<f64>()
                .min(0.99);
            let drawn = 10f64.powf(-(0.7 + 0.55 * rng.normal()).abs());
            let m = drawn.max((lower * 1.05 + 0.005).min(0.995));
            mass[g] = m as f32;
            backoff[g] = ((1.0 - m) / (1.0 - lower)).log10().clamp(-4.0, -1e-4) as f32;
            weights.clear();
            weights.extend((0..fan).map(|i| (i as f64 + 1.0).powf(-p.child_zipf)));
            let wsum: f64 = weights.iter().sum();
            stats.contexts += 1;
            stats.max_fanout = stats.max_fanout.max(fan as u64);
            for (i, &(w, s)) in picked.iter().enumerate() {
                let prob = m * weights[i] / wsum;
                next.words.push(w);
                next.parent.push(g as u32);
                next.suf.push(s);
                next.prob.push(prob.log10() as f32);
                next_freq.push(if w == EOS {
                    0.0
                } else {
                    (f64::from(freq[g]) * prob) as f32
                });
            }
        }
        child_start.push(next.words.len() as u32);
        let count = next.words.len();
        if !top {
            next.backoff = vec![0.0; count];
            next.mass = vec![0.0; count];
        }
        let lv = &mut self.levels[k];
        lv.child_start = child_start;
        lv.mass = mass;
        lv.backoff = backoff;
        fans.sort_unstable();
        let st = &mut self.stats[k];
        st.contexts = stats.contexts;
        st.max_fanout = stats.max_fanout;
        if !fans.is_empty() {
            let q = |f: f64| fans[((fans.len() - 1) as f64 * f) as usize];
            st.fanout_median = q(0.5);
            st.fanout_p99 = q(0.99);
            st.fanout_ones = fans.iter().filter(|&&f| f == 1).count() as f64 / fans.len() as f64;
        }
        let missing = next.suf.iter().filter(|&&s| s == NONE).count() as u64;
        self.stats.push(OrderStats {
            count: count as u64,
            missing_suffix: if k == 0 { 0 } else { missing },
            ..OrderStats::default()
        });
        self.levels.push(next);
        next_freq
    }

    /// Chooses `fan` distinct continuation words for a context of level `k`:
    /// `(word, index of the suffix n-gram in level k or NONE)`, most probable first.
    fn pick(
        &self,
        k: usize,
        c: &Cands,
        fan: usize,
        rng: &mut Rng,
        seen: &mut hashbrown::HashSet<u32>,
        out: &mut Vec<(u32, u32)>,
    ) {
        out.clear();
        seen.clear();
        let m = match *c {
            Cands::Global => self.by_rank.len(),
            Cands::Range(_, len) => len,
        };
        // Candidate `r`: (word, index of the suffix n-gram in level k or NONE).
        let word = |r: usize| match *c {
            Cands::Global => {
                let w = self.by_rank[r];
                (w, if k == 0 { w } else { NONE })
            }
            Cands::Range(start, _) => (self.levels[k].words[start + r], (start + r) as u32),
        };
        if fan * 2 >= m {
            out.extend((0..fan).map(word));
            return;
        }
        let small = fan <= 16;
        let insert = |w: u32, out: &Vec<(u32, u32)>, seen: &mut hashbrown::HashSet<u32>| {
            if small {
                !out.iter().any(|&(x, _)| x == w)
            } else {
                seen.insert(w)
            }
        };
        let missing = k >= 1 && matches!(c, Cands::Range(..)) && self.params.missing_suffix > 0.0;
        let mut attempts = 0usize;
        while out.len() < fan {
            attempts += 1;
            if attempts > 8 * fan + 64 {
                for r in 0..m {
                    if out.len() == fan {
                        break;
                    }
                    let (w, s) = word(r);
                    if insert(w, out, seen) {
                        out.push((w, s));
                    }
                }
                break;
            }
            if missing && rng.f64() < self.params.missing_suffix {
                let r = zipf_rank(rng.f64(), self.by_rank.len(), self.params.zipf);
                let w = self.by_rank[r];
                if insert(w, out, seen) {
                    out.push((w, NONE));
                }
                continue;
            }
            let (w, s) = word(zipf_rank(rng.f64(), m, self.params.child_zipf));
            if insert(w, out, seen) {
                out.push((w, s));
            }
        }
    }

    /// The context to predict from after n-gram `i` of level `k`: the longest
    /// suffix that has continuations (`None` = the empty context).
    fn next_context(&self, mut k: usize, mut i: usize) -> Option<(usize, usize)> {
        loop {
            if k + 1 < self.levels.len() && !self.levels[k].children(i).is_empty() {
                return Some((k, i));
            }
            if k == 0 {
                return None;
            }
            match self.levels[k].suf[i] {
                NONE => {
                    i = self.levels[k].words[i] as usize;
                    k = 0;
                }
                s => {
                    i = s as usize;
                    k -= 1;
                }
            }
        }
    }

    /// Samples a sentence (word ids, without `<s>`/`</s>`, at most `max_len`
    /// words, at least one) by walking the model: from the current context, a
    /// continuation with probability max(the context's mass, 0.5), else back off;
    /// the sentence ends at `</s>` or, with probability 5.5% after each word, early.
    pub fn sample_sentence(&self, rng: &mut Rng, max_len: usize) -> Vec<u32> {
        loop {
            let mut out = Vec::new();
            let mut ctx = self.next_context(0, BOS as usize);
            while out.len() < max_len {
                let (k, i) = loop {
                    match ctx {
                        None => {
                            let w = self.by_rank
                                [zipf_rank(rng.f64(), self.by_rank.len(), self.params.zipf)];
                            break (0, w as usize);
                        }
                        Some((k, i)) => {
                            let range = self.levels[k].children(i);
                            let go_on = f64::from(self.levels[k].mass[i]).max(SAMPLE_CONTINUE);
                            if !range.is_empty() && rng.f64() < go_on {
                                let r = zipf_rank(rng.f64(), range.len(), self.params.child_zipf);
                                break (k + 1, range.start + r);
                            }
                            ctx = if k == 0 {
                                None
                            } else {
                                match self.levels[k].suf[i] {
                                    NONE => self.next_context(0, self.levels[k].words[i] as usize),
                                    s => self.next_context(k - 1, s as usize),
                                }
                            };
                        }
                    }
                };
                let w = self.levels[k].words[i];
                if w == EOS {
                    break;
                }
                out.push(w);
                // Stop early now and then, so that sentences average about 11
                // words as in ../shared/data/queries/dev.txt.
                if rng.f64() < SENTENCE_END {
                    break;
                }
                ctx = self.next_context(k, i);
            }
            if !out.is_empty() {
                return out;
            }
        }
    }

    /// Writes `sentences` sampled sentences, one per line, replacing a fraction
    /// `oov_rate` of the words by words not in the model.
    pub fn write_sentences(
        &self,
        out: &mut impl Write,
        sentences: usize,
        oov_rate: f64,
        seed: u64,
    ) -> io::Result<u64> {
        let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
        let mut line = Vec::new();
        let mut words = 0u64;
        for _ in 0..sentences {
            line.clear();
            for (j, w) in self.sample_sentence(&mut rng, 40).into_iter().enumerate() {
                if j > 0 {
                    line.push(b' ');
                }
                if rng.f64() < oov_rate {
                    spell_oov(rng.next_u64() % 1_000_000, &mut line);
                } else {
                    spell(w, &mut line);
                }
                words += 1;
            }
            line.push(b'\n');
            out.write_all(&line)?;
        }
        Ok(words)
    }

    /// Writes the model as ARPA text.
    pub fn write_arpa(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "\\data\\")?;
        for (n, l) in self.levels.iter().enumerate() {
            writeln!(out, "ngram {}={}", n + 1, l.words.len())?;
        }
        let order = self.levels.len();
        let mut line = Vec::with_capacity(256);
        let mut ids = vec![0u32; order];
        for (k, l) in self.levels.iter().enumerate() {
            writeln!(out, "\n\\{}-grams:", k + 1)?;
            for i in 0..l.words.len() {
                // Words oldest first, through the parent chain.
                let mut j = i;
                for lev in (0..=k).rev() {
                    ids[lev] = self.levels[lev].words[j];
                    if lev > 0 {
                        j = self.levels[lev].parent[j] as usize;
                    }
                }
                line.clear();
                write!(line, "{}\t", l.prob[i])?;
                for (t, &w) in ids[..=k].iter().enumerate() {
                    if t > 0 {
                        line.push(b' ');
                    }
                    spell(w, &mut line);
                }
                if k + 1 < order {
                    let b = l.backoff[i];
                    if b == 0.0 {
                        line.extend_from_slice(b"\t0");
                    } else {
                        write!(line, "\t{b}")?;
                    }
                }
                line.push(b'\n');
                out.write_all(&line)?;
            }
        }
        writeln!(out, "\n\\end\\")
    }

    /// The ARPA text as bytes (for small models).
    pub fn arpa_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_arpa(&mut v).expect("writing to memory");
        v
    }

    /// The words of `ids` (for small query sets built in memory).
    pub fn words(&self, ids: &[u32]) -> Vec<Vec<u8>> {
        ids.iter()
            .map(|&w| {
                let mut s = Vec::new();
                spell(w, &mut s);
                s
            })
            .collect()
    }
}
