//! EC2: the account's regions (global step), and per region every security
//! group with its rules flattened to one row per peer.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::IpPermission;

use super::{Ctx, Found, wanted};
use crate::snapshot::GLOBAL;
use crate::snapshot::kinds::{
    EbsSnapshot, Instance, NaclEntry, NetworkAcl, Region, ResourceData, SecurityGroup, SgRule,
};

pub(crate) struct Regions {
    pub found: Found,
    list: Option<Vec<Region>>,
}

impl Regions {
    /// The regions the account can use, or `None` if they could not be listed.
    pub fn enabled(&self) -> Option<Vec<String>> {
        self.list
            .as_ref()
            .map(|l| l.iter().filter(|r| r.opt_in_status != "not-opted-in").map(|r| r.name.clone()).collect())
    }
}

pub(crate) const REGIONS_OPERATION: &str = "ec2:DescribeRegions";

pub(crate) async fn regions(ctx: &Ctx) -> Regions {
    const OP: &str = REGIONS_OPERATION;
    let mut found = Found::default();
    let client = ctx.client::<Client>(&ctx.home_region());
    match client.describe_regions().all_regions(true).send().await {
        Ok(out) => {
            let list: Vec<Region> = out
                .regions()
                .iter()
                .map(|r| Region {
                    name: r.region_name().unwrap_or_default().to_string(),
                    opt_in_status: r.opt_in_status().unwrap_or("opt-in-not-required").to_string(),
                })
                .collect();
            for r in &list {
                found.add(ctx, GLOBAL, r.name.clone(), OP, r);
            }
            Regions { found, list: Some(list) }
        }
        Err(e) => {
            found.fail(ctx, GLOBAL, OP, &[Region::KIND], &e);
            Regions { found, list: None }
        }
    }
}

pub(crate) async fn collect(ctx: &Ctx, region: String) -> Found {
    let client = ctx.client::<Client>(&region);
    // Each read only if the catalog reads its kind: listing a large
    // account's snapshots costs more than everything else here.
    let (a, b, c, d) = futures::join!(
        wanted(ctx, SecurityGroup::KIND, security_groups(ctx, &client, &region)),
        wanted(ctx, NetworkAcl::KIND, network_acls(ctx, &client, &region)),
        wanted(ctx, Instance::KIND, instances(ctx, &client, &region)),
        wanted(ctx, EbsSnapshot::KIND, snapshots(ctx, &client, &region))
    );
    [a, b, c, d].into_iter().collect()
}

async fn network_acls(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let acls = client.describe_network_acls().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
    Found::each(ctx, region, "ec2:DescribeNetworkAcls", acls, |a| {
        let data = NetworkAcl {
            acl_id: a.network_acl_id().unwrap_or_default().to_string(),
            vpc_id: a.vpc_id().map(String::from),
            is_default: a.is_default().unwrap_or(false),
            entries: a
                .entries()
                .iter()
                .map(|e| NaclEntry {
                    rule_number: i64::from(e.rule_number().unwrap_or(0)),
                    egress: e.egress().unwrap_or(false),
                    protocol: e.protocol().unwrap_or("-1").to_string(),
                    action: e.rule_action().map(|r| r.as_str()).unwrap_or_default().to_string(),
                    cidr: e.cidr_block().or(e.ipv6_cidr_block()).unwrap_or_default().to_string(),
                    from_port: e.port_range().and_then(|p| p.from()).map(i64::from),
                    to_port: e.port_range().and_then(|p| p.to()).map(i64::from),
                })
                .collect(),
        };
        (format!("arn:aws:ec2:{region}:{}:network-acl/{}", ctx.account(), data.acl_id), data)
    })
}

