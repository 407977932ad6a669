//! What each commit adds: its tree diffed against its parents' trees.
//!
//! Entries of two trees come in git's tree order, so one merge pass pairs
//! them; only subtrees whose ids differ are read, so an unchanged directory
//! costs one comparison. In range mode a modified file also carries the
//! exact lines it adds (diffed on decoded text, `linediff`), and a merge
//! counts only what it adds over every parent. Paths stay bytes.
//!
//! Cost: proportional to the changed part of each tree, plus a line diff of
//! each file a range commit modifies.

use crate::model::display_path_bytes;
use crate::sources::odb::{CommitMeta, Reader};
use crate::sources::{linediff, LineSet, SourceError};
use gix_hash::{oid, ObjectId};
use gix_object::tree::{name_order, EntryRef};
use gix_object::TreeRefIter;
use std::collections::HashMap;

/// Git's file modes, as trees store them.
pub(super) const MODE_BLOB: u16 = 0o100644;
pub(super) const MODE_EXEC: u16 = 0o100755;
pub(super) const MODE_LINK: u16 = 0o120000;
pub(super) const MODE_COMMIT: u16 = 0o160000;

/// One file a commit adds or changes.
pub(super) struct Change {
    /// Repository path, as git stores it (bytes).
    pub path: Vec<u8>,
    pub blob: ObjectId,
    /// Raw git mode.
    pub mode: u16,
    /// Lines added relative to every parent (range mode, changed files
    /// only); `None`: every line.
    pub added_lines: Option<LineSet>,
}

/// Per path: (new blob, mode, old blob when a blob was modified).
type ChangedPaths = HashMap<Vec<u8>, (ObjectId, u16, Option<ObjectId>)>;

