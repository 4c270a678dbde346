use seccomp_catalog::Catalog;

fn main() {
    let catalog = Catalog::native();
    println!("{}", catalog.len());
}
