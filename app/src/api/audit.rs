//! The audit trail (SPEC §8).

use crate::audit_log::{AuditPage, AuditQuery};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve, security::gate::Access, services::audit_log};

/// One page of the audit trail, newest first, filtered as `query` asks: every record for a
/// platform administrator, the caller's tenant's records for a tenant administrator.
#[server(prefix = "/api", endpoint = "list_audit", input = leptos::server_fn::codec::Json)]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    serve(Access::Full, async |req| {
        audit_log::list(&req, &query).await
    })
    .await
}
