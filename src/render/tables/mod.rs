//! Evidence tables, one [`EvidenceTable`] impl per resource kind, with the
//! columns an auditor knows from the AWS console and the CLI commands that
//! reproduce each row. Markdown, HTML and PDF all render these same tables.
//!
//! Each AWS service has its file here, named like its kinds file in
//! `src/snapshot/kinds/`; [`TABLES`] lists every impl, and a test holds that
//! list to [`kinds::KINDS`]. This module holds only what every table shares:
//! flagged rows first, the account column of a multi-account pack, widths,
//! collection times, and the note naming resources that could not be read.
//!
//! A table describes; it does not judge. Which resources failed comes in as
//! `failing`, from the evaluation.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::snapshot::kinds::{self, Kind};
use crate::snapshot::{GLOBAL, Resource, Snapshot};

mod account;
mod acm;
mod ce;
mod cloudfront;
mod cloudtrail;
mod cloudwatch;
mod ec2;
mod ecr;
mod ecs;
mod guardduty;
mod iam;
mod kms;
mod organizations;
mod rds;
mod s3;
mod secretsmanager;
mod ssm;
mod wafv2;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub kind: String,
    pub title: String,
    /// The API operations the rows came from.
    pub operations: Vec<String>,
    /// Earliest and latest collection time of the rows, formatted.
    pub collected: String,
    pub columns: Vec<String>,
    /// Relative column widths, from the longest cell in each column: lets
    /// the PDF lay out a long table without measuring every cell first.
    pub widths: Vec<usize>,
    /// Leading columns that name the resource a row belongs to; a layout may
    /// print them once per run of rows of the same resource.
    pub key_columns: usize,
    pub rows: Vec<Row>,
    /// Rows in the full table; more than `rows` holds when this is an excerpt.
    pub total_rows: usize,
    /// Says what an excerpt leaves out, and where the rest is.
    pub note: String,
    /// `aws` CLI commands that reproduce the rows.
    pub cli: Vec<String>,
    /// The one line shown instead of the table when the kind has no
    /// resources (an empty table would show an empty source); "" otherwise.
    pub empty: String,
}

/// Tables up to this many rows appear in full under each control; longer
/// ones appear once in the evidence appendix, with only their flagged rows
/// under the control, so a 10,000-rule estate is not printed five times.
pub const INLINE_ROWS: usize = 40;
/// At most this many flagged rows are repeated under a control.
pub const EXCERPT_ROWS: usize = 50;

impl Table {
    /// The view shown under a control: the whole table if short, else its
    /// flagged rows.
    pub fn excerpt(mut self) -> Table {
        if self.rows.len() <= INLINE_ROWS {
            return self;
        }
        let flagged = self.rows.iter().filter(|r| r.flagged).count();
        self.rows.retain(|r| r.flagged);
        self.rows.truncate(EXCERPT_ROWS);
        let unreadable = std::mem::take(&mut self.note);
        self.note = format!(
            "{unreadable}{}Showing {} of the {} flagged rows out of {}; the full table is in the appendix \"Evidence tables\".",
            if unreadable.is_empty() { "" } else { " " },
            self.rows.len(),
            flagged,
            self.total_rows
        );
        self
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    /// The row belongs to a resource the control found non-compliant.
    pub flagged: bool,
}

/// Everything about one kind's evidence table, next to each other: its
/// title and columns, the rows one resource gives, and the `aws` commands
/// that show the same data. Implemented on the kind's own struct, so the
/// rows read typed fields and the kind string cannot be mistyped.
pub trait EvidenceTable: Kind {
    const TITLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Leading columns that name the resource when it spans several rows
    /// (see [`Table::key_columns`]); the account column is added to it.
    const KEY_COLUMNS: usize = 0;

    /// The `aws` CLI commands that reproduce this resource's rows.
    fn cli(&self, at: &At) -> Vec<String>;

    /// This resource's rows, each with one cell per entry of `COLUMNS`.
    fn rows(self, at: &At) -> Vec<Row>;
}

/// What a table may know about a resource besides its data.
pub struct At<'a> {
    pub resource: &'a Resource,
    /// The control found this resource non-compliant.
    pub flagged: bool,
    /// When collection finished: ages are counted from the snapshot, never
    /// from the clock, so the same snapshot renders the same bytes.
    pub now: DateTime<Utc>,
}

