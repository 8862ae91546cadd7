//! ECR repositories.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EcrRepository {
    pub name: String,
    pub arn: String,
    pub scan_on_push: bool,
    /// The registry's scanning configuration covers this repository
    /// (enhanced scanning, or a scan rule matching it).
    pub registry_scanning: bool,
}
kind!(EcrRepository, "ecr.repository", "ECR repository");
