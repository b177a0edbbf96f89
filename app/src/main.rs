//! Entry point of the browser app: install the panic hook and mount the app on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tabml_app::App);
}
