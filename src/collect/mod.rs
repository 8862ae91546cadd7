//! Stage 1: read an account, or an organisation's accounts (`org`), through
//! the AWS SDK into a [`Snapshot`].
//!
//! Read-only. Calls run concurrently across accounts, services and regions,
//! all behind one cap on requests in flight (`http`); the SDK's own retry
//! and back-off handle throttling. A call that fails, or an account that
//! cannot be entered, becomes a [`CollectionError`] in the snapshot and
//! never stops the run: the controls that needed it evaluate to `error`.
//!
//! Which collectors exist, where each reads and what it produces is
//! `registry::COLLECTORS`; this module only runs the ones a run needs.

mod account;
mod acm;
mod billing;
mod cloudfront;
mod cloudtrail;
mod coverage;
mod ec2;
mod ecr;
mod ecs;
mod guardduty;
mod http;
mod iam;
mod kms;
mod org;
mod rds;
mod registry;
mod s3;
mod secretsmanager;
mod ssm;
mod sts;
mod wafv2;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::retry::{ClientRateLimiter, RetryPartition};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::snapshot::write::{SnapshotWriter, WriteError, Written};
use crate::snapshot::{Account, CollectionError, Resource, ResourceData, SCHEMA_VERSION, Snapshot, Source, Window};

pub use http::Limits;
pub use org::{DEFAULT_ROLE_NAME, OrgOptions, Shard, ShardError};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Regions to read regional services in; `None` reads every enabled region.
    pub regions: Option<Vec<String>>,
    /// Draw a progress bar on stderr (only shown on a terminal).
    pub progress: bool,
    /// Collect only services that produce these kinds (the ones a catalog
    /// reads); `None` collects everything.
    pub kinds: Option<std::collections::BTreeSet<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "cannot identify the AWS account (sts:GetCallerIdentity failed: {code}: {message}); check that credentials are configured (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO login) and that AWS_ENDPOINT_URL, if set, is reachable"
    )]
    Identity { code: String, message: String },
    #[error(
        "cannot list the organisation's accounts ({operation} failed: {code}: {message}); run --org from the management account or a delegated administrator with organizations:ListAccounts (and, for --ou, organizations:ListOrganizationalUnitsForParent and organizations:ListAccountsForParent)"
    )]
    Organization { operation: String, code: String, message: String },
    #[error(
        "--accounts names {accounts}, not an active account of the organisation{under}; check the ids with `aws organizations list-accounts`"
    )]
    NotInOrganisation { accounts: String, under: String },
    #[error(
        "organizations:ListAccounts lists no ACTIVE account{under}, so there is nothing to read; check that the credentials are the management account's or a delegated administrator's (`aws organizations list-accounts`)"
    )]
    NoAccounts { under: String },
    #[error("--exclude-accounts leaves no account to read")]
    AllExcluded,
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Load the standard AWS configuration chain (env, profiles, SSO, roles,
/// `AWS_ENDPOINT_URL`) with every call behind `limits`, and more patient
/// retries than the SDK default since one run makes many calls at once,
/// unless `AWS_MAX_ATTEMPTS` or `AWS_RETRY_MODE` says otherwise.
pub async fn load_config(profile: Option<&str>, limits: Limits) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http::client(limits))
        .stalled_stream_protection(http::stall_protection(limits));
    let chosen = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if !chosen("AWS_MAX_ATTEMPTS") && !chosen("AWS_RETRY_MODE") {
        loader = loader.retry_config(
            RetryConfig::adaptive().with_max_attempts(4).with_initial_backoff(Duration::from_millis(100)),
        );
    }
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        // IAM and STS need some region to sign with; us-east-1 is where AWS
        // itself sends global-service calls.
        return config.to_builder().region(Region::new("us-east-1")).build();
    }
    config
}

pub async fn collect(config: &SdkConfig, options: &Options) -> Result<Snapshot, CollectError> {
    let identity = sts::caller_identity(config).await?;
    Ok(collect_account(config, identity, options, progress_bar(options.progress)).await)
}

