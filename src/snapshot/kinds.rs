//! The resource kinds a snapshot holds, one struct each.
//!
//! Field names are what `controls.yaml` expressions see (`r.rotation_enabled`),
//! so they are part of the catalog's interface: rename one only with a
//! schema version bump. Times are RFC 3339 strings in UTC.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

/// Ties a data struct to its `type` string in the snapshot.
pub trait ResourceData: Serialize + DeserializeOwned {
    const KIND: &'static str;
}

macro_rules! kind {
    ($t:ty, $k:literal) => {
        impl ResourceData for $t {
            const KIND: &'static str = $k;
        }
    };
}

/// `iam:GetAccountSummary`, with the flags that matter named.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountSummary {
    pub root_mfa_enabled: bool,
    pub root_access_keys_present: bool,
    /// 1: tokens from the global STS endpoint are valid only in regions
    /// enabled by default; 2: valid in all regions.
    pub global_endpoint_token_version: i64,
    /// Every key of the summary map, as AWS names them.
    pub summary: std::collections::BTreeMap<String, i64>,
}
kind!(AccountSummary, "iam.account_summary");

/// `iam:GetAccountPasswordPolicy`. `present: false` means the account has no
/// policy and IAM's default applies.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PasswordPolicy {
    pub present: bool,
    pub minimum_password_length: Option<i64>,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub expire_passwords: bool,
    pub max_password_age: Option<i64>,
    pub password_reuse_prevention: Option<i64>,
    pub hard_expiry: bool,
}
kind!(PasswordPolicy, "iam.password_policy");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyRef {
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InlinePolicy {
    pub name: String,
    /// The policy document, URL-decoded and parsed.
    pub document: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IamGroup {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<String>,
    /// User names, sorted.
    pub members: Vec<String>,
    pub attached_policies: Vec<PolicyRef>,
    pub inline_policies: Vec<InlinePolicy>,
}
kind!(IamGroup, "iam.group");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<String>,
    pub groups: Vec<String>,
    pub attached_policies: Vec<PolicyRef>,
    pub inline_policies: Vec<InlinePolicy>,
}
kind!(IamUser, "iam.user");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<String>,
    pub attached_policies: Vec<PolicyRef>,
    pub inline_policies: Vec<InlinePolicy>,
    pub last_used: Option<String>,
}
kind!(IamRole, "iam.role");

/// A customer managed policy, with its default version's document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IamPolicy {
    pub name: String,
    pub arn: String,
    pub attachment_count: i64,
    pub document: Value,
}
kind!(IamPolicy, "iam.policy");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessKeyUse {
    /// 1 or 2, as the credential report numbers them.
    pub slot: u8,
    pub active: bool,
    pub last_rotated: Option<String>,
    pub last_used: Option<String>,
}

/// One row of the IAM credential report (`iam:GetCredentialReport`); the
/// report holds no secrets, only dates and flags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CredentialReportRow {
    pub user: String,
    pub arn: String,
    pub is_root: bool,
    pub created: Option<String>,
    pub password_enabled: bool,
    pub password_last_used: Option<String>,
    pub password_last_changed: Option<String>,
    pub mfa_active: bool,
    pub access_keys: Vec<AccessKeyUse>,
}
kind!(CredentialReportRow, "iam.credential_report");

/// A virtual MFA device (`iam:ListVirtualMFADevices`); one assigned to the
/// root user means the root user's MFA is not a hardware device.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VirtualMfaDevice {
    pub serial: String,
    pub user_arn: Option<String>,
    pub is_root: bool,
}
kind!(VirtualMfaDevice, "iam.virtual_mfa_device");

