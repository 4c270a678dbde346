//! Which engine a run talks to, as a type: the matrix keeps the engine's name as a string (the
//! JSON contract, and a CRI node names its runtime freely), and every decision that depends on
//! the kind of engine reads it through [`EngineKind::parse`] instead of comparing strings.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// Docker's daemon (moby).
    Docker,
    /// Podman's Docker-compatible API.
    Podman,
    /// containerd, driven through the CRI (`run --cri`).
    Containerd,
}

impl EngineKind {
    pub const ALL: [EngineKind; 3] = [
        EngineKind::Docker,
        EngineKind::Podman,
        EngineKind::Containerd,
    ];

    /// The name the matrix's `host.engine` carries.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
            EngineKind::Containerd => "containerd",
        }
    }

    /// The kind an engine's name stands for, whatever its case (`Docker`, `docker`); `None`
    /// for an engine the harness has no knowledge of.
    pub fn parse(name: &str) -> Option<EngineKind> {
        EngineKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_whatever_their_case() {
        for k in EngineKind::ALL {
            assert_eq!(EngineKind::parse(k.name()), Some(k));
            assert_eq!(EngineKind::parse(&k.name().to_uppercase()), Some(k));
            assert_eq!(k.to_string(), k.name());
        }
        assert_eq!(EngineKind::parse("cri-o"), None);
        assert_eq!(EngineKind::parse(""), None);
    }
}
