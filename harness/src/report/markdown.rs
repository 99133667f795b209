//! summary.md: totals, requirement coverage, and every failure with its step.

use std::fmt::Write as _;

use super::model::{Outcome, RunReport};
use crate::http::printable::printable;
use crate::protocols;
use crate::requirement_book;

/// `text` made safe for one cell of a Markdown table (or one list item): pipes and
/// backticks escaped, HTML shown as text, line breaks as spaces, control characters as
/// escapes.
pub(crate) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as Markdown.
pub fn render(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# crosscheck: {}\n", report.verdict());
    if report.interrupted {
        let _ = writeln!(
            out,
            "- **interrupted** by a signal: {} runs never started ({})",
            report.not_started.len(),
            cell(&report.not_started.join(", "))
        );
    }
    let _ = writeln!(out, "- target: {}", cell(&report.target));
    let _ = writeln!(out, "- started: {}", report.started_at);
    let _ = writeln!(
        out,
        "- crosscheck {}, suite {}",
        report.harness_version, report.suite_digest
    );
    let _ = writeln!(
        out,
        "- duration: {:.1} s",
        report.duration_ms as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "- {}: {} passed, {} failed, {} errored, {} skipped, {} not applicable, {} waived, {} warnings",
        s.runs_of_scenarios(),
        s.passed,
        s.failed,
        s.errored,
        s.skipped,
        s.not_applicable,
        s.waived,
        s.warnings
    );
    if let Some(c) = &report.capabilities {
        let features: Vec<&str> = c.features.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "- capability statement ({}): features {}",
            cell(&c.source),
            if features.is_empty() {
                "none".to_string()
            } else {
                features.join(", ")
            }
        );
    }
    for w in &report.waivers {
        let _ = writeln!(
            out,
            "- waiver ({}): {}",
            cell(&w.source),
            cell(&w.describe())
        );
    }
    for w in &report.waiver_warnings {
        let _ = writeln!(out, "- waiver ignored: {}", cell(w));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## Requirements\n");
    let _ = writeln!(out, "| requirement | status | what it asks | why |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (id, status) in &report.requirements {
        let gist = protocols::requirement(id).map_or("", |r| r.gist);
        let why = report
            .requirement_reasons
            .get(id)
            .map(|r| r.iter().map(|w| cell(w)).collect::<Vec<_>>().join("<br>"))
            .unwrap_or_default();
        // The books sit in docs/requirements/ at the suite's root; reports go to
        // reports/ beside it by default.
        let shown = match requirement_book::doc_path(id) {
            Some(path) => format!("[{id}](../{path})"),
            None => id.clone(),
        };
        let _ = writeln!(
            out,
            "| {shown} | {} | {} | {why} |",
            status.name(),
            cell(gist)
        );
    }
    let _ = writeln!(out, "\n## Scenarios\n");
    let _ = writeln!(out, "| scenario | role | variant | outcome | ms |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for r in &report.scenarios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&r.id),
            r.role,
            r.variant.as_deref().unwrap_or("-"),
            r.outcome.name(),
            r.duration_ms
        );
    }
    let problems: Vec<_> = report
        .scenarios
        .iter()
        .filter(|r| r.outcome != Outcome::Passed || !r.warnings.is_empty())
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n## Details\n");
    }
    for r in problems {
        let _ = writeln!(out, "### {} ({})\n", r.id, r.outcome.name());
        let _ = writeln!(out, "{} — {}\n", cell(&r.title), r.source);
        if let Some(reason) = &r.reason {
            let _ = writeln!(out, "- reason: {}", cell(reason));
        }
        if let Some(waiver) = &r.waiver {
            let _ = writeln!(out, "- waiver: {}", cell(waiver));
        }
        for f in &r.failures {
            let _ = writeln!(out, "- [{}] {}", f.requirement, cell(&f.step));
            let _ = writeln!(out, "  - expected: {}", cell(&f.expected));
            let _ = writeln!(out, "  - actual: {}", cell(&f.actual));
        }
        for w in &r.warnings {
            let _ = writeln!(out, "- warning [{}] {}", w.requirement, cell(&w.step));
            let _ = writeln!(out, "  - expected: {}", cell(&w.expected));
            let _ = writeln!(out, "  - actual: {}", cell(&w.actual));
        }
        let _ = writeln!(out);
    }
    late_traffic(report, &mut out);
    out
}

/// Requests that reached a mock peer after their run had ended, by the run they came
/// from.
fn late_traffic(report: &RunReport, out: &mut String) {
    let late: Vec<_> = report
        .scenarios
        .iter()
        .flat_map(|r| r.late_traffic.iter().map(move |l| (r, l)))
        .collect();
    if late.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Late traffic\n");
    let _ = writeln!(
        out,
        "Requests that reached a mock peer after the run they belong to had ended; set aside, not judged by a later run.\n"
    );
    let _ = writeln!(out, "| came from | peer | request | arrived during |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (r, l) in late {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} |",
            cell(&r.id),
            cell(&l.peer),
            cell(&l.method),
            cell(&l.path),
            l.arrived_during
                .as_deref()
                .map_or("between runs".to_string(), cell)
        );
    }
}
