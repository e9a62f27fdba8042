//! `report partners`: what each partner contributed, matched from the transactions
//! to the partner records by name.

use crate::base::error::Result;
use crate::home::Home;
use crate::partners::model::name_key;
use crate::reports::basis::{bad_year, text};
use crate::reports::table::Table;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use ts_rs::TS;

/// Open Collective kinds that are fees taken from a contribution (tied by `group`).
const FEE_KINDS: &str = "('PAYMENT_PROCESSOR_FEE', 'PAYMENT_PROCESSOR_DISPUTE_FEE', 'HOST_FEE', 'PLATFORM_FEE', 'TAX')";
/// Open Collective kinds that are money given by a contributor.
const CONTRIBUTION_KINDS: &str = "('CONTRIBUTION', 'ADDED_FUNDS')";

/// One partner (or the other contributors together) in `report partners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerContribution {
    /// The partner's name; none for the line of contributors matching no partner.
    pub partner: Option<String>,
    pub partner_id: Option<String>,
    /// The Open Collective contributor account(s).
    pub account: String,
    pub currency: String,
    pub contributions: u64,
    /// Gross contributions, refunds deducted.
    pub contributed: String,
    /// Fees taken from them (fee rows tied by group, and fee columns).
    pub fees: String,
    pub net: String,
}

impl Home {
    /// Contributions per partner in `year`, matched through the Open Collective
    /// contributor account (the partner's `opencollective` slug, else its name).
    pub fn report_partners(&self, year: i32) -> Result<Vec<PartnerContribution>> {
        bad_year(year)?;
        let db = self.db();
        let partners = PartnerIndex::load(db)?;
        let fees = fees_by_group(db, year)?;
        let mut by_account: Vec<_> = contributors(db, year, fees)?.into_iter().collect();
        by_account.sort_by(|a, b| a.0.cmp(&b.0));

        struct Line {
            partner: Option<(String, String)>,
            accounts: Vec<String>,
            currency: String,
            count: u64,
            gross: i64,
            fees: i64,
        }
        let mut lines: BTreeMap<(String, String), Line> = BTreeMap::new();
        for ((slug, currency), c) in by_account {
            let partner = partners.find(&slug, c.name.as_deref());
            let key = (partner.as_ref().map(|p| p.0.clone()).unwrap_or_default(), currency.clone());
            let line = lines.entry(key).or_insert_with(|| Line {
                partner: partner.clone(),
                accounts: Vec::new(),
                currency,
                count: 0,
                gross: 0,
                fees: 0,
            });
            line.count += c.count;
            line.gross += c.gross;
            line.fees += c.fees;
            if partner.is_some() {
                line.accounts.push(slug);
            }
        }
        let mut out: Vec<PartnerContribution> = lines
            .into_values()
            .map(|l| PartnerContribution {
                partner: l.partner.as_ref().map(|p| p.1.clone()),
                partner_id: l.partner.as_ref().map(|p| p.0.clone()),
                account: if l.partner.is_some() { l.accounts.join(", ") } else { "(other contributors)".into() },
                currency: l.currency,
                contributions: l.count,
                contributed: text(l.gross),
                fees: text(l.fees),
                net: text(l.gross - l.fees),
            })
            .collect();
        // Partners by name, the other contributors last.
        out.sort_by(|a, b| {
            (a.partner.is_none(), &a.partner, &a.currency).cmp(&(b.partner.is_none(), &b.partner, &b.currency))
        });
        Ok(out)
    }
}

/// The partner records by Open Collective account and by name key: (id, name).
struct PartnerIndex {
    by_slug: HashMap<String, (String, String)>,
    by_name: HashMap<String, (String, String)>,
}

