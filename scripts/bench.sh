#!/usr/bin/env bash
# Benchmark: `evidence-pack run` against a local moto account shaped like the
# SEC-002 seed document and grown to a real account's size (1,300 EBS
# snapshots, 200 security groups, 50 buckets, 100 IAM users: see
# scripts/bench_seed.py), side by side with Prowler on the same checks.
# Prints wall time and peak RSS for each. Not a test: run it by hand.
#
#   scripts/bench.sh            # evidence-pack only (RUNS runs, median)
#   PROWLER=1 scripts/bench.sh  # also Prowler 5.46.0 (installed into its own venv)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
REGIONS="${REGIONS:-us-east-1}"
source scripts/bench_common.sh

source scripts/bench_moto.sh
# moto's built-in AMIs stand behind 1,300 EBS snapshots it lists as the
# account's own in us-east-1: a real account's snapshot estate.
start_moto
"$PY" scripts/bench_seed.py "http://127.0.0.1:$PORT"
median() { # file of measure lines: prints "wall rss" of the median wall time
  sort -k2 -n "$1" | awk -v n="$(wc -l < "$1")" 'NR==int((n+1)/2){print $(NF-1), $NF}'
}

# The checks Prowler runs below: SEC-002 and the Security Hub controls it
# includes, cut from the bundled catalog.
"$PY" scripts/bench_sec002.py "$WORK/sec002.yaml"

CONTROLS="$(grep -c '^  - id:' controls.yaml)"
echo "# evidence-pack run ($PROFILE build), default: whole bundled catalog ($CONTROLS controls, PDF included), regions: $REGIONS, $RUNS runs"
for _ in $(seq "$RUNS"); do
  measure "evidence-pack" "$BIN" -q run --regions "$REGIONS" --key "$WORK/key" -o "$WORK/pack.zip" --snapshot "$WORK/snapshot.json"
done | tee "$WORK/ep.txt"
read -r ew er < <(median "$WORK/ep.txt")
echo "evidence-pack default run, median: $ew s, $er MB peak RSS"
"$PY" - "$WORK/snapshot.json" <<'PYCODE'
import collections, json, sys
s = json.load(open(sys.argv[1]))
n = collections.Counter(r["type"] for r in s["resources"])
print("estate:", ", ".join(f"{n[k]} {k}" for k in ("ec2.snapshot", "ec2.security_group", "s3.bucket", "iam.user")),
      f"({len(s['resources'])} resources in all)")
PYCODE
measure "  of which collect" "$BIN" -q collect --regions "$REGIONS" -o "$WORK/collected.json"
measure "  of which pack" "$BIN" -q pack "$WORK/collected.json" --key "$WORK/key" -o "$WORK/pack2.zip"

echo "# evidence-pack run, the SEC-002 checks only, $RUNS runs"
for _ in $(seq "$RUNS"); do
  measure "evidence-pack (SEC-002)" "$BIN" -q run --regions "$REGIONS" --controls "$WORK/sec002.yaml" --key "$WORK/key" -o "$WORK/pack-sec002.zip"
done | tee "$WORK/ep2.txt"
read -r sw sr < <(median "$WORK/ep2.txt")
echo "evidence-pack SEC-002 run, median: $sw s, $sr MB peak RSS"

if [ "${PROWLER:-0}" = 1 ]; then
  source scripts/bench_prowler.sh
  echo "# prowler 5.46.0, the same checks, region: ${REGIONS%%,*}"
  # shellcheck disable=SC2086
  measure "prowler" "$PROWLER_VENV/bin/prowler" aws --no-banner -f "${REGIONS%%,*}" -c $PROWLER_CHECKS -o "$WORK/prowler" | tee "$WORK/pr.txt"
  echo "prowler findings: $(($(cat "$WORK"/prowler/*.csv 2>/dev/null | wc -l) - 1)) (a run that found nothing did not work)"
  read -r _ pw pr < "$WORK/pr.txt"
  awk -v pw="$pw" -v ew="$ew" -v pr="$pr" -v er="$er" -v sw="$sw" -v sr="$sr" 'BEGIN{
    printf "speed-up, default run (whole catalog, PDF): %.0fx faster, %.1fx less memory\n", pw/(ew>0?ew:0.01), pr/(er>0?er:1)
    printf "speed-up, SEC-002 run (the same checks):    %.0fx faster, %.1fx less memory\n", pw/(sw>0?sw:0.01), pr/(sr>0?sr:1)}'
fi
