//! graftgres: a Postgres-wire-compatible read replica for SQLite databases
//! stored as Graft volumes in object storage.
//!
//! A query's path: [`wire`] accepts the client and its message; [`sql`]
//! parses the Postgres SQL and turns each statement into a [`sql::Command`]
//! (a read translated for SQLite, a session command, or a refusal); [`exec`]
//! runs reads on a pooled SQLite connection on a blocking thread; SQLite
//! reads pages through the [`replica`] VFS, which pins one snapshot per
//! transaction and fetches missing pages from the object store; rows stream
//! back through [`wire::encode`] as Postgres values.
//!
//! [`writer`] is the other side: `import` and `sync` push SQLite files as
//! Graft volumes. See ARCHITECTURE.md for the invariants.

pub mod config;
pub mod decimal;
pub mod demo;
pub mod error;
pub mod exec;
pub mod prefetch;
pub mod replica;
pub mod sql;
pub mod telemetry;
pub mod wire;
pub mod writer;
