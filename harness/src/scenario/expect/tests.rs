//! Unit tests of expectations: compiling, checking, and the messages of each.

use super::*;
use serde_json::json;

fn schemas(name: &str) -> Option<Value> {
    (name == "Flag").then(|| {
        json!({"type": "object", "required": ["keyValid"], "properties": {"keyValid": {"type": "boolean"}}})
    })
}

fn check(e: &Expect, s: &Subject<'_>) -> Vec<Mismatch> {
    check_with(e, s, &Map::new())
}

fn check_with(e: &Expect, s: &Subject<'_>, vars: &Map<String, Value>) -> Vec<Mismatch> {
    let templates = Templates::new(|_| {});
    e.check(
        s,
        Scope {
            templates: &templates,
            vars,
            redactor: &Redactor::default(),
        },
    )
    .expect("checks")
}

fn subject<'a>(status: u16, headers: &'a [(String, String)], body: &'a Value) -> Subject<'a> {
    Subject {
        status: Some(status),
        headers,
        json: Some(body),
        ..Subject::default()
    }
}

#[test]
fn status_json_and_schema() {
    let e = Expect::compile(
        &json!({
            "status": [200, "2xx"],
            "content_type": "application/json",
            "json": {"$.keyValid": false, "$.state": {"in": ["A", "B"]}, "$.x": {"exists": false}},
            "schema": "Flag"
        }),
        &schemas,
    )
    .expect("parses");
    let headers = vec![(
        "content-type".to_string(),
        "application/json; charset=utf-8".to_string(),
    )];
    let body = json!({"keyValid": false, "state": "B"});
    assert!(check(&e, &subject(200, &headers, &body)).is_empty());
    let bad = json!({"keyValid": "false", "state": "C", "x": 1});
    let mismatches = check(&e, &subject(201, &[], &bad));
    let expected: Vec<_> = mismatches.iter().map(|m| m.expected.as_str()).collect();
    assert_eq!(
        expected,
        [
            "Content-Type application/json",
            "$.keyValid == false",
            "$.state in [\"A\",\"B\"]",
            "$.x absent",
            "body matching Flag"
        ]
    );
    assert!(mismatches[1].actual.contains("\"false\""));
}

#[test]
fn any_of_passes_when_one_branch_holds() {
    let e = Expect::compile(
        &json!({"any_of": [{"status": 400}, {"status": 200, "json": {"$.keyValid": false}}]}),
        &schemas,
    )
    .expect("ok");
    assert!(check(&e, &subject(400, &[], &json!({}))).is_empty());
    assert!(check(&e, &subject(200, &[], &json!({"keyValid": false}))).is_empty());
    let m = check(&e, &subject(200, &[], &json!({"keyValid": true})));
    assert_eq!(m.len(), 1);
    assert!(m[0].actual.contains("$.keyValid == true"), "{m:?}");
}

/// The message `Expect::compile` refuses `v` with.
fn refusal(v: Value) -> String {
    match Expect::compile(&v, &schemas) {
        Ok(e) => panic!("{v} compiled to {e:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn bad_expectations_are_refused() {
    assert!(refusal(json!({"statsu": 200})).contains("statsu"));
    assert!(refusal(json!({"status": "6xx"})).contains("`6xx` is neither a code nor a class"));
    assert!(refusal(json!({"json": {"keyValid": true}})).contains("`keyValid` is not a JSON path"));
    assert!(refusal(json!({"json": {"$.a": {"type": "strnig"}}})).contains("`type: strnig`"));
    assert!(refusal(json!({"schema": "Nope"})).contains("no schema named `Nope`"));
}

#[test]
fn negative_matchers_fail_on_absence_unless_told() {
    let ne = Expect::compile(
        &json!({"json": {"$.state": {"ne": "NEGOTIATION"}}}),
        &schemas,
    )
    .expect("ok");
    let not_in = Expect::compile(
        &json!({"json": {"$.state": {"not_in": ["A", "B"]}}}),
        &schemas,
    )
    .expect("ok");
    for e in [&ne, &not_in] {
        assert!(check(e, &subject(200, &[], &json!({"state": "PENDING"}))).is_empty());
        let absent = check(e, &subject(200, &[], &json!({})));
        assert_eq!(absent.len(), 1, "{absent:?}");
        let not_json = check(
            e,
            &Subject {
                status: Some(500),
                text: "oops",
                ..Subject::default()
            },
        );
        assert_eq!(not_json.len(), 1, "{not_json:?}");
    }
    assert_eq!(
        check(&ne, &subject(200, &[], &json!({"state": "NEGOTIATION"}))).len(),
        1
    );
    assert_eq!(
        check(&not_in, &subject(200, &[], &json!({"state": "B"}))).len(),
        1
    );

    let lenient = Expect::compile(
        &json!({"json": {"$.state": {"ne": "NEGOTIATION", "or_absent": true}}}),
        &schemas,
    )
    .expect("ok");
    assert!(check(&lenient, &subject(200, &[], &json!({}))).is_empty());
    assert!(check(&lenient, &subject(200, &[], &json!({"state": "FAILED"}))).is_empty());
    let m = check(
        &lenient,
        &subject(200, &[], &json!({"state": "NEGOTIATION"})),
    );
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].expected, "$.state absent or != \"NEGOTIATION\"");
}

