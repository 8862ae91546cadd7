//! The resource kinds a snapshot holds: one struct each, in one file per
//! AWS service, and one [`KINDS`] list that everything else is derived from.
//!
//! Field names are what `controls.yaml` expressions see (`r.rotation_enabled`),
//! so they are part of the catalog's interface: rename one only with a
//! schema version bump. Times are RFC 3339 strings in UTC.
//!
//! Snapshots written by earlier builds must keep loading as kinds grow, so a
//! field added to a kind is an `Option` with `#[serde(default)]`: absent then
//! reads as unknown. The `Option` fields of kinds added after the first
//! release carry it too. A `Vec` or `bool` stays required: absent would read
//! as "none" or "false", a claim the older snapshot never made.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// Everything about one resource kind besides its fields: the `type` string
/// in the snapshot and what a person calls it.
pub trait Kind: Serialize + DeserializeOwned {
    const KIND: &'static str;
    /// What a person calls one resource of the kind, for reasons and headings.
    const NOUN: &'static str;
    /// The name a person recognises a resource by, as the console shows it.
    /// It reads the raw data rather than the struct so that a resource whose
    /// data does not parse still gets a name in the report.
    fn label(data: &Value) -> String {
        text(data, "name")
    }
}

/// The trait's earlier name, kept so collectors need not change their imports.
pub use Kind as ResourceData;

macro_rules! kind {
    ($t:ty, $kind:literal, $noun:literal) => {
        impl $crate::snapshot::kinds::Kind for $t {
            const KIND: &'static str = $kind;
            const NOUN: &'static str = $noun;
        }
    };
    ($t:ty, $kind:literal, $noun:literal, |$data:pat_param| $label:expr) => {
        impl $crate::snapshot::kinds::Kind for $t {
            const KIND: &'static str = $kind;
            const NOUN: &'static str = $noun;
            fn label($data: &::serde_json::Value) -> String {
                $label
            }
        }
    };
}

mod account;
mod acm;
mod ce;
mod cloudfront;
mod cloudtrail;
mod cloudwatch;
mod ec2;
mod ecr;
mod ecs;
mod guardduty;
mod iam;
mod kms;
mod organizations;
mod rds;
mod s3;
mod secretsmanager;
mod ssm;
mod wafv2;

pub use account::*;
pub use acm::*;
pub use ce::*;
pub use cloudfront::*;
pub use cloudtrail::*;
pub use cloudwatch::*;
pub use ec2::*;
pub use ecr::*;
pub use ecs::*;
pub use guardduty::*;
pub use iam::*;
pub use kms::*;
pub use organizations::*;
pub use rds::*;
pub use s3::*;
pub use secretsmanager::*;
pub use ssm::*;
pub use wafv2::*;

/// A string field of a resource's data, or empty: labels must not fail.
fn text(data: &Value, key: &str) -> String {
    data.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Parses data as a kind's struct and writes it back.
pub type Typed = fn(&Value) -> Result<Value, serde_json::Error>;

/// One entry of [`KINDS`]: a kind's [`Kind`] facts as values, so code that
/// only has the `type` string can reach them.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    pub kind: &'static str,
    pub noun: &'static str,
    pub label: fn(&Value) -> String,
    /// Parses data as the kind's struct and writes it back; `None` for the
    /// marker kinds, which no resource carries.
    pub typed: Option<Typed>,
    /// An instance of the struct, for the schema tests.
    #[cfg(test)]
    sample: Option<fn() -> Value>,
}

impl KindInfo {
    const fn of<T: Kind + Default>() -> Self {
        KindInfo {
            kind: T::KIND,
            noun: T::NOUN,
            label: T::label,
            typed: Some(typed::<T>),
            #[cfg(test)]
            sample: Some(|| serde_json::to_value(T::default()).expect("kind serialises")),
        }
    }

    const fn marker(kind: &'static str) -> Self {
        KindInfo {
            kind,
            noun: "resource",
            label: |data| text(data, "name"),
            typed: None,
            #[cfg(test)]
            sample: None,
        }
    }
}

fn typed<T: Kind>(data: &Value) -> Result<Value, serde_json::Error> {
    serde_json::to_value(serde_json::from_value::<T>(data.clone())?)
}

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