impl At<'_> {
    /// A row flagged as the resource is.
    pub fn row(&self, cells: Vec<String>) -> Row {
        Row { cells, flagged: self.flagged }
    }

    pub fn region(&self) -> String {
        self.resource.region.clone()
    }

    /// `--region X` for a regional resource, nothing for a global one.
    pub fn region_flag(&self) -> String {
        let r = &self.resource.region;
        if r == GLOBAL { String::new() } else { format!(" --region {r}") }
    }
}

/// One entry of [`TABLES`]: an [`EvidenceTable`] impl as values, so the
/// builder can reach it from the kind string a catalog names.
#[derive(Debug, Clone, Copy)]
pub struct TableInfo {
    pub kind: &'static str,
    pub title: &'static str,
    pub columns: &'static [&'static str],
    pub key_columns: usize,
    /// Parses the resource's data and gives its commands and rows.
    fill: fn(&At) -> Filled,
    /// A resource of the kind with every field empty, for the layout tests.
    #[cfg(test)]
    sample: fn() -> serde_json::Value,
}

impl TableInfo {
    const fn of<T: EvidenceTable + Default>() -> Self {
        TableInfo {
            kind: T::KIND,
            title: T::TITLE,
            columns: T::COLUMNS,
            key_columns: T::KEY_COLUMNS,
            fill: fill::<T>,
            #[cfg(test)]
            sample: || serde_json::to_value(T::default()).expect("kind serialises"),
        }
    }
}

/// A resource's `aws` commands and rows, or why its data does not parse.
type Filled = Result<(Vec<String>, Vec<Row>), serde_json::Error>;

fn fill<T: EvidenceTable>(at: &At) -> Filled {
    let x: T = serde_json::from_value(at.resource.data.clone())?;
    let cli = x.cli(at);
    Ok((cli, x.rows(at)))
}

/// Every evidence table. Adding a kind to `snapshot::kinds::KINDS` without
/// a line here fails a test.
pub const TABLES: &[TableInfo] = &[
    TableInfo::of::<kinds::SecurityContact>(),
    TableInfo::of::<kinds::AcmCertificate>(),
    TableInfo::of::<kinds::AnomalyMonitor>(),
    TableInfo::of::<kinds::Distribution>(),
    TableInfo::of::<kinds::Trail>(),
    TableInfo::of::<kinds::BillingAlarm>(),
    TableInfo::of::<kinds::Region>(),
    TableInfo::of::<kinds::SecurityGroup>(),
    TableInfo::of::<kinds::NetworkAcl>(),
    TableInfo::of::<kinds::Instance>(),
    TableInfo::of::<kinds::EbsSnapshot>(),
    TableInfo::of::<kinds::EcrRepository>(),
    TableInfo::of::<kinds::TaskDefinition>(),
    TableInfo::of::<kinds::GuardDutyRegion>(),
    TableInfo::of::<kinds::AccountSummary>(),
    TableInfo::of::<kinds::PasswordPolicy>(),
    TableInfo::of::<kinds::IamGroup>(),
    TableInfo::of::<kinds::IamUser>(),
    TableInfo::of::<kinds::IamRole>(),
    TableInfo::of::<kinds::IamPolicy>(),
    TableInfo::of::<kinds::CredentialReportRow>(),
    TableInfo::of::<kinds::VirtualMfaDevice>(),
    TableInfo::of::<kinds::KmsKey>(),
    TableInfo::of::<kinds::OrganizationMembership>(),
    TableInfo::of::<kinds::DbInstance>(),
    TableInfo::of::<kinds::DbCluster>(),
    TableInfo::of::<kinds::DbSnapshot>(),
    TableInfo::of::<kinds::DbClusterSnapshot>(),
    TableInfo::of::<kinds::BlockPublicAccess>(),
    TableInfo::of::<kinds::Bucket>(),
    TableInfo::of::<kinds::Secret>(),
    TableInfo::of::<kinds::ManagedInstance>(),
    TableInfo::of::<kinds::Compliance>(),
    TableInfo::of::<kinds::SsmDocument>(),
    TableInfo::of::<kinds::WebAcl>(),
];

/// The table for a kind, if it has one.
pub fn info(kind: &str) -> Option<&'static TableInfo> {
    TABLES.iter().find(|t| t.kind == kind)
}

pub fn fmt_time(t: &str) -> String {
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| t.to_string())
}

