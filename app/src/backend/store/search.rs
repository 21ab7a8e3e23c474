//! The search terms of an account (SPEC §2.4): every word a search may match, kept in a table
//! so that a search is an index range at any size. Written inside the change's transaction.

use crate::backend::store::db::internal;
use crate::domain::{AccountId, TenantId};
use crate::error::AppError;
use std::collections::BTreeSet;

/// Longest term kept; a longer word is matched by its first characters.
pub const MAX_TERM_CHARS: usize = 60;

/// What a search word can match for one account: the username, the email and the words of
/// its local part, each word of the full name, the external ID — lower-cased.
pub fn search_terms(
    username: &str,
    email: &str,
    full_name: &str,
    external_id: Option<&str>,
) -> BTreeSet<String> {
    let email = email.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_owned();
    let mut terms = BTreeSet::new();
    terms.insert(username.to_lowercase());
    terms.insert(email);
    terms.extend(
        local
            .split(['.', '_', '-', '+'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    );
    terms.extend(
        full_name
            .to_lowercase()
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    );
    if let Some(external) = external_id {
        terms.insert(external.to_lowercase());
    }
    terms
        .into_iter()
        .map(|t| t.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// The fields an account's search terms come from.
pub struct Searchable<'a> {
    pub account_id: AccountId,
    pub tenant_id: Option<TenantId>,
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub external_id: Option<&'a str>,
}

/// Replaces the account's search terms, inside the transaction of the change.
pub async fn write_search_terms<'c>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    account: &Searchable<'_>,
) -> Result<(), AppError> {
    sqlx::query("delete from account_search_terms where account_id = $1")
        .bind(account.account_id.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("clear search terms"))?;
    for term in search_terms(
        account.username,
        account.email,
        account.full_name,
        account.external_id,
    ) {
        // lower() of the database, as the accounts table's username index: both orders agree.
        sqlx::query(
            "insert into account_search_terms (term, account_id, tenant_id, username_key) \
             values ($1, $2, $3, lower($4))",
        )
        .bind(term)
        .bind(account.account_id.0)
        .bind(account.tenant_id.map(|t| t.0))
        .bind(account.username)
        .execute(&mut **tx)
        .await
        .map_err(internal("write search terms"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn terms_cover_every_searchable_field_lower_cased() {
        let terms = search_terms(
            "Ada_L",
            "Ada.King-Noel@Example.org",
            "Ada King-Noel Lovelace",
            Some("EMP-42"),
        );
        let expected = [
            "ada",
            "ada.king-noel@example.org",
            "ada_l",
            "emp-42",
            "king",
            "lovelace",
            "noel",
        ];
        assert_eq!(
            terms.iter().map(String::as_str).collect::<Vec<_>>(),
            expected
        );
    }

    #[test]
    fn long_terms_are_cut() {
        let terms = search_terms("u", "e@x.io", &"n".repeat(200), None);
        assert!(terms.contains(&"n".repeat(super::MAX_TERM_CHARS)));
    }
}
