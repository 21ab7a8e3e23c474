//! CSV import and export of accounts (SPEC §2.4). The browser reads the file and checks what
//! it can at once (the format, the columns, duplicates inside the file); the server checks
//! each row with the same rules as the account form, then creates the rows in batches, so a
//! large file shows its progress. Export writes the same columns, so an export can be edited
//! and imported again.

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rows per request: small enough for smooth progress while passwords are hashed.
pub const BATCH_ROWS: usize = 25;
/// The largest file accepted, in rows.
pub const MAX_ROWS: usize = 100_000;

/// The columns, in export order. Import needs `username`, `email`, `full_name` and `type`;
/// the rest are optional.
pub const COLUMNS: [&str; 15] = [
    "username",
    "email",
    "full_name",
    "type",
    "tenant",
    "status",
    "job_title",
    "country_code",
    "phone",
    "valid_until",
    "ref_id_1",
    "ref_id_2",
    "external_id",
    "created_on",
    "temporary_password",
];

/// Columns export writes that import reads but ignores (the server decides them).
const IGNORED_ON_IMPORT: [&str; 2] = ["status", "created_on"];
const REQUIRED: [&str; 4] = ["username", "email", "full_name", "type"];

/// One data row of an import file: its line number in the file (for messages) and its
/// values by column name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: usize,
    pub values: HashMap<String, String>,
}

impl ImportRow {
    pub fn get(&self, column: &str) -> &str {
        self.values.get(column).map(String::as_str).unwrap_or("")
    }
}

/// The server's verdict on one row: the field errors (empty = valid) and, once imported,
/// the new account's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    pub line: usize,
    pub username: String,
    pub errors: FieldErrors,
    pub created: Option<crate::domain::AccountId>,
}

/// Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF, an optional UTF-8
/// byte-order mark) into records, each with the line it starts on.
pub fn parse_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    if !matches!(chars.peek(), None | Some(',' | '\n' | '\r')) {
                        return Err(format!(
                            "Line {line}: a closing quote must end its field (write \"\" for a quote inside one)."
                        ));
                    }
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((record_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                record_line = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(format!(
            "Line {record_line}: a quoted field is never closed."
        ));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    Ok(records)
}

/// Reads an import file: a header row naming the columns (any order, any case), then one
/// account per row. Whole-file problems (format, columns, size) are one message.
pub fn read_import(text: &str) -> Result<Vec<ImportRow>, String> {
    let records = parse_records(text)?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err("The file is empty. The first row must name the columns.".into());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
        .collect();
    for (i, name) in header.iter().enumerate() {
        if !COLUMNS.contains(&name.as_str()) {
            return Err(format!(
                "Column {} is named “{name}”, which Warden does not know. The columns are: {}.",
                i + 1,
                COLUMNS.join(", ")
            ));
        }
        if header[..i].contains(name) {
            return Err(format!("The column “{name}” appears twice."));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|r| !header.iter().any(|h| h == r))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The file has no {} column{}.",
            missing.join(", "),
            if missing.len() > 1 { "s" } else { "" }
        ));
    }
    if rows.is_empty() {
        return Err("The file has a header but no accounts.".into());
    }
    if rows.len() > MAX_ROWS {
        return Err(format!(
            "The file has {} rows; import at most {MAX_ROWS} at a time.",
            rows.len()
        ));
    }
    rows.iter()
        .map(|(line, fields)| {
            if fields.len() != header.len() {
                return Err(format!(
                    "Line {line} has {} values; the header names {} columns.",
                    fields.len(),
                    header.len()
                ));
            }
            Ok(ImportRow {
                line: *line,
                values: header
                    .iter()
                    .zip(fields)
                    .filter(|(h, _)| !IGNORED_ON_IMPORT.contains(&h.as_str()))
                    .map(|(h, v)| (h.clone(), unguard(v).to_owned()))
                    .collect(),
            })
        })
        .collect()
}

/// Field errors for values that repeat inside the file (usernames and emails across the
/// platform, external IDs within a tenant): every repeat after the first is an error.
pub fn duplicates_in_file(rows: &[ImportRow]) -> Vec<(usize, &'static str, String)> {
    let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut found = Vec::new();
    for row in rows {
        let keys: [(&'static str, String); 3] = [
            ("username", row.get("username").trim().to_lowercase()),
            ("email", row.get("email").trim().to_lowercase()),
            (
                "external_id",
                match row.get("external_id").trim() {
                    "" => String::new(),
                    id => format!("{}\u{0}{id}", row.get("tenant").trim().to_lowercase()),
                },
            ),
        ];
        for (field, key) in keys {
            if key.is_empty() {
                continue;
            }
            match seen.get(&(field, key.clone())) {
                Some(first) => {
                    found.push((row.line, field, format!("Line {first} has the same value.")))
                }
                None => {
                    seen.insert((field, key), row.line);
                }
            }
        }
    }
    found
}

/// Cells that start like a spreadsheet formula are written with a leading `'`, so opening an
/// export in a spreadsheet never runs one (CSV injection); import removes it again.
pub fn guard(value: &str) -> String {
    if needs_guard(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Starts like a formula, or is a `'` before something that needs one (so that a value
/// really starting with `'=` survives the round trip).
fn needs_guard(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
        || value.strip_prefix('\'').is_some_and(needs_guard)
}

fn unguard(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => value,
    }
}

/// One CSV line (with CRLF), each value guarded and quoted when needed.
pub fn write_record<S: AsRef<str>>(values: &[S]) -> String {
    let mut out = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = guard(value.as_ref());
        if value.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&value);
        }
    }
    out.push_str("\r\n");
    out
}

