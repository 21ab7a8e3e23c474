//! Validated domain types (SPEC §2.1). Each `parse` returns the typed value or one
//! human-readable message for the field; forms and server functions call the same
//! functions, so they can never disagree about a rule.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_newtype!(
    /// The key of an account of any tier.
    AccountId
);
id_newtype!(
    /// The key of a tenant (client organisation).
    TenantId
);
id_newtype!(
    /// The key of a role (SPEC §3.3), built-in or custom; every role belongs to one tenant.
    RoleId
);
id_newtype!(
    /// The key of a scope (SPEC §3.5): a group of a tenant's data, such as a workspace.
    ScopeId
);

/// The tier of an account (SPEC §1), chosen at creation and never changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    PlatformAdmin,
    TenantAdmin,
    User,
    ServiceAccount,
}

impl Tier {
    pub const ALL: [Tier; 4] = [
        Tier::PlatformAdmin,
        Tier::TenantAdmin,
        Tier::User,
        Tier::ServiceAccount,
    ];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::PlatformAdmin => "platform_admin",
            Tier::TenantAdmin => "tenant_admin",
            Tier::User => "user",
            Tier::ServiceAccount => "service_account",
        }
    }

    pub fn from_db(value: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// Parses a submitted tier.
    pub fn parse(value: &str) -> Result<Tier, String> {
        Tier::from_db(value.trim()).ok_or_else(|| "Choose an account type.".to_owned())
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Tier::PlatformAdmin => "Platform administrator",
            Tier::TenantAdmin => "Tenant administrator",
            Tier::User => "User",
            Tier::ServiceAccount => "Service account",
        }
    }

    /// Plural, for sentences like "You may manage users".
    pub fn plural_label(self) -> &'static str {
        match self {
            Tier::PlatformAdmin => "platform administrators",
            Tier::TenantAdmin => "tenant administrators",
            Tier::User => "users",
            Tier::ServiceAccount => "service accounts",
        }
    }

    /// Whether accounts of this tier belong to a tenant (all but platform administrators).
    pub fn lives_in_tenant(self) -> bool {
        self != Tier::PlatformAdmin
    }

    /// Service accounts use the REST API only; everyone else uses the browser console.
    pub fn may_use_console(self) -> bool {
        self != Tier::ServiceAccount
    }
}

/// The stored status of an account (SPEC §2.2). "Expired" is not stored: it follows from
/// the expiration date, see [`effective_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountStatus {
    Invited,
    MustChangePassword,
    Active,
    Disabled,
    Expired,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Invited => "invited",
            AccountStatus::MustChangePassword => "must_change_password",
            AccountStatus::Active => "active",
            AccountStatus::Disabled => "disabled",
            AccountStatus::Expired => "expired",
        }
    }

    pub fn from_db(value: &str) -> Option<AccountStatus> {
        [
            AccountStatus::Invited,
            AccountStatus::MustChangePassword,
            AccountStatus::Active,
            AccountStatus::Disabled,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Invited => "Invited",
            AccountStatus::MustChangePassword => "Must change password",
            AccountStatus::Active => "Active",
            AccountStatus::Disabled => "Disabled",
            AccountStatus::Expired => "Expired",
        }
    }
}

/// The status a person sees: a stored status, unless the expiration date has passed.
/// `expires_at` and `now` are Unix seconds; `None` means "never expires".
pub fn effective_status(stored: AccountStatus, expires_at: Option<i64>, now: i64) -> AccountStatus {
    match expires_at {
        Some(at) if at <= now && stored != AccountStatus::Disabled => AccountStatus::Expired,
        _ => stored,
    }
}

/// A tenant's multi-factor authentication policy (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaPolicy {
    Off,
    Optional,
    Required,
}

impl MfaPolicy {
    pub const ALL: [MfaPolicy; 3] = [MfaPolicy::Off, MfaPolicy::Optional, MfaPolicy::Required];

    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Off => "off",
            MfaPolicy::Optional => "optional",
            MfaPolicy::Required => "required",
        }
    }

    /// Parses the stored (and submitted) form.
    pub fn parse(value: &str) -> Result<Self, String> {
        MfaPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| "Choose off, optional or required.".to_owned())
    }

    pub fn label(self) -> &'static str {
        match self {
            MfaPolicy::Off => "Off",
            MfaPolicy::Optional => "Optional",
            MfaPolicy::Required => "Required",
        }
    }
}

