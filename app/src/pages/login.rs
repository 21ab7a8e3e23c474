use crate::components::auth::use_auth;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Sign in with username and password. A visitor who is already signed in goes to the
/// overview.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let just_set_up = move || query.with(|q| q.get("setup").as_deref() == Some("done"));
    let error = move || {
        auth.sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let pending = auth.sign_in.pending();
    let password = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if matches!(auth.sign_in.value().get(), Some(Err(_))) {
            if let Some(input) = password.get() {
                input.set_value("");
                let _ = input.focus();
            }
        }
    });

    view! {
        <Title text="Sign in"/>
        <main class="auth-page">
            <div class="card">
                <div class="card-brand"><span class="brand-mark" aria-hidden="true">"W"</span>"Warden"</div>
                <h1>"Sign in"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(auth.session.await, Ok(Some(_))).then(|| view! { <Redirect path="/"/> })
                    })}
                </Transition>
                <Show when=just_set_up>
                    <p class="notice" role="status">"Your administrator account is ready. Sign in with it."</p>
                </Show>
                <ActionForm action=auth.sign_in attr:class="stack" attr:aria-describedby="sign-in-error">
                    <div id="sign-in-error" role="alert" class="alert" class:hidden=move || error().is_none()>
                        {error}
                    </div>
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input id="username" name="username" autocomplete="username" required autofocus/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required node_ref=password/>
                    </div>
                    <button class="primary" type="submit" disabled=pending>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
