//! Credentials of service accounts for the REST API (SPEC §7, issue 13 §2): their formats,
//! generation, parsing and keyed digests, and the short-lived access tokens of the OAuth
//! client-credentials grant. Pure functions: no database, no I/O, no clock (the caller
//! passes `now`), so that the request gate and the token endpoint decide the same way and
//! tests state the laws directly.
//!
//! # Formats
//!
//! | what | shape | secret | stored as |
//! |---|---|---|---|
//! | API token | `wdn_` + 30 random + 6 of CRC32 | yes, shown once | its digest |
//! | client ID | `wdc_` + 20 random | no, shown on the console | itself |
//! | client secret | `wds_` + 30 random + 6 of CRC32 | yes, shown once | its digest |
//!
//! All characters after the prefix are base62 (`0-9A-Za-z`).
//!
//! The fixed prefixes and the checksum follow GitHub's token formats: a secret scanner can
//! recognise a leaked Warden secret without false positives, and a mistyped or truncated one
//! is refused by [`parse_api_token`] / [`parse_client_secret`] before any database lookup.
//! The 30 random characters come from the operating system's generator (about 178 bits).
//!
//! # Digests
//!
//! A secret is stored only as HMAC-SHA-256 of its full text under a 32-byte key that the
//! caller derives from the server's secret key with [`derive_key`] (for example with
//! [`DIGEST_KEY_PURPOSE`]): lowercase hex, 64 characters, deterministic, so it serves as the
//! unique lookup column. A copy of the database alone can therefore neither use nor test a
//! guessed secret offline. No password hash (Argon2) is involved: the secrets are random
//! and long, so a keyed hash is as strong and verification takes microseconds.
//!
//! # Access tokens
//!
//! [`issue_access_token`] signs a JWT (HS256 only, `typ: at+jwt` as in RFC 9068) with an
//! [`AccessTokenKey`] derived from the server's secret key for this purpose alone, audience
//! `warden-api`: distinct from console sessions in key, audience and type, so neither kind
//! is ever accepted as the other.
//!
//! Nothing here logs, and no type that holds a plaintext secret prints it through `Debug`.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix of every API token.
pub const API_TOKEN_PREFIX: &str = "wdn_";
/// The prefix of every client ID.
pub const CLIENT_ID_PREFIX: &str = "wdc_";
/// The prefix of every client secret.
pub const CLIENT_SECRET_PREFIX: &str = "wds_";

/// Random characters of an API token or a client secret.
const SECRET_RANDOM_LEN: usize = 30;
/// Base62 characters of the CRC32 checksum: 62⁶ > 2³², so six always suffice.
const CHECKSUM_LEN: usize = 6;
/// Length of an API token or a client secret, prefix included.
pub const SECRET_LEN: usize = 4 + SECRET_RANDOM_LEN + CHECKSUM_LEN;
/// Random characters of a client ID (an identifier, not a secret: about 119 bits).
const CLIENT_ID_RANDOM_LEN: usize = 20;
/// Length of a client ID, prefix included.
pub const CLIENT_ID_LEN: usize = 4 + CLIENT_ID_RANDOM_LEN;
/// Random characters of a secret shown on the console after its prefix, to tell tokens
/// apart (about 24 of the 178 random bits).
const DISPLAY_RANDOM_LEN: usize = 4;

/// Purpose for [`derive_key`]: the key of the digests of API tokens and client secrets.
pub const DIGEST_KEY_PURPOSE: &str = "warden api credential digest v1";
/// Purpose for [`derive_key`]: the key that signs access tokens ([`AccessTokenKey::derive`]).
pub const ACCESS_TOKEN_KEY_PURPOSE: &str = "warden api access token v1";

/// `iss` of every access token.
pub const ACCESS_TOKEN_ISSUER: &str = "warden";
/// `aud` of every access token: the REST API, never the console.
pub const ACCESS_TOKEN_AUDIENCE: &str = "warden-api";
/// JOSE `typ` of access tokens (RFC 9068 §2.1); console sessions carry `JWT`.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// How far past `exp` (or before `iat`) a token is still accepted, for clocks of Warden
/// instances that differ a little. Kept to a few seconds on purpose.
pub const CLOCK_LEEWAY_SECS: i64 = 5;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a presented credential was refused. The messages name no part of the credential and
/// are safe to log; to a client, every variant is the same `401 invalid_token` (or
/// `invalid_client`), so nobody learns which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialFormatError {
    /// Not the prefix of the kind of credential expected (or none).
    #[error("not a credential of the expected kind")]
    WrongPrefix,
    #[error("credential has the wrong length")]
    WrongLength,
    /// A character outside `0-9A-Za-z` after the prefix.
    #[error("credential contains a character it cannot contain")]
    BadCharacter,
    /// Well-formed but the checksum does not match: mistyped, truncated or made up.
    #[error("credential checksum does not match")]
    ChecksumMismatch,
    /// An access token that is malformed, signed with another key or algorithm, or meant for
    /// another issuer, audience or use.
    #[error("access token is not valid")]
    InvalidAccessToken,
    /// An access token past its expiry (beyond [`CLOCK_LEEWAY_SECS`]).
    #[error("access token has expired")]
    AccessTokenExpired,
}

