//! Reading the audit trail (SPEC §8): newest first, filtered, keyset-paginated, and scoped —
//! platform administrators read every record, tenant administrators their tenant's. The same
//! query serves the Audit page, the REST API's pages, and exports (CSV and JSON Lines, read
//! in batches so that they stream).

use crate::access::{may_export_audit, may_view_audit, Refusal};
use crate::audit_log::*;
use crate::backend::request::Request;
use crate::backend::services::directory::{Bind, Conditions};
use crate::backend::services::refusals::{self, Refused};
use crate::backend::store::audit::{self, AuditAction, AuditEvent, Outcome};
use crate::backend::store::db::internal;
use crate::domain::Tier;
use crate::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};
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

/// One page of the records the actor may read, as `query` filters them. Needs
/// `Audit log: View` ([`may_view_audit`]).
pub async fn list(req: &Request, query: &AuditQuery) -> Result<AuditPage, AppError> {
    may_view_audit(req.actor()).into_result()?;
    let (rows, next) = fetch(req, query, AUDIT_PAGE_SIZE).await?;
    let entries = rows.into_iter().map(Stored::into_entry).collect();
    Ok(AuditPage { entries, next })
}

/// Up to `limit` records (newest first, from `query.cursor` on) the actor may read, as the
/// trail holds them (before and after whole), and the cursor of the next batch. Needs
/// `Audit log: View`; the REST API's pages.
pub async fn records(
    req: &Request,
    query: &AuditQuery,
    limit: usize,
) -> Result<(Vec<AuditRecord>, Option<(i64, i64)>), AppError> {
    may_view_audit(req.actor()).into_result()?;
    let (rows, next) = fetch(req, query, limit).await?;
    Ok((rows.into_iter().map(Stored::into_record).collect(), next))
}

/// One batch of an export: [`EXPORT_BATCH`] records from `query.cursor` on, and the cursor
/// of the next batch (`None`: the export is complete). Needs `Audit log: Export`
/// ([`may_export_audit`]), checked on every batch. One database round trip per batch, so an
/// export of a million records never holds more than one batch in memory.
pub async fn export_batch(
    req: &Request,
    query: &AuditQuery,
) -> Result<(Vec<AuditRecord>, Option<(i64, i64)>), AppError> {
    may_export_audit(req.actor()).into_result()?;
    let (rows, next) = fetch(req, query, EXPORT_BATCH).await?;
    Ok((rows.into_iter().map(Stored::into_record).collect(), next))
}

/// The start of an export of the records `query` filters (its cursor ignored): authorizes
/// ([`authorize_export`]: a refusal is recorded and answered with its reason), checks the
/// filters, reads the first batch, then records the export itself (`audit.export`, with the
/// format, the filters and the interface in its "after"). The first batch is read before the
/// record is written, and later batches continue below it, so an export never contains its
/// own record or anything newer than its start. Answers the first batch and the query of the
/// next one; nothing is exported when the record cannot be written.
pub async fn begin_export(
    req: &Request,
    query: &AuditQuery,
    format: ExportFormat,
    via: &str,
) -> Result<(Vec<AuditRecord>, Option<AuditQuery>), AppError> {
    authorize_export(req, via).await?;
    let query = AuditQuery {
        cursor: None,
        ..query.clone()
    };
    let (first, next) = export_batch(req, &query).await?;
    let mut event = AuditEvent::new(AuditAction::AuditExported, Outcome::Success);
    event.tenant_id = req.actor().tenant_id;
    event.actor = Some(req.snapshot());
    event.client = Some(req.client);
    event.after = Some(serde_json::json!({
        "format": format.as_str(),
        "filters": query.to_params(),
        "via": via,
    }));
    audit::record(req.db().pool(), &event, req.now).await?;
    let next = next.map(|cursor| AuditQuery {
        cursor: Some(cursor),
        ..query
    });
    Ok((first, next))
}

