//! The fuzz report: counts of every case and finding, and a bounded sample of findings
//! (the first few per mutation class), so a long run's memory stays flat.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::names;
use super::plan::Plan;
use crate::profile::fuzz::{escaped, short, shown, Mutant, Problem};
use crate::report::Partition;

/// How many findings are kept (and shrunk) per mutation class.
pub const KEPT_PER_CLASS: usize = 5;

/// How many findings the terminal summary shows.
const SHOWN: usize = 20;

/// A fixed name (class, request, oracle). Spelt as an alias so that serde does not
/// borrow it from the text it reads: a name read back is interned (`names`).
pub type Name = &'static str;

/// An input as reports show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    /// The bytes as text, control characters and bad bytes escaped.
    pub escaped: String,
    /// Decoded for people (e.g. a Base64 key's JSON), when the campaign can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// The raw bytes (not in fuzz.json: a report read back has none).
    #[serde(skip)]
    pub raw: Vec<u8>,
}

impl Input {
    /// `raw`, shown and (if given) decoded.
    pub fn new(raw: Vec<u8>, decoded: Option<String>) -> Self {
        Self {
            escaped: shown(&raw),
            decoded: decoded.map(|d| escaped(&d)),
            raw,
        }
    }
}

/// The smallest input shrinking found that fails the same oracle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shrunk {
    /// The shrunk input.
    pub input: Input,
    /// What the IUT did with it.
    pub problem: String,
    /// Candidates tried.
    pub steps: usize,
}

/// One case the IUT mishandled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// The case number (the same seed replays it); `None` for the untouched input
    /// sent after the mutants.
    pub case: Option<usize>,
    /// The request that carried it.
    #[serde(deserialize_with = "names::name")]
    pub via: Name,
    /// The mutation class.
    #[serde(deserialize_with = "names::name")]
    pub class: Name,
    /// The mutation.
    pub label: String,
    /// The oracle that failed.
    #[serde(deserialize_with = "names::name")]
    pub oracle: Name,
    /// What the IUT did.
    pub problem: String,
    /// The mutant as generated.
    pub input: Input,
    /// The minimal failing input, once shrunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<Shrunk>,
    /// The regression scenario written for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<String>,
}

impl Finding {
    /// A finding of `mutant` (case `case`).
    pub fn new(
        case: Option<usize>,
        mutant: &Mutant,
        problem: Problem,
        decoded: Option<String>,
    ) -> Self {
        Self {
            case,
            via: mutant.via,
            class: mutant.class,
            label: mutant.label.clone(),
            oracle: problem.oracle,
            problem: problem.detail,
            input: Input::new(mutant.input.clone(), decoded),
            shrunk: None,
            regression: None,
        }
    }
}

/// The findings of one mutation class.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    /// The class.
    #[serde(deserialize_with = "names::name")]
    pub class: Name,
    /// Findings in all.
    pub count: usize,
    /// Findings per failed oracle.
    #[serde(deserialize_with = "names::counts")]
    pub oracles: BTreeMap<&'static str, usize>,
    /// The first [`KEPT_PER_CLASS`] findings, by case number.
    pub kept: Vec<Finding>,
}

/// Findings, counted in full and sampled per class.
#[derive(Debug, Default)]
pub struct Findings {
    groups: BTreeMap<&'static str, Group>,
}

impl Findings {
    /// Counts `finding` and keeps it if it is among its class's first.
    pub fn add(&mut self, finding: Finding) {
        let group = self.groups.entry(finding.class).or_insert_with(|| Group {
            class: finding.class,
            count: 0,
            oracles: BTreeMap::new(),
            kept: Vec::new(),
        });
        group.count += 1;
        *group.oracles.entry(finding.oracle).or_default() += 1;
        group.kept.push(finding);
        keep_first(&mut group.kept);
    }

    /// The groups, by class name.
    pub fn into_groups(self) -> Vec<Group> {
        self.groups.into_values().collect()
    }
}

