//! How scenarios reach a CCI IUT: default operation bindings (overridable per target),
//! the variables every scenario sees, template functions for keys, and canned answers
//! of the mock CSP A.

use std::sync::Arc;
use std::time::Duration;

use minijinja::value::{Kwargs, Value as JValue};
use minijinja::{Error as JError, ErrorKind};
use serde_json::{json, Map, Value};

use crate::peers::{PeerReply, ScriptedAnswer};
use crate::profile::target::Target;
use crate::profile::{Binding, Credentials};
use crate::protocols::cci::intent::key::{self, Dialect, KeyFields};
use crate::protocols::cci::intent::keycheck;
use crate::protocols::cci::intent::mutate;
use crate::protocols::cci::lifecycle::{guidance, proposal};
use crate::protocols::cci::sim::csp_a::CspA;
use crate::protocols::cci::target::{CciTarget, IxState, Side};

/// The customer's credential, when the target gives one.
pub const CUSTOMER: Credentials = Credentials::Named("customer");

/// The default binding of `operation` for `role`; `None` when the role has no such
/// operation (`advance_clock` and overrides are applied by the caller).
pub fn binding(role: &str, operation: &str) -> Option<Binding> {
    let customer = CUSTOMER;
    let base = match (role, operation) {
        ("csp-a", "create_connection") => {
            Binding::new("POST", "customer", "/connections", customer)
                .body(json!({
                    "environment": "{{ arg.environment }}",
                    "connectionSizeMbps": "{{ arg.size }}",
                    "remoteAccountId": "{{ arg.account }}",
                }))
                .outputs(&[
                    ("connectionId", "$.connectionId"),
                    ("activationKey", "$.activationKey"),
                    ("state", "$.state"),
                ])
        }
        (_, "delete_connection") => {
            Binding::new("DELETE", "customer", "/connections/{{ arg.id }}", customer)
        }
        ("csp-a", "confirm_key") => Binding::new(
            "POST",
            "api",
            "/providers/{{ arg.caller }}/environments/{{ arg.environment }}/ConfirmActivationKey",
            Credentials::Harness,
        )
        .body(json!({ "{{ key_field }}": "{{ arg.key }}" }))
        .outputs(&[("keyValid", "$.keyValid")]),
        ("csp-b", "update_connection") => {
            Binding::new("PATCH", "customer", "/connections/{{ arg.id }}", customer)
                .body(json!({"connectionSizeMbps": "{{ arg.size }}"}))
        }
        (_, "get_connection") => {
            Binding::new("GET", "customer", "/connections/{{ arg.id }}", customer)
                .outputs(&[("state", "$.state")])
        }
        (_, op) if op.starts_with("lc_") => return lifecycle_binding(op),
        ("csp-b", "describe_key") => {
            Binding::new("POST", "customer", "/activation-keys/describe", customer)
                .body(json!({ "activationKey": "{{ arg.key }}" }))
                .outputs(&[
                    ("environment", "$.environment"),
                    ("connectionSizeMbps", "$.connectionSizeMbps"),
                    ("remoteAccountId", "$.remoteAccountId"),
                ])
        }
        ("csp-b", "accept_key") => {
            Binding::new("POST", "customer", "/connections/accept", customer)
                .body(json!({ "activationKey": "{{ arg.key }}" }))
                .outputs(&[("connectionId", "$.connectionId"), ("state", "$.state")])
        }
        _ => return None,
    };
    Some(base)
}

