//! `/outbox`: the email Warden has queued, sent or failed to send (SPEC §6), for platform
//! administrators; a failed message can be sent again. Never what a message says.

use crate::access::may_manage_outbox;
use crate::api::{list_outbox, RetryOutboxMessage};
use crate::audit_log::format_time;
use crate::components::form::{done, track_action_errors, Enhance};
use crate::components::layout::GuardedPage;
use crate::error::FieldErrors;
use crate::outbox::{OutboxMessage, OutboxPage, OutboxQuery, OutboxStatus};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! {
        <GuardedPage title="Outbox" decide=may_manage_outbox page=|_| view! { <Outbox/> }/>
    }
}

#[component]
fn Outbox() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| OutboxQuery::from_params(|k| p.get(k))));
    let page = Resource::new(move || query.get(), list_outbox);
    let retry = ServerAction::<RetryOutboxMessage>::new();
    let errors = RwSignal::new(FieldErrors::new());
    let form_error = track_action_errors(retry, errors);
    let retried = done::<RetryOutboxMessage>();
    view! {
        <div class="page-head">
            <h1>"Outbox"</h1>
            <p class="lead">
                "Email Warden sends, newest first. A message waits here while the mail server cannot \
                 be reached, and leaves once it can."
            </p>
        </div>
        <p role="alert" class="alert" data-form-error class:hidden=move || form_error.get().is_none()>
            {move || form_error.get()}
        </p>
        <p role="status" class="saved" class:hidden=!retried>"Queued again: it is sent within seconds."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading the outbox…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(result) => view! { <OutboxPanels result=result query=query.get_untracked() retry=retry/> }.into_any(),
                    Err(err) => view! { <p class="alert" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OutboxPanels(
    result: OutboxPage,
    query: OutboxQuery,
    retry: ServerAction<RetryOutboxMessage>,
) -> impl IntoView {
    let delivery = match (&result.mail_server, result.email_configured) {
        (Some(server), true) => view! {
            <p class="explain">"Email is sent through " <strong class="mono">{server.clone()}</strong> "."</p>
        }
        .into_any(),
        _ => view! {
            <div class="notice" role="note">
                <p><strong>"Email is not configured."</strong>" Nothing is sent, and nothing is queued."</p>
                <p>"To send email, start Warden with " <code>"WARDEN_SMTP_URL"</code> " (for example "
                   <code>"smtp://user:password@mail.example.com:587?tls=required"</code> ") and "
                   <code>"WARDEN_MAIL_FROM"</code> "."</p>
            </div>
        }
        .into_any(),
    };
    let total = result.queued + result.sent + result.failed;
    let filters = [
        (None, "All", total),
        (Some(OutboxStatus::Queued), "Queued", result.queued),
        (Some(OutboxStatus::Sent), "Sent", result.sent),
        (Some(OutboxStatus::Failed), "Failed", result.failed),
    ];
    let newest = query.before.is_some().then(|| {
        OutboxQuery {
            before: None,
            ..query
        }
        .href()
    });
    let older = result.older.map(|before| {
        OutboxQuery {
            before: Some(before),
            ..query
        }
        .href()
    });
    view! {
        <section class="panel" aria-labelledby="delivery-heading">
            <h2 id="delivery-heading">"Delivery"</h2>
            {delivery}
        </section>
        <section class="panel" aria-labelledby="messages-heading">
            <h2 id="messages-heading">"Messages"</h2>
            <nav class="segmented" aria-label="Show messages">
                {filters.into_iter().map(|(status, label, count)| {
                    let href = OutboxQuery { status, before: None }.href();
                    let current = query.status == status;
                    // A plain link: the router's <A> marks every link to /outbox current,
                    // whatever its query.
                    view! {
                        <a href=href aria-current=current.then_some("page")>
                            {label}" "<span class="count">{count}</span>
                        </a>
                    }
                }).collect_view()}
            </nav>
            {if result.messages.is_empty() {
                view! { <p class="muted empty" role="status">{match query.status {
                    Some(OutboxStatus::Failed) => "No message has failed.",
                    Some(OutboxStatus::Queued) => "Nothing is waiting to be sent.",
                    Some(OutboxStatus::Sent) => "Nothing has been sent yet.",
                    None => "Nothing has been sent yet.",
                }}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="table outbox">
                            <thead>
                                <tr>
                                    <th scope="col">"Queued (UTC)"</th>
                                    <th scope="col">"To"</th>
                                    <th scope="col">"Subject"</th>
                                    <th scope="col">"Tenant"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Details"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {result.messages.into_iter().map(|m| view! { <MessageRow message=m retry=retry/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            // Paging only when there is more than one page.
            {(newest.is_some() || older.is_some()).then(|| view! {
                <nav class="pager" aria-label="Pages">
                    <span></span>
                    <span class="pager-links">
                        {newest.map(|href| view! { <A href=href attr:class="button-link">"↑ Newest"</A> })}
                        {match older {
                            Some(href) => view! { <A href=href attr:class="button-link" attr:rel="next">"Older →"</A> }.into_any(),
                            None => view! { <span class="button-link disabled" aria-disabled="true">"Older →"</span> }.into_any(),
                        }}
                    </span>
                </nav>
            })}
        </section>
    }
}

#[component]
fn MessageRow(message: OutboxMessage, retry: ServerAction<RetryOutboxMessage>) -> impl IntoView {
    let (badge, status) = match (message.status, message.in_flight) {
        (OutboxStatus::Queued, true) => ("badge badge-wait", "Sending…".to_owned()),
        (OutboxStatus::Queued, false) if message.attempts > 0 => {
            ("badge badge-wait", "Waiting to retry".to_owned())
        }
        (OutboxStatus::Queued, false) => ("badge badge-wait", "Queued".to_owned()),
        (OutboxStatus::Sent, _) => ("badge badge-yes", "Sent".to_owned()),
        (OutboxStatus::Failed, _) => ("badge badge-fail", "Failed".to_owned()),
    };
    let attempts = match message.attempts {
        0 => String::new(),
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let when = match (message.status, message.sent_at) {
        (OutboxStatus::Sent, Some(at)) => Some(format!("Sent {}", format_time(at))),
        (OutboxStatus::Queued, _) if message.attempts > 0 && !message.in_flight => Some(format!(
            "Next attempt {}",
            format_time(message.next_attempt_at)
        )),
        _ => None,
    };
    let retry_label = format!("Send again: {} to {}", message.summary, message.recipient);
    view! {
        <tr>
            <td class="nowrap mono">{format_time(message.created_at)}</td>
            <td>{message.recipient.clone()}</td>
            <td>{message.summary.clone()}</td>
            <td>{message.tenant.clone().unwrap_or_else(|| "—".into())}</td>
            <td>
                <span class=badge>{status}</span>
                {(!attempts.is_empty()).then(|| view! { <span class="sub">{attempts}</span> })}
            </td>
            <td class="outbox-details">
                {when.map(|w| view! { <span class="sub">{w}</span> })}
                {message.last_error.clone().map(|e| view! { <span class="error-text">{e}</span> })}
            </td>
            <td>
                {(message.status == OutboxStatus::Failed).then(|| view! {
                    <Enhance>
                    <ActionForm action=retry>
                        <input type="hidden" name="message_id" value=message.message_id/>
                        <button type="submit" aria-label=retry_label>"Send again"</button>
                    </ActionForm>
                    </Enhance>
                })}
            </td>
        </tr>
    }
}
