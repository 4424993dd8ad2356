#!/bin/sh
# Native KenLM against dashlm, word by word, on the same text, the two
# alternating so that the machine's state hits both alike:
#
#   benches/kenlm_native/compare.sh DASHLM_MODEL KENLM_MODEL TEXT [PAIRS] [-- BENCH_QUERY_ARGS...]
#
# Runs `dashlm bench-query DASHLM_MODEL --repeat 3` and `kenlm-query-loop
# KENLM_MODEL 3` on TEXT PAIRS times (default 15), each printing its best run,
# then the median of the per-pair speed ratios (dashlm / KenLM) with its
# quartiles. Both binaries are built first (target/release/dashlm, and
# target/release/kenlm-query-loop by build.sh). KENLM_MODEL is best a KenLM
# binary (loading ARPA text takes seconds per run); the log10 sums of the two
# must agree for an f32 model.
set -eu
[ $# -ge 3 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
dash_model=$1 kenlm_model=$2 text=$3
pairs=15
shift 3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then pairs=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
root="$(dirname "$0")/../.."
(cd "$root" && cargo build --release --bin dashlm >&2)
"$root/benches/kenlm_native/build.sh" >/dev/null
bin="${CARGO_TARGET_DIR:-$root/target}/release"  # where build.sh puts the loop too
dashlm="$bin/dashlm" native="$bin/kenlm-query-loop"
i=0
while [ "$i" -lt "$pairs" ]; do
  d=$("$dashlm" bench-query "$dash_model" --repeat 3 "$@" < "$text")
  k=$("$native" "$kenlm_model" 3 < "$text")
  echo "dashlm $d | kenlm $k"
  i=$((i + 1))
done | awk '
  { print }
  { for (f = 1; f <= NF; f++) if ($f ~ /^qps=/) { split($f, v, "="); q[++n] = v[2] } }
  END {
    m = 0
    for (i = 1; i < n; i += 2) r[++m] = q[i] / q[i + 1]
    for (i = 2; i <= m; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
    if (m == 0) exit 1
    med = (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
    printf "pairs %d: dashlm / native KenLM median %.3f, quartiles %.3f-%.3f\n", m, med, r[int((m + 3) / 4)], r[int((3 * m + 3) / 4)]
  }'