/// The lifecycle operations of the provider API the harness calls on a csp-a IUT
/// (§1b, Binding), under `E = /providers/{caller}/environments/{environment}` and
/// `X = E/interconnects/{interconnect}`.
fn lifecycle_binding(operation: &str) -> Option<Binding> {
    const E: &str = "/providers/{{ arg.caller }}/environments";
    const X: &str = "/providers/{{ arg.caller }}/environments/{{ arg.environment }}/interconnects/{{ arg.interconnect }}";
    let get = |path: String| Binding::new("GET", "api", &path, Credentials::Harness);
    Some(match operation {
        "lc_get_provider" => get("/providers/{{ arg.provider }}".into())
            .outputs(&[("name", "$.name"), ("displayName", "$.displayName")]),
        "lc_list_providers" => get("/providers".into()),
        "lc_list_environments" => get(E.into()),
        "lc_get_environment" => get(format!("{E}/{{{{ arg.environment }}}}")).outputs(&[
            ("name", "$.name"),
            (
                "supportedConnectionSizeMbps",
                "$.supportedConnectionSizeMbps",
            ),
        ]),
        "lc_list_interconnects" => get(format!("{E}/{{{{ arg.environment }}}}/interconnects")),
        "lc_get_interconnect" => get(X.into()).outputs(&[
            ("name", "$.name"),
            (
                "supportedConnectionSizeMbps",
                "$.supportedConnectionSizeMbps",
            ),
            ("state", "$.state"),
            ("maxBandwidthMbps", "$.maxBandwidthMbps"),
        ]),
        "lc_list_channels" => get(format!("{X}/channels")),
        "lc_page_interconnects" => get(format!(
            "{E}/{{{{ arg.environment }}}}/interconnects?pageSize={{{{ arg.page_size }}}}&pageToken={{{{ arg.page_token }}}}"
        ))
        .outputs(&[
            ("items", "$.interconnects"),
            ("nextPageToken", "$.nextPageToken"),
        ]),
        "lc_page_channels" => get(format!(
            "{X}/channels?pageSize={{{{ arg.page_size }}}}&pageToken={{{{ arg.page_token }}}}"
        ))
        .outputs(&[("items", "$.channels"), ("nextPageToken", "$.nextPageToken")]),
        "lc_get_channel" => get(format!("{X}/channels/{{{{ arg.channel }}}}")).outputs(&[
            ("name", "$.name"),
            ("macsecManagerProvider", "$.macsecManagerProvider"),
        ]),
        "lc_create_connection" => Binding::new(
            "POST",
            "api",
            &format!("{X}/connections?connectionId={{{{ arg.id }}}}"),
            Credentials::Harness,
        )
        .body(json!({"bandwidthMbps": "{{ arg.bandwidth }}"}))
        .outputs(&[
            ("name", "$.name"),
            ("bandwidthMbps", "$.bandwidthMbps"),
            ("verificationState", "$.verificationState"),
        ]),
        "lc_get_connection" => get(format!("{X}/connections/{{{{ arg.id }}}}")).outputs(&[
            ("name", "$.name"),
            ("bandwidthMbps", "$.bandwidthMbps"),
            ("verificationState", "$.verificationState"),
        ]),
        "lc_update_connection" => Binding::new(
            "PATCH",
            "api",
            &format!("{X}/connections/{{{{ arg.id }}}}?updateMask={{{{ arg.mask }}}}"),
            Credentials::Harness,
        )
        .body(json!("{{ arg.patch }}"))
        .outputs(&[("bandwidthMbps", "$.bandwidthMbps")]),
        "lc_list_connections" => get(format!("{X}/connections")),
        "lc_delete_connection" => Binding::new(
            "DELETE",
            "api",
            &format!("{X}/connections/{{{{ arg.id }}}}"),
            Credentials::Harness,
        ),
        "lc_generate_guidance" => Binding::new(
            "POST",
            "api",
            &format!("{X}/connections/{{{{ arg.id }}}}/GenerateFeatureGuidance"),
            Credentials::Harness,
        )
        .body(json!({}))
        .outputs(&[("featureGuidance", "$.featureGuidance")]),
        "lc_create_feature" => Binding::new(
            "POST",
            "api",
            &format!(
                "{X}/connections/{{{{ arg.id }}}}/features?featureId={{{{ arg.feature_id }}}}"
            ),
            Credentials::Harness,
        )
        .body(json!("{{ arg.feature }}"))
        .outputs(&[
            ("name", "$.name"),
            ("provisioningState", "$.provisioningState"),
        ]),
        "lc_get_feature" => get(format!(
            "{X}/connections/{{{{ arg.id }}}}/features/{{{{ arg.feature_id }}}}"
        ))
        .outputs(&[("provisioningState", "$.provisioningState")]),
        "lc_list_features" => get(format!("{X}/connections/{{{{ arg.id }}}}/features")),
        "lc_notify_status" => Binding::new(
            "POST",
            "api",
            &format!("{X}/connections/{{{{ arg.id }}}}/NotifyConnectionStatus"),
            Credentials::Harness,
        )
        .body(json!({})),
        "lc_delete_feature" => Binding::new(
            "DELETE",
            "api",
            &format!("{X}/connections/{{{{ arg.id }}}}/features/{{{{ arg.feature_id }}}}"),
            Credentials::Harness,
        ),
        _ => return None,
    })
}

