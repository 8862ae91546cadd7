#!/usr/bin/env bash
# Benchmark: `evidence-pack run` against a local moto account the size of the
# SEC-002 seed document, side by side with Prowler on the same checks.
# Prints wall time and peak RSS for each. Not a test: run it by hand.
#
#   scripts/bench.sh            # evidence-pack only (RUNS runs, median)
#   PROWLER=1 scripts/bench.sh  # also Prowler 5.46.0 (installed into its own venv)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
REGIONS="${REGIONS:-us-east-1}"
source scripts/bench_common.sh

MOTO="$(bash scripts/setup-moto.sh)"
PY="$(dirname "$MOTO")/python"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MOTO_EC2_LOAD_DEFAULT_AMIS=false "$MOTO" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null; "${CLEANUP[@]}"' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
"$PY" scripts/bench_seed.py "http://127.0.0.1:$PORT"

# S3 Control puts the account id in front of the endpoint's host; as
# user-info it leaves the host 127.0.0.1 (moto routes by path), so no
# hosts entry is needed.
export AWS_ENDPOINT_URL_S3_CONTROL="http://s3-control@127.0.0.1:$PORT"
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

measure() { # label, command...: prints "label wall_s peak_rss_mb"
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || true
  read -r wall rss < <(tail -n 1 "$WORK/time")
  printf '%s %s %s\n' "$label" "$wall" "$((rss / 1024))"
}

# The checks Prowler runs below: SEC-002 and the Security Hub controls it
# includes, cut from the bundled catalog.
"$PY" - "$WORK/sec002.yaml" <<'PYCODE'
import sys, yaml
cat = yaml.safe_load(open("controls.yaml"))
sec = next(c for c in cat["controls"] if c["id"] == "SEC-002")
keep = {"SEC-002"} | {i for s in sec["sections"] for i in s["controls"]}
cat["controls"] = [c for c in cat["controls"] if c["id"] in keep]
yaml.safe_dump(cat, open(sys.argv[1], "w"), sort_keys=False)
PYCODE

echo "# evidence-pack run ($PROFILE build), SEC-002 checks, regions: $REGIONS, $RUNS runs"
for i in $(seq "$RUNS"); do
  measure "evidence-pack" "$BIN" -q run --regions "$REGIONS" --controls "$WORK/sec002.yaml" --key "$WORK/key" -o "$WORK/pack.zip"
done | tee "$WORK/ep.txt"
sort -k2 -n "$WORK/ep.txt" | awk -v n="$RUNS" 'NR==int((n+1)/2){printf "evidence-pack median: %.2f s, %d MB peak RSS\n", $2, $3}'
echo "# evidence-pack run, whole bundled catalog ($(grep -c '^  - id:' controls.yaml) controls), for reference"
measure "evidence-pack (all controls)" "$BIN" -q run --regions "$REGIONS" --key "$WORK/key" -o "$WORK/pack-all.zip"

if [ "${PROWLER:-0}" = 1 ]; then
  VENV="$HOME/.cache/evidence-pack/venv-prowler-5.46.0"
  [ -x "$VENV/bin/prowler" ] || { python3 -m venv "$VENV"; "$VENV/bin/pip" install --quiet prowler==5.46.0; }
  CHECKS="iam_policy_attached_only_to_group_or_roles iam_no_root_access_key iam_root_mfa_enabled
    iam_password_policy_uppercase iam_password_policy_lowercase iam_password_policy_symbol iam_password_policy_number
    kms_cmk_rotation_enabled acm_certificates_expiration_check cloudtrail_multi_region_enabled
    cloudtrail_kms_encryption_enabled cloudtrail_log_file_validation_enabled ec2_securitygroup_default_restrict_traffic
    ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22 ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389
    ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports"
  echo "# prowler 5.46.0, same checks, region: ${REGIONS%%,*}"
  # shellcheck disable=SC2086
  measure "prowler" "$VENV/bin/prowler" aws --no-banner -f "${REGIONS%%,*}" -c $CHECKS -o "$WORK/prowler" | tee "$WORK/pr.txt"
  echo "prowler findings: $(($(cat "$WORK"/prowler/*.csv 2>/dev/null | wc -l) - 1)) (a run that found nothing did not work)"
  read -r _ pw pr < "$WORK/pr.txt"
  read -r ew er < <(sort -k2 -n "$WORK/ep.txt" | awk -v n="$RUNS" 'NR==int((n+1)/2){print $2, $3}')
  awk -v pw="$pw" -v ew="$ew" -v pr="$pr" -v er="$er" 'BEGIN{printf "speed-up: %.0fx faster, %.1fx less memory\n", pw/(ew>0?ew:0.01), pr/(er>0?er:1)}'
fi
