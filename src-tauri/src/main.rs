//! Countersign's desktop app: a window showing the web front end of `ui/`, and the
//! commands it calls. Each command parses its input, calls one core function and
//! returns the result; everything that matters lives in `countersign-core`.

// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod session;
mod startup;
mod watch;

use countersign_core::PassphraseKeyring;
use countersign_core::SystemClock;
use std::sync::Arc;
use tauri::Manager;

fn main() {
    let at = match startup::Locations::from_args(std::env::args().skip(1)) {
        Ok(at) => at,
        Err(message) => {
            eprintln!("countersign-desktop: {message}");
            std::process::exit(2);
        }
    };
    // Without a reachable keyring the app asks for the passphrase each time.
    let keyring = PassphraseKeyring::system().ok();
    let app = session::App::new(at, Arc::new(SystemClock), keyring);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(app)
        .setup(|app| {
            app.state::<session::App>().watch_folder(app.handle());
            Ok(())
        })
        .invoke_handler(all_commands!())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("countersign-desktop: could not start the window: {e}");
        std::process::exit(1);
    }
}
