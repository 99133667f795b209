//! Reading a report.json back, every problem named with the file (and serde's line and
//! column).

use std::path::Path;

use serde_json::Value;

use super::{report_file, MergeError, Shard};
use crate::report::model::{RunReport, SCHEMA_VERSION};

/// The report.json in `dir`: JSON, of this schema_version, in the shape of a report.
pub fn read(dir: &Path) -> Result<Shard, MergeError> {
    let file = report_file(dir);
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file).map_err(|why| MergeError::Read {
        file: name.clone(),
        why,
    })?;
    let json: Value = serde_json::from_str(&text).map_err(|why| MergeError::Json {
        file: name.clone(),
        why,
    })?;
    let version = json.get("schema_version");
    if version.and_then(Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
        return Err(MergeError::SchemaVersion {
            file: name,
            found: version.map_or_else(|| "absent".to_string(), Value::to_string),
        });
    }
    let report: RunReport =
        serde_json::from_str(&text).map_err(|why| MergeError::Shape { file: name, why })?;
    Ok(Shard { file, report })
}
