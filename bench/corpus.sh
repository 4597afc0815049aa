# Sourced by bench/run.sh and bench/ab.sh: the benchmark corpus, generated
# again whenever the generator (examples/gen.rs, tests/synth.rs) changed.

# ensure_corpus MIB: bench/corpus-MIB is current.
ensure_corpus() {
  local dir="bench/corpus-$1" stamp
  cargo build --release --quiet --example gen || return 1
  stamp=$(cat examples/gen.rs tests/synth.rs | sha256sum | cut -c1-16)
  if [ ! -d "$dir" ] || [ "$(cat "$dir.gen" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir" "$dir.gen"
    target/release/examples/gen bench "$dir" "$1"
    echo "$stamp" > "$dir.gen"
  fi
}
