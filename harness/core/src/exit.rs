//! The exit codes of the `seccomp-harness` command: part of its public contract (the README's
//! "Exit codes", docs/src/commands.md), so callers and tests name them by this type rather than
//! by number.

/// What the process tells its caller when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// 0: everything conformant (`check`: valid; `diff`: nothing changed).
    Ok,
    /// 1: a cell failed or was held back, a runtime ignored the profiles, coverage fell below
    /// `--min-coverage`, or `diff` found changes.
    Findings,
    /// 2: bad input: the command line, a profile, a matrix, an output path.
    BadInput,
    /// 3: the environment: no daemon, no seccomp, the image build failed, no probe for the
    /// engine's arch, an engine call unanswered, a full disk.
    Environment,
    /// 130: interrupted by SIGINT (the run's containers removed).
    Interrupted,
    /// 143: ended by SIGTERM (the run's containers removed).
    Terminated,
}

impl ExitCode {
    pub const ALL: [ExitCode; 6] = [
        ExitCode::Ok,
        ExitCode::Findings,
        ExitCode::BadInput,
        ExitCode::Environment,
        ExitCode::Interrupted,
        ExitCode::Terminated,
    ];

    /// The number, as `std::process::ExitStatus::code` reports it.
    pub const fn code(self) -> i32 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Findings => 1,
            ExitCode::BadInput => 2,
            ExitCode::Environment => 3,
            // The shell's convention: 128 + the signal's number.
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        // Every code is below 256 (see `codes_fit_a_byte`).
        std::process::ExitCode::from(code.code() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fit_a_byte_and_differ() {
        let codes: Vec<i32> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        assert!(codes.iter().all(|c| (0..=255).contains(c)), "{codes:?}");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        assert_eq!(codes, [0, 1, 2, 3, 130, 143]);
    }
}