/// An account's values in [`COLUMNS`] order, as export writes them (the country code without
/// its `+`, which a spreadsheet would read as a formula; import accepts either).
pub fn export_values(account: &crate::directory::AccountDetail) -> Vec<String> {
    let a = &account.summary;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        a.username.clone(),
        a.email.clone(),
        a.full_name.clone(),
        a.tier.as_str().to_owned(),
        text(&a.tenant_name),
        a.status.as_str().to_owned(),
        text(&account.job_title),
        account
            .country_code
            .as_deref()
            .map(|c| c.trim_start_matches('+').to_owned())
            .unwrap_or_default(),
        text(&account.phone),
        a.expires_at
            .map(crate::pages::last_valid_day)
            .unwrap_or_default(),
        text(&account.ref_id_1),
        text(&account.ref_id_2),
        text(&a.external_id),
        crate::pages::format_date(a.created_at),
        String::new(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "\u{feff}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n\n";
        let records = parse_records(text).unwrap();
        assert_eq!(
            records,
            vec![
                (1, vec!["a".to_owned(), "b".to_owned()]),
                (2, vec!["x, y".to_owned(), "say \"hi\"".to_owned()]),
                (3, vec!["two\nlines".to_owned(), "z".to_owned()]),
            ]
        );
    }

    #[test]
    fn broken_quoting_is_reported_with_its_line() {
        assert_eq!(
            parse_records("a\n\"open").unwrap_err(),
            "Line 2: a quoted field is never closed."
        );
        assert!(parse_records("\"a\"b,c")
            .unwrap_err()
            .starts_with("Line 1:"));
    }

    #[test]
    fn the_header_names_known_columns_in_any_order_and_case() {
        let rows =
            read_import("Email,USERNAME,Full Name,type,status\nz@x.io,zed_one,Zed,user,Active\n")
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].get("username"), "zed_one");
        assert_eq!(rows[0].get("full_name"), "Zed");
        assert_eq!(rows[0].get("status"), "", "status is decided by the server");
    }

    #[test]
    fn whole_file_problems_are_one_clear_message() {
        assert!(read_import("").unwrap_err().contains("empty"));
        assert!(read_import("username,email,full_name,type\n")
            .unwrap_err()
            .contains("no accounts"));
        assert!(read_import("username,emial,full_name,type\na,b,c,d\n")
            .unwrap_err()
            .contains("“emial”"));
        assert!(read_import("username,email\na,b\n")
            .unwrap_err()
            .contains("no full_name, type columns"));
        assert!(read_import("username,email,full_name,type\na,b,c\n")
            .unwrap_err()
            .starts_with("Line 2 has 3 values"));
        assert!(read_import("username,email,full_name,type,email\n")
            .unwrap_err()
            .contains("appears twice"));
    }

    #[test]
    fn repeats_inside_the_file_point_at_the_first() {
        let rows = read_import(
            "username,email,full_name,type,tenant,external_id\n\
             ann_one,ann@x.io,Ann,user,Acme,E1\n\
             ANN_ONE,other@x.io,Ann,user,Acme,E2\n\
             bob_one,ANN@x.io,Bob,user,Beta,E1\n\
             cat_one,cat@x.io,Cat,user,Acme,E1\n",
        )
        .unwrap();
        assert_eq!(
            duplicates_in_file(&rows),
            vec![
                (3, "username", "Line 2 has the same value.".to_owned()),
                (4, "email", "Line 2 has the same value.".to_owned()),
                (5, "external_id", "Line 2 has the same value.".to_owned()),
            ]
        );
    }

    #[test]
    fn formulas_are_defused_on_export_and_restored_on_import() {
        assert_eq!(
            write_record(&["=HYPERLINK(\"x\")", "plain", "a,b"]),
            "\"'=HYPERLINK(\"\"x\"\")\",plain,\"a,b\"\r\n"
        );
        assert_eq!(unguard("'=1+1"), "=1+1");
        assert_eq!(unguard("'quoted"), "'quoted");
        assert_eq!(guard("'=1"), "''=1");
        assert_eq!(unguard("''=1"), "'=1");
    }

    proptest! {
        /// Whatever the values, a written record reads back as the same values.
        #[test]
        fn records_survive_a_round_trip(values in prop::collection::vec("\\PC{0,12}|[\",\\r\\n=+'ab]{0,6}", 1..6)) {
            let text = write_record(&values);
            let records = parse_records(&text).unwrap();
            let expected: Vec<String> = values.iter().map(|v| guard(v)).collect();
            if expected.iter().all(String::is_empty) && expected.len() == 1 {
                prop_assert!(records.is_empty());
            } else {
                prop_assert_eq!(records.len(), 1);
                let read: Vec<String> = records[0].1.iter().map(|v| unguard(v).to_owned()).collect();
                prop_assert_eq!(read, values);
            }
        }
    }
}
