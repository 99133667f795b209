//! The regression scenarios CCI fuzz findings are written as: a confirm of the shrunk
//! key or body (csp-a), a describe of it, or an accept of it followed to its end
//! (csp-b); each with the positive control of the untouched key. And a fuzzed
//! CreateFeature or CreateConnection body at a v1 responder, with the untouched
//! proposals or create accepted afterwards.

use crate::profile::fuzz::oracle;
use crate::profile::fuzz::{self, RegressionCase};
use crate::protocols::cci::fuzz::campaign::CONFIRM_BODY;
use crate::protocols::cci::fuzz::keys::{REENCODED, TWEAKED};
use crate::protocols::cci::fuzz::lifecycle::FEATURE;

/// The scenario's head: id, title, requirement, tags and the note.
fn header(case: &RegressionCase<'_>, role: &str, requirement: &str) -> String {
    fuzz::regression_head(
        case,
        ("cci", role),
        &format!("[{requirement}]"),
        None,
        "the key is the shrunk input, or the named variant of a freshly issued key when the finding was a variant of the key.",
    )
}

/// The key a regression confirms: the named variant of a fresh key for variants that
/// only exist relative to an issued key, else the input as it was.
fn regression_key(class: &str, label: &str, text: &str) -> String {
    let name = label.replace(['"', '\'', '\\'], "");
    match class {
        REENCODED => format!(
            "\"{{{{ (reencodings(key) | selectattr('name', 'eq', '{name}') | first).key }}}}\""
        ),
        TWEAKED => format!(
            "\"{{{{ (field_tweaks(key) | selectattr('name', 'eq', '{name}') | first).key }}}}\""
        ),
        _ => fuzz::yaml_raw(text),
    }
}

/// A fuzzed key (or a whole confirm body) on ConfirmActivationKey: 400 in JSON or
/// `keyValid: false`; the exact key still confirms afterwards.
pub fn confirm(case: &RegressionCase<'_>, text: &str) -> String {
    let mut out = header(
        case,
        "csp-a",
        if case.via == CONFIRM_BODY {
            "CCI-A-13"
        } else {
            "CCI-A-08"
        },
    );
    out.push_str(
        r#"  - name: create a connection
    call: create_connection
    with: {environment: "{{ env }}", size: "{{ size }}", account: "{{ customer_account }}"}
    expect: {status: 201}
    save: {key: out.activationKey}
"#,
    );
    let expect = r#"        expect:
          any_of:
            - {status: 400, content_type: application/json}
            - {status: 200, content_type: application/json, json: {"$.keyValid": false}}
"#;
    if case.via == CONFIRM_BODY {
        out.push_str(&format!(
            r#"  - name: send the fuzzed confirm body
    http:
      method: POST
      base: api
      path: "/providers/{{{{ provider_harness }}}}/environments/{{{{ env }}}}/ConfirmActivationKey"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}"#,
            raw = fuzz::yaml_raw(text),
            expect = expect.replace("        ", "    "),
        ));
    } else {
        out.push_str(&format!(
            r#"  - name: confirm the fuzzed key
    call: confirm_key
    with:
      caller: "{{{{ provider_harness }}}}"
      environment: "{{{{ env }}}}"
      key: {key}
{expect}"#,
            key = regression_key(case.class, case.label, text),
            expect = expect.replace("        ", "    "),
        ));
    }
    out.push_str(
        r#"  - name: the exact key still confirms
    call: confirm_key
    with: {caller: "{{ provider_harness }}", environment: "{{ env }}", key: "{{ key }}"}
    expect: {status: 200, json: {"$.keyValid": true}}
"#,
    );
    out
}

/// A fuzzed key on the customer's describe: any 2xx, or a 4xx in JSON (never a 5xx).
pub fn describe(case: &RegressionCase<'_>, text: &str) -> String {
    let mut out = header(case, "csp-b", "CCI-B-01");
    out.push_str(&format!(
        r#"  - name: describe the fuzzed key
    call: describe_key
    with: {{key: {key}}}
    expect:
      any_of:
        - {{status: 2xx}}
        - {{status: 4xx, content_type: application/json}}
"#,
        key = fuzz::yaml_raw(text)
    ));
    out
}

/// A fuzzed key on the customer's accept: refused (a 4xx with a JSON body), or accepted
/// with a connection to follow that B deletes once A says keyValid false, never
/// negotiated; the untouched key is accepted afterwards (the positive control).
pub fn accept(case: &RegressionCase<'_>, text: &str) -> String {
    let mut out = header(case, "csp-b", "CCI-B-04");
    out.push_str(&format!(
        r#"  - let: {{key: "{{{{ issue_key() }}}}"}}
  - name: accept the fuzzed key
    call: accept_key
    with: {{key: {key}}}
    expect:
      any_of:
        - {{status: 4xx, content_type: application/json}}
        - {{status: 2xx}}
    save: {{accepted: status, conn: "out.connectionId?"}}
  - name: an accepted key leaves a connection to follow
    check: "{{{{ accepted >= 300 or conn is string }}}}"
    expect: {{json: {{"$": true}}}}
  - name: the accepted connection is deleted, never negotiated
    for_each: "{{{{ [conn] if accepted < 300 else [] }}}}"
    as: accepted_connection
    steps:
      - name: B's connection disappears
        poll:
          call: get_connection
          with: {{id: "{{{{ accepted_connection }}}}"}}
          until: {{any_of: [{{status: 404}}, {{status: 200, json: {{"$.state": DELETED}}}}]}}
  - name: the untouched key is still accepted
    call: accept_key
    with: {{key: "{{{{ key }}}}"}}
    expect: {{status: [201, 202]}}
"#,
        key = regression_key(case.class, case.label, text)
    ));
    out
}

