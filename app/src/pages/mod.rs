//! One module per page of the console.

pub mod account;
pub mod account_access;
pub mod audit;
pub mod change_password;
pub mod import;
pub mod login;
pub mod mfa;
pub mod not_found;
pub mod overview;
pub mod profile;
pub mod role;
pub mod roles;
pub mod setup;
pub mod tenants;
pub mod users;

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

#[cfg(test)]
mod tests {
    use super::format_date;

    #[test]
    fn dates_are_formatted_in_utc() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_date(1_795_305_600), "2026-11-22");
        assert_eq!(format_date(-86_400), "1969-12-31");
    }

    #[test]
    fn an_expiration_shows_the_day_it_ends() {
        let now = 1_795_305_600; // 2026-11-22
        let at = crate::domain::parse_expiration("2027-01-31", now)
            .unwrap()
            .unwrap();
        assert_eq!(super::last_valid_day(at), "2027-01-31");
    }
}
