//! Regression files: a shrunk finding as a scenario that `crosscheck run FILE` replays.

use std::path::{Path, PathBuf};

use super::AnswerFuzzError;

/// Writes the scenario `text` as `report_dir/regressions/<id>.yaml`, with a header
/// saying where it came from and how to replay it; the path written.
pub fn write(
    report_dir: &Path,
    id: &str,
    text: &str,
    seed: u64,
    case: usize,
) -> Result<PathBuf, AnswerFuzzError> {
    let dir = report_dir.join("regressions");
    let path = dir.join(format!("{id}.yaml"));
    let failed = |source| AnswerFuzzError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(failed)?;
    let header = format!(
        "# Written by `crosscheck fuzz --answers` (seed {seed}, case {case}, shrunk).\n\
         # Replay: crosscheck run {file} (built-in), or crosscheck run --target T {file}.\n",
        file = path.display()
    );
    std::fs::write(&path, format!("{header}{text}")).map_err(failed)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_scenario_under_regressions_with_a_header() {
        let dir = std::env::temp_dir().join(format!("cc-regress-{}", uuid::Uuid::new_v4()));
        let path = write(&dir, "case-7", "id: case-7\n", 3, 7).expect("written");
        assert_eq!(path, dir.join("regressions").join("case-7.yaml"));
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(text.starts_with("# Written by"), "{text}");
        assert!(text.contains("seed 3, case 7") && text.ends_with("id: case-7\n"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
