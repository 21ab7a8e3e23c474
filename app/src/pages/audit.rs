//! `/audit`: the audit trail, newest first, with filters kept in the URL.

use crate::access::{may_export_audit, may_manage_tenants, may_view_audit};
use crate::api::{list_audit, SessionView};
use crate::audit_log::{action_label, format_time, outcome_text, AuditEntry, AuditQuery, ACTIONS};
use crate::components::form::Enhance;
use crate::components::layout::GuardedPage;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <GuardedPage title="Audit" decide=may_view_audit page=|session: SessionView| {
            view! {
                <Audit
                    all_tenants=may_manage_tenants(&session.actor).is_allowed()
                    may_export=may_export_audit(&session.actor).is_allowed()
                />
            }
        }/>
    }
}

#[component]
fn Audit(all_tenants: bool, may_export: bool) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| AuditQuery::from_params(|k| p.get(k))));
    let page = Resource::new(move || query.get(), list_audit);
    let text = move |f: fn(&AuditQuery) -> &String| move || query.with(|q| f(q).clone());
    // Plain download links (they work before the page is hydrated): every record the
    // filters select, from the newest, whatever page is shown.
    let export = move |path: &'static str| {
        move || {
            query.with(|q| {
                let params = AuditQuery {
                    cursor: None,
                    ..q.clone()
                }
                .to_params();
                if params.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{params}")
                }
            })
        }
    };
    view! {
        <div class="page-head with-actions">
            <div>
                <h1>"Audit"</h1>
                <p class="lead">
                    {if all_tenants {
                        "Every sign-in and every change, in every tenant, newest first. Records cannot be changed or deleted."
                    } else {
                        "Every sign-in and every change in your organisation, newest first. Records cannot be changed or deleted."
                    }}
                </p>
            </div>
            {may_export.then(|| view! {
                <div class="head-actions">
                    <a class="button-link" rel="external" download="" href=export("/audit.csv")>"Export CSV"</a>
                    <a class="button-link" rel="external" download="" href=export("/audit.jsonl")>"Export JSON Lines"</a>
                </div>
            })}
        </div>
        <section class="panel" aria-label="Filter records">
            <Enhance>
            <form method="get" action="/audit" class="filters" role="search">
                <div class="field">
                    <label for="audit-actor">"Actor"</label>
                    <input id="audit-actor" name="actor" type="search" value=text(|q| &q.actor) placeholder="Username"/>
                </div>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" name="action">
                        <option value="" selected=move || query.with(|q| q.action.is_empty())>"Any action"</option>
                        {ACTIONS.into_iter().map(|(code, label)| view! {
                            <option value=code selected=move || query.with(|q| q.action == code)>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-target">"Target"</label>
                    <input id="audit-target" name="target" type="search" value=text(|q| &q.target) placeholder="Account or tenant"/>
                </div>
                <div class="field">
                    <label for="audit-from">"From"</label>
                    <input id="audit-from" name="from" type="date" value=text(|q| &q.from)/>
                </div>
                <div class="field">
                    <label for="audit-to">"To"</label>
                    <input id="audit-to" name="to" type="date" value=text(|q| &q.to)/>
                </div>
                <div class="filter-actions">
                    <button class="primary" type="submit">"Filter"</button>
                    <Show when=move || query.with(AuditQuery::is_filtered)>
                        <A href="/audit" attr:class="button-link">"Clear"</A>
                    </Show>
                </div>
            </form>
            </Enhance>
        </section>
        <section class="panel" aria-labelledby="records-heading">
            <h2 id="records-heading" class="visually-hidden">"Records"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading records…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(result) if result.entries.is_empty() => view! {
                            <p class="muted empty" role="status">"No record matches these filters."</p>
                        }.into_any(),
                        Ok(result) => {
                            let q = query.get_untracked();
                            let newest = q.cursor.is_some().then(|| format!("/audit?{}", AuditQuery { cursor: None, ..q.clone() }.to_params()));
                            let older = result.next.map(|c| format!("/audit?{}", AuditQuery { cursor: Some(c), ..q.clone() }.to_params()));
                            view! {
                                <div class="table-scroll">
                                    <table class="table audit">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Time (UTC)"</th>
                                                <th scope="col">"Actor"</th>
                                                <th scope="col">"Action"</th>
                                                <th scope="col">"Target"</th>
                                                {all_tenants.then(|| view! { <th scope="col">"Tenant"</th> })}
                                                <th scope="col">"Outcome"</th>
                                                <th scope="col">"From"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {result.entries.into_iter().map(|e| view! { <AuditRow entry=e all_tenants=all_tenants/> }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <nav class="pager" aria-label="Pages">
                                    <span></span>
                                    <span class="pager-links">
                                        {match newest {
                                            Some(href) => view! { <A href=href attr:class="button-link">"↑ Newest"</A> }.into_any(),
                                            None => ().into_any(),
                                        }}
                                        {match older {
                                            Some(href) => view! { <A href=href attr:class="button-link" attr:rel="next">"Older →"</A> }.into_any(),
                                            None => view! { <span class="button-link disabled" aria-disabled="true">"Older →"</span> }.into_any(),
                                        }}
                                    </span>
                                </nav>
                            }.into_any()
                        }
                        Err(crate::error::AppError::Invalid(fields)) => view! {
                            <p class="alert" role="alert">
                                {fields.0.values().flatten().cloned().collect::<Vec<_>>().join(" ")}
                            </p>
                        }.into_any(),
                        Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditRow(entry: AuditEntry, all_tenants: bool) -> impl IntoView {
    let outcome_class = match entry.outcome.as_str() {
        "success" => "badge badge-yes",
        "refused" => "badge badge-wait",
        _ => "badge badge-fail",
    };
    let outcome = outcome_text(
        &entry.outcome,
        entry.reason.as_deref(),
        entry.suppressed_before,
    );
    let target = match (&entry.target_kind, &entry.target_label) {
        (Some(kind), Some(label)) => format!("{label} ({kind})"),
        (_, Some(label)) => label.clone(),
        _ => "—".to_owned(),
    };
    let changes = entry.changes.clone();
    // A refused record's "after" is what was attempted: nothing changed.
    let summary = if entry.outcome == "refused" {
        "What was attempted".to_owned()
    } else {
        format!(
            "{} changed field{}",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" }
        )
    };
    let columns = if all_tenants { "7" } else { "6" };
    view! {
        <tr>
            <td class="nowrap mono">{format_time(entry.occurred_at)}</td>
            <td>
                {entry.actor_username.clone().unwrap_or_else(|| "—".into())}
                {entry.actor_tier.map(|t| view! { <span class="sub">{t.label()}</span> })}
            </td>
            // A refused record names what was attempted, not something that happened.
            <td>{if entry.outcome == "refused" {
                format!("Attempted: {}", action_label(&entry.action).to_lowercase())
            } else {
                action_label(&entry.action).to_owned()
            }}</td>
            <td>{target}</td>
            {all_tenants.then(|| view! { <td>{entry.tenant_name.clone().unwrap_or_else(|| "—".into())}</td> })}
            <td><span class=outcome_class>{outcome}</span></td>
            <td class="mono">{entry.client.clone().unwrap_or_else(|| "—".into())}</td>
        </tr>
        {(!changes.is_empty()).then(|| view! {
            <tr class="changes-row">
                <td colspan=columns>
                    <details class="changes">
                        <summary>{summary}</summary>
                        <dl>
                            {changes.into_iter().map(|(field, before, after)| view! {
                                <dt>{field}</dt>
                                <dd>
                                    <span class="before">{before.unwrap_or_else(|| "—".into())}</span>
                                    " → "
                                    <span class="after">{after.unwrap_or_else(|| "—".into())}</span>
                                </dd>
                            }).collect_view()}
                        </dl>
                    </details>
                </td>
            </tr>
        })}
    }
    .into_any()
}
