//! New passwords, checked on the server: the shared rules of [`Password::parse`] (length,
//! composition), then, where the policy asks for it, the guessable-password check (ASVS 5.0
//! V6.2.4, V6.2.11, V6.2.12). The check is zxcvbn's estimate of how many guesses the
//! password takes, against its dictionaries of common passwords (from breaches), words, names
//! and keyboard patterns, plus the context words of [`context_words`]. It lives here, behind
//! `ssr`, because its dictionaries would add megabytes to the WASM.

use crate::domain::{Password, PasswordPolicy};

/// The lowest zxcvbn score accepted (0–4). 3 is "safely unguessable: moderate protection
/// from an offline slow-hash attack" (at least 10^8 guesses), the threshold zxcvbn's authors
/// recommend for accepting a password.
pub const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Who the password is for, so that it cannot be built from their own names.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    /// `None` for platform administrators.
    pub tenant_name: Option<&'a str>,
}

/// The product's own name, always a context word (ASVS V6.1.2).
pub const PRODUCT_WORD: &str = "warden";

/// The context-specific words (ASVS 5.0 V6.1.2, V6.2.11), lower-cased, given to zxcvbn as
/// words an attacker tries first: the username; the email address and the part before `@`;
/// the full name and each of its words; the tenant's name and each of its words; and
/// "warden". Words shorter than 3 characters are left out (they would only match fragments).
pub fn context_words(context: &PasswordContext<'_>) -> Vec<String> {
    let mut words = Vec::new();
    let mut add = |w: &str| {
        let w = w.trim().to_lowercase();
        if w.chars().count() >= 3 && !words.contains(&w) {
            words.push(w);
        }
    };
    add(context.username);
    add(context.email);
    if let Some((local, _)) = context.email.split_once('@') {
        add(local);
    }
    for phrase in [Some(context.full_name), context.tenant_name]
        .into_iter()
        .flatten()
    {
        add(phrase);
        for word in phrase.split(|c: char| !c.is_alphanumeric()) {
            add(word);
        }
    }
    add(PRODUCT_WORD);
    words
}

/// `Some(message)` when `password` is too easy to guess for the person of `context`, else
/// `None`. Too easy means either:
/// - zxcvbn scores it below [`MIN_SCORE`], the context words counting as the first words an
///   attacker tries; or
/// - it contains context words, and what is left once they are taken out scores below
///   [`MIN_SCORE`] on its own (zxcvbn credits a few joined words with 10^8 guesses
///   whatever they are, so "gracehopper2024!" would pass the first test alone).
///
/// The message starts "This password is too easy to guess:" and carries zxcvbn's warning and
/// suggestions. Pure CPU work of at most a few tens of milliseconds (zxcvbn reads the first
/// 100 characters only).
pub fn guessable(password: &str, context: &PasswordContext<'_>) -> Option<String> {
    let mut words = context_words(context);
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    let mut parts: Vec<String> = Vec::new();
    if estimate.score() < MIN_SCORE {
        if let Some(feedback) = estimate.feedback() {
            if let Some(warning) = feedback.warning() {
                parts.push(warning.to_string());
            }
            parts.extend(feedback.suggestions().iter().map(ToString::to_string));
        }
    } else {
        // Longest first, so a whole name goes before its words.
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        let lower = password.to_lowercase();
        let mut rest = lower.clone();
        for word in &words {
            rest = rest.replace(word.as_str(), " ");
        }
        if rest == lower || zxcvbn::zxcvbn(rest.trim(), &[]).score() >= MIN_SCORE {
            return None;
        }
        parts.push(
            "It is built from your name, username, email or organisation (or “warden”), and \
             what remains is not enough on its own. Add another word or two. Uncommon words \
             are better."
                .to_owned(),
        );
    }
    if parts.is_empty() {
        parts.push("Add another word or two. Uncommon words are better.".to_owned());
    }
    Some(format!(
        "This password is too easy to guess: {}",
        parts.join(" ")
    ))
}

/// A new password for the person of `context`: [`Password::parse`] under `policy`, then,
/// when `policy.refuse_guessable`, the guessable-password check. The error is the field's
/// message. Every place that sets a person's password calls this (or, when async,
/// [`check_new_password`]), never `Password::parse` alone.
pub fn parse_new_password(
    input: &str,
    policy: &PasswordPolicy,
    context: &PasswordContext<'_>,
) -> Result<Password, String> {
    let password = Password::parse(input, policy)?;
    if policy.refuse_guessable {
        if let Some(message) = guessable(input, context) {
            return Err(message);
        }
    }
    Ok(password)
}

