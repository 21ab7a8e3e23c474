//! Warden's shared crate: what the browser and the server both compile.
//!
//! - [`access`]: the pure access model (no Leptos, axum or sqlx inside).
//! - [`domain`]: validated domain types, the single source of every field rule.
//! - [`error`]: the one error type.
//! - [`api`]: server functions.
//! - [`audit_log`]: the audit page's query and page types.
//! - [`csv`]: reading and writing the accounts' CSV files.
//! - [`directory`]: the users list's query and page types.
//! - [`outbox`]: the outbox page's query and page types.
//! - [`pages`], [`components`]: the console.
//! - `backend`: server-only services, security and storage, behind the `ssr` feature.

pub mod access;
pub mod accounts;
pub mod api;
pub mod audit_log;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod credentials;
pub mod csv;
pub mod directory;
pub mod domain;
pub mod error;
pub mod islands;
pub mod me;
pub mod outbox;
pub mod pages;
pub mod roles;
pub mod tenants;

use components::auth::provide_auth;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server only. It also sets the page's
/// Content-Security-Policy: scripts only from Warden itself or carrying this response's
/// nonce (Leptos puts it on its inline hydration script), no framing, no foreign origins.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The release build names its files by their content (`warden.<hash>.css`), so
                // that browsers may keep them for a year; both read the names from the hash
                // file the server points `options` at.
                <HashedStylesheet options=options.clone() id="warden"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Warden".to_owned() } else { format!("{text} · Warden") }/>
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                // Async: the server knows the session before sending headers, so a page
                // that needs one can answer with a real redirect.
                <Route path=path!("/") view=pages::overview::OverviewPage ssr=SsrMode::Async/>
                <Route path=path!("/profile") view=pages::profile::ProfilePage ssr=SsrMode::Async/>
                <Route path=path!("/mfa") view=pages::mfa::MfaPage ssr=SsrMode::Async/>
                <Route path=path!("/users") view=pages::users::UsersPage ssr=SsrMode::Async/>
                <Route path=path!("/users/import") view=pages::import::ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/users/new") view=pages::account::NewAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/users/:id") view=pages::account::AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/audit") view=pages::audit::AuditPage ssr=SsrMode::Async/>
                <Route path=path!("/outbox") view=pages::outbox::OutboxPage ssr=SsrMode::Async/>
                <Route path=path!("/tenants") view=pages::tenants::TenantsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings") view=pages::settings::SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/roles") view=pages::roles::RolesPage ssr=SsrMode::Async/>
                <Route path=path!("/roles/:id") view=pages::role::RolePage ssr=SsrMode::Async/>
                <Route path=path!("/change-password") view=pages::change_password::ChangePasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=pages::setup::SetupPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
