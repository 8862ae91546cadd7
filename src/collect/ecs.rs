//! ECS, per region: active task definitions and the names of the
//! environment variables their containers set. Values are never kept.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::{Ctx, Found};
use crate::snapshot::kinds::{ContainerEnv, ResourceData, TaskDefinition};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let mut found = Found::default();
    let arns = match client
        .list_task_definitions()
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(pages) => pages.iter().flat_map(|p| p.task_definition_arns().to_vec()).collect::<Vec<_>>(),
        Err(e) => {
            found.fail(ctx, &region, "ecs:ListTaskDefinitions", &[TaskDefinition::KIND], &e);
            ctx.done();
            return found;
        }
    };
    let (client, region_ref) = (&client, region.as_str());
    found.extend(
        super::per_item(arns, 8, |arn| async move {
            let mut found = Found::default();
            match client.describe_task_definition().task_definition(&arn).send().await {
                Ok(out) => {
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
                    let data = TaskDefinition { arn: arn.clone(), containers };
                    found.add(ctx, region_ref, arn, "ecs:ListTaskDefinitions+DescribeTaskDefinition", &data);
                }
                Err(e) => found.fail(ctx, region_ref, "ecs:DescribeTaskDefinition", &[TaskDefinition::KIND], &e),
            }
            found
        })
        .await,
    );
    ctx.done();
    found
}
