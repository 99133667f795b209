//! Serving an axum app on a socket for as long as a handle lives.

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;

/// An app serving on a socket; dropping the handle stops it.
#[derive(Debug)]
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Served {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds `listen` (port 0 for an ephemeral port) and serves `app` there; `what` names
/// the server in the log line if it stops.
pub async fn serve(app: Router, listen: SocketAddr, what: &'static str) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(server = what, error = %e, "server stopped");
        }
    });
    Ok(Served { addr, task })
}
