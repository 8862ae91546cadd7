//! WAFv2: per region, its regional web ACLs; once per run, the
//! CloudFront-scoped web ACLs, which are global and answered only in
//! us-east-1, whatever `--regions` says.

use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::Scope;

use super::{Ctx, Found};
use crate::snapshot::kinds::{ResourceData, WebAcl};

/// Where AWS answers for CloudFront-scoped web ACLs.
const CLOUDFRONT_REGION: &str = "us-east-1";

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let mut found = scope_acls(ctx, &client, &region, Scope::Regional).await;
    // The collector runs once per region read; the first of them also reads
    // the global scope, so a run that leaves out us-east-1 still sees it.
    if ctx.first_region() == Some(region.as_str()) {
        let global = ctx.client::<Client>(CLOUDFRONT_REGION);
        found.extend(scope_acls(ctx, &global, CLOUDFRONT_REGION, Scope::Cloudfront).await);
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
