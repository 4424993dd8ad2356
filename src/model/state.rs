//! [`State`]: what a query of a compiled model starts from and gives back.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::MAX_ORDER;

/// A query state of a compiled model: `Copy`, fixed size (60 bytes).
///
/// Two states are equal when they denote the same context.
///
/// ```
/// use dashlm::{LanguageModel, Model};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
/// let model = Model::from_bytes(bytes).unwrap();
/// let s = model.begin_sentence_state();
/// assert_eq!(s.order(), 1);
/// assert_ne!(s, model.null_context_state());
/// ```
#[derive(Clone, Copy)]
pub struct State {
    /// `ids[i]`: the state id of the context's newest `i + 1` words.
    pub(super) ids: [u32; MAX_ORDER - 1],
    /// `backoffs[i]`: the backoff of that context.
    pub(super) backoffs: [f32; MAX_ORDER - 1],
    pub(super) len: u8,
}

impl State {
    pub(super) const ROOT: State = State {
        ids: [0; MAX_ORDER - 1],
        backoffs: [0.0; MAX_ORDER - 1],
        len: 0,
    };

    /// Number of context words this state keeps (0 = empty context).
    ///
    /// ```
    /// use dashlm::{LanguageModel, Model};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap();
    /// let (begin, mut next) = (model.begin_sentence_state(), model.null_context_state());
    /// assert_eq!(model.score(&begin, model.word_id(b"the"), &mut next), -0.4);
    /// assert_eq!(next.order(), 2); // `<s> the`
    /// assert_eq!(model.null_context_state().order(), 0);
    /// ```
    pub fn order(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub(super) fn top(&self) -> u32 {
        match self.len {
            0 => 0,
            n => self.ids[(n as usize - 1).min(MAX_ORDER - 2)],
        }
    }

    /// The order and the id of the context: all that tells states apart.
    #[inline]
    pub(super) fn key(&self) -> u64 {
        u64::from(self.len) << 32 | u64::from(self.top())
    }
}

impl PartialEq for State {
    #[inline]
    fn eq(&self, other: &State) -> bool {
        self.key() == other.key()
    }
}

impl Eq for State {}

impl Hash for State {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        // One word: hashers fold each write separately.
        h.write_u64(self.key())
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "State(order {}, id {})", self.len, self.top())
    }
}
