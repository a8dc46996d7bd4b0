//! Accountability for fastpath: whether the cold start got slower, by how much, and who did it.
pub mod decision;
pub mod gate;
pub mod series;
