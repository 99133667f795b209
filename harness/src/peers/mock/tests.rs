//! The mock peer's own tests: recording, scripts, waiting, late traffic.

use super::*;

fn not_found() -> Behaviour {
    Arc::new(|_| PeerReply::json(404, &serde_json::json!({"error": "no such path"})))
}

#[test]
fn taking_requests_while_many_arrive_does_not_deadlock() {
    // The handler locks the log, then writes the arrivals channel; a waiter must
    // not hold the channel while it locks the log. Run on a thread with a deadline,
    // as a deadlock would block the runtime itself.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let taken = runtime.block_on(async {
            let peer = Arc::new(
                MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
                    .await
                    .expect("starts"),
            );
            let url = peer.url();
            let senders: Vec<_> = (0..8)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move {
                        let http = crate::http::HttpClient::new().expect("client");
                        for _ in 0..100 {
                            let request = crate::http::HttpRequest {
                                method: "POST".into(),
                                url: format!("{url}/x"),
                                headers: Vec::new(),
                                body: Some(b"{}".to_vec()),
                            };
                            let _ = http.send(&request, Duration::from_secs(2)).await;
                        }
                    })
                })
                .collect();
            let mut taken = 0;
            while taken < 800 {
                if peer.next_request(Duration::from_secs(2)).await.is_some() {
                    taken += 1;
                } else {
                    break;
                }
            }
            for s in senders {
                let _ = s.await;
            }
            taken
        });
        let _ = done.send(taken);
    });
    let taken = finished
        .recv_timeout(Duration::from_secs(20))
        .expect("no deadlock: 800 requests taken within 20 s (0.2 s when it works)");
    assert_eq!(taken, 800);
}

/// `POST /x` with `{}` to `peer`.
fn post_empty(peer: &MockPeer) -> crate::http::HttpRequest {
    crate::http::HttpRequest {
        method: "POST".into(),
        url: format!("{}/x", peer.url()),
        headers: vec![],
        body: Some(b"{}".to_vec()),
    }
}

#[tokio::test]
async fn a_closed_reply_leaves_the_client_without_an_answer() {
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
        .await
        .expect("starts");
    peer.script([ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::closed()),
    }]);
    let client = crate::http::HttpClient::new().expect("client");
    let req = post_empty(&peer);
    let first = client.send(&req, Duration::from_secs(2)).await;
    assert!(first.is_err(), "{first:?}");
    let second = client.send(&req, Duration::from_secs(2)).await;
    assert_eq!(second.map(|r| r.status).ok(), Some(404), "then the default");
}

#[tokio::test]
async fn a_stored_then_closed_reply_runs_the_behaviour_and_answers_nothing() {
    let handled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = handled.clone();
    let behaviour: Behaviour = Arc::new(move |_| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        PeerReply::json(201, &serde_json::json!({}))
    });
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), behaviour)
        .await
        .expect("starts");
    peer.script([ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::stored_then_closed()),
    }]);
    let client = crate::http::HttpClient::new().expect("client");
    let req = post_empty(&peer);
    let first = client.send(&req, Duration::from_secs(2)).await;
    assert!(first.is_err(), "{first:?}");
    assert_eq!(
        handled.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "stored"
    );
    let second = client.send(&req, Duration::from_secs(2)).await;
    assert_eq!(second.map(|r| r.status).ok(), Some(201), "then the default");
    assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn records_scripts_and_awaits() {
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
        .await
        .expect("starts");
    assert!(peer.peek_request(Duration::from_millis(50)).await.is_none());
    peer.script([ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::json(200, &serde_json::json!({"ok": true}))),
    }]);
    let client = crate::http::HttpClient::new().expect("client");
    let req = crate::http::HttpRequest {
        method: "POST".into(),
        url: format!("{}/x", peer.url()),
        headers: vec![],
        body: Some(b"{\"a\":1}".to_vec()),
    };
    let first = client
        .send(&req, Duration::from_secs(2))
        .await
        .expect("answer");
    assert_eq!(first.status, 200);
    let second = client
        .send(&req, Duration::from_secs(2))
        .await
        .expect("answer");
    assert_eq!(second.status, 404);
    let got = peer
        .next_request(Duration::from_secs(1))
        .await
        .expect("first");
    assert_eq!((got.seq, got.path.as_str()), (0, "/x"));
    assert_eq!(got.json, Some(serde_json::json!({"a": 1})));
    assert_eq!(
        peer.next_request(Duration::from_secs(1))
            .await
            .map(|r| r.seq),
        Some(1)
    );
    assert!(peer.next_request(Duration::from_millis(50)).await.is_none());
    peer.reset();
    assert!(peer.requests().is_empty());
}

