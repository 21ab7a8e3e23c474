//! Delivering the outbox (SPEC §6): email written in a change's transaction
//! ([`super::change::Change::queue_email`]) is sent over SMTP by a background worker on every
//! instance. A transient failure (the mail server unreachable, a 4xx answer) is tried again
//! after an exponentially growing, jittered delay; a permanent one (a 5xx answer), or running
//! out of attempts, marks the message failed with the server's answer, for an administrator
//! to see and send again.
//!
//! Delivery is at least once: a message is marked sent after the mail server accepted it, so
//! an instance that dies between the two sends it again when its lease runs out. While every
//! instance lives, each message is sent exactly once (claims are exclusive).

use crate::backend::security::totp::SecretKey;
use crate::backend::store::db::Db;
use crate::backend::store::outbox::{self, Claimed, Kind, NewMessage};
use crate::domain::TenantId;
use crate::error::AppError;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often and how long a message is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt, in seconds; it doubles with each attempt.
    pub base_secs: i64,
    /// The longest delay between two attempts, in seconds.
    pub max_delay_secs: i64,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min, … up to an hour between attempts, 12 attempts: about 7 hours of
    /// trying, long enough to outlast a mail server's maintenance window.
    fn default() -> Self {
        RetryPolicy {
            base_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after attempt number `attempt` (from 1) failed:
    /// `base · 2^(attempt − 1)`, at most `max_delay_secs`, of which a random part
    /// (`jitter` in [0, 1)) up to half is taken off, so that instances that failed together
    /// do not all retry at the same second. Never less than one second.
    pub fn delay_after(&self, attempt: i64, jitter: f64) -> i64 {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
        let full = self
            .base_secs
            .max(1)
            .saturating_mul(1_i64.checked_shl(doublings).unwrap_or(i64::MAX))
            .min(self.max_delay_secs.max(1));
        let jitter = jitter.clamp(0.0, 1.0);
        // Whole seconds: what the database stores.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let off = ((full as f64) * 0.5 * jitter) as i64;
        (full - off).max(1)
    }
}

/// The SMTP server Warden sends email through, and as whom.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where it sends, for the outbox view and the start-up log: host, port and TLS mode,
    /// never the credentials.
    pub description: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.description)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// How long one SMTP conversation may take before it counts as a transient failure.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl SmtpMailer {
    /// An SMTP server from its URL — `smtp://host:port` (plain; add `?tls=required` for
    /// STARTTLS, or `?tls=opportunistic`), `smtps://host:port` (TLS from the start), with
    /// `user:password@` before the host for authentication — and the sender's address
    /// (`Warden <warden@example.com>`). The error says which of the two is wrong, and how,
    /// never repeating a password.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("the SMTP URL is not valid: {e}"))?;
        let tls = match parsed.scheme() {
            "smtps" => "TLS",
            "smtp" => match parsed.query_pairs().find(|(k, _)| k == "tls") {
                Some((_, mode)) if mode == "required" => "STARTTLS",
                Some((_, mode)) if mode == "opportunistic" => "STARTTLS if offered",
                Some((_, mode)) => {
                    return Err(format!(
                        "the SMTP URL's tls= must be required or opportunistic, not {mode}"
                    ))
                }
                None => "no TLS",
            },
            other => {
                return Err(format!(
                    "the SMTP URL must start with smtp:// or smtps://, not {other}://"
                ))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the SMTP URL names no host")?
            .to_owned();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL is not usable: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = from.parse().map_err(|e| {
            format!(
                "the sender address {from:?} is not valid (e.g. Warden <warden@example.com>): {e}"
            )
        })?;
        let port = parsed.port().map_or_else(String::new, |p| format!(":{p}"));
        let user = if parsed.username().is_empty() {
            ""
        } else {
            ", with a password"
        };
        Ok(SmtpMailer {
            transport,
            from,
            description: format!("{host}{port} ({tls}{user})"),
        })
    }

    /// Whether the password would cross the network in the clear: credentials without TLS
    /// to a host that is not this machine. Warden warns at start.
    pub fn sends_password_in_clear(url: &str) -> bool {
        let Ok(parsed) = url::Url::parse(url) else {
            return false;
        };
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            // `smtp:` is not a scheme the URL standard knows, so an address stays a name.
            Some(url::Host::Domain(name)) => {
                name == "localhost"
                    || name
                        .trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            None => true,
        };
        parsed.scheme() == "smtp"
            && parsed.password().is_some()
            && !parsed
                .query_pairs()
                .any(|(k, v)| k == "tls" && v == "required")
            && !loopback
    }
}

