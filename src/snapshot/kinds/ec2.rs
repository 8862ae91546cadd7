//! EC2: regions, network controls, instances and EBS snapshots.

use serde::{Deserialize, Serialize};

use super::text;

/// `ec2:DescribeRegions` (all regions, with opt-in status).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Region {
    pub name: String,
    /// `opt-in-not-required`, `opted-in` or `not-opted-in`.
    pub opt_in_status: String,
}
kind!(Region, "ec2.region", "region");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all traffic.
    pub protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    /// A CIDR, a security group id, or a prefix list id.
    pub peer: String,
    /// `cidr_ipv4`, `cidr_ipv6`, `security_group` or `prefix_list`.
    pub peer_type: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SecurityGroup {
    pub group_id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: Option<String>,
    pub owner_id: String,
    /// The VPC's default security group (its name is always `default`).
    pub is_default: bool,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}
kind!(SecurityGroup, "ec2.security_group", "security group", |data| format!(
    "{} ({})",
    text(data, "group_id"),
    text(data, "name")
));

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NaclEntry {
    pub rule_number: i64,
    pub egress: bool,
    /// `-1` for all, or a protocol number (`6` TCP, `17` UDP).
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    pub cidr: String,
    #[serde(default)]
    pub from_port: Option<i64>,
    #[serde(default)]
    pub to_port: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkAcl {
    pub acl_id: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    pub is_default: bool,
    pub entries: Vec<NaclEntry>,
}
kind!(NetworkAcl, "ec2.network_acl", "network ACL", |data| text(data, "acl_id"));

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Instance {
    pub instance_id: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    pub state: String,
    #[serde(default)]
    pub instance_profile: Option<String>,
}
kind!(Instance, "ec2.instance", "EC2 instance", |data| text(data, "instance_id"));

/// An EBS snapshot the account owns; `public` when anyone may restore it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EbsSnapshot {
    pub snapshot_id: String,
    #[serde(default)]
    pub volume_id: Option<String>,
    pub encrypted: bool,
    pub public: bool,
}
kind!(EbsSnapshot, "ec2.snapshot", "EBS snapshot", |data| text(data, "snapshot_id"));
