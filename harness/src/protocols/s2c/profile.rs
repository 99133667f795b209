//! S2C as a protocol profile: the provider role, requirements, target fields, schemas
//! (session, CAMARA error, CloudEvent) and the simulator.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};

use super::binding;
use super::config::{S2cConfig, Shape};
use super::fault::Fault;
use super::stage;
use super::variation::Variation;
use crate::http::HttpClient;
use crate::profile::catalogue::{must, should, TextFile};
use crate::profile::{
    BaseSpec, BoxFuture, Campaign, Credentials, FaultInfo, FaultTable, FreeAnswerBody, FuzzError,
    FuzzRequest, NeedInfo, Prepared, Profile, Requirement, RoleSpec, RunningSim, SimError,
    SimOption, SimToken, TargetSection, VariationInfo, VariationTable,
};
use crate::yaml::InputError;

/// The S2C profile.
#[derive(Debug, Clone, Copy)]
pub struct S2c;

const ROLES: &[RoleSpec] = &[RoleSpec {
    name: "provider",
    counterpart: "sink",
    requirement_prefix: "S2C-",
    operations: binding::OPERATIONS,
    bases: &[BaseSpec {
        name: "api",
        required: true,
        credentials: Credentials::Harness,
    }],
    calls_the_harness: true,
}];

const REQUIREMENTS: &[Requirement] = &[
    must("S2C-01", "a valid create gets 201 with a session that echoes the request, has a UUID id and a status, and expiresAt = startedAt + duration once AVAILABLE"),
    must("S2C-02", "x-correlator is echoed on every answer, errors included; an invalid one gets 400"),
    must("S2C-03", "invalid input gets 400 in the CAMARA error shape, with status equal to the HTTP status"),
    must("S2C-04", "no token, a malformed token or an expired token gets 401 UNAUTHENTICATED"),
    must("S2C-05", "a consumer cannot read, modify, extend or delete another consumer's session (403, or 404)"),
    must("S2C-06", "GET returns the session as created; an unknown id gets 404, an id that is not a UUID 400 or 404"),
    must("S2C-07", "modify and extend get 200 and GET reflects them; an invalid modify changes nothing; extending a session that is not AVAILABLE gets 409"),
    must("S2C-08", "DELETE gets 204; then GET and a second DELETE get 404"),
    must("S2C-09", "an expired session is deleted without any consumer call"),
    must("S2C-10", "with a sink, expiry and DELETE each send exactly one CloudEvent with the sink credential; event ids are unique"),
    must("S2C-11", "without a sink, nothing is sent anywhere"),
    must("S2C-12", "when resources are insufficient the session is not created (409/422/503 in the error shape) and nothing is left behind"),
    should("S2C-13", "an assessment answers availability, SLA options and fees without creating a session"),
];

/// S2C-07 fixes the status of a modify or extend answer (200), not its body; the
/// scenarios check the change where it must show, in GET.
const FREE_ANSWER_BODIES: &[FreeAnswerBody] = &[
    FreeAnswerBody {
        role: "provider",
        operation: "modify_session",
        why:
            "S2C-07 fixes a modify's answer as 200 and that GET reflects it, not the answer's body",
    },
    FreeAnswerBody {
        role: "provider",
        operation: "extend_session",
        why:
            "S2C-07 fixes an extend's answer as 200 and that GET reflects it, not the answer's body",
    },
];

const NEEDS: &[NeedInfo] = &[
    NeedInfo {
        name: "session-shape",
        description: "the session operations keep the CAMARA shape (201/204, status, startedAt, expiresAt, extend, sink)",
        variables: &[],
    },
    NeedInfo {
        name: "verbatim-bodies",
        description: "the create binding sends the scenario's body as written",
        variables: &[],
    },
    NeedInfo {
        name: "http-sink",
        description: "the provider takes an http sink on loopback (the mock sink speaks http)",
        variables: &["sink_url"],
    },
    NeedInfo {
        name: "capacity",
        description: "the target states the bandwidth the provider can give in all",
        variables: &["capacity_mbps"],
    },
    NeedInfo {
        name: "expired-token",
        description: "the target gives an expired token (credentials.expired_token)",
        variables: &[],
    },
];

const SIM_OPTIONS: &[SimOption] = &[SimOption {
    name: "binding",
    help: "s2c provider: `camara` (PROTOCOLS.md's default binding, durations in seconds) or `draft` (the 0.1 draft's /S2C_VPN shape, durations in hours); default camara",
}];

/// The tokens fixed in the simulator's code (`config.rs`). The sink credential is not
/// among them: the provider sends whatever credential a session names for its sink.
const SIM_TOKENS: &[SimToken] = &[
    SimToken {
        role: "provider",
        token: super::config::TOKEN_CONSUMER_1,
        purpose: "consumer 1: the target's credentials.harness",
    },
    SimToken {
        role: "provider",
        token: super::config::TOKEN_CONSUMER_2,
        purpose: "consumer 2: the target's credentials.consumer2",
    },
    SimToken {
        role: "provider",
        token: super::config::TOKEN_EXPIRED,
        purpose: "an expired token of consumer 1 (401): the target's credentials.expired_token",
    },
];

const SCHEMA_NAMES: &[&str] = &["Session", "ErrorInfo", "CloudEvent", "Assessment"];

fn endpoint() -> Value {
    json!({
        "type": "object",
        "required": ["type", "primaryIp"],
        "properties": {
            "type": {"enum": ["site", "cloud"]},
            "primaryIp": {"type": "string"},
            "secondaryIp": {"type": "string"},
            "location": {"type": "string"}
        }
    })
}

