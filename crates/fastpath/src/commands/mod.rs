//! One file per command.

pub mod check;
pub mod explain;
pub mod fix;
pub mod graph;
pub mod init;
mod shared;
pub mod update;
