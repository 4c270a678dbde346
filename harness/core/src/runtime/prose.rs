//! The sentences that notes, lints and reports say about a runtime, kept here beside the facts
//! they state, so that no other module names a runtime. The lints and the notes of the oracle
//! speak of runc, the default runtime ([`super::DEFAULT_NAME`]), where the fact holds for
//! crun alike (both drop a rule equal to the default and ignore a name libseccomp doesn't
//! know: [`super::RuntimeModel`]); the texts are part of the matrix, so they change only
//! with a measured reason.

use super::runc::NAME as RUNC;
use seccomp_catalog::Abi;

/// How a cell names the ENOSYS stub as the rule that answered (`RuleRef::ENOSYS_STUB`): runc
/// builds it, crun has none.
pub const STUB_RULE: &str = "runc ENOSYS stub";

/// A call above the highest number the profile names on `abi` (`max`): the stub answers.
pub fn above_stub(nr: u64, abi: Abi, max: u64) -> String {
    format!(
        "syscall {nr} is above the highest number the profile names on {abi} ({max}): {RUNC}'s stub answers ENOSYS"
    )
}

/// Rules (`syscalls[1], syscalls[4]`, joined) the runtime drops for having the default's
/// action, where the default decided the cell.
pub fn dropped_for_default(rules: &str) -> String {
    format!("syscalls[{rules}] has the default's action, so {RUNC} drops it")
}

/// Rules (`syscalls[1], syscalls[4]`) naming `syscall` by a name the runtime's libseccomp
/// doesn't know.
pub fn unknown_name_ignored(rules: &str, syscall: &str) -> String {
    format!(
        "{rules} names {syscall}, which the runtime's libseccomp doesn't know (measured): {RUNC} ignores the name, and it doesn't raise the ENOSYS stub's limit"
    )
}

/// Why a rule is not in the filter: the runtime's libseccomp doesn't know its `name`.
pub fn rule_of_unknown_name(name: &str) -> String {
    format!("{name} is unknown to the runtime's libseccomp (measured): {RUNC} ignores the rule")
}

/// Why a rule is not in the filter: it has the default's action.
pub fn rule_dropped_for_default() -> String {
    format!("{RUNC} drops it: its action equals the default action")
}

/// Two rules with the same conditions and different actions: the runtime cannot load the
/// filter.
pub fn conflict_refusal(first: usize, second: usize, syscall: &str, abi: Abi) -> String {
    format!(
        "syscalls[{first}] and syscalls[{second}] give {syscall} on {abi} the same conditions and different actions: libseccomp refuses the second (-EEXIST, db.c _db_tree_add), so {RUNC} fails to load the filter"
    )
}

/// The lint of such a conflict, on the second rule.
pub fn conflict_lint(first: usize, syscall: &str, abi: Abi) -> String {
    format!(
        "same conditions as syscalls[{first}] on {syscall} ({abi}) with another action: libseccomp refuses it and {RUNC} cannot start the container"
    )
}

/// The lint of a name libseccomp knows on no arch.
pub fn unknown_name_lint(name: &str) -> String {
    format!("unknown syscall name {name:?}: libseccomp does not know it on any arch, so {RUNC} ignores it")
}

/// The lint of a rule whose action (`action`, as written) equals the default's.
pub fn default_action_rule_lint(action: impl std::fmt::Display) -> String {
    format!("action {action} equals the default action: {RUNC} drops the rule, so it never takes effect")
}

/// An errno of the as-is run with no sentinel in the tagged run, which traps nowhere: not
/// an ERRNO rule's.
pub const NO_SENTINEL: &str =
    "denied without a sentinel in the tagged run: not an ERRNO rule (runc's ENOSYS stub or TRACE)";

/// An errno of the as-is run where the tagged copy, whose ERRNO rules and default trap
/// ([`crate::profile::Tagged::trapping_errno_rules`]), trapped: gVisor's case.
pub const TRAPPING_DENIAL: &str = "denied by the filter (the tagged run, whose ERRNO rules and default trap, trapped here): not attributed to a rule, because gVisor answers EPERM for every errno and its traps carry no data";

/// The comment of the salt rule ([`crate::profile::salt`]), which defeats crun's filter cache:
/// crun 1.28 caches compiled filters (`<state dir>/.cache/seccomp/<checksum>`) under a blake3
/// checksum of the profile (`calculate_seccomp_checksum`) that covers the default action and
/// `defaultErrnoRet`, the architectures, flags, and each rule's action, names and arguments,
/// but not a rule's `errnoRet`. Measured on Docker 28.5.2 with crun 1.28: three profiles
/// denying getpgid with `errnoRet` 71, 72 and 73 all answered 71 (runc 1.3.6 on the same
/// engine: 71, 72, 73); with a salted copy of each, 72 and 73 came back. The cache outlives a
/// run.
pub const SALT_COMMENT: &str = "seccomp-harness: a per-run salt against crun's filter cache; it changes no call (see the harness's README)";

/// SARIF's description of a cell held back ([`super::RuntimeModel::kill_hangs_start`]).
pub const HELD_BACK_RULE: &str = "The profile kills a call runc makes after loading the filter, which hangs runc for good: the harness did not start it, so nothing was proven.";

/// SARIF's description of a cell the runtime ran without the profile.
pub const NOT_ENFORCED_RULE: &str = "The runtime ignored the profile (gVisor's runsc without --oci-seccomp): nothing the cell shows is the profile's doing.";

/// SARIF's description of a profile `check` finds invalid.
pub const CHECK_ERROR_RULE: &str = "The profile is invalid: docker or runc refuses it.";

/// The note of a cell not started because a kill would hang the runtime's start: `because`
/// says which call the profile kills.
pub fn held_back(because: impl std::fmt::Display) -> String {
    format!(
        "not started: {because}; a kill there hangs the runtime for good (measured with runc 1.1.5, 1.1.15 and 1.3.6), so the harness does not start the container (`run --start-held-back` starts it on an engine you can disturb)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences are part of the matrix: these pin the ones whose wording is built here.
    #[test]
    fn the_sentences_read_as_the_matrix_has_them() {
        assert_eq!(
            dropped_for_default("1], syscalls[4"),
            "syscalls[1], syscalls[4] has the default's action, so runc drops it"
        );
        assert_eq!(
            above_stub(462, Abi::X86_64, 439),
            "syscall 462 is above the highest number the profile names on x86_64 (439): runc's stub answers ENOSYS"
        );
        assert_eq!(
            rule_dropped_for_default(),
            "runc drops it: its action equals the default action"
        );
        assert!(conflict_lint(2, "mkdir", Abi::I386)
            .starts_with("same conditions as syscalls[2] on mkdir (i386) with another action"));
    }
}
