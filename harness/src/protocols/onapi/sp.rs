//! The reference SP: receives Activation Notices, refuses only malformed ones, never
//! rejects a well-formed one, and answers a repeated order with the same references.
//! The harness also uses [`SpSim::reply`] as its mock SP when the IUT is a CO.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use super::config::OnapiConfig;
use super::fault::Fault;
use super::format::{self, Notice, Rules};
use super::variation::Variation;
use crate::clock::TestClock;
use crate::peers::{read_request, PeerReply, RecordedRequest};

/// The notice path.
pub const PATH: &str = "/onapi/2.5/activationnotice/";

/// A running SP's state.
#[derive(Debug)]
pub struct SpSim {
    config: OnapiConfig,
    clock: TestClock,
    orders: Mutex<HashMap<String, Value>>,
    subscriptions: Mutex<usize>,
    /// `sp-other-causes`: the next error ticket number.
    tickets: AtomicU64,
}

impl SpSim {
    /// An SP with no subscriptions.
    pub fn new(config: OnapiConfig, clock: TestClock) -> Self {
        Self {
            config,
            clock,
            orders: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(0),
            tickets: AtomicU64::new(4711),
        }
    }

    fn orders(&self) -> MutexGuard<'_, HashMap<String, Value>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscriptions created so far.
    pub fn subscriptions(&self) -> usize {
        *self.subscriptions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `cause` as this SP words it: the reference's text, or with `sp-other-causes` a
    /// ticket number first (ON-API: an error ID belongs in the cause) and other words.
    fn cause(&self, status: u16, cause: String) -> String {
        if !self.config.varies(Variation::SpOtherCauses) {
            return cause;
        }
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let what = match status {
            200 => "Notice registered; the SP will follow up through the CO order API",
            400 => "Invalid activation notice",
            401 => "Authentication failed",
            403 => "Access denied",
            404 | 405 => "Unsupported request",
            _ => "Processing error",
        };
        format!("Ticket SP-{ticket}. {what}. Detail: {cause}.")
    }

    fn error(&self, status: u16, cause: impl Into<String>) -> PeerReply {
        let key = if self.config.has(Fault::SpErrorWithoutCause) {
            "error"
        } else {
            "cause"
        };
        PeerReply::json(status, &json!({ key: self.cause(status, cause.into()) }))
    }

    /// The whole answer to one request.
    pub fn reply(&self, request: &RecordedRequest) -> PeerReply {
        if request.path != PATH && request.path != PATH.trim_end_matches('/') {
            return self.error(404, format!("no such path: {}", request.path));
        }
        if request.method != "POST" {
            let mut reply = self.error(405, "use POST");
            reply.headers.push(("allow".into(), "POST".into()));
            return reply;
        }
        if !self.config.has(Fault::SpNoAuth) {
            let presented = request
                .header(&self.config.credential_header)
                .map(str::trim);
            match presented.and_then(|c| self.config.credentials.get(c)) {
                None => return self.error(401, "missing or unknown credentials"),
                Some(false) if !self.config.has(Fault::SpIgnoresRight) => {
                    return self.error(403, "these credentials may not send activation notices")
                }
                Some(_) => {}
            }
        }
        let rules = Rules {
            id_max: if self.config.has(Fault::SpAcceptsLongId) {
                64
            } else {
                36
            },
            local_time_ok: self.config.has(Fault::SpAcceptsLocalTime),
            max_products: if self.config.has(Fault::SpAcceptsTwoProducts) {
                usize::MAX
            } else {
                1
            },
        };
        let notice = match format::validate_with(&request.body, &rules) {
            Ok(n) => n,
            Err(cause)
                if cause.0.contains("mandatory field is missing")
                    && self.config.has(Fault::Sp500OnMissingField) =>
            {
                return self.error(500, "internal error")
            }
            Err(cause) => return self.error(400, cause.0),
        };
        if let Some(why) = self.unwanted(&notice) {
            if self.config.has(Fault::SpRejectsUnwanted) {
                return self.error(400, why);
            }
            // Well formed: the SP may not refuse it; it says why it is unhappy (or, with
            // `sp-silent-on-unwanted`, nothing: cause is optional) and deals with the
            // order through the CO's order API.
            if self.config.varies(Variation::SpSilentOnUnwanted) {
                return PeerReply::json(200, &json!({}));
            }
            let cause = self.cause(200, format!("accepted but not activated: {why}"));
            return PeerReply::json(200, &json!({ "cause": cause }));
        }
        let repeat = notice
            .co_order_id
            .as_ref()
            .and_then(|id| self.orders().get(id).cloned());
        if let (Some(answer), false) = (repeat, self.config.has(Fault::SpDuplicateSubscription)) {
            return PeerReply::json(200, &answer);
        }
        let answer = self.subscribe(&notice);
        if let Some(id) = &notice.co_order_id {
            self.orders().insert(id.clone(), answer.clone());
        }
        PeerReply::json(200, &answer)
    }

    /// Why a well-formed notice is unwanted, if it is.
    fn unwanted(&self, n: &Notice) -> Option<String> {
        let offering = self
            .config
            .offerings
            .iter()
            .find(|o| o.product_id == n.product_id && o.offering_id == n.offering_id);
        let Some(offering) = offering else {
            return Some(format!(
                "unknown offering {}/{}",
                n.product_id, n.offering_id
            ));
        };
        let co_product_matches = match &n.co_product {
            Value::String(s) => *s == offering.co_product,
            Value::Array(items) => items
                .iter()
                .any(|i| i.as_str() == Some(offering.co_product.as_str())),
            _ => false,
        };
        if !co_product_matches {
            return Some(format!(
                "coProduct {} does not match offering {}",
                n.co_product, offering.offering_id
            ));
        }
        let email = n
            .customer
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !self.config.customers.iter().any(|c| c == email) {
            return Some("unknown customer".into());
        }
        let now = self.clock.wall();
        if n.requested
            .parse::<jiff::Timestamp>()
            .is_ok_and(|t| t < now)
        {
            return Some(format!("requestedDateTime {} is in the past", n.requested));
        }
        None
    }

    fn subscribe(&self, n: &Notice) -> Value {
        *self.subscriptions.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let short = || uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let other = self.config.varies(Variation::SpOtherReferences);
        let reference = if self.config.has(Fault::SpBadReference) {
            format!("SP#{}", short())
        } else if other {
            // 36 characters with hyphens: still the ID format, at its longest.
            uuid::Uuid::new_v4().hyphenated().to_string()
        } else {
            format!("spr-{}", short())
        };
        let subscription = if other {
            uuid::Uuid::new_v4().simple().to_string()
        } else {
            format!("sps-{}", short())
        };
        let mut answer = json!({
            "spReference": reference,
            "products": [{
                "productId": n.product_id,
                "offeringId": n.offering_id,
                "spSubscriptionId": subscription,
            }]
        });
        if self.config.varies(Variation::SpCauseOnSuccess) {
            // "Can always be provided for logging purposes" (ON-API 2.5, cause).
            answer["cause"] = "Activation notice received and subscription registered".into();
        }
        answer
    }

    /// The SP's HTTP surface: the notice path (every other path answers 404) and the test clock.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .fallback(notice)
            .with_state(self.clone())
            .merge(crate::clock::routes(self.clock.clone()))
    }
}

