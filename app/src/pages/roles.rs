//! `/roles`: a tenant's roles and scopes (SPEC §3.3, §3.5). Platform administrators choose the
//! tenant (`?tenant=<id>`); everyone else sees their own.

use crate::access::{may_open_roles, RoleKind};
use crate::api::{
    list_roles, list_tenants, CreateRole, CreateScope, DeleteScope, SessionView, UpdateScope,
};
use crate::components::form::{first_refusal, refused, track_action_errors, Enhance, TextField};
use crate::components::layout::GuardedPage;
use crate::domain::{FieldRule, TenantId, Tier};
use crate::error::FieldErrors;
use crate::roles::{RolesPage as Page, ScopeView};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// Roles and scopes of one tenant.
#[component]
pub fn RolesPage() -> impl IntoView {
    view! {
        <GuardedPage title="Roles" decide=may_open_roles page=|session: SessionView| view! { <Roles session=session/> }/>
    }
    .into_any()
}

#[component]
fn Roles(session: SessionView) -> impl IntoView {
    let query = use_query_map();
    let tenant = Memo::new(move |_| {
        query.with(|q| {
            q.get("tenant")
                .and_then(|v| v.parse::<i64>().ok())
                .map(TenantId)
        })
    });
    let platform = session.tier == Tier::PlatformAdmin;
    let create_scope = ServerAction::<CreateScope>::new();
    let update_scope = ServerAction::<UpdateScope>::new();
    let delete_scope = ServerAction::<DeleteScope>::new();
    let page = Resource::new(
        move || tenant.get(),
        move |tenant| async move {
            if platform && tenant.is_none() {
                return Ok(None);
            }
            list_roles(tenant).await.map(Some)
        },
    );
    view! {
        <div class="page-head">
            <h1>"Roles"</h1>
            <p class="lead">"A role is a set of privileges. Give it to people tenant-wide or for one scope; what they may do is the sum of their roles."</p>
        </div>
        {platform.then(|| view! { <TenantPicker current=tenant/> })}
        <Transition fallback=|| view! { <p class="loading">"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! {
                        <RoleList page=page.clone()/>
                        <Scopes page=page create=create_scope update=update_scope delete=delete_scope/>
                    }.into_any(),
                    Ok(None) => view! {
                        <p class="muted empty">"Choose a tenant to see its roles."</p>
                    }.into_any(),
                    Err(crate::error::AppError::NotFound) => view! {
                        <p class="alert" role="alert">"There is no such tenant."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// A platform administrator's choice of tenant (a plain GET form: the choice is in the URL).
#[component]
fn TenantPicker(current: Memo<Option<TenantId>>) -> impl IntoView {
    let tenants = Resource::new(|| (), |_| list_tenants());
    view! {
        <form class="panel inline-form" method="get" action="/roles" aria-label="Choose a tenant">
            <div class="field">
                <label for="roles-tenant">"Tenant"</label>
                <Transition fallback=|| view! { <select id="roles-tenant" disabled=true><option>"Loading…"</option></select> }>
                    {move || Suspend::new(async move {
                        let list = tenants.await.unwrap_or_default();
                        view! {
                            <select id="roles-tenant" name="tenant">
                                <option value="">"Choose a tenant"</option>
                                {list.into_iter().map(|t| {
                                    let selected = current.get_untracked() == Some(t.tenant_id);
                                    view! { <option value=t.tenant_id.0.to_string() selected=selected>{t.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
            </div>
            <button class="secondary" type="submit">"Show roles"</button>
        </form>
    }
    .into_any()
}

#[component]
fn RoleList(page: Page) -> impl IntoView {
    let create = ServerAction::<CreateRole>::new();
    let errors = RwSignal::new(FieldErrors::new());
    // A created role opens in its editor (the server function redirects there).
    let create_error = track_action_errors(create, errors).get_untracked();
    let create_error_hidden =
        create_error.is_none() || !errors.with_untracked(FieldErrors::is_empty);
    let may_edit = page.may_edit_roles;
    let tenant = page.tenant_id.0.to_string();
    view! {
        <section class="panel" aria-labelledby="role-list-heading">
            <h2 id="role-list-heading">{format!("Roles of {}", page.tenant_name)}</h2>
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col" class="num">"Privileges granted"</th>
                        <th scope="col" class="num">"Held by"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.roles.into_iter().map(|r| {
                        let badge = match r.kind {
                            RoleKind::Administrators | RoleKind::Everyone => Some("Built in"),
                            RoleKind::Custom => None,
                        };
                        let granted = match r.kind {
                            RoleKind::Administrators => "All".to_owned(),
                            _ => r.granted.to_string(),
                        };
                        let holders = match r.kind {
                            RoleKind::Everyone => format!("Everyone ({})", r.holders),
                            _ if r.holders == 1 => "1 account".to_owned(),
                            _ => format!("{} accounts", r.holders),
                        };
                        view! {
                            <tr>
                                <th scope="row">
                                    <A href=format!("/roles/{}", r.role_id.0)>{r.name.clone()}</A>
                                    {badge.map(|b| view! { " " <span class="badge">{b}</span> })}
                                </th>
                                <td class="muted">{r.description.clone()}</td>
                                <td class="num">{granted}</td>
                                <td class="num">{holders}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel" aria-labelledby="new-role-heading">
            <h2 id="new-role-heading">"New role"</h2>
            {if may_edit.is_allowed() {
                view! {
                    <Enhance>
                        <ActionForm action=create attr:class="inline-form" attr:novalidate=true>
                            <input type="hidden" name="tenant_id" value=tenant.clone()/>
                            <TextField name="name" label="Name" rule=FieldRule::ShortName("role".into()) errors=errors/>
                            <TextField name="description" label="Description" rule=FieldRule::Description errors=errors/>
                            <button class="primary" type="submit">"Create and edit privileges"</button>
                        </ActionForm>
                        <p role="alert" class="alert" data-form-error class:hidden=create_error_hidden>{create_error}</p>
                    </Enhance>
                }.into_any()
            } else {
                view! { <p class="muted">{may_edit.explain()}</p> }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn Scopes(
    page: Page,
    create: ServerAction<CreateScope>,
    update: ServerAction<UpdateScope>,
    delete: ServerAction<DeleteScope>,
) -> impl IntoView {
    let errors = RwSignal::new(FieldErrors::new());
    let create_error = track_action_errors(create, errors).get_untracked();
    let create_error_hidden =
        create_error.is_none() || !errors.with_untracked(FieldErrors::is_empty);
    let action_error = first_refusal([refused(update), refused(delete)]);
    // The scope being renamed, or whose deletion is being confirmed: `?rename=<id>`,
    // `?delete_scope=<id>`, set by small GET forms that keep the tenant. A saved name comes
    // back without it (`app::islands::TRANSIENT_PARAMS`).
    let query = use_query_map();
    let param =
        move |key: &str| query.with_untracked(|q| q.get(key).and_then(|v| v.parse::<i64>().ok()));
    let renaming = param("rename");
    let confirming = param("delete_scope");
    let may_edit = page.may_edit_scopes;
    let editable = may_edit.is_allowed();
    let tenant = page.tenant_id.0.to_string();
    let scopes = page.scopes;
    view! {
        <section class="panel" aria-labelledby="scopes-heading">
            <h2 id="scopes-heading">"Scopes"</h2>
            <p class="muted">"A scope groups part of the tenant's data, such as a workspace. A role assigned for a scope gives its privileges there only."</p>
            <p role="alert" class="alert" class:hidden=action_error.is_none()>{action_error.clone()}</p>
            {if scopes.is_empty() {
                view! { <p class="muted empty">"No scopes yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="scope-list">
                        {scopes.into_iter().map(|s| {
                            let id = s.scope_id.0;
                            view! {
                                <ScopeRow scope=s editable=editable update=update delete=delete tenant=tenant.clone()
                                    renaming=renaming == Some(id) confirming=confirming == Some(id)/>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {if editable {
                view! {
                    <Enhance>
                        <ActionForm action=create attr:class="inline-form" attr:novalidate=true>
                            <input type="hidden" name="tenant_id" value=tenant.clone()/>
                            <TextField name="name" label="New scope" rule=FieldRule::ShortName("scope".into()) errors=errors id_prefix="scope-"/>
                            <TextField name="description" label="Description" rule=FieldRule::Description errors=errors id_prefix="scope-"/>
                            <button class="secondary" type="submit">"Add scope"</button>
                        </ActionForm>
                        <p role="alert" class="alert" data-form-error class:hidden=create_error_hidden>{create_error}</p>
                    </Enhance>
                }.into_any()
            } else {
                view! { <p class="muted">{may_edit.explain()}</p> }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn ScopeRow(
    scope: ScopeView,
    editable: bool,
    update: ServerAction<UpdateScope>,
    delete: ServerAction<DeleteScope>,
    /// The tenant whose roles page this is, kept by the row's GET forms.
    tenant: String,
    renaming: bool,
    confirming: bool,
) -> impl IntoView {
    let id = scope.scope_id.0.to_string();
    let name = scope.name.clone();
    let back = format!("/roles?tenant={tenant}");
    let description = scope.description.clone();
    let actions = if !editable {
        ().into_any()
    } else if renaming {
        view! {
            <ActionForm action=update attr:class="inline-form">
                <input type="hidden" name="scope_id" value=id/>
                <label class="visually-hidden" for=format!("rename-{name}")>"Name"</label>
                <input id=format!("rename-{name}") name="name" value=name.clone() autofocus/>
                <input type="hidden" name="description" value=description.clone()/>
                <button class="primary" type="submit">"Save"</button>
                <a class="button-link" href=back>"Cancel"</a>
            </ActionForm>
        }
        .into_any()
    } else if confirming {
        view! {
            <span class="confirm" role="group" aria-label=format!("Confirm deleting {name}")>
                <span>{format!("Delete “{name}” and the roles assigned for it?")}</span>
                <ActionForm action=delete>
                    <input type="hidden" name="scope_id" value=id/>
                    <button class="danger solid" type="submit">"Delete scope"</button>
                </ActionForm>
                <a class="button-link" href=back>"Cancel"</a>
            </span>
        }
        .into_any()
    } else {
        view! {
            <form method="get" action="/roles" class="row-action">
                <input type="hidden" name="tenant" value=tenant.clone()/>
                <button class="secondary" type="submit" name="rename" value=id.clone()
                    aria-label=format!("Rename {name}")>"Rename"</button>
            </form>
            <form method="get" action="/roles" class="row-action">
                <input type="hidden" name="tenant" value=tenant.clone()/>
                <button class="danger" type="submit" name="delete_scope" value=id.clone()
                    aria-label=format!("Delete {name}")>"Delete"</button>
            </form>
        }
        .into_any()
    };
    view! {
        <li>
            <span class="scope-name">{scope.name.clone()}</span>
            {(!scope.description.is_empty()).then(|| view! { <span class="muted">{format!(" — {}", scope.description)}</span> })}
            <span class="row-actions">{actions}</span>
        </li>
    }
    .into_any()
}