fn schema(name: &str) -> Option<Value> {
    let date_time = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"});
    Some(match name {
        "Session" => json!({
            "type": "object",
            "required": ["sessionId", "accessPoint", "endPoint", "bandwidthMbps", "duration", "status"],
            "properties": {
                "sessionId": {"type": "string", "pattern": binding::UUID_PATTERN},
                "accessPoint": endpoint(),
                "endPoint": endpoint(),
                "bandwidthMbps": {"type": "integer", "minimum": 1},
                "duration": {"type": "integer", "minimum": 1},
                "status": {"enum": ["REQUESTED", "AVAILABLE", "UNAVAILABLE"]},
                "statusInfo": {"enum": ["DURATION_EXPIRED", "DELETE_REQUESTED", "NETWORK_TERMINATED"]},
                "startedAt": date_time,
                "expiresAt": date_time,
                "sinkCredential": false
            }
        }),
        "ErrorInfo" => json!({
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string", "pattern": "^([A-Z0-9_]+\\.)?[A-Z][A-Z0-9_]*$"},
                "message": {"type": "string"}
            }
        }),
        "CloudEvent" => json!({
            "type": "object",
            "required": ["id", "source", "type", "specversion", "time", "data"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "source": {"type": "string", "minLength": 1},
                "type": {"const": super::sim::EVENT_TYPE},
                "specversion": {"const": "1.0"},
                "datacontenttype": {"const": "application/json"},
                "time": date_time,
                "data": {
                    "type": "object",
                    "required": ["sessionId", "status"],
                    "properties": {
                        "sessionId": {"type": "string"},
                        "status": {"enum": ["REQUESTED", "AVAILABLE", "UNAVAILABLE"]},
                        "statusInfo": {"enum": ["DURATION_EXPIRED", "DELETE_REQUESTED", "NETWORK_TERMINATED"]}
                    }
                }
            }
        }),
        "Assessment" => json!({
            "type": "object",
            "required": ["available", "options"],
            "properties": {
                "available": {"type": "boolean"},
                "options": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["sla", "monthlyFee"],
                        "properties": {
                            "sla": {"type": "string"},
                            "monthlyFee": {
                                "type": "object",
                                "required": ["amount", "currency"],
                                "properties": {"amount": {"type": "number", "minimum": 0}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}
                            }
                        }
                    }
                }
            }
        }),
        _ => return None,
    })
}

impl Profile for S2c {
    fn name(&self) -> &'static str {
        "s2c"
    }

    fn roles(&self) -> &'static [RoleSpec] {
        ROLES
    }

    fn requirements(&self) -> &'static [Requirement] {
        REQUIREMENTS
    }

    fn requirement_texts(&self) -> TextFile {
        TextFile {
            file: "harness/src/protocols/s2c/requirements.yaml",
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
        crate::profile::answer_variations(self.name(), "provider")
            .chain(Variation::infos(self.name(), "provider"))
            .collect()
    }

    fn needs(&self) -> &'static [NeedInfo] {
        NEEDS
    }

    fn presets(&self) -> &'static [&'static str] {
        binding::PRESETS
    }

    fn template_names(&self) -> &'static [&'static str] {
        binding::TEMPLATE_NAMES
    }

    fn schema(&self, name: &str) -> Option<Value> {
        schema(name)
    }

    fn schema_names(&self) -> &'static [&'static str] {
        SCHEMA_NAMES
    }

    fn credential_names(&self) -> &'static [&'static str] {
        &["consumer2", "expired_token"]
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
        _role: &'a str,
        _variant: Option<&'a str>,
        faults: &'a BTreeSet<&'static str>,
        http: &'a HttpClient,
    ) -> BoxFuture<'a, Result<Prepared, SimError>> {
        Box::pin(stage::builtin_stage(faults, http))
    }

    fn sim_options(&self) -> &'static [SimOption] {
        SIM_OPTIONS
    }

    fn sim_tokens(&self) -> &'static [SimToken] {
        SIM_TOKENS
    }

    fn serve<'a>(
        &'a self,
        _role: &'a str,
        faults: &'a BTreeSet<&'static str>,
        settings: &'a BTreeMap<String, String>,
        listen: SocketAddr,
    ) -> BoxFuture<'a, Result<RunningSim, SimError>> {
        Box::pin(async move {
            let mut config = S2cConfig::new();
            config.switch_on(faults.iter().copied());
            if let Some(name) = settings.get("binding") {
                config.shape = Shape::named(name).ok_or_else(|| {
                    SimError::Setting(format!("--binding: `{name}` is not camara or draft"))
                })?;
            }
            if config.shape == Shape::Draft {
                config.unit_seconds = 3600;
            }
            let http = HttpClient::new()?;
            let running = stage::start(config.clone(), listen, http).await?;
            let addr = running.served.addr;
            let routes = match config.shape {
                Shape::Camara => format!("sessions http://{addr}/sessions, assessments http://{addr}/assessments, durations in seconds"),
                Shape::Draft => format!("draft shape http://{addr}/S2C_VPN and /S2C_VPN_Assessment, durations in hours"),
            };
            let banner = format!(
                "crosscheck sim s2c provider listening on http://{addr}: {routes}; test clock http://{addr}/test; consumers `Bearer {}` and `Bearer {}`, expired `Bearer {}`; capacity {} Mbps; faults and variations: {}",
                super::config::TOKEN_CONSUMER_1,
                super::config::TOKEN_CONSUMER_2,
                super::config::TOKEN_EXPIRED,
                config.capacity_mbps,
                if faults.is_empty() { "none".to_string() } else { faults.iter().copied().collect::<Vec<_>>().join(", ") },
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
}
