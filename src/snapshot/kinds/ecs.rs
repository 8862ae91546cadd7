//! ECS task definitions: the latest active revision of each family.

use serde::{Deserialize, Serialize};

use super::text;

/// An ECS task definition's containers and the NAMES of their environment
/// variables; values are never kept, since they may be secrets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TaskDefinition {
    pub arn: String,
    pub containers: Vec<ContainerEnv>,
    /// `ACTIVE` or `INACTIVE`. Absent in snapshots taken before it was
    /// collected (those listed every active revision).
    #[serde(default)]
    pub status: Option<String>,
}
kind!(TaskDefinition, "ecs.task_definition", "task definition", |data| text(data, "arn")
    .rsplit('/')
    .next()
    .unwrap_or_default()
    .to_string());

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainerEnv {
    pub name: String,
    pub environment: Vec<String>,
}
