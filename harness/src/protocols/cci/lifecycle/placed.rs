//! A connection the responder placed (PROTOCOLS.md §1b, CCI-L-14 … L-18, L-48 … L-50):
//! what it holds, how it reads, and how the peer's UpdateConnection changes it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::resources::{self, Naming, Parties};
use super::responder::{error, not_json};
use crate::peers::{PeerReply, RecordedRequest};
use crate::protocols::cci::sim::faults::Fault;
use crate::protocols::cci::sim::variation::Variation;
use crate::protocols::cci::sim::world::SimConfig;
use crate::protocols::cci::target::{Environment, Interconnect};

/// A connection placed on an interconnect.
#[derive(Debug, Clone)]
pub(super) struct Placed {
    /// Its environment's id.
    pub(super) environment: String,
    /// Its interconnect's id.
    pub(super) interconnect: String,
    /// Its bandwidthMbps as read.
    pub(super) bandwidth: u32,
    /// What it holds of the interconnect's maxBandwidthMbps.
    pub(super) reserved: u32,
    /// The activation key it was placed for.
    pub(super) key: String,
    /// The provider that placed it, the only one that sees it (CCI-L-11).
    pub(super) owner: String,
    /// Whether it is VERIFICATION_STATE_VERIFIED (CCI-L-41).
    pub(super) verified: bool,
}

impl Placed {
    /// Whether `caller` sees it on `env`/`ix` (under the fault, any caller does).
    pub(super) fn seen(
        &self,
        config: &SimConfig,
        caller: &str,
        env: &Environment,
        ix: &Interconnect,
    ) -> bool {
        self.environment == env.id
            && self.interconnect == ix.id
            && (self.owner == caller || config.has(Fault::ALcSharedBooks))
    }
}

/// A Connection resource.
pub(super) fn connection(
    parties: Parties<'_>,
    naming: Naming,
    env: &Environment,
    ix: &Interconnect,
    id: &str,
    p: &Placed,
) -> Value {
    json!({
        "name": naming.name(resources::connection_path(parties, env, ix, id), id),
        "activationKey": p.key,
        "bandwidthMbps": p.bandwidth,
        "adminState": "ADMIN_STATE_ENABLED",
        "verificationState": if p.verified {
            "VERIFICATION_STATE_VERIFIED"
        } else {
            "VERIFICATION_STATE_UNVERIFIED"
        },
        "deferProvisioning": false,
    })
}

/// UpdateConnection (PATCH `C?updateMask=bandwidthMbps`, `{bandwidthMbps}`): the
/// connection as updated, or the refusal. `placed` holds every connection, `p` among
/// them.
pub(super) fn update(
    config: &SimConfig,
    env: &Environment,
    ix: &Interconnect,
    id: &str,
    mut p: Placed,
    placed: &BTreeMap<String, Placed>,
    request: &RecordedRequest,
) -> Result<Placed, PeerReply> {
    let mask = request.query_param("updateMask").unwrap_or_default();
    let fields: Vec<&str> = mask
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let Some(body) = &request.json else {
        return Err(not_json(config));
    };
    if fields.is_empty() {
        return Err(error(400, "updateMask is required (bandwidthMbps)"));
    }
    if let Some(other) = fields.iter().find(|f| **f != "bandwidthMbps") {
        if !config.has(Fault::ALcPatchAnyField) {
            return Err(error(
                400,
                format!("only bandwidthMbps can change, not {other}"),
            ));
        }
        if *other == "activationKey" {
            if let Some(k) = body.get("activationKey").and_then(Value::as_str) {
                p.key = k.to_string();
            }
        }
    }
    if !fields.contains(&"bandwidthMbps") {
        return Ok(p);
    }
    let bandwidth = bandwidth_of(body)?;
    if !ix.sizes_in(env).contains(&bandwidth) && !config.has(Fault::ALcGrantsUnoffered) {
        return Err(error(
            400,
            format!("{bandwidth} Mbps is not offered on {}", ix.id),
        ));
    }
    let used: u32 = placed
        .iter()
        .filter(|(other, q)| {
            other.as_str() != id && q.environment == env.id && q.interconnect == ix.id
        })
        .map(|(_, q)| q.reserved)
        .sum();
    if used.saturating_add(bandwidth) > ix.max_mbps {
        return Err(error(
            409,
            format!(
                "no room on {} for {bandwidth} Mbps: {used} of {} taken",
                ix.id, ix.max_mbps
            ),
        ));
    }
    if config.variations.contains(&Variation::RefusesUpdates) && bandwidth != p.bandwidth {
        return Err(error(
            422,
            format!("bandwidth changes on {id} exceed this account's quota"),
        ));
    }
    p.bandwidth = bandwidth;
    if !config.has(Fault::ALcUpdateKeepsReservation) {
        p.reserved = bandwidth;
    }
    Ok(p)
}

