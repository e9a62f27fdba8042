//! The demo home: invented organisations for trying Countersign out. A demo home is
//! marked as such in `home.json` and in every view, and is kept in its own folder so
//! it never mixes with real records.

use crate::clock::Clock;
use crate::error::Result;
use crate::home::{Home, KeySource};
use crate::key::Passphrase;
use crate::partner::{Kind, NewContact, NewInteraction, NewPartner, PartnerUpdate, Stage};
use std::path::Path;
use std::sync::Arc;

/// The demo member's passphrase. Demo only: it protects nothing of value.
pub const DEMO_PASSPHRASE: &str = "demo";

/// Creates a demo home in `dir` with a handful of invented organisations.
pub fn create(dir: &Path, clock: Arc<dyn Clock>) -> Result<Home> {
    let passphrase = Passphrase::from(DEMO_PASSPHRASE);
    let source = KeySource::Generate { name: "Demo Member", email: "demo@example.org" };
    let mut home = Home::init_with(dir, source, &passphrase, clock, true)?;
    let partners: &[(&str, Kind, Stage, &[&str], Option<&str>)] = &[
        ("Acme Cloud", Kind::Company, Stage::Partner, &["hosting", "sponsor"], Some("https://acme.example")),
        ("Borealis Compute", Kind::Company, Stage::InDiscussion, &["ci", "hardware"], None),
        ("City of Utrecht", Kind::PublicAdministration, Stage::Contacted, &["government"], None),
        ("Delft University of Technology", Kind::Academia, Stage::Partner, &["research"], None),
        ("Ember Systems", Kind::Company, Stage::Prospect, &["sponsor"], None),
        ("Fjord Reproducible Builds", Kind::Community, Stage::Partner, &["community"], None),
        ("Granite Networks", Kind::Company, Stage::Lapsed, &["cdn"], None),
        ("Helix Foundation", Kind::Community, Stage::InDiscussion, &["community", "events"], None),
        ("Iris Labs", Kind::Company, Stage::Declined, &["sponsor"], None),
        ("Juniper Research Council", Kind::PublicAdministration, Stage::Prospect, &["grants"], None),
    ];
    for (name, kind, stage, tags, website) in partners {
        home.add_partner(NewPartner {
            name: name.to_string(),
            kind: *kind,
            stage: *stage,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            website: website.map(str::to_string),
        })?;
    }
    home.update_partner(
        "Acme Cloud",
        PartnerUpdate {
            owner: Some("me".into()),
            notes: Some("Hosts the binary cache mirror; renewal due in spring.".into()),
            ..Default::default()
        },
    )?;
    home.add_contact(
        "Acme Cloud",
        NewContact {
            name: "Jo Jansen".into(),
            email: Some("jo@acme.example".into()),
            role: Some("Open source office".into()),
        },
    )?;
    home.log_interaction(
        "Acme Cloud",
        NewInteraction {
            channel: "call".into(),
            summary: "Discussed renewing the cache sponsorship for another year.".into(),
            date: None,
            next_step: Some("Send the renewal proposal".into()),
            due: None,
            force: false,
        },
    )?;
    home.claim_partner("Ember Systems", 30, false)?;
    Ok(home)
}
