//! The users list (SPEC §2): what a query asks for and what a page holds. Shared by the page,
//! which keeps the query in its URL, and the server, which runs it. Pages are found by
//! keyset (a cursor naming the last row seen), so any page costs the same at any depth.

use crate::access::Decision;
use crate::domain::{AccountId, AccountStatus, RoleId, ScopeId, TenantId, Tier};
use serde::{Deserialize, Serialize};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// Longest search accepted, in characters; at most [`MAX_SEARCH_WORDS`] words are used.
pub const MAX_SEARCH_CHARS: usize = 100;
pub const MAX_SEARCH_WORDS: usize = 5;

/// The order of the list. Every order ends with the account id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AccountSort {
    #[default]
    Username,
    FullName,
    Email,
    /// Creation order (the account id).
    Created,
}

impl AccountSort {
    pub const ALL: [AccountSort; 4] = [
        AccountSort::Username,
        AccountSort::FullName,
        AccountSort::Email,
        AccountSort::Created,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountSort::Username => "username",
            AccountSort::FullName => "name",
            AccountSort::Email => "email",
            AccountSort::Created => "created",
        }
    }

    pub fn parse(value: &str) -> Option<AccountSort> {
        AccountSort::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountSort::Username => "Username",
            AccountSort::FullName => "Full name",
            AccountSort::Email => "Email",
            AccountSort::Created => "Created",
        }
    }
}

/// The statuses a list can be filtered by: the stored ones and "Expired".
pub const STATUS_FILTERS: [AccountStatus; 5] = [
    AccountStatus::Active,
    AccountStatus::MustChangePassword,
    AccountStatus::Invited,
    AccountStatus::Disabled,
    AccountStatus::Expired,
];

/// Where a page starts: just after, or just before, a row (its sort key and id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cursor {
    After(String, AccountId),
    Before(String, AccountId),
}

impl Cursor {
    /// The URL form: `a<id>.<key>` or `b<id>.<key>`.
    pub fn encode(&self) -> String {
        match self {
            Cursor::After(key, id) => format!("a{id}.{key}"),
            Cursor::Before(key, id) => format!("b{id}.{key}"),
        }
    }

    pub fn decode(value: &str) -> Option<Cursor> {
        let (head, key) = value.split_once('.')?;
        let mut chars = head.chars();
        let direction = chars.next()?;
        let id = AccountId(chars.as_str().parse().ok()?);
        match direction {
            'a' => Some(Cursor::After(key.to_owned(), id)),
            'b' => Some(Cursor::Before(key.to_owned(), id)),
            _ => None,
        }
    }
}

/// A users-list query, as the page's URL carries it. Unknown or malformed parameters are
/// ignored (a hand-edited URL shows the plain list, not an error).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountQuery {
    /// Words, each matched as a prefix of the username, email, a word of the name or the
    /// external ID; every word must match.
    pub search: String,
    pub status: Option<AccountStatus>,
    pub tier: Option<Tier>,
    /// Platform administrators only; others always see their own tenant.
    pub tenant: Option<TenantId>,
    /// Accounts holding this role (assigned tenant-wide or for a scope; Everyone: all of its
    /// tenant). The role's tenant is the list's.
    #[serde(default)]
    pub role: Option<RoleId>,
    /// Accounts associated with this scope: holding a role assigned for it (SPEC §3.5).
    #[serde(default)]
    pub scope: Option<ScopeId>,
    pub sort: AccountSort,
    pub descending: bool,
    pub cursor: Option<Cursor>,
}

impl AccountQuery {
    /// Reads the query from URL parameters (`q`, `status`, `tier`, `tenant`, `role`, `scope`,
    /// `sort`, `desc`, `page`).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> AccountQuery {
        AccountQuery {
            search: get("q").unwrap_or_default(),
            status: get("status").and_then(|s| {
                STATUS_FILTERS
                    .into_iter()
                    .find(|f| f.as_str() == s.as_str())
            }),
            tier: get("tier").and_then(|t| Tier::from_db(&t)),
            tenant: get("tenant").and_then(|t| t.parse().ok()).map(TenantId),
            role: get("role").and_then(|t| t.parse().ok()).map(RoleId),
            scope: get("scope").and_then(|t| t.parse().ok()).map(ScopeId),
            sort: get("sort")
                .and_then(|s| AccountSort::parse(&s))
                .unwrap_or_default(),
            descending: get("desc").is_some_and(|d| d == "1"),
            cursor: get("page").and_then(|c| Cursor::decode(&c)),
        }
    }

    /// The URL parameters of this query (without `?`), defaults left out.
    pub fn to_params(&self) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        if !self.search.trim().is_empty() {
            params.push(("q", self.search.trim().to_owned()));
        }
        if let Some(status) = self.status {
            params.push(("status", status.as_str().to_owned()));
        }
        if let Some(tier) = self.tier {
            params.push(("tier", tier.as_str().to_owned()));
        }
        if let Some(tenant) = self.tenant {
            params.push(("tenant", tenant.to_string()));
        }
        if let Some(role) = self.role {
            params.push(("role", role.0.to_string()));
        }
        if let Some(scope) = self.scope {
            params.push(("scope", scope.0.to_string()));
        }
        if self.sort != AccountSort::default() {
            params.push(("sort", self.sort.as_str().to_owned()));
        }
        if self.descending {
            params.push(("desc", "1".to_owned()));
        }
        if let Some(cursor) = &self.cursor {
            params.push(("page", cursor.encode()));
        }
        params
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same query at another page.
    pub fn at(&self, cursor: Option<Cursor>) -> AccountQuery {
        AccountQuery {
            cursor,
            ..self.clone()
        }
    }

    /// The search's words, lower-cased, as the server matches them.
    pub fn search_words(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for word in self
            .search
            .chars()
            .take(MAX_SEARCH_CHARS)
            .collect::<String>()
            .split_whitespace()
        {
            let word = word.to_lowercase();
            if !words.contains(&word) && words.len() < MAX_SEARCH_WORDS {
                words.push(word);
            }
        }
        words
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One row of the users list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub account_id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub tier: Tier,
    pub tenant_id: Option<TenantId>,
    pub tenant_name: Option<String>,
    /// As a person sees it (expired accounts show as Expired).
    pub status: AccountStatus,
    pub external_id: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// May the caller change this account (Edit), and why (not).
    pub manage: Decision,
    /// May the caller delete this account (Delete), and why (not).
    pub remove: Decision,
}

