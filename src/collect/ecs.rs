//! ECS, per region: active task definitions and the names of the
//! environment variables their containers set. Values are never kept.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::{Ctx, Found};
use crate::snapshot::kinds::{ContainerEnv, ResourceData, TaskDefinition};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let pages = client
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let arns = pages.map(|p| p.into_iter().flat_map(|p| p.task_definition_arns.unwrap_or_default()));
    let (client, region) = (&client, region.as_str());
    Found::each_read(ctx, region, "ecs:ListTaskDefinitions", &[TaskDefinition::KIND], arns, 8, |arn| async move {
        let described = client.describe_task_definition().task_definition(&arn).send().await;
        let op = ("ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions+DescribeTaskDefinition");
        Found::each(ctx, region, op, described.map(|out| Some((arn, out))), |(arn, out)| {
            let containers = out
                .task_definition()
                .map(|t| t.container_definitions())
                .unwrap_or_default()
                .iter()
                .map(|c| ContainerEnv {
                    name: c.name().unwrap_or_default().to_string(),
                    environment: c.environment().iter().filter_map(|kv| kv.name().map(String::from)).collect(),
                })
                .collect();
            (arn.clone(), TaskDefinition { arn, containers })
        })
    })
    .await
}
