//! Systems Manager: managed instances, compliance and documents.

use serde::{Deserialize, Serialize};

/// An instance Systems Manager manages (`ssm:DescribeInstanceInformation`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ManagedInstance {
    pub instance_id: String,
    #[serde(default)]
    pub ping_status: Option<String>,
}
kind!(ManagedInstance, "ssm.managed_instance", "resource");

/// Patch or association compliance of one managed resource.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Compliance {
    pub resource_id: String,
    /// `Patch` or `Association`.
    pub compliance_type: String,
    /// `COMPLIANT` or `NON_COMPLIANT`.
    pub status: String,
}
kind!(Compliance, "ssm.compliance", "resource");

/// An SSM document the account owns; `public` when shared with `all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SsmDocument {
    pub name: String,
    pub public: bool,
}
kind!(SsmDocument, "ssm.document", "SSM document");
