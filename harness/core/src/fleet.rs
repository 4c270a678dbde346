//! Several engines in one matrix: a run over several engines (`run --docker-host A
//! --docker-host B`) runs the same profiles on each and combines their matrices into one, whose
//! configurations carry the engine (`lab-a/docker-default-hardened`). A view takes one
//! engine's part back out as a matrix of its own, so `diff` can compare two engines of one
//! matrix with the same rules it uses for two matrices.

use crate::configuration_id::ConfigurationId;
use crate::matrix::{Configuration, EngineEntry, Matrix, MissingEngine};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("two engines are named {0:?}: give each its own name (NAME=URL)")]
    DuplicateName(String),
    #[error("an engine name must be a non-empty run of letters, digits, '.', '_' and '-': {0:?}")]
    BadName(String),
    #[error("the matrix has no engine {name:?} (it has: {have})")]
    NoSuchEngine { name: String, have: String },
    #[error("the matrix comes from a run on one engine: there are no engines to compare")]
    OneEngine,
    #[error("engine {name:?} gave no matrix in this run: {error}")]
    MissingEngine { name: String, error: String },
    #[error("no engine of the run gave a matrix")]
    NoEngine,
    #[error("engine {engine:?}'s matrix: {source}")]
    ConfigurationId {
        engine: String,
        source: crate::configuration_id::IdError,
    },
}

/// Whether `name` can prefix configuration ids: it must not hold the separator `/` or the
/// `+`/`-` of capability changes' positions, nor spaces.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Combines one matrix per engine. A single engine's matrix comes back unchanged, so a run on
/// one engine reads as it always did.
pub fn combine(parts: Vec<(String, Matrix)>) -> Result<Matrix, FleetError> {
    combine_partial(parts, Vec::new())
}

/// Combines the matrices of the engines that gave one, and names those that did not
/// (`missing`, each with why). With one engine missing, even a single remaining matrix takes
/// the several-engines form, so its configurations carry their engine and the matrix says
/// what it lacks.
pub fn combine_partial(
    mut parts: Vec<(String, Matrix)>,
    missing: Vec<MissingEngine>,
) -> Result<Matrix, FleetError> {
    // A missing engine's name prefixes no id (an unnamed one goes by its address), but it
    // must not be taken by another engine.
    let names: Vec<&String> = parts
        .iter()
        .map(|(n, _)| n)
        .chain(missing.iter().map(|m| &m.name))
        .collect();
    for (i, name) in names.iter().enumerate() {
        if i < parts.len() && !valid_name(name) {
            return Err(FleetError::BadName((*name).clone()));
        }
        if names[..i].contains(name) {
            return Err(FleetError::DuplicateName((*name).clone()));
        }
    }
    if parts.is_empty() {
        return Err(FleetError::NoEngine);
    }
    if parts.len() == 1 && missing.is_empty() {
        return Ok(parts.remove(0).1);
    }
    let first = &parts[0].1;
    let mut out = Matrix {
        schema_version: first.schema_version,
        missing_engines: missing,
        ..Matrix::new(first.host.clone(), Vec::new(), Vec::new())
    };
    for (name, m) in parts {
        let prefix = |id: &str| -> Result<String, FleetError> {
            let parsed: ConfigurationId =
                id.parse().map_err(|source| FleetError::ConfigurationId {
                    engine: name.clone(),
                    source,
                })?;
            Ok(parsed.on_engine(&name).to_string())
        };
        for mut c in m.configurations {
            c.id = prefix(&c.id)?;
            c.engine = Some(name.clone());
            out.configurations.push(c);
        }
        for mut c in m.cells {
            c.configuration = prefix(&c.configuration)?;
            out.cells.push(c);
        }
        for mut c in m.coverage {
            c.configuration = prefix(&c.configuration)?;
            out.coverage.push(c);
        }
        for mut c in m.missing_configurations {
            c.id = prefix(&c.id)?;
            out.missing_configurations.push(c);
        }
        out.engines.push(EngineEntry {
            name,
            host: m.host,
            readiness: m.readiness,
        });
    }
    Ok(out)
}

