#!/usr/bin/env bash
# Regenerates harness/src/engine/cri/api/runtime.v1.rs (the CRI client) from the vendored
# harness/src/engine/cri/api/api.proto, in pure Rust: ci/gen-cri-api is a small program on protox
# (parses the proto, no protoc) and tonic-prost-build (writes the client). The harness builds from
# the generated file and needs neither crate. Run it after replacing api.proto with another
# cri-api release (and update api/PROVENANCE); the check mode fails when the committed file is
# not what the generator makes.
#
#   ci/gen-cri-api.sh          regenerate
#   ci/gen-cri-api.sh --check  exit 1 when the committed file differs
set -euo pipefail
cd "$(dirname "$0")/.."
api=harness/src/engine/cri/api
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}/gen-cri-api \
  cargo run -q --manifest-path ci/gen-cri-api/Cargo.toml -- "$api/api.proto" "$out"
if [ "${1:-}" = --check ]; then
  if ! cmp -s "$out/runtime.v1.rs" "$api/runtime.v1.rs"; then
    echo "gen-cri-api: $api/runtime.v1.rs is not what $api/api.proto generates (run ci/gen-cri-api.sh)" >&2
    exit 1
  fi
  echo "gen-cri-api: $api/runtime.v1.rs is up to date"
else
  cp "$out/runtime.v1.rs" "$api/runtime.v1.rs"
  echo "gen-cri-api: wrote $api/runtime.v1.rs"
fi
