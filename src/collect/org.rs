//! A whole AWS Organization in one run: which accounts it reads, and the
//! credentials each is read with.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_organizations::Client;
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use chrono::Utc;

use super::{CollectError, error_code};
use crate::snapshot::{Account, CollectionError, GLOBAL, SCHEMA_VERSION, Snapshot, Window};

/// What an organisation run needs in the calling account, besides what
/// reading any account needs; the README lists the same actions.
#[cfg(test)]
pub(crate) const PERMISSIONS: &[&str] = &[
    "organizations:ListAccounts",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "sts:AssumeRole",
];

pub const DEFAULT_ROLE_NAME: &str = "EvidencePackReadOnly";

/// Which accounts of the organisation a run reads, and how it gets in.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// The role assumed in each member account.
    pub role_name: String,
    pub external_id: Option<String>,
    /// Only these accounts; `None` for all.
    pub accounts: Option<Vec<String>>,
    pub exclude_accounts: Vec<String>,
    /// Only the accounts under this organisational unit, at any depth.
    pub ou: Option<String>,
    pub shard: Option<Shard>,
}

impl Default for OrgOptions {
    fn default() -> OrgOptions {
        OrgOptions {
            role_name: DEFAULT_ROLE_NAME.into(),
            external_id: None,
            accounts: None,
            exclude_accounts: Vec::new(),
            ou: None,
            shard: None,
        }
    }
}

/// `--shard I/N`: the I-th (1-based) of N partitions of the sorted account list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("--shard {0:?}: expected I/N, two whole numbers with 1 ≤ I ≤ N (such as 2/8 for the second of eight shards)")]
pub struct ShardError(String);

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let number = |t: &str| t.trim().parse::<usize>().map_err(|_| bad());
        let (index, count) = (number(i)?, number(n)?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Round-robin over the sorted list: shards differ in size by at most
    /// one account, and the same list always splits the same way.
    fn keeps(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

/// The accounts a run reads, sorted: the organisation's active accounts
/// (`listed`), narrowed by `--accounts`, `--exclude-accounts` and `--shard`.
/// An `--accounts` id the organisation does not have is an error rather
/// than silently skipped, since a typo would leave an account unaudited.
pub(crate) fn select(
    listed: Vec<String>,
    options: &OrgOptions,
    under: Option<&str>,
) -> Result<Vec<String>, CollectError> {
    let listed: BTreeSet<String> = listed.into_iter().collect();
    let under = || under.map(|ou| format!(" under {ou}")).unwrap_or_default();
    if listed.is_empty() {
        // An empty pack would read as an organisation without findings.
        return Err(CollectError::NoAccounts { under: under() });
    }
    let mut chosen: Vec<String> = match &options.accounts {
        Some(wanted) => {
            let unknown: Vec<&str> = wanted.iter().filter(|a| !listed.contains(*a)).map(String::as_str).collect();
            if !unknown.is_empty() {
                return Err(CollectError::NotInOrganisation { accounts: unknown.join(", "), under: under() });
            }
            listed.into_iter().filter(|a| wanted.contains(a)).collect()
        }
        None => listed.into_iter().collect(),
    };
    chosen.retain(|a| !options.exclude_accounts.contains(a));
    if chosen.is_empty() {
        return Err(CollectError::AllExcluded);
    }
    // A shard may be empty (more shards than accounts): the others hold them.
    if let Some(shard) = options.shard {
        chosen = chosen.into_iter().enumerate().filter(|(i, _)| shard.keeps(*i)).map(|(_, a)| a).collect();
    }
    Ok(chosen)
}

fn is_active(a: &aws_sdk_organizations::types::Account) -> bool {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    // `State` replaces `Status` in the API; an answer may carry either.
    match (a.state(), a.status()) {
        (Some(state), _) => *state == AccountState::Active,
        (None, Some(status)) => *status == AccountStatus::Active,
        (None, None) => false,
    }
}

fn org_error<E>(
    operation: &str,
    e: &aws_sdk_organizations::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> CollectError
where
    E: aws_sdk_organizations::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let (code, message) = error_code(e);
    CollectError::Organization { operation: operation.to_string(), code, message }
}

/// The organisation's ACTIVE accounts, or those under `ou` at any depth.
pub(crate) async fn active_accounts(config: &SdkConfig, ou: Option<&str>) -> Result<Vec<String>, CollectError> {
    let client = Client::new(config);
    let accounts: Vec<aws_sdk_organizations::types::Account> = match ou {
        None => client
            .list_accounts()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| org_error("organizations:ListAccounts", &e))?
            .into_iter()
            .flat_map(|page| page.accounts.unwrap_or_default())
            .collect(),
        Some(ou) => {
            let mut found = Vec::new();
            let mut parents = vec![ou.to_string()];
            while let Some(parent) = parents.pop() {
                let accounts = client
                    .list_accounts_for_parent()
                    .parent_id(&parent)
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .map_err(|e| org_error("organizations:ListAccountsForParent", &e))?;
                found.extend(accounts.into_iter().flat_map(|page| page.accounts.unwrap_or_default()));
                let children = client
                    .list_organizational_units_for_parent()
                    .parent_id(&parent)
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .map_err(|e| org_error("organizations:ListOrganizationalUnitsForParent", &e))?;
                parents.extend(
                    children
                        .into_iter()
                        .flat_map(|page| page.organizational_units.unwrap_or_default())
                        .filter_map(|u| u.id),
                );
            }
            found
        }
    };
    Ok(accounts.iter().filter(|a| is_active(a)).filter_map(|a| a.id().map(str::to_string)).collect())
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), so that roles
/// are named in the partition the caller is in.
pub(crate) fn partition(arn: &str) -> &str {
    arn.split(':').nth(1).filter(|p| !p.is_empty()).unwrap_or("aws")
}

pub(crate) fn role_arn(partition: &str, account: &str, role_name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role_name}")
}

