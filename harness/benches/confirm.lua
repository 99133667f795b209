-- wrk script: POST a ConfirmActivationKey body (a key CSP A never issued) with CSP B's
-- credentials, as `crosscheck fuzz cci --role csp-a` does.
wrk.method = "POST"
wrk.path = "/v1/providers/csp-b/environments/env-ab-1/ConfirmActivationKey"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sim-token-b"
wrk.body = '{"key":"eyJlbnZpcm9ubWVudCI6ImVudi1hYi0xIiwiY29ubmVjdGlvblNpemVNYnBzIjoiNTAiLCJrZXlNYXRlcmlhbCI6ImZ1enoifQ=="}'
