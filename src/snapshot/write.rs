//! Writing a snapshot of many accounts without holding them all.
//!
//! An organisation's accounts finish one by one. Each finished account is
//! rendered at once into the text it will have in `snapshot.json` and
//! appended to a spool file beside the output, with an index of where each
//! (kind, account) run of resources and each account's errors lie; the
//! account itself is then dropped. `finish` copies those runs into the
//! output in [`Snapshot::normalise`]'s order (resources by kind, account,
//! region, id; errors by account, region, operation), so what is held in
//! memory is the accounts in flight plus the index, and the file is byte
//! for byte what [`Snapshot::to_json`] gives for the merged snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Account, SCHEMA_VERSION, Snapshot, Tool, Window};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the snapshot {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(transparent)]
    Output(#[from] crate::fs::FsError),
    #[error(
        "account {account} was given to the snapshot writer twice; an organisation run reads each account once, so this is a bug: please report it"
    )]
    Overlap { account: String },
}

/// Where one run of rendered items lies in the spool.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: u64,
    len: u64,
}

/// What [`SnapshotWriter::finish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub accounts: usize,
    pub resources: usize,
    pub errors: usize,
}

/// Accounts in, one `snapshot.json` out; see the module documentation.
pub struct SnapshotWriter {
    target: PathBuf,
    spool: BufWriter<File>,
    spooled: u64,
    tool: Option<Tool>,
    accounts: Vec<Account>,
    /// Every account spooled so far.
    seen: BTreeSet<String>,
    /// (kind, account) → its resources, rendered.
    resources: BTreeMap<(String, String), Piece>,
    /// account → its errors, rendered.
    errors: BTreeMap<String, Piece>,
    counts: Written,
}

impl SnapshotWriter {
    /// A writer for `target`. The spool is made now, in `target`'s folder,
    /// so an unwritable folder fails before any account is read.
    pub fn new(target: &Path) -> Result<SnapshotWriter, WriteError> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // Unnamed, so the system removes it however the run ends.
        let spool =
            tempfile::tempfile_in(dir).map_err(|cause| WriteError::Io { path: target.display().to_string(), cause })?;
        Ok(SnapshotWriter {
            target: target.to_path_buf(),
            spool: BufWriter::new(spool),
            spooled: 0,
            tool: None,
            accounts: Vec::new(),
            seen: BTreeSet::new(),
            resources: BTreeMap::new(),
            errors: BTreeMap::new(),
            counts: Written { accounts: 0, resources: 0, errors: 0 },
        })
    }

    fn io(&self, cause: std::io::Error) -> WriteError {
        WriteError::Io { path: self.target.display().to_string(), cause }
    }

    /// Spool one account's snapshot (or several accounts', none of them
    /// given before) and let it go.
    pub fn add(&mut self, mut part: Snapshot) -> Result<(), WriteError> {
        part.normalise();
        // Runs are copied whole, so an account's resources must all come in
        // one part for the output to be in order.
        let given: BTreeSet<String> = part.account_ids().into_iter().map(String::from).collect();
        if let Some(account) = given.intersection(&self.seen).next() {
            return Err(WriteError::Overlap { account: account.clone() });
        }
        self.seen.extend(given);
        self.tool.get_or_insert_with(|| part.tool.clone());
        self.counts.resources += part.resources.len();
        self.counts.errors += part.errors.len();

        let mut resources = part.resources.into_iter().peekable();
        while let Some(first) = resources.next() {
            let key = (first.kind.clone(), first.account.clone());
            let mut run = vec![first];
            while let Some(r) = resources.next_if(|r| r.kind == key.0 && r.account == key.1) {
                run.push(r);
            }
            let piece = self.spool_items(&run)?;
            self.resources.insert(key, piece);
        }
        let mut errors = part.errors.into_iter().peekable();
        while let Some(first) = errors.next() {
            let account = first.account.clone();
            let mut run = vec![first];
            while let Some(e) = errors.next_if(|e| e.account == account) {
                run.push(e);
            }
            let piece = self.spool_items(&run)?;
            self.errors.insert(account, piece);
        }
        self.accounts.extend(part.accounts);
        Ok(())
    }

    /// Render `items` as they will stand in the output's array, joined by
    /// commas, and append them to the spool.
    fn spool_items<T: Serialize>(&mut self, items: &[T]) -> Result<Piece, WriteError> {
        let mut text = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                text.extend_from_slice(b",\n");
            }
            render_item(&mut text, item).map_err(|e| self.io(e))?;
        }
        self.spool.write_all(&text).map_err(|e| self.io(e))?;
        let piece = Piece { start: self.spooled, len: text.len() as u64 };
        self.spooled += piece.len;
        Ok(piece)
    }

    /// Write the snapshot, whose window is `collected_at`, to the target,
    /// atomically (see [`crate::fs::write_atomic_with`]).
    pub fn finish(mut self, collected_at: Window) -> Result<Written, WriteError> {
        self.spool.flush().map_err(|e| self.io(e))?;
        let mut head = Snapshot {
            schema_version: SCHEMA_VERSION,
            tool: self.tool.take().unwrap_or_else(crate::tool),
            collected_at,
            accounts: std::mem::take(&mut self.accounts),
            resources: Vec::new(),
            errors: Vec::new(),
        };
        head.normalise();
        let counts = Written { accounts: head.accounts.len(), ..self.counts };
        let head = head.to_json();
        let (before, after) = split_at_array(&head, RESOURCES);
        let (between, end) = split_at_array(after, ERRORS);
        let target = self.target.display().to_string();
        let mut spool = self.spool.into_inner().map_err(|e| WriteError::Io { path: target, cause: e.into_error() })?;
        let (resources, errors) = (self.resources, self.errors);
        crate::fs::write_atomic_with(&self.target, |out| {
            out.write_all(before.as_bytes())?;
            copy_array(&mut spool, out, RESOURCES, resources.values())?;
            out.write_all(between.as_bytes())?;
            copy_array(&mut spool, out, ERRORS, errors.values())?;
            out.write_all(end.as_bytes())
        })?;
        Ok(counts)
    }
}