/// A key of 32 bytes derived from the server's secret key for one `purpose`:
/// HMAC-SHA-256(key = `server_secret`, message = `purpose`). Keys of different purposes are
/// independent, so a digest key can never verify an access token or a console session.
pub fn derive_key(server_secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac = hmac_with(server_secret);
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)] // HMAC takes a key of any length
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// A secret just generated: `plaintext` is shown to its owner once and then dropped;
/// `digest` (see [`ApiTokenText::digest`]) and `display_prefix` are what is stored.
/// `Debug` leaves the plaintext out.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSecret {
    /// The full secret, e.g. `wdn_…`: never logged, never stored.
    pub plaintext: String,
    /// HMAC-SHA-256 of the plaintext under the digest key, lowercase hex (64 characters).
    pub digest: String,
    /// The prefix and the first four random characters (e.g. `wdn_7Gx2`), shown in lists
    /// so that an owner can tell their secrets apart.
    pub display_prefix: String,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("display_prefix", &self.display_prefix)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// A presented API token that has the right prefix, length, alphabet and checksum. Only
/// [`parse_api_token`] makes one; it still has to be looked up by its [`digest`](Self::digest)
/// to mean anything. `Debug` shows only its display prefix; there is no `PartialEq`, since
/// secrets are compared through their digests only.
#[derive(Clone)]
pub struct ApiTokenText(String);

/// A presented client secret that has the right prefix, length, alphabet and checksum. Only
/// [`parse_client_secret`] makes one. `Debug` shows only its display prefix; compare it with
/// [`matches_digest`](Self::matches_digest).
#[derive(Clone)]
pub struct ClientSecretText(String);

impl ApiTokenText {
    /// The lookup key of this token: HMAC-SHA-256 of its text under `key`, lowercase hex.
    /// Equal to the `digest` of the [`NewSecret`] it was generated as, under the same key.
    pub fn digest(&self, key: &[u8; 32]) -> String {
        hex(&self.raw_digest(key))
    }

    /// The same digest as bytes, as the API's credential cache keys it (no hex, no
    /// allocation on every request).
    pub fn raw_digest(&self, key: &[u8; 32]) -> [u8; 32] {
        raw_digest_of(key, &self.0)
    }

    /// What the console shows of this token (e.g. `wdn_7Gx2`).
    pub fn display_prefix(&self) -> &str {
        display_prefix_of(&self.0)
    }
}

impl ClientSecretText {
    /// HMAC-SHA-256 of this secret under `key`, lowercase hex: what `api_clients` stores.
    pub fn digest(&self, key: &[u8; 32]) -> String {
        digest_of(key, &self.0)
    }

    /// Whether this secret is the one whose digest under `key` is `stored`, compared in
    /// constant time (a client's secret is checked against its row, not looked up by it).
    pub fn matches_digest(&self, key: &[u8; 32], stored: &str) -> bool {
        self.digest(key).as_bytes().ct_eq(stored.as_bytes()).into()
    }

    /// What the console shows of this secret (e.g. `wds_Qm9a`).
    pub fn display_prefix(&self) -> &str {
        display_prefix_of(&self.0)
    }
}

impl std::fmt::Debug for ApiTokenText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokenText({}…)", self.display_prefix())
    }
}

impl std::fmt::Debug for ClientSecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientSecretText({}…)", self.display_prefix())
    }
}

/// Generates a new API token from the operating system's random generator, with its digest
/// under `digest_key`. The caller stores `digest` and `display_prefix` and shows
/// `plaintext` once.
pub fn generate_api_token(digest_key: &[u8; 32]) -> NewSecret {
    new_secret(API_TOKEN_PREFIX, digest_key)
}

/// Reads a presented API token (exactly, without `Bearer ` or surrounding spaces), refusing
/// anything that is not one: another prefix, another length, a character outside base62, or
/// a checksum that does not match. Cheap and free of I/O: run it before any lookup.
pub fn parse_api_token(text: &str) -> Result<ApiTokenText, CredentialFormatError> {
    check_secret(API_TOKEN_PREFIX, text).map(|()| ApiTokenText(text.to_owned()))
}

