//! Property tests over matrix JSON as `diff` and `render` get it: a real matrix
//! (`fixtures/matrices/`), mutated (values replaced, keys deleted, elements duplicated, ids
//! swapped, the text cut short) or arbitrary bytes.
//!
//! - Reading never panics: a file is a matrix or an error.
//! - Whatever reads as a matrix renders in every format, compares with `diff` against the
//!   original and itself (itself: no change), splits by engine and runtime, all without a panic.
//! - The JSON renderer's output reads back as the same matrix (serialize, then parse, is the
//!   identity).
//!
//! CI runs the default number of cases; `PROPTEST_CASES` runs a soak (README, *Fuzz and
//! property tests*).

use proptest::prelude::*;
use seccomp_harness_core::diff::MatrixDiff;
use seccomp_harness_core::fleet;
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::report::diff::{render as render_diff, DiffFormat, Sides};
use seccomp_harness_core::report::{render, Format, Options};
use seccomp_harness_core::runtime::{testing::NO_STUB_NAME, DEFAULT_NAME};
use serde_json::Value;
use soak::config;

#[path = "common/soak.rs"]
mod soak;

const SEED: &str = include_str!("fixtures/matrices/docker-20.10.24-runc-1.1.5.json");

/// Values a mutation puts in place of another: the matrix's own vocabulary (outcomes,
/// verdicts, rule references, ids of its configurations and cases) and stray types.
fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1.5)),
        prop::sample::select(vec![
            "allowed",
            "errno",
            "killed",
            "trapped",
            "timeout",
            "start_failed",
            "not_run",
            "ambiguous",
            "absent",
            "pass",
            "fail",
            "drift",
            "unpredicted",
            "default",
            "enosys_stub",
            "bad_arch",
            "builtin",
            "unconfined",
            "docker-default-hardened+SYS_ADMIN",
            "getpid",
            "x86_64",
            "i386",
            DEFAULT_NAME,
            NO_STUB_NAME,
            "podman",
            "",
            "a@b",
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({})),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(prop::sample::Index, Value),
    Delete(prop::sample::Index),
    Duplicate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), replacement()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Duplicate),
    ]
}

/// The number of nodes under `v`, itself included.
fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// Applies `m` to the node numbered `n` in pre-order. Delete and Duplicate act on the node's
/// place in its parent (nothing at the root).
fn apply(v: &mut Value, n: &mut usize, m: &Mutation) -> bool {
    if *n == 0 {
        if let Mutation::Replace(_, r) = m {
            *v = r.clone();
            return true;
        }
        return false;
    }
    *n -= 1;
    match v {
        Value::Array(a) => {
            for i in 0..a.len() {
                let size = count(&a[i]);
                if *n < size {
                    if *n == 0 {
                        match m {
                            Mutation::Delete(_) => {
                                a.remove(i);
                                return true;
                            }
                            Mutation::Duplicate(_) => {
                                let copy = a[i].clone();
                                a.insert(i, copy);
                                return true;
                            }
                            Mutation::Replace(..) => {}
                        }
                    }
                    return apply(&mut a[i], n, m);
                }
                *n -= size;
            }
        }
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                let size = count(&o[&k]);
                if *n < size {
                    if *n == 0 {
                        match m {
                            Mutation::Delete(_) => {
                                o.remove(&k);
                                return true;
                            }
                            // A duplicate key is the same key: give the copy a new name.
                            Mutation::Duplicate(_) => {
                                let copy = o[&k].clone();
                                o.insert(format!("{k}_"), copy);
                                return true;
                            }
                            Mutation::Replace(..) => {}
                        }
                    }
                    return apply(o.get_mut(&k).unwrap(), n, m);
                }
                *n -= size;
            }
        }
        _ => {}
    }
    false
}

fn mutate(seed: &Value, mutations: &[Mutation]) -> Value {
    let mut v = seed.clone();
    for m in mutations {
        let (Mutation::Replace(i, _) | Mutation::Delete(i) | Mutation::Duplicate(i)) = m;
        let mut n = i.index(count(&v));
        apply(&mut v, &mut n, m);
    }
    v
}

/// What `render`, `diff`, `diff --engines` and `diff --runtimes` do with a file, minus the
/// file; panics are the only failure.
fn everything_a_reader_does(text: &str, seed: &Matrix) -> Result<(), TestCaseError> {
    let Ok(m) = Matrix::from_json(text) else {
        return Ok(());
    };
    for format in Format::ALL {
        for only_interesting in [false, true] {
            let options = Options {
                color: true,
                only_interesting,
            };
            let _ = render(format, &m, &options);
        }
    }
    let back = Matrix::from_json(&render(Format::Json, &m, &Options::default())).map_err(|e| {
        TestCaseError::fail(format!(
            "the JSON renderer's output does not read back: {e}"
        ))
    })?;
    prop_assert_eq!(&back, &m);
    prop_assert!(!MatrixDiff::between(&m, &m).has_changes());
    let sides = Sides {
        old: "old.json",
        new: "new.json",
    };
    for (old, new) in [(seed, &m), (&m, seed)] {
        let d = MatrixDiff::between(old, new);
        for format in DiffFormat::ALL {
            let _ = render_diff(format, &d, sides);
        }
    }
    for name in fleet::names(&m) {
        if let Ok(view) = fleet::view(&m, name) {
            let _ = MatrixDiff::between(&view, seed);
        }
    }
    let runtimes: Vec<String> = m
        .configurations
        .iter()
        .filter_map(|c| c.runtime.clone())
        .chain([m.host.runtime.clone()])
        .collect();
    for r in runtimes {
        if let Some(view) = m.for_runtime(&r) {
            let _ = MatrixDiff::between(&view, seed);
            let _ = render(Format::Table, &view, &Options::default());
        }
    }
    Ok(())
}

#[test]
fn the_seed_is_a_matrix() {
    let seed = Matrix::from_json(SEED).unwrap();
    assert!(seed.cells.len() > 40);
    everything_a_reader_does(SEED, &seed).unwrap();
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_matrices_never_panic(mutations in prop::collection::vec(mutation(), 1..8)) {
        let seed: Value = serde_json::from_str(SEED).unwrap();
        let matrix = Matrix::from_json(SEED).unwrap();
        let text = mutate(&seed, &mutations).to_string();
        everything_a_reader_does(&text, &matrix)?;
    }

    #[test]
    fn cut_matrices_never_panic(cut in any::<prop::sample::Index>()) {
        let matrix = Matrix::from_json(SEED).unwrap();
        let mut at = cut.index(SEED.len());
        while !SEED.is_char_boundary(at) {
            at -= 1;
        }
        everything_a_reader_does(&SEED[..at], &matrix)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let matrix = Matrix::from_json(SEED).unwrap();
        everything_a_reader_does(&String::from_utf8_lossy(&bytes), &matrix)?;
    }
}
