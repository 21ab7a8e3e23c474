//! The frame of every signed-in page: a header with navigation and the account menu.

use crate::api::{SessionView, SignOut, SignOutEverywhere};
use leptos::prelude::*;
use leptos_router::components::A;

/// A page of the console for a signed-in account.
#[component]
pub fn ConsoleLayout(session: SessionView, children: Children) -> impl IntoView {
    let tenant = session
        .tenant_name
        .clone()
        .unwrap_or_else(|| "All tenants".to_owned());
    let role_line = format!("{} · {}", session.tier.label(), tenant);
    let (sign_out, sign_out_everywhere) = (
        ServerAction::<SignOut>::new(),
        ServerAction::<SignOutEverywhere>::new(),
    );
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"W"</span>
                <span>"Warden"</span>
            </a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Overview"</A>
                {crate::access::may_list_accounts(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/users">"Users"</A> })}
                {crate::access::may_open_roles(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/roles">"Roles"</A> })}
                {crate::access::may_manage_tenants(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/tenants">"Tenants"</A> })}
                {crate::access::may_view_tenant_settings(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/settings">"Settings"</A> })}
                {crate::access::may_view_audit(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/audit">"Audit"</A> })}
                {crate::access::may_manage_outbox(&session.actor)
                    .is_allowed()
                    .then(|| view! { <A href="/outbox">"Outbox"</A> })}
                <A href="/profile">"Profile"</A>
            </nav>
            <AccountMenu>
                <details class="account-menu">
                    <summary aria-label=format!("Account menu for {}", session.full_name)>
                        <span class="avatar" aria-hidden="true">{initials(&session.full_name)}</span>
                        <span class="who">
                            <span class="who-name">{session.full_name.clone()}</span>
                            <span class="who-role">{role_line}</span>
                        </span>
                    </summary>
                    <div class="menu" role="menu">
                        <a role="menuitem" href="/profile">"Your profile"</a>
                        <a role="menuitem" href="/mfa">"Multi-factor authentication"</a>
                        <ActionForm action=sign_out>
                            <button role="menuitem" type="submit">"Sign out"</button>
                        </ActionForm>
                        <ActionForm action=sign_out_everywhere>
                            <button role="menuitem" type="submit">"Sign out everywhere"</button>
                        </ActionForm>
                    </div>
                </details>
            </AccountMenu>
        </header>
        <main id="main" class="content">{children()}</main>
    }
}

/// The account menu: a disclosure (`<details>`, rendered by the server with its summary and
/// items) that opens without JavaScript; once hydrated, Escape closes it and returns focus to
/// its summary. The island only listens for the key as it bubbles up from the menu, so that
/// nothing of the rest (the initials' Unicode upper-casing, say) is compiled into the WASM
/// every page loads; it cannot sit inside `<details>`, whose summary must be its first child.
#[island]
fn AccountMenu(children: Children) -> impl IntoView {
    crate::islands::hydrated();
    let root = NodeRef::<leptos::html::Div>::new();
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        use leptos::wasm_bindgen::JsCast;
        if ev.key() != "Escape" {
            return;
        }
        let details = root
            .get()
            .and_then(|r| r.query_selector("details[open]").ok().flatten())
            .and_then(|d| d.dyn_into::<leptos::web_sys::HtmlDetailsElement>().ok());
        let Some(details) = details else {
            return;
        };
        details.set_open(false);
        if let Some(summary) = details.first_element_child() {
            if let Some(el) = summary.dyn_ref::<leptos::web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    view! { <div class="enhanced" node_ref=root on:keydown=close_on_escape>{children()}</div> }
}

/// A console page behind one decision of the access model: `page` when it allows the
/// signed-in account, otherwise the model's explanation under the page's `title`. `back`
/// adds a breadcrumb link, e.g. `("/users", "← Users")`.
#[component]
pub fn GuardedPage<F, V>(
    title: &'static str,
    decide: fn(&crate::access::Actor) -> crate::access::Decision,
    #[prop(optional)] back: Option<(&'static str, &'static str)>,
    page: F,
) -> impl IntoView
where
    F: Fn(SessionView) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <leptos_meta::Title text=title/>
        <crate::components::auth::RequireSession page=move |session: SessionView| {
            let decision = decide(&session.actor);
            let page = page.clone();
            view! {
                <ConsoleLayout session=session.clone()>
                    {back.map(|(href, label)| view! { <p class="breadcrumb"><A href=href>{label}</A></p> })}
                    {if decision.is_allowed() {
                        page(session).into_any()
                    } else {
                        view! {
                            <div class="page-head"><h1>{title}</h1></div>
                            <p class="alert" role="alert">{decision.explain()}</p>
                        }.into_any()
                    }}
                </ConsoleLayout>
            }
        }/>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(super::initials("ada lovelace byron"), "AL");
        assert_eq!(super::initials("Zoë"), "Z");
        assert_eq!(super::initials(""), "");
    }
}
