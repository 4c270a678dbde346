use super::*;

fn err(text: &str) -> ProfileError {
    parse_str(text, "p.json").unwrap_err()
}

fn kind(text: &str) -> Invalid {
    err(text).invalid().cloned().expect("a semantic error")
}

/// What the user reads: checks inside deserialization come out as their message.
fn says(text: &str) -> String {
    kind(text).to_string()
}

#[test]
fn parses_a_minimal_profile() {
    let p = parse_str(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","args":null}]}"#,
        "p.json",
    )
    .unwrap();
    assert_eq!(p.default_action, Some(Action::Errno));
    assert_eq!(p.rules[0].names, vec!["mkdir"]);
    assert_eq!(p.arches, Arches::Unspecified);
}

#[test]
fn legacy_name_is_accepted() {
    let p = parse_str(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"open","action":"SCMP_ACT_ALLOW"}]}"#,
        "p.json",
    )
    .unwrap();
    assert_eq!(p.rules[0].names, vec!["open"]);
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let e = err("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  oops\n}");
    match &e {
        ProfileError::Syntax { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().starts_with("p.json:3:3: invalid JSON"), "{e}");
}

#[test]
fn unknown_action_names_position() {
    let e = err("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\n\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_NOPE\"}]}");
    assert_eq!(
        e.invalid().unwrap().to_string(),
        Invalid::UnknownAction("SCMP_ACT_NOPE".into()).to_string()
    );
    assert!(e.to_string().starts_with("p.json:2:"), "{e}");
    assert_eq!(
        says(r#"{"defaultAction":"ALLOW"}"#),
        Invalid::UnknownAction("ALLOW".into()).to_string()
    );
}

#[test]
fn unknown_operator_and_arch() {
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQUAL"}]}]}"#
        ),
        Invalid::UnknownOperator("SCMP_CMP_EQUAL".into()).to_string()
    );
    assert_eq!(
        says(r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_AMD64"]}"#),
        Invalid::UnknownArch("SCMP_ARCH_AMD64".into()).to_string()
    );
}

#[test]
fn errno_ret_out_of_range_is_kept_for_the_oracle() {
    // Docker accepts it and the runtime then fails: the parse keeps it, check reports it
    // (validate::errno_out_of_range), the oracle predicts the start failure.
    let big = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO","errnoRet":70000}]}"#;
    assert_eq!(parse_str(big, "p").unwrap().rules[0].errno_ret, Some(70000));
    let huge = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":99999999999}"#;
    assert_eq!(
        parse_str(huge, "p").unwrap().default_errno_ret,
        Some(u32::MAX)
    );
    // A negative errno is a type error in Go's decoder too.
    assert!(matches!(
        kind(r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1}"#),
        Invalid::Type(_)
    ));
}

#[test]
fn structural_errors() {
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#
        ),
        Invalid::BothArchFields.to_string()
    );
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#
        ),
        Invalid::ArgIndex(6).to_string()
    );
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}"#
        ),
        Invalid::NoNames.to_string()
    );
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a",""],"action":"SCMP_ACT_ALLOW"}]}"#
        ),
        Invalid::EmptyName.to_string()
    );
    assert_eq!(
        says(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}"#
        ),
        Invalid::NameAndNames.to_string()
    );
    assert_eq!(
        says(r#"{"syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW"}]}"#),
        Invalid::MissingDefaultAction.to_string()
    );
    assert!(says(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}]}"#
    )
    .starts_with("invalid minKernel"));
}

#[test]
fn not_a_profile() {
    for text in [
        "[]",
        "42",
        "{}",
        r#"{"ociVersion":"1.0.2"}"#,
        r#"{"hello":1}"#,
    ] {
        assert!(matches!(kind(text), Invalid::NotAProfile(_)), "{text}");
    }
}

#[test]
fn oci_config_is_detected() {
    let p = parse_str(
        r#"{"ociVersion":"1.0.2","process":{},"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}}}"#,
        "config.json",
    )
    .unwrap();
    assert_eq!(p.format, Format::OciConfig);
    assert_eq!(p.arches, Arches::List(vec!["SCMP_ARCH_X86_64".into()]));
}
