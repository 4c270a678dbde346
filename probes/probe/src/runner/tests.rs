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
