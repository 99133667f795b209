//! Scenario files as written (YAML) and as run (validated).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;

use super::expect::Expect;
use super::template::{Text, Tree};
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
    /// What the scenario needs of the target (names the protocol defines); on a
    /// target that lacks one, it is skipped with the reason.
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
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
    /// Send several calls at once and judge them together.
    pub parallel: Option<ParallelFile>,
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
    /// Stop the run here as skipped, with this reason (template); needs `when`.
    pub skip: Option<String>,
    /// Run the step only when this template is true (it must be true or false).
    pub when: Option<Value>,
    /// Expectations on the answer, request or value: one map, or a list of maps each
    /// of which may name the `requirement` it checks.
    pub expect: Option<Value>,
    /// Variables to save: name → `$.json.path`, `out.NAME`, `status`, `header.NAME`, or
    /// (await_request) `received_at`, seconds on the mock peer's clock, or `request_path`,
    /// the path the request was sent to.
    pub save: Option<BTreeMap<String, String>>,
    /// Per-step timeout.
    pub timeout_seconds: Option<f64>,
    /// The requirement this step checks, when narrower than the scenario's list.
    pub requirement: Option<String>,
    /// Why no fault or mutant of the self-test can make this step's checks fail (a
    /// second silence after one a fault already breaks, say): the self-test lists its
    /// unproven negative checks as excused with this reason instead of failing.
    pub unproven: Option<String>,
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
    /// Only requests like this take the answers (others pass them by).
    pub matching: Option<MatchingFile>,
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
    /// Close the connection instead of answering (after the delay, if any).
    #[serde(default)]
    pub close: bool,
    /// Let the peer's default behaviour handle the request (store a create), then close
    /// the connection instead of answering.
    #[serde(default)]
    pub close_after_storing: bool,
}

/// Which requests at a mock peer a step is about, as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatchingFile {
    /// The HTTP method.
    pub method: Option<String>,
    /// How the path ends (template).
    pub path_ends_with: Option<String>,
    /// What the path contains (template).
    pub path_contains: Option<String>,
    /// What the path must not contain (template).
    pub path_excludes: Option<String>,
    /// Top-level string fields of the JSON body and the pattern (a regex template)
    /// each must match.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// `await_request` as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwaitFile {
    /// Which mock peer.
    pub peer: Option<String>,
    /// Wait for the next request like this, passing others by.
    pub matching: Option<MatchingFile>,
    /// How long to wait (template; default the step timeout).
    pub within_seconds: Option<Value>,
}

/// `no_requests` as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NoRequestsFile {
    /// Which mock peer.
    pub peer: Option<String>,
    /// Forbid only requests like this.
    pub matching: Option<MatchingFile>,
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

/// `parallel` as written: the calls sent at once, and the variable their answers go to.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParallelFile {
    /// The calls, at least two.
    pub calls: Vec<ParallelCallFile>,
    /// The variable that gets the answers, in the order of `calls`: each
    /// `{status, ok, json, out}` (`ok`: a 2xx; `out`: the binding's outputs found).
    pub into: Option<String>,
}

/// One call of a `parallel` step as written.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParallelCallFile {
    /// Operation to call.
    pub call: String,
    /// Its arguments.
    pub with: Option<Map<String, Value>>,
    /// Credential override, as a step's `auth`.
    pub auth: Option<Value>,
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
    /// What it needs of the target (names from the protocol's needs).
    pub needs: Vec<&'static str>,
    /// Steps.
    pub steps: Vec<Step>,
    /// Where it was defined: `file:line`.
    pub source: String,
}

/// A scenario text that does not compile (bad expectation, bad value, unknown name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

