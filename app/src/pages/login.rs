use crate::api::{SignIn, SignInCode};
use crate::components::auth::use_auth;
use crate::components::form::{non_field_error, track_action_errors, Enhance, TextField};
use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Sign in with username and password, then, when the account's MFA is on, with a code from
/// the authenticator app (or a recovery code) at `/login?step=code`. Plain forms: they work
/// the same with or without JavaScript. A visitor who is already signed in goes to the
/// overview.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let (sign_in, sign_in_code) = (
        ServerAction::<SignIn>::new(),
        ServerAction::<SignInCode>::new(),
    );
    let query = use_query_map();
    let flag = move |key: &str, value: &str| {
        query.with_untracked(|q| q.get(key).as_deref() == Some(value))
    };
    let (just_set_up, enrolled) = (flag("setup", "done"), flag("mfa", "on"));
    // An expired second step goes back to the password, saying why.
    let step_expired = matches!(
        sign_in_code.value().get_untracked(),
        Some(Err(AppError::MfaStepExpired))
    );
    let code_step = flag("step", "code") && !step_expired;
    let error = if step_expired {
        Some(AppError::MfaStepExpired.to_string())
    } else {
        sign_in
            .value()
            .get_untracked()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let has_error = error.is_some();
    view! {
        <Title text="Sign in"/>
        <main class="auth-page">
            <div class="card">
                <div class="card-brand"><span class="brand-mark" aria-hidden="true">"W"</span>"Warden"</div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        matches!(auth.session.await, Ok(Some(_))).then(|| view! { <Redirect path="/"/> })
                    })}
                </Suspense>
                {if code_step {
                    view! { <CodeStep action=sign_in_code/> }.into_any()
                } else {
                    view! {
                        <h1>"Sign in"</h1>
                        {just_set_up.then(|| view! {
                            <p class="notice" role="status">"Your administrator account is ready. Sign in with it."</p>
                        })}
                        {enrolled.then(|| view! {
                            <p class="notice" role="status">
                                "Multi-factor authentication is on. Sign in again: after your password, enter the code from your app."
                            </p>
                        })}
                        <Enhance>
                        <ActionForm action=sign_in attr:class="stack" attr:aria-describedby="sign-in-error">
                            <div id="sign-in-error" role="alert" class="alert" data-form-error class:hidden=!has_error>
                                {error}
                            </div>
                            <div class="field">
                                <label for="username">"Username"</label>
                                <input id="username" name="username" autocomplete="username" required autofocus=!has_error/>
                            </div>
                            <div class="field">
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" autocomplete="current-password" required
                                    autofocus=has_error/>
                            </div>
                            <button class="primary" type="submit">"Sign in"</button>
                        </ActionForm>
                        </Enhance>
                    }.into_any()
                }}
            </div>
        </main>
    }
}

/// The second step: a 6-digit code from the app, or a recovery code.
#[component]
fn CodeStep(action: ServerAction<SignInCode>) -> impl IntoView {
    let errors = RwSignal::new(FieldErrors::new());
    let _ = track_action_errors(action, errors);
    let form_error = non_field_error(action).get_untracked();
    view! {
        <h1>"Enter your code"</h1>
        <p class="lead">
            "Open the authenticator app on your phone and enter the 6-digit code it shows for Warden."
        </p>
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div role="alert" class="alert" class:hidden=form_error.is_none()>{form_error.clone()}</div>
            <TextField name="code" label="Code" autocomplete="one-time-code" autofocus=true
                hint="Lost your device? Enter one of your recovery codes instead (like abcde-fghjk)."
                errors=errors/>
            <button class="primary" type="submit">"Verify"</button>
        </ActionForm>
        <p class="muted">
            <a href="/login">"Start again with another account"</a>
        </p>
    }
}
