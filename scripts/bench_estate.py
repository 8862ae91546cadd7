"""Estates for the render and verify benchmarks, built on the example account.

  bench_estate.py ROWS OUT.json
      security groups holding ROWS rules, a tenth of them open to the
      Internet on high-risk ports (the 10,000-rule estate).
  bench_estate.py --resources N OUT.json
      N resources of every kind that has an evidence table, spread over
      four regions, 1% of each kind misconfigured (a public snapshot, a key
      without rotation, a group open on port 22, ...). Each resource's data
      has every field of its kind's struct, read from src/snapshot/kinds/*.rs,
      so a new kind is in the estate without editing this script.
"""
import copy, json, re, sys, glob

s = json.load(open("examples/snapshot.json"))
acct = s["accounts"][0]["account_id"]


def rules_estate(rows, out):
    src = next(r for r in s["resources"] if r["type"] == "ec2.security_group")
    per_group = 100
    for g in range(rows // per_group):
        gid = f"sg-{g:017x}"
        rules = []
        for i in range(per_group):
            port = 1024 + i if i % 10 else 22
            peer = "0.0.0.0/0" if i % 10 == 0 else f"10.{g % 250}.{i}.0/24"
            rules.append({"protocol": "tcp", "from_port": port, "to_port": port, "peer": peer, "peer_type": "cidr_ipv4", "description": f"rule {i} <#*$]>"})
        r = json.loads(json.dumps(src))
        r["id"] = f"arn:aws:ec2:us-east-1:{acct}:security-group/{gid}"
        r["data"].update(group_id=gid, name=f"estate-{g}", is_default=False, ingress=rules, egress=[])
        s["resources"].append(r)
    json.dump(s, open(out, "w"))


def structs():
    """Every struct in the kinds files: name -> [(field, type)], and the
    kind string and struct of each kind! line."""
    found, kinds = {}, {}
    for path in sorted(glob.glob("src/snapshot/kinds/*.rs")):
        text = open(path).read()
        for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", text, re.S):
            fields = re.findall(r"^\s*pub (\w+): (.+?),\s*$", m.group(2), re.M)
            found[m.group(1)] = fields
        for m in re.finditer(r'kind!\((\w+), "([\w.]+)"', text):
            kinds[m.group(2)] = m.group(1)
    return found, kinds


def default(ty, found):
    ty = ty.strip()
    if ty.startswith("Option<"):
        return None
    if ty.startswith("Vec<"):
        return []
    if "Map<" in ty:
        return {}
    if ty in ("String", "&'static str"):
        return ""
    if ty == "bool":
        return False
    if ty in ("i64", "i32", "u8", "u32", "u64", "usize"):
        return 0
    if ty == "f64":
        return 0.0
    if ty.endswith("Value"):
        return None
    if ty in found:
        return {f: default(t, found) for f, t in found[ty]}
    return None


# Fields that name a resource: made unique per resource.
NAMES = ("name", "identifier", "arn", "key_id", "group_id", "acl_id", "instance_id", "snapshot_id",
         "serial", "resource_id", "user", "id", "domain", "detector_id")

# What makes one resource of a kind fail a control, and how the rest look.
GOOD = {
    "kms.key": {"rotation_enabled": True, "manager": "CUSTOMER", "spec": "SYMMETRIC_DEFAULT", "state": "Enabled", "origin": "AWS_KMS", "usage": "ENCRYPT_DECRYPT"},
    "ec2.snapshot": {"encrypted": True},
    "ec2.instance": {"state": "running", "vpc_id": "vpc-1"},
    "rds.cluster": {"engine": "aurora-postgresql", "iam_auth": True},
    "guardduty.region": {"status": "ENABLED"},
    "ssm.managed_instance": {"ping_status": "Online"},
    "ssm.compliance": {"compliance_type": "Patch", "status": "COMPLIANT"},
    "acm.certificate": {"status": "ISSUED", "cert_type": "AMAZON_ISSUED", "key_algorithm": "RSA_2048", "not_after": "2027-06-01T00:00:00Z"},
    "s3.bucket": {"public_access_block": {"present": True, "block_public_acls": True, "ignore_public_acls": True,
                                          "block_public_policy": True, "restrict_public_buckets": True},
                  "encryption": "aws:kms", "versioning": "Enabled", "logging": True, "lifecycle_rules": 1,
                  "object_lock": True, "event_notifications": True},
    "cloudtrail.trail": {"multi_region": True, "include_global_service_events": True, "log_file_validation": True,
                         "kms_key_id": "arn:aws:kms:us-east-1:111111111111:key/trail", "is_logging": True,
                         "s3_bucket": "trail-logs", "management_events": "All",
                         "event_selectors": [{"read_write_type": "All", "include_management_events": True,
                                              "exclude_management_event_sources": [], "data_resources": 0}]},
    "rds.instance": {"engine": "postgres", "iam_auth": True, "status": "available", "vpc_id": "vpc-1"},
    "wafv2.web_acl": {"rules": 3},
    "cloudwatch.billing_alarm": {"state": "OK", "threshold": 100.0, "actions": 1},
    "ce.anomaly_monitor": {"monitor_type": "DIMENSIONAL", "subscriptions": 1},
    "iam.policy": {"permissions_boundary_usage_count": 0, "attachment_count": 1,
                   "document": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}},
    "ecr.repository": {"scan_on_push": True, "registry_scan": {"scan_type": "BASIC", "rules": []}},
    "secretsmanager.secret": {"rotation_enabled": True, "rotation_days": 30, "created": "2026-10-01T00:00:00Z",
                              "last_accessed": "2026-11-20T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z"},
}
BAD = {
    "kms.key": {"rotation_enabled": False},
    "ec2.snapshot": {"public": True},
    "rds.snapshot": {"public": True},
    "rds.cluster_snapshot": {"public": True},
    "ssm.document": {"public": True},
    "ecr.repository": {"scan_on_push": False},
    "secretsmanager.secret": {"rotation_enabled": False, "rotation_days": None},
    "s3.bucket": {"policy_is_public": True},
    "rds.instance": {"iam_auth": False},
    "rds.cluster": {"iam_auth": False},
    "guardduty.region": {"status": "DISABLED"},
    "ssm.managed_instance": {"ping_status": "ConnectionLost"},
    "ssm.compliance": {"status": "NON_COMPLIANT"},
    "ec2.instance": {"instance_profile": None},
}
REGIONS = ["us-east-1", "us-east-2", "eu-west-1", "ap-southeast-2"]


