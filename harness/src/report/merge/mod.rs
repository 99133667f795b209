//! `crosscheck merge`: one report from the report.json files of a partitioned run
//! (`run --partition K/N`, one part per folder), or a refusal naming the files when
//! they do not make one run.
//!
//! The merged report is what the whole run would have reported: totals and every
//! requirement's status recomputed over the union of the parts' runs (and of their
//! requirement ids: each part lists every requirement its run was judged against,
//! covered there or not), `started_at` the earliest part's, `duration_ms` the longest
//! part's (parts run side by side, so the whole took about as long as the slowest),
//! no `partition`. Reports are read back only here and by [`super::read_hint`].

mod read;
#[cfg(test)]
mod tests;

pub use read::read;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::model::{Partition, RunReport, SCHEMA_VERSION};

/// A report read back (a run's by default; `fuzz::merge` reads fuzz reports), with the
/// file it came from.
#[derive(Debug, Clone)]
pub struct Shard<R = RunReport> {
    /// The file it was read from.
    pub file: PathBuf,
    /// What it holds.
    pub report: R,
}

impl<R> Shard<R> {
    /// The file, as messages name it.
    pub fn name(&self) -> String {
        self.file.display().to_string()
    }
}

/// Why the reports given do not merge into one.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No report was given.
    #[error("no report to merge")]
    Nothing,
    /// A folder has no readable report.json.
    #[error("{file}: cannot read: {why}")]
    Read {
        /// The report.json looked for.
        file: String,
        /// Why.
        why: std::io::Error,
    },
    /// report.json is not JSON (serde names the line and column).
    #[error("{file}: invalid JSON: {why}")]
    Json {
        /// The file.
        file: String,
        /// Where and why.
        why: serde_json::Error,
    },
    /// report.json has another shape version.
    #[error(
        "{file}: schema_version {found}, but this crosscheck merges schema_version {SCHEMA_VERSION}"
    )]
    SchemaVersion {
        /// The file.
        file: String,
        /// Its schema_version (`absent` when it has none).
        found: String,
    },
    /// JSON, but not a crosscheck report (serde names the line and column).
    #[error("{file}: not a crosscheck report: {why}")]
    Shape {
        /// The file.
        file: String,
        /// Where and why.
        why: serde_json::Error,
    },
    /// `started_at` is not a time.
    #[error("{file}: started_at `{value}` is not an RFC 3339 time")]
    StartedAt {
        /// The file.
        file: String,
        /// Its started_at.
        value: String,
    },
    /// Two reports differ where every part of one run is the same.
    #[error("{field} differs: {first} has {first_value}, {file} has {value}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// The first report.
        first: String,
        /// Its value.
        first_value: String,
        /// The report that differs.
        file: String,
        /// Its value.
        value: String,
    },
    /// A whole run among several reports.
    #[error("{file} is a whole {whole}, not a partition ({command} --partition K/N): only the parts of one partitioned {whole} merge")]
    NotAPartition {
        /// The file.
        file: String,
        /// What a whole one is (`run`, `campaign`).
        whole: &'static str,
        /// The command that makes parts (`run`, `fuzz`).
        command: &'static str,
    },
    /// A partition that cannot be one (hand-edited).
    #[error("{file}: partition {index}/{count} is not one of 1/{count}..{count}/{count}")]
    BadPartition {
        /// The file.
        file: String,
        /// K.
        index: usize,
        /// N.
        count: usize,
    },
    /// The same part twice.
    #[error("overlapping partitions: {index}/{count} given by {first} and {second}")]
    OverlappingPartitions {
        /// K.
        index: usize,
        /// N.
        count: usize,
        /// One report.
        first: String,
        /// The other.
        second: String,
    },
    /// The same run in two reports.
    #[error("overlap: run {id} is in both {first} and {second}")]
    DuplicateRun {
        /// The run's id.
        id: String,
        /// One report.
        first: String,
        /// The other.
        second: String,
    },
    /// Parts not given.
    #[error("missing partitions {missing} of {count}: run {commands} ({same})")]
    MissingPartitions {
        /// The parts missing, as `K/N`, comma separated.
        missing: String,
        /// N.
        count: usize,
        /// The command for each.
        commands: String,
        /// What the missing parts must share with the others.
        same: &'static str,
    },
}

/// Reads report.json from each folder of `dirs` and merges them ([`merge`]).
pub fn merge_dirs(dirs: &[PathBuf], strict: bool) -> Result<RunReport, MergeError> {
    let shards = dirs
        .iter()
        .map(|d| read(d))
        .collect::<Result<Vec<_>, _>>()?;
    merge(shards, strict)
}

