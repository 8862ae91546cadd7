//! Evidence tables, one builder per resource kind, with the columns an
//! auditor knows from the AWS console and the CLI commands that reproduce
//! each row. Markdown, HTML and PDF all render these same tables.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::snapshot::kinds::{
    AccountSummary, AcmCertificate, AnomalyMonitor, BillingAlarm, BlockPublicAccess, Bucket, Compliance,
    CredentialReportRow, DbCluster, DbInstance, DbSnapshot, Distribution, EbsSnapshot, EcrRepository, GuardDutyRegion,
    IamGroup, IamPolicy, IamRole, IamUser, Instance, KmsKey, ManagedInstance, NetworkAcl, OrganizationMembership,
    PasswordPolicy, ResourceData, Secret, SecurityContact, SecurityGroup, SgRule, SsmDocument, TaskDefinition, Trail,
    WebAcl,
};
use crate::snapshot::{GLOBAL, Resource, Snapshot};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub kind: String,
    pub title: String,
    /// The API operations the rows came from.
    pub operations: Vec<String>,
    /// Earliest and latest collection time of the rows, formatted.
    pub collected: String,
    pub columns: Vec<String>,
    /// Relative column widths, from the longest cell in each column: lets
    /// the PDF lay out a long table without measuring every cell first.
    pub widths: Vec<usize>,
    /// Leading columns that name the resource a row belongs to; a layout may
    /// print them once per run of rows of the same resource.
    pub key_columns: usize,
    pub rows: Vec<Row>,
    /// Rows in the full table; more than `rows` holds when this is an excerpt.
    pub total_rows: usize,
    /// Says what an excerpt leaves out, and where the rest is.
    pub note: String,
    /// `aws` CLI commands that reproduce the rows.
    pub cli: Vec<String>,
}

/// Tables up to this many rows appear in full under each control; longer
/// ones appear once in the evidence appendix, with only their flagged rows
/// under the control, so a 10,000-rule estate is not printed five times.
pub const INLINE_ROWS: usize = 40;
/// At most this many flagged rows are repeated under a control.
pub const EXCERPT_ROWS: usize = 50;

impl Table {
    /// The view shown under a control: the whole table if short, else its
    /// flagged rows.
    pub fn excerpt(mut self) -> Table {
        if self.rows.len() <= INLINE_ROWS {
            return self;
        }
        let flagged = self.rows.iter().filter(|r| r.flagged).count();
        self.rows.retain(|r| r.flagged);
        self.rows.truncate(EXCERPT_ROWS);
        let unreadable = std::mem::take(&mut self.note);
        self.note = format!(
            "{unreadable}{}Showing {} of the {} flagged rows out of {}; the full table is in the appendix \"Evidence tables\".",
            if unreadable.is_empty() { "" } else { " " },
            self.rows.len(),
            flagged,
            self.total_rows
        );
        self
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    /// The row belongs to a resource the control found non-compliant.
    pub flagged: bool,
}

pub fn fmt_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| t.to_string())
}

fn opt(t: &Option<String>) -> String {
    t.as_deref().map(fmt_time).unwrap_or_else(|| "-".into())
}

fn names(v: Vec<String>) -> String {
    if v.is_empty() { "-".to_string() } else { v.join(", ") }
}

