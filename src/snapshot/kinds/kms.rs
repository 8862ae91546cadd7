//! KMS keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::text;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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
kind!(KmsKey, "kms.key", "KMS key", |data| match data.get("aliases").and_then(|a| a.get(0)).and_then(Value::as_str) {
    Some(alias) => format!("{alias} ({})", text(data, "key_id")),
    None => text(data, "key_id"),
});
