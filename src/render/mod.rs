//! Stage 3: render the results and evidence as a report.
//!
//! One [`Report`] model is built from the snapshot and results; every
//! output format renders that model, so the report's structure lives in one
//! place and the templates only lay it out.

pub mod changes;
pub mod collection;
pub mod escape;
pub mod evidence;
pub mod oscal;
pub mod pdf;
pub mod status;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::evaluate::{Catalog, ControlBody, ControlResult, Counts, ExceptionNote, Finding, Results, Status};
use crate::snapshot::{CollectionError, Snapshot};
pub use tables::Table;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub cover: Cover,
    pub summary: SummaryView,
    pub controls: Vec<ControlView>,
    /// The evidence CSVs in the pack, each kind's every row.
    pub evidence: Vec<EvidenceFile>,
    /// Their bytes, by member name, for [`crate::pack`] to seal; not
    /// part of the report's data.
    #[serde(skip)]
    pub evidence_csv: Vec<(String, Vec<u8>)>,
    /// How much of a long table a control shows, for the appendix to say.
    pub evidence_limits: evidence::Limits,
    pub errors: Vec<CollectionError>,
    /// Per account: regions read and not readable, API calls, failed calls.
    pub collection: Vec<collection::AccountCollection>,
    /// What changed since the `--baseline` pack: the report's first chapter.
    pub changes: Option<changes::ChangesView>,
    /// The exceptions register: every exception as it applied, and those
    /// expiring soon. Set by [`crate::pack`], which has the inputs; empty
    /// without exceptions.
    pub register: crate::evaluate::exceptions::Register,
}

/// One `evidence/<kind>.csv` of the pack.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceFile {
    pub name: String,
    pub title: String,
    pub rows: String,
    pub resources: String,
}

