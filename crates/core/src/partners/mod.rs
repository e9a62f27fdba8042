//! Partners: the organisations the foundation works with. [`model`] the records and
//! requests, [`records`] their tables, [`service`] what a member does with them.

pub(crate) mod model;
pub(crate) mod records;
pub(crate) mod service;

pub use model::{
    ClaimOutcome, Kind, NewContact, NewInteraction, NewPartner, PartnerDetail, PartnerFilter, PartnerId,
    PartnerSummary, PartnerUpdate, Stage,
};