/// Generates a new client secret, with its digest under `digest_key`; as
/// [`generate_api_token`] with the prefix `wds_`.
pub fn generate_client_secret(digest_key: &[u8; 32]) -> NewSecret {
    new_secret(CLIENT_SECRET_PREFIX, digest_key)
}

/// Reads a presented client secret; as [`parse_api_token`] with the prefix `wds_`.
pub fn parse_client_secret(text: &str) -> Result<ClientSecretText, CredentialFormatError> {
    check_secret(CLIENT_SECRET_PREFIX, text).map(|()| ClientSecretText(text.to_owned()))
}

/// The public identifier of a service account's client credentials (`wdc_` + 20 random
/// base62 characters). Not a secret: shown on the console and stored as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ClientId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClientId {
    type Error = CredentialFormatError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        parse_client_id(&text)
    }
}

impl From<ClientId> for String {
    fn from(id: ClientId) -> String {
        id.0
    }
}

/// Generates a new client ID from the operating system's random generator.
pub fn generate_client_id() -> ClientId {
    ClientId(format!(
        "{CLIENT_ID_PREFIX}{}",
        random_base62(CLIENT_ID_RANDOM_LEN)
    ))
}

/// Reads a presented client ID, refusing another prefix, length or alphabet. (It carries
/// no checksum: it is no secret, and an unknown one is refused like a wrong secret.)
pub fn parse_client_id(text: &str) -> Result<ClientId, CredentialFormatError> {
    let random = text
        .strip_prefix(CLIENT_ID_PREFIX)
        .ok_or(CredentialFormatError::WrongPrefix)?;
    if text.len() != CLIENT_ID_LEN {
        return Err(CredentialFormatError::WrongLength);
    }
    if !random.bytes().all(is_base62) {
        return Err(CredentialFormatError::BadCharacter);
    }
    Ok(ClientId(text.to_owned()))
}

fn new_secret(prefix: &str, digest_key: &[u8; 32]) -> NewSecret {
    let plaintext = assemble(prefix, &random_base62(SECRET_RANDOM_LEN));
    NewSecret {
        digest: digest_of(digest_key, &plaintext),
        display_prefix: display_prefix_of(&plaintext).to_owned(),
        plaintext,
    }
}

/// `prefix` + `random` + the base62 CRC32 of `random`.
fn assemble(prefix: &str, random: &str) -> String {
    let checksum = checksum_of(random);
    let mut text = String::with_capacity(prefix.len() + random.len() + CHECKSUM_LEN);
    text.push_str(prefix);
    text.push_str(random);
    // Base62 digits: ASCII.
    text.extend(checksum.iter().map(|&b| char::from(b)));
    text
}

fn check_secret(prefix: &str, text: &str) -> Result<(), CredentialFormatError> {
    let rest = text
        .strip_prefix(prefix)
        .ok_or(CredentialFormatError::WrongPrefix)?;
    if text.len() != SECRET_LEN {
        return Err(CredentialFormatError::WrongLength);
    }
    if !rest.bytes().all(is_base62) {
        return Err(CredentialFormatError::BadCharacter);
    }
    // All ASCII from here on, so byte offsets are character offsets.
    let (random, checksum) = rest.split_at(SECRET_RANDOM_LEN);
    // The checksum is no secret (anyone can compute it): no need for constant time.
    if checksum_of(random) != checksum.as_bytes() {
        return Err(CredentialFormatError::ChecksumMismatch);
    }
    Ok(())
}

fn display_prefix_of(text: &str) -> &str {
    // Every secret is ASCII and longer than this (checked or generated), so this slices
    // on a character boundary.
    text.get(..4 + DISPLAY_RANDOM_LEN).unwrap_or(text)
}

fn digest_of(key: &[u8; 32], text: &str) -> String {
    hex(&raw_digest_of(key, text))
}

fn raw_digest_of(key: &[u8; 32], text: &str) -> [u8; 32] {
    let mut mac = hmac_with(key);
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// The CRC32 (IEEE) of `random` as six base62 digits, most significant first, zero-padded.
fn checksum_of(random: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits
}

/// `len` characters drawn uniformly from base62 with the operating system's generator
/// (rejection sampling: bytes ≥ 248 = 4 × 62 are drawn again, so there is no modulo bias).
fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rand::rngs::OsRng.fill_bytes(&mut buf);
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if b < 248 {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Access tokens (OAuth 2.0 client credentials, RFC 6749 §4.4)
// ---------------------------------------------------------------------------------------

/// The key that signs and verifies API access tokens. `Debug` prints nothing of it.
#[derive(Clone)]
pub struct AccessTokenKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for AccessTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessTokenKey(…)")
    }
}

