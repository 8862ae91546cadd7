//! S3: account Block Public Access and bucket settings.

use super::{At, EvidenceTable, Row, yes};
use crate::snapshot::kinds::{BlockPublicAccess, Bucket};

impl EvidenceTable for BlockPublicAccess {
    const TITLE: &'static str = "Block Public Access settings for this account";
    const COLUMNS: &'static [&'static str] =
        &["Block public ACLs", "Ignore public ACLs", "Block public policy", "Restrict public buckets"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws s3control get-public-access-block --account-id {}", at.resource.account)]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let on = |b: bool| if b { "On" } else { "Off" }.to_string();
        vec![at.row(vec![
            on(self.block_public_acls),
            on(self.ignore_public_acls),
            on(self.block_public_policy),
            on(self.restrict_public_buckets),
        ])]
    }
}

impl EvidenceTable for Bucket {
    const TITLE: &'static str = "S3 buckets";
    const COLUMNS: &'static [&'static str] = &[
        "Region",
        "Bucket",
        "Block Public Access",
        "Public policy",
        "ACL grants",
        "Encryption",
        "TLS only",
        "Versioning",
        "Logging",
        "Lifecycle",
        "Object Lock",
        "Notifications",
    ];

    fn cli(&self, _: &At) -> Vec<String> {
        vec![
            format!("aws s3api get-public-access-block --bucket {}", self.name),
            format!("aws s3api get-bucket-policy --bucket {}", self.name),
            format!("aws s3api get-bucket-acl --bucket {}", self.name),
        ]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let b = &self.public_access_block;
        let blocked = [b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets]
            .iter()
            .filter(|v| **v)
            .count();
        // The same reading as S3.5, so this column and S3.5 cannot disagree.
        let tls_only = self
            .policy
            .as_ref()
            .is_some_and(|p| crate::evaluate::policy::denies_insecure_transport(p, &at.resource.id));
        // The same reading as S3.2 and S3.3 (the policy as S3 defines
        // public, or S3's own IsPublic), so this column never says "No"
        // beside a bucket they fail for its policy.
        let public_policy = if self.unreadable.iter().any(|u| u == "policy") {
            "Not read".to_string()
        } else {
            let access = self.policy.as_ref().map(crate::evaluate::policy::public_access).unwrap_or_default();
            match (access.read, access.write) {
                (true, true) => "Yes (read and write)".into(),
                (true, false) => "Yes (read)".into(),
                (false, true) => "Yes (write)".into(),
                (false, false) if self.policy_is_public => "Yes (S3 reports it public)".into(),
                (false, false) => "No".into(),
            }
        };
        let others = self.acl.iter().filter(|g| Some(&g.grantee) != self.owner_id.as_ref()).count();
        vec![at.row(vec![
            at.region(),
            self.name.clone(),
            format!("{blocked} of 4"),
            public_policy,
            if others == 0 { "Owner only".into() } else { format!("{others} other grantee(s)") },
            self.encryption.clone().unwrap_or_else(|| "None".into()),
            yes(tls_only),
            self.versioning.clone().unwrap_or_else(|| "Disabled".into()),
            yes(self.logging),
            self.lifecycle_rules.to_string(),
            yes(self.object_lock),
            yes(self.event_notifications),
        ])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Resource;
    use crate::snapshot::kinds::Kind;

    fn public_policy_cell(bucket: Bucket) -> String {
        let snapshot = crate::snapshot::Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let template: Resource = snapshot.resources.iter().find(|r| r.kind == Bucket::KIND).expect("a bucket").clone();
        let resource = Resource { data: serde_json::to_value(&bucket).unwrap(), ..template };
        let at = At { resource: &resource, flagged: false, now: snapshot.collected_at.finished };
        let column = Bucket::COLUMNS.iter().position(|c| *c == "Public policy").unwrap();
        bucket.rows(&at)[0].cells[column].clone()
    }

    fn with_policy(policy: serde_json::Value, s3_says_public: bool) -> Bucket {
        Bucket { name: "b".into(), policy: Some(policy), policy_is_public: s3_says_public, ..Default::default() }
    }

    /// A policy S3.2 finds public (an Allow to everyone held only by a
    /// condition that does not narrow it) while S3's IsPublic is false: the
    /// column used to say "No" beside S3.2's failure.
    #[test]
    fn public_policy_reads_the_policy_as_s3_2_does() {
        let policy = serde_json::json!({"Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringLike": {"aws:Referer": "https://example.com/*"}}
        }]});
        assert!(crate::evaluate::policy::is_public(&policy));
        assert_eq!(public_policy_cell(with_policy(policy, false)), "Yes (read)");
    }

    #[test]
    fn public_policy_keeps_s3s_own_verdict_and_says_no_only_when_both_do() {
        let private = serde_json::json!({"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"
        }]});
        assert_eq!(public_policy_cell(with_policy(private.clone(), true)), "Yes (S3 reports it public)");
        assert_eq!(public_policy_cell(with_policy(private, false)), "No");
        let write = serde_json::json!({"Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"
        }]});
        assert_eq!(public_policy_cell(with_policy(write, false)), "Yes (read and write)");
        let unread = Bucket { unreadable: vec!["policy".into()], ..with_policy(serde_json::Value::Null, false) };
        assert_eq!(public_policy_cell(unread), "Not read");
    }
}
