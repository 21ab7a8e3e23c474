//! The interactive API docs page (`GET /api/docs`): RapiDoc reading the OpenAPI document.
//!
//! Works offline: RapiDoc (MIT, `server/assets/rapidoc/`, vendored from the npm package
//! `rapidoc` 9.3.8) is built into the binary and served beside the page; its web-font loading
//! is turned off, and the page's Content-Security-Policy lets it load nothing from elsewhere.
//! RapiDoc was chosen over swagger-ui-dist for its size: one 860 KB script (220 KB
//! compressed, which the server's compression layer sends) against swagger-ui's 1.5 MB
//! bundle plus its stylesheet and preset.

use super::openapi::DOCUMENT_PATH;
use app::backend::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub const PAGE_PATH: &str = "/api/docs";
pub const SCRIPT_PATH: &str = "/api/docs/rapidoc-min.js";

const RAPIDOC: &[u8] = include_bytes!("../../assets/rapidoc/rapidoc-min.js");

/// Only this origin, and no script but RapiDoc's file: nothing from a CDN can load, even by
/// mistake. RapiDoc styles its components at run time, hence `'unsafe-inline'` for styles.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' \
     'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The docs page and its script; public, as the document is.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE_PATH, get(page))
        .route(SCRIPT_PATH, get(script))
}

async fn page() -> impl IntoResponse {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden REST API</title>
<script type="module" src="{SCRIPT_PATH}"></script>
</head>
<body>
<rapi-doc spec-url="{DOCUMENT_PATH}" load-fonts="false" regular-font="system-ui, sans-serif"
  mono-font="ui-monospace, monospace" render-style="read" show-header="false"
  allow-server-selection="false" allow-authentication="true" theme="light"></rapi-doc>
</body>
</html>
"#
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_POLICY),
            ),
        ],
        html,
    )
}

async fn script() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        RAPIDOC,
    )
}
