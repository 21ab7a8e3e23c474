//! `/roles/<id>`: the role editor (SPEC §3.2). The privilege matrix shows each cell's state —
//! not granted, granted, implied by a higher action, inherited from the module privilege — and
//! recomputes implied and inherited cells as the editor clicks, with the same model code the
//! server runs. Object-level grants on scopes sit below the matrix.

use crate::access::{
    may_open_roles, Action, Catalog, Decision, Explainer, How, ObjectGrant, Privilege,
    PrivilegeSet, Refusal, ResourceId, RoleKind,
};
use crate::api::{get_role, DeleteRole, SessionView, UpdateRole};
use crate::components::layout::GuardedPage;
use crate::domain::{RoleId, ScopeId};
use crate::error::{AppError, FieldErrors};
use crate::roles::{RoleDetail, RoleForm};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// One cell of the privilege matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellState {
    NotGranted,
    Granted,
    Implied(Action),
    /// The module privilege's name.
    Inherited(String),
}

/// The state of `privilege`'s cell for a role granting `granted`.
pub fn cell_state(catalog: &Catalog, granted: &PrivilegeSet, privilege: Privilege) -> CellState {
    match catalog.how(granted, privilege) {
        Some(How::Explicit) => CellState::Granted,
        Some(How::Implied { by }) => CellState::Implied(by),
        Some(How::Inherited { module }) => {
            CellState::Inherited(catalog.label(Privilege::Module(module)))
        }
        None => CellState::NotGranted,
    }
}

#[component]
pub fn RolePage() -> impl IntoView {
    view! {
        <GuardedPage title="Role" decide=may_open_roles back=("/roles", "← Roles")
            page=|_: SessionView| view! { <RoleLoader/> }/>
    }
    .into_any()
}

