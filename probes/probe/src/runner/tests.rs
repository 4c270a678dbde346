use super::*;
use seccomp_catalog::Catalog;

fn prepared(id: &str) -> Prepared {
    let cat = Catalog::native();
    prepare(cat.get(id).unwrap(), &mut LowArena::new(0))
}

#[test]
fn errno_is_the_kernel_range_only() {
    assert_eq!(errno_of(-14), Some(14));
    assert_eq!(errno_of(-4095), Some(4095));
    assert_eq!(errno_of(-4096), None);
    assert_eq!(errno_of(0), None);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn modify_ldt_errno_sits_in_the_low_32_bits() {
    let p = prepared("modify_ldt");
    assert_eq!(decode_errno(&p, 0xffff_ffda), Some(38));
    assert_eq!(decode_errno(&p, -38), Some(38));
    assert_eq!(decode_errno(&prepared("getpid"), 0xffff_ffda), None);
}

#[test]
fn in_process_runs_process_changing_and_ending_calls_last() {
    let cat = Catalog::native();
    let mut arena = LowArena::new(0);
    let mut all: Vec<Prepared> = cat.cases().iter().map(|c| prepare(c, &mut arena)).collect();
    all.sort_by_key(in_process_rank);
    let pos = |id: &str| all.iter().position(|p| p.id == id).unwrap();
    assert!(pos("getpid") < pos("unshare(CLONE_NEWUSER)"));
    assert!(pos("unshare(CLONE_NEWUSER)") < pos("exit_group"));
    assert!(pos("personality(8)") < pos("exit"));
}

#[test]
fn a_harmless_call_runs_in_this_process() {
    let rec = run_in_process(&prepared("getpid"));
    assert_eq!(rec.ret, Some(std::process::id() as i64));
    assert_eq!(
        (rec.errno, rec.signal, rec.interrupted),
        (None, None, false)
    );
    let rec = run_in_process(&prepared("mkdirat"));
    assert_eq!(rec.errno, Some(libc::EFAULT));
}

#[test]
fn process_creating_calls_are_marked() {
    assert!(prepared("clone").spawning && prepared("clone3(NULL,0)").spawning);
    assert!(!prepared("getpid").spawning);
}

#[test]
fn a_batch_runs_in_one_worker_and_reports_every_case_in_order() {
    let slot = Slot::new().expect("a shared page");
    let ids = ["getpid", "mkdirat", "getppid", "getpid"];
    let batch: Vec<Prepared> = ids.iter().map(|id| prepared(id)).collect();
    assert!(batch.iter().all(batchable));
    let mut got = Vec::new();
    let end = run_batch(&batch, &slot, &mut |rec| {
        got.push(rec);
        Ok(())
    })
    .unwrap();
    assert_eq!((end.ran, end.failed), (4, None));
    let order: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ids);
    assert!(got.iter().all(|r| r.mode == RunMode::Fork));
    // One worker, not this process, ran both getpid cases; its parent is this process.
    let worker = got[0].ret.unwrap();
    assert_ne!(worker, std::process::id() as i64);
    assert_eq!(got[3].ret, Some(worker));
    assert_eq!(got[2].ret, Some(std::process::id() as i64));
    assert_eq!(got[1].errno, Some(libc::EFAULT));
}

#[test]
fn calls_that_block_spawn_or_change_the_process_get_a_child_each() {
    for id in [
        "pause",
        "fork",
        "clone",
        "unshare",
        "personality(8)",
        "exit",
    ] {
        assert!(!batchable(&prepared(id)), "{id}");
    }
    assert!(batchable(&prepared("socket(AF_INET)")));
}

/// Each end of a lifeline closes when it is let go: the parent's read end sees the end of
/// the pipe once the write end is gone, and the child's write end finds no reader once the
/// read end is.
#[test]
fn a_lifelines_ends_close_when_dropped() {
    let mut byte = 0u8;
    let parent = Lifeline::open().expect("a pipe outside any filter");
    let read = parent.into_read_end();
    // SAFETY: reads one byte into a local from a descriptor this test owns.
    let n = unsafe { libc::read(read.0, (&mut byte as *mut u8).cast(), 1) };
    assert_eq!(n, 0, "no writer left: end of file");
    drop(read);

    let child = Lifeline::open().expect("a pipe outside any filter");
    let write = child.into_write_end();
    // SAFETY: writes one byte from a local to a descriptor this test owns; Rust's runtime
    // ignores SIGPIPE, so a pipe without a reader answers EPIPE.
    let n = unsafe { libc::write(write.0, (&byte as *const u8).cast(), 1) };
    assert_eq!(n, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EPIPE)
    );
}

/// A forked child's end is part of its record only while its call had not returned: after
/// that the child only exits, and how says nothing about the case.
#[test]
fn a_forked_record_names_the_end_only_of_a_call_that_never_returned() {
    let p = prepared("getpid");
    let killed = Ended {
        outcome: Outcome {
            entered: 1,
            ..Outcome::default()
        },
        status: Some(libc::SIGSYS),
        ..Ended::default()
    };
    let rec = forked_record(&p, &killed);
    assert_eq!(
        (rec.signal, rec.ret, rec.timed_out),
        (Some(libc::SIGSYS), None, false)
    );

    let returned = Ended {
        outcome: Outcome {
            entered: 1,
            done: 1,
            ret: 7,
            ..Outcome::default()
        },
        status: Some(libc::SIGSYS),
        timed_out: false,
        abandoned: true,
    };
    let rec = forked_record(&p, &returned);
    assert_eq!((rec.signal, rec.ret, rec.abandoned), (None, Some(7), true));
}
