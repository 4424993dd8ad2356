#!/bin/sh
# Builds target/release/kenlm-query-loop (query_loop.cc: KenLM's word-by-word
# query loop in C++, no FFI) against the KenLM library that the kenlm-rs
# dev-dependency compiles (its sources in cargo's registry, its archive in
# target/release/build). Follows $CARGO_TARGET_DIR (then the binary is
# $CARGO_TARGET_DIR/release/kenlm-query-loop). Needs a C++11 compiler (`c++`,
# or $CXX).
set -eu
cd "$(dirname "$0")/../.."
out=${CARGO_TARGET_DIR:-target}/release
cargo build --release --example bench >&2
src=$(cargo metadata --format-version 1 \
  | grep -o '"manifest_path":"[^"]*kenlm-rs-[^"]*Cargo.toml"' \
  | head -n 1 | sed 's/^"manifest_path":"//; s/Cargo.toml"$//')
lib=$(ls -t "$out"/build/kenlm-rs-*/out/libkenlmrs.a 2>/dev/null | head -n 1)
if [ -z "$src" ] || [ -z "$lib" ]; then
  echo "build.sh: kenlm-rs sources or libkenlmrs.a not found (src='$src', lib='$lib')" >&2
  exit 1
fi
# The flags kenlm-rs builds KenLM with in release (cc's -O3, NDEBUG), and its
# maximum order (6).
${CXX:-c++} -std=c++11 -O3 -DNDEBUG -DKENLM_MAX_ORDER=6 -I"$src" \
  benches/kenlm_native/query_loop.cc "$lib" -lpthread -o "$out/kenlm-query-loop"
echo "$out/kenlm-query-loop"
