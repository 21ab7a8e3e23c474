//! The baseline of the API benchmark (`scripts/bench-api`): a bare axum handler answering a
//! small JSON document, built with the same axum, tokio and allocator settings as `warden`,
//! so that Warden's authorization endpoint is measured against what the machine does with
//! no authentication, no database and no work at all.
//!
//!   cargo run --release -p server --example bare_axum -- 127.0.0.1:4000

use axum::routing::{get, post};
use axum::{Json, Router};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(serde::Serialize)]
struct Answer {
    allowed: bool,
    code: Option<&'static str>,
    explanation: &'static str,
}

async fn answer() -> Json<Answer> {
    Json(Answer {
        allowed: true,
        code: None,
        explanation: "Allowed: a constant, for comparison.",
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4000".to_owned());
    let app = Router::new()
        .route("/bare", get(answer))
        .route("/bare", post(answer));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
