//! ONAPI as a protocol profile: roles, requirements, target fields, the notice
//! schema and the simulators. It has no variant axis.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};

use super::binding::{self, CUSTOMER};
use super::config::OnapiConfig;
use super::fault::Fault;
use super::stage;
use super::variation::Variation;
use crate::http::HttpClient;
use crate::profile::catalogue::{must, should, TextFile};
use crate::profile::{
    AnswerOracle, BaseSpec, BoxFuture, Campaign, Credentials, FaultInfo, FaultTable,
    FreeAnswerBody, FuzzError, FuzzRequest, Prepared, Profile, Requirement, RoleSpec, RunningSim,
    SimError, SimOption, SimToken, TargetSection, VariationInfo, VariationTable,
};
use crate::yaml::InputError;

/// The trigger is the target's hook for making a CO act, not part of ON-API: what it
/// answers on success is the vendor's (the scenarios do not use it).
const FREE_ANSWER_BODIES: &[FreeAnswerBody] = &[FreeAnswerBody {
    role: "co",
    operation: "trigger_activation",
    why: "the trigger is the target's hook to make the CO act, not an ON-API operation; ON-API fixes nothing of its answer",
}];

/// The ONAPI profile.
#[derive(Debug, Clone, Copy)]
pub struct Onapi;

const ROLES: &[RoleSpec] = &[
    RoleSpec {
        name: "sp",
        counterpart: "co",
        requirement_prefix: "ON-SP-",
        operations: binding::SP_OPERATIONS,
        bases: &[BaseSpec {
            name: "api",
            required: true,
            credentials: Credentials::Harness,
        }],
        calls_the_harness: false,
    },
    RoleSpec {
        name: "co",
        counterpart: "sp",
        requirement_prefix: "ON-CO-",
        operations: binding::CO_OPERATIONS,
        bases: &[BaseSpec {
            name: "trigger",
            required: true,
            credentials: CUSTOMER,
        }],
        calls_the_harness: true,
    },
];

const REQUIREMENTS: &[Requirement] = &[
    must("ON-SP-01", "a well-formed notice gets 200 JSON with references in the ID format, paired with the request's product"),
    must("ON-SP-02", "an unwanted but well-formed notice still gets 200 (a cause is allowed)"),
    must("ON-SP-03", "a notice missing a mandatory field gets 400 with a cause"),
    must("ON-SP-04", "malformed values (IDs, dateTimes, products, JSON, types) get 400 with a cause"),
    must("ON-SP-05", "bad credentials get 401; valid credentials without the right get 403"),
    should("ON-SP-06", "the same notice twice gets the same references and one subscription"),
    must("ON-SP-07", "every error answer is JSON with a cause, and a client's mistake is never 5xx"),
    must("ON-CO-01", "every notice sent is complete, well-formed, single-product JSON with the CO's credentials"),
    must("ON-CO-02", "after 429 with Retry-After the CO waits at least that long before resending"),
    should("ON-CO-03", "the CO retries 5xx with bounded backoff and never resends a 400'd notice unchanged"),
];

const SIM_OPTIONS: &[SimOption] = &[SimOption {
    name: "peer-base",
    help: "onapi co: the SP's base URL (default http://127.0.0.1:18280)",
}];

/// The tokens fixed in the simulators' code (`config.rs`).
const SIM_TOKENS: &[SimToken] = &[
    SimToken {
        role: "sp",
        token: super::config::TOKEN_CO,
        purpose: "accepted from a CO with the right to send notices: the target's credentials.harness",
    },
    SimToken {
        role: "sp",
        token: super::config::TOKEN_NO_RIGHT,
        purpose: "accepted as valid but without that right (403): the target's credentials.no_right",
    },
    SimToken {
        role: "co",
        token: super::config::TOKEN_CO,
        purpose: "sent to the SP with every notice: the target's credentials.iut (the mock SP checks it exactly)",
    },
];

/// The ON-API 2.5 Activation Notice as PROTOCOLS.md §3 constrains it.
fn activation_notice() -> Value {
    json!({
        "type": "object",
        "required": ["coAccessId", "orderDateTime", "requestedDateTime", "products", "customerDetails"],
        "properties": {
            "coId": {"anyOf": [{"$ref": "#/$defs/id"}, {"type": "null"}]},
            "coOrderId": {"anyOf": [{"$ref": "#/$defs/id"}, {"type": "null"}]},
            "coAccessId": {"$ref": "#/$defs/id"},
            "orderDateTime": {"$ref": "#/$defs/dateTime"},
            "requestedDateTime": {"$ref": "#/$defs/dateTime"},
            "products": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "required": ["productId", "offeringId", "coProduct", "coSubscriptionId"],
                    "properties": {
                        "productId": {"$ref": "#/$defs/id"},
                        "offeringId": {"$ref": "#/$defs/id"},
                        "coProduct": {"anyOf": [
                            {"$ref": "#/$defs/text"},
                            {"type": "array", "items": {"$ref": "#/$defs/text"}}
                        ]},
                        "coSubscriptionId": {"$ref": "#/$defs/id"}
                    }
                }
            },
            "customerDetails": {"type": "object"}
        },
        "$defs": {
            "id": {"type": "string", "pattern": "^[-0-9a-zA-Z.]{1,36}$"},
            "dateTime": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,4})?Z$"},
            "text": {"type": "string", "maxLength": 255}
        }
    })
}

