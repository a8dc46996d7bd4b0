//! One file per command.

pub mod baseline;
pub mod blame;
pub mod check;
pub mod completion;
pub mod explain;
pub mod fix;
pub mod graph;
pub mod history;
pub mod init;
pub mod profile;
pub mod record;
mod regression;
mod shared;
pub mod update;