/// Operations a scenario may call when the IUT is CSP A.
pub const A_OPERATIONS: &[&str] = &[
    "create_connection",
    "get_connection",
    "delete_connection",
    "confirm_key",
    "advance_clock",
    "lc_get_provider",
    "lc_list_providers",
    "lc_list_environments",
    "lc_get_environment",
    "lc_list_interconnects",
    "lc_get_interconnect",
    "lc_list_channels",
    "lc_page_interconnects",
    "lc_page_channels",
    "lc_get_channel",
    "lc_create_connection",
    "lc_get_connection",
    "lc_list_connections",
    "lc_delete_connection",
    "lc_update_connection",
    "lc_generate_guidance",
    "lc_create_feature",
    "lc_get_feature",
    "lc_list_features",
    "lc_delete_feature",
    "lc_notify_status",
];

/// Operations a scenario may call when the IUT is CSP B.
pub const B_OPERATIONS: &[&str] = &[
    "describe_key",
    "accept_key",
    "get_connection",
    "update_connection",
    "delete_connection",
    "advance_clock",
    "lc_get_connection",
    "lc_list_features",
    "lc_get_feature",
    "lc_notify_status",
    "lc_update_connection",
    "lc_delete_connection",
];

/// The variables and functions CCI adds to every scenario.
pub const TEMPLATE_NAMES: &[&str] = &[
    "dialect",
    "key_field",
    "material_field",
    "env",
    "env2",
    "size",
    "sizes",
    "size_not_offered",
    "size_only_on_env2",
    "env_alt",
    "size_alt",
    "size2",
    "unknown_env",
    "customer_account",
    "other_account",
    "provider_iut",
    "provider_harness",
    "provider_other",
    "peer_prefix",
    "key_lifetime",
    "provision_timeout",
    "converge_timeout",
    "issue_key",
    "spoof_key",
    "tweak_key",
    "drop_key_field",
    "reencodings",
    "field_tweaks",
    "inspect_key",
    "check_key_material",
    "interconnects",
    "ix",
    "ix_closed",
    "ix_small",
    "ix_small_max",
    "room_size",
    "room_fits",
    "key_uuid",
    "interconnect_of",
    "l3_breaks",
    "l3_proposal",
    "l3_broken",
    "guidance_problem",
    "proposal_problem",
];

/// Why `feature` (an IUT's CreateFeature body) breaks the guidance the harness serves
/// for its channel on `interconnect` of the primary environment ("" when it keeps to
/// it).
fn proposal_problem(cci: &CciTarget, feature: &Value, interconnect: &str) -> String {
    let env = cci.primary_environment();
    let Some((ix_index, ix)) = env
        .interconnects
        .iter()
        .enumerate()
        .find(|(_, i)| i.id == interconnect)
    else {
        return format!("no interconnect {interconnect} in {}", env.id);
    };
    let Some(channel) = feature.get("channel").and_then(Value::as_str) else {
        return "channel (string) is missing".into();
    };
    let bare = channel
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let Some(index) = ix.channels.iter().position(|c| c.name == bare) else {
        return format!("channel `{channel}` is not one of {interconnect}'s");
    };
    if feature
        .pointer("/featureConfig/featureType")
        .and_then(Value::as_str)
        != Some("FEATURE_TYPE_L3_BASE")
    {
        return "featureConfig.featureType is not FEATURE_TYPE_L3_BASE".into();
    }
    let Some(l3) = feature.pointer("/featureConfig/l3BaseConfig") else {
        return "featureConfig.l3BaseConfig is missing".into();
    };
    let entry = guidance::reference(channel, ix_index, index);
    let rules = match guidance::L3Guidance::read(&entry) {
        Ok(g) => g,
        Err(e) => return e.to_string(),
    };
    match guidance::check(l3, &rules, guidance::Leniency::default()) {
        Ok(_) => String::new(),
        Err(why) => why.0,
    }
}

