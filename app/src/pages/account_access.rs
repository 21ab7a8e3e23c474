//! On an account's page: the roles it holds (assign, remove) and its effective access —
//! every privilege, tenant-wide and per scope, held or not, and why (SPEC §3.4 "Explain").

use crate::api::{get_account_access, AssignRole, UnassignRole};
use crate::domain::{AccountId, RoleId, ScopeId};
use crate::roles::{AccountAccess, AssignableRole, PlaceAccess, ScopeView};
use leptos::prelude::*;

/// An account's roles (assign, remove) and its effective access, read as the page renders.
#[component]
pub fn AccountAccessPanel(account_id: AccountId) -> impl IntoView {
    let access = Resource::new(move || account_id, get_account_access);
    let unassign = ServerAction::<UnassignRole>::new();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading roles and access…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(access) if access.takes_roles => view! { <AccessView access=access unassign=unassign/> }.into_any(),
                    Ok(_) => view! {
                        <section class="panel" aria-labelledby="roles-heading">
                            <h2 id="roles-heading">"Roles and access"</h2>
                            <p class="muted">"Administrators hold every privilege by their account type — platform administrators in every tenant, tenant administrators in their own — so they take no roles."</p>
                        </section>
                    }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn AccessView(access: AccountAccess, unassign: ServerAction<UnassignRole>) -> impl IntoView {
    let account_id = access.account_id;
    let error = unassign
        .value()
        .get_untracked()
        .and_then(Result::err)
        .map(|e| e.to_string());
    view! {
        <section class="panel" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Roles"</h2>
            <p role="alert" class="alert" class:hidden=error.is_none()>{error.clone()}</p>
            {if access.assignments.is_empty() {
                view! { <p class="muted">"No roles besides Everyone, which every account of the tenant holds."</p> }.into_any()
            } else {
                view! {
                    <ul class="assignments">
                        {access.assignments.iter().map(|a| {
                            let place = a.scope.as_ref().map_or_else(|| "tenant-wide".to_owned(), |s| format!("for scope “{}”", s.name));
                            let label = format!("Remove {} ({place})", a.role_name);
                            let (role_id, scope_id) = (a.role_id, a.scope.as_ref().map(|s| s.scope_id));
                            let removable = a.removable;
                            view! {
                                <li>
                                    <span class="role-name">{a.role_name.clone()}</span>
                                    <span class="muted">{format!(" — {place}")}</span>
                                    {if removable.is_allowed() {
                                        view! {
                                            <ActionForm action=unassign attr:class="row-action">
                                                <input type="hidden" name="account_id" value=account_id.0.to_string()/>
                                                <input type="hidden" name="role_id" value=role_id.0.to_string()/>
                                                {scope_id.map(|s| view! { <input type="hidden" name="scope_id" value=s.0.to_string()/> })}
                                                <button class="secondary small" type="submit" aria-label=label>"Remove"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! { <span class="muted small" title=removable.explain()>"(you cannot remove it)"</span> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {if access.roles.is_empty() {
                view! {
                    <p class="muted">"You cannot assign roles to this account: you can give only roles whose every privilege you hold yourself, on accounts you may manage."</p>
                }.into_any()
            } else {
                view! { <AssignRoleForm account_id=account_id roles=access.roles.clone() scopes=access.scopes.clone()/> }.into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="access-heading">
            <h2 id="access-heading">"Effective access"</h2>
            <p class="muted">"Everything this account may do, and why — or why not."</p>
            {access.places.into_iter().enumerate().map(|(i, place)| view! { <Place place=place open=i == 0/> }).collect_view()}
        </section>
    }
    .into_any()
}

/// Assigning a role: the places offered follow the role chosen (only where the viewer may
/// assign it). An island; the page is loaded again once the server has the assignment.
#[island(lazy)]
fn AssignRoleForm(
    account_id: AccountId,
    roles: Vec<AssignableRole>,
    scopes: Vec<ScopeView>,
) -> impl IntoView {
    crate::islands::hydrated();
    let assign = ServerAction::<AssignRole>::new();
    Effect::new(move |_| {
        if matches!(assign.value().get(), Some(Ok(_))) {
            let _ = window().location().reload();
        }
    });
    let error = move || {
        assign
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let role = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let assignable = StoredValue::new(roles);
    let scopes = StoredValue::new(scopes);
    let places = move || {
        let chosen = role.get().parse::<i64>().ok();
        assignable.with_value(|all| {
            all.iter()
                .find(|r| Some(r.role_id.0) == chosen)
                .map(|r| r.places.clone())
                .unwrap_or_else(|| vec![None])
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(r) = role.get_untracked().parse::<i64>() {
            assign.dispatch(AssignRole {
                account_id,
                role_id: RoleId(r),
                scope_id: scope.get_untracked().parse::<i64>().ok().map(ScopeId),
            });
        }
    };
    view! {
        <p role="alert" class="alert" class:hidden=move || error().is_none()>{error}</p>
        <form class="inline-form" on:submit=submit aria-label="Assign a role">
            <div class="field">
                <label for="assign-role">"Role"</label>
                <select id="assign-role" on:change=move |ev| {
                    role.set(event_target_value(&ev));
                    scope.set(places().first().copied().flatten().map(|s| s.0.to_string()).unwrap_or_default());
                }>
                    <option value="">"Choose a role"</option>
                    {assignable.get_value().into_iter().map(|r| view! { <option value=r.role_id.0.to_string()>{r.name}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="assign-scope">"Where"</label>
                <select id="assign-scope" prop:value=move || scope.get() on:change=move |ev| scope.set(event_target_value(&ev))>
                    {move || places().into_iter().map(|place| match place {
                        None => view! { <option value="">"Tenant-wide"</option> }.into_any(),
                        Some(id) => {
                            let name = scopes.with_value(|all| all.iter().find(|s| s.scope_id == id).map(|s| s.name.clone()).unwrap_or_default());
                            view! { <option value=id.0.to_string()>{format!("Scope: {name}")}</option> }.into_any()
                        }
                    }).collect_view()}
                </select>
            </div>
            <button class="secondary" type="submit" disabled=move || assign.pending().get()>"Assign role"</button>
        </form>
    }
}

#[component]
fn Place(place: PlaceAccess, open: bool) -> impl IntoView {
    let name = place.scope.as_ref().map_or_else(
        || "Tenant-wide".to_owned(),
        |s| format!("In scope “{}”", s.name),
    );
    let (held, lacking): (Vec<_>, Vec<_>) = place.privileges.into_iter().partition(|p| p.held);
    let summary = format!(
        "{name}: {} of {} privileges",
        held.len(),
        held.len() + lacking.len()
    );
    view! {
        <details class="access-place" open=open>
            <summary>{summary}</summary>
            {if held.is_empty() {
                view! { <p class="muted">"None held here."</p> }.into_any()
            } else {
                view! {
                    <table class="table compact">
                        <thead><tr><th scope="col">"Privilege"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>
                            {held.into_iter().map(|p| view! {
                                <tr><th scope="row"><span class="badge badge-yes">"Held"</span>" "{p.label}</th><td>{p.why}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {(!lacking.is_empty()).then(|| view! {
                <details class="access-lacking">
                    <summary>{format!("Not held ({})", lacking.len())}</summary>
                    <table class="table compact">
                        <tbody>
                            {lacking.into_iter().map(|p| view! {
                                <tr><th scope="row">{p.label}</th><td class="muted">{p.why}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            })}
        </details>
    }
    .into_any()
}
