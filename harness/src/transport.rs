//! A target's TLS settings applied to a run against it: the mock peers' HTTPS (a CA
//! generated at start and written where the IUT can be pointed at it, or the
//! certificate the target gives), and the required TLS version, judged per run over
//! every connection with the IUT, both ways.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::http::Exchange;
use crate::peers::RecordedRequest;
use crate::profile::target::Target;
use crate::report::model::{Failure, Outcome, ScenarioResult};
use crate::tls::{
    check_handshakes, Connection, GeneratedCa, ServeTls, TlsError, TlsScope, TlsVersion, TLS_CHECK,
};

/// Where the mock peers' CA is written when the target does not say.
pub const DEFAULT_MOCK_CA: &str = "mock-ca.pem";

/// The step label of a TLS version shortfall (it is the run's, not one step's).
pub const TLS_STEP: &str = "every connection of the run";

/// How the mock peers serve: the TLS scope to start them in (`None`: plain HTTP) and
/// where the CA was written, if one was generated.
#[derive(Debug, Default)]
pub struct MockServing {
    /// The scope for [`crate::tls::scoped`].
    pub scope: Option<Arc<TlsScope>>,
    /// The CA certificate the IUT must trust, when generated.
    pub ca_written: Option<PathBuf>,
}

/// The mock peers' TLS for `target`: a CA generated now and written to
/// `tls.mock_ca_out` (default `<report_dir>/mock-ca.pem`), or the given certificate.
pub fn mock_serving(target: &Target, report_dir: &Path) -> Result<MockServing, TlsError> {
    let Some(mock) = &target.tls.mock else {
        return Ok(MockServing::default());
    };
    if let Some(identity) = &mock.identity {
        return Ok(MockServing {
            scope: Some(Arc::new(TlsScope {
                serve: ServeTls::Given(Arc::clone(identity)),
                only: None,
            })),
            ca_written: None,
        });
    }
    let ca = GeneratedCa::new()?;
    let path = mock
        .ca_out
        .clone()
        .unwrap_or_else(|| report_dir.join(DEFAULT_MOCK_CA));
    ca.write(&path)?;
    Ok(MockServing {
        scope: Some(Arc::new(TlsScope {
            serve: ServeTls::Generated(Box::new(ca)),
            only: None,
        })),
        ca_written: Some(path),
    })
}

/// The TLS of `crosscheck sim`: with `ca_out` (`--tls`), a scope whose servers present
/// a certificate from a CA generated now and written there (the path is printed),
/// speaking only `only` when given; with `peer_ca`, the simulator's own calls also
/// trust that CA file, read at each handshake.
pub fn sim_tls(
    ca_out: Option<&Path>,
    only: Option<TlsVersion>,
    peer_ca: Option<PathBuf>,
) -> Result<Option<Arc<TlsScope>>, TlsError> {
    if let Some(path) = peer_ca {
        crate::http::trust_late_ca(path);
    }
    let Some(ca_out) = ca_out else {
        return Ok(None);
    };
    let ca = GeneratedCa::new()?;
    ca.write(ca_out)?;
    say!("serving HTTPS; trust the CA in {}", ca_out.display());
    Ok(Some(Arc::new(TlsScope {
        serve: ServeTls::Generated(Box::new(ca)),
        only,
    })))
}

/// The connections a run had with the IUT: the harness's answered calls and the
/// requests the IUT sent to the mock `peer`.
fn connections<'a>(
    exchanges: &'a [Exchange],
    received: &'a [RecordedRequest],
    direction: &'a str,
) -> impl Iterator<Item = Connection<'a>> {
    let called = exchanges
        .iter()
        .filter(|e| e.direction == "harness->iut" && e.status.is_some())
        .map(|e| Connection {
            direction: &e.direction,
            url: &e.url,
            handshake: e.tls.as_ref(),
        });
    let calls = received.iter().map(move |r| Connection {
        direction,
        url: &r.path,
        handshake: r.tls.as_ref(),
    });
    called.chain(calls)
}

/// When the target requires a TLS version, judges `result` on it: [`TLS_CHECK`] joins
/// the run's requirements, and the run fails (charged to it) when a connection of the
/// run, either way, negotiated less (or no TLS at all).
pub fn judge(
    result: &mut ScenarioResult,
    target: &Target,
    peer: &str,
    received: &[RecordedRequest],
) {
    let Some(required) = target.tls.require else {
        return;
    };
    if result.outcome == Outcome::Skipped {
        return;
    }
    if !result.requirements.iter().any(|r| r == TLS_CHECK) {
        result.requirements.push(TLS_CHECK.into());
    }
    let direction = format!("iut->{peer}");
    let shortfall = check_handshakes(
        required,
        connections(&result.exchanges, received, &direction),
    );
    if let Some((expected, actual)) = shortfall {
        result.failures.push(Failure {
            step: TLS_STEP.into(),
            requirement: TLS_CHECK.into(),
            check: String::new(),
            expected,
            actual,
        });
        if result.outcome == Outcome::Passed {
            result.outcome = Outcome::Failed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::demo::profiles;

    #[test]
    fn a_generated_mock_ca_is_written_to_the_report_dir_by_default() {
        let dir = std::env::temp_dir().join(format!("crosscheck-mock-ca-{}", uuid::Uuid::new_v4()));
        let text = "protocol: demo\nrole: server\nservice_base: http://127.0.0.1:1\ncredentials:\n  harness: {token: a}\n  iut: {token: b}\ntls: {mock_https: true}\n";
        let target = Target::parse(text, "demo.yaml", profiles(), &|_| None).expect("parses");
        let serving = mock_serving(&target, &dir).expect("serving");
        assert_eq!(serving.ca_written, Some(dir.join(DEFAULT_MOCK_CA)));
        assert!(crate::tls::certificates(&dir.join(DEFAULT_MOCK_CA)).is_ok());
        assert!(serving.scope.is_some());
        let plain = Target::parse(
            &text.replace("tls: {mock_https: true}\n", ""),
            "demo.yaml",
            profiles(),
            &|_| None,
        )
        .expect("parses");
        assert!(mock_serving(&plain, &dir).expect("plain").scope.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