/// The top-level keys whose arrays are streamed. Top-level keys are the
/// only lines indented by exactly two spaces (JSON strings hold no raw line
/// breaks), so each marker occurs once in the head.
const RESOURCES: &str = "\n  \"resources\": []";
const ERRORS: &str = "\n  \"errors\": []";

/// The head's text before and after `marker`, or the whole head and an
/// empty tail if the marker is missing, which the byte-for-byte test below
/// rules out.
fn split_at_array<'a>(head: &'a str, marker: &str) -> (&'a str, &'a str) {
    head.split_once(marker).unwrap_or((head, ""))
}

/// One array, its items copied from the spool in the order of `pieces`, laid
/// out as serde_json's pretty printer lays out a top-level field.
fn copy_array<'a>(
    spool: &mut File,
    out: &mut dyn Write,
    marker: &str,
    pieces: impl Iterator<Item = &'a Piece>,
) -> std::io::Result<()> {
    let key = marker.trim_end_matches("[]");
    let mut pieces = pieces.peekable();
    if pieces.peek().is_none() {
        return out.write_all(marker.as_bytes());
    }
    out.write_all(key.as_bytes())?;
    out.write_all(b"[\n")?;
    for (i, p) in pieces.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        spool.seek(SeekFrom::Start(p.start))?;
        let copied = std::io::copy(&mut (&mut *spool).take(p.len), out)?;
        if copied != p.len {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the spool file was cut short"));
        }
    }
    out.write_all(b"\n  ]")
}

/// An item of a top-level array as serde_json's pretty printer writes it
/// there: two levels deep, so every line indented by four spaces.
fn render_item<T: Serialize>(out: &mut Vec<u8>, item: &T) -> std::io::Result<()> {
    out.extend_from_slice(b"    ");
    serde_json::to_writer_pretty(Indent { inner: out }, item).map_err(std::io::Error::other)
}

/// Four more spaces after every line break: pretty JSON's line breaks are
/// all structural, since strings escape theirs.
struct Indent<'a> {
    inner: &'a mut Vec<u8>,
}

