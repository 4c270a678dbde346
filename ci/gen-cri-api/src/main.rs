//! Compiles the vendored CRI `api.proto` (argument 1) with protox and writes tonic's client
//! code for `runtime.v1` into the directory given as argument 2.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (proto, out) = match (args.next(), args.next()) {
        (Some(p), Some(o)) => (std::path::PathBuf::from(p), std::path::PathBuf::from(o)),
        _ => return Err("usage: gen-cri-api API_PROTO OUT_DIR".into()),
    };
    let dir = proto.parent().ok_or("api.proto has no directory")?;
    let fds = protox::compile([&proto], [dir])?;
    tonic_prost_build::configure()
        .build_server(false)
        .build_transport(true)
        .out_dir(out)
        .compile_fds(fds)?;
    Ok(())
}