/// An email as it is sealed into the outbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    /// The recipient's name, shown beside the address.
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The outbox as the rest of the server uses it: whether email can be sent, how to queue it,
/// and how to wake this instance's worker.
#[derive(Debug, Clone)]
pub struct Outbox(Arc<OutboxInner>);

#[derive(Debug)]
struct OutboxInner {
    mailer: Option<SmtpMailer>,
    policy: RetryPolicy,
    wake: Notify,
    /// Names this instance's claims (random per process).
    owner: String,
}

/// The context sealed messages are bound to: a payload copied to another row, or read as
/// another kind of secret, does not open.
fn seal_context(kind: Kind, recipient: &str) -> String {
    format!("warden outbox\0{}\0{recipient}", kind.as_str())
}

impl Outbox {
    pub fn new(mailer: Option<SmtpMailer>, policy: RetryPolicy) -> Outbox {
        use rand::RngCore;
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        Outbox(Arc::new(OutboxInner {
            mailer,
            policy,
            wake: Notify::new(),
            owner: hex::encode(id),
        }))
    }

    /// Email is configured (an SMTP server and a sender). Without it, nothing is queued: the
    /// console shows links for the administrator to pass on.
    pub fn email_configured(&self) -> bool {
        self.0.mailer.is_some()
    }

    /// The SMTP server, as the outbox view names it.
    pub fn mail_server(&self) -> Option<&str> {
        self.0.mailer.as_ref().map(|m| m.description.as_str())
    }

    pub fn policy(&self) -> RetryPolicy {
        self.0.policy
    }

    /// Seals `email` and writes it to the outbox with `executor` (the change's transaction).
    pub async fn queue_email<'e, E>(
        &self,
        executor: E,
        key: &SecretKey,
        tenant_id: Option<TenantId>,
        email: &Email,
        now: i64,
    ) -> Result<i64, AppError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let plain = serde_json::to_vec(email).map_err(|e| {
            tracing::error!(error = %e, "could not encode an email");
            AppError::Internal
        })?;
        let sealed = key.seal_for(&seal_context(Kind::Email, &email.to), &plain)?;
        outbox::enqueue(
            executor,
            &NewMessage {
                kind: Kind::Email,
                tenant_id,
                recipient: &email.to,
                summary: &email.subject,
                sealed_payload: &sealed,
            },
            now,
        )
        .await
    }

    /// Wakes this instance's worker (after a commit that queued something), so that the
    /// message leaves at once instead of at the next poll.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }
}

/// What became of one attempt.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    Sent,
    /// Try again later, for this reason.
    Transient(String),
    /// Never try again, for this reason.
    Permanent(String),
}

/// How long a claim lasts: longer than an SMTP conversation may take, so that a live
/// instance never loses its claim mid-send.
pub const LEASE_SECS: i64 = 2 * SMTP_TIMEOUT.as_secs() as i64;

