#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's fixtures (run from the crate root):
#   bash fuzz/seed.sh && cargo +nightly fuzz run arpa -- -max_total_time=600
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/arpa fuzz/corpus/model_bytes fuzz/corpus/nbest
cp data/tiny.arpa data/arpa/*.arpa fuzz/corpus/arpa/
for f in data/nbest/*.jsonl; do [ -e "$f" ] && { printf '\0'; cat "$f"; } > "fuzz/corpus/nbest/jsonl-$(basename "$f")"; done
for f in data/nbest/*.srilm/*; do [ -e "$f" ] && { printf '\1'; cat "$f"; } > "fuzz/corpus/nbest/srilm-$(basename "$f")"; done
# Probabilities of zero: SRILM's `-inf`, a Kaldi cost of `inf`.
printf '\1-inf -Inf 2 a b\n-1 -infinity 1 c\n' > fuzz/corpus/nbest/srilm-zero
printf '\3u-1 inf\nu-2 12.5\nu-3 +Infinity\n' > fuzz/corpus/nbest/kaldi-costs-zero
# SRILM's Decipher NBestList2.0: per-token times and scores, a phone inside a word.
printf '\1NBestList2.0\n(-31) hi ( st: 0.00 et: 0.20 g: -10 a: -21 ) h ( st: 0.00 et: 0.10 g: 0 a: -9 )\n(0)\n' > fuzz/corpus/nbest/srilm-decipher2
# NBestList1.0: one composite score a line, no first-pass LM score.
printf '\1NBestList1.0\n(-5213) a b\n(-10250.5) c\n(0)\n' > fuzz/corpus/nbest/srilm-decipher1
# SRILM's own counts (no <s>, </s>, pause), its pause word, a headerless Decipher line.
printf '\1-100 -2.2 2 <s> a -pau- b </s>\n-99 -2 3 a -pau- b\n(-90) a -pau-\n' > fuzz/corpus/nbest/srilm-pauses
# A Kaldi alignment archive (`ali`), with Kaldi's trailing spaces and an empty one.
printf '\2u-1 2 4 4 7 \nu-2\nu-3 1  2\n' > fuzz/corpus/nbest/kaldi-ali
# A Kaldi symbol table, a NUL, transcriptions as its word ids.
printf '\4<eps> 0\nthe 1\ncat\t2\n\0001 2\n2 0\n7\n' > fuzz/corpus/nbest/kaldi-word-ids
# JSONL n-best lines in the forms data/ lacks: words and ref as arrays of strings,
# `lm: null`, `ref: null`, escapes, `-0`, an exponent, an integer beyond u64.
printf '\0{"id": "u1", "ref": ["a", "b c"], "hyps": [{"words": ["<s>", "a b", "c"], "acoustic": -0, "lm": null, "conf": 0.25}, {"words": "a\\tb \\u00e9\\"", "acoustic": 3e2, "lm": -1.5E-3, "conf": 18446744073709551616}]}\n{"id": "u\\u0032", "ref": null, "hyps": [], "other": {"k": [1, true, null]}}\n' > fuzz/corpus/nbest/jsonl-forms
# `wer`'s transcript lines: the words in `text`, `words` (a string or an array), `ref`
# or the first hypothesis.
printf '\0{"id": "t1", "text": "a b"}\n{"id": "t2", "words": ["a", "b"], "ref": null}\n{"id": "t3", "ref": "a \\u0062", "hyps": [{"words": "b"}, {"words": "c"}]}\n{"id": "t4", "words": "a", "text": "b", "hyps": [{"words": "c"}]}\n' > fuzz/corpus/nbest/jsonl-transcripts
# JSONL n-best lines the reader refuses, one a seed (a reader stops at its first
# error): an extra score of null, a score as a string, words of null, a key given
# twice, a number among the words.
n=0
for h in '"words": "a", "acoustic": 1, "conf": null' '"words": "a", "acoustic": "1"' \
  '"words": null, "acoustic": 1' '"words": "a", "acoustic": 1, "acoustic": 2' \
  '"words": ["a", 1], "acoustic": 1'; do
  n=$((n + 1))
  printf '\0{"id": "r%s", "hyps": [{%s}]}\n' "$n" "$h" > "fuzz/corpus/nbest/jsonl-refused-$n"
done
cargo run --quiet --release --bin build-lm -- data/tiny.arpa fuzz/corpus/model_bytes/tiny.dlm 2>/dev/null
cargo run --quiet --release --bin build-lm -- --raw-f32 data/tiny.arpa fuzz/corpus/model_bytes/tiny-raw.dlm 2>/dev/null
