//! The users list: search, filters, sortable columns and keyset pages, all kept in the URL
//! (a filtered list can be bookmarked and shared, and Back works).

use crate::access::{
    may_create_accounts, may_list_accounts, may_manage_tenants, may_open_roles, visible_tiers,
};
use crate::api::{list_accounts, list_roles, list_tenants, SessionView};
use crate::components::form::Enhance;
use crate::components::layout::GuardedPage;
use crate::directory::{AccountQuery, AccountSort, AccountSummary, STATUS_FILTERS};
use crate::domain::AccountStatus;
use crate::pages::last_valid_day;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <GuardedPage title="Users" decide=may_list_accounts
            page=|session: SessionView| view! { <Users session=session/> }/>
    }
}

/// The CSS class of a status badge.
pub fn status_class(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "badge badge-yes",
        AccountStatus::MustChangePassword | AccountStatus::Invited => "badge badge-wait",
        AccountStatus::Disabled | AccountStatus::Expired => "badge badge-no",
    }
}

#[component]
fn Users(session: SessionView) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| AccountQuery::from_params(|k| p.get(k))));
    let page = Resource::new(move || query.get(), list_accounts);
    let all_tenants = may_manage_tenants(&session.actor).is_allowed();
    let tenants = Resource::new(
        || (),
        move |_| async move {
            if all_tenants {
                list_tenants().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        },
    );
    // Roles and scopes to filter by: of the list's tenant, for those who may see them.
    let own_tenant = session.actor.tenant_id;
    let sees_roles = may_open_roles(&session.actor).is_allowed();
    let roles = Resource::new(
        move || query.with(|q| if all_tenants { q.tenant } else { own_tenant }),
        move |tenant| async move {
            match tenant {
                Some(t) if sees_roles => list_roles(Some(t))
                    .await
                    .map(|page| (page.roles, page.scopes))
                    .unwrap_or_default(),
                _ => Default::default(),
            }
        },
    );
    let may_create = may_create_accounts(&session.actor).is_allowed();
    // Only the types of account the viewer may see are listed, so only those are offered.
    let shown_tiers = visible_tiers(&session.actor);
    let filtered = move || {
        query.with(|q| {
            !q.search.trim().is_empty()
                || q.status.is_some()
                || q.tier.is_some()
                || q.tenant.is_some()
                || q.role.is_some()
                || q.scope.is_some()
        })
    };
    view! {
        <div class="page-head with-actions">
            <div>
                <h1>"Users"</h1>
                <p class="lead">
                    {if all_tenants {
                        "Every account of every tenant, and the platform administrators."
                    } else {
                        "Every account of your organisation: people and service accounts."
                    }}
                </p>
            </div>
            <div class="head-actions">
                <a class="button-link" rel="external"
                    href=move || format!("/users.csv?{}", query.with(|q| q.at(None).to_params()))>
                    "Export CSV"
                </a>
                {may_create.then(|| view! {
                    <A href="/users/import" attr:class="button-link">"Import CSV"</A>
                    <A href="/users/new" attr:class="button-link primary-link">"New account"</A>
                })}
            </div>
        </div>
        <Show when=move || params.with(|p| p.get("deleted").is_some())>
            <p class="notice" role="status">"Account deleted."</p>
        </Show>
        <section class="panel" aria-label="Find accounts">
            <Enhance>
            <form method="get" action="/users" class="filters" role="search">
                <div class="field grow">
                    <label for="filter-q">"Search"</label>
                    <input id="filter-q" type="search" name="q" value=move || query.with(|q| q.search.clone())
                        placeholder="Username, name, email or external ID" aria-describedby="filter-q-hint"/>
                    <p class="hint" id="filter-q-hint">"Each word matches the start of a name, username, email or external ID."</p>
                </div>
                <div class="field">
                    <label for="filter-status">"Status"</label>
                    <select id="filter-status" name="status">
                        <option value="" selected=move || query.with(|q| q.status.is_none())>"Any status"</option>
                        {STATUS_FILTERS.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || query.with(|q| q.status == Some(s))>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-tier">"Type"</label>
                    <select id="filter-tier" name="tier">
                        <option value="" selected=move || query.with(|q| q.tier.is_none())>"Any type"</option>
                        {shown_tiers.into_iter().map(|t| view! {
                            <option value=t.as_str() selected=move || query.with(|q| q.tier == Some(t))>{t.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {all_tenants.then(|| view! {
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let list = tenants.await;
                            view! {
                                <div class="field">
                                    <label for="filter-tenant">"Tenant"</label>
                                    <select id="filter-tenant" name="tenant">
                                        <option value="" selected=move || query.with(|q| q.tenant.is_none())>"All tenants"</option>
                                        {list.into_iter().map(|t| {
                                            let id = t.tenant_id;
                                            view! {
                                                <option value=id.0.to_string() selected=move || query.with(|q| q.tenant == Some(id))>{t.name}</option>
                                            }
                                        }).collect_view()}
                                    </select>
                                </div>
                            }
                        })}
                    </Transition>
                })}
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let (roles, scopes) = roles.await;
                        (!roles.is_empty()).then(|| view! {
                            <div class="field">
                                <label for="filter-role">"Role"</label>
                                <select id="filter-role" name="role">
                                    <option value="" selected=move || query.with(|q| q.role.is_none())>"Any role"</option>
                                    {roles.into_iter().map(|r| {
                                        let id = r.role_id;
                                        view! {
                                            <option value=id.0.to_string() selected=move || query.with(|q| q.role == Some(id))>{r.name}</option>
                                        }
                                    }).collect_view()}
                                </select>
                            </div>
                            {(!scopes.is_empty()).then(|| view! {
                                <div class="field">
                                    <label for="filter-scope">"Scope"</label>
                                    <select id="filter-scope" name="scope">
                                        <option value="" selected=move || query.with(|q| q.scope.is_none())>"Any scope"</option>
                                        {scopes.into_iter().map(|s| {
                                            let id = s.scope_id;
                                            view! {
                                                <option value=id.0.to_string() selected=move || query.with(|q| q.scope == Some(id))>{s.name}</option>
                                            }
                                        }).collect_view()}
                                    </select>
                                </div>
                            })}
                        })
                    })}
                </Transition>
                // The order survives a new search; the page does not.
                {move || query.with(|q| (q.sort != AccountSort::default()).then(|| view! { <input type="hidden" name="sort" value=q.sort.as_str()/> }))}
                {move || query.with(|q| q.descending).then(|| view! { <input type="hidden" name="desc" value="1"/> })}
                <div class="filter-actions">
                    <button class="primary" type="submit">"Search"</button>
                    <Show when=filtered>
                        <A href="/users" attr:class="button-link">"Clear"</A>
                    </Show>
                </div>
            </form>
            </Enhance>
        </section>
        <section class="panel" aria-labelledby="results-heading">
            <h2 id="results-heading" class="visually-hidden">"Accounts"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(result) if result.rows.is_empty() => view! {
                            <p class="muted empty" role="status">
                                {if filtered() { "No account matches this search." } else { "No accounts yet." }}
                            </p>
                        }.into_any(),
                        Ok(result) => {
                            let q = query.get_untracked();
                            let previous = result.previous.clone().map(|c| format!("/users?{}", q.at(Some(c)).to_params()));
                            let next = result.next.clone().map(|c| format!("/users?{}", q.at(Some(c)).to_params()));
                            let shown = result.rows.len();
                            view! {
                                <div class="table-scroll">
                                <table class="table users">
                                    <thead>
                                        <tr>
                                            <SortHeader sort=AccountSort::Username query=query/>
                                            <SortHeader sort=AccountSort::FullName query=query/>
                                            <SortHeader sort=AccountSort::Email query=query/>
                                            <th scope="col">"Type"</th>
                                            {all_tenants.then(|| view! { <th scope="col">"Tenant"</th> })}
                                            <th scope="col">"Status"</th>
                                            <SortHeader sort=AccountSort::Created query=query/>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {result.rows.into_iter().map(|a| view! { <UserRow account=a all_tenants=all_tenants/> }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                                <nav class="pager" aria-label="Pages">
                                    <span class="muted" role="status">{format!("{shown} account{} on this page", if shown == 1 { "" } else { "s" })}</span>
                                    <span class="pager-links">
                                        {match previous {
                                            Some(href) => view! { <A href=href attr:class="button-link" attr:rel="prev">"← Previous"</A> }.into_any(),
                                            None => view! { <span class="button-link disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
                                        }}
                                        {match next {
                                            Some(href) => view! { <A href=href attr:class="button-link" attr:rel="next">"Next →"</A> }.into_any(),
                                            None => view! { <span class="button-link disabled" aria-disabled="true">"Next →"</span> }.into_any(),
                                        }}
                                    </span>
                                </nav>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A column header that sorts by its column; a second click reverses the order.
#[component]
fn SortHeader(sort: AccountSort, query: Memo<AccountQuery>) -> impl IntoView {
    let state = move || query.with(|q| (q.sort == sort).then_some(q.descending));
    let href = move || {
        let q = query.get();
        let descending = q.sort == sort && !q.descending;
        let next = AccountQuery {
            sort,
            descending,
            cursor: None,
            ..q
        };
        format!("/users?{}", next.to_params())
    };
    let aria_sort = move || match state() {
        Some(false) => "ascending",
        Some(true) => "descending",
        None => "none",
    };
    let arrow = move || match state() {
        Some(false) => "↑",
        Some(true) => "↓",
        None => "",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <A href=href attr:class="sort">
                {sort.label()}
                <span class="sort-arrow" aria-hidden="true">{arrow}</span>
            </A>
        </th>
    }
}

#[component]
fn UserRow(account: AccountSummary, all_tenants: bool) -> impl IntoView {
    let href = format!("/users/{}", account.account_id);
    let expires = account
        .expires_at
        .map(|at| format!("Valid until {}", last_valid_day(at)));
    // Long values are cut to keep every column on screen (style: .cell-text); the whole value
    // is in the title, and shown in full while the row holds the focus.
    let tenant = account.tenant_name.clone().unwrap_or_else(|| "—".into());
    let (username, username_title) = (account.username.clone(), account.username.clone());
    view! {
        <tr>
            <th scope="row"><A href=href attr:class="cell-text" attr:title=username_title>{username}</A></th>
            <td><span class="cell-text" title=account.full_name.clone()>{account.full_name.clone()}</span></td>
            <td class="email"><span class="cell-text" title=account.email.clone()>{account.email.clone()}</span></td>
            <td class="tier">{account.tier.label()}</td>
            {all_tenants.then(|| view! { <td class="tenant"><span class="cell-text" title=tenant.clone()>{tenant.clone()}</span></td> })}
            <td>
                <span class=status_class(account.status)>{account.status.label()}</span>
                {expires.map(|e| view! { <span class="sub">{e}</span> })}
            </td>
            <td class="nowrap">{crate::pages::format_date(account.created_at)}</td>
        </tr>
    }
}
