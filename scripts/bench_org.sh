#!/usr/bin/env bash
# Benchmark: `collect --org` over an AWS Organization in moto: a management
# account and MEMBERS members, each seeded like scripts/bench.sh's account
# (scripts/bench_seed.py: 100 IAM users, 200 security groups, 50 buckets,
# and the 1,300 EBS snapshots moto lists per account and region), read in
# two regions. For each organisation size it prints wall time, peak RSS,
# and API calls per account, so that growth shows. Not a test: run it by hand.
#
#   scripts/bench_org.sh                # 1 + 5 and 1 + 20 accounts
#   SIZES="20" scripts/bench_org.sh     # only 1 + 20
#   PROWLER=1 scripts/bench_org.sh      # also Prowler 5.46.0, once per account with --role
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${SIZES:-5 20}"
REGIONS="${REGIONS:-us-east-1,eu-west-1}"
source scripts/bench_common.sh

source scripts/bench_moto.sh

[ "${PROWLER:-0}" = 1 ] && source scripts/bench_prowler.sh
echo "# evidence-pack collect --org ($PROFILE build), regions: $REGIONS"
for n in $SIZES; do
  start_moto
  seed_started=$(date +%s)
  "$PY" scripts/bench_seed.py "$AWS_ENDPOINT_URL" "$n" > "$WORK/members-$n.txt"
  echo "seeded 1 + $n accounts in $(( $(date +%s) - seed_started )) s"
  measure "collect --org, 1 + $n accounts" "$BIN" -q collect --org --regions "$REGIONS" -o "$WORK/org-$n.json" | tee "$WORK/ep-$n.txt"
  "$PY" - "$WORK/org-$n.json" <<'PYCODE'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
accounts = s["accounts"]
per = {a["account_id"]: 0 for a in accounts}
for r in s["resources"]:
    per[r["account"]] = per.get(r["account"], 0) + 1
calls = [sum(a.get("calls", {}).values()) for a in accounts]
print(f"  {len(accounts)} accounts, {len(s['resources'])} resources ({statistics.median(per.values()):.0f} per account), "
      f"{len(s['errors'])} collection errors")
if any(calls):
    services = {}
    for a in accounts:
        for k, v in a.get("calls", {}).items():
            services.setdefault(k, []).append(v)
    print(f"  API calls per account: median {statistics.median(calls):.0f}, min {min(calls)}, max {max(calls)}, "
          f"{sum(calls)} in all")
    print("  by service (median per account): " + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in sorted(services.items())))
else:
    print("  (this snapshot records no call counts; resources per account above instead)")
PYCODE
  if [ "${PROWLER:-0}" = 1 ]; then
    # What Prowler's CLI users must do for an organisation: one run per
    # account, each through its role.
    total=0; peak=0
    for account in 123456789012 $(cat "$WORK/members-$n.txt"); do
      # shellcheck disable=SC2086
      read -r w r < <(measure "prowler-$account" "$PROWLER_VENV/bin/prowler" aws --no-banner \
        --role "arn:aws:iam::$account:role/EvidencePackReadOnly" -f ${REGIONS//,/ } -c $PROWLER_CHECKS -o "$WORK/prowler-$account" \
        | awk '{print $(NF-1), $NF}')
      total=$(awk -v a="$total" -v b="$w" 'BEGIN{print a+b}'); [ "$r" -gt "$peak" ] && peak=$r
    done
    read -r ew _ < <(awk '{print $(NF-1), $NF}' "$WORK/ep-$n.txt")
    echo "prowler, once per account (1 + $n), the SEC-002 checks: $total s in all, $peak MB peak RSS"
    awk -v pw="$total" -v ew="$ew" 'BEGIN{printf "speed-up: %.0fx faster\n", pw/(ew>0?ew:0.01)}'
  fi
  stop_moto
done
