//! What evaluation produces: `results.json`, one result per control.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Attestation;
use super::catalog::{Severity, Status};
use crate::snapshot::CollectionError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub catalog: CatalogRef,
    pub summary: Summary,
    pub controls: Vec<ControlResult>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CatalogRef {
    pub name: String,
    pub version: u32,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub manual: usize,
    pub not_applicable: usize,
    pub excepted: usize,
    /// Manual controls nobody has answered yet.
    pub open_attestations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub reason: String,
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Resources the check looked at, after its `where` filter.
    pub evaluated: usize,
    /// Resources that did not comply, each with what was wrong.
    pub failing: Vec<Finding>,
    /// The collection errors that left evidence missing.
    pub evidence_errors: Vec<CollectionError>,
    /// For a control made of others: the ids it includes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<String>,
    /// The answer to a manual control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
    /// Exceptions written for this control, applied or expired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionNote>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExceptionNote {
    pub justification: String,
    pub approver: String,
    pub expires: chrono::NaiveDate,
    /// False once past its expiry at the snapshot's time.
    pub active: bool,
    /// The failing resources it covered.
    pub covered: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub problems: Vec<String>,
}

impl Results {
    pub fn get(&self, id: &str) -> Option<&ControlResult> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results serialise");
        s.push('\n');
        s
    }
}
