//! The kill matrix as files: `selftest.json` for tools and `selftest.md` for people,
//! written into the report dir.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::matrix::{why, KillMatrix, MutantScore, Verdict};
use super::proof::CheckProof;
use crate::report::markdown::cell;
use crate::report::ScenarioResult;

/// The matrix files could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct MatrixFileError {
    /// The file or folder.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

#[derive(Debug, Serialize)]
struct MatrixFile<'a> {
    ok: bool,
    seconds: f64,
    clean: Column<'a>,
    faults: Vec<FaultRow<'a>>,
    scenarios: Vec<ScenarioRow<'a>>,
    variations: Vec<VariationRow<'a>>,
    nulls: NullColumn<'a>,
    checks: ChecksColumn<'a>,
    mutants: Vec<MutantRow<'a>>,
    verdicts: &'a [Verdict],
}

/// Every check of the suite and what proved it.
#[derive(Debug, Serialize)]
struct ChecksColumn<'a> {
    proven: usize,
    total: usize,
    negative_proven: usize,
    negative_total: usize,
    list: &'a [CheckProof],
}

/// One answer mutant of one protocol and role.
#[derive(Debug, Serialize)]
struct MutantRow<'a> {
    scope: &'a str,
    name: &'a str,
    #[serde(flatten)]
    score: &'a MutantScore,
}

#[derive(Debug, Serialize)]
struct Column<'a> {
    runs: usize,
    passed: usize,
    not_passing: Vec<Miss>,
    skipped: Vec<ShownElsewhere<'a>>,
}

/// A clean run skipped with a reason, and the variations under which it passed.
#[derive(Debug, Serialize)]
struct ShownElsewhere<'a> {
    id: &'a str,
    why: &'a str,
    passes_under: &'a [String],
}

#[derive(Debug, Serialize)]
struct Miss {
    id: String,
    outcome: &'static str,
    why: String,
}

impl Miss {
    fn of(r: &ScenarioResult) -> Miss {
        Miss {
            id: r.id.clone(),
            outcome: r.outcome.name(),
            why: why(r),
        }
    }
}

#[derive(Debug, Serialize)]
struct FaultRow<'a> {
    name: &'a str,
    protocol: &'a str,
    role: &'a str,
    requirement: &'a str,
    killed_by: &'a [String],
}

#[derive(Debug, Serialize)]
struct ScenarioRow<'a> {
    id: &'a str,
    kills: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
struct VariationRow<'a> {
    name: &'a str,
    not_passing: Vec<Miss>,
    skipped: Vec<Skip<'a>>,
}

#[derive(Debug, Serialize)]
struct Skip<'a> {
    id: &'a str,
    why: &'a str,
}

#[derive(Debug, Serialize)]
struct NullColumn<'a> {
    runs: usize,
    not_failing: Vec<NullRow<'a>>,
}

#[derive(Debug, Serialize)]
struct NullRow<'a> {
    name: &'a str,
    runs: &'a [String],
}