impl AccessTokenKey {
    /// The access-token key of a server whose secret key is `server_secret`:
    /// HMAC(`server_secret`, [`ACCESS_TOKEN_KEY_PURPOSE`]), distinct from every key the
    /// console uses.
    pub fn derive(server_secret: &[u8]) -> AccessTokenKey {
        AccessTokenKey::from_bytes(&derive_key(server_secret, ACCESS_TOKEN_KEY_PURPOSE))
    }

    /// A key of exactly these bytes (tests; [`derive`](Self::derive) otherwise).
    pub fn from_bytes(bytes: &[u8; 32]) -> AccessTokenKey {
        AccessTokenKey {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
        }
    }
}

/// Whom an access token is issued to: what the token endpoint knows once it has checked a
/// client ID and secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessGrant {
    /// The service account (`sub`).
    pub account_id: i64,
    /// Its tenant (`tid`); `None` only for an account outside any tenant.
    pub tenant_id: Option<i64>,
    /// The `api_clients` row whose secret was presented (`cid`).
    pub api_client_id: i64,
}

/// The content of an access token that [`verify_access_token`] accepted. Whether the account,
/// its tenant and its client record still allow access is for the caller to check on every
/// request: a signature only proves that Warden issued the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub account_id: i64,
    pub tenant_id: Option<i64>,
    pub api_client_id: i64,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// `jti`: unique per token (22 random base62 characters), for the audit trail.
    pub token_id: String,
}

/// The claims as they are signed.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tid: Option<i64>,
    cid: i64,
    iat: i64,
    exp: i64,
    jti: String,
}

