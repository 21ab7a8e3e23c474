use crate::access::may_manage_tenants;
use crate::api::{
    list_tenants, CreateTenant, DeleteTenant, SessionView, SetTenantActive, UpdateTenant,
};
use crate::components::form::{first_refusal, refused, track_action_errors, Enhance, TextField};
use crate::components::layout::GuardedPage;
use crate::domain::{FieldRule, MfaPolicy, PasswordPreset};
use crate::error::FieldErrors;
use crate::tenants::TenantView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The tenant's password policy (SPEC §2.3): a preset, each explained, and the
/// guessable-password check for the presets that do not always have it. `id_prefix` keeps
/// ids unique when an editor and the new-tenant form share the page.
#[island(lazy)]
pub(crate) fn PasswordPolicyFields(
    id_prefix: String,
    preset: PasswordPreset,
    refuse_guessable: bool,
) -> impl IntoView {
    crate::islands::hydrated();
    let chosen = RwSignal::new(preset);
    let select_id = format!("{id_prefix}field-password_policy");
    let hint_id = format!("{select_id}-hint");
    let check_hint_id = format!("{id_prefix}field-refuse_guessable-hint");
    let modern = move || chosen.get() == PasswordPreset::Modern;
    view! {
        <div class="field">
            <label for=select_id.clone()>"Password policy"</label>
            <select id=select_id name="password_policy" aria-describedby=hint_id.clone()
                on:change=move |ev| {
                    if let Ok(p) = PasswordPreset::parse(&event_target_value(&ev)) {
                        chosen.set(p);
                    }
                }>
                {PasswordPreset::ALL.into_iter().map(|p| view! {
                    <option value=p.as_str() selected=p == preset>{p.label()}</option>
                }).collect_view()}
            </select>
            <div class="hint" id=hint_id>
                {PasswordPreset::ALL.into_iter().map(|p| view! { <p>{p.explanation()}</p> }).collect_view()}
                <p>"A new policy applies to passwords set from then on; passwords already set keep working."</p>
            </div>
        </div>
        <div class="field check">
            <label>
                <input type="checkbox" name="refuse_guessable" value="on"
                    checked=refuse_guessable || preset == PasswordPreset::Modern
                    prop:checked=move || refuse_guessable || modern()
                    disabled=modern aria-describedby=check_hint_id.clone()/>
                "Refuse guessable passwords"
            </label>
            <p class="hint" id=check_hint_id>
                "Checked on the server against common passwords (from real breaches), dictionary words, \
                 names and keyboard patterns, and the person's own name, username, email and this \
                 tenant's name. Always on for Modern."
            </p>
        </div>
    }
}

/// Tenants (client organisations): platform administrators only.
#[component]
pub fn TenantsPage() -> impl IntoView {
    view! {
        <GuardedPage title="Tenants" decide=may_manage_tenants page=|_: SessionView| view! { <Tenants/> }/>
    }
}