fn file_model(matrix: &KillMatrix, seconds: f64) -> MatrixFile<'_> {
    MatrixFile {
        ok: matrix.ok(),
        seconds: (seconds * 10.0).round() / 10.0,
        clean: Column {
            runs: matrix.clean_runs,
            passed: matrix.clean_passes(),
            not_passing: matrix.clean_failures.iter().map(Miss::of).collect(),
            skipped: matrix
                .clean_skips
                .iter()
                .map(|s| ShownElsewhere {
                    id: &s.run,
                    why: &s.why,
                    passes_under: &s.passes_under,
                })
                .collect(),
        },
        faults: matrix
            .kills
            .iter()
            .map(|(name, killed_by)| {
                let fault = matrix.fault_infos.get(name);
                FaultRow {
                    name,
                    protocol: fault.map_or("", |f| f.protocol),
                    role: fault.map_or("", |f| f.role),
                    requirement: fault.map_or("", |f| f.requirement),
                    killed_by,
                }
            })
            .collect(),
        scenarios: matrix
            .by_scenario
            .iter()
            .map(|(id, kills)| ScenarioRow {
                id,
                kills: kills.iter().copied().collect(),
            })
            .collect(),
        variations: matrix
            .variation_failures
            .iter()
            .map(|(name, failed)| VariationRow {
                name,
                not_passing: failed.iter().map(Miss::of).collect(),
                skipped: matrix
                    .variation_skips
                    .get(name)
                    .map(|s| s.iter().map(|(id, why)| Skip { id, why }).collect())
                    .unwrap_or_default(),
            })
            .collect(),
        nulls: NullColumn {
            runs: matrix.null_runs,
            not_failing: matrix
                .null_survivors
                .iter()
                .map(|(name, runs)| NullRow { name, runs })
                .collect(),
        },
        checks: {
            let negative = matrix.checks.iter().filter(|c| c.negative);
            ChecksColumn {
                proven: matrix.checks.iter().filter(|c| c.proven()).count(),
                total: matrix.checks.len(),
                negative_proven: negative.clone().filter(|c| c.proven()).count(),
                negative_total: negative.count(),
                list: &matrix.checks,
            }
        },
        mutants: matrix
            .mutants
            .iter()
            .flat_map(|(scope, scores)| {
                scores
                    .iter()
                    .map(move |(name, score)| MutantRow { scope, name, score })
            })
            .collect(),
        verdicts: &matrix.verdicts,
    }
}

