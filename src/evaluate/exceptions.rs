//! Accepted risks applied to a check's failures, and the register of them
//! the report ends with.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Exceptions;
use super::catalog::Status;
use super::results::{ControlResult, ExceptionNote, Results};

/// The most matched resources the register names per exception; the rest
/// are counted (results.json lists them all, under the control).
pub const REGISTER_NAMES: usize = 50;

/// Every exception of the pack, in the file's order, as it applied.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Register {
    /// How many days ahead an expiry is flagged (`--warn-expiring`).
    pub warn_days: u32,
    pub entries: Vec<RegisterEntry>,
    /// Those still applying that expire within `warn_days` of the
    /// snapshot's time, soonest first.
    pub expiring: Vec<RegisterEntry>,
    /// How many entries matched nothing.
    pub unmatched: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegisterEntry {
    /// Its place in the exceptions file, from 1.
    pub number: usize,
    /// The line of its `control` in the exceptions file.
    pub line: u64,
    pub control: String,
    /// Its resource patterns, as written.
    pub resources: Vec<String>,
    pub justification: String,
    pub approver: String,
    pub expires: NaiveDate,
    /// Whether it still applied at the snapshot's time.
    pub active: bool,
    /// Days from the snapshot's date to its expiry day (negative once lapsed).
    pub days_left: i64,
    /// "applies", "expires in N days" (within `warn_days`) or "expired".
    pub state: String,
    /// The failing resources it matched, "name (account/region)", at most
    /// [`REGISTER_NAMES`] of them.
    pub matched: Vec<String>,
    pub matched_total: usize,
    /// How many matched resources `matched` leaves out.
    pub matched_more: usize,
    /// It covers its control as a whole (`*` on a control that fails
    /// without naming a resource).
    pub whole: bool,
    /// Why it matched nothing; empty when it matched.
    pub unmatched: String,
}

/// The register of `exceptions` as evaluation applied them in `results`,
/// dated by `now`, the snapshot's time.
pub fn register(exceptions: &Exceptions, results: &Results, now: DateTime<Utc>) -> Register {
    let mut entries = Vec::with_capacity(exceptions.exceptions.len());
    for (i, e) in exceptions.exceptions.iter().enumerate() {
        let result = results.get(&e.control);
        // Evaluation notes each exception of a control in file order, with
        // whether it applied in every account at that account's own time.
        let nth = exceptions.exceptions[..i].iter().filter(|x| x.control == e.control).count();
        let active = result.and_then(|r| r.exceptions.get(nth)).map_or_else(|| e.active(now), |n| n.active);
        let failing: Vec<String> = result
            .map(|r| {
                r.failing
                    .iter()
                    .filter(|f| e.covers(&f.id, &f.name))
                    .map(|f| format!("{} ({}/{})", f.name, f.account, f.region))
                    .collect()
            })
            .unwrap_or_default();
        let unmatched = e.misses(results).unwrap_or_default();
        let whole = unmatched.is_empty() && failing.is_empty();
        let days_left = e.days_left(now);
        let state = if !active || days_left < 0 {
            "expired".to_string()
        } else if days_left <= i64::from(exceptions.warn_days) {
            match days_left {
                0 => "expires on the snapshot's day".to_string(),
                1 => "expires in 1 day".to_string(),
                n => format!("expires in {n} days"),
            }
        } else {
            "applies".to_string()
        };
        entries.push(RegisterEntry {
            number: i + 1,
            line: exceptions.spot(i).line,
            control: e.control.clone(),
            resources: e.resources.clone(),
            justification: e.justification.trim().to_string(),
            approver: e.approver.clone(),
            expires: e.expires,
            active,
            days_left,
            state,
            matched_total: failing.len(),
            matched_more: failing.len().saturating_sub(REGISTER_NAMES),
            matched: failing.into_iter().take(REGISTER_NAMES).collect(),
            whole,
            unmatched,
        });
    }
    let mut expiring: Vec<RegisterEntry> = entries
        .iter()
        .filter(|e| e.active && (0..=i64::from(exceptions.warn_days)).contains(&e.days_left))
        .cloned()
        .collect();
    expiring.sort_by_key(|e| (e.days_left, e.number));
    Register {
        warn_days: exceptions.warn_days,
        unmatched: entries.iter().filter(|e| !e.unmatched.is_empty()).count(),
        entries,
        expiring,
    }
}

