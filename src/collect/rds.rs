//! RDS, per region: DB instances (VPC, IAM authentication), clusters (IAM
//! authentication) and manual DB snapshots with their restore permission.

use aws_sdk_rds::Client;

use super::{Ctx, Found};
use crate::snapshot::kinds::{DbCluster, DbInstance, DbSnapshot, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let (mut found, clusters, snapshots) = futures::join!(
        instances(ctx, &client, &region),
        clusters(ctx, &client, &region),
        snapshots(ctx, &client, &region)
    );
    found.extend(clusters);
    found.extend(snapshots);
    ctx.done();
    found
}

async fn instances(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "rds:DescribeDBInstances";
    let mut found = Found::default();
    match client.describe_db_instances().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(list) => {
            for i in list {
                let data = DbInstance {
                    identifier: i.db_instance_identifier().unwrap_or_default().to_string(),
                    engine: i.engine().unwrap_or_default().to_string(),
                    cluster: i.db_cluster_identifier().map(String::from),
                    vpc_id: i.db_subnet_group().and_then(|g| g.vpc_id()).map(String::from),
                    iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
                };
                found.add(ctx, region, i.db_instance_arn().unwrap_or_default(), OP, &data);
            }
        }
        Err(e) => found.fail(ctx, region, OP, &[DbInstance::KIND], &e),
    }
    found
}

async fn clusters(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "rds:DescribeDBClusters";
    let mut found = Found::default();
    match client.describe_db_clusters().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(list) => {
            for c in list {
                let data = DbCluster {
                    identifier: c.db_cluster_identifier().unwrap_or_default().to_string(),
                    engine: c.engine().unwrap_or_default().to_string(),
                    iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
                };
                found.add(ctx, region, c.db_cluster_arn().unwrap_or_default(), OP, &data);
            }
        }
        Err(e) => found.fail(ctx, region, OP, &[DbCluster::KIND], &e),
    }
    found
}

/// Manual snapshots; whether one is public is only in its attributes.
async fn snapshots(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "rds:DescribeDBSnapshots";
    let mut found = Found::default();
    let list = match client
        .describe_db_snapshots()
        .snapshot_type("manual")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(l) => l,
        Err(e) => {
            found.fail(ctx, region, OP, &[DbSnapshot::KIND], &e);
            return found;
        }
    };
    let parts = super::per_item(list, 8, |s| async move {
        let mut found = Found::default();
        let id = s.db_snapshot_identifier().unwrap_or_default().to_string();
        match client.describe_db_snapshot_attributes().db_snapshot_identifier(&id).send().await {
            Ok(out) => {
                let public = out
                    .db_snapshot_attributes_result()
                    .map(|r| r.db_snapshot_attributes())
                    .unwrap_or_default()
                    .iter()
                    .any(|a| a.attribute_name() == Some("restore") && a.attribute_values().iter().any(|v| v == "all"));
                let data =
                    DbSnapshot { identifier: id, instance: s.db_instance_identifier().map(String::from), public };
                found.add(
                    ctx,
                    region,
                    s.db_snapshot_arn().unwrap_or_default(),
                    "rds:DescribeDBSnapshots+DescribeDBSnapshotAttributes",
                    &data,
                );
            }
            Err(e) => found.fail(ctx, region, "rds:DescribeDBSnapshotAttributes", &[DbSnapshot::KIND], &e),
        }
        found
    })
    .await;
    found.extend(parts);
    found
}
