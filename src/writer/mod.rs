//! Writing volumes: the `import` and `sync` commands.
//!
//! This is the only code that writes to a volume, and it runs only in the
//! importer's process, never in `serve`. It uses Graft's own runtime
//! (volume writer, commit, push), so the volumes it makes are ordinary Graft
//! volumes that any Graft reader can open. After each import it writes the
//! volume's snapshot pack ([`pack`]), graftgres's own object beside the log.

mod import;
pub mod pack;
mod watch;

pub use import::{ImportReport, Importer, import, sync};