/// How many accounts an organisation run reads at once. Requests are capped
/// by [`Limits`] whatever this is; it bounds what unfinished accounts hold
/// in memory.
const ACCOUNTS_AT_ONCE: usize = 8;

/// Read the organisation's accounts (those `org` selects): the calling
/// account with the caller's credentials, every other through its role. An
/// account whose role cannot be assumed is recorded, never fatal. Each
/// account goes to `done` as soon as it is read, so only the accounts in
/// flight are held; the run's window is returned.
pub async fn collect_org_each(
    config: &SdkConfig,
    options: &Options,
    org: &OrgOptions,
    mut done: impl FnMut(Snapshot) -> Result<(), WriteError>,
) -> Result<Window, CollectError> {
    use futures::StreamExt;
    let started = Utc::now();
    let caller = sts::caller_identity(config).await?;
    let listed = org::active_accounts(config, org.ou.as_deref()).await?;
    let accounts = org::select(listed, org, org.ou.as_deref())?;
    let partition = org::partition(&caller.arn).to_string();
    let sts_client = aws_sdk_sts::Client::new(config);
    let bar = progress_bar(options.progress);
    bar.set_length(accounts.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} reading accounts [{bar:30}] {pos}/{len} accounts")
            .expect("static template")
            .progress_chars("=> "),
    );
    let read = |account: String| {
        let (caller, partition, sts_client, bar) = (&caller, &partition, &sts_client, &bar);
        async move {
            let hidden = ProgressBar::hidden();
            let part = if account == caller.account {
                collect_account(config, caller.clone(), options, hidden).await
            } else {
                let role = org::role_arn(partition, &account, &org.role_name);
                let account_started = Utc::now();
                match org::assume(sts_client, config, &role, org.external_id.as_deref()).await {
                    Ok((assumed, arn)) => {
                        collect_account(&assumed, sts::Identity { account, arn }, options, hidden).await
                    }
                    Err((code, message)) => {
                        let window = Window { started: account_started, finished: Utc::now() };
                        org::unreadable(&account, &role, code, message, window)
                    }
                }
            };
            bar.inc(1);
            part
        }
    };
    let mut parts = futures::stream::iter(accounts).map(read).buffer_unordered(ACCOUNTS_AT_ONCE);
    while let Some(mut part) = parts.next().await {
        // Each account keeps its own window (see `Snapshot::merge`), even
        // when this shard holds only one.
        let window = part.collected_at;
        for a in &mut part.accounts {
            a.collected_at.get_or_insert(window);
        }
        done(part)?;
    }
    bar.finish_and_clear();
    Ok(Window { started, finished: Utc::now() })
}

/// [`collect_org_each`] into one snapshot in memory, for `run`, whose
/// evaluation reads every account anyway.
pub async fn collect_org(config: &SdkConfig, options: &Options, org: &OrgOptions) -> Result<Snapshot, CollectError> {
    let mut parts = Vec::new();
    let window = collect_org_each(config, options, org, |p| {
        parts.push(p);
        Ok(())
    })
    .await?;
    let mut snapshot = Snapshot::merge(parts).unwrap_or_else(|| Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: crate::tool(),
        collected_at: window,
        accounts: Vec::new(),
        resources: Vec::new(),
        errors: Vec::new(),
    });
    snapshot.collected_at = window;
    Ok(snapshot)
}

/// [`collect_org_each`] straight into the snapshot file `writer` writes:
/// memory stays flat however many accounts the organisation has.
pub async fn collect_org_to(
    config: &SdkConfig,
    options: &Options,
    org: &OrgOptions,
    mut writer: SnapshotWriter,
) -> Result<Written, CollectError> {
    let window = collect_org_each(config, options, org, |p| writer.add(p)).await?;
    Ok(writer.finish(window)?)
}

