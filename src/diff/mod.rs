//! After seal: what changed between two packs (`evidence-pack diff`, and
//! the "Changes since" chapter `--baseline` puts first in a report).
//!
//! A pack is read through the same strict, bounded zip reader as `verify`;
//! with a public key it is verified first and every member read is held to
//! its verified hash. Findings are matched by their stable finding id
//! ([`crate::evaluate::finding::finding_id`]), read from `findings.csv`, or
//! derived from `results.json` for a pack made before `findings.csv` existed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::evaluate::finding::{self, FindingRow};
use crate::pack;
use crate::render::changes::{ChangeRow, ChangesView, StatusChange};
use crate::render::escape;
use crate::seal::{self, VerifyError};
use crate::text::terminal;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{path}: cannot read: {reason}")]
    Open { path: String, reason: String },
    /// With a public key: the pack does not verify.
    #[error("{path}: FAILED verification — {source}")]
    Unverified { path: String, source: VerifyError },
    /// Without a public key: the zip is not one evidence-pack wrote.
    #[error("{path}: not a pack evidence-pack wrote — {source}")]
    Malformed { path: String, source: VerifyError },
    #[error("{path}: {file} is missing; is this an evidence pack?")]
    Missing { path: String, file: &'static str },
    #[error("{path}: {file}: {message}")]
    Member { path: String, file: &'static str, message: String },
}

impl DiffError {
    /// A pack that failed verification or the structure checks, as opposed
    /// to one that could not be read at all.
    pub fn is_unverified(&self) -> bool {
        matches!(self, DiffError::Unverified { .. } | DiffError::Malformed { .. })
    }
}

/// results.json as `diff` reads it: only what it compares, each field
/// optional where older packs lack it.
#[derive(Debug, Clone, Deserialize)]
struct ResultsDoc {
    catalog: CatalogDoc,
    controls: Vec<ControlDoc>,
    #[serde(default)]
    regions: Vec<RegionDoc>,
}

#[derive(Debug, Clone, Deserialize)]
struct CatalogDoc {
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ControlDoc {
    id: String,
    title: String,
    status: String,
    #[serde(default)]
    failing: Vec<FailingDoc>,
    #[serde(default)]
    evidence_errors: Vec<ErrorItem>,
    #[serde(default)]
    attestation: Option<AttestationItem>,
    #[serde(default)]
    exceptions: Vec<ExceptionDoc>,
    #[serde(default)]
    includes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct FailingDoc {
    id: String,
    name: String,
    account: String,
    region: String,
    #[serde(default)]
    problems: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ExceptionDoc {
    justification: String,
    approver: String,
    expires: String,
    active: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct RegionDoc {
    account: String,
    #[serde(default)]
    read: Vec<String>,
}

/// One pack, read.
#[derive(Debug, Clone)]
pub struct PackView {
    /// The pack's file as given on the command line (escaped).
    pub path: String,
    pub pack_id: String,
    /// SHA-256 of the zip file.
    pub sha256: String,
    /// When its evidence was collected, "YYYY-MM-DD HH:MM UTC".
    pub collected: String,
    /// The signer's fingerprint when the pack was verified.
    pub signer: Option<String>,
    results: ResultsDoc,
    findings: Vec<FindingRow>,
    /// Each control's definition in controls.yaml, as YAML data.
    definitions: BTreeMap<String, serde_json::Value>,
}

/// What `diff` reads of a pack, and the most it reads of each.
const MEMBERS: [(&str, u64); 3] = [
    (pack::RESULTS, crate::fs::cap::SNAPSHOT),
    (pack::FINDINGS, crate::fs::cap::SNAPSHOT),
    (pack::CONTROLS, crate::fs::cap::CATALOG),
];

/// Read a pack from `path`; with `key`, it must verify first.
pub fn open(path: &Path, key: Option<&ssh_key::PublicKey>) -> Result<PackView, DiffError> {
    let shown = terminal(&path.to_string_lossy()).into_owned();
    let open_err = |e: std::io::Error| DiffError::Open { path: shown.clone(), reason: e.to_string() };
    // One handle for every read, so what was verified is what is compared.
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(open_err)?);
    let sha256 = {
        let mut h = Sha256::new();
        std::io::copy(&mut file, &mut h).map_err(open_err)?;
        file.seek(SeekFrom::Start(0)).map_err(open_err)?;
        hex::encode(h.finalize())
    };
    read(&mut file, &shown, sha256, key)
}

fn read<R: Read + Seek>(
    zip: &mut R,
    shown: &str,
    sha256: String,
    key: Option<&ssh_key::PublicKey>,
) -> Result<PackView, DiffError> {
    let verified = match key {
        Some(k) => Some(
            seal::verify(&mut *zip, k, seal::Limits::default(), false)
                .map_err(|source| DiffError::Unverified { path: shown.to_string(), source })?,
        ),
        None => None,
    };
    let seal::Members { files, pack_id, stamp } = seal::read_members(&mut *zip, seal::Limits::default(), &MEMBERS)
        .map_err(|source| {
            if key.is_some() {
                DiffError::Unverified { path: shown.to_string(), source }
            } else {
                DiffError::Malformed { path: shown.to_string(), source }
            }
        })?;
    if let Some(v) = &verified {
        // Read again after verifying: hold each member to its verified hash.
        for (name, bytes) in &files {
            if v.files.get(name) != Some(&seal::sha256_hex(bytes)) {
                return Err(DiffError::Unverified {
                    path: shown.to_string(),
                    source: VerifyError::HashMismatch(terminal(name).into_owned()),
                });
            }
        }
    }
    let collected = stamp.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    PackView::from_members(shown, &pack_id, &sha256, &collected, verified.map(|v| v.signer_fingerprint), &files)
}

impl PackView {
    /// A pack from its members' bytes: `results.json` (required),
    /// `findings.csv` and `controls.yaml` (each optional).
    pub fn from_members(
        path: &str,
        pack_id: &str,
        sha256: &str,
        collected: &str,
        signer: Option<String>,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Result<PackView, DiffError> {
        let member = |file: &'static str, message: String| DiffError::Member { path: path.into(), file, message };
        let results: ResultsDoc = serde_json::from_slice(
            files.get(pack::RESULTS).ok_or(DiffError::Missing { path: path.into(), file: pack::RESULTS })?,
        )
        .map_err(|e| member(pack::RESULTS, format!("line {}: {e}", e.line())))?;
        let findings = match files.get(pack::FINDINGS) {
            Some(bytes) => finding::parse_csv(bytes).map_err(|e| member(pack::FINDINGS, e.to_string()))?,
            None => derived_findings(&results, collected),
        };
        let definitions = match files.get(pack::CONTROLS) {
            Some(bytes) => definitions(bytes).map_err(|m| member(pack::CONTROLS, m))?,
            None => BTreeMap::new(),
        };
        Ok(PackView {
            path: path.into(),
            pack_id: pack_id.into(),
            sha256: sha256.into(),
            collected: collected.into(),
            signer,
            results,
            findings,
            definitions,
        })
    }

    /// A finding's first sighting as this pack recorded it.
    pub fn first_seen(&self, finding_id: &str) -> Option<String> {
        self.findings.iter().find(|f| f.finding_id == finding_id).map(|f| f.first_seen.clone())
    }

    /// results.json's `baseline` for a pack made against this one.
    pub fn reference(&self) -> crate::evaluate::BaselineRef {
        crate::evaluate::BaselineRef {
            pack_id: self.pack_id.clone(),
            sha256: self.sha256.clone(),
            collected: self.collected.clone(),
        }
    }
}

/// The findings of a pack without findings.csv, from its results.json:
/// the same ids, no resource type, first seen when it was collected.
fn derived_findings(results: &ResultsDoc, collected: &str) -> Vec<FindingRow> {
    let mut out = Vec::new();
    for c in results.controls.iter().filter(|c| c.includes.is_empty()) {
        if c.status != "fail" && c.status != "excepted" {
            continue;
        }
        for f in &c.failing {
            out.push(FindingRow {
                finding_id: finding::finding_id(&results.catalog.name, &c.id, &f.account, &f.region, &f.id),
                control_id: c.id.clone(),
                control_title: c.title.clone(),
                severity: String::new(),
                status: c.status.clone(),
                account: f.account.clone(),
                region: f.region.clone(),
                resource_type: String::new(),
                resource_id: f.id.clone(),
                resource_name: f.name.clone(),
                reason: f.problems.join("; "),
                remediation_url: String::new(),
                first_seen: collected.into(),
                exception: String::new(),
            });
        }
    }
    out
}

/// Each control's definition, by id, from controls.yaml as plain YAML
/// data: a catalog this binary would no longer load still compares.
fn definitions(bytes: &[u8]) -> Result<BTreeMap<String, serde_json::Value>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let doc: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let controls = doc.get("controls").and_then(|c| c.as_array()).cloned().unwrap_or_default();
    Ok(controls.into_iter().filter_map(|c| Some((c.get("id")?.as_str()?.to_string(), c))).collect())
}

/// Where a pack in a diff came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PackRef {
    pub path: String,
    pub pack_id: String,
    /// SHA-256 of the zip file.
    pub sha256: String,
    pub collected: String,
    /// Whether it was verified with `--public-key`.
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

/// One finding as the diff lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FindingItem {
    pub finding_id: String,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: String,
    /// `fail` or `excepted`, in the pack it is listed from.
    pub status: String,
    pub reason: String,
}

impl From<&FindingRow> for FindingItem {
    fn from(f: &FindingRow) -> Self {
        FindingItem {
            finding_id: f.finding_id.clone(),
            account: f.account.clone(),
            region: f.region.clone(),
            resource_type: f.resource_type.clone(),
            resource_id: f.resource_id.clone(),
            resource_name: f.resource_name.clone(),
            status: f.status.clone(),
            reason: f.reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ControlChange {
    pub id: String,
    pub title: String,
    /// `None` where the control is not in that pack's catalog.
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    /// Failing in the new pack, and not failing (absent or excepted) in the old.
    pub new_failures: Vec<FindingItem>,
    /// In the old pack (failing or excepted), gone from the new.
    pub fixed: Vec<FindingItem>,
    /// Failing in both.
    pub still_failing: Vec<FindingItem>,
    /// Excepted in the new pack, and not in the old.
    pub now_excepted: Vec<FindingItem>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CatalogChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<DefinitionChange>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DefinitionChange {
    pub id: String,
    /// The check (kinds, scope, assertions, flag, mode) changed.
    pub expression: bool,
    pub params: Vec<ParamChange>,
    /// Other fields that changed (title, severity, sections, manual, …).
    pub other: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParamChange {
    pub name: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExceptionItem {
    pub control: String,
    pub justification: String,
    pub approver: String,
    pub expires: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ExceptionChanges {
    pub added: Vec<ExceptionItem>,
    /// In force in the old pack, past its expiry in the new.
    pub expired: Vec<ExceptionItem>,
    pub removed: Vec<ExceptionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationItem {
    pub answer: Vec<String>,
    pub by: String,
    pub date: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttestationChange {
    pub control: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub old: Option<AttestationItem>,
    pub new: Option<AttestationItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ErrorItem {
    pub account: String,
    pub region: String,
    pub operation: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RegionItem {
    pub account: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Appeared<T> {
    pub appeared: Vec<T>,
    pub disappeared: Vec<T>,
}

/// What changed from one pack to the next: the `--json` output of `diff`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diff {
    pub old: PackRef,
    pub new: PackRef,
    /// A new failure, or a control that fails now and did not before.
    pub regression: bool,
    pub counts: Counts,
    /// Controls whose status or findings changed, or that still fail;
    /// in the new catalog's order, then those only the old one had.
    pub controls: Vec<ControlChange>,
    pub catalog: CatalogChanges,
    pub exceptions: ExceptionChanges,
    pub attestations: Vec<AttestationChange>,
    /// Evidence errors of the packs' controls (results.json), by account,
    /// region, operation and AWS error code.
    pub collection_errors: Appeared<ErrorItem>,
    pub accounts: Appeared<String>,
    pub regions: Appeared<RegionItem>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Counts {
    pub new_failures: usize,
    pub fixed: usize,
    pub still_failing: usize,
    pub now_excepted: usize,
    pub status_changes: usize,
    pub newly_failing_controls: usize,
}

fn pack_ref(p: &PackView) -> PackRef {
    PackRef {
        path: p.path.clone(),
        pack_id: p.pack_id.clone(),
        sha256: p.sha256.clone(),
        collected: p.collected.clone(),
        verified: p.signer.is_some(),
        signer: p.signer.clone(),
    }
}

fn appeared<T: Ord + Clone>(old: &BTreeSet<T>, new: &BTreeSet<T>) -> Appeared<T> {
    Appeared { appeared: new.difference(old).cloned().collect(), disappeared: old.difference(new).cloned().collect() }
}

pub fn compare(old: &PackView, new: &PackView) -> Diff {
    let old_c: BTreeMap<&str, &ControlDoc> = old.results.controls.iter().map(|c| (c.id.as_str(), c)).collect();
    let new_c: BTreeMap<&str, &ControlDoc> = new.results.controls.iter().map(|c| (c.id.as_str(), c)).collect();
    let old_f: BTreeMap<&str, &FindingRow> = old.findings.iter().map(|f| (f.finding_id.as_str(), f)).collect();
    let new_f: BTreeMap<&str, &FindingRow> = new.findings.iter().map(|f| (f.finding_id.as_str(), f)).collect();

    // Controls in the new catalog's order, then the old catalog's leftovers.
    let mut ids: Vec<(&str, &str)> = new.results.controls.iter().map(|c| (c.id.as_str(), c.title.as_str())).collect();
    ids.extend(
        old.results
            .controls
            .iter()
            .filter(|c| !new_c.contains_key(c.id.as_str()))
            .map(|c| (c.id.as_str(), c.title.as_str())),
    );
    let by_control = |m: &BTreeMap<&str, &FindingRow>| {
        let mut out: BTreeMap<String, Vec<FindingRow>> = BTreeMap::new();
        for f in m.values() {
            out.entry(f.control_id.clone()).or_default().push((*f).clone());
        }
        out
    };
    let (old_by, new_by) = (by_control(&old_f), by_control(&new_f));
    let none = Vec::new();
    let mut counts = Counts::default();
    let mut controls = Vec::new();
    for (id, title) in ids {
        let (was, now) = (old_by.get(id).unwrap_or(&none), new_by.get(id).unwrap_or(&none));
        let mut change = ControlChange {
            id: id.into(),
            title: title.into(),
            old_status: old_c.get(id).map(|c| c.status.clone()),
            new_status: new_c.get(id).map(|c| c.status.clone()),
            new_failures: vec![],
            fixed: vec![],
            still_failing: vec![],
            now_excepted: vec![],
        };
        for f in now {
            match (f.status.as_str(), old_f.get(f.finding_id.as_str()).map(|o| o.status.as_str())) {
                ("fail", Some("fail")) => change.still_failing.push(f.into()),
                ("fail", _) => change.new_failures.push(f.into()),
                ("excepted", Some("excepted")) => {}
                ("excepted", _) => change.now_excepted.push(f.into()),
                _ => {}
            }
        }
        // A control the new catalog dropped fixed nothing: the catalog
        // changes say it was removed.
        if change.new_status.is_some() {
            change.fixed = was.iter().filter(|f| !new_f.contains_key(f.finding_id.as_str())).map(Into::into).collect();
        }
        let status_changed = change.old_status != change.new_status;
        let newly_failing =
            change.new_status.as_deref() == Some("fail") && change.old_status.as_deref() != Some("fail");
        counts.new_failures += change.new_failures.len();
        counts.fixed += change.fixed.len();
        counts.still_failing += change.still_failing.len();
        counts.now_excepted += change.now_excepted.len();
        counts.status_changes += usize::from(status_changed);
        counts.newly_failing_controls += usize::from(newly_failing);
        let listed = status_changed
            || !change.new_failures.is_empty()
            || !change.fixed.is_empty()
            || !change.still_failing.is_empty()
            || !change.now_excepted.is_empty();
        if listed {
            controls.push(change);
        }
    }

    // The catalog: controls added, removed, and changed in definition.
    let old_ids: BTreeSet<&str> = old_c.keys().copied().collect();
    let new_ids: BTreeSet<&str> = new_c.keys().copied().collect();
    let mut catalog = CatalogChanges {
        added: new_ids.difference(&old_ids).map(|s| s.to_string()).collect(),
        removed: old_ids.difference(&new_ids).map(|s| s.to_string()).collect(),
        changed: vec![],
    };
    for (id, new_def) in &new.definitions {
        let Some(old_def) = old.definitions.get(id) else { continue };
        if old_def == new_def {
            continue;
        }
        let field = |d: &serde_json::Value, k: &str| d.get(k).cloned().unwrap_or(serde_json::Value::Null);
        let (op, np) = (field(old_def, "params"), field(new_def, "params"));
        let names: BTreeSet<String> =
            [&op, &np].iter().filter_map(|p| p.as_object()).flat_map(|m| m.keys().cloned()).collect();
        let params = names
            .into_iter()
            .filter(|n| op.get(n) != np.get(n))
            .map(|n| ParamChange { old: op.get(&n).cloned(), new: np.get(&n).cloned(), name: n })
            .collect();
        let keys: BTreeSet<String> = [old_def, new_def]
            .iter()
            .filter_map(|d| d.as_object())
            .flat_map(|m| m.keys().cloned())
            .filter(|k| k != "check" && k != "params")
            .collect();
        let other = keys.into_iter().filter(|k| old_def.get(k) != new_def.get(k)).collect();
        catalog.changed.push(DefinitionChange {
            id: id.clone(),
            expression: field(old_def, "check") != field(new_def, "check"),
            params,
            other,
        });
    }

    // Exceptions, keyed by control, justification and approver: a new
    // expiry date on the same exception is a removal and an addition.
    let exceptions_of = |p: &PackView| -> BTreeMap<ExceptionItem, bool> {
        p.results
            .controls
            .iter()
            .flat_map(|c| {
                c.exceptions.iter().map(move |e| {
                    let item = ExceptionItem {
                        control: c.id.clone(),
                        justification: e.justification.trim().to_string(),
                        approver: e.approver.clone(),
                        expires: e.expires.clone(),
                    };
                    (item, e.active)
                })
            })
            .collect()
    };
    let (oe, ne) = (exceptions_of(old), exceptions_of(new));
    let exceptions = ExceptionChanges {
        added: ne.keys().filter(|k| !oe.contains_key(*k)).cloned().collect(),
        expired: ne
            .iter()
            .filter(|(k, active)| !**active && oe.get(*k) == Some(&true))
            .map(|(k, _)| k.clone())
            .collect(),
        removed: oe.keys().filter(|k| !ne.contains_key(*k)).cloned().collect(),
    };

    let attested = |p: &PackView| -> BTreeMap<String, AttestationItem> {
        p.results.controls.iter().filter_map(|c| Some((c.id.clone(), c.attestation.clone()?))).collect()
    };
    let (oa, na) = (attested(old), attested(new));
    let names: BTreeSet<&String> = oa.keys().chain(na.keys()).collect();
    let attestations = names
        .into_iter()
        .filter_map(|id| {
            let (o, n) = (oa.get(id), na.get(id));
            let change = match (o, n) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(a), Some(b)) if a != b => "changed",
                _ => return None,
            };
            Some(AttestationChange { control: id.clone(), change, old: o.cloned(), new: n.cloned() })
        })
        .collect();

    let errors = |p: &PackView| -> BTreeSet<ErrorItem> {
        p.results.controls.iter().flat_map(|c| c.evidence_errors.iter().cloned()).collect()
    };
    let accounts = |p: &PackView| -> BTreeSet<String> {
        p.results
            .regions
            .iter()
            .map(|r| r.account.clone())
            .chain(p.findings.iter().map(|f| f.account.clone()))
            .collect()
    };
    let regions = |p: &PackView| -> BTreeSet<RegionItem> {
        p.results
            .regions
            .iter()
            .flat_map(|r| r.read.iter().map(move |g| RegionItem { account: r.account.clone(), region: g.clone() }))
            .collect()
    };
    Diff {
        old: pack_ref(old),
        new: pack_ref(new),
        regression: counts.new_failures > 0 || counts.newly_failing_controls > 0,
        counts,
        controls,
        catalog,
        exceptions,
        attestations,
        collection_errors: appeared(&errors(old), &errors(new)),
        accounts: appeared(&accounts(old), &accounts(new)),
        regions: appeared(&regions(old), &regions(new)),
    }
}

impl Diff {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a diff serialises");
        s.push('\n');
        s
    }

    /// The headline: "2 new failures, 1 fixed, 3 still failing; 1 control changed status."
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "{} new {}, {} fixed, {} still failing",
            c.new_failures,
            if c.new_failures == 1 { "failure" } else { "failures" },
            c.fixed,
            c.still_failing
        );
        if c.now_excepted > 0 {
            s.push_str(&format!(", {} newly excepted", c.now_excepted));
        }
        s.push_str(&format!(
            "; {} {} changed status.",
            c.status_changes,
            if c.status_changes == 1 { "control" } else { "controls" }
        ));
        s
    }

    /// One sentence for each kind of change besides findings and statuses.
    pub fn other_changes(&self) -> Vec<String> {
        let list = |v: &[String]| v.join(", ");
        let mut out = Vec::new();
        let cat = &self.catalog;
        if !cat.added.is_empty() {
            out.push(format!("Controls added to the catalog: {}.", list(&cat.added)));
        }
        if !cat.removed.is_empty() {
            out.push(format!("Controls removed from the catalog: {}.", list(&cat.removed)));
        }
        for d in &cat.changed {
            let mut what = Vec::new();
            if d.expression {
                what.push("its check expression".to_string());
            }
            for p in &d.params {
                let v = |x: &Option<serde_json::Value>| x.as_ref().map_or("(none)".to_string(), |v| v.to_string());
                what.push(format!("parameter {} from {} to {}", p.name, v(&p.old), v(&p.new)));
            }
            if !d.other.is_empty() {
                what.push(format!("its {}", d.other.join(", ")));
            }
            out.push(format!("Control {} changed: {}.", d.id, what.join("; ")));
        }
        let exc = |e: &ExceptionItem| {
            format!("{} ({}, approved by {}, until {})", e.control, e.justification, e.approver, e.expires)
        };
        for (items, what) in [
            (&self.exceptions.added, "Exceptions added"),
            (&self.exceptions.expired, "Exceptions expired"),
            (&self.exceptions.removed, "Exceptions removed"),
        ] {
            if !items.is_empty() {
                out.push(format!("{what}: {}.", items.iter().map(exc).collect::<Vec<_>>().join("; ")));
            }
        }
        for a in &self.attestations {
            let by = |x: &Option<AttestationItem>| {
                x.as_ref().map_or(String::new(), |a| format!("{} by {} on {}", a.answer.join(" + "), a.by, a.date))
            };
            out.push(match a.change {
                "added" => format!("Attestation of {} added: {}.", a.control, by(&a.new)),
                "removed" => format!("Attestation of {} removed (was {}).", a.control, by(&a.old)),
                _ => format!("Attestation of {} changed: was {}, now {}.", a.control, by(&a.old), by(&a.new)),
            });
        }
        let err = |e: &ErrorItem| format!("{} in {}/{} ({})", e.operation, e.account, e.region, e.code);
        for (items, what) in [
            (&self.collection_errors.appeared, "Collection errors appeared"),
            (&self.collection_errors.disappeared, "Collection errors cleared"),
        ] {
            if !items.is_empty() {
                out.push(format!("{what}: {}.", items.iter().map(err).collect::<Vec<_>>().join("; ")));
            }
        }
        if !self.accounts.appeared.is_empty() {
            out.push(format!("Accounts appeared: {}.", list(&self.accounts.appeared)));
        }
        if !self.accounts.disappeared.is_empty() {
            out.push(format!("Accounts disappeared: {}.", list(&self.accounts.disappeared)));
        }
        let reg =
            |v: &[RegionItem]| v.iter().map(|r| format!("{}/{}", r.account, r.region)).collect::<Vec<_>>().join(", ");
        if !self.regions.appeared.is_empty() {
            out.push(format!("Regions appeared: {}.", reg(&self.regions.appeared)));
        }
        if !self.regions.disappeared.is_empty() {
            out.push(format!("Regions disappeared: {}.", reg(&self.regions.disappeared)));
        }
        out
    }

    /// The Markdown `diff` prints: every value from the packs escaped.
    pub fn markdown(&self) -> String {
        let e = escape::inline;
        let mut out = String::new();
        let short = |id: &str| id.get(..16).unwrap_or(id).to_string();
        out.push_str(&format!(
            "# Changes from pack {} to pack {}\n\n",
            e(&short(&self.old.pack_id)),
            e(&short(&self.new.pack_id))
        ));
        out.push_str("| | Old | New |\n|---|---|---|\n");
        out.push_str(&format!("| File | {} | {} |\n", e(&self.old.path), e(&self.new.path)));
        out.push_str(&format!(
            "| Pack id | {} | {} |\n",
            escape::code(&self.old.pack_id),
            escape::code(&self.new.pack_id)
        ));
        out.push_str(&format!("| Collected | {} | {} |\n", e(&self.old.collected), e(&self.new.collected)));
        let verified = |p: &PackRef| match &p.signer {
            Some(s) => format!("yes, signed by {}", escape::code(s)),
            None => "**not verified**".to_string(),
        };
        out.push_str(&format!("| Verified | {} | {} |\n\n", verified(&self.old), verified(&self.new)));
        if !self.old.verified || !self.new.verified {
            out.push_str(
                "The packs were **not verified**: give the signer's key with `--public-key KEY.pub` to check them first.\n\n",
            );
        }
        out.push_str(&format!("**{}**", e(&self.summary())));
        out.push_str(if self.regression { " Regression: yes.\n" } else { " Regression: no.\n" });

        out.push_str("\n## Controls\n");
        if self.controls.is_empty() {
            out.push_str("\nNo control changed status, and none fails.\n");
        }
        let status =
            |s: &Option<String>| s.as_deref().map_or("(not in catalog)".to_string(), crate::render::status_badge);
        let table = |out: &mut String, what: &str, items: &[FindingItem]| {
            if items.is_empty() {
                return;
            }
            out.push_str(&format!("\n**{what}** ({})\n\n", items.len()));
            out.push_str("| Finding | Resource | Account/Region | Reason |\n|---|---|---|---|\n");
            for f in items {
                let name = if f.resource_name.is_empty() { f.resource_id.as_str() } else { f.resource_name.as_str() };
                out.push_str(&format!(
                    "| {} | {} | {}/{} | {} |\n",
                    escape::code(&f.finding_id),
                    e(if name.is_empty() { "(account)" } else { name }),
                    e(&f.account),
                    e(&f.region),
                    e(&f.reason)
                ));
            }
        };
        for c in &self.controls {
            out.push_str(&format!("\n### {} {}\n\n", e(&c.id), e(&c.title)));
            if c.old_status == c.new_status {
                out.push_str(&format!("Status: {} (unchanged)\n", status(&c.new_status)));
            } else {
                out.push_str(&format!("Status: {} → {}\n", status(&c.old_status), status(&c.new_status)));
            }
            table(&mut out, "New failures", &c.new_failures);
            table(&mut out, "Fixed", &c.fixed);
            table(&mut out, "Now excepted", &c.now_excepted);
            if !c.still_failing.is_empty() {
                out.push_str(&format!(
                    "\n**Still failing** ({}): {}\n",
                    c.still_failing.len(),
                    c.still_failing.iter().map(|f| escape::code(&f.finding_id)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        out.push_str("\n## Other changes\n\n");
        let other = self.other_changes();
        if other.is_empty() {
            out.push_str(
                "No change to the catalog, exceptions, attestations, collection errors, accounts or regions.\n",
            );
        }
        for line in other {
            out.push_str(&format!("- {}\n", e(&line)));
        }
        out
    }

    /// The report chapter `--baseline` adds.
    pub fn chapter(&self) -> ChangesView {
        let row = |control: &str, f: &FindingItem| ChangeRow {
            control: control.into(),
            anchor: crate::render::anchor(control),
            finding_id: f.finding_id.clone(),
            resource: if !f.resource_name.is_empty() {
                f.resource_name.clone()
            } else if !f.resource_id.is_empty() {
                f.resource_id.clone()
            } else {
                "(account)".into()
            },
            location: format!("{}/{}", f.account, f.region),
            reason: f.reason.clone(),
        };
        let short = self.old.pack_id.get(..16).unwrap_or(&self.old.pack_id);
        ChangesView {
            title: format!("Changes since pack {short}, {}", self.old.collected),
            baseline_id: self.old.pack_id.clone(),
            baseline_sha256: self.old.sha256.clone(),
            summary: self.summary(),
            status_changes: self
                .controls
                .iter()
                .filter(|c| c.old_status != c.new_status)
                .map(|c| StatusChange {
                    id: c.id.clone(),
                    anchor: crate::render::anchor(&c.id),
                    title: c.title.clone(),
                    old: c.old_status.clone().unwrap_or_default(),
                    new: c.new_status.clone().unwrap_or_default(),
                })
                .collect(),
            new_failures: self.controls.iter().flat_map(|c| c.new_failures.iter().map(|f| row(&c.id, f))).collect(),
            fixed: self.controls.iter().flat_map(|c| c.fixed.iter().map(|f| row(&c.id, f))).collect(),
            other: self.other_changes(),
        }
    }
}

#[cfg(test)]
mod tests;
