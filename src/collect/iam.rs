//! IAM (global): users and groups with their policies, the account summary
//! (root MFA, root keys, STS global endpoint token version), the password
//! policy, and the account alias.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{AttachedPolicy, EntityType, PolicyDetail};

use super::{Ctx, Found, or_absent, time, wanted};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{
    ACCOUNT_ALIAS, AccessKeyUse, AccountSummary, CredentialReportRow, IamGroup, IamPolicy, IamRole, IamUser,
    InlinePolicy, PasswordPolicy, PolicyRef, ResourceData, VirtualMfaDevice,
};

pub(crate) async fn account_alias(ctx: &Ctx) -> (Option<String>, Found) {
    let mut found = Found::default();
    match ctx.global_client::<Client>().list_account_aliases().send().await {
        Ok(out) => (out.account_aliases().first().cloned(), found),
        Err(e) => {
            found.fail(ctx, GLOBAL, "iam:ListAccountAliases", &[ACCOUNT_ALIAS], &e);
            (None, found)
        }
    }
}

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let client = ctx.global_client::<Client>();
    let (a, b, c, d, e) = futures::join!(
        authorization_details(ctx, &client),
        wanted(ctx, AccountSummary::KIND, summary(ctx, &client)),
        wanted(ctx, PasswordPolicy::KIND, password_policy(ctx, &client)),
        wanted(ctx, CredentialReportRow::KIND, credential_report(ctx, &client)),
        wanted(ctx, VirtualMfaDevice::KIND, virtual_mfa(ctx, &client))
    );
    [a, b, c, d, e].into_iter().collect()
}

/// One paginated call returns every user and group with their inline and
/// attached policies; group membership comes from the users' group lists.
/// Only the entity types the run reads are asked for (users for groups too,
/// as membership is on the user).
async fn authorization_details(ctx: &Ctx, client: &Client) -> Found {
    const OP: &str = "iam:GetAccountAuthorizationDetails";
    let mut found = Found::default();
    let (users, groups, roles, policies) =
        (ctx.wants(IamUser::KIND), ctx.wants(IamGroup::KIND), ctx.wants(IamRole::KIND), ctx.wants(IamPolicy::KIND));
    let filters = [
        (users || groups, EntityType::User),
        (groups, EntityType::Group),
        (roles, EntityType::Role),
        (policies, EntityType::LocalManagedPolicy),
    ];
    let filters: Vec<EntityType> = filters.into_iter().filter(|(on, _)| *on).map(|(_, f)| f).collect();
    if filters.is_empty() {
        return found;
    }
    let pages = client
        .get_account_authorization_details()
        .set_filter(Some(filters))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let pages = match pages {
        Ok(p) => p,
        Err(e) => {
            found.fail(ctx, GLOBAL, OP, &[IamUser::KIND, IamGroup::KIND, IamRole::KIND, IamPolicy::KIND], &e);
            return found;
        }
    };
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for user in pages.iter().flat_map(|p| p.user_detail_list()) {
        let name = user.user_name().unwrap_or_default().to_string();
        for g in user.group_list() {
            members.entry(g.clone()).or_default().insert(name.clone());
        }
        if !users {
            continue;
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
    for role in pages.iter().flat_map(|p| p.role_detail_list()) {
        let data = IamRole {
            name: role.role_name().unwrap_or_default().to_string(),
            arn: role.arn().unwrap_or_default().to_string(),
            path: role.path().unwrap_or("/").to_string(),
            created: time(role.create_date()),
            attached_policies: policy_refs(role.attached_managed_policies()),
            inline_policies: inline(role.role_policy_list()),
            last_used: time(role.role_last_used().and_then(|u| u.last_used_date())),
        };
        found.add(ctx, GLOBAL, data.arn.clone(), OP, &data);
    }
    for p in pages.iter().flat_map(|p| p.policies()) {
        let default = p.policy_version_list().iter().find(|v| v.is_default_version());
        let arn = p.arn().unwrap_or_default().to_string();
        let data = IamPolicy {
            // Some IAM implementations leave the name out; it ends the ARN.
            name: p
                .policy_name()
                .map(String::from)
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string()),
            arn,
            attachment_count: i64::from(p.attachment_count().unwrap_or(0)),
            permissions_boundary_usage_count: Some(i64::from(p.permissions_boundary_usage_count().unwrap_or(0))),
            document: document(default.and_then(|v| v.document()).unwrap_or("{}")),
        };
        found.add(ctx, GLOBAL, data.arn.clone(), OP, &data);
    }
    found
}

/// The credential report, generated on demand. AWS builds it
/// asynchronously and offers no waiter for it, hence the short poll, quick
/// at first (a recent report is ready at once) and backing off to a second.
async fn credential_report(ctx: &Ctx, client: &Client) -> Found {
    let mut found = Found::default();
    let mut wait = std::time::Duration::from_millis(25);
    for _ in 0..20 {
        match client.generate_credential_report().send().await {
            Ok(out) if out.state().is_some_and(|s| s.as_str() == "COMPLETE") => break,
            Ok(_) => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(1));
            }
            Err(e) => {
                found.fail(ctx, GLOBAL, "iam:GenerateCredentialReport", &[CredentialReportRow::KIND], &e);
                return found;
            }
        }
    }
    const OP: &str = "iam:GetCredentialReport";
    let out = match client.get_credential_report().send().await {
        Ok(out) => out,
        Err(e) => {
            found.fail(ctx, GLOBAL, OP, &[CredentialReportRow::KIND], &e);
            return found;
        }
    };
    let generated = time(out.generated_time());
    let content = out.content.map(|b| b.into_inner()).unwrap_or_default();
    let (rows, problems) = report_rows(&content, generated.as_deref());
    for problem in problems {
        found.extend(Found::incomplete(ctx, GLOBAL, OP, &[CredentialReportRow::KIND], problem));
    }
    for row in rows {
        found.add(ctx, GLOBAL, row.arn.clone(), OP, &row);
    }
    found
}

