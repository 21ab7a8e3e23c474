//! The browser entry point: hydrates the server-rendered page.
// Leptos's typed views of the larger pages (tables in transitions) nest deeper than rustc's
// default query depth when the whole app is monomorphised here.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets end-to-end tests (and curious people) know the page is now interactive.
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"__wardenHydrated".into(),
        &wasm_bindgen::JsValue::TRUE,
    );
}
