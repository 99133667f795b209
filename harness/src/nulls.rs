//! Null implementations: servers that are wrong in the simplest ways, whatever the
//! protocol. Every scenario must fail or error against each of them; one that passes
//! is not testing anything. The self-test runs the whole suite against each, with the
//! harness's mock peers as usual and every base URL of the target pointed at the null.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::profile::{loopback, Stage};
use crate::raw_request;

/// The most of a request a null server reads (a 1 MiB key fits).
const REQUEST_CAP: usize = 2 * 1024 * 1024;

/// How long a null server waits for a request to arrive whole.
const READ_LIMIT: Duration = Duration::from_secs(5);

/// A way of being wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullKind {
    /// 200, `application/json`, and bytes that are not JSON.
    Garbage,
    /// 200 with an empty body and no content type.
    Empty200,
    /// 201 `application/json`, echoing the request's body.
    Echo201,
    /// 404 with a JSON error.
    NotFound,
    /// 400 with a JSON error that has a `cause`.
    BadRequest,
    /// Closes the connection without answering.
    Close,
}

impl NullKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [NullKind; 6] = [
        NullKind::Garbage,
        NullKind::Empty200,
        NullKind::Echo201,
        NullKind::NotFound,
        NullKind::BadRequest,
        NullKind::Close,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            NullKind::Garbage => "null-garbage",
            NullKind::Empty200 => "null-empty-200",
            NullKind::Echo201 => "null-echo-201",
            NullKind::NotFound => "null-404",
            NullKind::BadRequest => "null-400",
            NullKind::Close => "null-close",
        }
    }

    /// What it answers: status, content type, body.
    fn answer(self, request_body: &[u8]) -> Option<(u16, Option<&'static str>, Vec<u8>)> {
        let json = Some("application/json");
        Some(match self {
            NullKind::Garbage => (200, json, b"\x00<garbage>{{".to_vec()),
            NullKind::Empty200 => (200, None, Vec::new()),
            NullKind::Echo201 => (201, json, request_body.to_vec()),
            NullKind::NotFound => (404, json, br#"{"error":"not found"}"#.to_vec()),
            NullKind::BadRequest => (
                400,
                json,
                br#"{"error":"bad request","cause":"bad request"}"#.to_vec(),
            ),
            NullKind::Close => return None,
        })
    }
}

/// A running null server; dropping it stops it.
#[derive(Debug)]
pub struct NullServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for NullServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl NullServer {
    /// Starts a null server of `kind` on 127.0.0.1 and an ephemeral port.
    pub async fn start(kind: NullKind) -> std::io::Result<Self> {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((socket, _)) => {
                        tokio::spawn(serve(kind, socket));
                    }
                    // Out of descriptors or the like: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        Ok(Self { addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn serve(kind: NullKind, mut socket: TcpStream) {
    if kind == NullKind::Close {
        return; // Dropping the socket closes it unanswered.
    }
    let read = raw_request::read(&mut socket, REQUEST_CAP);
    let Ok(Ok(request)) = tokio::time::timeout(READ_LIMIT, read).await else {
        return;
    };
    let body = request.map(|r| r.body).unwrap_or_default();
    let Some((status, content_type, body)) = kind.answer(&body) else {
        return;
    };
    let mut head = format!(
        "HTTP/1.1 {status} NULL\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("content-type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(&body).await;
    let _ = socket.shutdown().await;
}

/// `stage` with every base URL of its target pointed at `addr` (paths kept), so the
/// scenario talks to a null server while the mock peers stay the harness's.
pub fn retarget(stage: Stage, addr: SocketAddr) -> Stage {
    let mut target = (*stage.target).clone();
    for url in target.bases.values_mut() {
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        *url = format!("http://{addr}{path}");
    }
    Stage {
        target: Arc::new(target),
        ..stage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpClient, HttpRequest};

    async fn ask(kind: NullKind) -> Result<(u16, Vec<u8>), String> {
        let server = NullServer::start(kind).await.expect("starts");
        let http = HttpClient::new().expect("client");
        let request = HttpRequest {
            method: "POST".into(),
            url: format!("http://{}/any/path", server.addr()),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(br#"{"a":1}"#.to_vec()),
        };
        http.send(&request, Duration::from_secs(2))
            .await
            .map(|r| (r.status, r.body.to_vec()))
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn each_kind_answers_as_named() {
        assert_eq!(
            ask(NullKind::Echo201).await,
            Ok((201, br#"{"a":1}"#.to_vec()))
        );
        assert_eq!(ask(NullKind::Empty200).await, Ok((200, Vec::new())));
        assert_eq!(ask(NullKind::NotFound).await.map(|r| r.0), Ok(404));
        let (status, body) = ask(NullKind::BadRequest).await.expect("answers");
        assert_eq!(status, 400);
        assert!(String::from_utf8_lossy(&body).contains("cause"));
        let (status, body) = ask(NullKind::Garbage).await.expect("answers");
        assert_eq!(status, 200);
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
        assert!(ask(NullKind::Close).await.is_err());
    }
}
