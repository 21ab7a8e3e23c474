//! Accessible form fields: a label for every input, hints and errors tied to the input with
//! `aria-describedby`, and errors announced when they appear.

use crate::domain::FieldRule;
use crate::error::{AppError, FieldErrors};
use leptos::prelude::*;

/// Provided by an island that holds a form: its fields follow the island's error signal
/// (filled by answers fetched in the browser) instead of each being an island of its own.
#[derive(Clone, Copy)]
pub struct InIsland;

/// One labelled input. The displayed error comes from `errors` (filled by the server's
/// answer), is set by the shared `rule` when the person leaves the field, and clears as soon
/// as a correction passes.
///
/// In a server-rendered form the field is an island ([`Field`]) carrying its rule by name and
/// the server's answer; inside a form island ([`InIsland`]) it is part of that island.
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
    /// The shared rule the value must pass; may change with another choice of the form.
    #[prop(optional, into)]
    rule: MaybeProp<FieldRule>,
    #[prop(optional)] autofocus: bool,
    /// The initial value (when editing).
    #[prop(optional, into)]
    value: Option<String>,
    /// Keeps ids unique when the same form appears more than once on a page.
    #[prop(optional)]
    id_prefix: &'static str,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    if use_context::<InIsland>().is_some() {
        return view! {
            <FieldView name=name.into() label=label.into() input_type=input_type.into()
                autocomplete=autocomplete.map(Into::into) hint=hint rule=rule autofocus=autofocus
                value=value id_prefix=id_prefix.into() errors=errors/>
        }
        .into_any();
    }
    view! {
        <Field name=name.into() label=label.into() input_type=input_type.into()
            autocomplete=autocomplete.map(Into::into) hint=hint.get_untracked() rule=rule.get_untracked()
            autofocus=autofocus value=value id_prefix=id_prefix.into()
            error=errors.with_untracked(|e| e.first(name).map(str::to_owned))/>
    }
    .into_any()
}

/// A field of a server-rendered form, hydrated on its own: the server's answer is `error`;
/// `rule` checks the value as the person leaves the field.
#[island]
pub fn Field(
    name: String,
    label: String,
    input_type: String,
    autocomplete: Option<String>,
    hint: Option<String>,
    rule: Option<FieldRule>,
    autofocus: bool,
    value: Option<String>,
    id_prefix: String,
    error: Option<String>,
) -> impl IntoView {
    crate::islands::hydrated();
    let mut answer = FieldErrors::new();
    if let Some(error) = error {
        answer.add(&name, error);
    }
    let errors = RwSignal::new(answer);
    #[cfg(feature = "hydrate")]
    register_field(format!("{id_prefix}field-{name}"), errors);
    view! {
        <FieldView name=name label=label input_type=input_type autocomplete=autocomplete
            hint=hint rule=rule autofocus=autofocus value=value id_prefix=id_prefix
            errors=errors/>
    }
}

