//! Multi-factor authentication (SPEC §5): TOTP keys (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step of drift either way), sealed at rest with the server's encryption key;
//! one-time recovery codes, kept hashed; enrolment, the second sign-in step, turning MFA off,
//! and who must have it.

use crate::access::{Catalog, Holdings};
use crate::backend::store::accounts::AccountRecord;
use crate::domain::{AccountId, MfaPolicy, Tier};
use crate::error::AppError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The name authenticator apps show above the account.
pub const ISSUER: &str = "Warden";
/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// How long a pending second step (password proven, code not yet given) lasts.
pub const PENDING_SECS: i64 = 5 * 60;
/// Bytes of a TOTP key (160 bits, as RFC 4226 recommends).
pub(crate) const KEY_BYTES: usize = 20;
/// Characters of recovery codes: no 0/o, 1/l/i look-alikes.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The server's key for secrets at rest (TOTP keys). It never enters the database: it is
/// configured, or kept in a file in the data folder. Debug output never shows it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// What a sealed value's text starts with: the format, for a later change of cipher.
const SEALED_PREFIX: &str = "v1:";

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// A new random key.
    pub fn generate() -> SecretKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretKey(bytes)
    }

    /// The key as it is written to a file or given in configuration: base64 of 32 bytes.
    pub fn to_base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Reads a key written by [`to_base64`](Self::to_base64) (surrounding space ignored).
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| "it is not base64".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("it holds {} bytes, not 32", b.len()))?;
        Ok(SecretKey(bytes))
    }

    /// A short, one-way fingerprint of the key, kept in the database so that an instance
    /// started with another key notices before it fails to open every secret.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"warden key fingerprint\0")
            .chain_update(self.0)
            .finalize();
        hex::encode(&digest[..12])
    }

    /// A key of 32 bytes derived from this one for `purpose` alone (HMAC-SHA-256, see
    /// [`credentials::derive_key`](crate::backend::security::credentials::derive_key)): the
    /// digest key and the access-token key of API credentials. Keys of different purposes
    /// are independent, and none of them reveals this key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        crate::backend::security::credentials::derive_key(&self.0, purpose)
    }

    /// HMAC-SHA-256 of `input` under a key derived from this one for `purpose`, bound to
    /// `account`, as hex prefixed `h1:`: how secrets that are only ever compared (recovery
    /// codes) are stored, so that the database alone cannot test guesses offline.
    pub fn keyed_hash(&self, purpose: &str, account: AccountId, input: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let derived = Sha256::new()
            .chain_update(purpose.as_bytes())
            .chain_update([0u8])
            .chain_update(self.0)
            .finalize();
        #[allow(clippy::expect_used)] // HMAC takes a key of any length
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("any key length");
        mac.update(account.0.to_string().as_bytes());
        mac.update(&[0u8]);
        mac.update(input);
        let tag = mac.finalize().into_bytes();
        format!("h1:{}", hex::encode(tag))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// Encrypts `plain` for `account` (the account is authenticated too: a sealed value
    /// copied to another account's row does not open).
    pub fn seal(&self, account: AccountId, plain: &[u8]) -> Result<String, AppError> {
        self.seal_for(&format!("warden mfa key\0{}", account.0), plain)
    }

    /// Decrypts what [`seal`](Self::seal) gave for `account`; `None` if it was sealed with
    /// another key, for another account, or altered.
    pub fn open(&self, account: AccountId, sealed: &str) -> Option<Vec<u8>> {
        self.open_for(&format!("warden mfa key\0{}", account.0), sealed)
    }

    /// Encrypts `plain` bound to `context` (authenticated, not encrypted: what the value is
    /// and whose), so that it opens only with the same context.
    pub fn seal_for(&self, context: &str, plain: &[u8]) -> Result<String, AppError> {
        use base64::Engine;
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                tracing::error!("could not seal a secret");
                AppError::Internal
            })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// Decrypts what [`seal_for`](Self::seal_for) gave for `context`; `None` if it was sealed
    /// with another key or context, or altered.
    pub fn open_for(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed.strip_prefix(SEALED_PREFIX)?)
            .ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, body) = bytes.split_at(24);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }
}

fn totp(key: &[u8]) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS as u64)
        .with_secret(key.to_vec())
        .build_noncompliant()
}