/// One report from the parts of one partitioned run (or a single whole run, which
/// comes back recomputed). Runs are ordered by protocol, role and id. The merged run is
/// strict when `strict` is set or any part ran with `--strict`.
pub fn merge(shards: Vec<Shard>, strict: bool) -> Result<RunReport, MergeError> {
    let Some(first) = shards.first() else {
        return Err(MergeError::Nothing);
    };
    for shard in &shards[1..] {
        same_run(first, shard)?;
    }
    let parts: Vec<(String, Option<Partition>)> = shards
        .iter()
        .map(|s| (s.name(), s.report.partition))
        .collect();
    parts_complete(
        &parts,
        &Parts {
            whole: "run",
            command: "run",
            make: &|part| format!("`crosscheck run --partition {part} ...`"),
            same: "the same scenario files and filters as the others",
        },
    )?;
    let mut started = None;
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut runs = Vec::new();
    for shard in &shards {
        let at = started_at(shard)?;
        if started.as_ref().is_none_or(|(t, _)| at < *t) {
            started = Some((at, shard.report.started_at.clone()));
        }
        ids.extend(shard.report.requirements.keys().cloned());
        for run in &shard.report.scenarios {
            if let Some(other) = owner.insert(run.id.clone(), shard.name()) {
                return Err(MergeError::DuplicateRun {
                    id: run.id.clone(),
                    first: other,
                    second: shard.name(),
                });
            }
            runs.push(run.clone());
        }
    }
    runs.sort_by(|a, b| (&a.protocol, &a.role, &a.id).cmp(&(&b.protocol, &b.role, &b.id)));
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let whole = &first.report;
    let duration = shards.iter().map(|s| s.report.duration_ms).max();
    let mut merged = RunReport::new(
        &whole.suite,
        &whole.target,
        started.map(|(_, text)| text).unwrap_or_default(),
        duration.unwrap_or_default(),
        &ids,
        runs,
    )
    .with_suite_digest(whole.suite_digest.clone())
    .with_strict(strict || shards.iter().any(|s| s.report.strict))
    .with_selection(whole.selection.clone(), None);
    // Already made printable when the parts were written.
    merged.target.clone_from(&whole.target);
    merged.target_name.clone_from(&whole.target_name);
    merged.clock.clone_from(&whole.clock);
    merged.harness_version.clone_from(&whole.harness_version);
    merged.interrupted = shards.iter().any(|s| s.report.interrupted);
    merged.not_started = shards
        .iter()
        .flat_map(|s| s.report.not_started.iter().cloned())
        .collect();
    Ok(merged)
}

/// Fails unless `shard` comes from the same run as `first`: same scenario files,
/// crosscheck, filters, number of parts, target and clock.
fn same_run(first: &Shard, shard: &Shard) -> Result<(), MergeError> {
    same_fields(first, shard, |r: &RunReport| {
        vec![
            ("suite_digest", Some(r.suite_digest.clone())),
            ("harness_version", Some(r.harness_version.clone())),
            ("selection", Some(r.selection.to_string())),
            ("partition count", r.partition.map(|p| p.count.to_string())),
            ("target", Some(r.target.clone())),
            ("clock", Some(r.clock.clone())),
        ]
    })
}

/// Fails unless every field `fields` names has the same value in `shard` as in
/// `first`, naming the field, both files and both values. A field one of them lacks
/// (`None`: a whole run's partition count) is left to later checks.
pub fn same_fields<R>(
    first: &Shard<R>,
    shard: &Shard<R>,
    fields: impl Fn(&R) -> Vec<(&'static str, Option<String>)>,
) -> Result<(), MergeError> {
    for ((field, x), (_, y)) in fields(&first.report).into_iter().zip(fields(&shard.report)) {
        let (Some(x), Some(y)) = (x, y) else {
            continue;
        };
        if x != y {
            return Err(MergeError::Mismatch {
                field,
                first: first.name(),
                first_value: x,
                file: shard.name(),
                value: y,
            });
        }
    }
    Ok(())
}

/// What the completeness check says of the parts of one kind (runs, fuzz campaigns).
pub struct Parts<'a> {
    /// What a whole one is (`run`, `campaign`).
    pub whole: &'static str,
    /// The command that makes parts (`run`, `fuzz`).
    pub command: &'static str,
    /// The command line that makes a missing part (`K/N`), quoted.
    pub make: &'a dyn Fn(&str) -> String,
    /// What a missing part must share with the others.
    pub same: &'static str,
}

/// Fails unless `parts` (each file with its partition) are one whole run, or each part
/// 1..N exactly once, naming the files (and for a missing part, the command).
pub fn parts_complete(
    parts: &[(String, Option<Partition>)],
    kind: &Parts<'_>,
) -> Result<(), MergeError> {
    if let [(_, None)] = parts {
        return Ok(());
    }
    let mut given: BTreeMap<usize, String> = BTreeMap::new();
    let mut count = 0;
    for (file, partition) in parts {
        let Some(p) = partition else {
            return Err(MergeError::NotAPartition {
                file: file.clone(),
                whole: kind.whole,
                command: kind.command,
            });
        };
        if p.index == 0 || p.index > p.count {
            return Err(MergeError::BadPartition {
                file: file.clone(),
                index: p.index,
                count: p.count,
            });
        }
        count = p.count;
        if let Some(other) = given.insert(p.index, file.clone()) {
            return Err(MergeError::OverlappingPartitions {
                index: p.index,
                count: p.count,
                first: other,
                second: file.clone(),
            });
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !given.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let commands: Vec<String> = missing.iter().map(|m| (kind.make)(m)).collect();
    Err(MergeError::MissingPartitions {
        missing: missing.join(", "),
        count,
        commands: commands.join(", "),
        same: kind.same,
    })
}

/// When `shard`'s run started.
fn started_at(shard: &Shard) -> Result<jiff::Timestamp, MergeError> {
    shard
        .report
        .started_at
        .parse()
        .map_err(|_| MergeError::StartedAt {
            file: shard.name(),
            value: shard.report.started_at.clone(),
        })
}

/// The report.json of `dir`.
fn report_file(dir: &Path) -> PathBuf {
    dir.join(super::Format::Json.file_name())
}
