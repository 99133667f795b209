//! Waivers: a certifier's known, justified, dated exceptions. A waiver names a
//! requirement or a scenario; a failed run whose every failed requirement (or whose
//! scenario) is waived becomes `waived`, never `passed`. An expired waiver, or one that
//! names nothing the suite has, is ignored with a warning that names it.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::report::model::{charged, Outcome, ScenarioResult};
use crate::yaml::{self, InputError};

/// One waiver, as granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// The requirement it waives (or `scenario`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// The scenario it waives (or `requirement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Why the exception is acceptable.
    pub justification: String,
    /// Who granted it.
    pub granted_by: String,
    /// The last day it holds (`YYYY-MM-DD`, UTC).
    pub expires: String,
    /// `file:line` where it is written.
    pub source: String,
}

impl Waiver {
    /// What it waives: `requirement ID` or `scenario ID`.
    pub fn subject(&self) -> String {
        match (&self.requirement, &self.scenario) {
            (Some(r), _) => format!("requirement {r}"),
            (None, Some(s)) => format!("scenario {s}"),
            (None, None) => "nothing".to_string(),
        }
    }

    /// One line for a report: subject, who, until when, why.
    pub fn describe(&self) -> String {
        format!(
            "{} waived by {} until {}: {}",
            self.subject(),
            self.granted_by,
            self.expires,
            self.justification
        )
    }
}

/// A waivers file, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waivers {
    /// Every waiver in it, in file order.
    pub list: Vec<Waiver>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiversFile {
    waivers: Vec<Spanned<WaiverFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    requirement: Option<String>,
    scenario: Option<String>,
    justification: String,
    granted_by: String,
    expires: String,
}

/// Why a waiver is not used.
fn unusable(
    w: &Waiver,
    today: jiff::civil::Date,
    requirements: &[String],
    scenarios: &[&str],
) -> Option<String> {
    let expires: jiff::civil::Date = w.expires.parse().ok()?;
    if expires < today {
        return Some(format!(
            "{}: the waiver of {} expired on {} and is ignored",
            w.source,
            w.subject(),
            w.expires
        ));
    }
    let known = match (&w.requirement, &w.scenario) {
        (Some(r), _) => requirements.iter().any(|k| k == r),
        (None, Some(s)) => scenarios.contains(&s.as_str()),
        (None, None) => false,
    };
    (!known).then(|| {
        format!(
            "{}: the waiver of {} names nothing this suite checks and is ignored",
            w.source,
            w.subject()
        )
    })
}

impl Waivers {
    /// Reads and checks a waivers file: each waiver names exactly one requirement or
    /// scenario, says why and who, and has a real date.
    pub fn load(path: &std::path::Path) -> Result<Self, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::whole(&file, format!("cannot read: {e}")))?;
        Self::parse(&text, &file)
    }

    /// Parses and checks waivers text (see [`Waivers::load`]).
    pub fn parse(text: &str, file: &str) -> Result<Self, InputError> {
        let raw: WaiversFile = yaml::parse(text, file)?;
        let mut list = Vec::new();
        for (i, w) in raw.waivers.into_iter().enumerate() {
            let at = |m: String| InputError::at(file, &w.referenced, format!("waivers[{i}]: {m}"));
            let v = &w.value;
            if v.requirement.is_some() == v.scenario.is_some() {
                return Err(at("name exactly one of `requirement` and `scenario`".into()));
            }
            for (field, value) in [
                ("justification", &v.justification),
                ("granted_by", &v.granted_by),
            ] {
                if value.trim().is_empty() {
                    return Err(at(format!("{field}: empty")));
                }
            }
            if v.expires.parse::<jiff::civil::Date>().is_err() {
                return Err(at(format!(
                    "expires: `{}` is not a date (YYYY-MM-DD)",
                    v.expires
                )));
            }
            list.push(Waiver {
                requirement: v.requirement.clone(),
                scenario: v.scenario.clone(),
                justification: v.justification.trim().to_string(),
                granted_by: v.granted_by.trim().to_string(),
                expires: v.expires.clone(),
                source: format!("{file}:{}", w.referenced.line()),
            });
        }
        Ok(Self { list })
    }

    /// Applies the waivers that hold `today` to `runs`: a failed run whose scenario is
    /// waived, or whose every failed requirement is, becomes `waived`. Gives the
    /// waivers used and a warning for each one ignored (expired, or naming no
    /// requirement in `requirements` and no scenario of `runs`).
    pub fn apply(
        &self,
        runs: &mut [ScenarioResult],
        requirements: &[String],
        today: jiff::civil::Date,
    ) -> (Vec<Waiver>, Vec<String>) {
        let scenarios: Vec<String> = runs.iter().map(|r| r.scenario.clone()).collect();
        let scenario_ids: Vec<&str> = scenarios.iter().map(String::as_str).collect();
        let mut warnings = Vec::new();
        let valid: Vec<&Waiver> = self
            .list
            .iter()
            .filter(|w| match unusable(w, today, requirements, &scenario_ids) {
                Some(why) => {
                    warnings.push(why);
                    false
                }
                None => true,
            })
            .collect();
        let mut used: Vec<Waiver> = Vec::new();
        for run in runs.iter_mut().filter(|r| r.outcome == Outcome::Failed) {
            let by_scenario = valid
                .iter()
                .find(|w| w.scenario.as_deref() == Some(run.scenario.as_str()));
            let covering: Vec<&Waiver> = match by_scenario {
                Some(w) => vec![w],
                None => {
                    let failed: Vec<&str> = run
                        .failures
                        .iter()
                        .flat_map(|f| charged(&f.requirement))
                        .collect();
                    let each: Vec<Option<&&Waiver>> = failed
                        .iter()
                        .map(|id| valid.iter().find(|w| w.requirement.as_deref() == Some(id)))
                        .collect();
                    match !failed.is_empty() && each.iter().all(Option::is_some) {
                        true => each.into_iter().flatten().copied().collect(),
                        false => continue,
                    }
                }
            };
            run.outcome = Outcome::Waived;
            let mut lines: Vec<String> = covering.iter().map(|w| w.describe()).collect();
            lines.dedup();
            run.waiver = Some(lines.join("; "));
            for w in covering {
                if !used.contains(w) {
                    used.push(w.clone());
                }
            }
        }
        (used, warnings)
    }
}

