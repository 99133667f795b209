//! `crosscheck merge` of fuzz parts: one fuzz report from the fuzz.json of each part of
//! a partitioned campaign (`fuzz --partition K/N`, one part per folder), or a refusal
//! naming the files when they are not the parts of one campaign.
//!
//! The merged report is what the whole campaign reports: the cases per class and the
//! findings per class and oracle summed, and per class the first
//! [`KEPT_PER_CLASS`](super::findings::KEPT_PER_CLASS) findings by case number, which
//! are among the parts' kept ones (a part keeps its own first few), already shrunk
//! there, with their regression scenarios. The untouched input sent after the mutants
//! is one finding, the first part's, when any part's IUT failed it. `duration_ms` is
//! the longest part's (parts run side by side), `concurrency` the largest, no
//! `partition`; a part the time budget ended leaves its cases out, and the merge says
//! so (`time_budget_ended`, `cases_done`).

mod read;
#[cfg(test)]
mod tests;

pub use read::{is_fuzz_part, read, FILE};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::files::WriteError;
use super::findings::{keep_first, Group};
use super::FuzzReport;
use crate::report::merge::{parts_complete, same_fields, MergeError, Parts, Shard};
use crate::report::Partition;

/// A part's fuzz.json read back, with the file it came from (the part's folder holds
/// its regressions/ too).
pub type Part = Shard<FuzzReport>;

/// The folder a part was read from.
fn folder(part: &Part) -> &Path {
    part.file.parent().unwrap_or(Path::new("."))
}

/// Why the fuzz parts given do not merge into one report.
#[derive(Debug, thiserror::Error)]
pub enum FuzzMergeError {
    /// What every merge refuses: unreadable, not JSON, not one campaign, parts missing
    /// or given twice.
    #[error(transparent)]
    Parts(#[from] MergeError),
    /// JSON, but not a fuzz report (serde names the line and column).
    #[error("{file}: not a crosscheck fuzz report: {why}")]
    Shape {
        /// The file.
        file: String,
        /// Where and why.
        why: serde_json::Error,
    },
    /// A kept finding's regression scenario is not in its part's folder.
    #[error("{file}: the regression scenario of case {case}, {path}, cannot be read: {why}")]
    Regression {
        /// The part's fuzz.json.
        file: String,
        /// The finding's case.
        case: usize,
        /// Where it should be.
        path: String,
        /// Why it cannot be read.
        why: std::io::Error,
    },
}

/// The merged report, and the regression scenarios to copy beside it.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The report of the whole campaign.
    pub report: FuzzReport,
    /// Each kept finding's regression scenario: the part's file, and its file name.
    pub regressions: Vec<(PathBuf, String)>,
}

/// Reads fuzz.json from each folder of `dirs` and merges them ([`merge`]).
pub fn merge_dirs(dirs: &[PathBuf]) -> Result<Merged, FuzzMergeError> {
    let parts = dirs
        .iter()
        .map(|d| read(d))
        .collect::<Result<Vec<_>, _>>()?;
    merge(parts)
}

/// One report from the parts of one partitioned campaign (or a single whole one,
/// which comes back as it was).
pub fn merge(mut parts: Vec<Part>) -> Result<Merged, FuzzMergeError> {
    let Some(first) = parts.first() else {
        return Err(MergeError::Nothing.into());
    };
    for part in &parts[1..] {
        same_campaign(first, part)?;
    }
    let named: Vec<(String, Option<Partition>)> = parts
        .iter()
        .map(|p| (p.name(), p.report.partition))
        .collect();
    let whole = &first.report;
    let faults: String = whole
        .campaign
        .faults
        .iter()
        .map(|f| format!(" --fault {f}"))
        .collect();
    let make = |part: &str| {
        format!(
            "`crosscheck fuzz {} --role {} --cases {} --seed {}{faults} --partition {part} ...`",
            whole.campaign.protocol, whole.campaign.role, whole.cases, whole.seed
        )
    };
    parts_complete(
        &named,
        &Parts {
            whole: "campaign",
            command: "fuzz",
            make: &make,
            same: "the same target, faults and --connections as the others",
        },
    )?;
    parts.sort_by_key(|p| p.report.partition.map(|x| x.index));
    let report = join(&parts);
    let regressions = regressions(&report, &parts)?;
    Ok(Merged {
        report,
        regressions,
    })
}

/// Fails unless `part` comes from the same campaign as `first`: the same crosscheck,
/// protocol, role, target, faults, connection policy, seed, cases and number of parts.
fn same_campaign(first: &Part, part: &Part) -> Result<(), MergeError> {
    same_fields(first, part, |r: &FuzzReport| {
        let c = &r.campaign;
        vec![
            ("title", Some(r.title.clone())),
            ("harness_version", Some(c.harness_version.clone())),
            ("protocol", Some(c.protocol.clone())),
            ("role", Some(c.role.clone())),
            ("target", Some(c.target.clone())),
            ("faults", Some(format!("[{}]", c.faults.join(", ")))),
            ("connections", Some(c.connections.clone())),
            ("seed", Some(r.seed.to_string())),
            ("cases", Some(r.cases.to_string())),
            ("partition count", r.partition.map(|p| p.count.to_string())),
        ]
    })
}

