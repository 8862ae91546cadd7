//! The snapshot: the one document every stage after `collect` reads.
//!
//! A snapshot is plain, versioned JSON. Every resource says where it came
//! from (account, region, API operation, time), and every call that failed
//! is kept as a [`CollectionError`] so that evaluation can tell "compliant"
//! from "we could not see".

pub mod kinds;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use kinds::{Kind, ResourceData};

/// Bumped whenever a field changes meaning or goes away; added fields keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// The region name used for account-wide (global) services such as IAM.
pub const GLOBAL: &str = "global";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub schema_version: u32,
    pub tool: Tool,
    /// When collection started and finished. `finished` is the snapshot's
    /// reference time: evaluation and sealing use it instead of the clock.
    pub collected_at: Window,
    pub accounts: Vec<Account>,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub errors: Vec<CollectionError>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// The git commit the collecting binary was built from (added after
    /// schema version 1, hence optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// SHA-256 of the collecting binary's built-in `controls.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_sha256: Option<String>,
}

impl std::fmt::Display for Tool {
    /// `evidence-pack 0.1.0 (commit 1a2b3c4d5e6f, built-in catalog sha256 …)`;
    /// snapshots from before these fields print name and version only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.version)?;
        let mut parts = Vec::new();
        if let Some(c) = &self.commit {
            parts.push(format!("commit {}", c.get(..12).unwrap_or(c)));
        }
        if let Some(h) = &self.catalog_sha256 {
            parts.push(format!("built-in catalog sha256 {h}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Window {
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The identity that read this account (`sts:GetCallerIdentity`).
    pub collector_arn: String,
    /// The regions that were read for regional services.
    pub regions: Vec<String>,
    /// When this account was read, where a merged snapshot spans several
    /// collections: its own checks measure time from here, not from the
    /// latest of them. Absent in a snapshot of one collection, whose window
    /// is [`Snapshot::collected_at`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<Window>,
    /// The regions the account has enabled (`ec2:DescribeRegions`), so a
    /// `--regions` subset shows what it left out; `None` when they could not
    /// be listed or the snapshot predates this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions_enabled: Option<Vec<String>>,
    /// Regions of [`Account::regions`] that could not be read, or where one
    /// service could not be: an SCP's explicit deny on every call there, or
    /// a service AWS does not offer in the region. Stated as coverage (like
    /// a region left out), not as evidence errors on every control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions_unreadable: Vec<UnreadableRegion>,
    /// HTTP requests sent to each service (by its SigV4 signing name),
    /// retries included; absent in snapshots from before it was counted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calls: BTreeMap<String, u64>,
}

impl Account {
    /// The regions read: [`Account::regions`] but those where no service
    /// could be read.
    pub fn regions_read(&self) -> impl Iterator<Item = &String> + '_ {
        self.regions.iter().filter(|r| !self.regions_unreadable.iter().any(|u| u.service.is_none() && &u.region == *r))
    }
}

/// A region (or one service in it) that could not be read in an account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnreadableRegion {
    pub region: String,
    /// The service that is not available there (`guardduty`); `None` when
    /// no service in the region could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What AWS answered, as a collection error's code and message.
    pub code: String,
    pub message: String,
    /// The evidence kinds this leaves without that region.
    pub resource_types: Vec<String>,
}

/// Where one item of evidence came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// `service:Operation`, as in IAM policy actions (`kms:DescribeKey`).
    pub operation: String,
    pub collected_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Resource {
    /// Resource kind, such as `kms.key`; see [`kinds`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource's ARN where it has one, else a stable identifier.
    pub id: String,
    pub account: String,
    /// An AWS region, or [`GLOBAL`].
    pub region: String,
    pub source: Source,
    pub data: Value,
}

impl Resource {
    /// The resource's data as its typed struct, or `None` if it is another kind.
    pub fn parse<T: Kind>(&self) -> Option<Result<T, serde_json::Error>> {
        (self.kind == T::KIND).then(|| serde_json::from_value(self.data.clone()))
    }
}

/// A call that did not return evidence. Controls that need any of
/// `resource_types` in this account and region evaluate to `error`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollectionError {
    pub account: String,
    pub region: String,
    pub operation: String,
    /// The AWS error code (`AccessDenied`, `ThrottlingException`, …), or a
    /// transport-level class such as `DispatchFailure` when AWS never answered.
    pub code: String,
    pub message: String,
    pub resource_types: Vec<String>,
    /// The resource a per-resource call was about (a bucket's name, a
    /// key's id, a trail's ARN), so that fifty failed bucket reads say which
    /// fifty; absent for calls that list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub collected_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Read(#[from] crate::fs::FsError),
    #[error("{path}:{line}:{column}: not a valid snapshot: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },
    #[error(
        "{path}: snapshot schema version {found} is newer than this evidence-pack understands ({SCHEMA_VERSION}); upgrade evidence-pack"
    )]
    Version { path: String, found: u32 },
}

