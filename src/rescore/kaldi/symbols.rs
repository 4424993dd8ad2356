//! Kaldi symbol tables (`words.txt`) and transcriptions as word ids.
//!
//! `nbest-to-linear` writes each hypothesis' words as integer ids
//! (`utt1-1 4 17 9`), the ids of the language directory's `words.txt`, an
//! OpenFst text symbol table of `symbol id` lines (`the 4`). Id 0 is epsilon
//! (`<eps>`), never a word of a transcription.
//!
//! ```
//! use dashlm::rescore::kaldi::SymbolTable;
//! let table = SymbolTable::read(&b"<eps> 0\nthe 1\ncat 2\n"[..], "words.txt").unwrap();
//! assert_eq!(table.word(2), Some("cat"));
//! assert_eq!(table.transcription("1 2").unwrap(), "the cat");
//! assert!(table.transcription("1 7").is_err()); // 7 is not in the table
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use super::super::error::{NbestError, NbestErrorKind};
use super::super::text_input::read_lines;

/// A Kaldi (OpenFst) text symbol table: word ids to words, and words to ids.
///
/// ```
/// use dashlm::rescore::kaldi::SymbolTable;
/// let table = SymbolTable::read(&b"<eps> 0\nthe 1\ncat 2\n"[..], "words.txt").unwrap();
/// assert_eq!((table.id("cat"), table.word(1)), (Some(2), Some("the")));
/// assert_eq!(table.source(), "words.txt");
/// ```
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    words: HashMap<u64, Box<str>>,
    /// Words to ids, made on the first [`SymbolTable::id`] (readers need
    /// only ids to words).
    ids: OnceLock<HashMap<Box<str>, u64>>,
    /// The file it was read from, named in errors.
    source: String,
}

/// `token` as a symbol id: ASCII digits only (no sign), within 64 bits.
fn parse_id(token: &str) -> Option<u64> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| token.parse().ok()).flatten()
}

impl SymbolTable {
    /// Reads `symbol id` lines (blank lines are skipped, as OpenFst does).
    ///
    /// # Errors
    /// A line that is not two fields, an id that is not a non-negative
    /// integer, an id given twice, or a read error; each with its line of
    /// `source`.
    ///
    /// ```
    /// use dashlm::rescore::kaldi::SymbolTable;
    /// let table = SymbolTable::read(&b"<eps>\t0\nhello 1\n"[..], "words.txt").unwrap();
    /// assert_eq!((table.len(), table.word(1)), (2, Some("hello")));
    /// let err = SymbolTable::read(&b"a 1\nb 1\n"[..], "words.txt").unwrap_err();
    /// assert!(err.to_string().starts_with("words.txt:2: expected an id not given before"));
    /// ```
    pub fn read<R: std::io::BufRead>(input: R, source: &str) -> Result<Self, NbestError> {
        let mut words: HashMap<u64, Box<str>> = HashMap::new();
        let mut first_line = HashMap::new();
        read_lines(input, source, |line, line_no| {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let &[word, id] = &fields[..] else {
                return Err(NbestErrorKind::Syntax {
                    expected: "`symbol id`, two fields (a line of a symbol table such as \
                               Kaldi's words.txt)",
                    found: format!("{} fields: `{line}`", fields.len()),
                });
            };
            let id = parse_id(id).ok_or_else(|| NbestErrorKind::Syntax {
                expected: "a non-negative integer id after the symbol",
                found: format!("`{id}`"),
            })?;
            if let Some(before) = first_line.insert(id, line_no) {
                return Err(NbestErrorKind::Syntax {
                    expected: "an id not given before",
                    found: format!("id {id} again (first on line {before})"),
                });
            }
            words.insert(id, word.into());
            Ok(())
        })?;
        Ok(SymbolTable {
            words,
            ids: OnceLock::new(),
            source: source.to_string(),
        })
    }

    /// [`SymbolTable::read`] on a file (plain, .gz or .xz).
    ///
    /// # Errors
    /// As [`SymbolTable::read`], plus failing to open the file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("words.txt");
    /// std::fs::write(&path, "<eps> 0\nyes 1\n").unwrap();
    /// let table = dashlm::rescore::kaldi::SymbolTable::read_path(&path).unwrap();
    /// assert_eq!(table.word(1), Some("yes"));
    /// ```
    pub fn read_path(path: &Path) -> Result<Self, NbestError> {
        let name = crate::arpa::input_name(path);
        let input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
        Self::read(input.reader, &name)
    }

