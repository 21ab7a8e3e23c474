//! One account: the creation form (`/users/new`) and the account's page (`/users/:id`) with
//! its edit form, enable / disable and delete. Every field rule is the shared `domain` parse
//! function the server runs; every action shown is one `access::may_manage` allows.

use crate::access::{
    manageable_tiers, may_create_accounts, may_list_accounts, may_manage_tenants, Decision,
};
use crate::api::{
    get_account, list_tenants, CreateAccount, DeleteAccount, SessionView, SetAccountEnabled,
    UpdateAccount,
};
use crate::components::form::{
    done, first_refusal, refused, track_action_errors, Enhance, InIsland, TextField,
};
use crate::components::layout::GuardedPage;
use crate::directory::AccountDetail;
use crate::domain::*;
use crate::error::FieldErrors;
use crate::pages::users::status_class;
use crate::pages::{format_date, last_valid_day};
use crate::tenants::TenantView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The fields a person can change after creation (SPEC §2.1), filled from `current`.
#[component]
fn DetailFields(errors: RwSignal<FieldErrors>, current: Option<AccountDetail>) -> impl IntoView {
    let value = |f: fn(&AccountDetail) -> Option<String>| current.as_ref().and_then(f);
    let email = value(|d| Some(d.summary.email.clone()));
    let full_name = value(|d| Some(d.summary.full_name.clone()));
    let job_title = value(|d| d.job_title.clone());
    let country = value(|d| d.country_code.clone());
    let phone = value(|d| d.phone.clone());
    let expires = value(|d| d.summary.expires_at.map(last_valid_day));
    let ref_1 = value(|d| d.ref_id_1.clone());
    let ref_2 = value(|d| d.ref_id_2.clone());
    let external = value(|d| d.summary.external_id.clone());
    view! {
        <fieldset class="form-group">
            <legend>"Name and contact"</legend>
            <div class="form-grid">
                <TextField name="full_name" label="Full name" autocomplete="off" value=full_name.unwrap_or_default()
                    rule=FieldRule::FullName errors=errors/>
                <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email.unwrap_or_default()
                    rule=FieldRule::Email errors=errors/>
                <TextField name="job_title" label="Job title (optional)" value=job_title.unwrap_or_default()
                    rule=FieldRule::OptionalText(100) errors=errors/>
                <div class="phone-pair">
                    <TextField name="country_code" label="Country code (optional)" hint="e.g. +44" value=country.unwrap_or_default()
                        rule=FieldRule::CountryCode errors=errors/>
                    <TextField name="phone" label="Phone (optional)" input_type="tel" hint="e.g. 20 7946 0018 or +1 555 0100"
                        value=phone.unwrap_or_default()
                        rule=FieldRule::Phone errors=errors/>
                </div>
            </div>
        </fieldset>
        <fieldset class="form-group">
            <legend>"Access and references"</legend>
            <div class="form-grid">
                <TextField name="expires_on" label="Valid until (optional)" input_type="date"
                    hint="The last day this account may sign in. Leave empty: never expires."
                    value=expires.unwrap_or_default() errors=errors/>
                <TextField name="external_id" label="External ID (optional)" hint="Letters and digits; unique in the tenant."
                    value=external.unwrap_or_default() rule=FieldRule::Reference(60) errors=errors/>
                <TextField name="ref_id_1" label="Reference 1 (optional)" value=ref_1.unwrap_or_default()
                    rule=FieldRule::Reference(100) errors=errors/>
                <TextField name="ref_id_2" label="Reference 2 (optional)" value=ref_2.unwrap_or_default()
                    rule=FieldRule::Reference(100) errors=errors/>
            </div>
        </fieldset>
    }
}

/// `/users/new`: create an account of a tier the signed-in account may manage. Someone who
/// may create none is told why instead ([`may_create_accounts`]).
#[component]
pub fn NewAccountPage() -> impl IntoView {
    view! {
        <GuardedPage title="New account" decide=may_create_accounts back=("/users", "← Users")
            page=|session: SessionView| {
                let tiers = manageable_tiers(&session.actor);
                view! { <NewAccount session=session tiers=tiers/> }
            }/>
    }
}

