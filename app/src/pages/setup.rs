use crate::api::{check_setup_link, CreateFirstAdmin};
use crate::components::form::{track_action_errors, Enhance, TextField};
use crate::domain::{FieldRule, PasswordPolicy};
use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// First run (SPEC §4): the one-time link printed by the server opens this form, which
/// creates the first platform administrator.
#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let link_ok = Resource::new(token, check_setup_link);

    view! {
        <Title text="Set up Warden"/>
        <main class="auth-page">
            <div class="card wide">
                <div class="card-brand"><span class="brand-mark" aria-hidden="true">"W"</span>"Warden"</div>
                <Suspense fallback=|| view! { <p aria-live="polite">"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        match link_ok.await {
                            Ok(true) => view! { <SetupForm token=token()/> }.into_any(),
                            Ok(false) => view! { <InvalidLink/> }.into_any(),
                            Err(err) => view! { <p role="alert" class="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
fn InvalidLink() -> impl IntoView {
    view! {
        <h1>"This setup link no longer works"</h1>
        <p>
            "A setup link works once, for 24 hours, and only while Warden has no platform administrator. "
            "If Warden has no administrator yet, restart the server to print a new link, or create one with "
            <code>"warden create-admin"</code>"."
        </p>
        <p><a href="/login">"Go to sign in"</a></p>
    }
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    let action = ServerAction::<CreateFirstAdmin>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(action, errors);
    // The link was used (perhaps in another tab) or expired while the form was open.
    let link_gone = move || matches!(action.value().get(), Some(Err(AppError::NotFound)));

    view! {
        <h1>"Create the first administrator"</h1>
        <p class="lead">
            "This account will be a platform administrator: it can create tenants and manage every account. "
            "There is no default password; choose one now."
        </p>
        <Enhance>
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div role="alert" class="alert" data-form-error class:hidden=move || form_error.get().is_none()>
                {move || if link_gone() {
                    "This setup link has already been used or has expired. If Warden still has no \
                     administrator, restart the server for a new link.".to_owned()
                } else {
                    form_error.get().unwrap_or_default()
                }}
            </div>
            <input type="hidden" name="token" value=token/>
            <TextField name="username" label="Username" autocomplete="username" autofocus=true
                hint="6–50 characters: letters, digits and underscores. It cannot be changed later."
                rule=FieldRule::Username errors=errors/>
            <TextField name="full_name" label="Full name" autocomplete="name" rule=FieldRule::FullName errors=errors/>
            <TextField name="email" label="Email" input_type="email" autocomplete="email" rule=FieldRule::Email errors=errors/>
            <TextField name="password" label="Password" input_type="password" autocomplete="new-password"
                hint=PasswordPolicy::platform().describe()
                rule=FieldRule::Password(PasswordPolicy::platform()) errors=errors/>
            <TextField name="password_confirmation" label="Confirm password" input_type="password"
                autocomplete="new-password" errors=errors/>
            <button class="primary" type="submit">"Create administrator"</button>
        </ActionForm>
        </Enhance>
    }
}
