//! `seccomp-harness check` (in progress).

use super::Failure;

#[derive(clap::Args)]
pub struct Args {}

pub fn main(_args: Args) -> Result<u8, Failure> {
    Err(Failure::environment("`check` is not built yet"))
}
