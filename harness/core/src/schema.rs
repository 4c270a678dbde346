//! The matrix contract (DESIGN §5) as a JSON Schema, generated from the types serde writes
//! ([`Matrix`] and everything it holds), so the published schema cannot drift from the JSON.
//! It is committed as `docs/matrix.schema.json`; a test fails when the types change and that
//! file does not (regenerate with `SECCOMP_HARNESS_UPDATE_SCHEMA=1 cargo test -p
//! seccomp-harness-core schema`). `$id` names the schema_version, and the schema pins
//! `schema_version` to it: the two move together.

use crate::matrix::{Matrix, SCHEMA_VERSION};

/// `urn:seccomp-harness:matrix:v1`: a URN, so the id promises no web address.
pub fn id() -> String {
    format!("urn:seccomp-harness:matrix:v{SCHEMA_VERSION}")
}

/// The schema of a matrix of this version.
pub fn matrix() -> serde_json::Value {
    let mut v = serde_json::to_value(schemars::schema_for!(Matrix)).expect("a schema is JSON");
    v["$id"] = id().into();
    v["properties"]["schema_version"] = serde_json::json!({
        "description": "The contract's version: a reader checks it before anything else; fields are only ever added within a version.",
        "const": SCHEMA_VERSION,
    });
    v
}

/// The committed file's text.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&matrix()).expect("a schema serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{cell, exp, matrix as fixture_matrix, obs};
    use crate::outcome::{Outcome, RuleRef};

    const COMMITTED: &str = "../../docs/matrix.schema.json";

    fn committed_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED)
    }

    #[test]
    fn the_committed_schema_is_the_types_schema() {
        let now = render();
        if std::env::var("SECCOMP_HARNESS_UPDATE_SCHEMA").as_deref() == Ok("1") {
            std::fs::write(committed_path(), &now).unwrap();
        }
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        assert!(
            committed == now,
            "docs/matrix.schema.json differs from the matrix types: a change to the contract \
             needs its schema (and, unless it only adds fields, a schema_version bump). \
             Regenerate with SECCOMP_HARNESS_UPDATE_SCHEMA=1 cargo test -p seccomp-harness-core schema"
        );
    }

    #[test]
    fn id_and_schema_version_move_together() {
        let s = matrix();
        assert!(s["$id"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":v{SCHEMA_VERSION}")));
        assert_eq!(s["properties"]["schema_version"]["const"], SCHEMA_VERSION);
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::validator_for(&matrix()).expect("the schema compiles")
    }

    #[test]
    fn matrices_validate_and_broken_ones_do_not() {
        let mut m = fixture_matrix(
            &["p", "builtin"],
            vec![
                cell(
                    "p",
                    "mkdir",
                    obs(Outcome::Errno, Some(13), Some(RuleRef::Index(0))),
                    exp(Outcome::Errno, Some(13), Some(RuleRef::Index(0))),
                ),
                cell(
                    "builtin",
                    "read",
                    obs(Outcome::Killed, None, Some(RuleRef::BAD_ARCH)),
                    exp(Outcome::Killed, None, Some(RuleRef::DEFAULT)),
                ),
            ],
        );
        m.readiness = crate::readiness::of(&m);
        let v = serde_json::to_value(&m).unwrap();
        let errors: Vec<String> = validator().iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");

        for (pointer, bad) in [
            ("/schema_version", serde_json::json!(SCHEMA_VERSION + 1)),
            ("/cells/0/verdict", serde_json::json!("passed")),
            ("/cells/0/observed/outcome", serde_json::json!("denied")),
            ("/cells/0/observed/rule", serde_json::json!("rule 3")),
        ] {
            let mut broken = v.clone();
            *broken.pointer_mut(pointer).unwrap() = bad;
            assert!(!validator().is_valid(&broken), "{pointer} was accepted");
        }
    }
}
