//! Renderers: turn a [`Matrix`] (or a [`MatrixDiff`](crate::diff::MatrixDiff)) into text for a
//! terminal, a machine, a pull-request comment or a CI test report. Pure: no engine, no I/O, so
//! every format is unit-tested on constructed matrices. The CLI picks the format and the
//! colour; nothing here looks at the terminal or the environment.

pub mod diff;
pub mod family;
pub mod glyph;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod snapshot;
pub mod table;

mod grid;
mod summary;

pub use snapshot::render_configuration_snapshot;
pub use summary::{missing_configurations, not_enforced, Counts, Summary};
pub(crate) use summary::{
    missing_configurations_headline, missing_engines_headline, not_enforced_headline,
};

use crate::matrix::Matrix;

/// The output formats of `run --format`. The CLI offers them by [`Format::ALL`] and
/// [`Format::name`]; the core stays free of a CLI parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A compact matrix for a terminal: cases × configurations, a summary and the failures.
    #[default]
    Table,
    /// The matrix itself (the JSON contract, schema_version 1), for `diff` and other tools.
    Json,
    /// For pull-request comments: summary, failures, the matrix folded away.
    Markdown,
    /// JUnit XML, one test case per cell, for CI test reports.
    Junit,
    /// One self-contained HTML page: the host, a heatmap with filters and each cell's details.
    Html,
    /// SARIF 2.1.0 for code scanning: each finding located at the rule that decided it (the
    /// CLI passes the profiles' positions to [`sarif::render`]; here, files without lines).
    Sarif,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Table,
        Format::Json,
        Format::Markdown,
        Format::Junit,
        Format::Html,
        Format::Sarif,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::Sarif => "sarif",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// A format name that no renderer has.
#[derive(Debug, thiserror::Error)]
#[error("unknown format `{0}`")]
pub struct UnknownFormat(pub String);

/// How to render. The defaults give the full matrix without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// ANSI colour in `table`. The CLI decides (a TTY, no `NO_COLOR`); other formats ignore it.
    pub color: bool,
    /// In `table`, `markdown` and `html`, show only the cases where a cell failed or the configurations
    /// disagree. With ~400 cases most rows are `ok` everywhere; this leaves the ones to read.
    /// `json` and `junit` always hold every cell: they are for machines.
    pub only_interesting: bool,
}

/// Renders `matrix` in `format`.
pub fn render(format: Format, matrix: &Matrix, options: &Options) -> String {
    match format {
        Format::Table => table::render(matrix, options),
        Format::Json => json::render(matrix),
        Format::Markdown => markdown::render(matrix, options),
        Format::Junit => junit::render(matrix),
        Format::Html => html::render(matrix, options),
        Format::Sarif => sarif::render(matrix, &sarif::Sources::new()),
    }
}

/// `1 case`, `2 cases`: counts in prose read right.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
