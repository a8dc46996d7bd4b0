//! One file per command: arguments in, a call into the project model and the libraries, a
//! renderer out. No command file imports another.

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
pub mod update;
