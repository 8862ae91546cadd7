//! The wording of reasons: what a person reads next to a status.

use super::results::Finding;
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

/// The first three findings with their problems, and how many more.
pub(super) fn listed(fs: &[Finding]) -> String {
    let mut parts: Vec<String> = fs.iter().take(3).map(|f| format!("{} ({})", f.name, f.problems.join("; "))).collect();
    if fs.len() > 3 {
        parts.push(format!("and {} more", fs.len() - 3));
    }
    parts.join(", ")
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
    }

    #[test]
    fn errors_are_deduplicated_and_capped_at_three() {
        let e = |op: &str| CollectionError {
            account: "111".into(),
            region: "us-east-1".into(),
            operation: op.into(),
            code: "AccessDenied".into(),
            message: String::new(),
            resource_types: vec![],
            collected_at: chrono::DateTime::UNIX_EPOCH,
        };
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
        assert_eq!(listed(&fs[..1]), "a (bad)");
        assert_eq!(listed(&fs), "a (bad), b (bad), c (bad), and 2 more");
    }
}
