//! The evidence behind the report, read once per kind.
//!
//! Every row of every kind's table goes into the pack as
//! `evidence/<kind>.csv`. Under a control the report shows a summary of it:
//! the resources by state, every row the control flagged, and the whole
//! table if it is short, else a fixed sample of the rest, saying so and
//! naming the CSV. The report then grows with the findings, not the estate,
//! and no row is lost.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::tables::{self, At, Row, Table, TableInfo, thousands};
use crate::snapshot::{Resource, Snapshot};

/// Tables of up to this many rows are shown whole under a control.
pub const FULL_ROWS: usize = 15;
/// Past [`FULL_ROWS`], at most this many rows besides the flagged ones.
pub const SAMPLE_ROWS: usize = 10;
/// At most this many `aws` commands under a table.
pub const CLI_LINES: usize = 6;
/// Sampled rows kept per kind: the sample is taken from them, leaving out
/// the rows of whichever resources a control flags.
const KEPT: usize = 3 * FULL_ROWS;

/// A control with more failing resources than this, most of them sharing
/// what is wrong with them, lists them in the PDF by what is wrong and
/// where, by name, rather than a table row each.
pub const FAILING_ROWS: usize = 25;

/// [`FULL_ROWS`], [`SAMPLE_ROWS`] and [`FAILING_ROWS`], for the report to
/// state and follow.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    pub full: usize,
    pub sample: usize,
    pub failing: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { full: FULL_ROWS, sample: SAMPLE_ROWS, failing: FAILING_ROWS }
    }
}

/// The pack member holding a kind's rows.
pub fn member(kind: &str) -> String {
    format!("evidence/{kind}.csv")
}

/// The columns every evidence CSV starts with, before its table's own.
pub const CSV_COLUMNS: [&str; 5] = ["Account", "Resource region", "Resource ID", "Source operation", "Collected at"];

/// A row kept for the sample, ordered by its key so the heap drops the
/// largest.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Kept {
    key: [u8; 8],
    position: usize,
    resource: usize,
    cells: Vec<String>,
}

/// One kind's evidence: its CSV and what the report needs from it.
struct KindEvidence {
    info: &'static TableInfo,
    /// Indexes into the snapshot's resources, in snapshot order.
    resources: Vec<usize>,
    /// The position of each resource's first row in the full table.
    first_row: HashMap<usize, usize>,
    /// Resource ids to their indexes, to find a control's failing ones.
    by_id: HashMap<String, Vec<usize>>,
    rows: usize,
    csv: Vec<u8>,
    /// The rows with the smallest keys, by position.
    kept: Vec<Kept>,
    operations: Vec<String>,
    collected: String,
    unreadable: Vec<String>,
    unreadable_total: usize,
}

pub struct Evidence<'a> {
    snapshot: &'a Snapshot,
    kinds: BTreeMap<&'static str, KindEvidence>,
    multi_account: bool,
}

/// A row's place in the sample: a hash of its resource and row number, so
/// the same rows are picked every run and in any snapshot order, spread
/// over accounts and regions rather than the first few.
fn sample_key(r: &Resource, row: usize) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(r.account.as_bytes());
    h.update([0]);
    h.update(r.id.as_bytes());
    h.update([0]);
    h.update(row.to_le_bytes());
    let d = h.finalize();
    d[..8].try_into().expect("a SHA-256 is longer than 8 bytes")
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A cell as the CSV holds it: spreadsheet formulas neutralised as in
/// findings.csv; the tables' own "-" for "none" is kept, as no spreadsheet
/// runs it.
fn csv_cell(c: &str) -> std::borrow::Cow<'_, str> {
    if c == "-" { c.into() } else { crate::evaluate::finding::neutralise(c) }
}

