//! The audit page (SPEC §8): what a query asks for and what a page holds, shared by the page
//! (which keeps the query in its URL) and the server. Newest first, by keyset.

use serde::{Deserialize, Serialize};

/// Records per page.
pub const AUDIT_PAGE_SIZE: usize = 50;

/// Every action the trail records, with how a person reads it. The server's `AuditAction`
/// writes exactly these codes (a test holds them together).
pub const ACTIONS: [(&str, &str); 36] = [
    ("sign_in", "Sign-in"),
    ("sign_out", "Sign-out"),
    ("sign_out_everywhere", "Sign-out everywhere"),
    ("password.change", "Password changed"),
    ("account.create.setup", "Administrator created at setup"),
    (
        "account.create.cli",
        "Administrator created on the command line",
    ),
    ("account.create", "Account created"),
    ("account.update", "Account edited"),
    ("account.disable", "Account disabled"),
    ("account.enable", "Account enabled"),
    ("account.delete", "Account deleted"),
    ("account.export", "Accounts exported"),
    ("tenant.create", "Tenant created"),
    ("tenant.update", "Tenant edited"),
    ("tenant.disable", "Tenant disabled"),
    ("tenant.enable", "Tenant enabled"),
    ("tenant.delete", "Tenant deleted"),
    ("role.create", "Role created"),
    ("role.update", "Role edited"),
    ("role.delete", "Role deleted"),
    ("role.assign", "Role assigned"),
    ("role.unassign", "Role removed"),
    ("scope.create", "Scope created"),
    ("scope.update", "Scope edited"),
    ("scope.delete", "Scope deleted"),
    ("mfa.enable", "MFA turned on"),
    ("mfa.disable", "MFA turned off"),
    ("sessions.invalidate", "Sessions ended by an administrator"),
    ("sign_in.password", "Password accepted, MFA code awaited"),
    ("api_token.create", "API token created"),
    ("api_token.revoke", "API token revoked"),
    ("api_client.rotate", "Client secret generated"),
    ("api_client.token", "Access token issued"),
    ("api.authenticate", "API authentication failed"),
    ("audit.export", "Audit log exported"),
    ("outbox.requeue", "Outbox message sent again"),
];

/// How a person reads an action code (the code itself if unknown).
pub fn action_label(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// How a person reads a reason code: the words of an access-model refusal
/// ([`crate::access::Refusal::CODES`]), or the code itself with spaces (sign-in reasons such
/// as `invalid_credentials` read well as they are).
pub fn reason_label(code: &str) -> String {
    crate::access::Refusal::CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.replace('_', " "), |(_, words)| (*words).to_owned())
}

/// How a person reads a record's outcome, e.g. "refused · only platform administrators may
/// do this", with "(and 12 more like it just before, not recorded one by one)" when refusals
/// like it were left out of the trail.
pub fn outcome_text(outcome: &str, reason: Option<&str>, suppressed_before: Option<i64>) -> String {
    let mut text = match reason {
        Some(reason) => format!("{outcome} · {}", reason_label(reason)),
        None => outcome.to_owned(),
    };
    if let Some(n) = suppressed_before.filter(|n| *n > 0) {
        text.push_str(&format!(
            " (and {n} more like it just before, not recorded one by one)"
        ));
    }
    text
}

/// An audit query, as the page's URL carries it. Malformed values are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    /// The start of the acting account's username.
    pub actor: String,
    /// One action code, or empty for all.
    pub action: String,
    /// The start of the target's name (account username or tenant name).
    pub target: String,
    /// `YYYY-MM-DD` (UTC), inclusive; empty for no bound.
    pub from: String,
    pub to: String,
    /// Older than this record: `(occurred_at, id)`.
    pub cursor: Option<(i64, i64)>,
}

impl AuditQuery {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> AuditQuery {
        AuditQuery {
            actor: get("actor").unwrap_or_default(),
            action: get("action")
                .filter(|a| ACTIONS.iter().any(|(c, _)| c == a))
                .unwrap_or_default(),
            target: get("target").unwrap_or_default(),
            from: get("from").unwrap_or_default(),
            to: get("to").unwrap_or_default(),
            cursor: get("page").and_then(|p| {
                let (at, id) = p.split_once('.')?;
                Some((at.parse().ok()?, id.parse().ok()?))
            }),
        }
    }

    pub fn to_params(&self) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.trim().is_empty() {
                params.push((name, value.trim().to_owned()));
            }
        }
        if let Some((at, id)) = self.cursor {
            params.push(("page", format!("{at}.{id}")));
        }
        params
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::directory::percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn is_filtered(&self) -> bool {
        [
            &self.actor,
            &self.action,
            &self.target,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// One record, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: i64,
    pub tenant_name: Option<String>,
    pub actor_username: Option<String>,
    pub actor_tier: Option<crate::domain::Tier>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_label: Option<String>,
    /// The changed fields: (field, before, after), values as JSON text.
    pub changes: Vec<(String, Option<String>, Option<String>)>,
    pub client: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    /// A refused record: how many refusals like it (same actor, action and reason) were left
    /// out of the trail just before it (a loop is recorded a few times a minute, not each
    /// time).
    #[serde(default)]
    pub suppressed_before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The query of the next (older) page, if any.
    pub next: Option<(i64, i64)>,
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_time(unix_secs: i64) -> String {
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        crate::pages::format_date(unix_secs),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The Unix time a `YYYY-MM-DD` day starts (UTC), or `None` if it is no such date.
pub fn day_start(date: &str) -> Option<i64> {
    // parse_expiration gives the midnight that ends the day, for any date after `now`.
    crate::domain::parse_expiration(date, i64::MIN)
        .ok()
        .flatten()
        .map(|end| end - 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_survives_its_url() {
        let query = AuditQuery {
            actor: "ada".into(),
            action: "account.delete".into(),
            target: "grace hopper".into(),
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            cursor: Some((1_795_305_600, 42)),
        };
        let encoded = query.to_params();
        let pairs: Vec<(String, String)> = encoded
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.replace("%20", " "))
            })
            .collect();
        let read = AuditQuery::from_params(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(read, query);
        assert_eq!(AuditQuery::default().to_params(), "");
    }

    #[test]
    fn unknown_actions_and_bad_pages_are_ignored() {
        let query = AuditQuery::from_params(|name| match name {
            "action" => Some("drop table".into()),
            "page" => Some("x.1".into()),
            _ => None,
        });
        assert_eq!(query, AuditQuery::default());
    }

    #[test]
    fn outcomes_read_as_words_with_the_refusals_left_out() {
        assert_eq!(outcome_text("success", None, None), "success");
        assert_eq!(
            outcome_text("failure", Some("invalid_credentials"), None),
            "failure · invalid credentials"
        );
        assert_eq!(
            outcome_text("refused", Some("last_administrator"), Some(0)),
            "refused · it would leave no enabled administrator of its kind"
        );
        assert_eq!(
            outcome_text("refused", Some("lacks_privilege"), Some(45)),
            "refused · none of their roles grants the privilege this needs \
             (and 45 more like it just before, not recorded one by one)"
        );
    }

    #[test]
    fn times_and_days_are_utc() {
        assert_eq!(format_time(1_795_305_600 + 3_723), "2026-11-22 01:02:03");
        assert_eq!(day_start("2026-11-22"), Some(1_795_305_600));
        assert_eq!(day_start("2026-02-30"), None);
        assert_eq!(day_start(""), None);
    }
}
