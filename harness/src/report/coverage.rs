//! Requirement coverage: which requirements a run is judged against, and which
//! scenarios cover each catalogued requirement.

use std::fmt::Write as _;

use super::model::ScenarioResult;
use crate::profile::Requirement;
use crate::protocols;

/// The requirements a run is judged against: every requirement of the IUT roles that
/// ran (by their prefix), then any other catalogued one a scenario cites.
pub fn requirement_ids(prefixes: &[&str], results: &[ScenarioResult]) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = protocols::catalogue()
        .filter(|q| prefixes.iter().any(|p| q.id.starts_with(p)))
        .map(|q| q.id)
        .collect();
    for r in results.iter().flat_map(|r| r.requirements.iter()) {
        if let Some(q) = protocols::requirement(r) {
            if !ids.contains(&q.id) {
                ids.push(q.id);
            }
        }
    }
    ids
}

/// One catalogued requirement and the scenarios that cite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered {
    /// The requirement.
    pub requirement: &'static Requirement,
    /// Ids of the scenarios that cite it.
    pub by: Vec<String>,
}

/// Coverage of the whole catalogue by scenarios, given as (id, requirements) pairs.
pub fn of_catalogue<'a>(
    scenarios: impl Iterator<Item = (&'a str, &'a [String])> + Clone,
) -> Vec<Covered> {
    protocols::catalogue()
        .map(|requirement| Covered {
            requirement,
            by: scenarios
                .clone()
                .filter(|(_, reqs)| reqs.iter().any(|x| x == requirement.id))
                .map(|(id, _)| id.to_string())
                .collect(),
        })
        .collect()
}

/// The coverage table `crosscheck list` prints, with its closing count.
pub fn render(rows: &[Covered], scenarios: usize) -> String {
    let mut out = String::new();
    for row in rows {
        let _ = writeln!(
            out,
            "{:<9} {:>2} scenario(s)  {}",
            row.requirement.id,
            row.by.len(),
            if row.by.is_empty() {
                "NOT COVERED".to_string()
            } else {
                row.by.join(", ")
            }
        );
    }
    let covered = rows.iter().filter(|r| !r.by.is_empty()).count();
    let _ = writeln!(
        out,
        "\n{scenarios} scenarios; {covered} of {} requirements covered",
        rows.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_cites_each_requirement() {
        let a = vec!["X-01".to_string()];
        let b = vec!["X-01".to_string(), "X-03".to_string()];
        let scenarios = [("a", a.as_slice()), ("b", b.as_slice())];
        let rows = of_catalogue(scenarios.iter().copied());
        let x01 = rows
            .iter()
            .find(|r| r.requirement.id == "X-01")
            .expect("X-01");
        assert_eq!(x01.by, ["a", "b"]);
        let x02 = rows
            .iter()
            .find(|r| r.requirement.id == "X-02")
            .expect("X-02");
        assert!(x02.by.is_empty());
        let text = render(&rows, 2);
        assert!(
            text.contains("X-02       0 scenario(s)  NOT COVERED"),
            "{text}"
        );
        assert!(text.ends_with(&format!(
            "2 scenarios; 2 of {} requirements covered\n",
            rows.len()
        )));
    }

    #[test]
    fn a_run_is_judged_against_its_roles_and_what_it_cites() {
        assert_eq!(requirement_ids(&["X-0"], &[]), ["X-01", "X-02", "X-03"]);
        assert!(requirement_ids(&["NOPE-"], &[]).is_empty());
    }
}
