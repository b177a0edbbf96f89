//! The sign-in page (`/sign-in`): sign in with a name and password, or join a class with the code
//! its mentor gave out. Signed in, it says who, until when the sign-in is kept in this browser, and
//! offers to sign out. Every refusal shows the server's own words.

use crate::account::{expiry_text, role_name, Account};
use crate::http;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// The sign-in page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let account = expect_context::<Account>();
    view! {
        <section class="step" id="sign-in" aria-labelledby="sign-in-title">
            <h2 id="sign-in-title">"Sign in"</h2>
            <p class="why">"Signing in is needed only to share: to put a model in your class's registry, pull one your mentor or classmates shared, and report how it does. Everything on the workbench works without it, and your work there stays in this browser either way."</p>
            {move || account.notice.get().map(|notice| view! {
                <div class="error" role="alert" id="sign-in-notice">{notice}</div>
            })}
            {move || match account.session.get() {
                Some(session) => view! {
                    <p class="verdict good" id="signed-in-as">
                        {format!("Signed in as {} ({}{}).", session.user.name, role_name(session.user.role),
                            session.user.class.as_ref().map(|c| format!(", class {c}")).unwrap_or_default())}
                    </p>
                    <p class="hint">{format!("Your sign-in is kept in this browser until {} or until you sign out.", expiry_text(session.expires_at))}</p>
                    <div class="controls">
                        <A href="/">"Back to the workbench"</A>
                        <button type="button" id="sign-out-button" on:click=move |_| {
                            leptos::task::spawn_local(account.sign_out());
                        }>"Sign out"</button>
                    </div>
                }.into_any(),
                None => view! { <SignInForms/> }.into_any(),
            }}
        </section>
    }
}

/// What a form is doing: idle, waiting for the server, or refused with its words.
#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Waiting,
    Refused(String),
}

/// The two forms: sign in, and join a class.
#[component]
fn SignInForms() -> impl IntoView {
    let account = expect_context::<Account>();
    let navigate = use_navigate();
    let (name, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (new_name, new_password, code) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (sign_in_status, join_status) = (RwSignal::new(Status::Idle), RwSignal::new(Status::Idle));
    // Signed in or joined: keep the token, and go home: a learner to the workbench, a mentor (or an
    // admin) to their classes' overview.
    let done = move |status: RwSignal<Status>, answer: Result<tabml::api::TokenResponse, http::HttpError>| {
        let navigate = navigate.clone();
        async move {
            match answer {
                Ok(session) => {
                    let home = if session.user.role == tabml::api::Role::Learner { "/" } else { "/classes" };
                    if let Err(e) = account.signed_in(session).await {
                        status.set(Status::Refused(format!("Signed in, but this browser could not keep the sign-in ({e}); it lasts until the tab closes.")));
                        return;
                    }
                    status.set(Status::Idle);
                    navigate(home, Default::default());
                }
                Err(e) => status.set(Status::Refused(refusal(&e))),
            }
        }
    };
    let sign_in = {
        let done = done.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            sign_in_status.set(Status::Waiting);
            let (n, p) = (name.get_untracked(), password.get_untracked());
            let done = done.clone();
            leptos::task::spawn_local(
                async move { done(sign_in_status, http::login(n.trim(), &p).await).await },
            );
        }
    };
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        join_status.set(Status::Waiting);
        let (n, p, c) = (new_name.get_untracked(), new_password.get_untracked(), code.get_untracked());
        let done = done.clone();
        leptos::task::spawn_local(async move {
            done(join_status, http::signup(n.trim(), &p, c.trim()).await).await
        });
    };
    let status_view = |status: RwSignal<Status>, id: &'static str| {
        move || match status.get() {
            Status::Idle => None,
            Status::Waiting => {
                Some(view! { <p class="hint" role="status">"Asking the server…"</p> }.into_any())
            }
            Status::Refused(message) => {
                Some(view! { <div class="error" role="alert" id=id>{message}</div> }.into_any())
            }
        }
    };
    view! {
        <div class="two-col">
            <form id="sign-in-form" on:submit=sign_in>
                <h3>"I have an account"</h3>
                {field("Name", "sign-in-name", "text", "username", name)}
                {field("Password", "sign-in-password", "password", "current-password", password)}
                <button type="submit" id="sign-in-button" disabled=move || sign_in_status.get() == Status::Waiting>"Sign in"</button>
                {status_view(sign_in_status, "sign-in-error")}
            </form>
            <form id="join-form" on:submit=join>
                <h3>"I have a join code from my mentor"</h3>
                {field("Choose a name", "join-name", "text", "username", new_name)}
                {field("Choose a password (at least 8 characters)", "join-password", "password", "new-password", new_password)}
                {field("Join code", "join-code", "text", "off", code)}
                <button type="submit" id="join-button" disabled=move || join_status.get() == Status::Waiting>"Join the class"</button>
                {status_view(join_status, "join-error")}
            </form>
        </div>
        <p class="hint">"After you sign in, the sign-in is kept in this browser until it expires or you sign out."</p>
    }
}

/// A labelled, required text input bound to `value`.
fn field(
    label: &'static str,
    id: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="field">{label}
            <input id=id type=kind autocomplete=autocomplete required
                prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
        </label>
    }
}

/// A refusal in words: the server's own message, or why the server could not be asked.
fn refusal(error: &http::HttpError) -> String {
    match error {
        http::HttpError::Refused { message, .. } => message.clone(),
        http::HttpError::Network { .. } => {
            "The server could not be reached. Your work here is safe; try again when it is back.".into()
        }
        other => other.to_string(),
    }
}
