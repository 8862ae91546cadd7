//! S3: account-level Block Public Access (S3 Control), and for every bucket
//! its public access block, policy, ACL, ownership, encryption, versioning,
//! logging, lifecycle, Object Lock and event notifications. S3 answers
//! "not configured" with an error code; those codes are evidence, not errors.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationOutput;
use aws_sdk_s3::types::ExpirationStatus;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::{Ctx, Found, error_code, wanted};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{AclGrant, BUCKET_SETTINGS, BlockPublicAccess, Bucket, ResourceData, bucket_setting};

const PER_BUCKET: usize = 8;

/// Where buckets are listed, and read when their region is not given.
const LISTED_IN: &str = "us-east-1";

/// Buckets per `ListBuckets` page. Any `MaxBuckets` makes AWS answer each
/// bucket's region; 1,000 lists a typical account in one call.
const MAX_BUCKETS: i32 = 1000;

/// `Ok(None)` when S3 says the setting is simply not configured.
// The error is the SDK's own, handed straight back to `Found::fail`.
#[allow(clippy::result_large_err)]
fn absent<T, E>(r: Result<T, SdkError<E, HttpResponse>>, codes: &[&str]) -> Result<Option<T>, SdkError<E, HttpResponse>>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if codes.contains(&error_code(&e).0.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn collect(ctx: &Ctx) -> Found {
    let bucket_kinds: Vec<String> =
        std::iter::once(Bucket::KIND.to_string()).chain(BUCKET_SETTINGS.iter().copied().map(bucket_setting)).collect();
    let (a, b) = futures::join!(wanted(ctx, BlockPublicAccess::KIND, account_block(ctx)), async {
        if bucket_kinds.iter().any(|k| ctx.wants(k)) { buckets(ctx).await } else { Found::default() }
    });
    [a, b].into_iter().collect()
}

/// The bucket settings the run reads: those its catalog names, or all of
/// them for a catalog that names buckets but none of their settings, as it
/// has not said which of them it reads.
fn settings(ctx: &Ctx) -> Vec<&'static str> {
    let named: Vec<&str> = BUCKET_SETTINGS.iter().copied().filter(|s| ctx.wants(&bucket_setting(s))).collect();
    if named.is_empty() { BUCKET_SETTINGS.to_vec() } else { named }
}

async fn account_block(ctx: &Ctx) -> Found {
    let client = ctx.global_client::<aws_sdk_s3control::Client>();
    let res = client.get_public_access_block().account_id(ctx.account()).send().await;
    let out = absent(res, &["NoSuchPublicAccessBlockConfiguration"]);
    Found::each(ctx, GLOBAL, "s3:GetAccountPublicAccessBlock", out.map(Some), |out| {
        let c = out.as_ref().and_then(|o| o.public_access_block_configuration());
        let data = BlockPublicAccess {
            present: c.is_some(),
            block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
            ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
            block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
            restrict_public_buckets: c.and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
        };
        (format!("arn:aws:s3:::account/{}", ctx.account()), data)
    })
}

/// Every bucket with its region from one paginated `ListBuckets`: AWS
/// answers `BucketRegion` for each bucket when the request has a parameter
/// such as `MaxBuckets`, so no `GetBucketLocation` per bucket is needed.
async fn buckets(ctx: &Ctx) -> Found {
    let client = ctx.client::<Client>(LISTED_IN);
    let listed = client.list_buckets().max_buckets(MAX_BUCKETS).into_paginator().send().collect::<Vec<_>>().await;
    let listed: Result<Vec<_>, _> = listed.into_iter().collect();
    let names = listed.map(|pages| {
        pages
            .into_iter()
            .flat_map(|p| p.buckets.unwrap_or_default())
            .map(|b| (b.name.unwrap_or_default(), b.bucket_region))
    });
    let settings = settings(ctx);
    Found::each_read(ctx, GLOBAL, "s3:ListAllMyBuckets", &[Bucket::KIND], names, PER_BUCKET, |(name, region)| {
        bucket(ctx, name, region, &settings)
    })
    .await
}

/// How many lifecycle rules are (or are not) `Enabled`: a disabled rule
/// expires and transitions nothing, so only enabled ones count for S3.10
/// and S3.13, and the others are kept to say why a bucket with rules fails.
fn lifecycle(life: Option<&GetBucketLifecycleConfigurationOutput>, enabled: bool) -> i64 {
    let rules = life.map(|l| l.rules()).unwrap_or_default();
    rules.iter().filter(|r| (*r.status() == ExpirationStatus::Enabled) == enabled).count() as i64
}

