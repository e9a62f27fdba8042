//! Partner records from the command line: what a board member records and finds.

use countersign_e2e::Member;
use serde_json::Value;

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect()
}

#[test]
fn organisations_are_recorded_found_and_changed() {
    let alice = Member::init("Alice");
    alice
        .run(&[
            "partner",
            "add",
            "Acme Cloud",
            "--tag",
            "Sponsor",
            "--tag",
            "hosting",
            "--website",
            "https://acme.example",
        ])
        .ok();
    alice
        .run(&["partner", "add", "Borealis Compute", "--kind", "company", "--stage", "in discussion", "--tag", "ci"])
        .ok();
    alice.run(&["partner", "add", "Delft University", "--kind", "academia", "--stage", "partner"]).ok();
    alice.run(&["partner", "add", "City of Utrecht", "--kind", "public-administration"]).ok();

    let all = alice.json(&["partner", "list"]);
    assert_eq!(names(&all), ["Acme Cloud", "Borealis Compute", "City of Utrecht", "Delft University"]);
    let acme = &all[0];
    assert_eq!(acme["kind"], "company");
    assert_eq!(acme["stage"], "prospect");
    assert_eq!(acme["owner"], Value::Null);
    assert_eq!(acme["tags"], serde_json::json!(["hosting", "sponsor"]));

    assert_eq!(names(&alice.json(&["partner", "list", "--stage", "in-discussion"])), ["Borealis Compute"]);
    assert_eq!(names(&alice.json(&["partner", "list", "--tag", "sponsor"])), ["Acme Cloud"]);
    assert_eq!(names(&alice.json(&["partner", "list", "--search", "UTRECHT"])), ["City of Utrecht"]);
    assert_eq!(names(&alice.json(&["partner", "list", "--search", "acme.example"])), ["Acme Cloud"]);
    assert_eq!(
        names(&alice.json(&["partner", "list", "--limit", "2", "--offset", "1"])),
        ["Borealis Compute", "City of Utrecht"]
    );

    alice
        .run(&["partner", "set", "acme cloud", "--stage", "partner", "--owner", "me", "--notes", "Hosts the cache"])
        .ok();
    let mine = alice.json(&["partner", "list", "--owner", "me"]);
    assert_eq!(names(&mine), ["Acme Cloud"]);
    assert_eq!(mine[0]["owner"]["fingerprint"], alice.fingerprint().as_str());
    assert_eq!(mine[0]["owner"]["name"], "Alice");
    assert_eq!(mine[0]["stage"], "partner");

    alice
        .run(&[
            "partner",
            "contact",
            "add",
            "Acme Cloud",
            "--person",
            "Jo Jansen",
            "--email",
            "jo@acme.example",
            "--role",
            "CTO",
        ])
        .ok();
    alice
        .run(&[
            "partner",
            "log",
            "Acme Cloud",
            "--channel",
            "call",
            "--summary",
            "Renewal",
            "--date",
            "2026-11-02",
            "--next",
            "Send proposal",
            "--due",
            "2026-12-01",
        ])
        .ok();
    alice
        .run(&[
            "partner",
            "log",
            "Acme Cloud",
            "--channel",
            "email",
            "--summary",
            "Sent the proposal",
            "--date",
            "2026-11-20",
        ])
        .ok();
    let detail = alice.json(&["partner", "show", "Acme Cloud"]);
    assert_eq!(detail["notes"], "Hosts the cache");
    assert_eq!(detail["contacts"][0]["name"], "Jo Jansen");
    assert_eq!(detail["contacts"][0]["email"], "jo@acme.example");
    assert_eq!(detail["interactions"][0]["summary"], "Sent the proposal");
    assert_eq!(detail["interactions"][1]["next_step"], "Send proposal");
    assert_eq!(detail["interactions"][1]["due"], "2026-12-01");
    assert_eq!(detail["last_contact"], "2026-11-20");

    let text = alice.run(&["partner", "show", "Acme Cloud"]).ok();
    assert!(text.contains("Jo Jansen <jo@acme.example>, CTO"), "{text}");
    assert!(text.contains("next: Send proposal (due 2026-12-01)"), "{text}");
    let table = alice.run(&["partner", "list"]).ok();
    assert!(table.contains("4 organisations"), "{table}");
}

#[test]
fn bad_partner_input_is_refused_and_changes_nothing() {
    let alice = Member::init("Alice");
    alice.run(&["partner", "add", "Acme Cloud"]).ok();
    let digest = alice.digest();
    alice.run(&["partner", "add", "ACME  cloud"]).fails_with("already recorded");
    alice.run(&["partner", "add", "Ember", "--stage", "maybe"]).fails_with("invalid stage \"maybe\"");
    alice.run(&["partner", "add", "Ember", "--kind", "charity"]).fails_with("expected one of company");
    alice
        .run(&["partner", "set", "Nowhere Inc", "--stage", "partner"])
        .fails_with("no organisation named \"Nowhere Inc\"");
    alice.run(&["partner", "set", "Acme Cloud"]).fails_with("nothing to change");
    alice.run(&["partner", "set", "Acme Cloud", "--owner", "not-a-fingerprint"]).fails_with("invalid fingerprint");
    alice
        .run(&["partner", "log", "Acme Cloud", "--channel", "call", "--summary", "x", "--date", "2026-02-30"])
        .fails_with("YYYY-MM-DD");
    alice.run(&["partner", "log", "Acme Cloud", "--channel", "call", "--summary", " "]).fails_with("must not be empty");
    alice
        .run(&["partner", "contact", "add", "Acme Cloud", "--person", "Jo", "--email", "jo at acme"])
        .fails_with("invalid email address");
    alice.run(&["partner", "claim", "Acme Cloud", "--days", "0"]).fails_with("expected 1 to 365");
    assert_eq!(alice.digest(), digest, "refused commands changed the records");
}

#[test]
fn long_lists_page_and_pipe_cleanly() {
    let alice = Member::init("Alice");
    for i in 0..30 {
        alice.run(&["partner", "add", &format!("Company {i:02}")]).ok();
    }
    let page = alice.json(&["partner", "list", "--limit", "10", "--offset", "20"]);
    assert_eq!(names(&page).first(), Some(&"Company 20"));
    assert_eq!(page.as_array().unwrap().len(), 10);
    // A reader that stops early (`| head`) is not an error.
    let mut child = alice.command(&["partner", "list"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    assert!(child.wait().unwrap().success());
}