impl Snapshot {
    pub fn from_json(path: &str, text: &str) -> Result<Self, SnapshotError> {
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| SnapshotError::Parse {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if snapshot.schema_version > SCHEMA_VERSION {
            return Err(SnapshotError::Version { path: path.to_string(), found: snapshot.schema_version });
        }
        Ok(snapshot)
    }

    pub fn read(path: &Path) -> Result<Self, SnapshotError> {
        let text = crate::fs::read_text(path, crate::fs::cap::SNAPSHOT)?;
        Self::from_json(&path.display().to_string(), &text)
    }

    /// Canonical bytes: pretty JSON with a trailing newline. Sorting happens at
    /// collection time, so the same account state gives the same bytes.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("snapshot serialises");
        s.push('\n');
        s
    }

    /// Put resources and errors in a stable order, whatever order the
    /// concurrent calls finished in.
    pub fn normalise(&mut self) {
        self.accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        for a in &mut self.accounts {
            a.regions.sort();
            if let Some(enabled) = &mut a.regions_enabled {
                enabled.sort();
            }
            a.regions_unreadable.sort_by(|x, y| (&x.region, &x.service).cmp(&(&y.region, &y.service)));
        }
        self.resources
            .sort_by(|a, b| (&a.kind, &a.account, &a.region, &a.id).cmp(&(&b.kind, &b.account, &b.region, &b.id)));
        self.errors.sort_by(|a, b| (&a.account, &a.region, &a.operation).cmp(&(&b.account, &b.region, &b.operation)));
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    pub fn errors_for<'a>(&'a self, kinds: &'a BTreeSet<String>) -> impl Iterator<Item = &'a CollectionError> + 'a {
        self.errors.iter().filter(move |e| e.resource_types.iter().any(|t| kinds.contains(t)))
    }

    pub fn regions(&self) -> BTreeSet<&str> {
        self.accounts.iter().flat_map(|a| a.regions_read().map(String::as_str)).collect()
    }

    /// When `account` was read: its own window if it has one, else the
    /// snapshot's. An account read more than once spans all its windows.
    pub fn window_of(&self, account: &str) -> Window {
        self.accounts
            .iter()
            .filter(|a| a.account_id == account)
            .filter_map(|a| a.collected_at)
            .reduce(|a, b| Window { started: a.started.min(b.started), finished: a.finished.max(b.finished) })
            .unwrap_or(self.collected_at)
    }

    /// The accounts a snapshot covers: those it lists and those its
    /// resources and errors name, each once, in order.
    pub fn account_ids(&self) -> BTreeSet<&str> {
        self.accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .chain(self.resources.iter().map(|r| r.account.as_str()))
            .chain(self.errors.iter().map(|e| e.account.as_str()))
            .collect()
    }

    /// Merge snapshots taken of several accounts into one (for a pack that
    /// covers an organisation); the window spans them all, and each account
    /// keeps its own, so that evaluation measures its time from when it was
    /// read. One snapshot is returned as it is.
    pub fn merge(mut parts: Vec<Snapshot>) -> Option<Snapshot> {
        if parts.len() > 1 {
            for p in &mut parts {
                let window = p.collected_at;
                for a in &mut p.accounts {
                    a.collected_at.get_or_insert(window);
                }
            }
        }
        let mut first = parts.pop()?;
        for p in parts {
            first.collected_at.started = first.collected_at.started.min(p.collected_at.started);
            first.collected_at.finished = first.collected_at.finished.max(p.collected_at.finished);
            first.accounts.extend(p.accounts);
            first.resources.extend(p.resources);
            first.errors.extend(p.errors);
        }
        first.normalise();
        Some(first)
    }
}
