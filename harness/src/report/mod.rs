//! Reports: one result model, rendered as report.json, junit.xml and summary.md.

pub mod junit;
pub mod markdown;
pub mod model;

use std::path::Path;

pub use model::{Failure, Outcome, RunReport, ScenarioResult, Summary};

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// report.json
    Json,
    /// junit.xml
    Junit,
    /// summary.md
    Markdown,
}

impl Format {
    /// Parses `json`, `junit` or `md`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim() {
            "json" => Some(Format::Json),
            "junit" => Some(Format::Junit),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// The file it writes.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Markdown => "summary.md",
        }
    }

    /// Renders the report.
    pub fn render(self, report: &RunReport) -> Result<String, String> {
        match self {
            Format::Json => serde_json::to_string_pretty(report).map_err(|e| e.to_string()),
            Format::Junit => junit::render(report),
            Format::Markdown => Ok(markdown::render(report)),
        }
    }
}

/// Writes every format into `dir`, creating it; returns the paths written.
pub fn write(report: &RunReport, dir: &Path, formats: &[Format]) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for f in formats {
        let path = dir.join(f.file_name());
        let text = f.render(report)?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}