/// The credential report's rows, and what could not be read of it: an
/// empty report or a row that does not parse is missing evidence, which
/// must not read as an account without users.
fn report_rows(content: &[u8], generated: Option<&str>) -> (Vec<CredentialReportRow>, Vec<String>) {
    const WHAT: &str = "the credential report";
    if content.iter().all(u8::is_ascii_whitespace) {
        return (
            vec![],
            vec![format!("{WHAT} came back empty; generate it again (aws iam generate-credential-report)")],
        );
    }
    let mut reader = csv::Reader::from_reader(content);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return (vec![], vec![format!("{WHAT}'s header line does not parse: {e}")]),
    };
    let missing: Vec<&str> = ["user", "arn"].into_iter().filter(|c| !headers.iter().any(|h| h == *c)).collect();
    if !missing.is_empty() {
        return (vec![], vec![format!("{WHAT} has no {} column", missing.join(" or "))]);
    }
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    for (n, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{WHAT}, line {line}, does not parse: {e}"));
                continue;
            }
        };
        let get = |name: &str| headers.iter().position(|h| h == name).and_then(|i| record.get(i)).unwrap_or("");
        if get("arn").is_empty() {
            problems.push(format!("{WHAT}, line {line}, names no user ARN"));
            continue;
        }
        // The report writes N/A, not_supported or no_information for absent dates.
        let date = |name: &str| {
            chrono::DateTime::parse_from_rfc3339(get(name))
                .ok()
                .map(|d| d.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        let access_keys: Vec<AccessKeyUse> = (1..=2u8)
            .map(|n| AccessKeyUse {
                slot: n,
                active: get(&format!("access_key_{n}_active")) == "true",
                last_rotated: date(&format!("access_key_{n}_last_rotated")),
                last_used: date(&format!("access_key_{n}_last_used_date")),
            })
            .collect();
        let user = get("user").to_string();
        rows.push(CredentialReportRow {
            is_root: user == "<root_account>",
            arn: get("arn").to_string(),
            created: date("user_creation_time"),
            password_enabled: get("password_enabled") == "true",
            password_last_used: date("password_last_used"),
            password_last_changed: date("password_last_changed"),
            mfa_active: get("mfa_active") == "true",
            // Only an explicit "false" says there is no password: the
            // root user's row said not_supported before centralized root
            // access, and that must not read as "no root password".
            credentials_present: Some(get("password_enabled") != "false" || access_keys.iter().any(|k| k.active)),
            access_keys,
            report_generated_at: generated.map(String::from),
            user,
        });
    }
    (rows, problems)
}