/// May the caller export the trail ([`may_export_audit`])? A refusal is recorded in the trail
/// (`audit.export`, outcome `refused`, with its reason and `via`: `console` or `api`) and
/// answered `Forbidden` with its reason. Interfaces call it before reading their input.
pub async fn authorize_export(req: &Request, via: &str) -> Result<(), AppError> {
    match may_export_audit(req.actor()).into_result() {
        Ok(_) => Ok(()),
        Err(refusal) => Err(refusals::record(
            req,
            AuditAction::AuditExported,
            Refused::forbidden(refusal).attempting(serde_json::json!({ "via": via })),
        )
        .await),
    }
}

/// Records per database round trip of an export.
pub const EXPORT_BATCH: usize = 1_000;

/// The `where` conditions of `query` for the actor: its scope (a tenant administrator's own
/// tenant; every tenant for a platform administrator), the filters and the cursor. Bad dates
/// are field errors.
fn conditions(req: &Request, query: &AuditQuery) -> Result<Conditions, AppError> {
    let actor = req.actor();
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
    Ok(c)
}

/// A record as stored, before/after parsed.
struct Stored {
    id: i64,
    occurred_at: i64,
    tenant_name: Option<String>,
    actor_username: Option<String>,
    actor_tier: Option<Tier>,
    action: String,
    target_kind: Option<String>,
    target_label: Option<String>,
    before: Option<serde_json::Map<String, serde_json::Value>>,
    after: Option<serde_json::Map<String, serde_json::Value>>,
    client: Option<String>,
    outcome: String,
    reason: Option<String>,
    suppressed_before: Option<i64>,
}

impl Stored {
    fn into_entry(self) -> AuditEntry {
        AuditEntry {
            changes: changes(self.before.as_ref(), self.after.as_ref()),
            id: self.id,
            occurred_at: self.occurred_at,
            tenant_name: self.tenant_name,
            actor_username: self.actor_username,
            actor_tier: self.actor_tier,
            action: self.action,
            target_kind: self.target_kind,
            target_label: self.target_label,
            client: self.client,
            outcome: self.outcome,
            reason: self.reason,
            suppressed_before: self.suppressed_before,
        }
    }

    fn into_record(self) -> AuditRecord {
        AuditRecord {
            id: self.id,
            occurred_at: rfc3339(self.occurred_at),
            tenant_name: self.tenant_name,
            actor_username: self.actor_username,
            actor_tier: self.actor_tier.map(|t| t.as_str().to_owned()),
            action: self.action,
            target_kind: self.target_kind,
            target_label: self.target_label,
            outcome: self.outcome,
            reason: self.reason,
            suppressed_before: self.suppressed_before,
            client: self.client,
            before: self.before,
            after: self.after,
        }
    }
}

/// Up to `limit` records of `query` for the actor, newest first, and the cursor after the
/// last one when more follow. The caller has authorized.
async fn fetch(
    req: &Request,
    query: &AuditQuery,
    limit: usize,
) -> Result<(Vec<Stored>, Option<(i64, i64)>), AppError> {
    let mut c = conditions(req, query)?;
    let limit_param = c.param(Bind::Int(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1));
    let sql = format!(
        "select e.audit_event_id, e.occurred_at, t.name as tenant_name, e.actor_username, \
         e.actor_tier, e.action, e.target_kind, e.target_label, e.before_json, e.after_json, \
         e.client_address, e.outcome, e.reason, e.suppressed_before \
         from audit_events e left join tenants t on t.tenant_id = e.tenant_id {} \
         order by e.occurred_at desc, e.audit_event_id desc limit {limit_param}",
        c.where_clause()
    );
    let rows = c
        .query(&sql)
        .fetch_all(req.db().pool())
        .await
        .map_err(internal("list audit records"))?;
    let more = rows.len() > limit;
    let mut records = Vec::with_capacity(rows.len().min(limit));
    for row in rows.iter().take(limit) {
        let decode = || -> Result<Stored, sqlx::Error> {
            let tier: Option<String> = row.try_get("actor_tier")?;
            Ok(Stored {
                id: row.try_get("audit_event_id")?,
                occurred_at: row.try_get("occurred_at")?,
                tenant_name: row.try_get("tenant_name")?,
                actor_username: row.try_get("actor_username")?,
                actor_tier: tier.as_deref().and_then(Tier::from_db),
                action: row.try_get("action")?,
                target_kind: row.try_get("target_kind")?,
                target_label: row.try_get("target_label")?,
                before: parse_json(row.try_get("before_json")?),
                after: parse_json(row.try_get("after_json")?),
                client: row.try_get("client_address")?,
                outcome: row.try_get("outcome")?,
                reason: row.try_get("reason")?,
                suppressed_before: row.try_get("suppressed_before")?,
            })
        };
        records.push(decode().map_err(internal("decode audit record"))?);
    }
    let next = more
        .then(|| records.last().map(|e| (e.occurred_at, e.id)))
        .flatten();
    Ok((records, next))
}