/// One engine's part of a combined matrix, as the matrix a run on that engine alone gives.
pub fn view(matrix: &Matrix, name: &str) -> Result<Matrix, FleetError> {
    if let Some(m) = matrix.missing_engines.iter().find(|m| m.name == name) {
        return Err(FleetError::MissingEngine {
            name: name.to_string(),
            error: m.error.clone(),
        });
    }
    if matrix.engines.is_empty() {
        return Err(FleetError::OneEngine);
    }
    let entry = matrix
        .engines
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| FleetError::NoSuchEngine {
            name: name.to_string(),
            have: names(matrix).join(", "),
        })?;
    let strip = |id: &str| {
        let parsed: ConfigurationId = id.parse().ok()?;
        Some(parsed.off_engine(name)?.to_string())
    };
    Ok(Matrix {
        schema_version: matrix.schema_version,
        host: entry.host.clone(),
        configurations: of_engine(&matrix.configurations, |c| &mut c.id, strip)
            .into_iter()
            .filter(|c| c.engine.as_deref() == Some(name))
            .map(|c| Configuration { engine: None, ..c })
            .collect(),
        cells: of_engine(&matrix.cells, |c| &mut c.configuration, strip),
        readiness: entry.readiness.clone(),
        engines: Vec::new(),
        missing_engines: Vec::new(),
        missing_configurations: of_engine(&matrix.missing_configurations, |m| &mut m.id, strip),
        coverage: of_engine(&matrix.coverage, |c| &mut c.configuration, strip),
    })
}

/// The items whose configuration id `strip` takes the engine's prefix off, renamed so.
fn of_engine<T: Clone>(
    items: &[T],
    id: impl Fn(&mut T) -> &mut String,
    strip: impl Fn(&str) -> Option<String>,
) -> Vec<T> {
    items
        .iter()
        .filter_map(|item| {
            let mut item = item.clone();
            let own = strip(id(&mut item))?;
            *id(&mut item) = own;
            Some(item)
        })
        .collect()
}

/// Two worlds' own defaults side by side: a Docker engine's `builtin` and a CRI node's
/// `runtime-default` (issue 21) are each the profile a container gets when it asks for none,
/// so when one view has only the one and the other only the other, the CRI side's
/// `runtime-default…` configurations are renamed `builtin…` and `diff` pairs their cells.
pub fn align_defaults(old: &mut Matrix, new: &mut Matrix) {
    const RD: &str = "runtime-default";
    let has = |m: &Matrix, p: &str| m.configurations.iter().any(|c| c.profile == p);
    let side = match (
        has(old, "builtin"),
        has(old, RD),
        has(new, "builtin"),
        has(new, RD),
    ) {
        (true, false, false, true) => new,
        (false, true, true, false) => old,
        _ => return,
    };
    let rename = |id: &mut String| match id.parse::<ConfigurationId>() {
        Ok(parsed) if parsed.profile == RD => {
            *id = ConfigurationId {
                profile: "builtin".to_string(),
                ..parsed
            }
            .to_string();
        }
        _ => {}
    };
    for c in &mut side.configurations {
        if c.profile == RD {
            c.profile = "builtin".to_string();
            rename(&mut c.id);
        }
    }
    for c in &mut side.cells {
        if c.profile == RD {
            c.profile = "builtin".to_string();
            rename(&mut c.configuration);
        }
    }
}

