//! Serving HTTPS: a listener that completes each TLS handshake (bounded in time)
//! before axum sees the connection, and tells each request what the handshake
//! settled. Which servers speak TLS is decided by a scope: every server started inside
//! [`scoped`] (mock peers, simulators) serves HTTPS with a certificate for its address.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::handshake::{Handshake, TlsVersion};
use super::identity::{GeneratedCa, Identity, TlsError};

/// The longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for axum.
const BACKLOG: usize = 64;

/// What servers in a TLS scope present: a certificate for their address from a CA
/// generated at start, or one given certificate.
#[derive(Debug)]
pub enum ServeTls {
    /// Sign a certificate for each listen address with this CA.
    Generated(Box<GeneratedCa>),
    /// Serve this certificate and key.
    Given(Arc<Identity>),
}

impl ServeTls {
    /// The server configuration for a server listening on `addr`, speaking only
    /// `only` when given (a deliberately old server), else TLS 1.2 and 1.3.
    pub fn config_for(
        &self,
        addr: SocketAddr,
        only: Option<TlsVersion>,
    ) -> Result<Arc<ServerConfig>, TlsError> {
        match self {
            ServeTls::Generated(ca) => server_config(&ca.server_identity(addr)?, only),
            ServeTls::Given(identity) => server_config(identity, only),
        }
    }
}

/// A server configuration presenting `identity`, speaking `only` when given, else TLS
/// 1.2 and 1.3 (so that an IUT offering only 1.2 is seen, and judged, rather than
/// turned away unseen).
pub fn server_config(
    identity: &Identity,
    only: Option<TlsVersion>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] = match only {
        Some(TlsVersion::Tls12) => &[&rustls::version::TLS12],
        Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
        None => rustls::DEFAULT_VERSIONS,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key())
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TLS scope: what its servers present, and the only version they speak, if one.
#[derive(Debug)]
pub struct TlsScope {
    /// The certificate source.
    pub serve: ServeTls,
    /// Speak only this version (`None`: 1.2 and 1.3).
    pub only: Option<TlsVersion>,
}

impl TlsScope {
    /// The server configuration for a server listening on `addr`.
    pub fn config_for(&self, addr: SocketAddr) -> Result<Arc<ServerConfig>, TlsError> {
        self.serve.config_for(addr, self.only)
    }
}

tokio::task_local! {
    static SCOPE: Arc<TlsScope>;
}

/// Runs `work` with every server it starts serving HTTPS as `tls` says (`None`: plain
/// HTTP, as outside any scope).
pub async fn scoped<F: Future>(tls: Option<Arc<TlsScope>>, work: F) -> F::Output {
    match tls {
        Some(tls) => SCOPE.scope(tls, work).await,
        None => work.await,
    }
}

/// The TLS scope the current task runs in, if any.
pub fn current() -> Option<Arc<TlsScope>> {
    SCOPE.try_with(Arc::clone).ok()
}

/// A listener handing axum only connections whose TLS handshake finished.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl TlsListener {
    /// Accepts on `tcp`, each handshake in its own task (a slow client holds up no one).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(BACKLOG);
        let acceptor = TlsAcceptor::from(config);
        let accepting = tokio::spawn(async move {
            loop {
                let (socket, remote) = match tcp.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, remote)).await;
                        }
                        // A client that connects and leaves (a port check) is no news.
                        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                            tracing::debug!(%remote, "closed before a TLS handshake");
                        }
                        // Shown by default: e.g. an IUT that does not trust the CA, or
                        // offers no TLS version the server speaks, says so here.
                        Ok(Err(e)) => {
                            tracing::warn!(%remote, error = %e, "TLS handshake failed");
                        }
                        Err(_) => tracing::warn!(
                            %remote,
                            "TLS handshake not finished within {HANDSHAKE_TIMEOUT:?}"
                        ),
                    }
                });
            }
        });
        Ok(Self {
            ready,
            local,
            accepting,
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accepting task is gone only when the listener is being dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// What the handshake of the connection a request came on settled (in each request's
/// extensions as `ConnectInfo<Negotiated>` on an HTTPS server).
#[derive(Debug, Clone)]
pub struct Negotiated(pub Option<Handshake>);

impl Connected<IncomingStream<'_, TlsListener>> for Negotiated {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Negotiated(Handshake::of(stream.io().get_ref().1))
    }
}

/// What the handshake of `request`'s connection settled (`None`: plain HTTP).
pub fn negotiated<B>(request: &axum::http::Request<B>) -> Option<Handshake> {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<Negotiated>>()
        .and_then(|info| info.0 .0.clone())
}
