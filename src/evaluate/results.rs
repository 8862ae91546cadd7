//! What evaluation produces: `results.json`, one result per control.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::Attestation;
use super::catalog::{Severity, Status};
use crate::snapshot::CollectionError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub catalog: CatalogRef,
    pub summary: Summary,
    pub controls: Vec<ControlResult>,
    /// Per account, the regions read against those enabled, so that a
    /// `--regions` subset is stated with the verdicts it limits.
    pub regions: Vec<RegionCoverage>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionCoverage {
    pub account: String,
    pub read: Vec<String>,
    /// `None` when the enabled regions could not be listed.
    pub enabled: Option<Vec<String>>,
    /// Enabled regions that were not read.
    pub not_read: Vec<String>,
}

impl RegionCoverage {
    pub fn of(snapshot: &crate::snapshot::Snapshot) -> Vec<RegionCoverage> {
        snapshot
            .accounts
            .iter()
            .map(|a| RegionCoverage {
                account: a.account_id.clone(),
                read: a.regions.clone(),
                enabled: a.regions_enabled.clone(),
                not_read: a.regions_enabled.iter().flatten().filter(|r| !a.regions.contains(r)).cloned().collect(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CatalogRef {
    pub name: String,
    pub version: u32,
    pub sha256: String,
}

/// How many controls end in each status: the pack's summary, and each
/// account's row in the report.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub manual: usize,
    pub not_applicable: usize,
    pub excepted: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        *match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Error => &mut self.error,
            Status::Manual => &mut self.manual,
            Status::NotApplicable => &mut self.not_applicable,
            Status::Excepted => &mut self.excepted,
        } += 1;
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.manual + self.not_applicable + self.excepted
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    #[serde(flatten)]
    pub counts: Counts,
    /// Manual controls nobody has answered yet.
    pub open_attestations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The worst of the accounts' statuses (see [`AccountResult`]).
    pub status: Status,
    pub reason: String,
    /// Each account's own verdict, in a pack of more than one account (so
    /// a pack of one account reads as it always has); empty otherwise, and
    /// for manual controls, which a person answers for the whole pack.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountResult>,
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Resources the check looked at, after its `where` filter.
    pub evaluated: usize,
    /// Resources that did not comply, each with what was wrong.
    pub failing: Vec<Finding>,
    /// The collection errors that left evidence missing.
    #[serde(serialize_with = "untimed")]
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

/// One account's verdict on a control. Each account is evaluated on its
/// own: `mode: any` and `when_none` are judged per account, lookups across
/// kinds see only that account's resources, and `now` is when it was read.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountResult {
    pub account: String,
    pub status: Status,
    pub reason: String,
    /// Resources of this account the check looked at.
    pub evaluated: usize,
    /// How many of them did not comply (listed in the control's `failing`).
    pub failing: usize,
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

/// results.json states each evidence error without the time of its call:
/// the same estate read twice, or in shards, must give the same results, and
/// the time is in snapshot.json.
fn untimed<S: Serializer>(errors: &[CollectionError], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Untimed<'a> {
        account: &'a str,
        region: &'a str,
        operation: &'a str,
        code: &'a str,
        message: &'a str,
        resource_types: &'a [String],
    }
    let mut seq = s.serialize_seq(Some(errors.len()))?;
    for e in errors {
        seq.serialize_element(&Untimed {
            account: &e.account,
            region: &e.region,
            operation: &e.operation,
            code: &e.code,
            message: &e.message,
            resource_types: &e.resource_types,
        })?;
    }
    seq.end()
}
