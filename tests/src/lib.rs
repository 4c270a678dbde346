//! Holds the conformance suite; see conformance/main.rs.