impl Profile for Onapi {
    fn name(&self) -> &'static str {
        "onapi"
    }

    fn roles(&self) -> &'static [RoleSpec] {
        ROLES
    }

    fn requirements(&self) -> &'static [Requirement] {
        REQUIREMENTS
    }

    fn requirement_texts(&self) -> TextFile {
        TextFile {
            file: "harness/src/protocols/onapi/requirements.yaml",
            yaml: include_str!("requirements.yaml"),
        }
    }

    fn faults(&self) -> Vec<FaultInfo> {
        Fault::infos(self.name())
    }

    fn free_answer_bodies(&self) -> &'static [FreeAnswerBody] {
        FREE_ANSWER_BODIES
    }

    fn variations(&self) -> Vec<VariationInfo> {
        ROLES
            .iter()
            .flat_map(|r| {
                crate::profile::answer_variations(self.name(), r.name)
                    .chain(Variation::infos(self.name(), r.name))
            })
            .collect()
    }

    fn presets(&self) -> &'static [&'static str] {
        binding::PRESETS
    }

    fn template_names(&self) -> &'static [&'static str] {
        binding::TEMPLATE_NAMES
    }

    fn schema(&self, name: &str) -> Option<Value> {
        (name == "ActivationNotice").then(activation_notice)
    }

    fn schema_names(&self) -> &'static [&'static str] {
        &["ActivationNotice"]
    }

    fn credential_names(&self) -> &'static [&'static str] {
        &["customer", "no_right"]
    }

    fn target_fields(&self) -> &'static [&'static str] {
        stage::FIELDS
    }

    fn parse_target(
        &self,
        text: &str,
        file: &str,
        _role: &str,
    ) -> Result<Arc<dyn TargetSection>, InputError> {
        Ok(stage::parse(text, file)?)
    }

    fn start_builtin<'a>(
        &'a self,
        role: &'a str,
        _variant: Option<&'a str>,
        faults: &'a BTreeSet<&'static str>,
        http: &'a HttpClient,
    ) -> BoxFuture<'a, Result<Prepared, SimError>> {
        Box::pin(stage::builtin_stage(role, faults, http))
    }

    fn sim_options(&self) -> &'static [SimOption] {
        SIM_OPTIONS
    }

    fn sim_tokens(&self) -> &'static [SimToken] {
        SIM_TOKENS
    }

    fn serve<'a>(
        &'a self,
        role: &'a str,
        faults: &'a BTreeSet<&'static str>,
        settings: &'a BTreeMap<String, String>,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<RunningSim, SimError>> {
        Box::pin(async move {
            let mut config = OnapiConfig::new();
            // The same switches as the built-in start: faults, ONAPI variations and
            // the engine's answer variations, by name.
            config.switch_on(faults.iter().copied());
            if let Some(base) = settings.get("peer-base") {
                config.sp_base = base.clone();
            }
            let peer = if role == "co" {
                config.sp_base.clone()
            } else {
                "none".into()
            };
            let running = stage::start(role, config, listen).await?;
            let banner = format!(
                "crosscheck sim onapi {role} listening on http://{addr}: notices http://{addr}/onapi/2.5/activationnotice/, trigger http://{addr}/trigger, test http://{addr}/test; SP {peer}; faults and variations: {}",
                if faults.is_empty() { "none".to_string() } else { faults.iter().copied().collect::<Vec<_>>().join(", ") },
                addr = running.addr,
            );
            Ok(RunningSim {
                keep_alive: Box::new(running),
                banner,
            })
        })
    }

    fn fuzz<'a>(
        &'a self,
        request: FuzzRequest<'a>,
    ) -> Option<BoxFuture<'a, Result<Box<dyn Campaign>, FuzzError>>> {
        Some(Box::pin(super::fuzz_campaign::campaign(request)))
    }

    fn answer_oracle(&self, role: &str) -> Option<&'static dyn AnswerOracle> {
        (role == "co").then_some(&super::answers::NoticeAnswers as &'static dyn AnswerOracle)
    }
}
