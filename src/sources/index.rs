//! What the index stages over HEAD, for `keysweep staged`.
//!
//! The pre-commit check must feel instant in big repositories. git answers
//! `diff --cached` quickly because it skips every directory whose cached tree
//! id (the index's `TREE` extension) equals HEAD's; this module does the
//! same over gitoxide's index reader (`gix-index`: versions 2 to 4, split
//! indexes with their shared index, sparse indexes), reading HEAD trees only
//! along changed paths. A sparse-index directory entry stands for a whole
//! tree: equal to HEAD's it is skipped, otherwise the two trees are diffed.
//!
//! Cost: linear in the index entries plus the HEAD trees on changed paths.

use super::odb::Reader;
use super::SourceError;
use gix_hash::ObjectId;
use gix_object::TreeRefIter;
use std::collections::HashMap;

/// A staged file that differs from HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StagedChange {
    /// Path in the repository (bytes, `/`-separated).
    pub path: Vec<u8>,
    /// The staged blob.
    pub blob: ObjectId,
    /// The staged file mode (git's octal value).
    pub mode: u32,
    /// HEAD's blob at that path, when there is one (a modification).
    pub old: Option<ObjectId>,
}

/// One index entry that matters here: path, id, mode.
struct Entry<'a> {
    path: &'a [u8],
    oid: ObjectId,
    mode: u32,
}

/// Git's mode of a tree entry.
const TREE: u32 = 0o040000;
/// Mask of the object type bits in a mode.
const TYPE_MASK: u32 = 0o170000;
/// Regular files (either permission).
const BLOB: u32 = 0o100000;

/// Read the index at `path` (missing: nothing is staged).
pub(crate) fn read(path: &std::path::Path) -> Result<gix::index::File, SourceError> {
    gix::index::File::at_or_default(
        path,
        gix_hash::Kind::Sha1,
        true,
        gix::index::decode::Options::default(),
    )
    .map_err(|e| {
        SourceError::Git(format!(
            "{}: {}",
            path.display(),
            super::repo::one_line(&e.to_string())
        ))
    })
}

/// Files the index adds or changes over the tree `head` (None: an unborn
/// HEAD, everything is new).
pub(crate) fn staged_changes(
    reader: &mut Reader,
    index: &gix::index::File,
    head: Option<ObjectId>,
) -> Result<Vec<StagedChange>, SourceError> {
    let backing = index.path_backing();
    let entries: Vec<Entry<'_>> = index
        .entries()
        .iter()
        // Stage 1 is the merge base of a conflict; 2 and 3 are both sides,
        // scanned as they are (git refuses to commit until one is chosen).
        .filter(|e| e.stage_raw() != 1)
        .map(|e| {
            let path: &[u8] = e.path_in(backing);
            Entry {
                // Sparse directory entries end in `/`.
                path: path.strip_suffix(b"/").unwrap_or(path),
                oid: e.id,
                mode: e.mode.bits(),
            }
        })
        .collect();
    let mut cached: HashMap<Vec<u8>, ObjectId> = HashMap::new();
    if let Some(root) = index.tree() {
        collect_cache_tree(root, &mut Vec::new(), &mut cached);
    }
    let mut out = Vec::new();
    let ctx = Ctx { cached: &cached };
    ctx.compare(reader, head, b"", &entries, &mut out)?;
    Ok(out)
}

/// Valid cache-tree ids, keyed by directory (`""` for the root).
fn collect_cache_tree(
    node: &gix::index::extension::Tree,
    dir: &mut Vec<u8>,
    out: &mut HashMap<Vec<u8>, ObjectId>,
) {
    let len = dir.len();
    if !node.name.is_empty() {
        if !dir.is_empty() {
            dir.push(b'/');
        }
        dir.extend_from_slice(&node.name);
    }
    if node.num_entries.is_some() {
        out.insert(dir.clone(), node.id);
    }
    for child in &node.children {
        collect_cache_tree(child, dir, out);
    }
    dir.truncate(len);
}

struct Ctx<'a> {
    cached: &'a HashMap<Vec<u8>, ObjectId>,
}

