//! A service account's API credentials on its account page (SPEC §7): its tokens (create,
//! shown once with a copy button; revoke), and its client ID and secret for the OAuth 2.0
//! client-credentials grant (generate, rotate). Everything is offered only when the server
//! would allow it, and every change is audited by the server.

use crate::api::{list_service_credentials, CreateApiToken, RevokeApiToken, RotateClientSecret};
use crate::components::form::{track_action_errors, InIsland, TextField};
use crate::credentials::{ApiTokenView, ServiceCredentials};
use crate::domain::{format_date, AccountId};
use crate::error::FieldErrors;
use leptos::prelude::*;

/// The credentials panel of service account `account_id`, read as the page renders.
#[component]
pub fn ApiCredentialsPanel(account_id: AccountId) -> impl IntoView {
    let credentials = Resource::new(move || account_id, list_service_credentials);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading API credentials…"</p> }>
            {move || Suspend::new(async move {
                match credentials.await {
                    Ok(Some(found)) => view! { <Credentials account_id=account_id found=found/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(err) => view! {
                        <section class="panel" aria-labelledby="api-heading">
                            <h2 id="api-heading">"API tokens"</h2>
                            <p class="alert" role="alert">{err.to_string()}</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Tokens and client credentials: an island, since a new token or secret is shown once, in
/// place, and the list follows each change.
#[island(lazy)]
fn Credentials(account_id: AccountId, found: ServiceCredentials) -> impl IntoView {
    crate::islands::hydrated();
    provide_context(InIsland);
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let rotate = ServerAction::<RotateClientSecret>::new();
    let may_manage = found.may_manage;
    let current = RwSignal::new(found);
    // After each completed change, the credentials as the server now has them.
    Effect::new(move |_| {
        let versions = (
            create.version().get(),
            revoke.version().get(),
            rotate.version().get(),
        );
        if versions != (0, 0, 0) {
            leptos::task::spawn_local(async move {
                if let Ok(Some(now)) = list_service_credentials(account_id).await {
                    current.set(now);
                }
            });
        }
    });
    let id = account_id.0.to_string();
    let id_client = id.clone();
    let errors = RwSignal::new(FieldErrors::new());
    let create_error = track_action_errors(create, errors);
    let new_token = move || create.value().get().and_then(Result::ok);
    let new_secret = move || rotate.value().get().and_then(Result::ok);
    let action_error = move || {
        [
            revoke.value().get().and_then(Result::err),
            rotate.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    let confirming_rotation = RwSignal::new(false);
    // A created token empties the form, ready for the next one.
    let create_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = create_form.get() {
                form.reset();
            }
        }
    });
    let has_client = move || current.with(|c| c.client.is_some());
    view! {
        <section class="panel" aria-labelledby="api-heading">
            <h2 id="api-heading">"API tokens"</h2>
            <p class="muted">
                "A service account uses Warden's REST API with a token (sent as "
                <code>"Authorization: Bearer …"</code>") or with its client ID and secret. "
                "A token is shown once, when it is created: copy it then."
            </p>
            {move || new_token().map(|t| view! {
                <SecretOnce id="new-token" label="New token" value=t.secret
                    note=format!("“{}” was created. Copy it now: Warden keeps only a fingerprint and cannot show it again.", t.token.name)/>
            })}
            {move || {
                let tokens = current.with(|c| c.tokens.clone());
                if tokens.is_empty() {
                    view! { <p class="muted">"No tokens yet."</p> }.into_any()
                } else {
                    view! { <TokenTable tokens=tokens account_id=account_id may_manage=may_manage revoke=revoke/> }.into_any()
                }
            }}
            {may_manage.then(|| view! {
                <ActionForm action=create node_ref=create_form attr:class="inline-form" attr:novalidate=true attr:aria-label="Create an API token">
                    <input type="hidden" name="account_id" value=id.clone()/>
                    <TextField name="name" label="Token name" errors=errors id_prefix="token-"
                        hint="What uses it, e.g. “HR sync”."/>
                    <TextField name="expires_on" label="Expires after" input_type="date" errors=errors id_prefix="token-"
                        hint="Leave empty for no end date."/>
                    <button class="primary" type="submit" disabled=create.pending()>
                        {move || if create.pending().get() { "Creating…" } else { "Create token" }}
                    </button>
                </ActionForm>
                <p role="alert" class="alert" class:hidden=move || create_error.get().is_none()>{move || create_error.get()}</p>
            })}
        </section>
        <section class="panel" aria-labelledby="client-heading">
            <h2 id="client-heading">"Client credentials"</h2>
            <p class="muted">
                "For the OAuth 2.0 client-credentials grant: the client ID and secret are exchanged at "
                <code>"/oauth/token"</code>" for an access token that lasts minutes."
            </p>
            {move || match current.with(|c| c.client.clone()) {
                Some(c) => view! {
                    <dl class="details">
                        <dt>"Client ID"</dt><dd class="mono">{c.client_id}</dd>
                        <dt>"Created"</dt><dd>{format_date(c.created_at)}</dd>
                        <dt>"Secret last replaced"</dt><dd>{c.rotated_at.map_or_else(|| "Never".to_owned(), format_date)}</dd>
                        {c.previous_secret_expires_at.map(|at| view! {
                            <dt>"Previous secret"</dt><dd>{format!("Still accepted until {}", format_date_time(at))}</dd>
                        })}
                    </dl>
                }.into_any(),
                None => view! { <p class="muted">"No client secret yet."</p> }.into_any(),
            }}
            {move || new_secret().map(|s| view! {
                <SecretOnce id="new-client-secret" label="New client secret" value=s.secret
                    note=format!("Client ID {}. Copy the secret now: Warden keeps only a fingerprint and cannot show it again.", s.client.client_id)/>
            })}
            {may_manage.then(|| {
                let id = StoredValue::new(id_client);
                view! {
                    <Show when=has_client fallback=move || view! {
                        <ActionForm action=rotate>
                            <input type="hidden" name="account_id" value=id.get_value()/>
                            <button class="secondary" type="submit" disabled=rotate.pending()>"Generate client secret"</button>
                        </ActionForm>
                    }>
                        <Show when=move || !confirming_rotation.get()>
                            <button class="secondary" type="button" on:click=move |_| confirming_rotation.set(true)>"Replace secret…"</button>
                        </Show>
                        <Show when=move || confirming_rotation.get()>
                            <ActionForm action=rotate attr:class="confirm-delete" attr:aria-label="Confirm replacing the secret">
                                <input type="hidden" name="account_id" value=id.get_value()/>
                                <p>"A new secret is generated. The current one keeps working for a while (the overlap shown after), so integrations can switch without failing."</p>
                                <button class="danger solid" type="submit" disabled=rotate.pending()>"Replace secret"</button>
                                <button class="secondary" type="button" on:click=move |_| confirming_rotation.set(false)>"Cancel"</button>
                            </ActionForm>
                        </Show>
                    </Show>
                }
            })}
            <p role="alert" class="alert" class:hidden=move || action_error().is_none()>{action_error}</p>
        </section>
    }
}

/// The tokens, newest first as the server lists them; revoked ones stay, marked.
#[component]
fn TokenTable(
    tokens: Vec<ApiTokenView>,
    account_id: AccountId,
    may_manage: bool,
    revoke: ServerAction<RevokeApiToken>,
) -> impl IntoView {
    view! {
        <table class="table compact tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|t| {
                    let api_token_id = t.api_token_id;
                    let label = format!("Revoke {}", t.name);
                    let last_used = match (t.last_used_at, t.last_used_address.clone()) {
                        (Some(at), Some(address)) => format!("{} from {address}", format_date_time(at)),
                        (Some(at), None) => format_date_time(at),
                        _ => "Never".to_owned(),
                    };
                    let revoked = t.revoked_at;
                    view! {
                        <tr class:revoked=revoked.is_some()>
                            <th scope="row">{t.name.clone()}</th>
                            <td class="mono">{format!("{}…", t.display_prefix)}</td>
                            <td>{format_date(t.created_at)}</td>
                            <td>{t.expires_at.map_or_else(|| "Never".to_owned(), crate::domain::last_valid_day)}</td>
                            <td>{last_used}</td>
                            <td>
                                {match revoked {
                                    Some(at) => view! { <span class="badge">{format!("Revoked {}", format_date(at))}</span> }.into_any(),
                                    None if may_manage => view! {
                                        <button class="secondary small" type="button" aria-label=label
                                            disabled=move || revoke.pending().get()
                                            on:click=move |_| { revoke.dispatch(RevokeApiToken { account_id, api_token_id }); }>"Revoke"</button>
                                    }.into_any(),
                                    None => ().into_any(),
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A secret shown this once, selected on focus, with a button that copies it.
#[component]
fn SecretOnce(
    /// Unique on the page: both secrets may show at once.
    id: &'static str,
    label: &'static str,
    value: String,
    note: String,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = StoredValue::new(value.clone());
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(window) = web_sys::window() {
                let _ = window
                    .navigator()
                    .clipboard()
                    .write_text(&secret.get_value());
                copied.set(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = secret;
    };
    view! {
        <div class="secret-once" role="status">
            <p>{note}</p>
            <label for=id>{label}</label>
            <div class="secret-row">
                <input id=id class="mono" type="text" readonly=true value=value
                    on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); }/>
                <button class="secondary" type="button" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

/// A Unix time as a UTC date and minute, e.g. `2026-11-30 18:05 UTC`.
fn format_date_time(at: i64) -> String {
    let minute = at.rem_euclid(86_400) / 60;
    format!(
        "{} {:02}:{:02} UTC",
        format_date(at),
        minute / 60,
        minute % 60
    )
}
