//! Commit and tag messages are sources too: `git commit -m "set
//! TOKEN=..."` publishes a key as surely as a file does, and every report
//! that shows the commit would print it. A history or range scan hands each
//! walked commit's message (read with the commit, no second read) and each
//! annotated tag's message to the visitor as a blob of its own, reported at
//! [`COMMIT_MESSAGE`] or `(tag message NAME)` with the commit as provenance.

use crate::model::{display_path_bytes, CommitInfo, Provenance};
use crate::sources::repo::Repo;
use crate::sources::{Blob, Place, SourceStats};
use gix_hash::ObjectId;
use std::collections::HashMap;
use std::sync::Arc;

/// The path findings in a commit message are reported at.
pub const COMMIT_MESSAGE: &str = "(commit message)";

/// Scan one commit or tag message, reported at `path` with commit `id`
/// (walk order `order`) as its provenance.
pub(super) fn scan_message(
    message: &[u8],
    id: &ObjectId,
    order: u32,
    path: &str,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    if message.is_empty() {
        return;
    }
    let places = [Place {
        path: path.to_string(),
        provenance: Provenance::Commit(crate::model::GitProvenance {
            commit: Arc::new(CommitInfo {
                commit: id.to_string(),
                author: String::new(),
                email: String::new(),
                date: String::new(),
                summary: String::new(),
                order,
            }),
            blob: id.to_string(),
            in_head: false,
            commits: 1,
            paths: 1,
        }),
        added_lines: None,
        archive: None,
    }];
    visit(&Blob {
        data: message,
        places: &places,
        strings: false,
    });
}

/// Scan the messages of annotated tags, each reported at `(tag message
/// NAME)` with the commit it tags as provenance (walk order: the commit's
/// own when the walk has it, else one past the walk, one per tag). A tag
/// that cannot be read is recorded as unreadable.
pub(super) fn scan_tag_messages(
    repo: &Repo,
    tags: &[ObjectId],
    commits: &[ObjectId],
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    if tags.is_empty() {
        return;
    }
    let order: HashMap<&ObjectId, u32> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c, i as u32))
        .collect();
    let mut next = commits.len() as u32;
    for id in tags {
        let read = (|| -> Result<(String, Vec<u8>, ObjectId), String> {
            let object = repo.repo.find_object(*id).map_err(|e| e.to_string())?;
            let data = object.data.clone();
            let decoded = gix_object::TagRef::from_bytes(&data, gix_hash::Kind::Sha1)
                .map_err(|e| e.to_string())?;
            let name = display_path_bytes(decoded.name);
            let message: Vec<u8> = decoded.message.iter().copied().collect();
            let commit = object
                .peel_tags_to_end()
                .map_err(|e| e.to_string())?
                .try_into_commit()
                .map_err(|e| e.to_string())?
                .id;
            Ok((name, message, commit))
        })();
        match read {
            Ok((name, message, commit)) => {
                let order = order.get(&commit).copied().unwrap_or_else(|| {
                    next += 1;
                    next - 1
                });
                let path = format!("(tag message {name})");
                scan_message(&message, &commit, order, &path, visit);
            }
            Err(e) => stats.unreadable(
                id.to_string(),
                vec![format!("tag {id}")],
                crate::sources::repo::one_line(&e),
            ),
        }
    }
}
