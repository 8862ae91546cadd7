//! Secrets Manager secrets (metadata only).

use serde::{Deserialize, Serialize};

/// A Secrets Manager secret's metadata; never its value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    pub rotation_enabled: bool,
    #[serde(default)]
    pub rotation_days: Option<i64>,
    #[serde(default)]
    pub rotation_schedule: Option<String>,
    #[serde(default)]
    pub last_rotated: Option<String>,
    #[serde(default)]
    pub last_accessed: Option<String>,
    #[serde(default)]
    pub next_rotation: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    /// A version carries `AWSPENDING` without `AWSCURRENT`: the last rotation
    /// did not finish (AWS: "When rotation is unsuccessful, the AWSPENDING
    /// staging label might be attached to an empty secret version"). Absent
    /// in snapshots taken before it was collected.
    #[serde(default)]
    pub rotation_pending: Option<bool>,
}
kind!(Secret, "secretsmanager.secret", "secret");
