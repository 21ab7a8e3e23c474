//! Importing accounts from CSV rows (SPEC §2.4): each row goes through the account form's
//! rules and authorization; a check writes nothing, an import creates every valid row (each
//! in its own transaction, with its audit record) and reports the others.

use super::refusals::{self, Failed, Refused};
use super::users::{self, NewAccount};
use crate::access::{may_list_accounts, Decision};
use crate::accounts::AccountInput;
use crate::backend::request::Request;
use crate::backend::security::sessions::SignedIn;
use crate::backend::store::audit::AuditAction;
use crate::backend::store::db::{internal, Db};
use crate::csv::{duplicates_in_file, ImportRow, RowResult, BATCH_ROWS};
use crate::domain::Tier;
use crate::error::{AppError, FieldErrors};
use std::collections::HashMap;

/// A tier as a file may write it: its stored name or its label, in any case.
fn parse_tier(value: &str) -> Result<Tier, String> {
    let value = value.trim();
    Tier::ALL
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(value) || t.label().eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            format!(
                "Use one of {}.",
                Tier::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Tenant names (lower-cased) to ids, for platform administrators' files.
async fn tenant_ids(db: &Db) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(String, i64)> = sqlx::query_as("select name, tenant_id from tenants")
        .fetch_all(db.pool())
        .await
        .map_err(internal("read tenants for import"))?;
    Ok(rows
        .into_iter()
        .map(|(name, id)| (name.to_lowercase(), id))
        .collect())
}

/// The account form a row stands for, or the errors of its tier and tenant columns. `me`:
/// the importing account (its tier and tenant decide what the tenant column may say).
fn form_of(
    me: &SignedIn,
    row: &ImportRow,
    tenants: &HashMap<String, i64>,
    errors: &mut FieldErrors,
) -> AccountInput {
    let tier = errors.check("type", parse_tier(row.get("type")));
    let tenant = row.get("tenant").trim();
    let tenant_id = match (tier, me.actor.tier) {
        (Some(Tier::PlatformAdmin), _) if !tenant.is_empty() => {
            errors.add(
                "tenant",
                "Platform administrators belong to no tenant: leave it empty.",
            );
            String::new()
        }
        (_, Tier::PlatformAdmin) if tenant.is_empty() => {
            if tier.is_some_and(Tier::lives_in_tenant) {
                errors.add("tenant", "Name the tenant of this account.");
            }
            String::new()
        }
        (_, Tier::PlatformAdmin) => match tenants.get(&tenant.to_lowercase()) {
            Some(id) => id.to_string(),
            None => {
                errors.add("tenant", format!("No tenant is named “{tenant}”."));
                String::new()
            }
        },
        // Everyone else imports into their own tenant, which the file may name or leave out.
        _ => {
            let own = me.account.tenant_name.clone().unwrap_or_default();
            if !tenant.is_empty() && !tenant.eq_ignore_ascii_case(&own) {
                errors.add(
                    "tenant",
                    format!("You can import into your own tenant ({own}) only."),
                );
            }
            String::new()
        }
    };
    AccountInput {
        tier: tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        tenant_id,
        username: row.get("username").to_owned(),
        email: row.get("email").to_owned(),
        full_name: row.get("full_name").to_owned(),
        job_title: row.get("job_title").to_owned(),
        country_code: row.get("country_code").to_owned(),
        phone: row.get("phone").to_owned(),
        expires_on: row.get("valid_until").to_owned(),
        ref_id_1: row.get("ref_id_1").to_owned(),
        ref_id_2: row.get("ref_id_2").to_owned(),
        external_id: row.get("external_id").to_owned(),
        password: row.get("temporary_password").to_owned(),
    }
}

/// The account form's field names, as the file's columns name them.
fn column_of(field: &str) -> &str {
    match field {
        "tier" => "type",
        "tenant_id" => "tenant",
        "expires_on" => "valid_until",
        "password" => "temporary_password",
        other => other,
    }
}

fn merge(into: &mut FieldErrors, from: FieldErrors) {
    for (field, messages) in from.0 {
        for message in messages {
            into.add(column_of(&field), message);
        }
    }
}

/// Checks (`commit = false`) or imports (`commit = true`) one batch of rows. Each row gets a
/// result: its field errors by column, or (imported) the new account's id. An import is an
/// attempt to create accounts: its refusals are audited with their reason, and every account
/// it creates has its own audit record; a check writes nothing.
pub async fn import(
    req: &Request,
    rows: &[ImportRow],
    commit: bool,
) -> Result<Vec<RowResult>, AppError> {
    let (db, me) = (req.db(), &req.me);
    // An import (`commit`) is an attempt to create accounts: refused, it is audited. A
    // check only reads.
    let refuse = |refused: Refused| async move {
        if commit {
            refusals::record(req, AuditAction::AccountCreated, refused).await
        } else {
            refused.answer
        }
    };
    if let Decision::Denied(refusal) = may_list_accounts(req.actor()) {
        return Err(refuse(Refused::forbidden(refusal)).await);
    }
    if rows.len() > BATCH_ROWS * 4 {
        return Err(AppError::field(
            "rows",
            format!("Send at most {} rows at a time.", BATCH_ROWS * 4),
        ));
    }
    let tenants = if me.actor.tier == Tier::PlatformAdmin {
        tenant_ids(db).await?
    } else {
        HashMap::new()
    };
    let mut repeated: HashMap<usize, FieldErrors> = HashMap::new();
    for (line, field, message) in duplicates_in_file(rows) {
        repeated.entry(line).or_default().add(field, message);
    }
    let mut results = Vec::with_capacity(rows.len());
    let mut ready: Vec<(usize, NewAccount)> = Vec::new();
    for row in rows {
        let mut errors = repeated.remove(&row.line).unwrap_or_default();
        let form = form_of(me, row, &tenants, &mut errors);
        if errors.0.contains_key("type") || errors.0.contains_key("tenant") {
            // Without a valid tier and tenant the rest cannot be authorized; still report
            // the other fields' own problems.
            let mut form = form.clone();
            let tier_known = !form.tier.is_empty();
            if !tier_known {
                form.tier = Tier::User.as_str().to_owned();
            }
            if let Err(Failed::Error(AppError::Invalid(more))) = users::prepare(req, &form).await {
                merge(
                    &mut errors,
                    FieldErrors(
                        more.0
                            .into_iter()
                            .filter(|(f, _)| {
                                f != "tenant_id" && f != "tier" && (tier_known || f != "password")
                            })
                            .collect(),
                    ),
                );
            }
        } else {
            match users::prepare(req, &form).await {
                Ok(new) => {
                    merge(&mut errors, users::conflicts(req, &new).await?);
                    if errors.is_empty() {
                        ready.push((results.len(), new));
                    }
                }
                Err(Failed::Error(AppError::Invalid(more))) => merge(&mut errors, more),
                // Refusals of account creation are `Forbidden`: reported on the row.
                Err(Failed::Refused(refused)) => {
                    refuse(*refused).await;
                    errors.add("type", "You may not create accounts of this type here.")
                }
                Err(Failed::Error(other)) => return Err(other),
            }
        }
        results.push(RowResult {
            line: row.line,
            username: row.get("username").trim().to_owned(),
            errors,
            created: None,
        });
    }
    if !commit {
        return Ok(results);
    }
    // Hash the temporary passwords a few at a time: Argon2 is CPU- and memory-bound.
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut ready = ready.into_iter().peekable();
    while ready.peek().is_some() {
        let group: Vec<(usize, NewAccount)> = ready.by_ref().take(parallel).collect();
        let mut hashing = tokio::task::JoinSet::new();
        for (i, (_, new)) in group.iter().enumerate() {
            if let Some(password) = new.password() {
                let password = password.expose().to_owned();
                let hasher = req.state.hasher.clone();
                hashing.spawn(async move { (i, hasher.hash_in_bulk(password).await) });
            }
        }
        let mut hashes: Vec<Option<String>> = vec![None; group.len()];
        while let Some(done) = hashing.join_next().await {
            let (i, hash) = done.map_err(|_| AppError::Internal)?;
            hashes[i] = Some(hash?);
        }
        for ((index, new), hash) in group.into_iter().zip(hashes) {
            match users::insert(req, new, hash).await {
                Ok(id) => results[index].created = Some(id),
                // Taken meanwhile by someone else: reported like any other field error.
                Err(AppError::Invalid(more)) => merge(&mut results[index].errors, more),
                Err(other) => return Err(other),
            }
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::parse_tier;
    use crate::domain::Tier;

    #[test]
    fn tiers_are_read_by_name_or_label_in_any_case() {
        assert_eq!(parse_tier("user"), Ok(Tier::User));
        assert_eq!(parse_tier(" Service account "), Ok(Tier::ServiceAccount));
        assert_eq!(parse_tier("TENANT_ADMIN"), Ok(Tier::TenantAdmin));
        assert!(parse_tier("boss").unwrap_err().starts_with("Use one of"));
    }
}
