//! Serving an axum app on a socket for as long as a handle lives.

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;

/// An app serving on a socket; dropping the handle stops it.
#[derive(Debug)]
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether it speaks HTTPS.
    pub https: bool,
    task: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Served {
    /// `http://ADDR`, or `https://ADDR` when it speaks HTTPS.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// Binds `listen` (port 0 for an ephemeral port) and serves `app` there; `what` names
/// the server in the log line if it stops. Inside a TLS scope ([`crate::tls::scoped`])
/// it serves HTTPS, with a certificate for the address it bound, and each request
/// carries what its handshake settled.
pub async fn serve(app: Router, listen: SocketAddr, what: &'static str) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = match crate::tls::current() {
        None => tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(server = what, error = %e, "server stopped");
            }
        }),
        Some(tls) => {
            let config = tls.config_for(addr).map_err(std::io::Error::other)?;
            let listener = crate::tls::TlsListener::new(listener, config)?;
            let app = app.into_make_service_with_connect_info::<crate::tls::Negotiated>();
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::warn!(server = what, error = %e, "server stopped");
                }
            })
        }
    };
    Ok(Served {
        addr,
        https: crate::tls::current().is_some(),
        task,
    })
}

/// A legal way of answering that the reference simulators do not use by default: the
/// suite must pass against it as against the plain simulator. Any simulator's router
/// can be varied this way, whatever its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnswerVariation {
    /// Every JSON object answer carries a field nobody asked for.
    ExtraFields,
    /// Every answer says `Connection: close`.
    ConnectionClose,
    /// Every answer comes 150 ms late.
    SlowAnswers,
    /// Every answer body is sent in chunks (`Transfer-Encoding: chunked`, no
    /// `Content-Length`).
    ChunkedBodies,
    /// Every JSON object answer lists its fields in reverse order, at every depth.
    ReorderedFields,
}

impl AnswerVariation {
    /// Every variation.
    pub const ALL: [AnswerVariation; 5] = [
        AnswerVariation::ExtraFields,
        AnswerVariation::ConnectionClose,
        AnswerVariation::SlowAnswers,
        AnswerVariation::ChunkedBodies,
        AnswerVariation::ReorderedFields,
    ];

    /// Its name, as faults have names.
    pub fn name(self) -> &'static str {
        match self {
            AnswerVariation::ExtraFields => "extra-fields",
            AnswerVariation::ConnectionClose => "connection-close",
            AnswerVariation::SlowAnswers => "slow-answers",
            AnswerVariation::ChunkedBodies => "chunked-bodies",
            AnswerVariation::ReorderedFields => "reordered-fields",
        }
    }

    /// What it does.
    pub fn description(self) -> &'static str {
        match self {
            AnswerVariation::ExtraFields => {
                "adds a field nobody asked for to every JSON object it answers"
            }
            AnswerVariation::ConnectionClose => "answers everything with Connection: close",
            AnswerVariation::SlowAnswers => "answers everything 150 ms late",
            AnswerVariation::ChunkedBodies => {
                "sends every answer body in two chunks, without Content-Length"
            }
            AnswerVariation::ReorderedFields => {
                "lists the fields of every JSON object it answers in reverse order"
            }
        }
    }

    /// The variations named in `names` (other names are ignored).
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<AnswerVariation> {
        let names: Vec<&str> = names.into_iter().collect();
        Self::ALL
            .into_iter()
            .filter(|v| names.contains(&v.name()))
            .collect()
    }
}

/// The largest answer body a variation rewrites.
const VARIED_BODY_CAP: usize = 8 * 1024 * 1024;

/// `app` answering with `variations` applied to every answer.
pub fn vary(app: Router, variations: &[AnswerVariation]) -> Router {
    if variations.is_empty() {
        return app;
    }
    let variations: std::sync::Arc<[AnswerVariation]> = variations.into();
    app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let variations = variations.clone();
            async move { varied(&variations, next.run(request).await).await }
        },
    ))
}

