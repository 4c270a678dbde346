//! The matrix laid out as the table and the markdown show it: one row per case, one column per
//! configuration, each cell as its glyph, and the `only_interesting` filter.

use super::glyph;
use crate::matrix::{Cell, Configuration, Matrix, Verdict};
use std::collections::HashMap;

/// Shown where a configuration has no cell for a case (a configuration that could not start
/// may have none at all).
pub(crate) const NO_CELL: &str = ".";

pub(crate) struct Grid<'a> {
    pub columns: Vec<&'a Configuration>,
    pub rows: Vec<Row<'a>>,
    /// Rows left out by `only_interesting`.
    pub hidden: usize,
}

pub(crate) struct Row<'a> {
    pub case: &'a str,
    /// One per column; `None` where the matrix has no such cell.
    pub cells: Vec<Option<&'a Cell>>,
}

impl<'a> Grid<'a> {
    pub fn of(matrix: &'a Matrix, only_interesting: bool) -> Self {
        let index: HashMap<(&str, &str), &Cell> = matrix
            .cells
            .iter()
            .map(|c| ((c.configuration.as_str(), c.case.as_str()), c))
            .collect();
        let columns: Vec<&Configuration> = matrix.configurations.iter().collect();
        let mut rows = Vec::new();
        let mut hidden = 0;
        for case in matrix.case_ids() {
            let cells: Vec<_> = columns
                .iter()
                .map(|c| index.get(&(c.id.as_str(), case)).copied())
                .collect();
            let row = Row { case, cells };
            if only_interesting && !row.is_interesting() {
                hidden += 1;
            } else {
                rows.push(row);
            }
        }
        Grid {
            columns,
            rows,
            hidden,
        }
    }
}

impl Row<'_> {
    /// A row worth reading: a cell failed, or the configurations don't all agree.
    fn is_interesting(&self) -> bool {
        let mut texts = self.cells.iter().map(|c| cell_text(*c));
        let first = texts.next();
        self.cells
            .iter()
            .flatten()
            .any(|c| c.verdict == Verdict::Fail)
            || texts.any(|t| Some(t) != first)
    }
}

/// The text of one cell: the observed glyph; for a failure, `observed!=expected`.
pub(crate) fn cell_text(cell: Option<&Cell>) -> String {
    match cell {
        None => NO_CELL.into(),
        Some(c) if c.verdict == Verdict::Fail => {
            format!(
                "{}!={}",
                glyph::observed(&c.observed),
                glyph::expected(&c.expected)
            )
        }
        Some(c) => glyph::observed(&c.observed),
    }
}