/// Read one account, whose identity is known, into a snapshot of its own.
async fn collect_account(
    config: &SdkConfig,
    identity: sts::Identity,
    options: &Options,
    progress: ProgressBar,
) -> Snapshot {
    let started = Utc::now();
    let calls = http::Calls::default();
    let mut ctx = Ctx::new(http::counted(config, &calls), identity.account.clone(), progress);

    let mut found = Found::default();
    ctx.progress.set_message("listing regions");
    let (all_regions, (alias, alias_found)) = futures::join!(ec2::regions(&ctx), iam::account_alias(&ctx));
    found.extend(alias_found);
    let regions_enabled = all_regions.enabled();
    let regions = match (&options.regions, &regions_enabled) {
        (Some(chosen), _) => chosen.clone(),
        (None, Some(enabled)) => enabled.clone(),
        (None, None) => vec![ctx.home_region()],
    };
    let mut region_found = all_regions.found;
    if options.regions.is_none() && regions_enabled.is_none() {
        // Reading only the home region would let every regional control
        // pass on one region: the failure is recorded against every kind a
        // regional collector produces, so those controls read `error`.
        let regional: Vec<String> = registry::selected(options.kinds.as_ref())
            .filter(|c| c.scope == registry::Scope::Regional)
            .flat_map(|c| c.kinds.iter().map(|k| k.to_string()))
            .collect();
        for e in region_found.errors.iter_mut().filter(|e| e.operation == ec2::REGIONS_OPERATION) {
            e.resource_types.extend(regional.iter().cloned());
            e.message = format!(
                "{} (the enabled regions are unknown, so regional services were read in {} only)",
                e.message,
                ctx.home_region()
            );
        }
    }
    found.extend(region_found);
    ctx.regions = regions.clone();
    ctx.kinds = options.kinds.clone();
    ctx.regions.sort();
    let ctx = ctx;

    let mut tasks: Vec<Task> = Vec::new();
    for c in registry::selected(options.kinds.as_ref()) {
        let mut run = |region: String| {
            let ctx = &ctx;
            tasks.push(Box::pin(async move {
                let found = (c.run)(ctx, region).await;
                ctx.done();
                found
            }))
        };
        match c.scope {
            registry::Scope::Global => run(ctx.home_region()),
            registry::Scope::Home(region) => run(region.to_string()),
            registry::Scope::Regional => regions.iter().cloned().for_each(run),
        }
    }
    ctx.progress.set_length(tasks.len() as u64);
    ctx.progress.set_message(format!("reading {} regions", regions.len()));
    for part in futures::future::join_all(tasks).await {
        found.extend(part);
    }
    ctx.progress.finish_and_clear();
    let regions_unreadable =
        coverage::unreadable(&mut found.errors, &found.resources, &regions, options.kinds.as_ref());

    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: crate::tool(),
        collected_at: Window { started, finished: Utc::now() },
        accounts: vec![Account {
            account_id: identity.account,
            alias,
            collector_arn: identity.arn,
            regions,
            regions_enabled,
            collected_at: None,
            regions_unreadable,
            calls: calls.counts(),
        }],
        resources: found.resources,
        errors: found.errors,
    };
    snapshot.normalise();
    snapshot
}

pub(crate) type Task<'a> = Pin<Box<dyn Future<Output = Found> + Send + 'a>>;

/// An AWS SDK service client that [`Ctx::client`] can build.
pub(crate) trait Service {
    /// The name its retry partitions start with, as the SDK's own do.
    const NAME: &'static str;
    fn build(config: &SdkConfig, partition: RetryPartition) -> Self;
}

macro_rules! services {
    ($($krate:ident => $name:literal),* $(,)?) => {$(
        impl Service for $krate::Client {
            const NAME: &'static str = $name;
            fn build(config: &SdkConfig, partition: RetryPartition) -> Self {
                $krate::Client::from_conf($krate::config::Builder::from(config).retry_partition(partition).build())
            }
        }
    )*};
}