#[component]
fn NewAccount(session: SessionView, tiers: Vec<Tier>) -> impl IntoView {
    let picks_tenant = may_manage_tenants(&session.actor).is_allowed();
    let tenants = Resource::new(
        || (),
        move |_| async move {
            if picks_tenant {
                list_tenants().await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let (tenant_name, own_policy) = (session.tenant_name.clone(), session.password_policy.clone());
    view! {
        <div class="page-head">
            <h1>"New account"</h1>
            <p class="lead">
                "People receive a temporary password and choose their own at first sign-in. "
                "Service accounts have no password: they use API credentials."
            </p>
        </div>
        <section class="panel">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let (tiers, tenant_name, own_policy) = (tiers.clone(), tenant_name.clone(), own_policy.clone());
                    Suspend::new(async move {
                        match tenants.await {
                            Ok(tenants) => view! {
                                <NewAccountForm tiers=tiers picks_tenant=picks_tenant tenants=tenants
                                    tenant_name=tenant_name own_policy=own_policy/>
                            }.into_any(),
                            Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The creation form: an island, since the account type chosen decides which fields apply
/// and which password policy the temporary password must meet (the chosen tenant's).
#[island(lazy)]
fn NewAccountForm(
    tiers: Vec<Tier>,
    picks_tenant: bool,
    tenants: Vec<TenantView>,
    tenant_name: Option<String>,
    own_policy: PasswordPolicy,
) -> impl IntoView {
    crate::islands::hydrated();
    provide_context(InIsland);
    let create = ServerAction::<CreateAccount>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(create, errors);
    // Never empty behind `may_create_accounts`; should it be, the server refuses the form.
    let first = if tiers.contains(&Tier::User) {
        Tier::User
    } else {
        tiers.first().copied().unwrap_or(Tier::User)
    };
    let tier = RwSignal::new(first);
    // The temporary password follows the new account's tenant's policy: the chosen tenant's
    // (platform administrators), the actor's own tenant's, or the platform policy for a
    // platform administrator. `None` until a tenant is chosen.
    let chosen_tenant = RwSignal::new(None::<TenantId>);
    let tenants = StoredValue::new(tenants);
    let policy = Memo::new(move |_| {
        if tier.get() == Tier::PlatformAdmin {
            return Some(PasswordPolicy::platform());
        }
        if !picks_tenant {
            return Some(own_policy.clone());
        }
        let chosen = chosen_tenant.get()?;
        tenants.with_value(|list| {
            list.iter()
                .find(|t| t.tenant_id == chosen)
                .map(TenantView::password_policy)
        })
    });
    let password_hint = Signal::derive(move || {
        let rule = match policy.get() {
            Some(p) => p.describe(),
            None => "Choose a tenant: its password policy applies.".to_owned(),
        };
        format!("{rule} Share it privately; it works until first sign-in.")
    });
    let password_rule = Signal::derive(move || policy.get().map(FieldRule::Password));
    view! {
        <ActionForm action=create attr:class="account-form" attr:novalidate=true attr:aria-label="New account">
            <fieldset class="form-group">
                <legend>"Account"</legend>
                <div class="form-grid">
                    <div class="field" class:has-error=move || errors.with(|e| e.first("tier").is_some())>
                        <label for="field-tier">"Account type"</label>
                        <select id="field-tier" name="tier" aria-describedby="field-tier-hint field-tier-error"
                            on:change=move |ev| {
                                if let Ok(t) = Tier::parse(&event_target_value(&ev)) {
                                    tier.set(t);
                                }
                            }>
                            {tiers.iter().map(|&t| view! {
                                <option value=t.as_str() selected=t == first>{t.label()}</option>
                            }).collect_view()}
                        </select>
                        <p class="hint" id="field-tier-hint">"Fixed once created."</p>
                        <p class="field-error" id="field-tier-error" role="alert">{move || errors.with(|e| e.first("tier").map(str::to_owned))}</p>
                    </div>
                    {if picks_tenant {
                        view! {
                            <div class="field" class:has-error=move || errors.with(|e| e.first("tenant_id").is_some())
                                class:hidden=move || tier.get() == Tier::PlatformAdmin>
                                <label for="field-tenant_id">"Tenant"</label>
                                <select id="field-tenant_id" name="tenant_id"
                                    on:change=move |ev| {
                                        let id = event_target_value(&ev).parse::<i64>().ok().map(TenantId);
                                        chosen_tenant.set(id);
                                    }
                                    disabled=move || tier.get() == Tier::PlatformAdmin
                                    aria-describedby="field-tenant_id-error">
                                    <option value="">"Choose a tenant…"</option>
                                    {tenants.get_value().into_iter().map(|t| view! {
                                        <option value=t.tenant_id.0.to_string()>{t.name}</option>
                                    }).collect_view()}
                                </select>
                                <p class="field-error" id="field-tenant_id-error" role="alert">
                                    {move || errors.with(|e| e.first("tenant_id").map(str::to_owned))}
                                </p>
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="field">
                                <span class="label">"Tenant"</span>
                                <p class="static-value">{tenant_name.clone().unwrap_or_default()}</p>
                            </div>
                        }.into_any()
                    }}
                    <TextField name="username" label="Username" autocomplete="off"
                        hint="6–50 letters, digits or underscores. Used to sign in; cannot be changed."
                        rule=FieldRule::Username errors=errors/>
                    <div class:hidden=move || tier.get() == Tier::ServiceAccount>
                        <TextField name="password" label="Temporary password" input_type="text" autocomplete="off"
                            hint=password_hint rule=password_rule errors=errors/>
                    </div>
                </div>
            </fieldset>
            <DetailFields errors=errors current=None/>
            <p role="alert" class="alert" class:hidden=move || form_error.get().is_none()>
                {move || form_error.get()}
            </p>
            <div class="form-actions">
                <button class="primary" type="submit" disabled=create.pending()>
                    {move || if create.pending().get() { "Creating…" } else { "Create account" }}
                </button>
                <a href="/users" class="button-link">"Cancel"</a>
            </div>
        </ActionForm>
    }
}

/// `/users/:id`: one account, its details, and what the signed-in account may do with it.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <GuardedPage title="Account" decide=may_list_accounts back=("/users", "← Users")
            page=|_: SessionView| view! { <Account/> }/>
    }
}

#[component]
fn Account() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = params.with_untracked(|p| {
        p.get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .map(AccountId)
    });
    let account = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => get_account(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let created = query.with_untracked(|q| q.get("created").is_some());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading account…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(detail) => {
                        let account_id = detail.summary.account_id;
                        view! {
                            {created.then(|| view! { <p class="notice" role="status">"Account created."</p> })}
                            <AccountView detail=detail.clone()/>
                            {(detail.summary.tier == Tier::ServiceAccount).then(|| view! {
                                <super::credentials::ApiCredentialsPanel account_id=account_id/>
                            })}
                            <SignInSecurity detail=detail/>
                            <super::account_access::AccountAccessPanel account_id=account_id/>
                        }.into_any()
                    }
                    Err(crate::error::AppError::NotFound) => view! {
                        <div class="page-head"><h1>"Account not found"</h1></div>
                        <p class="muted">"There is no such account in your organisation. It may have been deleted."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Whether the page's `?confirm=` asks to confirm `what` (set by a small GET form, so that
/// confirmations work without JavaScript).
fn confirming(what: &str) -> bool {
    use_query_map().with_untracked(|q| q.get("confirm").as_deref() == Some(what))
}

#[component]
fn AccountView(detail: AccountDetail) -> impl IntoView {
    let update = ServerAction::<UpdateAccount>::new();
    let toggle = ServerAction::<SetAccountEnabled>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let a = detail.summary.clone();
    let may_manage = a.manage.is_allowed();
    let id = a.account_id.0.to_string();
    let disabled = a.status == AccountStatus::Disabled;
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(update, errors).get_untracked();
    let saved = done::<UpdateAccount>();
    let action_error = first_refusal([refused(toggle), refused(delete)]);
    let username = a.username.clone();
    let is_self = detail.is_self;
    let (detail_form, id_form) = (detail.clone(), id.clone());
    let title = format!("{} · Users", a.username);
    let expires = a
        .expires_at
        .map(|at| format!("Valid until {}", last_valid_day(at)))
        .unwrap_or_else(|| "Never expires".to_owned());
    view! {
        <Title text=title/>
        <div class="page-head with-actions">
            <div>
                <h1>{a.full_name.clone()}</h1>
                <p class="lead">
                    <span class="mono">{a.username.clone()}</span>" · "{a.tier.label()}
                    {a.tenant_name.clone().map(|t| format!(" · {t}"))}
                </p>
            </div>
            <span class=status_class(a.status)>{a.status.label()}</span>
        </div>
        <section class="panel" aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Account"</h2>
            <dl class="details">
                <dt>"Username"</dt><dd>{a.username.clone()}<span class="sub">" (cannot be changed)"</span></dd>
                <dt>"Account type"</dt><dd>{a.tier.label()}<span class="sub">" (fixed at creation)"</span></dd>
                <dt>"Tenant"</dt><dd>{a.tenant_name.clone().unwrap_or_else(|| "None (platform-wide)".into())}</dd>
                <dt>"Status"</dt><dd>{a.status.label()}</dd>
                <dt>"Expiration"</dt><dd>{expires}</dd>
                <dt>"Created"</dt><dd>{format_date(a.created_at)}</dd>
                <dt>"Last changed"</dt><dd>{format_date(detail.updated_at)}</dd>
            </dl>
            <p class="explain">
                {if detail.is_self { "This is your own account. ".to_owned() } else { String::new() }}
                {a.manage.explain()}
            </p>
        </section>
        {if may_manage {
            view! {
                <section class="panel" aria-labelledby="edit-heading">
                    <h2 id="edit-heading">"Details"</h2>
                    <Enhance>
                        <ActionForm action=update attr:class="account-form" attr:novalidate=true attr:aria-labelledby="edit-heading">
                            <input type="hidden" name="account_id" value=id_form/>
                            <DetailFields errors=errors current=Some(detail_form)/>
                            <p role="alert" class="alert" data-form-error class:hidden=form_error.is_none()>{form_error.clone()}</p>
                            <p role="status" class="saved" class:hidden=!saved>"Saved."</p>
                            <div class="form-actions">
                                <button class="primary" type="submit">"Save changes"</button>
                            </div>
                        </ActionForm>
                    </Enhance>
                </section>
                <Lifecycle is_self=is_self disabled=disabled id=id username=username.clone()
                    remove=a.remove toggle=toggle delete=delete/>
                <p role="alert" class="alert" class:hidden=action_error.is_none()>{action_error.clone()}</p>
            }.into_any()
        } else {
            view! { <ReadOnlyDetails detail=detail.clone() decision=a.manage/> }.into_any()
        }}
    }
}

/// Enable / disable and delete. Nobody removes their own account (SPEC §2.2): for oneself the
/// section says so instead of offering the buttons.
#[component]
fn Lifecycle(
    is_self: bool,
    disabled: bool,
    id: String,
    username: String,
    /// May the viewer delete the account (Delete on its resource), and why not.
    remove: Decision,
    toggle: ServerAction<SetAccountEnabled>,
    delete: ServerAction<DeleteAccount>,
) -> impl IntoView {
    if is_self {
        return view! {
            <section class="panel" aria-labelledby="lifecycle-heading">
                <h2 id="lifecycle-heading">"Disable or delete"</h2>
                <p class="muted">"You cannot disable or delete your own account. Another administrator can."</p>
            </section>
        }
        .into_any();
    }
    let (verb, explain) = if disabled {
        (
            "Enable",
            "Enabling restores the status the account had before it was disabled.",
        )
    } else {
        (
            "Disable",
            "Disabling signs the account out at once and keeps everything; it can be enabled again.",
        )
    };
    let here = format!("/users/{id}");
    let (id_delete, id_toggle) = (id.clone(), id.clone());
    let delete_row = if !remove.is_allowed() {
        view! {
            <div class="lifecycle-row">
                <p class="muted cannot-delete">{format!("You cannot delete this account: {}", remove.explain().trim_start_matches("Not allowed: "))}</p>
            </div>
        }
        .into_any()
    } else if confirming("delete") {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Deleting removes the account for good. Its audit records stay."</p>
            </div>
            <ActionForm action=delete attr:class="confirm-delete" attr:aria-label="Confirm deletion">
                <input type="hidden" name="account_id" value=id_delete/>
                <TypedConfirmation expected=username label=String::new() submit="Delete for good".to_owned()
                    cancel=here/>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Deleting removes the account for good. Its audit records stay."</p>
                <form method="get" action=here>
                    <button class="danger" type="submit" name="confirm" value="delete">"Delete account…"</button>
                </form>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="panel" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">"Disable or delete"</h2>
            <div class="lifecycle-row">
                <p class="muted">{explain}</p>
                <ActionForm action=toggle>
                    <input type="hidden" name="account_id" value=id_toggle/>
                    <input type="hidden" name="enabled" value=if disabled { "true" } else { "false" }/>
                    <button class="secondary" type="submit">{format!("{verb} account")}</button>
                </ActionForm>
            </div>
            {delete_row}
        </section>
    }
    .into_any()
}

/// "Type <name> to confirm" and the button it unlocks. Without WASM the browser itself
/// holds the form until the name matches (`pattern`); once hydrated, the button stays
/// disabled until it does.
#[island(lazy)]
fn TypedConfirmation(
    expected: String,
    label: String,
    submit: String,
    cancel: String,
) -> impl IntoView {
    crate::islands::hydrated();
    let label = if label.is_empty() {
        format!("Type {expected} to confirm")
    } else {
        label
    };
    let typed = RwSignal::new(String::new());
    // False while the server renders (the form must work without WASM), true once hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let pattern = escape_pattern(&expected);
    let matches = move || typed.with(|t| t.trim() == expected);
    view! {
        <div class="field">
            <label for="confirm-username">{label}</label>
            <input id="confirm-username" type="text" autocomplete="off" autofocus=true required pattern=pattern
                on:input=move |ev| typed.set(event_target_value(&ev))/>
        </div>
        <button class="danger solid" type="submit" disabled=move || hydrated.get() && !matches()>{submit}</button>
        <a class="button-link" href=cancel>"Cancel"</a>
    }
}

/// `value` as an HTML `pattern` matching exactly it.
fn escape_pattern(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An account's MFA and sessions, for administrators: turn MFA off for someone who lost
/// their device (SPEC §5), end every session (SPEC §2.3). Each offered only when allowed,
/// otherwise saying why.
#[component]
fn SignInSecurity(detail: AccountDetail) -> impl IntoView {
    let Some(mfa) = detail.mfa.clone() else {
        return ().into_any();
    };
    if !detail.summary.tier.may_use_console() {
        // Service accounts never sign in to the console: no MFA, no sessions.
        return ().into_any();
    }
    let reset = ServerAction::<crate::api::ResetMfa>::new();
    let end = ServerAction::<crate::api::EndSessions>::new();
    let id = detail.summary.account_id.0.to_string();
    let here = format!("/users/{id}");
    let (id_reset, id_end) = (id.clone(), id.clone());
    let username = detail.summary.username.clone();
    let ended = done::<crate::api::EndSessions>();
    let error = first_refusal([refused(reset), refused(end)]);
    let status = match mfa.enabled_at {
        Some(at) => format!("On since {}", format_date(at)),
        None => "Off".to_owned(),
    };
    let why_not = |d: Decision| d.explain().trim_start_matches("Not allowed: ").to_owned();
    let mfa_row = if detail.is_self {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"This is your own account: manage your MFA on "<a href="/mfa">"your MFA page"</a>"."</p>
            </div>
        }
        .into_any()
    } else if mfa.enabled_at.is_none() {
        ().into_any()
    } else if mfa.reset.is_allowed() && confirming("mfa") {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Lost their device? Turning MFA off lets them sign in with their password and set it up again."</p>
            </div>
            <ActionForm action=reset attr:class="confirm-delete" attr:aria-label="Confirm turning MFA off">
                <input type="hidden" name="account_id" value=id_reset/>
                <p>{format!("Turn MFA off for {username}? They will sign in with their password alone until they set it up again.")}</p>
                <button class="danger solid" type="submit" autofocus>"Turn off MFA"</button>
                <a class="button-link" href=here.clone()>"Cancel"</a>
            </ActionForm>
        }
        .into_any()
    } else if mfa.reset.is_allowed() {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Lost their device? Turning MFA off lets them sign in with their password and set it up again."</p>
                <form method="get" action=here.clone()>
                    <button class="danger" type="submit" name="confirm" value="mfa">"Turn off MFA…"</button>
                </form>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="lifecycle-row">
                <p class="muted">{format!("You cannot turn off this account's MFA: {}", why_not(mfa.reset))}</p>
            </div>
        }
        .into_any()
    };
    let sessions_row = if detail.is_self {
        ().into_any()
    } else if mfa.end_sessions.is_allowed() {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Ends every session of this account at once, on every device: it must sign in again."</p>
                <ActionForm action=end>
                    <input type="hidden" name="account_id" value=id_end/>
                    <button class="secondary" type="submit">"End all sessions"</button>
                </ActionForm>
            </div>
            <p role="status" class="saved" class:hidden=!ended>"All sessions ended."</p>
        }
        .into_any()
    } else {
        ().into_any()
    };
    view! {
        <section class="panel" aria-labelledby="security-heading">
            <h2 id="security-heading">"Sign-in security"</h2>
            <dl class="details">
                <dt>"Multi-factor authentication"</dt><dd>{status}</dd>
            </dl>
            {mfa_row}
            {sessions_row}
            <p role="alert" class="alert" class:hidden=error.is_none()>{error.clone()}</p>
        </section>
    }
    .into_any()
}

/// What someone who may see but not manage an account sees, with the reason.
#[component]
fn ReadOnlyDetails(detail: AccountDetail, decision: Decision) -> impl IntoView {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let phone = match (&detail.country_code, &detail.phone) {
        (Some(c), Some(p)) => Some(format!("{c} {p}")),
        (None, Some(p)) => Some(p.clone()),
        _ => None,
    };
    view! {
        <section class="panel" aria-labelledby="details-heading">
            <h2 id="details-heading">"Details"</h2>
            <p class="explain">{decision.explain()}</p>
            <dl class="details">
                <dt>"Email"</dt><dd>{detail.summary.email.clone()}</dd>
                <dt>"Job title"</dt><dd>{dash(detail.job_title.clone())}</dd>
                <dt>"Phone"</dt><dd>{dash(phone)}</dd>
                <dt>"External ID"</dt><dd>{dash(detail.summary.external_id.clone())}</dd>
                <dt>"Reference 1"</dt><dd>{dash(detail.ref_id_1.clone())}</dd>
                <dt>"Reference 2"</dt><dd>{dash(detail.ref_id_2.clone())}</dd>
            </dl>
        </section>
    }
}
