# Sourced by the benchmark scripts: build the binary once and set BIN and WORK
# (a scratch directory removed on exit, holding an Ed25519 key at $WORK/key).
# BIN=path measures that binary instead (a release download, an older build);
# PROFILE then only labels the output.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/evidence-pack-target}"
PROFILE="${PROFILE:-dev}"
if [ -z "${BIN:-}" ]; then
  cargo build --quiet --profile "$PROFILE"
  BIN="$CARGO_TARGET_DIR/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/evidence-pack"
fi
WORK="$(mktemp -d)"
CLEANUP=(rm -rf "$WORK")
trap '"${CLEANUP[@]}"' EXIT
ssh-keygen -q -t ed25519 -N "" -f "$WORK/key"
