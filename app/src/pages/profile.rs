use crate::api::SessionView;
use crate::components::auth::RequireSession;
use crate::components::layout::ConsoleLayout;
use crate::pages::{format_date, last_valid_day};
use leptos::prelude::*;
use leptos_meta::Title;

/// The signed-in person's own account, and "sign out everywhere".
#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Your profile"/>
        <RequireSession page=|session: SessionView| view! {
            <ConsoleLayout session=session.clone()>
                <Profile session=session/>
            </ConsoleLayout>
        }/>
    }
}

#[component]
fn Profile(session: SessionView) -> impl IntoView {
    let expires = session
        .expires_at
        .map(|at| format!("Valid until {}", last_valid_day(at)))
        .unwrap_or_else(|| "Never".to_owned());
    let sign_out_everywhere = ServerAction::<crate::api::SignOutEverywhere>::new();
    view! {
        <div class="page-head">
            <h1>"Your profile"</h1>
            <p class="lead">{session.full_name.clone()}</p>
        </div>
        <section class="panel" aria-labelledby="details-heading">
            <h2 id="details-heading">"Account"</h2>
            <dl class="details">
                <dt>"Username"</dt><dd>{session.username.clone()}</dd>
                <dt>"Full name"</dt><dd>{session.full_name.clone()}</dd>
                <dt>"Email"</dt><dd>{session.email.clone()}</dd>
                <dt>"Job title"</dt><dd>{session.job_title.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Account type"</dt><dd>{session.tier.label()}</dd>
                <dt>"Tenant"</dt><dd>{session.tenant_name.clone().unwrap_or_else(|| "None (platform-wide)".into())}</dd>
                <dt>"Status"</dt><dd>{session.status.label()}</dd>
                <dt>"Expires"</dt><dd>{expires}</dd>
                <dt>"Member since"</dt><dd>{format_date(session.created_at)}</dd>
            </dl>
        </section>
        <section class="panel" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <p class="muted">"Changing your password signs you out everywhere else."</p>
            <p><a class="button-link" href="/change-password">"Change password"</a></p>
        </section>
        <section class="panel" aria-labelledby="mfa-heading">
            <h2 id="mfa-heading">"Multi-factor authentication"</h2>
            <p class="muted">
                {match session.mfa_enabled_at {
                    Some(at) => format!("On since {}: you sign in with your password and a code from your app.", format_date(at)),
                    None if session.may_enrol_mfa => "Off: you sign in with your password only.".to_owned(),
                    None => "Off: your organisation has turned it off.".to_owned(),
                }}
            </p>
            <p><a class="button-link" href="/mfa">
                {if session.mfa_enabled_at.is_some() || !session.may_enrol_mfa { "Manage MFA" } else { "Set up MFA" }}
            </a></p>
        </section>
        <section class="panel" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="muted">
                "Signed in on a device you no longer use? Signing out everywhere ends every session of your "
                "account at once, including this one."
            </p>
            <ActionForm action=sign_out_everywhere>
                <button class="danger" type="submit">"Sign out everywhere"</button>
            </ActionForm>
        </section>
    }
}
