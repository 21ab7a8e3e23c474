//! Tenant settings (SPEC §2.3, §5): the signed-in account's own tenant's MFA and password
//! policies, for whoever holds `Tenant settings: View`; changed by whoever holds `Tenant
//! settings: Edit` (tenant administrators, by their tier). The name, status and existence of
//! a tenant stay the platform administrators' (the Tenants page).

use crate::access::{may_change_tenant_settings, may_view_tenant_settings};
use crate::api::{get_own_tenant, SessionView, UpdateOwnTenant};
use crate::components::form::{done, track_action_errors, Enhance};
use crate::components::layout::GuardedPage;
use crate::domain::MfaPolicy;
use crate::error::FieldErrors;
use crate::pages::tenants::{password_summary, PasswordPolicyFields};
use crate::tenants::TenantView;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <GuardedPage title="Tenant settings" decide=may_view_tenant_settings
            page=|session: SessionView| view! { <Settings session=session/> }/>
    }
}

#[component]
fn Settings(session: SessionView) -> impl IntoView {
    let update = ServerAction::<UpdateOwnTenant>::new();
    let saved_notice = done::<UpdateOwnTenant>();
    let tenant = Resource::new(|| (), |_| get_own_tenant());
    let may_change = may_change_tenant_settings(&session.actor);
    view! {
        <div class="page-head">
            <h1>"Tenant settings"</h1>
            <p class="lead">"The rules every account of your organisation signs in and chooses passwords by."</p>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                match tenant.await {
                    Ok(t) => view! { <SettingsPanels tenant=t update=update may_change=may_change saved_notice=saved_notice/> }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsPanels(
    tenant: TenantView,
    update: ServerAction<UpdateOwnTenant>,
    may_change: crate::access::Decision,
    saved_notice: bool,
) -> impl IntoView {
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(update, errors);
    let current = tenant.mfa_policy;
    view! {
        <section class="panel" aria-labelledby="tenant-heading">
            <h2 id="tenant-heading">{tenant.name.clone()}</h2>
            <dl class="details">
                <dt>"Multi-factor authentication"</dt><dd>{tenant.mfa_policy.label()}</dd>
                <dt>"Passwords"</dt><dd>{password_summary(&tenant)}</dd>
                <dt>"Accounts"</dt><dd>{tenant.account_count}</dd>
            </dl>
            <p class="explain">
                "Only platform administrators rename, disable or delete a tenant."
            </p>
        </section>
        {if may_change.is_allowed() {
            view! {
                <section class="panel" aria-labelledby="policies-heading">
                    <h2 id="policies-heading">"Policies"</h2>
                    <Enhance>
                    <ActionForm action=update attr:class="stack" attr:novalidate=true
                        attr:aria-labelledby="policies-heading">
                        <div class="field">
                            <label for="field-mfa_policy">"Multi-factor authentication"</label>
                            <select id="field-mfa_policy" name="mfa_policy" aria-describedby="field-mfa_policy-hint">
                                {MfaPolicy::ALL.into_iter().map(|p| view! {
                                    <option value=p.as_str() selected=p == current>{p.label()}</option>
                                }).collect_view()}
                            </select>
                            <p class="hint" id="field-mfa_policy-hint">
                                "Required: every account must set up MFA before doing anything else, you included. \
                                 Off: nobody is offered it, except holders of a sensitive privilege, who always need it."
                            </p>
                            {move || errors.with(|e| e.first("mfa_policy").map(|m| view! { <p class="field-error">{m.to_owned()}</p> }))}
                        </div>
                        <PasswordPolicyFields id_prefix=String::new() preset=tenant.password_preset
                            refuse_guessable=tenant.refuse_guessable/>
                        {move || errors.with(|e| e.first("password_policy").map(|m| view! { <p class="field-error">{m.to_owned()}</p> }))}
                        <p role="alert" class="alert" data-form-error class:hidden=move || form_error.get().is_none()>
                            {move || form_error.get()}
                        </p>
                        <p role="status" class="saved" class:hidden=!saved_notice>"Saved."</p>
                        <div class="form-actions">
                            <button class="primary" type="submit">"Save policies"</button>
                        </div>
                    </ActionForm>
                    </Enhance>
                </section>
            }.into_any()
        } else {
            view! { <p class="explain">{may_change.explain()}</p> }.into_any()
        }}
    }
}