/// Keeps the first [`KEPT_PER_CLASS`] of `kept` by case number (the untouched input,
/// which has none, last).
pub fn keep_first(kept: &mut Vec<Finding>) {
    kept.sort_by_key(|f| f.case.unwrap_or(usize::MAX));
    kept.truncate(KEPT_PER_CLASS);
}

/// What was fuzzed, and how: the parts of one partitioned campaign share all of it,
/// and a merge refuses parts that do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The crosscheck that ran it.
    pub harness_version: String,
    /// The protocol.
    pub protocol: String,
    /// The IUT's role.
    pub role: String,
    /// The target's name, or `built-in simulator`.
    pub target: String,
    /// The built-in simulator's faults.
    pub faults: Vec<String>,
    /// The connection policy asked for (`--connections`).
    pub connections: String,
}

/// What a fuzz run did and found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuzzReport {
    /// What was fuzzed.
    pub title: String,
    /// What was fuzzed, and how, as a merge checks it.
    pub campaign: Identity,
    /// The seed.
    pub seed: u64,
    /// Cases of the whole campaign (`--cases`; a part makes only its share).
    pub cases: usize,
    /// Cases made: all of the run's share, unless the time budget ended it.
    pub cases_done: usize,
    /// Which part of a partitioned campaign this is (`--partition K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// The time budget (`--max-seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_seconds: Option<u64>,
    /// Whether the time budget ended the run before all its cases were made.
    #[serde(default)]
    pub time_budget_ended: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The connection policy used (and, for `auto`, what it chose and why).
    pub connections: String,
    /// Wall time of the mutants, in milliseconds.
    pub duration_ms: u64,
    /// Mutants per second.
    pub cases_per_second: f64,
    /// Mutants sent per class.
    #[serde(deserialize_with = "names::counts")]
    pub classes: BTreeMap<&'static str, usize>,
    /// Findings in all.
    pub findings: usize,
    /// Findings by class.
    pub groups: Vec<Group>,
}

impl FuzzReport {
    /// What the run covered: the cases made, the part, and whether the time budget
    /// ended it: `300 cases`, `100 cases (part 2/3 of 300)`, `1234 of 100000 cases
    /// (ended by the time budget of 5 s)`.
    pub fn scope(&self) -> String {
        let planned = Plan::new(self.cases, self.partition).len();
        let done = if self.time_budget_ended {
            match self.partition {
                None => format!("{} of {planned} cases", self.cases_done),
                Some(_) => format!("{} of the part's {planned} cases", self.cases_done),
            }
        } else {
            format!("{} cases", self.cases_done)
        };
        let mut notes = Vec::new();
        if let Some(p) = self.partition {
            notes.push(format!("part {}/{} of {}", p.index, p.count, self.cases));
        }
        if self.time_budget_ended {
            let budget = self
                .max_seconds
                .map_or_else(String::new, |s| format!(" of {s} s"));
            notes.push(format!("ended by the time budget{budget}"));
        }
        if notes.is_empty() {
            done
        } else {
            format!("{done} ({})", notes.join("; "))
        }
    }

    /// Every kept finding, in class order.
    pub fn kept(&self) -> impl Iterator<Item = &Finding> {
        self.groups.iter().flat_map(|g| g.kept.iter())
    }

