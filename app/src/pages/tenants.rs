use crate::access::may_manage_tenants;
use crate::api::{
    list_tenants, CreateTenant, DeleteTenant, SessionView, SetTenantActive, UpdateTenant,
};
use crate::components::form::{track_action_errors, TextField};
use crate::components::layout::GuardedPage;
use crate::domain::{MfaPolicy, PasswordPreset, TenantName};
use crate::error::FieldErrors;
use crate::tenants::TenantView;
use leptos::prelude::*;

fn name_rule(v: &str) -> Result<(), String> {
    TenantName::parse(v).map(drop)
}

/// The tenant's password policy (SPEC §2.3): a preset, each explained, and the
/// guessable-password check for the presets that do not always have it. `id_prefix` keeps
/// ids unique when an editor and the new-tenant form share the page.
#[component]
pub(crate) fn PasswordPolicyFields(
    id_prefix: String,
    preset: PasswordPreset,
    refuse_guessable: bool,
) -> impl IntoView {
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
    // Reload after a successful save only: a refused one keeps the editor open with what
    // the person typed.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            saved.update(|n| *n += 1);
        }
    });
    let tenants = Resource::new(
        move || {
            (
                saved.get(),
                create.version().get(),
                toggle.version().get(),
                delete.version().get(),
            )
        },
        |_| list_tenants(),
    );
    let errors = RwSignal::new(FieldErrors::new());
    let create_error = track_action_errors(create, errors);
    // A created tenant empties the form for the next one. The password fields are drawn
    // afresh too: a form reset does not reach the signal that ticks and fixes the checkbox.
    let form = NodeRef::<leptos::html::Form>::new();
    let created = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
            created.update(|n| *n += 1);
        }
    });
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

    view! {
        <div class="page-head">
            <h1>"Tenants"</h1>
            <p class="lead">"Client organisations. Disabling a tenant signs out all of its accounts at once; nothing is deleted."</p>
        </div>
        <section class="panel" aria-labelledby="new-tenant-heading">
            <h2 id="new-tenant-heading">"New tenant"</h2>
            <ActionForm action=create node_ref=form attr:class="inline-form" attr:novalidate=true>
                <TextField name="name" label="Name" rule=name_rule errors=errors/>
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
                {move || {
                    created.track();
                    view! { <PasswordPolicyFields id_prefix=String::new() preset=PasswordPreset::Default refuse_guessable=false/> }
                }}
                <button class="primary" type="submit" disabled=create.pending()>"Create tenant"</button>
            </ActionForm>
            <p role="alert" class="alert" class:hidden=move || create_error.get().is_none() || !errors.with(FieldErrors::is_empty)>
                {move || create_error.get()}
            </p>
        </section>
        <section class="panel" aria-labelledby="tenant-list-heading">
            <h2 id="tenant-list-heading">"All tenants"</h2>
            <p role="alert" class="alert" class:hidden=move || action_error().is_none()>{action_error}</p>
            <Transition fallback=|| view! { <p class="loading">"Loading tenants…"</p> }>
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
                                    {list.into_iter().map(|t| view! { <TenantRow tenant=t toggle=toggle delete=delete update=update/> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TenantRow(
    tenant: TenantView,
    toggle: ServerAction<SetTenantActive>,
    delete: ServerAction<DeleteTenant>,
    update: ServerAction<UpdateTenant>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let editor = {
        let tenant = tenant.clone();
        move || {
            view! { <TenantEditor tenant=tenant.clone() update=update editing=editing/> }.into_any()
        }
    };
    let confirming = RwSignal::new(false);
    let id = tenant.tenant_id.0.to_string();
    let name = tenant.name.clone();
    let accounts = tenant.account_count;
    view! {
        <tr>
            <Show when=move || editing.get() fallback={
                let (tenant, id, name) = (tenant.clone(), id.clone(), name.clone());
                move || {
                let (tenant, id, name) = (tenant.clone(), id.clone(), name.clone());
                view! {
            <th scope="row">{tenant.name.clone()}</th>
            <td>
                <span class="badge" class:badge-yes=tenant.active class:badge-no=!tenant.active>
                    {if tenant.active { "Active" } else { "Disabled" }}
                </span>
            </td>
            <td>{tenant.mfa_policy.label()}</td>
            <td>{password_summary(&tenant)}</td>
            <td>{accounts}</td>
            <td class="row-actions">
                <Show
                    when=move || confirming.get()
                    fallback={
                        let (id, name) = (id.clone(), name.clone());
                        let active = tenant.active;
                        move || {
                        let (id, name) = (id.clone(), name.clone());
                        let verb = if active { "Disable" } else { "Enable" };
                        let toggle_label = format!("{verb} {name}");
                        let delete_label = format!("Delete {name}");
                        view! {
                            <button class="secondary" type="button" aria-label=format!("Edit {name}")
                                on:click=move |_| editing.set(true)>"Edit"</button>
                            <ActionForm action=toggle>
                                <input type="hidden" name="tenant_id" value=id.clone()/>
                                <input type="hidden" name="active" value=if active { "false" } else { "true" }/>
                                <button class="secondary" type="submit" aria-label=toggle_label>
                                    {verb}
                                </button>
                            </ActionForm>
                            {if accounts == 0 {
                                view! {
                                    <button class="danger" type="button" aria-label=delete_label
                                        on:click=move |_| confirming.set(true)>"Delete"</button>
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
                        }
                    }
                >
                    {
                        let (id, name) = (id.clone(), name.clone());
                        view! {
                            <div class="confirm" role="group" aria-label=format!("Confirm deleting {name}")>
                                <span>{format!("Delete “{name}” for good?")}</span>
                                <ActionForm action=delete>
                                    <input type="hidden" name="tenant_id" value=id.clone()/>
                                    <button class="danger solid" type="submit">"Delete tenant"</button>
                                </ActionForm>
                                <button class="secondary" type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </div>
                        }
                    }
                </Show>
            </td>
            }.into_any()}}>
                {editor.clone()}
            </Show>
        </tr>
    }
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
fn TenantEditor(
    tenant: TenantView,
    update: ServerAction<UpdateTenant>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(update, errors);
    // Saved: the list reloads and this row shows the new values.
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            editing.set(false);
        }
    });
    let id = tenant.tenant_id.0.to_string();
    let select_id = format!("edit-{id}-mfa_policy");
    let form_label = format!("Edit {}", tenant.name);
    let current_policy = tenant.mfa_policy;
    let (preset, refuse_guessable) = (tenant.password_preset, tenant.refuse_guessable);
    let prefix = format!("edit-{id}-");
    view! {
        <td colspan="6">
            <ActionForm action=update attr:class="inline-form" attr:novalidate=true
                attr:aria-label=form_label>
                <input type="hidden" name="tenant_id" value=id/>
                <TextField name="name" label="Name" value=tenant.name.clone() id_prefix="edit-"
                    rule=name_rule errors=errors autofocus=true/>
                <div class="field">
                    <label for=select_id.clone()>"Multi-factor authentication"</label>
                    <select id=select_id name="mfa_policy">
                        {MfaPolicy::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=p == current_policy>{p.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <PasswordPolicyFields id_prefix=prefix preset=preset refuse_guessable=refuse_guessable/>
                <button class="primary" type="submit" disabled=update.pending()>"Save"</button>
                <button class="secondary cancel" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </ActionForm>
            <p role="alert" class="alert" class:hidden=move || form_error.get().is_none() || !errors.with(FieldErrors::is_empty)>
                {move || form_error.get()}
            </p>
        </td>
    }
}
