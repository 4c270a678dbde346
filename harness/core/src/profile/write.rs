//! The model written back as the JSON Docker reads. Parsing what this writes gives the same
//! [`Profile`]: the corpus test below holds that for every profile the project ships or
//! tests against, which is what lets tagging, salting and the per-runtime copies edit the
//! model and send the engine its serialized form (issue #20) without the two drifting apart.
//!
//! Only what the model holds is written: every field Docker, Podman or the runtime act on,
//! Podman's `errno` names and `listenerMetadata` included. Dropped: keys no engine reads (a
//! top-level `comment`, the other keys of a Kubernetes resource's `spec`, anything unknown),
//! an empty `comment` and an `errno` that is no name; `name` is written as `names`. Keys come
//! out sorted.

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
    if let Some(name) = &p.default_errno_name {
        out.insert("defaultErrno".into(), name.clone().into());
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
    if let Some(metadata) = &p.listener_metadata {
        out.insert("listenerMetadata".into(), metadata.clone().into());
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
    if let Some(name) = &r.errno_name {
        out.insert("errno".into(), name.clone().into());
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

    /// Over the corpus ([`crate::profile::corpus`]): parse → serialize → parse gives the same
    /// model, the pretty and the compact form alike.
    #[test]
    fn every_corpus_profile_reads_back_as_the_same_model() {
        for (what, profile) in crate::profile::corpus::profiles() {
            let json = profile.to_json();
            for written in [
                serde_json::to_string_pretty(&json).unwrap(),
                json.to_string(),
            ] {
                let again = crate::profile::parse_str(&written, "written")
                    .unwrap_or_else(|e| panic!("{what}: {e}\n{written}"));
                assert_eq!(again, profile, "{what}");
            }
        }
    }

    #[test]
    fn what_docker_reads_in_other_spellings_is_written_in_one() {
        let text = r#"{
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": null}],
            "comment": "no engine reads this",
            "syscalls": [
                {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errno": 13,
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
        // Podman's fields are kept: Podman acts on them.
        let podman = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS",
            "listenerPath": "/run/agent.sock", "listenerMetadata": "m",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"}]}"#;
        let p = crate::profile::parse_str(podman, "p.json").unwrap();
        assert_eq!(p.default_errno_name.as_deref(), Some("ENOSYS"));
        assert_eq!(p.rules[0].errno_name.as_deref(), Some("EACCES"));
        assert_eq!(
            p.to_json(),
            json!({
                "defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS",
                "listenerPath": "/run/agent.sock", "listenerMetadata": "m",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"}]
            })
        );
        assert_eq!(
            crate::profile::parse_str(&p.to_json().to_string(), "again").unwrap(),
            p
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
