#!/usr/bin/env bash
# Checks the release configuration (dist-workspace.toml and the generated
# .github/workflows/release.yml) the way the release workflow will read it:
# installs cargo-dist, pinned, if it is missing, then runs `dist plan`.
# Not part of .ci/run: installing dist compiles it (minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
DIST_VERSION=0.34.0
if ! dist --version 2>/dev/null | grep -q "$DIST_VERSION"; then
  cargo install cargo-dist --locked --version "$DIST_VERSION"
fi
# `dist generate --check` fails when the committed workflow is not what this
# configuration generates; `dist plan` lists every artifact a release builds.
dist generate --check
dist plan
