//! Every collector, in one place: what it reads, where, what evidence it
//! produces and which IAM actions it needs. The orchestrator, the kind
//! selection and the README's permission list are all checked against this
//! table, so adding a service is one entry here and one collector file.

use std::collections::BTreeSet;

use super::{Ctx, Task};

/// Where a collector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Once per run, through the configured (default) region.
    Global,
    /// Once per run, in this region: a global service whose API lives there.
    Home(&'static str),
    /// Once in every region the run reads.
    Regional,
}

// `service` and `permissions` are read only by the tests, which hold
// README.md and kinds::ALL to this table.
#[cfg_attr(not(test), expect(dead_code))]
pub(crate) struct Collector {
    pub service: &'static str,
    pub scope: Scope,
    /// Every kind its resources or its failures are recorded under.
    pub kinds: &'static [&'static str],
    pub permissions: &'static [&'static str],
    /// Reads one region (the region it is given: each region for
    /// [`Scope::Regional`], the fixed one for [`Scope::Home`], the configured
    /// one for [`Scope::Global`]).
    pub run: for<'a> fn(&'a Ctx, String) -> Task<'a>,
}

/// What the orchestrator reads itself, before any collector runs: who is
/// collecting, which regions exist, and the account alias for the cover.
#[cfg_attr(not(test), expect(dead_code))]
pub(crate) const ORCHESTRATOR_KINDS: &[&str] = &["ec2.region", "iam.account_alias"];
#[cfg_attr(not(test), expect(dead_code))]
pub(crate) const ORCHESTRATOR_PERMISSIONS: &[&str] =
    &["sts:GetCallerIdentity", "ec2:DescribeRegions", "iam:ListAccountAliases"];

