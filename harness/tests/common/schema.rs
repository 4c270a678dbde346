//! Documents the harness writes, checked against the schema that publishes them: the SARIF
//! 2.1.0 schema code scanning reads, and the matrix's own contract.

use serde_json::Value;

/// Asserts that `doc` is valid against `schema`, listing every error (not only the first).
pub fn assert_valid(schema: &Value, doc: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The SARIF log in `text`, after checking it against the official SARIF 2.1.0 schema.
pub fn valid_sarif(text: &str) -> Value {
    let schema: Value = serde_json::from_str(include_str!(
        "../../core/tests/data/sarif-schema-2.1.0.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(text).expect("SARIF is JSON");
    assert_valid(&schema, &v);
    v
}

/// Asserts that `matrix` is valid against the published matrix contract
/// (`docs/matrix.schema.json`).
pub fn assert_valid_matrix(matrix: &Value) {
    let contract: Value =
        serde_json::from_str(include_str!("../../../docs/matrix.schema.json")).unwrap();
    assert_valid(&contract, matrix);
}
