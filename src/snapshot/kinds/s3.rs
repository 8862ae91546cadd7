//! S3: account and bucket Block Public Access, and bucket settings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// S3 Block Public Access settings, for the account or a bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BlockPublicAccess {
    /// False when no configuration exists (nothing is blocked).
    pub present: bool,
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}
kind!(BlockPublicAccess, "s3.account_public_access_block", "account", |_| "account Block Public Access".into());

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AclGrant {
    /// `CanonicalUser`, `Group`, `AmazonCustomerByEmail`.
    pub grantee_type: String,
    /// The canonical id or group URI.
    pub grantee: String,
    pub permission: String,
}

/// One S3 bucket's protection settings, each from its own S3 call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Bucket {
    pub name: String,
    pub public_access_block: BlockPublicAccess,
    /// The bucket policy, parsed; `null` when the bucket has none.
    #[serde(default)]
    pub policy: Option<Value>,
    /// S3's own verdict on the policy (`GetBucketPolicyStatus.IsPublic`).
    /// S3.2 and S3.3 fail when either it or the policy as read by
    /// `evaluate::policy` says public.
    #[serde(default)]
    pub policy_is_public: bool,
    #[serde(default)]
    pub owner_id: Option<String>,
    pub acl: Vec<AclGrant>,
    /// `BucketOwnerEnforced` (ACLs disabled), `BucketOwnerPreferred`, `ObjectWriter`.
    #[serde(default)]
    pub object_ownership: Option<String>,
    /// Default encryption algorithm (`AES256`, `aws:kms`, …).
    #[serde(default)]
    pub encryption: Option<String>,
    /// `Enabled`, `Suspended`, or `null` if never enabled.
    #[serde(default)]
    pub versioning: Option<String>,
    pub logging: bool,
    /// Lifecycle rules whose status is `Enabled`: the only ones that act.
    pub lifecycle_rules: i64,
    /// Lifecycle rules whose status is `Disabled`; left out when none, as
    /// snapshots written before it was recorded have it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lifecycle_rules_disabled: i64,
    pub object_lock: bool,
    pub event_notifications: bool,
    /// Settings whose read failed (`versioning`, `policy`, …), or that a
    /// `run` did not read as its catalog never does: their fields above are
    /// defaults, not evidence, and checks leave the bucket out.
    pub unreadable: Vec<String>,
}
kind!(Bucket, "s3.bucket", "S3 bucket");

fn is_zero(n: &i64) -> bool {
    *n == 0
}
