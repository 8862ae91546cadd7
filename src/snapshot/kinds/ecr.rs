//! ECR repositories.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EcrRepository {
    pub name: String,
    pub arn: String,
    /// The repository's own (basic scanning) scan-on-push setting.
    pub scan_on_push: bool,
    /// The registry's scanning configuration in the repository's region, as
    /// `GetRegistryScanningConfiguration` gave it. Absent when it could not be
    /// read (a collection error says why): unknown, not "no rules".
    #[serde(default)]
    pub registry_scan: Option<RegistryScanning>,
}
kind!(EcrRepository, "ecr.repository", "ECR repository");

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RegistryScanning {
    /// `BASIC` or `ENHANCED`.
    pub scan_type: String,
    pub rules: Vec<RegistryScanRule>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RegistryScanRule {
    /// `SCAN_ON_PUSH`, `CONTINUOUS_SCAN` or `MANUAL`.
    pub scan_frequency: String,
    pub repository_filters: Vec<RegistryScanFilter>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RegistryScanFilter {
    pub filter: String,
    /// `WILDCARD`.
    pub filter_type: String,
}
