//! Volume names: the small manifest objects that map a name to a Graft log.
//!
//! Graft has no "open by name"; a volume is a log id. The importer creates
//! `graftgres/volumes/{name}` holding the log id (with a conditional put, so
//! two importers racing on a new name agree on one log), and every replica
//! that sees the bucket resolves the Postgres database name through it.

use std::str::FromStr;

use bytes::Bytes;
use graft::core::LogId;
use object_store::path::Path;

use super::remote::{Remote, RemoteError};

/// Longest accepted volume name (Postgres truncates identifiers at 63 bytes).
const MAX_NAME_LEN: usize = 63;

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid volume name {0:?}: use 1 to 63 letters, digits, '_' or '-'")]
    InvalidName(String),
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// Checks that a volume name is safe as an object-store path segment.
pub fn validate_name(name: &str) -> Result<(), ManifestError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ManifestError::InvalidName(name.to_owned()))
    }
}

fn manifest_path(name: &str) -> Path {
    Path::from_iter(["graftgres", "volumes", name])
}

/// Looks up the log of volume `name`; `None` if no such volume exists.
pub async fn resolve(remote: &Remote, name: &str) -> Result<Option<LogId>, ManifestError> {
    validate_name(name)?;
    let path = manifest_path(name);
    let Some(bytes) = remote.get_optional(&path).await? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let log = LogId::from_str(text.trim()).map_err(|err| RemoteError::Corrupt {
        path: path.to_string(),
        reason: format!("{err:?}"),
    })?;
    Ok(Some(log))
}

/// Returns the log of volume `name`, creating the volume if it is new.
pub async fn resolve_or_create(remote: &Remote, name: &str) -> Result<LogId, ManifestError> {
    if let Some(log) = resolve(remote, name).await? {
        return Ok(log);
    }
    let log = LogId::random();
    let body = Bytes::from(format!("{}\n", log.serialize()));
    if remote.put_if_absent(&manifest_path(name), body).await? {
        return Ok(log);
    }
    // Another importer created it first: use theirs.
    resolve(remote, name).await?.ok_or_else(|| {
        ManifestError::Remote(RemoteError::Corrupt {
            path: manifest_path(name).to_string(),
            reason: "vanished after a conflicting create".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["demo", "app_1", "a-b", &"x".repeat(63)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "..", "a b", "é", &"x".repeat(64)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
