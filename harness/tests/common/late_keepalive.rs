//! A late keep-alive server: a tiny HTTP/1.1 SP on loopback that answers the first
//! request on a connection at once, and every later request on the same (reused)
//! connection in two writes, headers then body, 40 ms apart, as a server whose Nagle
//! meets the client's delayed ACK does. It judges notices with the ONAPI notice
//! checker, so a correct fuzz run against it finds nothing.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The delay between headers and body on a reused connection.
pub const LATE: Duration = Duration::from_millis(40);

/// How long a connection may sit idle or a request take to arrive.
const IDLE: Duration = Duration::from_secs(10);

/// The most of a request the server reads.
const CAP: usize = 1 << 20;

/// A running server: where it listens, and how many connections it has accepted.
pub struct Server {
    /// Its address.
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Server {
    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

/// Starts the server on an ephemeral loopback port, on its own runtime thread.
pub fn start() -> Server {
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream));
            }
        });
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the server starts");
    Server { addr, accepted }
}

/// Reads what has arrived into `buffer`; `None` when the connection closed or idled.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 8192];
    let n = tokio::time::timeout(IDLE, stream.read(&mut chunk))
        .await
        .ok()?
        .ok()?;
    if n == 0 {
        return None;
    }
    buffer.extend_from_slice(&chunk[..n]);
    Some(())
}

/// Reads one request's body; `None` when the connection closes or misbehaves.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > CAP {
            return None;
        }
        read_more(stream, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .min(CAP);
    while buffer.len() < head_end + length {
        read_more(stream, buffer).await?;
    }
    let body = buffer[head_end..head_end + length].to_vec();
    buffer.drain(..head_end + length);
    Some(body)
}

async fn serve(mut stream: TcpStream) {
    let mut buffer = Vec::new();
    let mut reused = false;
    while let Some(body) = read_request(&mut stream, &mut buffer).await {
        let (status, answer) = match crosscheck::protocols::onapi::format::validate(&body) {
            Ok(_) => ("200 OK", "{}".to_string()),
            Err(cause) => (
                "400 Bad Request",
                serde_json::json!({ "cause": cause.0 }).to_string(),
            ),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        let written = if reused {
            let first = stream.write_all(head.as_bytes()).await;
            tokio::time::sleep(LATE).await;
            first.and(stream.write_all(answer.as_bytes()).await)
        } else {
            stream.write_all(format!("{head}{answer}").as_bytes()).await
        };
        if written.is_err() {
            return;
        }
        reused = true;
    }
}