services!(
    aws_sdk_account => "account",
    aws_sdk_acm => "acm",
    aws_sdk_cloudfront => "cloudfront",
    aws_sdk_cloudtrail => "cloudtrail",
    aws_sdk_cloudwatch => "cloudwatch",
    aws_sdk_costexplorer => "costexplorer",
    aws_sdk_ec2 => "ec2",
    aws_sdk_ecr => "ecr",
    aws_sdk_ecs => "ecs",
    aws_sdk_guardduty => "guardduty",
    aws_sdk_iam => "iam",
    aws_sdk_kms => "kms",
    aws_sdk_organizations => "organizations",
    aws_sdk_rds => "rds",
    aws_sdk_s3 => "s3",
    aws_sdk_s3control => "s3control",
    aws_sdk_secretsmanager => "secretsmanager",
    aws_sdk_ssm => "ssm",
    aws_sdk_wafv2 => "wafv2",
);

fn progress_bar(enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} service reads")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// What every collector gets: the SDK config, the account, and the progress bar.
pub(crate) struct Ctx {
    config: SdkConfig,
    account: String,
    progress: ProgressBar,
    /// The regions regional collectors run in, sorted.
    regions: Vec<String>,
    /// This account's retry state per service and region (see [`Ctx::client`]).
    partitions: std::sync::Mutex<std::collections::BTreeMap<String, RetryPartition>>,
    /// The kinds the run's catalog reads ([`Options::kinds`]); `None` for all.
    kinds: Option<std::collections::BTreeSet<String>>,
}

impl Ctx {
    pub(crate) fn new(config: SdkConfig, account: String, progress: ProgressBar) -> Ctx {
        Ctx { config, account, progress, regions: Vec::new(), partitions: Default::default(), kinds: None }
    }

    /// Whether the run reads `kind`: a collector skips the calls for kinds
    /// its catalog never reads (a SEC-002-only catalog lists no EBS
    /// snapshots), whichever service they belong to.
    pub(crate) fn wants(&self, kind: &str) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(kind))
    }

    /// A context for collector unit tests: no progress bar, no regions.
    #[cfg(test)]
    pub(crate) fn for_test(config: SdkConfig, account: &str) -> Ctx {
        Ctx::new(config, account.to_string(), ProgressBar::hidden())
    }

    /// SDK config pinned to one region.
    pub(crate) fn in_region(&self, region: &str) -> SdkConfig {
        self.config.to_builder().region(Region::new(region.to_string())).build()
    }

    /// A client of one service in `region`, with this account's own retry
    /// state. The SDK keeps adaptive retry's rate limiter and retry token
    /// bucket per retry partition, by default one per service and region
    /// for the whole process: one throttled account would slow every
    /// other account's calls to that service. Each account gets its own
    /// partitions, which go when the account is done.
    pub(crate) fn client<C: Service>(&self, region: &str) -> C {
        C::build(&self.in_region(region), self.partition(C::NAME, region))
    }

    /// [`Ctx::client`] in the configured region, for global services.
    pub(crate) fn global_client<C: Service>(&self) -> C {
        C::build(&self.config, self.partition(C::NAME, &self.home_region()))
    }

    /// The retry partition of `service` in `region` for this account, the
    /// same one for every client of it.
    pub(crate) fn partition(&self, service: &str, region: &str) -> RetryPartition {
        let mut partitions = self.partitions.lock().unwrap_or_else(|e| e.into_inner());
        partitions
            .entry(format!("{service}-{region}"))
            .or_insert_with(|| {
                let now =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
                RetryPartition::custom(format!("{service}-{region}-{}", self.account))
                    .client_rate_limiter(ClientRateLimiter::new(now))
                    .build()
            })
            .clone()
    }

    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    pub(crate) fn home_region(&self) -> String {
        self.config.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into())
    }

    /// The first region the run reads, where a regional collector also
    /// reads what its service keeps globally (CloudFront-scoped web ACLs).
    pub(crate) fn first_region(&self) -> Option<&str> {
        self.regions.first().map(String::as_str)
    }

    pub(crate) fn done(&self) {
        self.progress.inc(1);
    }
}

/// Resources and errors found by one collector.
#[derive(Default)]
pub(crate) struct Found {
    resources: Vec<Resource>,
    errors: Vec<CollectionError>,
}

impl Found {
    pub(crate) fn extend(&mut self, other: Found) {
        self.resources.extend(other.resources);
        self.errors.extend(other.errors);
    }

