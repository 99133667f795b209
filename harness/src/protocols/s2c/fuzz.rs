//! Fuzzing a provider's create handler: seeded mutants of a valid create body. The
//! provider must never answer 5xx, must refuse an invalid body with 400 in the CAMARA
//! error shape, and must never create a session from one; the untouched body is
//! created first (a positive control).

use crate::profile::fuzz::{FuzzError, FuzzReport, FuzzRequest};

/// Runs the fuzz campaign.
pub async fn run(request: FuzzRequest<'_>) -> Result<FuzzReport, FuzzError> {
    Err(FuzzError(format!(
        "s2c fuzzing is not ready yet ({} cases asked)",
        request.cases
    )))
}