/// The code of time step `step` (Unix seconds / 30).
pub fn code_at(key: &[u8], step: i64) -> String {
    totp(key)
        .generate(step.max(0) as u64 * STEP_SECS as u64)
        .to_string()
}

/// The time step of `now`.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// What a typed TOTP code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, for this step (later than any accepted before).
    Accepted(i64),
    /// Right, but its step was already used: a code is accepted once only.
    Replayed,
    Wrong,
}

/// Checks a 6-digit code against the steps next to `now` (one step of drift either way).
/// Steps up to `last_step` were used already and are refused as replays.
pub fn check_code(key: &[u8], code: &str, now: i64, last_step: i64) -> CodeCheck {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return CodeCheck::Wrong;
    }
    let current = step_of(now);
    let mut replayed = false;
    for step in current - 1..=current + 1 {
        let matches: bool = code_at(key, step).as_bytes().ct_eq(code.as_bytes()).into();
        if matches {
            if step > last_step {
                return CodeCheck::Accepted(step);
            }
            replayed = true;
        }
    }
    if replayed {
        CodeCheck::Replayed
    } else {
        CodeCheck::Wrong
    }
}

/// Does this input look like a TOTP code (rather than a recovery code)?
pub(crate) fn looks_like_totp(input: &str) -> bool {
    let digits: Vec<char> = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.iter().all(char::is_ascii_digit)
}

