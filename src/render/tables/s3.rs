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
        let others = self.acl.iter().filter(|g| Some(&g.grantee) != self.owner_id.as_ref()).count();
        vec![at.row(vec![
            at.region(),
            self.name.clone(),
            format!("{blocked} of 4"),
            yes(self.policy_is_public),
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
