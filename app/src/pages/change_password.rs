use crate::api::ChangePassword;
use crate::api::SessionView;
use crate::components::auth::{RequireSession, SignOutInstead};
use crate::components::form::{track_action_errors, Enhance, TextField};
use crate::components::layout::ConsoleLayout;
use crate::domain::{AccountStatus, FieldRule, PasswordPolicy};
use crate::error::FieldErrors;
use leptos::prelude::*;
use leptos_meta::Title;

/// Change your own password; the only page open to an account on a temporary password.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    view! {
        <Title text="Change password"/>
        <RequireSession for_password_change=true page=|session: SessionView| {
            let policy = session.password_policy.clone();
            if session.status == AccountStatus::MustChangePassword {
                view! {
                    <main class="auth-page">
                        <div class="card wide">
                            <div class="card-brand"><span class="brand-mark" aria-hidden="true">"W"</span>"Warden"</div>
                            <h1>"Choose your own password"</h1>
                            <p class="lead">
                                {format!("Welcome, {}. You signed in with a temporary password; choose your own to continue.", session.full_name)}
                            </p>
                            <PasswordForm policy=policy/>
                            <SignOutInstead/>
                        </div>
                    </main>
                }.into_any()
            } else {
                view! {
                    <ConsoleLayout session=session>
                        <div class="page-head">
                            <h1>"Change your password"</h1>
                            <p class="lead">"Your other sessions end when you change it; this one continues."</p>
                        </div>
                        <section class="panel narrow"><PasswordForm policy=policy/></section>
                    </ConsoleLayout>
                }.into_any()
            }
        }/>
    }
}

/// Current and new password. The new one is checked against `policy` (the account's) as
/// the person leaves the field; the server checks it again, and also refuses guessable
/// passwords where the policy says so.
#[component]
fn PasswordForm(policy: PasswordPolicy) -> impl IntoView {
    let hint = policy.describe();
    let action = ServerAction::<ChangePassword>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(action, errors).get_untracked();
    view! {
        <Enhance>
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div role="alert" class="alert" data-form-error class:hidden=form_error.is_none()>{form_error.clone()}</div>
            <TextField name="current_password" label="Current password" input_type="password"
                autocomplete="current-password" autofocus=true errors=errors/>
            <TextField name="new_password" label="New password" input_type="password" autocomplete="new-password"
                hint=hint rule=FieldRule::Password(policy) errors=errors/>
            <TextField name="new_password_confirmation" label="Confirm new password" input_type="password"
                autocomplete="new-password" errors=errors/>
            <button class="primary" type="submit">"Change password"</button>
        </ActionForm>
        </Enhance>
    }
}
