//! The console's compiled files under `/pkg`: the WASM, its JavaScript and the stylesheet.
//!
//! The release build (`scripts/build-release`) names each file by its content
//! (`warden.<hash>.wasm`) and lists the names in a hash file at the site's root, and it
//! writes each file gzip- and brotli-compressed beside it (`.gz`, `.br`) at the best ratio,
//! once, instead of gzip at a middling level on every request. So:
//! - the pages link the hashed names when the site has a hash file ([`options`]);
//! - a file is sent in the best encoding the browser accepts that the build wrote, with the
//!   matching `Content-Encoding`, and otherwise as it is, for the compression layer to gzip;
//! - a hashed file may be kept for a year without asking again (`immutable`): a new build
//!   has new names. Without hashing (debug builds) the browser must ask every time
//!   (`no-cache`, answered with `304 Not Modified` when the file is unchanged), so that it
//!   never runs yesterday's WASM against today's server.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::Path;

/// The hash file's name at the site's root, as `scripts/build-release` has cargo-leptos
/// write it.
pub const HASH_FILE: &str = "hash.txt";

/// How long a browser keeps a file whose name is its content's hash: a year, the most
/// caches honour, without revalidating.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// The Leptos options of the site at `site_root`: its files under `pkg`, named by their
/// hashes when the build left a hash file there. The hash file's path is made absolute:
/// Leptos joins it to the executable's folder, which an absolute path replaces.
pub fn options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    let hash_file = site_root.join(HASH_FILE);
    let hashed = hash_file.is_file();
    let hash_file = std::path::absolute(&hash_file).unwrap_or(hash_file);
    LeptosOptions::builder()
        .output_name("warden")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hashed)
        .hash_file(hash_file.display().to_string().into())
        .build()
}

/// The service for `/pkg`: the files, pre-compressed where the build compressed them, with
/// the cache lifetime their names allow (see the module's documentation). A missing file is
/// a plain 404.
pub fn service(options: &LeptosOptions) -> Router {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    Router::new()
        .fallback_service(
            tower_http::services::ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(axum::middleware::from_fn_with_state(
            options.hash_files,
            cache_lifetime,
        ))
}

/// Sets `Cache-Control` on a file found (or found unchanged): a year when the site's names
/// are hashed, except for wasm-bindgen's snippets, which keep their names; otherwise ask
/// every time. And `Vary: Accept-Encoding`, which the file service leaves out: the same
/// address is sent in different encodings to different browsers, and a shared cache must not
/// hand brotli to one that asked for gzip.
async fn cache_lifetime(State(hashed): State<bool>, req: Request, next: Next) -> Response {
    let forever = hashed && !req.uri().path().contains("/snippets/");
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        let headers = res.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if forever { FOREVER } else { "no-cache" }),
        );
        if !headers.contains_key(header::VARY) {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    res
}
