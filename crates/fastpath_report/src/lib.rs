//! Renderers: results in, bytes out. Nothing here computes a result; each output format has
//! its own file, and every renderer writes to a `Write` so the CLI owns where bytes go.

pub mod blame;
pub mod check;
pub mod graph;
pub mod history;
pub mod html;
pub mod paths;
pub mod profile;
