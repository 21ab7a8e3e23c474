//! `/users/import`: create many accounts from a CSV file. The browser reads and checks the
//! file (format, columns, repeats), the server checks every row with the account form's
//! rules, the administrator chooses all-or-nothing or the valid rows only, and the import runs
//! in small batches with its progress shown.

use crate::access::may_create_accounts;
use crate::api::{import_accounts, SessionView};
use crate::components::layout::GuardedPage;
use crate::csv::{duplicates_in_file, read_import, ImportRow, RowResult, BATCH_ROWS, COLUMNS};
use leptos::prelude::*;

/// Errors listed on the page; the rest are counted.
const SHOWN_ERRORS: usize = 200;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <GuardedPage title="Import accounts" decide=may_create_accounts back=("/users", "← Users")
            page=|session: SessionView| {
                // A tenant's administrator imports into their own tenant: its policy applies.
                let policy = session.actor.tenant_id.map(|_| session.password_policy.describe());
                view! { <Import policy=policy/> }
            }/>
    }
}

/// Where the import stands.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// No file yet.
    Choose,
    /// The file could not be read as an accounts file.
    Unreadable(String),
    /// `done` of the file's rows checked so far.
    Checking { done: usize },
    /// Checked: the verdict on every row.
    Checked(Vec<RowResult>),
    /// `done` of `total` rows sent for import.
    Importing { done: usize, total: usize },
    /// Finished: the verdict on every row sent.
    Imported(Vec<RowResult>),
    /// A request failed: what is known, and the message.
    Failed(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    AllOrNothing,
    ValidRows,
}

/// The verdicts of `rows` checked in batches, with repeats across the whole file added.
async fn check(rows: &[ImportRow], progress: impl Fn(usize)) -> Result<Vec<RowResult>, String> {
    let mut results = Vec::with_capacity(rows.len());
    for batch in rows.chunks(BATCH_ROWS * 4) {
        let answer = import_accounts(batch.to_vec(), false)
            .await
            .map_err(|e| e.to_string())?;
        results.extend(answer);
        progress(results.len());
    }
    for (line, field, message) in duplicates_in_file(rows) {
        if let Some(result) = results.iter_mut().find(|r| r.line == line) {
            if result.errors.first(field) != Some(message.as_str()) {
                result.errors.add(field, message);
            }
        }
    }
    Ok(results)
}

