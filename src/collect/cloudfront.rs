//! CloudFront (global, read in its home region): distributions and how
//! their S3 origins are reached.

use aws_sdk_cloudfront::Client;

use super::{Ctx, Found};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{Distribution, S3Origin};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let pages = client.list_distributions().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    let distributions =
        pages.map(|p| p.into_iter().filter_map(|p| p.distribution_list).flat_map(|l| l.items.unwrap_or_default()));
    Found::each(ctx, GLOBAL, "cloudfront:ListDistributions", distributions, |d| {
        let s3_origins = d
            .origins()
            .map(|o| o.items())
            .unwrap_or_default()
            .iter()
            .filter(|o| o.s3_origin_config().is_some() || o.domain_name().contains(".s3."))
            .map(|o| S3Origin {
                id: o.id().to_string(),
                domain: o.domain_name().to_string(),
                origin_access_identity: o
                    .s3_origin_config()
                    .map(|c| c.origin_access_identity().to_string())
                    .filter(|s| !s.is_empty()),
                origin_access_control: o.origin_access_control_id().map(String::from).filter(|s| !s.is_empty()),
            })
            .collect();
        let data = Distribution { id: d.id().to_string(), arn: d.arn().to_string(), s3_origins };
        (data.arn.clone(), data)
    })
}
