//! The model written back as the JSON Docker reads. Parsing what this writes gives the same
//! [`Profile`]: the corpus test below holds that for every profile the project ships or
//! tests against, which is what lets tagging, salting and the per-runtime copies edit the
//! model and send the engine its serialized form (issue #20) without the two drifting apart.
//!
//! Only what the model holds is written: fields Docker ignores or the model doesn't read
//! (Podman's `errno` names, `listenerMetadata`, unknown keys) are not, and `name` is written
//! as `names`. Keys come out sorted.

use super::model::{ArchMapEntry, Arches, ArgCond, Filter, Format, Profile, Rule};
use serde_json::{json, Map, Value};

impl Profile {
    /// The profile as a Docker seccomp profile; an OCI config's `linux.seccomp` inside
    /// `{"linux": {"seccomp": …}}`, so that it reads back as an OCI config.
    pub fn to_json(&self) -> Value {
        let seccomp = seccomp_value(self);
        match self.format {
            Format::Docker => seccomp,
            Format::OciConfig => json!({ "linux": { "seccomp": seccomp } }),
        }
    }
}

fn seccomp_value(p: &Profile) -> Value {
    let mut out = Map::new();
    if let Some(action) = p.default_action {
        out.insert("defaultAction".into(), action.name().into());
    }
    if let Some(errno) = p.default_errno_ret {
        out.insert("defaultErrnoRet".into(), errno.into());
    }
    match &p.arches {
        Arches::Unspecified => {}
        Arches::List(list) => {
            out.insert("architectures".into(), list.clone().into());
        }
        Arches::Map(entries) => {
            out.insert(
                "archMap".into(),
                entries.iter().map(arch_map_entry).collect(),
            );
        }
    }
    // Always there, even empty: it is what makes a document without a default a profile.
    out.insert("syscalls".into(), p.rules.iter().map(rule_value).collect());
    if !p.flags.is_empty() {
        out.insert("flags".into(), p.flags.clone().into());
    }
    if let Some(path) = &p.listener_path {
        out.insert("listenerPath".into(), path.clone().into());
    }
    Value::Object(out)
}

fn arch_map_entry(e: &ArchMapEntry) -> Value {
    let mut out = Map::new();
    // The parser keeps a missing `architecture` as "", which is no arch name to write.
    if !e.architecture.is_empty() {
        out.insert("architecture".into(), e.architecture.clone().into());
    }
    out.insert(
        "subArchitectures".into(),
        e.sub_architectures.clone().into(),
    );
    Value::Object(out)
}

fn rule_value(r: &Rule) -> Value {
    let mut out = Map::new();
    out.insert("names".into(), r.names.clone().into());
    out.insert("action".into(), r.action.name().into());
    if let Some(errno) = r.errno_ret {
        out.insert("errnoRet".into(), errno.into());
    }
    if !r.args.is_empty() {
        out.insert("args".into(), r.args.iter().map(arg_value).collect());
    }
    if !r.includes.is_empty() {
        out.insert("includes".into(), filter_value(&r.includes));
    }
    if !r.excludes.is_empty() {
        out.insert("excludes".into(), filter_value(&r.excludes));
    }
    if let Some(comment) = &r.comment {
        out.insert("comment".into(), comment.clone().into());
    }
    Value::Object(out)
}

fn arg_value(a: &ArgCond) -> Value {
    json!({
        "index": a.index,
        "value": a.value,
        "valueTwo": a.value_two,
        "op": a.op.name(),
    })
}

fn filter_value(f: &Filter) -> Value {
    let mut out = Map::new();
    if !f.caps.is_empty() {
        out.insert("caps".into(), f.caps.clone().into());
    }
    if !f.arches.is_empty() {
        out.insert("arches".into(), f.arches.clone().into());
    }
    if let Some(min) = f.min_kernel {
        out.insert("minKernel".into(), min.to_string().into());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileFile;
    use std::path::{Path, PathBuf};

    /// Every profile file under `dir`, subdirectories included.
    fn profiles_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                profiles_under(&path, out);
            } else if path
                .extension()
                .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
                && !path.ends_with("SOURCES.json")
            {
                out.push(path);
            }
        }
    }

    /// The corpus: the shipped profiles, the test fixtures (Docker's defaults across
    /// releases, Podman's, moby's, libseccomp's, the hostile ones, the kernel's) and the wild
    /// corpus with its Kubernetes resources; plus upstream's default for every release the
    /// harness embeds. A matrix fixture is no profile; everything else must parse.
    #[test]
    fn every_corpus_profile_reads_back_as_the_same_model() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        profiles_under(&root.join("profiles"), &mut files);
        profiles_under(&root.join("harness/tests/fixtures"), &mut files);
        files.retain(|f| !f.to_string_lossy().contains("/fixtures/matrices/"));
        files.sort();
        let mut n = 0;
        for path in &files {
            let read = ProfileFile::read(path).unwrap_or_else(|e| panic!("{e}"));
            for loaded in read.profiles().unwrap_or_else(|e| panic!("{e}")) {
                let written = serde_json::to_string_pretty(&loaded.profile.to_json()).unwrap();
                let again = crate::profile::parse_str(&written, "written")
                    .unwrap_or_else(|e| panic!("{}: {e}\n{written}", path.display()));
                assert_eq!(again, loaded.profile, "{}", path.display());
                n += 1;
            }
        }
        let upstream = crate::upstream::docker_releases()
            .iter()
            .chain(crate::upstream::podman_releases())
            .chain(crate::upstream::containers_common_releases())
            .chain(crate::upstream::containerd_releases());
        for release in upstream {
            let p = crate::upstream::profile_of(release);
            let again = crate::profile::parse_str(&p.to_json().to_string(), "written").unwrap();
            assert_eq!(again, p, "{}", release.file);
            n += 1;
        }
        // The count keeps the corpus from silently shrinking.
        assert!(n >= 80, "only {n} profiles read");
    }

    #[test]
    fn what_docker_reads_in_other_spellings_is_written_in_one() {
        let text = r#"{
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": null}],
            "listenerMetadata": "ignored",
            "syscalls": [
                {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errno": "EACCES",
                 "args": [{"index": 1, "value": 4, "op": "SCMP_CMP_MASKED_EQ"}],
                 "includes": {"minKernel": "5.8", "caps": []}, "comment": ""},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["s390x"]}}
            ]
        }"#;
        let p = crate::profile::parse_str(text, "p.json").unwrap();
        assert_eq!(
            p.to_json(),
            json!({
                "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}],
                "syscalls": [
                    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                     "args": [{"index": 1, "value": 4, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
                     "includes": {"minKernel": "5.8"}},
                    {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["s390x"]}}
                ]
            })
        );
        let oci = crate::profile::parse_str(
            r#"{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}"#,
            "config.json",
        )
        .unwrap();
        assert_eq!(
            oci.to_json(),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}}})
        );
        assert_eq!(
            crate::profile::parse_str(&oci.to_json().to_string(), "again").unwrap(),
            oci
        );
    }
}