/// `policy`: the password policy that applies to every row, when there is only one (a
/// tenant's administrator); `None` when each row's tenant decides.
/// The whole import: an island, since the browser reads the file, shows the checks and
/// drives the batches.
#[island(lazy)]
fn Import(policy: Option<String>) -> impl IntoView {
    crate::islands::hydrated();
    let stage = RwSignal::new(Stage::Choose);
    let rows = StoredValue::new(Vec::<ImportRow>::new());
    let file_name = RwSignal::new(String::new());
    let mode = RwSignal::new(Mode::AllOrNothing);

    let on_file = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        file_name.set(file.name());
        stage.set(Stage::Checking { done: 0 });
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(value) => value.as_string().unwrap_or_default(),
                Err(_) => {
                    stage.set(Stage::Unreadable("The file could not be read.".into()));
                    return;
                }
            };
            let parsed = match read_import(&text) {
                Ok(parsed) => parsed,
                Err(message) => {
                    stage.set(Stage::Unreadable(message));
                    return;
                }
            };
            rows.set_value(parsed.clone());
            match check(&parsed, |done| stage.set(Stage::Checking { done })).await {
                Ok(results) => stage.set(Stage::Checked(results)),
                Err(message) => stage.set(Stage::Failed(message)),
            }
        });
    };

    let run = move |_| {
        let Stage::Checked(results) = stage.get_untracked() else {
            return;
        };
        let valid: Vec<usize> = results
            .iter()
            .filter(|r| r.errors.is_empty())
            .map(|r| r.line)
            .collect();
        let chosen: Vec<ImportRow> = rows.with_value(|all| {
            all.iter()
                .filter(|r| valid.contains(&r.line))
                .cloned()
                .collect()
        });
        if mode.get_untracked() == Mode::AllOrNothing && chosen.len() != results.len() {
            return;
        }
        let total = chosen.len();
        stage.set(Stage::Importing { done: 0, total });
        leptos::task::spawn_local(async move {
            let mut imported = Vec::with_capacity(total);
            for batch in chosen.chunks(BATCH_ROWS) {
                match import_accounts(batch.to_vec(), true).await {
                    Ok(answer) => imported.extend(answer),
                    Err(err) => {
                        let done = imported
                            .iter()
                            .filter(|r: &&RowResult| r.created.is_some())
                            .count();
                        stage.set(Stage::Failed(format!(
                            "The import stopped: {err} {done} accounts were created before it did; \
                             importing the same file again skips them (their usernames are taken)."
                        )));
                        return;
                    }
                }
                stage.set(Stage::Importing {
                    done: imported.len(),
                    total,
                });
            }
            stage.set(Stage::Imported(imported));
        });
    };

    let total_rows = move || rows.with_value(Vec::len);
    view! {
        <div class="page-head">
            <h1>"Import accounts"</h1>
            <p class="lead">
                "Create many accounts from a CSV file. Every row is checked with the same rules as the "
                "account form before anything is created."
            </p>
        </div>
        <section class="panel" aria-labelledby="file-heading">
            <h2 id="file-heading">"1. Choose a file"</h2>
            <details class="format">
                <summary>"The file's format"</summary>
                <p class="muted">
                    "The first row names the columns, in any order. Required: "
                    <code>"username"</code>", "<code>"email"</code>", "<code>"full_name"</code>", "<code>"type"</code>
                    " (user, tenant_admin, service_account, platform_admin). People need a "<code>"temporary_password"</code>
                    {match policy {
                        Some(rule) => format!(" (your tenant's password policy: {rule})"),
                        None => " that follows the password policy of the row's tenant (its settings; \
                            platform administrators: the default policy, guessable passwords refused)".to_owned(),
                    }}
                    ". Platform administrators name each account's "<code>"tenant"</code>". Optional: "
                    {COLUMNS[6..13].join(", ")}". A file exported from the users list can be imported again."
                </p>
            </details>
            <div class="field">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" accept=".csv,text/csv" on:change=on_file
                    disabled=move || matches!(stage.get(), Stage::Checking { .. } | Stage::Importing { .. })/>
            </div>
        </section>
        <div aria-live="polite">
            {move || match stage.get() {
                Stage::Choose => ().into_any(),
                Stage::Unreadable(message) => view! {
                    <p class="alert" role="alert">{format!("{}: {message}", file_name.get())}</p>
                }.into_any(),
                Stage::Failed(message) => view! {
                    <p class="alert" role="alert">{message}</p>
                }.into_any(),
                Stage::Checking { done } => view! {
                    <Progress label="Checking rows" done=done total=total_rows()/>
                }.into_any(),
                Stage::Importing { done, total } => view! {
                    <Progress label="Importing accounts" done=done total=total/>
                }.into_any(),
                Stage::Checked(results) => view! {
                    <CheckReport results=results mode=mode run=run/>
                }.into_any(),
                Stage::Imported(results) => {
                    let created = results.iter().filter(|r| r.created.is_some()).count();
                    let failed: Vec<RowResult> = results.into_iter().filter(|r| r.created.is_none()).collect();
                    view! {
                        <section class="panel" aria-labelledby="done-heading">
                            <h2 id="done-heading">"Done"</h2>
                            <p class="notice" role="status">{format!(
                                "Imported {created} account{}.", if created == 1 { "" } else { "s" }
                            )}</p>
                            {(!failed.is_empty()).then(|| view! {
                                <p class="alert">{format!(
                                    "{} rows could not be imported: their values were taken in the meantime.",
                                    failed.len()
                                )}</p>
                                <ErrorTable results=failed/>
                            })}
                            <p><a href="/users?sort=created&desc=1" class="button-link">"See the newest accounts"</a></p>
                        </section>
                    }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Progress(label: &'static str, done: usize, total: usize) -> impl IntoView {
    view! {
        <section class="panel">
            <label class="progress-label" for="import-progress">{format!("{label}… {done} of {total}")}</label>
            <progress id="import-progress" max=total.max(1).to_string() value=done.to_string()></progress>
        </section>
    }
}

#[component]
fn CheckReport(
    results: Vec<RowResult>,
    mode: RwSignal<Mode>,
    run: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let total = results.len();
    let valid = results.iter().filter(|r| r.errors.is_empty()).count();
    let invalid = total - valid;
    let has_errors = invalid > 0;
    let blocked = move || mode.get() == Mode::AllOrNothing && invalid > 0;
    let button = move || match mode.get() {
        Mode::AllOrNothing => format!("Import all {total} accounts"),
        Mode::ValidRows => format!("Import {valid} valid accounts"),
    };
    let bad: Vec<RowResult> = results
        .into_iter()
        .filter(|r| !r.errors.is_empty())
        .collect();
    view! {
        <section class="panel" aria-labelledby="check-heading">
            <h2 id="check-heading">"2. Check"</h2>
            <p role="status" class:notice=!has_errors class:alert=has_errors>
                {if invalid == 0 {
                    format!("All {total} rows are valid.")
                } else {
                    format!("{valid} of {total} rows are valid; {invalid} have errors.")
                }}
            </p>
            {(!bad.is_empty()).then(|| view! { <ErrorTable results=bad/> }.into_any())}
        </section>
        <section class="panel" aria-labelledby="run-heading">
            <h2 id="run-heading">"3. Import"</h2>
            <fieldset class="choice">
                <legend class="visually-hidden">"Which rows to import"</legend>
                <label>
                    <input type="radio" name="mode" checked=move || mode.get() == Mode::AllOrNothing
                        on:change=move |_| mode.set(Mode::AllOrNothing)/>
                    " Import nothing unless every row is valid"
                </label>
                <label>
                    <input type="radio" name="mode" checked=move || mode.get() == Mode::ValidRows
                        on:change=move |_| mode.set(Mode::ValidRows) disabled=valid == 0/>
                    {format!(" Import the {valid} valid rows and skip the {invalid} with errors")}
                </label>
            </fieldset>
            <p class="muted" class:hidden=move || !blocked()>
                "Correct the rows listed above and choose the file again, or import the valid rows only."
            </p>
            <button class="primary" type="button" on:click=run disabled=move || blocked() || valid == 0>{button}</button>
        </section>
    }
    .into_any()
}

#[component]
fn ErrorTable(results: Vec<RowResult>) -> impl IntoView {
    let mut lines = Vec::new();
    for r in &results {
        for (field, messages) in &r.errors.0 {
            for message in messages {
                lines.push((r.line, r.username.clone(), field.clone(), message.clone()));
            }
        }
    }
    let more = lines.len().saturating_sub(SHOWN_ERRORS);
    lines.truncate(SHOWN_ERRORS);
    view! {
        <div class="table-scroll">
            <table class="table errors">
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|(line, username, field, message)| view! {
                        <tr>
                            <td>{line}</td>
                            <td>{username}</td>
                            <td><code>{field}</code></td>
                            <td>{message}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(more > 0).then(|| view! { <p class="muted">{format!("…and {more} more.")}</p> })}
    }
    .into_any()
}
