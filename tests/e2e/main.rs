//! End-to-end scenarios driving the real `countersign` binary, one home per member.
//! One test binary for the whole crate (modules below), as the style guide asks.

mod access;
mod clocks;
mod crash;
mod decisions;
mod disk;
mod finance;
mod home;
mod keyring;
mod partners;
mod sync;
