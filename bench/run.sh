#!/usr/bin/env bash
# Corpus benchmark: leakscan against ripgrep (equivalent regex for ID and
# mobile numbers) and against the plain read limit (cat), in one run.
#
#   bench/run.sh [MIB] [RUNS] [THREADS]
#
# Builds in release mode, generates a deterministic synthetic corpus of about
# MIB MiB (default 1024) under bench/ if absent, warms the page cache, then runs
# leakscan (JSON report, NDJSON stream, default text summary), rg and cat in
# alternation RUNS times (default 5) and prints the
# median throughput, the ratios and the peak RSS (GNU time). ripgrep is
# installed with apt-get (Debian package `ripgrep`) or `cargo install ripgrep`
# when missing. THREADS (default: all cores) is passed to both tools.
set -euo pipefail
cd "$(dirname "$0")/.."

MIB=${1:-1024}
RUNS=${2:-5}
THREADS=${3:-0}
CORPUS="bench/corpus-${MIB}"
OUT="bench/results"
mkdir -p "$OUT"

cargo build --release --quiet --bin leakscan
LEAKSCAN=target/release/leakscan
source bench/corpus.sh
ensure_corpus "$MIB"

if ! command -v rg >/dev/null 2>&1; then
  echo "ripgrep not found; installing it" >&2
  (apt-get install -y -qq ripgrep >/dev/null 2>&1 || cargo install --quiet ripgrep) \
    || { echo "install ripgrep (apt-get install ripgrep, or cargo install ripgrep) and run again" >&2; exit 2; }
fi
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null 2>&1 || true

bytes=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$CORPUS" -type f | wc -l)
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1048576}')

# ASCII classes and ASCII word boundaries: the fastest form for rg (Unicode
# \b and \d make rg 13 about 25x slower on this corpus).
RE_ID='(?-u:\b)[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?-u:\b)'
RE_MOBILE='(?-u:\b)1[3-9][0-9]{9}(?-u:\b)'
# The thread count as one word for both tools ("-j N", or nothing for all
# cores): a scalar, since the timed runs are new shells and arrays are
# not exported to them.
JOBS=""
if [ "$THREADS" != 0 ]; then JOBS="-j $THREADS"; fi

run_leakscan() { "$LEAKSCAN" scan "$CORPUS" -q --no-progress --format json $JOBS --fail-on never > "$OUT/leakscan.json"; }
# The NDJSON stream (constant memory) and the default text summary (keeps
# no findings).
run_ndjson() { "$LEAKSCAN" scan "$CORPUS" -q --no-progress --format ndjson $JOBS --fail-on never > "$OUT/leakscan.ndjson"; }
run_summary() { "$LEAKSCAN" scan "$CORPUS" -q --no-progress $JOBS --fail-on never > "$OUT/summary.txt"; }
run_rg() { rg -c -a --no-ignore --hidden $JOBS -e "$RE_ID" -e "$RE_MOBILE" "$CORPUS" > "$OUT/rg.txt" || true; }
run_cat() { find "$CORPUS" -type f -exec cat {} + > /dev/null; }
export -f run_leakscan run_ndjson run_summary run_rg run_cat
export LEAKSCAN CORPUS OUT RE_ID RE_MOBILE JOBS

# One timed run: prints "seconds max_rss_kib". The output of the run before
# is removed first: on ext4, writing a file truncated by `>` (or renamed
# over an old one) makes close() allocate and start writing back all of its
# blocks (auto_da_alloc), about 0.1 s for leakscan's 200 MB report; a new
# file pays that later, in the background.
timed() {
  local t0 t1
  case $1 in
    leakscan) rm -f "$OUT/leakscan.json" ;;
    summary) rm -f "$OUT/summary.txt" ;;
    ndjson) rm -f "$OUT/leakscan.ndjson" ;;
    rg) rm -f "$OUT/rg.txt" ;;
  esac
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/rss.$1" bash -c "run_$1"
  t1=$(date +%s.%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b-a}') $(cat "$OUT/rss.$1")"
}

run_cat  # warm the page cache
declare -A secs rss
TOOLS=(leakscan ndjson summary rg cat)
for tool in "${TOOLS[@]}"; do secs[$tool]=""; rss[$tool]=0; done
for ((i = 1; i <= RUNS; i++)); do
  for tool in "${TOOLS[@]}"; do
    read -r s r < <(timed "$tool")
    secs[$tool]+="$s "
    (( r > rss[$tool] )) && rss[$tool]=$r
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A med
for tool in "${TOOLS[@]}"; do med[$tool]=$(echo "${secs[$tool]}" | median); done

echo "corpus: $CORPUS, $files files, $mib MiB; runs: $RUNS; threads: ${THREADS/#0/all} ($(nproc) cores)"
printf '%-10s %10s %10s %12s\n' tool median_s MiB/s peak_RSS_MiB
for tool in "${TOOLS[@]}"; do
  awk -v t="$tool" -v s="${med[$tool]}" -v m="$mib" -v r="${rss[$tool]}" \
    'BEGIN {printf "%-10s %10.3f %10.1f %12.1f\n", t, s, m/s, r/1024}'