/// The files `commit` adds or changes relative to its first parent. In range
/// mode a merge counts only what it adds over every parent, and modified files
/// carry the exact lines added; a file over `max_size` on either side is not
/// diffed (every line counts, and the blob read decides whether it is
/// skipped).
pub(super) fn changes(
    reader: &mut Reader,
    commit: &CommitMeta,
    range: bool,
    shallow: bool,
    max_size: u64,
) -> Result<Vec<Change>, SourceError> {
    let parents = parent_trees(reader, commit, shallow)?;
    let first = parents.first();
    let mut per_parent: Vec<ChangedPaths> = Vec::new();
    let compare: Vec<Option<&ObjectId>> = if range && parents.len() > 1 {
        parents.iter().map(Some).collect()
    } else {
        vec![first]
    };
    for parent in compare {
        let mut changed = ChangedPaths::new();
        let mut prefix = Vec::new();
        tree_changes(
            reader,
            parent.map(|p| p.as_ref()),
            &commit.tree,
            &mut prefix,
            &mut changed,
        )?;
        per_parent.push(changed);
    }
    let Some((against_first, rest)) = per_parent.split_first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    'paths: for (path, &(blob, mode, old)) in against_first {
        let mut added: Option<LineSet> = None;
        if range && mode != MODE_COMMIT {
            // A line is new only if it is new against every parent.
            let mut sets = vec![old];
            for other in rest {
                match other.get(path) {
                    Some(&(_, _, o)) => sets.push(o),
                    None => continue 'paths, // unchanged against that parent
                }
            }
            // `None` (every line) until a parent's diff narrows it.
            for old in sets.into_iter().flatten() {
                if let Some(lines) = blob_added_lines(reader, &old, &blob, max_size)? {
                    added = Some(match added {
                        Some(a) => a.intersection(&lines),
                        None => lines,
                    });
                }
            }
            if added.as_ref().is_some_and(LineSet::is_empty) {
                continue;
            }
        }
        out.push(Change {
            path: path.clone(),
            blob,
            mode,
            added_lines: added,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Files added or changed from the tree `old` (None: empty) to `new`,
/// recursively, into `out`.
fn tree_changes(
    reader: &mut Reader,
    old: Option<&oid>,
    new: &oid,
    prefix: &mut Vec<u8>,
    out: &mut ChangedPaths,
) -> Result<(), SourceError> {
    let here = |p: &[u8]| display_path_bytes(p.strip_suffix(b"/").unwrap_or(p));
    let new_tree = reader.tree(new).map_err(|e| e.at(&here(prefix)))?;
    let old_tree = match old {
        Some(id) => reader.tree(id).map_err(|e| e.at(&here(prefix)))?,
        None => reader.buffer_empty(),
    };
    let result = diff_entries(reader, &old_tree, &new_tree, prefix, out);
    reader.recycle(new_tree);
    reader.recycle(old_tree);
    result
}

/// One level of [`tree_changes`].
fn diff_entries(
    reader: &mut Reader,
    old: &[u8],
    new: &[u8],
    prefix: &mut Vec<u8>,
    out: &mut ChangedPaths,
) -> Result<(), SourceError> {
    let mut olds = TreeRefIter::from_bytes(old, gix_hash::Kind::Sha1);
    let mut next_old: Option<EntryRef<'_>> =
        olds.next().transpose().map_err(|e| tree_error(prefix, e))?;
    for entry in TreeRefIter::from_bytes(new, gix_hash::Kind::Sha1) {
        let entry = entry.map_err(|e| tree_error(prefix, e))?;
        let is_tree = entry.mode.is_tree();
        // Skip old entries that sort before this one (deleted); pair an equal one.
        let mut before = None;
        while let Some(o) = next_old {
            match name_order(o.filename, o.mode.is_tree(), entry.filename, is_tree) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => before = Some(o),
                std::cmp::Ordering::Greater => break,
            }
            next_old = olds.next().transpose().map_err(|e| tree_error(prefix, e))?;
            if before.is_some() {
                break;
            }
        }
        if before.is_some_and(|b| b.oid == entry.oid && b.mode.value() == entry.mode.value()) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(entry.filename);
        if is_tree {
            prefix.push(b'/');
            let old_sub = before.filter(|b| b.mode.is_tree()).map(|b| b.oid);
            tree_changes(reader, old_sub, entry.oid, prefix, out)?;
        } else {
            let old_blob = before
                .filter(|b| matches!(normal_mode(b.mode.value()), MODE_BLOB | MODE_EXEC))
                .map(|b| b.oid.to_owned());
            out.insert(
                prefix.clone(),
                (
                    entry.oid.to_owned(),
                    normal_mode(entry.mode.value()),
                    old_blob,
                ),
            );
        }
        prefix.truncate(len);
    }
    Ok(())
}

/// Git writes `100664` and other legacy modes for regular files.
fn normal_mode(raw: u16) -> u16 {
    match raw {
        MODE_EXEC | MODE_LINK | MODE_COMMIT => raw,
        r if r & 0o170000 == 0o040000 => r,
        _ => MODE_BLOB,
    }
}

/// A tree that does not parse: the commit's diff fails (and is reported).
fn tree_error(prefix: &[u8], e: impl std::fmt::Display) -> SourceError {
    SourceError::Git(format!("tree at '{}': {e}", display_path_bytes(prefix)))
}

/// The trees of `commit`'s parents. In a shallow clone the boundary commits'
/// parents are absent: those commits count as roots.
fn parent_trees(
    reader: &mut Reader,
    commit: &CommitMeta,
    shallow: bool,
) -> Result<Vec<ObjectId>, SourceError> {
    let mut trees = Vec::new();
    for parent in &commit.parents {
        match reader.commit_tree(parent)? {
            Some(tree) => trees.push(tree),
            None if shallow => {}
            None => return Err(SourceError::object(parent, "missing (a parent commit)")),
        }
    }
    Ok(trees)
}

/// Line numbers (1-based) in blob `new` that the diff from blob `old` adds,
/// on decoded text; `None` when the change cannot be diffed (a binary side,
/// or a side over `max_size`, which is never read for this): every line
/// counts.
fn blob_added_lines(
    reader: &mut Reader,
    old: &oid,
    new: &oid,
    max_size: u64,
) -> Result<Option<LineSet>, SourceError> {
    let (old_size, new_size) = (reader.size(old)?, reader.size(new)?);
    if old_size > max_size || new_size > max_size {
        return Ok(None);
    }
    if linediff::is_large(old_size, new_size) {
        // In a buffer of its own, freed afterwards.
        return linediff::added_lines_large(reader, old, new, &mut Vec::new());
    }
    let mut old_data = reader.buffer();
    let mut new_data = reader.buffer();
    let result = reader
        .read_into(old, &mut old_data)
        .and_then(|_| reader.read_into(new, &mut new_data))
        .map(|_| linediff::added_lines(&old_data, &new_data));
    reader.recycle(old_data);
    reader.recycle(new_data);
    result
}