/// A tenant's name: 1–100 characters, unique across the platform (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Enter a name for the tenant.".into());
        }
        let len = value.chars().count();
        if len > 100 {
            return Err(format!("Use at most 100 characters (this has {len})."));
        }
        if value.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(TenantName(value.to_owned()))
    }
}

impl AsRef<str> for TenantName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The name of a role or a scope: unique in its tenant (case-insensitive), 1–60 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortName(String);

impl ShortName {
    /// `what` names the thing in the message: "role", "scope".
    pub fn parse(input: &str, what: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err(format!("Enter a name for the {what}."));
        }
        let len = value.chars().count();
        if len > 60 {
            return Err(format!("Use at most 60 characters (this has {len})."));
        }
        if value.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(ShortName(value.to_owned()))
    }
}

impl AsRef<str> for ShortName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A free-text description: at most 500 characters, trimmed.
pub fn parse_description(input: &str) -> Result<String, String> {
    let value = input.trim();
    let len = value.chars().count();
    if len > 500 {
        return Err(format!("Use at most 500 characters (this has {len})."));
    }
    Ok(value.to_owned())
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A login ID: unique across the platform (case-insensitive), never changed after creation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    /// 6–50 characters of `A–Z a–z 0–9 _`.
    pub fn parse(input: &str) -> Result<Self, String> {
        Self::parse_with_min(input, 6)
    }

    /// 3–50 characters: the rule for accounts provisioned by single sign-on.
    pub fn parse_provisioned(input: &str) -> Result<Self, String> {
        Self::parse_with_min(input, 3)
    }

    fn parse_with_min(input: &str, min: usize) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Enter a username.".into());
        }
        if !value.chars().all(is_username_char) {
            return Err("Use only letters A–Z, digits 0–9 and underscores (_).".into());
        }
        let len = value.chars().count();
        if len < min || len > 50 {
            return Err(format!("Use {min} to 50 characters (this has {len})."));
        }
        Ok(Username(value.to_owned()))
    }

    /// The case-insensitive form used for uniqueness and look-ups.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

const EMAIL_FORBIDDEN: &[char] = &['\\', '(', ')', '[', ']', ':', ';', '"', '<', '>'];

/// An email address: unique across all accounts, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Enter an email address.".into());
        }
        let len = value.chars().count();
        if len > 100 {
            return Err(format!("Use at most 100 characters (this has {len})."));
        }
        if value.chars().any(char::is_whitespace) {
            return Err("An email address cannot contain spaces.".into());
        }
        if let Some(c) = value.chars().find(|c| EMAIL_FORBIDDEN.contains(c)) {
            return Err(format!("An email address cannot contain the character {c}"));
        }
        if value.starts_with('.') {
            return Err("An email address cannot start with a dot.".into());
        }
        if value.contains("..") {
            return Err("An email address cannot contain two dots in a row (..).".into());
        }
        if value.contains("@@") {
            return Err("An email address cannot contain @@.".into());
        }
        let invalid = || "Enter a valid email address, like name@example.com.".to_owned();
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.ends_with('.') || domain.contains('@') {
            return Err(invalid());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.chars().count() >= 2 && t.chars().all(char::is_alphabetic));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(invalid());
        }
        Ok(Email(value.to_owned()))
    }

    /// The case-insensitive form used for uniqueness: [`email_key`].
    pub fn key(&self) -> String {
        email_key(&self.0)
    }
}

/// The form of an email address that uniqueness compares (SPEC §2.1: unique across all
/// accounts): Unicode lower case, so `ÉMILE@x.example` and `émile@x.example` are one address.
/// Warden computes it and stores it beside the address (`accounts.email_key`, unique), so
/// that both databases apply exactly this rule.
pub fn email_key(address: &str) -> String {
    address.trim().to_lowercase()
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A person's full name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullName(String);

impl FullName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Enter a full name.".into());
        }
        let len = value.chars().count();
        if len > 100 {
            return Err(format!("Use at most 100 characters (this has {len})."));
        }
        if value.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(FullName(value.to_owned()))
    }
}

impl AsRef<str> for FullName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An optional free-text field: empty means none; at most `max` characters.
pub fn parse_optional_text(input: &str, max: usize) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let len = value.chars().count();
    if len > max {
        return Err(format!("Use at most {max} characters (this has {len})."));
    }
    if value.chars().any(char::is_control) {
        return Err("This cannot contain control characters.".into());
    }
    Ok(Some(value.to_owned()))
}

/// An optional reference into another system: letters and digits only, at most `max`.
pub fn parse_reference(input: &str, max: usize) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("Use only letters and digits.".into());
    }
    let len = value.chars().count();
    if len > max {
        return Err(format!("Use at most {max} characters (this has {len})."));
    }
    Ok(Some(value.to_owned()))
}

