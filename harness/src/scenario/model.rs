//! Scenario files as written (YAML) and as run (validated).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use crate::profile::Profile;

/// A scenario as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Unique id.
    pub id: Spanned<String>,
    /// One-line title.
    pub title: String,
    /// Protocol name.
    pub protocol: Spanned<String>,
    /// The IUT's role.
    pub role: Spanned<String>,
    /// Requirement ids covered.
    pub requirements: Vec<Spanned<String>>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Decisions and caveats, for people.
    pub notes: Option<String>,
    /// Values of the protocol's variant axis the scenario applies to (default: all).
    pub variants: Option<Vec<Spanned<String>>>,
    /// The steps.
    pub steps: Vec<Spanned<StepFile>>,
}

/// A step as written: exactly one action field, plus `expect`, `save` and options.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// Name shown in reports (defaults to the action).
    pub name: Option<String>,
    /// Call a binding operation.
    pub call: Option<String>,
    /// Arguments of `call` (templates), visible as `arg.*`.
    pub with: Option<Map<String, Value>>,
    /// Credential override: `none`, `harness`, a credential the protocol names, or
    /// `{header, value}`.
    pub auth: Option<Value>,
    /// Raw HTTP.
    pub http: Option<HttpFile>,
    /// Tell a mock peer how to answer next.
    pub peer_answer: Option<PeerAnswerFile>,
    /// Wait for the next request at a mock peer.
    pub await_request: Option<AwaitFile>,
    /// Assert a mock peer receives nothing for a while.
    pub no_requests: Option<NoRequestsFile>,
    /// Take every request until the IUT falls quiet.
    pub drain_requests: Option<DrainFile>,
    /// Repeat a call until (or while) an expectation holds.
    pub poll: Option<PollFile>,
    /// Advance the IUT's clock by this many seconds (template).
    pub advance_clock: Option<Value>,
    /// Set variables (templates).
    #[serde(rename = "let")]
    pub let_vars: Option<Map<String, Value>>,
    /// Evaluate a template and check the value with `expect`.
    pub check: Option<Value>,
    /// Run `steps` once per item of this list (template).
    pub for_each: Option<Value>,
    /// The loop variable of `for_each`.
    #[serde(rename = "as")]
    pub as_var: Option<String>,
    /// Nested steps of `for_each`.
    pub steps: Option<Vec<Spanned<StepFile>>>,
    /// Expectations on the answer, request or value.
    pub expect: Option<Value>,
    /// Variables to save: name → `$.json.path`, `out.NAME`, `status`, `header.NAME`, or
    /// (await_request) `received_at`, seconds on the mock peer's clock.
    pub save: Option<BTreeMap<String, String>>,
    /// Per-step timeout.
    pub timeout_seconds: Option<f64>,
    /// The requirement this step checks, when narrower than the scenario's list.
    pub requirement: Option<String>,
}

/// Raw HTTP as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    /// Method.
    pub method: String,
    /// Base URL name: one the protocol declares for the role, or `test`.
    pub base: String,
    /// Path template.
    pub path: String,
    /// Header templates.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body template.
    pub json: Option<Value>,
    /// Raw body template (sent as is).
    pub raw: Option<String>,
}

/// Mock-peer answers as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PeerAnswerFile {
    /// Which mock peer (default: the only one).
    pub peer: Option<String>,
    /// Answers for the next requests, in order.
    pub answers: Vec<AnswerFile>,
}

/// One scripted answer as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnswerFile {
    /// A canned answer by name.
    pub preset: Option<String>,
    /// Status code.
    pub status: Option<u16>,
    /// JSON body.
    pub json: Option<Value>,
    /// Raw body.
    pub raw: Option<String>,
    /// Content type (default application/json).
    pub content_type: Option<String>,
    /// Other headers (templates), e.g. Retry-After.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Delay before answering.
    pub delay_seconds: Option<f64>,
    /// Use this answer for this many requests.
    pub times: Option<u32>,
}

/// `await_request` as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwaitFile {
    /// Which mock peer.
    pub peer: Option<String>,
    /// How long to wait (template; default the step timeout).
    pub within_seconds: Option<Value>,
}

/// `no_requests` as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NoRequestsFile {
    /// Which mock peer.
    pub peer: Option<String>,
    /// How long to listen (template; default the target's silence).
    pub for_seconds: Option<Value>,
}

/// `drain_requests` as written: take requests until none arrives for `quiet_seconds`;
/// fail if that has not happened within `within_seconds`. Saves `count`, `arrivals`
/// (seconds on the mock peer's clock) and `bodies`.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrainFile {
    /// Which mock peer.
    pub peer: Option<String>,
    /// The quiet spell that ends the drain (template).
    pub quiet_seconds: Value,
    /// The longest the drain may take (template).
    pub within_seconds: Value,
}

/// `poll` as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PollFile {
    /// Operation to call.
    pub call: String,
    /// Its arguments.
    pub with: Option<Map<String, Value>>,
    /// Pass as soon as this holds.
    pub until: Option<Value>,
    /// Fail as soon as this does not hold.
    pub always: Option<Value>,
    /// For how long (template; default the step timeout for `until`, the silence for `always`).
    pub for_seconds: Option<Value>,
    /// Pause between calls (default 0.1 s).
    pub every_seconds: Option<f64>,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Unique id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The protocol.
    pub profile: &'static dyn Profile,
    /// The IUT's role.
    pub role: String,
    /// Requirement ids.
    pub requirements: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The variants it runs in (`[None]` when the protocol has no variant axis).
    pub variants: Vec<Option<&'static str>>,
    /// Steps.
    pub steps: Vec<Step>,
    /// Where it was defined: `file:line`.
    pub source: String,
}

/// A validated step.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based position, nested as `4.2`.
    pub number: String,
    /// Source line.
    pub line: u64,
    /// Name for reports.
    pub name: String,
    /// What it does.
    pub action: Action,
    /// Expectations (unrendered).
    pub expect: Option<Value>,
    /// Variables to save.
    pub save: BTreeMap<String, String>,
    /// Step timeout override.
    pub timeout: Option<Duration>,
    /// The requirement this step checks, if narrower than the scenario's.
    pub requirement: Option<String>,
}

impl Step {
    /// `step 3 "name" (line 27)` for messages.
    pub fn label(&self) -> String {
        format!(
            "step {} \"{}\" (line {})",
            self.number, self.name, self.line
        )
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Call a binding operation.
    Call {
        /// Operation name.
        operation: String,
        /// Argument templates.
        with: Map<String, Value>,
        /// Credential override.
        auth: Option<Value>,
    },
    /// Raw HTTP.
    Http {
        /// The request.
        http: HttpFile,
        /// Credential override.
        auth: Option<Value>,
    },
    /// Script a mock peer.
    PeerAnswer(PeerAnswerFile),
    /// Await a request.
    AwaitRequest(AwaitFile),
    /// Assert silence.
    NoRequests(NoRequestsFile),
    /// Take requests until quiet.
    DrainRequests(DrainFile),
    /// Poll.
    Poll(PollFile),
    /// Advance the clock.
    AdvanceClock(Value),
    /// Set variables.
    Let(Map<String, Value>),
    /// Check a value.
    Check(Value),
    /// Loop.
    ForEach {
        /// The list template.
        items: Value,
        /// Loop variable.
        var: String,
        /// Body.
        steps: Vec<Step>,
    },
}
