//! S3 bucket policies read the way S3 reads them: whether a policy makes the
//! bucket public (S3.2, S3.3, TA.S3Permissions) and whether it refuses plain
//! HTTP (S3.5 and the evidence table's "TLS only" column, so the two never
//! disagree).
//!
//! "Public" is S3's own definition, from "The meaning of public" in the S3
//! user guide
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>):
//!
//! > When evaluating a bucket policy, Amazon S3 begins by assuming that the
//! > policy is public. It then evaluates the policy to determine whether it
//! > qualifies as non-public. To be considered non-public, a bucket policy
//! > must grant access only to fixed values (values that don't contain a
//! > wildcard or an AWS Identity and Access Management Policy Variable) for
//! > one or more of the following: An AWS principal, user, role, or service
//! > principal (e.g. `aws:PrincipalOrgID`); a set of Classless Inter-Domain
//! > Routings (CIDRs), using `aws:SourceIp` […] `aws:SourceArn`,
//! > `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`,
//! > `aws:SourceAccount`, `s3:x-amz-server-side-encryption-aws-kms-key-id`,
//! > `aws:userid`, outside the pattern "`AROLEID:*`", `s3:DataAccessPointArn`
//! > […], `s3:DataAccessPointAccount`.
//! >
//! > Bucket policies that grant access conditioned on the `aws:SourceIp`
//! > condition key with very broad IP ranges (for example, 0.0.0.0/1) are
//! > evaluated as "public." This includes values broader than /8 for IPv4
//! > and /32 for IPv6 (excluding RFC1918 private ranges).
//!
//! So a condition on anything else (`aws:SecureTransport`, `aws:Referer`,
//! `aws:UserAgent`, tags, times) leaves a statement public, and so does a
//! qualifying key whose value is a wildcard, a policy variable or a world
//! range. Everything here reads untrusted JSON and never panics: a shape it
//! does not recognise counts against the bucket (public, or not denying
//! HTTP), never for it.

use std::net::IpAddr;

use serde_json::Value;

/// Which kinds of access a policy grants to the public.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
}

/// S3 names its actions verb first, and the verb says whether the action
/// reads or changes something: `GetObject`, `ListBucket`, `DescribeJob` read;
/// `PutObject`, `DeleteObject`, `RestoreObject`, `ReplicateObject`,
/// `BypassGovernanceRetention` write. Matching families rather than a list
/// of names keeps every action of a family, present and future, in it.
const READ_FAMILIES: &[&str] = &["s3:get", "s3:list", "s3:describe"];
const WRITE_FAMILIES: &[&str] = &[
    "s3:put",
    "s3:delete",
    "s3:create",
    "s3:abort",
    "s3:restore",
    "s3:replicate",
    "s3:bypass",
    "s3:update",
    "s3:initiate",
    "s3:objectowneroverride",
    "s3:pause",
    "s3:submit",
    "s3:associate",
    "s3:dissociate",
    "s3:tag",
    "s3:untag",
];

/// Condition keys S3 accepts as narrowing a statement to fixed values
/// (lower case: condition keys are case-insensitive). `aws:PrincipalArn`
/// and `aws:PrincipalAccount` name principals, the first item of S3's list.
const NARROWING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

/// `arn:aws:s3:::` and a bucket name of at most 63 characters, with room
/// for other partitions' longer prefixes (`arn:aws-us-gov:s3:::`).
const MAX_BUCKET_ARN: usize = 100;

/// Whether a bucket policy makes the bucket public, for reading or writing.
pub fn is_public(policy: &Value) -> bool {
    let a = public_access(policy);
    a.read || a.write
}

/// What a bucket policy grants to the public. A policy S3 could not have
/// stored (not an object) grants nothing: [`statements`] finds none.
pub fn public_access(policy: &Value) -> Access {
    let mut access = Access::default();
    for s in statements(policy) {
        if !field(s, "Effect").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case("Allow")) {
            continue;
        }
        if !principal_is_public(s) || narrowed(s) {
            continue;
        }
        let grants = |families: &[&str]| match (field(s, "Action"), field(s, "NotAction")) {
            (Some(actions), _) => strings(actions).any(|a| families.iter().any(|f| can_match_prefix(a, f))),
            // Everything but the listed actions: a family is left out only
            // when one pattern excludes all of it (`s3:Get*`, `s3:*`).
            (None, Some(not)) => {
                families.iter().any(|f| !strings(not).any(|a| covers_prefix(&a.to_ascii_lowercase(), f)))
            }
            (None, None) => false,
        };
        access.read |= grants(READ_FAMILIES);
        access.write |= grants(WRITE_FAMILIES);
    }
    access
}

