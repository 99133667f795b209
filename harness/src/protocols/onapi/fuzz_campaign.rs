//! The ONAPI SP's fuzz campaign: seeded notices to `{api_base}/onapi/2.5/activationnotice/`.
//! A malformed one must get 400 with a JSON `cause`, never a 5xx and never 200; a
//! well-formed one (unwanted or not) must get 200. A fresh valid notice is taken first
//! (the positive control) and once more after the mutants.

use std::any::Any;
use std::time::Duration;

use super::binding::{fresh_notice, NOTICE_PATH};
use super::fuzz::{self as notices, WELL_FORMED};
use super::stage;
use crate::http::{HttpClient, HttpRequest};
use crate::profile::fuzz::{
    self, oracle, Campaign, FuzzError, FuzzRequest, Mutant, Problem, RegressionCase, Rng,
};
use crate::profile::target::Target;
use crate::profile::BoxFuture;

/// The campaign against one SP.
pub struct SpCampaign {
    url: String,
    credential: (String, String),
    timeout: Duration,
    _running: Option<Box<dyn Any + Send + Sync>>,
}

impl SpCampaign {
    fn request(&self, body: Vec<u8>) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: self.url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                self.credential.clone(),
            ],
            body: Some(body),
        }
    }

    async fn send_valid(&self, http: &HttpClient) -> Option<Problem> {
        let body = fresh_notice().to_string().into_bytes();
        notices::judge(
            WELL_FORMED,
            &http.send(&self.request(body), self.timeout).await,
        )
    }
}

impl Campaign for SpCampaign {
    fn title(&self) -> String {
        "onapi sp: Activation Notices".into()
    }

    fn control<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<(), FuzzError>> {
        Box::pin(async move {
            match self.send_valid(http).await {
                None => Ok(()),
                Some(p) => Err(FuzzError(format!(
                    "the positive control (a valid notice to {}): {}",
                    self.url, p.detail
                ))),
            }
        })
    }

    fn mutant(&self, rng: &mut Rng) -> Mutant {
        notices::mutant(rng)
    }

    fn case<'a>(
        &'a self,
        http: &'a HttpClient,
        via: &'static str,
        input: &'a [u8],
    ) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            let answer = http.send(&self.request(input.to_vec()), self.timeout).await;
            notices::judge(via, &answer)
        })
    }

    fn after<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Option<Problem>> {
        Box::pin(async move {
            self.send_valid(http).await.map(|p| {
                Problem::new(
                    oracle::ACCEPTED,
                    format!(
                        "a valid notice is no longer taken after the mutants: {}",
                        p.detail
                    ),
                )
            })
        })
    }

    fn shrink(&self, via: &'static str, input: &[u8]) -> Vec<Vec<u8>> {
        fuzz::body_candidates(input, |c| notices::stays(via, c))
    }

    fn regression(&self, case: &RegressionCase<'_>) -> Option<String> {
        let text = std::str::from_utf8(case.input).ok()?;
        Some(regression_yaml(case, text))
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.credential.1.clone()]
    }
}

fn regression_yaml(case: &RegressionCase<'_>, text: &str) -> String {
    let (requirements, expect) = if case.via == WELL_FORMED {
        (
            "[ON-SP-01, ON-SP-02]".to_string(),
            "    expect: {requirement: ON-SP-02, status: 200}\n".to_string(),
        )
    } else {
        let malformed = if case.class == notices::MISSING {
            "ON-SP-03"
        } else {
            "ON-SP-04"
        };
        (
            format!("[ON-SP-01, {malformed}, ON-SP-07]"),
            format!(
                "    expect:\n      - {{requirement: {malformed}, status: 400}}\n      - {{requirement: ON-SP-07, content_type: application/json, json: {{\"$.cause\": {{type: string}}}}}}\n"
            ),
        )
    };
    let head = fuzz::regression_head(
        case,
        ("onapi", "sp"),
        &requirements,
        None,
        "the notice is the shrunk input.",
    );
    format!(
        r#"{head}  - name: a valid notice is taken (positive control)
    requirement: ON-SP-01
    call: send_notice
    with: {{notice: "{{{{ valid_notice() }}}}"}}
    expect: {{status: 200}}
  - name: send the fuzzed notice
    http:
      method: POST
      base: api
      path: "{{{{ notice_path }}}}"
      headers: {{content-type: application/json}}
      raw: {raw}
{expect}"#,
        raw = fuzz::yaml_raw(text),
    )
}

fn for_target(
    target: &Target,
    running: Option<Box<dyn Any + Send + Sync>>,
) -> Result<SpCampaign, FuzzError> {
    let api = target
        .base("api")
        .ok_or_else(|| FuzzError("the target lacks the api base URL fuzzing needs".into()))?;
    Ok(SpCampaign {
        url: format!("{}{NOTICE_PATH}", api.trim_end_matches('/')),
        credential: fuzz::harness_header(target),
        timeout: target.step_timeout,
        _running: running,
    })
}

/// The campaign of `crosscheck fuzz onapi --role sp`: against the target, or against
/// the built-in SP with the requested faults.
pub async fn campaign(request: FuzzRequest<'_>) -> Result<Box<dyn Campaign>, FuzzError> {
    request.only_role("sp")?;
    if let Some(target) = request.target {
        return Ok(Box::new(for_target(target, None)?));
    }
    let http = HttpClient::new().map_err(|e| FuzzError(e.to_string()))?;
    let prepared = stage::builtin_stage("sp", request.faults, &http)
        .await
        .map_err(|e| FuzzError(e.to_string()))?;
    let target = prepared.stage.target.clone();
    Ok(Box::new(for_target(&target, Some(Box::new(prepared)))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regressions_charge_the_right_requirement() {
        let case = RegressionCase {
            id: "fuzz-malformed-missing-field-4",
            via: notices::MALFORMED,
            class: notices::MISSING,
            input: b"{}",
            label: "remove coAccessId",
            oracle: oracle::NO_5XX,
        };
        let yaml = regression_yaml(&case, "{}");
        assert!(
            serde_saphyr::from_str::<serde_json::Value>(&yaml).is_ok(),
            "{yaml}"
        );
        assert!(
            yaml.contains("{requirement: ON-SP-03, status: 400}"),
            "{yaml}"
        );
        let unwanted = RegressionCase {
            via: WELL_FORMED,
            class: notices::UNWANTED,
            ..case
        };
        assert!(regression_yaml(&unwanted, "{}").contains("requirement: ON-SP-02, status: 200"));
    }
}
