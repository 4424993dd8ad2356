//! Writing a compiled model back out as ARPA text.

use std::io::{self, Write};

use super::{Model, TableInfo};
use crate::format::table::TableView;
use crate::lm::LanguageModel;

impl<D: AsRef<[u8]> + Send + Sync> Model<D> {
    /// Writes the model as ARPA text that reads back to a model scoring exactly
    /// like this one. Blank n-grams (added for pruned suffixes and contexts when
    /// the model was built) are written as ordinary n-grams with their stored
    /// probabilities, so counts may exceed the original file's; quantized
    /// weights are written as their codebook values.
    ///
    /// # Errors
    /// I/O errors from `out`.
    ///
    /// ```
    /// use dashlm::{arpa::NGramSet, build, LanguageModel, Model, ReferenceModel};
    /// let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (file, _) = build::compile(&set, Default::default()).unwrap();
    /// let mut bytes = Vec::new();
    /// file.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap();
    /// let mut arpa = Vec::new();
    /// model.write_arpa(&mut arpa).unwrap();
    /// let again = ReferenceModel::read(&arpa[..], "dump").unwrap();
    /// let ids: Vec<_> = ["the", "cat"].iter().map(|w| again.word_id(w.as_bytes())).collect();
    /// assert_eq!(again.score_sentence(&ids, true, true), ReferenceModel::new(set).score_sentence(&ids, true, true));
    /// ```
    pub fn write_arpa(&self, mut out: impl Write) -> io::Result<()> {
        let order = self.order();
        writeln!(out, "\\data\\")?;
        for (n, count) in self.header.counts[..order].iter().enumerate() {
            writeln!(out, "ngram {}={count}", n + 1)?;
        }
        writeln!(out, "\n\\1-grams:")?;
        for id in 0..self.header.vocab_size {
            let (prob, bo_bits, _) = self.unigram(id);
            write!(out, "{prob}\t")?;
            out.write_all(self.word(id))?;
            if order > 1 {
                write!(out, "\t{}", f32::from_bits(bo_bits) + 0.0)?;
            }
            writeln!(out)?;
        }
        let mut words = Vec::with_capacity(order);
        for n in 2..=order {
            writeln!(out, "\n\\{n}-grams:")?;
            let (view, info) = self.table(n);
            for (slot, _) in view.arcs() {
                self.arc_words(n, slot, &mut words);
                let p = view.payload(slot);
                write!(out, "{}\t", self.weight::<false>(&info.prob, p.prob))?;
                for (i, &w) in words.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b" ")?;
                    }
                    out.write_all(self.word(w))?;
                }
                if p.node {
                    write!(out, "\t{}", self.weight::<false>(&info.backoff, p.backoff))?;
                }
                writeln!(out)?;
            }
        }
        writeln!(out, "\n\\end\\")?;
        out.flush()
    }

    /// The words of the arc at `slot` of table `n`, oldest first.
    fn arc_words(&self, n: usize, slot: u64, words: &mut Vec<u32>) {
        words.clear();
        let (mut order, mut slot) = (n, slot);
        while order >= 2 {
            let s = self.table(order).0.slot(slot);
            words.push(s.word);
            if order == 2 {
                words.push(s.ctx);
            }
            slot = u64::from(s.ctx);
            order -= 1;
        }
        words.reverse();
    }

    /// The table of arcs of order `arc_order`, and its fields' weights.
    fn table(&self, arc_order: usize) -> (TableView<'_>, &TableInfo) {
        let (bytes, layout) = &self.layouts[arc_order - 2];
        (
            TableView::new(&self.data.as_ref()[bytes.clone()], layout),
            &self.tables[arc_order - 2],
        )
    }
}
