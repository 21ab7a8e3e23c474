//! The shared state of the server: built once at start, passed to every request by reference.

use crate::access::Catalog;
use crate::backend::security::api_auth::ApiAuth;
use crate::backend::security::crypto::PasswordHasher;
use crate::backend::security::sessions::SessionKeys;
use crate::backend::security::throttle::ThrottlePolicy;
use crate::backend::security::totp::SecretKey;
use crate::backend::services::outbox::Outbox;
use crate::backend::store::db::Db;
use crate::backend::store::hot::HotReads;
use std::sync::Arc;

/// Everything a request handler needs, built once at start and shared by reference.
#[derive(Clone, Debug)]
pub struct AppState(Arc<StateInner>);

#[derive(Debug)]
pub struct StateInner {
    pub db: Db,
    pub sessions: SessionKeys,
    pub throttle: ThrottlePolicy,
    /// The privilege catalog: built in, plus the deployment's own modules.
    pub catalog: Arc<Catalog>,
    /// Seals secrets kept in the database (TOTP keys).
    pub secret_key: SecretKey,
    /// The one way passwords are hashed and checked: bounded in concurrency and memory.
    pub hasher: PasswordHasher,
    /// Keys and settings of the REST API's credentials (derived from `secret_key`).
    pub api: ApiAuth,
    /// What the REST API reads on nearly every request, kept while nothing changes.
    pub hot: HotReads,
    /// Email (and later webhooks) leaving through the outbox: whether it is configured, and
    /// the wake-up of this instance's worker.
    pub outbox: Outbox,
}

impl AppState {
    #[allow(clippy::too_many_arguments)] // each is one part of the state, built at start
    pub fn new(
        db: Db,
        sessions: SessionKeys,
        throttle: ThrottlePolicy,
        catalog: Arc<Catalog>,
        secret_key: SecretKey,
        hasher: PasswordHasher,
        api: ApiAuth,
        outbox: Outbox,
    ) -> Self {
        AppState(Arc::new(StateInner {
            db,
            sessions,
            throttle,
            catalog,
            secret_key,
            hasher,
            api,
            hot: HotReads::default(),
            outbox,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl AppState {
    /// What API authentication reads, borrowed from this state.
    pub fn api_context(&self) -> crate::backend::security::api_auth::ApiContext<'_> {
        crate::backend::security::api_auth::ApiContext {
            db: &self.db,
            api: &self.api,
            catalog: &self.catalog,
        }
    }
}
