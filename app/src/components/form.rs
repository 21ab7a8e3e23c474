//! Accessible form fields: a label for every input, hints and errors tied to the input with
//! `aria-describedby`, and errors announced when they appear.

use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;

/// A field's rule, the same function the server calls.
pub type Rule = fn(&str) -> Result<(), String>;

/// One labelled input. The displayed error comes from `errors` (filled by the server's
/// answer), is set by the shared `rule` when the person leaves the field, and clears as soon
/// as a correction passes.
#[component]
pub fn TextField(
    /// The form field's name, also the key in the field errors.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    /// Shown under the input; may change (e.g. a password policy that follows a choice).
    #[prop(optional, into)]
    hint: MaybeProp<String>,
    #[prop(optional)] rule: Option<Rule>,
    /// A rule that needs more than the value (e.g. the password policy that applies); used
    /// when `rule` is absent.
    #[prop(optional)]
    check: Option<Callback<String, Result<(), String>>>,
    #[prop(optional)] autofocus: bool,
    /// The initial value (when editing).
    #[prop(optional, into)]
    value: Option<String>,
    /// Keeps ids unique when the same form appears more than once on a page.
    #[prop(optional)]
    id_prefix: &'static str,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let id = format!("{id_prefix}field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = move || errors.with(|e| e.first(name).map(str::to_owned));
    let passes = move |value: &str| match (rule, check) {
        (Some(rule), _) => rule(value),
        (None, Some(check)) => check.run(value.to_owned()),
        (None, None) => Ok(()),
    };
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.with(Option::is_some) {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    // Leaving a field checks it; while a flagged field is being corrected, the message goes
    // as soon as the value passes. Nothing disappears on leaving: a message vanishing under
    // the pointer would move the submit button between press and release and lose the click.
    let on_blur = move |ev: leptos::ev::FocusEvent| {
        let value = event_target_value(&ev);
        if value.is_empty() {
            return; // don't scold an untouched field; submitting will
        }
        if let Err(msg) = passes(&value) {
            errors.update(|e| {
                e.0.remove(name);
                e.add(name, msg);
            });
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        if message().is_none() {
            return;
        }
        if passes(&event_target_value(&ev)).is_ok() {
            errors.update(|e| {
                e.0.remove(name);
            });
        }
    };
    view! {
        <div class="field" class:has-error=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                autofocus=autofocus
                value=value
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=described_by
                on:blur=on_blur
                on:input=on_input
            />
            {move || hint.get().map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <p class="field-error" id=error_id role="alert">{message}</p>
        </div>
    }
}

/// Copies the field errors of a server action's latest answer into `errors`, and returns
/// the form-level message to show above the fields (if any).
pub fn track_action_errors<I, O>(
    action: ServerAction<I>,
    errors: RwSignal<FieldErrors>,
) -> Signal<Option<String>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(result) = action.value().get() {
            errors.set(match result {
                Err(err) => err.field_errors().cloned().unwrap_or_default(),
                Ok(_) => FieldErrors::new(),
            });
        }
    });
    Signal::derive(move || match action.value().get() {
        Some(Err(AppError::Invalid(fields))) if fields.0.contains_key("request") => {
            fields.first("request").map(str::to_owned)
        }
        Some(Err(AppError::Invalid(_))) => {
            Some("Some fields need correcting: each one says what to change.".to_owned())
        }
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    })
}

/// For a form of one field: the error to show above it, if any. A field error is already
/// shown under its field, so only other errors (rate limits, an expired step, a malformed
/// request) come here.
pub fn non_field_error<I, O>(action: ServerAction<I>) -> Signal<Option<String>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Err(AppError::Invalid(fields))) => fields.first("request").map(str::to_owned),
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    })
}

/// Submits a GET filter form by navigating to `path?…`, the query built by `params` from the
/// form's fields (empty fields read as absent), so URLs stay short and readable. `navigate`
/// comes from `use_navigate`, called when the page is built. Before
/// hydration the browser submits the same form itself, which the pages read alike.
pub fn navigate_with_form(
    ev: leptos::ev::SubmitEvent,
    navigate: &impl Fn(&str, leptos_router::NavigateOptions),
    path: &str,
    params: impl Fn(&dyn Fn(&str) -> Option<String>) -> String,
) {
    use leptos::wasm_bindgen::JsCast;
    ev.prevent_default();
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let Ok(data) = web_sys::FormData::new_with_form(&form) else {
        return;
    };
    let get = |name: &str| data.get(name).as_string().filter(|v| !v.trim().is_empty());
    let query = params(&get);
    let url = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    navigate(&url, Default::default());
}