    pub(crate) fn add<T: ResourceData>(
        &mut self,
        ctx: &Ctx,
        region: &str,
        id: impl Into<String>,
        operation: &str,
        data: &T,
    ) {
        self.resources.push(Resource {
            kind: T::KIND.to_string(),
            id: id.into(),
            account: ctx.account.clone(),
            region: region.to_string(),
            source: Source { operation: operation.to_string(), collected_at: Utc::now() },
            data: serde_json::to_value(data).expect("resource data serialises"),
        });
    }

    /// The shape most reads share: one call lists items (or returns one:
    /// pass `Some(out)`), each item becomes a resource (`item` makes its id
    /// and data), and a failed call is recorded under the kind it would
    /// have produced.
    pub(crate) fn each<I, T, E>(
        ctx: &Ctx,
        region: &str,
        operation: impl Operation,
        listed: Result<I, SdkError<E, HttpResponse>>,
        mut item: impl FnMut(I::Item) -> (String, T),
    ) -> Found
    where
        I: IntoIterator,
        T: ResourceData,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut found = Found::default();
        match listed {
            Ok(items) => {
                for i in items {
                    let (id, data) = item(i);
                    found.add(ctx, region, id, operation.source(), &data);
                }
            }
            Err(e) => found.fail(ctx, region, operation.call(), &[T::KIND], &e),
        }
        found
    }

    /// The other shape reads share: one call lists items, each item is read
    /// further by `read` (at most `limit` at once), and a failed list call is
    /// recorded under `kinds`, the kinds its items would have produced.
    pub(crate) async fn each_read<I, E, F, Fut>(
        ctx: &Ctx,
        region: &str,
        operation: &str,
        kinds: &[&str],
        listed: Result<I, SdkError<E, HttpResponse>>,
        limit: usize,
        read: F,
    ) -> Found
    where
        I: IntoIterator,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        F: FnMut(I::Item) -> Fut,
        Fut: Future<Output = Found>,
    {
        match listed {
            Ok(items) => per_item(items, limit, read).await,
            Err(e) => Found::failed(ctx, region, operation, kinds, &e),
        }
    }

    /// Only a failed call, for reads that stop at it.
    pub(crate) fn failed<E>(
        ctx: &Ctx,
        region: &str,
        operation: &str,
        kinds: &[&str],
        err: &SdkError<E, HttpResponse>,
    ) -> Found
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut found = Found::default();
        found.fail(ctx, region, operation, kinds, err);
        found
    }

    /// Record a call that answered without the evidence it exists for (a
    /// `DescribeKey` with no key metadata): missing evidence must not read
    /// as compliance.
    pub(crate) fn incomplete(ctx: &Ctx, region: &str, operation: &str, kinds: &[&str], message: String) -> Found {
        let mut found = Found::default();
        found.push_error(ctx, region, operation, kinds, None, ("IncompleteResponse".to_string(), message));
        found
    }

    /// Record a failed call; `kinds` are the resource kinds it would have produced.
    pub(crate) fn fail<E>(
        &mut self,
        ctx: &Ctx,
        region: &str,
        operation: &str,
        kinds: &[&str],
        err: &SdkError<E, HttpResponse>,
    ) where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.push_error(ctx, region, operation, kinds, None, error_code(err));
    }

    /// Record a failed call about one resource (a bucket's setting, a key's
    /// rotation), naming it.
    pub(crate) fn fail_about<E>(
        &mut self,
        ctx: &Ctx,
        region: &str,
        operation: &str,
        kinds: &[&str],
        resource: &str,
        err: &SdkError<E, HttpResponse>,
    ) where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.push_error(ctx, region, operation, kinds, Some(resource), error_code(err));
    }

    fn push_error(
        &mut self,
        ctx: &Ctx,
        region: &str,
        operation: &str,
        kinds: &[&str],
        resource: Option<&str>,
        (code, message): (String, String),
    ) {
        self.errors.push(CollectionError {
            account: ctx.account.clone(),
            region: region.to_string(),
            operation: operation.to_string(),
            code,
            message,
            resource_types: kinds.iter().map(|k| k.to_string()).collect(),
            resource: resource.map(str::to_string),
            collected_at: Utc::now(),
        });
    }
}