/// The whole campaign's report from its parts (in part order).
fn join(parts: &[Part]) -> FuzzReport {
    let mut classes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut groups: BTreeMap<&'static str, Group> = BTreeMap::new();
    let mut after_kept = false;
    let mut connections: Vec<String> = Vec::new();
    for part in parts {
        let r = &part.report;
        for (class, n) in &r.classes {
            *classes.entry(class).or_default() += n;
        }
        if !connections.contains(&r.connections) {
            connections.push(r.connections.clone());
        }
        for g in &r.groups {
            let group = groups.entry(g.class).or_insert_with(|| Group {
                class: g.class,
                count: 0,
                oracles: BTreeMap::new(),
                kept: Vec::new(),
            });
            group.count += g.count;
            for (oracle, n) in &g.oracles {
                *group.oracles.entry(oracle).or_default() += n;
            }
            for f in &g.kept {
                // The untouched input after the mutants: one finding, the first part's.
                if f.case.is_none() && std::mem::replace(&mut after_kept, true) {
                    group.count -= 1;
                    if let Some(n) = group.oracles.get_mut(f.oracle) {
                        *n -= 1;
                    }
                    continue;
                }
                group.kept.push(f.clone());
            }
        }
    }
    let groups: Vec<Group> = groups
        .into_values()
        .filter(|g| g.count > 0)
        .map(|mut g| {
            g.oracles.retain(|_, n| *n > 0);
            keep_first(&mut g.kept);
            g
        })
        .collect();
    let whole = &parts[0].report;
    let cases_done: usize = parts.iter().map(|p| p.report.cases_done).sum();
    let duration_ms = parts
        .iter()
        .map(|p| p.report.duration_ms)
        .max()
        .unwrap_or(0);
    let connections = if let [one] = connections.as_slice() {
        one.clone()
    } else {
        let each: Vec<String> = parts
            .iter()
            .map(|p| {
                let k = p.report.partition.map_or(0, |x| x.index);
                format!("part {k}: {}", p.report.connections)
            })
            .collect();
        each.join("; ")
    };
    FuzzReport {
        title: whole.title.clone(),
        campaign: whole.campaign.clone(),
        seed: whole.seed,
        cases: whole.cases,
        cases_done,
        partition: None,
        max_seconds: parts.iter().filter_map(|p| p.report.max_seconds).max(),
        time_budget_ended: parts.iter().any(|p| p.report.time_budget_ended),
        concurrency: parts
            .iter()
            .map(|p| p.report.concurrency)
            .max()
            .unwrap_or(0),
        connections,
        duration_ms,
        cases_per_second: cases_done as f64 / (duration_ms as f64 / 1000.0).max(1e-9),
        classes,
        findings: groups.iter().map(|g| g.count).sum(),
        groups,
    }
}

/// The regression scenario of each kept finding, in the folder of the part that made
/// its case; refused when one is missing.
fn regressions(
    report: &FuzzReport,
    parts: &[Part],
) -> Result<Vec<(PathBuf, String)>, FuzzMergeError> {
    let mut out = Vec::new();
    for f in report.kept() {
        let (Some(case), Some(written)) = (f.case, &f.regression) else {
            continue;
        };
        // Case i is in part i % N + 1 (a whole campaign: the only part).
        let part = parts
            .iter()
            .find(|p| {
                p.report
                    .partition
                    .is_none_or(|x| case % x.count + 1 == x.index)
            })
            .unwrap_or(&parts[0]);
        let name = Path::new(written)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let from = folder(part).join("regressions").join(&name);
        if let Err(why) = std::fs::metadata(&from) {
            return Err(FuzzMergeError::Regression {
                file: part.name(),
                case,
                path: from.display().to_string(),
                why,
            });
        }
        out.push((from, name));
    }
    Ok(out)
}

/// Copies the regression scenarios into `dir/regressions/` and points the merged
/// report's findings at the copies.
pub fn copy_regressions(merged: &mut Merged, dir: &Path) -> Result<(), WriteError> {
    let folder = dir.join("regressions");
    let mut copied: BTreeSet<String> = BTreeSet::new();
    for (from, name) in &merged.regressions {
        std::fs::create_dir_all(&folder).map_err(|why| WriteError {
            path: folder.clone(),
            why,
        })?;
        let to = folder.join(name);
        // Merged into a part's own folder, the file is already there (copying a file
        // onto itself would empty it).
        let here =
            to.exists() && std::fs::canonicalize(from).ok() == std::fs::canonicalize(&to).ok();
        if !here {
            std::fs::copy(from, &to).map_err(|why| WriteError {
                path: to.clone(),
                why,
            })?;
        }
        copied.insert(name.clone());
    }
    for group in &mut merged.report.groups {
        for f in &mut group.kept {
            let name = f
                .regression
                .as_deref()
                .and_then(|r| Path::new(r).file_name())
                .map(|n| n.to_string_lossy().into_owned());
            if let Some(name) = name.filter(|n| copied.contains(n)) {
                f.regression = Some(folder.join(name).display().to_string());
            }
        }
    }
    Ok(())
}
