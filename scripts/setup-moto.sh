#!/usr/bin/env bash
# Install the pinned moto server (the AWS API emulator the integration tests
# run against) into a virtualenv, and print the path of its moto_server.
# Idempotent: a venv that already has the pinned version is reused.
set -euo pipefail
MOTO_VERSION="5.2.5"
VENV="${EVIDENCE_PACK_VENV:-$HOME/.cache/evidence-pack/venv-moto-$MOTO_VERSION}"
if [ ! -x "$VENV/bin/moto_server" ] || ! "$VENV/bin/python" -c "import moto,sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi
echo "$VENV/bin/moto_server"