fn opt(t: &Option<String>) -> String {
    t.as_deref().map(fmt_time).unwrap_or_else(|| "-".into())
}

fn dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

fn names(v: Vec<String>) -> String {
    if v.is_empty() { "-".to_string() } else { v.join(", ") }
}

fn yes(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

fn title_case(s: &str) -> String {
    let lower = s.replace('_', " ").to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Build the table for one kind, flagging rows of the `failing` resource ids.
/// `None` for kinds that have no table of their own.
pub fn table(snapshot: &Snapshot, kind: &str, failing: &BTreeSet<String>) -> Option<Table> {
    let t = info(kind)?;
    let items: Vec<&Resource> = snapshot.of_kind(kind).collect();
    let multi_account = snapshot.accounts.len() > 1;
    let mut rows: Vec<Row> = Vec::new();
    let mut cli: BTreeSet<String> = BTreeSet::new();
    let mut unreadable: Vec<String> = Vec::new();
    for r in &items {
        let at = At { resource: r, flagged: failing.contains(&r.id), now: snapshot.collected_at.finished };
        match (t.fill)(&at) {
            Ok((commands, mut own)) => {
                cli.extend(commands);
                if multi_account {
                    for row in &mut own {
                        row.cells.insert(0, r.account.clone());
                    }
                }
                rows.extend(own);
            }
            // Named in the table's note, so a resource that does not parse
            // is visible instead of silently left out.
            Err(e) => unreadable.push(format!("{} ({e})", r.id)),
        }
    }
    let mut columns: Vec<String> = t.columns.iter().map(|c| c.to_string()).collect();
    if multi_account {
        columns.insert(0, "Account".into());
    }
    // Failing resources first, keeping each group's own order.
    rows.sort_by_key(|r| !r.flagged);
    let operations: BTreeSet<String> = items.iter().map(|r| r.source.operation.clone()).collect();
    let first = items.iter().map(|r| r.source.collected_at).min();
    let last = items.iter().map(|r| r.source.collected_at).max();
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let collected = match (first.map(fmt), last.map(fmt)) {
        (Some(f), Some(l)) if f == l => f,
        (Some(f), Some(l)) => format!("{} to {l}", f.trim_end_matches(" UTC")),
        _ => "-".into(),
    };
    Some(Table {
        kind: kind.to_string(),
        title: t.title.to_string(),
        operations: operations.into_iter().collect(),
        collected,
        widths: (0..columns.len())
            .map(|i| {
                let longest =
                    rows.iter().map(|r| r.cells[i].chars().count()).chain([columns[i].len()]).max().unwrap_or(1);
                longest.clamp(4, 36)
            })
            .collect(),
        key_columns: if t.key_columns == 0 { 0 } else { t.key_columns + usize::from(multi_account) },
        columns,
        total_rows: rows.len(),
        note: unreadable_note(&unreadable),
        empty: if items.is_empty() { empty_line(snapshot, kind, t.title) } else { String::new() },
        rows,
        cli: cli.into_iter().collect(),
    })
}

/// What a table of no resources says: none found, or none read where
/// collecting them failed, so an empty table never reads as a clean one.
fn empty_line(snapshot: &Snapshot, kind: &str, title: &str) -> String {
    // "Security groups" reads "security groups" mid-sentence; names such
    // as "S3 buckets" or "Secrets Manager secrets" keep their capitals.
    let mut chars = title.chars();
    let noun: String = match chars.next() {
        Some(first)
            if !chars.clone().any(char::is_uppercase) && chars.clone().next().is_some_and(char::is_lowercase) =>
        {
            first.to_lowercase().chain(chars).collect()
        }
        _ => title.to_string(),
    };
    let failed: BTreeSet<&str> = snapshot
        .errors
        .iter()
        .filter(|e| e.resource_types.iter().any(|k| k == kind))
        .map(|e| e.operation.as_str())
        .collect();
    if failed.is_empty() {
        format!("No {noun} were found in the regions read.")
    } else {
        format!(
            "No {noun} were read: {} failed (see the collection errors).",
            failed.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

fn unreadable_note(unreadable: &[String]) -> String {
    match unreadable {
        [] => String::new(),
        [one] => format!("1 resource could not be read: {one}."),
        many => format!("{} resources could not be read: {}.", many.len(), many.join("; ")),
    }
}

/// Tables for a list of kinds, skipping kinds without a table.
pub fn tables(snapshot: &Snapshot, kinds: &[String], failing: &BTreeSet<String>) -> Vec<Table> {
    let mut seen = BTreeSet::new();
    kinds.iter().filter(|k| seen.insert(k.as_str())).filter_map(|k| table(snapshot, k, failing)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind left out of [`TABLES`] would vanish from every report that
    /// names it as evidence; one listed twice would shadow its twin.
    #[test]
    fn every_kind_a_resource_carries_has_exactly_one_table() {
        let problems: Vec<String> = kinds::KINDS
            .iter()
            .filter(|k| k.typed.is_some())
            .filter_map(|k| match TABLES.iter().filter(|t| t.kind == k.kind).count() {
                1 => None,
                0 => Some(format!("{} has no evidence table: add its impl and one line to TABLES", k.kind)),
                n => Some(format!("{} is in TABLES {n} times", k.kind)),
            })
            .collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Marker kinds only name what a failed call left missing: no resource
    /// carries one, so a table of one would always be empty.
    #[test]
    fn every_table_is_of_a_kind_resources_carry() {
        let problems: Vec<&str> =
            TABLES.iter().filter(|t| kinds::info(t.kind).is_none_or(|k| k.typed.is_none())).map(|t| t.kind).collect();
        assert!(
            problems.is_empty(),
            "tables of no kind in snapshot::kinds::KINDS that a resource carries: {problems:?}"
        );
    }

    #[test]
    fn key_columns_are_columns() {
        for t in TABLES {
            assert!(t.key_columns < t.columns.len(), "table '{}' keys on more columns than it has", t.kind);
        }
    }

    /// Every row of every table has one cell per column, for a resource of
    /// each kind with default data (all empty fields and no options).
    #[test]
    fn rows_have_one_cell_per_column() {
        let mut snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let template = snapshot.resources[0].clone();
        for t in TABLES {
            let mut r = template.clone();
            r.kind = t.kind.to_string();
            r.id = format!("sample-{}", t.kind);
            r.data = (t.sample)();
            snapshot.resources.push(r);
        }
        for t in TABLES {
            let table = table(&snapshot, t.kind, &BTreeSet::new()).unwrap();
            assert!(table.note.is_empty(), "{}: {}", t.kind, table.note);
            for row in &table.rows {
                assert_eq!(row.cells.len(), table.columns.len(), "{}: {:?}", t.kind, row.cells);
            }
        }
    }

    /// An empty table used to print "*Source: , collected -.*" over no
    /// rows; now one line says none was found, or that reading them failed.
    #[test]
    fn a_kind_with_no_resources_says_so_in_one_line() {
        let mut snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        snapshot.resources.retain(|r| r.kind != kinds::Secret::KIND && r.kind != kinds::BillingAlarm::KIND);
        snapshot.errors.retain(|e| !e.resource_types.iter().any(|k| k == kinds::Secret::KIND));
        let t = table(&snapshot, kinds::Secret::KIND, &BTreeSet::new()).unwrap();
        assert_eq!(t.empty, "No Secrets Manager secrets were found in the regions read.");
        assert!(t.rows.is_empty() && t.operations.is_empty());

        let failed = snapshot.errors.iter().find(|e| e.resource_types.iter().any(|k| k == kinds::BillingAlarm::KIND));
        let op = failed.expect("the example's billing alarms could not be read").operation.clone();
        let t = table(&snapshot, kinds::BillingAlarm::KIND, &BTreeSet::new()).unwrap();
        assert_eq!(
            t.empty,
            format!("No CloudWatch billing alarms were read: {op} failed (see the collection errors).")
        );

        let t = table(&snapshot, kinds::KmsKey::KIND, &BTreeSet::new()).unwrap();
        assert_eq!(t.empty, "", "a table with rows has no such line");
    }

    #[test]
    fn a_resource_that_does_not_parse_is_named_not_dropped() {
        let mut snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let key = snapshot.resources.iter_mut().find(|r| r.kind == kinds::KmsKey::KIND).expect("the example has a key");
        key.data = serde_json::json!({ "key_id": 42 });
        let id = key.id.clone();
        let t = table(&snapshot, kinds::KmsKey::KIND, &BTreeSet::new()).unwrap();
        assert!(t.note.starts_with("1 resource could not be read: "), "{}", t.note);
        assert!(t.note.contains(&id), "{}", t.note);
    }
}
