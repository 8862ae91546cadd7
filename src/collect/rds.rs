//! RDS, per region: DB instances (VPC, IAM authentication, status), clusters
//! (IAM authentication), and manual DB and DB cluster snapshots with their
//! restore permission.

use aws_sdk_rds::Client;

use super::{Ctx, Found, wanted};
use crate::snapshot::kinds::{DbCluster, DbClusterSnapshot, DbInstance, DbSnapshot, ResourceData};

/// Only manual snapshots can be shared; automated ones never are.
const MANUAL: &str = "manual";

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    // Snapshots cost a call each for their attributes: only if read.
    let (a, b, c, d) = futures::join!(
        wanted(ctx, DbInstance::KIND, instances(ctx, &client, &region)),
        wanted(ctx, DbCluster::KIND, clusters(ctx, &client, &region)),
        wanted(ctx, DbSnapshot::KIND, snapshots(ctx, &client, &region)),
        wanted(ctx, DbClusterSnapshot::KIND, cluster_snapshots(ctx, &client, &region))
    );
    [a, b, c, d].into_iter().collect()
}

async fn instances(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let list = client.describe_db_instances().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    Found::each(ctx, region, "rds:DescribeDBInstances", list, |i| {
        let data = DbInstance {
            identifier: i.db_instance_identifier().unwrap_or_default().to_string(),
            engine: i.engine().unwrap_or_default().to_string(),
            cluster: i.db_cluster_identifier().map(String::from),
            vpc_id: i.db_subnet_group().and_then(|g| g.vpc_id()).map(String::from),
            iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
            status: i.db_instance_status().map(String::from),
        };
        (i.db_instance_arn().unwrap_or_default().to_string(), data)
    })
}

async fn clusters(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let list = client.describe_db_clusters().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    Found::each(ctx, region, "rds:DescribeDBClusters", list, |c| {
        let data = DbCluster {
            identifier: c.db_cluster_identifier().unwrap_or_default().to_string(),
            engine: c.engine().unwrap_or_default().to_string(),
            iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
        };
        (c.db_cluster_arn().unwrap_or_default().to_string(), data)
    })
}

/// Manual snapshots; whether one is public is only in its attributes.
async fn snapshots(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let listed = client.describe_db_snapshots().snapshot_type(MANUAL).into_paginator().items().send();
    let listed = listed.collect::<Result<Vec<_>, _>>().await;
    Found::each_read(ctx, region, "rds:DescribeDBSnapshots", &[DbSnapshot::KIND], listed, 8, |s| async move {
        let id = s.db_snapshot_identifier().unwrap_or_default().to_string();
        let out = client.describe_db_snapshot_attributes().db_snapshot_identifier(&id).send().await;
        let op = ("rds:DescribeDBSnapshotAttributes", "rds:DescribeDBSnapshots+DescribeDBSnapshotAttributes");
        Found::each(ctx, region, op, out.map(|out| Some((id, out))), |(id, out)| {
            let attributes = out.db_snapshot_attributes_result().map(|r| r.db_snapshot_attributes());
            let public =
                restorable_by_all(attributes.unwrap_or_default(), |a| (a.attribute_name(), a.attribute_values()));
            let data = DbSnapshot { identifier: id, instance: s.db_instance_identifier().map(String::from), public };
            (s.db_snapshot_arn().unwrap_or_default().to_string(), data)
        })
    })
    .await
}

/// Manual DB cluster snapshots (Aurora and Multi-AZ clusters), which
/// `DescribeDBSnapshots` does not list; whether one is public is only in its
/// attributes.
async fn cluster_snapshots(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let listed = client.describe_db_cluster_snapshots().snapshot_type(MANUAL).into_paginator().items().send();
    let listed = listed.collect::<Result<Vec<_>, _>>().await;
    let kinds = &[DbClusterSnapshot::KIND];
    Found::each_read(ctx, region, "rds:DescribeDBClusterSnapshots", kinds, listed, 8, |s| async move {
        let id = s.db_cluster_snapshot_identifier().unwrap_or_default().to_string();
        let out = client.describe_db_cluster_snapshot_attributes().db_cluster_snapshot_identifier(&id).send().await;
        let op = (
            "rds:DescribeDBClusterSnapshotAttributes",
            "rds:DescribeDBClusterSnapshots+DescribeDBClusterSnapshotAttributes",
        );
        Found::each(ctx, region, op, out.map(|out| Some((id, out))), |(id, out)| {
            let attributes = out.db_cluster_snapshot_attributes_result().map(|r| r.db_cluster_snapshot_attributes());
            let public =
                restorable_by_all(attributes.unwrap_or_default(), |a| (a.attribute_name(), a.attribute_values()));
            let data = DbClusterSnapshot {
                identifier: id,
                cluster: s.db_cluster_identifier().map(String::from),
                engine: s.engine().map(String::from),
                public,
            };
            (s.db_cluster_snapshot_arn().unwrap_or_default().to_string(), data)
        })
    })
    .await
}

/// Whether a snapshot's attributes let any AWS account restore it: its
/// `restore` attribute lists `all`. DB and DB cluster snapshots carry the
/// same attribute in two types; `read` gives each one's name and values.
fn restorable_by_all<A>(attributes: &[A], read: impl Fn(&A) -> (Option<&str>, &[String])) -> bool {
    attributes.iter().map(read).any(|(name, values)| name == Some("restore") && values.iter().any(|v| v == "all"))
}
