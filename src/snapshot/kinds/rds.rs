//! RDS instances, clusters, and manual DB and DB cluster snapshots.

use serde::{Deserialize, Serialize};

use super::text;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DbInstance {
    pub identifier: String,
    pub engine: String,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    pub iam_auth: bool,
    /// `available`, `stopped`, `backing-up`, …: AWS evaluates RDS.10 only
    /// in some states. Absent in snapshots taken before it was collected.
    #[serde(default)]
    pub status: Option<String>,
}
kind!(DbInstance, "rds.instance", "DB instance", |data| text(data, "identifier"));

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DbCluster {
    pub identifier: String,
    pub engine: String,
    pub iam_auth: bool,
}
kind!(DbCluster, "rds.cluster", "DB cluster", |data| text(data, "identifier"));

/// A manual DB snapshot; `public` when its restore attribute includes `all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DbSnapshot {
    pub identifier: String,
    #[serde(default)]
    pub instance: Option<String>,
    pub public: bool,
}
kind!(DbSnapshot, "rds.snapshot", "DB snapshot", |data| text(data, "identifier"));

/// A manual DB cluster (Aurora, Multi-AZ cluster) snapshot; `public` when
/// its restore attribute includes `all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DbClusterSnapshot {
    pub identifier: String,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub engine: Option<String>,
    pub public: bool,
}
kind!(DbClusterSnapshot, "rds.cluster_snapshot", "DB cluster snapshot", |data| text(data, "identifier"));