/// A Unix time as RFC 3339 in UTC, e.g. `2026-11-22T01:02:03Z`.
pub fn rfc3339(unix_secs: i64) -> String {
    format!("{}Z", format_time(unix_secs).replacen(' ', "T", 1))
}

/// One record as an export and the REST API give it: every field under a stable name,
/// before and after as JSON objects. Records hold no secret (no password, code or token is
/// ever written to the trail), so neither does this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    /// The tenant the record belongs to; `None` for platform-wide records.
    pub tenant_name: Option<String>,
    pub actor_username: Option<String>,
    /// `platform_admin`, `tenant_admin`, `user` or `service_account`.
    pub actor_tier: Option<String>,
    /// An action code (see [`ACTIONS`]).
    pub action: String,
    /// `account`, `tenant`, `role` or `scope`.
    pub target_kind: Option<String>,
    pub target_label: Option<String>,
    /// `success`, `failure` or `refused`.
    pub outcome: String,
    /// A stable reason code (a refusal's [`Refusal::code`], or a sign-in reason).
    pub reason: Option<String>,
    /// How many refusals like this one were left out of the trail just before it.
    pub suppressed_before: Option<i64>,
    pub client: Option<String>,
    /// The target's fields before the change (absent for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Map<String, serde_json::Value>>,
    /// The target's fields after the change (absent for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The formats an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180, a header row of [`CSV_COLUMNS`], CRLF line ends, spreadsheet formulas
    /// neutralised (see [`crate::csv::guard`]).
    Csv,
    /// One [`AuditRecord`] as a JSON object per line (`application/jsonl`).
    JsonLines,
}

impl ExportFormat {
    /// `csv` or `jsonl`: a query parameter's value, and the file name's extension.
    pub fn parse(value: &str) -> Option<ExportFormat> {
        match value {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" => Some(ExportFormat::JsonLines),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    /// The download's file name for an export made at `now`, e.g.
    /// `warden-audit-2026-11-30.csv`.
    pub fn filename(self, now: i64) -> String {
        format!(
            "warden-audit-{}.{}",
            crate::pages::format_date(now),
            self.as_str()
        )
    }

    /// What comes before the first record: the header row for CSV.
    pub fn head(self) -> String {
        match self {
            ExportFormat::Csv => crate::csv::write_record(&CSV_COLUMNS),
            ExportFormat::JsonLines => String::new(),
        }
    }

    /// `records`, written one after another.
    pub fn write(self, records: &[AuditRecord]) -> String {
        let mut out = String::new();
        for record in records {
            match self {
                ExportFormat::Csv => out.push_str(&crate::csv::write_record(&csv_values(record))),
                ExportFormat::JsonLines => {
                    // A struct of strings, numbers and JSON maps always serializes.
                    if let Ok(line) = serde_json::to_string(record) {
                        out.push_str(&line);
                        out.push('\n');
                    }
                }
            }
        }
        out
    }
}

/// The columns of a CSV export, named as [`AuditRecord`]'s fields.
pub const CSV_COLUMNS: [&str; 14] = [
    "id",
    "occurred_at",
    "tenant_name",
    "actor_username",
    "actor_tier",
    "action",
    "target_kind",
    "target_label",
    "outcome",
    "reason",
    "suppressed_before",
    "client",
    "before",
    "after",
];

/// A record's values in [`CSV_COLUMNS`] order: empty for none, before and after as compact
/// JSON.
fn csv_values(r: &AuditRecord) -> [String; 14] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let json = |v: &Option<serde_json::Map<String, serde_json::Value>>| {
        v.as_ref()
            .map(|m| serde_json::Value::Object(m.clone()).to_string())
            .unwrap_or_default()
    };
    [
        r.id.to_string(),
        r.occurred_at.clone(),
        text(&r.tenant_name),
        text(&r.actor_username),
        text(&r.actor_tier),
        r.action.clone(),
        text(&r.target_kind),
        text(&r.target_label),
        r.outcome.clone(),
        text(&r.reason),
        r.suppressed_before
            .map(|n| n.to_string())
            .unwrap_or_default(),
        text(&r.client),
        json(&r.before),
        json(&r.after),
    ]
}

#[cfg(test)]
mod tests {
    use super::{changes, rfc3339, AuditRecord, ExportFormat, CSV_COLUMNS};
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

