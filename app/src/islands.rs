//! The console in the browser. Pages are rendered on the server and their forms are plain
//! HTML forms that work before and without WASM (see the README's tree section); the parts
//! that must answer as a person types or clicks are `#[island]` components, the only code
//! compiled to WASM and hydrated. [`start`] is what the browser runs before the islands
//! hydrate.

/// Called once by the browser entry point (`frontend`), before Leptos's island script
/// hydrates the islands of the page.
pub fn start() {
    #[cfg(feature = "hydrate")]
    browser::start();
}

/// Called first by every island as it hydrates: once all the islands of the page have (lazy
/// ones arrive later, each with its own code), the page says it is interactive
/// (`window.__wardenHydrated`, which end-to-end tests and measurements wait for).
pub fn hydrated() {
    #[cfg(feature = "hydrate")]
    browser::island_hydrated();
}

/// Query parameters that report the outcome of a plain form post to the page it returns to
/// (`__err` and `__path` from Leptos, `__done` from Warden's server): read while rendering,
/// then taken out of the address bar so that a reload or a bookmark does not repeat them.
pub const OUTCOME_PARAMS: [&str; 3] = ["__done", "__err", "__path"];

/// Query parameters that hold a page's passing state (a row being edited, a confirmation
/// asked for): a successful form post ends that state, so they are dropped from the address
/// it returns to; a refused one keeps them (the editor stays open with the messages).
pub const TRANSIENT_PARAMS: [&str; 5] = ["edit", "rename", "confirm", "delete", "delete_scope"];

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    pub fn start() {
        // A server function that answers with a redirect (signing in or out, a second
        // sign-in step) sends the browser there: the page is rendered anew by the server.
        let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
            let _ = window().location().set_href(to);
        });
        // The island script walks the page in microtasks once this returns (a lazy island
        // once its code has arrived); a zero-delay timeout runs after them.
        set_timeout(
            || {
                forget_outcome_params();
                STARTED.set(true);
                mark_if_all_hydrated();
            },
            std::time::Duration::ZERO,
        );
    }

    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        static HYDRATED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }

    pub fn island_hydrated() {
        HYDRATED.set(HYDRATED.get() + 1);
        // After the island's own view has hydrated.
        set_timeout(mark_if_all_hydrated, std::time::Duration::ZERO);
    }

    fn mark_if_all_hydrated() {
        let islands = document()
            .query_selector_all("leptos-island")
            .map(|l| l.length())
            .unwrap_or(0);
        if STARTED.get() && HYDRATED.get() >= islands {
            // Lets end-to-end tests (and curious people) know the page is interactive.
            let _ = js_sys::Reflect::set(
                &js_sys::global(),
                &"__wardenHydrated".into(),
                &wasm_bindgen::JsValue::TRUE,
            );
        }
    }

    fn forget_outcome_params() {
        let location = window().location();
        let Ok(search) = location.search() else {
            return;
        };
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
            return;
        };
        if !super::OUTCOME_PARAMS.iter().any(|p| params.has(p)) {
            return;
        }
        for p in super::OUTCOME_PARAMS {
            params.delete(p);
        }
        let query = String::from(params.to_string());
        let path = location.pathname().unwrap_or_default();
        let url = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}
