//! The oracle against libseccomp's own regression tests (`tests/fixtures/libseccomp`, README
//! there): for each test whose filter a Docker profile can express, every `bpf-sim` row for
//! x86_64 must get the action libseccomp's simulator expects. No Docker needed.
//!
//! The comparison is on the filter's answer (`Oracle::predict_filter`) with a runtime that adds
//! no ENOSYS stub (`runtime::testing::NO_STUB_NAME`'s model): libseccomp's simulator runs the bare filter. `N` (any value)
//! arguments are tried as 0 and all ones (every combination): the expected result must hold
//! for each.
//! The test prints how many rows (and argument combinations) agree.

mod common;

use seccomp_catalog::{Abi, Arch, Arg, Case};
use seccomp_harness_core::oracle::Oracle;
use seccomp_harness_core::outcome::Outcome;
use seccomp_harness_core::profile::{self, names, CapSet, Host, KernelVersion};
use seccomp_harness_core::runtime::{testing, Runtime};
use std::path::PathBuf;

const ENOSYS: i32 = 38;

/// One bpf-sim row's expectation, as the probe would see it.
fn expected(result: &str) -> (Outcome, Option<i32>) {
    let number = |s: &str| -> i32 {
        s.trim_end_matches(')')
            .split('(')
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number in {s}"))
    };
    match result {
        "ALLOW" | "LOG" => (Outcome::Allowed, None),
        "KILL" | "KILL_PROCESS" => (Outcome::Killed, None),
        // The trap's si_errno is the action's data: 0 for SCMP_ACT_TRAP.
        "TRAP" => (Outcome::Trapped, Some(0)),
        // SCMP_ACT_TRACE with no tracer attached: the kernel answers ENOSYS.
        r if r.starts_with("TRACE(") => (Outcome::Errno, Some(ENOSYS)),
        r if r.starts_with("ERRNO(") => (Outcome::Errno, Some(number(r))),
        other => panic!("unknown bpf-sim result {other}"),
    }
}

/// A row's values for one column: a number, a range `a-b`, or `N` (several values).
fn values(field: &str) -> Vec<u64> {
    let num = |s: &str| -> u64 {
        match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(h) => u64::from_str_radix(h, 16).unwrap(),
            None => s.parse().unwrap(),
        }
    };
    if field == "N" {
        return vec![0, u64::MAX];
    }
    match field.split_once('-') {
        Some((a, b)) if !a.is_empty() => (num(a)..=num(b)).collect(),
        _ => vec![num(field)],
    }
}

/// Whether the row's arch list covers x86_64 (`all`, `all,-x32`, `x86_64`, `+x86_64`).
fn covers_x86_64(arches: &str) -> bool {
    let parts: Vec<&str> = arches.split(',').collect();
    let included = parts
        .iter()
        .any(|p| matches!(p.trim_start_matches('+'), "all" | "all_le" | "x86_64"));
    included && !parts.contains(&"-x86_64")
}

/// The rows of a `.tests` file's `bpf-sim` sections, each split into its ten columns (test
/// name, arches, syscall, six arguments, result): the other sections test libseccomp's API,
/// which a Docker profile can't reach.
fn bpf_sim_rows(data: &str) -> Vec<Vec<&str>> {
    let mut in_sim = false;
    let mut rows = Vec::new();
    for line in data.lines() {
        if let Some(kind) = line.strip_prefix("test type: ") {
            in_sim = kind == "bpf-sim";
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if in_sim && !line.starts_with('#') && fields.len() == 10 {
            rows.push(fields);
        }
    }
    rows
}

/// The syscall numbers a row's syscall column stands for: numbers or a range as they are, a
/// name by its x86_64 number.
fn syscall_numbers(field: &str) -> Vec<u64> {
    if field.chars().all(|c| c.is_ascii_digit() || c == '-') {
        values(field)
    } else {
        vec![names::number(Abi::X86_64, field)
            .unwrap_or_else(|| panic!("{field} names no x86_64 syscall"))]
    }
}

/// Every combination of the six argument columns' values (N and ranges multiply).
fn argument_combinations(columns: &[Vec<u64>]) -> Vec<[u64; 6]> {
    let mut combos: Vec<[u64; 6]> = vec![[0; 6]];
    for (i, col) in columns.iter().enumerate() {
        combos = combos
            .iter()
            .flat_map(|c| {
                col.iter().map(move |v| {
                    let mut c = *c;
                    c[i] = *v;
                    c
                })
            })
            .collect();
    }
    combos
}

/// How the rows compared, over every file.
#[derive(Default)]
struct Tally {
    /// x86_64 rows compared.
    rows: usize,
    /// Their (syscall, arguments) combinations, each compared on its own.
    combinations: usize,
    /// Rows for other arches only.
    skipped: usize,
    /// One line per combination where the oracle's answer differs from libseccomp's.
    disagreements: Vec<String>,
}

impl Tally {
    /// Compares one bpf-sim row (its ten columns) with what `oracle` predicts for each of its
    /// combinations.
    fn compare_row(&mut self, oracle: &Oracle, fields: &[&str]) {
        if !covers_x86_64(fields[1]) {
            self.skipped += 1;
            return;
        }
        self.rows += 1;
        let want = expected(fields[9]);
        let columns: Vec<Vec<u64>> = fields[3..9].iter().map(|f| values(f)).collect();
        for nr in syscall_numbers(fields[2]) {
            for args in argument_combinations(&columns) {
                self.combinations += 1;
                let case = Case {
                    id: format!("{} row", fields[0]),
                    abi: Abi::X86_64,
                    syscall: "libseccomp-row",
                    nr,
                    args: args.map(Arg::Value),
                    harmless: "",
                    may_block: false,
                };
                let p = oracle.predict_filter(&case);
                if (p.outcome, p.errno) != want {
                    self.disagreements.push(format!(
                        "{}: syscall {nr} args {args:x?}: libseccomp {}, oracle {:?} {:?}",
                        fields[0], fields[9], p.outcome, p.errno
                    ));
                }
            }
        }
    }
}

#[test]
fn the_oracle_agrees_with_libseccomps_bpf_sim_rows() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libseccomp");
    let tests = common::files_with_extension(&dir, "tests");
    assert_eq!(tests.len(), 12, "one .tests file per transcribed test");
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 18),
    )
    .with_runtime(Runtime::parse(testing::NO_STUB_NAME, Some("1.28")));
    let mut tally = Tally::default();
    for file in &tests {
        let json = file.with_extension("json");
        let text = std::fs::read_to_string(&json).unwrap();
        let profile = profile::parse_str(&text, &json.display().to_string()).unwrap();
        let resolved = profile::resolve(&profile, &host);
        let oracle = Oracle::new(&resolved);
        assert!(oracle.filter_refusal().is_none(), "{}", json.display());
        let data = std::fs::read_to_string(file).unwrap();
        for fields in bpf_sim_rows(&data) {
            tally.compare_row(&oracle, &fields);
        }
    }
    let Tally {
        rows,
        combinations,
        skipped,
        mut disagreements,
    } = tally;
    println!(
        "libseccomp v2.6.0 bpf-sim: {} tests, {rows} x86_64 rows ({combinations} argument combinations) agree: {}, disagree: {}; {skipped} rows for other arches",
        tests.len(),
        combinations - disagreements.len(),
        disagreements.len()
    );
    assert!(rows > 0);
    disagreements.truncate(20);
    assert_eq!(disagreements, Vec::<String>::new(), "the first 20");
}
