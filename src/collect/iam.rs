//! IAM (global): users and groups with their policies, the account summary
//! (root MFA, root keys, STS global endpoint token version), the password
//! policy, and the account alias.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{AttachedPolicy, EntityType, PolicyDetail};

use super::{Ctx, Found, time};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{
    ACCOUNT_ALIAS, AccountSummary, IamGroup, IamUser, InlinePolicy, PasswordPolicy, PolicyRef, ResourceData,
};

pub(crate) async fn account_alias(ctx: &Ctx) -> (Option<String>, Found) {
    let mut found = Found::default();
    match Client::new(ctx.global()).list_account_aliases().send().await {
        Ok(out) => (out.account_aliases().first().cloned(), found),
        Err(e) => {
            found.fail(ctx, GLOBAL, "iam:ListAccountAliases", &[ACCOUNT_ALIAS], &e);
            (None, found)
        }
    }
}

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let client = Client::new(ctx.global());
    let (a, b, c) = futures::join!(
        authorization_details(ctx, &client),
        summary(ctx, &client),
        password_policy(ctx, &client)
    );
    let mut found = a;
    found.extend(b);
    found.extend(c);
    ctx.done();
    found
}

/// One paginated call returns every user and group with their inline and
/// attached policies; group membership comes from the users' group lists.
async fn authorization_details(ctx: &Ctx, client: &Client) -> Found {
    const OP: &str = "iam:GetAccountAuthorizationDetails";
    let mut found = Found::default();
    let pages = client
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Group)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let pages = match pages {
        Ok(p) => p,
        Err(e) => {
            found.fail(ctx, GLOBAL, OP, &[IamUser::KIND, IamGroup::KIND], &e);
            return found;
        }
    };
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for user in pages.iter().flat_map(|p| p.user_detail_list()) {
        let name = user.user_name().unwrap_or_default().to_string();
        for g in user.group_list() {
            members.entry(g.clone()).or_default().insert(name.clone());
        }
        let data = IamUser {
            arn: user.arn().unwrap_or_default().to_string(),
            path: user.path().unwrap_or("/").to_string(),
            created: time(user.create_date()),
            groups: sorted(user.group_list().to_vec()),
            attached_policies: policy_refs(user.attached_managed_policies()),
            inline_policies: inline(user.user_policy_list()),
            name,
        };
        found.add(ctx, GLOBAL, data.arn.clone(), OP, &data);
    }
    for group in pages.iter().flat_map(|p| p.group_detail_list()) {
        let name = group.group_name().unwrap_or_default().to_string();
        let data = IamGroup {
            arn: group.arn().unwrap_or_default().to_string(),
            path: group.path().unwrap_or("/").to_string(),
            created: time(group.create_date()),
            members: members.remove(&name).unwrap_or_default().into_iter().collect(),
            attached_policies: policy_refs(group.attached_managed_policies()),
            inline_policies: inline(group.group_policy_list()),
            name,
        };
        found.add(ctx, GLOBAL, data.arn.clone(), OP, &data);
    }
    found
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn policy_refs(list: &[AttachedPolicy]) -> Vec<PolicyRef> {
    let mut v: Vec<PolicyRef> = list
        .iter()
        .map(|p| PolicyRef {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().unwrap_or_default().to_string(),
        })
        .collect();
    v.sort_by(|a, b| a.arn.cmp(&b.arn));
    v
}

/// Inline policy documents arrive URL-encoded (RFC 3986); keep them as JSON.
fn inline(list: &[PolicyDetail]) -> Vec<InlinePolicy> {
    let mut v: Vec<InlinePolicy> = list
        .iter()
        .map(|p| {
            let raw = p.policy_document().unwrap_or_default();
            let text = urlencoding::decode(raw)
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| raw.to_string());
            InlinePolicy {
                name: p.policy_name().unwrap_or_default().to_string(),
                document: serde_json::from_str(&text)
                    .unwrap_or(serde_json::Value::String(text)),
            }
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

async fn summary(ctx: &Ctx, client: &Client) -> Found {
    const OP: &str = "iam:GetAccountSummary";
    let mut found = Found::default();
    match client.get_account_summary().send().await {
        Ok(out) => {
            let summary: BTreeMap<String, i64> = out
                .summary_map()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.as_str().to_string(), i64::from(*v)))
                        .collect()
                })
                .unwrap_or_default();
            let get = |k: &str| summary.get(k).copied().unwrap_or(0);
            let data = AccountSummary {
                root_mfa_enabled: get("AccountMFAEnabled") == 1,
                root_access_keys_present: get("AccountAccessKeysPresent") > 0,
                // An account that never changed the setting has version 1.
                global_endpoint_token_version: summary
                    .get("GlobalEndpointTokenVersion")
                    .copied()
                    .unwrap_or(1),
                summary,
            };
            found.add(ctx, GLOBAL, format!("arn:aws:iam::{}:root", ctx.account), OP, &data);
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[AccountSummary::KIND], &e),
    }
    found
}

async fn password_policy(ctx: &Ctx, client: &Client) -> Found {
    const OP: &str = "iam:GetAccountPasswordPolicy";
    let mut found = Found::default();
    let id = format!("arn:aws:iam::{}:account-password-policy", ctx.account);
    match client.get_account_password_policy().send().await {
        Ok(out) => {
            let p = out.password_policy();
            let data = PasswordPolicy {
                present: p.is_some(),
                minimum_password_length: p.and_then(|p| p.minimum_password_length()).map(i64::from),
                require_symbols: p.is_some_and(|p| p.require_symbols()),
                require_numbers: p.is_some_and(|p| p.require_numbers()),
                require_uppercase_characters: p.is_some_and(|p| p.require_uppercase_characters()),
                require_lowercase_characters: p.is_some_and(|p| p.require_lowercase_characters()),
                allow_users_to_change_password: p
                    .is_some_and(|p| p.allow_users_to_change_password()),
                expire_passwords: p.is_some_and(|p| p.expire_passwords()),
                max_password_age: p.and_then(|p| p.max_password_age()).map(i64::from),
                password_reuse_prevention: p
                    .and_then(|p| p.password_reuse_prevention())
                    .map(i64::from),
                hard_expiry: p.and_then(|p| p.hard_expiry()).unwrap_or(false),
            };
            found.add(ctx, GLOBAL, id, OP, &data);
        }
        // No policy is evidence too: the account runs on IAM's default.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            found.add(ctx, GLOBAL, id, OP, &PasswordPolicy::default());
        }
        Err(e) => found.fail(ctx, GLOBAL, OP, &[PasswordPolicy::KIND], &e),
    }
    found
}
