//! Reading one HTTP/1.1 request off a raw socket, for the harness's own stand-ins of a
//! simulator (null implementations, answer mutants): the head, and a body of at most
//! `content-length` bytes, both capped.

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;

/// A request as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method, as sent.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Headers, names in lower case, without `host`, `connection`, `transfer-encoding`
    /// and `content-length`.
    pub headers: Vec<(String, String)>,
    /// The body, `content-length` bytes or fewer when the peer closed early.
    pub body: Vec<u8>,
}

/// Reads one request: `None` when the head is longer than `cap`, the peer closes
/// before the head ends, or the request line has no method and target. The body is
/// cut at `cap`.
pub async fn read(socket: &mut TcpStream, cap: usize) -> std::io::Result<Option<RawRequest>> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if data.len() > cap {
            return Ok(None);
        }
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target)) = (first.next(), first.next()) else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    let mut length = 0usize;
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        match name.as_str() {
            "content-length" => length = value.parse().unwrap_or(0).min(cap),
            "host" | "connection" | "transfer-encoding" => {}
            _ => headers.push((name, value)),
        }
    }
    let mut body = data.split_off(end);
    while body.len() < length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(RawRequest {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpListener;

    async fn read_sent(bytes: &'static [u8], cap: usize) -> Option<RawRequest> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.write_all(bytes).await.expect("write");
            s.shutdown().await.expect("shutdown");
        });
        let (mut socket, _) = listener.accept().await.expect("accept");
        let got = read(&mut socket, cap).await.expect("read");
        client.await.expect("client");
        got
    }

    #[tokio::test]
    async fn a_request_is_read_whole_and_its_body_capped() {
        let got = read_sent(
            b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\nX-One: 1\r\ncontent-length: 5\r\n\r\nhello",
            64,
        )
        .await
        .expect("a request");
        assert_eq!(
            (got.method.as_str(), got.target.as_str()),
            ("POST", "/a?b=1")
        );
        assert_eq!(got.headers, [("x-one".to_string(), "1".to_string())]);
        assert_eq!(got.body, b"hello");
        let capped = read_sent(b"POST / HTTP/1.1\r\ncontent-length: 9\r\n\r\n123456789", 4)
            .await
            .expect("a request");
        assert_eq!(capped.body, b"1234");
    }

    #[tokio::test]
    async fn a_head_cut_short_is_no_request() {
        assert_eq!(read_sent(b"GET / HTTP/1.1\r\nHost", 64).await, None);
        assert_eq!(read_sent(b"\r\n\r\n", 64).await, None);
    }
}