impl Write for Indent<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in buf.split_inclusive(|b| *b == b'\n') {
            self.inner.extend_from_slice(line);
            if line.ends_with(b"\n") {
                self.inner.extend_from_slice(b"    ");
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A whole snapshot, written to `path` atomically without first making its
/// text in memory.
pub fn write_snapshot(path: &Path, snapshot: &Snapshot) -> Result<(), WriteError> {
    crate::fs::write_atomic_with(path, |out| {
        serde_json::to_writer_pretty(&mut *out, snapshot).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::snapshot::{CollectionError, Resource, Source};

    fn at(secs: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
    }

    fn resource(kind: &str, account: &str, region: &str, id: &str, data: serde_json::Value) -> Resource {
        Resource {
            kind: kind.into(),
            id: id.into(),
            account: account.into(),
            region: region.into(),
            source: Source { operation: "ec2:DescribeSecurityGroups".into(), collected_at: at(1) },
            data,
        }
    }

    fn error(account: &str, region: &str, operation: &str) -> CollectionError {
        CollectionError {
            account: account.into(),
            region: region.into(),
            operation: operation.into(),
            code: "AccessDenied".into(),
            message: "line one\nline two \"quoted\" \u{2028} ünïcödé".into(),
            resource_types: vec!["kms.key".into()],
            resource: None,
            collected_at: at(2),
        }
    }

    /// One account's snapshot as `collect_org` hands it over: resources of
    /// several kinds and regions in the order calls finished, nested data,
    /// and (for some) errors.
    fn account(id: &str, n: usize, with_errors: bool) -> Snapshot {
        let mut resources = Vec::new();
        for i in (0..n).rev() {
            let region = if i % 2 == 0 { "us-east-1" } else { "eu-west-1" };
            resources.push(resource(
                "ec2.security_group",
                id,
                region,
                &format!("sg-{i:03}"),
                json!({"name": format!("g{i}"), "ingress": [{"peer": "0.0.0.0/0", "from_port": 22}], "egress": [], "tags": {}}),
            ));
            resources.push(resource("kms.key", id, region, &format!("key-{i}"), json!({"rotation": null, "n": 1.5})));
        }
        resources.push(resource("iam.account_summary", id, "global", "root", json!({"summary": {"Users": 3}})));
        let errors = if with_errors {
            vec![error(id, "us-east-1", "kms:ListKeys"), error(id, "eu-west-1", "ec2:DescribeSnapshots")]
        } else {
            Vec::new()
        };
        Snapshot {
            schema_version: SCHEMA_VERSION,
            tool: crate::tool(),
            collected_at: Window { started: at(0), finished: at(10) },
            accounts: vec![Account {
                account_id: id.into(),
                alias: Some(format!("alias-{id}")),
                collector_arn: format!("arn:aws:iam::{id}:role/EvidencePackReadOnly"),
                regions: vec!["us-east-1".into(), "eu-west-1".into()],
                collected_at: Some(Window { started: at(0), finished: at(10) }),
                ..serde_json::from_value(json!({"account_id": id, "collector_arn": "x", "regions": []})).unwrap()
            }],
            resources,
            errors,
        }
    }

    fn written(parts: Vec<Snapshot>, window: Window) -> (String, Written) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        let mut w = SnapshotWriter::new(&path).unwrap();
        for p in parts {
            w.add(p).unwrap();
        }
        let counts = w.finish(window).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["snapshot.json"], "the spool is gone");
        (std::fs::read_to_string(&path).unwrap(), counts)
    }

    /// The streamed file is what merging every account in memory and
    /// printing it gives, byte for byte, whatever order accounts finish in.
    #[test]
    fn streamed_accounts_equal_the_merged_snapshot_byte_for_byte() {
        let window = Window { started: at(-5), finished: at(99) };
        let parts = || {
            vec![
                account("333333333333", 3, true),
                account("111111111111", 5, false),
                account("222222222222", 0, true),
                account("444444444444", 2, false),
            ]
        };
        let mut merged = Snapshot::merge(parts()).unwrap();
        merged.collected_at = window;
        let (text, counts) = written(parts(), window);
        assert_eq!(text, merged.to_json());
        assert_eq!(counts, Written { accounts: 4, resources: merged.resources.len(), errors: merged.errors.len() });

        let mut reversed = parts();
        reversed.reverse();
        assert_eq!(written(reversed, window).0, merged.to_json());
    }

    /// One account (`collect` without `--org`) and an empty organisation
    /// come out as `to_json` prints them, empty arrays included.
    #[test]
    fn one_account_and_none_print_as_to_json_does() {
        // `collect` hands the writer an account as it was read; the file
        // holds it normalised, as `to_json` of the normalised snapshot.
        let mut one = account("111111111111", 2, true);
        let raw = one.clone();
        one.normalise();
        assert_eq!(written(vec![raw], one.collected_at).0, one.to_json());
        let mut bare = Snapshot { resources: Vec::new(), errors: Vec::new(), ..account("111111111111", 0, false) };
        bare.normalise();
        assert_eq!(written(vec![bare.clone()], bare.collected_at).0, bare.to_json());
        let none = Snapshot { accounts: Vec::new(), ..bare };
        assert_eq!(written(vec![], none.collected_at).0, none.to_json());
    }

    #[test]
    fn an_account_given_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SnapshotWriter::new(&dir.path().join("s.json")).unwrap();
        w.add(account("111111111111", 1, false)).unwrap();
        let err = w.add(account("111111111111", 1, false)).unwrap_err();
        assert!(matches!(err, WriteError::Overlap { ref account } if account == "111111111111"), "{err}");
    }

    #[test]
    fn an_unwritable_folder_fails_before_any_account_is_read() {
        let err = SnapshotWriter::new(Path::new("/nonexistent-folder/snapshot.json")).err().unwrap();
        assert!(err.to_string().contains("/nonexistent-folder/snapshot.json"), "{err}");
    }

    #[test]
    fn write_snapshot_equals_to_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let s = account("111111111111", 3, true);
        write_snapshot(&path, &s).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), s.to_json());
    }
}