async fn instances(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let pages = client.describe_instances().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    let instances = pages.map(|p| {
        p.into_iter().flat_map(|p| p.reservations.unwrap_or_default()).flat_map(|r| r.instances.unwrap_or_default())
    });
    Found::each(ctx, region, "ec2:DescribeInstances", instances, |i| {
        let data = Instance {
            instance_id: i.instance_id().unwrap_or_default().to_string(),
            vpc_id: i.vpc_id().map(String::from),
            state: i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default(),
            instance_profile: i.iam_instance_profile().and_then(|p| p.arn()).map(String::from),
        };
        (format!("arn:aws:ec2:{region}:{}:instance/{}", ctx.account(), data.instance_id), data)
    })
}

/// The account's snapshots, and which of them anyone may restore: a second
/// filtered list call, instead of one attribute call per snapshot.
async fn snapshots(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let (own, public) = futures::join!(
        client.describe_snapshots().owner_ids("self").into_paginator().items().send().collect::<Result<Vec<_>, _>>(),
        client
            .describe_snapshots()
            .owner_ids("self")
            .restorable_by_user_ids("all")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
    );
    let listed = match (own, public) {
        (Ok(own), Ok(public)) => {
            let public: std::collections::BTreeSet<String> =
                public.iter().filter_map(|s| s.snapshot_id().map(String::from)).collect();
            Ok(own.into_iter().map(move |s| {
                let is_public = public.contains(s.snapshot_id().unwrap_or_default());
                (s, is_public)
            }))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    Found::each(ctx, region, "ec2:DescribeSnapshots", listed, |(s, public)| {
        let data = EbsSnapshot {
            public,
            volume_id: s.volume_id().map(String::from),
            encrypted: s.encrypted().unwrap_or(false),
            snapshot_id: s.snapshot_id().unwrap_or_default().to_string(),
        };
        (format!("arn:aws:ec2:{region}::snapshot/{}", data.snapshot_id), data)
    })
}

async fn security_groups(ctx: &Ctx, client: &Client, region: &str) -> Found {
    let pages = client.describe_security_groups().into_paginator().send().collect::<Result<Vec<_>, _>>().await;
    let groups = pages.map(|p| p.into_iter().flat_map(|p| p.security_groups.unwrap_or_default()));
    Found::each(ctx, region, "ec2:DescribeSecurityGroups", groups, |g| {
        let name = g.group_name().unwrap_or_default().to_string();
        let data = SecurityGroup {
            group_id: g.group_id().unwrap_or_default().to_string(),
            is_default: name == "default",
            name,
            description: g.description().unwrap_or_default().to_string(),
            vpc_id: g.vpc_id().map(String::from),
            owner_id: g.owner_id().unwrap_or_default().to_string(),
            ingress: rules(g.ip_permissions()),
            egress: rules(g.ip_permissions_egress()),
        };
        (format!("arn:aws:ec2:{region}:{}:security-group/{}", data.owner_id, data.group_id), data)
    })
}

/// One row per (permission, peer), the way the console lists rules.
fn rules(perms: &[IpPermission]) -> Vec<SgRule> {
    let mut out = Vec::new();
    for p in perms {
        let row = |peer: &str, peer_type: &str, description: Option<&str>| SgRule {
            protocol: p.ip_protocol().unwrap_or("-1").to_string(),
            from_port: p.from_port().map(i64::from),
            to_port: p.to_port().map(i64::from),
            peer: peer.to_string(),
            peer_type: peer_type.to_string(),
            description: description.map(String::from),
        };
        for r in p.ip_ranges() {
            out.push(row(r.cidr_ip().unwrap_or_default(), "cidr_ipv4", r.description()));
        }
        for r in p.ipv6_ranges() {
            out.push(row(r.cidr_ipv6().unwrap_or_default(), "cidr_ipv6", r.description()));
        }
        for r in p.prefix_list_ids() {
            out.push(row(r.prefix_list_id().unwrap_or_default(), "prefix_list", r.description()));
        }
        for r in p.user_id_group_pairs() {
            out.push(row(r.group_id().unwrap_or_default(), "security_group", r.description()));
        }
    }
    out
}
