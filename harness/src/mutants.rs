//! Answer mutants of the reference simulators, whatever the protocol: a proxy in front
//! of a correct simulator forwards every request the scenario sends to it and changes
//! the answers of one operation in one way that is always wrong somewhere (a 500, a
//! 404, `{}`, a body that is not JSON, one field of the binding's outputs removed or
//! retyped), or turns the Nth refusal of a run into a success. The self-test runs the
//! scenarios that call the operation against each; a mutant no scenario fails
//! "survives", which shows a check that does not look at what it should (or, where the
//! change is legal, a survivor the protocol documents).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::profile::target::TEST_BASE;
use crate::profile::{loopback, Binding, Stage};
use crate::raw_request::{self, RawRequest};

/// The most of a request the proxy reads (a 1 MiB key fits).
const REQUEST_CAP: usize = 2 * 1024 * 1024;

/// How long the proxy waits for a request to arrive whole, and for the simulator.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How one operation's answers are changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Every answer becomes a 500.
    ServerError,
    /// Every answer becomes a 404.
    NotFound,
    /// A success answer with a JSON object body becomes `{}`.
    EmptyObject,
    /// A success answer with a JSON body becomes bytes that are not JSON.
    NotJson,
    /// A success answer loses the field at this JSON path (`$.a.b`).
    Drop(String),
    /// A success answer has the field at this JSON path retyped (a string becomes a
    /// number, anything else a string).
    Retype(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::ServerError => write!(f, "500"),
            Change::NotFound => write!(f, "404"),
            Change::EmptyObject => write!(f, "{{}}"),
            Change::NotJson => write!(f, "not JSON"),
            Change::Drop(path) => write!(f, "without {path}"),
            Change::Retype(path) => write!(f, "{path} retyped"),
        }
    }
}

/// One answer mutant.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutant {
    /// The answers of one operation, changed.
    Answer {
        /// The operation's name.
        operation: String,
        /// Its binding on the stage (method, base and path template).
        binding: Box<Binding>,
        /// How its answers change.
        change: Change,
    },
    /// The Nth answer of the run (1-based) with a 4xx status becomes the last success
    /// answer to the same method (or 200 `{}`): the IUT accepts what it should refuse.
    AcceptRefused {
        /// Which refusal.
        nth: usize,
    },
}

impl Mutant {
    /// Its name in reports: `operation: change` or `refusal N accepted`.
    pub fn name(&self) -> String {
        match self {
            Mutant::Answer {
                operation, change, ..
            } => format!("{operation}: {change}"),
            Mutant::AcceptRefused { nth } => format!("refusal {nth} accepted"),
        }
    }

    /// Whether it changes only the body of success answers, not a status.
    pub fn changes_only_bodies(&self) -> bool {
        match self {
            Mutant::Answer { change, .. } => {
                !matches!(change, Change::ServerError | Change::NotFound)
            }
            Mutant::AcceptRefused { .. } => false,
        }
    }

    /// Every mutant of `operation` with `binding`: none for a test hook.
    pub fn of_operation(operation: &str, binding: &Binding) -> Vec<Mutant> {
        if binding.base == TEST_BASE {
            return Vec::new();
        }
        let mut fields: Vec<String> = binding
            .outputs
            .values()
            .filter(|p| simple_path(p).is_some())
            .cloned()
            .collect();
        for f in ["$.state", "$.status"] {
            if !fields.iter().any(|x| x == f) {
                fields.push(f.to_string());
            }
        }
        fields.sort();
        fields.dedup();
        let mut changes = vec![
            Change::ServerError,
            Change::NotFound,
            Change::EmptyObject,
            Change::NotJson,
        ];
        for f in &fields {
            changes.push(Change::Drop(f.clone()));
            changes.push(Change::Retype(f.clone()));
        }
        changes
            .into_iter()
            .map(|change| Mutant::Answer {
                operation: operation.to_string(),
                binding: Box::new(binding.clone()),
                change,
            })
            .collect()
    }
}

