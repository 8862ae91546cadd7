//! IAM: account settings, principals, policies and the credential report.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::text;

/// `iam:GetAccountSummary`, with the flags that matter named.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AccountSummary {
    pub root_mfa_enabled: bool,
    pub root_access_keys_present: bool,
    /// 1: tokens from the global STS endpoint are valid only in regions
    /// enabled by default; 2: valid in all regions.
    pub global_endpoint_token_version: i64,
    /// Every key of the summary map, as AWS names them.
    pub summary: std::collections::BTreeMap<String, i64>,
}
kind!(AccountSummary, "iam.account_summary", "account summary", |_| "root user".into());

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
kind!(PasswordPolicy, "iam.password_policy", "password policy", |_| "account password policy".into());

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

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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
kind!(IamGroup, "iam.group", "IAM group");

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<String>,
    pub groups: Vec<String>,
    pub attached_policies: Vec<PolicyRef>,
    pub inline_policies: Vec<InlinePolicy>,
}
kind!(IamUser, "iam.user", "IAM user");

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    #[serde(default)]
    pub created: Option<String>,
    pub attached_policies: Vec<PolicyRef>,
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub last_used: Option<String>,
}
kind!(IamRole, "iam.role", "IAM role");

/// A customer managed policy, with its default version's document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IamPolicy {
    pub name: String,
    pub arn: String,
    pub attachment_count: i64,
    /// How many users and roles use the policy as their permissions
    /// boundary. A boundary only limits, so Security Hub leaves a policy
    /// used only as one out of IAM.1 and IAM.21. `None` in a snapshot that
    /// predates the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_usage_count: Option<i64>,
    pub document: Value,
}
kind!(IamPolicy, "iam.policy", "customer managed policy");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessKeyUse {
    /// 1 or 2, as the credential report numbers them.
    pub slot: u8,
    pub active: bool,
    #[serde(default)]
    pub last_rotated: Option<String>,
    #[serde(default)]
    pub last_used: Option<String>,
}

/// One row of the IAM credential report (`iam:GetCredentialReport`); the
/// report holds no secrets, only dates and flags.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CredentialReportRow {
    pub user: String,
    pub arn: String,
    pub is_root: bool,
    #[serde(default)]
    pub created: Option<String>,
    pub password_enabled: bool,
    #[serde(default)]
    pub password_last_used: Option<String>,
    #[serde(default)]
    pub password_last_changed: Option<String>,
    pub mfa_active: bool,
    pub access_keys: Vec<AccessKeyUse>,
    /// Whether the user has a password or an active access key. For the
    /// root user, only a report that says `password_enabled: false` and no
    /// active key shows it has none (centralized root access deleted them);
    /// older reports say `not_supported`, which counts as a password.
    /// `None` (a snapshot that predates the field) counts as present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_present: Option<bool>,
    /// When IAM generated the report (`GeneratedTime`): AWS hands back the
    /// same report for up to four hours, so its rows may be that old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_generated_at: Option<String>,
}
kind!(CredentialReportRow, "iam.credential_report", "IAM user", |data| text(data, "user"));

/// A virtual MFA device (`iam:ListVirtualMFADevices`); one assigned to the
/// root user means the root user's MFA is not a hardware device.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VirtualMfaDevice {
    pub serial: String,
    #[serde(default)]
    pub user_arn: Option<String>,
    pub is_root: bool,
}
kind!(VirtualMfaDevice, "iam.virtual_mfa_device", "virtual MFA device", |data| text(data, "serial"));