    fn record() -> AuditRecord {
        AuditRecord {
            id: 7,
            occurred_at: rfc3339(1_795_305_600 + 3_723),
            tenant_name: Some("Acme, Inc.".into()),
            actor_username: Some("ada".into()),
            actor_tier: Some("tenant_admin".into()),
            action: "account.update".into(),
            target_kind: Some("account".into()),
            target_label: Some("=HYPERLINK(\"http://x\")".into()),
            outcome: "success".into(),
            reason: None,
            suppressed_before: None,
            client: Some("127.0.0.1".into()),
            before: serde_json::json!({ "full_name": "Ann" })
                .as_object()
                .cloned(),
            after: serde_json::json!({ "full_name": "+Ann \"the\" 2nd" })
                .as_object()
                .cloned(),
        }
    }

    #[test]
    fn csv_has_a_header_quotes_per_rfc_4180_and_neutralises_formulas() {
        let text = ExportFormat::Csv.head() + &ExportFormat::Csv.write(&[record()]);
        let rows = crate::csv::parse_records(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1, CSV_COLUMNS);
        let row = &rows[1].1;
        assert_eq!(row.len(), CSV_COLUMNS.len());
        assert_eq!(row[1], "2026-11-22T01:02:03Z");
        assert_eq!(row[2], "Acme, Inc.");
        assert_eq!(row[7], "'=HYPERLINK(\"http://x\")", "a formula never runs");
        assert_eq!(row[9], "", "no reason");
        assert_eq!(row[12], r#"{"full_name":"Ann"}"#);
        assert_eq!(row[13], r#"{"full_name":"+Ann \"the\" 2nd"}"#);
        assert!(text.ends_with("\r\n"));
        for dangerous in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"] {
            let mut r = record();
            r.actor_username = Some(dangerous.into());
            let line = ExportFormat::Csv.write(&[r]);
            let row = &crate::csv::parse_records(&line).unwrap()[0].1;
            assert_eq!(row[3], format!("'{dangerous}"), "{dangerous:?}");
        }
    }

    #[test]
    fn json_lines_are_one_object_per_record_with_stable_names() {
        let text = ExportFormat::JsonLines.write(&[record(), record()]);
        assert_eq!(ExportFormat::JsonLines.head(), "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let value: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        let mut names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        names.sort();
        let mut columns = CSV_COLUMNS.to_vec();
        columns.sort();
        assert_eq!(names, columns, "the same names as the CSV columns");
        assert_eq!(value["before"]["full_name"], "Ann", "before is an object");
        assert_eq!(
            value["after"]["full_name"], "+Ann \"the\" 2nd",
            "JSON is not guarded"
        );
        assert_eq!(value["occurred_at"], "2026-11-22T01:02:03Z");
        assert!(value["reason"].is_null());
        let back: AuditRecord = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(back, record());
    }

    #[test]
    fn formats_are_named_by_their_extension() {
        for format in [ExportFormat::Csv, ExportFormat::JsonLines] {
            assert_eq!(ExportFormat::parse(format.as_str()), Some(format));
        }
        assert_eq!(ExportFormat::parse("xlsx"), None);
        assert_eq!(
            ExportFormat::JsonLines.filename(1_795_305_600),
            "warden-audit-2026-11-22.jsonl"
        );
    }

    #[test]
    fn the_page_knows_every_action_the_server_writes() {
        let written: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        let listed: Vec<&str> = ACTIONS.iter().map(|(code, _)| *code).collect();
        assert_eq!(written, listed);
    }
}
