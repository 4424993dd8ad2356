//! [`Scores`]: a hypothesis' named extra scores ([`Hypothesis::extra`]), a
//! small map from names to values.
//!
//! Every hypothesis has such a set, usually of one to five entries (the
//! recognizer's `decoder_total`; `new_lm` and `total` after rescoring), and a
//! program holds millions of hypotheses. So the layout is the smallest that
//! keeps a `BTreeMap<String, f64>`'s semantics (unique names, ascending byte
//! order):
//!
//! - one `Vec` of `(name, value)` entries (24 bytes each), sorted by name and
//!   found by binary search: no allocation for an empty set, one for the
//!   entries. Its capacity grows one entry at a time up to eight entries (a
//!   set of three takes three entries' room, not the four a `Vec` reserves),
//!   by doubling beyond, so that a large set is not copied per insert. An
//!   insert moves the entries after it: a few at most in sets this small.
//! - names as `Arc<str>`, so that one name is shared rather than allocated
//!   per hypothesis: the JSONL reader (both its paths) allocates each name
//!   once per line, which its hypotheses share (lines are parsed in
//!   parallel, each on its own; a bounded cache, so a line of many distinct
//!   names costs no more than before); the SRILM and Kaldi readers once per
//!   score file; the rescorer its four names once for the process. No
//!   global table: nothing shared between threads but reference counts, and
//!   nothing kept after the lists are dropped.
//!
//! A `BTreeMap<String, f64>` took a node of about 370 bytes plus a string
//! per name for every hypothesis with a score: rescoring synth-dev's 7,050
//! hypotheses (one score each, two added) peaked at 6.3 MB of heap, 4.0 MB
//! with this layout.
//!
//! [`Hypothesis::extra`]: super::Hypothesis::extra
//!
//! ```
//! use dashlm::rescore::Scores;
//! let mut s = Scores::new();
//! assert_eq!(s.insert("total".into(), -3.5), None);
//! assert_eq!(s.insert("conf".into(), 0.5), None);
//! assert_eq!(s.insert("total".into(), -2.5), Some(-3.5));
//! assert_eq!(s.keys().collect::<Vec<_>>(), ["conf", "total"]);
//! assert_eq!((s["total"], s.get("lm")), (-2.5, None));
//! ```

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

/// The most entries a [`Scores`] grows to one at a time (exactly as many as
/// it holds); a larger set grows by doubling, so that inserting `n` entries
/// does not copy the set `n` times.
const EXACT_UP_TO: usize = 8;

/// Named scores: unique names, iterated in ascending byte order of the name,
/// as a `BTreeMap<String, f64>` (see the [module](self) docs for the layout).
///
/// ```
/// use dashlm::rescore::Scores;
/// let s: Scores = [("b", 2.0), ("a", 1.0), ("b", 3.0)].into_iter().collect();
/// assert_eq!(s.iter().collect::<Vec<_>>(), [("a", &1.0), ("b", &3.0)]);
/// assert_eq!(format!("{s:?}"), r#"{"a": 1.0, "b": 3.0}"#);
/// assert_eq!(s, s.clone());
/// assert!(Scores::default().is_empty());
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Scores {
    /// The entries, sorted by name, names unique.
    entries: Vec<(Arc<str>, f64)>,
}