/// A recovery code as it is compared: lower case, without the dash or spaces.
pub(crate) fn normalize_recovery(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Ten new recovery codes, as shown (`abcde-fghjk`: 50 random bits each, enough that a
/// fast hash protects them).
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| {
                    let i = (rng.next_u32() as usize) % RECOVERY_ALPHABET.len();
                    RECOVERY_ALPHABET[i] as char
                })
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_uri(key: &[u8], username: &str) -> String {
    let secret = base32_of(key);
    // Usernames are ASCII letters, digits and "_" (SPEC §2.1): nothing to escape.
    format!(
        "otpauth://totp/{ISSUER}:{username}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECS}"
    )
}

/// The key in base32, as apps take it typed in.
pub fn base32_of(key: &[u8]) -> String {
    totp_rs::Secret::from(key.to_vec()).to_base32()
}

/// The key bytes of a base32 key as shown (spaces ignored); `None` if it is not base32.
pub fn decode_base32(shown: &str) -> Option<Vec<u8>> {
    let compact: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    totp_rs::Secret::try_from_base32(compact)
        .ok()
        .map(|s| s.as_ref().to_vec())
}

/// The key for reading aloud or typing: base32 in groups of four.
pub fn grouped(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `uri`, as an SVG document (dark modules on white, with a quiet zone).
pub fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| {
            tracing::error!(error = %e, "could not make a QR code");
            AppError::Internal
        })?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// Must this account have MFA? By its tenant's policy (SPEC §5), or because it holds a
/// sensitive privilege through a role (SPEC §3.4).
///
/// Administrators hold every privilege through their tier, sensitive ones included. Sending
/// every administrator to enrolment for that alone would make MFA compulsory for all of
/// them whatever the tenant's policy, so it is not done; instead, nobody (administrators
/// included) can use a sensitive privilege except in a session signed in with MFA
/// (`access::holds`).
pub fn required(account: &AccountRecord, holdings: &Holdings, catalog: &Catalog) -> bool {
    let by_policy =
        account.tier != Tier::PlatformAdmin && account.tenant_mfa_policy == MfaPolicy::Required;
    by_policy || holdings.holds_any(&catalog.sensitive())
}

/// May this account turn MFA on? Not where its tenant's policy is Off, unless it must.
pub fn may_enrol(account: &AccountRecord, required: bool) -> bool {
    required || account.tier == Tier::PlatformAdmin || account.tenant_mfa_policy != MfaPolicy::Off
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, appendix B: the SHA-1 key "12345678901234567890", 8-digit codes; the last
    // six digits are the 6-digit code.
    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(RFC_KEY, step_of(time)), eight[2..], "time {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let now = 1_700_000_015; // in the middle of its step
        let step = step_of(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(RFC_KEY, step + offset);
            let got = check_code(RFC_KEY, &code, now, 0);
            if accepted {
                assert_eq!(got, CodeCheck::Accepted(step + offset), "offset {offset}");
            } else {
                assert_eq!(got, CodeCheck::Wrong, "offset {offset}");
            }
        }
    }

    #[test]
    fn the_window_moves_at_the_step_edges() {
        let step = 56_666_667;
        let first_second = step * STEP_SECS;
        let last_second = first_second + STEP_SECS - 1;
        let old = code_at(RFC_KEY, step - 2);
        // At the step's last second, step - 2 is outside; at the first, it is too.
        assert_eq!(check_code(RFC_KEY, &old, last_second, 0), CodeCheck::Wrong);
        assert_eq!(check_code(RFC_KEY, &old, first_second, 0), CodeCheck::Wrong);
        // One second before the step starts, step - 2 is still the previous step.
        assert_eq!(
            check_code(RFC_KEY, &old, first_second - 1, 0),
            CodeCheck::Accepted(step - 2)
        );
        let next = code_at(RFC_KEY, step + 1);
        assert_eq!(
            check_code(RFC_KEY, &next, first_second, 0),
            CodeCheck::Accepted(step + 1)
        );
        assert_eq!(
            check_code(RFC_KEY, &next, first_second - 1, 0),
            CodeCheck::Wrong
        );
    }

    #[test]
    fn a_used_step_is_never_accepted_again() {
        let now = 1_700_000_000;
        let step = step_of(now);
        let code = code_at(RFC_KEY, step);
        assert_eq!(
            check_code(RFC_KEY, &code, now, step - 1),
            CodeCheck::Accepted(step)
        );
        assert_eq!(check_code(RFC_KEY, &code, now, step), CodeCheck::Replayed);
        // An earlier step's code after a later one was used: also refused.
        let earlier = code_at(RFC_KEY, step - 1);
        assert_eq!(
            check_code(RFC_KEY, &earlier, now, step),
            CodeCheck::Replayed
        );
        // The next step's code is still good.
        let later = code_at(RFC_KEY, step + 1);
        assert_eq!(
            check_code(RFC_KEY, &later, now, step),
            CodeCheck::Accepted(step + 1)
        );
    }

    #[test]
    fn malformed_codes_are_wrong_not_errors() {
        let now = 1_700_000_000;
        for input in ["", "12345", "1234567", "12a456", "１２３４５６", "-12345"] {
            assert_eq!(
                check_code(RFC_KEY, input, now, 0),
                CodeCheck::Wrong,
                "{input:?}"
            );
        }
        let code = code_at(RFC_KEY, step_of(now));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(
            check_code(RFC_KEY, &spaced, now, 0),
            CodeCheck::Accepted(step_of(now))
        );
    }

    #[test]
    fn sealed_keys_open_only_with_their_key_and_account() {
        let key = SecretKey::generate();
        let sealed = key.seal(AccountId(7), b"totp key bytes").unwrap();
        assert!(!sealed.contains("totp"));
        assert_eq!(key.open(AccountId(7), &sealed).unwrap(), b"totp key bytes");
        assert!(key.open(AccountId(8), &sealed).is_none(), "another account");
        assert!(
            SecretKey::generate().open(AccountId(7), &sealed).is_none(),
            "another key"
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(key
            .open(AccountId(7), &String::from_utf8(altered).unwrap())
            .is_none());
        assert_ne!(
            key.seal(AccountId(7), b"x").unwrap(),
            key.seal(AccountId(7), b"x").unwrap()
        );
    }

    #[test]
    fn keys_round_trip_through_text_and_have_distinct_fingerprints() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&format!("  {}\n", key.to_base64())).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert_ne!(SecretKey::generate().fingerprint(), key.fingerprint());
        assert!(SecretKey::parse("not base64!").is_err());
        assert!(SecretKey::parse("AAAA").unwrap_err().contains("3 bytes"));
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert!(!looks_like_totp(code));
            let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
            assert_eq!(
                crate::backend::security::crypto::token_hash(&normalize_recovery(&typed)),
                crate::backend::security::crypto::token_hash(&normalize_recovery(code))
            );
        }
    }

    #[test]
    fn the_otpauth_uri_names_warden_and_the_account() {
        let uri = otpauth_uri(RFC_KEY, "jane_doe");
        assert_eq!(
            uri,
            "otpauth://totp/Warden:jane_doe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Warden&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