pub(crate) const COLLECTORS: &[Collector] = &[
    Collector {
        service: "iam",
        scope: Scope::Global,
        kinds: &[
            "iam.account_summary",
            "iam.password_policy",
            "iam.group",
            "iam.user",
            "iam.role",
            "iam.policy",
            "iam.credential_report",
            "iam.virtual_mfa_device",
        ],
        permissions: &[
            "iam:GetAccountAuthorizationDetails",
            "iam:GetAccountSummary",
            "iam:GetAccountPasswordPolicy",
            "iam:GenerateCredentialReport",
            "iam:GetCredentialReport",
            "iam:ListVirtualMFADevices",
        ],
        run: |ctx, _| Box::pin(super::iam::collect(ctx)),
    },
    Collector {
        service: "account",
        scope: Scope::Global,
        kinds: &["account.security_contact", "organizations.membership"],
        permissions: &["account:GetAlternateContact", "organizations:DescribeOrganization"],
        run: |ctx, _| Box::pin(super::account::collect(ctx)),
    },
    Collector {
        service: "s3",
        scope: Scope::Global,
        kinds: &[
            "s3.account_public_access_block",
            "s3.bucket",
            "s3.bucket.public_access_block",
            "s3.bucket.policy",
            "s3.bucket.acl",
            "s3.bucket.ownership",
            "s3.bucket.encryption",
            "s3.bucket.versioning",
            "s3.bucket.logging",
            "s3.bucket.lifecycle",
            "s3.bucket.object_lock",
            "s3.bucket.notifications",
        ],
        permissions: &[
            "s3:ListAllMyBuckets",
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketPolicy",
            "s3:GetBucketPolicyStatus",
            "s3:GetBucketAcl",
            "s3:GetBucketOwnershipControls",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketVersioning",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketNotification",
        ],
        run: |ctx, _| Box::pin(super::s3::collect(ctx)),
    },
    Collector {
        service: "cloudfront",
        scope: Scope::Home("us-east-1"),
        kinds: &["cloudfront.distribution"],
        permissions: &["cloudfront:ListDistributions"],
        run: |ctx, region| Box::pin(super::cloudfront::collect(ctx, region)),
    },
    // Billing data lives in us-east-1 only.
    Collector {
        service: "billing",
        scope: Scope::Home("us-east-1"),
        kinds: &["ce.anomaly_monitor", "cloudwatch.billing_alarm"],
        permissions: &["ce:GetAnomalyMonitors", "ce:GetAnomalySubscriptions", "cloudwatch:DescribeAlarms"],
        run: |ctx, region| Box::pin(super::billing::collect(ctx, region)),
    },
    Collector {
        service: "guardduty",
        scope: Scope::Regional,
        kinds: &["guardduty.region"],
        permissions: &["guardduty:ListDetectors", "guardduty:GetDetector"],
        run: |ctx, region| Box::pin(super::guardduty::collect(ctx, region)),
    },
    Collector {
        service: "secretsmanager",
        scope: Scope::Regional,
        kinds: &["secretsmanager.secret"],
        permissions: &["secretsmanager:ListSecrets"],
        run: |ctx, region| Box::pin(super::secretsmanager::collect(ctx, region)),
    },
    Collector {
        service: "rds",
        scope: Scope::Regional,
        kinds: &["rds.instance", "rds.cluster", "rds.snapshot", "rds.cluster_snapshot"],
        permissions: &[
            "rds:DescribeDBInstances",
            "rds:DescribeDBClusters",
            "rds:DescribeDBSnapshots",
            "rds:DescribeDBSnapshotAttributes",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBClusterSnapshotAttributes",
        ],
        run: |ctx, region| Box::pin(super::rds::collect(ctx, region)),
    },
    Collector {
        service: "ecr",
        scope: Scope::Regional,
        kinds: &["ecr.repository"],
        permissions: &["ecr:DescribeRepositories", "ecr:GetRegistryScanningConfiguration"],
        run: |ctx, region| Box::pin(super::ecr::collect(ctx, region)),
    },
    Collector {
        service: "wafv2",
        scope: Scope::Regional,
        kinds: &["wafv2.web_acl"],
        permissions: &["wafv2:ListWebACLs", "wafv2:GetWebACL"],
        run: |ctx, region| Box::pin(super::wafv2::collect(ctx, region)),
    },
    Collector {
        service: "ecs",
        scope: Scope::Regional,
        kinds: &["ecs.task_definition"],
        permissions: &["ecs:ListTaskDefinitionFamilies", "ecs:DescribeTaskDefinition"],
        run: |ctx, region| Box::pin(super::ecs::collect(ctx, region)),
    },
    Collector {
        service: "ssm",
        scope: Scope::Regional,
        kinds: &["ssm.managed_instance", "ssm.compliance", "ssm.document"],
        permissions: &[
            "ssm:DescribeInstanceInformation",
            "ssm:ListResourceComplianceSummaries",
            "ssm:ListDocuments",
            "ssm:DescribeDocumentPermission",
        ],
        run: |ctx, region| Box::pin(super::ssm::collect(ctx, region)),
    },
    Collector {
        service: "kms",
        scope: Scope::Regional,
        kinds: &["kms.key", "kms.key_rotation"],
        permissions: &["kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyRotationStatus"],
        run: |ctx, region| Box::pin(super::kms::collect(ctx, region)),
    },
    Collector {
        service: "acm",
        scope: Scope::Regional,
        kinds: &["acm.certificate"],
        permissions: &["acm:ListCertificates", "acm:DescribeCertificate"],
        run: |ctx, region| Box::pin(super::acm::collect(ctx, region)),
    },
    Collector {
        service: "cloudtrail",
        scope: Scope::Regional,
        kinds: &["cloudtrail.trail", "cloudtrail.trail_status", "cloudtrail.event_selectors"],
        permissions: &["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
        run: |ctx, region| Box::pin(super::cloudtrail::collect(ctx, region)),
    },
    Collector {
        service: "ec2",
        scope: Scope::Regional,
        kinds: &["ec2.security_group", "ec2.network_acl", "ec2.instance", "ec2.snapshot"],
        permissions: &[
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeInstances",
            "ec2:DescribeSnapshots",
        ],
        run: |ctx, region| Box::pin(super::ec2::collect(ctx, region)),
    },
];

/// The collectors a run needs: those producing one of `kinds`, or all of
/// them when `kinds` is `None`.
pub(crate) fn selected(kinds: Option<&BTreeSet<String>>) -> impl Iterator<Item = &'static Collector> + '_ {
    COLLECTORS.iter().filter(move |c| kinds.is_none_or(|k| c.kinds.iter().any(|kind| k.contains(*kind))))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::snapshot::kinds::ALL;

    #[test]
    fn every_kind_has_exactly_one_producer() {
        let mut producers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in COLLECTORS {
            for k in c.kinds {
                producers.entry(k).or_default().push(c.service);
            }
        }
        for k in ORCHESTRATOR_KINDS {
            producers.entry(k).or_default().push("orchestrator");
        }
        for kind in ALL {
            assert_eq!(producers.get(kind).map(Vec::len), Some(1), "{kind}: {:?}", producers.get(kind));
        }
        let unknown: Vec<_> = producers.keys().filter(|k| !ALL.contains(k)).collect();
        assert!(unknown.is_empty(), "kinds not in kinds::ALL: {unknown:?}");
    }

    /// The actions in the README's "IAM permissions for collection" block.
    fn readme_permissions() -> BTreeSet<&'static str> {
        let readme = include_str!("../../README.md");
        let section = readme.split("## IAM permissions for collection").nth(1).expect("section in README");
        let block = section.split("```").nth(1).expect("code block in the section");
        block.split_whitespace().collect()
    }

    /// The README's list is what an administrator grants, so it must be
    /// exactly what collection calls: no missing action, none to spare.
    #[test]
    fn readme_lists_exactly_the_permissions_collection_needs() {
        let listed = readme_permissions();
        let needed: BTreeSet<&str> = COLLECTORS
            .iter()
            .flat_map(|c| c.permissions.iter().copied())
            .chain(ORCHESTRATOR_PERMISSIONS.iter().copied())
            .collect();
        assert_eq!(listed, needed);
    }

    /// The StackSet template is what members actually grant: an action
    /// missing there is AccessDenied in every member of an `--org` run even
    /// though the README and the collectors agree.
    #[test]
    fn stackset_role_grants_exactly_the_readme_list() {
        let template: serde_json::Value =
            serde_saphyr::from_str(include_str!("../../examples/iam/evidence-pack-readonly-role.yaml"))
                .expect("the template is plain YAML (long-form intrinsics, no `!Sub` tags)");
        let role = &template["Resources"]["EvidencePackReadOnlyRole"];
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert!(role["Properties"].get("ManagedPolicyArns").is_none(), "a managed policy grants more than this list");
        let mut granted = BTreeSet::new();
        let policies = role["Properties"]["Policies"].as_array().expect("inline policies");
        for policy in policies {
            let statements = policy["PolicyDocument"]["Statement"].as_array().expect("statement list");
            for st in statements {
                assert_eq!(st["Effect"], "Allow", "{st}");
                assert_eq!(st["Resource"], "*", "{st}");
                assert!(st.get("NotAction").is_none(), "NotAction grants everything else: {st}");
                for action in st["Action"].as_array().expect("an action list") {
                    let action = action.as_str().expect("an action name");
                    assert!(!action.contains('*'), "a wildcard grants more than collection reads: {action}");
                    assert!(granted.insert(action.to_string()), "listed twice: {action}");
                }
            }
        }
        let listed: BTreeSet<String> = readme_permissions().into_iter().map(String::from).collect();
        let missing: Vec<_> = listed.difference(&granted).collect();
        let extra: Vec<_> = granted.difference(&listed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "examples/iam/evidence-pack-readonly-role.yaml lacks {missing:?} and grants {extra:?} beyond the README"
        );
    }

    #[test]
    fn kinds_select_exactly_their_producers() {
        let services = |kinds: &[&str]| {
            let kinds: BTreeSet<String> = kinds.iter().map(|k| k.to_string()).collect();
            selected(Some(&kinds)).map(|c| c.service).collect::<Vec<_>>()
        };
        assert_eq!(services(&["kms.key"]), ["kms"]);
        assert_eq!(services(&["kms.key_rotation"]), ["kms"]);
        assert_eq!(services(&["s3.bucket.policy"]), ["s3"]);
        assert_eq!(services(&["ce.anomaly_monitor", "ec2.snapshot"]), ["billing", "ec2"]);
        // Kinds the orchestrator reads need no collector.
        assert!(services(&["ec2.region", "iam.account_alias"]).is_empty());
        assert_eq!(selected(None).count(), COLLECTORS.len());
    }

    /// The catalog built into the binary selects exactly the collectors
    /// producing the kinds it names.
    #[test]
    fn the_bundled_catalog_selects_its_producers() {
        let kinds = crate::evaluate::catalog::Catalog::builtin().kinds();
        for c in COLLECTORS {
            let chosen = selected(Some(&kinds)).any(|s| s.service == c.service);
            assert_eq!(chosen, c.kinds.iter().any(|k| kinds.contains(*k)), "{}", c.service);
        }
    }
}
