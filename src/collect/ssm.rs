//! Systems Manager, per region: managed instances, patch and association
//! compliance, and the account's own documents with their sharing.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::SdkError;
use aws_sdk_ssm::operation::describe_document_permission::DescribeDocumentPermissionError;
use aws_sdk_ssm::types::{DocumentKeyValuesFilter, DocumentPermissionType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::{Ctx, Found, wanted};
use crate::snapshot::kinds::{Compliance, ManagedInstance, ResourceData, SsmDocument};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let (a, b, c) = futures::join!(
        wanted(ctx, ManagedInstance::KIND, managed(ctx, &client, &region)),
        wanted(ctx, Compliance::KIND, compliance(ctx, &client, &region)),
        wanted(ctx, SsmDocument::KIND, documents(ctx, &client, &region))
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

/// Every account a document is shared with, through all the pages: the
/// SDK has no paginator for this call, and `all` may be on any page.
// The error is the SDK's own, handed straight back to `Found::each`.
#[allow(clippy::result_large_err)]
async fn shared_with(
    client: &Client,
    name: &str,
) -> Result<Vec<String>, SdkError<DescribeDocumentPermissionError, HttpResponse>> {
    let mut accounts = Vec::new();
    let (mut token, mut last): (Option<String>, Option<String>) = (None, None);
    loop {
        let out = client
            .describe_document_permission()
            .name(name)
            .permission_type(DocumentPermissionType::Share)
            .set_next_token(token.take())
            .send()
            .await?;
        accounts.extend(out.account_ids().iter().cloned());
        // As the SDK's paginators do, a token handed back unchanged ends the
        // list rather than asking for the same page forever.
        match out.next_token().filter(|t| !t.is_empty() && last.as_deref() != Some(*t)) {
            Some(t) => {
                last = Some(t.to_string());
                token = last.clone();
            }
            None => return Ok(accounts),
        }
    }
}

async fn documents(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let owned = DocumentKeyValuesFilter::builder().key("Owner").values("Self").build();
    let listed =
        client.list_documents().filters(owned).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    let names = listed.map(|l| l.into_iter().filter_map(|d| d.name));
    Found::each_read(ctx, region, "ssm:ListDocuments", &[SsmDocument::KIND], names, 8, |name| async move {
        let shared = shared_with(client, &name).await;
        let op = ("ssm:DescribeDocumentPermission", "ssm:ListDocuments+DescribeDocumentPermission");
        Found::each(ctx, region, op, shared.map(|accounts| Some((name, accounts))), |(name, accounts)| {
            let data = SsmDocument { public: accounts.iter().any(|a| a == "all"), name };
            (format!("arn:aws:ssm:{region}:{}:document/{}", ctx.account(), data.name), data)
        })
    })
    .await
}
