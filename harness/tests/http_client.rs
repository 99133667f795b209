//! The harness's HTTP clients (reqwest, and the fuzz engine's lean client with kept
//! and fresh connections) against odd servers: slow, huge, garbage, gone.

use std::time::{Duration, Instant};

use crosscheck::http::{HttpClient, HttpRequest, TransportError, BODY_CAP};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every client: reqwest, lean with kept connections, lean with fresh ones.
fn clients() -> Vec<HttpClient> {
    vec![
        HttpClient::new().expect("client"),
        HttpClient::lean(true).expect("client"),
        HttpClient::lean(false).expect("client"),
    ]
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![],
        body: None,
    }
}

#[tokio::test]
async fn a_slow_server_times_out_on_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    for client in clients() {
        let started = Instant::now();
        let err = client
            .send(
                &get(format!("{}/slow", server.uri())),
                Duration::from_millis(300),
            )
            .await
            .expect_err("times out");
        assert!(matches!(err, TransportError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn a_huge_body_is_cut_off() {
    let server = MockServer::start().await;
    Mock::given(path("/huge"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; BODY_CAP + 1]))
        .mount(&server)
        .await;
    for client in clients() {
        let err = client
            .send(
                &get(format!("{}/huge", server.uri())),
                Duration::from_secs(5),
            )
            .await
            .expect_err("too large");
        assert!(matches!(err, TransportError::BodyTooLarge { .. }), "{err}");
    }
}

#[tokio::test]
async fn garbage_is_kept_as_text_not_json() {
    let server = MockServer::start().await;
    Mock::given(path("/garbage"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"keyValid\": tru", "application/json"),
        )
        .mount(&server)
        .await;
    for client in clients() {
        let r = client
            .send(
                &get(format!("{}/garbage", server.uri())),
                Duration::from_secs(5),
            )
            .await
            .expect("answer");
        assert_eq!(
            (r.status, r.json.is_none(), r.header("Content-Type")),
            (200, true, Some("application/json"))
        );
        assert_eq!(r.body, b"{\"keyValid\": tru");
    }
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    for client in clients() {
        let err = client
            .send(
                &get(format!("http://127.0.0.1:{port}/")),
                Duration::from_secs(2),
            )
            .await
            .expect_err("refused");
        assert!(matches!(err, TransportError::Unreachable { .. }), "{err}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "http://192.0.2.1/elsewhere"),
        )
        .mount(&server)
        .await;
    for client in clients() {
        let r = client
            .send(
                &get(format!("{}/moved", server.uri())),
                Duration::from_secs(2),
            )
            .await
            .expect("answer");
        assert_eq!(r.status, 302);
    }
}

#[tokio::test]
async fn kept_connections_serve_many_answers_in_turn() {
    let server = MockServer::start().await;
    Mock::given(path("/n"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"n\": 1}", "application/json"))
        .mount(&server)
        .await;
    for client in clients() {
        for _ in 0..20 {
            let r = client
                .send(&get(format!("{}/n", server.uri())), Duration::from_secs(2))
                .await
                .expect("answer");
            assert_eq!(r.json, Some(serde_json::json!({"n": 1})));
        }
    }
}
