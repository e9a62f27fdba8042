fn main() {
    // Declaring the app's commands makes each one a permission (`allow-home-info`, …)
    // that a capability must grant: the window may call exactly what
    // capabilities/default.json lists, and nothing else.
    let commands = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}

/// Every command in `src/commands.rs` (`all_commands!`).
const COMMANDS: &[&str] = &[
    "home_info",
    "session",
    "ui_ready",
    "overview",
    "unlock",
    "unlock_home",
    "remember_passphrase",
    "forget_passphrase",
    "public_key",
    "export_public_key",
    "create_home",
    "import_home",
    "list_workspaces",
    "create_workspace",
    "join_workspace",
    "workspace_info",
    "list_partners",
    "partner_detail",
    "add_partner",
    "update_partner",
    "add_contact",
    "log_interaction",
    "claim_partner",
    "transaction_page",
    "import_finance",
    "fund_accounts",
    "map_fund",
    "budgets",
    "set_budget",
    "scopes",
    "report_available",
    "report_budget",
    "report_income",
    "report_balance",
    "report_annual",
    "export_report_csv",
    "decisions",
    "decision",
    "decision_impact",
    "propose_decision",
    "amend_decision",
    "vote",
    "withdraw_decision",
    "export_decision",
    "propose_roster_change",
    "sync_status",
    "sync_now",
    "choose_path",
];
