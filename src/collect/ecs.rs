//! ECS, per region: the latest active revision of each task definition
//! family, and the names of the environment variables its containers set.
//! Values are never kept.
//!
//! Security Hub evaluates ECS.8 on "the latest active task definition
//! revision", so older revisions are neither read nor judged: one describe
//! call per family instead of one per revision, which on a large account
//! is thousands of calls fewer.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::TaskDefinitionFamilyStatus;

use super::{Ctx, Found};
use crate::snapshot::kinds::{ContainerEnv, ResourceData, TaskDefinition};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let pages = client
        .list_task_definition_families()
        .status(TaskDefinitionFamilyStatus::Active)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let families = pages.map(|p| p.into_iter().flat_map(|p| p.families.unwrap_or_default()));
    let (client, region) = (&client, region.as_str());
    let kinds = &[TaskDefinition::KIND];
    Found::each_read(ctx, region, "ecs:ListTaskDefinitionFamilies", kinds, families, 8, |family| async move {
        // A family name alone describes its latest ACTIVE revision.
        let described = client.describe_task_definition().task_definition(&family).send().await;
        let op = ("ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitionFamilies+DescribeTaskDefinition");
        let latest = described.map(|out| out.task_definition);
        Found::each(ctx, region, op, latest, |t| {
            let arn = t.task_definition_arn().unwrap_or_default().to_string();
            let containers = t
                .container_definitions()
                .iter()
                .map(|c| ContainerEnv {
                    name: c.name().unwrap_or_default().to_string(),
                    environment: c.environment().iter().filter_map(|kv| kv.name().map(String::from)).collect(),
                })
                .collect();
            let status = t.status().map(|s| s.as_str().to_string());
            (arn.clone(), TaskDefinition { arn, containers, status })
        })
    })
    .await
}
