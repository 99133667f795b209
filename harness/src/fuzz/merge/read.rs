//! Reading a part's fuzz.json back, every problem named with the file (and serde's
//! line and column).

use std::path::Path;

use super::{FuzzMergeError, Part};
use crate::fuzz::FuzzReport;
use crate::report::merge::MergeError;

/// The report file of a fuzz run's folder.
pub const FILE: &str = "fuzz.json";

/// Whether `dir` holds a fuzz run's report and no `run` report: what `crosscheck
/// merge` takes for a fuzz part.
pub fn is_fuzz_part(dir: &Path) -> bool {
    dir.join(FILE).is_file() && !dir.join("report.json").exists()
}

/// The fuzz.json in `dir`: JSON, in the shape of a fuzz report.
pub fn read(dir: &Path) -> Result<Part, FuzzMergeError> {
    let file = dir.join(FILE);
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file).map_err(|why| MergeError::Read {
        file: name.clone(),
        why,
    })?;
    // Syntax first, so broken JSON is said as such, once, with its line and column.
    serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|why| MergeError::Json {
        file: name.clone(),
        why,
    })?;
    let report: FuzzReport =
        serde_json::from_str(&text).map_err(|why| FuzzMergeError::Shape { file: name, why })?;
    Ok(Part { file, report })
}