def every_kind_estate(n, out):
    found, kinds = structs()
    # Kinds the example has one of per account or region stay as they are.
    singular = {r["type"] for r in s["resources"]} & {
        "account.security_contact", "iam.account_summary", "iam.password_policy", "organizations.membership",
        "s3.account_public_access_block", "ec2.region", "guardduty.region"}
    many = sorted(k for k in kinds if k not in singular)
    template = s["resources"][0]
    per_kind = n // len(many)
    for kind in many:
        data0 = default(kinds[kind], found)
        for i in range(per_kind):
            region = REGIONS[i % len(REGIONS)]
            d = copy.deepcopy(data0)
            for f in NAMES:
                if f in d and (d[f] == "" or d[f] is None):
                    d[f] = f"{kind.split('.')[1]}-{i:06d}-{f}"
            d.update(GOOD.get(kind, {}))
            bad = i % 100 == 7
            if kind == "ec2.security_group":
                peer = "0.0.0.0/0" if bad else f"10.{i % 250}.0.0/16"
                d["ingress"] = [{"protocol": "tcp", "from_port": p, "to_port": p, "peer": peer if p == 22 else "10.0.0.0/8", "peer_type": "cidr_ipv4", "description": None} for p in (22, 443, 8080)]
                d["egress"] = [{"protocol": "-1", "from_port": None, "to_port": None, "peer": "0.0.0.0/0", "peer_type": "cidr_ipv4", "description": None}]
                d["vpc_id"] = f"vpc-{i % 40:04d}"
            elif kind == "ec2.network_acl":
                d["entries"] = [{"rule_number": 100, "egress": False, "protocol": "6", "action": "allow", "cidr": "0.0.0.0/0" if bad else "10.0.0.0/8", "from_port": 22, "to_port": 22},
                                {"rule_number": 32767, "egress": False, "protocol": "-1", "action": "deny", "cidr": "0.0.0.0/0", "from_port": None, "to_port": None}]
            elif kind == "iam.user" and bad:
                d["attached_policies"] = [{"name": "AdministratorAccess", "arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
            elif kind == "iam.credential_report":
                d.update(password_enabled=True, mfa_active=not bad, report_generated_at="2026-11-22T12:37:35Z",
                         created="2026-01-05T00:00:00Z", password_last_used="2026-11-20T00:00:00Z",
                         password_last_changed="2026-10-01T00:00:00Z")
            elif kind == "s3.bucket":
                arn = f"arn:aws:s3:::{d['name']}"
                d["policy"] = {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow" if bad else "Deny", "Principal": "*", "Action": "s3:GetObject" if bad else "s3:*",
                    "Resource": [arn, arn + "/*"]} | ({} if bad else {"Condition": {"Bool": {"aws:SecureTransport": "false"}}})]}
            elif kind == "ssm.managed_instance":
                d["instance_id"] = f"instance-{i:06d}-instance_id"  # the EC2 instance of the same number
            if bad:
                d.update(BAD.get(kind, {}))
            scope_global = kind.startswith(("iam.", "cloudfront.", "s3.", "organizations.", "account.", "ce."))
            r = copy.deepcopy(template)
            r.update(type=kind, account=acct, region="global" if scope_global else region,
                     id=f"arn:aws:{kind.split('.')[0]}:{'' if scope_global else region}:{acct}:{kind.split('.')[1]}/{i:06d}")
            if kind == "s3.bucket":
                r["id"] = f"arn:aws:s3:::{d['name']}"
            r["source"]["operation"] = f"{kind.split('.')[0]}:Bench"
            r["data"] = d
            s["resources"].append(r)
    json.dump(s, open(out, "w"))


if sys.argv[1] == "--resources":
    every_kind_estate(int(sys.argv[2]), sys.argv[3])
else:
    rules_estate(int(sys.argv[1]), sys.argv[2])