/// `ec2:DescribeRegions` (all regions, with opt-in status).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Region {
    pub name: String,
    /// `opt-in-not-required`, `opted-in` or `not-opted-in`.
    pub opt_in_status: String,
}
kind!(Region, "ec2.region");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KmsKey {
    pub key_id: String,
    pub arn: String,
    pub aliases: Vec<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    pub spec: String,
    pub usage: Option<String>,
    /// `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: String,
    pub description: String,
    pub created: Option<String>,
    pub multi_region: bool,
    /// `None` where AWS does not support rotation for the key (asymmetric,
    /// HMAC, imported or custom key store) or it could not be read.
    pub rotation_enabled: Option<bool>,
    pub rotation_period_days: Option<i64>,
}
kind!(KmsKey, "kms.key");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainValidation {
    pub domain: String,
    pub status: Option<String>,
    pub method: Option<String>,
    pub cname_name: Option<String>,
    pub cname_value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AcmCertificate {
    pub arn: String,
    pub domain: String,
    pub subject_alternative_names: Vec<String>,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    #[serde(rename = "type")]
    pub cert_type: String,
    pub status: String,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub issued_at: Option<String>,
    pub created_at: Option<String>,
    pub renewal_eligibility: Option<String>,
    pub renewal_status: Option<String>,
    pub in_use: bool,
    pub in_use_by: Vec<String>,
    pub key_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
    pub serial: Option<String>,
    pub domain_validation: Vec<DomainValidation>,
}
kind!(AcmCertificate, "acm.certificate");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventSelector {
    pub read_write_type: String,
    pub include_management_events: bool,
    pub exclude_management_event_sources: Vec<String>,
    pub data_resources: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization_trail: bool,
    pub include_global_service_events: bool,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub log_file_validation: bool,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs_log_group_arn: Option<String>,
    /// From `cloudtrail:GetTrailStatus`; `None` if that call failed.
    pub is_logging: Option<bool>,
    pub latest_delivery_time: Option<String>,
    pub latest_delivery_error: Option<String>,
    /// From `cloudtrail:GetEventSelectors`.
    pub event_selectors: Vec<EventSelector>,
    /// Advanced event selectors, as AWS returns them.
    pub advanced_event_selectors: Vec<Value>,
    /// Which management events the selectors record: `All`, `ReadOnly`,
    /// `WriteOnly` or `None`; `null` if the selectors could not be read.
    /// Derived from both selector styles so a check need not know either.
    pub management_events: Option<String>,
}
kind!(Trail, "cloudtrail.trail");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all traffic.
    pub protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    /// A CIDR, a security group id, or a prefix list id.
    pub peer: String,
    /// `cidr_ipv4`, `cidr_ipv6`, `security_group` or `prefix_list`.
    pub peer_type: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecurityGroup {
    pub group_id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: Option<String>,
    pub owner_id: String,
    /// The VPC's default security group (its name is always `default`).
    pub is_default: bool,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}
kind!(SecurityGroup, "ec2.security_group");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NaclEntry {
    pub rule_number: i64,
    pub egress: bool,
    /// `-1` for all, or a protocol number (`6` TCP, `17` UDP).
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    pub cidr: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NetworkAcl {
    pub acl_id: String,
    pub vpc_id: Option<String>,
    pub is_default: bool,
    pub entries: Vec<NaclEntry>,
}
kind!(NetworkAcl, "ec2.network_acl");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Instance {
    pub instance_id: String,
    pub vpc_id: Option<String>,
    pub state: String,
    pub instance_profile: Option<String>,
}
kind!(Instance, "ec2.instance");

/// An EBS snapshot the account owns; `public` when anyone may restore it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub volume_id: Option<String>,
    pub encrypted: bool,
    pub public: bool,
}
kind!(Snapshot, "ec2.snapshot");

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
kind!(BlockPublicAccess, "s3.account_public_access_block");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AclGrant {
    /// `CanonicalUser`, `Group`, `AmazonCustomerByEmail`.
    pub grantee_type: String,
    /// The canonical id or group URI.
    pub grantee: String,
    pub permission: String,
}

/// One S3 bucket's protection settings, each from its own S3 call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bucket {
    pub name: String,
    pub public_access_block: BlockPublicAccess,
    /// The bucket policy, parsed; `null` when the bucket has none.
    pub policy: Option<Value>,
    /// S3's own verdict on the policy (`GetBucketPolicyStatus`).
    pub policy_is_public: bool,
    pub owner_id: Option<String>,
    pub acl: Vec<AclGrant>,
    /// `BucketOwnerEnforced` (ACLs disabled), `BucketOwnerPreferred`, `ObjectWriter`.
    pub object_ownership: Option<String>,
    /// Default encryption algorithm (`AES256`, `aws:kms`, …).
    pub encryption: Option<String>,
    /// `Enabled`, `Suspended`, or `null` if never enabled.
    pub versioning: Option<String>,
    pub logging: bool,
    pub lifecycle_rules: i64,
    pub object_lock: bool,
    pub event_notifications: bool,
    /// Settings whose read failed (`versioning`, `policy`, …): their fields
    /// above are defaults, not evidence, and checks leave the bucket out.
    pub unreadable: Vec<String>,
}
kind!(Bucket, "s3.bucket");

/// The kind a failed read of one bucket setting is recorded under.
pub fn bucket_setting(setting: &str) -> String {
    format!("s3.bucket.{setting}")
}

