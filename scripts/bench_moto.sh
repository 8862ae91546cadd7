# Sourced by the benchmarks that read moto (bench.sh, bench_org.sh), after
# bench_common.sh: start_moto and stop_moto, and measure.
MOTO="$(bash scripts/setup-moto.sh)"
PY="$(dirname "$MOTO")/python"
MOTO_PID=""
CLEANUP_ALL() { [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null; "${CLEANUP[@]}"; }
trap CLEANUP_ALL EXIT

start_moto() { # a fresh moto on a free port, and the SDK pointed at it
  PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$MOTO" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
  # S3 Control puts the account id in front of the endpoint's host; as
  # user-info it leaves the host 127.0.0.1 (moto routes by path), so no
  # hosts entry is needed.
  export AWS_ENDPOINT_URL_S3_CONTROL="http://s3-control@127.0.0.1:$PORT"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
}
stop_moto() { kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null || true; MOTO_PID=""; }

measure() { # label, command...: prints "label wall_s peak_rss_mb"
  local label="$1" rc=0; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || rc=$?
  # 3 and 4 are verdicts (a control failed, or could not be evaluated), not failures.
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || [ "$rc" = 4 ] || echo "($label exited $rc: $(tail -n 3 "$WORK/err"))" >&2
  read -r wall rss < <(tail -n 1 "$WORK/time")
  printf '%s %s %s\n' "$label" "$wall" "$((rss / 1024))"
}
