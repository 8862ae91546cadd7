//! AWS Organizations membership.

use serde::{Deserialize, Serialize};

/// `organizations:DescribeOrganization` from the member's side.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OrganizationMembership {
    pub member: bool,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub management_account_id: Option<String>,
}
kind!(OrganizationMembership, "organizations.membership", "account", |_| "AWS Organizations membership".into());
