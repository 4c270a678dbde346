use crate::Abi;

/// One syscall invocation the probe makes, with arguments chosen so that the call does no harm
/// even with every capability and no filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `mkdir`, `unshare(CLONE_NEWUSER)`, `i386:socketcall(SYS_SOCKET,AF_VSOCK)`.
    pub id: String,
    pub abi: Abi,
    /// The syscall's name in the ABI's own table, as profiles name it.
    pub syscall: &'static str,
    /// The number the probe loads into the syscall register: for x32 it includes bit 30.
    pub nr: u64,
    pub args: [Arg; 6],
    /// Why these arguments cannot hurt the host or the container.
    pub harmless: &'static str,
    /// The call may legitimately sleep (pause, a blocking wait): the probe interrupts it with a
    /// signal after a short while instead of letting it reach the timeout.
    pub may_block: bool,
}

/// A syscall argument as the probe passes it and as a seccomp filter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A plain register value. The filter sees exactly this (zero-extended from 32 bits on
    /// i386).
    Value(u64),
    /// A pointer to these 32-bit words, which the probe places below 4 GiB so that a 32-bit
    /// ABI can reach them. A filter sees only an address no profile can predict.
    Words32(&'static [u32]),
}

impl Arg {
    /// The value a filter compares, where it is known before the run.
    pub fn filter_value(self) -> Option<u64> {
        match self {
            Arg::Value(v) => Some(v),
            Arg::Words32(_) => None,
        }
    }
}