#[test]
fn or_absent_must_qualify_something() {
    assert!(refusal(json!({"json": {"$.a": {"or_absent": true}}})).contains("passes anything"));
    assert!(
        refusal(json!({"json": {"$.a": {"or_absent": true, "exists": true}}}))
            .contains("contradicts")
    );
    assert!(
        refusal(json!({"json": {"$.a": {"or_absent": "yes", "ne": 1}}})).contains("true or false")
    );
}

#[test]
fn status_constraint_is_seen_in_every_branch() {
    let has = |v: Value| {
        Expect::compile(&v, &schemas)
            .expect("ok")
            .constrains_status()
    };
    assert!(has(json!({"status": 200})));
    assert!(has(json!({"status": "{{ s }}"})));
    assert!(has(
        json!({"any_of": [{"status": 404}, {"status": 200, "json": {"$.a": 1}}]})
    ));
    assert!(!has(json!({"json": {"$.a": 1}})));
    assert!(!has(
        json!({"any_of": [{"status": 404}, {"json": {"$.a": 1}}]})
    ));
}

#[test]
fn bounds() {
    let e = Expect::compile(&json!({"json": {"$": {"min": 2, "max": 2.5}}}), &schemas).expect("ok");
    let inside = json!(2.2);
    let m = check(
        &e,
        &Subject {
            json: Some(&inside),
            ..Subject::default()
        },
    );
    assert!(m.is_empty(), "{m:?}");
    let outside = json!(1.9);
    let m = check(
        &e,
        &Subject {
            json: Some(&outside),
            ..Subject::default()
        },
    );
    assert_eq!(m[0].expected, "$ >= 2 and <= 2.5");
}

#[test]
fn num_eq_accepts_numeric_strings() {
    let e = Expect::compile(&json!({"json": {"$.n": {"num_eq": 500}}}), &schemas).expect("ok");
    assert!(check(&e, &subject(200, &[], &json!({"n": "500"}))).is_empty());
    assert!(!check(&e, &subject(200, &[], &json!({"n": 50}))).is_empty());
}

#[test]
fn fixed_parts_compile_once_and_templated_parts_when_checked() {
    let fixed = Expect::compile(
        &json!({"json": {"$.a": {"matches": "^x+$"}}, "schema": "Flag"}),
        &schemas,
    )
    .expect("ok");
    assert!(!fixed.has_holes());
    let e = Expect::compile(
        &json!({
            "status": "{{ code }}",
            "headers": {"{{ h }}": "{{ v }}"},
            "json": {"$.id": {"matches": "{{ pattern }}"}, "{{ p }}": 1},
            "max_seconds": "{{ limit }}"
        }),
        &schemas,
    )
    .expect("holes compile");
    assert!(e.has_holes());
    let vars =
        json!({"code": 201, "h": "X-Key", "v": "k", "pattern": "^[a-z]+$", "p": "$.n", "limit": 5})
            .as_object()
            .cloned()
            .expect("map");
    let headers = vec![("x-key".to_string(), "k".to_string())];
    let body = json!({"id": "abc", "n": 1});
    assert!(check_with(&e, &subject(201, &headers, &body), &vars).is_empty());
    let bad = json!({"id": "ABC", "n": 2});
    let m = check_with(&e, &subject(200, &[], &bad), &vars);
    let expected: Vec<_> = m.iter().map(|m| m.expected.as_str()).collect();
    assert_eq!(
        expected,
        [
            "status 201",
            "header x-key == \"k\"",
            "$.id matching /^[a-z]+$/",
            "$.n == 1"
        ]
    );
    let templates = Templates::new(|_| {});
    let wrong = json!({"code": 201, "h": "x", "v": "k", "pattern": "(", "p": "$.n", "limit": 5})
        .as_object()
        .cloned()
        .expect("map");
    let err = e
        .check(
            &subject(201, &headers, &body),
            Scope {
                templates: &templates,
                vars: &wrong,
                redactor: &Redactor::default(),
            },
        )
        .expect_err("bad regex once rendered");
    assert!(
        err.to_string().starts_with("expect.json.$.id: `matches`"),
        "{err}"
    );
}