/// Today's date in UTC.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Failure;

    fn failed(scenario: &str, requirement: &str) -> ScenarioResult {
        ScenarioResult {
            id: scenario.into(),
            scenario: scenario.into(),
            title: scenario.into(),
            protocol: "demo".into(),
            role: "server".into(),
            variant: None,
            requirements: vec![requirement.into()],
            outcome: Outcome::Failed,
            duration_ms: 1,
            reason: None,
            failures: vec![Failure {
                step: "step 1".into(),
                requirement: requirement.into(),
                check: "f.yaml:3".into(),
                expected: "e".into(),
                actual: "a".into(),
            }],
            warnings: vec![],
            exchanges: vec![],
            late_traffic: vec![],
            waiver: None,
            source: "f.yaml:1".into(),
        }
    }

    const FILE: &str = "waivers:\n  - requirement: DEMO-01\n    justification: fixed in 2.1\n    granted_by: a certifier\n    expires: 2027-01-31\n  - scenario: demo-b\n    justification: lab has no archive\n    granted_by: a certifier\n    expires: 2026-01-01\n";

    fn day(text: &str) -> jiff::civil::Date {
        text.parse().expect("date")
    }

    #[test]
    fn a_waived_failure_is_waived_and_an_expired_waiver_is_ignored_with_a_warning() {
        let waivers = Waivers::parse(FILE, "w.yaml").expect("valid");
        let mut runs = vec![failed("demo-a", "DEMO-01"), failed("demo-b", "DEMO-02")];
        let ids = vec!["DEMO-01".to_string(), "DEMO-02".to_string()];
        let (used, warnings) = waivers.apply(&mut runs, &ids, day("2026-12-06"));
        assert_eq!(runs[0].outcome, Outcome::Waived);
        assert!(runs[0]
            .waiver
            .as_deref()
            .is_some_and(|w| w.contains("a certifier until 2027-01-31")));
        assert_eq!(runs[1].outcome, Outcome::Failed, "expired: not used");
        assert_eq!(used.len(), 1);
        assert_eq!(
            warnings,
            ["w.yaml:6: the waiver of scenario demo-b expired on 2026-01-01 and is ignored"]
        );
        let mut later = vec![failed("demo-a", "DEMO-01")];
        let (_, warnings) = waivers.apply(&mut later, &ids, day("2027-02-01"));
        assert_eq!(later[0].outcome, Outcome::Failed);
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn a_run_failing_an_unwaived_requirement_too_stays_failed() {
        let waivers = Waivers::parse(FILE, "w.yaml").expect("valid");
        let mut run = failed("demo-a", "DEMO-01, DEMO-03");
        run.failures[0].requirement = "DEMO-01, DEMO-03".into();
        let ids = vec!["DEMO-01".to_string(), "DEMO-03".to_string()];
        waivers.apply(std::slice::from_mut(&mut run), &ids, day("2026-12-06"));
        assert_eq!(run.outcome, Outcome::Failed);
    }

    #[test]
    fn unknown_subjects_warn_and_bad_files_name_the_line() {
        let text = "waivers:\n  - requirement: NOPE-9\n    justification: j\n    granted_by: g\n    expires: 2030-01-01\n";
        let waivers = Waivers::parse(text, "w.yaml").expect("valid");
        let mut runs = vec![failed("demo-a", "DEMO-01")];
        let (_, warnings) = waivers.apply(&mut runs, &["DEMO-01".to_string()], day("2026-12-06"));
        assert_eq!(warnings, ["w.yaml:2: the waiver of requirement NOPE-9 names nothing this suite checks and is ignored"]);
        let e = Waivers::parse(&text.replace("2030-01-01", "soon"), "w.yaml").expect_err("date");
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "waivers[0]: expires: `soon` is not a date (YYYY-MM-DD)")
        );
        let both = text.replace(
            "    justification",
            "    scenario: demo-a\n    justification",
        );
        let e = Waivers::parse(&both, "w.yaml").expect_err("both");
        assert!(e.message.contains("exactly one of"), "{e}");
        let e = Waivers::parse(&text.replace("granted_by: g", "granted_by: ' '"), "w.yaml")
            .expect_err("who");
        assert!(e.message.contains("granted_by: empty"), "{e}");
    }
}