/// `config` with the credentials of `role_arn`, and the assumed identity's
/// ARN; or the AWS error code and message of a refused `sts:AssumeRole`.
/// The credentials renew themselves (see [`MemberRole`]), so an account
/// read for longer than the role's session still reads to the end.
pub(crate) async fn assume(
    sts: &aws_sdk_sts::Client,
    config: &SdkConfig,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<(SdkConfig, String), (String, String)> {
    let role =
        MemberRole { sts: sts.clone(), role_arn: role_arn.to_string(), external_id: external_id.map(str::to_string) };
    let (first, arn) = role.assume().await?;
    let provider = SharedCredentialsProvider::new(MemberRoleProvider { role, first });
    Ok((config.to_builder().credentials_provider(provider).build(), arn))
}

/// How a member account is entered: `sts:AssumeRole` into its role.
#[derive(Debug)]
struct MemberRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
}

impl MemberRole {
    /// Fresh credentials and the assumed identity's ARN, or the AWS error
    /// code and message.
    async fn assume(&self) -> Result<(Credentials, String), (String, String)> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name("evidence-pack")
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| error_code(&e))?;
        let Some(c) = out.credentials() else {
            return Err(("IncompleteResponse".into(), "sts:AssumeRole answered without credentials".into()));
        };
        // The expiry is what makes the SDK's identity cache ask again
        // before the session ends, instead of signing with dead keys.
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "sts:AssumeRole",
        );
        let arn = out.assumed_role_user().map(|u| u.arn().to_string()).unwrap_or_else(|| self.role_arn.clone());
        Ok((credentials, arn))
    }
}

/// A member's credentials for as long as its collection runs: the session
/// [`assume`] opened while it is fresh, then a new `sts:AssumeRole` each
/// time the SDK's identity cache finds the last one about to expire. A
/// session lasts an hour by default (and at most an hour when a role is
/// entered from another role), while one account of a large estate, or
/// the last accounts of a large organisation, can be read later than that.
#[derive(Debug)]
struct MemberRoleProvider {
    role: MemberRole,
    first: Credentials,
}

/// Credentials closer than this to their expiry are renewed rather than
/// handed out: the SDK's cache asks again shortly before expiry, and a
/// request signed now may take its retries' time to arrive.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

impl ProvideCredentials for MemberRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let fresh = |c: &Credentials| c.expiry().is_none_or(|at| at > SystemTime::now() + RENEW_BEFORE);
            if fresh(&self.first) {
                return Ok(self.first.clone());
            }
            self.role.assume().await.map(|(c, _)| c).map_err(|(code, message)| {
                CredentialsError::provider_error(format!("cannot renew {}: {code}: {message}", self.role.role_arn))
            })
        })
    }
}

