//! Tenant rows read by other parts (the password policy of a tenant's accounts).

use crate::backend::store::db::{internal, Db};
use crate::domain::{PasswordPolicy, PasswordPreset, TenantId};
use crate::error::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;

/// The password policy of accounts in `tenant` (SPEC §2.3) and the tenant's name (a context
/// word of the guessable-password check); for `None` (platform administrators), the platform
/// policy and no name. A tenant that does not exist answers "not found".
pub async fn password_rules(
    db: &Db,
    tenant: Option<TenantId>,
) -> Result<(PasswordPolicy, Option<String>), AppError> {
    let Some(id) = tenant else {
        return Ok((PasswordPolicy::platform(), None));
    };
    // Only the three columns: this runs for every row of an import, and `find` counts the
    // tenant's accounts.
    let row = sqlx::query(
        "select name, password_policy, password_refuse_guessable from tenants \
         where tenant_id = $1",
    )
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read password policy"))?
    .ok_or(AppError::NotFound)?;
    let read = |row: &AnyRow| -> Result<(PasswordPolicy, Option<String>), sqlx::Error> {
        let preset: String = row.try_get("password_policy")?;
        let preset = PasswordPreset::parse(&preset).map_err(|e| sqlx::Error::Decode(e.into()))?;
        let guessable = row.try_get::<String, _>("password_refuse_guessable")? == "on";
        Ok((preset.policy(guessable), Some(row.try_get("name")?)))
    };
    read(&row).map_err(internal("decode password policy"))
}
