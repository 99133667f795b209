//! SIGINT and SIGTERM during `crosscheck run`: the first asks the run to stop (start
//! nothing new, give a running scenario a short grace, then write what it has); a
//! second ends the process at once. Until [`listen`] is called nothing is ever
//! requested, so the self-test and the fuzzers are unaffected.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Notify;

/// How long a scenario already running may go on after the first signal.
pub const GRACE: Duration = Duration::from_secs(2);

/// The signal number received first (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

fn notify() -> &'static Notify {
    static NOTIFY: OnceLock<Notify> = OnceLock::new();
    NOTIFY.get_or_init(Notify::new)
}

/// The signal that asked the run to stop, if one did: 2 (SIGINT) or 15 (SIGTERM).
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// The exit code of a run stopped by `signal`: 128 plus its number.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// Resolves once a stop has been asked for.
pub async fn wait() {
    loop {
        let notified = notify().notified();
        if requested().is_some() {
            return;
        }
        notified.await;
    }
}

/// Records `signal` as the request to stop; a second one exits the process at once.
fn received(signal: i32) {
    if SIGNAL
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        tracing::warn!("second signal: exiting at once");
        std::process::exit(exit_code(signal));
    }
    tracing::warn!("signal {signal}: starting nothing new, writing what ran");
    notify().notify_waiters();
}

/// Starts listening for SIGINT and SIGTERM (on Unix; elsewhere Ctrl-C only).
#[cfg(unix)]
pub fn listen() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot listen for SIGINT and SIGTERM: an interrupted run writes nothing");
        return;
    };
    tokio::spawn(async move {
        loop {
            let n = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            received(n);
        }
    });
}

/// Starts listening for Ctrl-C.
#[cfg(not(unix))]
pub fn listen() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            received(2);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_128_plus_the_signal() {
        assert_eq!((exit_code(2), exit_code(15)), (130, 143));
    }
}