/// Signs an access token for `grant`, issued at `now` (Unix seconds) and valid for
/// `lifetime_secs` (minutes, as the token endpoint configures): HS256 under `key`, type
/// `at+jwt`, `iss` `warden`, `aud` `warden-api`, a fresh random `jti`. The token is a bearer
/// credential: the caller returns it to the client and neither logs nor stores it.
pub fn issue_access_token(
    key: &AccessTokenKey,
    grant: &AccessGrant,
    now: i64,
    lifetime_secs: i64,
) -> String {
    let claims = WireClaims {
        iss: ACCESS_TOKEN_ISSUER.to_owned(),
        aud: ACCESS_TOKEN_AUDIENCE.to_owned(),
        sub: grant.account_id.to_string(),
        tid: grant.tenant_id,
        cid: grant.api_client_id,
        iat: now,
        exp: now.saturating_add(lifetime_secs),
        jti: random_base62(22),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
    #[allow(clippy::expect_used)]
    // Serialising these plain claims to JSON and an HMAC signature cannot fail.
    jsonwebtoken::encode(&header, &claims, &key.encoding).expect("HS256 signing cannot fail")
}

/// Checks an access token presented at `now` (Unix seconds) and returns its claims: the
/// signature under `key` with HS256 only (`alg: none`, other HMAC sizes and public-key
/// algorithms are refused), type `at+jwt`, issuer `warden`, audience `warden-api`, and time:
/// refused from `exp + CLOCK_LEEWAY_SECS` on, when issued more than the leeway in the
/// future, and when `exp` is not after `iat`. Every refusal other than expiry is
/// [`CredentialFormatError::InvalidAccessToken`].
pub fn verify_access_token(
    key: &AccessTokenKey,
    token: &str,
    now: i64,
) -> Result<AccessClaims, CredentialFormatError> {
    use CredentialFormatError::{AccessTokenExpired, InvalidAccessToken};
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ACCESS_TOKEN_ISSUER]);
    validation.set_audience(&[ACCESS_TOKEN_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    // Times are checked below against the caller's `now`, not the library's clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<WireClaims>(token, &key.decoding, &validation)
        .map_err(|_| InvalidAccessToken)?;
    if data.header.alg != Algorithm::HS256 || data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE)
    {
        return Err(InvalidAccessToken);
    }
    let claims = data.claims;
    if claims.iat > now.saturating_add(CLOCK_LEEWAY_SECS) || claims.exp <= claims.iat {
        return Err(InvalidAccessToken);
    }
    if now >= claims.exp.saturating_add(CLOCK_LEEWAY_SECS) {
        return Err(AccessTokenExpired);
    }
    // `sub` must be exactly an account id as `issue_access_token` writes it.
    let account_id: i64 = claims.sub.parse().map_err(|_| InvalidAccessToken)?;
    if account_id.to_string() != claims.sub {
        return Err(InvalidAccessToken);
    }
    Ok(AccessClaims {
        account_id,
        tenant_id: claims.tid,
        api_client_id: claims.cid,
        issued_at: claims.iat,
        expires_at: claims.exp,
        token_id: claims.jti,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use base64::Engine;
    use proptest::prelude::*;

    /// Base64url without padding, as JWT segments are written: to build odd tokens.
    fn b64url(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    const KEY: [u8; 32] = [7u8; 32];
    const OTHER_KEY: [u8; 32] = [8u8; 32];
    const NOW: i64 = 1_800_000_000;

    fn grant() -> AccessGrant {
        AccessGrant {
            account_id: 42,
            tenant_id: Some(3),
            api_client_id: 9,
        }
    }

    fn access_key() -> AccessTokenKey {
        AccessTokenKey::derive(b"the server's secret key")
    }

    /// Signs arbitrary claims with an arbitrary header, to build tokens Warden never issues.
    fn sign_raw(header: &Header, claims: &serde_json::Value, key: &[u8]) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(key)).unwrap()
    }

    fn at_header() -> Header {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".to_owned());
        header
    }

    fn good_claims() -> serde_json::Value {
        serde_json::json!({
            "iss": "warden", "aud": "warden-api", "sub": "42", "tid": 3, "cid": 9,
            "iat": NOW, "exp": NOW + 300, "jti": "abc",
        })
    }

    fn access_key_bytes() -> [u8; 32] {
        derive_key(b"the server's secret key", ACCESS_TOKEN_KEY_PURPOSE)
    }

    #[test]
    fn a_generated_api_token_has_the_documented_shape_and_parses() {
        for _ in 0..200 {
            let new = generate_api_token(&KEY);
            assert_eq!(new.plaintext.len(), SECRET_LEN);
            assert!(new.plaintext.starts_with("wdn_"));
            assert!(new.plaintext[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(new.display_prefix, new.plaintext[..8]);
            let parsed = parse_api_token(&new.plaintext).unwrap();
            assert_eq!(parsed.digest(&KEY), new.digest);
            assert_eq!(parsed.display_prefix(), new.display_prefix);
        }
    }

    #[test]
    fn a_generated_client_secret_parses_and_matches_its_digest_only() {
        let new = generate_client_secret(&KEY);
        assert!(new.plaintext.starts_with("wds_"));
        let parsed = parse_client_secret(&new.plaintext).unwrap();
        assert!(parsed.matches_digest(&KEY, &new.digest));
        assert!(!parsed.matches_digest(&OTHER_KEY, &new.digest));
        let other = generate_client_secret(&KEY);
        assert!(!parsed.matches_digest(&KEY, &other.digest));
        assert!(!parsed.matches_digest(&KEY, ""));
    }

    #[test]
    fn generated_secrets_differ() {
        let a = generate_api_token(&KEY);
        let b = generate_api_token(&KEY);
        assert_ne!(a.plaintext, b.plaintext);
        assert_ne!(a.digest, b.digest);
        assert_ne!(generate_client_id(), generate_client_id());
    }

    #[test]
    fn a_token_and_a_client_secret_are_never_taken_for_each_other() {
        let token = generate_api_token(&KEY).plaintext;
        let secret = generate_client_secret(&KEY).plaintext;
        assert_eq!(
            parse_client_secret(&token).err(),
            Some(CredentialFormatError::WrongPrefix)
        );
        assert_eq!(
            parse_api_token(&secret).err(),
            Some(CredentialFormatError::WrongPrefix)
        );
        assert_eq!(
            parse_api_token(generate_client_id().as_str()).err(),
            Some(CredentialFormatError::WrongPrefix)
        );
    }

    #[test]
    fn malformed_tokens_are_refused_with_the_reason() {
        let token = generate_api_token(&KEY).plaintext;
        assert_eq!(
            parse_api_token("").err(),
            Some(CredentialFormatError::WrongPrefix)
        );
        assert_eq!(
            parse_api_token(&format!("Bearer {token}")).err(),
            Some(CredentialFormatError::WrongPrefix)
        );
        assert_eq!(
            parse_api_token(&token[..SECRET_LEN - 1]).err(),
            Some(CredentialFormatError::WrongLength)
        );
        assert_eq!(
            parse_api_token(&format!("{token}\n")).err(),
            Some(CredentialFormatError::WrongLength)
        );
        assert_eq!(
            parse_api_token(&format!("wdn_{}", "-".repeat(36))).err(),
            Some(CredentialFormatError::BadCharacter)
        );
        // Right shape, made-up content: the checksum catches it.
        assert_eq!(
            parse_api_token(&format!("wdn_{}", "A".repeat(36))).err(),
            Some(CredentialFormatError::ChecksumMismatch)
        );
    }

    #[test]
    fn the_checksum_is_the_crc32_of_the_random_part_in_six_base62_digits() {
        // crc32("") = 0; crc32("123456789") = 0xCBF43926 = 3421780262 (the check value).
        assert_eq!(&checksum_of(""), b"000000");
        let mut n: u64 = 3_421_780_262;
        let mut expected = Vec::new();
        for _ in 0..6 {
            expected.push(BASE62[(n % 62) as usize]);
            n /= 62;
        }
        expected.reverse();
        assert_eq!(checksum_of("123456789").as_slice(), expected.as_slice());
        // The largest CRC still fits in six digits.
        assert!(62u64.pow(6) > u64::from(u32::MAX));
    }

    #[test]
    fn client_ids_have_their_shape_and_carry_no_secret() {
        let id = generate_client_id();
        assert_eq!(id.as_str().len(), CLIENT_ID_LEN);
        assert_eq!(parse_client_id(id.as_str()), Ok(id.clone()));
        assert_eq!(
            parse_client_id("wdc_short"),
            Err(CredentialFormatError::WrongLength)
        );
        assert_eq!(
            parse_client_id(&format!("wdc_{}", "!".repeat(20))),
            Err(CredentialFormatError::BadCharacter)
        );
        assert_eq!(
            parse_client_id(&format!("wds_{}", "a".repeat(20))),
            Err(CredentialFormatError::WrongPrefix)
        );
        // Serialises as its text and refuses a malformed one when read.
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<ClientId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ClientId>("\"wdc_x\"").is_err());
    }

    #[test]
    fn debug_output_never_contains_a_plaintext_secret() {
        let new = generate_api_token(&KEY);
        let random = &new.plaintext[8..];
        let shown = format!(
            "{new:?} {:?} {:?}",
            parse_api_token(&new.plaintext).unwrap(),
            access_key()
        );
        assert!(!shown.contains(random), "{shown}");
        assert!(shown.contains(&new.display_prefix));
        let secret = generate_client_secret(&KEY);
        let shown = format!(
            "{secret:?} {:?}",
            parse_client_secret(&secret.plaintext).unwrap()
        );
        assert!(!shown.contains(&secret.plaintext[8..]), "{shown}");
    }

    #[test]
    fn derived_keys_depend_on_the_secret_and_the_purpose() {
        let a = derive_key(b"secret", DIGEST_KEY_PURPOSE);
        assert_eq!(a, derive_key(b"secret", DIGEST_KEY_PURPOSE));
        assert_ne!(a, derive_key(b"secret", ACCESS_TOKEN_KEY_PURPOSE));
        assert_ne!(a, derive_key(b"another secret", DIGEST_KEY_PURPOSE));
    }

    #[test]
    fn the_digest_is_hex_hmac_sha256_of_the_whole_token() {
        let token = parse_api_token(&generate_api_token(&KEY).plaintext).unwrap();
        let mut mac = hmac_with(&KEY);
        mac.update(token.0.as_bytes());
        assert_eq!(token.digest(&KEY), hex(&mac.finalize().into_bytes()));
        assert_eq!(token.digest(&KEY).len(), 64);
    }

    #[test]
    fn an_issued_access_token_verifies_with_its_claims() {
        let key = access_key();
        let token = issue_access_token(&key, &grant(), NOW, 600);
        let claims = verify_access_token(&key, &token, NOW + 1).unwrap();
        assert_eq!(claims.account_id, 42);
        assert_eq!(claims.tenant_id, Some(3));
        assert_eq!(claims.api_client_id, 9);
        assert_eq!(claims.issued_at, NOW);
        assert_eq!(claims.expires_at, NOW + 600);
        assert_eq!(claims.token_id.len(), 22);
        let other = issue_access_token(&key, &grant(), NOW, 600);
        let other_id = verify_access_token(&key, &other, NOW).unwrap().token_id;
        assert_ne!(claims.token_id, other_id);
    }

    #[test]
    fn an_access_token_without_a_tenant_verifies_without_one() {
        let key = access_key();
        let grant = AccessGrant {
            tenant_id: None,
            ..grant()
        };
        let token = issue_access_token(&key, &grant, NOW, 60);
        assert_eq!(
            verify_access_token(&key, &token, NOW).unwrap().tenant_id,
            None
        );
    }

    #[test]
    fn an_access_token_expires_with_a_few_seconds_of_leeway_only() {
        let key = access_key();
        let token = issue_access_token(&key, &grant(), NOW, 300);
        assert!(verify_access_token(&key, &token, NOW + 300).is_ok());
        assert!(verify_access_token(&key, &token, NOW + 300 + CLOCK_LEEWAY_SECS - 1).is_ok());
        assert_eq!(
            verify_access_token(&key, &token, NOW + 300 + CLOCK_LEEWAY_SECS),
            Err(CredentialFormatError::AccessTokenExpired)
        );
        assert_eq!(
            verify_access_token(&key, &token, NOW + 86_400),
            Err(CredentialFormatError::AccessTokenExpired)
        );
    }

    #[test]
    fn an_access_token_issued_in_the_future_is_refused() {
        let key = access_key();
        let token = issue_access_token(&key, &grant(), NOW + 60, 300);
        assert_eq!(
            verify_access_token(&key, &token, NOW),
            Err(CredentialFormatError::InvalidAccessToken)
        );
        assert!(verify_access_token(&key, &token, NOW + 60 - CLOCK_LEEWAY_SECS).is_ok());
    }

    #[test]
    fn an_access_token_signed_with_another_key_is_refused() {
        let token = issue_access_token(
            &AccessTokenKey::derive(b"another server"),
            &grant(),
            NOW,
            60,
        );
        assert_eq!(
            verify_access_token(&access_key(), &token, NOW),
            Err(CredentialFormatError::InvalidAccessToken)
        );
        // Nor with the server's secret itself, not derived (as console sessions are signed).
        let raw = sign_raw(&at_header(), &good_claims(), b"the server's secret key");
        assert!(verify_access_token(&access_key(), &raw, NOW).is_err());
    }

    #[test]
    fn the_test_helper_builds_tokens_that_verify() {
        // So that each refusal below is due to the one thing changed.
        let raw = sign_raw(&at_header(), &good_claims(), &access_key_bytes());
        assert!(verify_access_token(&access_key(), &raw, NOW).is_ok());
    }

    #[test]
    fn an_access_token_for_another_audience_or_issuer_is_refused() {
        let key = access_key_bytes();
        for (field, value) in [
            ("aud", "warden-console"),
            ("aud", "warden-mfa-step"),
            ("iss", "someone-else"),
        ] {
            let mut claims = good_claims();
            claims[field] = serde_json::json!(value);
            let raw = sign_raw(&at_header(), &claims, &key);
            assert_eq!(
                verify_access_token(&access_key(), &raw, NOW),
                Err(CredentialFormatError::InvalidAccessToken),
                "{field} = {value}"
            );
        }
    }

    #[test]
    fn an_access_token_missing_a_claim_or_with_a_bad_subject_is_refused() {
        let key = access_key_bytes();
        for missing in ["iss", "aud", "sub", "cid", "iat", "exp", "jti"] {
            let mut claims = good_claims();
            claims.as_object_mut().unwrap().remove(missing);
            let raw = sign_raw(&at_header(), &claims, &key);
            assert!(
                verify_access_token(&access_key(), &raw, NOW).is_err(),
                "without {missing}"
            );
        }
        for sub in ["", "x", "042", "+42", "4.2", "99999999999999999999"] {
            let mut claims = good_claims();
            claims["sub"] = serde_json::json!(sub);
            let raw = sign_raw(&at_header(), &claims, &key);
            assert!(
                verify_access_token(&access_key(), &raw, NOW).is_err(),
                "sub {sub:?}"
            );
        }
    }

    #[test]
    fn an_access_token_of_another_type_or_algorithm_is_refused() {
        let key = access_key_bytes();
        // A console-style token (typ JWT) under the right key.
        let raw = sign_raw(&Header::new(Algorithm::HS256), &good_claims(), &key);
        assert!(verify_access_token(&access_key(), &raw, NOW).is_err());
        // HS384 / HS512 under the right key.
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let mut header = Header::new(alg);
            header.typ = Some("at+jwt".to_owned());
            let raw = sign_raw(&header, &good_claims(), &key);
            assert!(
                verify_access_token(&access_key(), &raw, NOW).is_err(),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn an_unsigned_access_token_is_refused() {
        let payload = b64url(good_claims().to_string().as_bytes());
        for header in [
            r#"{"alg":"none","typ":"at+jwt"}"#,
            r#"{"alg":"None","typ":"at+jwt"}"#,
            r#"{"typ":"at+jwt"}"#,
        ] {
            let header = b64url(header.as_bytes());
            for token in [
                format!("{header}.{payload}."),
                format!("{header}.{payload}"),
            ] {
                assert_eq!(
                    verify_access_token(&access_key(), &token, NOW),
                    Err(CredentialFormatError::InvalidAccessToken),
                    "{token}"
                );
            }
        }
    }

    #[test]
    fn an_access_token_with_a_changed_payload_is_refused() {
        let key = access_key();
        let token = issue_access_token(&key, &grant(), NOW, 600);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        // Another account, re-encoded, with the original signature.
        let mut claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        claims["sub"] = serde_json::json!("1");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64url(claims.to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(
            verify_access_token(&key, &forged, NOW),
            Err(CredentialFormatError::InvalidAccessToken)
        );
        assert!(verify_access_token(&key, "", NOW).is_err());
        assert!(verify_access_token(&key, "a.b.c", NOW).is_err());
        assert!(verify_access_token(&key, &generate_api_token(&KEY).plaintext, NOW).is_err());
    }

    /// Every character that may stand in a credential, and a few that may not.
    fn any_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => proptest::char::range('0', 'z'),
            1 => any::<char>(),
        ]
    }

    proptest! {
        #[test]
        fn any_random_part_assembles_into_a_token_that_parses(
            random in "[0-9A-Za-z]{30}",
        ) {
            let token = assemble(API_TOKEN_PREFIX, &random);
            prop_assert!(parse_api_token(&token).is_ok());
            let secret = assemble(CLIENT_SECRET_PREFIX, &random);
            prop_assert!(parse_client_secret(&secret).is_ok());
        }

        #[test]
        fn changing_any_one_character_of_a_token_makes_it_refused(
            random in "[0-9A-Za-z]{30}",
            at in 0..SECRET_LEN,
            replacement in any_char(),
        ) {
            let token = assemble(API_TOKEN_PREFIX, &random);
            let original = token.chars().nth(at).unwrap();
            prop_assume!(replacement != original);
            let changed: String = token
                .chars()
                .enumerate()
                .map(|(i, c)| if i == at { replacement } else { c })
                .collect();
            prop_assert!(parse_api_token(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn a_token_with_a_character_added_or_removed_is_refused(
            random in "[0-9A-Za-z]{30}",
            at in 0..=SECRET_LEN,
            extra in any_char(),
        ) {
            let token = assemble(API_TOKEN_PREFIX, &random);
            let mut longer = token.clone();
            longer.insert(at, extra);
            prop_assert!(parse_api_token(&longer).is_err());
            let mut shorter = token.clone();
            shorter.remove(at.min(SECRET_LEN - 1));
            prop_assert!(parse_api_token(&shorter).is_err());
        }

        #[test]
        fn a_token_of_another_prefix_is_refused(
            prefix in "[a-z]{2,4}_?",
            random in "[0-9A-Za-z]{30}",
        ) {
            prop_assume!(prefix != API_TOKEN_PREFIX);
            let token = assemble(&prefix, &random);
            prop_assert!(parse_api_token(&token).is_err());
            prop_assume!(prefix != CLIENT_SECRET_PREFIX);
            prop_assert!(parse_client_secret(&token).is_err());
        }

        #[test]
        fn the_digest_is_deterministic_and_depends_on_key_and_token(
            a in "[0-9A-Za-z]{30}",
            b in "[0-9A-Za-z]{30}",
            key_a in any::<[u8; 32]>(),
            key_b in any::<[u8; 32]>(),
        ) {
            let ta = parse_api_token(&assemble(API_TOKEN_PREFIX, &a)).unwrap();
            prop_assert_eq!(ta.digest(&key_a), ta.digest(&key_a));
            prop_assert_eq!(ta.digest(&key_a).len(), 64);
            if key_a != key_b {
                prop_assert_ne!(ta.digest(&key_a), ta.digest(&key_b));
            }
            let tb = parse_api_token(&assemble(API_TOKEN_PREFIX, &b)).unwrap();
            if a != b {
                prop_assert_ne!(ta.digest(&key_a), tb.digest(&key_a));
            }
            // A client secret with the same random part has another digest.
            let sa = parse_client_secret(&assemble(CLIENT_SECRET_PREFIX, &a)).unwrap();
            prop_assert_ne!(ta.digest(&key_a), sa.digest(&key_a));
        }

        #[test]
        fn access_tokens_round_trip_their_grant(
            account_id in any::<i64>(),
            tenant_id in proptest::option::of(any::<i64>()),
            api_client_id in any::<i64>(),
            now in 0i64..4_000_000_000,
            lifetime in 1i64..86_400,
        ) {
            let key = access_key();
            let grant = AccessGrant { account_id, tenant_id, api_client_id };
            let token = issue_access_token(&key, &grant, now, lifetime);
            let claims = verify_access_token(&key, &token, now).unwrap();
            prop_assert_eq!(
                (claims.account_id, claims.tenant_id, claims.api_client_id),
                (account_id, tenant_id, api_client_id)
            );
            let too_late = now + lifetime + CLOCK_LEEWAY_SECS;
            prop_assert!(verify_access_token(&key, &token, too_late).is_err());
        }

        #[test]
        fn changing_any_one_character_of_an_access_token_makes_it_refused(
            at in any::<proptest::sample::Index>(),
            replacement in any_char(),
        ) {
            let key = access_key();
            let token = issue_access_token(&key, &grant(), NOW, 600);
            let at = at.index(token.len());
            let original = token.chars().nth(at).unwrap();
            prop_assume!(replacement != original);
            let changed: String = token
                .chars()
                .enumerate()
                .map(|(i, c)| if i == at { replacement } else { c })
                .collect();
            prop_assert!(verify_access_token(&key, &changed, NOW).is_err(), "{} accepted", changed);
        }
    }
}
