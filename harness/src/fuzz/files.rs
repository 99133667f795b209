//! The fuzz report's files: `fuzz.json`, `fuzz.md`, and one regression scenario per
//! kept finding under `regressions/`. Secrets are redacted from all of them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::findings::{Finding, FuzzReport};
use crate::http::Redactor;
use crate::profile::fuzz::{Campaign, RegressionCase};

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {why}")]
pub struct WriteError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub why: std::io::Error,
}

fn write(path: &Path, text: &str) -> Result<(), WriteError> {
    std::fs::write(path, text).map_err(|why| WriteError {
        path: path.to_path_buf(),
        why,
    })
}

/// A file-name-safe slug of `s`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Writes a regression scenario for every kept finding that the campaign can replay,
/// recording each file's path in its finding.
pub fn write_regressions(
    report: &mut FuzzReport,
    campaign: &dyn Campaign,
    dir: &Path,
) -> Result<(), WriteError> {
    let folder = dir.join("regressions");
    let redactor = Redactor::new(campaign.secrets());
    let mut made = false;
    for group in &mut report.groups {
        for f in group.kept.iter_mut().filter(|f| f.case.is_some()) {
            let input = f.shrunk.as_ref().map_or(&f.input.raw, |s| &s.input.raw);
            let case = f
                .case
                .map_or_else(|| "after".to_string(), |c| c.to_string());
            let id = format!("fuzz-{}-{}-{case}", slug(f.via), slug(f.class));
            let Some(yaml) = campaign.regression(&RegressionCase {
                id: &id,
                via: f.via,
                class: f.class,
                input,
                label: &f.label,
                oracle: f.oracle,
            }) else {
                continue;
            };
            if !made {
                std::fs::create_dir_all(&folder).map_err(|why| WriteError {
                    path: folder.clone(),
                    why,
                })?;
                made = true;
            }
            let path = folder.join(format!("{id}.yaml"));
            write(&path, &redactor.redact(&yaml))?;
            f.regression = Some(path.display().to_string());
        }
    }
    Ok(())
}

/// Writes `fuzz.json` and `fuzz.md` into `dir`; returns the paths.
pub fn write_report(
    report: &FuzzReport,
    secrets: Vec<String>,
    dir: &Path,
) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|why| WriteError {
        path: dir.to_path_buf(),
        why,
    })?;
    let redactor = Redactor::new(secrets);
    let json =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let json_path = dir.join("fuzz.json");
    write(&json_path, &redactor.redact(&json))?;
    let md_path = dir.join("fuzz.md");
    write(&md_path, &redactor.redact(&markdown(report)))?;
    Ok(vec![json_path, md_path])
}

fn code(s: &str) -> String {
    format!("`` {} ``", s.replace('`', "'"))
}

fn finding_md(out: &mut String, f: &Finding) {
    let case = f
        .case
        .map_or_else(|| "after the mutants".to_string(), |c| format!("case {c}"));
    let _ = writeln!(
        out,
        "- **{case}** via `{}`: {} — {}",
        f.via, f.label, f.problem
    );
    let _ = writeln!(out, "  - oracle: {}", f.oracle);
    let _ = writeln!(out, "  - mutant: {}", code(&f.input.escaped));
    if let Some(d) = &f.input.decoded {
        let _ = writeln!(out, "  - mutant decoded: {}", code(d));
    }
    if let Some(s) = &f.shrunk {
        let _ = writeln!(
            out,
            "  - shrunk ({} tries): {}",
            s.steps,
            code(&s.input.escaped)
        );
        if let Some(d) = &s.input.decoded {
            let _ = writeln!(out, "  - shrunk decoded: {}", code(d));
        }
        let _ = writeln!(out, "  - shrunk problem: {}", s.problem);
    }
    if f.shrunk.is_none() && f.case.is_some() {
        let _ = writeln!(
            out,
            "  - not shrunk: no simpler input failed the same oracle"
        );
    }
    if let Some(r) = &f.regression {
        let _ = writeln!(out, "  - regression scenario: `{r}`");
    }
}

/// The report as Markdown.
pub fn markdown(r: &FuzzReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Fuzz report: {}\n", r.title);
    let _ = writeln!(out, "| | |\n|---|---|");
    let c = &r.campaign;
    if !c.target.is_empty() {
        let _ = writeln!(out, "| target | {} |", c.target);
    }
    if !c.faults.is_empty() {
        let _ = writeln!(out, "| faults | {} |", c.faults.join(", "));
    }
    let _ = writeln!(out, "| seed | {} |", r.seed);
    let _ = writeln!(out, "| cases | {} |", r.scope());
    let _ = writeln!(out, "| duration | {:.2} s |", r.duration_ms as f64 / 1000.0);
    let _ = writeln!(out, "| cases/s | {:.0} |", r.cases_per_second);
    let _ = writeln!(out, "| in flight | {} |", r.concurrency);
    let _ = writeln!(out, "| connections | {} |", r.connections);
    let _ = writeln!(out, "| findings | {} |\n", r.findings);
    let _ = writeln!(
        out,
        "## Mutation classes\n\n| class | cases | findings |\n|---|---:|---:|"
    );
    for (class, n) in &r.classes {
        let found = r
            .groups
            .iter()
            .find(|g| g.class == *class)
            .map_or(0, |g| g.count);
        let _ = writeln!(out, "| {class} | {n} | {found} |");
    }
    if r.groups.is_empty() {
        out.push_str("\nNo findings.\n");
    }
    for g in &r.groups {
        let oracles: Vec<String> = g.oracles.iter().map(|(o, n)| format!("{o}: {n}")).collect();
        let _ = writeln!(
            out,
            "\n## {} ({} findings; {})\n",
            g.class,
            g.count,
            oracles.join(", ")
        );
        for f in &g.kept {
            finding_md(&mut out, f);
        }
        if g.count > g.kept.len() {
            let _ = writeln!(
                out,
                "- … and {} more (the same seed replays them)",
                g.count - g.kept.len()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("bad IP: \"x\"/y"), "bad-ip-x-y");
        assert_eq!(slug("--"), "");
    }
}
