"""The example account plus security groups holding ROWS rules, a tenth of
them open to the Internet on high-risk ports: the estate the render and
verify benchmarks pack. Usage: bench_estate.py ROWS OUT.json"""
import json, sys
rows, out = int(sys.argv[1]), sys.argv[2]
s = json.load(open("examples/snapshot.json"))
acct = s["accounts"][0]["account_id"]
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
