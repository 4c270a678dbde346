#!/usr/bin/env bash
# The harness as an image FROM scratch, with no registry involved.
#
#   ci/image.sh build [TAG]  builds the static harness (an explicit --target, so that
#                            +crt-static reaches the binary and not the build scripts), checks it
#                            has no interpreter, and `docker build`s ci/image/Dockerfile around it
#   ci/image.sh test [TAG]   the default run through the socket, in the image:
#                            docker run --rm --network none -v /var/run/docker.sock:/var/run/docker.sock
#                              -v "$PWD/profiles:/work/profiles:ro" TAG run
#                            every cell must pass, and the matrix must hold builtin, unconfined
#                            and every shipped profile
#
# TAG defaults to seccomp-harness:latest. The probe is built by harness/build.rs as for any
# build (SECCOMP_HARNESS_PROBE names a prebuilt one). Exit 3 when no daemon answers.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-build}
tag=${2:-seccomp-harness:latest}
triple="$(uname -m)-unknown-linux-gnu"
bin="${CARGO_TARGET_DIR:-target}/$triple/release/seccomp-harness"

if ! timeout 20 docker info >/dev/null 2>&1; then
  echo "image: no Docker daemon answers" >&2
  exit 3
fi

build() {
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
    --target "$triple" -p seccomp-harness --bin seccomp-harness
  if readelf -l "$bin" | grep -q 'program interpreter'; then
    echo "image: $bin is dynamically linked; FROM scratch needs a static binary" >&2
    exit 1
  fi
  local ctx
  ctx=$(mktemp -d)
  cp "$bin" "$ctx/seccomp-harness"
  cp ci/image/Dockerfile "$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx"
  rm -rf "$ctx"
  echo "image: $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
}

run_test() {
  local out code=0
  out=$(mktemp -d)
  docker run --rm --network none -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$PWD/profiles:/work/profiles:ro" -v "$out:/out" \
    "$tag" run --format json --output /out/matrix.json || code=$?
  if [ "$code" != 0 ] || [ ! -s "$out/matrix.json" ]; then
    echo "image: the default run in $tag exited $code" >&2
    rm -rf "$out"
    exit 1
  fi
  python3 - "$out/matrix.json" profiles <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
shipped = sorted(f[:-5] for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
profiles = {c["profile"] for c in m["configurations"]}
missing = [p for p in ["builtin", "unconfined", *shipped] if p not in profiles]
failed = [c for c in m["cells"] if c["verdict"] == "fail"]
if missing or failed or not m["cells"]:
    sys.exit(f"image: missing {missing}, {len(failed)} failing cells")
print(f"image: the default run through the socket: {len(m['cells'])} cells, "
      f"{len(m['configurations'])} configurations, none failing")
PY
  rm -rf "$out"
}

case "$cmd" in
  build) build ;;
  test) run_test ;;
  *)
    echo "usage: ci/image.sh build|test [TAG]" >&2
    exit 2
    ;;
esac
