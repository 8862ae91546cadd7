//! The report's collection appendix: for each account, the regions read,
//! those that could not be, the API calls made of each service and the
//! calls that failed. One row per account, so it stays a table at any size.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::results::why_unreadable;
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Serialize)]
pub struct AccountCollection {
    pub account: String,
    /// The regions read, or "-" when none was.
    pub regions_read: String,
    /// Each region (or service in a region) that could not be read, with
    /// why; "-" when every region read answered.
    pub unreadable: String,
    /// "142: ec2 40, iam 9, …", or "not recorded" for a snapshot from
    /// before calls were counted (or an account never entered).
    pub calls: String,
    /// Failed calls recorded for the account (the appendix after lists them).
    pub errors: usize,
}

pub fn build(snapshot: &Snapshot) -> Vec<AccountCollection> {
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &snapshot.errors {
        *errors.entry(e.account.as_str()).or_default() += 1;
    }
    snapshot
        .accounts
        .iter()
        .map(|a| {
            let read: Vec<&str> = a.regions_read().map(String::as_str).collect();
            let unreadable: Vec<String> = a
                .regions_unreadable
                .iter()
                .map(|u| match &u.service {
                    None => format!("{}: {}", u.region, why_unreadable(u)),
                    Some(s) => format!("{s} in {}: {}", u.region, why_unreadable(u)),
                })
                .collect();
            let total: u64 = a.calls.values().sum();
            let calls = if a.calls.is_empty() {
                "not recorded".to_string()
            } else {
                let each: Vec<String> = a.calls.iter().map(|(s, n)| format!("{s} {n}")).collect();
                format!("{total}: {}", each.join(", "))
            };
            AccountCollection {
                account: a.account_id.clone(),
                regions_read: if read.is_empty() { "-".into() } else { read.join(", ") },
                unreadable: if unreadable.is_empty() { "-".into() } else { unreadable.join("; ") },
                calls,
                errors: errors.get(a.account_id.as_str()).copied().unwrap_or(0),
            }
        })
        .collect()
}
