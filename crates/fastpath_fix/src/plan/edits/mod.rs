//! One file per kind of edit a plan can make.

pub(crate) mod lazy;
mod move_into_functions;
mod removal;
mod type_checking;
