use super::*;
use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
use crate::outcome::RuleRef;

fn sample() -> Matrix {
    matrix(
        &["a", "b+SYS_ADMIN"],
        vec![
            cell(
                "a",
                "mkdir",
                obs(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT)),
                exp(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT)),
            ),
            cell(
                "b+SYS_ADMIN",
                "mkdir",
                obs(Outcome::Allowed, None, None),
                exp(Outcome::Errno, Some(1), Some(RuleRef::Index(2))),
            ),
            allowed("a", "socket(AF_VSOCK)"),
        ],
    )
}

#[test]
fn one_row_per_case_one_column_per_configuration() {
    let html = render(&sample(), &Options::default());
    assert_eq!(html.matches("<tr class=\"case\"").count(), 2);
    assert_eq!(html.matches("<th class=\"conf\"").count(), 2);
    // The missing cell (b × socket) is shown as such, not dropped.
    assert_eq!(html.matches("class=\"c o-none\"").count(), 1);
    assert!(html.contains("data-family=\"network\""), "{html}");
    assert!(html.contains("class=\"c o-allowed v-fail\""), "{html}");
}

#[test]
fn nothing_is_loaded_from_elsewhere() {
    let html = render(&sample(), &Options::default());
    for needle in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
}

#[test]
fn text_from_the_matrix_is_escaped_and_cannot_end_the_data_script() {
    let mut m = sample();
    m.cells[0].observed.note = Some("</script><b>\"x\" & 'y'".into());
    m.configurations[0].start_error = Some("<img>".into());
    let html = render(&m, &Options::default());
    assert_eq!(html.matches("</script>").count(), 3, "only the page's own");
    assert!(html.contains("\\u003c/script\\u003e"));
    assert!(html.contains("&lt;img&gt;"));
    let data = html.split("id=\"cell-data\">").nth(1).unwrap();
    let data = data.split("</script>").next().unwrap();
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["cells"].as_array().unwrap().len(), 3);
    assert_eq!(v["fields"].as_array().unwrap().len(), FIELDS.len());
    assert_eq!(v["cells"][0][8], "</script><b>\"x\" & 'y'");
}

#[test]
fn only_interesting_leaves_out_agreeing_rows() {
    let options = Options {
        only_interesting: true,
        ..Options::default()
    };
    let html = render(&sample(), &options);
    assert_eq!(html.matches("<tr class=\"case\"").count(), 2);
}

#[test]
fn the_diff_page_groups_changes_by_kind() {
    let old = sample();
    let mut new = sample();
    new.cells[0].observed = obs(Outcome::Allowed, None, None);
    let d = MatrixDiff::between(&old, &new);
    let html = render_diff(&d, "old.json", "new.json");
    assert!(html.contains("data-kind=\"newly allowed\""), "{html}");
    assert!(html.contains("old.json"));
    assert!(!html.contains("https://"));
}
