//! KMS, per region: every key with its aliases, state, manager, spec, usage,
//! origin and rotation status.

use std::collections::BTreeMap;

use aws_sdk_kms::Client;

use super::{Ctx, Found, time};
use crate::snapshot::kinds::{KMS_KEY_ROTATION as ROTATION, KmsKey, ResourceData};

/// How many per-key calls run at once in one region.
const PER_KEY: usize = 8;

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    let mut found = Found::default();
    let (keys, aliases) = futures::join!(
        client.list_keys().into_paginator().items().send().collect::<Vec<_>>(),
        client.list_aliases().into_paginator().items().send().collect::<Vec<_>>()
    );
    let keys: Result<Vec<_>, _> = keys.into_iter().collect();
    let keys = match keys {
        Ok(k) => k,
        Err(e) => {
            found.fail(ctx, &region, "kms:ListKeys", &[KmsKey::KIND, ROTATION], &e);
            return found;
        }
    };
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    match aliases.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(list) => {
            for a in list {
                if let (Some(target), Some(name)) = (a.target_key_id(), a.alias_name()) {
                    let short = name.strip_prefix("alias/").unwrap_or(name);
                    by_key.entry(target.to_string()).or_default().push(short.to_string());
                }
            }
        }
        Err(e) => found.fail(ctx, &region, "kms:ListAliases", &[KmsKey::KIND], &e),
    }

    let ids: Vec<String> = keys.into_iter().filter_map(|k| k.key_id).collect();
    let (client, region) = (&client, region.as_str());
    found.extend(
        super::per_item(ids, PER_KEY, |id| {
            let aliases = by_key.get(&id).cloned().unwrap_or_default();
            describe(ctx, client, region, id, aliases)
        })
        .await,
    );
    found
}

async fn describe(ctx: &Ctx, client: &Client, region: &str, id: String, mut aliases: Vec<String>) -> Found {
    let mut found = Found::default();
    let meta = match client.describe_key().key_id(&id).send().await {
        Ok(out) => match out.key_metadata {
            Some(m) => m,
            None => {
                let message = format!("DescribeKey answered without key metadata for key {id}");
                return Found::incomplete(ctx, region, "kms:DescribeKey", &[KmsKey::KIND, ROTATION], message);
            }
        },
        Err(e) => {
            found.fail_about(ctx, region, "kms:DescribeKey", &[KmsKey::KIND], &id, &e);
            return found;
        }
    };
    let name = |s: Option<&str>| s.unwrap_or_default().to_string();
    let spec = name(meta.key_spec().map(|s| s.as_str()));
    let origin = name(meta.origin().map(|s| s.as_str()));
    let state = name(meta.key_state().map(|s| s.as_str()));
    aliases.sort();
    let mut key = KmsKey {
        key_id: meta.key_id().to_string(),
        arn: name(meta.arn()),
        aliases,
        manager: name(meta.key_manager().map(|s| s.as_str())),
        usage: meta.key_usage().map(|s| s.as_str().to_string()),
        description: name(meta.description()),
        created: time(meta.creation_date()),
        multi_region: meta.multi_region().unwrap_or(false),
        rotation_enabled: None,
        rotation_period_days: None,
        spec,
        origin,
        state,
    };
    // AWS supports automatic rotation only for symmetric keys with key
    // material KMS generated; asking for others just returns an error.
    // A run whose catalog does not read rotation does not ask.
    let rotatable = key.spec == "SYMMETRIC_DEFAULT"
        && key.origin == "AWS_KMS"
        && !key.state.starts_with("Pending")
        && ctx.wants(ROTATION);
    let mut operation = "kms:DescribeKey";
    if rotatable {
        match client.get_key_rotation_status().key_id(&id).send().await {
            Ok(r) => {
                key.rotation_enabled = Some(r.key_rotation_enabled());
                key.rotation_period_days = r.rotation_period_in_days().map(i64::from);
                operation = "kms:DescribeKey+GetKeyRotationStatus";
            }
            Err(e) => found.fail_about(ctx, region, "kms:GetKeyRotationStatus", &[ROTATION], &id, &e),
        }
    }
    found.add(ctx, region, key.arn.clone(), operation, &key);
    found
}

/// moto always answers with metadata, so an answer without it is mocked.
#[cfg(test)]
mod tests {
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_smithy_mocks::{MockResponseInterceptor, mock};

    use super::*;
    use crate::collect::tests::{assert_incomplete, ctx, mock_config};

    /// False pass before: the key vanished from the snapshot, and KMS.4
    /// passed on the keys left.
    #[tokio::test]
    async fn a_key_described_without_metadata_is_a_collection_error() {
        let rule = mock!(Client::describe_key).then_output(|| DescribeKeyOutput::builder().build());
        let interceptor = MockResponseInterceptor::new().with_rule(&rule);
        let client =
            Client::from_conf(aws_sdk_kms::config::Builder::from(&mock_config()).interceptor(interceptor).build());
        let found = describe(&ctx(), &client, "us-east-1", "key-1".into(), Vec::new()).await;
        assert_incomplete(&found, "kms:DescribeKey", "key-1", &[KmsKey::KIND, ROTATION]);
    }
}
