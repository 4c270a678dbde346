use libtest_mimic::{Arguments, Trial};

fn main() {
    let args = Arguments::from_args();
    let catalog = seccomp_catalog::Catalog::native();
    let trials = vec![Trial::test("catalog::not_empty", move || {
        if catalog.is_empty() {
            return Err("empty catalog".into());
        }
        Ok(())
    })];
    libtest_mimic::run(&args, trials).exit();
}
