//! Secrets Manager, per region: each secret's rotation, its outcome and use,
//! from the list call alone. Secret values are never read.

use aws_sdk_secretsmanager::Client;

use super::{Ctx, Found, time};
use crate::snapshot::kinds::Secret;

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let pages = client.list_secrets().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    let secrets = pages.map(|p| p.into_iter().flat_map(|p| p.secret_list.unwrap_or_default()));
    Found::each(ctx, &region, "secretsmanager:ListSecrets", secrets, |s| {
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
            rotation_pending: s.secret_versions_to_stages().map(|versions| {
                versions
                    .values()
                    .any(|stages| stages.iter().any(|s| s == "AWSPENDING") && !stages.iter().any(|s| s == "AWSCURRENT"))
            }),
        };
        (data.arn.clone(), data)
    })
}