/// The operation [`Found::each`] records: the call whose failure is
/// recorded, and the calls a resource's data came from. They differ when a
/// described item was first listed (`("kms:DescribeKey",
/// "kms:ListKeys+DescribeKey")`); a lone `&str` is both.
pub(crate) trait Operation {
    fn call(&self) -> &str;
    fn source(&self) -> &str;
}

impl Operation for &str {
    fn call(&self) -> &str {
        self
    }
    fn source(&self) -> &str {
        self
    }
}

impl Operation for (&str, &str) {
    fn call(&self) -> &str {
        self.0
    }
    fn source(&self) -> &str {
        self.1
    }
}

impl FromIterator<Found> for Found {
    fn from_iter<I: IntoIterator<Item = Found>>(parts: I) -> Found {
        let mut found = Found::default();
        for p in parts {
            found.extend(p);
        }
        found
    }
}

/// `Ok(None)` for the error a service answers when the setting is simply
/// not configured (`absent` picks it out): that is evidence, not a failure.
// The error is the SDK's own, handed straight back to `Found::each`.
#[allow(clippy::result_large_err)]
pub(crate) fn or_absent<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    absent: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, SdkError<E, HttpResponse>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.as_service_error().is_some_and(absent) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The AWS error code of a failed call, or the transport failure class when
/// AWS never answered, with a one-line message.
pub(crate) fn error_code<E>(err: &SdkError<E, HttpResponse>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (code, message) = match err {
        SdkError::ServiceError(e) => match e.err().code() {
            Some(code) => (code.to_string(), e.err().message().unwrap_or_default().to_string()),
            None => unparsed(e.raw()),
        },
        SdkError::TimeoutError(_) => ("TimeoutError".into(), DisplayErrorContext(err).to_string()),
        SdkError::DispatchFailure(_) => ("DispatchFailure".into(), DisplayErrorContext(err).to_string()),
        SdkError::ResponseError(e) => unparsed(e.raw()),
        SdkError::ConstructionFailure(_) => ("ConstructionFailure".into(), DisplayErrorContext(err).to_string()),
        _ => ("UnknownError".into(), DisplayErrorContext(err).to_string()),
    };
    (code, message.replace('\n', " "))
}

/// An error body the service's protocol could not parse: a proxy, a
/// gateway or an emulator answered in another format. The query-protocol
/// `<Code>` is still worth reading; otherwise the HTTP status is the code.
fn unparsed(raw: &HttpResponse) -> (String, String) {
    let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default());
    let tag = |t: &str| {
        let open = format!("<{t}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{t}>"))?;
        Some(body[start..start + end].to_string())
    };
    let status = raw.status().as_u16();
    let code = match tag("Code") {
        Some(c) => c,
        // A success status with a body the SDK could not read.
        None if raw.status().is_success() => "UnreadableResponse".to_string(),
        None => format!("HTTP{status}"),
    };
    let message = tag("Message").unwrap_or_else(|| body.chars().take(200).collect());
    (code, format!("{message} (HTTP {status})"))
}

/// Run one collector future per item (a key, a trail, a bucket), at most
/// `limit` at once, and gather what they found.
pub(crate) async fn per_item<I, F, Fut>(items: I, limit: usize, f: F) -> Found
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Found>,
{
    use futures::StreamExt;
    futures::stream::iter(items).map(f).buffer_unordered(limit).collect::<Vec<_>>().await.into_iter().collect()
}

/// `read`, if the run reads `kind` (see [`Ctx::wants`]); nothing otherwise,
/// and no call is made.
pub(crate) async fn wanted(ctx: &Ctx, kind: &str, read: impl Future<Output = Found>) -> Found {
    if ctx.wants(kind) { read.await } else { Found::default() }
}

/// An AWS timestamp as RFC 3339 in UTC, the one format a snapshot uses.
pub(crate) fn time(t: Option<&aws_sdk_iam::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| {
        chrono::DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

#[cfg(test)]
pub(crate) mod tests;
