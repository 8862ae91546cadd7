#!/usr/bin/env bash
# Benchmark: render and seal a pack, timing `evidence-pack pack` end to end
# (evaluate, Markdown, HTML, PDF, evidence CSVs, zip) and its peak memory,
# and reporting the PDF's page count. Not a test: run it by hand.
#
# Two estates (scripts/bench_estate.py):
#   RESOURCES (default 100,000) resources of every kind, 1% misconfigured;
#     target: under 10 s and 500 MB (issue 11).
#   RULES (default 10,000; 0 to skip) security-group rules, a tenth open.
set -euo pipefail
cd "$(dirname "$0")/.."
RESOURCES="${RESOURCES:-100000}"
RULES="${RULES:-10000}"
RUNS="${RUNS:-3}"
source scripts/bench_common.sh

bench() {
  local name="$1" snapshot="$2"
  echo "# evidence-pack pack, $name ($PROFILE build), $RUNS runs"
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" -q pack "$snapshot" --key "$WORK/key" -o "$WORK/pack.zip" || true
    read -r wall rss < <(tail -n 1 "$WORK/time")
    echo "run $i: ${wall} s, $((rss / 1024)) MB peak RSS"
  done
  unzip -p "$WORK/pack.zip" report.pdf > "$WORK/report.pdf"
  command -v pdfinfo >/dev/null && pdfinfo "$WORK/report.pdf" 2>/dev/null | grep -E "^Pages"
  ls -l "$WORK/pack.zip" | awk '{print "pack size:", $5, "bytes"}'
  unzip -Z1 "$WORK/pack.zip" | grep -c '^evidence/' | awk '{print "evidence CSVs:", $1}'
}

python3 scripts/bench_estate.py --resources "$RESOURCES" "$WORK/estate.json"
bench "$RESOURCES resources of every kind, 1% failing" "$WORK/estate.json"
if [ "$RULES" -gt 0 ]; then
  python3 scripts/bench_estate.py "$RULES" "$WORK/rules.json"
  bench "$RULES security-group rules" "$WORK/rules.json"
fi