/// Whether the policy denies every S3 request on the bucket and on all its
/// objects to everyone when the request is not over TLS: a `Deny` to
/// principal `*` of `s3:*` (or `*`) with `aws:SecureTransport` false under
/// `Bool` or `BoolIfExists`. Keys and operators match case-insensitively;
/// the value may be a string or a list, `"false"` or `false`.
pub fn denies_insecure_transport(policy: &Value, bucket_arn: &str) -> bool {
    // A bucket's ARN is at most 76 characters (names are at most 63): a
    // longer one is no bucket, and matching stays linear in the policy.
    if bucket_arn.len() > MAX_BUCKET_ARN {
        return false;
    }
    let objects = format!("{bucket_arn}/");
    statements(policy).any(|s| {
        field(s, "Effect").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case("Deny"))
            && field(s, "NotPrincipal").is_none()
            && field(s, "Principal").is_some_and(principal_is_everyone)
            && field(s, "Action").is_some_and(|a| strings(a).any(|a| covers_prefix(&a.to_ascii_lowercase(), "s3:")))
            && field(s, "Resource").is_some_and(|r| {
                strings(r).any(|r| matches(r, bucket_arn)) && strings(r).any(|r| covers_prefix(r, &objects))
            })
            && {
                // Any other condition narrows the denial (HTTP still allowed
                // from some VPC, to some principal): only this one may be there.
                let mut all = conditions(s).peekable();
                all.peek().is_some() && all.all(|(op, key, values)| insecure_transport(op, key, &values))
            }
    })
}

/// `Bool`/`BoolIfExists` `aws:SecureTransport` false.
fn insecure_transport(op: &str, key: &str, values: &[&Value]) -> bool {
    (op.eq_ignore_ascii_case("Bool") || op.eq_ignore_ascii_case("BoolIfExists"))
        && key.eq_ignore_ascii_case("aws:SecureTransport")
        && values.iter().any(|v| match v {
            Value::Bool(b) => !b,
            Value::String(s) => s.eq_ignore_ascii_case("false"),
            _ => false,
        })
}

/// The policy's statements: `Statement` may be one object or a list.
fn statements(policy: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    let list: &[Value] = match policy.get("Statement") {
        Some(Value::Array(a)) => a,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    };
    list.iter().filter_map(Value::as_object)
}