/// How long each run of the last self-test in `dir` took, by [`Verdict::key`]; empty
/// when there is no readable selftest.json (it is only a hint).
pub fn last_durations(dir: &Path) -> BTreeMap<String, u64> {
    let Some(json) = crate::report::read_hint(&dir.join("selftest.json")) else {
        return BTreeMap::new();
    };
    json.get("verdicts")
        .and_then(serde_json::Value::as_array)
        .map(|runs| {
            runs.iter()
                .filter_map(|v| {
                    let key = Verdict::key(v.get("cell")?.as_str()?, v.get("run")?.as_str()?);
                    Some((key, v.get("ms")?.as_u64()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The matrix as JSON.
pub fn json(matrix: &KillMatrix, seconds: f64) -> String {
    serde_json::to_string_pretty(&file_model(matrix, seconds))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render the matrix: {e}\"}}"))
}

/// The matrix as Markdown.
pub fn markdown(matrix: &KillMatrix, seconds: f64) -> String {
    let m = file_model(matrix, seconds);
    let mut out = String::new();
    let verdict = if m.ok { "PASS" } else { "FAIL" };
    let killed = m.faults.iter().filter(|f| !f.killed_by.is_empty()).count();
    let proven = m.scenarios.iter().filter(|s| !s.kills.is_empty()).count();
    let varied = m
        .variations
        .iter()
        .filter(|v| v.not_passing.is_empty())
        .count();
    let null_ok = m.nulls.not_failing.iter().all(|n| n.runs.is_empty());
    let _ = writeln!(out, "# crosscheck self-test: {verdict}\n");
    let _ = writeln!(
        out,
        "- clean simulators: {} of {} runs passed",
        m.clean.passed, m.clean.runs
    );
    for s in &m.clean.skipped {
        let _ = writeln!(
            out,
            "- clean run skipped: {} ({}); passes under {}",
            cell(s.id),
            cell(s.why),
            s.passes_under.join(", ")
        );
    }
    let _ = writeln!(out, "- faults killed: {killed} of {}", m.faults.len());
    let _ = writeln!(
        out,
        "- scenarios that kill at least one fault: {proven} of {}",
        m.scenarios.len()
    );
    let _ = writeln!(
        out,
        "- variations passed: {varied} of {}",
        m.variations.len()
    );
    let _ = writeln!(
        out,
        "- runs against null implementations: {}, {}",
        m.nulls.runs,
        if null_ok {
            "every one failed or errored"
        } else {
            "SOME DID NOT FAIL"
        }
    );
    let _ = writeln!(
        out,
        "- checks proven: {} of {} (negative: {} of {})",
        m.checks.proven, m.checks.total, m.checks.negative_proven, m.checks.negative_total
    );
    let mut scopes: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for row in m.mutants.iter().filter(|r| r.score.applies) {
        let e = scopes.entry(row.scope).or_default();
        e.1 += 1;
        if !row.score.killed_by.is_empty() {
            e.0 += 1;
        } else if row.score.legal.is_some() {
            e.2 += 1;
        }
    }
    for (scope, (killed, applying, legal)) in &scopes {
        let _ = writeln!(
            out,
            "- answer mutants killed, {scope}: {killed} of {applying} ({legal} legal survivors)"
        );
    }
    let _ = writeln!(out, "- took {:.1} s", m.seconds);
    for miss in &m.clean.not_passing {
        let _ = writeln!(
            out,
            "- clean run NOT PASSING: {} ({}): {}",
            cell(&miss.id),
            miss.outcome,
            cell(&miss.why)
        );
    }
    let _ = writeln!(out, "\n## Faults\n");
    let _ = writeln!(out, "| fault | protocol | role | breaks | killed by |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for f in &m.faults {
        let by = if f.killed_by.is_empty() {
            "**SURVIVED**".to_string()
        } else {
            f.killed_by.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.name, f.protocol, f.role, f.requirement, by
        );
    }
    let _ = writeln!(out, "\n## Scenarios\n");
    let _ = writeln!(out, "| scenario | faults killed |");
    let _ = writeln!(out, "|---|---|");
    for s in &m.scenarios {
        let kills = if s.kills.is_empty() {
            "**none (unproven)**".to_string()
        } else {
            s.kills.join(", ")
        };
        let _ = writeln!(out, "| {} | {kills} |", s.id);
    }
    let _ = writeln!(out, "\n## Legal variations (must pass)\n");
    let _ = writeln!(
        out,
        "| variation | runs not passing | skipped (the varied target lacks what they need) |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for v in &m.variations {
        let misses = if v.not_passing.is_empty() {
            "none".to_string()
        } else {
            v.not_passing
                .iter()
                .map(|miss| format!("{} ({})", cell(&miss.id), cell(&miss.why)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let skipped = v
            .skipped
            .iter()
            .map(|s| format!("{} ({})", cell(s.id), cell(s.why)))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = writeln!(out, "| {} | {misses} | {skipped} |", v.name);
    }
    markdown_checks(&mut out, &m);
    markdown_mutants(&mut out, &m);
    let _ = writeln!(out, "\n## Null implementations (every run must fail)\n");
    let _ = writeln!(out, "| null implementation | runs not failing |");
    let _ = writeln!(out, "|---|---|");
    for n in &m.nulls.not_failing {
        let runs = if n.runs.is_empty() {
            "none".to_string()
        } else {
            n.runs.join(", ")
        };
        let _ = writeln!(out, "| {} | {runs} |", n.name);
    }
    out
}

/// The checks no fault, mutant or null implementation made fail.
fn markdown_checks(out: &mut String, m: &MatrixFile<'_>) {
    let _ = writeln!(
        out,
        "\n## Checks not proven (a negative one must be, or say why not)\n"
    );
    let _ = writeln!(out, "| check | scenario | what | negative | why not |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for c in m.checks.list.iter().filter(|c| !c.proven()) {
        let negative = match (c.negative, &c.excused) {
            (false, _) => "no",
            (true, Some(_)) => "yes (excused)",
            (true, None) => "**YES**",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {negative} | {} |",
            cell(&c.id),
            cell(&c.scenario),
            cell(&c.what),
            cell(c.excused.as_deref().unwrap_or(""))
        );
    }
}

/// Every answer mutant that changed an answer: what killed it, or why it may live.
fn markdown_mutants(out: &mut String, m: &MatrixFile<'_>) {
    let _ = writeln!(out, "\n## Answer mutants\n");
    let _ = writeln!(out, "| protocol/role | mutant | killed by |");
    let _ = writeln!(out, "|---|---|---|");
    for row in m.mutants.iter().filter(|r| r.score.applies) {
        let by = match (&row.score.legal, row.score.killed_by.is_empty()) {
            (_, false) => row.score.killed_by.join(", "),
            (Some(why), true) => format!("legal survivor: {}", cell(why)),
            (None, true) => "**SURVIVED**".to_string(),
        };
        let _ = writeln!(out, "| {} | {} | {by} |", row.scope, cell(row.name));
    }
}

/// Writes `selftest.json` and `selftest.md` into `dir`, creating it; returns the paths.
pub fn write(
    matrix: &KillMatrix,
    seconds: f64,
    dir: &Path,
) -> Result<Vec<PathBuf>, MatrixFileError> {
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |source| MatrixFileError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    let mut written = Vec::new();
    for (name, text) in [
        ("selftest.json", json(matrix, seconds)),
        ("selftest.md", markdown(matrix, seconds)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(failed(&path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::collections::BTreeSet;

    use crate::report::{Failure, Outcome};

    /// A demo run with one failure.
    pub(in crate::selftest) fn result(id: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            scenario: id.into(),
            title: "t".into(),
            protocol: "demo".into(),
            role: "server".into(),
            variant: None,
            requirements: vec!["DEMO-01".into()],
            outcome,
            duration_ms: 1,
            reason: None,
            failures: vec![Failure {
                step: "submit".into(),
                requirement: "DEMO-01".into(),
                check: String::new(),
                expected: "status 201".into(),
                actual: "status 400 | odd".into(),
            }],
            warnings: vec![],
            exchanges: vec![],
            late_traffic: vec![],
            waiver: None,
            source: "demo.yaml".into(),
        }
    }

    fn matrix() -> KillMatrix {
        let mut m = KillMatrix {
            clean_runs: 2,
            null_runs: 4,
            ..KillMatrix::default()
        };
        m.kills.insert("demo-lenient", vec!["demo-submit".into()]);
        m.kills.insert("demo-silent", vec![]);
        for (name, requirement) in [("demo-lenient", "DEMO-01"), ("demo-silent", "DEMO-02")] {
            m.fault_infos.insert(
                name,
                crate::profile::FaultInfo {
                    protocol: "demo",
                    name,
                    role: "server",
                    requirement,
                    description: "a demo bug",
                    shown_with: &[],
                },
            );
        }
        m.by_scenario
            .insert("demo-submit".into(), BTreeSet::from(["demo-lenient"]));
        m.by_scenario.insert("demo-other".into(), BTreeSet::new());
        m.variation_failures
            .insert("demo/server/extra-fields".into(), vec![]);
        m.variation_failures.insert(
            "demo/server/slow-answers".into(),
            vec![result("demo-submit", Outcome::Failed)],
        );
        m.variation_skips.insert(
            "demo/server/extra-fields".into(),
            vec![("demo-archive".into(), "the target lacks `archive`".into())],
        );
        m.clean_skips.push(crate::selftest::CleanSkip {
            run: "demo-later".into(),
            why: "step 2 \"skip\" (line 9): the reference | answers at once".into(),
            passes_under: vec!["demo/server/slow-answers".into()],
        });
        m.clean_runs = 3;
        m.null_survivors.insert("null-empty-200", vec![]);
        m.null_survivors
            .insert("null-garbage", vec!["demo-other".into()]);
        let check = |id: &str, negative, excused: Option<&str>, by: &[&str]| CheckProof {
            id: id.into(),
            scenario: "demo-submit".into(),
            what: "submit | refused (expectation)".into(),
            negative,
            excused: excused.map(str::to_string),
            proven_by: by.iter().map(|b| b.to_string()).collect(),
        };
        m.checks = vec![
            check("demo.yaml:4", false, None, &["null:null-empty-200"]),
            check("demo.yaml:9", true, None, &["fault:demo-lenient"]),
            check("demo.yaml:12", true, None, &["null:null-garbage"]),
            check("demo.yaml:15", true, Some("a second silence"), &[]),
            check("demo.yaml:18", false, None, &[]),
        ];
        let score = |applies, killed_by: &[&str], legal| MutantScore {
            applies,
            killed_by: killed_by.iter().map(|k| k.to_string()).collect(),
            legal,
        };
        m.mutants.insert(
            "demo/server".into(),
            BTreeMap::from([
                ("submit: 500".into(), score(true, &["demo-submit"], None)),
                (
                    "submit: {}".into(),
                    score(true, &[], Some("the body | is free")),
                ),
                ("submit: without $.state".into(), score(true, &[], None)),
                ("refusal 3 accepted".into(), score(false, &[], None)),
            ]),
        );
        m.verdicts.push(Verdict::of(
            "fault:demo-lenient".into(),
            &result("demo-submit", Outcome::Failed),
        ));
        m
    }

    #[test]
    fn the_markdown_matrix_shows_every_column_and_escapes_what_the_iut_said() {
        insta::assert_snapshot!(markdown(&matrix(), 12.34));
    }

    #[test]
    fn the_json_matrix_says_what_failed() {
        let v: serde_json::Value = serde_json::from_str(&json(&matrix(), 12.34)).expect("json");
        assert_eq!(v["ok"], false);
        assert_eq!(v["seconds"], 12.3);
        assert_eq!(v["faults"][1]["name"], "demo-silent");
        assert_eq!(v["faults"][1]["killed_by"], serde_json::json!([]));
        assert_eq!(
            v["variations"][1]["not_passing"][0]["why"],
            "DEMO-01 submit: expected status 201, got status 400 | odd"
        );
        assert_eq!(v["nulls"]["not_failing"][1]["runs"][0], "demo-other");
        assert_eq!(
            (
                &v["checks"]["proven"],
                &v["checks"]["negative_proven"],
                &v["checks"]["negative_total"]
            ),
            (
                &serde_json::json!(2),
                &serde_json::json!(1),
                &serde_json::json!(3)
            )
        );
        assert_eq!(v["checks"]["list"][3]["excused"], "a second silence");
        let survivor = v["mutants"]
            .as_array()
            .and_then(|m| m.iter().find(|r| r["name"] == "submit: without $.state"))
            .expect("the surviving mutant is listed");
        assert_eq!(survivor["killed_by"], serde_json::json!([]));
        assert_eq!(survivor["scope"], "demo/server");
    }

    #[test]
    fn each_verdict_is_written_and_its_duration_read_back() {
        let dir = std::env::temp_dir().join(format!("crosscheck-verdicts-{}", std::process::id()));
        assert!(last_durations(&dir).is_empty(), "no self-test yet");
        write(&matrix(), 1.0, &dir).expect("written");
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("selftest.json")).expect("read"),
        )
        .expect("json");
        assert_eq!(v["verdicts"][0]["outcome"], "failed");
        assert_eq!(v["verdicts"][0]["at"], "DEMO-01 submit");
        let durations = last_durations(&dir);
        assert_eq!(
            durations.get(&Verdict::key("fault:demo-lenient", "demo-submit")),
            Some(&1)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn writing_names_the_path_that_failed() {
        let file = std::env::temp_dir().join(format!("crosscheck-matrix-{}", std::process::id()));
        std::fs::write(&file, "a file, not a folder").expect("write");
        let err = write(&matrix(), 1.0, &file.join("sub")).expect_err("cannot create");
        assert!(err.to_string().contains("crosscheck-matrix-"), "{err}");
        let _ = std::fs::remove_file(file);
    }
}
