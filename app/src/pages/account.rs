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
use crate::components::form::{track_action_errors, TextField};
use crate::components::layout::GuardedPage;
use crate::directory::AccountDetail;
use crate::domain::*;
use crate::error::FieldErrors;
use crate::pages::users::status_class;
use crate::pages::{format_date, last_valid_day};
use crate::tenants::TenantView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

fn username_rule(v: &str) -> Result<(), String> {
    Username::parse(v).map(drop)
}
fn email_rule(v: &str) -> Result<(), String> {
    Email::parse(v).map(drop)
}
fn full_name_rule(v: &str) -> Result<(), String> {
    FullName::parse(v).map(drop)
}
fn job_title_rule(v: &str) -> Result<(), String> {
    parse_optional_text(v, 100).map(drop)
}
fn country_rule(v: &str) -> Result<(), String> {
    parse_country_code(v).map(drop)
}
fn phone_rule(v: &str) -> Result<(), String> {
    parse_phone(v).map(drop)
}
fn reference_rule(v: &str) -> Result<(), String> {
    parse_reference(v, 100).map(drop)
}
fn external_id_rule(v: &str) -> Result<(), String> {
    parse_reference(v, 60).map(drop)
}

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
                    rule=full_name_rule errors=errors/>
                <TextField name="email" label="Email" input_type="email" autocomplete="off" value=email.unwrap_or_default()
                    rule=email_rule errors=errors/>
                <TextField name="job_title" label="Job title (optional)" value=job_title.unwrap_or_default()
                    rule=job_title_rule errors=errors/>
                <div class="phone-pair">
                    <TextField name="country_code" label="Country code (optional)" hint="e.g. +44" value=country.unwrap_or_default()
                        rule=country_rule errors=errors/>
                    <TextField name="phone" label="Phone (optional)" input_type="tel" hint="e.g. 20 7946 0018 or +1 555 0100"
                        value=phone.unwrap_or_default()
                        rule=phone_rule errors=errors/>
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
                    value=external.unwrap_or_default() rule=external_id_rule errors=errors/>
                <TextField name="ref_id_1" label="Reference 1 (optional)" value=ref_1.unwrap_or_default()
                    rule=reference_rule errors=errors/>
                <TextField name="ref_id_2" label="Reference 2 (optional)" value=ref_2.unwrap_or_default()
                    rule=reference_rule errors=errors/>
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
    let picks_tenant = may_manage_tenants(&session.actor).is_allowed();
    let tenants = Resource::new(
        || (),
        move |_| async move {
            if picks_tenant {
                list_tenants().await.map_err(|e| e.to_string())
            } else {
                Ok(Vec::new())
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/users/{id}?created=1"), Default::default());
        }
    });
    let tenant_name = session.tenant_name.clone();
    // The temporary password follows the new account's tenant's policy: the chosen tenant's
    // (platform administrators), the actor's own tenant's, or the platform policy for a
    // platform administrator. `None` until a tenant is chosen.
    let chosen_tenant = RwSignal::new(None::<TenantId>);
    let own_policy = session.password_policy.clone();
    let policy = Memo::new(move |_| {
        if tier.get() == Tier::PlatformAdmin {
            return Some(PasswordPolicy::platform());
        }
        if !picks_tenant {
            return Some(own_policy.clone());
        }
        let chosen = chosen_tenant.get()?;
        tenants.with(|list| {
            list.as_ref()
                .and_then(|l| l.as_ref().ok())
                .and_then(|l| l.iter().find(|t| t.tenant_id == chosen))
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
    let password_check = Callback::new(move |v: String| match policy.get_untracked() {
        Some(p) => Password::parse(&v, &p).map(drop),
        None => Ok(()),
    });
    view! {
        <div class="page-head">
            <h1>"New account"</h1>
            <p class="lead">
                "People receive a temporary password and choose their own at first sign-in. "
                "Service accounts have no password: they use API credentials."
            </p>
        </div>
        <section class="panel">
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
                                <Transition fallback=|| view! { <p class="muted">"Loading tenants…"</p> }>
                                    {move || Suspend::new(async move {
                                        let list = tenants.await;
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
                                                    {list.unwrap_or_default().into_iter().map(|t| view! {
                                                        <option value=t.tenant_id.0.to_string()>{t.name}</option>
                                                    }).collect_view()}
                                                </select>
                                                <p class="field-error" id="field-tenant_id-error" role="alert">
                                                    {move || errors.with(|e| e.first("tenant_id").map(str::to_owned))}
                                                </p>
                                            </div>
                                        }
                                    })}
                                </Transition>
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
                            rule=username_rule errors=errors/>
                        <div class:hidden=move || tier.get() == Tier::ServiceAccount>
                            <TextField name="password" label="Temporary password" input_type="text" autocomplete="off"
                                hint=password_hint check=password_check errors=errors/>
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
                    <A href="/users" attr:class="button-link">"Cancel"</A>
                </div>
            </ActionForm>
        </section>
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
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|v| v.parse::<i64>().ok())
                .map(AccountId)
        })
    });
    let update = ServerAction::<UpdateAccount>::new();
    let (access, assign, unassign) = super::account_access::account_access_resource(id);
    let toggle = ServerAction::<SetAccountEnabled>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let reset_mfa = ServerAction::<crate::api::ResetMfa>::new();
    let end_sessions = ServerAction::<crate::api::EndSessions>::new();
    let credentials = super::credentials::credentials_resource(id);
    // Reload after successful changes only: a refused save keeps what was typed.
    let changed = RwSignal::new(0u32);
    let saved_notice = RwSignal::new(false);
    Effect::new(move |_| {
        let ok = matches!(update.value().get(), Some(Ok(_)));
        saved_notice.set(ok);
        if ok {
            changed.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if toggle.version().get() > 0 {
            saved_notice.set(false);
        }
    });
    let account = Resource::new(
        move || {
            (
                id.get(),
                changed.get(),
                toggle.version().get(),
                reset_mfa.version().get(),
            )
        },
        |(id, _, _, _)| async move {
            match id {
                Some(id) => get_account(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            navigate("/users?deleted=1", Default::default());
        }
    });
    let created = move || query.with(|q| q.get("created").is_some());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading account…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(detail) => view! {
                        <Show when=created>
                            <p class="notice" role="status">"Account created."</p>
                        </Show>
                        <AccountView detail=detail.clone() saved_notice=saved_notice update=update toggle=toggle delete=delete/>
                        {(detail.summary.tier == Tier::ServiceAccount).then(|| view! {
                            <super::credentials::ApiCredentialsPanel account_id=detail.summary.account_id parts=credentials/>
                        })}
                        <SignInSecurity detail=detail reset=reset_mfa end=end_sessions/>
                        <super::account_access::AccountAccessPanel access=access assign=assign unassign=unassign/>
                    }.into_any(),
                    Err(crate::error::AppError::NotFound) => view! {
                        <div class="page-head"><h1>"Account not found"</h1></div>
                        <p class="muted">"There is no such account in your organisation. It may have been deleted."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AccountView(
    detail: AccountDetail,
    /// Shows "Saved." after the last save, until the next edit or action.
    saved_notice: RwSignal<bool>,
    update: ServerAction<UpdateAccount>,
    toggle: ServerAction<SetAccountEnabled>,
    delete: ServerAction<DeleteAccount>,
) -> impl IntoView {
    let a = detail.summary.clone();
    let may_manage = a.manage.is_allowed();
    let id = a.account_id.0.to_string();
    let disabled = a.status == AccountStatus::Disabled;
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(update, errors);
    let saved = move || saved_notice.get();
    let action_error = move || {
        [
            toggle.value().get().and_then(Result::err),
            delete.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    let confirming = RwSignal::new(false);
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
                    <ActionForm action=update attr:class="account-form" attr:novalidate=true attr:aria-labelledby="edit-heading"
                        on:input=move |_| saved_notice.set(false)>
                        <input type="hidden" name="account_id" value=id_form/>
                        <DetailFields errors=errors current=Some(detail_form)/>
                        <p role="alert" class="alert" class:hidden=move || form_error.get().is_none()>
                            {move || form_error.get()}
                        </p>
                        <p role="status" class="saved" class:hidden=move || !saved()>"Saved."</p>
                        <div class="form-actions">
                            <button class="primary" type="submit" disabled=update.pending()>
                                {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                            </button>
                        </div>
                    </ActionForm>
                </section>
                <Lifecycle is_self=is_self disabled=disabled id=id username=username.clone()
                    remove=a.remove toggle=toggle delete=delete confirming=confirming/>
                <p role="alert" class="alert" class:hidden=move || action_error().is_none()>{action_error}</p>
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
    confirming: RwSignal<bool>,
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
    let confirm_label = StoredValue::new(format!("Type {username} to confirm"));
    let typed = RwSignal::new(String::new());
    let id_toggle = id.clone();
    let id_delete = StoredValue::new(id);
    let matches = StoredValue::new(move || typed.with(|t| t.trim() == username));
    view! {
        <section class="panel" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">"Disable or delete"</h2>
            <div class="lifecycle-row">
                <p class="muted">{explain}</p>
                <ActionForm action=toggle>
                    <input type="hidden" name="account_id" value=id_toggle/>
                    <input type="hidden" name="enabled" value=if disabled { "true" } else { "false" }/>
                    <button class="secondary" type="submit" disabled=toggle.pending()>{format!("{verb} account")}</button>
                </ActionForm>
            </div>
            {if remove.is_allowed() {
                view! {
                    <div class="lifecycle-row">
                        <p class="muted">"Deleting removes the account for good. Its audit records stay."</p>
                        <Show when=move || !confirming.get()>
                            <button class="danger" type="button" on:click=move |_| confirming.set(true)>"Delete account…"</button>
                        </Show>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="lifecycle-row">
                        <p class="muted cannot-delete">{format!("You cannot delete this account: {}", remove.explain().trim_start_matches("Not allowed: "))}</p>
                    </div>
                }.into_any()
            }}
            <Show when=move || confirming.get()>
                <ActionForm action=delete attr:class="confirm-delete" attr:aria-label="Confirm deletion">
                    <input type="hidden" name="account_id" value=id_delete.get_value()/>
                    <div class="field">
                        <label for="confirm-username">{confirm_label.get_value()}</label>
                        <input id="confirm-username" type="text" autocomplete="off" autofocus=true
                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </div>
                    <button class="danger solid" type="submit" disabled=move || !matches.with_value(|m| m()) || delete.pending().get()>
                        "Delete for good"
                    </button>
                    <button class="secondary" type="button" on:click=move |_| { confirming.set(false); typed.set(String::new()); }>"Cancel"</button>
                </ActionForm>
            </Show>
        </section>
    }
    .into_any()
}

/// An account's MFA and sessions, for administrators: turn MFA off for someone who lost
/// their device (SPEC §5), end every session (SPEC §2.3). Each offered only when allowed,
/// otherwise saying why.
#[component]
fn SignInSecurity(
    detail: AccountDetail,
    reset: ServerAction<crate::api::ResetMfa>,
    end: ServerAction<crate::api::EndSessions>,
) -> impl IntoView {
    let Some(mfa) = detail.mfa.clone() else {
        return ().into_any();
    };
    if !detail.summary.tier.may_use_console() {
        // Service accounts never sign in to the console: no MFA, no sessions.
        return ().into_any();
    }
    let id = StoredValue::new(detail.summary.account_id.0.to_string());
    let username = detail.summary.username.clone();
    let confirming = RwSignal::new(false);
    let ended = move || matches!(end.value().get(), Some(Ok(())));
    let error = move || {
        [
            reset.value().get().and_then(Result::err),
            end.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    let status = match mfa.enabled_at {
        Some(at) => format!("On since {}", format_date(at)),
        None => "Off".to_owned(),
    };
    let why_not = |d: Decision| d.explain().trim_start_matches("Not allowed: ").to_owned();
    let mfa_row = if detail.is_self {
        view! {
            <div class="lifecycle-row">
                <p class="muted">"This is your own account: manage your MFA on "<A href="/mfa">"your MFA page"</A>"."</p>
            </div>
        }
        .into_any()
    } else if mfa.enabled_at.is_none() {
        ().into_any()
    } else if mfa.reset.is_allowed() {
        let question = StoredValue::new(format!(
            "Turn MFA off for {username}? They will sign in with their password alone until they set it up again."
        ));
        view! {
            <div class="lifecycle-row">
                <p class="muted">"Lost their device? Turning MFA off lets them sign in with their password and set it up again."</p>
                <Show when=move || !confirming.get()>
                    <button class="danger" type="button" on:click=move |_| confirming.set(true)>"Turn off MFA…"</button>
                </Show>
            </div>
            <Show when=move || confirming.get()>
                <ActionForm action=reset attr:class="confirm-delete" attr:aria-label="Confirm turning MFA off">
                    <input type="hidden" name="account_id" value=id.get_value()/>
                    <p>{question.get_value()}</p>
                    <button class="danger solid" type="submit" disabled=reset.pending()>"Turn off MFA"</button>
                    <button class="secondary" type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </ActionForm>
            </Show>
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
                    <input type="hidden" name="account_id" value=id.get_value()/>
                    <button class="secondary" type="submit" disabled=end.pending()>"End all sessions"</button>
                </ActionForm>
            </div>
            <p role="status" class="saved" class:hidden=move || !ended()>"All sessions ended."</p>
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
            <p role="alert" class="alert" class:hidden=move || error().is_none()>{error}</p>
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
