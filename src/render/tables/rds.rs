//! RDS: DB instances, clusters, and manual DB and DB cluster snapshots.

use super::{At, EvidenceTable, Row, dash, yes};
use crate::snapshot::kinds::{DbCluster, DbClusterSnapshot, DbInstance, DbSnapshot};

impl EvidenceTable for DbInstance {
    const TITLE: &'static str = "RDS DB instances";
    const COLUMNS: &'static [&'static str] =
        &["Region", "DB identifier", "Engine", "Cluster", "VPC", "IAM authentication"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws rds describe-db-instances{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            at.region(),
            self.identifier,
            self.engine,
            dash(self.cluster),
            dash(self.vpc_id),
            yes(self.iam_auth),
        ])]
    }
}

impl EvidenceTable for DbCluster {
    const TITLE: &'static str = "RDS DB clusters";
    const COLUMNS: &'static [&'static str] = &["Region", "DB cluster", "Engine", "IAM authentication"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws rds describe-db-clusters{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.identifier, self.engine, yes(self.iam_auth)])]
    }
}

impl EvidenceTable for DbSnapshot {
    const TITLE: &'static str = "RDS manual snapshots";
    const COLUMNS: &'static [&'static str] = &["Region", "Snapshot", "DB instance", "Public"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!(
            "aws rds describe-db-snapshot-attributes --db-snapshot-identifier {}{}",
            self.identifier,
            at.region_flag()
        )]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.identifier, dash(self.instance), yes(self.public)])]
    }
}

impl EvidenceTable for DbClusterSnapshot {
    const TITLE: &'static str = "RDS manual DB cluster snapshots";
    const COLUMNS: &'static [&'static str] = &["Region", "Snapshot", "DB cluster", "Engine", "Public"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!(
            "aws rds describe-db-cluster-snapshot-attributes --db-cluster-snapshot-identifier {}{}",
            self.identifier,
            at.region_flag()
        )]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.identifier, dash(self.cluster), dash(self.engine), yes(self.public)])]
    }
}