/// The worker of one instance: delivers due messages one after the other, sleeping until
/// woken or until the next poll (other instances' messages, retries that became due) when
/// there is nothing to do. Runs for as long as the server; without email configured it only
/// waits.
pub async fn run(db: Db, key: SecretKey, outbox: Outbox) {
    let Some(mailer) = outbox.0.mailer.clone() else {
        std::future::pending::<()>().await;
        return;
    };
    let poll =
        Duration::from_secs(u64::try_from(outbox.0.policy.base_secs.clamp(1, 5)).unwrap_or(5));
    loop {
        let now = crate::backend::clock::now();
        match outbox::claim(&db, &outbox.0.owner, now, now + LEASE_SECS).await {
            Ok(Some(claimed)) => deliver(&db, &key, &outbox, &mailer, claimed).await,
            Ok(None) => {
                let _ = tokio::time::timeout(poll, outbox.0.wake.notified()).await;
            }
            Err(_) => {
                // The database is away (logged by the store); try again after a pause.
                tokio::time::sleep(poll).await;
            }
        }
    }
}

async fn deliver(db: &Db, key: &SecretKey, outbox: &Outbox, mailer: &SmtpMailer, claimed: Claimed) {
    let owner = &outbox.0.owner;
    let attempt = match Kind::parse(&claimed.kind) {
        Some(Kind::Email) => match open_email(key, &claimed) {
            Some(email) => send_email(mailer, &email).await,
            None => Attempt::Permanent(
                "the message cannot be opened: it was sealed with another encryption key, or \
                 altered"
                    .to_owned(),
            ),
        },
        None => Attempt::Permanent(format!("unknown kind of message: {}", claimed.kind)),
    };
    let now = crate::backend::clock::now();
    let id = claimed.message_id;
    let result = match attempt {
        Attempt::Sent => {
            tracing::info!(
                message_id = id,
                attempt = claimed.attempt,
                "outbox message sent"
            );
            outbox::mark_sent(db, id, now).await
        }
        Attempt::Transient(reason) if claimed.attempt < outbox.0.policy.max_attempts => {
            let delay = outbox
                .0
                .policy
                .delay_after(claimed.attempt, rand::random::<f64>());
            tracing::warn!(message_id = id, attempt = claimed.attempt, retry_in_secs = delay, %reason, "outbox message not sent; will retry");
            outbox::reschedule(db, id, owner, now + delay, &reason).await
        }
        Attempt::Transient(reason) => {
            let reason = format!(
                "gave up after {} attempts; the last: {reason}",
                claimed.attempt
            );
            tracing::warn!(message_id = id, %reason, "outbox message failed");
            outbox::mark_failed(db, id, owner, &reason).await
        }
        Attempt::Permanent(reason) => {
            tracing::warn!(message_id = id, %reason, "outbox message refused for good");
            outbox::mark_failed(db, id, owner, &reason).await
        }
    };
    if result.is_err() {
        // Its lease runs out and it is tried again: at worst sent twice, never lost.
        tracing::error!(message_id = id, "could not record an outbox delivery");
    }
}

fn open_email(key: &SecretKey, claimed: &Claimed) -> Option<Email> {
    let sealed = claimed.payload.as_deref()?;
    let plain = key.open_for(&seal_context(Kind::Email, &claimed.recipient), sealed)?;
    serde_json::from_slice(&plain).ok()
}

async fn send_email(mailer: &SmtpMailer, email: &Email) -> Attempt {
    let to = match email.to.parse::<lettre::Address>() {
        Ok(address) => Mailbox::new(email.to_name.clone(), address),
        Err(e) => return Attempt::Permanent(format!("the address {} is not valid: {e}", email.to)),
    };
    let message = lettre::Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(&email.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        );
    let message = match message {
        Ok(message) => message,
        Err(e) => return Attempt::Permanent(format!("the message cannot be built: {e}")),
    };
    match mailer.transport.send(message).await {
        Ok(_) => Attempt::Sent,
        Err(e) if e.is_permanent() => Attempt::Permanent(describe(&e)),
        Err(e) => Attempt::Transient(describe(&e)),
    }
}

