//! The outbox (SPEC §6): platform administrators see what email is queued, sent or failed,
//! and send a failed message again.

use crate::error::AppError;
use crate::outbox::{OutboxPage, OutboxQuery};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve, security::gate::Access, services::outbox_admin as outbox};

/// A page of the outbox, newest first, as `query` selects. Platform administrators only.
#[server(prefix = "/api", endpoint = "list_outbox", input = leptos::server_fn::codec::Json)]
pub async fn list_outbox(query: OutboxQuery) -> Result<OutboxPage, AppError> {
    serve(Access::Full, async |req| outbox::list(&req, &query).await).await
}

/// Queues failed message `message_id` again, its attempts counted afresh. Platform
/// administrators only; audited.
#[server(prefix = "/api", endpoint = "retry_outbox_message")]
pub async fn retry_outbox_message(message_id: i64) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        outbox::requeue(&req, message_id).await
    })
    .await
}
