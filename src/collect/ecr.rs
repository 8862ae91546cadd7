//! ECR, per region: private repositories, their own scan-on-push setting, and
//! the registry's scanning configuration as it stands. Which repositories a
//! registry rule covers is the catalog's call (ECR.1), not the collector's.

use aws_sdk_ecr::Client;
use aws_sdk_ecr::operation::get_registry_scanning_configuration::GetRegistryScanningConfigurationOutput;

use super::{Ctx, Found};
use crate::snapshot::kinds::{EcrRepository, RegistryScanFilter, RegistryScanRule, RegistryScanning, ResourceData};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    read(ctx, &region, &ctx.client::<Client>(&region)).await
}

async fn read(ctx: &Ctx, region: &str, client: &Client) -> Found {
    let (repos, registry) = futures::join!(
        client.describe_repositories().into_paginator().items().send().collect::<Result<Vec<_>, _>>(),
        client.get_registry_scanning_configuration().send()
    );
    // Unreadable stays absent, so that ECR.1 cannot read it as "no rules".
    let registry_scan = registry.as_ref().ok().map(scanning);
    let mut found = Found::each(ctx, region, "ecr:DescribeRepositories", repos, |r| {
        let data = EcrRepository {
            name: r.repository_name().unwrap_or_default().to_string(),
            arn: r.repository_arn().unwrap_or_default().to_string(),
            scan_on_push: r.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
            registry_scan: registry_scan.clone(),
        };
        (data.arn.clone(), data)
    });
    if let Err(e) = &registry {
        found.fail(ctx, region, "ecr:GetRegistryScanningConfiguration", &[EcrRepository::KIND], e);
    }
    found
}

fn scanning(out: &GetRegistryScanningConfigurationOutput) -> RegistryScanning {
    let config = out.scanning_configuration();
    RegistryScanning {
        // A registry never configured answers without a configuration: AWS's
        // default, basic scanning with no rules.
        scan_type: config.and_then(|c| c.scan_type()).map_or("BASIC", |t| t.as_str()).to_string(),
        rules: config
            .map(|c| c.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| RegistryScanRule {
                scan_frequency: r.scan_frequency().as_str().to_string(),
                repository_filters: r
                    .repository_filters()
                    .iter()
                    .map(|f| RegistryScanFilter {
                        filter: f.filter().to_string(),
                        filter_type: f.filter_type().as_str().to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesOutput;
    use aws_sdk_ecr::types::{ImageScanningConfiguration, Repository};
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, mock};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::collect::tests::{ctx, mock_config};

    /// moto cannot deny one ECR call and answer the other, so the denial
    /// comes from a mocked response, as AWS sends it (JSON protocol).
    #[tokio::test]
    async fn an_unreadable_registry_configuration_is_an_error_not_no_rules() {
        let repos = mock!(Client::describe_repositories).then_output(|| {
            DescribeRepositoriesOutput::builder()
                .repositories(
                    Repository::builder()
                        .repository_name("app")
                        .repository_arn("arn:aws:ecr:us-east-1:111122223333:repository/app")
                        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(true).build())
                        .build(),
                )
                .build()
        });
        let denied = mock!(Client::get_registry_scanning_configuration).then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from(
                    r#"{"__type":"AccessDeniedException","message":"not authorized to perform: ecr:GetRegistryScanningConfiguration"}"#,
                ),
            )
        });
        let interceptor =
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(&repos).with_rule(&denied);
        let client =
            Client::from_conf(aws_sdk_ecr::config::Builder::from(&mock_config()).interceptor(interceptor).build());
        let found = read(&ctx(), "us-east-1", &client).await;
        assert_eq!(found.resources.len(), 1);
        let repo: EcrRepository = serde_json::from_value(found.resources[0].data.clone()).unwrap();
        assert!(repo.scan_on_push);
        // Unknown, not an empty rule list that ECR.1 would read as "no registry scanning".
        assert_eq!(repo.registry_scan, None);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].code, "AccessDeniedException");
        assert_eq!(found.errors[0].operation, "ecr:GetRegistryScanningConfiguration");
        assert_eq!(found.errors[0].resource_types, vec![EcrRepository::KIND.to_string()]);
    }
}
