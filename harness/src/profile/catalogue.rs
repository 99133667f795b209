//! Requirements as the protocols catalogue them: an id from PROTOCOLS.md, a level and
//! a one-line gist in code, and the whole text (statement, source, how the suite
//! checks it) in each protocol's `requirements.yaml`, embedded in the binary.

use serde::{Deserialize, Serialize};

use crate::yaml::{self, InputError};

/// How a requirement's failure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    /// A failure fails the scenario.
    Must,
    /// A failure passes the scenario with a warning.
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`, as PROTOCOLS.md writes it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

/// One catalogued requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Its id, e.g. `X-01`.
    pub id: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Our one-line summary.
    pub gist: &'static str,
}

/// A MUST requirement.
pub const fn must(id: &'static str, gist: &'static str) -> Requirement {
    Requirement {
        id,
        level: Level::Must,
        gist,
    }
}

/// A SHOULD requirement.
pub const fn should(id: &'static str, gist: &'static str) -> Requirement {
    Requirement {
        id,
        level: Level::Should,
        gist,
    }
}

/// Requirements every protocol shares (PROTOCOLS.md, cross-cutting).
pub const CROSS_CUTTING: &[Requirement] = &[
    must("X-01", "JSON answers say application/json"),
    must(
        "X-02",
        "no 5xx for a client's mistake and no answer slower than the step timeout",
    ),
    must("X-03", "an unknown path answers 404 or 501, not 200"),
];

/// The cross-cutting requirements in full.
pub const CROSS_CUTTING_TEXTS: TextFile = TextFile {
    file: "harness/src/profile/cross_cutting.yaml",
    yaml: include_str!("cross_cutting.yaml"),
};

/// An embedded `requirements.yaml`: where it lives in the repository, and its text.
#[derive(Debug, Clone, Copy)]
pub struct TextFile {
    /// Its path in the repository, for messages.
    pub file: &'static str,
    /// Its contents.
    pub yaml: &'static str,
}

/// A requirement in full, in our own words.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementText {
    /// Its id.
    pub id: String,
    /// What it demands, every case and value included.
    pub statement: String,
    /// Where it comes from: seed documents, spec files and sections.
    pub source: String,
    /// How the suite checks it.
    pub checks: String,
}

/// Why a catalogue's texts do not fit its requirements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// The YAML does not parse.
    #[error(transparent)]
    Parse(#[from] InputError),
    /// The texts and the requirements in code name different ids, or another order.
    #[error("{file}: the texts name {texts:?} but the catalogue in code has {code:?}")]
    Mismatch {
        /// The text file.
        file: &'static str,
        /// The ids of the texts, in order.
        texts: Vec<String>,
        /// The ids in code, in order.
        code: Vec<&'static str>,
    },
}

/// The texts of `requirements`, one each and in the same order, from `file`.
pub fn texts(
    file: TextFile,
    requirements: &[Requirement],
) -> Result<Vec<RequirementText>, CatalogueError> {
    let texts: Vec<RequirementText> = yaml::parse(file.yaml, file.file)?;
    let ids: Vec<&str> = texts.iter().map(|t| t.id.as_str()).collect();
    let code: Vec<&'static str> = requirements.iter().map(|r| r.id).collect();
    if ids != code {
        return Err(CatalogueError::Mismatch {
            file: file.file,
            texts: ids.into_iter().map(str::to_string).collect(),
            code,
        });
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_cutting_texts_fit_the_catalogue() {
        let texts = texts(CROSS_CUTTING_TEXTS, CROSS_CUTTING).expect("cross-cutting texts");
        assert!(texts
            .iter()
            .all(|t| t.statement.len() > 40 && !t.checks.is_empty()));
    }

    #[test]
    fn texts_that_name_other_ids_are_refused() {
        let file = TextFile {
            file: "x.yaml",
            yaml: "- {id: X-01, statement: s, source: s, checks: c}\n",
        };
        match texts(file, CROSS_CUTTING) {
            Err(CatalogueError::Mismatch { texts, code, .. }) => {
                assert_eq!(texts, ["X-01"]);
                assert_eq!(code, ["X-01", "X-02", "X-03"]);
            }
            other => panic!("{other:?}"),
        }
        let unknown_field = TextFile {
            file: "x.yaml",
            yaml: "- {id: X-01, statement: s, source: s, checks: c, level: MUST}\n",
        };
        let err = texts(unknown_field, &CROSS_CUTTING[..1]).expect_err("unknown field");
        assert!(err.to_string().starts_with("x.yaml:1"), "{err}");
    }
}