/// A statement's element; policy element names are case-insensitive.
fn field<'a>(s: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    s.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// A string, or the strings of a list.
fn strings(v: &Value) -> impl Iterator<Item = &str> {
    let list: &[Value] = match v {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
    list.iter().filter_map(Value::as_str)
}

/// A value, or the values of a list.
fn values(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

/// Each `(operator, key, values)` of a statement's `Condition`.
fn conditions(s: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&str, &str, Vec<&Value>)> {
    field(s, "Condition")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|ops| ops.iter())
        .filter_map(|(op, keys)| keys.as_object().map(|keys| (op, keys)))
        .flat_map(|(op, keys)| keys.iter().map(move |(k, v)| (op.as_str(), k.as_str(), values(v))))
}

/// `*` or `{"AWS": "*"}`, alone or in a list.
fn principal_is_everyone(p: &Value) -> bool {
    match p {
        Value::String(s) => s == "*",
        Value::Object(m) => m.iter().any(|(k, v)| k.eq_ignore_ascii_case("AWS") && strings(v).any(|s| s == "*")),
        _ => false,
    }
}

/// Whether a statement's principal is not a set of fixed principals:
/// `*`, a principal holding a wildcard or a variable, a web-identity
/// (`Federated`) principal, which S3's own examples call public, or any
/// `NotPrincipal` (everyone but those named).
fn principal_is_public(s: &serde_json::Map<String, Value>) -> bool {
    if field(s, "NotPrincipal").is_some() {
        return true;
    }
    match field(s, "Principal") {
        Some(Value::String(p)) => !fixed(p),
        Some(Value::Object(m)) => m.iter().any(|(kind, v)| {
            kind.eq_ignore_ascii_case("Federated") || values(v).iter().any(|p| p.as_str().is_none_or(|p| !fixed(p)))
        }),
        // No principal: S3 refuses such a policy; it grants nobody anything.
        _ => false,
    }
}

/// Whether one of the statement's conditions holds it to fixed values of a
/// key S3 accepts, which makes the statement non-public. Only operators
/// that require the key to be present and equal to the values narrow:
/// `…IfExists` lets a request without the key through, and negated
/// operators (`StringNotEquals`, `NotIpAddress`) let everything else through.
fn narrowed(s: &serde_json::Map<String, Value>) -> bool {
    conditions(s).any(|(op, key, values)| {
        let op = op.to_ascii_lowercase();
        let op = op.strip_prefix("foranyvalue:").unwrap_or(&op);
        let key = key.to_ascii_lowercase();
        if values.is_empty() {
            return false;
        }
        if key == "aws:sourceip" {
            return op == "ipaddress" && values.iter().all(|v| v.as_str().is_some_and(narrow_range));
        }
        let equality = matches!(
            op,
            "stringequals" | "stringequalsignorecase" | "stringlike" | "arnequals" | "arnlike" | "numericequals"
        );
        equality
            && NARROWING_KEYS.contains(&key.as_str())
            && values.iter().all(|v| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return false,
                };
                match key.as_str() {
                    "aws:userid" => fixed(&text) || role_sessions(&text),
                    "s3:dataaccesspointarn" => fixed(&text) || account_access_points(&text),
                    _ => fixed(&text),
                }
            })
    })
}

/// No wildcard and no policy variable.
fn fixed(v: &str) -> bool {
    !v.is_empty() && !v.contains(['*', '?']) && !v.contains("${")
}

/// `AROLEID:*`: every session of one role, which S3 accepts as fixed.
fn role_sessions(v: &str) -> bool {
    v.strip_suffix(":*").is_some_and(|id| fixed(id) && !id.contains(':'))
}

/// `arn:aws:s3:region:account:accesspoint/*`: every access point of one
/// account, which S3 accepts in a bucket policy as long as the account is fixed.
fn account_access_points(v: &str) -> bool {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    match parts.as_slice() {
        [arn, partition, service, region, account, rest] => {
            fixed(&format!("{arn}:{partition}:{service}:{region}"))
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && rest.strip_prefix("accesspoint/").is_some_and(|name| !name.contains("${"))
        }
        _ => false,
    }
}

/// An `aws:SourceIp` value no broader than S3 allows a non-public policy:
/// /8 for IPv4, /32 for IPv6 ("broader than" read as strictly broader). A
/// bare address is one host.
fn narrow_range(cidr: &str) -> bool {
    let (addr, len) = match cidr.trim().split_once('/') {
        Some((a, l)) => match l.parse::<u8>() {
            Ok(l) => (a, Some(l)),
            Err(_) => return false,
        },
        None => (cidr.trim(), None),
    };
    match addr.parse::<IpAddr>() {
        // Every RFC 1918 range is /8 or narrower, so "excluding RFC1918
        // private ranges" changes nothing once /8 itself counts as narrow.
        Ok(IpAddr::V4(_)) => (8..=32).contains(&len.unwrap_or(32)),
        Ok(IpAddr::V6(_)) => (32..=128).contains(&len.unwrap_or(128)),
        Err(_) => false,
    }
}

// IAM wildcards (`*` any run, `?` one character) matched as a set of
// positions in the pattern, so the same walk answers "matches exactly",
// "matches everything that starts with" and "can match something that
// starts with", which a glob library's yes/no match cannot.

