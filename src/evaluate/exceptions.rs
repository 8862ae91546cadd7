//! Accepted risks applied to a check's failures.

use super::Exceptions;
use super::catalog::Status;
use super::results::{ControlResult, ExceptionNote};

/// Turn failures covered by accepted, unexpired risks into `excepted`,
/// and say when an exception has lapsed.
pub(super) fn apply_exceptions(r: &mut ControlResult, exceptions: &Exceptions, now: chrono::DateTime<chrono::Utc>) {
    for e in exceptions.for_control(&r.id) {
        let active = e.active(now);
        let covered: Vec<String> =
            r.failing.iter().filter(|f| e.covers(&f.id, &f.name)).map(|f| f.name.clone()).collect();
        r.exceptions.push(ExceptionNote {
            justification: e.justification.clone(),
            approver: e.approver.clone(),
            expires: e.expires,
            active,
            covered,
        });
        if !active {
            r.reason.push_str(&format!(
                " An exception approved by {} expired on {} and no longer applies.",
                e.approver, e.expires
            ));
        }
    }
    if r.status != Status::Fail {
        return;
    }
    let applies = |id: &str, name: &str| exceptions.for_control(&r.id).any(|e| e.active(now) && e.covers(id, name));
    let whole = exceptions.for_control(&r.id).any(|e| e.active(now) && e.resources.iter().any(|p| p == "*"));
    let excepted = r.failing.iter().filter(|f| applies(&f.id, &f.name)).count();
    if (excepted == r.failing.len() && excepted > 0) || (r.failing.is_empty() && whole) {
        let notes: Vec<String> = r
            .exceptions
            .iter()
            .filter(|n| n.active)
            .map(|n| format!("{} (approved by {}, until {})", n.justification.trim(), n.approver, n.expires))
            .collect();
        r.status = Status::Excepted;
        r.reason = format!("Accepted risk: {} Without the exception: {}", notes.join("; "), r.reason);
    } else if excepted > 0 {
        r.reason.push_str(&format!(
            " {excepted} of the {} failing resources are covered by an accepted risk.",
            r.failing.len()
        ));
    }
}