impl Scores {
    /// No scores (no allocation).
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Scores::new().len(), 0);
    /// ```
    pub const fn new() -> Scores {
        Scores {
            entries: Vec::new(),
        }
    }

    /// The number of scores.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no scores.
    ///
    /// ```
    /// assert!(dashlm::rescore::Scores::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `name` is (`Ok`), or would be inserted (`Err`).
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(name))
    }

    /// The score named `name`.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert_eq!((s.get("a"), s.get("b")), (Some(&1.0), None));
    /// ```
    pub fn get(&self, name: &str) -> Option<&f64> {
        self.find(name).ok().map(|i| &self.entries[i].1)
    }

    /// Whether there is a score named `name`.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert!(s.contains_key("a") && !s.contains_key("A"));
    /// ```
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets score `name` to `value`, returning its old value if it had one
    /// (the name kept is then the old one). The name is an `Arc<str>`: pass a
    /// shared name to share it (`"conf".into()` allocates one).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mut s = dashlm::rescore::Scores::new();
    /// let conf: Arc<str> = "conf".into();
    /// assert_eq!(s.insert(conf.clone(), 0.5), None);
    /// assert_eq!(s.insert(conf, 0.25), Some(0.5));
    /// assert_eq!(s.insert("a".into(), 1.0), None);
    /// assert_eq!(s.keys().collect::<Vec<_>>(), ["a", "conf"]);
    /// ```
    pub fn insert(&mut self, name: Arc<str>, value: f64) -> Option<f64> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                let len = self.entries.len();
                if len == self.entries.capacity() && len < EXACT_UP_TO {
                    self.entries.reserve_exact(1);
                }
                self.entries.insert(i, (name, value));
                None
            }
        }
    }

    /// Makes room for `additional` more entries at once (exactly, so that a
    /// few known inserts reallocate once, not once each).
    ///
    /// ```
    /// let mut s = dashlm::rescore::Scores::new();
    /// s.reserve(2);
    /// s.insert("new_lm".into(), -1.5);
    /// s.insert("total".into(), -2.5);
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve_exact(additional);
    }

    /// Removes score `name`, returning its value if it had one.
    ///
    /// ```
    /// let mut s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert_eq!((s.remove("a"), s.remove("a")), (Some(1.0), None));
    /// ```
    pub fn remove(&mut self, name: &str) -> Option<f64> {
        self.find(name).ok().map(|i| self.entries.remove(i).1)
    }

    /// Removes every score (keeping the allocation).
    ///
    /// ```
    /// let mut s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// s.clear();
    /// assert!(s.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The names and scores, by name.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("b", 2.0), ("a", 1.0)].into_iter().collect();
    /// assert_eq!(s.iter().next(), Some(("a", &1.0)));
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// The names, in ascending byte order.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("b", 2.0), ("B", 1.0)].into_iter().collect();
    /// assert_eq!(s.keys().collect::<Vec<_>>(), ["B", "b"]);
    /// ```
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| &**k)
    }

    /// The scores, in their names' order.
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("b", 2.0), ("a", 1.0)].into_iter().collect();
    /// assert_eq!(s.values().collect::<Vec<_>>(), [&1.0, &2.0]);
    /// ```
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &f64> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl Index<&str> for Scores {
    type Output = f64;

    /// The score named `name`.
    ///
    /// # Panics
    /// When there is none (as a `BTreeMap` does).
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert_eq!(s["a"], 1.0);
    /// assert!(std::panic::catch_unwind(|| s["b"]).is_err());
    /// ```
    fn index(&self, name: &str) -> &f64 {
        match self.get(name) {
            Some(v) => v,
            None => panic!("no score named {name:?}"),
        }
    }
}

impl<N: Into<Arc<str>>> FromIterator<(N, f64)> for Scores {
    /// Collects named scores (`&str`, `String` or `Arc<str>` names); of a
    /// name given twice, the last value is kept, as by repeated inserts.
    ///
    /// ```
    /// use dashlm::rescore::Scores;
    /// let s: Scores = vec![("b".to_string(), 1.0), ("a".to_string(), 2.0), ("b".to_string(), 3.0)].into_iter().collect();
    /// assert_eq!(s.iter().collect::<Vec<_>>(), [("a", &2.0), ("b", &3.0)]);
    /// ```
    fn from_iter<I: IntoIterator<Item = (N, f64)>>(iter: I) -> Scores {
        let mut entries: Vec<(Arc<str>, f64)> =
            iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        // Stable: of equal names, the later comes later, and its value is
        // moved into the first.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 = later.1;
            }
            same
        });
        entries.shrink_to_fit();
        Scores { entries }
    }
}

impl fmt::Debug for Scores {
    /// As a map (`{"a": 1.0}`, as a `BTreeMap<String, f64>` prints).
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// assert_eq!(format!("{s:?}"), r#"{"a": 1.0}"#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Scores {
    type Item = (&'a str, &'a f64);
    type IntoIter = Iter<'a>;

