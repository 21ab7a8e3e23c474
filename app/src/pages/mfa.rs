//! Multi-factor authentication for oneself (SPEC §5): enrol from a QR code (or the key as
//! text), confirm with a first code, keep the recovery codes; see it on, or turn it off with
//! a current code. An account that must have MFA and has none lands here and can do nothing
//! else until it is done.

use crate::api::{BeginMfaEnrolment, ConfirmMfaEnrolment, SessionView, TurnOffMfa};
use crate::components::auth::{RequireSession, SignOutInstead};
use crate::components::form::{non_field_error, track_action_errors, Enhance, InIsland, TextField};
use crate::components::layout::ConsoleLayout;
use crate::error::FieldErrors;
use crate::pages::format_date;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MfaPage() -> impl IntoView {
    view! {
        <Title text="Multi-factor authentication"/>
        <RequireSession for_mfa_enrolment=true page=|session: SessionView| {
            if session.must_enrol_mfa {
                view! {
                    <main class="auth-page">
                        <div class="card wide">
                            <div class="card-brand"><span class="brand-mark" aria-hidden="true">"W"</span>"Warden"</div>
                            <h1>"Set up multi-factor authentication"</h1>
                            <p class="lead">
                                {format!(
                                    "Welcome, {}. Your account needs a second factor before you can continue: your \
                                     organisation requires it, or you hold a privilege that does. It takes a minute \
                                     with an authenticator app on your phone.",
                                    session.full_name
                                )}
                            </p>
                            <Enrol>""</Enrol>
                            <SignOutInstead/>
                        </div>
                    </main>
                }.into_any()
            } else {
                view! {
                    <ConsoleLayout session=session.clone()>
                        <div class="page-head">
                            <h1>"Multi-factor authentication"</h1>
                            <p class="lead">
                                "A code from an app on your phone, asked for after your password, keeps your account \
                                 safe even if your password leaks."
                            </p>
                        </div>
                        <MfaPanel session=session/>
                    </ConsoleLayout>
                }.into_any()
            }
        }/>
    }
}

#[component]
fn MfaPanel(session: SessionView) -> impl IntoView {
    let query = use_query_map();
    let recovery_left = query.with_untracked(|q| {
        q.get("recovery_codes_left")
            .and_then(|v| v.parse::<i64>().ok())
    });
    let status = match session.mfa_enabled_at {
        Some(at) => view! {
            <p class="status-line">
                <span class="badge badge-yes">"On"</span>
                {format!(" since {}. You sign in with your password and a code from your app.", format_date(at))}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="status-line">
                <span class="badge badge-no">"Off"</span>
                " You sign in with your password only."
            </p>
        }
        .into_any(),
    };
    let status = view! { <h2 id="mfa-heading">"Status"</h2>{status} };
    let body = match (session.mfa_enabled_at.is_some(), session.mfa_required, session.may_enrol_mfa) {
        (true, true, _) => view! {
            {status}
            <p class="muted">
                "MFA is required for your account (by your organisation's policy, or a sensitive privilege you hold), \
                 so it stays on. Lost your device? Sign in with a recovery code, or ask an administrator to reset it."
            </p>
        }
        .into_any(),
        (true, false, _) => view! { {status} <TurnOff/> }.into_any(),
        // Enrolling replaces the status with the recovery codes.
        (false, _, true) => view! { <Enrol>{status}</Enrol> }.into_any(),
        (false, _, false) => view! {
            {status}
            <p class="muted">"Your organisation has turned multi-factor authentication off. Ask your administrator."</p>
        }
        .into_any(),
    };
    view! {
        {recovery_left.map(|left| view! {
            <p class="notice warn" role="status">
                {format!(
                    "You signed in with a recovery code; {left} {} left. If you lost your device, turn MFA off and set it up \
                     again on a new one (or ask an administrator), and keep the new recovery codes.",
                    if left == 1 { "is" } else { "are" }
                )}
            </p>
        })}
        <section class="panel" aria-labelledby="mfa-heading">
            {body}
        </section>
    }
}