/// Controls that passed (or do not apply) on the same evidence, shown as
/// one section: the first of them carries it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub title: String,
    pub anchor: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cover {
    pub catalog_name: String,
    pub catalog_version: u32,
    pub catalog_sha256: String,
    pub snapshot_sha256: String,
    pub tool: String,
    pub accounts: Vec<AccountView>,
    /// Accounts read, and how many of them failed, for a pack of several.
    pub accounts_line: String,
    pub regions: Vec<String>,
    /// Enabled regions a `--regions` subset left out, or that the enabled
    /// regions are unknown; empty when every enabled region was read.
    pub regions_note: String,
    pub collected_from: String,
    pub collected_to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: String,
    pub alias: String,
    pub collector_arn: String,
    /// The regions read in this account (a merged pack's accounts may
    /// differ), or "-" when none was.
    pub regions: String,
    /// "failed: …", why collection failed for the whole account (it could
    /// not be entered, or every call it made failed); "" when it was read.
    pub failed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryView {
    pub counts: BTreeMap<String, usize>,
    pub total: usize,
    /// Manual controls still waiting for an answer.
    pub open: Vec<String>,
    pub rows: Vec<SummaryRow>,
    /// Each account's count of controls by status, for a pack of more than
    /// one account (empty for one, whose counts are the summary's).
    pub by_account: Vec<AccountCounts>,
    /// The accounts as the control × account grid's columns; empty for one
    /// account, and past [`GRID_ACCOUNTS`], where the grid would not fit a
    /// page.
    pub accounts: Vec<String>,
    /// Each control evaluated per account, with its status in each.
    pub matrix: Vec<MatrixRow>,
    /// Where the per-account statuses are when the grid is left out.
    pub matrix_note: String,
    /// What each mark in the matrix means.
    pub legend: String,
}

/// One account's row of the account × status counts table.
#[derive(Debug, Clone, Serialize)]
pub struct AccountCounts {
    pub id: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub total: usize,
}

/// The most accounts the control × account grid has columns for: past it
/// the grid leaves an A4 page, so only the counts per account are shown.
pub const GRID_ACCOUNTS: usize = 6;

/// One control's row of the account × control matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub id: String,
    pub anchor: String,
    /// The status in each of [`SummaryView::accounts`] (its JSON name), or
    /// "" where the control has no verdict for that account.
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    /// Failing resources, or "-" for a control made of others.
    pub failing: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub anchor: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub reason: String,
    pub description: String,
    pub frameworks: Vec<String>,
    pub failing: Vec<FindingView>,
    /// The same findings by place and what is wrong (see [`finding_groups`]),
    /// for a pack of one account.
    pub failing_groups: Vec<FindingGroup>,
    /// The failing resources by account, for a pack of more than one.
    pub failing_by_account: Vec<AccountFindings>,
    pub evidence_errors: Vec<CollectionError>,
    pub tables: Vec<Table>,
    pub sections: Vec<SectionView>,
    pub remediation: String,
    pub remediation_url: String,
    /// For a manual control: the question and its choices.
    pub question: String,
    pub choices: Vec<ChoiceView>,
    pub attestation: Option<AttestationView>,
    pub exceptions: Vec<ExceptionNote>,
    /// On the first control of a group of controls that share a section
    /// (see [`group`]): the section's heading.
    pub group: Option<GroupView>,
    /// The control is one of a group: its evidence is the group's.
    pub grouped: bool,
    /// On the last control of a group: the evidence they all read.
    pub shared_tables: Vec<Table>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    pub id: String,
    pub title: String,
    pub chosen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttestationView {
    pub by: String,
    pub date: String,
    pub note: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountFindings {
    pub account: String,
    pub findings: Vec<FindingView>,
    /// The same findings by region and what is wrong (see [`finding_groups`]).
    pub groups: Vec<FindingGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub name: String,
    pub id: String,
    pub location: String,
    pub region: String,
    pub problems: String,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> FindingView {
        FindingView {
            name: f.name.clone(),
            id: f.id.clone(),
            location: format!("{}/{}", f.account, f.region),
            region: f.region.clone(),
            problems: f.problems.join("; "),
        }
    }
}

/// Failing resources with the same problems in the same place.
#[derive(Debug, Clone, Serialize)]
pub struct FindingGroup {
    /// `account/region`, or the region under an account's heading.
    pub location: String,
    pub problems: String,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    pub title: String,
    pub text: String,
    pub controls: Vec<SummaryRow>,
    pub reasons: Vec<String>,
    pub tables: Vec<Table>,
}

/// The anchor GitHub gives a heading (lowercase, punctuation dropped,
/// spaces as dashes), so links work in report.md on GitHub and in report.html.
pub fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The names auditors use for the catalog's framework keys.
fn framework_name(key: &str) -> String {
    match key {
        "security_hub" => "AWS Security Hub".into(),
        "trusted_advisor" => "AWS Trusted Advisor".into(),
        "cis_aws_foundations_1_2" => "CIS AWS Foundations 1.2".into(),
        "cis_aws_foundations_1_4" => "CIS AWS Foundations 1.4".into(),
        "nist_800_53_r5" => "NIST SP 800-53 Rev. 5".into(),
        "pci_dss_3_2_1" => "PCI DSS 3.2.1".into(),
        // Keys of evidence-pack's own, not a published framework's.
        "partner_review" => "Partner review".into(),
        "foundational_controls" => "Foundational controls".into(),
        "retired_by_aws" => "Retired by AWS".into(),
        other => other.replace('_', " "),
    }
}

/// What the cover says about regions that were not read: an enabled region
/// left out by `--regions`, or enabled regions that could not be listed.
fn regions_note(snapshot: &Snapshot) -> String {
    let many = snapshot.accounts.len() > 1;
    let mut notes = Vec::new();
    for a in &snapshot.accounts {
        let prefix = if many { format!("{}: ", a.account_id) } else { String::new() };
        match &a.regions_enabled {
            Some(enabled) => {
                let left: Vec<&str> = enabled.iter().filter(|r| !a.regions.contains(r)).map(String::as_str).collect();
                if !left.is_empty() {
                    notes.push(format!(
                        "{prefix}{} of {} enabled regions not read ({})",
                        left.len(),
                        enabled.len(),
                        left.join(", ")
                    ));
                }
            }
            None => {
                let failed =
                    snapshot.errors.iter().find(|e| e.account == a.account_id && e.operation == "ec2:DescribeRegions");
                if let Some(e) = failed {
                    // Without `--regions`, collection recorded the failure
                    // against every regional kind.
                    let regional = if e.resource_types.len() > 1 { "; regional controls are in error" } else { "" };
                    notes.push(format!("{prefix}enabled regions unknown (ec2:DescribeRegions failed){regional}"));
                }
            }
        }
        for u in &a.regions_unreadable {
            let what = match &u.service {
                None => format!("{} not readable", u.region),
                Some(s) => format!("{s} in {} not readable", u.region),
            };
            notes.push(format!("{prefix}{what} ({})", crate::evaluate::results::why_unreadable(u)));
        }
    }
    notes.join("; ")
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn summary_row(r: &ControlResult) -> SummaryRow {
    SummaryRow {
        id: r.id.clone(),
        anchor: anchor(&r.id),
        title: r.title.clone(),
        severity: format!("{:?}", r.severity).to_lowercase(),
        status: r.status.as_str().to_string(),
        failing: if r.includes.is_empty() { r.failing.len().to_string() } else { "-".into() },
    }
}

pub fn build(snapshot: &Snapshot, snapshot_sha256: &str, catalog: &Catalog, results: &Results) -> Report {
    let failing_of = |ids: &[&str]| -> BTreeSet<&str> {
        ids.iter().filter_map(|id| results.get(id)).flat_map(|r| r.failing.iter().map(|f| f.id.as_str())).collect()
    };
    // Failing resources an active exception covers.
    let excepted_of = |ids: &[&str]| -> BTreeSet<&str> {
        ids.iter()
            .filter_map(|id| results.get(id))
            .flat_map(|r| r.exceptions.iter().filter(|e| e.active).flat_map(|e| e.covered.iter().map(String::as_str)))
            .collect()
    };
    let wanted: BTreeSet<&str> = catalog
        .controls
        .iter()
        .flat_map(|c| match &c.body {
            ControlBody::Composite(secs) => secs.iter().flat_map(|s| s.evidence.iter()).collect::<Vec<_>>(),
            _ => c.evidence.iter().collect(),
        })
        .map(String::as_str)
        .collect();
    let mut evidence = evidence::Evidence::build(snapshot, &wanted);
    let mut controls = Vec::new();
    // For each control, the evidence it shares with others when it has
    // nothing to report (see [`group`]).
    let mut quiet: Vec<Option<Vec<String>>> = Vec::new();
    for c in &catalog.controls {
        let Some(r) = results.get(&c.id) else { continue };
        let mut sections = Vec::new();
        let mut tables = Vec::new();
        match &c.body {
            ControlBody::Composite(secs) => {
                for s in secs {
                    let ids: Vec<&str> = s.controls.iter().map(String::as_str).collect();
                    let parts: Vec<&ControlResult> = ids.iter().filter_map(|i| results.get(i)).collect();
                    sections.push(SectionView {
                        title: s.title.clone(),
                        text: s.text.clone(),
                        controls: parts.iter().map(|p| summary_row(p)).collect(),
                        reasons: parts.iter().map(|p| p.reason.clone()).collect(),
                        tables: evidence.tables(&s.evidence, &failing_of(&ids), &excepted_of(&ids)),
                    });
                }
            }
            _ => {
                let me = [c.id.as_str()];
                tables = evidence.tables(&c.evidence, &failing_of(&me), &excepted_of(&me));
            }
        }
        let nothing_to_report = matches!(c.body, ControlBody::Check(_))
            && matches!(r.status, Status::Pass | Status::NotApplicable)
            && r.failing.is_empty()
            && r.exceptions.is_empty()
            && r.evidence_errors.is_empty();
        quiet.push(nothing_to_report.then(|| {
            let kinds: BTreeSet<String> = c.evidence.iter().cloned().collect();
            kinds.into_iter().collect()
        }));
        controls.push(ControlView {
            id: c.id.clone(),
            anchor: anchor(&c.id),
            title: c.title.clone(),
            severity: format!("{:?}", c.severity).to_lowercase(),
            status: r.status.as_str().to_string(),
            reason: r.reason.clone(),
            description: c.description.trim().to_string(),
            frameworks: c.frameworks.iter().map(|(k, v)| format!("{}: {}", framework_name(k), v.join(", "))).collect(),
            failing: r.failing.iter().map(FindingView::from).collect(),
            // A pack of several accounts groups its findings per account.
            failing_groups: if snapshot.accounts.len() > 1 {
                vec![]
            } else {
                finding_groups(r.failing.iter(), |f| format!("{}/{}", f.account, f.region))
            },
            failing_by_account: if snapshot.accounts.len() > 1 { by_account(r) } else { vec![] },
            evidence_errors: alike(&r.evidence_errors),
            tables,
            sections,
            remediation: c.remediation.as_ref().map(|r| r.text.trim().to_string()).unwrap_or_default(),
            // A catalog is input too: only web and mail links are followed.
            remediation_url: c
                .remediation
                .as_ref()
                .and_then(|r| r.url.clone())
                .filter(|u| escape::is_safe_url(u))
                .unwrap_or_default(),
            question: match &c.body {
                ControlBody::Manual(m) => m.question.clone(),
                _ => String::new(),
            },
            choices: match &c.body {
                ControlBody::Manual(m) => m
                    .choices
                    .iter()
                    .map(|ch| ChoiceView {
                        id: ch.id.clone(),
                        title: ch.title.clone(),
                        chosen: r.attestation.as_ref().is_some_and(|a| a.answer.contains(&ch.id)),
                    })
                    .collect(),
                _ => vec![],
            },
            attestation: r.attestation.as_ref().map(|a| AttestationView {
                by: a.by.clone(),
                date: a.date.to_string(),
                note: a.note.trim().to_string(),
                evidence: a
                    .evidence
                    .iter()
                    .map(|f| {
                        format!(
                            "attestations/{}/{}",
                            a.control,
                            std::path::Path::new(f)
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
            }),
            exceptions: r.exceptions.clone(),
            group: None,
            grouped: false,
            shared_tables: vec![],
        });
    }
    let controls = group(controls, &quiet);
    let failures = account_failures(snapshot);
    let s = &results.summary.counts;
    let counts = BTreeMap::from([
        ("pass".to_string(), s.pass),
        ("fail".to_string(), s.fail),
        ("error".to_string(), s.error),
        ("manual".to_string(), s.manual),
        ("not_applicable".to_string(), s.not_applicable),
        ("excepted".to_string(), s.excepted),
    ]);
    Report {
        title: "AWS Security Evidence Pack".into(),
        cover: Cover {
            catalog_name: catalog.name.clone(),
            catalog_version: catalog.version,
            catalog_sha256: catalog.sha256.clone(),
            snapshot_sha256: snapshot_sha256.to_string(),
            tool: snapshot.tool.to_string(),
            accounts: snapshot
                .accounts
                .iter()
                .map(|a| AccountView {
                    id: a.account_id.clone(),
                    alias: a.alias.clone().unwrap_or_else(|| "-".into()),
                    collector_arn: a.collector_arn.clone(),
                    regions: {
                        let read: Vec<&str> = a.regions_read().map(String::as_str).collect();
                        if read.is_empty() { "-".into() } else { read.join(", ") }
                    },
                    failed: failures.get(a.account_id.as_str()).cloned().unwrap_or_default(),
                })
                .collect(),
            accounts_line: accounts_line(snapshot, &failures),
            regions: snapshot.regions().into_iter().map(String::from).collect(),
            regions_note: regions_note(snapshot),
            collected_from: time(snapshot.collected_at.started),
            collected_to: time(snapshot.collected_at.finished),
        },
        summary: SummaryView {
            counts,
            total: results.controls.len(),
            open: results.summary.open_attestations.clone(),
            rows: results.controls.iter().map(summary_row).collect(),
            by_account: if snapshot.accounts.len() > 1 { account_counts(snapshot, results) } else { vec![] },
            accounts: grid_accounts(results),
            matrix: if grid_accounts(results).is_empty() { vec![] } else { matrix(results) },
            matrix_note: matrix_note(results),
            legend: status::all()
                .map(|l| format!("{} {}", l.mark, l.label.to_lowercase()))
                .collect::<Vec<_>>()
                .join(" · "),
        },
        controls,
        evidence: evidence.files(),
        evidence_csv: evidence.take_files(),
        evidence_limits: evidence::Limits::default(),
        errors: alike(&snapshot.errors),
        collection: collection::build(snapshot),
        changes: None,
        register: Default::default(),
    }
}

/// Resources an error row names before it says how many more: the rest
/// are in results.json and snapshot.json.
const NAMED_IN_ERROR: usize = 5;

/// Collection errors as a reader needs them: calls that failed alike (the
/// same operation, place, code and message, say one per bucket) once, in
/// order of first failure, the message saying how many and naming the
/// first few resources. Fifty identical rows under every S3 control said
/// nothing the first did not.
fn alike(errors: &[CollectionError]) -> Vec<CollectionError> {
    let mut seen: BTreeMap<(&str, &str, &str, &str, &str), usize> = BTreeMap::new();
    // A control that needs a kind twice lists its errors twice: a call is
    // counted once, by what it was about and when it failed.
    let mut out: Vec<(CollectionError, BTreeSet<_>, Vec<&str>, BTreeSet<&str>)> = Vec::new();
    for e in errors {
        let key = (e.account.as_str(), e.region.as_str(), e.operation.as_str(), e.code.as_str(), e.message.as_str());
        let i = *seen.entry(key).or_insert_with(|| {
            out.push((e.clone(), BTreeSet::new(), Vec::new(), BTreeSet::new()));
            out.len() - 1
        });
        let (_, calls, names, named) = &mut out[i];
        calls.insert((e.resource.as_deref(), e.collected_at));
        if let Some(r) = e.resource.as_deref().filter(|r| named.insert(r)) {
            names.push(r);
        }
    }
    out.into_iter()
        .map(|(mut e, calls, names, _)| {
            let shown = names.iter().take(NAMED_IN_ERROR).copied().collect::<Vec<_>>().join(", ");
            let about = match names.len().saturating_sub(NAMED_IN_ERROR) {
                _ if names.is_empty() => None,
                0 => Some(format!("for {shown}")),
                more => Some(format!("for {shown} and {more} more")),
            };
            e.message = match (calls.len(), about) {
                (1, None) => e.message,
                (1, Some(about)) => format!("{} ({about})", e.message),
                (n, None) => format!("{} ({n} calls failed alike)", e.message),
                (n, Some(about)) => format!("{} ({n} calls failed alike, {about})", e.message),
            };
            e
        })
        .collect()
}

/// For each account, "failed: …" when collection failed for the whole of
/// it, else "": an account-level error (it could not be entered, or its
/// identity not read), or an account from which nothing came back but
/// errors. One pass over the errors and resources, as a pack may hold a
/// thousand accounts.
fn account_failures(snapshot: &Snapshot) -> BTreeMap<&str, String> {
    let mut errors: BTreeMap<&str, Vec<&CollectionError>> = BTreeMap::new();
    for e in &snapshot.errors {
        errors.entry(e.account.as_str()).or_default().push(e);
    }
    let with_resources: BTreeSet<&str> = snapshot.resources.iter().map(|r| r.account.as_str()).collect();
    let whole = |e: &CollectionError| {
        matches!(e.operation.as_str(), "sts:AssumeRole" | "sts:GetCallerIdentity")
            || crate::snapshot::kinds::ALL.iter().all(|k| e.resource_types.iter().any(|t| t == k))
    };
    snapshot
        .accounts
        .iter()
        .map(|a| {
            let id = a.account_id.as_str();
            let mine = errors.get(id).map(Vec::as_slice).unwrap_or_default();
            let why = if let Some(e) = mine.iter().find(|e| whole(e)) {
                format!("failed: {} returned {}", e.operation, e.code)
            } else if !mine.is_empty() && !with_resources.contains(id) {
                let codes: BTreeSet<&str> = mine.iter().map(|e| e.code.as_str()).collect();
                format!(
                    "failed: every call ({} {}: {})",
                    mine.len(),
                    if mine.len() == 1 { "error" } else { "errors" },
                    codes.into_iter().collect::<Vec<_>>().join(", ")
                )
            } else {
                String::new()
            };
            (id, why)
        })
        .collect()
}

/// "3 accounts: 2 read, 1 whose collection failed (444455556666)." for a
/// pack of several accounts; "" for one, whose cover names it.
fn accounts_line(snapshot: &Snapshot, failures: &BTreeMap<&str, String>) -> String {
    let n = snapshot.accounts.len();
    if n < 2 {
        return String::new();
    }
    let failed: Vec<&str> = snapshot
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .filter(|id| failures.get(id).is_some_and(|f| !f.is_empty()))
        .collect();
    if failed.is_empty() {
        format!("{n} accounts, all read.")
    } else {
        format!(
            "{n} accounts: {} read, {} whose collection failed ({}).",
            n - failed.len(),
            failed.len(),
            failed.join(", ")
        )
    }
}

/// Each account's controls by status. A control judged per account counts
/// its verdict there; a manual control, answered once for the pack, counts
/// its one status in every account, so each row adds up to every control.
fn account_counts(snapshot: &Snapshot, results: &Results) -> Vec<AccountCounts> {
    let mut rows: BTreeMap<&str, AccountCounts> = BTreeMap::new();
    let row = |id: &str| AccountCounts { id: id.to_string(), counts: Counts::default(), total: 0 };
    for a in &snapshot.accounts {
        rows.insert(a.account_id.as_str(), row(&a.account_id));
    }
    for c in &results.controls {
        for a in &c.accounts {
            rows.entry(a.account.as_str()).or_insert_with(|| row(&a.account));
        }
    }
    let add = |row: &mut AccountCounts, status: Status| {
        row.counts.add(status);
        row.total += 1;
    };
    for c in &results.controls {
        if c.accounts.is_empty() {
            rows.values_mut().for_each(|r| add(r, c.status));
        } else {
            for a in &c.accounts {
                if let Some(r) = rows.get_mut(a.account.as_str()) {
                    add(r, a.status);
                }
            }
        }
    }
    rows.into_values().collect()
}

/// The grid's columns: the accounts, when there are several and few
/// enough to fit a page.
fn grid_accounts(results: &Results) -> Vec<String> {
    let accounts = matrix_accounts(results);
    if accounts.len() > GRID_ACCOUNTS { vec![] } else { accounts }
}

/// Where to find each control's status in each account when the grid is
/// left out.
fn matrix_note(results: &Results) -> String {
    let n = matrix_accounts(results).len();
    if n <= GRID_ACCOUNTS {
        return String::new();
    }
    format!(
        "A control × account grid of {n} accounts would not fit a page, so it is left out: each control's status in each account is in results.json (controls[].accounts), and each control below lists its failing resources by account."
    )
}

/// A control's failing resources, grouped by account in account order.
fn by_account(r: &ControlResult) -> Vec<AccountFindings> {
    let mut accounts: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &r.failing {
        accounts.entry(f.account.as_str()).or_default().push(f);
    }
    accounts
        .into_iter()
        .map(|(account, findings)| AccountFindings {
            account: account.to_string(),
            findings: findings.iter().copied().map(FindingView::from).collect(),
            groups: finding_groups(findings.into_iter(), |f| f.region.clone()),
        })
        .collect()
}

/// Failing resources that share what is wrong with them and where they
/// are (`location`), in order of both: past [`evidence::Limits::failing`]
/// resources the PDF lists them so, by name, rather than one table row
/// each. A thousand snapshots anyone can restore are one finding an auditor
/// reads once, and a table row per snapshot cost a page per sixty.
fn finding_groups<'a>(
    findings: impl Iterator<Item = &'a Finding>,
    location: impl Fn(&Finding) -> String,
) -> Vec<FindingGroup> {
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in findings {
        groups.entry((location(f), f.problems.join("; "))).or_default().push(f.name.clone());
    }
    groups.into_iter().map(|((location, problems), names)| FindingGroup { location, problems, names }).collect()
}

/// The accounts any control was evaluated in one by one (none for a pack
/// of one account).
fn matrix_accounts(results: &Results) -> Vec<String> {
    let ids: BTreeSet<&str> =
        results.controls.iter().flat_map(|c| c.accounts.iter().map(|a| a.account.as_str())).collect();
    ids.into_iter().map(String::from).collect()
}

/// The account × control matrix: every control with per-account verdicts
/// (manual controls are answered for the whole pack, so have none).
fn matrix(results: &Results) -> Vec<MatrixRow> {
    let accounts = matrix_accounts(results);
    results
        .controls
        .iter()
        .filter(|c| !c.accounts.is_empty())
        .map(|c| MatrixRow {
            id: c.id.clone(),
            anchor: anchor(&c.id),
            cells: accounts
                .iter()
                .map(|id| {
                    c.accounts
                        .iter()
                        .find(|a| &a.account == id)
                        .map(|a| a.status.as_str().to_string())
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect()
}

/// Controls with nothing to report (passed or not applicable, no failing
/// resource, exception or missing evidence) that read the same kinds share
/// one section, placed where the first of them is in the catalog: their
/// verdicts and reasons each, their evidence once. `quiet` holds each
/// control's kinds when it has nothing to report. A control alone with its
/// kinds keeps a section of its own.
fn group(controls: Vec<ControlView>, quiet: &[Option<Vec<String>>]) -> Vec<ControlView> {
    let mut blocks: Vec<Vec<ControlView>> = Vec::new();
    let mut by_kinds: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for (c, q) in controls.into_iter().zip(quiet) {
        match q.as_ref().and_then(|k| by_kinds.get(k).copied()) {
            Some(b) => blocks[b].push(c),
            None => {
                if let Some(k) = q {
                    by_kinds.insert(k, blocks.len());
                }
                blocks.push(vec![c]);
            }
        }
    }
    let mut out = Vec::new();
    for mut block in blocks {
        if block.len() > 1 {
            let all = |s: &str| block.iter().all(|c| c.status == s);
            let verdict = if all("pass") {
                "Passed"
            } else if all("not_applicable") {
                "Not applicable"
            } else {
                "Passed or not applicable"
            };
            let mut titles: Vec<&str> = block[0].tables.iter().map(|t| t.title.as_str()).collect();
            let on = match titles.len() {
                0 => "with no evidence tables".to_string(),
                1 => format!("on {}", titles[0]),
                _ => {
                    let last = titles.pop().unwrap_or_default();
                    format!("on {} and {last}", titles.join(", "))
                }
            };
            let ids: Vec<&str> = block.iter().map(|c| c.id.as_str()).collect();
            let title = format!("{verdict} {on}");
            let text = format!(
                "{} read the same evidence and have nothing to report. Each verdict and reason follows; the evidence is shown once, after them.",
                ids.join(", ")
            );
            let shared = std::mem::take(&mut block[0].tables);
            for c in &mut block {
                c.grouped = true;
                c.tables.clear();
            }
            block[0].group = Some(GroupView { anchor: anchor(&title), title, text });
            if let Some(last) = block.last_mut() {
                last.shared_tables = shared;
            }
        }
        out.extend(block);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("report template error: {0}")]
    Template(String),
    #[error("{0}")]
    Date(String),
}

/// Tera's escape hook: every value the template prints is Markdown text.
fn escape_markdown(s: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(escape::inline(s).as_bytes())
}

pub fn markdown(report: &Report) -> Result<String, RenderError> {
    let err = |e: tera::Error| RenderError::Template(e.to_string());
    let mut tera = tera::Tera::new();
    // Input text must never become Markdown (or, through it, HTML): every
    // value is escaped unless a filter below returns it as safe Markdown.
    tera.set_escape_fn(escape_markdown);
    tera.autoescape_on([".md"]);
    let safe = |s: String| tera::Value::safe_string(&s);
    // Filters first: templates are checked against them when added.
    tera.register_filter("code", move |s: &str, _: tera::Kwargs, _: &tera::State| safe(escape::code(s)));
    tera.register_filter("code_block", move |lines: Vec<String>, _: tera::Kwargs, _: &tera::State| {
        safe(escape::code_block(&lines, "sh"))
    });
    tera.register_filter("prose", move |s: &str, _: tera::Kwargs, _: &tera::State| safe(escape::prose(s)));
    tera.register_filter("doc_link", move |url: &str, _: tera::Kwargs, _: &tera::State| {
        safe(escape::link_target(url).map(|u| format!(" ([documentation]({u}))")).unwrap_or_default())
    });
    tera.register_filter("badge", |s: &str, _: tera::Kwargs, _: &tera::State| status_badge(s));
    tera.register_filter("mark", |s: &str, _: tera::Kwargs, _: &tera::State| status_mark(s));
    tera.register_filter("flag_mark", |b: bool, _: tera::Kwargs, _: &tera::State| if b { FLAG } else { "" });
    tera.add_raw_template("report.md", include_str!("../../templates/report.md.tera")).map_err(err)?;
    let ctx = tera::Context::from_serialize(report).map_err(err)?;
    let mut out = tera.render("report.md", &ctx).map_err(err)?;
    // Templates leave runs of blank lines around skipped blocks.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    Ok(out)
}

fn html_badge(text: &str) -> Option<String> {
    if text.trim() == FLAG {
        return Some(r#"<span class="badge fail">flagged</span>"#.into());
    }
    status::all()
        .find(|l| status::badge(l.status) == text.trim())
        .map(|l| format!(r#"<span class="badge {}">{}</span>"#, l.class, l.label))
}

/// The mark on a flagged evidence row in Markdown.
pub const FLAG: &str = "⚠️";

/// The Markdown badge for a status name, or the name itself if unknown.
pub fn status_badge(s: &str) -> String {
    Status::ALL.into_iter().find(|x| x.as_str() == s).map_or_else(|| s.to_string(), status::badge)
}

/// The Markdown mark for a status name (`❌`), or "-" if unknown.
pub fn status_mark(s: &str) -> &'static str {
    Status::ALL.into_iter().find(|x| x.as_str() == s).map_or("-", |x| status::look(x).mark)
}

/// report.css with the badge colours from [`status`] right after the
/// `.badge` rule they refine, where report.html has always had them.
fn stylesheet() -> String {
    let css = include_str!("../../templates/report.css");
    let at = css.find("\n.badge {").and_then(|i| css[i + 1..].find('\n').map(|j| i + j + 2)).unwrap_or(css.len());
    format!("{}{}{}", &css[..at], status::css(), &css[at..])
}

/// What report.html may load or run: its own inline CSS, nothing else. The
/// inline `style` attributes pulldown-cmark writes for aligned table
/// columns need `'unsafe-inline'`; markup from input cannot reach the page
/// (see [`html`]), so that allows no injected style either.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// `report.html`: the Markdown report as one self-contained page (inline
/// CSS, no scripts, nothing fetched), so the two can never drift apart.
///
/// The Markdown escapes its input already; this is the second wall, should
/// a template or escape miss a case: raw HTML is shown as text, links go
/// only to anchors, web pages and mail, and images are shown as their text.
pub fn html(markdown: &str, title: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html::push_html};
    let mut open_links: Vec<bool> = Vec::new();
    let mut events: Vec<Event> = Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .filter_map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = dest_url.starts_with('#') || escape::is_safe_url(dest_url);
                open_links.push(keep);
                keep.then_some(e)
            }
            Event::End(TagEnd::Link) => open_links.pop().unwrap_or(false).then_some(e),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            e => Some(e),
        })
        .collect();
    // Give headings the ids their Markdown links point at.
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[i] {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(anchor(&text).into());
            }
        }
        i += 1;
    }
    // Emoji badges read well in Markdown but depend on the reader's fonts;
    // HTML gets styled badges instead.
    let events = events.into_iter().map(|e| match &e {
        Event::Text(t) => match html_badge(t) {
            Some(b) => Event::InlineHtml(b.into()),
            None => e,
        },
        _ => e,
    });
    let mut body = String::new();
    push_html(&mut body, events);
    let title = title.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        stylesheet()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fifty buckets whose versioning could not be read were fifty
    /// identical rows under every S3 control and in the appendix: calls
    /// that failed alike are one row saying how many, a call listed twice
    /// counts once, and a different message keeps its own row.
    #[test]
    fn calls_that_failed_alike_are_one_row() {
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let e = |message: &str, s: i64| CollectionError {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            operation: "s3:GetBucketVersioning".into(),
            code: "AccessDenied".into(),
            message: message.into(),
            resource_types: vec!["s3.bucket.versioning".into()],
            resource: None,
            collected_at: at(s),
        };
        let errors: Vec<_> = (0..50).map(|i| e("denied", i)).chain([e("denied", 3), e("throttled", 60)]).collect();
        let rows = alike(&errors);
        let messages: Vec<&str> = rows.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(messages, ["denied (50 calls failed alike)", "throttled"]);
        assert_eq!(rows[0].collected_at, at(0), "the first failure's time");

        // Before, a failed per-bucket read did not say which bucket: the
        // row names the first few, and how many more.
        let about = |bucket: &str, s: i64| CollectionError { resource: Some(bucket.into()), ..e("denied", s) };
        let errors: Vec<_> = (0..8).map(|i| about(&format!("b-{i}"), i)).chain([about("b-3", 3)]).collect();
        let rows = alike(&errors);
        assert_eq!(rows[0].message, "denied (8 calls failed alike, for b-0, b-1, b-2, b-3, b-4 and 3 more)");
        let rows = alike(&[about("b-0", 0), about("b-1", 1)]);
        assert_eq!(rows[0].message, "denied (2 calls failed alike, for b-0, b-1)");
        assert_eq!(alike(&[about("b-0", 0)])[0].message, "denied (for b-0)");
    }

    /// A key without a name printed as itself with spaces: "retired by
    /// aws", "pci dss 3 2 1".
    #[test]
    fn every_framework_key_of_the_catalog_has_a_display_name() {
        let catalog = Catalog::builtin();
        let keys: BTreeSet<&str> =
            catalog.controls.iter().flat_map(|c| c.frameworks.keys().map(String::as_str)).collect();
        let unnamed: Vec<&str> = keys.into_iter().filter(|k| framework_name(k) == k.replace('_', " ")).collect();
        assert!(unnamed.is_empty(), "framework keys with no display name in framework_name: {unnamed:?}");
        assert_eq!(framework_name("retired_by_aws"), "Retired by AWS");
    }
}