/// An optional country calling code, stored as `+<1–3 digits>` (e.g. `+44`).
pub fn parse_country_code(input: &str) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.is_empty()
        || digits.len() > 3
        || !digits.chars().all(|c| c.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err("Enter a country calling code such as +1 or +44.".into());
    }
    Ok(Some(format!("+{digits}")))
}

/// An optional phone number, as people type it: digits, grouped by spaces, dashes, dots or
/// brackets, optionally in international form with a leading `+` (`+1 555 0100`); 4–15
/// digits (E.164's most). Stored normalised: the digits alone, after a `+` if one led
/// (`+15550100`, `02079460018`). The form and the server run this same function.
pub fn parse_phone(input: &str) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let (plus, rest) = match value.strip_prefix('+') {
        Some(rest) => ("+", rest.trim_start()),
        None => ("", value),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()".contains(c))
    {
        return Err("Use digits, spaces and - . ( ) only, and + only at the start.".into());
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let count = digits.len();
    if !(4..=15).contains(&count) {
        return Err(format!(
            "A phone number has 4 to 15 digits (this has {count})."
        ));
    }
    Ok(Some(format!("{plus}{digits}")))
}

/// A parsed phone number together with the parsed country code: a number in international
/// form (`+…`) must start with that code, which is then taken off it, so that it is stored
/// once (country `+1`, phone `+1 555 0100` → phone `5550100`). Without a country code, the
/// international number is kept whole.
pub fn phone_with_country(
    country_code: Option<&str>,
    phone: Option<String>,
) -> Result<Option<String>, String> {
    match (country_code, phone) {
        (Some(code), Some(phone)) if phone.starts_with('+') => phone
            .strip_prefix(code)
            .filter(|national| national.len() >= 4)
            .map(|national| Some(national.to_owned()))
            .ok_or_else(|| {
                format!(
                    "This number does not start with the country code {code}: correct one of them, or leave the country code empty."
                )
            }),
        (_, phone) => Ok(phone),
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A Unix time as a UTC date, e.g. `2026-11-22`.
pub fn format_date(unix_secs: i64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm): no date library in the WASM bundle.
    let days = unix_secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The last day an account with this expiration time may sign in: expiration happens at
/// the midnight (UTC) that ends the chosen day.
pub fn last_valid_day(expires_at: i64) -> String {
    format_date(expires_at - 1)
}

/// The expiration choice: empty or `never` means never; otherwise a date `YYYY-MM-DD`,
/// after which the account cannot sign in. Returns the first second it is expired (the
/// following midnight, UTC), which must be in the future.
pub fn parse_expiration(input: &str, now: i64) -> Result<Option<i64>, String> {
    let value = input.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let bad = || "Enter a date as YYYY-MM-DD, or choose “never expires”.".to_owned();
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>())
    else {
        return Err(bad());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if y.len() != 4
        || !(1..=12).contains(&month)
        || day < 1
        || day > month_days[(month - 1) as usize]
    {
        return Err(bad());
    }
    let expires_at = (days_from_civil(year, month, day) + 1) * 86_400;
    if expires_at <= now {
        return Err("Choose a date in the future.".into());
    }
    Ok(Some(expires_at))
}

/// The special characters that count towards the "digit or special character" rule.
pub const PASSWORD_SPECIALS: &str = "!@#$%^&*()_-+=,.";

/// A tenant's choice of password policy (SPEC §2.3), stored in `tenants.password_policy`.
/// Each preset fixes the lengths and whether composition rules apply; [`PasswordPreset::policy`]
/// turns it (with the tenant's guessable-password setting) into a [`PasswordPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum PasswordPreset {
    /// SPEC §2.1's policy, every tenant's until it chooses another: 8–30 characters with a
    /// lowercase and an uppercase letter and a digit or special character.
    #[default]
    Default,
    /// Longer, with the same composition rules: 12–64 characters.
    Strict,
    /// ASVS 5.0 V6.2: 15–128 characters, no composition rules, guessable passwords refused
    /// (always: this preset cannot turn the check off).
    Modern,
}

impl PasswordPreset {
    pub const ALL: [PasswordPreset; 3] = [
        PasswordPreset::Default,
        PasswordPreset::Strict,
        PasswordPreset::Modern,
    ];

    /// The stored (and submitted) form.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordPreset::Default => "default",
            PasswordPreset::Strict => "strict",
            PasswordPreset::Modern => "modern",
        }
    }

    /// Parses the stored (and submitted) form.
    pub fn parse(value: &str) -> Result<Self, String> {
        PasswordPreset::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| "Choose default, strict or modern.".to_owned())
    }

    pub fn label(self) -> &'static str {
        match self {
            PasswordPreset::Default => "Default (SPEC: 8–30, lower + upper + digit or special)",
            PasswordPreset::Strict => "Strict (12–64, lower + upper + digit or special)",
            PasswordPreset::Modern => "Modern (ASVS: 15–128, no composition rules)",
        }
    }

    /// Why a tenant would choose it, for the settings form.
    pub fn explanation(self) -> &'static str {
        match self {
            PasswordPreset::Default => {
                "Default: what every tenant had so far (SPEC §2.1), for compatibility with \
                 systems that cap passwords at 30 characters."
            }
            PasswordPreset::Strict => {
                "Strict: the same character rules, but at least 12 characters and up to 64, \
                 so password managers can generate long ones."
            }
            PasswordPreset::Modern => {
                "Modern (ASVS 5.0): at least 15 characters, up to 128, any characters (spaces \
                 welcome: passphrases), no required character kinds, and passwords that are \
                 common or built from the person's name, username, email or organisation are \
                 always refused."
            }
        }
    }

    /// The policy this preset sets. `refuse_guessable` is the tenant's setting for the
    /// guessable-password check; [`PasswordPreset::Modern`] always has it on.
    pub fn policy(self, refuse_guessable: bool) -> PasswordPolicy {
        let (min_len, max_len, composition) = match self {
            PasswordPreset::Default => (8, 30, true),
            PasswordPreset::Strict => (12, 64, true),
            PasswordPreset::Modern => (15, 128, false),
        };
        PasswordPolicy {
            min_len,
            max_len,
            composition,
            refuse_guessable: refuse_guessable || self == PasswordPreset::Modern,
            blocked: Vec::new(),
        }
    }
}