impl Ctx<'_> {
    /// Compare the index entries under `dir` (all of `entries`) with the
    /// HEAD tree `head` of that directory.
    fn compare(
        &self,
        reader: &mut Reader,
        head: Option<ObjectId>,
        dir: &[u8],
        entries: &[Entry<'_>],
        out: &mut Vec<StagedChange>,
    ) -> Result<(), SourceError> {
        if let (Some(h), Some(cached)) = (head, self.cached.get(dir)) {
            if h == *cached {
                return Ok(()); // the whole directory is as in HEAD
            }
        }
        let head_entries = match head {
            Some(id) => tree_entries(reader, &id)?,
            None => HashMap::new(),
        };
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut i = 0;
        while i < entries.len() {
            let rest = &entries[i].path[skip..];
            match memchr::memchr(b'/', rest) {
                None => {
                    let e = &entries[i];
                    let before = head_entries.get(rest);
                    if e.mode & TYPE_MASK == TREE {
                        // A sparse-index directory: the whole tree as staged.
                        let old = before.filter(|(m, _)| m & TYPE_MASK == TREE).map(|b| b.1);
                        if old != Some(e.oid) {
                            let mut prefix = e.path.to_vec();
                            prefix.push(b'/');
                            tree_diff(reader, old, e.oid, &mut prefix, out)?;
                        }
                    } else if before.is_none_or(|&(m, id)| id != e.oid || m != e.mode) {
                        out.push(StagedChange {
                            path: e.path.to_vec(),
                            blob: e.oid,
                            mode: e.mode,
                            old: before.filter(|(m, _)| m & TYPE_MASK == BLOB).map(|b| b.1),
                        });
                    }
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    let sub_dir = &entries[i].path[..skip + slash];
                    let mut j = i + 1;
                    while j < entries.len()
                        && entries[j].path.starts_with(sub_dir)
                        && entries[j].path.get(sub_dir.len()) == Some(&b'/')
                    {
                        j += 1;
                    }
                    let sub_head = head_entries
                        .get(name)
                        .filter(|(m, _)| m & TYPE_MASK == TREE)
                        .map(|b| b.1);
                    self.compare(reader, sub_head, sub_dir, &entries[i..j], out)?;
                    i = j;
                }
            }
        }
        Ok(())
    }
}

/// A tree's entries by name: (mode, id).
fn tree_entries(
    reader: &mut Reader,
    id: &ObjectId,
) -> Result<HashMap<Vec<u8>, (u32, ObjectId)>, SourceError> {
    let buf = reader.tree(id)?;
    let mut map = HashMap::new();
    for entry in TreeRefIter::from_bytes(&buf, gix_hash::Kind::Sha1) {
        let entry = entry.map_err(|e| SourceError::Git(format!("tree {id}: {e}")))?;
        map.insert(
            entry.filename.to_vec(),
            (u32::from(entry.mode.value()), entry.oid.to_owned()),
        );
    }
    reader.recycle(buf);
    Ok(map)
}

/// Every file in tree `new` that differs from tree `old` (None: empty), with
/// `prefix` (ending in `/`) before its path.
fn tree_diff(
    reader: &mut Reader,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &mut Vec<u8>,
    out: &mut Vec<StagedChange>,
) -> Result<(), SourceError> {
    let before = match old {
        Some(id) => tree_entries(reader, &id)?,
        None => HashMap::new(),
    };
    let mut after: Vec<(Vec<u8>, (u32, ObjectId))> =
        tree_entries(reader, &new)?.into_iter().collect();
    after.sort();
    for (name, (mode, id)) in after {
        let prev = before.get(&name).copied();
        if prev == Some((mode, id)) {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(&name);
        if mode & TYPE_MASK == TREE {
            prefix.push(b'/');
            let old_sub = prev.filter(|(m, _)| m & TYPE_MASK == TREE).map(|p| p.1);
            tree_diff(reader, old_sub, id, prefix, out)?;
        } else {
            out.push(StagedChange {
                path: prefix.clone(),
                blob: id,
                mode,
                old: prev.filter(|(m, _)| m & TYPE_MASK == BLOB).map(|p| p.1),
            });
        }
        prefix.truncate(len);
    }
    Ok(())
}