async fn notice(State(sp): State<Arc<SpSim>>, request: Request) -> Response {
    match read_request(request, 0).await {
        Ok(recorded) => sp.reply(&recorded).into_response(),
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;
    use tokio::time::Instant;

    fn request(body: &[u8], credential: Option<&str>) -> RecordedRequest {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(c) = credential {
            headers.push(("authorization".into(), c.into()));
        }
        RecordedRequest {
            seq: 0,
            method: "POST".into(),
            path: PATH.into(),
            query: None,
            headers,
            body: body.to_vec(),
            json: serde_json::from_slice(body).ok(),
            at: Instant::now(),
            tls: None,
        }
    }

    fn send(sp: &SpSim, notice: &Value) -> (u16, Value) {
        let r = sp.reply(&request(
            notice.to_string().as_bytes(),
            Some("Bearer sim-token-co"),
        ));
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    fn sp() -> SpSim {
        SpSim::new(OnapiConfig::new(), TestClock::new())
    }

    fn library(kind: &str) -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/onapi/library")
            .join(kind);
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .expect("library folder")
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("readable"),
                )
            })
            .collect();
        out.sort();
        assert!(!out.is_empty(), "{} is empty", dir.display());
        out
    }

    #[test]
    fn the_valid_fixture_and_every_unwanted_one_get_200() {
        let sp = sp();
        let valid = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/onapi/library/valid.json"),
        )
        .expect("valid.json");
        let r = sp.reply(&request(&valid, Some("Bearer sim-token-co")));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        for (name, body) in library("unwanted") {
            let r = sp.reply(&request(&body, Some("Bearer sim-token-co")));
            assert_eq!(
                r.status,
                200,
                "{name}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
    }

    #[test]
    fn every_broken_fixture_gets_400_with_a_cause() {
        let sp = sp();
        for (name, body) in library("broken") {
            let r = sp.reply(&request(&body, Some("Bearer sim-token-co")));
            let answer: Value = serde_json::from_slice(&r.body).expect("JSON answer");
            assert_eq!(r.status, 400, "{name}: {answer}");
            assert!(
                answer["cause"].as_str().is_some_and(|c| !c.is_empty()),
                "{name}: {answer}"
            );
        }
        assert_eq!(sp.subscriptions(), 0);
    }

    #[test]
    fn credentials_and_repeats() {
        let sp = sp();
        let body = format::valid_example().to_string();
        assert_eq!(sp.reply(&request(body.as_bytes(), None)).status, 401);
        assert_eq!(
            sp.reply(&request(body.as_bytes(), Some("Bearer nope")))
                .status,
            401
        );
        assert_eq!(
            sp.reply(&request(body.as_bytes(), Some("Bearer sim-token-readonly")))
                .status,
            403
        );
        let (s1, a1) = send(&sp, &format::valid_example());
        let (s2, a2) = send(&sp, &format::valid_example());
        assert_eq!((s1, s2), (200, 200));
        assert_eq!(a1, a2);
        assert_eq!(sp.subscriptions(), 1);
    }

    fn varied(variation: Variation) -> SpSim {
        let mut config = OnapiConfig::new();
        config.variations = [variation].into();
        SpSim::new(config, TestClock::new())
    }

    fn first_unwanted() -> Vec<u8> {
        library("unwanted").remove(0).1
    }

    #[test]
    fn other_causes_word_every_cause_differently_with_a_ticket() {
        let (reference, other) = (sp(), varied(Variation::SpOtherCauses));
        let broken = library("broken").remove(0).1;
        for (body, credential, status) in [
            (broken.clone(), Some("Bearer sim-token-co"), 400),
            (broken, None, 401),
            (first_unwanted(), Some("Bearer sim-token-co"), 200),
        ] {
            let cause = |sp: &SpSim| {
                let r = sp.reply(&request(&body, credential));
                assert_eq!(r.status, status);
                let answer: Value = serde_json::from_slice(&r.body).expect("JSON");
                answer["cause"].as_str().expect("a cause").to_string()
            };
            let (a, b) = (cause(&reference), cause(&other));
            assert_ne!(a, b);
            assert!(b.starts_with("Ticket SP-"), "{b}");
            assert!(b.chars().count() <= 255, "{b}");
        }
    }

    #[test]
    fn other_references_are_uuids_and_hex_in_the_id_format() {
        let sp = varied(Variation::SpOtherReferences);
        let (status, answer) = send(&sp, &format::valid_example());
        assert_eq!(status, 200);
        let reference = answer["spReference"].as_str().expect("spReference");
        let subscription = answer["products"][0]["spSubscriptionId"]
            .as_str()
            .expect("spSubscriptionId");
        assert!(uuid::Uuid::parse_str(reference).is_ok() && reference.len() == 36);
        assert!(subscription.len() == 32 && subscription.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(format::is_id(reference) && format::is_id(subscription));
        let (_, plain) = send(&self::sp(), &format::valid_example());
        assert!(plain["spReference"]
            .as_str()
            .is_some_and(|r| r.starts_with("spr-")));
        // Repeats still get the same references.
        assert_eq!(send(&sp, &format::valid_example()).1, answer);
    }

    #[test]
    fn silent_on_unwanted_answers_an_empty_object() {
        let body = first_unwanted();
        let r = varied(Variation::SpSilentOnUnwanted)
            .reply(&request(&body, Some("Bearer sim-token-co")));
        assert_eq!(
            (r.status, serde_json::from_slice::<Value>(&r.body).ok()),
            (200, Some(json!({})))
        );
        let r = sp().reply(&request(&body, Some("Bearer sim-token-co")));
        let answer: Value = serde_json::from_slice(&r.body).expect("JSON");
        assert!(answer["cause"].is_string(), "{answer}");
    }

    #[test]
    fn cause_on_success_comes_with_the_references() {
        let (status, answer) = send(
            &varied(Variation::SpCauseOnSuccess),
            &format::valid_example(),
        );
        assert_eq!(status, 200);
        assert!(
            answer["cause"].is_string() && answer["spReference"].is_string(),
            "{answer}"
        );
        assert!(send(&sp(), &format::valid_example())
            .1
            .get("cause")
            .is_none());
    }

    fn arb_id() -> impl Strategy<Value = String> {
        "[-0-9a-zA-Z.]{1,36}"
    }

    fn arb_date_time() -> impl Strategy<Value = String> {
        (
            2030u32..2100,
            1u32..=12,
            1u32..=28,
            0u32..24,
            0u32..60,
            0u32..60,
            prop::option::of("[0-9]{1,4}"),
        )
            .prop_map(|(y, mo, d, h, mi, s, frac)| match frac {
                Some(f) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f}Z"),
                None => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_generated_valid_notice_is_accepted(
            order in arb_id(), access in arb_id(), sub in arb_id(),
            ordered in arb_date_time(), requested in arb_date_time(),
            first in "[A-Za-z ]{0,255}", as_list in any::<bool>(),
        ) {
            let mut n = format::valid_example();
            n["coOrderId"] = order.into();
            n["coAccessId"] = access.into();
            n["orderDateTime"] = ordered.into();
            n["requestedDateTime"] = requested.into();
            n["products"][0]["coSubscriptionId"] = sub.into();
            n["customerDetails"]["firstName"] = first.into();
            if as_list {
                n["products"][0]["coProduct"] = json!([super::super::config::EXAMPLE_CO_PRODUCT]);
            }
            let (status, answer) = send(&sp(), &n);
            prop_assert_eq!(status, 200, "{}", answer);
            prop_assert!(answer["spReference"].as_str().is_some_and(format::is_id), "{}", answer);
        }

        #[test]
        fn every_single_field_corruption_from_the_library_is_refused(
            order in arb_id(), access in arb_id(), ordered in arb_date_time(), index in any::<prop::sample::Index>(),
        ) {
            // Transplant one library corruption onto a freshly generated valid notice.
            let valid: Value = serde_json::from_slice(
                &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/onapi/library/valid.json")).expect("valid.json"),
            ).expect("JSON");
            let cases = library("broken");
            let (name, body) = &cases[index.index(cases.len())];
            let broken: Value = serde_json::from_slice(body).expect("broken fixtures are JSON");
            let (path, value) = corruption(&valid, &broken, "");
            let mut n = format::valid_example();
            n["coOrderId"] = order.into();
            n["coAccessId"] = access.into();
            n["orderDateTime"] = ordered.into();
            let corrupted = match value {
                Some(v) => super::super::binding::with(n, &path, v),
                None => super::super::binding::without(n, &path),
            }.expect("the path exists in every valid notice");
            let (status, answer) = send(&sp(), &corrupted);
            prop_assert_eq!(status, 400, "{} ({}): {}", name, path, answer);
            prop_assert!(answer["cause"].is_string(), "{}: {}", name, answer);
        }
    }

    /// The single place where `broken` differs from `valid`: a dotted path and the new
    /// value (`None`: removed). Panics (in tests) if the fixture changes more than one field.
    fn corruption(valid: &Value, broken: &Value, at: &str) -> (String, Option<Value>) {
        let join = |k: &str| {
            if at.is_empty() {
                k.to_string()
            } else {
                format!("{at}.{k}")
            }
        };
        match (valid, broken) {
            (Value::Object(v), Value::Object(b)) => {
                let mut diffs: Vec<(String, Option<Value>)> = Vec::new();
                for (k, vv) in v {
                    match b.get(k) {
                        None => diffs.push((join(k), None)),
                        Some(bv) if bv != vv => diffs.push(corruption(vv, bv, &join(k))),
                        Some(_) => {}
                    }
                }
                for (k, bv) in b {
                    if !v.contains_key(k) {
                        diffs.push((join(k), Some(bv.clone())));
                    }
                }
                assert_eq!(
                    diffs.len(),
                    1,
                    "{at}: fixture changes {} fields",
                    diffs.len()
                );
                diffs.remove(0)
            }
            (Value::Array(v), Value::Array(b)) if v.len() == b.len() => {
                let diffs: Vec<usize> = (0..v.len()).filter(|i| v[*i] != b[*i]).collect();
                assert_eq!(
                    diffs.len(),
                    1,
                    "{at}: fixture changes {} items",
                    diffs.len()
                );
                corruption(&v[diffs[0]], &b[diffs[0]], &join(&diffs[0].to_string()))
            }
            (_, b) => (at.to_string(), Some(b.clone())),
        }
    }
}