impl Scenario {
    /// The optional features it needs: its `needs`, and the test clock when a step
    /// advances the clock.
    pub fn features(&self) -> Vec<&'static str> {
        fn advances(steps: &[Step]) -> bool {
            steps.iter().any(|s| match &s.action {
                Action::AdvanceClock(_) => true,
                Action::ForEach(each) => advances(&each.steps),
                _ => false,
            })
        }
        let clock = advances(&self.steps).then_some(crate::profile::capabilities::TEST_CLOCK.name);
        clock
            .into_iter()
            .chain(self.needs.iter().copied())
            .collect()
    }
}

impl From<String> for CompileError {
    fn from(message: String) -> Self {
        CompileError(message)
    }
}

impl From<&str> for CompileError {
    fn from(message: &str) -> Self {
        CompileError(message.to_string())
    }
}

/// A compiled step.
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
    /// Expectations, compiled (templated parts are rendered and compiled at run time),
    /// in the order they are checked; the first that does not hold fails the step.
    pub expect: Vec<ExpectGroup>,
    /// Variables to save, in name order.
    pub save: Vec<Save>,
    /// Step timeout override.
    pub timeout: Option<Duration>,
    /// The requirement this step checks, if narrower than the scenario's.
    pub requirement: Option<String>,
    /// Run only when this (a template, or `true`/`false`) is true.
    pub when: Option<Tree>,
    /// Why the self-test cannot prove this step's negative checks, if it cannot.
    pub unproven: Option<String>,
}

/// Expectations charged, when they do not hold, to one requirement.
#[derive(Debug, Clone)]
pub struct ExpectGroup {
    /// The requirement they check (the step's when the group names none).
    pub requirement: Option<String>,
    /// What must hold.
    pub expect: Expect,
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

/// One variable a step saves.
#[derive(Debug, Clone)]
pub struct Save {
    /// The variable.
    pub name: String,
    /// Where its value comes from, as written.
    pub source: String,
    /// Where its value comes from, compiled.
    pub from: SaveFrom,
    /// Written with a trailing `?`: a missing value saves `null` instead of failing the
    /// step (for steps whose answer may legally carry it or not).
    pub optional: bool,
}

/// Where a saved value comes from.
#[derive(Debug, Clone)]
pub enum SaveFrom {
    /// The status of the answer.
    Status,
    /// A header of the answer or request.
    Header(String),
    /// A JSON path into the body (or the checked value).
    Path(JsonPath),
    /// A binding output (`out.NAME`), looked up in the target's binding at run time.
    Output(String),
    /// When an awaited request arrived, in seconds on the mock peer's clock.
    ReceivedAt,
    /// The path an awaited request was sent to (without its query).
    RequestPath,
    /// A field of a drain's summary: `count`, `arrivals` or `bodies`.
    Summary(String),
}

/// A credential override of `call` or `http`.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `none`, `harness`, or a credential the protocol names.
    Named(String),
    /// `{header, value}` (templates).
    Custom(Tree),
}

/// A binding operation call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Operation name.
    pub operation: String,
    /// Arguments (a map, templates).
    pub with: Tree,
    /// Credential override.
    pub auth: Option<Auth>,
}

/// The body of raw HTTP.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    None,
    /// A JSON body (templates).
    Json(Tree),
    /// A raw body (template).
    Raw(Text),
}

/// Raw HTTP.
#[derive(Debug, Clone)]
pub struct Http {
    /// Method, upper case.
    pub method: String,
    /// Base URL name.
    pub base: String,
    /// Path (template).
    pub path: Text,
    /// Headers (values are templates), in name order.
    pub headers: Vec<(String, Text)>,
    /// Body.
    pub body: Body,
    /// Credential override.
    pub auth: Option<Auth>,
}

/// One scripted answer of a mock peer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// A canned answer by name (template).
    pub preset: Option<Text>,
    /// Status code.
    pub status: Option<u16>,
    /// Body.
    pub body: Body,
    /// Content type.
    pub content_type: Option<String>,
    /// Other headers (templates).
    pub headers: Vec<(String, Text)>,
    /// Delay before answering.
    pub delay: Duration,
    /// For how many requests.
    pub times: u32,
    /// Close the connection instead of answering.
    pub close: bool,
    /// Handle the request by default, then close instead of answering.
    pub close_after_storing: bool,
}