/// The positions in `pattern` reachable after reading `text` (`at[i]`:
/// position `i` is), each `*` also skipped, as it may match nothing.
/// Costs the pattern's length per character of text, whatever the pattern.
fn reach(pattern: &[char], text: &str) -> Vec<bool> {
    let close = |at: &mut Vec<bool>| {
        for p in 0..pattern.len() {
            if at[p] && pattern[p] == '*' {
                at[p + 1] = true;
            }
        }
    };
    let mut at = vec![false; pattern.len() + 1];
    at[0] = true;
    close(&mut at);
    for c in text.chars() {
        let mut next = vec![false; pattern.len() + 1];
        for p in 0..pattern.len() {
            if !at[p] {
                continue;
            }
            match pattern[p] {
                '*' => next[p] = true,
                '?' => next[p + 1] = true,
                x if x == c => next[p + 1] = true,
                _ => {}
            }
        }
        close(&mut next);
        at = next;
        if !at.contains(&true) {
            break;
        }
    }
    at
}

/// Whether `pattern` matches `text` exactly.
fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    reach(&p, text)[p.len()]
}

/// Whether `pattern` matches every text that starts with `prefix`: after
/// reading the prefix, only `*`s are left (at least one).
fn covers_prefix(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let at = reach(&p, prefix);
    (0..p.len()).any(|i| at[i] && p[i..].iter().all(|c| *c == '*'))
}

