//! Countersign's desktop app: a window showing the web front end of `ui/`, and the
//! commands it calls. Each command parses its input, calls one core function and
//! returns the result; everything that matters lives in `countersign-core`.

// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod startup;

use countersign_core::SystemClock;
use std::sync::Arc;

fn main() {
    let home = commands::OpenHome::new(startup::Locations::from_env(), Arc::new(SystemClock));
    let result = tauri::Builder::default()
        .manage(home)
        .invoke_handler(tauri::generate_handler![commands::home_info, commands::list_partners])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("countersign-desktop: could not start the window: {e}");
        std::process::exit(1);
    }
}
