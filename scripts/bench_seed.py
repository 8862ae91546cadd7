"""Seed a moto server through boto3, the SDK a real account's tooling would
use, with accounts shaped like the SEC-002 seed document (3 groups / 7
users, 1 customer key, 1 certificate, 1 trail) grown to the estate the
benchmarks need: 100 IAM users, 200 security groups and 50 buckets. The
1,300 EBS snapshots come from moto itself, which lists those behind its
built-in AMIs as the account's own (unless MOTO_EC2_LOAD_DEFAULT_AMIS=false).

    bench_seed.py ENDPOINT            # the default account only
    bench_seed.py ENDPOINT MEMBERS    # also an organisation of MEMBERS members

With MEMBERS, the default account becomes the organisation's management
account and each member is seeded the same way through sts:AssumeRole into
its EvidencePackReadOnly role (moto binds the credentials it hands out to
the role's account). The member ids are printed, one a line.
"""
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

USERS = int(os.environ.get("BENCH_USERS", 100))
SECURITY_GROUPS = int(os.environ.get("BENCH_SECURITY_GROUPS", 200))
BUCKETS = int(os.environ.get("BENCH_BUCKETS", 50))
ROLE = "EvidencePackReadOnly"

endpoint = sys.argv[1]
members = int(sys.argv[2]) if len(sys.argv) > 2 else 0
# One attempt and a long wait: moto can be slow on a busy machine, and a
# create retried after a timeout fails as a duplicate.
base = dict(endpoint_url=endpoint, region_name="us-east-1",
            config=Config(read_timeout=600, retries={"total_max_attempts": 1, "mode": "standard"}))
root = dict(base, aws_access_key_id="testing", aws_secret_access_key="testing")

with tempfile.TemporaryDirectory() as d:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "20", "-subj", "/CN=patria.plus",
                    "-keyout", f"{d}/k", "-out", f"{d}/c"], check=True, capture_output=True)
    CERT, CERT_KEY = open(f"{d}/c", "rb").read(), open(f"{d}/k", "rb").read()

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}'


def seed(kw):
    iam, kms, acm, ct, s3, ec2, sts = (
        boto3.client(s, **kw) for s in ("iam", "kms", "acm", "cloudtrail", "s3", "ec2", "sts"))
    account = sts.get_caller_identity()["Account"]

    users = 0
    for group, n in [("AdministracionEC2Instances", 2), ("Administrador", 4), ("ReadOnly", 1)]:
        arn = iam.create_policy(PolicyName=group + "Policy", PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.create_group(GroupName=group)
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        for i in range(n):
            iam.create_user(UserName=f"{group}-{i}")
            iam.add_user_to_group(GroupName=group, UserName=f"{group}-{i}")
            users += 1
    for i in range(USERS - users):
        iam.create_user(UserName=f"bench-user-{i:03}")

    key = kms.create_key(Description="AD key", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/seguropatria-ad-kms", TargetKeyId=key)
    acm.import_certificate(Certificate=CERT, PrivateKey=CERT_KEY)

    # Bucket names are global, in moto as in AWS.
    trail_bucket = f"aws-cloudtrail-logs-{account}"
    for name in [trail_bucket] + [f"bench-{account}-{i:02}" for i in range(BUCKETS - 1)]:
        s3.create_bucket(Bucket=name)
        # moto cannot describe a bucket that never had versioning or notifications.
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    ct.create_trail(Name="management-events", S3BucketName=trail_bucket, IsMultiRegionTrail=True)
    # A real trail starts with this selector; moto starts with none.
    ct.put_event_selectors(TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    ct.start_logging(Name="management-events")

    open_ports = [("ssh-open", 22), ("rdp-open", 3389), ("web", 443)]
    open_ports += [(f"app-{i:03}", 8000 + i) for i in range(SECURITY_GROUPS - len(open_ports))]
    for name, port in open_ports:
        gid = ec2.create_security_group(GroupName=name, Description=name)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return account


def seed_member(account):
    creds = boto3.client("sts", **root).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench-seed")["Credentials"]
    seed(dict(base, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
              aws_session_token=creds["SessionToken"]))


seed(root)
if members:
    org = boto3.client("organizations", **root)
    org.create_organization(FeatureSet="ALL")
    ids = [org.create_account(Email=f"member{i}@example.com", AccountName=f"member-{i}")["CreateAccountStatus"]["AccountId"]
           for i in range(members)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(seed_member, ids))
    print("\n".join(ids))
