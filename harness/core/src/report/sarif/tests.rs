use super::*;
use crate::matrix::fixture::{cell, exp, matrix, obs};
use crate::outcome::Outcome;
use crate::profile::Pos;

/// `profiles/strict.json` as the fixture's configuration names it.
const STRICT: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {
      "names": ["getpid"],
      "action": "SCMP_ACT_ALLOW"
    },
    {
      "names": ["mkdir"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 38
    },
    { "names": ["never_reached"], "action": "SCMP_ACT_LOG" }
  ]
}"#;

fn sources() -> Sources {
    Sources::from([(
        "profiles/strict.json".to_string(),
        SourceMap::of(STRICT).unwrap(),
    )])
}

fn sample() -> Matrix {
    let allow = Some(RuleRef::Index(0));
    let mkdir = Some(RuleRef::Index(1));
    let mut m = matrix(
        &["strict", "builtin"],
        vec![
            cell(
                "strict",
                "getpid",
                obs(Outcome::Allowed, None, allow),
                exp(Outcome::Allowed, None, allow),
            ),
            // Fails: the rule says ENOSYS, the engine answered EPERM.
            cell(
                "strict",
                "mkdir",
                obs(Outcome::Errno, Some(1), None),
                exp(Outcome::Errno, Some(38), mkdir),
            ),
            // Fails by the default action.
            cell(
                "strict",
                "read",
                obs(Outcome::Allowed, None, None),
                exp(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT)),
            ),
            cell(
                "builtin",
                "getpid",
                obs(Outcome::Allowed, None, None),
                exp(Outcome::Errno, Some(1), None),
            ),
        ],
    );
    m.configurations[1].source = "builtin".into();
    m.configurations[1].sha256 = None;
    m
}

fn results(sarif: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(sarif).unwrap();
    v["runs"][0]["results"].as_array().unwrap().clone()
}

fn region(r: &serde_json::Value) -> (u64, u64) {
    let reg = &r["locations"][0]["physicalLocation"]["region"];
    (
        reg["startLine"].as_u64().unwrap(),
        reg["startColumn"].as_u64().unwrap(),
    )
}

/// Validates against the official SARIF 2.1.0 schema (OASIS, vendored with its provenance in
/// tests/data/PROVENANCE.md).
fn assert_valid(sarif: &str) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let instance: serde_json::Value = serde_json::from_str(sarif).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{sarif}");
}

#[test]
fn a_failing_cell_is_located_at_the_line_of_the_rule_that_decided_it() {
    let sarif = render(&sample(), &sources());
    assert_valid(&sarif);
    let rs = results(&sarif);
    let failed: Vec<_> = rs.iter().filter(|r| r["ruleId"] == "cell-failed").collect();
    assert_eq!(failed.len(), 3);
    let mkdir = failed
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().starts_with("mkdir"))
        .unwrap();
    assert_eq!(mkdir["level"], "error");
    assert_eq!(
        mkdir["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "profiles/strict.json"
    );
    // `"names": ["mkdir"]` is line 9, column 7.
    assert_eq!(region(mkdir), (9, 7));
    // The default action's cell points at `defaultAction`.
    let read = failed
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().starts_with("read"))
        .unwrap();
    assert_eq!(region(read), (2, 3));
    // builtin has no file: a logical location names the configuration and case.
    let builtin = failed
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().contains("builtin"))
        .unwrap();
    assert!(builtin["locations"][0].get("physicalLocation").is_none());
    assert_eq!(
        builtin["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "builtin/getpid"
    );
}