/// A Connection as served: without its default values under V-04.
pub(super) fn shown(config: &SimConfig, mut connection: Value) -> Value {
    if config.variations.contains(&Variation::OmitsDefaults) {
        if let Some(o) = connection.as_object_mut() {
            o.retain(|_, v| *v != Value::Bool(false));
        }
    }
    connection
}

/// A body's bandwidthMbps, or the 400 for a missing or non-integer one.
pub(super) fn bandwidth_of(body: &Value) -> Result<u32, PeerReply> {
    body.get("bandwidthMbps")
        .and_then(Value::as_u64)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| error(400, "bandwidthMbps (integer) is required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::cci::intent::key::Dialect;
    use crate::protocols::cci::shape::Shape;

    fn patch(mask: &str, body: Value) -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            method: "PATCH".into(),
            path: "/c".into(),
            query: Some(format!("updateMask={mask}")),
            headers: vec![],
            body: body.to_string().into_bytes(),
            json: Some(body),
            at: tokio::time::Instant::now(),
            tls: None,
        }
    }

    fn placed(bandwidth: u32) -> Placed {
        Placed {
            environment: "env-ab-1".into(),
            interconnect: "ix-small".into(),
            bandwidth,
            reserved: bandwidth,
            key: "k".into(),
            owner: "csp-b".into(),
            verified: false,
        }
    }

    /// The reference fixture's first environment and its smallest interconnect
    /// (sizes 50 to 1000, 2000 Mbps), holding `other` Mbps of another connection.
    fn run(config: &SimConfig, other: u32, request: &RecordedRequest) -> Result<Placed, u16> {
        let env = &config.environments[0];
        let ix = env
            .interconnects
            .iter()
            .find(|i| i.id == "ix-small")
            .expect("ix-small");
        let mut books = BTreeMap::new();
        books.insert("mine".to_string(), placed(50));
        books.insert("theirs".to_string(), placed(other));
        update(config, env, ix, "mine", placed(50), &books, request).map_err(|r| r.status)
    }

    fn config() -> SimConfig {
        SimConfig::shaped("csp-a", Dialect::V1, &Shape::reference())
    }

    #[test]
    fn only_an_offered_fitting_bandwidth_is_granted_and_it_moves_the_reservation() {
        let c = config();
        let grant = run(
            &c,
            1000,
            &patch("bandwidthMbps", json!({"bandwidthMbps": 1000})),
        );
        let granted = grant.expect("fits: 1000 + 1000 of 2000");
        assert_eq!((granted.bandwidth, granted.reserved), (1000, 1000));
        assert_eq!(
            run(
                &c,
                1000,
                &patch("bandwidthMbps", json!({"bandwidthMbps": 777}))
            )
            .err(),
            Some(400),
            "not offered"
        );
        assert_eq!(
            run(
                &c,
                1500,
                &patch("bandwidthMbps", json!({"bandwidthMbps": 1000}))
            )
            .err(),
            Some(409),
            "no room"
        );
        assert_eq!(
            run(
                &c,
                0,
                &patch("bandwidthMbps", json!({"bandwidthMbps": "1000"}))
            )
            .err(),
            Some(400),
            "not an integer"
        );
    }

    #[test]
    fn only_the_bandwidth_can_change() {
        let c = config();
        let rekey = patch("activationKey", json!({"activationKey": "other"}));
        assert_eq!(run(&c, 0, &rekey).err(), Some(400));
        assert_eq!(
            run(&c, 0, &patch("", json!({"bandwidthMbps": 100}))).err(),
            Some(400)
        );
        let mut faulty = config();
        faulty.faults.insert(Fault::ALcPatchAnyField);
        assert_eq!(
            run(&faulty, 0, &rekey).expect("the fault applies it").key,
            "other"
        );
    }

    #[test]
    fn the_fault_keeps_the_old_reservation() {
        let mut c = config();
        c.faults.insert(Fault::ALcUpdateKeepsReservation);
        let p = run(
            &c,
            0,
            &patch("bandwidthMbps", json!({"bandwidthMbps": 500})),
        )
        .expect("granted");
        assert_eq!((p.bandwidth, p.reserved), (500, 50));
    }
}
