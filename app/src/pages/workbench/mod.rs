//! The learner's workbench: the lifecycle of one model as numbered steps on one page, from the
//! problem card to monitoring. [`steps`] is the table of steps; each step is a module here.

mod data;
mod monitor;
mod prepare;
mod problem;
mod results;
pub mod steps;
mod train;

use leptos::prelude::*;

/// Every step, in page order.
#[component]
pub fn WorkbenchPage() -> impl IntoView {
    view! {
        <problem::ProblemStep/>
        <data::DataStep/>
        <prepare::PrepareStep/>
        <train::TrainStep/>
        <results::ResultsStep/>
        <monitor::MonitorStep/>
    }
}
