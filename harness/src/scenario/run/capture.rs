//! Steps on values: `let`, `check`, `for_each`, `advance_clock`, `skip`, and `save`,
//! which every step that takes one runs after its expectations hold.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use super::call::perform;
use super::{short, steps, Ctx, Stop};
use crate::http::HttpResponse;
use crate::scenario::expect::{Mismatch, Subject};
use crate::scenario::model::{ForEach, SaveFrom, Step};
use crate::scenario::template::{Text, Tree};

/// What a step's `save` may take values from.
#[derive(Debug, Default)]
pub(super) struct Found<'a> {
    /// A JSON body, or the checked value.
    pub json: Option<&'a Value>,
    /// An answer's status.
    pub status: Option<u16>,
    /// Headers.
    pub headers: &'a [(String, String)],
    /// The outputs of the binding a `call` performed.
    pub outputs: Option<Outputs<'a>>,
    /// When an awaited request arrived.
    pub received_at: Option<f64>,
    /// The path of an awaited request.
    pub request_path: Option<&'a str>,
    /// A drain's summary (`count`, `arrivals`, `bodies`).
    pub summary: Option<&'a Value>,
}

/// The outputs of the binding a `call` performed: its operation, and each output's
/// name with where the answer holds it (a JSON path, `status` or `header.NAME`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Outputs<'a> {
    /// The operation called.
    pub operation: &'a str,
    /// Output name → where the answer holds it.
    pub paths: &'a BTreeMap<String, String>,
}

impl<'a> Found<'a> {
    /// An answer of the IUT, with the outputs of the binding that asked for it (none
    /// for raw `http`).
    pub fn answer(response: &'a HttpResponse, outputs: Option<Outputs<'a>>) -> Self {
        Self {
            json: response.json.as_ref(),
            status: Some(response.status),
            headers: &response.headers,
            outputs,
            ..Self::default()
        }
    }
}

