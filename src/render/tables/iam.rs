//! IAM: account settings, identities, policies, the credential report and
//! virtual MFA devices.

use super::{At, EvidenceTable, Row, names, opt, yes};
use crate::snapshot::kinds::{
    AccessKeyUse, AccountSummary, CredentialReportRow, IamGroup, IamPolicy, IamRole, IamUser, PasswordPolicy,
    VirtualMfaDevice,
};

const AUTHORIZATION_DETAILS_USERS: &str = "aws iam get-account-authorization-details --filter User Group";

impl EvidenceTable for AccountSummary {
    const TITLE: &'static str = "Account security settings (IAM dashboard)";
    const COLUMNS: &'static [&'static str] = &["Setting", "Status"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws iam get-account-summary".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let mut rows = vec![
            at.row(vec!["Root user has MFA".into(), yes(self.root_mfa_enabled)]),
            at.row(vec!["Root user has access keys".into(), yes(self.root_access_keys_present)]),
            at.row(vec![
                "Session tokens from the global STS endpoint".into(),
                match self.global_endpoint_token_version {
                    2 => "Valid in all AWS Regions (version 2)".into(),
                    v => format!("Valid only in AWS Regions enabled by default (version {v})"),
                },
            ]),
        ];
        // Counts for context only: no control judges them, so never flagged.
        for (k, label) in [
            ("Users", "IAM users"),
            ("Groups", "IAM groups"),
            ("Roles", "IAM roles"),
            ("MFADevicesInUse", "MFA devices in use"),
        ] {
            if let Some(v) = self.summary.get(k) {
                rows.push(Row { cells: vec![label.into(), v.to_string()], flagged: false });
            }
        }
        rows
    }
}

impl EvidenceTable for PasswordPolicy {
    const TITLE: &'static str = "Password policy (IAM, Account settings)";
    const COLUMNS: &'static [&'static str] = &["Setting", "Value"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws iam get-account-password-policy".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "Not set".into());
        let settings = if !self.present {
            vec![("Custom password policy", "None: IAM's default policy applies".to_string())]
        } else {
            vec![
                ("Custom password policy", "Yes".to_string()),
                ("Minimum length", n(self.minimum_password_length)),
                ("Require uppercase", yes(self.require_uppercase_characters)),
                ("Require lowercase", yes(self.require_lowercase_characters)),
                ("Require numbers", yes(self.require_numbers)),
                ("Require symbols", yes(self.require_symbols)),
                ("Users may change their password", yes(self.allow_users_to_change_password)),
                (
                    "Password expiry",
                    match self.max_password_age {
                        Some(d) if self.expire_passwords => format!("{d} days"),
                        _ => "Never expire".into(),
                    },
                ),
                ("Prevent reuse of last", n(self.password_reuse_prevention)),
                ("Expired passwords need an administrator reset", yes(self.hard_expiry)),
            ]
        };
        settings.into_iter().map(|(k, v)| at.row(vec![k.into(), v])).collect()
    }
}

impl EvidenceTable for IamGroup {
    const TITLE: &'static str = "User groups";
    const COLUMNS: &'static [&'static str] = &["Group name", "Users", "Permissions", "Members", "Policies"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec![AUTHORIZATION_DETAILS_USERS.into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let policies: Vec<String> = self
            .attached_policies
            .iter()
            .map(|p| p.name.clone())
            .chain(self.inline_policies.iter().map(|p| format!("{} (inline)", p.name)))
            .collect();
        let defined = if policies.is_empty() { "Not defined" } else { "Defined" };
        vec![at.row(vec![
            self.name,
            self.members.len().to_string(),
            defined.into(),
            self.members.join(", "),
            policies.join(", "),
        ])]
    }
}

impl EvidenceTable for IamUser {
    const TITLE: &'static str = "Users";
    const COLUMNS: &'static [&'static str] = &["User name", "Groups", "Attached policies", "Inline policies"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec![AUTHORIZATION_DETAILS_USERS.into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            self.name,
            names(self.groups),
            names(self.attached_policies.into_iter().map(|p| p.name).collect()),
            names(self.inline_policies.into_iter().map(|p| p.name).collect()),
        ])]
    }
}

impl EvidenceTable for IamRole {
    const TITLE: &'static str = "Roles";
    const COLUMNS: &'static [&'static str] = &["Role name", "Attached policies", "Inline policies", "Last used"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws iam get-account-authorization-details --filter Role".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        vec![at.row(vec![
            self.name,
            names(self.attached_policies.into_iter().map(|p| p.name).collect()),
            names(self.inline_policies.into_iter().map(|p| p.name).collect()),
            opt(&self.last_used),
        ])]
    }
}

impl EvidenceTable for IamPolicy {
    const TITLE: &'static str = "Customer managed policies";
    const COLUMNS: &'static [&'static str] = &["Policy name", "Attached to", "Allowed actions"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws iam get-account-authorization-details --filter LocalManagedPolicy".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        use serde_json::Value;
        let mut actions: Vec<String> = Vec::new();
        let stmts = match &self.document["Statement"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for st in stmts.iter().filter(|s| s["Effect"] == "Allow") {
            match &st["Action"] {
                Value::String(a) => actions.push(a.clone()),
                Value::Array(a) => actions.extend(a.iter().filter_map(|v| v.as_str().map(String::from))),
                _ => {}
            }
        }
        vec![at.row(vec![self.name, format!("{} entities", self.attachment_count), actions.join(", ")])]
    }
}

impl EvidenceTable for CredentialReportRow {
    const TITLE: &'static str = "Credential report";
    const COLUMNS: &'static [&'static str] =
        &["User", "Console password", "Password last used", "MFA", "Access key 1", "Access key 2", "Report generated"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec![
            "aws iam generate-credential-report && aws iam get-credential-report --query Content --output text | base64 -d"
                .into(),
        ]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let key = |k: &AccessKeyUse| {
            if !k.active {
                "-".to_string()
            } else {
                format!("active, rotated {}, last used {}", opt(&k.last_rotated), opt(&k.last_used))
            }
        };
        vec![at.row(vec![
            if self.is_root { "root user".into() } else { self.user.clone() },
            yes(self.password_enabled),
            opt(&self.password_last_used),
            yes(self.mfa_active),
            self.access_keys.first().map(key).unwrap_or_default(),
            self.access_keys.get(1).map(key).unwrap_or_default(),
            report_age(self.report_generated_at.as_deref(), at),
        ])]
    }
}

/// When IAM generated the credential report, and how long before the
/// collection: AWS hands back a report up to four hours old, and a reader
/// must see how stale its dates may be.
fn report_age(generated: Option<&str>, at: &At) -> String {
    let Some(text) = generated else { return "-".into() };
    let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) else { return text.to_string() };
    let minutes = (at.now - time.with_timezone(&chrono::Utc)).num_minutes().max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{text} ({m} min before collection)"),
        (h, m) if h < 48 => format!("{text} ({h} h {m} min before collection)"),
        (h, _) => format!("{text} ({} days before collection)", h / 24),
    }
}

impl EvidenceTable for VirtualMfaDevice {
    const TITLE: &'static str = "Virtual MFA devices";
    const COLUMNS: &'static [&'static str] = &["Serial number", "Assigned to"];

    fn cli(&self, _: &At) -> Vec<String> {
        vec!["aws iam list-virtual-mfa-devices".into()]
    }

    fn rows(self, at: &At) -> Vec<Row> {
        let user =
            if self.is_root { "root user".to_string() } else { self.user_arn.unwrap_or_else(|| "Not assigned".into()) };
        vec![at.row(vec![self.serial, user])]
    }
}