/// The longest password any policy accepts (ASVS 5.0 V6.2.9 asks for at least 64).
pub const PASSWORD_MAX_LEN: u32 = 128;

/// A password policy (SPEC §2.1, §2.3). The default is SPEC §2.1's: 8–30 characters with a
/// lowercase letter, an uppercase letter, and a digit or one of [`PASSWORD_SPECIALS`]; tenants
/// choose others through [`PasswordPreset`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_len: u32,
    pub max_len: u32,
    /// A lowercase letter, an uppercase letter, and a digit or one of [`PASSWORD_SPECIALS`]
    /// are required.
    pub composition: bool,
    /// Passwords that are easy to guess (common passwords, dictionary words, the person's
    /// own names) are refused. Checked on the server only (`backend::security::passwords`): the browser
    /// has no dictionaries, so [`Password::parse`] does not check it.
    pub refuse_guessable: bool,
    /// Common passwords refused whatever their shape, compared case-insensitively.
    pub blocked: Vec<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPreset::Default.policy(false)
    }
}

impl PasswordPolicy {
    /// The policy of platform administrators, who belong to no tenant: the default, and
    /// guessable passwords refused.
    pub fn platform() -> Self {
        PasswordPreset::Default.policy(true)
    }

    /// The rule in words, for a password field's hint.
    pub fn describe(&self) -> String {
        let mut text = format!("{}–{} characters", self.min_len, self.max_len);
        if self.composition {
            text.push_str(
                " with a lowercase letter, an uppercase letter, and a digit or one of \
                 ! @ # $ % ^ & * ( ) _ - + = , .",
            );
        } else {
            text.push_str(", any characters: a few unusual words make a good password.");
        }
        if self.refuse_guessable {
            text.push_str(
                " Common passwords and ones built from your name, username, email or \
                 organisation are refused.",
            );
        }
        text
    }
}

