//! Check-level proof: for every check of the suite, the faults, mutants and null
//! implementations under which a run stopped at that check. A negative check (one
//! that says a bad thing did not happen) passes on an IUT that does nothing, so only a
//! fault or a mutant proves it; a positive check may also be proven by a null
//! implementation.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::report::ScenarioResult;
use crate::scenario::checks::Check;

/// One check and what made it the failing check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckProof {
    /// `file:line`, with ` expect N` for one of several checks of a step.
    pub id: String,
    /// The scenario it belongs to.
    pub scenario: String,
    /// What it checks.
    pub what: String,
    /// Whether it says a bad thing did not happen.
    pub negative: bool,
    /// Why the self-test cannot prove it, as its scenario says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excused: Option<String>,
    /// Matrix columns (`fault:NAME`, `mutant:NAME`, `null:NAME`) under which a run
    /// stopped at it.
    pub proven_by: BTreeSet<String>,
}

impl CheckProof {
    /// A check nothing has proven yet.
    pub fn of(check: Check) -> Self {
        Self {
            id: check.id,
            scenario: check.scenario,
            what: check.what,
            negative: check.negative,
            excused: check.excused,
            proven_by: BTreeSet::new(),
        }
    }

    /// Whether it is proven: by anything for a positive check, by a fault or a mutant
    /// for a negative one.
    pub fn proven(&self) -> bool {
        if self.negative {
            self.proven_by.iter().any(|by| !by.starts_with("null:"))
        } else {
            !self.proven_by.is_empty()
        }
    }
}

/// The check at which `r` failed (or warned), if a scenario step stopped it.
pub fn failing_check(r: &ScenarioResult) -> Option<&str> {
    r.failures
        .first()
        .or(r.warnings.first())
        .map(|f| f.check.as_str())
        .filter(|c| !c.is_empty())
}

/// Files `r`, a run in column `cell`, as proof of the check it stopped at.
pub fn record(proofs: &mut [CheckProof], cell: &str, r: &ScenarioResult) {
    if let Some(id) = failing_check(r) {
        if let Some(p) = proofs.iter_mut().find(|p| p.id == id) {
            p.proven_by.insert(cell.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;
    use crate::selftest::files::tests::result;

    fn check(id: &str, negative: bool) -> CheckProof {
        CheckProof::of(Check {
            id: id.into(),
            scenario: "s".into(),
            what: "w".into(),
            negative,
            excused: None,
        })
    }

    #[test]
    fn a_negative_check_needs_a_fault_or_a_mutant_a_positive_one_anything() {
        let mut proofs = vec![check("a.yaml:3", true), check("a.yaml:5", false)];
        let mut r = result("s", Outcome::Failed);
        r.failures[0].check = "a.yaml:3".into();
        record(&mut proofs, "null:silent", &r);
        assert!(
            !proofs[0].proven(),
            "a null implementation proves no negative check"
        );
        record(&mut proofs, "mutant:x", &r);
        assert!(proofs[0].proven());
        r.failures[0].check = "a.yaml:5".into();
        record(&mut proofs, "null:silent", &r);
        assert!(proofs[1].proven());
        r.failures[0].check = "elsewhere.yaml:1".into();
        record(&mut proofs, "fault:y", &r);
        assert_eq!(proofs[0].proven_by.len(), 2, "an unknown check is ignored");
    }
}
