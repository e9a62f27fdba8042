fn main() {
    // Declaring the app's commands makes each one a permission (`allow-home-info`, …)
    // that a capability must grant: the window may call exactly what
    // capabilities/default.json lists, and nothing else.
    let commands = tauri_build::AppManifest::new().commands(&["home_info", "list_partners"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