#[component]
fn FieldView(
    name: String,
    label: String,
    input_type: String,
    autocomplete: Option<String>,
    #[prop(into)] hint: MaybeProp<String>,
    #[prop(into)] rule: MaybeProp<FieldRule>,
    autofocus: bool,
    value: Option<String>,
    id_prefix: String,
    errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let id = format!("{id_prefix}field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let key = StoredValue::new(name.clone());
    let message = move || key.with_value(|k| errors.with(|e| e.first(k).map(str::to_owned)));
    let passes = move |value: &str| rule.with(|r| r.as_ref().map_or(Ok(()), |r| r.check(value)));
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
            key.with_value(|k| {
                errors.update(|e| {
                    e.0.remove(k);
                    e.add(k, msg);
                })
            });
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        if message().is_none() {
            return;
        }
        if passes(&event_target_value(&ev)).is_ok() {
            key.with_value(|k| {
                errors.update(|e| {
                    e.0.remove(k);
                })
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
    // The answer to a plain form post is known while the page renders (Leptos reads it from
    // the address); answers fetched by a form island arrive later.
    if let Some(Err(err)) = action.value().get_untracked() {
        errors.set(err.field_errors().cloned().unwrap_or_default());
    }
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

/// The refusal a plain form post to `action` came back with (Leptos's `__err`, read while the
/// page renders), if any.
pub fn refused<I, O>(action: ServerAction<I>) -> Option<AppError>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    action.value().get_untracked().and_then(Result::err)
}

/// The message of the first of several actions' refusals ([`refused`]), for a page whose
/// buttons post to several functions and show one alert.
pub fn first_refusal<const N: usize>(refusals: [Option<AppError>; N]) -> Option<String> {
    refusals.into_iter().flatten().next().map(|e| e.to_string())
}

/// Whether this page is the answer to a successful plain form post to server function `S`:
/// the server marks its redirect back to the form's page with `__done` (as Leptos marks a
/// failed one with `__err`), so the page can say "Saved." without JavaScript. For pages
/// rendered by the server only (not islands).
pub fn done<S: leptos::server_fn::ServerFn>() -> bool {
    leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("__done").as_deref() == Some(S::PATH))
}

/// Makes the plain form(s) inside it answer in place: once hydrated, a POST form is sent with
/// `fetch`; a refusal puts each field's message under its field (the [`Field`] islands) and
/// the rest in the element marked `data-form-error`, keeping everything typed; success loads
/// the page the server would have redirected to, marked done (so the server-rendered page
/// says "Saved." exactly as it does without JavaScript). Before or without WASM the forms
/// post as they are.
#[island]
pub fn Enhance(children: Children) -> impl IntoView {
    crate::islands::hydrated();
    let root = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    let on_submit = move |ev: leptos::ev::SubmitEvent| enhanced::submit(ev, root);
    #[cfg(not(feature = "hydrate"))]
    let on_submit = |_: leptos::ev::SubmitEvent| {};
    view! { <div class="enhanced" node_ref=root on:submit=on_submit>{children()}</div> }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The error signal of each hydrated [`Field`], by its input's id.
    static FIELDS: std::cell::RefCell<std::collections::HashMap<String, RwSignal<FieldErrors>>> =
        Default::default();
}

#[cfg(feature = "hydrate")]
fn register_field(id: String, errors: RwSignal<FieldErrors>) {
    FIELDS.with(|f| f.borrow_mut().insert(id, errors));
}

#[cfg(feature = "hydrate")]
mod enhanced {
    use super::{FieldErrors, FIELDS};
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::{self, HtmlFormElement};

    pub fn submit(ev: leptos::ev::SubmitEvent, root: NodeRef<leptos::html::Div>) {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        ev.prevent_default();
        // A filter form (GET) goes to its address with only the fields that hold something,
        // so the address stays short enough to read and share. (Attributes, not `form.method`
        // and `form.action`: a field named "action" would stand in for those.)
        let method = form.get_attribute("method").unwrap_or_default();
        if !method.eq_ignore_ascii_case("post") {
            let _ = window().location().assign(&short_query(&form));
            return;
        }
        if form.get_attribute("aria-busy").as_deref() == Some("true") {
            return; // one submission at a time
        }
        leptos::task::spawn_local(async move {
            busy(&form, true);
            let outcome = send(&form).await;
            match outcome {
                Ok(Outcome::Go(to)) => {
                    let _ = window().location().assign(&to);
                }
                Ok(Outcome::Refused(refusal)) => {
                    busy(&form, false);
                    show(&form, root, &refusal);
                }
                Err(_) => {
                    busy(&form, false);
                    show(&form, root, &Refusal::unreachable());
                }
            }
        });
    }

    enum Outcome {
        Go(String),
        Refused(Refusal),
    }

    /// A refused form, as the server answered it: the message above the fields (from the
    /// `x-warden-message` header, in words) and each field's first message (from the error's
    /// JSON, read by the browser's own parser).
    pub(super) struct Refusal {
        pub message: Option<String>,
        pub fields: Vec<(String, String)>,
        /// A form with field errors (rather than refused as a whole).
        pub invalid: bool,
    }

    impl Refusal {
        fn unreachable() -> Self {
            Refusal {
                message: Some(
                    "Warden could not be reached. Check your connection and try again.".into(),
                ),
                fields: Vec::new(),
                invalid: false,
            }
        }
    }

    async fn send(form: &HtmlFormElement) -> Result<Outcome, JsValue> {
        let data = web_sys::FormData::new_with_form(form)?;
        let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)?;
        let headers = web_sys::Headers::new()?;
        headers.set("Accept", "application/json")?;
        headers.set("Content-Type", "application/x-www-form-urlencoded")?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&body);
        let action = form.get_attribute("action").unwrap_or_default();
        let response: web_sys::Response =
            wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(&action, &init))
                .await?
                .dyn_into()?;
        let headers = response.headers();
        if headers.has("serverfnredirect")? {
            if let Some(to) = headers.get("location")? {
                return Ok(Outcome::Go(to));
            }
        }
        if response.ok() {
            return Ok(Outcome::Go(done_url(&action)));
        }
        let message = headers
            .get("x-warden-message")?
            .and_then(|m| js_sys::decode_uri_component(&m).ok())
            .map(String::from);
        let text = wasm_bindgen_futures::JsFuture::from(response.text()?).await?;
        let json = text
            .as_string()
            .and_then(|t| js_sys::JSON::parse(&t).ok())
            .unwrap_or(JsValue::NULL);
        let invalid = js_sys::Reflect::get(&json, &"Invalid".into()).unwrap_or(JsValue::UNDEFINED);
        let mut fields = Vec::new();
        if let Ok(object) = invalid.clone().dyn_into::<js_sys::Object>() {
            for key in js_sys::Object::keys(&object).iter() {
                let first = js_sys::Reflect::get(&object, &key)
                    .ok()
                    .map(|m| js_sys::Array::from(&m).get(0))
                    .and_then(|m| m.as_string());
                if let (Some(name), Some(first)) = (key.as_string(), first) {
                    fields.push((name, first));
                }
            }
        }
        Ok(Outcome::Refused(Refusal {
            message: message.or_else(|| Some("Something went wrong on our side.".into())),
            fields,
            invalid: invalid.is_object(),
        }))
    }

    fn short_query(form: &HtmlFormElement) -> String {
        let action = form.get_attribute("action").unwrap_or_default();
        let path = action
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let Ok(params) = web_sys::UrlSearchParams::new_with_str("") else {
            return path;
        };
        // The form's named fields in order (the filters hold text inputs, selects and hidden
        // inputs), those with a value.
        let elements = form.elements();
        for i in 0..elements.length() {
            let Some(el) = elements.item(i) else { continue };
            let name = el.get_attribute("name").unwrap_or_default();
            let value = js_sys::Reflect::get(&el, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let disabled = js_sys::Reflect::get(&el, &"disabled".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if !name.is_empty()
                && !disabled
                && !value.trim().is_empty()
                && el.tag_name() != "BUTTON"
            {
                params.append(&name, value.trim());
            }
        }
        let query = String::from(params.to_string());
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    /// This page's address marked as the successful answer to the server function at
    /// `action` (see `done`).
    fn done_url(action: &str) -> String {
        let location = window().location();
        let path = action
            .find("/api/")
            .map_or(action, |i| &action[i..])
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let search = location.search().unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        if let Some(params) = &params {
            for p in crate::islands::OUTCOME_PARAMS
                .into_iter()
                .chain(crate::islands::TRANSIENT_PARAMS)
            {
                params.delete(p);
            }
            params.append("__done", &path);
        }
        let query = params
            .map(|p| String::from(p.to_string()))
            .unwrap_or_default();
        format!("{}?{query}", location.pathname().unwrap_or_default())
    }

    fn busy(form: &HtmlFormElement, on: bool) {
        let _ = form.set_attribute("aria-busy", if on { "true" } else { "false" });
        if let Ok(buttons) = form.query_selector_all("button[type=submit], button:not([type])") {
            for i in 0..buttons.length() {
                if let Some(b) = buttons
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::HtmlButtonElement>().ok())
                {
                    b.set_disabled(on);
                }
            }
        }
    }

    /// Each field's message under its field; the message above the fields, and whatever has
    /// no field of its own, in the form's `data-form-error` element; focus on the first field
    /// to correct.
    fn show(form: &HtmlFormElement, root: NodeRef<leptos::html::Div>, refusal: &Refusal) {
        let message_for = |name: &str| {
            refusal
                .fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, m)| m.clone())
        };
        let mut placed = std::collections::BTreeSet::new();
        let mut first_invalid: Option<web_sys::HtmlElement> = None;
        let elements = form.elements();
        for i in 0..elements.length() {
            let Some(el) = elements.item(i) else { continue };
            let (id, name) = (el.id(), el.get_attribute("name").unwrap_or_default());
            let Some(signal) = FIELDS.with(|f| f.borrow().get(&id).copied()) else {
                continue;
            };
            let mut mine = FieldErrors::new();
            if let Some(message) = message_for(&name) {
                mine.add(&name, message);
                placed.insert(name.clone());
                if first_invalid.is_none() {
                    first_invalid = el.dyn_into::<web_sys::HtmlElement>().ok();
                }
            }
            signal.set(mine);
        }
        let unplaced: Vec<String> = refusal
            .fields
            .iter()
            .filter(|(name, _)| name != "request" && !placed.contains(name))
            .map(|(_, m)| m.clone())
            .collect();
        // An invalid form whose every message sits under its field needs no other words
        // than the general one; messages without a field of their own replace it.
        let summary = if refusal.invalid && !unplaced.is_empty() && message_for("request").is_none()
        {
            None
        } else {
            refusal.message.clone()
        };
        let text: Vec<String> = summary.into_iter().chain(unplaced).collect();
        let slot = root
            .get_untracked()
            .and_then(|r| r.query_selector("[data-form-error]").ok().flatten());
        if let Some(slot) = slot {
            slot.set_text_content(Some(&text.join(" ")));
            let _ = slot
                .class_list()
                .toggle_with_force("hidden", text.is_empty());
        }
        if let Some(el) = first_invalid {
            let _ = el.focus();
        } else if !refusal.invalid {
            // Refused credentials (or a limit): the next attempt starts with the password
            // emptied and focused; everything else typed stays.
            if let Ok(fields) = form.query_selector_all("input[type=password]") {
                for i in 0..fields.length() {
                    if let Some(input) = fields
                        .item(i)
                        .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
                    {
                        input.set_value("");
                        if i == 0 {
                            let _ = input.focus();
                        }
                    }
                }
            }
        }
    }
}