#[test]
fn a_rule_that_decided_no_cell_is_reported_unproven_at_its_line() {
    let sarif = render(&sample(), &sources());
    let unproven: Vec<_> = results(&sarif)
        .into_iter()
        .filter(|r| r["ruleId"] == "rule-unproven")
        .collect();
    assert_eq!(unproven.len(), 1, "{unproven:#?}");
    assert_eq!(region(&unproven[0]), (13, 7));
    assert!(unproven[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("syscalls[2]"));
}

#[test]
fn a_changed_or_missing_file_gives_the_file_without_a_region() {
    let sarif = render(&sample(), &Sources::new());
    assert_valid(&sarif);
    let rs = results(&sarif);
    let mkdir = rs
        .iter()
        .find(|r| r["message"]["text"].as_str().unwrap().starts_with("mkdir"))
        .unwrap();
    assert_eq!(
        mkdir["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "profiles/strict.json"
    );
    assert!(mkdir["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    // Without the file's rules, nothing is said about which are unproven.
    assert!(!rs.iter().any(|r| r["ruleId"] == "rule-unproven"));
}

#[test]
fn every_kind_validates_and_has_its_descriptor() {
    let mut m = sample();
    m.cells[3].verdict = Verdict::Drift;
    m.readiness = Some(crate::readiness::Readiness {
        configuration: "builtin".into(),
        entries: vec![crate::readiness::Entry {
            syscall: "clone3".into(),
            rule: Some(RuleRef::DEFAULT),
            upstream_names_it: Some(true),
            libseccomp_knows: Some(true),
            allowed_from: None,
            allowed_until: None,
            history: None,
            userspace: Vec::new(),
            fix: None,
        }],
        note: None,
        fix: Vec::new(),
        enosys: Vec::new(),
        fix_placement: None,
    });
    m.cells[2].verdict = Verdict::NotEnforced;
    m.cells[0].verdict = Verdict::HeldBack;
    let sarif = render(&m, &sources());
    assert_valid(&sarif);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for r in results(&sarif) {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[i], r["ruleId"].as_str().unwrap());
    }
    assert!(results(&sarif).iter().any(|r| r["ruleId"] == "readiness"));
    assert!(results(&sarif).iter().any(|r| r["ruleId"] == "cell-drift"));
    assert!(results(&sarif)
        .iter()
        .any(|r| r["ruleId"] == "cell-not-enforced" && r["level"] == "error"));
    assert!(results(&sarif)
        .iter()
        .any(|r| r["ruleId"] == "cell-held-back"));

    let diff = MatrixDiff::between(&sample(), &m);
    let sarif = render_diff(&diff, Some(&m), &sources());
    assert_valid(&sarif);

    let f = Finding {
        kind: Kind::CheckError,
        message: "unknown action".into(),
        file: Some("/abs path/p.json".into()),
        span: Some(Span {
            start: Pos { line: 3, column: 4 },
            end: Pos { line: 3, column: 4 },
        }),
        logical: None,
        fingerprint: "x".into(),
        level: None,
    };
    let sarif = render_findings(&[f]);
    assert_valid(&sarif);
    assert!(sarif.contains("file:///abs%20path/p.json"));
}

#[test]
fn the_schema_check_can_fail() {
    let sarif =
        render(&sample(), &sources()).replacen("\"level\": \"error\"", "\"level\": \"fatal\"", 1);
    let result = std::panic::catch_unwind(|| assert_valid(&sarif));
    assert!(result.is_err(), "a level the schema does not allow passed");
}

#[test]
fn missing_engines_and_configurations_are_errors() {
    let mut m = matrix(&["strict"], Vec::new());
    m.missing_engines.push(crate::matrix::MissingEngine {
        name: "sid".into(),
        url: "unix:///gone.sock".into(),
        error: "cannot reach it".into(),
    });
    m.missing_configurations
        .push(crate::matrix::MissingConfiguration {
            id: "strict+SYS_ADMIN".into(),
            error: "the engine closed the connection".into(),
        });
    let f = findings(&m, &Sources::new());
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|f| f.kind == Kind::RunIncomplete));
    assert!(f[0]
        .message
        .contains("engine sid (unix:///gone.sock) is missing"));
    assert_eq!(f[1].logical.as_deref(), Some("strict+SYS_ADMIN"));
    assert!(f[1].message.contains("the engine closed the connection"));
    let v: serde_json::Value = serde_json::from_str(&render(&m, &Sources::new())).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .all(|r| r["ruleId"] == "run-incomplete" && r["level"] == "error"));
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let index = results[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "run-incomplete");
}
