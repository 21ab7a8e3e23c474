//! Reading the audit trail (SPEC §8): newest first, filtered, keyset-paginated, and scoped —
//! platform administrators read every record, tenant administrators their tenant's.

use crate::access::{may_view_audit, Refusal};
use crate::audit_log::*;
use crate::backend::request::Request;
use crate::backend::services::directory::{Bind, Conditions};
use crate::backend::store::db::internal;
use crate::domain::Tier;
use crate::error::{AppError, FieldErrors};
use sqlx::Row;

/// Longest prefix searched for an actor or target name.
const MAX_NAME_CHARS: usize = 100;

fn parse_json(text: Option<String>) -> Option<serde_json::Map<String, serde_json::Value>> {
    text.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| match v {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
}

/// The fields of a before/after pair that differ (or appear in only one), in name order.
pub fn changes(
    before: Option<&serde_json::Map<String, serde_json::Value>>,
    after: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Vec<(String, Option<String>, Option<String>)> {
    let mut names: Vec<&String> = before
        .iter()
        .flat_map(|m| m.keys())
        .chain(after.iter().flat_map(|m| m.keys()))
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let b = before.and_then(|m| m.get(name));
            let a = after.and_then(|m| m.get(name));
            (b != a).then(|| {
                (
                    name.clone(),
                    b.map(|v| v.to_string()),
                    a.map(|v| v.to_string()),
                )
            })
        })
        .collect()
}

/// One page of the records the actor may read, as `query` filters them.
pub async fn list(req: &Request, query: &AuditQuery) -> Result<AuditPage, AppError> {
    let actor = req.actor();
    may_view_audit(actor).into_result()?;
    let mut errors = FieldErrors::new();
    let from = match query.from.trim() {
        "" => None,
        day => {
            let start = day_start(day);
            if start.is_none() {
                errors.add("from", "Enter a date as YYYY-MM-DD.");
            }
            start
        }
    };
    let to = match query.to.trim() {
        "" => None,
        day => {
            let end = day_start(day).map(|start| start + 86_400);
            if end.is_none() {
                errors.add("to", "Enter a date as YYYY-MM-DD.");
            }
            end
        }
    };
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            errors.add("to", "The end date comes before the start date.");
        }
    }
    errors.into_result()?;

    let mut c = Conditions::default();
    // Tenant administrators read their own tenant's records only.
    if actor.tier != Tier::PlatformAdmin {
        let Some(tenant) = actor.tenant_id else {
            return Err(AppError::Forbidden(Refusal::TenantMismatch));
        };
        let p = c.param(Bind::Int(tenant.0));
        c.push(format!("e.tenant_id = {p}"));
    }
    for (column, value) in [
        ("e.actor_username", &query.actor),
        ("e.target_label", &query.target),
    ] {
        let value: String = value
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_NAME_CHARS)
            .collect();
        if value.is_empty() {
            continue;
        }
        let low = c.param(Bind::Text(value.clone()));
        let high = c.param(Bind::Text(format!("{value}\u{10FFFF}")));
        c.push(format!(
            "lower({column}) >= {low} and lower({column}) < {high}"
        ));
    }
    if !query.action.is_empty() {
        let p = c.param(Bind::Text(query.action.clone()));
        c.push(format!("e.action = {p}"));
    }
    if let Some(from) = from {
        let p = c.param(Bind::Int(from));
        c.push(format!("e.occurred_at >= {p}"));
    }
    if let Some(to) = to {
        let p = c.param(Bind::Int(to));
        c.push(format!("e.occurred_at < {p}"));
    }
    if let Some((at, id)) = query.cursor {
        let at = c.param(Bind::Int(at));
        let id = c.param(Bind::Int(id));
        c.push(format!(
            "e.occurred_at <= {at} and (e.occurred_at < {at} or e.audit_event_id < {id})"
        ));
    }
    let limit = c.param(Bind::Int(AUDIT_PAGE_SIZE as i64 + 1));
    let sql = format!(
        "select e.audit_event_id, e.occurred_at, t.name as tenant_name, e.actor_username, \
         e.actor_tier, e.action, e.target_kind, e.target_label, e.before_json, e.after_json, \
         e.client_address, e.outcome, e.reason, e.suppressed_before \
         from audit_events e left join tenants t on t.tenant_id = e.tenant_id {} \
         order by e.occurred_at desc, e.audit_event_id desc limit {limit}",
        c.where_clause()
    );
    let rows = c
        .query(&sql)
        .fetch_all(req.db().pool())
        .await
        .map_err(internal("list audit records"))?;
    let more = rows.len() > AUDIT_PAGE_SIZE;
    let mut entries = Vec::with_capacity(AUDIT_PAGE_SIZE);
    for row in rows.iter().take(AUDIT_PAGE_SIZE) {
        let decode = || -> Result<AuditEntry, sqlx::Error> {
            let tier: Option<String> = row.try_get("actor_tier")?;
            let before = parse_json(row.try_get("before_json")?);
            let after = parse_json(row.try_get("after_json")?);
            Ok(AuditEntry {
                id: row.try_get("audit_event_id")?,
                occurred_at: row.try_get("occurred_at")?,
                tenant_name: row.try_get("tenant_name")?,
                actor_username: row.try_get("actor_username")?,
                actor_tier: tier.as_deref().and_then(Tier::from_db),
                action: row.try_get("action")?,
                target_kind: row.try_get("target_kind")?,
                target_label: row.try_get("target_label")?,
                changes: changes(before.as_ref(), after.as_ref()),
                client: row.try_get("client_address")?,
                outcome: row.try_get("outcome")?,
                reason: row.try_get("reason")?,
                suppressed_before: row.try_get("suppressed_before")?,
            })
        };
        entries.push(decode().map_err(internal("decode audit record"))?);
    }
    let next = more
        .then(|| entries.last().map(|e| (e.occurred_at, e.id)))
        .flatten();
    Ok(AuditPage { entries, next })
}

#[cfg(test)]
mod tests {
    use super::changes;
    use crate::audit_log::ACTIONS;
    use crate::backend::store::audit::AuditAction;

    #[test]
    fn changes_list_only_what_differs() {
        let before =
            serde_json::json!({ "email": "a@x.io", "full_name": "Ann", "status": "active" });
        let after = serde_json::json!({ "email": "b@x.io", "full_name": "Ann", "enabled": false });
        assert_eq!(
            changes(before.as_object(), after.as_object()),
            vec![
                (
                    "email".into(),
                    Some("\"a@x.io\"".into()),
                    Some("\"b@x.io\"".into())
                ),
                ("enabled".into(), None, Some("false".into())),
                ("status".into(), Some("\"active\"".into()), None),
            ]
        );
    }

    #[test]
    fn the_page_knows_every_action_the_server_writes() {
        let written: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        let listed: Vec<&str> = ACTIONS.iter().map(|(code, _)| *code).collect();
        assert_eq!(written, listed);
    }
}
