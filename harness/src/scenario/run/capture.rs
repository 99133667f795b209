//! Steps on values: `let`, `check`, `for_each`, `advance_clock`, and `save`, which
//! every step that takes one runs after its expectations hold.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use super::call::perform;
use super::{short, steps, Ctx, Stop};
use crate::http::HttpResponse;
use crate::scenario::expect::{Mismatch, Subject};
use crate::scenario::model::{ForEach, SaveFrom, Step};
use crate::scenario::template::Tree;

/// What a step's `save` may take values from.
#[derive(Debug, Default)]
pub(super) struct Found<'a> {
    /// A JSON body, or the checked value.
    pub json: Option<&'a Value>,
    /// An answer's status.
    pub status: Option<u16>,
    /// Headers.
    pub headers: &'a [(String, String)],
    /// The binding's outputs (name → JSON path).
    pub outputs: Option<&'a BTreeMap<String, String>>,
    /// When an awaited request arrived.
    pub received_at: Option<f64>,
    /// A drain's summary (`count`, `arrivals`, `bodies`).
    pub summary: Option<&'a Value>,
}

impl<'a> Found<'a> {
    /// An answer of the IUT and the binding's outputs.
    pub fn answer(response: &'a HttpResponse, outputs: &'a BTreeMap<String, String>) -> Self {
        Self {
            json: response.json.as_ref(),
            status: Some(response.status),
            headers: &response.headers,
            outputs: Some(outputs),
            ..Self::default()
        }
    }
}

/// Saves the step's variables from `found`; a failure when a value is missing.
pub(super) fn save(cx: &mut Ctx<'_>, step: &Step, found: &Found<'_>) -> Result<(), Stop> {
    for s in &step.save {
        let value = match &s.from {
            SaveFrom::ReceivedAt => Some(Value::from(found.received_at.ok_or_else(|| {
                cx.errored(
                    step,
                    format!("save {}: received_at exists only for await_request", s.name),
                )
            })?)),
            SaveFrom::Summary(field) => found.summary.and_then(|v| v.get(field)).cloned(),
            SaveFrom::Status => found.status.map(Value::from),
            SaveFrom::Header(h) => header(found, h),
            SaveFrom::Path(path) => one(found, path),
            SaveFrom::Output(out) => {
                let path = found.outputs.and_then(|o| o.get(out)).ok_or_else(|| {
                    cx.errored(
                        step,
                        format!("save {}: the binding has no output `{out}`", s.name),
                    )
                })?;
                if path == "status" {
                    found.status.map(Value::from)
                } else if let Some(h) = path.strip_prefix("header.") {
                    header(found, h)
                } else {
                    let parsed = JsonPath::parse(path)
                        .map_err(|e| cx.errored(step, format!("save {}: {e}", s.name)))?;
                    one(found, &parsed)
                }
            }
        };
        match value {
            Some(v) => {
                cx.vars.insert(s.name.clone(), v);
            }
            None if s.optional => {
                cx.vars.insert(s.name.clone(), Value::Null);
            }
            None => {
                return Err(cx.fail(
                    step,
                    vec![Mismatch {
                        expected: format!("a value at {} to save as `{}`", s.source, s.name),
                        actual: match found.json {
                            Some(j) => format!("none in {}", short(&j.to_string())),
                            None => "no JSON body".into(),
                        },
                    }],
                ))
            }
        }
    }
    Ok(())
}

fn header(found: &Found<'_>, name: &str) -> Option<Value> {
    crate::http::first_header(found.headers, name).map(|v| Value::String(v.to_string()))
}

fn one(found: &Found<'_>, path: &JsonPath) -> Option<Value> {
    found
        .json
        .and_then(|j| path.query(j).exactly_one().ok().cloned())
}

/// A `let` step: render each value in order and set it.
pub(super) fn let_vars(cx: &mut Ctx<'_>, step: &Step, vars: &[(String, Tree)]) -> Result<(), Stop> {
    for (name, template) in vars {
        let value = cx.render(step, template)?;
        cx.vars.insert(name.clone(), value);
    }
    Ok(())
}

/// A `check` step: render the value, check it with the step's expect, save from it.
pub(super) fn check(cx: &mut Ctx<'_>, step: &Step, value: &Tree) -> Result<(), Stop> {
    let value = cx.render(step, value)?;
    if !step.expect.is_empty() {
        let text = value.to_string();
        let subject = Subject {
            json: Some(&value),
            text: &text,
            ..Subject::default()
        };
        cx.verify(step, &subject, &cx.vars)?;
    }
    let found = Found {
        json: Some(&value),
        ..Found::default()
    };
    save(cx, step, &found)
}

/// A `for_each` step: the nested steps once per item of a non-empty list.
pub(super) async fn for_each(cx: &mut Ctx<'_>, step: &Step, f: &ForEach) -> Result<(), Stop> {
    let items = match cx.render(step, &f.items)? {
        Value::Array(items) => items,
        other => {
            return Err(cx.errored(step, format!("for_each needs a list, got {other}")));
        }
    };
    if items.is_empty() {
        return Err(cx.errored(
            step,
            "for_each: the list is empty, so nothing would be checked",
        ));
    }
    let outer = cx.loop_label.clone();
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let shown = item
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| short(&item.to_string()), str::to_string);
        cx.loop_label = format!("{outer} [{} {} of {count}: {shown}]", f.var, i + 1);
        cx.vars.insert(f.var.clone(), item);
        let result = Box::pin(steps(cx, &f.steps)).await;
        cx.loop_label = outer.clone();
        result?;
    }
    Ok(())
}