done
# Every run, in order: the machines are shared, and the spread shows how far
# a median can be trusted.
for tool in "${TOOLS[@]}"; do printf '%-10s runs (s): %s\n' "$tool" "${secs[$tool]}"; done
awk -v l="${med[leakscan]}" -v g="${med[rg]}" -v c="${med[cat]}" \
  'BEGIN {printf "leakscan/rg throughput ratio: %.2fx   leakscan/cat: %.2fx   (JSON report)\n", g/l, c/l}'
awk -v l="${med[ndjson]}" -v g="${med[rg]}" -v c="${med[cat]}" \
  'BEGIN {printf "leakscan/rg throughput ratio: %.2fx   leakscan/cat: %.2fx   (NDJSON stream)\n", g/l, c/l}'
awk -v l="${med[summary]}" -v g="${med[rg]}" -v c="${med[cat]}" \
  'BEGIN {printf "leakscan/rg throughput ratio: %.2fx   leakscan/cat: %.2fx   (text summary, the default)\n", g/l, c/l}'
rg_hits=$(awk -F: '{s+=$NF} END {print s+0}' "$OUT/rg.txt")
ls_hits=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["findings_total"])' "$OUT/leakscan.json" 2>/dev/null || echo "?")
echo "matching lines (rg -c): $rg_hits; leakscan findings: $ls_hits"

# Thread scaling: the same corpus with 1 and with 2 workers, in alternation.
secs_of() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b-a}'
}
# 1 and 2 workers on TARGET in alternation; prints LABEL, the medians, the speed-up.
scaling() {
  local label=$1 target=$2 one="" two="" m1 m2
  for ((i = 1; i <= RUNS; i++)); do
    one+="$(secs_of "$LEAKSCAN" scan "$target" -q --no-progress --format json -j 1 --fail-on never) "
    two+="$(secs_of "$LEAKSCAN" scan "$target" -q --no-progress --format json -j 2 --fail-on never) "
  done
  m1=$(echo "$one" | median)
  m2=$(echo "$two" | median)
  awk -v l="$label" -v a="$m1" -v b="$m2" 'BEGIN {printf "%s: 1 worker %.3f s, 2 workers %.3f s, speed-up %.2fx\n", l, a, b, a/b}'
}
scaling "threads" "$CORPUS"
# rg's own speed-up on the same tree: what two workers of this machine
# give a scanner with no shared state (vCPUs are not always whole cores).
rg_one=""; rg_two=""
for ((i = 1; i <= RUNS; i++)); do
  rg_one+="$(secs_of rg -c -a --no-ignore --hidden -j 1 -e "$RE_ID" -e "$RE_MOBILE" "$CORPUS") "
  rg_two+="$(secs_of rg -c -a --no-ignore --hidden -j 2 -e "$RE_ID" -e "$RE_MOBILE" "$CORPUS") "
done
awk -v a="$(echo "$rg_one" | median)" -v b="$(echo "$rg_two" | median)" \
  'BEGIN {printf "rg for scale: 1 worker %.3f s, 2 workers %.3f s, speed-up %.2fx\n", a, b, a/b}'
# One large file: parts of it are scanned in parallel.
big="$CORPUS/large/export_0.log"
scaling "one large file ($big)" "$big"

# Memory with many small files: 100,000 files of about 2 KiB, page cache
# warmed first, each format RUNS times in alternation (median time, max RSS).
MANY="bench/corpus-many-100000"
[ -d "$MANY" ] || target/release/examples/gen many "$MANY" 100000
find "$MANY" -type f -exec cat {} + > /dev/null
declare -A many_s many_k
for ((i = 1; i <= RUNS; i++)); do
  for fmt in json ndjson; do
    /usr/bin/time -f "%M %e" -o "$OUT/rss.many" "$LEAKSCAN" scan "$MANY" -q --no-progress --format "$fmt" --fail-on never > "$OUT/many.$fmt"
    read -r kib secs < "$OUT/rss.many"
    many_s[$fmt]+="$secs "
    (( kib > ${many_k[$fmt]:-0} )) && many_k[$fmt]=$kib
  done
done
for fmt in json ndjson; do
  s=$(echo "${many_s[$fmt]}" | median)
  awk -v f="$fmt" -v k="${many_k[$fmt]}" -v s="$s" 'BEGIN {printf "100,000 small files, --format %s: %.2f s, peak RSS %.1f MiB\n", f, s, k/1024}'
done

# Every other report format once on the corpus: time and peak RSS (the
# memory target holds for each; SARIF once built its whole document in
# memory, 17.8 GB here).
for fmt in csv sarif html; do
  rm -f "$OUT/report.$fmt"
  /usr/bin/time -f "%M %e" -o "$OUT/rss.fmt" "$LEAKSCAN" scan "$CORPUS" -q --no-progress --format "$fmt" --fail-on never -o "$OUT/report.$fmt"
  read -r kib secs < "$OUT/rss.fmt"
  awk -v f="$fmt" -v k="$kib" -v s="$secs" -v b="$(stat -c %s "$OUT/report.$fmt")" \
    'BEGIN {printf "corpus, --format %s: %.2f s, peak RSS %.1f MiB, report %.0f MB\n", f, s, k/1024, b/1e6}'
done