fn yes(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

fn region_flag(r: &Resource) -> String {
    if r.region == GLOBAL { String::new() } else { format!(" --region {}", r.region) }
}

/// Build the table for one kind, flagging rows of the `failing` resource ids.
/// `None` for kinds that have no table of their own.
pub fn table(snapshot: &Snapshot, kind: &str, failing: &BTreeSet<String>) -> Option<Table> {
    let items: Vec<&Resource> = snapshot.of_kind(kind).collect();
    let multi_account = snapshot.accounts.len() > 1;
    let mut rows: Vec<(bool, Vec<String>)> = Vec::new();
    let mut cli: BTreeSet<String> = BTreeSet::new();
    let (title, mut columns): (&str, Vec<&str>) = match kind {
        AccountSummary::KIND => ("Account security settings (IAM dashboard)", vec!["Setting", "Status"]),
        PasswordPolicy::KIND => ("Password policy (IAM, Account settings)", vec!["Setting", "Value"]),
        IamGroup::KIND => ("User groups", vec!["Group name", "Users", "Permissions", "Members", "Policies"]),
        IamUser::KIND => ("Users", vec!["User name", "Groups", "Attached policies", "Inline policies"]),
        IamRole::KIND => ("Roles", vec!["Role name", "Attached policies", "Inline policies", "Last used"]),
        IamPolicy::KIND => ("Customer managed policies", vec!["Policy name", "Attached to", "Allowed actions"]),
        GuardDutyRegion::KIND => ("GuardDuty detectors", vec!["Region", "Detector", "Status"]),
        AnomalyMonitor::KIND => {
            ("Cost Anomaly Detection monitors", vec!["Monitor", "Type", "Subscriptions with subscribers"])
        }
        BillingAlarm::KIND => ("CloudWatch billing alarms", vec!["Alarm", "State", "Threshold (USD)", "Actions"]),
        TaskDefinition::KIND => {
            ("ECS task definitions", vec!["Region", "Task definition", "Container", "Environment variable names"])
        }
        ManagedInstance::KIND => ("Systems Manager managed instances", vec!["Region", "Instance", "Ping status"]),
        Compliance::KIND => ("Systems Manager compliance", vec!["Region", "Resource", "Type", "Status"]),
        SsmDocument::KIND => ("SSM documents owned by the account", vec!["Region", "Document", "Public"]),
        Distribution::KIND => (
            "CloudFront distributions",
            vec!["Distribution", "S3 origin", "Origin access identity", "Origin access control"],
        ),
        DbInstance::KIND => {
            ("RDS DB instances", vec!["Region", "DB identifier", "Engine", "Cluster", "VPC", "IAM authentication"])
        }
        DbCluster::KIND => ("RDS DB clusters", vec!["Region", "DB cluster", "Engine", "IAM authentication"]),
        DbSnapshot::KIND => ("RDS manual snapshots", vec!["Region", "Snapshot", "DB instance", "Public"]),
        EcrRepository::KIND => {
            ("ECR private repositories", vec!["Region", "Repository", "Scan on push", "Registry scanning"])
        }
        WebAcl::KIND => ("WAF web ACLs", vec!["Region", "Web ACL", "Scope", "Rules"]),
        BlockPublicAccess::KIND => (
            "Block Public Access settings for this account",
            vec!["Block public ACLs", "Ignore public ACLs", "Block public policy", "Restrict public buckets"],
        ),
        Bucket::KIND => (
            "S3 buckets",
            vec![
                "Region",
                "Bucket",
                "Block Public Access",
                "Public policy",
                "ACL grants",
                "Encryption",
                "TLS only",
                "Versioning",
                "Logging",
                "Lifecycle",
                "Object Lock",
                "Notifications",
            ],
        ),
        SecurityContact::KIND => ("Security alternate contact (Account settings)", vec!["Contact", "Name", "Title"]),
        OrganizationMembership::KIND => ("AWS Organizations", vec!["Member", "Organization", "Management account"]),
        Secret::KIND => (
            "Secrets Manager secrets",
            vec!["Region", "Secret name", "Rotation", "Last rotated", "Last accessed", "Created"],
        ),
        NetworkAcl::KIND => (
            "Network ACL inbound entries",
            vec!["Region", "Network ACL", "VPC", "Rule", "Protocol", "Ports", "Source", "Action"],
        ),
        Instance::KIND => ("EC2 instances", vec!["Region", "Instance", "State", "VPC", "Instance profile"]),
        EbsSnapshot::KIND => ("EBS snapshots", vec!["Region", "Snapshot", "Volume", "Encrypted", "Public"]),
        CredentialReportRow::KIND => (
            "Credential report",
            vec!["User", "Console password", "Password last used", "MFA", "Access key 1", "Access key 2"],
        ),
        KmsKey::KIND => (
            "KMS keys",
            vec![
                "Region",
                "Aliases",
                "Key ID",
                "Status",
                "Managed by",
                "Key type",
                "Key spec",
                "Key usage",
                "Rotation",
            ],
        ),
        AcmCertificate::KIND => (
            "ACM certificates",
            vec!["Region", "Domain", "Status", "Renewal status", "Type", "In use", "Not after", "Days left"],
        ),
        Trail::KIND => (
            "CloudTrail trails",
            vec![
                "Trail name",
                "Logging",
                "Multi-region",
                "Log location",
                "Log file validation",
                "SSE-KMS",
                "Last delivered",
            ],
        ),
        SecurityGroup::KIND => (
            "Security group rules",
            vec![
                "Region",
                "Group",
                "VPC",
                "Direction",
                "Protocol",
                "Ports",
                "Source / destination",
                "Open to the Internet",
            ],
        ),
        _ => return None,
    };
    let now = snapshot.collected_at.finished;
    let mut unreadable: Vec<String> = Vec::new();
    for r in &items {
        let start = rows.len();
        let flagged = failing.contains(&r.id);
        let rf = region_flag(r);
        match kind {
            AccountSummary::KIND => {
                let Some(s) = readable(r.parse::<AccountSummary>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-summary".into());
                rows.push((flagged, vec!["Root user has MFA".into(), yes(s.root_mfa_enabled)]));
                rows.push((flagged, vec!["Root user has access keys".into(), yes(s.root_access_keys_present)]));
                rows.push((
                    flagged,
                    vec![
                        "Session tokens from the global STS endpoint".into(),
                        match s.global_endpoint_token_version {
                            2 => "Valid in all AWS Regions (version 2)".into(),
                            v => format!("Valid only in AWS Regions enabled by default (version {v})"),
                        },
                    ],
                ));
                for (k, label) in [
                    ("Users", "IAM users"),
                    ("Groups", "IAM groups"),
                    ("Roles", "IAM roles"),
                    ("MFADevicesInUse", "MFA devices in use"),
                ] {
                    if let Some(v) = s.summary.get(k) {
                        rows.push((false, vec![label.into(), v.to_string()]));
                    }
                }
            }
            PasswordPolicy::KIND => {
                let Some(p) = readable(r.parse::<PasswordPolicy>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-password-policy".into());
                let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "Not set".into());
                let settings = if !p.present {
                    vec![("Custom password policy", "None: IAM's default policy applies".to_string())]
                } else {
                    vec![
                        ("Custom password policy", "Yes".to_string()),
                        ("Minimum length", n(p.minimum_password_length)),
                        ("Require uppercase", yes(p.require_uppercase_characters)),
                        ("Require lowercase", yes(p.require_lowercase_characters)),
                        ("Require numbers", yes(p.require_numbers)),
                        ("Require symbols", yes(p.require_symbols)),
                        ("Users may change their password", yes(p.allow_users_to_change_password)),
                        (
                            "Password expiry",
                            match p.max_password_age {
                                Some(d) if p.expire_passwords => format!("{d} days"),
                                _ => "Never expire".into(),
                            },
                        ),
                        ("Prevent reuse of last", n(p.password_reuse_prevention)),
                        ("Expired passwords need an administrator reset", yes(p.hard_expiry)),
                    ]
                };
                for (k, v) in settings {
                    rows.push((flagged, vec![k.into(), v]));
                }
            }
            IamGroup::KIND => {
                let Some(g) = readable(r.parse::<IamGroup>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-authorization-details --filter User Group".into());
                let policies: Vec<String> = g
                    .attached_policies
                    .iter()
                    .map(|p| p.name.clone())
                    .chain(g.inline_policies.iter().map(|p| format!("{} (inline)", p.name)))
                    .collect();
                let defined = if policies.is_empty() { "Not defined" } else { "Defined" };
                rows.push((
                    flagged,
                    vec![
                        g.name,
                        g.members.len().to_string(),
                        defined.into(),
                        g.members.join(", "),
                        policies.join(", "),
                    ],
                ));
            }
            IamUser::KIND => {
                let Some(u) = readable(r.parse::<IamUser>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-authorization-details --filter User Group".into());
                rows.push((
                    flagged,
                    vec![
                        u.name,
                        names(u.groups),
                        names(u.attached_policies.into_iter().map(|p| p.name).collect()),
                        names(u.inline_policies.into_iter().map(|p| p.name).collect()),
                    ],
                ));
            }
            IamRole::KIND => {
                let Some(x) = readable(r.parse::<IamRole>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-authorization-details --filter Role".into());
                rows.push((
                    flagged,
                    vec![
                        x.name,
                        names(x.attached_policies.into_iter().map(|p| p.name).collect()),
                        names(x.inline_policies.into_iter().map(|p| p.name).collect()),
                        opt(&x.last_used),
                    ],
                ));
            }
            IamPolicy::KIND => {
                let Some(x) = readable(r.parse::<IamPolicy>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam get-account-authorization-details --filter LocalManagedPolicy".into());
                let mut actions: Vec<String> = Vec::new();
                let stmts = match &x.document["Statement"] {
                    serde_json::Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                for st in stmts.iter().filter(|s| s["Effect"] == "Allow") {
                    match &st["Action"] {
                        serde_json::Value::String(a) => actions.push(a.clone()),
                        serde_json::Value::Array(a) => {
                            actions.extend(a.iter().filter_map(|v| v.as_str().map(String::from)))
                        }
                        _ => {}
                    }
                }
                rows.push((flagged, vec![x.name, format!("{} entities", x.attachment_count), actions.join(", ")]));
            }
            BlockPublicAccess::KIND => {
                let Some(x) = readable(r.parse::<BlockPublicAccess>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws s3control get-public-access-block --account-id {}", r.account));
                let on = |b: bool| if b { "On" } else { "Off" }.to_string();
                rows.push((
                    flagged,
                    vec![
                        on(x.block_public_acls),
                        on(x.ignore_public_acls),
                        on(x.block_public_policy),
                        on(x.restrict_public_buckets),
                    ],
                ));
            }
            Bucket::KIND => {
                let Some(x) = readable(r.parse::<Bucket>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws s3api get-public-access-block --bucket {}", x.name));
                cli.insert(format!("aws s3api get-bucket-policy --bucket {}", x.name));
                cli.insert(format!("aws s3api get-bucket-acl --bucket {}", x.name));
                let b = &x.public_access_block;
                let blocked =
                    [b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets]
                        .iter()
                        .filter(|v| **v)
                        .count();
                let tls = x.policy.as_ref().is_some_and(|p| p.to_string().contains("aws:SecureTransport"));
                let others = x.acl.iter().filter(|g| Some(&g.grantee) != x.owner_id.as_ref()).count();
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        x.name.clone(),
                        format!("{blocked} of 4"),
                        yes(x.policy_is_public),
                        if others == 0 { "Owner only".into() } else { format!("{others} other grantee(s)") },
                        x.encryption.clone().unwrap_or_else(|| "None".into()),
                        yes(tls),
                        x.versioning.clone().unwrap_or_else(|| "Disabled".into()),
                        yes(x.logging),
                        x.lifecycle_rules.to_string(),
                        yes(x.object_lock),
                        yes(x.event_notifications),
                    ],
                ));
            }
            DbInstance::KIND => {
                let Some(x) = readable(r.parse::<DbInstance>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws rds describe-db-instances{rf}"));
                let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                rows.push((
                    flagged,
                    vec![r.region.clone(), x.identifier, x.engine, dash(x.cluster), dash(x.vpc_id), yes(x.iam_auth)],
                ));
            }
            DbCluster::KIND => {
                let Some(x) = readable(r.parse::<DbCluster>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws rds describe-db-clusters{rf}"));
                rows.push((flagged, vec![r.region.clone(), x.identifier, x.engine, yes(x.iam_auth)]));
            }
            DbSnapshot::KIND => {
                let Some(x) = readable(r.parse::<DbSnapshot>(), r, &mut unreadable) else { continue };
                cli.insert(format!(
                    "aws rds describe-db-snapshot-attributes --db-snapshot-identifier {}{rf}",
                    x.identifier
                ));
                rows.push((
                    flagged,
                    vec![r.region.clone(), x.identifier, x.instance.unwrap_or_else(|| "-".into()), yes(x.public)],
                ));
            }
            EcrRepository::KIND => {
                let Some(x) = readable(r.parse::<EcrRepository>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ecr describe-repositories{rf}"));
                cli.insert(format!("aws ecr get-registry-scanning-configuration{rf}"));
                rows.push((flagged, vec![r.region.clone(), x.name, yes(x.scan_on_push), yes(x.registry_scanning)]));
            }
            WebAcl::KIND => {
                let Some(x) = readable(r.parse::<WebAcl>(), r, &mut unreadable) else { continue };
                let scope = if x.scope == "CLOUDFRONT" { "CLOUDFRONT" } else { "REGIONAL" };
                cli.insert(format!("aws wafv2 list-web-acls --scope {scope}{rf}"));
                rows.push((flagged, vec![r.region.clone(), x.name, title_case(&x.scope), x.rules.to_string()]));
            }
            TaskDefinition::KIND => {
                let Some(x) = readable(r.parse::<TaskDefinition>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ecs describe-task-definition --task-definition {}{rf}", x.arn));
                let family = x.arn.rsplit('/').next().unwrap_or_default().to_string();
                for c in x.containers {
                    rows.push((flagged, vec![r.region.clone(), family.clone(), c.name, names(c.environment)]));
                }
            }
            ManagedInstance::KIND => {
                let Some(x) = readable(r.parse::<ManagedInstance>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ssm describe-instance-information{rf}"));
                rows.push((
                    flagged,
                    vec![r.region.clone(), x.instance_id, x.ping_status.unwrap_or_else(|| "-".into())],
                ));
            }
            Compliance::KIND => {
                let Some(x) = readable(r.parse::<Compliance>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ssm list-resource-compliance-summaries{rf}"));
                rows.push((flagged, vec![r.region.clone(), x.resource_id, x.compliance_type, title_case(&x.status)]));
            }
            SsmDocument::KIND => {
                let Some(x) = readable(r.parse::<SsmDocument>(), r, &mut unreadable) else { continue };
                cli.insert(format!(
                    "aws ssm describe-document-permission --name {} --permission-type Share{rf}",
                    x.name
                ));
                rows.push((flagged, vec![r.region.clone(), x.name, yes(x.public)]));
            }
            Distribution::KIND => {
                let Some(x) = readable(r.parse::<Distribution>(), r, &mut unreadable) else { continue };
                cli.insert("aws cloudfront list-distributions".into());
                let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                if x.s3_origins.is_empty() {
                    rows.push((flagged, vec![x.id.clone(), "No S3 origin".into(), "-".into(), "-".into()]));
                }
                for o in x.s3_origins {
                    rows.push((
                        flagged,
                        vec![x.id.clone(), o.domain, dash(o.origin_access_identity), dash(o.origin_access_control)],
                    ));
                }
            }
            AnomalyMonitor::KIND => {
                let Some(x) = readable(r.parse::<AnomalyMonitor>(), r, &mut unreadable) else { continue };
                cli.insert("aws ce get-anomaly-monitors && aws ce get-anomaly-subscriptions".into());
                rows.push((flagged, vec![x.name, title_case(&x.monitor_type), x.subscriptions.to_string()]));
            }
            BillingAlarm::KIND => {
                let Some(x) = readable(r.parse::<BillingAlarm>(), r, &mut unreadable) else { continue };
                cli.insert("aws cloudwatch describe-alarms --region us-east-1".into());
                rows.push((
                    flagged,
                    vec![
                        x.name,
                        x.state.map(|s| title_case(&s)).unwrap_or_else(|| "-".into()),
                        x.threshold.map(|t| format!("{t:.2}")).unwrap_or_else(|| "-".into()),
                        x.actions.to_string(),
                    ],
                ));
            }
            GuardDutyRegion::KIND => {
                let Some(x) = readable(r.parse::<GuardDutyRegion>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws guardduty list-detectors{rf}"));
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        x.detector_id.unwrap_or_else(|| "None".into()),
                        x.status.map(|s| title_case(&s)).unwrap_or_else(|| "Not enabled".into()),
                    ],
                ));
            }
            SecurityContact::KIND => {
                let Some(x) = readable(r.parse::<SecurityContact>(), r, &mut unreadable) else { continue };
                cli.insert("aws account get-alternate-contact --alternate-contact-type SECURITY".into());
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                rows.push((
                    flagged,
                    vec![if x.present { "Set" } else { "Not set" }.into(), or_dash(x.name), or_dash(x.title)],
                ));
            }
            OrganizationMembership::KIND => {
                let Some(x) = readable(r.parse::<OrganizationMembership>(), r, &mut unreadable) else { continue };
                cli.insert("aws organizations describe-organization".into());
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                rows.push((flagged, vec![yes(x.member), or_dash(x.organization_id), or_dash(x.management_account_id)]));
            }
            Secret::KIND => {
                let Some(x) = readable(r.parse::<Secret>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws secretsmanager list-secrets{rf}"));
                let rotation = match (x.rotation_enabled, x.rotation_days, &x.rotation_schedule) {
                    (false, _, _) => "Disabled".to_string(),
                    (true, Some(d), _) => format!("Every {d} days"),
                    (true, None, Some(s)) => s.clone(),
                    (true, None, None) => "Enabled".into(),
                };
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        x.name,
                        rotation,
                        opt(&x.last_rotated),
                        opt(&x.last_accessed),
                        opt(&x.created),
                    ],
                ));
            }
            NetworkAcl::KIND => {
                let Some(x) = readable(r.parse::<NetworkAcl>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ec2 describe-network-acls{rf}"));
                let acl = format!("{}{}", x.acl_id, if x.is_default { " (default)" } else { "" });
                for e in x.entries.iter().filter(|e| !e.egress) {
                    let ports = match (e.from_port, e.to_port) {
                        (Some(f), Some(t)) if f == t => f.to_string(),
                        (Some(f), Some(t)) => format!("{f}-{t}"),
                        _ => "All".into(),
                    };
                    let rule = if e.rule_number == 32767 { "*".to_string() } else { e.rule_number.to_string() };
                    let open = e.action == "allow" && (e.cidr == "0.0.0.0/0" || e.cidr == "::/0");
                    rows.push((
                        flagged && open,
                        vec![
                            r.region.clone(),
                            acl.clone(),
                            x.vpc_id.clone().unwrap_or_else(|| "-".into()),
                            rule,
                            protocol_name(&e.protocol),
                            ports,
                            e.cidr.clone(),
                            title_case(&e.action),
                        ],
                    ));
                }
            }
            Instance::KIND => {
                let Some(x) = readable(r.parse::<Instance>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ec2 describe-instances{rf}"));
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        x.instance_id,
                        title_case(&x.state),
                        x.vpc_id.unwrap_or_else(|| "-".into()),
                        x.instance_profile.unwrap_or_else(|| "-".into()),
                    ],
                ));
            }
            EbsSnapshot::KIND => {
                let Some(x) = readable(r.parse::<EbsSnapshot>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all{rf}"));
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        x.snapshot_id,
                        x.volume_id.unwrap_or_else(|| "-".into()),
                        yes(x.encrypted),
                        yes(x.public),
                    ],
                ));
            }
            CredentialReportRow::KIND => {
                let Some(x) = readable(r.parse::<CredentialReportRow>(), r, &mut unreadable) else { continue };
                cli.insert("aws iam generate-credential-report && aws iam get-credential-report --query Content --output text | base64 -d".into());
                let key = |k: &crate::snapshot::kinds::AccessKeyUse| {
                    if !k.active {
                        "-".to_string()
                    } else {
                        format!("active, rotated {}, last used {}", opt(&k.last_rotated), opt(&k.last_used))
                    }
                };
                rows.push((
                    flagged,
                    vec![
                        if x.is_root { "root user".into() } else { x.user.clone() },
                        yes(x.password_enabled),
                        opt(&x.password_last_used),
                        yes(x.mfa_active),
                        x.access_keys.first().map(key).unwrap_or_default(),
                        x.access_keys.get(1).map(key).unwrap_or_default(),
                    ],
                ));
            }
            KmsKey::KIND => {
                let Some(k) = readable(r.parse::<KmsKey>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws kms describe-key --key-id {}{rf}", k.key_id));
                if k.rotation_enabled.is_some() {
                    cli.insert(format!("aws kms get-key-rotation-status --key-id {}{rf}", k.key_id));
                }
                let key_type = if k.spec == "SYMMETRIC_DEFAULT" {
                    "Symmetric"
                } else if k.spec.starts_with("HMAC") {
                    "HMAC"
                } else {
                    "Asymmetric"
                };
                let usage = match k.usage.as_deref().unwrap_or("-") {
                    "ENCRYPT_DECRYPT" => "Encrypt and decrypt",
                    "SIGN_VERIFY" => "Sign and verify",
                    "GENERATE_VERIFY_MAC" => "Generate and verify MAC",
                    "KEY_AGREEMENT" => "Key agreement",
                    other => other,
                };
                let rotation = match (k.rotation_enabled, k.rotation_period_days) {
                    (Some(true), Some(d)) => format!("Enabled, every {d} days"),
                    (Some(true), None) => "Enabled".into(),
                    (Some(false), _) => "Disabled".into(),
                    (None, _) => "Not supported".into(),
                };
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        if k.aliases.is_empty() { "-".into() } else { k.aliases.join(", ") },
                        k.key_id,
                        k.state,
                        if k.manager == "AWS" { "AWS" } else { "Customer" }.into(),
                        key_type.into(),
                        k.spec,
                        usage.into(),
                        rotation,
                    ],
                ));
            }
            AcmCertificate::KIND => {
                let Some(c) = readable(r.parse::<AcmCertificate>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws acm describe-certificate --certificate-arn {}{rf}", c.arn));
                let days = c
                    .not_after
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| (t.with_timezone(&chrono::Utc) - now).num_days().to_string())
                    .unwrap_or_else(|| "-".into());
                let ty = match c.cert_type.as_str() {
                    "AMAZON_ISSUED" => "Amazon issued",
                    "IMPORTED" => "Imported",
                    "PRIVATE" => "Private",
                    o => o,
                };
                rows.push((
                    flagged,
                    vec![
                        r.region.clone(),
                        c.domain.clone(),
                        title_case(&c.status),
                        c.renewal_status.as_deref().map(title_case).unwrap_or_else(|| "-".into()),
                        ty.into(),
                        yes(c.in_use),
                        opt(&c.not_after),
                        days,
                    ],
                ));
            }
            Trail::KIND => {
                let Some(t) = readable(r.parse::<Trail>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws cloudtrail describe-trails --no-include-shadow-trails{rf}"));
                cli.insert(format!("aws cloudtrail get-trail-status --name {}{rf}", t.arn));
                cli.insert(format!("aws cloudtrail get-event-selectors --trail-name {}{rf}", t.arn));
                let location = match (&t.s3_bucket, &t.s3_key_prefix) {
                    (Some(b), Some(p)) => format!("{b}/{p}/AWSLogs/{}", r.account),
                    (Some(b), None) => format!("{b}/AWSLogs/{}", r.account),
                    _ => "-".into(),
                };
                rows.push((
                    flagged,
                    vec![
                        t.name,
                        match t.is_logging {
                            Some(true) => "Logging".into(),
                            Some(false) => "Not logging".into(),
                            None => "Unknown".into(),
                        },
                        yes(t.multi_region),
                        location,
                        if t.log_file_validation { "Enabled" } else { "Disabled" }.into(),
                        t.kms_key_id.clone().map(|_| "Enabled".to_string()).unwrap_or_else(|| "Not enabled".into()),
                        opt(&t.latest_delivery_time),
                    ],
                ));
            }
            SecurityGroup::KIND => {
                let Some(g) = readable(r.parse::<SecurityGroup>(), r, &mut unreadable) else { continue };
                cli.insert(format!("aws ec2 describe-security-groups{rf}"));
                let group = format!("{} ({})", g.group_id, g.name);
                let vpc = g.vpc_id.clone().unwrap_or_else(|| "-".into());
                if g.ingress.is_empty() && g.egress.is_empty() {
                    rows.push((
                        false,
                        vec![
                            r.region.clone(),
                            group.clone(),
                            vpc.clone(),
                            "-".into(),
                            "-".into(),
                            "-".into(),
                            "No rules".into(),
                            "No".into(),
                        ],
                    ));
                }
                for (direction, rules) in [("Inbound", &g.ingress), ("Outbound", &g.egress)] {
                    for rule in rules {
                        let open = is_open(rule);
                        // A failing group's rows that explain the failure: its
                        // open inbound rules, or every rule of a default group.
                        let explains = flagged && ((direction == "Inbound" && open) || g.is_default);
                        rows.push((
                            explains,
                            vec![
                                r.region.clone(),
                                group.clone(),
                                vpc.clone(),
                                direction.into(),
                                protocol_name(&rule.protocol),
                                ports(rule),
                                rule.peer.clone(),
                                yes(open),
                            ],
                        ));
                    }
                }
            }
            _ => {}
        }
        if multi_account {
            for row in &mut rows[start..] {
                row.1.insert(0, r.account.clone());
            }
        }
    }
    if multi_account {
        columns.insert(0, "Account");
    }
    // Failing resources first, keeping each group's own order.
    rows.sort_by_key(|(flagged, _)| !*flagged);
    let mut operations: BTreeSet<String> = BTreeSet::new();
    let (mut first, mut last) = (None, None);
    for r in &items {
        operations.insert(r.source.operation.clone());
        let t = r.source.collected_at;
        first = Some(first.map_or(t, |f: chrono::DateTime<chrono::Utc>| f.min(t)));
        last = Some(last.map_or(t, |l: chrono::DateTime<chrono::Utc>| l.max(t)));
    }
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let collected = match (first.map(fmt), last.map(fmt)) {
        (Some(f), Some(l)) if f == l => f,
        (Some(f), Some(l)) => format!("{} to {l}", f.trim_end_matches(" UTC")),
        _ => "-".into(),
    };
    Some(Table {
        kind: kind.to_string(),
        title: title.to_string(),
        operations: operations.into_iter().collect(),
        collected,
        widths: (0..columns.len())
            .map(|i| {
                let longest =
                    rows.iter().map(|(_, c)| c[i].chars().count()).chain([columns[i].len()]).max().unwrap_or(1);
                longest.clamp(4, 36)
            })
            .collect(),
        key_columns: match kind {
            SecurityGroup::KIND | NetworkAcl::KIND => 3 + usize::from(multi_account),
            _ => 0,
        },
        columns: columns.into_iter().map(String::from).collect(),
        total_rows: rows.len(),
        note: unreadable_note(&unreadable),
        rows: rows.into_iter().map(|(flagged, cells)| Row { cells, flagged }).collect(),
        cli: cli.into_iter().collect(),
    })
}

/// A resource's data as its kind's struct; one that does not parse is
/// named in `unreadable`, so the table says so instead of silently
/// leaving it out.
fn readable<T>(parsed: Option<Result<T, serde_json::Error>>, r: &Resource, unreadable: &mut Vec<String>) -> Option<T> {
    match parsed {
        Some(Ok(x)) => Some(x),
        Some(Err(e)) => {
            unreadable.push(format!("{} ({e})", r.id));
            None
        }
        None => None,
    }
}

fn unreadable_note(unreadable: &[String]) -> String {
    match unreadable {
        [] => String::new(),
        [one] => format!("1 resource could not be read: {one}."),
        many => format!("{} resources could not be read: {}.", many.len(), many.join("; ")),
    }
}

pub fn is_open(rule: &SgRule) -> bool {
    rule.peer == "0.0.0.0/0" || rule.peer == "::/0"
}

fn protocol_name(p: &str) -> String {
    match p {
        "-1" => "All".into(),
        "1" => "ICMP".into(),
        "6" => "TCP".into(),
        "17" => "UDP".into(),
        other => other.to_uppercase(),
    }
}

fn ports(rule: &SgRule) -> String {
    match (rule.protocol.as_str(), rule.from_port, rule.to_port) {
        ("-1", _, _) => "All".into(),
        (_, Some(-1), _) | (_, None, _) => "All".into(),
        (_, Some(f), Some(t)) if f == t => f.to_string(),
        (_, Some(f), Some(t)) => format!("{f}-{t}"),
        (_, Some(f), None) => f.to_string(),
    }
}

fn title_case(s: &str) -> String {
    let lower = s.replace('_', " ").to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Tables for a list of kinds, skipping kinds without a table.
pub fn tables(snapshot: &Snapshot, kinds: &[String], failing: &BTreeSet<String>) -> Vec<Table> {
    let mut seen = BTreeSet::new();
    kinds.iter().filter(|k| seen.insert(k.as_str())).filter_map(|k| table(snapshot, k, failing)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_that_does_not_parse_is_named_not_dropped() {
        let mut snapshot = Snapshot::from_json("example", crate::EXAMPLE_SNAPSHOT).unwrap();
        let key = snapshot.resources.iter_mut().find(|r| r.kind == KmsKey::KIND).expect("the example has a key");
        key.data = serde_json::json!({ "key_id": 42 });
        let id = key.id.clone();
        let t = table(&snapshot, KmsKey::KIND, &BTreeSet::new()).unwrap();
        assert!(t.note.starts_with("1 resource could not be read: "), "{}", t.note);
        assert!(t.note.contains(&id), "{}", t.note);
    }
}
