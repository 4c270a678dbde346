//! The matrix as the JSON contract (DESIGN §5), pretty-printed: what `diff` reads back.

use crate::matrix::Matrix;

pub fn render(matrix: &Matrix) -> String {
    // The contract's types hold only strings, numbers, sequences and structs: serializing them
    // cannot fail.
    let mut s = serde_json::to_string_pretty(matrix).expect("a Matrix always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{cell, exp, matrix, obs};
    use crate::outcome::{Outcome, RuleRef};

    #[test]
    fn json_reads_back_as_the_same_matrix() {
        let m = matrix(
            &["p"],
            vec![cell(
                "p",
                "i386:socketcall(SYS_SOCKET,AF_VSOCK)",
                obs(Outcome::Errno, Some(97), Some(RuleRef::ENOSYS_STUB)),
                exp(Outcome::Errno, Some(97), Some(RuleRef::ENOSYS_STUB)),
            )],
        );
        let text = render(&m);
        assert!(text.contains("\"schema_version\": 2"), "{text}");
        assert!(text.contains("\"rule\": \"enosys_stub\""), "{text}");
        assert!(
            !text.contains("\"note\""),
            "absent notes stay absent: {text}"
        );
        assert_eq!(Matrix::from_json(&text).unwrap(), m);
    }
}