/// Which requests at a mock peer a step is about (compiled; the path a template).
#[derive(Debug, Clone, Default)]
pub struct Matching {
    /// The HTTP method.
    pub method: Option<String>,
    /// How the path ends.
    pub path_ends_with: Option<Text>,
    /// What the path contains.
    pub path_contains: Option<Text>,
    /// What the path must not contain.
    pub path_excludes: Option<Text>,
    /// Top-level string fields of the JSON body and the pattern each must match.
    pub fields: Vec<(String, Text)>,
}

/// Script a mock peer.
#[derive(Debug, Clone)]
pub struct PeerAnswer {
    /// Which mock peer.
    pub peer: Option<String>,
    /// Only requests like this take the answers.
    pub matching: Matching,
    /// Answers, in order.
    pub answers: Vec<Answer>,
}

/// Wait for a request at a mock peer.
#[derive(Debug, Clone)]
pub struct AwaitRequest {
    /// Which mock peer.
    pub peer: Option<String>,
    /// The request awaited (others are passed by).
    pub matching: Matching,
    /// How long (seconds, template; default the step timeout).
    pub within: Option<Tree>,
}

/// Assert a mock peer receives nothing.
#[derive(Debug, Clone)]
pub struct NoRequests {
    /// Which mock peer.
    pub peer: Option<String>,
    /// The requests forbidden.
    pub matching: Matching,
    /// How long (seconds, template; default the target's silence).
    pub for_seconds: Option<Tree>,
}

/// Take requests until the IUT falls quiet.
#[derive(Debug, Clone)]
pub struct Drain {
    /// Which mock peer.
    pub peer: Option<String>,
    /// The quiet spell (seconds, template).
    pub quiet: Tree,
    /// The longest the drain may take (seconds, template).
    pub within: Tree,
}

/// Repeat a call until (or while) an expectation holds.
#[derive(Debug, Clone)]
pub struct Poll {
    /// Operation.
    pub call: String,
    /// Its arguments (templates).
    pub with: Tree,
    /// The condition, compiled.
    pub condition: Expect,
    /// `until` (pass once it holds) rather than `always` (fail once it does not).
    pub until: bool,
    /// For how long (seconds, template).
    pub for_seconds: Option<Tree>,
    /// Pause between calls.
    pub every: Duration,
}

/// Several calls sent at once: each answer is checked against the step's
/// expectations, and all of them are saved together for later checks.
#[derive(Debug, Clone)]
pub struct Parallel {
    /// The calls, in the order their answers are saved.
    pub calls: Vec<Call>,
    /// The variable that gets the answers.
    pub into: Option<String>,
}

/// Run steps once per item of a list.
#[derive(Debug, Clone)]
pub struct ForEach {
    /// The list (template).
    pub items: Tree,
    /// Loop variable.
    pub var: String,
    /// Body.
    pub steps: Vec<Step>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Call a binding operation.
    Call(Call),
    /// Raw HTTP.
    Http(Http),
    /// Script a mock peer.
    PeerAnswer(PeerAnswer),
    /// Await a request.
    AwaitRequest(AwaitRequest),
    /// Assert silence.
    NoRequests(NoRequests),
    /// Take requests until quiet.
    DrainRequests(Drain),
    /// Poll (boxed: it holds a whole expectation).
    Poll(Box<Poll>),
    /// Several calls at once.
    Parallel(Parallel),
    /// Advance the clock by this many seconds (template).
    AdvanceClock(Tree),
    /// Set variables, in order (templates).
    Let(Vec<(String, Tree)>),
    /// Check a value (template) with the step's expect.
    Check(Tree),
    /// Loop.
    ForEach(ForEach),
    /// Stop the run as skipped, with a reason (template): what it could not show.
    Skip(Text),
}
