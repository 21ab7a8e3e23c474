//! The one error type of Warden, shared by the server and the browser.
//!
//! Variants are named by outcome. Internal causes are logged on the server and never sent
//! to the client: `Internal` carries no detail.

use crate::access::{Decision, Refusal};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name → human-readable messages, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` against `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Records the error of a parse result, if any, and returns the parsed value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, for display beside the input.
    pub fn first(&self, field: &str) -> Option<&str> {
        self.0
            .get(field)
            .and_then(|m| m.first())
            .map(String::as_str)
    }

    /// Ok when nothing was recorded, otherwise `AppError::Invalid`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthenticated,
    /// The access model (or a safety rule) refused, for this reason: the console shows it,
    /// the API returns its stable code, the audit trail records it.
    #[error("{}", Decision::Denied(*.0).explain())]
    Forbidden(Refusal),
    /// A change refused for `refusal`, with the fields it concerns (a role editor's
    /// privileges the actor does not hold, each named under its field): the refusal's code
    /// and explanation as for `Forbidden`, and the field errors as for `Invalid`.
    #[error("{}", Decision::Denied(*refusal).explain())]
    ForbiddenChange {
        refusal: Refusal,
        errors: FieldErrors,
    },
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Please correct the highlighted fields.")]
    Invalid(FieldErrors),
    /// Sign-in failed. One message for every cause, so nobody learns whether an account exists.
    #[error("Invalid username or password.")]
    InvalidCredentials,
    /// The credentials were right but the account may not sign in; the reason is safe to show
    /// because only someone who knows the password sees it.
    #[error("{0}")]
    SignInRefused(String),
    /// The account signed in with a temporary password and must choose its own first.
    #[error("Choose a new password before doing anything else.")]
    PasswordChangeRequired,
    /// MFA is required of the account and it has none: it must enrol first (SPEC §5).
    #[error("Turn on multi-factor authentication before doing anything else.")]
    MfaEnrolmentRequired,
    /// The second sign-in step was not started, or took too long: sign in again.
    #[error("Your sign-in has expired. Enter your username and password again.")]
    MfaStepExpired,
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: i64 },
    /// Warden is at its bound of work of this kind (password hashing): nothing was done.
    #[error("Warden is busy right now. Try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: i64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached Warden, or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// One field's error, e.g. `AppError::field("username", "is taken")`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// The field errors, when this is `Invalid` or `ForbiddenChange`.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) | AppError::ForbiddenChange { errors, .. } => Some(errors),
            _ => None,
        }
    }

    /// What a form shows above its fields for this error: the field errors themselves go
    /// under their fields, so an invalid form says so in general, unless the request as a
    /// whole was refused.
    pub fn form_message(&self) -> String {
        match self {
            AppError::Invalid(fields) if fields.0.contains_key("request") => {
                fields.first("request").unwrap_or_default().to_owned()
            }
            AppError::Invalid(_) => {
                "Some fields need correcting: each one says what to change.".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The HTTP status the server answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden(_)
            | AppError::ForbiddenChange { .. }
            | AppError::SignInRefused(_)
            | AppError::PasswordChangeRequired
            | AppError::MfaEnrolmentRequired => 403,
            AppError::MfaStepExpired => 401,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid(_) => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Internal => 500,
            AppError::Transport(_) => 502,
        }
    }
}

/// A refusal of the access model, answered `Forbidden` with its reason.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        AppError::Forbidden(refusal)
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Bad or missing arguments are the caller's fault: say which, without internals.
            E::Args(_) | E::MissingArg(_) => {
                AppError::field("request", "The request was incomplete or malformed.")
            }
            // On the server, a body that does not decode (JSON arguments of the wrong shape)
            // is the caller's fault too, not a gateway's.
            #[cfg(feature = "ssr")]
            E::Request(_) | E::Deserialization(_) | E::Response(_) => {
                AppError::field("request", "The request was incomplete or malformed.")
            }
            #[cfg(not(feature = "ssr"))]
            E::Request(msg) | E::Deserialization(msg) | E::Response(msg) => {
                AppError::Transport(msg)
            }
            _ => AppError::Internal,
        }
    }
}