async fn varied(
    variations: &[AnswerVariation],
    response: axum::response::Response,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse as _;
    if variations.contains(&AnswerVariation::SlowAnswers) {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    let (mut parts, body) = response.into_parts();
    if variations.contains(&AnswerVariation::ConnectionClose) {
        parts.headers.insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let rewrites_json = is_json
        && (variations.contains(&AnswerVariation::ExtraFields)
            || variations.contains(&AnswerVariation::ReorderedFields));
    let chunked = variations.contains(&AnswerVariation::ChunkedBodies);
    if !(rewrites_json || chunked) {
        return axum::response::Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, VARIED_BODY_CAP).await else {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "answer too large",
        )
            .into_response();
    };
    let bytes = if rewrites_json {
        rewrite_json(variations, bytes)
    } else {
        bytes
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if chunked && !bytes.is_empty() {
        let half = bytes.len() / 2;
        let chunks =
            [bytes.slice(..half), bytes.slice(half..)].map(Ok::<_, std::convert::Infallible>);
        axum::body::Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        axum::body::Body::from(bytes)
    };
    axum::response::Response::from_parts(parts, body)
}

/// A JSON answer with a field added and/or its fields reversed, as `variations` say;
/// anything that is not a JSON object passes unchanged.
fn rewrite_json(variations: &[AnswerVariation], bytes: axum::body::Bytes) -> axum::body::Bytes {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(&bytes) else {
        return bytes;
    };
    if variations.contains(&AnswerVariation::ExtraFields) {
        map.insert(
            "crosscheckVariation".into(),
            serde_json::Value::from("a field nobody asked for"),
        );
    }
    let mut value = serde_json::Value::Object(map);
    if variations.contains(&AnswerVariation::ReorderedFields) {
        value = reversed(value);
    }
    value.to_string().into_bytes().into()
}

/// `value` with the fields of every object in reverse order.
fn reversed(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut fields: Vec<(String, Value)> = map.into_iter().collect();
            fields.reverse();
            Value::Object(fields.into_iter().map(|(k, v)| (k, reversed(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(reversed).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpClient, HttpRequest, HttpResponse};
    use axum::routing::get;

    /// What a GET of `/` answers when an app serving `json` there is varied.
    async fn varied_answer(
        json: serde_json::Value,
        variations: &[AnswerVariation],
    ) -> HttpResponse {
        let app = Router::new().route("/", get(move || async move { axum::Json(json) }));
        let served = serve(
            vary(app, variations),
            "127.0.0.1:0".parse().expect("address"),
            "test",
        )
        .await
        .expect("serves");
        let request = HttpRequest {
            method: "GET".into(),
            url: served.url(),
            headers: vec![],
            body: None,
        };
        HttpClient::new()
            .expect("client")
            .send(&request, std::time::Duration::from_secs(2))
            .await
            .expect("answers")
    }

    fn header(answer: &HttpResponse, name: &str) -> Option<String> {
        answer
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    #[tokio::test]
    async fn a_varied_app_adds_a_field_and_closes_the_connection() {
        let answer = varied_answer(
            serde_json::json!({"a": 1}),
            &[
                AnswerVariation::ExtraFields,
                AnswerVariation::ConnectionClose,
            ],
        )
        .await;
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
        assert_eq!(body["a"], 1);
        assert!(body["crosscheckVariation"].is_string());
        assert_eq!(header(&answer, "connection").as_deref(), Some("close"));
        assert_eq!(
            AnswerVariation::named(["slow-answers", "a-fault"]),
            [AnswerVariation::SlowAnswers]
        );
    }

    #[tokio::test]
    async fn a_varied_app_chunks_its_bodies_and_reverses_its_fields() {
        let answer = varied_answer(
            serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}}),
            &[
                AnswerVariation::ChunkedBodies,
                AnswerVariation::ReorderedFields,
            ],
        )
        .await;
        assert_eq!(
            String::from_utf8_lossy(&answer.body),
            r#"{"b":{"d":3,"c":2},"a":1}"#
        );
        assert_eq!(
            header(&answer, "transfer-encoding").as_deref(),
            Some("chunked")
        );
        assert_eq!(header(&answer, "content-length"), None);
    }
}
