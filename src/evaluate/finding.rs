//! Findings as rows a ticket system can take: `findings.csv`, and the one
//! finding id that `pack`, `diff` and `--baseline` all use.
//!
//! A finding is one (control, failing or excepted resource). Its id is
//! derived from what the finding is about, never from when it was seen, so
//! the same misconfiguration keeps its id from one quarter's pack to the
//! next and a ticket imported last quarter can be matched to it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::catalog::{Catalog, ControlBody, Status};
use super::{Exceptions, Results};
use crate::snapshot::Snapshot;

/// The columns of `findings.csv`, in order (the issue names them; the
/// README maps them to Jira fields).
pub const COLUMNS: [&str; 14] = [
    "finding_id",
    "control_id",
    "control_title",
    "severity",
    "status",
    "account",
    "region",
    "resource_type",
    "resource_id",
    "resource_name",
    "reason",
    "remediation_url",
    "first_seen",
    "exception",
];

/// The stable id of a finding: the first 16 hex digits (64 bits) of the
/// SHA-256 of the JSON array `[catalog, control, account, region, resource]`.
///
/// `catalog` is the catalog's `name` (not its version or hash), so editing
/// a threshold keeps the ids while a different catalog gets its own. JSON
/// string encoding makes the join unambiguous whatever the fields hold
/// (commas, quotes, NUL): no two different tuples encode alike. An
/// account-level failure that names no resource has `resource` "".
pub fn finding_id(catalog: &str, control: &str, account: &str, region: &str, resource: &str) -> String {
    let key = serde_json::to_string(&[catalog, control, account, region, resource]).expect("strings serialise");
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// One row of `findings.csv`, in [`COLUMNS`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRow {
    pub finding_id: String,
    pub control_id: String,
    pub control_title: String,
    pub severity: String,
    /// `fail`, or `excepted` when an accepted, unexpired risk covers it.
    pub status: String,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: String,
    pub reason: String,
    pub remediation_url: String,
    /// RFC 3339, UTC, seconds.
    pub first_seen: String,
    /// "justification (approved by …, expires YYYY-MM-DD)" when excepted.
    pub exception: String,
}

impl FindingRow {
    fn cells(&self) -> [&str; 14] {
        [
            &self.finding_id,
            &self.control_id,
            &self.control_title,
            &self.severity,
            &self.status,
            &self.account,
            &self.region,
            &self.resource_type,
            &self.resource_id,
            &self.resource_name,
            &self.reason,
            &self.remediation_url,
            &self.first_seen,
            &self.exception,
        ]
    }
}

