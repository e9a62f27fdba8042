//! What every report stands on: the source it reads, the year it covers, and amounts as
//! text.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::finance::model::Source;
use crate::home::Home;

pub(crate) fn text(units: i64) -> String {
    money::format_units(units)
}

pub(crate) fn bad_year(year: i32) -> Result<()> {
    if (1900..=9999).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid("year", &year.to_string(), "expected a year such as 2026"))
    }
}

impl Home {
    /// The source a single-source report reads: `requested`, else e-boekhouden when it
    /// holds transactions, else Open Collective.
    pub fn report_source(&self, requested: Option<Source>) -> Result<Source> {
        if let Some(source) = requested {
            return Ok(source);
        }
        let has_eboekhouden =
            self.db().prepare_cached("SELECT 1 FROM finance_totals WHERE source = 'eboekhouden' LIMIT 1")?.exists([])?;
        Ok(if has_eboekhouden { Source::Eboekhouden } else { Source::OpenCollective })
    }

    /// The current year by this home's clock.
    pub fn this_year(&self) -> i32 {
        use chrono::Datelike;
        self.clock().now().year()
    }
}
