//! Handling items a few places late, so that the memory each one's handling
//! reads at random (a table slot, a context's slot) can be fetched when the
//! item arrives and is in cache when it is handled.

/// How many items [`Late`] holds back: enough to cover a memory access with
/// the work of the items between.
pub(super) const LATE: usize = 16;

/// Items held back [`LATE`] places: the caller starts fetching what an
/// item's handling reads, [`push`](Late::push)es it and handles the item it
/// gives back; once the items end, it handles the [`rest`](Late::rest).
pub(super) struct Late<T> {
    ring: [Option<T>; LATE],
    next: usize,
}

impl<T> Default for Late<T> {
    fn default() -> Late<T> {
        Late {
            ring: std::array::from_fn(|_| None),
            next: 0,
        }
    }
}

impl<T> Late<T> {
    /// Holds `item` back; gives back the item pushed [`LATE`] pushes ago,
    /// if any.
    pub(super) fn push(&mut self, item: T) -> Option<T> {
        let due = self.ring[self.next].replace(item);
        self.next = (self.next + 1) % LATE;
        due
    }

    /// [`push`](Late::push)es `item`, handing the item due, if any, to `f`.
    pub(super) fn pass(&mut self, item: T, f: impl FnOnce(T)) {
        if let Some(due) = self.push(item) {
            f(due);
        }
    }

    /// The items held back, in the order pushed.
    pub(super) fn rest(mut self) -> impl Iterator<Item = T> {
        let next = self.next;
        (0..LATE).filter_map(move |k| self.ring[(next + k) % LATE].take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item comes out once, in the order pushed, `LATE` pushes late.
    #[test]
    fn items_come_out_in_order_late() {
        for n in [0, 1, LATE - 1, LATE, LATE + 1, 5 * LATE + 3] {
            let mut late = Late::default();
            let mut out = Vec::new();
            for i in 0..n {
                // Every other item passed to a closure.
                match i % 2 {
                    0 => late.pass(i, |due| out.push(due)),
                    _ => out.extend(late.push(i)),
                }
                assert_eq!(out.len(), (i + 1).saturating_sub(LATE));
            }
            out.extend(late.rest());
            assert_eq!(out, (0..n).collect::<Vec<_>>());
        }
    }
}