/// An `advance_clock` step: through the IUT's test clock, or by really waiting when
/// it has none and the wait is within the limit; skipped otherwise.
pub(super) async fn advance_clock(cx: &mut Ctx<'_>, step: &Step, by: &Tree) -> Result<(), Stop> {
    let by = cx.seconds(step, by, "advance_clock")?;
    if cx.stage.has_test_clock() {
        let mut with = Map::new();
        with.insert("seconds".into(), Value::from(by.as_secs_f64()));
        let done = perform(
            cx,
            step,
            "advance_clock",
            &Tree::Fixed(Value::Object(with)),
            None,
            true,
        )
        .await?;
        if !(200..300).contains(&done.response.status) {
            return Err(cx.errored(
                step,
                format!("the test clock answered {}", done.response.status),
            ));
        }
        Ok(())
    } else if by <= cx.stage.real_wait_limit() {
        tokio::time::sleep(by).await;
        Ok(())
    } else {
        Err(Stop::Skipped(format!(
            "{}: the target has no test clock (test_base) and waiting {:.0} s exceeds real_wait_limit_seconds ({})",
            cx.label(step),
            by.as_secs_f64(),
            cx.stage.real_wait_limit().as_secs()
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::{body_json, method, path};
    use wiremock::{Mock, ResponseTemplate};

    use crate::report::verdict::Ending;
    use crate::scenario::run::play;
    use crate::scenario::run::testing::{scenario, stage, unmet};

    #[tokio::test]
    async fn let_is_sequential_and_check_reports_what_it_found() {
        let t = stage(|_, _| {}).await;
        let s = scenario(concat!(
            "  - let: {a: 2, b: \"{{ a * 3 }}\"}\n",
            "  - check: \"{{ b }}\"\n",
            "    expect: {json: {\"$\": {min: 7}}}\n",
        ));
        let record = play(&s, &t.stage).await;
        assert_eq!(
            unmet(&record),
            [("$ >= 7".to_string(), "$ == 6".to_string())]
        );
    }

    #[tokio::test]
    async fn for_each_labels_its_items_and_refuses_an_empty_list() {
        let t = stage(|_, _| {}).await;
        let s = scenario(concat!(
            "  - let: {items: [{name: one, v: 1}, {name: two, v: 2}]}\n",
            "  - for_each: \"{{ items }}\"\n",
            "    as: item\n",
            "    steps:\n",
            "      - check: \"{{ item.v }}\"\n",
            "        expect: {json: {\"$\": 1}}\n",
        ));
        let record = play(&s, &t.stage).await;
        match &record.ending {
            Ending::Failed { step, .. } => {
                assert_eq!(step, "step 2.1 \"check\" (line 11) [item 2 of 2: two]")
            }
            other => panic!("{other:?}"),
        }
        let empty = scenario(concat!(
            "  - for_each: \"{{ [] }}\"\n",
            "    as: item\n",
            "    steps:\n",
            "      - check: \"{{ item }}\"\n",
            "        expect: {json: {\"$\": 1}}\n",
        ));
        let record = play(&empty, &t.stage).await;
        assert_eq!(
            record.ending,
            Ending::Errored(
                "step 1 \"for each\" (line 7): for_each: the list is empty, so nothing would be checked"
                    .into()
            )
        );
    }

    #[tokio::test]
    async fn advance_clock_is_skipped_without_a_test_clock_beyond_the_wait_limit() {
        let t = stage(|target, _| target.real_wait_limit = Duration::from_millis(100)).await;
        let short = scenario("  - advance_clock: 0.05\n");
        assert_eq!(play(&short, &t.stage).await.ending, Ending::Passed);
        let long = scenario("  - advance_clock: \"{{ silence * 100 }}\"\n");
        match play(&long, &t.stage).await.ending {
            Ending::Skipped(why) => assert!(
                why.contains("no test clock") && why.contains("waiting 30 s"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn advance_clock_uses_the_test_clock() {
        let t = stage(|target, iut| {
            target.bases.insert("test".into(), format!("{iut}/test"));
        })
        .await;
        Mock::given(method("POST"))
            .and(path("/test/clock/advance"))
            .and(body_json(serde_json::json!({"seconds": 3600.0})))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&t.iut)
            .await;
        let s = scenario("  - advance_clock: 3600\n");
        assert_eq!(play(&s, &t.stage).await.ending, Ending::Passed);
        let refused = stage(|target, iut| {
            target.bases.insert("test".into(), format!("{iut}/test"));
        })
        .await;
        let record = play(&s, &refused.stage).await;
        assert!(
            matches!(&record.ending, Ending::Errored(why) if why.ends_with("the test clock answered 404")),
            "{record:?}"
        );
    }
}
