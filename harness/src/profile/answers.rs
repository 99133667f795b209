//! What a protocol tells the answer fuzzer (`crosscheck fuzz --answers`): the valid
//! answer its mock peer gives an IUT that calls the harness, how the protocol decides
//! whether an answer is one the IUT may act on, and the scenario that checks what the
//! IUT does with an answer.

use std::time::Duration;

use serde_json::Value;

/// One answer of the mock peer, as the fuzzer varies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerCase {
    /// Status code; [`AnswerCase::CLOSED`]: the connection is closed without an answer.
    pub status: u16,
    /// Content type (an empty one is sent as an empty header).
    pub content_type: String,
    /// Other headers, e.g. `retry-after`.
    pub headers: Vec<(String, String)>,
    /// Body text, sent as is.
    pub body: String,
    /// How long the mock peer waits before answering.
    pub delay: Duration,
}

impl AnswerCase {
    /// The status of "no answer: the connection is closed".
    pub const CLOSED: u16 = crate::peers::PeerReply::CLOSED;

    /// A JSON answer, at once.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    /// The body as JSON, when it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// How long the IUT waits for the mock peer, and how long the harness watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTiming {
    /// The IUT's own timeout for the mock peer (target `iut_peer_timeout_seconds`).
    pub peer_timeout: Duration,
    /// How long "nothing happens" is watched for (target `silence_seconds`).
    pub silence: Duration,
}

/// One generated scenario the protocol writes.
#[derive(Debug, Clone)]
pub struct AnswerScenario<'a> {
    /// The scenario's id.
    pub id: &'a str,
    /// A one-line description of the answer, for the title.
    pub label: &'a str,
    /// The answer.
    pub answer: &'a AnswerCase,
    /// The answer as a `peer_answer` answer in YAML flow style (one line).
    pub answer_yaml: &'a str,
    /// `true` for the positive control (the valid answer), which the IUT must act on.
    pub control: bool,
    /// The target's timing.
    pub timing: AnswerTiming,
}

/// A protocol's side of the answer fuzzer, for one role whose IUT calls the harness.
pub trait AnswerOracle: Send + Sync + std::fmt::Debug {
    /// The valid answer of the positive flow: status and JSON body.
    fn valid(&self) -> (u16, Value);

    /// The path (object keys) of the field the IUT decides on.
    fn decisive(&self) -> &'static [&'static str];

    /// The protocol's decision function: whether the IUT may act on `answer` as the
    /// valid answer's kind of outcome. The fuzzer only sends answers for which this is
    /// `false`, so a scenario that fails is always a bug of the IUT.
    fn acts_on(&self, answer: &AnswerCase, timing: &AnswerTiming) -> bool;

    /// The scenario (YAML) that scripts the answer and checks what the IUT does: the
    /// positive flow, then (unless `control`) the checks that the IUT did not act on
    /// the answer.
    fn scenario(&self, case: &AnswerScenario<'_>) -> String;
}
