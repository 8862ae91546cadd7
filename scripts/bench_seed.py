"""Seed a moto server with an account the size of the SEC-002 seed document
(3 groups / 7 users, 1 customer key, 1 certificate, 1 trail, a few security
groups) through boto3, the SDK a real account's tooling would use."""
import os
import subprocess
import sys
import tempfile

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
iam, kms, acm, ct, s3, ec2 = (boto3.client(s, **kw) for s in ("iam", "kms", "acm", "cloudtrail", "s3", "ec2"))

policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}'
for group, users in [("AdministracionEC2Instances", 2), ("Administrador", 4), ("ReadOnly", 1)]:
    arn = iam.create_policy(PolicyName=group + "Policy", PolicyDocument=policy)["Policy"]["Arn"]
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    for i in range(users):
        iam.create_user(UserName=f"{group}-{i}")
        iam.add_user_to_group(GroupName=group, UserName=f"{group}-{i}")

key = kms.create_key(Description="AD key", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName="alias/seguropatria-ad-kms", TargetKeyId=key)

with tempfile.TemporaryDirectory() as d:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "20", "-subj", "/CN=patria.plus",
                    "-keyout", f"{d}/k", "-out", f"{d}/c"], check=True, capture_output=True)
    acm.import_certificate(Certificate=open(f"{d}/c", "rb").read(), PrivateKey=open(f"{d}/k", "rb").read())

s3.create_bucket(Bucket="aws-cloudtrail-logs-bench")
# moto cannot describe a bucket that never had versioning or notifications.
s3.put_bucket_versioning(Bucket="aws-cloudtrail-logs-bench", VersioningConfiguration={"Status": "Suspended"})
s3.put_bucket_notification_configuration(Bucket="aws-cloudtrail-logs-bench", NotificationConfiguration={"EventBridgeConfiguration": {}})
ct.create_trail(Name="management-events", S3BucketName="aws-cloudtrail-logs-bench", IsMultiRegionTrail=True)
# A real trail starts with this selector; moto starts with none.
ct.put_event_selectors(TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
ct.start_logging(Name="management-events")

for name, port in [("ssh-open", 22), ("rdp-open", 3389), ("web", 443)]:
    gid = ec2.create_security_group(GroupName=name, Description=name)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