impl KindEvidence {
    fn build(snapshot: &Snapshot, info: &'static TableInfo, resources: Vec<usize>) -> KindEvidence {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        let io = "writing CSV to memory does not fail";
        w.write_record(CSV_COLUMNS.iter().chain(info.columns)).expect(io);
        let mut heap: BinaryHeap<Kept> = BinaryHeap::new();
        let mut first_row = HashMap::with_capacity(resources.len());
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::with_capacity(resources.len());
        let (mut unreadable, mut unreadable_total) = (Vec::new(), 0);
        let mut operations = BTreeSet::new();
        let (mut first, mut last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
        let mut position = 0;
        for &i in &resources {
            let r = &snapshot.resources[i];
            by_id.entry(r.id.clone()).or_default().push(i);
            if !operations.contains(&r.source.operation) {
                operations.insert(r.source.operation.clone());
            }
            let t = r.source.collected_at;
            first = Some(first.map_or(t, |f| f.min(t)));
            last = Some(last.map_or(t, |l| l.max(t)));
            let at = At { resource: r, flagged: false, now: snapshot.collected_at.finished };
            match (info.fill)(&at) {
                Ok((_, rows)) => {
                    first_row.insert(i, position);
                    let collected = time(t);
                    for (j, row) in rows.into_iter().enumerate() {
                        let fixed = [&r.account, &r.region, &r.id, &r.source.operation, &collected];
                        let record = fixed.iter().map(|c| csv_cell(c)).chain(row.cells.iter().map(|c| csv_cell(c)));
                        w.write_record(record.map(|c| c.into_owned())).expect(io);
                        let key = sample_key(r, j);
                        if heap.len() < KEPT || heap.peek().is_some_and(|top| key < top.key) {
                            heap.push(Kept { key, position, resource: i, cells: row.cells });
                            if heap.len() > KEPT {
                                heap.pop();
                            }
                        }
                        position += 1;
                    }
                }
                Err(e) => {
                    unreadable_total += 1;
                    tables::keep_unreadable(&mut unreadable, format!("{} ({e})", r.id));
                }
            }
        }
        let mut kept = heap.into_vec();
        kept.sort_by_key(|k| k.position);
        let collected = match (first.map(time), last.map(time)) {
            (Some(f), Some(l)) if f == l => f,
            (Some(f), Some(l)) => format!("{} to {l}", f.trim_end_matches(" UTC")),
            _ => "-".into(),
        };
        KindEvidence {
            info,
            resources,
            first_row,
            by_id,
            rows: position,
            csv: w.into_inner().expect(io),
            kept,
            operations: operations.into_iter().collect(),
            collected,
            unreadable,
            unreadable_total,
        }
    }
}

impl<'a> Evidence<'a> {
    /// Read every kind that has resources or that `wanted` names (a kind a
    /// control reads gets its CSV even when empty: absence is evidence).
    pub fn build(snapshot: &'a Snapshot, wanted: &BTreeSet<&str>) -> Evidence<'a> {
        let mut of_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in snapshot.resources.iter().enumerate() {
            of_kind.entry(r.kind.as_str()).or_default().push(i);
        }
        let kinds = tables::TABLES
            .iter()
            .filter_map(|t| {
                let resources = of_kind.remove(t.kind).unwrap_or_default();
                (!resources.is_empty() || wanted.contains(t.kind))
                    .then(|| (t.kind, KindEvidence::build(snapshot, t, resources)))
            })
            .collect();
        Evidence { snapshot, kinds, multi_account: snapshot.accounts.len() > 1 }
    }

    /// Each kind's CSV, as pack members, in kind order; the CSVs leave.
    pub fn take_files(&mut self) -> Vec<(String, Vec<u8>)> {
        self.kinds.iter_mut().map(|(k, e)| (member(k), std::mem::take(&mut e.csv))).collect()
    }

    /// The CSVs the report names: file, table title, rows and resources.
    pub fn files(&self) -> Vec<super::EvidenceFile> {
        self.kinds
            .iter()
            .map(|(k, e)| super::EvidenceFile {
                name: member(k),
                title: e.info.title.to_string(),
                rows: thousands(e.rows),
                resources: thousands(e.resources.len()),
            })
            .collect()
    }

    /// The tables for `kinds` under a control that found `failing`
    /// resources (ids), `excepted` of them covered by an exception.
    pub fn tables(&self, kinds: &[String], failing: &BTreeSet<&str>, excepted: &BTreeSet<&str>) -> Vec<Table> {
        let mut seen = BTreeSet::new();
        kinds.iter().filter(|k| seen.insert(k.as_str())).filter_map(|k| self.table(k, failing, excepted)).collect()
    }

    fn table(&self, kind: &str, failing: &BTreeSet<&str>, excepted: &BTreeSet<&str>) -> Option<Table> {
        let e = self.kinds.get(kind)?;
        let snapshot = self.snapshot;
        // The control's failing resources of this kind, in snapshot order.
        let mut bad: Vec<usize> = failing.iter().filter_map(|id| e.by_id.get(*id)).flatten().copied().collect();
        bad.sort_unstable();
        bad.dedup();
        let bad_set: BTreeSet<usize> = bad.iter().copied().collect();
        let whole = e.rows <= FULL_ROWS;
        let mut cli = BTreeSet::new();
        // (position, row) for every row shown.
        let mut flagged: Vec<(usize, Row, usize)> = Vec::new();
        let mut rest: Vec<(usize, Row, usize)> = Vec::new();
        for &i in &bad {
            let r = &snapshot.resources[i];
            let at = At { resource: r, flagged: true, now: snapshot.collected_at.finished };
            let Ok((commands, rows)) = (e.info.fill)(&at) else { continue };
            let base = e.first_row.get(&i).copied().unwrap_or(0);
            let mut any = false;
            for (j, row) in rows.into_iter().enumerate() {
                if row.flagged {
                    any = true;
                    flagged.push((base + j, row, i));
                } else if whole {
                    rest.push((base + j, row, i));
                }
            }
            if any {
                cli.extend(commands);
            }
        }
        let sample: Vec<&Kept> = e.kept.iter().filter(|k| !bad_set.contains(&k.resource)).collect();
        let sample = if whole { &sample[..] } else { &sample[..sample.len().min(SAMPLE_ROWS)] };
        for k in sample {
            rest.push((k.position, Row { cells: k.cells.clone(), flagged: false }, k.resource));
            let r = &snapshot.resources[k.resource];
            if let Ok((commands, _)) =
                (e.info.fill)(&At { resource: r, flagged: false, now: snapshot.collected_at.finished })
            {
                cli.extend(commands);
            }
        }
        rest.sort_by_key(|(p, _, _)| *p);
        let (n_flagged, n_rest) = (flagged.len(), rest.len());
        let mut rows: Vec<Row> = Vec::with_capacity(n_flagged + n_rest);
        for (_, mut row, i) in flagged.into_iter().chain(rest) {
            if self.multi_account {
                row.cells.insert(0, snapshot.resources[i].account.clone());
            }
            rows.push(row);
        }
        let mut columns: Vec<String> = e.info.columns.iter().map(|c| c.to_string()).collect();
        if self.multi_account {
            columns.insert(0, "Account".into());
        }
        let key_columns =
            if e.info.key_columns == 0 { 0 } else { e.info.key_columns + usize::from(self.multi_account) };
        let (widths, wrap) = tables::fit(&columns, &rows, key_columns);

        let n_excepted = bad.iter().filter(|i| excepted.contains(snapshot.resources[**i].id.as_str())).count();
        let n_failing = bad.len() - n_excepted;
        let resources = e.resources.len();
        let mut states = Vec::new();
        if n_failing > 0 {
            states.push(format!("{} failing", thousands(n_failing)));
        }
        if n_excepted > 0 {
            states.push(format!("{} excepted", thousands(n_excepted)));
        }
        states.push(format!("{} not flagged by this control", thousands(resources - bad.len())));
        let counts = format!(
            "{} {}{}: {}.",
            thousands(resources),
            if resources == 1 { "resource" } else { "resources" },
            if e.rows == resources { String::new() } else { format!(" ({} rows)", thousands(e.rows)) },
            states.join(", ")
        );
        let csv = member(kind);
        let mut notes = Vec::new();
        let shown = rows.len();
        if shown < e.rows {
            let others = e.rows - n_flagged;
            notes.push(if n_flagged > 0 {
                format!(
                    "Showing the {} flagged rows and a fixed sample of {} of the other {}; all {} rows are in {csv}.",
                    thousands(n_flagged),
                    thousands(n_rest),
                    thousands(others),
                    thousands(e.rows)
                )
            } else {
                format!(
                    "Showing a fixed sample of {} of the {} rows; all rows are in {csv}.",
                    thousands(n_rest),
                    thousands(e.rows)
                )
            });
        }
        let unreadable = tables::unreadable_note(&e.unreadable, e.unreadable_total);
        if !unreadable.is_empty() {
            notes.push(unreadable);
        }
        let more = cli.len().saturating_sub(CLI_LINES);
        if more > 0 {
            notes.push(format!(
                "The AWS CLI commands for the other rows follow the pattern of those shown ({} more).",
                thousands(more)
            ));
        }
        Some(Table {
            kind: kind.to_string(),
            title: e.info.title.to_string(),
            operations: e.operations.clone(),
            collected: e.collected.clone(),
            columns,
            widths,
            wrap,
            key_columns,
            rows,
            total_rows: e.rows,
            counts,
            csv,
            note: notes.join(" "),
            cli: cli.into_iter().take(CLI_LINES).collect(),
            empty: if resources == 0 { tables::empty_line(snapshot, kind, e.info.title) } else { String::new() },
        })
    }
}
