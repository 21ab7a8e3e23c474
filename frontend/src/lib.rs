//! The browser entry point. Pages are rendered on the server; only the console's islands
//! (the `#[island]` components of `app`) run here, hydrated by Leptos's island script once
//! this function returns.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::islands::start();
}
