//! A lean HTTP/1.1 client for plain `http://` URLs: one write per request and reads
//! straight off the socket, with idle connections kept per host (or none, for fresh
//! connections). The fuzz engine sends hundreds of thousands of small requests with
//! it; everything else uses reqwest. Same limits as the main client: the whole
//! exchange within the timeout, the body within [`BODY_CAP`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::client::{HttpRequest, HttpResponse, TransportError, BODY_CAP};

/// The most of a response head the client reads.
const HEAD_CAP: usize = 64 * 1024;

/// Idle connections kept per host at most.
const IDLE_PER_HOST: usize = 256;

/// The lean client.
#[derive(Debug)]
pub struct Lean {
    keep_alive: bool,
    idle: Mutex<HashMap<String, Vec<TcpStream>>>,
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

fn invalid(url: &str, reason: &str) -> TransportError {
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

/// The request's bytes.
fn encode(request: &HttpRequest, authority: &str, target: &str) -> Result<Vec<u8>, TransportError> {
    let bad = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
    if bad(&request.method) || request.method.contains(' ') || bad(target) || target.contains(' ') {
        return Err(invalid(
            &request.url,
            "the method or path holds a space or line break",
        ));
    }
    let body = request.body.as_deref().unwrap_or_default();
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(
        format!(
            "{} {target} HTTP/1.1\r\nhost: {authority}\r\n",
            request.method
        )
        .as_bytes(),
    );
    for (name, value) in &request.headers {
        if bad(name)
            || bad(value)
            || name.contains(':')
            || name.eq_ignore_ascii_case("content-length")
        {
            return Err(invalid(&request.url, "a header holds a line break"));
        }
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if request.body.is_some() || matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// A parsed response head.
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

fn parse_head(bytes: &[u8]) -> Option<(u16, Vec<(String, String)>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((status, headers))
}

/// One connection's reader: bytes read but not yet used.
struct Reader<'a> {
    stream: &'a mut TcpStream,
    buffer: Vec<u8>,
    url: &'a str,
}

impl Reader<'_> {
    /// Reads more; false at end of stream.
    async fn more(&mut self) -> Result<bool, TransportError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| broken(self.url, e))?;
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// The next head (1xx heads skipped).
    async fn head(&mut self) -> Result<Head, TransportError> {
        loop {
            let end = loop {
                if let Some(i) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                if self.buffer.len() > HEAD_CAP {
                    return Err(broken(self.url, "the answer's head is too large"));
                }
                if !self.more().await? {
                    return Err(broken(self.url, "the connection closed before an answer"));
                }
            };
            let (status, headers) = parse_head(&self.buffer[..end - 4])
                .ok_or_else(|| broken(self.url, "the answer is not HTTP/1.x"))?;
            self.buffer.drain(..end);
            if (100..200).contains(&status) {
                continue;
            }
            return Ok(Head { status, headers });
        }
    }

    /// Exactly `n` more bytes.
    async fn exactly(&mut self, n: usize) -> Result<Vec<u8>, TransportError> {
        while self.buffer.len() < n {
            if !self.more().await? {
                return Err(broken(self.url, "the connection closed inside the body"));
            }
        }
        Ok(self.buffer.drain(..n).collect())
    }

    /// A line (without CRLF).
    async fn line(&mut self) -> Result<String, TransportError> {
        loop {
            if let Some(i) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buffer[..i]).into_owned();
                self.buffer.drain(..i + 2);
                return Ok(line);
            }
            if self.buffer.len() > HEAD_CAP || !self.more().await? {
                return Err(broken(self.url, "a broken chunked body"));
            }
        }
    }

    /// A chunked body.
    async fn chunked(&mut self) -> Result<Vec<u8>, TransportError> {
        let mut body = Vec::new();
        loop {
            let size_line = self.line().await?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| broken(self.url, "a bad chunk size"))?;
            if size == 0 {
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > BODY_CAP {
                return Err(TransportError::BodyTooLarge {
                    url: self.url.to_string(),
                    cap: BODY_CAP,
                });
            }
            body.extend(self.exactly(size).await?);
            self.exactly(2).await?;
        }
    }

    /// The body to the end of the stream.
    async fn until_closed(&mut self) -> Result<Vec<u8>, TransportError> {
        while self.more().await? {
            if self.buffer.len() > BODY_CAP {
                return Err(TransportError::BodyTooLarge {
                    url: self.url.to_string(),
                    cap: BODY_CAP,
                });
            }
        }
        Ok(std::mem::take(&mut self.buffer))
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Lean {
    /// A client that keeps connections alive (`keep_alive`) or opens one per request.
    pub fn new(keep_alive: bool) -> Self {
        Self {
            keep_alive,
            idle: Mutex::default(),
        }
    }

    fn take_idle(&self, authority: &str) -> Option<TcpStream> {
        self.idle.lock().ok()?.get_mut(authority)?.pop()
    }

    fn put_idle(&self, authority: &str, stream: TcpStream) {
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(authority.to_string()).or_default();
            if list.len() < IDLE_PER_HOST {
                list.push(stream);
            }
        }
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
        let bytes = encode(request, authority, target)?;
        let work = async {
            // A kept connection the server has since closed fails before any answer:
            // then once more on a fresh one.
            if let Some(stream) = self.take_idle(authority) {
                if let Ok(r) = self
                    .exchange(stream, &bytes, request, authority, started)
                    .await
                {
                    return Ok(r);
                }
            }
            let stream = TcpStream::connect(authority)
                .await
                .map_err(|e| broken(url, e))?;
            let _ = stream.set_nodelay(true);
            self.exchange(stream, &bytes, request, authority, started)
                .await
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
        mut stream: TcpStream,
        bytes: &[u8],
        request: &HttpRequest,
        authority: &str,
        started: Instant,
    ) -> Result<HttpResponse, TransportError> {
        let url = request.url.as_str();
        stream.write_all(bytes).await.map_err(|e| broken(url, e))?;
        let mut reader = Reader {
            stream: &mut stream,
            buffer: Vec::new(),
            url,
        };
        let head = reader.head().await?;
        let chunked = header(&head.headers, "transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
        let length =
            header(&head.headers, "content-length").and_then(|l| l.trim().parse::<usize>().ok());
        let no_body = request.method == "HEAD" || head.status == 204 || head.status == 304;
        let (body, framed) = if no_body {
            (Vec::new(), true)
        } else if chunked {
            (reader.chunked().await?, true)
        } else if let Some(n) = length {
            if n > BODY_CAP {
                return Err(TransportError::BodyTooLarge {
                    url: url.to_string(),
                    cap: BODY_CAP,
                });
            }
            (reader.exactly(n).await?, true)
        } else {
            (reader.until_closed().await?, false)
        };
        let leftover = !reader.buffer.is_empty();
        let close =
            header(&head.headers, "connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if self.keep_alive && framed && !close && !leftover {
            self.put_idle(authority, stream);
        }
        let json = serde_json::from_slice(&body).ok();
        Ok(HttpResponse {
            status: head.status,
            headers: head.headers,
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
    fn heads_parse_and_line_breaks_are_refused() {
        let (status, headers) =
            parse_head(b"HTTP/1.1 400 Bad\r\nContent-Type: application/json\r\nX: 1")
                .expect("head");
        assert_eq!(status, 400);
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        let request = HttpRequest {
            method: "POST".into(),
            url: "http://h:1/".into(),
            headers: vec![("x".into(), "a\r\nb".into())],
            body: None,
        };
        assert!(encode(&request, "h:1", "/").is_err());
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
        let get = |url: String| HttpRequest {
            method: "GET".into(),
            url,
            headers: vec![],
            body: None,
        };
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
}