    /// The word of `id`, if the table has it.
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b"a 3\n"[..], "t").unwrap();
    /// assert_eq!((table.word(3), table.word(4)), (Some("a"), None));
    /// ```
    pub fn word(&self, id: u64) -> Option<&str> {
        self.words.get(&id).map(|w| &**w)
    }

    /// The id of `word`, if the table has it (the smallest, if it gives the
    /// word more than one).
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b"a 3\nb 5\na 4\n"[..], "t").unwrap();
    /// assert_eq!((table.id("a"), table.id("b"), table.id("c")), (Some(3), Some(5), None));
    /// ```
    pub fn id(&self, word: &str) -> Option<u64> {
        let ids = self.ids.get_or_init(|| {
            let mut ids = HashMap::with_capacity(self.words.len());
            for (&id, word) in &self.words {
                let kept = ids.entry(word.clone()).or_insert(id);
                *kept = id.min(*kept);
            }
            ids
        });
        ids.get(word).copied()
    }

    /// Writes the table as `symbol id` lines in order of id, as OpenFst
    /// writes a text symbol table (it reads back equal).
    ///
    /// # Errors
    /// Any I/O error.
    ///
    /// ```
    /// use dashlm::rescore::kaldi::SymbolTable;
    /// let table = SymbolTable::read(&b"b 2\n<eps> 0\na 1\n"[..], "t").unwrap();
    /// let mut out = Vec::new();
    /// table.write(&mut out).unwrap();
    /// assert_eq!(out, b"<eps> 0\na 1\nb 2\n");
    /// ```
    pub fn write<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let mut ids: Vec<u64> = self.words.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            writeln!(out, "{} {id}", self.words[&id])?;
        }
        Ok(())
    }

    /// The file the table was read from (the `source` it was read as).
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b""[..], "lang/words.txt").unwrap();
    /// assert_eq!(table.source(), "lang/words.txt");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many ids the table has.
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b""[..], "t").unwrap();
    /// assert!(table.is_empty() && table.len() == 0);
    /// ```
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the table is empty.
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b"a 1\n"[..], "t").unwrap();
    /// assert!(!table.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words of `ids`, a transcription as whitespace-separated word ids,
    /// joined by single spaces.
    ///
    /// # Errors
    /// A token that is not an id, an id the table does not have, or id 0
    /// (epsilon in Kaldi's tables, which no transcription holds); a
    /// transcription longer than [`MAX_LINE_BYTES`](crate::rescore::MAX_LINE_BYTES)
    /// once its words are in.
    ///
    /// ```
    /// let table = dashlm::rescore::kaldi::SymbolTable::read(&b"<eps> 0\nok 1\n"[..], "w").unwrap();
    /// assert_eq!(table.transcription(" 1  1 ").unwrap(), "ok ok");
    /// let err = table.transcription("1 0").unwrap_err().to_string();
    /// assert_eq!(err, "`0` is not a word id of w: 0 is epsilon (`<eps>`) in Kaldi's symbol tables, never a word");
    /// assert!(table.transcription("ok").is_err());
    /// ```
    pub fn transcription(&self, ids: &str) -> Result<String, NbestErrorKind> {
        self.transcription_within(ids, crate::rescore::MAX_LINE_BYTES)
    }

    /// [`SymbolTable::transcription`], refusing one longer than `max` bytes.
    fn transcription_within(&self, ids: &str, max: usize) -> Result<String, NbestErrorKind> {
        let mut out = String::with_capacity(ids.len() * 3);
        for token in ids.split_ascii_whitespace() {
            let refused = |why| NbestErrorKind::WordId {
                token: token.to_string(),
                table: self.source.clone(),
                why,
            };
            let word = match parse_id(token) {
                None => Err(refused(
                    "not an integer (`words` holds the transcriptions as ids of the symbol \
                     table)",
                )),
                Some(0) => Err(refused(
                    "0 is epsilon (`<eps>`) in Kaldi's symbol tables, never a word",
                )),
                Some(id) => self
                    .word(id)
                    .ok_or_else(|| refused("the table has no such id")),
            }?;
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            // Long words repeated: held to what a line may hold.
            if out.len() > max {
                return Err(NbestErrorKind::TranscriptionTooLong {
                    max,
                    table: self.source.clone(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcriptions_longer_than_the_limit_are_refused() {
        let table = SymbolTable::read(&b"<eps> 0\nlong 1\nok 2\n"[..], "words.txt").unwrap();
        assert_eq!(
            table.transcription_within("1 2 1", 12).unwrap(),
            "long ok long"
        );
        let err = table.transcription_within("1 2 1", 11).unwrap_err();
        assert!(matches!(
            err,
            NbestErrorKind::TranscriptionTooLong { max: 11, .. }
        ));
        assert_eq!(
            err.to_string(),
            "the transcription would be longer than 11 bytes once its ids are replaced by the \
             words of words.txt"
        );
    }
}