/// RFC 3339 in UTC to the second, as `first_seen` holds it.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Every failing or excepted resource of every control, as rows, sorted by
/// control (catalog order) then finding id. `first_seen` gives a finding's
/// first sighting in a baseline, if any; otherwise it is when its account
/// was collected for this pack. Composite controls are left out: their
/// failures are their parts' rows.
pub fn rows(
    snapshot: &Snapshot,
    catalog: &Catalog,
    results: &Results,
    exceptions: &Exceptions,
    first_seen: &dyn Fn(&str) -> Option<String>,
) -> Vec<FindingRow> {
    // A control over several kinds names resources by id only; the kind is
    // found from the snapshot, among the kinds the check reads.
    let mut kinds: HashMap<(&str, &str, &str), Vec<&str>> = HashMap::new();
    for r in &snapshot.resources {
        kinds.entry((r.account.as_str(), r.region.as_str(), r.id.as_str())).or_default().push(r.kind.as_str());
    }
    let mut out = Vec::new();
    for c in &catalog.controls {
        let ControlBody::Check(check) = &c.body else { continue };
        let Some(r) = results.get(&c.id) else { continue };
        if !matches!(r.status, Status::Fail | Status::Excepted) {
            continue;
        }
        let url = c
            .remediation
            .as_ref()
            .and_then(|m| m.url.clone())
            .filter(|u| crate::render::escape::is_safe_url(u))
            .unwrap_or_default();
        let now = |account: &str| snapshot.window_of(account).finished;
        let covering = |account: &str, id: &str, name: &str| -> Vec<String> {
            exceptions
                .for_control(&c.id)
                .filter(|e| e.active(now(account)) && e.covers(id, name))
                .map(|e| format!("{} (approved by {}, expires {})", e.justification.trim(), e.approver, e.expires))
                .collect()
        };
        let mut mine: BTreeMap<String, FindingRow> = BTreeMap::new();
        let mut push = |row: FindingRow| {
            // A hostile snapshot may list one resource twice: one row, every reason.
            match mine.get_mut(&row.finding_id) {
                Some(prev) if prev.reason != row.reason => {
                    prev.reason = format!("{}; {}", prev.reason, row.reason);
                }
                Some(_) => {}
                None => {
                    mine.insert(row.finding_id.clone(), row);
                }
            }
        };
        let row = |account: &str, region: &str, kind: &str, id: &str, name: &str, reason: String| {
            let finding_id = finding_id(&catalog.name, &c.id, account, region, id);
            let exception = covering(account, id, name);
            FindingRow {
                first_seen: first_seen(&finding_id).unwrap_or_else(|| timestamp(now(account))),
                finding_id,
                control_id: c.id.clone(),
                control_title: c.title.clone(),
                severity: format!("{:?}", c.severity).to_lowercase(),
                status: if exception.is_empty() { "fail" } else { "excepted" }.into(),
                account: account.into(),
                region: region.into(),
                resource_type: kind.into(),
                resource_id: id.into(),
                resource_name: name.into(),
                reason,
                remediation_url: url.clone(),
                exception: exception.join("; "),
            }
        };
        for f in &r.failing {
            let kind = kinds
                .get(&(f.account.as_str(), f.region.as_str(), f.id.as_str()))
                .and_then(|ks| ks.iter().find(|k| check.resources.iter().any(|x| x == *k)))
                .copied()
                .unwrap_or_default();
            push(row(&f.account, &f.region, kind, &f.id, &f.name, f.problems.join("; ")));
        }
        // A failure that names no resource (no trail at all, say) is still
        // a finding: one row for each account it fails in.
        let failed_accounts: Vec<(String, String)> = if r.accounts.is_empty() {
            if r.failing.is_empty() {
                snapshot.accounts.iter().map(|a| (a.account_id.clone(), r.reason.clone())).collect()
            } else {
                vec![]
            }
        } else {
            r.accounts
                .iter()
                .filter(|a| matches!(a.status, Status::Fail | Status::Excepted) && a.failing == 0)
                .map(|a| (a.account.clone(), a.reason.clone()))
                .collect()
        };
        for (account, reason) in failed_accounts {
            let mut one = row(&account, "", "", "", "", reason);
            // Only `*` covers a failure that names no resource.
            if r.status == Status::Excepted || !one.exception.is_empty() {
                one.status = "excepted".into();
            }
            push(one);
        }
        out.extend(mine.into_values());
    }
    out
}

/// A cell a spreadsheet would run as a formula (OWASP ASVS 1.2.10: a
/// leading `=`, `+`, `-`, `@`, tab, carriage return or NUL) gets a leading
/// `'`, which Excel, LibreOffice and Google Sheets read as "text" and Jira
/// and GitHub keep as a character. Names inside AWS are input from anyone
/// who can tag a resource, and findings.csv is made to be opened and
/// imported. The exact values are in results.json.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The rows as RFC 4180 CSV: a header, CRLF line ends, fields quoted when
/// they hold a comma, a quote or a line break (quotes doubled), UTF-8
/// without a byte-order mark, every cell [`neutralise`]d.
pub fn to_csv(rows: &[FindingRow]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let io = "writing CSV to memory does not fail";
    w.write_record(COLUMNS).expect(io);
    for r in rows {
        w.write_record(r.cells().map(neutralise).iter().map(|c| c.as_bytes())).expect(io);
    }
    w.into_inner().expect(io)
}

#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    #[error("findings.csv line {line}: {message}")]
    Parse { line: u64, message: String },
    #[error("findings.csv has columns {found:?}, expected {expected:?}")]
    Columns { found: Vec<String>, expected: Vec<String> },
}

