//! The CRI container log format, as the runtime writes the file the kubelet reads
//! (`<RFC 3339 nano timestamp> <stdout|stderr> <P|F> <content>`, one record per line; `P` is a
//! partial line the next record continues, `F` ends one).
//!
//! containerd copies stdout and stderr in two goroutines, so the file is not in time order
//! across the streams (measured on containerd 1.7 and 2.1): records are sorted by their
//! timestamp (stable, so each stream keeps its own order) before the streams are rebuilt.

/// The two streams of a container, rebuilt from its log file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streams {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Lines that are not CRI log records (kept for diagnostics).
    pub malformed: Vec<String>,
}

/// Splits a log file into its streams.
pub fn parse(bytes: &[u8]) -> Streams {
    let mut records: Vec<(&str, bool, bool, &[u8])> = Vec::new();
    let mut out = Streams::default();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(4, |&b| b == b' ');
        let (Some(ts), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            out.malformed
                .push(String::from_utf8_lossy(line).into_owned());
            continue;
        };
        let content = parts.next().unwrap_or(&[]);
        let (Ok(ts), Some(is_stdout)) = (
            std::str::from_utf8(ts),
            match stream {
                b"stdout" => Some(true),
                b"stderr" => Some(false),
                _ => None,
            },
        ) else {
            out.malformed
                .push(String::from_utf8_lossy(line).into_owned());
            continue;
        };
        let partial = tag.first() == Some(&b'P');
        records.push((ts, is_stdout, partial, content));
    }
    records.sort_by_key(|r| time_key(r.0));
    for (_, is_stdout, partial, content) in records {
        let stream = if is_stdout {
            &mut out.stdout
        } else {
            &mut out.stderr
        };
        stream.extend_from_slice(content);
        if !partial {
            stream.push(b'\n');
        }
    }
    out
}

/// A sort key for an RFC 3339 timestamp as Go's RFC3339Nano writes it: trailing zeros of the
/// fraction are dropped, so the fraction is padded back to nine digits.
fn time_key(ts: &str) -> (String, String) {
    let (whole, rest) = ts.split_once('.').unwrap_or((ts, ""));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let zone = &rest[digits.len()..];
    (format!("{whole}{zone}"), format!("{digits:0<9}"))
}

/// How many complete stdout lines a log file holds so far (the watchdog's progress measure).
pub(crate) fn stdout_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| l.windows(10).any(|w| w == b" stdout F "))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_rebuilt_in_time_order_with_partial_lines_joined() {
        let file = b"2026-12-04T15:00:00.000000002Z stdout F second\n\
2026-12-04T15:00:00.000000001Z stdout P fir\n\
2026-12-04T15:00:00.000000003Z stderr F oops\n\
2026-12-04T15:00:00.000000001Z stdout F st\n\
garbage\n";
        let s = parse(file);
        assert_eq!(s.stdout, b"first\nsecond\n");
        assert_eq!(s.stderr, b"oops\n");
        assert_eq!(s.malformed, vec!["garbage".to_string()]);
        assert_eq!(stdout_lines(file), 2);
    }

    #[test]
    fn an_empty_line_of_output_is_kept() {
        let s = parse(b"2026-12-04T15:00:00.1Z stdout F \n");
        assert_eq!(s.stdout, b"\n");
    }

    #[test]
    fn trimmed_fractions_sort_as_times() {
        let s = parse(b"2026-12-04T15:00:00.1Z stdout F b\n2026-12-04T15:00:00.05Z stdout F a\n2026-12-04T15:00:00Z stdout F z\n");
        assert_eq!(s.stdout, b"z\na\nb\n");
    }
}