#[test]
fn templated_parts_are_still_checked_where_they_can_be() {
    assert!(
        refusal(json!({"json": {"bad path": "{{ x }}"}})).contains("`bad path` is not a JSON path")
    );
    assert!(
        refusal(json!({"json": {"$.a": {"type": "strnig", "eq": "{{ x }}"}}}))
            .contains("`type: strnig`")
    );
    assert!(refusal(json!({"content_type": ["{{ x }}"]})).contains("must be a string"));
    assert!(refusal(json!({"status": ["{{ x }}"]})).contains("neither a code nor a class"));
}

#[test]
fn a_wrong_credential_is_shown_as_a_fingerprint() {
    let e = Expect::compile(
        &json!({"headers": {"authorization": "Bearer right-token"}}),
        &schemas,
    )
    .expect("parses");
    let headers = vec![(
        "authorization".to_string(),
        "Bearer wrong-token".to_string(),
    )];
    let body = json!({});
    let mismatches = check(&e, &subject(200, &headers, &body));
    assert_eq!(mismatches.len(), 1);
    let actual = &mismatches[0].actual;
    assert!(!actual.contains("wrong-token"), "{actual}");
    assert!(
        actual.contains(&crate::http::fingerprint::credential("Bearer wrong-token")),
        "{actual}"
    );
}

#[test]
fn a_written_map_with_a_key_that_is_no_operator_is_refused_and_eq_expects_an_object() {
    let err = Expect::compile(&json!({"json": {"$.n": {"count": 0}}}), &schemas)
        .expect_err("`count` is no operator");
    let text = err.to_string();
    assert!(text.contains("expect.json.$.n"), "{text}");
    assert!(text.contains("`count` is not a matcher operator"), "{text}");
    let mixed = Expect::compile(&json!({"json": {"$.n": {"min": 1, "mx": 3}}}), &schemas);
    assert!(mixed.is_err(), "a typo beside an operator is refused too");
    let e = Expect::compile(&json!({"json": {"$.o": {"eq": {"count": 0}}}}), &schemas)
        .expect("eq takes an object");
    assert!(check(&e, &subject(200, &[], &json!({"o": {"count": 0}}))).is_empty());
    assert_eq!(
        check(&e, &subject(200, &[], &json!({"o": {"count": 1}}))).len(),
        1
    );
}

#[test]
fn a_template_that_renders_an_object_expects_that_object() {
    let e = Expect::compile(&json!({"json": {"$.o": "{{ want }}"}}), &schemas).expect("parses");
    let mut vars = Map::new();
    vars.insert("want".into(), json!({"count": 0}));
    assert!(check_with(&e, &subject(200, &[], &json!({"o": {"count": 0}})), &vars).is_empty());
    assert_eq!(
        check_with(&e, &subject(200, &[], &json!({"o": {"count": 2}})), &vars).len(),
        1
    );
}

#[test]
fn a_query_parameter_is_checked_decoded_and_its_absence_fails() {
    let e = Expect::compile(
        &json!({"query": {"connectionId": "u-1", "pageSize": {"ne": "0"}}}),
        &schemas,
    )
    .expect("ok");
    let with = |q| Subject {
        query: Some(q),
        ..Subject::default()
    };
    assert!(check(&e, &with("connectionId=u%2D1&pageSize=5")).is_empty());
    let m = check(&e, &with("connectionId=u-2"));
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].expected, "query connectionId == \"u-1\"");
    assert_eq!(m[0].actual, "query connectionId \"u-2\"");
    assert!(m[1].actual.contains("absent"), "{m:?}");
    assert_eq!(check(&e, &Subject::default()).len(), 2);
}
