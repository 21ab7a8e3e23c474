//! The browser entry point. Pages are rendered on the server; only the console's islands
//! (the `#[island]` components of `app`) run here, hydrated by Leptos's island script once
//! this function returns.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic's message in the browser console, in debug builds: in the release build its
    // formatting machinery would cost every first visit kilobytes (a panic there still stops
    // the islands, and shows in the console as an `unreachable` trap).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::islands::start();
}
