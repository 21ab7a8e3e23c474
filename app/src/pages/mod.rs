//! One module per page of the console.

pub mod account;
pub mod account_access;
pub mod audit;
pub mod change_password;
pub mod credentials;
pub mod import;
pub mod login;
pub mod mfa;
pub mod not_found;
pub mod outbox;
pub mod overview;
pub mod profile;
pub mod role;
pub mod roles;
pub mod settings;
pub mod setup;
pub mod tenants;
pub mod users;

pub use crate::domain::{format_date, last_valid_day};

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
