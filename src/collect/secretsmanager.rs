//! Secrets Manager, per region: each secret's rotation and use, from the
//! list call alone. Secret values are never read.

use aws_sdk_secretsmanager::Client;

use super::{Ctx, Found, time};
use crate::snapshot::kinds::{ResourceData, Secret};

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    const OP: &str = "secretsmanager:ListSecrets";
    let client = Client::new(&ctx.in_region(&region));
    let mut found = Found::default();
    let pages = client.list_secrets().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    match pages {
        Ok(pages) => {
            for s in pages.iter().flat_map(|p| p.secret_list()) {
                let data = Secret {
                    name: s.name().unwrap_or_default().to_string(),
                    arn: s.arn().unwrap_or_default().to_string(),
                    kms_key_id: s.kms_key_id().map(String::from),
                    rotation_enabled: s.rotation_enabled().unwrap_or(false),
                    rotation_days: s.rotation_rules().and_then(|r| r.automatically_after_days()),
                    rotation_schedule: s.rotation_rules().and_then(|r| r.schedule_expression()).map(String::from),
                    last_rotated: time(s.last_rotated_date()),
                    last_accessed: time(s.last_accessed_date()),
                    next_rotation: time(s.next_rotation_date()),
                    created: time(s.created_date()),
                };
                found.add(ctx, &region, data.arn.clone(), OP, &data);
            }
        }
        Err(e) => found.fail(ctx, &region, OP, &[Secret::KIND], &e),
    }
    ctx.done();
    found
}
