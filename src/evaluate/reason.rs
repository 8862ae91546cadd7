//! The wording of reasons: what a person reads next to a status.

use super::catalog::Status;
use super::check::Unevaluated;
use super::results::{AccountResult, Finding};
use crate::snapshot::CollectionError;

/// `n` of `noun`, pluralised as English does for the nouns checks use.
pub(super) fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ if noun.ends_with('y') && !noun.ends_with("ey") => format!("{n} {}ies", &noun[..noun.len() - 1]),
        _ => format!("{n} {noun}s"),
    }
}

pub(super) fn describe_errors(errors: &[CollectionError]) -> String {
    let mut parts: Vec<String> =
        errors.iter().map(|e| format!("{} in {}/{} returned {}", e.operation, e.account, e.region, e.code)).collect();
    parts.dedup();
    let more = parts.len().saturating_sub(3);
    parts.truncate(3);
    let mut s = parts.join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

/// The first three of `items`, and how many more.
fn first_three<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut parts: Vec<String> = items.iter().take(3).map(show).collect();
    if items.len() > 3 {
        parts.push(format!("and {} more", items.len() - 3));
    }
    parts.join(", ")
}

/// The first three findings with their problems, and how many more;
/// `located`: each named with its account and region, as a pack of several
/// accounts needs.
pub(super) fn listed(fs: &[Finding], located: bool) -> String {
    first_three(fs, |f| match located {
        true => format!("{} in {}/{} ({})", f.name, f.account, f.region, f.problems.join("; ")),
        false => format!("{} ({})", f.name, f.problems.join("; ")),
    })
}

/// The first three resources a check could not judge, each with the
/// expression and what went wrong, and how many more.
pub(super) fn listed_unevaluated(us: &[Unevaluated]) -> String {
    first_three(us, |u| format!("{} in {} (`{}`: {})", u.name, u.place, u.expression, u.why))
}

/// What each status says of the accounts that have it.
fn verb(s: Status) -> &'static str {
    match s {
        Status::Fail => "Fails",
        Status::Error => "Could not be evaluated",
        Status::Manual => "Needs a person's answer",
        Status::Excepted => "Fails only on accepted risks",
        Status::Pass => "Passes",
        Status::NotApplicable => "Does not apply",
    }
}