/// The variables every CCI scenario starts with.
pub fn base_vars(cci: &CciTarget) -> Map<String, Value> {
    let env = cci.primary_environment();
    let size = env.sizes[0];
    let not_offered = (1..)
        .map(|i| 777 * i)
        .find(|n| !env.sizes.contains(n))
        .unwrap_or(777);
    let mut vars = Map::new();
    let mut put = |k: &str, v: Value| {
        vars.insert(k.to_string(), v);
    };
    put("dialect", cci.dialect.name().into());
    put("key_field", cci.dialect.confirm_body_field().into());
    put("material_field", cci.dialect.material_field().into());
    put("env", env.id.clone().into());
    // Only on targets that have them (scenarios that use them name the need).
    if let Some(env2) = cci.second_environment() {
        put("env2", env2.id.clone().into());
    }
    if let Some(size) = cci.size_only_on_env2() {
        put("size_only_on_env2", size.into());
    }
    put("size", size.into());
    // What scenarios request when they must tell a requested value from a default.
    let (env_alt, size_alt) = cci.telling_request();
    put("env_alt", env_alt.into());
    put("size_alt", size_alt.into());
    put("size2", cci.first_environment_other_size().into());
    put("sizes", json!(env.sizes));
    put("size_not_offered", not_offered.into());
    put("unknown_env", cci.unknown_environment.clone().into());
    put("customer_account", cci.customer_account.clone().into());
    put("other_account", cci.other_account.clone().into());
    put("provider_iut", cci.providers.iut.clone().into());
    put("provider_harness", cci.providers.harness.clone().into());
    put("provider_other", cci.providers.other.clone().into());
    put("peer_prefix", cci.peer_prefix.clone().into());
    put("key_lifetime", cci.key_lifetime.as_secs().into());
    put("provision_timeout", cci.provision_timeout.as_secs().into());
    put("converge_timeout", cci.converge_timeout.as_secs().into());
    // The lifecycle fixture of the first environment (§1b), names resolved to
    // provider ids and wire states.
    let provider_of = |side: Side| match side {
        Side::Iut => format!("providers/{}", cci.providers.iut),
        Side::Harness => format!("providers/{}", cci.providers.harness),
    };
    let fixture: Vec<Value> = env
        .interconnects
        .iter()
        .map(|ix| {
            json!({
                "id": ix.id,
                "max_mbps": ix.max_mbps,
                "state": ix.state.wire(),
                "sizes": ix.sizes_in(env),
                "channels": ix.channels.iter().map(|c| json!({"name": c.name, "manager": provider_of(c.manager)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    put("interconnects", Value::Array(fixture));
    put("l3_breaks", json!(proposal::BREAKS));
    if let Some(big) = env
        .interconnects
        .iter()
        .filter(|ix| ix.state == IxState::Active)
        .max_by_key(|ix| ix.max_mbps)
    {
        put("ix", big.id.clone().into());
    }
    // The smallest ACTIVE interconnect, the largest size it offers that fits on it,
    // and how many connections of that size fill it (the race for the last room).
    if let Some((small, room)) = env
        .interconnects
        .iter()
        .filter(|ix| ix.state == IxState::Active)
        .filter_map(|ix| {
            let size = ix
                .sizes_in(env)
                .iter()
                .copied()
                .filter(|s| *s > 0 && *s <= ix.max_mbps)
                .max()?;
            Some((ix, size))
        })
        .min_by_key(|(ix, _)| ix.max_mbps)
    {
        put("ix_small", small.id.clone().into());
        put("ix_small_max", small.max_mbps.into());
        put("room_size", room.into());
        put("room_fits", (small.max_mbps / room).into());
    }
    if let Some(closed) = env
        .interconnects
        .iter()
        .find(|ix| ix.state == IxState::Closed)
    {
        put("ix_closed", closed.id.clone().into());
    }
    vars
}

/// A canned answer of the mock CSP A.
pub fn preset(name: &str, target: &Target) -> Option<ScriptedAnswer> {
    let now = |body: Value| ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::json(200, &body)),
    };
    Some(match name {
        "key_valid" => now(json!({"keyValid": true})),
        "key_invalid" => now(json!({"keyValid": false})),
        "missing_key_valid" => now(json!({"valid": true})),
        "key_valid_string_false" => now(json!({"keyValid": "false"})),
        "key_valid_null" => now(json!({"keyValid": null})),
        "server_error" => ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(PeerReply::json(500, &json!({"error": "internal error"}))),
        },
        "unavailable" => ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(PeerReply::json(503, &json!({"error": "try later"}))),
        },
        "garbage" => ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(PeerReply {
                status: 200,
                content_type: Some("application/json".into()),
                headers: vec![],
                body: b"<html>{\"keyValid\": tru".to_vec(),
            }),
        },
        // Longer than the IUT's own timeout for A, then a valid answer nobody should use.
        "hang" => ScriptedAnswer {
            delay: target.iut_peer_timeout + Duration::from_secs(2),
            reply: Some(PeerReply::json(200, &json!({"keyValid": true}))),
        },
        _ => return None,
    })
}

/// Names of the presets, for error messages.
pub const PRESETS: &[&str] = &[
    "key_valid",
    "key_invalid",
    "missing_key_valid",
    "key_valid_string_false",
    "key_valid_null",
    "server_error",
    "unavailable",
    "garbage",
    "hang",
];

/// The interconnect id in a provider API path (`…/interconnects/{id}/…`): which
/// interconnect an IUT's request is about.
fn interconnect_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    segments.find(|s| *s == "interconnects")?;
    segments.next().filter(|id| !id.is_empty())
}

fn jerr(message: impl std::fmt::Display) -> JError {
    JError::new(ErrorKind::InvalidOperation, message.to_string())
}

fn to_j<T: serde::Serialize>(value: &T) -> JValue {
    JValue::from_serialize(value)
}

/// Registers the key functions: `issue_key`, `spoof_key`, `tweak_key`, `drop_key_field`,
/// `reencodings`, `field_tweaks`, `inspect_key`, `check_key_material`.
pub fn register_functions(
    env: &mut minijinja::Environment<'static>,
    target: &Target,
    cci: &CciTarget,
    issuer: Option<Arc<CspA>>,
) {
    let dialect = cci.dialect;
    let defaults = (
        cci.primary_environment().id.clone(),
        cci.primary_environment().sizes[0],
        cci.customer_account.clone(),
    );
    let destination = if target.role == "csp-b" {
        cci.providers.iut.clone()
    } else {
        cci.providers.harness.clone()
    };
    let args = move |kwargs: &Kwargs| -> Result<(String, u32, String), JError> {
        let environment: Option<String> = kwargs.get("environment")?;
        let size: Option<u32> = kwargs.get("size")?;
        let account: Option<String> = kwargs.get("account")?;
        Ok((
            environment.unwrap_or_else(|| defaults.0.clone()),
            size.unwrap_or(defaults.1),
            account.unwrap_or_else(|| defaults.2.clone()),
        ))
    };
    let issue_args = args.clone();
    env.add_function(
        "issue_key",
        move |kwargs: Kwargs| -> Result<String, JError> {
            let (environment, size, account) = issue_args(&kwargs)?;
            kwargs.assert_all_used()?;
            let issuer = issuer.as_ref().ok_or_else(|| {
                jerr("issue_key needs the harness's mock CSP A (only when the IUT is csp-b)")
            })?;
            issuer
                .issue(&environment, size, &account)
                .map(|(_, key)| key)
                .map_err(|r| jerr(format!("mock CSP A refused to issue: {}", r.0)))
        },
    );
    env.add_function(
        "spoof_key",
        move |kwargs: Kwargs| -> Result<String, JError> {
            let (environment, size, account) = args(&kwargs)?;
            kwargs.assert_all_used()?;
            let material = match dialect {
                Dialect::Seed => uuid::Uuid::new_v4().simple().to_string(),
                Dialect::V1 => uuid::Uuid::new_v4().to_string(),
            };
            Ok(key::encode_object(&dialect.build(&KeyFields {
                environment,
                connection_size_mbps: size,
                material,
                destination_account: account,
                destination_provider: destination.clone(),
            })))
        },
    );
    env.add_function(
        "tweak_key",
        |key: String, field: String, value: Option<JValue>| -> Result<String, JError> {
            let value = value
                .map(|v| serde_json::to_value(&v))
                .transpose()
                .map_err(jerr)?;
            mutate::tweak_field(&key, &field, value).map_err(jerr)
        },
    );
    env.add_function(
        "drop_key_field",
        |key: String, field: String| -> Result<String, JError> {
            mutate::remove_field(&key, &field).map_err(jerr)
        },
    );
    env.add_function("reencodings", |key: String| -> Result<JValue, JError> {
        Ok(to_j(&mutate::reencodings(&key).map_err(jerr)?))
    });
    env.add_function("field_tweaks", |key: String| -> Result<JValue, JError> {
        Ok(to_j(&mutate::field_tweaks(&key).map_err(jerr)?))
    });
    // Never fails: reports {decodes, problem, object, fields} so scenarios can expect on it.
    env.add_function("inspect_key", move |key: String| -> JValue {
        let object = match key::decode(&key) {
            Ok(o) => o,
            Err(e) => return to_j(&json!({"decodes": false, "problem": e.to_string()})),
        };
        match dialect.parse(&object) {
            Ok(f) => to_j(&json!({
                "decodes": true,
                "object": object,
                "fields": {
                    "environment": f.environment,
                    "connectionSizeMbps": f.connection_size_mbps,
                    "material": f.material,
                    "destinationAccountId": f.destination_account,
                },
            })),
            Err(e) => to_j(&json!({"decodes": true, "object": object, "problem": e.to_string()})),
        }
    });
    // The key's material: in v1 its sharedConnectionUuid, the connectionId the
    // lifecycle places it under. A key that does not parse is an error naming why.
    // Feature proposals from a guidance entry (§1b, CCI-L-26 … L-28): the harness is
    // one BGP side, the IUT the other; `slot` picks another VLAN and subnet.
    let (own, peer) = (cci.providers.harness.clone(), cci.providers.iut.clone());
    env.add_function(
        "l3_proposal",
        move |entry: JValue, slot: Option<u64>| -> Result<JValue, JError> {
            let entry = serde_json::to_value(&entry).map_err(jerr)?;
            Ok(to_j(
                &proposal::make(&entry, &own, &peer, slot.unwrap_or(0)).map_err(jerr)?,
            ))
        },
    );
    env.add_function(
        "l3_broken",
        |entry: JValue, made: JValue, how: String| -> Result<JValue, JError> {
            let entry = serde_json::to_value(&entry).map_err(jerr)?;
            let made = serde_json::to_value(&made).map_err(jerr)?;
            Ok(to_j(&proposal::broken(&entry, &made, &how).map_err(jerr)?))
        },
    );
    // What is unsound in a guidance entry ("" when nothing): CCI-L-25's ranges.
    env.add_function(
        "guidance_problem",
        |entry: JValue| -> Result<String, JError> {
            let entry = serde_json::to_value(&entry).map_err(jerr)?;
            Ok(guidance::problem(&entry).unwrap_or_default())
        },
    );
    // What breaks the harness's guidance in an IUT's proposal ("" when nothing),
    // CCI-L-32: the guidance the mock CSP A serves the IUT for that channel of
    // `interconnect`, every restriction of CCI-L-27.
    let fixture = cci.clone();
    env.add_function(
        "proposal_problem",
        move |feature: JValue, interconnect: String| -> Result<String, JError> {
            let feature = serde_json::to_value(&feature).map_err(jerr)?;
            Ok(proposal_problem(&fixture, &feature, &interconnect))
        },
    );
    env.add_function(
        "interconnect_of",
        |path: String| -> Result<String, JError> {
            interconnect_of(&path).map(str::to_string).ok_or_else(|| {
                jerr(format!(
                    "`{path}` names no interconnect (…/interconnects/ID/…)"
                ))
            })
        },
    );
    env.add_function("key_uuid", move |key: String| -> Result<String, JError> {
        let object = key::decode(&key).map_err(jerr)?;
        Ok(dialect.parse(&object).map_err(jerr)?.material)
    });
    // Returns {ok, bits, problem} so that a `check` step can fail with the reason.
    env.add_function(
        "check_key_material",
        move |keys: Vec<String>, min_bits: Option<f64>| -> JValue {
            match keycheck::check_material(&keys, dialect, min_bits.unwrap_or(48.0)) {
                Ok(s) => to_j(
                    &json!({"ok": true, "keys": s.keys, "bits": (s.bits * 10.0).round() / 10.0}),
                ),
                Err(problem) => {
                    to_j(&json!({"ok": false, "keys": keys.len(), "problem": problem.0}))
                }
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::interconnect_of;

    #[test]
    fn the_interconnect_of_a_path_is_the_segment_after_interconnects() {
        let x = "/v1/providers/b/environments/e/interconnects/ix-big";
        assert_eq!(interconnect_of(&format!("{x}/connections")), Some("ix-big"));
        assert_eq!(
            interconnect_of(&format!("{x}/connections/u/NotifyConnectionStatus")),
            Some("ix-big")
        );
        assert_eq!(
            interconnect_of("/v1/providers/b/environments/e/interconnects"),
            None
        );
        assert_eq!(
            interconnect_of("/v1/providers/b/environments/e/interconnects/"),
            None
        );
        assert_eq!(interconnect_of("/v1/providers/b"), None);
    }
}
