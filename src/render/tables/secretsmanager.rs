//! Secrets Manager: secrets and their rotation (never their values).

use super::{At, EvidenceTable, Row, opt};
use crate::snapshot::kinds::Secret;

impl EvidenceTable for Secret {
    const TITLE: &'static str = "Secrets Manager secrets";
    const COLUMNS: &'static [&'static str] =
        &["Region", "Secret name", "Rotation", "Last rotated", "Last accessed", "Created"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws secretsmanager list-secrets{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let rotation = match (self.rotation_enabled, self.rotation_days, &self.rotation_schedule) {
            (false, _, _) => "Disabled".to_string(),
            (true, Some(d), _) => format!("Every {d} days"),
            (true, None, Some(s)) => s.clone(),
            (true, None, None) => "Enabled".into(),
        };
        vec![at.row(vec![
            at.region(),
            self.name,
            rotation,
            opt(&self.last_rotated),
            opt(&self.last_accessed),
            opt(&self.created),
        ])]
    }
}