pub const BUCKET_SETTINGS: &[&str] = &[
    "public_access_block",
    "policy",
    "acl",
    "ownership",
    "encryption",
    "versioning",
    "logging",
    "lifecycle",
    "object_lock",
    "notifications",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DbInstance {
    pub identifier: String,
    pub engine: String,
    pub cluster: Option<String>,
    pub vpc_id: Option<String>,
    pub iam_auth: bool,
}
kind!(DbInstance, "rds.instance");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DbCluster {
    pub identifier: String,
    pub engine: String,
    pub iam_auth: bool,
}
kind!(DbCluster, "rds.cluster");

/// A manual DB snapshot; `public` when its restore attribute includes `all`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DbSnapshot {
    pub identifier: String,
    pub instance: Option<String>,
    pub public: bool,
}
kind!(DbSnapshot, "rds.snapshot");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EcrRepository {
    pub name: String,
    pub arn: String,
    pub scan_on_push: bool,
    /// The registry's scanning configuration covers this repository
    /// (enhanced scanning, or a scan rule matching it).
    pub registry_scanning: bool,
}
kind!(EcrRepository, "ecr.repository");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebAcl {
    pub name: String,
    pub arn: String,
    /// `REGIONAL` or `CLOUDFRONT`.
    pub scope: String,
    pub rules: i64,
}
kind!(WebAcl, "wafv2.web_acl");

/// An ECS task definition's containers and the NAMES of their environment
/// variables; values are never kept, since they may be secrets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskDefinition {
    pub arn: String,
    pub containers: Vec<ContainerEnv>,
}
kind!(TaskDefinition, "ecs.task_definition");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainerEnv {
    pub name: String,
    pub environment: Vec<String>,
}

/// An instance Systems Manager manages (`ssm:DescribeInstanceInformation`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManagedInstance {
    pub instance_id: String,
    pub ping_status: Option<String>,
}
kind!(ManagedInstance, "ssm.managed_instance");

/// Patch or association compliance of one managed resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Compliance {
    pub resource_id: String,
    /// `Patch` or `Association`.
    pub compliance_type: String,
    /// `COMPLIANT` or `NON_COMPLIANT`.
    pub status: String,
}
kind!(Compliance, "ssm.compliance");

/// An SSM document the account owns; `public` when shared with `all`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SsmDocument {
    pub name: String,
    pub public: bool,
}
kind!(SsmDocument, "ssm.document");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct S3Origin {
    pub id: String,
    pub domain: String,
    pub origin_access_identity: Option<String>,
    pub origin_access_control: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    /// Origins served from S3 buckets.
    pub s3_origins: Vec<S3Origin>,
}
kind!(Distribution, "cloudfront.distribution");

/// A Cost Anomaly Detection monitor and how many subscriptions alert on it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnomalyMonitor {
    pub name: String,
    pub arn: String,
    pub monitor_type: String,
    pub subscriptions: i64,
}
kind!(AnomalyMonitor, "ce.anomaly_monitor");

/// A CloudWatch alarm on the `AWS/Billing` `EstimatedCharges` metric.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BillingAlarm {
    pub name: String,
    pub state: Option<String>,
    pub threshold: Option<f64>,
    pub actions: i64,
}
kind!(BillingAlarm, "cloudwatch.billing_alarm");

/// GuardDuty in one region: one record per region, detector or not.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GuardDutyRegion {
    pub detector_id: Option<String>,
    /// `ENABLED` or `DISABLED`; `None` without a detector.
    pub status: Option<String>,
}
kind!(GuardDutyRegion, "guardduty.region");

/// The account's security alternate contact (`account:GetAlternateContact`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecurityContact {
    pub present: bool,
    pub name: Option<String>,
    pub title: Option<String>,
}
kind!(SecurityContact, "account.security_contact");

/// `organizations:DescribeOrganization` from the member's side.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrganizationMembership {
    pub member: bool,
    pub organization_id: Option<String>,
    pub management_account_id: Option<String>,
}
kind!(OrganizationMembership, "organizations.membership");

/// A Secrets Manager secret's metadata; never its value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    pub kms_key_id: Option<String>,
    pub rotation_enabled: bool,
    pub rotation_days: Option<i64>,
    pub rotation_schedule: Option<String>,
    pub last_rotated: Option<String>,
    pub last_accessed: Option<String>,
    pub next_rotation: Option<String>,
    pub created: Option<String>,
}
kind!(Secret, "secretsmanager.secret");

/// Kinds that no resource carries, used only to mark which part of the
/// evidence a failed call left missing.
pub const KMS_KEY_ROTATION: &str = "kms.key_rotation";
pub const TRAIL_STATUS: &str = "cloudtrail.trail_status";
pub const TRAIL_SELECTORS: &str = "cloudtrail.event_selectors";
pub const ACCOUNT_ALIAS: &str = "iam.account_alias";