/// A fuzzed CreateFeature or CreateConnection body at a v1 responder: refused with a
/// JSON 400 (409 too for a proposal, V-06; 404 or 422 for a create), or, for a body
/// that kept to the rules but got a 5xx, anything but a 5xx; then the untouched
/// proposal (or create) is accepted (the positive control).
pub fn lifecycle(case: &RegressionCase<'_>, text: &str) -> String {
    let feature = case.via == FEATURE;
    let mut out = fuzz::regression_head(
        case,
        ("cci", "csp-a"),
        if feature { "[CCI-L-27]" } else { "[CCI-L-15]" },
        None,
        "the body sent is the shrunk input; the connection, its key and its guidance are fresh.",
    )
    .replacen("\ntags:", "\nvariants: [v1]\ntags:", 1);
    out.push_str(
        r#"  - name: create a connection
    call: create_connection
    with: {environment: "{{ env }}", size: "{{ size }}", account: "{{ customer_account }}"}
    expect: {status: 201}
    save: {key: out.activationKey}
  - name: the harness confirms its key
    call: confirm_key
    with: {caller: "{{ provider_harness }}", environment: "{{ env }}", key: "{{ key }}"}
    expect: {status: 200, json: {"$.keyValid": true}}
  - let: {uuid: "{{ key_uuid(key) }}"}
"#,
    );
    let refusals = if feature {
        "[400, 409]"
    } else {
        "[400, 404, 409, 422]"
    };
    let expect = if case.oracle == oracle::NO_5XX || case.oracle == oracle::TRANSPORT {
        "    expect:
      any_of:
        - {status: 2xx}
        - {status: 4xx}
"
        .to_string()
    } else {
        format!(
            "    expect: {{status: {refusals}, content_type: application/json}}
"
        )
    };
    let x = "/providers/{{ provider_harness }}/environments/{{ env }}/interconnects/{{ ix }}";
    if feature {
        out.push_str(&format!(
            r#"  - name: place the connection
    call: lc_create_connection
    with: {{caller: "{{{{ provider_harness }}}}", environment: "{{{{ env }}}}", interconnect: "{{{{ ix }}}}", id: "{{{{ uuid }}}}", bandwidth: "{{{{ size }}}}"}}
    expect: {{status: 2xx}}
  - name: ask for guidance
    call: lc_generate_guidance
    with: {{caller: "{{{{ provider_harness }}}}", environment: "{{{{ env }}}}", interconnect: "{{{{ ix }}}}", id: "{{{{ uuid }}}}"}}
    expect: {{status: 200}}
    save: {{guidance: out.featureGuidance}}
  - name: send the fuzzed CreateFeature body
    http:
      method: POST
      base: api
      path: "{x}/connections/{{{{ uuid }}}}/features?featureId=fz-regression"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}  - name: the untouched proposals are still accepted
    for_each: "{{{{ guidance }}}}"
    as: entry
    steps:
      - name: the untouched proposal for the channel
        call: lc_create_feature
        with: {{caller: "{{{{ provider_harness }}}}", environment: "{{{{ env }}}}", interconnect: "{{{{ ix }}}}", id: "{{{{ uuid }}}}", feature_id: "fz-control-{{{{ entry.channel | split('/') | last }}}}", feature: "{{{{ l3_proposal(entry, 0) }}}}"}}
        expect: {{status: 2xx}}
"#,
            raw = fuzz::yaml_raw(text),
        ));
    } else {
        out.push_str(&format!(
            r#"  - name: send the fuzzed CreateConnection body
    http:
      method: POST
      base: api
      path: "{x}/connections?connectionId={{{{ uuid }}}}"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}  - name: the untouched create still places the connection
    call: lc_create_connection
    with: {{caller: "{{{{ provider_harness }}}}", environment: "{{{{ env }}}}", interconnect: "{{{{ ix }}}}", id: "{{{{ uuid }}}}", bandwidth: "{{{{ size }}}}"}}
    expect: {{status: 2xx}}
"#,
            raw = fuzz::yaml_raw(text),
        ));
    }
    out.push_str(
        r#"  - name: the harness deletes the connection (clean up)
    call: lc_delete_connection
    with: {caller: "{{ provider_harness }}", environment: "{{ env }}", interconnect: "{{ ix }}", id: "{{ uuid }}"}
    expect: {status: 2xx}
"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::cci::fuzz::campaign::CONFIRM;
    use crate::protocols::cci::fuzz::keys;

    #[test]
    fn variant_regressions_name_the_variant_of_a_fresh_key() {
        let case = RegressionCase {
            id: "fuzz-confirm-re-encoding-12",
            via: CONFIRM,
            class: REENCODED,
            input: b"abc",
            label: "padding",
            oracle: oracle::NOT_ACCEPTED,
        };
        let yaml = confirm(&case, "abc");
        assert!(
            serde_saphyr::from_str::<serde_json::Value>(&yaml).is_ok(),
            "{yaml}"
        );
        assert!(
            yaml.contains("selectattr('name', 'eq', 'padding')"),
            "{yaml}"
        );
        let literal = RegressionCase {
            class: keys::REPLACED,
            ..case
        };
        assert!(confirm(&literal, "abc").contains("key: \"abc\""));
    }
}
