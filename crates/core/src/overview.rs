//! The home screen: what needs this member's signature, the money available per
//! fund, what changed recently, and whether sync is healthy — one call, so the
//! desktop app opens on a single query.

use crate::base::error::{Error, Result};
use crate::decisions::model::{DecisionFilter, DecisionSummary};
use crate::home::Home;
use crate::members::roster::MemberRef;
use crate::reports::AvailableLine;
use crate::sync::report::SyncStatus;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How many recent changes the home screen lists.
pub const RECENT_ACTIVITY: u32 = 30;

word_enum! {
    /// What kind of change an activity entry is.
    ActivityKind, "activity kind" {
        Contact = "contact",
        Proposal = "proposal",
        Amendment = "amendment",
        Vote = "vote",
        Withdrawal = "withdrawal",
    }
}

/// One change by a member, newest first on the home screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Activity {
    /// When the member made it (their clock).
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub member: MemberRef,
    /// The partner's name or the decision's title.
    pub subject: String,
    /// The contact's summary, or the vote's choice.
    pub detail: String,
    /// The decision id, for proposals, amendments, votes and withdrawals.
    pub decision: Option<String>,
}

/// The open home as the desktop app's frame shows it: whose it is, its workspace,
/// and where the key stands this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Session {
    pub home: crate::home::HomeInfo,
    /// `None` until the home creates or joins a workspace.
    pub workspace: Option<crate::sync::workspace::WorkspaceInfo>,
    /// The key was unlocked with the passphrase this run (sync can run unattended).
    pub unlocked: bool,
    /// The OS keyring holds the passphrase.
    pub remembered: bool,
    /// An OS keyring is reachable at all.
    pub keyring: bool,
}

/// Everything the home screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Overview {
    /// Open decisions this member may vote on and has not, soonest deadline first.
    pub needs_signature: Vec<DecisionSummary>,
    /// Open decisions in all.
    pub open_decisions: u32,
    /// This year's money per fund: budget, spent, committed, available.
    pub available: Vec<AvailableLine>,
    pub activity: Vec<Activity>,
    /// `None` until the home has joined a workspace.
    pub sync: Option<SyncStatus>,
}

impl Home {
    /// The home screen in one call.
    pub fn overview(&self) -> Result<Overview> {
        let open = self.decisions(&DecisionFilter { open: true, needs_me: false })?;
        let mut needs_signature: Vec<DecisionSummary> = open.iter().filter(|d| d.needs_me).cloned().collect();
        needs_signature.sort_by(|a, b| (a.closes, &a.title).cmp(&(b.closes, &b.title)));
        let sync = match self.sync_status() {
            Ok(status) => Some(status),
            Err(Error::NoWorkspace) => None,
            Err(e) => return Err(e),
        };
        Ok(Overview {
            needs_signature,
            open_decisions: open.len() as u32,
            available: self.report_available(None, None)?,
            activity: self.activity(RECENT_ACTIVITY)?,
            sync,
        })
    }

    /// The latest changes by any member, newest first: contacts logged, decisions
    /// proposed, amended or withdrawn, votes cast.
    pub fn activity(&self, limit: u32) -> Result<Vec<Activity>> {
        let mut stmt = self.db().prepare_cached(
            "SELECT * FROM (
               SELECT i.hlc_ms, i.hlc_n, 'contact', i.member, coalesce(p.name, i.partner), i.summary, NULL
                 FROM interactions i LEFT JOIN partners p ON p.id = i.partner
               UNION ALL
               SELECT hlc_ms, hlc_n, CASE WHEN version = 1 THEN 'proposal' ELSE 'amendment' END, author,
                      json_extract(doc, '$.title'), json_extract(doc, '$.kind'), decision
                 FROM decision_versions
               UNION ALL
               SELECT v.hlc_ms, v.hlc_n, 'vote', v.voter, json_extract(d.doc, '$.title'), v.choice, v.decision
                 FROM votes v JOIN decision_versions d ON d.hash = v.version
               UNION ALL
               SELECT w.hlc_ms, w.hlc_n, 'withdrawal', w.member,
                      (SELECT json_extract(doc, '$.title') FROM decision_versions d
                        WHERE d.decision = w.decision ORDER BY version DESC LIMIT 1), '', w.decision
                 FROM withdrawals w)
             ORDER BY 1 DESC, 2 DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ms, kind, member, subject, detail, decision) = row?;
            out.push(Activity {
                at: Utc.timestamp_millis_opt(ms).single().unwrap_or_default(),
                kind: kind.parse()?,
                member: self.member_ref(&member),
                subject: subject.unwrap_or_default(),
                detail: detail.unwrap_or_default(),
                decision,
            });
        }
        Ok(out)
    }
}
