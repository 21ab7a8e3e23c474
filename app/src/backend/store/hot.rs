//! The reads the REST API makes on nearly every request, kept in memory under the change
//! epoch ([`super::epoch_cache`]): the account an authorization question is about and what
//! it holds, scope names, and one account's stored detail. Applications ask about the same
//! few accounts again and again; each answer then costs no query until something changes.
//!
//! What is cached is what the database said, before any caller's view of it: every reader
//! still decides, per request, what its caller may see of it.

use crate::access::{Actor, Catalog, Holdings};
use crate::backend::store::accounts::{self, AccountRecord};
use crate::backend::store::db::{internal, Db};
use crate::backend::store::epoch_cache::{cached, EpochCache};
use crate::backend::store::holdings::holdings;
use crate::domain::{AccountId, ScopeId, TenantId, Tier};
use crate::error::AppError;
use std::sync::Arc;

/// The most entries each cache keeps.
pub const CAPACITY: usize = 10_000;

/// How an account is named: by id, by username, or by its id in another system (unique in
/// its tenant).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountKey {
    Id(AccountId),
    Username(String),
    External(TenantId, String),
}

/// An account as stored, and as the access model sees it: with everything it holds through
/// roles in its tenant (nothing for tiers that hold their privileges by tier), signed in
/// without MFA.
pub struct Subject {
    pub account: AccountRecord,
    pub actor: Actor,
}

/// One account as the directory reads it (the account, its tenant's name, its profile),
/// decoded as stored: its status before any expiry, and what depends on who asks left for
/// the directory to set on every request; and when its MFA was turned on (`None`: no
/// enrolment; `Some(None)`: begun, not confirmed).
pub struct StoredDetail {
    pub detail: crate::directory::AccountDetail,
    pub mfa_enabled_at: Option<Option<i64>>,
}

/// The caches, kept in the shared state.
#[derive(Debug)]
pub struct HotReads {
    subjects: EpochCache<AccountKey, Option<Arc<Subject>>>,
    scope_names: EpochCache<(TenantId, ScopeId), Option<String>>,
    details: EpochCache<AccountId, Option<Arc<StoredDetail>>>,
}

impl Default for HotReads {
    fn default() -> Self {
        HotReads {
            subjects: EpochCache::with_capacity(CAPACITY),
            scope_names: EpochCache::with_capacity(CAPACITY),
            details: EpochCache::with_capacity(CAPACITY),
        }
    }
}

impl HotReads {
    /// The account `key` names and what it holds, if there is one.
    pub async fn subject(
        &self,
        db: &Db,
        catalog: &Catalog,
        key: AccountKey,
        now: i64,
    ) -> Result<Option<Arc<Subject>>, AppError> {
        let read = async {
            let found = match &key {
                AccountKey::Id(id) => accounts::find_for_session(db, *id).await?,
                AccountKey::Username(name) => accounts::find_by_username(db, name).await?,
                AccountKey::External(tenant, external) => {
                    accounts::find_by_external_id(db, *tenant, external).await?
                }
            };
            let Some(account) = found else {
                return Ok(None);
            };
            let held = match (account.tier, account.tenant_id) {
                (Tier::User | Tier::ServiceAccount, Some(tenant)) => {
                    holdings(db, catalog, account.account_id, tenant).await?
                }
                _ => Holdings::default(),
            };
            let actor = Actor {
                account_id: account.account_id,
                tier: account.tier,
                tenant_id: account.tenant_id,
                holdings: held,
                mfa: false,
            };
            Ok(Some(Arc::new(Subject { account, actor })))
        };
        cached(&self.subjects, db, key.clone(), now, read).await
    }

    /// The name of `tenant`'s scope `scope`, or `None` when the tenant has no such scope.
    pub async fn scope_name(
        &self,
        db: &Db,
        tenant: TenantId,
        scope: ScopeId,
        now: i64,
    ) -> Result<Option<String>, AppError> {
        let read = async {
            sqlx::query_scalar("select name from scopes where scope_id = $1 and tenant_id = $2")
                .bind(scope.0)
                .bind(tenant.0)
                .fetch_optional(db.pool())
                .await
                .map_err(internal("read scope"))
        };
        cached(&self.scope_names, db, (tenant, scope), now, read).await
    }

    /// Account `id`'s stored detail, read by `read` when it is not cached.
    pub async fn detail<F>(
        &self,
        db: &Db,
        id: AccountId,
        now: i64,
        read: F,
    ) -> Result<Option<Arc<StoredDetail>>, AppError>
    where
        F: std::future::Future<Output = Result<Option<Arc<StoredDetail>>, AppError>>,
    {
        cached(&self.details, db, id, now, read).await
    }
}
