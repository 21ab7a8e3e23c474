//! The tables of service-account credentials (migration 0014, SPEC §7) keep their rules on
//! both databases: digests and client IDs are unique, a client per service account, a
//! rotation's previous secret comes with its end, and credentials go with their account.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use sqlx::{AnyConnection, Connection, Row};

on_both_databases!(
    api_tokens_are_found_by_a_unique_digest_and_go_with_their_account,
    a_token_outlives_the_account_that_created_it,
    a_token_cannot_expire_before_it_was_created,
    a_service_account_has_at_most_one_client_with_a_unique_client_id,
    a_previous_client_secret_is_kept_only_with_the_end_of_its_overlap,
);

async fn connect(s: &TestServer) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(&s.database_url).await.unwrap()
}

async fn account(s: &TestServer, tier: &str, username: &str) -> i64 {
    s.create_tenant_account(tier, username, "Some-pass1").await;
    let mut conn = connect(s).await;
    let id = sqlx::query("select account_id from accounts where username = $1")
        .bind(username)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get::<i64, _>(0);
    conn.close().await.ok();
    id
}

async fn insert_token(
    conn: &mut AnyConnection,
    account_id: i64,
    digest: &str,
    created_by: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into api_tokens (account_id, name, display_prefix, digest, created_at, created_by) \
         values ($1, 'deploy', 'wdn_abcd', $2, 100, $3)",
    )
    .bind(account_id)
    .bind(digest)
    .bind(created_by)
    .execute(conn)
    .await
    .map(|_| ())
}

async fn count(conn: &mut AnyConnection, query: &str) -> i64 {
    sqlx::query(query)
        .fetch_one(conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn api_tokens_are_found_by_a_unique_digest_and_go_with_their_account(s: &TestServer) {
    let robot = account(s, "service_account", "robot").await;
    let other = account(s, "service_account", "other_robot").await;
    let mut conn = connect(s).await;
    insert_token(&mut conn, robot, "d1", None).await.unwrap();
    insert_token(&mut conn, robot, "d2", None).await.unwrap();
    assert!(
        insert_token(&mut conn, other, "d1", None).await.is_err(),
        "a digest names one token"
    );
    let found = sqlx::query(
        "select account_id, last_used_at, revoked_at, expires_at from api_tokens where digest = 'd2'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(found.get::<i64, _>(0), robot);
    assert_eq!(found.get::<Option<i64>, _>(1), None);
    assert_eq!(found.get::<Option<i64>, _>(2), None);
    assert_eq!(found.get::<Option<i64>, _>(3), None);
    sqlx::query("delete from accounts where account_id = $1")
        .bind(robot)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(count(&mut conn, "select count(*) from api_tokens").await, 0);
    conn.close().await.ok();
}

async fn a_token_outlives_the_account_that_created_it(s: &TestServer) {
    let robot = account(s, "service_account", "robot").await;
    let admin = account(s, "tenant_admin", "acme_admin").await;
    let mut conn = connect(s).await;
    insert_token(&mut conn, robot, "d1", Some(admin))
        .await
        .unwrap();
    sqlx::query("delete from accounts where account_id = $1")
        .bind(admin)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        count(
            &mut conn,
            "select count(*) from api_tokens where digest = 'd1' and created_by is null"
        )
        .await,
        1
    );
    conn.close().await.ok();
}

async fn a_token_cannot_expire_before_it_was_created(s: &TestServer) {
    let robot = account(s, "service_account", "robot").await;
    let mut conn = connect(s).await;
    let insert = |expires_at: i64| {
        sqlx::query(
            "insert into api_tokens (account_id, name, display_prefix, digest, created_at, expires_at) \
             values ($1, 'ci', 'wdn_abcd', $2, 100, $3)",
        )
        .bind(robot)
        .bind(format!("d{expires_at}"))
        .bind(expires_at)
    };
    assert!(insert(100).execute(&mut conn).await.is_err());
    assert!(insert(101).execute(&mut conn).await.is_ok());
    conn.close().await.ok();
}

async fn a_service_account_has_at_most_one_client_with_a_unique_client_id(s: &TestServer) {
    let robot = account(s, "service_account", "robot").await;
    let other = account(s, "service_account", "other_robot").await;
    let mut conn = connect(s).await;
    let insert = |account_id: i64, client_id: &'static str| {
        sqlx::query(
            "insert into api_clients (account_id, client_id, secret_digest, created_at) \
             values ($1, $2, 's', 100)",
        )
        .bind(account_id)
        .bind(client_id)
    };
    insert(robot, "wdc_one").execute(&mut conn).await.unwrap();
    assert!(insert(robot, "wdc_two").execute(&mut conn).await.is_err());
    assert!(insert(other, "wdc_one").execute(&mut conn).await.is_err());
    insert(other, "wdc_two").execute(&mut conn).await.unwrap();
    sqlx::query("delete from accounts where account_id = $1")
        .bind(robot)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        count(&mut conn, "select count(*) from api_clients").await,
        1
    );
    conn.close().await.ok();
}

async fn a_previous_client_secret_is_kept_only_with_the_end_of_its_overlap(s: &TestServer) {
    let robot = account(s, "service_account", "robot").await;
    let mut conn = connect(s).await;
    sqlx::query(
        "insert into api_clients (account_id, client_id, secret_digest, created_at) \
         values ($1, 'wdc_one', 's1', 100)",
    )
    .bind(robot)
    .execute(&mut conn)
    .await
    .unwrap();
    let rotate = |previous: Option<&'static str>, until: Option<i64>| {
        sqlx::query(
            "update api_clients set secret_digest = 's2', previous_secret_digest = $1, \
             previous_secret_expires_at = $2, rotated_at = 200 where client_id = 'wdc_one'",
        )
        .bind(previous)
        .bind(until)
    };
    assert!(rotate(Some("s1"), None).execute(&mut conn).await.is_err());
    assert!(rotate(None, Some(300)).execute(&mut conn).await.is_err());
    rotate(Some("s1"), Some(300))
        .execute(&mut conn)
        .await
        .unwrap();
    rotate(None, None).execute(&mut conn).await.unwrap();
    conn.close().await.ok();
}
