//! report.html: one self-contained page (inline style and script, no network), rendered
//! with an auto-escaping minijinja template from the same result model. The verdict and
//! the problems come first, then a filter bar (outcome, protocol, role, requirement,
//! text; kept in the URL's `#` part), the requirement x run coverage, and every run
//! with its traffic in time order.

mod view;

use minijinja::Environment;

use super::model::RunReport;

/// The page; values reach it only through `{{ }}`, which escapes them.
const TEMPLATE: &str = include_str!("page.html");
/// The page's style sheet, inlined.
const STYLE: &str = include_str!("style.css");
/// The filter bar's script, inlined: it names no value of the report.
const SCRIPT: &str = include_str!("filter.js");

/// Renders the report as one HTML page; every value is HTML-escaped.
pub fn render(report: &RunReport) -> Result<String, super::ReportError> {
    let page = view::Page::of(report, STYLE, SCRIPT);
    Environment::new()
        .render_named_str("report.html", TEMPLATE, &page)
        .map_err(super::ReportError::from)
}