/// Whether an action pattern (case-insensitive) matches at least one action
/// that starts with `prefix` (lower case).
fn can_match_prefix(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    reach(&p, prefix).contains(&true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn allow(extra: Value) -> Value {
        let mut s =
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        json!({"Version": "2012-10-17", "Statement": [s]})
    }

    fn cond(op: &str, key: &str, v: Value) -> Value {
        allow(json!({"Condition": {op: {key: v}}}))
    }

    #[test]
    fn anyone_without_a_condition_is_public() {
        assert_eq!(public_access(&allow(json!({}))), Access { read: true, write: false });
        assert!(is_public(&allow(json!({"Principal": {"AWS": "*"}}))));
        assert!(is_public(&allow(json!({"Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}))));
        // One statement (not a list) is a policy too.
        assert!(is_public(
            &json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}})
        ));
    }

    #[test]
    fn fixed_principals_are_not_public_but_wildcards_and_web_identities_are() {
        assert!(!is_public(&allow(json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}))));
        assert!(!is_public(&allow(json!({"Principal": {"Service": "cloudtrail.amazonaws.com"}}))));
        assert!(is_public(&allow(json!({"Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}}))));
        // S3's own example of a public policy.
        assert!(is_public(&allow(json!({"Principal": {"Federated": "graph.facebook.com"}}))));
        assert!(is_public(&allow(
            json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "NotPrincipal": {"AWS": "x"}})
        )));
    }

    #[test]
    fn conditions_that_do_not_narrow_to_fixed_values_leave_it_public() {
        for c in [
            cond("Bool", "aws:SecureTransport", json!("true")),
            cond("StringLike", "aws:Referer", json!("https://example.com/*")),
            cond("StringEquals", "aws:Referer", json!("https://example.com/")),
            cond("StringEquals", "aws:UserAgent", json!("curl")),
            cond("IpAddress", "aws:SourceIp", json!("0.0.0.0/0")),
            cond("IpAddress", "aws:SourceIp", json!("::/0")),
            cond("IpAddress", "aws:SourceIp", json!("0.0.0.0/1")),
            cond("IpAddress", "aws:SourceIp", json!(["203.0.113.0/24", "0.0.0.0/0"])),
            cond("IpAddress", "aws:SourceIp", json!("2001:db8::/16")),
            cond("NotIpAddress", "aws:SourceIp", json!("203.0.113.0/24")),
            // S3's own example: a wildcard value narrows nothing.
            cond("StringLike", "aws:SourceVpc", json!("vpc-*")),
            cond("StringEquals", "aws:SourceAccount", json!("${aws:PrincipalAccount}")),
            cond("StringNotEquals", "aws:SourceAccount", json!("111122223333")),
            cond("StringEqualsIfExists", "aws:SourceVpc", json!("vpc-91237329")),
            cond("ForAllValues:StringEquals", "aws:SourceVpc", json!("vpc-91237329")),
            cond("StringEquals", "aws:SourceVpc", json!([])),
            cond("StringEquals", "aws:PrincipalTag/team", json!("data")),
            cond("StringLike", "aws:userid", json!("AROA*")),
            cond("StringLike", "s3:DataAccessPointArn", json!("arn:aws:s3:us-west-2:*:accesspoint/*")),
        ] {
            assert!(is_public(&c), "{c}");
        }
    }

    #[test]
    fn fixed_values_of_the_keys_s3_names_make_it_private() {
        for c in [
            cond("StringEquals", "aws:SourceAccount", json!("111122223333")),
            cond("StringEquals", "AWS:SOURCEACCOUNT", json!(["111122223333", "444455556666"])),
            cond("StringEquals", "aws:SourceAccount", json!(111122223333u64)),
            cond("StringEquals", "aws:SourceVpc", json!("vpc-91237329")),
            cond("StringEquals", "aws:SourceVpce", json!("vpce-1a2b3c4d")),
            cond("StringEquals", "aws:SourceOwner", json!("111122223333")),
            cond("StringEquals", "aws:PrincipalOrgID", json!("o-abc123")),
            cond("ForAnyValue:StringEquals", "aws:PrincipalOrgID", json!("o-abc123")),
            cond("StringEquals", "aws:PrincipalAccount", json!("111122223333")),
            cond("ArnEquals", "aws:PrincipalArn", json!("arn:aws:iam::111122223333:role/r")),
            cond("ArnLike", "aws:SourceArn", json!("arn:aws:cloudfront::111122223333:distribution/E1")),
            cond("StringLike", "aws:userid", json!("AROAEXAMPLEID:*")),
            cond("StringEquals", "s3:DataAccessPointAccount", json!("111122223333")),
            cond("StringLike", "s3:DataAccessPointArn", json!("arn:aws:s3:us-west-2:123456789012:accesspoint/*")),
            cond("IpAddress", "aws:SourceIp", json!("203.0.113.0/24")),
            cond("IpAddress", "aws:SourceIp", json!(["203.0.113.7", "198.51.100.0/24"])),
            cond("IpAddress", "aws:SourceIp", json!("12.0.0.0/8")),
            cond("IpAddress", "aws:SourceIp", json!("2001:db8::/32")),
        ] {
            assert!(!is_public(&c), "{c}");
        }
        // A narrowing condition still narrows beside one that does not.
        let both = allow(json!({"Condition": {
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}
        }}));
        assert!(!is_public(&both));
    }

    #[test]
    fn actions_are_sorted_into_read_and_write_by_family() {
        let with = |a: Value| public_access(&allow(json!({"Action": a})));
        assert_eq!(with(json!("s3:*")), Access { read: true, write: true });
        assert_eq!(with(json!("*")), Access { read: true, write: true });
        assert_eq!(with(json!("S3:getobjectversion")), Access { read: true, write: false });
        assert_eq!(with(json!("s3:ListBucketVersions")), Access { read: true, write: false });
        assert_eq!(with(json!("s3:Get*")), Access { read: true, write: false });
        assert_eq!(with(json!("s3:*Object")), Access { read: true, write: true });
        assert_eq!(with(json!(["s3:PutObjectAcl"])), Access { read: false, write: true });
        assert_eq!(with(json!("s3:RestoreObject")), Access { read: false, write: true });
        assert_eq!(with(json!("s3:BypassGovernanceRetention")), Access { read: false, write: true });
        assert_eq!(with(json!("s3:DeleteBucketPolicy")), Access { read: false, write: true });
        assert_eq!(with(json!("sqs:SendMessage")), Access::default());
    }

    #[test]
    fn not_action_grants_every_family_it_does_not_exclude_whole() {
        let with = |a: Value| {
            let mut p = allow(json!({"NotAction": a}));
            p["Statement"][0].as_object_mut().unwrap().remove("Action");
            public_access(&p)
        };
        assert_eq!(with(json!("s3:GetObject")), Access { read: true, write: true });
        assert_eq!(with(json!("iam:*")), Access { read: true, write: true });
        assert_eq!(with(json!(["s3:Get*", "s3:List*", "s3:Describe*"])), Access { read: false, write: true });
        assert_eq!(with(json!("s3:*")), Access::default());
    }

    #[test]
    fn deny_statements_and_odd_documents_grant_nothing() {
        assert!(!is_public(&allow(json!({"Effect": "Deny"}))));
        for doc in [json!(null), json!("not a policy"), json!({"Statement": 3}), json!({"Statement": [1, "x"]})] {
            assert!(!is_public(&doc), "{doc}");
            assert!(!denies_insecure_transport(&doc, "arn:aws:s3:::b"), "{doc}");
        }
    }

    const ARN: &str = "arn:aws:s3:::b";

    fn deny(extra: Value) -> Value {
        let mut s = json!({
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        json!({"Statement": [s]})
    }

    #[test]
    fn tls_denial_in_every_form_aws_accepts() {
        for p in [
            deny(json!({})),
            deny(json!({"Condition": {"Bool": {"aws:SecureTransport": ["false"]}}})),
            deny(json!({"Condition": {"Bool": {"aws:SecureTransport": false}}})),
            deny(json!({"Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}})),
            deny(json!({"Condition": {"bool": {"aws:securetransport": "FALSE"}}})),
            deny(json!({"Principal": {"AWS": "*"}})),
            deny(json!({"Principal": {"AWS": ["*"]}})),
            deny(json!({"Action": "*"})),
            deny(json!({"Action": ["s3:GetObject", "S3:*"]})),
            deny(json!({"Resource": "*"})),
            deny(json!({"Resource": "arn:aws:s3:::*"})),
            deny(json!({"Resource": "arn:aws:s3:::b*"})),
        ] {
            assert!(denies_insecure_transport(&p, ARN), "{p}");
        }
    }

    #[test]
    fn partial_tls_denials_do_not_count() {
        for p in [
            // Objects only, or the bucket only.
            deny(json!({"Resource": "arn:aws:s3:::b/*"})),
            deny(json!({"Resource": "arn:aws:s3:::b"})),
            deny(json!({"Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/public/*"]})),
            deny(json!({"Resource": ["arn:aws:s3:::other", "arn:aws:s3:::other/*"]})),
            deny(json!({"Action": "s3:GetObject"})),
            deny(json!({"Action": "s3:Get*"})),
            deny(json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}})),
            deny(json!({"Effect": "Allow"})),
            deny(json!({"Condition": {"Bool": {"aws:SecureTransport": "true"}}})),
            deny(json!({"Condition": {"StringEquals": {"aws:SecureTransport": "false"}}})),
            deny(json!({"Condition": {}})),
            deny(json!({"Condition": {
                "Bool": {"aws:SecureTransport": "false"},
                "StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}
            }})),
            deny(json!({"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}})),
        ] {
            assert!(!denies_insecure_transport(&p, ARN), "{p}");
        }
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(matches("arn:aws:s3:::b", "arn:aws:s3:::b"));
        assert!(matches("arn:aws:s3:::?", "arn:aws:s3:::b"));
        assert!(!matches("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(covers_prefix("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
        assert!(covers_prefix("arn:aws:s3:::b*/*", "arn:aws:s3:::b/"));
        assert!(!covers_prefix("arn:aws:s3:::b/", "arn:aws:s3:::b/"));
        assert!(!covers_prefix("arn:aws:s3:::b/*.txt", "arn:aws:s3:::b/"));
        assert!(can_match_prefix("s3:*object", "s3:get"));
        assert!(!can_match_prefix("s3:put*", "s3:get"));
        // Pathological patterns stay linear in the text.
        let long = "*".repeat(2000) + "x";
        assert!(!matches(&long, &"a".repeat(2000)));
    }

    #[test]
    fn no_bucket_has_an_arn_this_long() {
        let arn = format!("arn:aws:s3:::{}", "b".repeat(200));
        let p = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
        assert!(!denies_insecure_transport(&p, &arn));
        assert!(denies_insecure_transport(&p, &format!("arn:aws:s3:::{}", "b".repeat(63))));
    }

    #[test]
    fn source_ip_ranges() {
        for ok in [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "1.2.3.4",
            "1.0.0.0/8",
            "2001:db8::/32",
            "::1",
        ] {
            assert!(narrow_range(ok), "{ok}");
        }
        for wide in ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/7", "::/0", "2000::/3", "1.2.3.4/33", "x/8", "1.2.3.4/x", ""]
        {
            assert!(!narrow_range(wide), "{wide}");
        }
    }
}
