//! report.html: one self-contained page (inline style and script, no network), rendered
//! with an auto-escaping minijinja template from the same result model. The verdict and
//! the problems come first, then a filter bar (outcome, protocol, role, requirement,
//! text; kept in the URL's `#` part), the requirement x run coverage, and every run
//! with its traffic in time order.

mod view;

use minijinja::{AutoEscape, Environment, Error, Output, State, Value};

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
    let mut env = Environment::new();
    env.set_formatter(compact_escape);
    env.render_named_str("report.html", TEMPLATE, &page)
        .map_err(super::ReportError::from)
}

/// minijinja's HTML escaping with only the characters that need it in text and in
/// quoted attributes (`&`, `<`, `>`, `"`, `'`): its default also writes every `/` as
/// `&#x2f;`, six bytes for each slash of every URL and path on the page.
fn compact_escape(out: &mut Output<'_>, state: &State<'_, '_>, value: &Value) -> Result<(), Error> {
    if state.auto_escape() != AutoEscape::Html
        || value.is_safe()
        || value.is_undefined()
        || value.is_none()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        let (plain, tail) = rest.split_at(i);
        let entity = match tail.as_bytes()[0] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        out.write_str(plain)
            .and_then(|()| out.write_str(entity))
            .map_err(Error::from)?;
        rest = &tail[1..];
    }
    out.write_str(rest).map_err(Error::from)
}

#[cfg(test)]
mod escape_tests {
    #[test]
    fn values_are_escaped_but_slashes_stay() {
        let mut env = minijinja::Environment::new();
        env.set_formatter(super::compact_escape);
        let html = env
            .render_named_str(
                "t.html",
                "<p title=\"{{ v }}\">{{ v }}</p>{{ n }}{{ u }}",
                minijinja::context! {v => "a/b <i>\"x\" & 'y'</i>", n => 3},
            )
            .expect("renders");
        let escaped = "a/b &lt;i&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/i&gt;";
        assert_eq!(html, format!("<p title=\"{escaped}\">{escaped}</p>3"));
    }
}