/// A new password that satisfies a policy. Never logged, never serialised back out.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// The password if it satisfies `policy`'s length, character and block-list rules, or a
    /// message for the field. The same function runs in the browser and on the server; the
    /// guessable-password check (`policy.refuse_guessable`) is the server's alone
    /// (`backend::security::passwords::parse_new_password`), which calls this first.
    pub fn parse(input: &str, policy: &PasswordPolicy) -> Result<Self, String> {
        if input.is_empty() {
            return Err("Enter a password.".into());
        }
        let len = input.chars().count();
        let (min, max) = (policy.min_len as usize, policy.max_len as usize);
        if len < min || len > max {
            return Err(format!("Use {min} to {max} characters (this has {len})."));
        }
        if input.chars().any(char::is_control) {
            return Err("A password cannot contain control characters.".into());
        }
        let mut missing = Vec::new();
        if policy.composition && !input.chars().any(|c| c.is_ascii_lowercase()) {
            missing.push("a lowercase letter");
        }
        if policy.composition && !input.chars().any(|c| c.is_ascii_uppercase()) {
            missing.push("an uppercase letter");
        }
        if policy.composition
            && !input
                .chars()
                .any(|c| c.is_ascii_digit() || PASSWORD_SPECIALS.contains(c))
        {
            missing.push("a digit or one of ! @ # $ % ^ & * ( ) _ - + = , .");
        }
        if !missing.is_empty() {
            return Err(format!("Include {}.", missing.join(", ")));
        }
        if policy.blocked.iter().any(|b| b.eq_ignore_ascii_case(input)) {
            return Err("This password is too common. Choose another.".into());
        }
        Ok(Password(input.to_owned()))
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A form field's rule, by name: what a server-rendered field carries to the browser so that
/// the same parse function the server runs checks the value as the person leaves the field
/// (a function cannot cross from the server's HTML to the WASM; its name can).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldRule {
    Username,
    Email,
    FullName,
    TenantName,
    /// A role's or a scope's name ("role", "scope").
    ShortName(String),
    Description,
    /// Optional free text of at most this many characters (a job title).
    OptionalText(usize),
    CountryCode,
    Phone,
    /// An optional reference (letters and digits) of at most this many characters.
    Reference(usize),
    /// A new password under this policy (without the guessable-password check, which only
    /// the server can run: its lists are megabytes).
    Password(PasswordPolicy),
}

