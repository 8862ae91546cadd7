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
    /// Relative widths of the columns after the key columns, in tenths of
    /// a character, fitted to the page (see [`fit`]): the PDF lays a table
    /// out without measuring every cell, and it never leaves the page.
    pub widths: Vec<usize>,
    /// The longest run of characters the PDF may leave unbroken in a cell
    /// of this table; [`fit`] sized the columns for it.
    pub wrap: usize,
    /// Leading columns that name the resource a row belongs to; a layout may
    /// print them once per run of rows of the same resource.
    pub key_columns: usize,
    /// The rows shown: every flagged row, then the whole table or a fixed
    /// sample of the rest (see `note`).
    pub rows: Vec<Row>,
    /// Rows in the full table, which `csv` holds.
    pub total_rows: usize,
    /// Resources by state for the control: "12 resources: 1 failing, 11
    /// not flagged."
    pub counts: String,
    /// The pack member holding every row: `evidence/<kind>.csv`.
    pub csv: String,
    /// Says what a cut table leaves out and where the rest is, and names
    /// resources that could not be read.
    pub note: String,
    /// `aws` CLI commands that reproduce the rows shown.
    pub cli: Vec<String>,
    /// The one line shown instead of the table when the kind has no
    /// resources (an empty table would show an empty source); "" otherwise.
    pub empty: String,
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
    pub(crate) fill: fn(&At) -> Filled,
    /// A resource of the kind with every field empty, for the layout tests.
    pub sample: fn() -> serde_json::Value,
}

impl TableInfo {
    const fn of<T: EvidenceTable + Default>() -> Self {
        TableInfo {
            kind: T::KIND,
            title: T::TITLE,
            columns: T::COLUMNS,
            key_columns: T::KEY_COLUMNS,
            fill: fill::<T>,
            sample: || serde_json::to_value(T::default()).expect("kind serialises"),
        }
    }
}

/// A resource's `aws` commands and rows, or why its data does not parse.
pub(crate) type Filled = Result<(Vec<String>, Vec<Row>), serde_json::Error>;

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

/// What a table of no resources says: none found, or none read where
/// collecting them failed, so an empty table never reads as a clean one.
pub(crate) fn empty_line(snapshot: &Snapshot, kind: &str, title: &str) -> String {
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

/// At most this many unreadable resources are named in a table's note; a
/// hostile snapshot could hold a hundred thousand.
const UNREADABLE_NAMED: usize = 10;

/// `total` unreadable resources, of which `named` are listed.
pub(crate) fn unreadable_note(named: &[String], total: usize) -> String {
    let more = total.saturating_sub(named.len());
    let more = if more > 0 { format!("; and {} more", thousands(more)) } else { String::new() };
    match (named, total) {
        ([], _) => String::new(),
        ([one], 1) => format!("1 resource could not be read: {one}."),
        (many, _) => format!("{} resources could not be read: {}{more}.", thousands(total), many.join("; ")),
    }
}

pub(crate) fn keep_unreadable(named: &mut Vec<String>, what: String) {
    if named.len() < UNREADABLE_NAMED {
        named.push(what);
    }
}

/// `1300` as "1,300".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where the PDF may break a line inside a word besides spaces: after
/// these, as in an ARN, a path or a key id. typst breaks after `-` itself.
const BREAK_AFTER: &[char] = &['/', ':', '.', '_', ',', '=', '@', '|', '+'];

/// `s` with a zero-width space wherever the PDF may break it: after
/// [`BREAK_AFTER`] characters, and inside any run longer than `wrap`
/// characters, so no cell is wider than its column. typst prints no glyph
/// for it, and pdftotext leaves it out of the text.
pub fn breakable(s: &str, wrap: usize) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut run = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        run = if c.is_whitespace() || c == '-' || c == '\u{200b}' { 0 } else { run + width(c) };
        let next_breaks = chars.peek().is_none_or(|n| n.is_whitespace());
        if !next_breaks && (BREAK_AFTER.contains(&c) || run >= wrap) {
            out.push('\u{200b}');
            run = 0;
        }
    }
    out
}

/// How many character widths `c` takes: two for the wide CJK and emoji
/// forms, one otherwise.
fn width(c: char) -> usize {
    if (c as u32) >= 0x1100 && !matches!(c as u32, 0x2000..=0x2fff) { 2 } else { 1 }
}

/// The longest unbroken run in `s` once [`breakable`], in character widths.
fn longest_run(s: &str, wrap: usize) -> usize {
    let (mut run, mut longest) = (0, 0);
    for c in s.chars() {
        run = if c.is_whitespace() || c == '-' { 0 } else { run + width(c) };
        longest = longest.max(run);
        if BREAK_AFTER.contains(&c) || run >= wrap {
            run = 0;
        }
    }
    longest
}

