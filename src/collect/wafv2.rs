//! WAFv2, per region: web ACLs and how many rules or rule groups each has
//! (CloudFront-scoped ACLs live in us-east-1).

use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::Scope;

use super::{Ctx, Found};
use crate::snapshot::kinds::{ResourceData, WebAcl};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = Client::new(&ctx.in_region(&region));
    let mut found = Found::default();
    let mut scopes = vec![Scope::Regional];
    if region == "us-east-1" {
        scopes.push(Scope::Cloudfront);
    }
    for scope in scopes {
        found.extend(scope_acls(ctx, &client, &region, scope).await);
    }
    found
}

async fn scope_acls(ctx: &Ctx, client: &Client, region: &str, scope: Scope) -> Found {
    // ListWebACLs has no paginator in the SDK; it pages by NextMarker.
    let mut summaries = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        match client.list_web_acls().scope(scope.clone()).set_next_marker(marker.clone()).send().await {
            Ok(out) => {
                summaries.extend(out.web_acls().to_vec());
                marker = out.next_marker().map(String::from).filter(|m| !m.is_empty());
                if marker.is_none() || out.web_acls().is_empty() {
                    break;
                }
            }
            Err(e) => return Found::failed(ctx, region, "wafv2:ListWebACLs", &[WebAcl::KIND], &e),
        }
    }
    super::per_item(summaries, 8, |s| {
        let scope = scope.clone();
        async move {
            let (name, id) = (s.name().unwrap_or_default().to_string(), s.id().unwrap_or_default().to_string());
            let acl = client.get_web_acl().name(&name).id(&id).scope(scope.clone()).send().await;
            let op = ("wafv2:GetWebACL", "wafv2:ListWebACLs+GetWebACL");
            Found::each(ctx, region, op, acl.map(|out| Some((name, out))), |(name, out)| {
                let data = WebAcl {
                    arn: s.arn().unwrap_or_default().to_string(),
                    scope: scope.as_str().to_string(),
                    rules: out.web_acl().map(|w| w.rules().len() as i64).unwrap_or(0),
                    name,
                };
                (data.arn.clone(), data)
            })
        }
    })
    .await
}