/// One page of the users list, with the cursors of its neighbours (`None` at either end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub rows: Vec<AccountSummary>,
    pub previous: Option<Cursor>,
    pub next: Option<Cursor>,
}

/// Everything about one account, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub summary: AccountSummary,
    pub job_title: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub ref_id_1: Option<String>,
    pub ref_id_2: Option<String>,
    pub updated_at: i64,
    /// The same account as the caller's session.
    pub is_self: bool,
    /// Its MFA, on the account's own page (not in list rows).
    #[serde(default)]
    pub mfa: Option<AccountMfa>,
}

/// An account's MFA as its page shows it, and what the viewer may do about its sign-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMfa {
    /// When MFA was turned on (Unix seconds); `None`: off.
    pub enabled_at: Option<i64>,
    /// Turning it off for someone who lost their device.
    pub reset: crate::access::Decision,
    /// Ending every session of the account.
    pub end_sessions: crate::access::Decision,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(query: &AccountQuery) -> AccountQuery {
        let encoded = query.to_params();
        let pairs: Vec<(String, String)> = encoded
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), percent_decode(v))
            })
            .collect();
        AccountQuery::from_params(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn percent_decode(value: &str) -> String {
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_default_query_has_no_parameters() {
        assert_eq!(AccountQuery::default().to_params(), "");
    }

    #[test]
    fn unknown_values_fall_back_to_the_defaults() {
        let query = AccountQuery::from_params(|name| {
            Some(
                match name {
                    "status" => "sleeping",
                    "tier" => "emperor",
                    "tenant" => "x",
                    "role" => "admins",
                    "scope" => "-",
                    "sort" => "shoe_size",
                    "desc" => "yes",
                    "page" => "z12.k",
                    _ => return None,
                }
                .to_owned(),
            )
        });
        assert_eq!(query, AccountQuery::default());
    }

    #[test]
    fn search_words_are_lower_cased_distinct_and_bounded() {
        let query = AccountQuery {
            search: "  Ada  LOVELACE ada a b c d e f".into(),
            ..Default::default()
        };
        assert_eq!(query.search_words(), vec!["ada", "lovelace", "a", "b", "c"]);
        let long = AccountQuery {
            search: "x".repeat(500),
            ..Default::default()
        };
        assert_eq!(long.search_words(), vec!["x".repeat(MAX_SEARCH_CHARS)]);
    }

    fn any_status() -> impl Strategy<Value = Option<AccountStatus>> {
        prop::option::of(prop::sample::select(STATUS_FILTERS.to_vec()))
    }

    proptest! {
        /// Whatever the query, its URL reads back as the same query.
        #[test]
        fn a_query_survives_its_url(
            search in "\\PC{0,20}",
            status in any_status(),
            tier in prop::option::of(prop::sample::select(Tier::ALL.to_vec())),
            tenant in prop::option::of(1i64..1_000_000),
            role in prop::option::of(1i64..1_000_000),
            scope in prop::option::of(1i64..1_000_000),
            sort in prop::sample::select(AccountSort::ALL.to_vec()),
            descending: bool,
            cursor in prop::option::of(("\\PC{0,20}", 1i64..i64::MAX, any::<bool>())),
        ) {
            let query = AccountQuery {
                search: search.trim().to_owned(),
                status,
                tier,
                tenant: tenant.map(TenantId),
                role: role.map(RoleId),
                scope: scope.map(ScopeId),
                sort,
                descending,
                cursor: cursor.map(|(key, id, after)| if after {
                    Cursor::After(key, AccountId(id))
                } else {
                    Cursor::Before(key, AccountId(id))
                }),
            };
            prop_assert_eq!(params(&query), query);
        }
    }
}
