//! Systems Manager, per region: managed instances, patch and association
//! compliance, and the account's own documents with their sharing.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{DocumentKeyValuesFilter, DocumentPermissionType};

use super::{Ctx, Found};
use crate::snapshot::kinds::{Compliance, ManagedInstance, ResourceData, SsmDocument};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let (a, b, c) = futures::join!(
        managed(ctx, &client, &region),
        compliance(ctx, &client, &region),
        documents(ctx, &client, &region)
    );
    [a, b, c].into_iter().collect()
}

async fn managed(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let list =
        client.describe_instance_information().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    Found::each(ctx, region, "ssm:DescribeInstanceInformation", list, |i| {
        let data = ManagedInstance {
            instance_id: i.instance_id().unwrap_or_default().to_string(),
            ping_status: i.ping_status().map(|p| p.as_str().to_string()),
        };
        (format!("arn:aws:ssm:{region}:{}:managed-instance/{}", ctx.account(), data.instance_id), data)
    })
}

async fn compliance(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let list = client
        .list_resource_compliance_summaries()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    Found::each(ctx, region, "ssm:ListResourceComplianceSummaries", list, |c| {
        let data = Compliance {
            resource_id: c.resource_id().unwrap_or_default().to_string(),
            compliance_type: c.compliance_type().unwrap_or_default().to_string(),
            status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        };
        (format!("{}#{}", data.resource_id, data.compliance_type), data)
    })
}

async fn documents(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let owned = DocumentKeyValuesFilter::builder().key("Owner").values("Self").build();
    let listed =
        client.list_documents().filters(owned).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    let names = listed.map(|l| l.into_iter().filter_map(|d| d.name));
    Found::each_read(ctx, region, "ssm:ListDocuments", &[SsmDocument::KIND], names, 8, |name| async move {
        let shared = client
            .describe_document_permission()
            .name(&name)
            .permission_type(DocumentPermissionType::Share)
            .send()
            .await;
        let op = ("ssm:DescribeDocumentPermission", "ssm:ListDocuments+DescribeDocumentPermission");
        Found::each(ctx, region, op, shared.map(|out| Some((name, out))), |(name, out)| {
            let data = SsmDocument { public: out.account_ids().iter().any(|a| a == "all"), name };
            (format!("arn:aws:ssm:{region}:{}:document/{}", ctx.account(), data.name), data)
        })
    })
    .await
}