async fn virtual_mfa(ctx: &Ctx, client: &Client) -> Found {
    let devices = client.list_virtual_mfa_devices().into_paginator().items().send().collect::<Vec<_>>().await;
    let devices = devices.into_iter().collect::<Result<Vec<_>, _>>();
    Found::each(ctx, GLOBAL, "iam:ListVirtualMFADevices", devices, |d| {
        let user_arn = d.user().map(|u| u.arn().to_string());
        let data = VirtualMfaDevice {
            serial: d.serial_number().to_string(),
            is_root: user_arn.as_deref().is_some_and(|a| a.ends_with(":root")),
            user_arn,
        };
        (data.serial.clone(), data)
    })
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

/// Policy documents arrive URL-encoded (RFC 3986); keep them as JSON.
fn document(raw: &str) -> serde_json::Value {
    let text = urlencoding::decode(raw).map(|c| c.into_owned()).unwrap_or_else(|_| raw.to_string());
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn inline(list: &[PolicyDetail]) -> Vec<InlinePolicy> {
    let mut v: Vec<InlinePolicy> = list
        .iter()
        .map(|p| InlinePolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            document: document(p.policy_document().unwrap_or_default()),
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

async fn summary(ctx: &Ctx, client: &Client) -> Found {
    let out = client.get_account_summary().send().await;
    Found::each(ctx, GLOBAL, "iam:GetAccountSummary", out.map(Some), |out| {
        let summary: BTreeMap<String, i64> = out
            .summary_map()
            .map(|m| m.iter().map(|(k, v)| (k.as_str().to_string(), i64::from(*v))).collect())
            .unwrap_or_default();
        let get = |k: &str| summary.get(k).copied().unwrap_or(0);
        let data = AccountSummary {
            root_mfa_enabled: get("AccountMFAEnabled") == 1,
            root_access_keys_present: get("AccountAccessKeysPresent") > 0,
            // An account that never changed the setting has version 1.
            global_endpoint_token_version: summary.get("GlobalEndpointTokenVersion").copied().unwrap_or(1),
            summary,
        };
        (format!("arn:aws:iam::{}:root", ctx.account), data)
    })
}

async fn password_policy(ctx: &Ctx, client: &Client) -> Found {
    let res = client.get_account_password_policy().send().await;
    // No policy is evidence too: the account runs on IAM's default.
    let policy = or_absent(res, |e| e.is_no_such_entity_exception()).map(|o| o.and_then(|o| o.password_policy));
    Found::each(ctx, GLOBAL, "iam:GetAccountPasswordPolicy", policy.map(Some), |p| {
        let p = p.as_ref();
        let data = PasswordPolicy {
            present: p.is_some(),
            minimum_password_length: p.and_then(|p| p.minimum_password_length()).map(i64::from),
            require_symbols: p.is_some_and(|p| p.require_symbols()),
            require_numbers: p.is_some_and(|p| p.require_numbers()),
            require_uppercase_characters: p.is_some_and(|p| p.require_uppercase_characters()),
            require_lowercase_characters: p.is_some_and(|p| p.require_lowercase_characters()),
            allow_users_to_change_password: p.is_some_and(|p| p.allow_users_to_change_password()),
            expire_passwords: p.is_some_and(|p| p.expire_passwords()),
            max_password_age: p.and_then(|p| p.max_password_age()).map(i64::from),
            password_reuse_prevention: p.and_then(|p| p.password_reuse_prevention()).map(i64::from),
            hard_expiry: p.and_then(|p| p.hard_expiry()).unwrap_or(false),
        };
        (format!("arn:aws:iam::{}:account-password-policy", ctx.account), data)
    })
}

/// Responses moto cannot produce, from aws-smithy-mocks: a root user with
/// MFA and access keys, and throttling that outlasts the retries.
#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput;
    use aws_sdk_iam::types::SummaryKeyType;
    use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, mock};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::collect::tests::{ctx, mock_config};

    fn client(interceptor: MockResponseInterceptor) -> Client {
        Client::from_conf(aws_sdk_iam::config::Builder::from(&mock_config()).interceptor(interceptor).build())
    }

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    /// Before, an empty report and a row that did not parse were dropped:
    /// an account whose report was unreadable read as one without users,
    /// and IAM.3/5/8/19/22 passed on no evidence.
    #[test]
    fn an_unreadable_credential_report_is_a_recorded_problem() {
        let (rows, problems) = report_rows(b"", None);
        assert!(rows.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("empty"), "{problems:?}");

        let body = format!(
            "{HEADER}\nalice,arn:aws:iam::111122223333:user/alice,2024-01-01T00:00:00+00:00,true,N/A,2024-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\nbob,arn:aws:iam::111122223333:user/bob,truncated\n"
        );
        let (rows, problems) = report_rows(body.as_bytes(), Some("2026-11-22T18:00:00Z"));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].report_generated_at.as_deref(), Some("2026-11-22T18:00:00Z"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("line 3"), "{problems:?}");

        let (_, problems) = report_rows(b"name,when\nx,y\n", None);
        assert!(problems[0].contains("no user or arn column"), "{problems:?}");
    }

    /// Centralized root access deletes the root password and keys; the
    /// report then says `password_enabled: false` for the root user. A
    /// report saying `not_supported` (as AWS long did for the root user)
    /// must not read as "no root password".
    #[test]
    fn root_credentials_are_absent_only_when_the_report_says_so() {
        let root = |password: &str, key: &str| {
            format!(
                "{HEADER}\n<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,{password},no_information,not_supported,not_supported,false,{key},N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
            )
        };
        let present = |body: String| report_rows(body.as_bytes(), None).0[0].credentials_present == Some(true);
        assert!(!present(root("false", "false")));
        assert!(present(root("not_supported", "false")));
        assert!(present(root("true", "false")));
        assert!(present(root("false", "true")));
    }

    #[tokio::test]
    async fn root_mfa_and_root_keys_come_from_the_summary() {
        let rule = mock!(Client::get_account_summary).then_output(|| {
            GetAccountSummaryOutput::builder()
                .summary_map(SummaryKeyType::AccountMfaEnabled, 1)
                .summary_map(SummaryKeyType::AccountAccessKeysPresent, 1)
                .summary_map(SummaryKeyType::GlobalEndpointTokenVersion, 2)
                .build()
        });
        let found = summary(&ctx(), &client(MockResponseInterceptor::new().with_rule(&rule))).await;
        assert!(found.errors.is_empty());
        let s: AccountSummary = serde_json::from_value(found.resources[0].data.clone()).unwrap();
        assert!(s.root_mfa_enabled && s.root_access_keys_present);
        assert_eq!(s.global_endpoint_token_version, 2);
    }

    #[tokio::test]
    async fn throttling_past_the_retries_is_recorded_not_fatal() {
        let throttled = || {
            HttpResponse::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
                ),
            )
        };
        let rule = mock!(Client::get_account_password_policy).then_http_response(throttled);
        let interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential).with_rule(&rule);
        let found = password_policy(&ctx(), &client(interceptor)).await;
        assert!(found.resources.is_empty());
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].code, "Throttling");
        assert_eq!(found.errors[0].operation, "iam:GetAccountPasswordPolicy");
        assert_eq!(found.errors[0].resource_types, vec![PasswordPolicy::KIND.to_string()]);
    }
}
