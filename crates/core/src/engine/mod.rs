pub mod bundle;
pub(crate) mod operation;
pub(crate) mod oplog;
pub(crate) mod store;