/// The engines' names, in run order.
pub fn names(matrix: &Matrix) -> Vec<&str> {
    matrix.engines.iter().map(|e| e.name.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::MatrixDiff;
    use crate::matrix::fixture::{allowed, cell, exp, matrix, obs};
    use crate::matrix::MissingConfiguration;
    use crate::outcome::Outcome;

    fn one(errno: Option<i32>, engine_version: &str) -> Matrix {
        let observed = match errno {
            Some(e) => obs(Outcome::Errno, Some(e), None),
            None => obs(Outcome::Allowed, None, None),
        };
        let expected = exp(observed.outcome, errno, None);
        let mut m = matrix(
            &["builtin"],
            vec![cell("builtin", "io_uring_setup", observed, expected)],
        );
        m.host.engine_version = engine_version.into();
        m
    }

    #[test]
    fn a_docker_builtin_and_a_cri_runtime_default_are_paired() {
        let docker = one(Some(1), "28.5.2");
        let mut cri = matrix(
            &["runtime-default", "unconfined"],
            vec![allowed("runtime-default", "io_uring_setup")],
        );
        cri.configurations[0].profile = "runtime-default".into();
        cri.cells[0].profile = "runtime-default".into();
        let (mut a, mut b) = (docker.clone(), cri.clone());
        align_defaults(&mut a, &mut b);
        assert_eq!(a, docker);
        assert_eq!(b.configurations[0].id, "builtin");
        assert_eq!(b.cells[0].configuration, "builtin");
        assert_eq!(b.configurations[1].id, "unconfined");
        // io_uring_setup: EPERM under Docker's builtin, allowed under the node's default.
        assert!(MatrixDiff::between(&a, &b).has_changes());
        assert!(MatrixDiff::between(&a, &b)
            .configurations_removed
            .is_empty());
        // Both sides with builtin: nothing to pair, nothing renamed.
        let (mut c, mut d) = (docker.clone(), docker.clone());
        align_defaults(&mut c, &mut d);
        assert_eq!(d, docker);
    }

    #[test]
    fn a_missing_engine_is_named_and_the_others_keep_their_configurations() {
        let gone = MissingEngine {
            name: "gone".into(),
            url: "unix:///nonexistent.sock".into(),
            error: "no daemon".into(),
        };
        let m = combine_partial(
            vec![("host".into(), one(None, "20.10.24"))],
            vec![gone.clone()],
        )
        .unwrap();
        // One engine left still takes the several-engines form: ids say whose they are.
        let ids: Vec<&str> = m.configurations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["host/builtin"]);
        assert_eq!(names(&m), ["host"]);
        assert_eq!(m.missing_engines, std::slice::from_ref(&gone));
        let back = Matrix::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        // Every human report says which engine is missing and why.
        let options = crate::report::Options::default();
        for (format, out) in [
            ("table", crate::report::table::render(&m, &options)),
            ("markdown", crate::report::markdown::render(&m, &options)),
            ("html", crate::report::html::render(&m, &options)),
        ] {
            assert!(
                [
                    "engine missing from this matrix: gone",
                    "nonexistent.sock",
                    "no daemon"
                ]
                .iter()
                .all(|s| out.contains(s)),
                "{format}:\n{out}"
            );
        }
        // Markdown gives no pass mark to a matrix with an engine missing.
        assert!(!crate::report::markdown::render(&m, &options).contains('✅'));
        assert_eq!(view(&m, "host").unwrap(), one(None, "20.10.24"));
        assert_eq!(
            view(&m, "gone"),
            Err(FleetError::MissingEngine {
                name: "gone".into(),
                error: "no daemon".into()
            })
        );
        // A missing engine's name counts among the run's names; no engine left is an error.
        assert_eq!(
            combine_partial(
                vec![("gone".into(), one(None, "20.10.24"))],
                vec![gone.clone()]
            ),
            Err(FleetError::DuplicateName("gone".into()))
        );
        assert_eq!(
            combine_partial(Vec::new(), vec![gone]),
            Err(FleetError::NoEngine)
        );
    }

    #[test]
    fn one_engine_is_left_as_it_was() {
        let m = one(None, "20.10.24");
        assert_eq!(combine(vec![("host".into(), m.clone())]).unwrap(), m);
    }

    #[test]
    fn engines_prefix_their_configurations_and_views_take_them_back_out() {
        let (old, mut new) = (one(None, "20.10.24"), one(Some(1), "28.5.2"));
        new.missing_configurations.push(MissingConfiguration {
            id: "strict".into(),
            error: "the engine refused it".into(),
        });
        let m = combine(vec![
            ("host".into(), old.clone()),
            ("lab-a".into(), new.clone()),
        ])
        .unwrap();
        let ids: Vec<&str> = m.configurations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["host/builtin", "lab-a/builtin"]);
        assert_eq!(m.cells[1].configuration, "lab-a/builtin");
        assert_eq!(names(&m), ["host", "lab-a"]);
        // A combined matrix survives its JSON form.
        let back = Matrix::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        // The views are the matrices that went in, so diff between engines is diff between
        // matrices.
        assert_eq!(view(&m, "host").unwrap(), old);
        assert_eq!(view(&m, "lab-a").unwrap(), new);
        let d = MatrixDiff::between(&view(&m, "host").unwrap(), &view(&m, "lab-a").unwrap());
        assert!(d.has_changes());
        assert!(matches!(
            view(&m, "nope"),
            Err(FleetError::NoSuchEngine { .. })
        ));
        assert_eq!(view(&old, "host"), Err(FleetError::OneEngine));
    }

    #[test]
    fn names_must_be_distinct_and_usable_in_ids() {
        let m = one(None, "1");
        assert_eq!(
            combine(vec![("a".into(), m.clone()), ("a".into(), m.clone())]),
            Err(FleetError::DuplicateName("a".into()))
        );
        assert_eq!(
            combine(vec![("a/b".into(), m.clone()), ("c".into(), m)]),
            Err(FleetError::BadName("a/b".into()))
        );
    }
}
