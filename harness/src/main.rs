// No function over 80 lines (clippy.toml's threshold) unless a comment above its `allow` says
// why, as in the library.
#![warn(clippy::too_many_lines)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main().into()
}
