//! A binding operation: the HTTP shape of one named protocol operation.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::profile::target::BindingOverride;

/// Which credential a binding sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// The harness's own credential (it plays the IUT's counterpart).
    Harness,
    /// A credential the protocol names, if the target gives it.
    Named(&'static str),
    /// None.
    None,
}

/// How to perform an operation over HTTP. Strings are templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// HTTP method.
    pub method: String,
    /// Base URL name: one the protocol declares for the role, or `test`.
    pub base: String,
    /// Path template, appended to the base.
    pub path: String,
    /// Body template.
    pub body: Option<Value>,
    /// Extra header templates.
    pub headers: BTreeMap<String, String>,
    /// Output name → JSON path into the answer.
    pub outputs: BTreeMap<String, String>,
    /// Credential to send.
    pub credentials: Credentials,
}

impl Binding {
    /// A binding without body or outputs.
    pub fn new(method: &str, base: &str, path: &str, credentials: Credentials) -> Self {
        Self {
            method: method.into(),
            base: base.into(),
            path: path.into(),
            body: None,
            headers: BTreeMap::new(),
            outputs: BTreeMap::new(),
            credentials,
        }
    }

    /// With a body template.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With named outputs.
    pub fn outputs(mut self, outputs: &[(&str, &str)]) -> Self {
        self.outputs = outputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    /// This binding with a target's override laid over it, field by field.
    pub fn with_override(mut self, o: &BindingOverride) -> Self {
        if let Some(m) = &o.method {
            self.method = m.to_ascii_uppercase();
        }
        if let Some(b) = &o.base {
            self.base = b.clone();
        }
        if let Some(p) = &o.path {
            self.path = p.clone();
        }
        if let Some(b) = &o.body {
            self.body = Some(b.clone());
        }
        if let Some(h) = &o.headers {
            self.headers.extend(h.clone());
        }
        if let Some(out) = &o.outputs {
            self.outputs.extend(out.clone());
        }
        self
    }
}
