//! Controls made of other controls (SEC-002, SO1 to SO8).

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Control, Section, Status};
use super::results::{AccountResult, ControlResult};
use super::{Attestation, attest, base};

pub(super) fn composite(c: &Control, sections: &[Section], done: &BTreeMap<String, ControlResult>) -> ControlResult {
    let ids: Vec<String> = sections.iter().flat_map(|s| s.controls.clone()).collect();
    let parts: Vec<&ControlResult> = ids.iter().filter_map(|i| done.get(i)).collect();
    let (status, reason) = judge(sections, |id| done.get(id).map(|p| p.status));
    let mut r = base(c, status, reason);
    r.evidence_errors = parts.iter().flat_map(|p| p.evidence_errors.clone()).collect();
    r.evidence_errors.dedup();
    r.evaluated = parts.iter().map(|p| p.evaluated).sum();
    // In a pack of several accounts, each account's sections are judged
    // from that account's verdicts; a part that has none (a manual control,
    // answered for the whole pack) counts as it is.
    let accounts: BTreeSet<&str> = parts.iter().flat_map(|p| p.accounts.iter().map(|a| a.account.as_str())).collect();
    r.accounts = accounts
        .into_iter()
        .map(|account| {
            let mine = |p: &ControlResult| p.accounts.iter().find(|a| a.account == account).cloned();
            let (status, reason) = judge(sections, |id| done.get(id).map(|p| mine(p).map_or(p.status, |a| a.status)));
            AccountResult {
                account: account.to_string(),
                status,
                reason,
                evaluated: parts.iter().filter_map(|p| mine(p)).map(|a| a.evaluated).sum(),
                failing: parts.iter().filter_map(|p| mine(p)).map(|a| a.failing).sum(),
            }
        })
        .collect();
    r.includes = ids;
    r
}

/// A person's answer to a composite, which decides it when, and only when,
/// its parts leave it `manual` (a section with no evidence in scope, or a
/// question unanswered): evidence in scope always outranks an attestation.
/// Accounts that read `manual` take the answer too; the others keep their
/// own verdicts.
pub(super) fn attested(r: &mut ControlResult, a: Option<&Attestation>) {
    let Some(a) = a else { return };
    if r.status != Status::Manual {
        r.reason = format!(
            "{} The attestation by {} on {} is not used: it answers this control only while its evidence leaves it manual.",
            r.reason, a.by, a.date
        );
        return;
    }
    let (status, reason) = match attest::composite_answer(a) {
        Ok((status, label)) => {
            (status, format!("Answered by {} on {}: {label}. Evaluated: {}", a.by, a.date, r.reason))
        }
        Err(why) => (Status::Error, format!("The attestation cannot answer this control: {why}.")),
    };
    for acc in r.accounts.iter_mut().filter(|acc| acc.status == Status::Manual) {
        acc.status = status;
        acc.reason = reason.clone();
    }
    r.status = status;
    r.reason = reason;
    r.attestation = Some(a.clone());
}

/// A composite's status and reason from its parts' statuses. A section
/// none of whose controls applies has no evidence in scope: it is not a
/// pass, and reads `manual` until a person attests to it or accepts it.
fn judge(sections: &[Section], status_of: impl Fn(&str) -> Option<Status>) -> (Status, String) {
    let parts: Vec<(&str, Status)> = sections
        .iter()
        .flat_map(|s| s.controls.iter())
        .filter_map(|id| status_of(id).map(|s| (id.as_str(), s)))
        .collect();
    let with = |s: Status| -> Vec<&str> { parts.iter().filter(|p| p.1 == s).map(|p| p.0).collect() };
    let (fail, error, manual, pass, excepted) =
        (with(Status::Fail), with(Status::Error), with(Status::Manual), with(Status::Pass), with(Status::Excepted));
    let empty: Vec<String> = sections
        .iter()
        .filter_map(|s| {
            let statuses: Vec<Status> = s.controls.iter().filter_map(|id| status_of(id)).collect();
            (!statuses.is_empty() && statuses.iter().all(|s| *s == Status::NotApplicable)).then(|| {
                format!(
                    "section \"{}\" has no evidence in scope ({} {} not apply): attest or except",
                    s.title,
                    s.controls.join(", "),
                    if s.controls.len() == 1 { "does" } else { "do" }
                )
            })
        })
        .collect();
    let n = parts.len();
    if !fail.is_empty() {
        (Status::Fail, format!("{} of {n} included controls fail: {}.", fail.len(), fail.join(", ")))
    } else if !error.is_empty() {
        (
            Status::Error,
            format!("{} of {n} included controls could not be evaluated: {}.", error.len(), error.join(", ")),
        )
    } else if !manual.is_empty() || !empty.is_empty() {
        let mut why = Vec::new();
        if !manual.is_empty() {
            why.push(format!(
                "{} of {n} included controls need a person's answer: {}.",
                manual.len(),
                manual.join(", ")
            ));
        }
        for e in &empty {
            why.push(format!("The {e}."));
        }
        (Status::Manual, why.join(" "))
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
    }
}