/// [`parse_new_password`] for async callers: with the guessable-password check, on the
/// blocking pool, since zxcvbn takes up to about 10 ms on long input (release build; its
/// first call also builds its dictionaries) and an import checks many rows per request.
/// The outer error is a failure of the pool (`Internal`); the inner one the field's message.
pub async fn check_new_password(
    input: &str,
    policy: &PasswordPolicy,
    context: &PasswordContext<'_>,
) -> Result<Result<Password, String>, crate::error::AppError> {
    if !policy.refuse_guessable {
        return Ok(Password::parse(input, policy));
    }
    let (input, policy) = (input.to_owned(), policy.clone());
    let (username, email, full_name) = (
        context.username.to_owned(),
        context.email.to_owned(),
        context.full_name.to_owned(),
    );
    let tenant_name = context.tenant_name.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let context = PasswordContext {
            username: &username,
            email: &email,
            full_name: &full_name,
            tenant_name: tenant_name.as_deref(),
        };
        parse_new_password(&input, &policy, &context)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "the password check did not finish");
        crate::error::AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordPreset;

    fn grace() -> PasswordContext<'static> {
        PasswordContext {
            username: "grace_hopper",
            email: "grace@acme.example",
            full_name: "Grace Brewster Hopper",
            tenant_name: Some("Acme Widgets"),
        }
    }

    #[test]
    fn a_common_password_is_refused_under_modern_with_zxcvbns_feedback() {
        let modern = PasswordPreset::Modern.policy(false);
        // Long enough for Modern, but a well-known password with a suffix.
        let err = parse_new_password("Password123!!!!", &modern, &grace()).unwrap_err();
        assert!(
            err.starts_with("This password is too easy to guess: "),
            "{err}"
        );
        assert!(guessable("Password123!", &grace()).is_some());
    }

    #[test]
    fn a_long_passphrase_without_composition_is_accepted_under_modern() {
        let modern = PasswordPreset::Modern.policy(false);
        assert!(parse_new_password("tulip ladder orbit quietly", &modern, &grace()).is_ok());
    }

    #[test]
    fn modern_accepts_128_characters_and_refuses_129() {
        let modern = PasswordPreset::Modern.policy(false);
        let long = "tulip ladder orbit quietly ".repeat(5);
        let at = |n: usize| long.chars().take(n).collect::<String>();
        assert!(parse_new_password(&at(128), &modern, &grace()).is_ok());
        let err = parse_new_password(&at(129), &modern, &grace()).unwrap_err();
        assert!(err.contains("15 to 128"), "{err}");
    }

    #[test]
    fn passwords_built_from_the_persons_own_names_are_refused() {
        let modern = PasswordPreset::Modern.policy(false);
        for pw in [
            "gracehopper2024!",
            "Hopper-Grace-1906",
            "acmewidgets1234",
            "grace_hopper1234",
            "wardenwarden123",
        ] {
            let err = parse_new_password(pw, &modern, &grace()).unwrap_err();
            assert!(err.contains("too easy to guess"), "{pw}: {err}");
        }
        // The same shape from words that are not hers passes the check.
        assert!(guessable("quartzbeetlemaple", &grace()).is_none());
    }

    #[test]
    fn the_context_words_are_the_documented_list() {
        assert_eq!(
            context_words(&grace()),
            [
                "grace_hopper",
                "grace@acme.example",
                "grace",
                "grace brewster hopper",
                "brewster",
                "hopper",
                "acme widgets",
                "acme",
                "widgets",
                "warden"
            ]
        );
        let admin = PasswordContext {
            username: "ops_root",
            email: "o@x.io",
            full_name: "Al Bo",
            tenant_name: None,
        };
        assert_eq!(
            context_words(&admin),
            ["ops_root", "o@x.io", "al bo", "warden"]
        );
    }

    #[tokio::test]
    async fn the_async_check_gives_the_same_answers() {
        let modern = PasswordPreset::Modern.policy(false);
        let refused = check_new_password("Password123!!!!", &modern, &grace())
            .await
            .unwrap();
        assert!(refused.unwrap_err().contains("too easy to guess"));
        let accepted = check_new_password("tulip ladder orbit quietly", &modern, &grace())
            .await
            .unwrap();
        assert!(accepted.is_ok());
        let default = check_new_password("Password1", &PasswordPolicy::default(), &grace())
            .await
            .unwrap();
        assert!(default.is_ok());
    }

    #[test]
    fn the_check_runs_only_where_the_policy_asks_for_it() {
        // The default policy (every existing tenant) keeps today's rules exactly.
        assert!(parse_new_password("Password1", &PasswordPolicy::default(), &grace()).is_ok());
        let err = parse_new_password("Password1", &PasswordPolicy::platform(), &grace());
        assert!(err.unwrap_err().contains("too easy to guess"));
        // Strict with the check on, and the shared rules still come first.
        let strict = PasswordPreset::Strict.policy(true);
        assert!(parse_new_password("Password1234", &strict, &grace()).is_err());
        assert!(parse_new_password("short", &strict, &grace())
            .unwrap_err()
            .contains("12 to 64"));
        assert!(parse_new_password("Quartz-beetle-maple7", &strict, &grace()).is_ok());
    }
}
