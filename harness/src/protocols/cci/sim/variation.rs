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
    /// Lifecycle resource names carry a leading `/` (V-05).
    LeadingSlashNames,
    /// CreateConnection answers 200 instead of 201 (V-03).
    Create200,
    /// A path naming a provider the server does not know gets 404, not 403 (V-13).
    UnknownCaller404,
    /// List pages come out shorter than pageSize, and still carry a token (V-19).
    ShortPages,
    /// A proposal that breaks the guidance gets 409 instead of 400 (V-06).
    Guidance409,
    /// Default values are left out: `deferProvisioning: false`, empty lists (V-04).
    OmitsDefaults,
    /// An identical repeated CreateFeature gets 200 with the stored feature, and a
    /// repeated delete 200 (V-10).
    RepeatTolerant,
    /// The negotiator proposes every feature at once (V-01).
    FeaturesAtOnce,
    /// The negotiator reads the peer's environment and interconnect before each step
    /// (V-18).
    ExtraReads,
    /// The negotiator picks another allowed subnet and VLAN than the first (V-08).
    OtherValues,
    /// The negotiator sends its notification twice (V-02).
    NotifiesTwice,
    /// After a 400 the negotiator tries the channel once more with other values
    /// (CCI-L-35 forbids only resending the same body).
    RetriesAfter400,
    /// The negotiator asks for guidance again with `channelId` and `featureType` query
    /// parameters (V-07; I-5).
    GuidanceQuery,
    /// A customer delete sends DeleteFeature for each feature before the
    /// DeleteConnection (V-12).
    DeletesFeaturesFirst,
    /// A well-formed, offered, fitting UpdateConnection from the peer that changes the
    /// bandwidth is refused with 422 (quota), as V-11 allows for any reason.
    RefusesUpdates,
    /// The negotiator goes live with 3 of 4 features and proposes the fourth once its
    /// notification is acknowledged (V-09).
    FourthLater,
}

impl Variation {
    /// Every CCI variation: name and description (each applies to both roles).
    pub const ALL: &'static [(Variation, &'static str, &'static str)] = &[
        (
            Variation::OtherErrorBodies,
            "other-error-bodies",
            "error answers carry {status, code, message} with other wording instead of {error}",
        ),
        (
            Variation::LeadingSlashNames,
            "lc-leading-slash-names",
            "lifecycle resource names start with / (/providers/...), which the spec allows (V-05)",
        ),
        (
            Variation::Create200,
            "lc-create-200",
            "CreateConnection answers 200 instead of 201 (V-03: any 2xx is success)",
        ),
        (
            Variation::UnknownCaller404,
            "lc-unknown-caller-404",
            "a lifecycle path naming a provider the server does not know gets 404 instead of 403 (V-13)",
        ),
        (
            Variation::ShortPages,
            "lc-short-pages",
            "asked for a pageSize, a list answers an empty first page with a nextPageToken (V-19: a page shorter than pageSize that still carries a token)",
        ),
        (
            Variation::Guidance409,
            "lc-guidance-409",
            "a CreateFeature that breaks the guidance gets 409 instead of 400 (V-06, I-6: a warning at most)",
        ),
        (
            Variation::OmitsDefaults,
            "lc-omits-defaults",
            "lifecycle answers leave out default values, as proto3 JSON does: deferProvisioning false and empty lists (V-04)",
        ),
        (
            Variation::RepeatTolerant,
            "lc-repeat-tolerant",
            "an identical repeated CreateFeature gets 200 with the stored feature, and a repeated DeleteConnection 200 (V-10)",
        ),
        (
            Variation::FeaturesAtOnce,
            "lc-features-at-once",
            "the negotiator sends its proposals for every channel at once, not one after another (V-01)",
        ),
        (
            Variation::ExtraReads,
            "lc-extra-reads",
            "the negotiator reads the peer's environment and interconnect again before each step (V-18)",
        ),
        (
            Variation::OtherValues,
            "lc-other-values",
            "the negotiator ignores preferredSubnet and takes another allowed subnet and VLAN (V-08)",
        ),
        (
            Variation::NotifiesTwice,
            "lc-notifies-twice",
            "the negotiator sends its NotifyConnectionStatus twice (V-02: extra notifications)",
        ),
        (
            Variation::RetriesAfter400,
            "lc-retries-after-400",
            "after a 400 the negotiator proposes on that channel once more, with other values (CCI-L-35 forbids only the same body)",
        ),
        (
            Variation::GuidanceQuery,
            "lc-guidance-query",
            "the negotiator asks for guidance again with channelId and featureType query parameters (V-07)",
        ),
        (
            Variation::DeletesFeaturesFirst,
            "lc-deletes-features-first",
            "on a customer delete the negotiator sends DeleteFeature for each feature before its DeleteConnection (V-12)",
        ),
        (
            Variation::RefusesUpdates,
            "lc-refuses-updates",
            "a well-formed, offered, fitting UpdateConnection from the peer that changes the bandwidth gets 422 (quota): an update may be refused for any reason (V-11)",
        ),
        (
            Variation::FourthLater,
            "lc-fourth-later",
            "the negotiator proposes on 3 of 4 channels, goes live, and proposes on the fourth once its notification is acknowledged (V-09)",
        ),
    ];

    /// The role whose simulator shows it (`None`: both).
    pub fn role(self) -> Option<&'static str> {
        match self {
            Variation::OtherErrorBodies | Variation::RefusesUpdates => None,
            Variation::LeadingSlashNames
            | Variation::Create200
            | Variation::UnknownCaller404
            | Variation::ShortPages
            | Variation::Guidance409
            | Variation::OmitsDefaults
            | Variation::RepeatTolerant => Some("csp-a"),
            Variation::FeaturesAtOnce
            | Variation::ExtraReads
            | Variation::OtherValues
            | Variation::NotifiesTwice
            | Variation::RetriesAfter400
            | Variation::GuidanceQuery
            | Variation::DeletesFeaturesFirst
            | Variation::FourthLater => Some("csp-b"),
        }
    }

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
