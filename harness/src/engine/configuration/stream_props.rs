//! Property tests over the probe's record stream as the harness parses it: any stdout a
//! container may give (records for cases asked and not asked, truncated lines, lines run
//! together, garbage, invalid UTF-8, huge lines, any exit) over any number of containers.
//!
//! - No output panics the bookkeeping.
//! - The restart loop ends: each further container needs a case recorded, a case's one retry
//!   after a timeout, or the one switch to in-process mode, so a configuration never takes
//!   more than twice its cases plus two containers.
//! - Every case asked for gets exactly one result, under its own id, in the order asked.
//!
//! CI runs the default number of cases; `PROPTEST_CASES` runs a soak (README, *Fuzz and
//! property tests*).

use super::*;
use proptest::prelude::*;
use seccomp_catalog::record::SigsysInfo;

/// Ids asked for and ids a confused probe may report anyway.
const IDS: &[&str] = &[
    "getpid",
    "mkdir",
    "unshare(CLONE_NEWUSER)",
    "i386:socketcall(SYS_SOCKET,AF_VSOCK)",
    "x32:getpid",
    "reboot",
    "not-asked",
    "",
];

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn mode() -> impl Strategy<Value = RunMode> {
    prop_oneof![Just(RunMode::Fork), Just(RunMode::InProcess)]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(IDS).prop_map(str::to_string),
        // A huge id: a runaway line of up to a few hundred kilobytes.
        1 => (1usize..300_000).prop_map(|n| "x".repeat(n)),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        Just(Record::Host(HostRecord::default())),
        mode().prop_map(|mode| Record::Ready { mode }),
        id().prop_map(|id| Record::Begin { id }),
        (
            id(),
            mode(),
            prop::option::of(any::<i64>()),
            prop::option::of(any::<i32>()),
            prop::option::of(0i32..70),
            prop::option::of(any::<i32>()),
            prop::option::of((any::<i32>(), any::<i32>(), any::<i32>(), any::<u32>())),
            (any::<bool>(), any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(id, mode, ret, errno, signal, exit_status, sigsys, flags)| {
                    Record::Case(CaseRecord {
                        id,
                        mode,
                        ret,
                        errno,
                        signal,
                        exit_status,
                        sigsys: sigsys.map(|(code, syscall, errno, arch)| SigsysInfo {
                            code,
                            syscall,
                            errno,
                            arch,
                        }),
                        interrupted: flags.0,
                        timed_out: flags.1,
                        abandoned: flags.2,
                    })
                },
            ),
    ]
}

/// One piece of a container's stdout.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => record().prop_map(|r| serde_json::to_vec(&r).unwrap()),
        // Cut short: the probe died mid-write.
        1 => (record(), any::<prop::sample::Index>()).prop_map(|(r, i)| {
            let mut v = serde_json::to_vec(&r).unwrap();
            v.truncate(i.index(v.len()));
            v
        }),
        // Two records run together on one line.
        1 => (record(), record()).prop_map(|(a, b)| {
            let mut v = serde_json::to_vec(&a).unwrap();
            v.extend(serde_json::to_vec(&b).unwrap());
            v
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"{\"type\":\"case\"".to_vec()),
    ]
}

fn output() -> impl Strategy<Value = ProbeOutput> {
    (
        prop::collection::vec(piece(), 0..12),
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\n\n"[..])],
        prop::collection::vec(any::<u8>(), 0..32),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(3),
            Just(137),
            Just(159),
            Just(-1),
            any::<i64>()
        ],
        prop::option::of(prop_oneof![
            Just(QuietEnd::AllIn),
            Just(QuietEnd::TimedOut),
            Just(QuietEnd::Watchdog)
        ]),
    )
        .prop_map(|(pieces, sep, stderr, exit_code, quiet_end)| ProbeOutput {
            stdout: pieces.join(sep),
            stderr,
            exit_code,
            quiet_end,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_stream_ends_with_one_result_per_case(
        asked in prop::collection::vec(prop::sample::select(IDS).prop_map(str::to_string), 1..8),
        outputs in prop::collection::vec(output(), 1..6),
    ) {
        let mut progress = Ledger::new(&asked);
        let distinct: Vec<&String> = {
            let mut seen = HashSet::new();
            asked.iter().filter(|id| seen.insert(id.as_str())).collect()
        };
        let bound = 2 * distinct.len() + 2;
        let mut containers = 0;
        while !progress.remaining.is_empty() {
            prop_assert!(containers < bound, "more than {} containers for {:?}", bound, asked);
            let _ = progress.args(&ProbeArgs {
                avoid: vec!["kill".to_string()],
                ..ProbeArgs::default()
            });
            let out = &outputs[containers % outputs.len()];
            containers += 1;
            if progress.absorb(out) == Step::Done {
                break;
            }
        }
        // The loop stops early only with nothing left, or with the rest failed.
        prop_assert!(progress.remaining.is_empty());
        let run = progress.finish(&asked, containers, None);
        let ids: Vec<&str> = run.cases.iter().map(CaseResult::id).collect();
        prop_assert_eq!(ids, distinct.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        prop_assert!(run.diagnostics.len() <= DIAGNOSTICS_LIMIT);
    }
}
