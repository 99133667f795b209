//! Unit tests of the loader, on scenarios of the fictional `demo` protocol.

use super::*;
use crate::profile::demo::profiles;
use crate::scenario::model::Action;

const HEAD: &str =
    "id: t\ntitle: t\nprotocol: demo\nrole: server\nrequirements: [DEMO-01]\nsteps:\n";

fn load(steps: &str) -> Result<Vec<Scenario>, Vec<InputError>> {
    load_str(&format!("{HEAD}{steps}"), "t.yaml", profiles())
}

fn error(steps: &str) -> String {
    let errors = load(steps).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

#[test]
fn an_undefined_template_name_is_a_load_error_with_file_line_and_field() {
    let e = error("  - let: {a: 1}\n  - call: submit\n    with: {ticket: \"{{ nonexistent_var }}\"}\n    save: {r: $.r}\n  - let: {b: \"{{ r }}\"}\n");
    assert!(e.starts_with("t.yaml:8"), "{e}");
    assert!(
        e.contains("step 2: with: `{{ nonexistent_var }}` uses `nonexistent_var`"),
        "{e}"
    );
    let e = error("  - check: \"{{ 1 }}\"\n    expect: {json: {\"$\": \"{{ nope }}\"}}\n");
    assert!(e.contains("step 1: expect:") && e.contains("`nope`"), "{e}");
    let e = error("  - check: \"{{ arg.id }}\"\n    expect: {status: 200}\n");
    assert!(e.contains("`arg`"), "arg is for bindings only: {e}");
    let e = error("  - advance_clock: \"{{ ( }}\"\n");
    assert!(e.contains("step 1: advance_clock: template"), "{e}");
}

#[test]
fn a_variable_some_targets_lack_needs_the_need_named() {
    let uses = "  - check: \"{{ archive_path }}\"\n    expect: {json: {\"$\": {type: string}}}\n";
    let e = error(uses);
    assert!(
        e.contains(
            "`archive_path`, which only targets with `archive` have: add `needs: [archive]`"
        ),
        "{e}"
    );
    let with_need = format!("id: t\ntitle: t\nprotocol: demo\nrole: server\nrequirements: [DEMO-01]\nneeds: [archive]\nsteps:\n{uses}");
    let loaded = load_str(&with_need, "t.yaml", profiles()).expect("loads");
    assert_eq!(loaded[0].needs, ["archive"]);
    let unknown = with_need.replace("needs: [archive]", "needs: [archives]");
    let e = load_str(&unknown, "t.yaml", profiles()).expect_err("unknown need");
    assert!(
        e[0].to_string().starts_with("t.yaml:6")
            && e[0].to_string().contains(
                "needs: `archives` is not something demo scenarios can need (known: archive)"
            ),
        "{e:?}"
    );
}

#[test]
fn names_are_defined_in_order_by_let_save_and_for_each() {
    let e =
        error("  - check: \"{{ later }}\"\n    expect: {json: {\"$\": 1}}\n  - let: {later: 1}\n");
    assert!(e.contains("step 1: check:") && e.contains("`later`"), "{e}");
    load(concat!(
        "  - let: {a: \"{{ ticket() }}\", b: \"{{ a }}\", n: \"{{ range(3) | list }}\"}\n",
        "  - call: submit\n",
        "    with: {ticket: \"{{ b }}\"}\n",
        "    save: {ref: $.reference}\n",
        "  - for_each: \"{{ n }}\"\n",
        "    as: i\n",
        "    steps:\n",
        "      - check: \"{{ i + silence + step_timeout }}\"\n",
        "        expect: {json: {\"$\": {min: 0}}}\n",
        "        save: {inner: $}\n",
        "  - check: \"{{ [ref, inner, has_test_clock, dict(x=1), pad(2), ticket_path] }}\"\n",
        "    expect: {json: {\"$\": {exists: true}}}\n",
    ))
    .expect("all names defined");
    let e = error(concat!(
        "  - for_each: \"{{ [1] }}\"\n",
        "    as: i\n",
        "    steps:\n",
        "      - let: {x: \"{{ i }}\"}\n",
        "  - check: \"{{ i }}\"\n",
        "    expect: {json: {\"$\": 1}}\n",
    ));
    assert!(e.contains("step 2: check:") && e.contains("`i`"), "{e}");
    let e = error("  - let: {x: \"{{ mint() }}\"}\n");
    assert!(e.contains("`mint`"), "a function nobody defines: {e}");
}

#[test]
fn steps_compile_to_one_action_and_bad_parts_are_refused() {
    assert!(error("  - name: nothing\n").contains("no action (one of: call, http"));
    assert!(
        error("  - let: {a: 1}\n    check: \"1\"\n").contains("more than one action: let, check")
    );
    assert!(error(
        "  - drain_requests: {quiet_seconds: 1, within_seconds: 2}\n    save: {x: total}\n"
    )
    .contains("drain_requests saves count, arrivals or bodies, not `total`"));
    assert!(
        error("  - check: \"1\"\n    expect: {json: {\"$\": 1}}\n    save: {x: \"$[\"}\n")
            .contains("save x:")
    );
    assert!(
        error("  - check: \"1\"\n    expect: {json: {\"$\": {matches: \"(\"}}}\n")
            .contains("`matches`")
    );
    let s = load("  - poll: {call: submit, with: {ticket: {}}, until: {status: 200}}\n")
        .expect("loads");
    match &s[0].steps[0].action {
        Action::Poll(p) => {
            assert!(p.until);
            assert!(!p.condition.has_holes());
            assert_eq!(s[0].steps[0].name, "poll submit");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn with_several_requirements_each_failing_part_names_its_own() {
    let two = |steps: &str| {
        load_str(
            &format!("id: t\ntitle: t\nprotocol: demo\nrole: server\nrequirements: [DEMO-01, DEMO-02]\nsteps:\n{steps}"),
            "t.yaml",
            profiles(),
        )
    };
    let e = two("  - call: submit\n    with: {ticket: 1}\n    expect: {status: 200}\n")
        .expect_err("no requirement named");
    assert!(
        e[0].to_string()
            .contains("this scenario covers DEMO-01, DEMO-02; say which one"),
        "{e:?}"
    );
    let ok = two(concat!(
        "  - let: {a: 1}\n",
        "  - call: submit\n",
        "    with: {ticket: 1}\n",
        "    expect:\n",
        "      - {requirement: DEMO-01, status: 200}\n",
        "      - {requirement: DEMO-02, max_seconds: 1}\n",
        "  - call: submit\n",
        "    requirement: DEMO-02\n",
        "    with: {ticket: 1}\n",
        "    expect: {status: 200}\n",
    ))
    .expect("loads");
    let groups = &ok[0].steps[1].expect;
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1].requirement.as_deref(), Some("DEMO-02"));
    assert_eq!(ok[0].steps[2].requirement.as_deref(), Some("DEMO-02"));
    let e = two("  - check: \"1\"\n    expect: [{requirement: DEMO-09, json: {\"$\": 1}}]\n")
        .expect_err("a requirement the scenario does not list");
    assert!(e[0].to_string().contains("expect[0].requirement"), "{e:?}");
}

#[test]
fn a_one_requirement_scenario_charges_every_step_to_it() {
    let s = load("  - check: \"1\"\n    expect: {json: {\"$\": 1}}\n").expect("loads");
    assert_eq!(s[0].steps[0].requirement.as_deref(), Some("DEMO-01"));
}

#[test]
fn a_closed_answer_takes_no_status_body_or_preset() {
    assert!(
        error("  - peer_answer: {answers: [{close: true, status: 200}]}\n")
            .contains("close answers nothing")
    );
    let s = load("  - peer_answer: {answers: [{close: true, delay_seconds: 0.5, times: 2}]}\n")
        .expect("loads");
    match &s[0].steps[0].action {
        Action::PeerAnswer(p) => {
            assert!(p.answers[0].close);
            assert_eq!(p.answers[0].times, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error("  - peer_answer: {answers: [{close: true, close_after_storing: true}]}\n")
            .contains("not both")
    );
    let s = load("  - peer_answer: {answers: [{close_after_storing: true}]}\n").expect("loads");
    match &s[0].steps[0].action {
        Action::PeerAnswer(p) => assert!(p.answers[0].close_after_storing && !p.answers[0].close),
        other => panic!("{other:?}"),
    }
}

#[test]
fn when_is_a_condition_of_known_names_and_skip_needs_one() {
    let s = load(concat!(
        "  - let: {n: 1}\n",
        "  - check: \"{{ n }}\"\n",
        "    when: \"{{ n == 1 }}\"\n",
        "    expect: {json: {\"$\": 1}}\n",
        "  - skip: \"n is {{ n }}\"\n",
        "    when: \"{{ n > 1 }}\"\n",
        "  - let: {m: 2}\n",
        "    when: true\n",
    ))
    .expect("loads");
    let steps = &s[0].steps;
    assert!(steps[0].when.is_none());
    assert!(steps[1].when.is_some());
    match &steps[2].action {
        Action::Skip(reason) => assert_eq!(reason.source(), "n is {{ n }}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(steps[2].name, "skip");
    let e = error("  - skip: \"cannot check\"\n");
    assert!(
        e.contains("step 1: skip: needs a `when`; without one every run would be skipped"),
        "{e}"
    );
    let e = error("  - let: {a: 1}\n    when: \"{{ later }}\"\n  - let: {later: 1}\n");
    assert!(e.contains("step 1: when:") && e.contains("`later`"), "{e}");
    let e = error("  - let: {a: 1}\n    when: \"yes\"\n");
    assert!(
        e.contains("step 1: when: `\"yes\"` is neither true, false nor a template"),
        "{e}"
    );
    let e = error("  - let: {a: 1}\n  - skip: \"{{ nope }}\"\n    when: \"{{ a }}\"\n");
    assert!(e.contains("step 2: skip:") && e.contains("`nope`"), "{e}");
    let e = error("  - skip: why\n    when: true\n    expect: {status: 200}\n");
    assert!(e.contains("`skip` takes no expect"), "{e}");
}

#[test]
fn a_call_or_an_always_poll_without_a_status_is_refused_at_its_line() {
    let e = error("  - let: {a: 1}\n  - call: submit\n    with: {ticket: {}}\n    expect: {json: {\"$.r\": {ne: 1}}}\n");
    assert!(e.starts_with("t.yaml:8"), "{e}");
    assert!(
        e.contains("step 2: expect: a call's expectation must constrain `status`"),
        "{e}"
    );
    let e = error("  - poll: {call: submit, with: {ticket: {}}, always: {json: {\"$.r\": {ne: 1}}}, for_seconds: 1}\n");
    assert!(e.starts_with("t.yaml:7"), "{e}");
    assert!(e.contains("poll.always: must constrain `status`"), "{e}");
    // One branch without a status is enough to let an error answer through.
    let e = error("  - call: submit\n    with: {ticket: {}}\n    expect: {any_of: [{status: 200}, {json: {\"$.r\": 1}}]}\n");
    assert!(e.contains("must constrain `status`"), "{e}");
    // A status anywhere in the groups, a poll `until` and a `check` need no status.
    load("  - call: submit\n    with: {ticket: {}}\n    expect:\n      - {status: 200}\n      - {json: {\"$.r\": {ne: 1}}}\n").expect("loads");
    load("  - poll: {call: submit, with: {ticket: {}}, until: {json: {\"$.r\": 1}}}\n")
        .expect("loads");
    load("  - check: \"1\"\n    expect: {json: {\"$\": {ne: 2}}}\n").expect("loads");
}

#[test]
fn a_parallel_step_needs_two_known_calls_a_status_and_no_save() {
    let e = error("  - parallel: {calls: [{call: submit}]}\n");
    assert!(e.contains("parallel.calls: give at least two calls"), "{e}");
    let e = error("  - parallel: {calls: [{call: submit}, {call: sbumit}]}\n");
    assert!(
        e.contains("parallel.calls[1]: call: `sbumit` is not an operation"),
        "{e}"
    );
    let e = error("  - parallel: {calls: [{call: submit}, {call: submit}]}\n    expect: {json: {\"$.a\": 1}}\n");
    assert!(e.contains("must constrain `status`"), "{e}");
    let e = error(
        "  - parallel: {calls: [{call: submit}, {call: submit}], into: r}\n    save: {x: status}\n",
    );
    assert!(e.contains("its answers go to `parallel.into`"), "{e}");
    let e = error(
        "  - parallel: {calls: [{call: submit, with: {ticket: \"{{ nope }}\"}}, {call: submit}]}\n",
    );
    assert!(
        e.contains("parallel.calls[0].with") && e.contains("`nope`"),
        "{e}"
    );
    // `into` defines a name later steps may use.
    let ok = load("  - parallel: {calls: [{call: submit}, {call: submit}], into: r}\n  - check: \"{{ r | length }}\"\n    expect: {json: {\"$\": 2}}\n")
        .expect("loads");
    match &ok[0].steps[0].action {
        Action::Parallel(p) => assert_eq!((p.calls.len(), p.into.as_deref()), (2, Some("r"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_matching_names_a_method_or_a_path_whose_names_are_defined() {
    assert!(error("  - no_requests: {matching: {}}\n").contains(
        "no_requests.matching: give method, path_ends_with, path_contains, path_excludes, fields or several"
    ));
    let e = error("  - await_request: {matching: {fields: {channel: \"(ch\"}}}\n");
    assert!(
        e.contains("await_request.matching.fields.channel: not a regular expression"),
        "{e}"
    );
    assert!(
        error("  - await_request: {matching: {fields: {channel: \"{{ nope }}\"}}}\n")
            .contains("await_request.matching.fields.channel")
    );
    assert!(
        error("  - await_request: {matching: {path_ends_with: \"/{{ nope }}\"}}\n")
            .contains("await_request.matching.path_ends_with")
    );
    let s = load("  - peer_answer: {matching: {method: post}, answers: [{status: 503}]}\n")
        .expect("loads");
    match &s[0].steps[0].action {
        Action::PeerAnswer(p) => assert_eq!(p.matching.method.as_deref(), Some("POST")),
        other => panic!("{other:?}"),
    }
}
