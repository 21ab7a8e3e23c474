//! One call into the services: who asks (an identity the request gate already admitted),
//! from which address, at what time, with the shared state. Every service that reads or
//! changes something on someone's behalf takes a [`Request`]; neither interface (the
//! console's server functions, the REST API) can build one without passing the gate, so
//! code that was not authenticated has nothing to call a service with.

use super::security::sessions::SignedIn;
use super::state::AppState;
use super::store::audit::AccountSnapshot;
use super::store::db::Db;
use crate::access::{Actor, Catalog};
use std::net::IpAddr;

/// An authenticated call: the identity, its address, the time, the state.
#[derive(Debug, Clone)]
pub struct Request {
    pub state: AppState,
    /// The proven identity, as the gate admitted it (shared: an API credential's is kept in
    /// the credential cache and handed to each request without a copy).
    pub me: std::sync::Arc<SignedIn>,
    pub client: IpAddr,
    /// Unix seconds, read once per request so that every check of one call agrees.
    pub now: i64,
}

impl Request {
    /// Who is asking, as the access model sees them.
    pub fn actor(&self) -> &Actor {
        &self.me.actor
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn catalog(&self) -> &Catalog {
        &self.state.catalog
    }

    /// The caller as an audit record names it.
    pub fn snapshot(&self) -> AccountSnapshot {
        self.me.account.snapshot()
    }
}

/// A call anyone may make (signing in, a setup link): no identity is proven yet, but the
/// address and time count for throttles and the audit trail.
#[derive(Debug, Clone)]
pub struct Anonymous {
    pub state: AppState,
    /// The session the browser holds, if any (signing out needs it).
    pub signed_in: Option<SignedIn>,
    pub client: IpAddr,
    pub now: i64,
}