/// Where the target file maps the output `name` of `operation`, with a one-line example
/// in the target file's own syntax.
fn mapped_by(operation: &str, name: &str, path: &str) -> String {
    format!(
        "the binding reads out.{name} from `{path}`; if the IUT answers it elsewhere, map it \
         in the target file with bindings.{operation}.outputs.{name}, e.g. \
         `bindings: {{{operation}: {{outputs: {{{name}: \"$.<where the answer has it>\"}}}}}}`"
    )
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
            SaveFrom::RequestPath => Some(Value::from(found.request_path.ok_or_else(|| {
                cx.errored(
                    step,
                    format!(
                        "save {}: request_path exists only for await_request",
                        s.name
                    ),
                )
            })?)),
            SaveFrom::Summary(field) => found.summary.and_then(|v| v.get(field)).cloned(),
            SaveFrom::Status => found.status.map(Value::from),
            SaveFrom::Header(h) => header(found, h),
            SaveFrom::Path(path) => one(found, path),
            SaveFrom::Output(out) => {
                let Some(outputs) = found.outputs else {
                    return Err(cx.errored(
                        step,
                        format!(
                            "save {}: out.{out} is a binding output, and only a `call` has them",
                            s.name
                        ),
                    ));
                };
                let path = outputs.paths.get(out).ok_or_else(|| {
                    cx.errored(
                        step,
                        format!(
                            "save {}: the binding of `{op}` has no output `{out}` (a target file adds one with bindings.{op}.outputs.{out})",
                            s.name,
                            op = outputs.operation
                        ),
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
                let wanted = format!("a value at {} to save as `{}`", s.source, s.name);
                let expected = match (&s.from, found.outputs) {
                    (SaveFrom::Output(out), Some(o)) => match o.paths.get(out) {
                        Some(path) => format!("{wanted} ({})", mapped_by(o.operation, out, path)),
                        None => wanted,
                    },
                    _ => wanted,
                };
                return Err(cx.fail(
                    step,
                    vec![Mismatch {
                        expected,
                        actual: match found.json {
                            Some(j) => format!("none in {}", short(&j.to_string())),
                            None => "no JSON body".into(),
                        },
                    }],
                ));
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

/// Every output of a binding found in `found`, by name (`null` where the answer has
/// none, or the binding's path does not parse).
pub(super) fn output_values(found: &Found<'_>, paths: &BTreeMap<String, String>) -> Value {
    let mut out = serde_json::Map::new();
    for (name, path) in paths {
        let value = if path == "status" {
            found.status.map(Value::from)
        } else if let Some(h) = path.strip_prefix("header.") {
            header(found, h)
        } else {
            JsonPath::parse(path).ok().and_then(|p| one(found, &p))
        };
        out.insert(name.clone(), value.unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// A `let` step: each value rendered in order and set. The strings it makes (a key's
/// UUID, say) are the run's own, unless they are paths (built of the target's ids,
/// which every run's requests carry): the mock peers are told, so a callback of this
/// run that carries one and arrives after it ended is told apart as late.
pub(super) fn let_vars(cx: &mut Ctx<'_>, step: &Step, vars: &[(String, Tree)]) -> Result<(), Stop> {
    for (name, template) in vars {
        let value = cx.render(step, template)?;
        let mut made = Vec::new();
        super::call::string_values(&value, &mut made);
        made.retain(|s| !s.contains('/'));
        super::call::claim_sent(cx, &made);
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

/// A `skip` step (reached when its `when` held): the run stops as skipped, the reason
/// saying what it could not show.
pub(super) fn skip(cx: &Ctx<'_>, step: &Step, reason: &Text) -> Stop {
    match cx.text(step, reason) {
        Ok(why) => Stop::Skipped(format!("{}: {why}", cx.label(step))),
        Err(stop) => stop,
    }
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
    use std::collections::BTreeMap;
    use std::time::Duration;

    use wiremock::matchers::{body_json, method, path};
    use wiremock::{Mock, ResponseTemplate};

    use crate::profile::target::BindingOverride;
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

    /// The example a missing output's message gives, as written in the message.
    fn example_in(expected: &str) -> &str {
        let start = expected.find("e.g. `").expect("an example") + "e.g. `".len();
        let len = expected[start..].find('`').expect("the example ends");
        &expected[start..start + len]
    }

    #[tokio::test]
    async fn a_missing_output_names_the_target_key_and_its_example_fixes_the_run() {
        let answer = || ResponseTemplate::new(201).set_body_json(serde_json::json!({"ref": "r-7"}));
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .respond_with(answer())
            .mount(&t.iut)
            .await;
        let s = scenario(concat!(
            "  - call: submit\n",
            "    with: {ticket: t}\n",
            "    save: {r: out.reference}\n",
            "  - check: \"{{ r }}\"\n",
            "    expect: {json: {\"$\": r-7}}\n",
        ));
        let record = play(&s, &t.stage).await;
        let [(expected, actual)] = unmet(&record).try_into().expect("one mismatch");
        assert!(
            expected.starts_with("a value at out.reference to save as `r` (the binding reads out.reference from `$.reference`;"),
            "{expected}"
        );
        assert!(expected.contains("map it in the target file with bindings.submit.outputs.reference, e.g. `bindings: {submit: {outputs: {reference: \"$.<where the answer has it>\"}}}`"), "{expected}");
        assert_eq!(actual, r#"none in {"ref":"r-7"}"#);
        // The example is target-file syntax: filled in, it makes the same run pass.
        let example = example_in(&expected).replace("<where the answer has it>", "ref");
        let file: BTreeMap<String, BTreeMap<String, BindingOverride>> =
            crate::yaml::parse(&example, "example.yaml").expect("the example parses");
        let fixed = stage(|target, _| target.bindings = file["bindings"].clone()).await;
        Mock::given(method("POST"))
            .respond_with(answer())
            .mount(&fixed.iut)
            .await;
        assert_eq!(play(&s, &fixed.stage).await.ending, Ending::Passed);
    }

    #[tokio::test]
    async fn an_output_the_binding_lacks_or_a_raw_call_cannot_give_errors() {
        let t = stage(|_, _| {}).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({})))
            .mount(&t.iut)
            .await;
        let s = scenario("  - call: submit\n    with: {ticket: t}\n    save: {r: out.nothing}\n");
        match play(&s, &t.stage).await.ending {
            Ending::Errored(why) => assert!(
                why.ends_with("save r: the binding of `submit` has no output `nothing` (a target file adds one with bindings.submit.outputs.nothing)"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        let raw = scenario(
            "  - http: {method: POST, base: service, path: /x}\n    save: {r: out.reference}\n",
        );
        match play(&raw, &t.stage).await.ending {
            Ending::Errored(why) => assert!(
                why.ends_with(
                    "save r: out.reference is a binding output, and only a `call` has them"
                ),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
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
