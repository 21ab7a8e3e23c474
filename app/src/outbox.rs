//! The outbox as the console shows it (SPEC §6): what Warden has queued, sent or failed to
//! send, and why. Never what a message says (it may hold a link's secret).

use serde::{Deserialize, Serialize};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its next attempt, or in one.
    Queued,
    Sent,
    /// Refused for good by the receiver, or out of attempts.
    Failed,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 3] = [
        OutboxStatus::Queued,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxStatus> {
        OutboxStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "Queued",
            OutboxStatus::Sent => "Sent",
            OutboxStatus::Failed => "Failed",
        }
    }
}

/// One message, as the outbox page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub message_id: i64,
    /// "email" (webhooks later).
    pub kind: String,
    /// The tenant it concerns, by name (`None`: the platform, or a tenant since deleted).
    pub tenant: Option<String>,
    pub recipient: String,
    /// The subject line.
    pub summary: String,
    pub status: OutboxStatus,
    /// Someone is sending it at this moment.
    pub in_flight: bool,
    pub attempts: i64,
    /// When it is tried next (queued messages).
    pub next_attempt_at: i64,
    /// The receiving server's last answer, or why it could not be reached.
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A page of the outbox, and the state of email delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    /// An SMTP server is configured; without one, nothing is queued.
    pub email_configured: bool,
    /// Where email goes (host, port, TLS mode), when configured.
    pub mail_server: Option<String>,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub messages: Vec<OutboxMessage>,
    /// The `before` of the next (older) page, if there is one.
    pub older: Option<i64>,
}

/// Which messages to list, as the page's URL carries it (`?status=failed&before=120`).
/// Malformed values are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutboxQuery {
    pub status: Option<OutboxStatus>,
    /// Older than this message id.
    pub before: Option<i64>,
}

impl OutboxQuery {
    /// Messages per page.
    pub const PAGE: i64 = 50;

    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> OutboxQuery {
        OutboxQuery {
            status: get("status").as_deref().and_then(OutboxStatus::parse),
            before: get("before")
                .and_then(|b| b.parse().ok())
                .filter(|b: &i64| *b > 0),
        }
    }

    /// The page's address for this query.
    pub fn href(&self) -> String {
        let mut params = Vec::new();
        if let Some(status) = self.status {
            params.push(format!("status={}", status.as_str()));
        }
        if let Some(before) = self.before {
            params.push(format!("before={before}"));
        }
        if params.is_empty() {
            "/outbox".to_owned()
        } else {
            format!("/outbox?{}", params.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_survives_its_address_and_ignores_nonsense() {
        let q = OutboxQuery {
            status: Some(OutboxStatus::Failed),
            before: Some(120),
        };
        let href = q.href();
        assert_eq!(href, "/outbox?status=failed&before=120");
        let params: Vec<(String, String)> = href
            .split_once('?')
            .map(|(_, p)| {
                p.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(OutboxQuery::from_params(get), q);
        let nonsense = OutboxQuery::from_params(|k| match k {
            "status" => Some("lost".into()),
            "before" => Some("-3".into()),
            _ => None,
        });
        assert_eq!(nonsense, OutboxQuery::default());
        assert_eq!(OutboxQuery::default().href(), "/outbox");
    }
}
