fn main() {
    println!("seccomp-harness: probe is {} bytes", seccomp_harness::probe_binary::EMBEDDED.len());
}