/// Kinds that no resource carries, used only to mark which part of the
/// evidence a failed call left missing.
pub const KMS_KEY_ROTATION: &str = "kms.key_rotation";
pub const TRAIL_STATUS: &str = "cloudtrail.trail_status";
pub const TRAIL_SELECTORS: &str = "cloudtrail.event_selectors";
pub const ACCOUNT_ALIAS: &str = "iam.account_alias";

/// Every kind, with its facts. The order is [`ALL`]'s, which the catalog
/// prints when it names the kinds it knows.
pub const KINDS: &[KindInfo] = &[
    KindInfo::of::<AccountSummary>(),
    KindInfo::of::<PasswordPolicy>(),
    KindInfo::of::<IamGroup>(),
    KindInfo::of::<IamUser>(),
    KindInfo::of::<IamRole>(),
    KindInfo::of::<IamPolicy>(),
    KindInfo::of::<CredentialReportRow>(),
    KindInfo::of::<VirtualMfaDevice>(),
    KindInfo::marker(ACCOUNT_ALIAS),
    KindInfo::of::<Region>(),
    KindInfo::of::<SecurityGroup>(),
    KindInfo::of::<KmsKey>(),
    KindInfo::marker(KMS_KEY_ROTATION),
    KindInfo::of::<AcmCertificate>(),
    KindInfo::of::<Trail>(),
    KindInfo::marker(TRAIL_STATUS),
    KindInfo::marker(TRAIL_SELECTORS),
    KindInfo::of::<BlockPublicAccess>(),
    KindInfo::of::<Bucket>(),
    // One per entry of BUCKET_SETTINGS, spelled out because a const cannot
    // build strings; a test holds the two lists together.
    KindInfo::marker("s3.bucket.public_access_block"),
    KindInfo::marker("s3.bucket.policy"),
    KindInfo::marker("s3.bucket.acl"),
    KindInfo::marker("s3.bucket.ownership"),
    KindInfo::marker("s3.bucket.encryption"),
    KindInfo::marker("s3.bucket.versioning"),
    KindInfo::marker("s3.bucket.logging"),
    KindInfo::marker("s3.bucket.lifecycle"),
    KindInfo::marker("s3.bucket.object_lock"),
    KindInfo::marker("s3.bucket.notifications"),
    KindInfo::of::<AnomalyMonitor>(),
    KindInfo::of::<BillingAlarm>(),
    KindInfo::of::<TaskDefinition>(),
    KindInfo::of::<ManagedInstance>(),
    KindInfo::of::<Compliance>(),
    KindInfo::of::<SsmDocument>(),
    KindInfo::of::<Distribution>(),
    KindInfo::of::<DbInstance>(),
    KindInfo::of::<DbCluster>(),
    KindInfo::of::<DbSnapshot>(),
    KindInfo::of::<DbClusterSnapshot>(),
    KindInfo::of::<EcrRepository>(),
    KindInfo::of::<WebAcl>(),
    KindInfo::of::<NetworkAcl>(),
    KindInfo::of::<Instance>(),
    KindInfo::of::<EbsSnapshot>(),
    KindInfo::of::<GuardDutyRegion>(),
    KindInfo::of::<SecurityContact>(),
    KindInfo::of::<OrganizationMembership>(),
    KindInfo::of::<Secret>(),
];

/// Every kind a catalog may name.
pub const ALL: &[&str] = &kind_strings::<{ KINDS.len() }>();

const fn kind_strings<const N: usize>() -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = KINDS[i].kind;
        i += 1;
    }
    out
}

/// The entry for a `type` string, if it is a kind this build knows.
pub fn info(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// What a person calls one resource of a kind, for reasons and headings.
pub fn label_of_kind(kind: &str) -> &'static str {
    info(kind).map_or("resource", |k| k.noun)
}

/// The name a person recognises a resource by, as the console shows it.
pub fn label(kind: &str, data: &Value) -> String {
    match info(kind) {
        Some(k) => (k.label)(data),
        None => text(data, "name"),
    }
}

#[cfg(test)]
mod tests;