#[component]
fn RoleLoader() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).map(RoleId));
    let role = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => get_role(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading role…"</p> }>
            {move || Suspend::new(async move {
                match role.await {
                    Ok(detail) => view! {
                        <Title text=format!("{} · Roles", detail.name)/>
                        <RoleEditor detail=detail.clone()/>
                        <DeleteRoleSection detail=detail/>
                    }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <div class="page-head"><h1>"Role not found"</h1></div>
                        <p class="muted">"There is no such role in your organisation. It may have been deleted."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// Deleting a custom role, behind a confirmation (`?confirm=delete`, from a small GET form);
/// the server function sends the browser back to the tenant's roles.
#[component]
fn DeleteRoleSection(detail: RoleDetail) -> impl IntoView {
    let (editable, kind, may_delete) =
        (detail.may_edit.is_allowed(), detail.kind, detail.may_delete);
    if !editable || kind != RoleKind::Custom {
        return ().into_any();
    }
    if !may_delete.is_allowed() {
        return view! {
            <section class="panel danger-zone" aria-labelledby="delete-role-heading">
                <h2 id="delete-role-heading">"Delete this role"</h2>
                <p class="muted">{format!("You cannot delete it: {}", may_delete.explain().trim_start_matches("Not allowed: "))}</p>
            </section>
        }
        .into_any();
    }
    let delete = ServerAction::<DeleteRole>::new();
    let error = delete
        .value()
        .get_untracked()
        .and_then(Result::err)
        .map(|e| e.to_string());
    let confirming =
        use_query_map().with_untracked(|q| q.get("confirm").as_deref() == Some("delete"));
    let role_id = detail.role_id.0.to_string();
    let here = format!("/roles/{role_id}");
    view! {
        <section class="panel danger-zone" aria-labelledby="delete-role-heading">
            <h2 id="delete-role-heading">"Delete this role"</h2>
            <p class="muted">"Everyone who holds it loses what it gives, at once."</p>
            <p role="alert" class="alert" class:hidden=error.is_none()>{error.clone()}</p>
            {if confirming {
                view! {
                    <span class="confirm" role="group" aria-label="Confirm deleting the role">
                        <span>"Delete it for good?"</span>
                        <ActionForm action=delete>
                            <input type="hidden" name="role_id" value=role_id/>
                            <button class="danger solid" type="submit">"Delete role"</button>
                        </ActionForm>
                        <a class="button-link" href=here>"Cancel"</a>
                    </span>
                }.into_any()
            } else {
                view! {
                    <form method="get" action=here>
                        <button class="danger" type="submit" name="confirm" value="delete">"Delete role…"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// The role's name, description, privilege matrix and object grants: the matrix recomputes
/// implied and inherited cells as the editor clicks, with the access model compiled to WASM.
#[island(lazy)]
fn RoleEditor(detail: RoleDetail) -> impl IntoView {
    crate::islands::hydrated();
    let catalog = StoredValue::new(detail.catalog.clone());
    let original_granted: PrivilegeSet = detail.granted.iter().copied().collect();
    let granted = RwSignal::new(original_granted.clone());
    let objects = RwSignal::new(detail.object_grants.clone());
    let name = RwSignal::new(detail.name.clone());
    let description = RwSignal::new(detail.description.clone());
    let grantable = StoredValue::new(detail.grantable.clone());
    let needs_mfa = StoredValue::new(detail.needs_mfa.clone());
    let editable = detail.may_edit.is_allowed();
    let role_id = detail.role_id;
    let kind = detail.kind;
    let scopes = StoredValue::new(detail.scopes.clone());
    // What was last saved: a save moves it on, so "Unsaved changes" compares with that.
    let original = RwSignal::new((
        original_granted,
        detail.object_grants.clone(),
        detail.name.clone(),
        detail.description.clone(),
    ));
    let dirty = Memo::new(move |_| {
        original.with(|(g, o, n, d)| {
            granted.with(|x| x != g)
                || objects.with(|x| x != o)
                || name.with(|x| x != n)
                || description.with(|x| x != d)
        })
    });
    let save = ServerAction::<UpdateRole>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let notice = RwSignal::new(false);
    Effect::new(move |_| {
        if dirty.get() {
            notice.set(false);
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => {
            errors.set(FieldErrors::new());
            original.set((
                granted.get_untracked(),
                objects.get_untracked(),
                name.get_untracked(),
                description.get_untracked(),
            ));
            notice.set(true);
        }
        Some(Err(err)) if err.field_errors().is_some() => {
            notice.set(false);
            errors.set(err.field_errors().cloned().unwrap_or_default());
        }
        Some(Err(err)) => {
            notice.set(false);
            let mut fields = FieldErrors::new();
            fields.add("request", err.to_string());
            errors.set(fields);
        }
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = RoleForm {
            name: name.get_untracked(),
            description: description.get_untracked(),
            granted: catalog.with_value(|c| granted.with_untracked(|g| g.iter(c).collect())),
            object_grants: objects.get_untracked(),
        };
        save.dispatch(UpdateRole { role_id, form });
    };
    let field_error =
        move |field: &'static str| move || errors.with(|e| e.0.get(field).map(|m| m.join(" ")));
    let fixed_name = kind != RoleKind::Custom;
    view! {
        <div class="page-head">
            <h1>{detail.name.clone()}</h1>
            <p class="lead">{match kind {
                RoleKind::Administrators => "Built in: holds every privilege, always. It cannot be edited or deleted.",
                RoleKind::Everyone => "Built in: every account of the tenant holds it without being assigned it. It grants nothing until you grant it something.",
                RoleKind::Custom => "Click a cell to grant or revoke that privilege. Implied and inherited cells follow from the others.",
            }}</p>
        </div>
        {(!editable).then(|| view! { <p class="notice" role="status">{detail.may_edit.explain()}</p> })}
        <form class="role-form" on:submit=submit novalidate=true>
            <section class="panel" aria-labelledby="role-about-heading">
                <h2 id="role-about-heading">"About this role"</h2>
                <div class="field">
                    <label for="role-name">"Name"</label>
                    <input id="role-name" name="name" value=detail.name.clone() prop:value=move || name.get() disabled=!editable || fixed_name
                        aria-invalid=move || field_error("name")().is_some().to_string()
                        aria-describedby="role-name-error"
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p id="role-name-error" class="field-error" class:hidden=move || field_error("name")().is_none()>{field_error("name")}</p>
                </div>
                <div class="field">
                    <label for="role-description">"Description"</label>
                    <input id="role-description" name="description" value=detail.description.clone() prop:value=move || description.get() disabled=!editable
                        aria-describedby="role-description-error"
                        on:input=move |ev| description.set(event_target_value(&ev))/>
                    <p id="role-description-error" class="field-error" class:hidden=move || field_error("description")().is_none()>{field_error("description")}</p>
                </div>
            </section>
            <section class="panel" aria-labelledby="matrix-heading">
                <h2 id="matrix-heading">"Privileges"</h2>
                <Legend editable=editable/>
                <p role="alert" class="alert" class:hidden=move || field_error("privileges")().is_none()>{field_error("privileges")}</p>
                <Matrix catalog=catalog granted=granted grantable=grantable needs_mfa=needs_mfa editable=editable/>
            </section>
            <section class="panel" aria-labelledby="objects-heading">
                <h2 id="objects-heading">"On particular scopes"</h2>
                <p class="muted">"Grant View or Approve on one scope only. Such a grant matters only while the role lacks the privilege itself, which covers every scope."</p>
                <p role="alert" class="alert" class:hidden=move || field_error("object_grants")().is_none()>{field_error("object_grants")}</p>
                <ObjectGrants catalog=catalog granted=granted objects=objects scopes=scopes editable=editable/>
            </section>
            {editable.then(|| view! {
                <div class=move || if dirty.get() { "form-actions sticky-actions" } else { "form-actions" }>
                    <p role="alert" class="alert" class:hidden=move || field_error("request")().is_none()>{field_error("request")}</p>
                    <p role="status" class="notice" class:hidden=move || !notice.get() || dirty.get()>"Saved."</p>
                    <span class="muted" class:hidden=move || !dirty.get()>"Unsaved changes"</span>
                    <button class="primary" type="submit" disabled=move || save.pending().get() || !dirty.get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save role" }}
                    </button>
                </div>
            })}
        </form>
    }
    .into_any()
}

#[component]
fn Legend(
    /// Whether the viewer may edit the role at all (then some cells may be locked).
    editable: bool,
) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="What the cells mean">
            <li><span class="cell-sample cell-none" aria-hidden="true"></span>"Not granted — click to grant"</li>
            <li><span class="cell-sample cell-granted" aria-hidden="true">"✓"</span>"Granted — click to revoke"</li>
            <li><span class="cell-sample cell-implied" aria-hidden="true">"✓"</span>"Implied by a higher action on the same row"</li>
            <li><span class="cell-sample cell-inherited" aria-hidden="true">"◆"</span>"Inherited from the module's privilege"</li>
            {editable.then(|| view! {
                <li><span class="cell-sample cell-granted cell-locked" aria-hidden="true">"✓"</span>"Faded: you do not hold it, so you cannot grant or revoke it"</li>
            })}
            <li class="legend-keys">"Keyboard: Tab into the matrix, arrow keys, Home and End to move, Space to grant or revoke"</li>
        </ul>
    }
    .into_any()
}

/// The actions used by at least one resource: the matrix's columns.
fn columns(catalog: &Catalog) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| {
            catalog
                .privileges()
                .any(|p| matches!(p, Privilege::On(_, x) if x == *a))
        })
        .collect()
}

#[component]
fn Matrix(
    catalog: StoredValue<Catalog>,
    granted: RwSignal<PrivilegeSet>,
    grantable: StoredValue<PrivilegeSet>,
    /// Held, but changeable only in an MFA session.
    needs_mfa: StoredValue<PrivilegeSet>,
    editable: bool,
) -> impl IntoView {
    let columns = catalog.with_value(columns);
    let modules: Vec<_> = catalog.with_value(|c| {
        c.modules()
            .map(|(id, m)| (id, m.name.clone(), m.resources.clone()))
            .collect()
    });
    let width = columns.len() + 1;
    // One cell is in the Tab order at a time (a roving tab stop); the arrow keys move it, so
    // the whole matrix is one Tab stop and every cell, implied and inherited ones included,
    // can be reached and heard. Rows count module rows too; a module's cell sits in the last
    // column.
    let last_column = columns.len().saturating_sub(1);
    let mut first_row = 0;
    let modules: Vec<_> = modules
        .into_iter()
        .map(|(module, name, resources)| {
            let start = first_row;
            first_row += 1 + resources.len();
            (module, name, resources, start)
        })
        .collect();
    let rows = first_row;
    let current = RwSignal::new((0usize, last_column));
    let table = NodeRef::<leptos::html::Table>::new();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (row, column) = current.get_untracked();
        // Up and down go to the row above or below, to the cell nearest the same column (a
        // resource lacks some actions, and a module's cell sits in the last column).
        let nearest = |r: usize| {
            let mut near: Vec<(usize, usize)> = (0..=last_column).map(|c| (r, c)).collect();
            near.sort_by_key(|&(_, c)| (c.abs_diff(column), c));
            near
        };
        let steps: Vec<(usize, usize)> = match ev.key().as_str() {
            "ArrowUp" if row > 0 => nearest(row - 1),
            "ArrowDown" if row + 1 < rows => nearest(row + 1),
            "ArrowUp" | "ArrowDown" => Vec::new(),
            "ArrowLeft" => (0..column).rev().map(|c| (row, c)).collect(),
            "ArrowRight" => (column + 1..=last_column).map(|c| (row, c)).collect(),
            "Home" => (0..=last_column).map(|c| (row, c)).collect(),
            "End" => (0..=last_column).rev().map(|c| (row, c)).collect(),
            _ => return,
        };
        ev.prevent_default();
        let Some(table) = table.get_untracked() else {
            return;
        };
        // The first of those cells that exists.
        for (r, c) in steps {
            let selector = format!("button[data-row=\"{r}\"][data-column=\"{c}\"]");
            if let Ok(Some(cell)) = table.query_selector(&selector) {
                if let Ok(cell) =
                    leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::HtmlElement>(cell)
                {
                    current.set((r, c));
                    let _ = cell.focus();
                }
                return;
            }
        }
    };
    view! {
        <div class="matrix-wrap">
            <table class="matrix" node_ref=table on:keydown=on_key>
                <thead>
                    <tr>
                        <th scope="col">"Resource"</th>
                        {columns.iter().map(|a| view! { <th scope="col">{a.label()}</th> }).collect_view()}
                    </tr>
                </thead>
                {modules.into_iter().map(|(module, module_name, resources, start)| {
                    let columns = columns.clone();
                    view! {
                        <tbody>
                            <tr class="module-row">
                                <th scope="rowgroup" colspan=width - 1>{module_name}</th>
                                <td><Cell catalog=catalog granted=granted grantable=grantable needs_mfa=needs_mfa editable=editable privilege=Privilege::Module(module)
                                    at=(start, last_column) current=current/></td>
                            </tr>
                            {resources.into_iter().enumerate().map(|(i, r)| {
                                let row = start + 1 + i;
                                let name = catalog.with_value(|c| c.resource(r).map(|x| x.name.clone()).unwrap_or_default());
                                let has = move |a: Action| catalog.with_value(|c| c.contains(Privilege::On(r, a)));
                                view! {
                                    <tr>
                                        <th scope="row">{name}</th>
                                        {columns.iter().enumerate().map(|(column, &a)| if has(a) {
                                            view! { <td><Cell catalog=catalog granted=granted grantable=grantable needs_mfa=needs_mfa editable=editable privilege=Privilege::On(r, a)
                                                at=(row, column) current=current/></td> }.into_any()
                                        } else {
                                            view! { <td class="cell-na"></td> }.into_any()
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    }
                }).collect_view()}
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn Cell(
    catalog: StoredValue<Catalog>,
    granted: RwSignal<PrivilegeSet>,
    grantable: StoredValue<PrivilegeSet>,
    /// Held, but changeable only in an MFA session.
    needs_mfa: StoredValue<PrivilegeSet>,
    editable: bool,
    privilege: Privilege,
    /// (row, column) in the matrix, for moving with the arrow keys.
    at: (usize, usize),
    /// The cell in the Tab order.
    current: RwSignal<(usize, usize)>,
) -> impl IntoView {
    let label = catalog.with_value(|c| c.label(privilege));
    let state =
        Memo::new(move |_| catalog.with_value(|c| granted.with(|g| cell_state(c, g, privilege))));
    let may_change = editable && grantable.with_value(|g| g.contains(privilege));
    let clickable =
        move || may_change && matches!(state.get(), CellState::NotGranted | CellState::Granted);
    let describe = {
        let label = label.clone();
        move || {
            let what = match state.get() {
                CellState::NotGranted => "not granted".to_owned(),
                CellState::Granted => "granted".to_owned(),
                CellState::Implied(by) => format!("implied by {by}"),
                CellState::Inherited(module) => format!("inherited from {module}"),
            };
            let how = match (state.get(), editable, may_change) {
                (CellState::Implied(_) | CellState::Inherited(_), ..) => String::new(),
                (_, false, _) => String::new(),
                // The same refusal, and words, as the server's for a sensitive privilege.
                (_, true, false) if needs_mfa.with_value(|n| n.contains(privilege)) => {
                    let why = catalog.with_value(|c| {
                        Explainer::new(c).explain(Decision::Denied(Refusal::NeedsMfa(privilege)))
                    });
                    format!(". {why}")
                }
                (_, true, false) => ". You do not hold it, so you cannot change it".to_owned(),
                (CellState::Granted, ..) => ". Press to revoke".to_owned(),
                _ => ". Press to grant".to_owned(),
            };
            format!("{label}: {what}{how}")
        }
    };
    let module = matches!(privilege, Privilege::Module(_));
    view! {
        <button type="button"
            class=move || format!("cell {}{}{}", match state.get() {
                CellState::NotGranted => "cell-none",
                CellState::Granted => "cell-granted",
                CellState::Implied(_) => "cell-implied",
                CellState::Inherited(_) => "cell-inherited",
            }, if module { " cell-module" } else { "" },
            // In an editable role, a cell the viewer may not change (it does not hold it).
            if editable && !may_change { " cell-locked" } else { "" })
            aria-pressed=move || matches!(state.get(), CellState::Granted).to_string()
            aria-label=describe.clone()
            title=describe
            // Not `disabled`: a disabled button cannot take focus, and every cell should be
            // reachable by keyboard to hear its state.
            aria-disabled=move || (!clickable()).to_string()
            data-row=at.0
            data-column=at.1
            tabindex=move || if current.get() == at { "0" } else { "-1" }
            on:focus=move |_| current.set(at)
            on:click=move |_| {
                if !clickable() {
                    return;
                }
                granted.update(|g| {
                    if g.contains(privilege) { g.remove(privilege) } else { g.insert(privilege) }
                });
            }>
            {move || match state.get() {
                CellState::NotGranted => "",
                CellState::Granted | CellState::Implied(_) => "✓",
                CellState::Inherited(_) => "◆",
            }}
            {module.then(|| view! { <span class="cell-text">{label.clone()}</span> })}
        </button>
    }
    .into_any()
}

#[component]
fn ObjectGrants(
    catalog: StoredValue<Catalog>,
    granted: RwSignal<PrivilegeSet>,
    objects: RwSignal<Vec<ObjectGrant>>,
    scopes: StoredValue<Vec<crate::roles::ScopeView>>,
    editable: bool,
) -> impl IntoView {
    let scope_name = move |id: ScopeId| {
        scopes.with_value(|s| {
            s.iter()
                .find(|x| x.scope_id == id)
                .map(|x| x.name.clone())
                .unwrap_or_default()
        })
    };
    let resources: Vec<(ResourceId, String, bool)> = catalog.with_value(|c| {
        c.privileges()
            .filter_map(|p| match p {
                Privilege::On(r, Action::View) => c
                    .resource(r)
                    .map(|res| (r, res.name.clone(), res.actions.contains(&Action::Approve))),
                _ => None,
            })
            .collect()
    });
    let (pick_scope, pick_resource, pick_action) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("view".to_owned()),
    );
    let add = move |_| {
        let scope = pick_scope.get_untracked().parse::<i64>().ok().map(ScopeId);
        let resource = pick_resource
            .get_untracked()
            .parse::<u16>()
            .ok()
            .map(ResourceId);
        let action = Action::from_key(&pick_action.get_untracked());
        if let (Some(scope), Some(r), Some(a)) = (scope, resource, action) {
            let privilege = Privilege::On(r, a);
            if catalog.with_value(|c| c.contains(privilege)) {
                objects.update(|o| {
                    let g = ObjectGrant { scope, privilege };
                    if !o.contains(&g) {
                        o.push(g);
                        o.sort();
                    }
                });
            }
        }
    };
    let has_scopes = scopes.with_value(|s| !s.is_empty());
    view! {
        <ul class="object-grants">
            {move || {
                let list = objects.get();
                if list.is_empty() {
                    return view! { <li class="muted">"None."</li> }.into_any();
                }
                list.into_iter().map(|g| {
                    let label = catalog.with_value(|c| c.label(g.privilege));
                    let moot = catalog.with_value(|c| granted.with(|set| c.close(set).contains(g.privilege)));
                    let scope = scope_name(g.scope);
                    let remove_label = format!("Remove {label} on {scope}");
                    view! {
                        <li>
                            <span>{format!("{label} on scope “{scope}”")}</span>
                            {moot.then(|| view! { <span class="badge badge-warn" title="The role holds this privilege on every scope already">"Moot: the role already holds it everywhere"</span> })}
                            {editable.then(|| view! {
                                <button class="secondary small" type="button" aria-label=remove_label
                                    on:click=move |_| objects.update(|o| o.retain(|x| *x != g))>"Remove"</button>
                            })}
                        </li>
                    }
                }).collect_view().into_any()
            }}
        </ul>
        {(editable && has_scopes).then(|| view! {
            <div class="inline-form" role="group" aria-label="Grant on a scope">
                <div class="field">
                    <label for="grant-action">"Grant"</label>
                    <select id="grant-action" on:change=move |ev| pick_action.set(event_target_value(&ev))>
                        <option value="view">"View"</option>
                        <option value="approve">"Approve"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="grant-resource">"on"</label>
                    <select id="grant-resource" on:change=move |ev| pick_resource.set(event_target_value(&ev))>
                        <option value="">"Choose a resource"</option>
                        {resources.iter().map(|(r, name, approve)| {
                            let label = if *approve { name.clone() } else { format!("{name} (View only)") };
                            view! { <option value=r.0.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="grant-scope">"in scope"</label>
                    <select id="grant-scope" on:change=move |ev| pick_scope.set(event_target_value(&ev))>
                        <option value="">"Choose a scope"</option>
                        {scopes.with_value(|s| s.iter().map(|s| view! { <option value=s.scope_id.0.to_string()>{s.name.clone()}</option> }).collect_view())}
                    </select>
                </div>
                <button class="secondary" type="button" on:click=add>"Add grant"</button>
            </div>
        })}
        {(editable && !has_scopes).then(|| view! { <p class="muted">"This tenant has no scopes yet; add them on the Roles page."</p> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_show_the_four_states_as_the_model_closes_the_grants() {
        let c = Catalog::builtin();
        let mut g = PrivilegeSet::new();
        g.insert(Privilege::USERS_DELETE);
        assert_eq!(
            cell_state(&c, &g, Privilege::USERS_DELETE),
            CellState::Granted
        );
        assert_eq!(
            cell_state(&c, &g, Privilege::USERS_VIEW),
            CellState::Implied(Action::Delete)
        );
        assert_eq!(
            cell_state(&c, &g, Privilege::AUDIT_VIEW),
            CellState::NotGranted
        );
        g.insert(Privilege::SECURITY_ADMIN);
        assert_eq!(
            cell_state(&c, &g, Privilege::On(ResourceId::ROLES, Action::Edit)),
            CellState::Inherited("Security Admin".into())
        );
        assert_eq!(
            cell_state(&c, &g, Privilege::USERS_DELETE),
            CellState::Granted,
            "granted wins over inherited"
        );
    }

    #[test]
    fn columns_are_the_actions_some_resource_has() {
        let cols = columns(&Catalog::builtin());
        assert_eq!(cols.first(), Some(&Action::View));
        assert!(cols.contains(&Action::Run));
    }
}
