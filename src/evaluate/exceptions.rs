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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;
    use crate::evaluate::catalog::Severity;
    use crate::evaluate::results::Finding;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn key(account: &str, region: &str, name: &str) -> Finding {
        Finding {
            id: format!("arn:aws:kms:{region}:{account}:key/{name}"),
            name: name.into(),
            account: account.into(),
            region: region.into(),
            problems: vec!["rotation off".into()],
        }
    }

    fn failing(findings: Vec<Finding>) -> ControlResult {
        ControlResult {
            id: "KMS.4".into(),
            title: "rotation".into(),
            severity: Severity::Medium,
            status: Status::Fail,
            reason: "Keys fail.".into(),
            accounts: vec![],
            frameworks: Default::default(),
            evaluated: findings.len(),
            failing: findings,
            evidence_errors: vec![],
            includes: vec![],
            attestation: None,
            exceptions: vec![],
        }
    }

    fn exceptions(resources: &[&str], expires: &str) -> Exceptions {
        let yaml = format!(
            "exceptions:\n  - control: KMS.4\n    resources: [{}]\n    justification: HSM-backed\n    approver: CISO\n    expires: {expires}\n",
            resources.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", ")
        );
        Exceptions::parse("exceptions.yaml", &yaml).unwrap()
    }

    fn at(time: &str) -> DateTime<Utc> {
        time.parse().unwrap()
    }

    fn applied(mut r: ControlResult, e: &Exceptions, now: &str) -> ControlResult {
        apply_exceptions(&mut r, e, at(now));
        r
    }

    /// Exceptions have no account or region field: an ARN pattern is what
    /// limits one to an account and a region. Before, a key of another
    /// account or region matching it would have been a false excepted.
    #[test]
    fn an_arn_pattern_covers_only_its_account_and_region() {
        let keys = vec![key(A, "us-east-1", "k1"), key(B, "us-east-1", "k2"), key(A, "eu-west-1", "k3")];
        let e = exceptions(&[&format!("arn:aws:kms:us-east-1:{A}:key/*")], "2026-06-01");
        let r = applied(failing(keys), &e, "2026-05-01T00:00:00Z");
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.exceptions[0].covered, ["k1"]);
        assert_eq!(r.reason, "Keys fail. 1 of the 3 failing resources are covered by an accepted risk.");
    }

    #[test]
    fn names_and_ids_both_match_and_all_covered_is_excepted() {
        let keys = vec![key(A, "us-east-1", "k1"), key(B, "eu-west-1", "k2")];
        // `k?` matches the names only; the id pattern matches B's key only.
        for patterns in [vec!["k?"], vec![&format!("arn:aws:kms:*:{B}:key/*") as &str, "k1"]] {
            let r = applied(failing(keys.clone()), &exceptions(&patterns, "2026-06-01"), "2026-05-01T00:00:00Z");
            assert_eq!(r.status, Status::Excepted, "{patterns:?}");
            assert_eq!(r.exceptions[0].covered, ["k1", "k2"]);
            assert_eq!(
                r.reason,
                "Accepted risk: HSM-backed (approved by CISO, until 2026-06-01) Without the exception: Keys fail."
            );
        }
        // A pattern matching neither: still a failure, nothing covered.
        let r = applied(failing(keys), &exceptions(&["k3"], "2026-06-01"), "2026-05-01T00:00:00Z");
        assert_eq!((r.status, r.reason.as_str()), (Status::Fail, "Keys fail."));
        assert!(r.exceptions[0].covered.is_empty());
    }

    /// "Until 2026-06-01" holds through that whole day, at the snapshot's
    /// time, and lapses at the next midnight UTC.
    #[test]
    fn an_exception_applies_through_its_expiry_day_and_not_after() {
        let e = exceptions(&["*"], "2026-06-01");
        assert_eq!(e.exceptions[0].expires, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        for now in ["2026-06-01T00:00:00Z", "2026-06-01T23:59:59.999999999Z"] {
            let r = applied(failing(vec![key(A, "us-east-1", "k1")]), &e, now);
            assert_eq!(r.status, Status::Excepted, "{now}");
            assert!(r.exceptions[0].active, "{now}");
        }
        let r = applied(failing(vec![key(A, "us-east-1", "k1")]), &e, "2026-06-02T00:00:00Z");
        assert_eq!(r.status, Status::Fail);
        assert!(!r.exceptions[0].active);
        // An expired exception still says what it would have covered.
        assert_eq!(r.exceptions[0].covered, ["k1"]);
        assert_eq!(r.reason, "Keys fail. An exception approved by CISO expired on 2026-06-01 and no longer applies.");
    }

    /// `*` covers a control that fails without naming a resource (an
    /// account-level check); a narrower pattern cannot.
    #[test]
    fn only_a_star_covers_a_failure_that_names_no_resource() {
        let r = applied(failing(vec![]), &exceptions(&["*"], "2026-06-01"), "2026-05-01T00:00:00Z");
        assert_eq!(r.status, Status::Excepted);
        let r = applied(failing(vec![]), &exceptions(&["k*"], "2026-06-01"), "2026-05-01T00:00:00Z");
        assert_eq!(r.status, Status::Fail);
    }

    /// A control that does not fail keeps its status; the exception is
    /// still listed with it.
    #[test]
    fn a_passing_control_is_left_as_it_is() {
        let mut pass = failing(vec![]);
        pass.status = Status::Pass;
        pass.reason = "All 2 keys rotate.".into();
        let r = applied(pass, &exceptions(&["*"], "2026-06-01"), "2026-05-01T00:00:00Z");
        assert_eq!((r.status, r.reason.as_str()), (Status::Pass, "All 2 keys rotate."));
        assert_eq!(r.exceptions.len(), 1);
    }
}