    /// A terminal summary: the first findings, each input escaped onto one line, and how
    /// many more there are.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "fuzz: {}, seed {}, {} findings ({:.0} cases/s, {} in flight, connections {})",
            self.scope(),
            self.seed,
            self.findings,
            self.cases_per_second,
            self.concurrency,
            self.connections
        );
        let mut shown_count = 0;
        for f in self.kept().take(SHOWN) {
            shown_count += 1;
            let case = f
                .case
                .map_or_else(|| "after".to_string(), |c| c.to_string());
            let _ = writeln!(
                out,
                "  case {case} ({}: {}): {}\n    input: {}",
                f.class,
                escaped(&f.label),
                escaped(&f.problem),
                short(&f.input.escaped, 80)
            );
            if let Some(s) = &f.shrunk {
                let _ = writeln!(out, "    shrunk: {}", short(&s.input.escaped, 80));
            }
            if let Some(path) = &f.regression {
                let _ = writeln!(out, "    regression: {}", escaped(path));
            }
        }
        if self.findings > shown_count {
            let _ = writeln!(
                out,
                "  … and {} more findings (the same --seed replays them)",
                self.findings - shown_count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(case: usize, class: &'static str, input: &str) -> Finding {
        let mutant = Mutant {
            class,
            label: "m".into(),
            via: "send",
            input: input.as_bytes().to_vec(),
        };
        Finding::new(
            Some(case),
            &mutant,
            Problem::new("no 5xx", "answered 500"),
            None,
        )
    }

    fn report(findings: Findings, total: usize) -> FuzzReport {
        FuzzReport {
            title: "t".into(),
            campaign: Identity::default(),
            seed: 7,
            cases: 100,
            cases_done: 100,
            partition: None,
            max_seconds: None,
            time_budget_ended: false,
            concurrency: 8,
            connections: "keep-alive".into(),
            duration_ms: 1,
            cases_per_second: 100.0,
            classes: BTreeMap::new(),
            findings: total,
            groups: findings.into_groups(),
        }
    }

    #[test]
    fn the_scope_says_the_part_and_the_time_budget() {
        let mut r = report(Findings::default(), 0);
        assert_eq!(r.scope(), "100 cases");
        r.partition = Some(Partition { index: 2, count: 3 });
        r.cases_done = 33;
        assert_eq!(r.scope(), "33 cases (part 2/3 of 100)");
        r.cases_done = 20;
        r.time_budget_ended = true;
        r.max_seconds = Some(5);
        assert_eq!(
            r.scope(),
            "20 of the part's 33 cases (part 2/3 of 100; ended by the time budget of 5 s)"
        );
        r.partition = None;
        assert_eq!(
            r.scope(),
            "20 of 100 cases (ended by the time budget of 5 s)"
        );
        let back: FuzzReport =
            serde_json::from_str(&serde_json::to_string(&r).expect("JSON")).expect("read back");
        assert_eq!(back.scope(), r.scope(), "fuzz.json keeps it");
    }

    #[test]
    fn findings_are_counted_in_full_and_kept_per_class() {
        let mut f = Findings::default();
        for i in (0..1000).rev() {
            f.add(finding(i, if i % 2 == 0 { "even" } else { "odd" }, "x"));
        }
        let groups = f.into_groups();
        assert_eq!(groups.len(), 2);
        assert!(groups
            .iter()
            .all(|g| g.count == 500 && g.kept.len() == KEPT_PER_CLASS));
        let even: Vec<_> = groups[0].kept.iter().filter_map(|f| f.case).collect();
        assert_eq!(even, vec![0, 2, 4, 6, 8], "the first cases are kept");
    }

    #[test]
    fn the_summary_escapes_inputs_and_counts_what_it_leaves_out() {
        let mut f = Findings::default();
        for class in ["a", "b", "c", "d", "e"] {
            for i in 0..5 {
                f.add(finding(i, class, "line\nbreak \u{1b}[31m \0 \"q\""));
            }
        }
        let text = report(f, 25).render();
        assert!(
            text.starts_with("fuzz: 100 cases, seed 7, 25 findings"),
            "{text}"
        );
        assert_eq!(text.matches("  case ").count(), 20, "{text}");
        assert!(text.contains("… and 5 more findings"), "{text}");
        assert!(text.contains(r#"line\nbreak \u{1b}[31m \0 "q""#), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\0'), "{text}");
        assert_eq!(text.lines().count(), 1 + 20 * 2 + 1, "one line per input");
    }
}
