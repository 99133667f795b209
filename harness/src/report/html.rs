//! report.html: one self-contained page (no scripts, no network), rendered with an
//! auto-escaping minijinja template from the same result model.

use minijinja::Environment;

use super::model::RunReport;
use crate::protocols;

const TEMPLATE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>crosscheck: {{ verdict }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 .pass { color: #17692b; } h1 .fail { color: #a11; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.passed { color: #17692b; } .failed, .errored { color: #a11; font-weight: bold; } .skipped, .not-covered { color: #777; } .warning { color: #8a5a00; font-weight: bold; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: #f7f7f7; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
details { margin: .5rem 0 1rem; }
</style>
</head>
<body>
<h1>crosscheck: <span class="{{ verdict | lower }}">{{ verdict }}</span></h1>
<p>Target: {{ report.target }}<br>Started: {{ report.started_at }}, took {{ (report.duration_ms / 1000) | round(1) }} s<br>
crosscheck {{ report.harness_version }}, suite <code>{{ report.suite_digest }}</code><br>
{{ runs | capitalize }}: {{ s.passed }} passed, {{ s.failed }} failed, {{ s.errored }} errored, {{ s.skipped }} skipped, {{ s.warnings }} warnings</p>
<h2>Requirements</h2>
<table><tr><th>requirement</th><th>status</th><th>what it asks</th><th>why</th></tr>
{% for r in requirements %}<tr><td>{{ r.id }}</td><td class="{{ r.status | replace(' ', '-') }}">{{ r.status }}</td><td>{{ r.gist }}</td><td>{% for w in r.reasons %}{{ w }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
<h2>Scenarios</h2>
<table><tr><th>scenario</th><th>role</th><th>variant</th><th>outcome</th><th>ms</th></tr>
{% for r in report.scenarios %}<tr><td><a href="#{{ loop.index }}">{{ r.id }}</a></td><td>{{ r.role }}</td><td>{{ r.variant or '-' }}</td><td class="{{ r.outcome }}">{{ r.outcome }}</td><td>{{ r.duration_ms }}</td></tr>
{% endfor %}</table>
{% if not all_passed %}<h2>Problems</h2>
{% for r in report.scenarios %}{% if r.outcome in ["failed", "errored"] %}<p><a href="#{{ loop.index }}">{{ r.id }}</a> <span class="{{ r.outcome }}">{{ r.outcome }}</span>{% if r.reason %}: {{ r.reason }}{% endif %}{% for f in r.failures %}<br>[{{ f.requirement }}] {{ f.step }}: expected <code>{{ f.expected }}</code>, got <code>{{ f.actual }}</code>{% endfor %}</p>
{% endif %}{% endfor %}{% endif %}<h2>Details</h2>
{% for r in report.scenarios %}<h3 id="{{ loop.index }}">{{ r.id }} <span class="{{ r.outcome }}">({{ r.outcome }})</span></h3>
<p>{{ r.title }}<br><code>{{ r.source }}</code> — {{ r.requirements | join(", ") }}</p>
{% if r.reason %}<p>Reason: {{ r.reason }}</p>{% endif %}
{% for f in r.failures %}<p>[{{ f.requirement }}] {{ f.step }}<br>expected: <code>{{ f.expected }}</code><br>actual: <code>{{ f.actual }}</code></p>
{% endfor %}{% for w in r.warnings %}<p>warning [{{ w.requirement }}] {{ w.step }}<br>expected: <code>{{ w.expected }}</code><br>actual: <code>{{ w.actual }}</code></p>
{% endfor %}{% if r.exchanges %}<details><summary>{{ r.exchanges | length }} exchanges</summary>
{% for e in r.exchanges %}<pre>{{ e.step }} {{ e.direction }}{% if e.tls %} ({{ e.tls.version }}, {{ e.tls.cipher }}){% endif %}
{{ e.method }} {{ e.url }}{% for h in e.request_headers %}
{{ h.name }}: {{ h.value }}{% endfor %}{% if e.request_body %}

{{ e.request_body }}{% endif %}{% if e.status %}
→ {{ e.status }} in {{ e.duration_ms }} ms{% endif %}{% for h in e.response_headers %}
{{ h.name }}: {{ h.value }}{% endfor %}{% if e.response_body %}

{{ e.response_body }}{% endif %}{% if e.error %}
error: {{ e.error }}{% endif %}</pre>
{% if e.curl %}<details><summary>again with curl</summary><pre>{{ e.curl }}</pre></details>
{% endif %}{% endfor %}</details>{% endif %}
{% endfor %}
</body>
</html>
"##;

/// Renders the report as one HTML page; every value is HTML-escaped.
pub fn render(report: &RunReport) -> Result<String, super::ReportError> {
    let requirements: Vec<serde_json::Value> = report
        .requirements
        .iter()
        .map(|(id, status)| {
            serde_json::json!({
                "id": id,
                "status": status.name(),
                "gist": protocols::requirement(id).map_or("", |r| r.gist),
                "reasons": report.requirement_reasons.get(id).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let mut env = Environment::new();
    env.add_filter("round", |v: f64, digits: Option<i32>| {
        let scale = 10f64.powi(digits.unwrap_or(0));
        (v * scale).round() / scale
    });
    env.render_named_str(
        "report.html",
        TEMPLATE,
        minijinja::context! {
            report => report,
            s => &report.summary,
            runs => report.summary.runs_of_scenarios(),
            requirements => requirements,
            verdict => report.verdict(),
            all_passed => report.all_passed(),
        },
    )
    .map_err(super::ReportError::from)
}
