//! Starting moto, seeding it through the AWS SDK, and running the binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::Credentials;

pub const BIN: &str = env!("CARGO_BIN_EXE_evidence-pack");
pub const REGION: &str = "us-east-1";

/// The pinned moto server, installed by `scripts/setup-moto.sh` unless CI
/// already did and said where.
fn moto_server() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Ok(p) = std::env::var("EVIDENCE_PACK_MOTO_SERVER") {
            return PathBuf::from(p);
        }
        let out = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/setup-moto.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/setup-moto.sh");
        assert!(out.status.success(), "scripts/setup-moto.sh failed");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One moto server per test, so tests can run in parallel without sharing
/// account state. Killed on drop.
pub struct Moto {
    child: Child,
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let port = free_port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // moto otherwise lists thousands of snapshots behind its built-in
            // AMIs as the account's own.
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on {url}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { child, url, access_key: "testing".into(), secret_key: "testing".into() }
    }

    /// moto enforcing IAM policies after its first three requests
    /// (`INITIAL_NO_AUTH_ACTION_COUNT`), which create a `collector` user
    /// allowed everything but `deny` (a policy's `Action` value, as JSON);
    /// the binary then runs as that user.
    pub async fn start_denying(deny: &str) -> Moto {
        let mut moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
        let iam = aws_sdk_iam::Client::new(&moto.config().await);
        iam.create_user().user_name("collector").send().await.unwrap();
        let key = iam.create_access_key().user_name("collector").send().await.unwrap().access_key.unwrap();
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},{{"Effect":"Deny","Action":{deny},"Resource":"*"}}]}}"#
        );
        iam.put_user_policy().user_name("collector").policy_name("audit").policy_document(policy).send().await.unwrap();
        moto.access_key = key.access_key_id;
        moto.secret_key = key.secret_access_key;
        moto
    }

    /// SDK config for seeding, as any program with credentials would have.
    pub async fn config(&self) -> SdkConfig {
        self.config_as(&self.access_key, &self.secret_key).await
    }

    pub async fn config_as(&self, key: &str, secret: &str) -> SdkConfig {
        self.config_with(Credentials::new(key, secret, None, None, "test")).await
    }

    pub async fn config_with(&self, credentials: Credentials) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// Credentials for `role_arn`, assumed with the default account's: moto
    /// binds them to the role's account, so they read and seed that account.
    pub async fn assume(&self, role_arn: &str) -> Credentials {
        let sts = aws_sdk_sts::Client::new(&self.config().await);
        let out = sts.assume_role().role_arn(role_arn).role_session_name("evidence-pack-test").send().await.unwrap();
        let c = out.credentials().unwrap();
        Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_string()), None, "assumed")
    }

    /// S3 Control's endpoint rules put `<account>.` in front of the
    /// endpoint's authority, and this SDK has no setting that turns that off
    /// (it is not host-prefix injection). With a user-info part in the URL,
    /// the prefix lands in the user info and the host stays 127.0.0.1, so no
    /// /etc/hosts entry or DNS is needed; moto routes S3 Control by its
    /// `/v20180820/` path and reads the account from `x-amz-account-id`.
    pub fn s3control_url(&self) -> String {
        self.url.replace("http://", "http://s3-control@")
    }

    /// The binary, pointed at this moto with static credentials and nothing
    /// from the developer's own AWS config.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ENDPOINT_URL_S3_CONTROL", self.s3control_url())
            .env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key)
            .env("AWS_REGION", REGION)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // moto on a loaded 2-core CI machine has taken longer than the
            // 30 s default to answer, or to finish an answer it had begun;
            // those calls then failed in one run and not in another.
            .env("EVIDENCE_PACK_TIMEOUT", "120");
        c
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh Ed25519 key pair made by `ssh-keygen`, as a user would.
pub fn keypair(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("signing_key");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "evidence-pack-test", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (key.clone(), key.with_extension("pub"))
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run evidence-pack");
    eprintln!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Read one file out of a pack.
pub fn entry(zip: &Path, name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut f = a.by_name(name).unwrap();
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

/// status of each control in a results.json value.
/// A control's entry in results.json.
pub fn control<'a>(results: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let controls = results["controls"].as_array().expect("results.json has controls");
    controls.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no control {id} in results.json"))
}

/// A control's (account, status) pairs, from a pack of several accounts.
pub fn by_account(c: &serde_json::Value) -> Vec<(String, String)> {
    c["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no per-account verdicts: {c:#}"))
        .iter()
        .map(|a| (a["account"].as_str().unwrap().to_string(), a["status"].as_str().unwrap().to_string()))
        .collect()
}

