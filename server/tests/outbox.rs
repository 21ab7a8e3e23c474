//! The outbox (SPEC §6, issue 15): email written in a change's transaction is delivered by
//! the background worker to a real SMTP server (aiosmtpd on a loopback port), once; a change
//! that rolls back sends nothing; messages wait while the mail server is down and leave once
//! it is back; a refusal is recorded with the server's answer; two instances on one database
//! deliver each message exactly once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use app::backend::services::outbox::Email;
use app::backend::store::outbox::{self, MessageRow, Status};
use common::smtp::{free_port, Mail, SmtpServer};
use common::{expect_ok, Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::{Secret, ServeConfig};
use server::Running;
use std::collections::BTreeMap;
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(30);

fn email(to: &str, subject: &str) -> Email {
    Email {
        to: to.to_owned(),
        to_name: Some("Grace Hopper".to_owned()),
        subject: subject.to_owned(),
        text: format!("Plain text of {subject}: https://warden.example/link?token=s3cret"),
        html: format!("<p>HTML of {subject}</p>"),
    }
}

fn sending_to(port: u16) -> impl FnOnce(&mut ServeConfig) {
    move |serve: &mut ServeConfig| {
        serve.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        serve.mail_from = Some("Warden <warden@example.com>".to_owned());
        serve.outbox_retry_secs = 1;
    }
}

async fn start(backend: Backend, port: u16) -> Option<TestServer> {
    TestServer::start_configured(backend, "", sending_to(port)).await
}

/// Queues `emails` in one transaction of `running`'s database, committed or rolled back,
/// and wakes the worker as a committed change does.
async fn queue(running: &Running, emails: &[Email], commit: bool) {
    let state = &running.state;
    let mut tx = state.db.begin_write().await.expect("begin");
    for e in emails {
        state
            .outbox
            .queue_email(
                &mut *tx,
                &state.secret_key,
                None,
                e,
                app::backend::clock::now(),
            )
            .await
            .expect("queued");
    }
    if commit {
        tx.commit().await.expect("commit");
        state.outbox.wake();
    } else {
        tx.rollback().await.expect("rollback");
    }
}

async fn rows(running: &Running) -> Vec<MessageRow> {
    outbox::list(
        &running.state.db,
        None,
        None,
        1000,
        app::backend::clock::now(),
    )
    .await
    .expect("the outbox")
}

/// Waits until no message is queued any more.
async fn settled(running: &Running) -> Vec<MessageRow> {
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let now = rows(running).await;
        if now.iter().all(|m| m.status != Status::Queued) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still queued: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn subjects(mail: &[Mail]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in mail {
        *seen.entry(m.subject.clone()).or_insert(0) += 1;
    }
    seen
}

async fn a_committed_email_is_delivered_once_and_its_text_erased(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = start(backend, smtp.port).await else {
        return;
    };
    queue(s.running(), &[email("grace@example.com", "Welcome")], true).await;
    let got = smtp.wait_for(1, WITHIN).await;
    let m = &got[0];
    assert_eq!(m.subject, "Welcome");
    assert_eq!(m.rcpt_tos, vec!["grace@example.com"]);
    assert_eq!(m.mail_from, "warden@example.com");
    assert!(m.from.contains("Warden <warden@example.com>"), "{}", m.from);
    assert!(m.to.contains("Grace Hopper"), "{}", m.to);
    assert!(
        m.text
            .as_deref()
            .unwrap_or_default()
            .contains("Plain text of Welcome"),
        "{m:?}"
    );
    assert!(
        m.html
            .as_deref()
            .unwrap_or_default()
            .contains("<p>HTML of Welcome</p>"),
        "{m:?}"
    );
    let rows = settled(s.running()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, Status::Sent);
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].sent_at.is_some());
    // What it said (a link's secret) is gone from the database once sent.
    let payloads = s
        .strings("select coalesce(payload, 'erased') from outbox")
        .await;
    assert_eq!(payloads, vec!["erased"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1, "sent once");
    s.stop().await;
}

async fn what_waits_is_sealed(backend: Backend) {
    // No SMTP server on this port: the message waits, and its text is not readable in the
    // database meanwhile.
    let Some(s) = start(backend, free_port()).await else {
        return;
    };
    queue(s.running(), &[email("grace@example.com", "Sealed")], true).await;
    let payloads = s.strings("select payload from outbox").await;
    assert_eq!(payloads.len(), 1);
    assert!(!payloads[0].contains("s3cret"), "{}", payloads[0]);
    assert!(!payloads[0].contains("Plain text"), "{}", payloads[0]);
    s.stop().await;
}

async fn a_change_that_rolls_back_sends_nothing(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = start(backend, smtp.port).await else {
        return;
    };
    queue(
        s.running(),
        &[email("grace@example.com", "Rolled back")],
        false,
    )
    .await;
    queue(
        s.running(),
        &[email("grace@example.com", "Committed")],
        true,
    )
    .await;
    smtp.wait_for(1, WITHIN).await;
    settled(s.running()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = smtp.messages();
    assert_eq!(
        got.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        vec!["Committed"]
    );
    assert_eq!(rows(s.running()).await.len(), 1);
    s.stop().await;
}

async fn messages_wait_while_the_mail_server_is_down(backend: Backend) {
    let port = free_port();
    let Some(s) = start(backend, port).await else {
        return;
    };
    let wanted: Vec<Email> = (1..=5)
        .map(|i| email("grace@example.com", &format!("Message {i}")))
        .collect();
    queue(s.running(), &wanted, true).await;
    // Every message is tried and given back with the reason, none lost.
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let now = rows(s.running()).await;
        if now.len() == 5
            && now
                .iter()
                .all(|m| m.status == Status::Queued && m.attempts >= 1 && m.last_error.is_some())
        {
            let reason = now[0].last_error.clone().unwrap_or_default();
            assert!(
                reason.to_lowercase().contains("connect") || reason.contains("refused"),
                "{reason}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all tried: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The mail server comes up: everything is delivered, each message once.
    let smtp = SmtpServer::start_on(port).await;
    smtp.wait_for(5, WITHIN).await;
    let rows = settled(s.running()).await;
    assert!(rows.iter().all(|m| m.status == Status::Sent), "{rows:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen = subjects(&smtp.messages());
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "sent twice: {seen:?}");
    s.stop().await;
}

async fn a_refusal_is_recorded_with_the_servers_answer(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = TestServer::start_configured(backend, "", |serve| {
        sending_to(smtp.port)(serve);
        serve.outbox_attempts = 2;
    })
    .await
    else {
        return;
    };
    queue(
        s.running(),
        &[
            email("reject-me@example.com", "Refused for good"),
            email("later-please@example.com", "Refused for now"),
            email("grace@example.com", "Taken"),
        ],
        true,
    )
    .await;
    let rows = settled(s.running()).await;
    let by_subject: BTreeMap<&str, &MessageRow> =
        rows.iter().map(|m| (m.summary.as_str(), m)).collect();
    let permanent = by_subject["Refused for good"];
    assert_eq!(permanent.status, Status::Failed);
    assert_eq!(permanent.attempts, 1, "a permanent refusal is not retried");
    let reason = permanent.last_error.as_deref().unwrap_or_default();
    assert!(
        reason.contains("550") || reason.contains("No such user"),
        "{reason}"
    );
    let transient = by_subject["Refused for now"];
    assert_eq!(transient.status, Status::Failed);
    assert_eq!(transient.attempts, 2, "tried until out of attempts");
    let reason = transient.last_error.as_deref().unwrap_or_default();
    assert!(reason.starts_with("gave up after 2 attempts"), "{reason}");
    assert!(
        reason.contains("451") || reason.contains("try again later"),
        "{reason}"
    );
    assert_eq!(by_subject["Taken"].status, Status::Sent);
    assert_eq!(
        smtp.messages()
            .iter()
            .map(|m| m.subject.as_str())
            .collect::<Vec<_>>(),
        vec!["Taken"]
    );

    // A failed message can be queued again: it is tried afresh (and refused again here).
    let id = permanent.message_id;
    let mut tx = s.running().state.db.begin_write().await.expect("begin");
    let requeued = outbox::requeue_failed(&mut *tx, id, app::backend::clock::now())
        .await
        .expect("requeue");
    tx.commit().await.expect("commit");
    assert!(requeued);
    s.running().state.outbox.wake();
    let again = settled(s.running()).await;
    let row = again
        .iter()
        .find(|m| m.message_id == id)
        .expect("still there");
    assert_eq!((row.status, row.attempts), (Status::Failed, 1));
    // A message that is not failed cannot be queued again.
    let sent = by_subject["Taken"].message_id;
    let mut tx = s.running().state.db.begin_write().await.expect("begin");
    let requeued = outbox::requeue_failed(&mut *tx, sent, app::backend::clock::now())
        .await
        .expect("requeue");
    tx.rollback().await.expect("rollback");
    assert!(!requeued);
    s.stop().await;
}

async fn two_instances_deliver_each_message_exactly_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = start(backend, smtp.port).await else {
        return;
    };
    let other = s.start_another_instance(sending_to(smtp.port)).await;
    let wanted: Vec<Email> = (1..=60)
        .map(|i| email("grace@example.com", &format!("Bulk {i:02}")))
        .collect();
    // Half queued through each instance, so both workers are woken and race for them.
    queue(s.running(), &wanted[..30], true).await;
    queue(&other, &wanted[30..], true).await;
    smtp.wait_for(60, WITHIN).await;
    let rows = settled(s.running()).await;
    assert_eq!(rows.len(), 60);
    assert!(
        rows.iter()
            .all(|m| m.status == Status::Sent && m.attempts == 1),
        "{rows:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen = subjects(&smtp.messages());
    assert_eq!(seen.len(), 60);
    let twice: Vec<_> = seen.iter().filter(|(_, &n)| n != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    other.stop().await;
    s.stop().await;
}

async fn a_claim_whose_instance_died_is_taken_up_again(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = start(backend, smtp.port).await else {
        return;
    };
    // A claim by an instance that is gone, its lease already run out (as after a crash
    // mid-send): the live instance sends the message.
    let now = app::backend::clock::now();
    let mut tx = s.running().state.db.begin_write().await.expect("begin");
    s.running()
        .state
        .outbox
        .queue_email(
            &mut *tx,
            &s.running().state.secret_key,
            None,
            &email("grace@example.com", "Orphaned"),
            now,
        )
        .await
        .expect("queued");
    sqlx::query("update outbox set lease_owner = 'dead', lease_until = $1, attempts = 1")
        .bind(now - 1)
        .execute(&mut *tx)
        .await
        .expect("claimed by the dead");
    tx.commit().await.expect("commit");
    s.running().state.outbox.wake();
    let got = smtp.wait_for(1, WITHIN).await;
    assert_eq!(got[0].subject, "Orphaned");
    let rows = settled(s.running()).await;
    assert_eq!((rows[0].status, rows[0].attempts), (Status::Sent, 2));
    s.stop().await;
}

async fn list_page(
    s: &TestServer,
    cookie: &str,
    status: Option<&str>,
    before: Option<i64>,
) -> Value {
    let res = s
        .call_json(
            "list_outbox",
            &json!({ "query": { "status": status, "before": before } }),
            Some(cookie),
        )
        .await;
    serde_json::from_str(&expect_ok(res).await).expect("an outbox page")
}

async fn platform_administrators_see_the_outbox_and_send_a_failed_message_again(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(s) = TestServer::start_configured(backend, "", |serve| {
        sending_to(smtp.port)(serve);
        serve.outbox_attempts = 1;
    })
    .await
    else {
        return;
    };
    let pa = s.platform_admin_session().await;
    queue(
        s.running(),
        &[
            email("reject-me@example.com", "Bounced"),
            email("grace@example.com", "Arrived"),
        ],
        true,
    )
    .await;
    smtp.wait_for(1, WITHIN).await;
    settled(s.running()).await;

    let page = list_page(&s, &pa, None, None).await;
    assert_eq!(page["email_configured"], true);
    assert_eq!(
        page["mail_server"],
        format!("127.0.0.1:{} (no TLS)", smtp.port)
    );
    assert_eq!(
        (&page["queued"], &page["sent"], &page["failed"]),
        (&json!(0), &json!(1), &json!(1))
    );
    let messages = page["messages"].as_array().expect("messages");
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["summary"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(subjects, vec!["Arrived", "Bounced"], "newest first");
    assert!(page["older"].is_null());
    let bounced = &messages[1];
    assert_eq!(bounced["status"], "failed");
    assert_eq!(bounced["recipient"], "reject-me@example.com");
    assert!(
        bounced["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("550"),
        "{bounced}"
    );
    // Nobody sees what a message says (a link's secret) in the outbox.
    assert!(!page.to_string().contains("s3cret"), "{page}");
    let failed_only = list_page(&s, &pa, Some("failed"), None).await;
    assert_eq!(failed_only["messages"].as_array().map(Vec::len), Some(1));

    // The page shows the same, with a button to send the failed one again.
    let html = s
        .get("/outbox", Some(&pa))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        html.contains("Bounced") && html.contains("Send again"),
        "{html}"
    );
    assert!(html.contains(&format!("127.0.0.1:{}", smtp.port)), "{html}");
    assert!(!html.contains("s3cret"));

    let id = bounced["message_id"].as_i64().expect("an id").to_string();
    let res = s
        .call(
            "retry_outbox_message",
            &[("message_id", id.as_str())],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let rows = settled(s.running()).await;
    let again = rows
        .iter()
        .find(|m| m.message_id.to_string() == id)
        .expect("still listed");
    assert_eq!(
        (again.status, again.attempts),
        (Status::Failed, 1),
        "tried afresh"
    );
    let audit = s.audit().await;
    let requeued = audit
        .iter()
        .find(|r| r.action == "outbox.requeue")
        .expect("the retry is audited");
    assert_eq!(
        requeued.target.as_deref(),
        Some("Bounced to reject-me@example.com")
    );
    assert_eq!(requeued.actor.as_deref(), Some(common::ADMIN_USERNAME));

    // Only a failed message can be sent again; an unknown one is not found.
    let sent = messages[0]["message_id"]
        .as_i64()
        .expect("an id")
        .to_string();
    let res = s
        .call(
            "retry_outbox_message",
            &[("message_id", sent.as_str())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = s
        .call(
            "retry_outbox_message",
            &[("message_id", "987654")],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(smtp.messages().len(), 1, "nothing else was sent");
    s.stop().await;
}

async fn without_email_the_outbox_says_so_and_pages_through_what_waits(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let pa = s.platform_admin_session().await;
    // Written by hand (nothing queues email while it is off): 55 messages wait.
    let wanted: Vec<Email> = (1..=55)
        .map(|i| email("grace@example.com", &format!("Waiting {i:02}")))
        .collect();
    queue(s.running(), &wanted, true).await;
    let first = list_page(&s, &pa, None, None).await;
    assert_eq!(first["email_configured"], false);
    assert!(first["mail_server"].is_null());
    assert_eq!(first["queued"], 55);
    let shown = first["messages"].as_array().expect("messages");
    assert_eq!(shown.len(), 50);
    assert_eq!(shown[0]["summary"], "Waiting 55");
    let older = first["older"].as_i64().expect("an older page");
    let second = list_page(&s, &pa, None, Some(older)).await;
    let rest: Vec<&str> = second["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["summary"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        rest,
        vec![
            "Waiting 05",
            "Waiting 04",
            "Waiting 03",
            "Waiting 02",
            "Waiting 01"
        ]
    );
    assert!(second["older"].is_null());
    let html = s
        .get("/outbox", Some(&pa))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Email is not configured"), "{html}");
    assert!(html.contains("WARDEN_SMTP_URL"), "{html}");
    s.stop().await;
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both!(
    a_committed_email_is_delivered_once_and_its_text_erased,
    what_waits_is_sealed,
    a_change_that_rolls_back_sends_nothing,
    messages_wait_while_the_mail_server_is_down,
    a_refusal_is_recorded_with_the_servers_answer,
    two_instances_deliver_each_message_exactly_once,
    a_claim_whose_instance_died_is_taken_up_again,
    platform_administrators_see_the_outbox_and_send_a_failed_message_again,
    without_email_the_outbox_says_so_and_pages_through_what_waits,
);