/// The reason for a control over several accounts: in how many accounts
/// it has its (worst) status, and why in the first three of them.
pub(super) fn by_account(accounts: &[AccountResult], status: Status) -> String {
    let those: Vec<&AccountResult> = accounts.iter().filter(|a| a.status == status).collect();
    let why: Vec<String> =
        those.iter().take(3).map(|a| format!("Account {}: {}", a.account, a.reason.trim_end())).collect();
    let more = match those.len().saturating_sub(3) {
        0 => String::new(),
        1 => " And 1 more account.".into(),
        n => format!(" And {n} more accounts."),
    };
    let head = format!("{} in {} of {} accounts.", verb(status), those.len(), accounts.len());
    [head, why.join(" ")].join(if why.is_empty() { "" } else { " " }) + &more
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(name: &str) -> Finding {
        Finding {
            id: name.into(),
            name: name.into(),
            account: "1".into(),
            region: "r".into(),
            problems: vec!["bad".into()],
        }
    }

    #[test]
    fn plurals_read_as_english() {
        assert_eq!(plural(1, "key"), "1 key");
        assert_eq!(plural(2, "key"), "2 keys");
        assert_eq!(plural(2, "policy"), "2 policies");
        assert_eq!(plural(0, "trail"), "0 trails");
        assert_eq!(plural(3, "entity"), "3 entities");
        assert_eq!(plural(3, "survey"), "3 surveys");
        assert_eq!(plural(1, "policy"), "1 policy");
        assert_eq!(plural(0, "DB instance"), "0 DB instances");
    }

    fn error(operation: &str, region: &str, code: &str) -> CollectionError {
        CollectionError {
            account: "111".into(),
            region: region.into(),
            operation: operation.into(),
            code: code.into(),
            message: "not shown".into(),
            resource_types: vec![],
            resource: None,
            collected_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn errors_are_deduplicated_and_capped_at_three() {
        let e = |op: &str| error(op, "us-east-1", "AccessDenied");
        let errors = [e("kms:ListKeys"), e("kms:ListKeys"), e("a:B"), e("c:D"), e("e:F")];
        assert_eq!(
            describe_errors(&errors),
            "kms:ListKeys in 111/us-east-1 returned AccessDenied; a:B in 111/us-east-1 returned AccessDenied; \
             c:D in 111/us-east-1 returned AccessDenied; and 1 more"
        );
    }

    #[test]
    fn findings_list_three_and_count_the_rest() {
        let fs: Vec<Finding> = ["a", "b", "c", "d", "e"].iter().map(|n| finding(n)).collect();
        assert_eq!(listed(&fs[..1], false), "a (bad)");
        assert_eq!(listed(&fs, false), "a (bad), b (bad), c (bad), and 2 more");
        assert_eq!(listed(&fs[..1], true), "a in 1/r (bad)");
    }

    /// "and N more" only past three; a finding's several problems are
    /// joined by `; ` inside its parentheses.
    #[test]
    fn exactly_three_findings_need_no_and_more() {
        let mut fs: Vec<Finding> = ["a", "b", "c"].iter().map(|n| finding(n)).collect();
        fs[1].problems.push("worse".into());
        assert_eq!(listed(&fs, false), "a (bad), b (bad; worse), c (bad)");
        assert_eq!(listed(&[], false), "");
    }

    /// Only neighbouring repeats are dropped (errors arrive grouped by
    /// call); three distinct ones are listed whole.
    #[test]
    fn describe_errors_lists_up_to_three_without_and_more() {
        let errors = [
            error("s3:GetBucketAcl", "us-east-1", "AccessDenied"),
            error("s3:GetBucketAcl", "eu-west-1", "Throttling"),
        ];
        assert_eq!(
            describe_errors(&errors),
            "s3:GetBucketAcl in 111/us-east-1 returned AccessDenied; s3:GetBucketAcl in 111/eu-west-1 returned Throttling"
        );
        assert_eq!(describe_errors(&[]), "");
    }

    #[test]
    fn unevaluated_resources_name_their_expression_and_why() {
        let u = |name: &str| Unevaluated {
            name: name.into(),
            place: "1/us-east-1".into(),
            expression: "r.size > 1".into(),
            why: "no such key: size".into(),
        };
        assert_eq!(listed_unevaluated(&[u("a")]), "a in 1/us-east-1 (`r.size > 1`: no such key: size)");
        let four = [u("a"), u("b"), u("c"), u("d")];
        assert!(listed_unevaluated(&four).ends_with("c in 1/us-east-1 (`r.size > 1`: no such key: size), and 1 more"));
    }

    #[test]
    fn by_account_counts_the_accounts_with_the_status_and_names_three() {
        let account = |id: &str, status: Status| AccountResult {
            account: id.into(),
            status,
            reason: format!("why {id}. "),
            evaluated: 1,
            failing: 0,
        };
        let accounts = [
            account("1", Status::Fail),
            account("2", Status::Pass),
            account("3", Status::Fail),
            account("4", Status::Fail),
            account("5", Status::Fail),
            account("6", Status::Fail),
        ];
        assert_eq!(
            by_account(&accounts, Status::Fail),
            "Fails in 5 of 6 accounts. Account 1: why 1. Account 3: why 3. Account 4: why 4. And 2 more accounts."
        );
        assert_eq!(by_account(&accounts[..2], Status::Pass), "Passes in 1 of 2 accounts. Account 2: why 2.");
        assert_eq!(by_account(&accounts[..2], Status::Error), "Could not be evaluated in 0 of 2 accounts.");
        assert_eq!(
            by_account(&accounts[..5], Status::Fail),
            "Fails in 4 of 5 accounts. Account 1: why 1. Account 3: why 3. Account 4: why 4. And 1 more account."
        );
    }
}