/// Turn failures covered by accepted, unexpired risks into `excepted`,
/// and say when an exception has lapsed.
pub(super) fn apply_exceptions(r: &mut ControlResult, exceptions: &Exceptions, now: DateTime<Utc>) {
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

    /// The register has every exception in file order: what it matched
    /// (even once expired), why one matched nothing, and which expire
    /// within the warning window of the snapshot's day (2026-11-22 for the
    /// example), soonest first.
    #[test]
    fn the_register_lists_matches_misses_and_expiries() {
        let snapshot = crate::snapshot::Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let catalog = crate::evaluate::Catalog::builtin();
        let text = "exceptions:
  - {control: EC2.14, resources: ['*legacy-rdp*'], justification: Vendor appliance, approver: CISO, expires: 2026-12-10}
  - {control: IAM.2, resources: ['*'], justification: x, approver: y, expires: 2099-01-01}
  - {control: EC2.14, resources: ['*legacy-rdp*'], justification: old, approver: CTO, expires: 2026-01-01}
  - {control: EC2.14, resources: ['*'], justification: all, approver: CISO, expires: 2026-11-22}
";
        let mut inputs =
            crate::evaluate::Inputs { exceptions: Exceptions::parse("e.yaml", text).unwrap(), ..Default::default() };
        let now = snapshot.collected_at.finished;
        let results = crate::evaluate::evaluate_with(&snapshot, &catalog, &inputs);
        let reg = register(&inputs.exceptions, &results, now);
        assert_eq!(reg.warn_days, 30);
        let rows: Vec<(usize, u64, &str, i64, bool)> =
            reg.entries.iter().map(|e| (e.number, e.line, e.state.as_str(), e.days_left, e.active)).collect();
        assert_eq!(
            rows,
            [
                (1, 2, "expires in 18 days", 18, true),
                (2, 3, "applies", 26_338, true),
                (3, 4, "expired", -325, false),
                (4, 5, "expires on the snapshot's day", 0, true),
            ]
        );
        let first = &reg.entries[0];
        assert!(!first.matched.is_empty() && first.matched.iter().all(|m| m.contains("legacy-rdp")), "{first:?}");
        assert_eq!(first.matched_total, first.matched.len());
        assert_eq!(reg.entries[2].matched, first.matched, "an expired exception still says what it matched");
        assert!(reg.entries[1].matched.is_empty());
        assert_eq!(reg.entries[1].unmatched, "the control does not fail (its status is pass)");
        assert_eq!(reg.unmatched, 1);
        let soon: Vec<usize> = reg.expiring.iter().map(|e| e.number).collect();
        assert_eq!(soon, [4, 1]);
        // The same on stderr, with the file's lines.
        let lines: Vec<u64> = inputs.exceptions.expiring(now).iter().map(|w| w.line).collect();
        assert_eq!(lines, [5, 2]);
        assert!(
            inputs.exceptions.expiring(now)[1].message.contains("expires on 2026-12-10 (18 days after the snapshot)")
        );

        // A shorter window flags only what expires sooner.
        inputs.exceptions.warn_days = 10;
        let reg = register(&inputs.exceptions, &results, now);
        assert_eq!(reg.entries[0].state, "applies");
        assert_eq!(reg.expiring.iter().map(|e| e.number).collect::<Vec<_>>(), [4]);
        assert_eq!(inputs.exceptions.expiring(now).len(), 1);
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
