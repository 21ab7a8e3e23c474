//! The session as the console sees it: one resource, read as the server renders a page.

use crate::api::{get_session, SessionView, SignOut};
use crate::domain::AccountStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Who is signed in, read once per page: every page is rendered by the server, and a form
/// that signs in or out is followed by a new page.
#[derive(Clone, Copy)]
pub struct Auth {
    pub session: Resource<Result<Option<SessionView>, AppError>>,
}

pub fn provide_auth() {
    // Blocking: the server knows who is signed in before it sends any HTML, so it can
    // answer a protected page with a redirect instead of a flash of content.
    let session = Resource::new_blocking(|| (), |_| get_session());
    provide_context(Auth { session });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Renders `page` with the signed-in account, or sends the visitor to the sign-in page. An
/// account still on a temporary password is sent to choose its own, unless `for_password_change`
/// (the page where it does so).
#[component]
pub fn RequireSession<F, V>(
    page: F,
    #[prop(optional)] for_password_change: bool,
    /// The MFA page: open to an account that must enrol before anything else.
    #[prop(optional)]
    for_mfa_enrolment: bool,
) -> impl IntoView
where
    F: Fn(SessionView) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading" aria-live="polite">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match auth.session.await {
                        Ok(Some(session))
                            if session.status == AccountStatus::MustChangePassword
                                && !for_password_change =>
                        {
                            view! { <Redirect path="/change-password"/> }.into_any()
                        }
                        Ok(Some(session))
                            if session.must_enrol_mfa
                                && session.status != AccountStatus::MustChangePassword
                                && !for_mfa_enrolment =>
                        {
                            view! { <Redirect path="/mfa"/> }.into_any()
                        }
                        Ok(Some(session)) => page(session).into_any(),
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(err) => view! {
                            <main class="auth-page">
                                <div class="card">
                                    <h1>"Warden is unavailable"</h1>
                                    <p role="alert" class="alert">{err.to_string()}</p>
                                </div>
                            </main>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// "Not now: sign out", for the pages an account is held on before it may do anything else
/// (choosing its own password, enrolling in MFA): the way out, without the console's menu.
#[component]
pub fn SignOutInstead() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <ActionForm action=sign_out attr:class="sign-out-instead">
            <button type="submit" class="link">"Not now: sign out"</button>
        </ActionForm>
    }
}