impl PartnerIndex {
    fn load(db: &rusqlite::Connection) -> Result<PartnerIndex> {
        let mut index = PartnerIndex { by_slug: HashMap::new(), by_name: HashMap::new() };
        let mut stmt =
            db.prepare_cached("SELECT id, name, name_key, opencollective FROM partners WHERE name IS NOT NULL")?;
        let partners = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
        })?;
        for row in partners {
            let (id, name, key, slug) = row?;
            if let Some(slug) = slug.filter(|s| !s.is_empty()) {
                index.by_slug.insert(slug.to_lowercase(), (id.clone(), name.clone()));
            }
            index.by_name.insert(key, (id, name));
        }
        Ok(index)
    }

    /// The partner a contributor account is: by its slug, else by its name.
    fn find(&self, slug: &str, name: Option<&str>) -> Option<(String, String)> {
        if let Some(found) = self.by_slug.get(&slug.to_lowercase()) {
            return Some(found.clone());
        }
        let name = name?;
        // `LegalName (Name)` when the two differ: either may be the partner's name.
        let inner = name.rsplit_once(" (").and_then(|(legal, rest)| Some((legal, rest.strip_suffix(')')?)));
        [Some(name), inner.map(|i| i.0), inner.map(|i| i.1)]
            .into_iter()
            .flatten()
            .find_map(|n| self.by_name.get(&name_key(n)).cloned())
    }
}

/// The year's Open Collective rows: two passes over them, borrowing rather than
/// copying their text.
const IN_YEAR: &str = "date BETWEEN ?1 || '-01-01' AND ?1 || '-12-31' AND source = 'opencollective'";

/// What each transaction group's fee rows took (what a contribution cost on its way in).
fn fees_by_group(db: &rusqlite::Connection, year: i32) -> Result<HashMap<String, i64>> {
    let mut fees: HashMap<String, i64> = HashMap::new();
    let mut stmt = db.prepare_cached(&format!(
        "SELECT grp, net FROM transactions WHERE {IN_YEAR} AND kind IN {FEE_KINDS} AND grp IS NOT NULL"
    ))?;
    let mut rows = stmt.query([year])?;
    while let Some(row) = rows.next()? {
        let group = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        let net: i64 = row.get(1)?;
        match fees.get_mut(group) {
            Some(fee) => *fee -= net,
            None => drop(fees.insert(group.to_string(), -net)),
        }
    }
    Ok(fees)
}

/// One contributor account's contributions in one currency.
struct Contributor {
    name: Option<String>,
    count: u64,
    gross: i64,
    fees: i64,
}

/// The contributions by (contributor account, currency), each group's fees (`fees`)
/// counted once, with the first contribution's.
fn contributors(
    db: &rusqlite::Connection,
    year: i32,
    mut fees_by_group: HashMap<String, i64>,
) -> Result<HashMap<(String, String), Contributor>> {
    let mut contributors: HashMap<(String, String), Contributor> = HashMap::new();
    let mut stmt = db.prepare_cached(&format!(
        "SELECT counterparty, currency, gross, net, grp, counterparty_name FROM transactions
         WHERE {IN_YEAR} AND kind IN {CONTRIBUTION_KINDS} AND counterparty IS NOT NULL"
    ))?;
    let mut rows = stmt.query([year])?;
    let mut key = (String::new(), String::new());
    while let Some(row) = rows.next()? {
        key.0.clear();
        key.0.push_str(row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?);
        key.1.clear();
        key.1.push_str(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?);
        let (gross, net): (i64, i64) = (row.get(2)?, row.get(3)?);
        // Fees in columns, and the fee rows of its group.
        let mut fees = gross - net;
        if let Some(group) = row.get_ref(4)?.as_str_or_null().map_err(rusqlite::Error::from)? {
            fees += fees_by_group.remove(group).unwrap_or(0);
        }
        if !contributors.contains_key(&key) {
            let name = row.get_ref(5)?.as_str_or_null().map_err(rusqlite::Error::from)?.map(str::to_string);
            contributors.insert(key.clone(), Contributor { name, count: 0, gross: 0, fees: 0 });
        }
        if let Some(c) = contributors.get_mut(&key) {
            c.count += 1;
            c.gross += gross;
            c.fees += fees;
        }
    }
    Ok(contributors)
}

/// `report partners` as a table.
pub fn partners_table(lines: &[PartnerContribution]) -> Table {
    let mut table = Table::new(&["partner", "account", "currency", "contributions", "contributed", "fees", "net"]);
    for l in lines {
        table.rows.push(vec![
            l.partner.clone().unwrap_or_else(|| "(no partner)".into()),
            l.account.clone(),
            l.currency.clone(),
            l.contributions.to_string(),
            l.contributed.clone(),
            l.fees.clone(),
            l.net.clone(),
        ]);
    }
    table
}