// `read!` hands the SDK's own errors on to `Found::fail`.
#[allow(clippy::result_large_err)]
async fn bucket(ctx: &Ctx, name: String, region: Option<String>, settings: &[&str]) -> Found {
    let mut found = Found::default();
    // Bucket calls go to the bucket's own region. An endpoint that leaves
    // `BucketRegion` out (AWS never does for this request) gets them where
    // the list was read; a bucket elsewhere then answers with a redirect,
    // recorded as a failed read, never taken for an unset setting.
    let region = region.filter(|r| !r.is_empty()).unwrap_or_else(|| LISTED_IN.to_string());
    let c = ctx.client::<Client>(&region);
    let b = || name.as_str();
    // A setting the run does not read is not asked for.
    macro_rules! call {
        ($setting:literal, $send:expr) => {
            async { if settings.contains(&$setting) { Some($send.await) } else { None } }
        };
    }
    let (bpa, policy, status, acl, own, enc, ver, log, life, lock, notif) = futures::join!(
        call!("public_access_block", c.get_public_access_block().bucket(b()).send()),
        call!("policy", c.get_bucket_policy().bucket(b()).send()),
        call!("policy", c.get_bucket_policy_status().bucket(b()).send()),
        call!("acl", c.get_bucket_acl().bucket(b()).send()),
        call!("ownership", c.get_bucket_ownership_controls().bucket(b()).send()),
        call!("encryption", c.get_bucket_encryption().bucket(b()).send()),
        call!("versioning", c.get_bucket_versioning().bucket(b()).send()),
        call!("logging", c.get_bucket_logging().bucket(b()).send()),
        call!("lifecycle", c.get_bucket_lifecycle_configuration().bucket(b()).send()),
        call!("object_lock", c.get_object_lock_configuration().bucket(b()).send()),
        call!("notifications", c.get_bucket_notification_configuration().bucket(b()).send()),
    );
    // A failed read leaves one setting unknown: it is recorded under that
    // setting's own kind, and the bucket says which settings it lacks, so
    // only the controls that need the setting are affected. A setting not
    // read at all is listed the same way, so that its default value is
    // never shown or judged as the bucket's.
    let mut unreadable = Vec::new();
    macro_rules! read {
        ($r:expr, $op:literal, $setting:literal, $codes:expr) => {
            match $r.map(|r| absent(r, $codes)) {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    found.fail_about(ctx, &region, $op, &[bucket_setting($setting).as_str()], b(), &e);
                    if !unreadable.contains(&$setting.to_string()) {
                        unreadable.push($setting.to_string());
                    }
                    None
                }
                None => {
                    if !unreadable.contains(&$setting.to_string()) {
                        unreadable.push($setting.to_string());
                    }
                    None
                }
            }
        };
    }
    let bpa =
        read!(bpa, "s3:GetBucketPublicAccessBlock", "public_access_block", &["NoSuchPublicAccessBlockConfiguration"]);
    let policy = read!(policy, "s3:GetBucketPolicy", "policy", &["NoSuchBucketPolicy"]);
    let status = read!(status, "s3:GetBucketPolicyStatus", "policy", &["NoSuchBucketPolicy"]);
    let acl = read!(acl, "s3:GetBucketAcl", "acl", &[]);
    let own = read!(own, "s3:GetBucketOwnershipControls", "ownership", &["OwnershipControlsNotFoundError"]);
    let enc =
        read!(enc, "s3:GetEncryptionConfiguration", "encryption", &["ServerSideEncryptionConfigurationNotFoundError"]);
    let ver = read!(ver, "s3:GetBucketVersioning", "versioning", &[]);
    let log = read!(log, "s3:GetBucketLogging", "logging", &[]);
    let life = read!(life, "s3:GetLifecycleConfiguration", "lifecycle", &["NoSuchLifecycleConfiguration"]);
    let lock =
        read!(lock, "s3:GetBucketObjectLockConfiguration", "object_lock", &["ObjectLockConfigurationNotFoundError"]);
    let notif = read!(notif, "s3:GetBucketNotification", "notifications", &[]);

    let cfg = bpa.as_ref().and_then(|o| o.public_access_block_configuration());
    let data = Bucket {
        public_access_block: BlockPublicAccess {
            present: cfg.is_some(),
            block_public_acls: cfg.and_then(|c| c.block_public_acls()).unwrap_or(false),
            ignore_public_acls: cfg.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
            block_public_policy: cfg.and_then(|c| c.block_public_policy()).unwrap_or(false),
            restrict_public_buckets: cfg.and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
        },
        policy: policy
            .as_ref()
            .and_then(|p| p.policy())
            .map(|p| serde_json::from_str(p).unwrap_or(serde_json::Value::String(p.to_string()))),
        policy_is_public: status.as_ref().and_then(|s| s.policy_status()).and_then(|s| s.is_public()).unwrap_or(false),
        owner_id: acl.as_ref().and_then(|a| a.owner()).and_then(|o| o.id()).map(String::from),
        acl: acl
            .as_ref()
            .map(|a| {
                a.grants()
                    .iter()
                    .map(|g| AclGrant {
                        grantee_type: g.grantee().map(|x| x.r#type().as_str().to_string()).unwrap_or_default(),
                        grantee: g
                            .grantee()
                            .and_then(|x| x.uri().or(x.id()).or(x.email_address()))
                            .unwrap_or_default()
                            .to_string(),
                        permission: g.permission().map(|p| p.as_str().to_string()).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        object_ownership: own
            .as_ref()
            .and_then(|o| o.ownership_controls())
            .and_then(|o| o.rules().first())
            .map(|r| r.object_ownership().as_str().to_string()),
        encryption: enc
            .as_ref()
            .and_then(|e| e.server_side_encryption_configuration())
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string()),
        versioning: ver.as_ref().and_then(|v| v.status()).map(|s| s.as_str().to_string()),
        logging: log.as_ref().is_some_and(|l| l.logging_enabled().is_some()),
        lifecycle_rules: lifecycle(life.as_ref(), true),
        lifecycle_rules_disabled: lifecycle(life.as_ref(), false),
        object_lock: lock
            .as_ref()
            .and_then(|l| l.object_lock_configuration())
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|e| e.as_str() == "Enabled"),
        event_notifications: notif.as_ref().is_some_and(|n| {
            !n.topic_configurations().is_empty()
                || !n.queue_configurations().is_empty()
                || !n.lambda_function_configurations().is_empty()
                || n.event_bridge_configuration().is_some()
        }),
        unreadable,
        name,
    };
    found.add(ctx, &region, format!("arn:aws:s3:::{}", data.name), "s3:ListAllMyBuckets+GetBucket*", &data);
    found
}