/// Every kind a catalog may name.
pub const ALL: &[&str] = &[
    AccountSummary::KIND,
    PasswordPolicy::KIND,
    IamGroup::KIND,
    IamUser::KIND,
    IamRole::KIND,
    IamPolicy::KIND,
    CredentialReportRow::KIND,
    VirtualMfaDevice::KIND,
    ACCOUNT_ALIAS,
    Region::KIND,
    SecurityGroup::KIND,
    KmsKey::KIND,
    KMS_KEY_ROTATION,
    AcmCertificate::KIND,
    Trail::KIND,
    TRAIL_STATUS,
    TRAIL_SELECTORS,
    BlockPublicAccess::KIND,
    Bucket::KIND,
    "s3.bucket.public_access_block",
    "s3.bucket.policy",
    "s3.bucket.acl",
    "s3.bucket.ownership",
    "s3.bucket.encryption",
    "s3.bucket.versioning",
    "s3.bucket.logging",
    "s3.bucket.lifecycle",
    "s3.bucket.object_lock",
    "s3.bucket.notifications",
    AnomalyMonitor::KIND,
    BillingAlarm::KIND,
    TaskDefinition::KIND,
    ManagedInstance::KIND,
    Compliance::KIND,
    SsmDocument::KIND,
    Distribution::KIND,
    DbInstance::KIND,
    DbCluster::KIND,
    DbSnapshot::KIND,
    EcrRepository::KIND,
    WebAcl::KIND,
    NetworkAcl::KIND,
    Instance::KIND,
    Snapshot::KIND,
    GuardDutyRegion::KIND,
    SecurityContact::KIND,
    OrganizationMembership::KIND,
    Secret::KIND,
];

/// What a person calls one resource of a kind, for reasons and headings.
pub fn label_of_kind(kind: &str) -> &'static str {
    match kind {
        "iam.account_summary" => "account summary",
        "iam.password_policy" => "password policy",
        "iam.group" => "IAM group",
        "iam.user" => "IAM user",
        "iam.role" => "IAM role",
        "iam.policy" => "customer managed policy",
        "iam.credential_report" => "IAM user",
        "iam.virtual_mfa_device" => "virtual MFA device",
        "ec2.region" => "region",
        "ec2.security_group" => "security group",
        "kms.key" => "KMS key",
        "acm.certificate" => "certificate",
        "cloudtrail.trail" => "trail",
        "guardduty.region" => "region",
        "rds.instance" => "DB instance",
        "ecs.task_definition" => "task definition",
        "ce.anomaly_monitor" => "anomaly monitor",
        "cloudwatch.billing_alarm" => "billing alarm",
        "ssm.document" => "SSM document",
        "cloudfront.distribution" => "CloudFront distribution",
        "rds.cluster" => "DB cluster",
        "rds.snapshot" => "DB snapshot",
        "ecr.repository" => "ECR repository",
        "wafv2.web_acl" => "web ACL",
        "s3.bucket" => "S3 bucket",
        "s3.account_public_access_block" => "account",
        "ec2.network_acl" => "network ACL",
        "ec2.instance" => "EC2 instance",
        "ec2.snapshot" => "EBS snapshot",
        "account.security_contact" => "account",
        "organizations.membership" => "account",
        "secretsmanager.secret" => "secret",
        _ => "resource",
    }
}

/// The name a person recognises a resource by, as the console shows it.
pub fn label(kind: &str, data: &Value) -> String {
    let s = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    match kind {
        "iam.account_summary" => "root user".into(),
        "guardduty.region" => "GuardDuty".into(),
        "s3.account_public_access_block" => "account Block Public Access".into(),
        "account.security_contact" => "security contact".into(),
        "organizations.membership" => "AWS Organizations membership".into(),
        "iam.password_policy" => "account password policy".into(),
        "kms.key" => match data.get("aliases").and_then(|a| a.get(0)).and_then(Value::as_str) {
            Some(alias) => format!("{alias} ({})", s("key_id")),
            None => s("key_id"),
        },
        "acm.certificate" => format!("{} ({})", s("domain"), s("arn").rsplit('/').next().unwrap_or_default()),
        "ec2.security_group" => format!("{} ({})", s("group_id"), s("name")),
        "iam.credential_report" => s("user"),
        "ec2.network_acl" => s("acl_id"),
        "rds.instance" | "rds.cluster" | "rds.snapshot" => s("identifier"),
        "ecs.task_definition" => s("arn").rsplit('/').next().unwrap_or_default().to_string(),
        "cloudfront.distribution" => s("id"),
        "ec2.instance" => s("instance_id"),
        "ec2.snapshot" => s("snapshot_id"),
        "iam.virtual_mfa_device" => s("serial"),
        _ => s("name"),
    }
}
