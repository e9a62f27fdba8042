//! Laptops whose clocks disagree: each member's `countersign` runs under libfaketime
//! at its own offset (+5 s, +10 min, +3 days, −3 days, and one right), from making
//! its key on. Every bundle is accepted by every other member in both directions,
//! votes verify, and everyone reaches the same records.

use countersign_e2e::Board;
use serde_json::Value;

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn members_whose_clocks_differ_by_seconds_to_days_accept_each_others_bundles_and_agree() {
    let board = Board::with_clocks(&[
        ("Alice", None),
        ("Bob", Some("+5")),
        ("Carol", Some("+10m")),
        ("Dave", Some("+3d")),
        ("Erin", Some("-3d")),
    ]);
    let partners = ["Acme Cloud", "Borealis Compute", "Cobalt Labs", "Delft University", "Equinix"];
    for (member, partner) in board.members.iter().zip(partners) {
        member.run(&["partner", "add", partner]).ok();
    }
    // Dave, three days ahead, proposes; Erin, three days behind, and Bob approve.
    let budget = [
        "decision",
        "propose",
        "--kind",
        "budget",
        "--title",
        "Build farm",
        "--amount",
        "900",
        "--currency",
        "EUR",
        "--fund",
        "infra",
        "--closes",
        "2099-12-31",
    ];
    let id = board.members[3].json(&budget)["id"].as_str().expect("an id").to_string();
    let mut reports = Vec::new();
    let sync_all = |reports: &mut Vec<(usize, Value)>| {
        for _ in 0..2 {
            for who in 0..board.members.len() {
                reports.push((who, board.sync(who)));
            }
        }
    };
    sync_all(&mut reports);
    for who in [4, 1] {
        board.members[who].json(&["decision", "vote", &id, "approve"]);
    }
    sync_all(&mut reports);
    // The third approval, from the laptop whose clock is right: approved everywhere.
    board.members[0].json(&["decision", "vote", &id, "approve"]);
    sync_all(&mut reports);
    for (who, report) in &reports {
        let name = &board.members[*who].name;
        assert!(report["rejected"].as_array().unwrap().is_empty(), "{name} refused a bundle: {report}");
        assert!(report["waiting"].as_array().unwrap().is_empty(), "{name} has bundles waiting: {report}");
    }
    // Each reader is told, once, of the laptops a day or more ahead of its own: Alice of
    // Dave's; Erin, three days behind, of everyone's.
    let ahead_of = |who: usize| -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = reports
            .iter()
            .filter(|(reader, _)| *reader == who)
            .flat_map(|(_, report)| report["ahead"].as_array().unwrap().clone())
            .map(|a| (a["member"]["name"].as_str().unwrap().to_string(), a["hours"].as_u64().unwrap()))
            .collect();
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        found
    };
    let alice_sees = ahead_of(0);
    assert_eq!(alice_sees.len(), 1, "{alice_sees:?}");
    assert_eq!(alice_sees[0].0, "Dave");
    assert!((71..=72).contains(&alice_sees[0].1), "{alice_sees:?}");
    let erin_sees: Vec<String> = ahead_of(4).into_iter().map(|(name, _)| name).collect();
    assert_eq!(erin_sees, ["Alice", "Bob", "Carol", "Dave"]);
    let text = board.members[2].run(&["sync"]).ok();
    assert!(!text.contains("Clock:"), "nothing new, nothing said: {text}");

    let digest = board.members[0].digest();
    for member in &board.members {
        assert_eq!(member.digest(), digest, "{} disagrees", member.name);
        assert_eq!(names(&member.json(&["partner", "list"])), partners.map(String::from), "{}", member.name);
        let decision = member.json(&["decision", "show", &id]);
        assert_eq!(decision["status"], "approved", "{}: {decision}", member.name);
        let verified = member.json(&["verify"]);
        assert_eq!(verified["ok"], true, "{}: {verified}", member.name);
    }
}
