#!/usr/bin/env bash
# Benchmark: render and seal a pack for a security-group estate of N evidence
# rows (default 10,000), timing `evidence-pack pack` end to end (evaluate,
# Markdown, HTML, PDF, zip) and its peak memory. Not a test: run it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000}"
RUNS="${RUNS:-3}"
source scripts/bench_common.sh

# The example account plus security groups holding ROWS rules, a tenth of
# them open to the Internet on high-risk ports.
python3 - "$ROWS" "$WORK/big.json" <<'PY'
import json, sys
rows, out = int(sys.argv[1]), sys.argv[2]
s = json.load(open("examples/snapshot.json"))
acct = s["accounts"][0]["account_id"]
src = next(r for r in s["resources"] if r["type"] == "ec2.security_group")
per_group = 100
for g in range(rows // per_group):
    gid = f"sg-{g:017x}"
    rules = []
    for i in range(per_group):
        port = 1024 + i if i % 10 else 22
        peer = "0.0.0.0/0" if i % 10 == 0 else f"10.{g % 250}.{i}.0/24"
        rules.append({"protocol": "tcp", "from_port": port, "to_port": port, "peer": peer, "peer_type": "cidr_ipv4", "description": f"rule {i} <#*$]>"})
    r = json.loads(json.dumps(src))
    r["id"] = f"arn:aws:ec2:us-east-1:{acct}:security-group/{gid}"
    r["data"].update(group_id=gid, name=f"estate-{g}", is_default=False, ingress=rules, egress=[])
    s["resources"].append(r)
json.dump(s, open(out, "w"))
PY

echo "# evidence-pack pack, $ROWS security-group rules ($PROFILE build), $RUNS runs"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" -q pack "$WORK/big.json" --key "$WORK/key" -o "$WORK/pack.zip" || true
  read -r wall rss < <(tail -n 1 "$WORK/time")
  echo "run $i: ${wall} s, $((rss / 1024)) MB peak RSS"
done
unzip -p "$WORK/pack.zip" report.pdf > "$WORK/report.pdf"
command -v pdfinfo >/dev/null && pdfinfo "$WORK/report.pdf" 2>/dev/null | grep -E "^Pages"
ls -l "$WORK/pack.zip" | awk '{print "pack size:", $5, "bytes"}'