/// The keys of a JSON path of the form `$.a.b`, if it is one.
fn simple_path(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix("$.")?;
    let keys: Vec<&str> = rest.split('.').collect();
    keys.iter()
        .all(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(keys)
}

/// `body` with the field at `path` changed by `f`; `None` when it has no such field.
fn edit_field(
    body: &[u8],
    path: &str,
    f: impl FnOnce(&mut serde_json::Map<String, Value>, &str),
) -> Option<Vec<u8>> {
    let keys = simple_path(path)?;
    let (last, parents) = keys.split_last()?;
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let mut at = &mut value;
    for k in parents {
        at = at.get_mut(*k)?;
    }
    let map = at.as_object_mut()?;
    if !map.contains_key(*last) {
        return None;
    }
    f(map, last);
    Some(value.to_string().into_bytes())
}

impl Change {
    /// The answer to send instead of `got`.
    fn apply(&self, got: Answer) -> Answer {
        let success = (200..300).contains(&got.status);
        let json: Option<Value> = serde_json::from_slice(&got.body).ok();
        match self {
            Change::ServerError => Answer::json(500, br#"{"code":"INTERNAL"}"#.to_vec()),
            Change::NotFound => Answer::json(404, br#"{"code":"NOT_FOUND"}"#.to_vec()),
            Change::EmptyObject if success && matches!(json, Some(Value::Object(_))) => {
                Answer::json(got.status, b"{}".to_vec())
            }
            Change::NotJson if success && json.is_some() => {
                Answer::json(got.status, b"<not json>".to_vec())
            }
            Change::Drop(path) if success => match edit_field(&got.body, path, |m, k| {
                m.remove(k);
            }) {
                Some(body) => Answer::json(got.status, body),
                None => got,
            },
            Change::Retype(path) if success => match edit_field(&got.body, path, |m, k| {
                if let Some(v) = m.get_mut(k) {
                    *v = if v.is_string() {
                        Value::from(7)
                    } else {
                        Value::from("7")
                    };
                }
            }) {
                Some(body) => Answer::json(got.status, body),
                None => got,
            },
            _ => got,
        }
    }
}

/// Whether `path` (a request target, query and all) is what `template` (the base's
/// path and the binding's, templated segments matching any one segment) names.
fn path_matches(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let want: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    want.len() == got.len()
        && want
            .iter()
            .zip(&got)
            .all(|(w, g)| w.contains("{{") || w == g)
}

/// An answer as the proxy passes it on.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    fn of(r: HttpResponse) -> Self {
        let skip = ["content-length", "transfer-encoding", "connection"];
        Self {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .filter(|(n, _)| !skip.contains(&n.as_str()))
                .collect(),
            body: r.body,
        }
    }
}

/// Running mutant proxies for one run; dropping it stops them.
#[derive(Debug)]
pub struct Mutants {
    tasks: Vec<JoinHandle<()>>,
    changed: Arc<AtomicUsize>,
}

impl Mutants {
    /// How many answers the proxies changed so far.
    pub fn changed(&self) -> usize {
        self.changed.load(Ordering::Relaxed)
    }
}

impl Drop for Mutants {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What a mutant's proxies do to one request's answer.
#[derive(Debug)]
enum Rule {
    /// Change the answers to `method` requests whose path matches `template`.
    Answer {
        method: String,
        template: String,
        change: Change,
    },
    /// Accept the `nth` refusal.
    AcceptRefused { nth: usize },
}

/// What the proxies of one run share.
#[derive(Debug)]
struct Shared {
    http: HttpClient,
    rule: Rule,
    /// The last success answer per method.
    last_success: Mutex<BTreeMap<String, Answer>>,
    /// Refusals seen so far.
    refusals: AtomicUsize,
    /// Answers changed.
    changed: Arc<AtomicUsize>,
}

impl Shared {
    /// The answer to send for `got`, the simulator's answer to `method target`.
    fn answer(&self, method: &str, target: &str, got: Answer) -> Answer {
        let success = (200..300).contains(&got.status);
        let mut last = match self.last_success.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        if success {
            last.insert(method.to_string(), got.clone());
        }
        match &self.rule {
            Rule::Answer {
                method: m,
                template,
                change,
            } if m == method && path_matches(template, target) => change.apply(got),
            Rule::AcceptRefused { nth } if (400..500).contains(&got.status) => {
                let n = self.refusals.fetch_add(1, Ordering::Relaxed) + 1;
                if n == *nth {
                    last.get(method)
                        .cloned()
                        .unwrap_or_else(|| Answer::json(200, b"{}".to_vec()))
                } else {
                    got
                }
            }
            _ => got,
        }
    }
}

/// `stage` with every protocol base URL of its target pointed at a proxy of `mutant`
/// in front of it (test hooks stay direct), and the proxies to keep running.
pub async fn retarget(
    stage: Stage,
    mutant: &Mutant,
    http: &HttpClient,
) -> std::io::Result<(Stage, Mutants)> {
    let mut target = (*stage.target).clone();
    let rule = match mutant {
        Mutant::Answer {
            binding, change, ..
        } => {
            let base_path = target
                .bases
                .get(&binding.base)
                .and_then(|url| split(url))
                .map(|(_, path)| path)
                .unwrap_or_default();
            Rule::Answer {
                method: binding.method.clone(),
                template: format!("{base_path}/{}", binding.path),
                change: change.clone(),
            }
        }
        Mutant::AcceptRefused { nth } => Rule::AcceptRefused { nth: *nth },
    };
    let changed = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(Shared {
        http: http.clone(),
        rule,
        last_success: Mutex::new(BTreeMap::new()),
        refusals: AtomicUsize::new(0),
        changed: changed.clone(),
    });
    let mut by_origin: BTreeMap<String, SocketAddr> = BTreeMap::new();
    let mut tasks = Vec::new();
    for (name, url) in target.bases.iter_mut() {
        if name == TEST_BASE {
            continue;
        }
        let Some((origin, path)) = split(url) else {
            continue;
        };
        let addr = match by_origin.get(&origin) {
            Some(a) => *a,
            None => {
                let listener = TcpListener::bind(loopback()).await?;
                let addr = listener.local_addr()?;
                let (shared, to) = (shared.clone(), origin.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        match listener.accept().await {
                            Ok((socket, _)) => {
                                tokio::spawn(serve(socket, shared.clone(), to.clone()));
                            }
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                }));
                by_origin.insert(origin, addr);
                addr
            }
        };
        *url = format!("http://{addr}{path}");
    }
    Ok((
        Stage {
            target: Arc::new(target),
            ..stage
        },
        Mutants { tasks, changed },
    ))
}

/// `http://host:port` and the rest of an http URL.
fn split(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    Some((format!("http://{host}"), path.to_string()))
}

/// Serves one connection: one request, forwarded to `origin`, its answer mutated.
async fn serve(mut socket: TcpStream, shared: Arc<Shared>, origin: String) {
    let read = raw_request::read(&mut socket, REQUEST_CAP);
    let Ok(Ok(Some(request))) = tokio::time::timeout(WAIT_LIMIT, read).await else {
        return;
    };
    let RawRequest {
        method,
        target,
        headers,
        body,
    } = request;
    let forwarded = HttpRequest {
        method: method.clone(),
        url: format!("{origin}{target}"),
        headers,
        body: (!body.is_empty()).then_some(body),
    };
    let got = match shared.http.send(&forwarded, WAIT_LIMIT).await {
        Ok(r) => Answer::of(r),
        // The simulator did not answer: neither does the proxy.
        Err(_) => return,
    };
    let (status, original) = (got.status, got.body.clone());
    let answer = shared.answer(&method, &target, got);
    if answer.status != status || answer.body != original {
        shared.changed.fetch_add(1, Ordering::Relaxed);
    }
    let mut head = format!(
        "HTTP/1.1 {} MUTANT\r\ncontent-length: {}\r\nconnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(&answer.body).await;
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Credentials;

    fn answer(status: u16, body: &str) -> Answer {
        Answer::json(status, body.as_bytes().to_vec())
    }

    fn shared(rule: Rule) -> Shared {
        Shared {
            http: HttpClient::new().expect("client"),
            rule,
            last_success: Mutex::new(BTreeMap::new()),
            refusals: AtomicUsize::new(0),
            changed: Arc::new(AtomicUsize::new(0)),
        }
    }

    #[test]
    fn only_the_nth_refusal_is_accepted_with_the_last_success_of_its_method() {
        let s = shared(Rule::AcceptRefused { nth: 2 });
        let first = s.answer("GET", "/x", answer(404, "{}"));
        assert_eq!(first.status, 404, "the first refusal stands");
        s.answer("GET", "/x", answer(200, r#"{"id":1}"#));
        let second = s.answer("GET", "/x", answer(401, r#"{"code":"x"}"#));
        assert_eq!(
            (second.status, second.body.as_slice()),
            (200, br#"{"id":1}"#.as_slice())
        );
        let third = s.answer("GET", "/x", answer(400, "{}"));
        assert_eq!(third.status, 400, "only one refusal is accepted");
        let error = shared(Rule::AcceptRefused { nth: 1 }).answer("GET", "/x", answer(500, "{}"));
        assert_eq!(error.status, 500, "a server error is not a refusal");
    }

    #[test]
    fn an_answer_rule_changes_only_its_operation() {
        let s = shared(Rule::Answer {
            method: "GET".into(),
            template: "/api/things/{{ arg.id }}".into(),
            change: Change::ServerError,
        });
        assert_eq!(
            s.answer("GET", "/api/things/abc?x=1", answer(200, "{}"))
                .status,
            500
        );
        assert_eq!(
            s.answer("POST", "/api/things/abc", answer(200, "{}"))
                .status,
            200
        );
        assert_eq!(
            s.answer("GET", "/api/things", answer(200, "{}")).status,
            200
        );
        assert_eq!(
            s.answer("GET", "/api/other/abc", answer(200, "{}")).status,
            200
        );
    }

    #[test]
    fn field_changes_touch_one_field_of_a_success() {
        let body = r#"{"state":"OK","data":{"id":"a"},"n":1}"#;
        let dropped = Change::Drop("$.data.id".into()).apply(answer(200, body));
        let v: Value = serde_json::from_slice(&dropped.body).expect("json");
        assert_eq!(v, serde_json::json!({"state": "OK", "data": {}, "n": 1}));
        let retyped = Change::Retype("$.state".into()).apply(answer(200, body));
        let v: Value = serde_json::from_slice(&retyped.body).expect("json");
        assert_eq!(
            (v["state"].clone(), v["n"].clone()),
            (Value::from(7), Value::from(1))
        );
        let number = Change::Retype("$.n".into()).apply(answer(200, body));
        let v: Value = serde_json::from_slice(&number.body).expect("json");
        assert_eq!(v["n"], Value::from("7"));
        let absent = Change::Drop("$.missing".into()).apply(answer(200, body));
        assert_eq!(absent.body, body.as_bytes(), "no such field: unchanged");
        let refused = Change::Drop("$.state".into()).apply(answer(400, body));
        assert_eq!(refused.body, body.as_bytes(), "a refusal is left alone");
    }

    #[test]
    fn body_changes_touch_success_bodies_only() {
        let empty = Change::EmptyObject.apply(answer(201, r#"{"a":1}"#));
        assert_eq!(
            (empty.status, empty.body.as_slice()),
            (201, b"{}".as_slice())
        );
        let garbage = Change::NotJson.apply(answer(200, "[1]"));
        assert!(serde_json::from_slice::<Value>(&garbage.body).is_err());
        assert_eq!(Change::NotJson.apply(answer(404, "[1]")).body, b"[1]");
        assert_eq!(Change::EmptyObject.apply(answer(200, "[1]")).body, b"[1]");
        assert_eq!(Change::NotFound.apply(answer(200, "{}")).status, 404);
    }

    #[test]
    fn an_operation_has_four_answer_mutants_and_two_per_field() {
        let b = Binding::new("POST", "api", "/x", Credentials::None).outputs(&[
            ("id", "$.id"),
            ("state", "$.state"),
            ("odd", "$.items[0].x"),
        ]);
        let names: Vec<String> = Mutant::of_operation("make", &b)
            .iter()
            .map(Mutant::name)
            .collect();
        assert_eq!(
            names,
            [
                "make: 500",
                "make: 404",
                "make: {}",
                "make: not JSON",
                "make: without $.id",
                "make: $.id retyped",
                "make: without $.state",
                "make: $.state retyped",
                "make: without $.status",
                "make: $.status retyped",
            ]
        );
        let hook = Binding::new("POST", TEST_BASE, "/clock", Credentials::None);
        assert!(Mutant::of_operation("advance", &hook).is_empty());
    }

    #[test]
    fn split_takes_the_origin_and_the_rest() {
        assert_eq!(
            split("http://127.0.0.1:9/a/b"),
            Some(("http://127.0.0.1:9".into(), "/a/b".into()))
        );
        assert_eq!(
            split("http://h:1"),
            Some(("http://h:1".into(), String::new()))
        );
        assert_eq!(split("https://h/x"), None);
    }
}
