//! What evaluation produces: `results.json`, one result per control.

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::Attestation;
use super::catalog::{Severity, Status};
use crate::snapshot::{CollectionError, Snapshot, UnreadableRegion};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub catalog: CatalogRef,
    pub summary: Summary,
    pub controls: Vec<ControlResult>,
    /// Per account, the regions read against those enabled, so that a
    /// `--regions` subset is stated with the verdicts it limits.
    pub regions: Vec<RegionCoverage>,
    /// The pack this one was compared with (`--baseline`), so a chain of
    /// quarterly packs can be checked link by link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRef>,
}

/// A baseline pack: its id (as `verify` prints it) and the SHA-256 of its
/// zip file, which `sha256sum OLD.zip` gives.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineRef {
    pub pack_id: String,
    pub sha256: String,
    /// When its evidence was collected (the time its entries are stamped with).
    pub collected: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionCoverage {
    pub account: String,
    pub read: Vec<String>,
    /// `None` when the enabled regions could not be listed.
    pub enabled: Option<Vec<String>>,
    /// Enabled regions that were not read.
    pub not_read: Vec<String>,
    /// Regions tried that could not be read, or where one service could
    /// not be: left out of `read` when no service there could be.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// A region (or one service in it) an account could not be read in; its
/// message stays in snapshot.json, as an evidence error's time does.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unreadable {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub code: String,
    /// What AWS's answer means, in words.
    pub why: String,
    pub resource_types: Vec<String>,
}

impl RegionCoverage {
    pub fn of(snapshot: &Snapshot) -> Vec<RegionCoverage> {
        snapshot
            .accounts
            .iter()
            .map(|a| RegionCoverage {
                account: a.account_id.clone(),
                read: a.regions_read().cloned().collect(),
                enabled: a.regions_enabled.clone(),
                not_read: a.regions_enabled.iter().flatten().filter(|r| !a.regions.contains(r)).cloned().collect(),
                unreadable: a
                    .regions_unreadable
                    .iter()
                    .map(|u| Unreadable {
                        region: u.region.clone(),
                        service: u.service.clone(),
                        code: u.code.clone(),
                        why: why_unreadable(u),
                        resource_types: u.resource_types.clone(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Why a region (or a service in it) could not be read, in words.
pub fn why_unreadable(u: &UnreadableRegion) -> String {
    match &u.service {
        None => format!(
            "{}: every call there was refused with an explicit deny in a service control policy, so nothing in the region was read",
            u.code
        ),
        Some(service) if u.code == "DispatchFailure" => {
            format!(
                "{service} has no endpoint in the region (its name does not resolve), while other services there answered"
            )
        }
        Some(service) => format!("AWS answered {} for {service}: not offered in the region", u.code),
    }
}

/// What a control's reason adds when regions its evidence comes from could
/// not be read in `account` (`None`: the snapshot's one account): the
/// verdict stands for the regions read, and says which it could not see.
pub(crate) fn unread_note(snapshot: &Snapshot, account: Option<&str>, needs: &BTreeSet<String>) -> String {
    let parts: Vec<String> = snapshot
        .accounts
        .iter()
        .filter(|a| !a.regions_unreadable.is_empty() && account.is_none_or(|id| id == a.account_id))
        .flat_map(|a| &a.regions_unreadable)
        .filter(|u| u.resource_types.iter().any(|t| needs.contains(t)))
        .map(|u| match &u.service {
            None => format!("{} (denied by a service control policy)", u.region),
            Some(s) => format!("{s} in {} (not offered there)", u.region),
        })
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    let more = parts.len().saturating_sub(3);
    let mut listed = parts.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if more > 0 {
        listed.push_str(&format!(" and {more} more"));
    }
    format!(" Could not be read, so not part of this verdict: {listed}.")
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
/// the time is in snapshot.json. Without the time, errors a control got
/// twice (a composite's parts sharing a failed call) are one entry.
fn untimed<S: Serializer>(errors: &[CollectionError], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Untimed<'a> {
        account: &'a str,
        region: &'a str,
        operation: &'a str,
        code: &'a str,
        message: &'a str,
        resource_types: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        resource: Option<&'a str>,
    }
    let mut seen = BTreeSet::new();
    let unique: Vec<Untimed> = errors
        .iter()
        .map(|e| Untimed {
            account: &e.account,
            region: &e.region,
            operation: &e.operation,
            code: &e.code,
            message: &e.message,
            resource_types: &e.resource_types,
            resource: e.resource.as_deref(),
        })
        .filter(|u| seen.insert(*u))
        .collect();
    let mut seq = s.serialize_seq(Some(unique.len()))?;
    for u in &unique {
        seq.serialize_element(u)?;
    }
    seq.end()
}