/// An account that could not be entered: it is listed, with one error
/// that leaves every kind of its evidence missing, so each control reads
/// `error` for it with the reason and the AWS error code.
pub(crate) fn unreadable(account: &str, role_arn: &str, code: String, message: String, window: Window) -> Snapshot {
    Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: crate::tool(),
        collected_at: window,
        accounts: vec![Account {
            account_id: account.to_string(),
            alias: None,
            collector_arn: role_arn.to_string(),
            regions: Vec::new(),
            collected_at: None,
            regions_enabled: None,
            regions_unreadable: Vec::new(),
            calls: Default::default(),
        }],
        resources: Vec::new(),
        errors: vec![CollectionError {
            account: account.to_string(),
            region: GLOBAL.to_string(),
            operation: "sts:AssumeRole".to_string(),
            code,
            message: format!("cannot assume {role_arn}, so nothing in the account was read: {message}"),
            resource_types: crate::snapshot::kinds::ALL.iter().map(|k| k.to_string()).collect(),
            resource: None,
            collected_at: Utc::now(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sts::config::{BehaviorVersion, Region};
    use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::evaluate::Catalog;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{:012}", 100_000_000_000 + i * 7 % n)).collect()
    }

    #[test]
    fn shard_parses_only_i_of_n() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        assert_eq!("1/1".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "3", "1/0", "a/b", "-1/3", "1/3/5", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.to_string().contains("1 ≤ I ≤ N"), "{bad}: {e}");
        }
    }

    /// Every account is in exactly one shard, shard sizes differ by at most
    /// one, and the split depends only on the list, not on its order.
    #[test]
    fn shards_partition_the_sorted_accounts_evenly() {
        for n in [1, 2, 3, 7, 10] {
            for total in [1, 2, 5, 23] {
                let listed = ids(total);
                let mut reversed = listed.clone();
                reversed.reverse();
                let mut seen = Vec::new();
                let mut sizes = Vec::new();
                for i in 1..=n {
                    let o = OrgOptions { shard: Some(Shard { index: i, count: n }), ..OrgOptions::default() };
                    let part = select(listed.clone(), &o, None).unwrap();
                    assert_eq!(part, select(reversed.clone(), &o, None).unwrap());
                    sizes.push(part.len());
                    seen.extend(part);
                }
                seen.sort();
                let mut all = listed.clone();
                all.sort();
                all.dedup();
                assert_eq!(seen, all, "{n} shards of {total}");
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
            }
        }
    }

    #[test]
    fn accounts_and_exclusions_narrow_the_list() {
        let listed = vec!["333333333333".to_string(), "111111111111".into(), "222222222222".into()];
        let o = OrgOptions {
            accounts: Some(vec!["222222222222".into(), "333333333333".into()]),
            exclude_accounts: vec!["333333333333".into()],
            ..OrgOptions::default()
        };
        assert_eq!(select(listed.clone(), &o, None).unwrap(), ["222222222222"]);
        let o = OrgOptions { exclude_accounts: listed.clone(), ..OrgOptions::default() };
        assert!(matches!(select(listed.clone(), &o, None), Err(CollectError::AllExcluded)));
        let e = select(Vec::new(), &OrgOptions::default(), Some("ou-ab12-cdef3456")).unwrap_err().to_string();
        assert!(e.contains("no ACTIVE account under ou-ab12-cdef3456"), "{e}");
        let o = OrgOptions { accounts: Some(vec!["444444444444".into()]), ..OrgOptions::default() };
        let e = select(listed, &o, Some("ou-ab12-cdef3456")).unwrap_err().to_string();
        assert!(e.contains("444444444444") && e.contains("ou-ab12-cdef3456"), "{e}");
    }

    /// The README's list for organisation runs is what an administrator
    /// grants the calling account: exactly what `--org` calls.
    #[test]
    fn readme_lists_exactly_the_organisation_permissions() {
        let readme = include_str!("../../README.md");
        let section = readme.split("### Whole organisation").nth(1).expect("section in README");
        let after = section.split("The calling account also needs").nth(1).expect("the list in the section");
        let block = after.split("```").nth(1).expect("code block after it");
        let listed: BTreeSet<&str> = block.split_whitespace().collect();
        assert_eq!(listed, PERMISSIONS.iter().copied().collect());
    }

    #[test]
    fn roles_are_named_in_the_caller_s_partition() {
        assert_eq!(partition("arn:aws-cn:sts::123456789012:assumed-role/a/b"), "aws-cn");
        assert_eq!(partition("garbage"), "aws");
        assert_eq!(
            role_arn("aws-us-gov", "111111111111", "EvidencePackReadOnly"),
            "arn:aws-us-gov:iam::111111111111:role/EvidencePackReadOnly"
        );
    }

    /// An STS client whose calls get `rules`' answers, in order.
    fn sts_answering(rules: &[&Rule]) -> aws_sdk_sts::Client {
        let interceptor =
            rules.iter().fold(MockResponseInterceptor::new().rule_mode(RuleMode::Sequential), |i, r| i.with_rule(r));
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("AKIDEXAMPLE", "not-a-secret", None, None, "test"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }

    /// An AssumeRole answer whose session ends `seconds` from now.
    fn session(key: &str, seconds: i64) -> AssumeRoleOutput {
        let expiration = aws_smithy_types::DateTime::from_secs(Utc::now().timestamp() + seconds);
        let credentials = aws_sdk_sts::types::Credentials::builder()
            .access_key_id(key)
            .secret_access_key("not-a-secret")
            .session_token("not-a-token")
            .expiration(expiration)
            .build()
            .unwrap();
        AssumeRoleOutput::builder().credentials(credentials).build()
    }

    /// Before, a member was read with its first session's keys, fixed: an
    /// account still being read when the session ended (an hour, by
    /// default) got every later call refused. Now the keys carry their
    /// expiry, and a session about to end is renewed, while a fresh one
    /// costs no extra call.
    #[tokio::test]
    async fn a_member_s_credentials_renew_before_their_session_ends() {
        let role = role_arn("aws", "222222222222", DEFAULT_ROLE_NAME);
        let ending = mock!(aws_sdk_sts::Client::assume_role).then_output(|| session("ASIAENDING", 60));
        let renewed = mock!(aws_sdk_sts::Client::assume_role).then_output(|| session("ASIARENEWED", 3600));
        let sts = sts_answering(&[&ending, &renewed]);
        let (config, _) = assume(&sts, &SdkConfig::builder().build(), &role, None).await.unwrap();
        let credentials = config.credentials_provider().unwrap().provide_credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIARENEWED");
        assert!(credentials.expiry().is_some(), "without an expiry the SDK never asks again");
        assert_eq!((ending.num_calls(), renewed.num_calls()), (1, 1));

        let fresh = mock!(aws_sdk_sts::Client::assume_role).then_output(|| session("ASIAFRESH", 3600));
        let sts = sts_answering(&[&fresh]);
        let (config, _) = assume(&sts, &SdkConfig::builder().build(), &role, None).await.unwrap();
        let credentials = config.credentials_provider().unwrap().provide_credentials().await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAFRESH");
        assert_eq!(fresh.num_calls(), 1);
    }

    /// moto hands out credentials for any role, so a refused AssumeRole is
    /// an AWS answer only a mock gives. Before, there was no organisation
    /// run; the refusal must become that account's `error` on every
    /// control it reaches, while another account keeps its own verdicts.
    #[tokio::test]
    async fn a_refused_assume_role_is_that_account_s_error() {
        let denied = mock!(aws_sdk_sts::Client::assume_role).then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(403).unwrap(),
                SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>",
                ),
            )
        });
        let sts = sts_answering(&[&denied]);
        let role = role_arn("aws", "222222222222", DEFAULT_ROLE_NAME);
        let (code, message) = assume(&sts, &SdkConfig::builder().build(), &role, None).await.unwrap_err();
        assert_eq!(code, "AccessDenied");

        let example = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let window = example.collected_at;
        let failed = unreadable("222222222222", &role, code, message, window);
        let merged = Snapshot::merge(vec![example.clone(), failed]).unwrap();
        let catalog = Catalog::builtin();
        let alone = crate::evaluate::evaluate(&example, &catalog);
        let results = crate::evaluate::evaluate(&merged, &catalog);
        let json: serde_json::Value = serde_json::from_str(&results.to_json()).unwrap();
        let mut checked = 0;
        for c in json["controls"].as_array().unwrap() {
            let Some(accounts) = c["accounts"].as_array() else { continue };
            let of = |id: &str| accounts.iter().find(|a| a["account"] == id).map(|a| a["status"].clone());
            assert_eq!(of("222222222222"), Some("error".into()), "{c:#}");
            let before = alone.controls.iter().find(|r| r.id == c["id"]).unwrap();
            let account = example.accounts[0].account_id.as_str();
            assert_eq!(of(account), Some(before.status.as_str().into()), "{c:#}");
            checked += 1;
        }
        assert!(checked > 10, "only {checked} controls give per-account verdicts");
        let reason = serde_json::to_string(&json).unwrap();
        assert!(reason.contains("AccessDenied"), "the AWS error code is not in results.json");
        // The account that could not be read does not stop the pack.
        let signer = crate::seal::Signer::generate();
        let packed = crate::pack(&merged, &catalog, &crate::evaluate::Inputs::default(), &signer).unwrap();
        assert_eq!(packed.results, results);
    }
}
