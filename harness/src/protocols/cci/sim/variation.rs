//! CCI's own legal variations besides the target shapes: behaviour PROTOCOLS.md §1
//! allows that the reference simulators do not show.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

/// The largest error body the variation rewrites.
const ERROR_BODY_CAP: usize = 1 << 20;

/// A legal way a CCI simulator may answer differently from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variation {
    /// Errors carry `{"status", "code", "message"}` instead of `{"error"}`.
    OtherErrorBodies,
}

impl Variation {
    /// Every CCI variation: name and description (each applies to both roles).
    pub const ALL: &'static [(Variation, &'static str, &'static str)] = &[(
        Variation::OtherErrorBodies,
        "other-error-bodies",
        "error answers carry {status, code, message} with other wording instead of {error}",
    )];

    /// The variations among the switched-on `names`.
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Variation> {
        let names: Vec<&str> = names.into_iter().collect();
        Self::ALL
            .iter()
            .filter(|(_, name, _)| names.contains(name))
            .map(|(v, _, _)| *v)
            .collect()
    }
}

/// `app` with `variations` applied to its answers.
pub fn apply(app: Router, variations: &[Variation]) -> Router {
    if !variations.contains(&Variation::OtherErrorBodies) {
        return app;
    }
    app.layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| async move {
            reworded(next.run(request).await).await
        },
    ))
}

/// An error answer `{"error": text}` as `{"status", "code", "message"}`; any other
/// answer unchanged.
async fn reworded(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_CAP).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "answer too large").into_response();
    };
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let Some(text) = map.get("error").and_then(Value::as_str) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let code = status
        .canonical_reason()
        .unwrap_or("ERROR")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_");
    let body = json!({
        "status": status.as_u16(),
        "code": code,
        "message": format!("The request was refused. Reason: {text}."),
    });
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn error_answers_are_reworded_and_others_are_not() {
        let error = (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "not yours"})),
        )
            .into_response();
        let body = axum::body::to_bytes(reworded(error).await.into_body(), 1024)
            .await
            .expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["status"], 403);
        assert_eq!(v["code"], "FORBIDDEN");
        assert!(v.get("error").is_none());
        assert!(v["message"]
            .as_str()
            .is_some_and(|m| m.contains("not yours")));
        let fine = (StatusCode::OK, axum::Json(json!({"error": "not an error"}))).into_response();
        let body = axum::body::to_bytes(reworded(fine).await.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&body[..], br#"{"error":"not an error"}"#);
        assert_eq!(
            Variation::named(["other-error-bodies", "x"]),
            [Variation::OtherErrorBodies]
        );
    }
}
