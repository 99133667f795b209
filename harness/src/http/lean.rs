//! The fuzz engine's HTTP/1.1 client for plain `http://` URLs: hyper's connection-level
//! client (no pool, no redirects, no proxy logic on the hot path), with idle connections
//! kept per host (or none, for fresh connections). The fuzz engine sends hundreds of
//! thousands of small requests with it; everything else uses reqwest. Same limits as
//! the main client: the whole exchange within the timeout, the body within
//! [`BODY_CAP`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::client::{HttpRequest, HttpResponse, TransportError, BODY_CAP};

/// Idle connections kept per host at most.
const IDLE_PER_HOST: usize = 256;

/// One connection's sending half.
type Sender = SendRequest<Full<Bytes>>;

/// The lean client.
#[derive(Debug)]
pub struct Lean {
    keep_alive: bool,
    idle: Mutex<HashMap<String, Vec<Sender>>>,
}

/// A URL split for HTTP/1.1: `host:port` and the request target.
fn split(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (!authority.is_empty() && !authority.contains('@')).then_some((authority, target))
}

/// Whether the lean client can send to `url`.
pub fn handles(url: &str) -> bool {
    split(url).is_some()
}

fn invalid(url: &str, reason: impl std::fmt::Display) -> TransportError {
    TransportError::Invalid {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

fn broken(url: &str, reason: impl std::fmt::Display) -> TransportError {
    TransportError::Unreachable {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// The request as hyper takes it (`host` from the URL, a `content-length` whenever the
/// method carries a body); refused when a method, path or header is not valid HTTP.
fn encode(
    request: &HttpRequest,
    authority: &str,
    target: &str,
) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let body = request.body.clone().unwrap_or_default();
    let mut builder = hyper::Request::builder()
        .method(request.method.as_bytes())
        .uri(target)
        .header(hyper::header::HOST, authority);
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("host") {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    if request.body.is_some() || matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") {
        builder = builder.header(hyper::header::CONTENT_LENGTH, body.len());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| invalid(&request.url, format!("not a valid HTTP request: {e}")))
}

impl Lean {
    /// A client that keeps connections alive (`keep_alive`) or opens one per request.
    pub fn new(keep_alive: bool) -> Self {
        Self {
            keep_alive,
            idle: Mutex::default(),
        }
    }

    fn take_idle(&self, authority: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(authority)?;
        while let Some(sender) = list.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    fn put_idle(&self, authority: &str, sender: Sender) {
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(authority.to_string()).or_default();
            if list.len() < IDLE_PER_HOST {
                list.push(sender);
            }
        }
    }

    /// A new connection to `authority`, its driver spawned.
    async fn connect(url: &str, authority: &str) -> Result<Sender, TransportError> {
        let stream = TcpStream::connect(authority)
            .await
            .map_err(|e| broken(url, e))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| broken(url, e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends `request` (an `http://` URL) and reads the whole answer within `timeout`.
    pub async fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let url = request.url.as_str();
        let (authority, target) = split(url).ok_or_else(|| invalid(url, "not an http:// URL"))?;
        let first = encode(request, authority, target)?;
        let work = async {
            // A kept connection the server has since closed fails before any answer:
            // then once more on a fresh one.
            let fresh = match self.take_idle(authority) {
                Some(sender) => match self.exchange(sender, first, url, authority, started).await {
                    Ok(r) => return Ok(r),
                    Err(_) => encode(request, authority, target)?,
                },
                None => first,
            };
            let sender = Self::connect(url, authority).await?;
            self.exchange(sender, fresh, url, authority, started).await
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout {
                url: url.to_string(),
                timeout,
            }),
        }
    }

    async fn exchange(
        &self,
        mut sender: Sender,
        request: hyper::Request<Full<Bytes>>,
        url: &str,
        authority: &str,
        started: Instant,
    ) -> Result<HttpResponse, TransportError> {
        sender.ready().await.map_err(|e| broken(url, e))?;
        let answer = sender
            .send_request(request)
            .await
            .map_err(|e| broken(url, e))?;
        let (head, body) = answer.into_parts();
        let too_large = || TransportError::BodyTooLarge {
            url: url.to_string(),
            cap: BODY_CAP,
        };
        // A declared length past the cap is refused before any of the body is read.
        if hyper::body::Body::size_hint(&body).lower() > BODY_CAP as u64 {
            return Err(too_large());
        }
        let body = Limited::new(body, BODY_CAP)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    too_large()
                } else {
                    broken(url, e)
                }
            })?
            .to_bytes()
            .to_vec();
        if self.keep_alive && !sender.is_closed() {
            self.put_idle(authority, sender);
        }
        let headers = head
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let json = serde_json::from_slice(&body).ok();
        Ok(HttpResponse {
            status: head.status.as_u16(),
            headers,
            body,
            json,
            elapsed: started.elapsed(),
            // The lean client speaks plain HTTP only.
            tls: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn urls_split_into_authority_and_target() {
        assert_eq!(
            split("http://127.0.0.1:80/a/b?c"),
            Some(("127.0.0.1:80", "/a/b?c"))
        );
        assert_eq!(split("http://h:1"), Some(("h:1", "/")));
        assert_eq!(split("http://h:1?x"), Some(("h:1", "?x")));
        assert_eq!(split("https://h/"), None);
        assert_eq!(split("http://u@h/"), None);
    }

    #[test]
    fn line_breaks_and_bad_methods_are_refused() {
        let mut request = HttpRequest {
            method: "POST".into(),
            url: "http://h:1/".into(),
            headers: vec![("x".into(), "a\r\nb".into())],
            body: None,
        };
        assert!(encode(&request, "h:1", "/").is_err());
        request.headers.clear();
        let ok = encode(&request, "h:1", "/").expect("a POST");
        assert_eq!(ok.headers()["content-length"], "0");
        request.method = "GE T".into();
        assert!(encode(&request, "h:1", "/").is_err());
    }

    fn get(url: String) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url,
            headers: vec![],
            body: None,
        }
    }

    /// Serves `answer` to every request on one connection, then closes.
    async fn serve_once(answer: &'static [u8]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer).await;
            }
        });
        format!("http://{addr}/x")
    }

    #[tokio::test]
    async fn chunked_and_unframed_bodies_are_read_whole() {
        let lean = Lean::new(true);
        let url = serve_once(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n").await;
        let r = lean
            .send(&get(url), Duration::from_secs(2))
            .await
            .expect("chunked");
        assert_eq!((r.status, r.body.as_slice()), (200, b"abcde".as_slice()));
        let url = serve_once(b"HTTP/1.0 404 Not Found\r\n\r\n{\"a\":1}").await;
        let r = lean
            .send(&get(url), Duration::from_secs(2))
            .await
            .expect("to the end");
        assert_eq!((r.status, r.json), (404, Some(serde_json::json!({"a": 1}))));
        let url = serve_once(b"garbage\r\n\r\n").await;
        assert!(lean.send(&get(url), Duration::from_secs(2)).await.is_err());
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_and_a_reused_connection_answers_again() {
        let lean = Lean::new(true);
        let big: &'static [u8] = Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                BODY_CAP + 1
            )
            .into_bytes()
            .into_boxed_slice(),
        );
        let url = serve_once(big).await;
        assert!(matches!(
            lean.send(&get(url), Duration::from_secs(2)).await,
            Err(TransportError::BodyTooLarge { .. })
        ));
        // One server, two requests on one kept connection.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/k", listener.local_addr().expect("addr"));
        let accepted = tokio::spawn(async move {
            let mut connections = 0;
            while let Ok((mut s, _)) = listener.accept().await {
                connections += 1;
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                            .await;
                    }
                });
                if connections == 2 {
                    break;
                }
            }
            connections
        });
        for _ in 0..2 {
            let r = lean
                .send(&get(url.clone()), Duration::from_secs(2))
                .await
                .expect("answered");
            assert_eq!(r.body, b"ok");
        }
        let authority = url.trim_start_matches("http://").trim_end_matches("/k");
        assert!(
            lean.take_idle(authority).is_some(),
            "the connection is kept"
        );
        accepted.abort();
    }
}
