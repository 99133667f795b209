//! The two CCI reference simulators in two processes, pointed at each other, with no
//! harness between them (issue 22, must show 3): a key issued by A and accepted at B
//! carries the connection through intent, placement, features and notifications to
//! VERIFIED on both sides; then B's customer changes the bandwidth and deletes it, and
//! A follows both.

mod common;

use std::time::{Duration, Instant};

use common::{free_port, start_sim, Sim};
use crosscheck::http::{HttpClient, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// How long a step of the flow may take (real time: the simulated networks take 2 s
/// per feature, and the drivers tick every 100 ms).
const PATIENCE: Duration = Duration::from_secs(60);

/// One side's customer API and B's view of A's provider API.
struct World {
    http: HttpClient,
    a: String,
    b: String,
}

impl World {
    async fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> HttpResponse {
        let mut headers = vec![];
        if let Some(t) = token {
            headers.push(("authorization".to_string(), format!("Bearer {t}")));
        }
        if body.is_some() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let request = HttpRequest {
            method: method.into(),
            url: url.into(),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        };
        self.http
            .send(&request, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    /// Polls `method url` until `done` holds for the answer, or panics saying `what`
    /// and the last answer.
    async fn until(
        &self,
        what: &str,
        url: &str,
        token: Option<&str>,
        done: impl Fn(&HttpResponse) -> bool,
    ) -> HttpResponse {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let answer = self.send("GET", url, None, token).await;
            if done(&answer) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {PATIENCE:?}; last answer {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A's connection as B reads it on the provider API: its URL, found among A's
    /// interconnects by the activation key it carries.
    async fn a_connection_of(&self, key: &str) -> String {
        let base = format!(
            "{}/v1/providers/csp-b/environments/env-ab-1/interconnects",
            self.a
        );
        let deadline = Instant::now() + PATIENCE;
        loop {
            for ix in ["ix-big", "ix-small"] {
                let list = self
                    .send(
                        "GET",
                        &format!("{base}/{ix}/connections"),
                        None,
                        Some("sim-token-b"),
                    )
                    .await;
                let found = list
                    .json
                    .as_ref()
                    .and_then(|j| j.get("connections"))
                    .and_then(Value::as_array)
                    .and_then(|all| all.iter().find(|c| c["activationKey"] == key))
                    .and_then(|c| c["name"].as_str())
                    .and_then(|n| n.rsplit('/').next());
                if let Some(uuid) = found {
                    return format!("{base}/{ix}/connections/{uuid}");
                }
            }
            assert!(
                Instant::now() < deadline,
                "B placed no connection at A within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn state(answer: &HttpResponse) -> Option<&str> {
    answer.json.as_ref()?.get("state")?.as_str()
}

fn verified(answer: &HttpResponse) -> bool {
    answer.status == 200
        && answer
            .json
            .as_ref()
            .and_then(|j| j["verificationState"].as_str())
            == Some("VERIFICATION_STATE_VERIFIED")
}

/// A and B started on fresh ports, each told the other's provider API.
fn two_sims() -> (Sim, Sim, String, String) {
    let (a, b) = (free_port(), free_port());
    let (a_listen, b_listen) = (format!("127.0.0.1:{a}"), format!("127.0.0.1:{b}"));
    let (a_base, b_base) = (format!("http://{a_listen}"), format!("http://{b_listen}"));
    let a_peer = format!("{b_base}/v1");
    let b_peer = format!("{a_base}/v1");
    let args = |role: &'static str, listen: &str, peer: &str| -> Vec<String> {
        [
            "cci",
            "--role",
            role,
            "--dialect",
            "v1",
            "--listen",
            listen,
            "--peer-base",
            peer,
        ]
        .map(String::from)
        .to_vec()
    };
    let a_args = args("csp-a", &a_listen, &a_peer);
    let b_args = args("csp-b", &b_listen, &b_peer);
    let a_sim = start_sim(&a_args.iter().map(String::as_str).collect::<Vec<_>>(), a);
    let b_sim = start_sim(&b_args.iter().map(String::as_str).collect::<Vec<_>>(), b);
    (a_sim, b_sim, a_base, b_base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_two_simulators_verify_update_and_delete_a_connection_on_their_own() {
    let (_a, _b, a, b) = two_sims();
    let world = World {
        http: HttpClient::new().expect("client"),
        a,
        b,
    };
    let started = Instant::now();

    // Intent: A's customer gets a key for B's customer account; B's customer accepts it.
    let issued = world
        .send(
            "POST",
            &format!("{}/customer/connections", world.a),
            Some(json!({"environment": "env-ab-1", "connectionSizeMbps": 100, "remoteAccountId": "123456789012"})),
            None,
        )
        .await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let issued = issued.json.expect("JSON");
    let key = issued["activationKey"].as_str().expect("a key").to_string();
    let a_customer = format!(
        "{}/customer/connections/{}",
        world.a,
        issued["connectionId"].as_str().expect("an id")
    );
    let accepted = world
        .send(
            "POST",
            &format!("{}/customer/connections/accept", world.b),
            Some(json!({"activationKey": key})),
            None,
        )
        .await;
    assert!(
        [201, 202].contains(&accepted.status),
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    let b_customer = format!(
        "{}/customer/connections/{}",
        world.b,
        accepted
            .json
            .as_ref()
            .and_then(|j| j["connectionId"].as_str())
            .expect("B's connection id")
    );

    // Placement, features and both notifications: VERIFIED at A, ACTIVE on both sides.
    let at_a = world.a_connection_of(&key).await;
    world
        .until(
            "A's connection VERIFIED",
            &at_a,
            Some("sim-token-b"),
            verified,
        )
        .await;
    let at_b =
        at_a.replacen(&world.a, &world.b, 1)
            .replacen("/providers/csp-b/", "/providers/csp-a/", 1);
    world
        .until(
            "B's connection VERIFIED",
            &at_b,
            Some("sim-token-a"),
            verified,
        )
        .await;
    world
        .until("B's customer ACTIVE", &b_customer, None, |r| {
            state(r) == Some("ACTIVE")
        })
        .await;
    world
        .until("A's customer ACTIVE", &a_customer, None, |r| {
            state(r) == Some("ACTIVE")
        })
        .await;
    let features = world
        .send(
            "GET",
            &format!("{at_a}/features"),
            None,
            Some("sim-token-b"),
        )
        .await;
    let features = features
        .json
        .as_ref()
        .and_then(|j| j["features"].as_array())
        .cloned()
        .unwrap_or_default();
    assert!(
        features.len() >= 3,
        "B negotiated at least 3 features at A: {features:?}"
    );
    assert!(
        features
            .iter()
            .all(|f| f["provisioningState"] == "PROVISIONING_STATE_FINAL"),
        "{features:?}"
    );
    let verified_after = started.elapsed();

    // B's customer changes the bandwidth: B asks A, A grants, both show it.
    let patched = world
        .send(
            "PATCH",
            &b_customer,
            Some(json!({"connectionSizeMbps": 500})),
            None,
        )
        .await;
    assert!(
        [200, 202].contains(&patched.status),
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    world
        .until(
            "A's connection at 500 Mbps",
            &at_a,
            Some("sim-token-b"),
            |r| r.json.as_ref().and_then(|j| j["bandwidthMbps"].as_u64()) == Some(500),
        )
        .await;
    world
        .until(
            "B's customer at 500 Mbps in service",
            &b_customer,
            None,
            |r| {
                r.json
                    .as_ref()
                    .and_then(|j| j["connectionSizeMbps"].as_u64())
                    == Some(500)
                    && state(r) == Some("ACTIVE")
            },
        )
        .await;

    // B's customer deletes it: gone at A, its features with it, and for A's customer.
    let deleted = world.send("DELETE", &b_customer, None, None).await;
    assert!(
        (200..300).contains(&deleted.status),
        "{}",
        String::from_utf8_lossy(&deleted.body)
    );
    world
        .until("A's connection gone", &at_a, Some("sim-token-b"), |r| {
            r.status == 404
        })
        .await;
    let features = world
        .send(
            "GET",
            &format!("{at_a}/features"),
            None,
            Some("sim-token-b"),
        )
        .await;
    assert_eq!(
        features.status, 404,
        "the features went with the connection"
    );
    world
        .until("A's customer sees it gone", &a_customer, None, |r| {
            r.status == 404 || state(r) == Some("DELETED")
        })
        .await;
    world
        .until("B's customer sees it gone", &b_customer, None, |r| {
            r.status == 404 || state(r) == Some("DELETED")
        })
        .await;
    eprintln!(
        "VERIFIED on both sides after {:.1} s; updated and deleted after {:.1} s",
        verified_after.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
