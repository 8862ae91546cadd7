//! `run` against moto: a misconfigured account, a well-configured one, and
//! one whose collector is denied some calls.

use std::path::Path;
use std::process::Command;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};

use crate::harness::{self, Moto, REGION, control, entry, keypair, nacl_entry, network_acl, run, statuses};

/// A self-signed certificate valid for `days` days, made with openssl.
fn certificate(dir: &Path, domain: &str, days: u32) -> (Vec<u8>, Vec<u8>) {
    let (key, cert) = (dir.join(format!("{domain}.key")), dir.join(format!("{domain}.crt")));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", &days.to_string(), "-subj"])
        .arg(format!("/CN={domain}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (std::fs::read(cert).unwrap(), std::fs::read(key).unwrap())
}

const ADMIN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const EC2_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
const READ_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","s3:List*"],"Resource":"*"}]}"#;

const SCOPED_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances","ec2:Describe*"],"Resource":"*"}]}"#;
const SCOPED_ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","ec2:Describe*"],"Resource":"*"}]}"#;

/// The IAM side of the seed document: three groups with 2, 4 and 1 users,
/// each group with a policy; `least_privilege` swaps the wildcard policies
/// for scoped ones.
async fn seed_groups(cfg: &SdkConfig, least_privilege: bool) {
    let iam = aws_sdk_iam::Client::new(cfg);
    let (ec2, admin) = if least_privilege { (SCOPED_EC2, SCOPED_ADMIN) } else { (EC2_POLICY, ADMIN_POLICY) };
    for (group, policy, users) in [
        ("AdministracionEC2Instances", ec2, vec!["ec2-admin-1", "ec2-admin-2"]),
        ("Administrador", admin, vec!["admin-1", "admin-2", "admin-3", "admin-4"]),
        ("ReadOnly", READ_POLICY, vec!["auditor"]),
    ] {
        let arn = iam
            .create_policy()
            .policy_name(format!("{group}Policy"))
            .policy_document(policy)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap()
            .arn
            .unwrap();
        iam.create_group().group_name(group).send().await.unwrap();
        iam.attach_group_policy().group_name(group).policy_arn(&arn).send().await.unwrap();
        for u in users {
            iam.create_user().user_name(u).send().await.unwrap();
            iam.add_user_to_group().group_name(group).user_name(u).send().await.unwrap();
        }
    }
}

async fn trail(cfg: &SdkConfig, name: &str, multi_region: bool, validation: bool, kms: Option<&str>, logging: bool) {
    let s3 = aws_sdk_s3::Client::new(cfg);
    let bucket = format!("aws-cloudtrail-logs-{name}");
    // Object Lock can only be turned on when a bucket is created.
    s3.create_bucket().bucket(&bucket).object_lock_enabled_for_bucket(kms.is_some()).send().await.unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    let mut req = ct
        .create_trail()
        .name(name)
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(multi_region)
        .enable_log_file_validation(validation);
    if let Some(k) = kms {
        req = req.kms_key_id(k);
    }
    req.send().await.unwrap();
    harness::record_management_events(&ct, name).await;
    if logging {
        ct.start_logging().name(name).send().await.unwrap();
    }
}

async fn open_port(ec2: &aws_sdk_ec2::Client, group: &str, port: i32, v6: bool) {
    let id = ec2.create_security_group().group_name(group).description(group).send().await.unwrap().group_id.unwrap();
    let mut perm = IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port);
    perm = if v6 {
        perm.ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
    } else {
        perm.ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
    };
    ec2.authorize_security_group_ingress().group_id(id).ip_permissions(perm.build()).send().await.unwrap();
}

/// The seed document's symmetric key, with its alias.
async fn ad_key(kms: &aws_sdk_kms::Client) -> aws_sdk_kms::types::KeyMetadata {
    let key = kms
        .create_key()
        .description("AD key")
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    kms.create_alias().alias_name("alias/seguropatria-ad-kms").target_key_id(&key.key_id).send().await.unwrap();
    key
}

/// A certificate for patria.plus that expires in `days`, imported into ACM.
async fn import_certificate(cfg: &SdkConfig, dir: &Path, days: u32) {
    let (cert, pk) = certificate(dir, "patria.plus", days);
    aws_sdk_acm::Client::new(cfg)
        .import_certificate()
        .certificate(aws_sdk_acm::primitives::Blob::new(cert))
        .private_key(aws_sdk_acm::primitives::Blob::new(pk))
        .send()
        .await
        .unwrap();
}

/// The seed document's account, as it stood: every listed control fails
/// that moto can make fail.
async fn seed_misconfigured(cfg: &SdkConfig, dir: &Path) {
    seed_groups(cfg, false).await;
    let iam = aws_sdk_iam::Client::new(cfg);
    // A console password without MFA (IAM.5).
    iam.create_login_profile().user_name("admin-1").password("Temp-Passw0rd!").send().await.unwrap();
    // A user with permissions of its own (IAM.2).
    iam.create_user().user_name("legacy-deployer").send().await.unwrap();
    iam.put_user_policy()
        .user_name("legacy-deployer")
        .policy_name("deploy")
        .policy_document(ADMIN_POLICY)
        .send()
        .await
        .unwrap();
    // No password policy (IAM.7).

    // A customer managed key without rotation (KMS.4).
    ad_key(&aws_sdk_kms::Client::new(cfg)).await;

    // A certificate that expires in 10 days (ACM.1).
    import_certificate(cfg, dir, 10).await;

    // A single-region trail that is not logging, unvalidated and unencrypted
    // (CloudTrail.1, .2, .4).
    trail(cfg, "management-events", false, false, None, false).await;

    // SSH and RDP open to the world (EC2.13, EC2.14, EC2.18, EC2.19); the
    // default group keeps moto's default rules (EC2.2); a network ACL allows
    // everything (EC2.21: Security Hub leaves default ACLs out).
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let acl = network_acl(&ec2).await;
    nacl_entry(&ec2, &acl, 100, "-1", true, None).await;
    open_port(&ec2, "ssh-open", 22, false).await;
    open_port(&ec2, "rdp-open", 3389, true).await;
    // A snapshot anyone can restore (EC2.1).
    let snap = snapshot(&ec2).await;
    ec2.modify_snapshot_attribute()
        .snapshot_id(&snap)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .operation_type(aws_sdk_ec2::types::OperationType::Add)
        .group_names("all")
        .send()
        .await
        .unwrap();
    // A public website bucket with a policy that lets anyone upload and
    // another account rewrite the policy (S3.1 to S3.15).
    let s3 = aws_sdk_s3::Client::new(cfg);
    s3.create_bucket().bucket("public-site").send().await.unwrap();
    s3.put_bucket_acl().bucket("public-site").acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead).send().await.unwrap();
    s3.put_bucket_policy()
        .bucket("public-site")
        .policy(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::public-site/*"},
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::public-site"}]}"#)
        .send()
        .await
        .unwrap();
    // A MySQL instance without IAM authentication, with a public snapshot
    // (RDS.10, RDS.1); a repository without scanning (ECR.1); a web ACL
    // without rules (WAF.10).
    let rds = aws_sdk_rds::Client::new(cfg);
    mysql(&rds, false).await;
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("patria-db-manual")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .unwrap();
    aws_sdk_ecr::Client::new(cfg).create_repository().repository_name("patria/api").send().await.unwrap();
    harness::empty_web_acl(cfg, "empty-acl", aws_sdk_wafv2::types::Scope::Regional).await;
    // A task definition with credentials in its environment (ECS.8), and a
    // public SSM document (SSM.4).
    harness::task_family(cfg, "patria-api", &[true]).await;
    let ssm = aws_sdk_ssm::Client::new(cfg);
    ssm_document(&ssm).await;
    ssm.modify_document_permission()
        .name("patch-now")
        .permission_type(aws_sdk_ssm::types::DocumentPermissionType::Share)
        .account_ids_to_add("all")
        .send()
        .await
        .unwrap();
    // A secret that never rotates (SecretsManager.1); no GuardDuty
    // (GuardDuty.1), no security contact (Account.1), no organization (Account.2).
    aws_sdk_secretsmanager::Client::new(cfg)
        .create_secret()
        .name("db-password")
        .secret_string("not-a-real-secret")
        .send()
        .await
        .unwrap();
}

/// Every S3 protection on (S3.4 to S3.15).
async fn harden_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    use aws_sdk_s3::types::*;
    // Access logs into the bucket itself; moto wants the log-delivery grant
    // before ACLs are switched off below.
    let log_delivery = "uri=http://acs.amazonaws.com/groups/s3/LogDelivery";
    s3.put_bucket_acl().bucket(bucket).grant_write(log_delivery).grant_read_acp(log_delivery).send().await.unwrap();
    s3.put_bucket_logging()
        .bucket(bucket)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder().target_bucket(bucket).target_prefix("access-logs/").build().unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-noncurrent")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder().noncurrent_days(90).build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    harness::settle_bucket(s3, bucket).await;
}

async fn ssm_document(ssm: &aws_sdk_ssm::Client) {
    ssm.create_document()
        .name("patch-now")
        .document_type(aws_sdk_ssm::types::DocumentType::Command)
        .content(r#"{"schemaVersion":"2.2","description":"Patch","mainSteps":[{"action":"aws:runShellScript","name":"patch","inputs":{"runCommand":["yum -y update"]}}]}"#)
        .send()
        .await
        .unwrap();
}

async fn mysql(rds: &aws_sdk_rds::Client, iam_auth: bool) {
    rds.create_db_instance()
        .db_instance_identifier("patria-db")
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .enable_iam_database_authentication(iam_auth)
        .send()
        .await
        .unwrap();
    rds.create_db_snapshot()
        .db_instance_identifier("patria-db")
        .db_snapshot_identifier("patria-db-manual")
        .send()
        .await
        .unwrap();
}

async fn snapshot(ec2: &aws_sdk_ec2::Client) -> String {
    let vol = ec2.create_volume().availability_zone("us-east-1a").size(1).send().await.unwrap().volume_id.unwrap();
    ec2.create_snapshot().volume_id(vol).send().await.unwrap().snapshot_id.unwrap()
}

/// The same account after remediation.
async fn seed_well_configured(cfg: &SdkConfig, dir: &Path) {
    seed_groups(cfg, true).await;
    let iam = aws_sdk_iam::Client::new(cfg);
    // Every user has MFA, and the console user too (IAM.5, IAM.19).
    iam.create_login_profile().user_name("admin-1").password("Temp-Passw0rd!").send().await.unwrap();
    for u in ["ec2-admin-1", "ec2-admin-2", "admin-1", "admin-2", "admin-3", "admin-4", "auditor"] {
        let serial = iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(u)
            .send()
            .await
            .unwrap()
            .virtual_mfa_device
            .unwrap()
            .serial_number;
        iam.enable_mfa_device()
            .user_name(u)
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap();
    }
    // A support role (IAM.18); AWS managed policies exist in moto only with
    // MOTO_IAM_LOAD_MANAGED_POLICIES=true.
    iam.create_role()
        .role_name("aws-support")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("aws-support")
        .policy_arn("arn:aws:iam::aws:policy/AWSSupportAccess")
        .send()
        .await
        .unwrap();
    iam.update_account_password_policy()
        .minimum_password_length(14)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .password_reuse_prevention(24)
        .max_password_age(90)
        .send()
        .await
        .unwrap();

    let kms = aws_sdk_kms::Client::new(cfg);
    let key = ad_key(&kms).await;
    kms.enable_key_rotation().key_id(&key.key_id).send().await.unwrap();
    // An asymmetric key cannot rotate and is out of KMS.4's scope.
    kms.create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap();

    import_certificate(cfg, dir, 365).await;

    trail(cfg, "management-events", true, true, key.arn.as_deref(), true).await;
    harden_bucket(&aws_sdk_s3::Client::new(cfg), "aws-cloudtrail-logs-management-events").await;

    // GuardDuty on, a security contact, an organization. (No snapshot: moto
    // ignores DescribeSnapshots' RestorableByUserIds filter, so every
    // snapshot looks public; EC2.1's passing case is evaluated over a snapshot.)
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    aws_sdk_guardduty::Client::new(cfg).create_detector().enable(true).send().await.unwrap();
    aws_sdk_account::Client::new(cfg)
        .put_alternate_contact()
        .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
        .name("Security team")
        .title("SOC")
        .email_address("soc@example.com")
        .phone_number("+1-555-0100")
        .send()
        .await
        .unwrap();
    aws_sdk_organizations::Client::new(cfg).create_organization().send().await.unwrap();
    // A network ACL that admits only HTTPS from anywhere (EC2.21).
    let acl = network_acl(&ec2).await;
    nacl_entry(&ec2, &acl, 100, "6", true, Some(443)).await;

    // A MySQL instance with IAM authentication and a private snapshot; a
    // repository that scans on push.
    let rds = aws_sdk_rds::Client::new(cfg);
    mysql(&rds, true).await;
    aws_sdk_ecr::Client::new(cfg)
        .create_repository()
        .repository_name("patria/api")
        .image_scanning_configuration(
            aws_sdk_ecr::types::ImageScanningConfiguration::builder().scan_on_push(true).build(),
        )
        .send()
        .await
        .unwrap();

    harness::task_family(cfg, "patria-api", &[false]).await;
    ssm_document(&aws_sdk_ssm::Client::new(cfg)).await;
    // (No billing alarm: the SDK speaks CloudWatch's CBOR protocol, which
    // moto does not; EP.Billing.2 is evaluated over a snapshot.)

    // Only restricted or low-risk exposure, and an empty default group.
    open_port(&ec2, "https-public", 443, false).await;
    let default = ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values("default").build())
        .send()
        .await
        .unwrap();
    for g in default.security_groups() {
        let id = g.group_id().unwrap();
        if !g.ip_permissions().is_empty() {
            ec2.revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(g.ip_permissions().to_vec()))
                .send()
                .await
                .unwrap();
        }
        if !g.ip_permissions_egress().is_empty() {
            ec2.revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
                .send()
                .await
                .unwrap();
        }
    }
}

fn run_pack(moto: &Moto, dir: &Path) -> (std::process::Output, serde_json::Value) {
    let (key, _) = keypair(dir);
    let zip = dir.join("pack.zip");
    let out = run(moto
        .cmd()
        .args(["run", "--regions", REGION, "--key"])
        .arg(&key)
        .arg("-o")
        .arg(&zip)
        .arg("--snapshot")
        .arg(dir.join("snapshot.json")));
    assert!(zip.exists(), "no pack written");
    let results = serde_json::from_slice(&entry(&zip, "results.json")).unwrap();
    (out, results)
}

#[tokio::test(flavor = "multi_thread")]
async fn misconfigured_account_fails_each_control() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    seed_misconfigured(&moto.config().await, dir.path()).await;
    let (out, results) = run_pack(&moto, dir.path());
    assert_eq!(out.status.code(), Some(3), "exit code for failed controls");
    let s = statuses(&results);
    for id in ["S3.2", "S3.3", "S3.5", "S3.6", "S3.8", "S3.9", "S3.12", "S3.13", "S3.15", "SO7", "TA.S3Permissions"] {
        assert_eq!(
            s[id],
            "fail",
            "{id}: {:#}",
            results["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
        );
    }
    // moto's answers to GetBucketVersioning, and to GetBucketNotification-
    // Configuration for a bucket without notifications, do not parse (see
    // harness::settle_bucket): these controls can only be `error` here, with
    // the failure recorded; their failing cases are evaluated over snapshots.
    for id in ["S3.10", "S3.11", "S3.14"] {
        assert_eq!(s[id], "error", "{id}");
    }
    assert_eq!(s["S3.1"], "fail", "S3.1");
    for id in [
        "IAM.2",
        "IAM.7",
        "IAM.9",
        "KMS.4",
        "ACM.1",
        "CloudTrail.1",
        "CloudTrail.2",
        "CloudTrail.4",
        "EC2.2",
        "EC2.13",
        "EC2.14",
        "EC2.19",
        "SEC-002",
        "IAM.1",
        "IAM.5",
        "IAM.6",
        "IAM.10",
        "IAM.11",
        "IAM.12",
        "IAM.13",
        "IAM.14",
        "IAM.15",
        "IAM.16",
        "IAM.17",
        "IAM.18",
        "IAM.19",
        "IAM.21",
        "KMS.2",
        "CloudTrail.3",
        "SO2",
        "SO8",
        "EC2.1",
        "EC2.18",
        "EC2.21",
        "GuardDuty.1",
        "Account.1",
        "Account.2",
        "SecretsManager.1",
        "SO1",
        "SO4",
        "SO5",
        "RDS.1",
        "RDS.10",
        "ECR.1",
        "WAF.10",
        "SO6",
        "TA.RDSPublic",
        "ECS.8",
        "SSM.4",
    ] {
        assert_eq!(
            s[id],
            "fail",
            "{id}: {:#}",
            results["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
        );
    }
    // moto has no way to create root access keys: IAM.4 can only pass here
    // (its failing case is evaluated over a snapshot in `report.rs`).
    assert_eq!(s["IAM.4"], "pass");

    let iam2 = results["controls"].as_array().unwrap().iter().find(|c| c["id"] == "IAM.2").unwrap();
    assert_eq!(iam2["failing"][0]["name"], "legacy-deployer");
    let snapshot = harness::json(&dir.path().join("snapshot.json"));
    let groups: Vec<_> =
        snapshot["resources"].as_array().unwrap().iter().filter(|r| r["type"] == "iam.group").collect();
    assert_eq!(groups.len(), 3);
    let admin = groups.iter().find(|g| g["data"]["name"] == "Administrador").unwrap();
    assert_eq!(admin["data"]["members"].as_array().unwrap().len(), 4);
    for r in snapshot["resources"].as_array().unwrap() {
        assert!(r["source"]["operation"].as_str().unwrap().contains(':'), "{r}");
        assert!(r["account"].as_str().unwrap().len() == 12);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn well_configured_account_passes_each_control() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    seed_well_configured(&moto.config().await, dir.path()).await;
    harness::block_public_access(&moto, &moto.config().await, "123456789012").await;
    let (_, results) = run_pack(&moto, dir.path());
    let s = statuses(&results);
    for id in ["S3.2", "S3.3", "S3.4", "S3.5", "S3.6", "S3.8", "S3.9", "S3.11", "S3.12", "S3.13", "S3.15"] {
        assert_eq!(
            s[id],
            "pass",
            "{id}: {:#}",
            results["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
        );
    }
    // moto's GetBucketVersioning does not parse (see harness::settle_bucket):
    // the versioning controls cannot see it, and say so.
    assert_eq!(s["S3.14"], "error");
    assert!(control(&results, "S3.14")["reason"].as_str().unwrap().contains("s3:GetBucketVersioning"));
    // Before, a failed read of one bucket did not say which bucket.
    let snapshot = harness::json(&dir.path().join("snapshot.json"));
    let buckets: Vec<&str> = snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "s3.bucket")
        .map(|r| r["data"]["name"].as_str().unwrap())
        .collect();
    let errors = control(&results, "S3.14")["evidence_errors"].as_array().unwrap().clone();
    let named: Vec<&str> = errors.iter().filter_map(|e| e["resource"].as_str()).collect();
    assert!(!named.is_empty() && named.iter().all(|b| buckets.contains(b)), "{errors:#?} {buckets:?}");
    assert_eq!(s["S3.1"], "pass", "S3.1");
    for id in [
        "IAM.2",
        "IAM.4",
        "IAM.7",
        "KMS.4",
        "ACM.1",
        "CloudTrail.1",
        "CloudTrail.2",
        "CloudTrail.4",
        "EC2.2",
        "EC2.13",
        "EC2.14",
        "EC2.19",
        "IAM.1",
        "IAM.3",
        "IAM.5",
        "IAM.8",
        "IAM.10",
        "IAM.11",
        "IAM.12",
        "IAM.13",
        "IAM.14",
        "IAM.15",
        "IAM.16",
        "IAM.17",
        "IAM.18",
        "IAM.19",
        "IAM.21",
        "IAM.22",
        "KMS.2",
        "CloudTrail.3",
        "EC2.18",
        "EC2.21",
        "GuardDuty.1",
        "Account.1",
        "Account.2",
        "RDS.1",
        "RDS.10",
        "ECR.1",
        "ECS.8",
        "SSM.4",
    ] {
        assert_eq!(
            s[id],
            "pass",
            "{id}: {:#}",
            results["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
        );
    }
    // moto cannot give the root user MFA (IAM.9 passes over a snapshot in `report.rs`).
    assert_eq!(s["IAM.9"], "fail");
}

/// moto enforces IAM policies after INITIAL_NO_AUTH_ACTION_COUNT requests:
/// the first three create a collector whose policy denies some reads.
#[tokio::test(flavor = "multi_thread")]
async fn denied_calls_become_error_and_the_pack_still_seals() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start_denying(r#"["kms:ListKeys","iam:GetAccountPasswordPolicy"]"#).await;

    let (out, results) = run_pack(&moto, dir.path());
    // A bare account fails controls besides the denied ones, and a failure
    // outranks missing evidence: 3, not 4.
    assert!(results["summary"]["fail"].as_u64().unwrap() > 0, "{}", results["summary"]);
    assert!(results["summary"]["error"].as_u64().unwrap() > 0, "{}", results["summary"]);
    assert_eq!(out.status.code(), Some(3), "{:?}", out.status);
    let s = statuses(&results);
    assert_eq!(s["KMS.4"], "error");
    assert_eq!(s["IAM.7"], "error");
    let kms = results["controls"].as_array().unwrap().iter().find(|c| c["id"] == "KMS.4").unwrap();
    assert!(kms["reason"].as_str().unwrap().contains("kms:ListKeys"), "{kms}");
    // AWS says AccessDeniedException for KMS; moto answers in XML with AccessDenied.
    assert!(kms["evidence_errors"][0]["code"].as_str().unwrap().starts_with("AccessDenied"), "{kms}");
    // Evidence that was allowed is still evaluated.
    assert_ne!(s["EC2.13"], "error");
    let snapshot = harness::json(&dir.path().join("snapshot.json"));
    // Credentials appear only as metadata: never a secret key.
    assert!(!serde_json::to_string(&snapshot).unwrap().contains(&moto.secret_key));
}

/// Regenerate `examples/snapshot.json`, the demo account, from moto seeded
/// like the hand-made SEC-002 evidence document (account 992382705250):
/// `cargo test --test it -- --ignored regenerate_example`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "writes examples/snapshot.json; run by hand after changing collection"]
async fn regenerate_example() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start_with(&[("MOTO_ACCOUNT_ID", "992382705250")]);
    let cfg = moto.config().await;
    seed_groups(&cfg, false).await;
    aws_sdk_iam::Client::new(&cfg).create_account_alias().account_alias("seguros-patria-prod").send().await.unwrap();
    let kms = aws_sdk_kms::Client::new(&cfg);
    let key = kms
        .create_key()
        .description("Directory Service key")
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    kms.create_alias().alias_name("alias/seguropatria-ad-kms").target_key_id(&key).send().await.unwrap();
    let (cert, pk) = certificate(dir.path(), "patria.plus", 20);
    let east2 = cfg.to_builder().region(aws_config::Region::new("us-east-2")).build();
    aws_sdk_acm::Client::new(&east2)
        .import_certificate()
        .certificate(aws_sdk_acm::primitives::Blob::new(cert))
        .private_key(aws_sdk_acm::primitives::Blob::new(pk))
        .send()
        .await
        .unwrap();
    trail(&cfg, "management-events", true, false, None, true).await;
    harness::settle_bucket(&aws_sdk_s3::Client::new(&cfg), "aws-cloudtrail-logs-management-events").await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let admin = ec2
        .create_security_group()
        .group_name("AdministracionEC2")
        .description("SSH from the corporate network")
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(admin)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.20.0.0/16").description("corporate VPN").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    open_port(&ec2, "public-web", 443, false).await;
    open_port(&ec2, "legacy-rdp", 3389, false).await;

    let out = dir.path().join("snapshot.json");
    let status = run(moto.cmd().args(["collect", "--regions", "us-east-1,us-east-2", "-o"]).arg(&out)).status;
    assert!(status.success() || status.code() == Some(4));
    let mut snapshot = harness::json(&out);
    for r in snapshot["resources"].as_array_mut().unwrap() {
        // The seed's root user has MFA, which moto cannot model.
        if r["type"] == "iam.account_summary" {
            r["data"]["root_mfa_enabled"] = true.into();
            r["data"]["summary"]["AccountMFAEnabled"] = 1.into();
        }
    }
    // moto's credential report has no row for the root user; a real one
    // always has, so the example gets the row the seed's account would show.
    let resources = snapshot["resources"].as_array_mut().unwrap();
    let mut root = resources.iter().find(|r| r["type"] == "iam.credential_report").unwrap().clone();
    root["id"] = "arn:aws:iam::992382705250:root".into();
    root["data"] = serde_json::json!({
        "user": "<root_account>", "arn": "arn:aws:iam::992382705250:root", "is_root": true,
        "created": "2023-06-01T14:02:11Z", "password_enabled": true, "password_last_used": "2025-01-20T16:45:03Z",
        "password_last_changed": null, "mfa_active": true,
        "access_keys": [
            {"slot": 1, "active": false, "last_rotated": null, "last_used": null},
            {"slot": 2, "active": false, "last_rotated": null, "last_used": null}
        ]
    });
    let at = resources.iter().position(|r| r["type"] == "iam.credential_report").unwrap();
    resources.insert(at, root);
    let text = serde_json::to_string_pretty(&snapshot).unwrap() + "\n";
    std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json"), text).unwrap();
}
