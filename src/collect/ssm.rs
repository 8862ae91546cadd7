//! Systems Manager, per region: managed instances, patch and association
//! compliance, and the account's own documents with their sharing.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{DocumentKeyValuesFilter, DocumentPermissionType};

use super::{Ctx, Found};
use crate::snapshot::kinds::{Compliance, ManagedInstance, ResourceData, SsmDocument};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let (mut found, b, c) = futures::join!(
        managed(ctx, &client, &region),
        compliance(ctx, &client, &region),
        documents(ctx, &client, &region)
    );
    found.extend(b);
    found.extend(c);
    ctx.done();
    found
}

async fn managed(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "ssm:DescribeInstanceInformation";
    let mut found = Found::default();
    match client.describe_instance_information().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(list) => {
            for i in list {
                let data = ManagedInstance {
                    instance_id: i.instance_id().unwrap_or_default().to_string(),
                    ping_status: i.ping_status().map(|p| p.as_str().to_string()),
                };
                let id = format!("arn:aws:ssm:{region}:{}:managed-instance/{}", ctx.account(), data.instance_id);
                found.add(ctx, region, id, OP, &data);
            }
        }
        Err(e) => found.fail(ctx, region, OP, &[ManagedInstance::KIND], &e),
    }
    found
}

async fn compliance(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "ssm:ListResourceComplianceSummaries";
    let mut found = Found::default();
    match client
        .list_resource_compliance_summaries()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(list) => {
            for c in list {
                let data = Compliance {
                    resource_id: c.resource_id().unwrap_or_default().to_string(),
                    compliance_type: c.compliance_type().unwrap_or_default().to_string(),
                    status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                };
                let id = format!("{}#{}", data.resource_id, data.compliance_type);
                found.add(ctx, region, id, OP, &data);
            }
        }
        Err(e) => found.fail(ctx, region, OP, &[Compliance::KIND], &e),
    }
    found
}

async fn documents(ctx: &Ctx, client: &Client, region: &str) -> Found {
    const OP: &str = "ssm:ListDocuments";
    let mut found = Found::default();
    let owned = DocumentKeyValuesFilter::builder().key("Owner").values("Self").build();
    let names: Vec<String> = match client
        .list_documents()
        .filters(owned)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(list) => list.iter().filter_map(|d| d.name().map(String::from)).collect(),
        Err(e) => {
            found.fail(ctx, region, OP, &[SsmDocument::KIND], &e);
            return found;
        }
    };
    found.extend(
        super::per_item(names, 8, |name| async move {
            let mut found = Found::default();
            match client
                .describe_document_permission()
                .name(&name)
                .permission_type(DocumentPermissionType::Share)
                .send()
                .await
            {
                Ok(out) => {
                    let data = SsmDocument { public: out.account_ids().iter().any(|a| a == "all"), name };
                    let id = format!("arn:aws:ssm:{region}:{}:document/{}", ctx.account(), data.name);
                    found.add(ctx, region, id, "ssm:ListDocuments+DescribeDocumentPermission", &data);
                }
                Err(e) => found.fail(ctx, region, "ssm:DescribeDocumentPermission", &[SsmDocument::KIND], &e),
            }
            found
        })
        .await,
    );
    found
}
