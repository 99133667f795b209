//! Requirements as the protocols catalogue them: an id from PROTOCOLS.md, a level and
//! a one-line gist.

use serde::Serialize;

/// How a requirement's failure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    /// A failure fails the scenario.
    Must,
    /// A failure passes the scenario with a warning.
    Should,
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