    /// [`Scores::iter`].
    ///
    /// ```
    /// let s: dashlm::rescore::Scores = [("a", 1.0)].into_iter().collect();
    /// for (name, &v) in &s {
    ///     assert_eq!((name, v), ("a", 1.0));
    /// }
    /// ```
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The names and values of a [`Scores`], by name ([`Scores::iter`]).
///
/// ```
/// let s: dashlm::rescore::Scores = [("a", 1.0), ("b", 2.0)].into_iter().collect();
/// let mut it = s.iter();
/// assert_eq!((it.len(), it.next(), it.next_back()), (2, Some(("a", &1.0)), Some(("b", &2.0))));
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a>(std::slice::Iter<'a, (Arc<str>, f64)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a f64);

    fn next(&mut self) -> Option<(&'a str, &'a f64)> {
        self.0.next().map(|(k, v)| (&**k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&**k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Names a reader has seen, each allocated once: [`Names::get`] gives a name
/// seen before as another reference to the same `Arc<str>`. A reader keeps
/// one while reading a line, whose hypotheses give the same few names.
#[derive(Default)]
pub(crate) struct Names(Vec<Arc<str>>);

impl Names {
    /// The most names kept: a lookup compares at most this many, so a
    /// hostile line of many distinct names costs an allocation per name, as
    /// before, not a long search per name.
    const MAX: usize = 64;

    /// `name`, shared with its earlier copies.
    pub(crate) fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.0.iter().find(|k| ***k == *name) {
            return Arc::clone(known);
        }
        let new: Arc<str> = name.into();
        if self.0.len() < Names::MAX {
            self.0.push(Arc::clone(&new));
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::super::{jsonl, kaldi, srilm, Hypothesis, NbestList, Rescorer, Weights};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(String, f64),
        Remove(String),
        Get(String),
    }

    /// Names that sort differently by bytes than by letters (`B` before `a`,
    /// `é` after `z`), prefixes of each other, and the empty name.
    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", "a", "ab", "b", "B", "z", "é", "a\u{0}", "total"])
            .prop_map(str::to_string)
    }

    fn op() -> impl Strategy<Value = Op> {
        let value = prop_oneof![Just(f64::NAN), Just(-0.0), any::<f64>()];
        prop_oneof![
            3 => (name(), value).prop_map(|(k, v)| Op::Insert(k, v)),
            1 => name().prop_map(Op::Remove),
            1 => name().prop_map(Op::Get),
        ]
    }

    /// A value compared by its bits (a NaN equals itself, -0.0 is not 0.0).
    fn bits(v: Option<&f64>) -> Option<u64> {
        v.map(|v| v.to_bits())
    }

    fn same(s: &Scores, m: &BTreeMap<String, f64>) -> bool {
        let ours: Vec<(&str, u64)> = s.iter().map(|(k, v)| (k, v.to_bits())).collect();
        let theirs: Vec<(&str, u64)> = m.iter().map(|(k, v)| (k.as_str(), v.to_bits())).collect();
        ours == theirs
            && s.len() == m.len()
            && s.is_empty() == m.is_empty()
            && s.keys().eq(m.keys().map(String::as_str))
            && s.values()
                .map(|v| v.to_bits())
                .eq(m.values().map(|v| v.to_bits()))
            && s.iter()
                .rev()
                .map(|(k, _)| k)
                .eq(m.keys().rev().map(String::as_str))
            && format!("{s:?}") == format!("{m:?}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn scores_behave_as_a_btreemap(ops in prop::collection::vec(op(), 0..40)) {
            let mut s = Scores::new();
            let mut m: BTreeMap<String, f64> = BTreeMap::new();
            let mut inserted = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        inserted.push((k.clone(), v));
                        let ours = s.insert(k.as_str().into(), v);
                        prop_assert_eq!(bits(ours.as_ref()), bits(m.insert(k, v).as_ref()));
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(bits(s.remove(&k).as_ref()), bits(m.remove(&k).as_ref()));
                    }
                    Op::Get(k) => {
                        prop_assert_eq!(bits(s.get(&k)), bits(m.get(&k)));
                        prop_assert_eq!(s.contains_key(&k), m.contains_key(&k));
                        if let Some(v) = m.get(&k) {
                            prop_assert_eq!(s[k.as_str()].to_bits(), v.to_bits());
                        }
                    }
                }
                prop_assert!(same(&s, &m), "{s:?} vs {m:?}");
                prop_assert!(same(&s.clone(), &m));
            }
            // Collected, the pairs give what inserting them one by one gives
            // (without the removals).
            let collected: Scores = inserted.iter().cloned().collect();
            let map: BTreeMap<String, f64> = inserted.into_iter().collect();
            prop_assert!(same(&collected, &map));
        }
    }

    #[test]
    fn capacity_is_exact_for_small_sets_and_doubles_beyond() {
        let mut s = Scores::new();
        assert_eq!(s.entries.capacity(), 0);
        for i in 0..EXACT_UP_TO {
            s.insert(format!("{i:02}").into(), 0.0);
            assert_eq!(s.entries.capacity(), i + 1);
        }
        s.insert("x".into(), 0.0);
        assert_eq!(s.entries.capacity(), 2 * EXACT_UP_TO);
        // A replaced value does not grow the set.
        s.insert("x".into(), 1.0);
        assert_eq!(
            (s.len(), s.entries.capacity()),
            (EXACT_UP_TO + 1, 2 * EXACT_UP_TO)
        );
    }

    /// Whether the hypotheses of `lists` all have the first one's names, each
    /// the same allocation.
    fn names_shared(lists: &[NbestList]) -> bool {
        let mut hyps = lists.iter().flat_map(|l| &l.hyps);
        let first = &hyps.next().expect("a hypothesis").extra.entries;
        let same = |h: &Hypothesis| {
            let e = &h.extra.entries;
            e.len() == first.len() && e.iter().zip(first).all(|(a, b)| Arc::ptr_eq(&a.0, &b.0))
        };
        !first.is_empty() && hyps.all(same)
    }

    #[test]
    fn readers_and_the_rescorer_share_names() {
        // A line of the JSONL fast path, and one of its `Value` path (an
        // escaped key): names shared within the line.
        for conf in ["conf", "c\\u006fnf"] {
            let line = format!(
                r#"{{"id": "u", "hyps": [{{"words": "a", "acoustic": -1, "{conf}": 0.5}}, {{"words": "b", "acoustic": -2, "conf": 0.25}}]}}"#
            );
            let lists = jsonl::read(line.as_bytes(), "x.jsonl").unwrap();
            assert!(names_shared(&lists), "{line}");
        }
        // SRILM and Kaldi directories: shared by all the lists.
        let lists: Vec<NbestList> = ["u", "v"]
            .map(|id| {
                let h = |w, v| Hypothesis::new(w, -1.0).with_lm(-2.0).with_extra("conf", v);
                NbestList::new(id)
                    .with_hyp(h("a", 0.5))
                    .with_hyp(h("b", 0.25))
            })
            .into();
        let dir = tempfile::tempdir().unwrap();
        let (s, k) = (dir.path().join("s"), dir.path().join("k"));
        srilm::write_dir(&s, &lists).unwrap();
        kaldi::write_dir(&k, &lists).unwrap();
        let read = [srilm::read_dir(&s).unwrap(), kaldi::read_dir(&k).unwrap()];
        for back in &read {
            let extras = |l: &[NbestList]| -> Vec<Scores> {
                l.iter()
                    .flat_map(|l| &l.hyps)
                    .map(|h| h.extra.clone())
                    .collect()
            };
            assert_eq!(extras(back), extras(&lists));
            assert!(names_shared(back));
        }
        // The rescorer's names, with and without MBR: shared by all the lists.
        let arpa = &include_bytes!("../../data/tiny.arpa")[..];
        let lm = crate::ReferenceModel::read(arpa, "tiny").unwrap();
        let rescorer = || Rescorer::new(&lm, Weights::default());
        for r in [rescorer(), rescorer().with_mbr(1.0)] {
            let ranked: Vec<NbestList> = read[0]
                .iter()
                .map(|l| r.rescore(l).apply(l, None))
                .collect();
            assert!(names_shared(&ranked));
        }
    }

    #[test]
    fn names_are_shared_up_to_max() {
        let mut names = Names::default();
        let a = names.get("decoder_total");
        assert!(Arc::ptr_eq(&a, &names.get("decoder_total")));
        for i in 0..2 * Names::MAX {
            let n = i.to_string();
            assert_eq!(*names.get(&n), *n);
        }
        assert_eq!(names.0.len(), Names::MAX);
        let late = (2 * Names::MAX).to_string();
        assert!(!Arc::ptr_eq(&names.get(&late), &names.get(&late)));
        assert!(Arc::ptr_eq(&a, &names.get("decoder_total")));
    }
}
