use crate::api::SignInStep;
use crate::components::auth::use_auth;
use crate::components::form::{non_field_error, track_action_errors, TextField};
use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Sign in with username and password, then, when the account's MFA is on, with a code from
/// the authenticator app (or a recovery code). A visitor who is already signed in goes to
/// the overview.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let just_set_up = move || query.with(|q| q.get("setup").as_deref() == Some("done"));
    let enrolled = move || query.with(|q| q.get("mfa").as_deref() == Some("on"));
    // The second step is shown once the password was right and MFA is on; an expired step
    // goes back to the password, saying why.
    let code_step = RwSignal::new(false);
    let step_expired = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(SignInStep::Code)) = auth.sign_in.value().get() {
            step_expired.set(false);
            code_step.set(true);
        }
    });
    Effect::new(move |_| {
        if let Some(Err(AppError::MfaStepExpired)) = auth.sign_in_code.value().get() {
            step_expired.set(true);
            code_step.set(false);
        }
    });
    let error = move || {
        if step_expired.get() {
            return Some(AppError::MfaStepExpired.to_string());
        }
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
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(auth.session.await, Ok(Some(_))).then(|| view! { <Redirect path="/"/> })
                    })}
                </Transition>
                <Show when=move || code_step.get() fallback=move || view! {
                    <h1>"Sign in"</h1>
                    <Show when=just_set_up>
                        <p class="notice" role="status">"Your administrator account is ready. Sign in with it."</p>
                    </Show>
                    <Show when=enrolled>
                        <p class="notice" role="status">
                            "Multi-factor authentication is on. Sign in again: after your password, enter the code from your app."
                        </p>
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
                }>
                    <CodeStep on_back=move || code_step.set(false)/>
                </Show>
            </div>
        </main>
    }
}

/// The second step: a 6-digit code from the app, or a recovery code.
#[component]
fn CodeStep(on_back: impl Fn() + Send + Sync + Copy + 'static) -> impl IntoView {
    let action = use_auth().sign_in_code;
    let errors = RwSignal::new(FieldErrors::new());
    let _ = track_action_errors(action, errors);
    let form_error = non_field_error(action);
    let pending = action.pending();
    // Each wrong code clears the field for the next try.
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Err(AppError::Invalid(_)))) {
            if let Some(input) = document().get_element_by_id("field-code") {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
                    input.set_value("");
                    let _ = input.focus();
                }
            }
        }
    });
    view! {
        <h1>"Enter your code"</h1>
        <p class="lead">
            "Open the authenticator app on your phone and enter the 6-digit code it shows for Warden."
        </p>
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div role="alert" class="alert" class:hidden=move || form_error.get().is_none()>
                {move || form_error.get()}
            </div>
            <TextField name="code" label="Code" autocomplete="one-time-code" autofocus=true
                hint="Lost your device? Enter one of your recovery codes instead (like abcde-fghjk)."
                errors=errors/>
            <button class="primary" type="submit" disabled=pending>
                {move || if pending.get() { "Checking…" } else { "Verify" }}
            </button>
        </ActionForm>
        <p class="muted">
            <button type="button" class="link" on:click=move |_| on_back()>"Start again with another account"</button>
        </p>
    }
}
