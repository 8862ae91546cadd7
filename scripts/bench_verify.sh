#!/usr/bin/env bash
# Benchmark: `evidence-pack verify` on the demo pack and on a pack of a
# ROWS-rule security-group estate (default 10,000), with and without
# --reseal, time and peak memory. Not a test: run it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000}"
RUNS="${RUNS:-3}"
source scripts/bench_common.sh

python3 scripts/bench_estate.py "$ROWS" "$WORK/big.json"
"$BIN" -q pack "$WORK/big.json" --key "$WORK/key" -o "$WORK/big.zip" || true
"$BIN" -q pack examples/snapshot.json --key "$WORK/key" -o "$WORK/demo.zip" || true

for pack in demo big; do
  echo "# verify $pack.zip ($(stat -c %s "$WORK/$pack.zip") bytes, $PROFILE build), $RUNS runs each"
  for flag in "" "--reseal"; do
    for i in $(seq "$RUNS"); do
      /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" verify "$WORK/$pack.zip" --public-key "$WORK/key.pub" $flag >/dev/null
      read -r wall rss < <(tail -n 1 "$WORK/time")
      echo "verify ${flag:-(strict)} run $i: ${wall} s, $((rss / 1024)) MB peak RSS"
    done
  done
done
