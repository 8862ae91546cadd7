#!/usr/bin/env bash
# Benchmark: render and seal a pack for a security-group estate of N evidence
# rows (default 10,000), timing `evidence-pack pack` end to end (evaluate,
# Markdown, HTML, PDF, zip) and its peak memory. Not a test: run it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000}"
RUNS="${RUNS:-3}"
source scripts/bench_common.sh

python3 scripts/bench_estate.py "$ROWS" "$WORK/big.json"

echo "# evidence-pack pack, $ROWS security-group rules ($PROFILE build), $RUNS runs"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" -q pack "$WORK/big.json" --key "$WORK/key" -o "$WORK/pack.zip" || true
  read -r wall rss < <(tail -n 1 "$WORK/time")
  echo "run $i: ${wall} s, $((rss / 1024)) MB peak RSS"
done
unzip -p "$WORK/pack.zip" report.pdf > "$WORK/report.pdf"
command -v pdfinfo >/dev/null && pdfinfo "$WORK/report.pdf" 2>/dev/null | grep -E "^Pages"
ls -l "$WORK/pack.zip" | awk '{print "pack size:", $5, "bytes"}'