#[tokio::test]
async fn late_traffic_of_an_earlier_run_is_set_aside_with_that_run() {
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
        .await
        .expect("starts");
    let client = crate::http::HttpClient::new().expect("client");
    let post = |body: &str| crate::http::HttpRequest {
        method: "POST".into(),
        url: format!("{}/notices", peer.url()),
        headers: vec![],
        body: Some(body.as_bytes().to_vec()),
    };
    let send = |body: &'static str| {
        let request = post(body);
        let client = client.clone();
        async move {
            client
                .send(&request, Duration::from_secs(2))
                .await
                .expect("answer")
        }
    };
    peer.begin_run("first");
    peer.claim(["order-aaaa", "ada@example.com", "short"]);
    send(r#"{"order": "order-aaaa", "mail": "ada@example.com"}"#).await;
    assert_eq!(peer.requests().len(), 1, "the run's own request");
    peer.end_run();
    // Between runs: it belongs to the run that just ended.
    send(r#"{"mail": "ada@example.com"}"#).await;
    peer.begin_run("second");
    peer.claim(["order-bbbb", "ada@example.com"]);
    // A retry of the first run's order, which shares the e-mail with this run.
    send(r#"{"order": "order-aaaa", "mail": "ada@example.com"}"#).await;
    // This run's own order, and a request nobody can place, are this run's.
    send(r#"{"order": "order-bbbb", "mail": "ada@example.com"}"#).await;
    send(r#"{"anything": true}"#).await;
    let seen: Vec<String> = peer
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].contains("order-bbbb"), "{seen:?}");
    let late = peer.take_late();
    assert_eq!(
        late.iter()
            .map(|l| (l.from.as_str(), l.during.as_deref()))
            .collect::<Vec<_>>(),
        [("first", None), ("first", Some("second"))]
    );
    assert!(peer.take_late().is_empty(), "taken once");
    assert!(
        peer.wait_quiet(Duration::from_millis(50), Duration::from_secs(1))
            .await
    );
}

#[tokio::test]
async fn a_matching_script_and_wait_pass_other_requests_by() {
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
        .await
        .expect("starts");
    let notify = RequestMatch {
        method: Some("POST".into()),
        path_ends_with: Some("/Notify".into()),
        path_contains: None,
        path_excludes: None,
        fields: vec![],
    };
    peer.script_matching(
        &notify,
        [ScriptedAnswer {
            delay: Duration::ZERO,
            reply: Some(PeerReply::json(503, &serde_json::json!({}))),
        }],
    );
    let client = crate::http::HttpClient::new().expect("client");
    let send = |method: &str, path: &str| crate::http::HttpRequest {
        method: method.into(),
        url: format!("{}{path}", peer.url()),
        headers: vec![],
        body: (method == "POST").then(|| b"{}".to_vec()),
    };
    let status = |r: Result<crate::http::HttpResponse, _>| r.map(|a| a.status).ok();
    let wait = Duration::from_secs(2);
    // A read first: it passes the script by and gets the default.
    assert_eq!(
        status(client.send(&send("GET", "/c/Notify"), wait).await),
        Some(404)
    );
    assert_eq!(
        status(client.send(&send("POST", "/c/Notify"), wait).await),
        Some(503)
    );
    assert_eq!(
        status(client.send(&send("POST", "/c/Notify"), wait).await),
        Some(404)
    );
    // Awaiting the notification passes the read by; silence about it then holds
    // although other requests arrive.
    let first = peer
        .next_matching(wait, &notify)
        .await
        .expect("a notification");
    assert_eq!((first.method.as_str(), first.seq), ("POST", 1));
    let second = peer.next_matching(wait, &notify).await.expect("the resend");
    assert_eq!(second.seq, 2);
    assert_eq!(
        status(client.send(&send("GET", "/c"), wait).await),
        Some(404)
    );
    assert!(peer
        .peek_matching(Duration::from_millis(100), &notify)
        .await
        .is_none());
    assert!(peer
        .peek_request(Duration::from_millis(100))
        .await
        .is_some());
    assert_eq!(notify.to_string(), "POST …/Notify");
}

#[tokio::test]
async fn a_field_pattern_scripts_only_the_bodies_whose_field_matches() {
    let peer = MockPeer::start("p", "127.0.0.1:0".parse().expect("addr"), not_found())
        .await
        .expect("starts");
    let on_ch1 = RequestMatch {
        method: Some("POST".into()),
        path_ends_with: None,
        path_contains: None,
        path_excludes: None,
        fields: vec![super::FieldPattern {
            name: "channel".into(),
            pattern: regex::Regex::new("(^|/)ch-1$").expect("pattern"),
        }],
    };
    let refusal = ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::json(400, &serde_json::json!({}))),
    };
    peer.script_matching(&on_ch1, vec![refusal; 2]);
    let client = crate::http::HttpClient::new().expect("client");
    let post = |body: &str| crate::http::HttpRequest {
        method: "POST".into(),
        url: format!("{}/f", peer.url()),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(body.as_bytes().to_vec()),
    };
    let wait = Duration::from_secs(2);
    let status = |r: Result<crate::http::HttpResponse, _>| r.map(|a| a.status).ok();
    // Another channel, a longer name, a number and no JSON pass the script by.
    for other in [
        r#"{"channel": "x/channels/ch-2"}"#,
        r#"{"channel": "x/channels/ch-10"}"#,
        r#"{"channel": 1}"#,
        "ch-1",
    ] {
        assert_eq!(
            status(client.send(&post(other), wait).await),
            Some(404),
            "{other}"
        );
    }
    assert_eq!(
        status(
            client
                .send(&post(r#"{"channel": "x/channels/ch-1"}"#), wait)
                .await
        ),
        Some(400)
    );
    assert_eq!(
        status(client.send(&post(r#"{"channel": "ch-1"}"#), wait).await),
        Some(400)
    );
    assert_eq!(
        status(client.send(&post(r#"{"channel": "ch-1"}"#), wait).await),
        Some(404)
    );
    assert_eq!(on_ch1.to_string(), "POST with channel ~ /(^|/)ch-1$/");
}

#[test]
fn path_contains_matches_anywhere_in_the_path_but_not_in_the_query() {
    let request = |path: &str, query: Option<&str>| RecordedRequest {
        seq: 1,
        method: "POST".into(),
        path: path.into(),
        query: query.map(str::to_string),
        headers: vec![],
        body: vec![],
        json: None,
        at: Instant::now(),
        tls: None,
    };
    let about = RequestMatch {
        path_contains: Some("/connections/u-1".into()),
        ..RequestMatch::default()
    };
    assert!(about.matches(&request("/p/connections/u-1/features", None)));
    assert!(about.matches(&request("/p/connections/u-1", None)));
    assert!(!about.matches(&request(
        "/p/connections/u-2/features",
        Some("x=/connections/u-1")
    )));
    assert_eq!(
        about.to_string(),
        "any request whose path contains /connections/u-1"
    );
}

#[test]
fn a_method_list_matches_any_of_its_methods() {
    let request = |method: &str| RecordedRequest {
        seq: 1,
        method: method.into(),
        path: "/p".into(),
        query: None,
        headers: vec![],
        body: vec![],
        json: None,
        at: Instant::now(),
        tls: None,
    };
    let writes = RequestMatch {
        method: Some("post|DELETE".into()),
        ..RequestMatch::default()
    };
    assert!(writes.matches(&request("POST")));
    assert!(writes.matches(&request("DELETE")));
    assert!(!writes.matches(&request("GET")));
    assert!(!writes.matches(&request("POSTDELETE")));
}

#[test]
fn path_excludes_leaves_out_paths_that_contain_it() {
    let request = |path: &str| RecordedRequest {
        seq: 1,
        method: "POST".into(),
        path: path.into(),
        query: None,
        headers: vec![],
        body: vec![],
        json: None,
        at: Instant::now(),
        tls: None,
    };
    let proposals = RequestMatch {
        method: Some("POST".into()),
        path_excludes: Some("/NotifyConnectionStatus".into()),
        ..RequestMatch::default()
    };
    assert!(proposals.matches(&request("/p/connections/u-1/features")));
    assert!(!proposals.matches(&request("/p/connections/u-1/NotifyConnectionStatus")));
    assert_eq!(
        proposals.to_string(),
        "POST whose path lacks /NotifyConnectionStatus"
    );
}
