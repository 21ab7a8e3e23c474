//! Accessible form fields: a label for every input, hints and errors tied to the input with
//! `aria-describedby`, and errors announced when they appear.

use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;

/// A field's rule, the same function the server calls.
pub type Rule = fn(&str) -> Result<(), String>;

/// One labelled input. The displayed error comes from `errors` (filled by the server's
/// answer) and is replaced by the shared `rule` when the person leaves the field.
#[component]
pub fn TextField(
    /// The form field's name, also the key in the field errors.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] rule: Option<Rule>,
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
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let on_blur = move |ev: leptos::ev::FocusEvent| {
        if let Some(rule) = rule {
            let value = event_target_value(&ev);
            if value.is_empty() {
                return; // don't scold an untouched field; submitting will
            }
            errors.update(|e| {
                e.0.remove(name);
                if let Err(msg) = rule(&value) {
                    e.add(name, msg);
                }
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
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
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
                Err(AppError::Invalid(fields)) => fields,
                _ => FieldErrors::new(),
            });
        }
    });
    Signal::derive(move || match action.value().get() {
        Some(Err(AppError::Invalid(fields))) if fields.0.contains_key("request") => {
            fields.first("request").map(str::to_owned)
        }
        Some(Err(AppError::Invalid(_))) => {
            Some("Please correct the fields marked below.".to_owned())
        }
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    })
}
