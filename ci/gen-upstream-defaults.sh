#!/usr/bin/env bash
# Regenerates harness/data/upstream-defaults/: the default seccomp profile that each final
# Docker and Podman release was built with, read from local git dirs (no network), stored once
# per distinct content with the bytes as published, and index.json naming each release's source
# tag, commit, path and sha256. Deterministic: a second run changes nothing.
#
# Usage: ci/gen-upstream-defaults.sh MOBY_GIT_DIR [COMMON_GIT_DIR [PODMAN_GIT_DIR [LIBS_GIT_DIR]]]
#   MOBY_GIT_DIR    a clone of github.com/moby/moby (bare or not), with its tags
#   COMMON_GIT_DIR  a clone of github.com/containers/common (containers-common up to v0.64)
#   PODMAN_GIT_DIR  a clone of github.com/containers/podman
#   LIBS_GIT_DIR    a clone of github.com/containers/container-libs (containers-common from v0.65;
#                   needed as soon as a Podman release vendors go.podman.io/common)
# A section whose git dirs are not given (podman, containers-common) is kept as it is in the
# existing index.json, with its files. UPSTREAM_DEFAULTS_DIR overrides the output directory.
# Exit codes: 0 done, 2 bad arguments, 1 the data is not what this script expects (it says what).
set -euo pipefail

usage() {
  sed -n 's/^# \{0,1\}//; 7,15p' "$0" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 4 ]; then
  usage
fi
for dir in "$@"; do
  if ! git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; then
    echo "gen-upstream-defaults: $dir is not a git directory" >&2
    exit 2
  fi
done

