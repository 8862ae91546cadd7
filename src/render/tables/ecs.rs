//! ECS: task definitions' container environment variable names.

use super::{At, EvidenceTable, Row, names};
use crate::snapshot::kinds::TaskDefinition;

impl EvidenceTable for TaskDefinition {
    const TITLE: &'static str = "ECS task definitions";
    const COLUMNS: &'static [&'static str] = &["Region", "Task definition", "Container", "Environment variable names"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ecs describe-task-definition --task-definition {}{}", self.arn, at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let family = self.arn.rsplit('/').next().unwrap_or_default().to_string();
        self.containers
            .into_iter()
            .map(|c| at.row(vec![at.region(), family.clone(), c.name, names(c.environment)]))
            .collect()
    }
}
