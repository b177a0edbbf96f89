//! Widgets more than one page uses: the server badge, the column pager, number formatting, and
//! the charts ([`chart`]).

pub mod alerts;
pub mod chart;
pub mod drift;
pub mod health;
pub mod timeline;

use crate::http;
use leptos::prelude::*;

/// How often the server badge asks the server again, in milliseconds.
const HEALTH_EVERY_MS: i32 = 15_000;

/// A badge saying whether the shared registry server answers, asked again every 15 s and whenever
/// the browser goes online or offline. Everything on the page but sharing works without it.
#[component]
pub fn ServerStatus() -> impl IntoView {
    use wasm_bindgen::{closure::Closure, JsCast};
    let tick = RwSignal::new(0u32);
    if let Some(window) = web_sys::window() {
        let again = Closure::<dyn FnMut()>::new(move || tick.update(|t| *t += 1));
        let hook = again.as_ref().unchecked_ref();
        let _ = window.add_event_listener_with_callback("online", hook);
        let _ = window.add_event_listener_with_callback("offline", hook);
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(hook, HEALTH_EVERY_MS);
        again.forget();
    }
    let health = LocalResource::new(move || {
        tick.track();
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        async move {
            if !online {
                return Err(http::HttpError::Network {
                    url: "/api/v1/health".into(),
                    message: "offline".into(),
                });
            }
            http::health().await
        }
    });
    move || {
        match health.get() {
        None => view! { <span class="server-status">"checking the server…"</span> }.into_any(),
        Some(Ok(h)) if h.status == "ok" => view! {
            <span class="server-status ok" title="The shared model registry answers">
                "registry server v" {h.version} " connected"
            </span>
        }
        .into_any(),
        Some(_) => view! {
            <span class="server-status offline" title="Sharing needs the server; everything else works offline">
                "registry server offline — working locally"
            </span>
        }
        .into_any(),
    }
    }
}

/// Columns shown at once in the tables with a row per column (or a column per column); a wider data
/// set is paged, so that 10,000 columns never become 10,000 rows of controls in the page.
pub const COLUMN_PAGE: usize = 50;

/// Previous and next buttons over `total` columns shown [`COLUMN_PAGE`] at a time from `first`;
/// nothing when they all fit.
#[component]
pub fn ColumnPager(
    /// The element id.
    id: &'static str,
    /// Columns in all.
    total: usize,
    /// The index of the first column shown.
    first: RwSignal<usize>,
) -> impl IntoView {
    (total > COLUMN_PAGE).then(|| {
        let last = move || (first.get() + COLUMN_PAGE).min(total);
        let at_end = move || last() >= total;
        view! {
            <div class="pager" id=id role="group" aria-label="Which columns are shown">
                <button type="button" class="small pager-previous" disabled=move || first.get() == 0
                    on:click=move |_| first.update(|f| *f = f.saturating_sub(COLUMN_PAGE))>"◀ Previous columns"</button>
                <span class="pager-status" aria-live="polite">{move || format!(
                    "Columns {}–{} of {}, shown {COLUMN_PAGE} at a time",
                    thousands(first.get() + 1), thousands(last()), thousands(total)
                )}</span>
                <button type="button" class="small pager-next" disabled=at_end
                    on:click=move |_| first.update(|f| *f = (*f + COLUMN_PAGE).min(total.saturating_sub(1)))>"Next columns ▶"</button>
            </div>
        }
    })
}

/// The indices of the columns shown from `first`, out of `total`: one page, cut at the end.
pub fn column_page(first: usize, total: usize) -> std::ops::Range<usize> {
    let from = first.min(total);
    from..(from + COLUMN_PAGE).min(total)
}

/// `n` with a comma between each group of three digits: 100000 → "100,000".
pub fn thousands(n: usize) -> String {
    tabml::thousands(n as u64)
}

/// A signal that counts up every `ms` milliseconds while the app runs: read it to be asked again.
pub fn ticker(ms: i32) -> RwSignal<u32> {
    use wasm_bindgen::{closure::Closure, JsCast};
    let tick = RwSignal::new(0u32);
    if let Some(window) = web_sys::window() {
        let again = Closure::<dyn FnMut()>::new(move || tick.update(|t| *t += 1));
        let _ =
            window.set_interval_with_callback_and_timeout_and_arguments_0(again.as_ref().unchecked_ref(), ms);
        again.forget();
    }
    tick
}

/// A date and time, short, as the browser writes them.
pub fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"short".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    String::from(date.to_locale_string("default", &options))
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits_in_threes() {
        for (n, text) in
            [(0, "0"), (999, "999"), (1_000, "1,000"), (10_002, "10,002"), (1_234_567, "1,234,567")]
        {
            assert_eq!(super::thousands(n), text);
        }
    }
}