/// Characters of 7.5 pt text, at their widest, that fit across the PDF's
/// text area (A4 less 1.7 cm margins: 499 pt) with `columns` cells, each
/// padded 3.5 pt a side. Libertinus Serif averages about 0.45 em a
/// character; 0.55 em (4.1 pt) leaves room for capitals and digits.
fn capacity(columns: usize) -> usize {
    ((499.0 - 7.0 * columns as f64) / 4.1).max(0.0) as usize
}

/// Column widths that fit the page, for the columns after `key` of a
/// table, and the longest unbroken run the PDF must keep to for them (see
/// [`breakable`]). Each column wants its longest cell (capped), needs at
/// least its longest unbreakable run, and shares what is left in
/// proportion to what it wants beyond that; so a wide table wraps its long
/// identifiers rather than run off the right margin.
pub fn fit(columns: &[String], rows: &[Row], key: usize) -> (Vec<usize>, usize) {
    let n = columns.len().saturating_sub(key).max(1);
    let room = capacity(n);
    // Narrower runs for tables with many columns, never below 4 characters.
    let wrap = (room / n).clamp(4, 14);
    let cells = |i: usize| rows.iter().map(move |r| r.cells.get(i).map(String::as_str).unwrap_or(""));
    let wide = |s: &str| s.chars().map(width).sum::<usize>();
    let (mut want, mut need) = (Vec::new(), Vec::new());
    for i in key..columns.len().max(key + 1) {
        let header = columns.get(i).map(String::as_str).unwrap_or("");
        let w = cells(i).chain([header]).map(wide).max().unwrap_or(1).clamp(3, 40);
        let m = cells(i).chain([header]).map(|s| longest_run(s, wrap)).max().unwrap_or(1).clamp(1, w);
        want.push(w);
        need.push(m);
    }
    let (total_want, total_need): (usize, usize) = (want.iter().sum(), need.iter().sum());
    let widths = if total_want <= room || total_want == total_need {
        want.iter().map(|w| w * 10).collect()
    } else {
        // Tenths of a character: typst shares the width out by these.
        let spare = room.saturating_sub(total_need) * 10;
        want.iter()
            .zip(&need)
            .map(|(w, m)| m * 10 + spare * (w - m) / (total_want - total_need))
            .map(|w| w.max(10))
            .collect()
    };
    (widths, wrap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;

    /// One kind's table as a control that flags `failing` shows it.
    fn table(snapshot: &Snapshot, kind: &str, failing: &BTreeSet<String>) -> Option<Table> {
        let failing: BTreeSet<&str> = failing.iter().map(String::as_str).collect();
        let wanted = BTreeSet::from([kind]);
        let evidence = crate::render::evidence::Evidence::build(snapshot, &wanted);
        evidence.tables(&[kind.to_string()], &failing, &BTreeSet::new()).pop()
    }

    /// A 60-character ARN in a column a tenth of the page wide ran off the
    /// right margin: now it breaks after its separators, and no run is
    /// longer than the table's wrap.
    #[test]
    fn breakable_leaves_no_run_longer_than_wrap() {
        let arn = "arn:aws:kms:us-east-1:992382705250:key/2ecc2c20608742309e56b8385255a08e";
        let b = breakable(arn, 10);
        assert_eq!(b.replace('\u{200b}', ""), arn, "only break points are added");
        assert!(b.split(['\u{200b}', '-', ' ']).all(|part| part.chars().count() <= 10), "{b:?}");
        assert!(b.starts_with("arn:\u{200b}aws:\u{200b}kms:"), "{b:?}");
        assert_eq!(breakable("Enabled, every 365 days", 10), "Enabled, every 365 days", "spaces break already");
        assert_eq!(longest_run(arn, 10), 10);
    }

    /// The KMS keys table's last column, "Rotation", ran off the page: its
    /// columns were as wide as their longest cells and the last got what
    /// was left, which was less than nothing.
    #[test]
    fn fit_keeps_wide_tables_on_the_page() {
        let columns: Vec<String> = (0..12).map(|i| format!("Column number {i}")).collect();
        let long = "x".repeat(80);
        let rows = vec![Row { cells: (0..12).map(|_| long.clone()).collect(), flagged: false }];
        let (widths, wrap) = fit(&columns, &rows, 0);
        assert_eq!(widths.len(), 12);
        // Each column gets at least its longest unbroken run, and together
        // they fit what the page holds.
        assert!(widths.iter().all(|w| *w >= wrap * 10), "{widths:?} {wrap}");
        assert!(widths.iter().sum::<usize>() <= capacity(12) * 10 + 12, "{widths:?}");
        // A narrow table keeps what it wants.
        let (widths, _) = fit(
            &["Region".into(), "Key".into()],
            &[Row { cells: vec!["us-east-1".into(), "k".into()], flagged: false }],
            0,
        );
        assert_eq!(widths, [90, 30]);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(
            [thousands(0), thousands(999), thousands(1300), thousands(1_234_567)],
            ["0", "999", "1,300", "1,234,567"]
        );
    }

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
            assert!(!table.note.contains("could not be read"), "{}: {}", t.kind, table.note);
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
