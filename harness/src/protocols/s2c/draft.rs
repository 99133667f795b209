//! The 0.1 draft's own HTTP shape, served by the same provider: `POST /S2C_VPN`
//! (create, 200 with `serviceId`), `GET`/`DELETE /S2C_VPN?servceId=` (the draft's
//! spelling), `PUT /S2C_VPN` (bandwidth), `POST /S2C_VPN_Assessment`, with the draft's
//! field names (`CEType`, `primaryCEIP`, `guaranteeBandwidth`, duration in hours).
//! Fields a binding maps but the scenario left out arrive as JSON null and count as
//! absent.

use serde_json::{json, Map, Value};

use super::api::{Answer, Incoming};
use super::sim::{ApiError, Provider};

/// The draft's create and assessment fields.
const FIELDS: &[&str] = &[
    "servceName",
    "isProtected",
    "CEType",
    "primaryCEIP",
    "secondaryCEIP",
    "PEType",
    "primaryPEIP",
    "secondaryPEIP",
    "SLA",
    "guaranteeBandwidth",
    "duration",
    "CELocation",
    "routeProtocal",
];

/// Answers a request in the draft's shape.
pub async fn route(provider: &Provider, r: &Incoming) -> Answer {
    let owner = r.owner.as_str();
    let id = || {
        r.param("servceId").ok_or_else(|| {
            ApiError::new(
                400,
                "INVALID_ARGUMENT",
                provider.message("servceId is required".into()),
            )
        })
    };
    match (r.method.as_str(), r.path.trim_end_matches('/')) {
        ("POST", "/S2C_VPN") => {
            let created = provider.create(owner, &to_camara(provider, r.body(provider)?)?)?;
            Ok((
                200,
                Some(json!({
                    "serviceId": created["sessionId"],
                    "resourceGroupId": "rg-sim-1",
                    "cloudGatewayIP": created["endPoint"]["primaryIp"],
                })),
            ))
        }
        ("GET", "/S2C_VPN") => provider
            .get(owner, &id()?)
            .map(|s| (200, Some(to_draft(&s)))),
        ("DELETE", "/S2C_VPN") => provider
            .delete(owner, &id()?)
            .await
            .map(|s| (200, Some(to_draft(&s)))),
        ("PUT", "/S2C_VPN") => {
            let body = r.body(provider)?.as_object().cloned().unwrap_or_default();
            let id = body
                .get("serviceID")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        "INVALID_ARGUMENT",
                        provider.message("serviceID is required".into()),
                    )
                })?
                .to_string();
            if let Some(k) = body
                .keys()
                .find(|k| !["serviceID", "guaranteeBandwidth", "SLA"].contains(&k.as_str()))
            {
                return Err(ApiError::new(
                    400,
                    "INVALID_ARGUMENT",
                    provider.message(format!("unknown property {k}")),
                ));
            }
            let bandwidth = body
                .get("guaranteeBandwidth")
                .cloned()
                .unwrap_or(Value::Null);
            let s = provider.modify(owner, &id, &json!({"bandwidthMbps": bandwidth}))?;
            Ok((
                200,
                Some(json!({
                    "serviceId": s["sessionId"],
                    "GuaranteeBandwidth": s["bandwidthMbps"].to_string(),
                    "slaLevel": body.get("SLA").cloned().unwrap_or(json!("A")),
                })),
            ))
        }
        ("POST", "/S2C_VPN_Assessment") => {
            let a = provider.assess(&to_camara(provider, r.body(provider)?)?)?;
            let fees = |o: &Value| json!({"SLA": o["sla"], "rent": o["monthlyFee"]["amount"]});
            let options: Vec<Value> = a["options"]
                .as_array()
                .map(|o| o.iter().map(fees).collect())
                .unwrap_or_default();
            Ok((
                200,
                Some(if a["available"] == true {
                    json!({"solution1": options})
                } else {
                    json!({"solution2": {"waitdays": 30, "SLA": "A", "rent": options.first().map_or(json!(0), |o| o["rent"].clone())}})
                }),
            ))
        }
        (_, "/S2C_VPN" | "/S2C_VPN_Assessment") => Err(ApiError::new(
            405,
            "METHOD_NOT_ALLOWED",
            provider.message(format!("{} is not allowed on {}", r.method, r.path)),
        )
        .allowing(if r.path == "/S2C_VPN" {
            "GET, POST, PUT, DELETE"
        } else {
            "POST"
        })),
        _ => Err(ApiError::new(
            404,
            "NOT_FOUND",
            provider.message(format!("no route {} {}", r.method, r.path)),
        )),
    }
}

/// A draft body as a CAMARA body (JSON nulls dropped), or a 400.
fn to_camara(provider: &Provider, body: &Value) -> Result<Value, ApiError> {
    let invalid = |m: String| ApiError::new(400, "INVALID_ARGUMENT", provider.message(m));
    let map = body
        .as_object()
        .ok_or_else(|| invalid("the body must be an object".into()))?;
    let given: Map<String, Value> = map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(k) = given.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(format!("unknown property {k}")));
    }
    let mut out = Map::new();
    let point = |kind: &str, primary: &str, secondary: &str| {
        let mut p = Map::new();
        for (to, from) in [
            ("type", kind),
            ("primaryIp", primary),
            ("secondaryIp", secondary),
        ] {
            if let Some(v) = given.get(from) {
                p.insert(to.into(), v.clone());
            }
        }
        p
    };
    let mut access = point("CEType", "primaryCEIP", "secondaryCEIP");
    if let Some(loc) = given.get("CELocation") {
        access.insert("location".into(), loc.clone());
    }
    if !access.is_empty() {
        out.insert("accessPoint".into(), Value::Object(access));
    }
    let end = point("PEType", "primaryPEIP", "secondaryPEIP");
    if !end.is_empty() {
        out.insert("endPoint".into(), Value::Object(end));
    }
    for (to, from) in [
        ("bandwidthMbps", "guaranteeBandwidth"),
        ("duration", "duration"),
        ("isProtected", "isProtected"),
    ] {
        if let Some(v) = given.get(from) {
            out.insert(to.into(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// A CAMARA session in the draft's GET shape.
fn to_draft(s: &Value) -> Value {
    json!({
        "serviceId": s["sessionId"],
        "isProtected": s.get("isProtected").cloned().unwrap_or(json!(false)),
        "primaryCEIP": s["accessPoint"]["primaryIp"],
        "secondaryCEIP": s["accessPoint"].get("secondaryIp").cloned().unwrap_or(Value::Null),
        "primaryPEIP": s["endPoint"]["primaryIp"],
        "secondaryPEIP": s["endPoint"].get("secondaryIp").cloned().unwrap_or(Value::Null),
        "purchasedSLA": "A",
        "purchasedGuaranteeBandwidth": s["bandwidthMbps"],
        "purchasedDuration": s["duration"],
        "actualSLA": "A",
        "actualGuaranteeBandwidth": s["bandwidthMbps"],
        "actualLatency": 10,
        "actualPacketLostRate": 0.1,
        "servicedDuration": 0,
    })
}
