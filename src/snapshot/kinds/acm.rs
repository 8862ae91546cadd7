//! ACM certificates.

use serde::{Deserialize, Serialize};

use super::text;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainValidation {
    pub domain: String,
    pub status: Option<String>,
    pub method: Option<String>,
    pub cname_name: Option<String>,
    pub cname_value: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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
kind!(AcmCertificate, "acm.certificate", "certificate", |data| format!(
    "{} ({})",
    text(data, "domain"),
    text(data, "arn").rsplit('/').next().unwrap_or_default()
));