/// Turning one's own MFA off: a current code from the app proves it is the owner.
#[component]
fn TurnOff() -> impl IntoView {
    let action = ServerAction::<TurnOffMfa>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let _ = track_action_errors(action, errors);
    let form_error = non_field_error(action).get_untracked();
    view! {
        <h3>"Turn MFA off"</h3>
        <p class="muted">"Enter a current code from your app to confirm it is you."</p>
        <Enhance>
            <ActionForm action=action attr:class="stack narrow-form" attr:novalidate=true>
                <div role="alert" class="alert" data-form-error class:hidden=form_error.is_none()>{form_error.clone()}</div>
                <TextField name="code" label="Code from your app" autocomplete="one-time-code" errors=errors/>
                <button class="danger" type="submit">"Turn off MFA"</button>
            </ActionForm>
        </Enhance>
    }
}

/// Enrolment: a new key as a QR code and as text, then the first code, then the recovery
/// codes (shown this once). Confirming signs the account out everywhere. An island: each
/// step answers in place; `children` (the status) give way to the recovery codes.
#[island(lazy)]
fn Enrol(children: Children) -> impl IntoView {
    crate::islands::hydrated();
    provide_context(InIsland);
    let begin = ServerAction::<BeginMfaEnrolment>::new();
    let confirm = ServerAction::<ConfirmMfaEnrolment>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let _ = track_action_errors(confirm, errors);
    let form_error = non_field_error(confirm);
    // Once on, the panel's "Off" above is out of date: the recovery codes say what is true.
    let enrolled = move || matches!(confirm.value().get(), Some(Ok(_)));
    let begin_error = move || {
        begin
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let confirming = confirm.pending();
    let starting = begin.pending();
    view! {
        <div class:hidden=enrolled>{children()}</div>
        {move || match (begin.value().get(), confirm.value().get()) {
            (_, Some(Ok(codes))) => view! { <RecoveryCodes codes=codes/> }.into_any(),
            (Some(Ok(shown)), _) => view! {
                <ol class="steps">
                    <li>
                        <p><strong>"Scan this QR code"</strong>" with your authenticator app (Google Authenticator, Microsoft Authenticator, Okta Verify or any other)."</p>
                        <div class="qr" role="img" aria-label="QR code that sets up Warden in your authenticator app" inner_html=shown.qr_svg.clone()></div>
                    </li>
                    <li>
                        <p>"Can't scan it? Add an account by hand with this key (time-based, 6 digits, 30 seconds):"</p>
                        <p><code class="mfa-key" id="mfa-key">{shown.key.clone()}</code></p>
                    </li>
                    <li>
                        <p><strong>"Enter the 6-digit code"</strong>" the app now shows for Warden, and your password to confirm it is you."</p>
                        <ActionForm action=confirm attr:class="stack narrow-form" attr:novalidate=true>
                            <div role="alert" class="alert" class:hidden=move || form_error.get().is_none()>
                                {move || form_error.get()}
                            </div>
                            <TextField name="code" label="Code" autocomplete="one-time-code" errors=errors/>
                            <TextField name="current_password" label="Your current password" input_type="password" autocomplete="current-password" errors=errors/>
                            <button class="primary" type="submit" disabled=confirming>
                                {move || if confirming.get() { "Checking…" } else { "Turn on MFA" }}
                            </button>
                        </ActionForm>
                    </li>
                </ol>
            }.into_any(),
            _ => view! {
                <div role="alert" class="alert" class:hidden=move || begin_error().is_none()>{begin_error}</div>
                <p>"You need an authenticator app on your phone. Then:"</p>
                <ol class="plain-steps">
                    <li>"scan the QR code Warden shows you (or type its key),"</li>
                    <li>"enter the code the app shows,"</li>
                    <li>"keep the ten recovery codes somewhere safe,"</li>
                    <li>"sign in again, with your password and a code."</li>
                </ol>
                <ActionForm action=begin>
                    <button class="primary" type="submit" disabled=starting>
                        {move || if starting.get() { "Preparing…" } else { "Set up MFA" }}
                    </button>
                </ActionForm>
            }.into_any(),
        }}
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <p class="notice success" role="status">"Multi-factor authentication is on."</p>
        <h2>"Your recovery codes"</h2>
        <p>
            "If you lose your phone, each of these codes signs you in once instead of a code from the app. "
            <strong>"Save them now"</strong>" (in a password manager, or printed): they are shown only this once."
        </p>
        <ul class="recovery-codes" aria-label="Recovery codes">
            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        <p class="muted">"You were signed out everywhere. Sign in again with your password, then a code from the app."</p>
        // A full page load: the console's idea of the session must start afresh.
        <a class="button-link primary-link" href="/login?mfa=on" rel="external">"I have saved them: sign in again"</a>
    }
}
