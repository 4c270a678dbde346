//! Kubernetes `SeccompProfile` resources (the security-profiles-operator's CRD,
//! `security-profiles-operator.x-k8s.io`): YAML whose `spec` is a Docker-format profile. A
//! file may hold several resources (`---`); each becomes a profile of its own, named by its
//! `metadata.name`.

use super::parse::{Invalid, ProfileError};

/// One profile of a profile file: its name within the file (a resource's `metadata.name`;
/// `None` for a plain JSON profile) and the Docker-format JSON the engine gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub name: Option<String>,
    pub json: String,
}

/// Whether `text` (from `file`) is YAML rather than JSON: by extension, or, for any other
/// name, by not starting with `{`.
pub(crate) fn is_yaml(text: &str, file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    lower.ends_with(".yaml")
        || lower.ends_with(".yml")
        || !(lower.ends_with(".json") || text.trim_start().starts_with('{'))
}

/// The `SeccompProfile` resources of a YAML file, each as a Docker-format JSON profile.
pub fn documents(text: &str, file: &str) -> Result<Vec<Document>, ProfileError> {
    let invalid = |kind| ProfileError::Invalid {
        file: file.to_string(),
        line: None,
        column: None,
        kind,
    };
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| invalid(Invalid::NotAProfile(format!("invalid YAML: {e}"))))?;
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate().filter(|(_, d)| !d.is_null()) {
        let kind = doc["kind"].as_str().unwrap_or_default();
        if kind != "SeccompProfile" {
            return Err(invalid(Invalid::NotAProfile(format!(
                "YAML document {} is kind {kind:?}, not a SeccompProfile resource",
                i + 1
            ))));
        }
        let name = doc["metadata"]["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                invalid(Invalid::NotAProfile(format!(
                    "YAML document {} has no metadata.name",
                    i + 1
                )))
            })?;
        let spec = doc.get("spec").filter(|s| s.is_object()).ok_or_else(|| {
            invalid(Invalid::NotAProfile(format!(
                "SeccompProfile {name:?} has no spec"
            )))
        })?;
        out.push(Document {
            name: Some(name.to_string()),
            json: serde_json::to_string_pretty(spec).expect("a JSON value serializes"),
        });
    }
    if out.is_empty() {
        return Err(invalid(Invalid::NotAProfile(
            "no SeccompProfile resource in the YAML".into(),
        )));
    }
    Ok(out)
}

/// The profiles of a profile file: one for a JSON profile, one per resource for YAML.
pub fn split(text: &str, file: &str) -> Result<Vec<Document>, ProfileError> {
    if is_yaml(text, file) {
        documents(text, file)
    } else {
        Ok(vec![Document {
            name: None,
            json: text.to_string(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: deny-mkdir
spec:
  defaultAction: SCMP_ACT_ALLOW
  architectures: [SCMP_ARCH_X86_64]
  syscalls:
    - action: SCMP_ACT_ERRNO
      names: [mkdir, mkdirat]
---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: log-all
spec:
  defaultAction: SCMP_ACT_LOG
"#;

    #[test]
    fn each_resource_is_a_profile() {
        let docs = split(TWO, "p.yaml").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].name.as_deref(), Some("deny-mkdir"));
        let p = crate::profile::parse_str(&docs[0].json, "p.yaml").unwrap();
        assert_eq!(p.rules[0].names, ["mkdir", "mkdirat"]);
        assert_eq!(docs[1].name.as_deref(), Some("log-all"));
    }

    #[test]
    fn json_stays_one_profile_and_other_kinds_are_refused() {
        let docs = split(r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#, "p.json").unwrap();
        assert_eq!(docs[0].name, None);
        let err = split("kind: ConfigMap\nmetadata: {name: x}\n", "p.yaml").unwrap_err();
        assert!(err.to_string().contains("ConfigMap"), "{err}");
        let err = split("kind: [unclosed", "p.yaml").unwrap_err();
        assert!(err.to_string().contains("p.yaml"), "{err}");
    }
}
