//! The "Changes since pack …" chapter that `--baseline` puts first in the
//! report: what the templates show of a [`crate::diff::Diff`].

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangesView {
    /// "Changes since pack 0123456789abcdef, 2026-08-20 10:00 UTC".
    pub title: String,
    pub baseline_id: String,
    /// SHA-256 of the baseline's zip file.
    pub baseline_sha256: String,
    /// "2 new failures, 1 fixed, 3 still failing; 1 control changed status."
    pub summary: String,
    pub status_changes: Vec<StatusChange>,
    pub new_failures: Vec<ChangeRow>,
    pub fixed: Vec<ChangeRow>,
    /// One sentence each: catalog, exceptions, attestations, collection
    /// errors, accounts and regions that changed.
    pub other: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusChange {
    pub id: String,
    pub anchor: String,
    pub title: String,
    /// A status's JSON name, or "" where the control was not in that pack.
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeRow {
    pub control: String,
    pub anchor: String,
    pub finding_id: String,
    pub resource: String,
    /// `account/region`.
    pub location: String,
    pub reason: String,
}
