//! KMS: keys and their rotation.

use super::{At, EvidenceTable, Row};
use crate::snapshot::kinds::KmsKey;

impl EvidenceTable for KmsKey {
    const TITLE: &'static str = "KMS keys";
    const COLUMNS: &'static [&'static str] =
        &["Region", "Aliases", "Key ID", "Status", "Managed by", "Key type", "Key spec", "Key usage", "Rotation"];

    fn cli(&self, at: &At) -> Vec<String> {
        let rf = at.region_flag();
        let mut cli = vec![format!("aws kms describe-key --key-id {}{rf}", self.key_id)];
        // Asymmetric and HMAC keys have no rotation status to show.
        if self.rotation_enabled.is_some() {
            cli.push(format!("aws kms get-key-rotation-status --key-id {}{rf}", self.key_id));
        }
        cli
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let key_type = if self.spec == "SYMMETRIC_DEFAULT" {
            "Symmetric"
        } else if self.spec.starts_with("HMAC") {
            "HMAC"
        } else {
            "Asymmetric"
        };
        let usage = match self.usage.as_deref().unwrap_or("-") {
            "ENCRYPT_DECRYPT" => "Encrypt and decrypt",
            "SIGN_VERIFY" => "Sign and verify",
            "GENERATE_VERIFY_MAC" => "Generate and verify MAC",
            "KEY_AGREEMENT" => "Key agreement",
            other => other,
        }
        .to_string();
        let rotation = match (self.rotation_enabled, self.rotation_period_days) {
            (Some(true), Some(d)) => format!("Enabled, every {d} days"),
            (Some(true), None) => "Enabled".into(),
            (Some(false), _) => "Disabled".into(),
            (None, _) => "Not supported".into(),
        };
        vec![at.row(vec![
            at.region(),
            if self.aliases.is_empty() { "-".into() } else { self.aliases.join(", ") },
            self.key_id,
            self.state,
            if self.manager == "AWS" { "AWS" } else { "Customer" }.into(),
            key_type.into(),
            self.spec,
            usage,
            rotation,
        ])]
    }
}