/// The SMTP error as the outbox view shows it: what lettre says, and the server's own answer
/// when there is one.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    use std::error::Error;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_and_jitter_only_shortens_them() {
        let policy = RetryPolicy {
            base_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 12,
        };
        let exact: Vec<i64> = (1..=9).map(|a| policy.delay_after(a, 0.0)).collect();
        assert_eq!(exact, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        for attempt in 1..=20 {
            let full = policy.delay_after(attempt, 0.0);
            let shortest = policy.delay_after(attempt, 0.999_999);
            assert!(
                shortest <= full && shortest * 2 >= full,
                "{attempt}: {shortest} vs {full}"
            );
        }
        // Absurd attempt numbers neither overflow nor go below a second.
        assert_eq!(policy.delay_after(i64::MAX, 0.5), 2700);
        assert_eq!(
            RetryPolicy {
                base_secs: 0,
                ..policy
            }
            .delay_after(1, 0.9),
            1
        );
    }

    #[test]
    fn the_mail_server_is_described_without_its_password() {
        let mailer = SmtpMailer::new(
            "smtp://mailer:hunter2@mail.example.com:587?tls=required",
            "Warden <warden@example.com>",
        )
        .unwrap();
        assert_eq!(
            mailer.description,
            "mail.example.com:587 (STARTTLS, with a password)"
        );
        assert!(!format!("{mailer:?}").contains("hunter2"));
        let plain = SmtpMailer::new("smtp://127.0.0.1:2525", "warden@example.com").unwrap();
        assert_eq!(plain.description, "127.0.0.1:2525 (no TLS)");
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let from = "warden@example.com";
        let err = SmtpMailer::new("http://mail.example.com", from).unwrap_err();
        assert!(err.contains("smtp:// or smtps://"), "{err}");
        let err = SmtpMailer::new("smtp://mail.example.com?tls=always", from).unwrap_err();
        assert!(err.contains("required or opportunistic"), "{err}");
        let err =
            SmtpMailer::new("smtp://u:secret-pw@mail.example.com", "not an address").unwrap_err();
        assert!(err.contains("sender address"), "{err}");
        assert!(!err.contains("secret-pw"), "{err}");
    }

    #[test]
    fn a_password_in_the_clear_to_another_host_is_noticed() {
        assert!(SmtpMailer::sends_password_in_clear(
            "smtp://u:p@mail.example.com:25"
        ));
        assert!(SmtpMailer::sends_password_in_clear(
            "smtp://u:p@mail.example.com:25?tls=opportunistic"
        ));
        assert!(!SmtpMailer::sends_password_in_clear(
            "smtp://u:p@mail.example.com?tls=required"
        ));
        assert!(!SmtpMailer::sends_password_in_clear(
            "smtps://u:p@mail.example.com"
        ));
        assert!(!SmtpMailer::sends_password_in_clear(
            "smtp://u:p@127.0.0.1:2525"
        ));
        assert!(!SmtpMailer::sends_password_in_clear(
            "smtp://mail.example.com:25"
        ));
    }

    #[test]
    fn a_sealed_email_opens_only_for_its_own_recipient() {
        let key = SecretKey::generate();
        let email = Email {
            to: "ada@example.com".into(),
            to_name: Some("Ada".into()),
            subject: "Hello".into(),
            text: "secret link".into(),
            html: "<p>secret link</p>".into(),
        };
        let sealed = key
            .seal_for(
                &seal_context(Kind::Email, &email.to),
                &serde_json::to_vec(&email).unwrap(),
            )
            .unwrap();
        assert!(!sealed.contains("secret link"));
        let claimed = |recipient: &str| Claimed {
            message_id: 1,
            kind: "email".into(),
            recipient: recipient.into(),
            payload: Some(sealed.clone()),
            attempt: 1,
        };
        assert_eq!(open_email(&key, &claimed("ada@example.com")), Some(email));
        assert_eq!(open_email(&key, &claimed("eve@example.com")), None);
        assert_eq!(
            open_email(&SecretKey::generate(), &claimed("ada@example.com")),
            None
        );
    }
}