out=${UPSTREAM_DEFAULTS_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/harness/data/upstream-defaults"}
mkdir -p "$out"

exec python3 - "$out" "$@" <<'PY'
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(sys.argv[1])
MOBY, COMMON, PODMAN, LIBS = (sys.argv[2:] + [None] * 4)[:4]

LICENSE = "Apache-2.0"
MOBY_URL = "https://github.com/moby/moby"
COMMON_URL = "https://github.com/containers/common"
LIBS_URL = "https://github.com/containers/container-libs"
PODMAN_URL = "https://github.com/containers/podman"

# Where moby kept the profile: in-tree until v28.3, then the vendored github.com/moby/profiles
# module (v28.4 on). The JSON is generated upstream from default_linux.go and checked in CI.
MOBY_PATH = "profiles/seccomp/default.json"
MOBY_VENDOR_MODULE = "github.com/moby/profiles/seccomp"
MOBY_VENDOR_PATH = f"vendor/{MOBY_VENDOR_MODULE}/default.json"
COMMON_PATH = "pkg/seccomp/seccomp.json"
LIBS_PREFIX = "common/"  # containers-common inside container-libs, tags common/vX.Y.Z
COMMON_MODULES = {
    "github.com/containers/common": "common",
    "go.podman.io/common": "libs",
}
FIRST_DOCKER_MAJOR = 20


class Fail(Exception):
    pass


class Repo:
    """One git dir, read through a single `git cat-file --batch` process."""

    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(
            ["git", "-C", path, "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def read(self, rev):
        """(kind, bytes) of an object name like TAG^{commit} or TAG:PATH, or None if absent."""
        self.proc.stdin.write(rev.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3:
            return None
        oid, kind, size = header
        data = self.proc.stdout.read(int(size))
        self.proc.stdout.read(1)
        return kind.decode(), oid.decode(), data

    def blob(self, tag, path):
        found = self.read(f"{tag}:{path}")
        return found[2] if found and found[0] == "blob" else None

    def commit(self, tag):
        found = self.read(f"{tag}^{{commit}}")
        if not found:
            raise Fail(f"{self.path}: tag {tag} names no commit")
        return found[1]

    def tags(self):
        out = subprocess.run(
            ["git", "-C", self.path, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags"],
            check=True, capture_output=True, text=True,
        ).stdout
        return out.split()


def vkey(version):
    return tuple(int(part) for part in version.split("."))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def require_apache(repo, tag, path):
    text = repo.blob(tag, path) or b""
    if b"Apache License" not in text or b"Version 2.0" not in text:
        raise Fail(f"{repo.path}: {tag}:{path} is not the Apache License 2.0")


def retracted(repo, tag, gomod, version):
    """Whether the module's own go.mod at this tag retracts this version (a tag made only to
    publish a retraction, as containers/common's v1.0.1)."""
    text = (repo.blob(tag, gomod) or b"").decode()
    for block in re.findall(r"^retract\s*\((.*?)^\)", text, re.S | re.M):
        if re.search(rf"^\s*v?{re.escape(version)}\b", block, re.M):
            return True
    return bool(re.search(rf"^retract\s+v?{re.escape(version)}\b", text, re.M))


def final_versions(repo, pattern):
    """(version, tag) of every tag that fully matches pattern (its groups: major, minor, patch),
    oldest first. Pre-releases never match: the patterns end at the patch number."""
    found = {}
    for tag in repo.tags():
        m = re.fullmatch(pattern, tag)
        if m:
            version = ".".join(str(int(g)) for g in m.groups())
            if version in found:
                raise Fail(f"{repo.path}: tags {found[version]} and {tag} are both {version}")
            found[version] = tag
    return sorted(found.items(), key=lambda item: vkey(item[0]))


def vendored_version(repo, tag, module):
    """The version of module recorded in vendor/modules.txt, and its replacement if any."""
    text = (repo.blob(tag, "vendor/modules.txt") or b"").decode()
    m = re.search(rf"^# {re.escape(module)} (\S+)(?: => (.+))?$", text, re.M)
    if not m:
        raise Fail(f"{repo.path}: {tag}: vendor/modules.txt does not list {module}")
    return m.group(1), m.group(2)


def docker_releases(moby):
    releases = []
    for version, tag in final_versions(moby, r"(?:v|docker-v)(\d+)\.(\d+)\.(\d+)"):
        if vkey(version)[0] < FIRST_DOCKER_MAJOR:
            continue
        entry = {"version": version, "tag": tag, "commit": moby.commit(tag)}
        data = moby.blob(tag, MOBY_PATH)
        if data is not None:
            entry["path"] = MOBY_PATH
        else:
            data = moby.blob(tag, MOBY_VENDOR_PATH)
            if data is None:
                raise Fail(f"{moby.path}: {tag} has neither {MOBY_PATH} nor {MOBY_VENDOR_PATH}")
            module_version, replaced = vendored_version(moby, tag, MOBY_VENDOR_MODULE)
            if replaced:
                raise Fail(f"{moby.path}: {tag} replaces {MOBY_VENDOR_MODULE} with {replaced}")
            entry["path"] = MOBY_VENDOR_PATH
            entry["module"] = {"path": MOBY_VENDOR_MODULE, "version": module_version}
        require_apache(moby, tag, "LICENSE")
        releases.append((entry, data))
    return releases


def common_releases(common, libs):
    """Every final containers-common release with a seccomp.json: (entry, bytes), oldest first."""
    releases = []
    sources = [(common, COMMON_URL, r"v(\d+)\.(\d+)\.(\d+)", "")]
    if libs:
        sources.append((libs, LIBS_URL, re.escape(LIBS_PREFIX) + r"v(\d+)\.(\d+)\.(\d+)", LIBS_PREFIX))
    seen = {}
    for repo, url, pattern, prefix in sources:
        for version, tag in final_versions(repo, pattern):
            path = prefix + COMMON_PATH
            data = repo.blob(tag, path)
            if data is None or retracted(repo, tag, prefix + "go.mod", version):
                continue
            if version in seen:
                raise Fail(f"containers-common {version} is tagged in both {seen[version]} and {url}")
            seen[version] = url
            require_apache(repo, tag, prefix + "LICENSE")
            entry = {"version": version, "tag": tag, "commit": repo.commit(tag),
                     "repository": url, "path": path}
            releases.append((entry, data))
    releases.sort(key=lambda item: vkey(item[0]["version"]))
    return releases


def podman_releases(podman, common, libs):
    """Every final Podman release that vendors containers-common's pkg/seccomp: (entry, bytes).
    The bytes are the vendored copy; where the containers-common tag is in the given git dir,
    they must equal the tag's file, and the entry names that tag's commit."""
    repos = {"common": (common, COMMON_URL, ""), "libs": (libs, LIBS_URL, LIBS_PREFIX)}
    releases = []
    for version, tag in final_versions(podman, r"v(\d+)\.(\d+)\.(\d+)"):
        vendored = [(module, podman.blob(tag, f"vendor/{module}/{COMMON_PATH}"))
                    for module in COMMON_MODULES]
        vendored = [(module, data) for module, data in vendored if data is not None]
        if not vendored:
            continue  # before v2.1.0 Podman took its profile from elsewhere
        if len(vendored) > 1:
            raise Fail(f"{podman.path}: {tag} vendors seccomp.json from more than one module")
        module, data = vendored[0]
        module_version, replaced = vendored_version(podman, tag, module)
        if replaced:
            raise Fail(f"{podman.path}: {tag} replaces {module} with {replaced}")
        repo, url, prefix = repos[COMMON_MODULES[module]]
        if repo is None:
            raise Fail(f"{podman.path}: {tag} vendors {module}: pass LIBS_GIT_DIR "
                       "(a clone of containers/container-libs)")
        common_tag = prefix + module_version
        upstream = {"module": module, "version": module_version, "repository": url,
                    "tag": common_tag, "commit": None, "path": prefix + COMMON_PATH}
        published = repo.blob(common_tag, prefix + COMMON_PATH)
        if published is not None:
            if published != data:
                raise Fail(f"{podman.path}: {tag}'s vendored seccomp.json differs from "
                           f"{url} {common_tag}")
            upstream["commit"] = repo.commit(common_tag)
        require_apache(podman, tag, "LICENSE")
        require_apache(podman, tag, f"vendor/{module}/LICENSE")
        entry = {"version": version, "tag": tag, "commit": podman.commit(tag),
                 "path": f"vendor/{module}/{COMMON_PATH}", "common": upstream}
        releases.append((entry, data))
    return releases


def name_contents(releases, directory, stem, names):
    """Point each entry at one file per distinct content, named after the first release (in the
    order given) that had that content; names maps sha256 -> file and is extended."""
    entries = []
    for entry, data in releases:
        digest = sha256(data)
        if digest not in names:
            names[digest] = (f"{directory}/{stem(entry)}.json", data)
        entry["file"] = names[digest][0]
        entry["sha256"] = digest
        entries.append(entry)
    return entries


def main():
    index_path = OUT / "index.json"
    old = json.loads(index_path.read_text()) if index_path.exists() else {}
    index = {
        "schema": 1,
        "generator": "ci/gen-upstream-defaults.sh",
    }
    written = {}  # file -> bytes, for the sections regenerated in this run

    docker_names = {}
    moby = Repo(MOBY)
    index["docker"] = {
        "repository": MOBY_URL,
        "license": LICENSE,
        "releases": name_contents(docker_releases(moby), "docker",
                                  lambda e: "v" + e["version"], docker_names),
    }
    written.update(docker_names.values())

    common_names = {}
    if COMMON:
        common, libs = Repo(COMMON), (Repo(LIBS) if LIBS else None)
        index["containers-common"] = {
            "repositories": [COMMON_URL] + ([LIBS_URL] if libs else []),
            "license": LICENSE,
            "releases": name_contents(common_releases(common, libs), "podman",
                                      lambda e: "common-v" + e["version"], common_names),
        }
    elif "containers-common" in old:
        index["containers-common"] = old["containers-common"]
    if PODMAN:
        index["podman"] = {
            "repository": PODMAN_URL,
            "license": LICENSE,
            "releases": name_contents(podman_releases(Repo(PODMAN), common, libs), "podman",
                                      lambda e: "common-v" + e["common"]["version"],
                                      common_names),
        }
    elif "podman" in old:
        index["podman"] = old["podman"]
    written.update(common_names.values())

    # Files of the sections kept from the old index stay; everything else not named goes.
    kept = {entry["file"] for section in index.values() if isinstance(section, dict)
            for entry in section["releases"]}
    for directory in ("docker", "podman"):
        (OUT / directory).mkdir(exist_ok=True)
        for path in sorted((OUT / directory).glob("*.json")):
            if f"{directory}/{path.name}" not in kept:
                path.unlink()
    for name, data in sorted(written.items()):
        target = OUT / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    missing = sorted(name for name in kept if not (OUT / name).exists())
    if missing:
        raise Fail(f"the kept index names files that are gone: {', '.join(missing)}")

    text = json.dumps(index, indent=2) + "\n"
    if not index_path.exists() or index_path.read_text() != text:
        index_path.write_text(text)
    for key in ("docker", "podman", "containers-common"):
        if key in index:
            releases = index[key]["releases"]
            files = {entry["file"] for entry in releases}
            print(f"{key}: {len(releases)} releases, {len(files)} distinct files", file=sys.stderr)


try:
    main()
except Fail as err:
    print(f"gen-upstream-defaults: {err}", file=sys.stderr)
    sys.exit(1)
PY