/// Read `findings.csv` back (as `diff` and `--baseline` do), undoing
/// [`neutralise`] on the id; other cells are shown as they are stored.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<FindingRow>, FindingsError> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let at = |e: &csv::Error| e.position().map_or(0, |p| p.line());
    let headers = r.headers().map_err(|e| FindingsError::Parse { line: at(&e), message: e.to_string() })?;
    if headers.iter().ne(COLUMNS) {
        return Err(FindingsError::Columns {
            found: headers.iter().map(String::from).collect(),
            expected: COLUMNS.iter().map(|c| c.to_string()).collect(),
        });
    }
    r.deserialize()
        .map(|row: Result<FindingRow, csv::Error>| {
            row.map_err(|e| FindingsError::Parse { line: at(&e), message: e.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_are_stable_short_and_unambiguous() {
        let id = finding_id("AWS foundational security evidence", "EC2.19", "123456789012", "us-east-1", "sg-1");
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        // Pinned: an id that changed between versions would re-open every
        // ticket imported from an older pack.
        assert_eq!(id, finding_id("AWS foundational security evidence", "EC2.19", "123456789012", "us-east-1", "sg-1"));
        let sha = hex::encode(Sha256::digest(
            br#"["AWS foundational security evidence","EC2.19","123456789012","us-east-1","sg-1"]"#,
        ));
        assert_eq!(id, sha[..16]);
        // Every field counts, and moving a separator between fields is not
        // the same finding (a plain join with "," or "/" would collide).
        let base = ["c", "X.1", "111111111111", "us-east-1", "a,b"];
        let variants = [
            ["c", "X.1", "111111111111", "us-east-1,a", "b"],
            ["c", "X.2", "111111111111", "us-east-1", "a,b"],
            ["d", "X.1", "111111111111", "us-east-1", "a,b"],
            ["c", "X.1", "222222222222", "us-east-1", "a,b"],
            ["c", "X.1", "111111111111", "us-east-2", "a,b"],
            ["c", "X.1\",\"111111111111", "", "us-east-1", "a,b"],
        ];
        let of = |f: [&str; 5]| finding_id(f[0], f[1], f[2], f[3], f[4]);
        for v in variants {
            assert_ne!(of(base), of(v), "{v:?}");
        }
    }

    fn row(name: &str) -> FindingRow {
        FindingRow {
            finding_id: finding_id("c", "S3.8", "123456789012", "us-east-1", name),
            control_id: "S3.8".into(),
            control_title: "S3 general purpose buckets should block public access".into(),
            severity: "high".into(),
            status: "fail".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            resource_type: "s3.bucket".into(),
            resource_id: format!("arn:aws:s3:::{name}"),
            resource_name: name.into(),
            reason: "public, \"really\"".into(),
            remediation_url: "https://docs.aws.amazon.com/".into(),
            first_seen: "2026-11-20T10:00:00Z".into(),
            exception: String::new(),
        }
    }

    /// Names inside AWS are hostile: commas, quotes and line breaks stay in
    /// their cell, and a real CSV reader gets every value back.
    #[test]
    fn hostile_names_stay_in_their_cell() {
        let names = ["a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", "ünïcode 名前", ""];
        let rows: Vec<FindingRow> = names.iter().map(|n| row(n)).collect();
        let bytes = to_csv(&rows);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("finding_id,control_id,control_title,"), "{text}");
        assert!(text.contains("\"say \"\"hi\"\"\""), "quotes are doubled inside a quoted field: {text}");
        assert!(text.ends_with("\r\n"));
        let back = parse_csv(&bytes).unwrap();
        assert_eq!(back, rows);
        // Each record has exactly the 14 columns.
        let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        assert!(r.records().all(|rec| rec.unwrap().len() == COLUMNS.len()));
    }

    /// A name a spreadsheet would run as a formula is written as text; the
    /// finding id, all hex, is never touched, so diff still matches it.
    #[test]
    fn formulas_are_neutralised() {
        for (name, stored) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1", "'+1"),
            ("-1+2", "'-1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tTAB", "'\tTAB"),
            ("safe-name", "safe-name"),
            ("'quoted", "'quoted"),
        ] {
            let bytes = to_csv(&[row(name)]);
            let back = parse_csv(&bytes).unwrap();
            assert_eq!(back[0].resource_name, stored, "{name}");
            assert_eq!(back[0].finding_id, row(name).finding_id);
        }
    }

    #[test]
    fn wrong_columns_are_named() {
        let err = parse_csv(b"id,control\r\nx,y\r\n").unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
        assert!(parse_csv(&to_csv(&[])).unwrap().is_empty());
    }
}