impl FieldRule {
    pub fn check(&self, value: &str) -> Result<(), String> {
        match self {
            FieldRule::Username => Username::parse(value).map(drop),
            FieldRule::Email => Email::parse(value).map(drop),
            FieldRule::FullName => FullName::parse(value).map(drop),
            FieldRule::TenantName => TenantName::parse(value).map(drop),
            FieldRule::ShortName(what) => ShortName::parse(value, what).map(drop),
            FieldRule::Description => parse_description(value).map(drop),
            FieldRule::OptionalText(max) => parse_optional_text(value, *max).map(drop),
            FieldRule::CountryCode => parse_country_code(value).map(drop),
            FieldRule::Phone => parse_phone(value).map(drop),
            FieldRule::Reference(max) => parse_reference(value, *max).map(drop),
            FieldRule::Password(policy) => Password::parse(value, policy).map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_rule_gives_the_servers_own_answer() {
        let cases: [(FieldRule, &str, Result<(), String>); 6] = [
            (FieldRule::Username, "ab", Username::parse("ab").map(drop)),
            (
                FieldRule::Email,
                "a..b@x.example",
                Email::parse("a..b@x.example").map(drop),
            ),
            (
                FieldRule::ShortName("role".into()),
                "",
                ShortName::parse("", "role").map(drop),
            ),
            (
                FieldRule::Reference(60),
                "a b",
                parse_reference("a b", 60).map(drop),
            ),
            (
                FieldRule::Password(policy()),
                "short",
                Password::parse("short", &policy()).map(drop),
            ),
            (FieldRule::FullName, "Ada Lovelace", Ok(())),
        ];
        for (rule, value, expected) in cases {
            assert_eq!(rule.check(value), expected, "{rule:?} on {value:?}");
        }
        assert!(FieldRule::Username.check("ab").is_err());
    }

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    #[test]
    fn username_length_boundaries_are_six_and_fifty() {
        assert!(Username::parse(&"a".repeat(5)).is_err());
        assert!(Username::parse(&"a".repeat(6)).is_ok());
        assert!(Username::parse(&"a".repeat(50)).is_ok());
        assert!(Username::parse(&"a".repeat(51)).is_err());
    }

    #[test]
    fn provisioned_username_length_boundaries_are_three_and_fifty() {
        assert!(Username::parse_provisioned("ab").is_err());
        assert!(Username::parse_provisioned("abc").is_ok());
        assert!(Username::parse_provisioned(&"a".repeat(50)).is_ok());
        assert!(Username::parse_provisioned(&"a".repeat(51)).is_err());
    }

    #[test]
    fn username_accepts_letters_digits_and_underscore_only() {
        assert!(Username::parse("Alice_01").is_ok());
        for bad in [
            "alice-01", "alice.01", "alice 01", "alicé01", "alice@01", "ålice01",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn username_key_is_case_insensitive() {
        let a = Username::parse("Alice_01").unwrap();
        let b = Username::parse("ALICE_01").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_ref(), "Alice_01");
    }

    #[test]
    fn empty_username_asks_for_one() {
        assert_eq!(Username::parse("  ").unwrap_err(), "Enter a username.");
    }

    #[test]
    fn email_accepts_ordinary_addresses() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.co.uk",
            "x_y-z@ex-ample.org",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn email_length_boundary_is_one_hundred() {
        let at_limit = format!("{}@example.com", "a".repeat(100 - 12));
        assert_eq!(at_limit.len(), 100);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@example.com", "a".repeat(101 - 12));
        assert!(Email::parse(&over).is_err());
    }

    #[test]
    fn email_refuses_each_forbidden_character() {
        for c in ['\\', '(', ')', '[', ']', ':', ';', '"', '<', '>'] {
            let input = format!("ab{c}cd@example.com");
            let err = Email::parse(&input).unwrap_err();
            assert!(err.contains(c), "{input}: {err}");
        }
    }

    #[test]
    fn email_refuses_spaces_leading_dot_double_dot_and_double_at() {
        assert!(Email::parse("a b@example.com")
            .unwrap_err()
            .contains("spaces"));
        assert!(Email::parse(".ab@example.com")
            .unwrap_err()
            .contains("start with a dot"));
        assert!(Email::parse("a..b@example.com").unwrap_err().contains(".."));
        assert!(Email::parse("ab@@example.com").unwrap_err().contains("@@"));
    }

    #[test]
    fn email_refuses_malformed_addresses() {
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@example",
            "a@b@example.com",
            "a.@example.com",
            "a@-ex.com",
            "a@example.c0m",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn email_keys_fold_case_beyond_ascii() {
        let upper = Email::parse("ÉMILE.ØSTBY@Exämple.org").unwrap();
        let lower = Email::parse("émile.østby@exämple.org").unwrap();
        assert_eq!(upper.key(), lower.key());
        assert_eq!(upper.key(), "émile.østby@exämple.org");
        assert_eq!(email_key(" A@B.co "), "a@b.co");
    }

    #[test]
    fn full_name_length_boundaries_are_one_and_one_hundred() {
        assert!(FullName::parse("").is_err());
        assert!(FullName::parse("A").is_ok());
        assert!(FullName::parse(&"a".repeat(100)).is_ok());
        assert!(FullName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn password_length_boundaries_are_eight_and_thirty() {
        let make = |n: usize| format!("Aa1{}", "x".repeat(n - 3));
        assert!(Password::parse(&make(7), &policy()).is_err());
        assert!(Password::parse(&make(8), &policy()).is_ok());
        assert!(Password::parse(&make(30), &policy()).is_ok());
        assert!(Password::parse(&make(31), &policy()).is_err());
    }

    #[test]
    fn password_needs_lowercase_uppercase_and_digit_or_special() {
        assert!(Password::parse("ABCDEFG1", &policy())
            .unwrap_err()
            .contains("lowercase"));
        assert!(Password::parse("abcdefg1", &policy())
            .unwrap_err()
            .contains("uppercase"));
        assert!(Password::parse("Abcdefgh", &policy())
            .unwrap_err()
            .contains("digit"));
        assert!(Password::parse("Abcdefg1", &policy()).is_ok());
    }

    #[test]
    fn every_listed_special_character_satisfies_the_rule() {
        for c in PASSWORD_SPECIALS.chars() {
            let pw = format!("Abcdefg{c}");
            assert!(
                Password::parse(&pw, &policy()).is_ok(),
                "{pw} should be accepted"
            );
        }
        // A character outside the list does not count as "special".
        assert!(Password::parse("Abcdefg~", &policy()).is_err());
    }

    #[test]
    fn a_longer_policy_and_block_list_apply() {
        let custom = PasswordPolicy {
            min_len: 8,
            max_len: 64,
            blocked: vec!["Password1".into()],
            ..PasswordPolicy::default()
        };
        assert!(Password::parse(&format!("Aa1{}", "x".repeat(40)), &custom).is_ok());
        assert!(Password::parse("password1", &custom).is_err());
        assert!(Password::parse("pASSWORD1", &custom)
            .unwrap_err()
            .contains("too common"));
    }

    #[test]
    fn existing_tenants_keep_the_spec_default_policy() {
        assert_eq!(PasswordPreset::default(), PasswordPreset::Default);
        assert_eq!(
            PasswordPreset::Default.policy(false),
            PasswordPolicy::default()
        );
        let policy = PasswordPolicy::default();
        assert_eq!((policy.min_len, policy.max_len), (8, 30));
        assert!(policy.composition && !policy.refuse_guessable);
    }

    #[test]
    fn presets_round_trip_through_their_stored_form() {
        for p in PasswordPreset::ALL {
            assert_eq!(PasswordPreset::parse(p.as_str()), Ok(p));
        }
        assert!(PasswordPreset::parse("Modern").is_err());
        assert!(PasswordPreset::parse("").is_err());
    }

    #[test]
    fn the_strict_preset_needs_twelve_to_sixty_four_characters_with_composition() {
        let strict = PasswordPreset::Strict.policy(false);
        let make = |n: usize| format!("Aa1{}", "x".repeat(n - 3));
        assert!(Password::parse(&make(11), &strict).is_err());
        assert!(Password::parse(&make(12), &strict).is_ok());
        assert!(Password::parse(&make(64), &strict).is_ok());
        assert!(Password::parse(&make(65), &strict).is_err());
        assert!(Password::parse("abcdefghijklmnop", &strict)
            .unwrap_err()
            .contains("uppercase"));
        assert!(!strict.refuse_guessable);
        assert!(PasswordPreset::Strict.policy(true).refuse_guessable);
    }

    #[test]
    fn the_modern_preset_accepts_fifteen_to_128_characters_of_any_kind() {
        let modern = PasswordPreset::Modern.policy(false);
        assert!(Password::parse(&"x".repeat(14), &modern).is_err());
        assert!(Password::parse(&"x".repeat(15), &modern).is_ok());
        assert!(Password::parse(&"x".repeat(128), &modern).is_ok());
        assert!(Password::parse(&"x".repeat(129), &modern)
            .unwrap_err()
            .contains("15 to 128"));
        // No composition rules: lower case and spaces only, or any script, will do.
        assert!(Password::parse("tulip ladder orbit quietly", &modern).is_ok());
        assert!(Password::parse("ÉTÉ À LA MONTAGNE", &modern).is_ok());
        assert_eq!(PASSWORD_MAX_LEN, modern.max_len);
    }

    #[test]
    fn the_modern_preset_always_refuses_guessable_passwords() {
        assert!(PasswordPreset::Modern.policy(false).refuse_guessable);
        assert!(PasswordPreset::Modern.policy(true).refuse_guessable);
        assert!(!PasswordPreset::Default.policy(false).refuse_guessable);
        assert!(PasswordPolicy::platform().refuse_guessable);
        assert_eq!(
            (
                PasswordPolicy::platform().min_len,
                PasswordPolicy::platform().max_len
            ),
            (8, 30)
        );
    }

    #[test]
    fn a_policy_describes_itself_for_the_hint() {
        assert_eq!(
            PasswordPolicy::default().describe(),
            "8–30 characters with a lowercase letter, an uppercase letter, and a digit or one \
             of ! @ # $ % ^ & * ( ) _ - + = , ."
        );
        let modern = PasswordPreset::Modern.policy(false).describe();
        assert!(
            modern.starts_with("15–128 characters, any characters"),
            "{modern}"
        );
        assert!(modern.contains("refused"), "{modern}");
    }

    #[test]
    fn password_debug_never_shows_the_secret() {
        let pw = Password::parse("Secret123", &policy()).unwrap();
        assert!(!format!("{pw:?}").contains("Secret123"));
    }

    #[test]
    fn expired_status_follows_the_expiration_date() {
        assert_eq!(
            effective_status(AccountStatus::Active, Some(100), 100),
            AccountStatus::Expired
        );
        assert_eq!(
            effective_status(AccountStatus::Active, Some(101), 100),
            AccountStatus::Active
        );
        assert_eq!(
            effective_status(AccountStatus::Active, None, 100),
            AccountStatus::Active
        );
        assert_eq!(
            effective_status(AccountStatus::Disabled, Some(1), 100),
            AccountStatus::Disabled
        );
    }

    #[test]
    fn optional_text_and_references_respect_their_limits() {
        assert_eq!(parse_optional_text("  ", 100), Ok(None));
        assert!(parse_optional_text(&"a".repeat(100), 100).is_ok());
        assert!(parse_optional_text(&"a".repeat(101), 100).is_err());
        assert_eq!(parse_reference("AB12", 60), Ok(Some("AB12".into())));
        assert!(parse_reference("AB-12", 60).is_err());
        assert!(parse_reference(&"a".repeat(60), 60).is_ok());
        assert!(parse_reference(&"a".repeat(61), 60).is_err());
        assert!(parse_reference(&"a".repeat(100), 100).is_ok());
        assert!(parse_reference(&"a".repeat(101), 100).is_err());
    }

    #[test]
    fn country_codes_and_phones_are_checked() {
        assert_eq!(parse_country_code("44"), Ok(Some("+44".into())));
        assert_eq!(parse_country_code("+1"), Ok(Some("+1".into())));
        for bad in ["+", "+0", "+1234", "uk"] {
            assert!(parse_country_code(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_phone("(020) 7946-0018"),
            Ok(Some("02079460018".into()))
        );
        assert!(parse_phone("123").is_err());
        assert!(parse_phone("1234").is_ok());
        assert!(parse_phone(&"1".repeat(15)).is_ok());
        assert!(parse_phone(&"1".repeat(16)).is_err());
        assert!(parse_phone("12a4").is_err());
    }

    #[test]
    fn a_phone_typed_with_a_plus_spaces_and_dashes_is_accepted_and_stored_normalised() {
        assert_eq!(parse_phone("+1 555 0100"), Ok(Some("+15550100".into())));
        assert_eq!(
            parse_phone(" +44 20-7946-0018 "),
            Ok(Some("+442079460018".into()))
        );
        assert_eq!(parse_phone("555-0100"), Ok(Some("5550100".into())));
        assert_eq!(parse_phone("555.01.00"), Ok(Some("5550100".into())));
        for bad in [
            "1+555 0100",
            "++1 555 0100",
            "+",
            "+1 555 0100 ext 2",
            "+1234567890123456",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_international_phone_must_agree_with_the_country_code_which_is_stored_once() {
        let phone = |p: &str| parse_phone(p).unwrap();
        assert_eq!(
            phone_with_country(Some("+1"), phone("+1 555 0100")),
            Ok(Some("5550100".into()))
        );
        assert!(phone_with_country(Some("+44"), phone("+1 555 0100")).is_err());
        assert_eq!(
            phone_with_country(None, phone("+1 555 0100")),
            Ok(Some("+15550100".into()))
        );
        assert_eq!(
            phone_with_country(Some("+44"), phone("020 7946 0018")),
            Ok(Some("02079460018".into()))
        );
        assert_eq!(phone_with_country(Some("+44"), None), Ok(None));
    }

    #[test]
    fn expiration_is_never_or_a_future_date() {
        let now = 1_795_305_600; // 2026-11-22 00:00 UTC
        assert_eq!(parse_expiration("", now), Ok(None));
        assert_eq!(parse_expiration("never", now), Ok(None));
        // Expires at the end of the chosen day.
        assert_eq!(parse_expiration("2026-11-22", now), Ok(Some(now + 86_400)));
        assert!(parse_expiration("2026-11-21", now)
            .unwrap_err()
            .contains("future"));
        assert!(parse_expiration("2028-02-29", now).is_ok());
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-1x",
            "22-11-2026",
            "tomorrow",
        ] {
            assert!(parse_expiration(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_from_civil_inverts_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 2, 29) * 86_400, 951_782_400);
        assert_eq!(days_from_civil(2026, 11, 22) * 86_400, 1_795_305_600);
    }

    #[test]
    fn tenant_name_length_boundaries_are_one_and_one_hundred() {
        assert_eq!(
            TenantName::parse("  ").unwrap_err(),
            "Enter a name for the tenant."
        );
        assert!(TenantName::parse("A").is_ok());
        assert!(TenantName::parse(&"a".repeat(100)).is_ok());
        assert!(TenantName::parse(&"a".repeat(101)).is_err());
        assert_eq!(
            TenantName::parse("  Acme Corp ").unwrap().as_ref(),
            "Acme Corp"
        );
    }

    #[test]
    fn mfa_policies_parse_from_their_stored_form_only() {
        for p in MfaPolicy::ALL {
            assert_eq!(MfaPolicy::parse(p.as_str()), Ok(p));
        }
        assert!(MfaPolicy::parse("Required").is_err());
        assert!(MfaPolicy::parse("").is_err());
    }

    #[test]
    fn tiers_and_statuses_round_trip_through_their_stored_form() {
        for t in Tier::ALL {
            assert_eq!(Tier::from_db(t.as_str()), Some(t));
        }
        assert_eq!(Tier::from_db("root"), None);
        for s in [
            AccountStatus::Invited,
            AccountStatus::MustChangePassword,
            AccountStatus::Active,
            AccountStatus::Disabled,
        ] {
            assert_eq!(AccountStatus::from_db(s.as_str()), Some(s));
        }
    }
}
