//! ECR, per region: private repositories and whether their images are
//! scanned, by the repository's own setting or the registry's.

use aws_sdk_ecr::Client;

use super::{Ctx, Found};
use crate::snapshot::kinds::{EcrRepository, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let (repos, registry) = futures::join!(
        client.describe_repositories().into_paginator().items().send().collect::<Result<Vec<_>, _>>(),
        client.get_registry_scanning_configuration().send()
    );
    // Registry rules apply to repositories matching their filters; a "*"
    // filter (or enhanced scanning with one) covers every repository.
    let registry_covers = |name: &str| match &registry {
        Ok(out) => out.scanning_configuration().is_some_and(|c| {
            c.rules().iter().any(|r| {
                r.repository_filters().iter().any(|f| {
                    let pattern = f.filter();
                    pattern == "*" || crate::evaluate::engine::action_matches(pattern, name)
                })
            })
        }),
        Err(_) => false,
    };
    let mut found = Found::each(ctx, &region, "ecr:DescribeRepositories", repos, |r| {
        let name = r.repository_name().unwrap_or_default().to_string();
        let data = EcrRepository {
            arn: r.repository_arn().unwrap_or_default().to_string(),
            scan_on_push: r.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
            registry_scanning: registry_covers(&name),
            name,
        };
        (data.arn.clone(), data)
    });
    if let Err(e) = &registry {
        found.fail(ctx, &region, "ecr:GetRegistryScanningConfiguration", &[EcrRepository::KIND], e);
    }
    found
}