#[component]
fn Tenants() -> impl IntoView {
    let create = ServerAction::<CreateTenant>::new();
    let toggle = ServerAction::<SetTenantActive>::new();
    let delete = ServerAction::<DeleteTenant>::new();
    let update = ServerAction::<UpdateTenant>::new();
    let tenants = Resource::new(|| (), |_| list_tenants());
    let errors = RwSignal::new(FieldErrors::new());
    let create_error = track_action_errors(create, errors).get_untracked();
    let create_error_hidden =
        create_error.is_none() || !errors.with_untracked(FieldErrors::is_empty);
    // The row being edited, or whose deletion is being confirmed: `?edit=<id>`,
    // `?delete=<id>` (buttons of small GET forms, so they work without JavaScript). A saved
    // edit comes back without it (`app::islands::TRANSIENT_PARAMS`).
    let query = use_query_map();
    let param =
        move |key: &str| query.with_untracked(|q| q.get(key).and_then(|v| v.parse::<i64>().ok()));
    let editing = param("edit");
    let confirming = param("delete");
    let action_error = first_refusal([refused(toggle), refused(delete)]);

    view! {
        <div class="page-head">
            <h1>"Tenants"</h1>
            <p class="lead">"Client organisations. Disabling a tenant signs out all of its accounts at once; nothing is deleted."</p>
        </div>
        <section class="panel" aria-labelledby="new-tenant-heading">
            <h2 id="new-tenant-heading">"New tenant"</h2>
            <Enhance>
                <ActionForm action=create attr:class="inline-form" attr:novalidate=true>
                    <TextField name="name" label="Name" rule=FieldRule::TenantName errors=errors/>
                    <div class="field">
                        <label for="field-mfa_policy">"Multi-factor authentication"</label>
                        <select id="field-mfa_policy" name="mfa_policy" aria-describedby="field-mfa_policy-hint">
                            {MfaPolicy::ALL.into_iter().map(|p| view! {
                                <option value=p.as_str() selected=p == MfaPolicy::Optional>{p.label()}</option>
                            }).collect_view()}
                        </select>
                        <p class="hint" id="field-mfa_policy-hint">
                            "Required: every account must set up MFA before doing anything else. Off: nobody is offered it, \
                             except holders of a sensitive privilege, who always need it."
                        </p>
                    </div>
                    <PasswordPolicyFields id_prefix=String::new() preset=PasswordPreset::Default refuse_guessable=false/>
                    <button class="primary" type="submit">"Create tenant"</button>
                </ActionForm>
                <p role="alert" class="alert" data-form-error class:hidden=create_error_hidden>{create_error}</p>
            </Enhance>
        </section>
        <section class="panel" aria-labelledby="tenant-list-heading">
            <h2 id="tenant-list-heading">"All tenants"</h2>
            <p role="alert" class="alert" class:hidden=action_error.is_none()>{action_error.clone()}</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading tenants…"</p> }>
                {move || Suspend::new(async move {
                    match tenants.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted empty">"No tenants yet. Create the first one above."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"MFA"</th>
                                        <th scope="col">"Passwords"</th>
                                        <th scope="col">"Accounts"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.tenant_id.0;
                                        view! {
                                            <TenantRow tenant=t toggle=toggle delete=delete update=update
                                                editing=editing == Some(id) confirming=confirming == Some(id)/>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TenantRow(
    tenant: TenantView,
    toggle: ServerAction<SetTenantActive>,
    delete: ServerAction<DeleteTenant>,
    update: ServerAction<UpdateTenant>,
    editing: bool,
    confirming: bool,
) -> impl IntoView {
    if editing {
        return view! { <tr><TenantEditor tenant=tenant update=update/></tr> }.into_any();
    }
    let id = tenant.tenant_id.0.to_string();
    let name = tenant.name.clone();
    let accounts = tenant.account_count;
    let active = tenant.active;
    let actions = if confirming {
        view! {
            <div class="confirm" role="group" aria-label=format!("Confirm deleting {name}")>
                <span>{format!("Delete “{name}” for good?")}</span>
                <ActionForm action=delete>
                    <input type="hidden" name="tenant_id" value=id.clone()/>
                    <button class="danger solid" type="submit" autofocus>"Delete tenant"</button>
                </ActionForm>
                <a class="button-link" href="/tenants">"Cancel"</a>
            </div>
        }
        .into_any()
    } else {
        let verb = if active { "Disable" } else { "Enable" };
        let (id_edit, id_toggle, id_delete) = (id.clone(), id.clone(), id.clone());
        let (edit_label, toggle_label, delete_label) = (
            format!("Edit {name}"),
            format!("{verb} {name}"),
            format!("Delete {name}"),
        );
        view! {
            <form method="get" action="/tenants">
                <button class="secondary" type="submit" name="edit" value=id_edit
                    aria-label=edit_label>"Edit"</button>
            </form>
            <ActionForm action=toggle>
                <input type="hidden" name="tenant_id" value=id_toggle/>
                <input type="hidden" name="active" value=if active { "false" } else { "true" }/>
                <button class="secondary" type="submit" aria-label=toggle_label>{verb}</button>
            </ActionForm>
            {if accounts == 0 {
                view! {
                    <form method="get" action="/tenants">
                        <button class="danger" type="submit" name="delete" value=id_delete
                            aria-label=delete_label>"Delete"</button>
                    </form>
                }.into_any()
            } else {
                // The server refuses it too: a tenant is deleted only when empty.
                view! {
                    <span class="muted cannot-delete">
                        {format!("Not deletable: it holds {accounts} account{}. Disable it, or delete them first.",
                            if accounts == 1 { "" } else { "s" })}
                    </span>
                }.into_any()
            }}
        }
        .into_any()
    };
    view! {
        <tr>
            <th scope="row">{tenant.name.clone()}</th>
            <td>
                <span class="badge" class:badge-yes=active class:badge-no=!active>
                    {if active { "Active" } else { "Disabled" }}
                </span>
            </td>
            <td>{tenant.mfa_policy.label()}</td>
            <td>{password_summary(&tenant)}</td>
            <td>{accounts}</td>
            <td class="row-actions">{actions}</td>
        </tr>
    }
    .into_any()
}

/// The list's short word for a tenant's password policy.
pub(crate) fn password_summary(tenant: &TenantView) -> &'static str {
    match (tenant.password_preset, tenant.refuse_guessable) {
        (PasswordPreset::Default, false) => "Default",
        (PasswordPreset::Default, true) => "Default, guessable refused",
        (PasswordPreset::Strict, false) => "Strict",
        (PasswordPreset::Strict, true) => "Strict, guessable refused",
        (PasswordPreset::Modern, _) => "Modern (ASVS)",
    }
}

/// The row's cells while editing: name, MFA and password policy, saved with `update_tenant`.
#[component]
fn TenantEditor(tenant: TenantView, update: ServerAction<UpdateTenant>) -> impl IntoView {
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(update, errors).get_untracked();
    let hidden = form_error.is_none() || !errors.with_untracked(FieldErrors::is_empty);
    let id = tenant.tenant_id.0.to_string();
    let select_id = format!("edit-{id}-mfa_policy");
    let form_label = format!("Edit {}", tenant.name);
    let current_policy = tenant.mfa_policy;
    let (preset, refuse_guessable) = (tenant.password_preset, tenant.refuse_guessable);
    let prefix = format!("edit-{id}-");
    view! {
        <td colspan="6">
            <Enhance>
                <ActionForm action=update attr:class="inline-form" attr:novalidate=true
                    attr:aria-label=form_label>
                    <input type="hidden" name="tenant_id" value=id/>
                    <TextField name="name" label="Name" value=tenant.name.clone() id_prefix="edit-"
                        rule=FieldRule::TenantName errors=errors autofocus=true/>
                    <div class="field">
                        <label for=select_id.clone()>"Multi-factor authentication"</label>
                        <select id=select_id name="mfa_policy">
                            {MfaPolicy::ALL.into_iter().map(|p| view! {
                                <option value=p.as_str() selected=p == current_policy>{p.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <PasswordPolicyFields id_prefix=prefix preset=preset refuse_guessable=refuse_guessable/>
                    <button class="primary" type="submit">"Save"</button>
                    <a class="button-link cancel" href="/tenants">"Cancel"</a>
                </ActionForm>
                <p role="alert" class="alert" data-form-error class:hidden=hidden>{form_error}</p>
            </Enhance>
        </td>
    }
}