pub fn statuses(results: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    results["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

/// moto answers GetBucketNotificationConfiguration for a bucket without
/// notifications, and GetBucketVersioning always, with documents the Rust
/// SDK cannot parse (their root element is not the one AWS sends). Giving a
/// bucket a notification avoids the first where a test does
/// not depend on it; versioning (S3.10, S3.14) is evaluated over snapshots.
pub async fn settle_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    use aws_sdk_s3::types::*;
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn("arn:aws:sqs:us-east-1:123456789012:bucket-events")
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Turn on all four settings of the account-level S3 Block Public Access
/// for `account`, through S3 Control as `cfg`'s credentials.
pub async fn block_public_access(moto: &Moto, cfg: &SdkConfig, account: &str) {
    use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
    let control = cfg.to_builder().endpoint_url(moto.s3control_url()).build();
    aws_sdk_s3control::Client::new(&control)
        .put_public_access_block()
        .account_id(account)
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
}

/// A web ACL with no rules that allows by default: what WAF.10 fails.
pub async fn empty_web_acl(cfg: &SdkConfig, name: &str, scope: aws_sdk_wafv2::types::Scope) {
    use aws_sdk_wafv2::types::{AllowAction, DefaultAction, VisibilityConfig};
    aws_sdk_wafv2::Client::new(cfg)
        .create_web_acl()
        .name(name)
        .scope(scope)
        .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
        .visibility_config(
            VisibilityConfig::builder()
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .metric_name(name)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// One resource of a stated snapshot (for what moto cannot produce; each
/// test says why), read by `operation` at `at`; its account and region
/// are those of its ARN.
pub fn stated(kind: &str, arn: &str, operation: &str, at: &str, data: serde_json::Value) -> serde_json::Value {
    let part = |i: usize| arn.split(':').nth(i).unwrap_or_default();
    serde_json::json!({
        "type": kind,
        "id": arn,
        "account": part(4),
        "region": part(3),
        "source": {"operation": operation, "collected_at": at},
        "data": data,
    })
}

/// Register one revision of task definition `family` per entry of
/// `revisions`, in order; `true` puts AWS credentials in its environment
/// (what ECS.8 fails), next to a harmless variable.
pub async fn task_family(cfg: &SdkConfig, family: &str, revisions: &[bool]) {
    use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair};
    for keys in revisions {
        let mut env = vec![KeyValuePair::builder().name("LOG_LEVEL").value("info").build()];
        if *keys {
            env.push(KeyValuePair::builder().name("AWS_SECRET_ACCESS_KEY").value("not-a-real-key").build());
        }
        aws_sdk_ecs::Client::new(cfg)
            .register_task_definition()
            .family(family)
            .container_definitions(
                ContainerDefinition::builder()
                    .name("api")
                    .image("api:1")
                    .memory(512)
                    .set_environment(Some(env))
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

/// A real trail starts with a selector recording every management event;
/// moto starts with none.
pub async fn record_management_events(ct: &aws_sdk_cloudtrail::Client, trail: &str) {
    use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
    ct.put_event_selectors()
        .trail_name(trail)
        .event_selectors(
            EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build(),
        )
        .send()
        .await
        .unwrap();
}

/// The default VPC of the config's region.
pub async fn default_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    use aws_sdk_ec2::types::Filter;
    let vpcs = ec2.describe_vpcs().filters(Filter::builder().name("is-default").values("true").build()).send().await;
    vpcs.unwrap().vpcs.unwrap()[0].vpc_id.clone().unwrap()
}

/// An inbound network ACL entry from anywhere: `protocol`, `port` if any.
pub async fn nacl_entry(
    ec2: &aws_sdk_ec2::Client,
    acl: &str,
    number: i32,
    protocol: &str,
    allow: bool,
    port: Option<i32>,
) {
    use aws_sdk_ec2::types::{PortRange, RuleAction};
    ec2.create_network_acl_entry()
        .network_acl_id(acl)
        .rule_number(number)
        .protocol(protocol)
        .rule_action(if allow { RuleAction::Allow } else { RuleAction::Deny })
        .egress(false)
        .cidr_block("0.0.0.0/0")
        .set_port_range(port.map(|p| PortRange::builder().from(p).to(p).build()))
        .send()
        .await
        .unwrap();
}

/// A new network ACL in the default VPC; returns its id.
pub async fn network_acl(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc = default_vpc(ec2).await;
    ec2.create_network_acl().vpc_id(vpc).send().await.unwrap().network_acl.unwrap().network_acl_id.unwrap()
}

/// A security group `name` open to the world on SSH (port 22 from
/// 0.0.0.0/0); its id.
pub async fn open_ssh(ec2: &aws_sdk_ec2::Client, name: &str) -> String {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    let id = ec2.create_security_group().group_name(name).description(name).send().await.unwrap().group_id.unwrap();
    let perm = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&id).ip_permissions(perm).send().await.unwrap();
    id
}

/// Rewrite a pack with one entry replaced, added or removed.
pub fn rewrite(src: &Path, dst: &Path, change: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>, add: Option<(&str, &[u8])>) {
    use std::io::{Read, Write};
    let mut a = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        if let Some(bytes) = change(&name, buf) {
            w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(&bytes).unwrap();
        }
    }
    if let Some((name, bytes)) = add {
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// An organisation of the management account and `n` members, in order.
pub async fn organisation(moto: &Moto, n: usize) -> Vec<String> {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    let org = aws_sdk_organizations::Client::new(&moto.config().await);
    org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let mut members = Vec::new();
    for i in 0..n {
        let out = org
            .create_account()
            .email(format!("member{i}@example.com"))
            .account_name(format!("member-{i}"))
            .send()
            .await
            .unwrap();
        members.push(out.create_account_status().unwrap().account_id().unwrap().to_string());
    }
    members
}

/// SDK config inside `account`, through a role assumed from the management
/// account, as the collector enters it.
pub async fn member_config(moto: &Moto, account: &str) -> SdkConfig {
    moto.config_with(moto.assume(&format!("arn:aws:iam::{account}:role/EvidencePackReadOnly")).await).await
}
