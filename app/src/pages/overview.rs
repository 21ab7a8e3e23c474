use crate::access::{may_manage, Decision, Target};
use crate::api::SessionView;
use crate::components::auth::RequireSession;
use crate::components::layout::ConsoleLayout;
use crate::domain::Tier;
use leptos::prelude::*;
use leptos_meta::Title;

/// The home page: who you are, and what the console lets you manage and why.
#[component]
pub fn OverviewPage() -> impl IntoView {
    view! {
        <Title text="Overview"/>
        <RequireSession page=|session: SessionView| view! {
            <ConsoleLayout session=session.clone()>
                <Overview session=session/>
            </ConsoleLayout>
        }/>
    }
}

#[component]
fn Overview(session: SessionView) -> impl IntoView {
    let first_name = session
        .full_name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let rows = Tier::ALL
        .into_iter()
        .map(|tier| {
            let target = Target {
                tier,
                tenant_id: if tier.lives_in_tenant() {
                    session.actor.tenant_id.or(Some(crate::domain::TenantId(0)))
                } else {
                    None
                },
            };
            let decision = may_manage(&session.actor, target);
            let allowed = decision.is_allowed();
            view! {
                <tr>
                    <th scope="row">{tier.label()}</th>
                    <td>
                        <span class="badge" class:badge-yes=allowed class:badge-no=!allowed>
                            {if allowed { "Can manage" } else { "Cannot manage" }}
                        </span>
                    </td>
                    <td class="explain">{explain_scope(decision, &session)}</td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <div class="page-head">
            <h1>{format!("Welcome, {first_name}")}</h1>
            <p class="lead">{format!("Signed in as {} ({}).", session.username, session.tier.label().to_lowercase())}</p>
        </div>
        <section class="panel" aria-labelledby="manage-heading">
            <h2 id="manage-heading">"Accounts you can manage"</h2>
            <p class="muted">"What your tier allows, and why. Every action in the console follows these same rules."</p>
            <table class="table">
                <thead>
                    <tr><th scope="col">"Account type"</th><th scope="col">"Access"</th><th scope="col">"Why"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

fn explain_scope(decision: Decision, session: &SessionView) -> String {
    let text = decision.explain();
    match (decision, &session.tenant_name) {
        (Decision::Allowed(_), Some(tenant)) => format!("{text} Your tenant is “{tenant}”."),
        _ => text,
    }
}
