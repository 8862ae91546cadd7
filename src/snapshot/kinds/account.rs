//! The account's alternate contacts.

use serde::{Deserialize, Serialize};

/// The account's security alternate contact (`account:GetAlternateContact`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SecurityContact {
    pub present: bool,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}
kind!(SecurityContact, "account.security_contact", "account", |_| "security contact".into());
