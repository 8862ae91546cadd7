//! EC2: regions, security groups, network ACLs, instances and EBS snapshots.

use super::{At, EvidenceTable, Row, dash, title_case, yes};
use crate::snapshot::kinds::{EbsSnapshot, Instance, NetworkAcl, Region, SecurityGroup, SgRule};

impl EvidenceTable for Region {
    const TITLE: &'static str = "EC2 Regions";
    const COLUMNS: &'static [&'static str] = &["Region", "Opt-in status"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws ec2 describe-regions --all-regions".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let status = match self.opt_in_status.as_str() {
            "opt-in-not-required" => "Opt-in not required",
            "opted-in" => "Opted in",
            "not-opted-in" => "Not opted in",
            other => other,
        };
        vec![at.row(vec![self.name.clone(), status.into()])]
    }
}

impl EvidenceTable for SecurityGroup {
    const TITLE: &'static str = "Security group rules";
    const COLUMNS: &'static [&'static str] =
        &["Region", "Group", "VPC", "Direction", "Protocol", "Ports", "Source / destination", "Open to the Internet"];
    // Region, group and VPC: one group spans many rule rows.
    const KEY_COLUMNS: usize = 3;

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ec2 describe-security-groups{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let group = format!("{} ({})", self.group_id, self.name);
        let vpc = dash(self.vpc_id.clone());
        let mut rows = Vec::new();
        if self.ingress.is_empty() && self.egress.is_empty() {
            rows.push(Row {
                cells: vec![
                    at.region(),
                    group.clone(),
                    vpc.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "No rules".into(),
                    "No".into(),
                ],
                flagged: false,
            });
        }
        for (direction, rules) in [("Inbound", &self.ingress), ("Outbound", &self.egress)] {
            for rule in rules {
                let open = is_open(rule);
                // A failing group's rows that explain the failure: its
                // open inbound rules, or every rule of a default group.
                let explains = at.flagged && ((direction == "Inbound" && open) || self.is_default);
                rows.push(Row {
                    cells: vec![
                        at.region(),
                        group.clone(),
                        vpc.clone(),
                        direction.into(),
                        protocol_name(&rule.protocol),
                        ports(rule),
                        rule.peer.clone(),
                        yes(open),
                    ],
                    flagged: explains,
                });
            }
        }
        rows
    }
}

impl EvidenceTable for NetworkAcl {
    const TITLE: &'static str = "Network ACL inbound entries";
    const COLUMNS: &'static [&'static str] =
        &["Region", "Network ACL", "VPC", "Rule", "Protocol", "Ports", "Source", "Action"];
    // Region, ACL and VPC: one ACL spans many entry rows.
    const KEY_COLUMNS: usize = 3;

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ec2 describe-network-acls{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let acl = format!("{}{}", self.acl_id, if self.is_default { " (default)" } else { "" });
        let vpc = dash(self.vpc_id.clone());
        self.entries
            .iter()
            .filter(|e| !e.egress)
            .map(|e| {
                let ports = match (e.from_port, e.to_port) {
                    (Some(f), Some(t)) if f == t => f.to_string(),
                    (Some(f), Some(t)) => format!("{f}-{t}"),
                    _ => "All".into(),
                };
                let rule = if e.rule_number == 32767 { "*".to_string() } else { e.rule_number.to_string() };
                // Flag only the entries that let the Internet in.
                let open = e.action == "allow" && (e.cidr == "0.0.0.0/0" || e.cidr == "::/0");
                Row {
                    cells: vec![
                        at.region(),
                        acl.clone(),
                        vpc.clone(),
                        rule,
                        protocol_name(&e.protocol),
                        ports,
                        e.cidr.clone(),
                        title_case(&e.action),
                    ],
                    flagged: at.flagged && open,
                }
            })
            .collect()
    }
}

impl EvidenceTable for Instance {
    const TITLE: &'static str = "EC2 instances";
    const COLUMNS: &'static [&'static str] = &["Region", "Instance", "State", "VPC", "Instance profile"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ec2 describe-instances{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            at.region(),
            self.instance_id,
            title_case(&self.state),
            dash(self.vpc_id),
            dash(self.instance_profile),
        ])]
    }
}

impl EvidenceTable for EbsSnapshot {
    const TITLE: &'static str = "EBS snapshots";
    const COLUMNS: &'static [&'static str] = &["Region", "Snapshot", "Volume", "Encrypted", "Public"];

    fn cli(&self, at: &At) -> Vec<String> {
        vec![format!("aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all{}", at.region_flag())]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![at.region(), self.snapshot_id, dash(self.volume_id), yes(self.encrypted), yes(self.public)])]
    }
}

/// A rule whose peer is the whole IPv4 or IPv6 Internet.
fn is_open(rule: &SgRule) -> bool {
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
