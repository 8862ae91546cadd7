//! Controls made of other controls (SEC-002, SO1 to SO8).

use std::collections::BTreeMap;

use super::base;
use super::catalog::{Control, Status};
use super::results::ControlResult;

pub(super) fn composite(c: &Control, ids: Vec<String>, done: &BTreeMap<String, ControlResult>) -> ControlResult {
    let parts: Vec<&ControlResult> = ids.iter().filter_map(|i| done.get(i)).collect();
    let with = |s: Status| -> Vec<&str> { parts.iter().filter(|p| p.status == s).map(|p| p.id.as_str()).collect() };
    let (fail, error, manual, pass, excepted) =
        (with(Status::Fail), with(Status::Error), with(Status::Manual), with(Status::Pass), with(Status::Excepted));
    let n = parts.len();
    let (status, reason) = if !fail.is_empty() {
        (Status::Fail, format!("{} of {n} included controls fail: {}.", fail.len(), fail.join(", ")))
    } else if !error.is_empty() {
        (
            Status::Error,
            format!("{} of {n} included controls could not be evaluated: {}.", error.len(), error.join(", ")),
        )
    } else if !manual.is_empty() {
        (
            Status::Manual,
            format!("{} of {n} included controls need a person's answer: {}.", manual.len(), manual.join(", ")),
        )
    } else if !excepted.is_empty() {
        (
            Status::Excepted,
            format!(
                "{} of {n} included controls fail only on accepted risks: {}.",
                excepted.len(),
                excepted.join(", ")
            ),
        )
    } else if !pass.is_empty() {
        (Status::Pass, format!("All {} applicable included controls pass.", pass.len()))
    } else {
        (Status::NotApplicable, "None of the included controls applies to this account.".to_string())
    };
    let mut r = base(c, status, reason);
    r.evidence_errors = parts.iter().flat_map(|p| p.evidence_errors.clone()).collect();
    r.evidence_errors.dedup();
    r.evaluated = parts.iter().map(|p| p.evaluated).sum();
    r.includes = ids;
    r
}
