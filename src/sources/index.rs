//! A fast reader for git's index file, for `keysweep staged`.
//!
//! The pre-commit check must feel instant in big repositories. libgit2 loads
//! a 100,000-entry index in about 120 ms and then compares every entry with
//! HEAD; git answers `diff --cached` in 20 ms because it reads the index
//! directly and skips every directory whose cached tree id (the index's
//! `TREE` extension) equals HEAD's. This module does the same: it parses
//! versions 2 to 4 (path compression included) and the cache-tree, and finds
//! the staged files that differ from HEAD, reading only HEAD trees on changed
//! paths. Anything it does not understand (split or sparse indexes, merge
//! conflicts, a malformed file) returns `None` and the caller falls back to
//! libgit2's diff, which is slower but complete.

use git2::{Oid, Repository, Tree};
use std::borrow::Cow;
use std::collections::HashMap;

/// A staged file that differs from HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StagedChange {
    /// Path in the repository (bytes, `/`-separated).
    pub path: Vec<u8>,
    /// The staged blob.
    pub blob: Oid,
    /// The staged file mode.
    pub mode: u32,
    /// HEAD's blob at that path, when there is one (a modification).
    pub old: Option<Oid>,
}

struct Entry<'a> {
    path: Cow<'a, [u8]>,
    oid: Oid,
    mode: u32,
}

/// Parsed index: entries sorted by path, and valid cache-tree ids by
/// directory (`""` for the root, `"a/b"` for subdirectories).
struct Index<'a> {
    entries: Vec<Entry<'a>>,
    trees: HashMap<Vec<u8>, Oid>,
}

/// Files the index adds or changes over `head` (None: an unborn HEAD), or
/// `None` when the index uses a feature this reader leaves to libgit2.
pub(crate) fn staged_changes(
    repo: &Repository,
    head: Option<&Tree<'_>>,
) -> Option<Vec<StagedChange>> {
    let file = std::fs::File::open(repo.path().join("index")).ok()?;
    // SAFETY: the map is read-only and dropped before returning. A writer
    // replacing the index (git writes a new file and renames it) does not
    // change the mapped file; a truncation would at worst fault, the same
    // risk `git` itself takes when it maps the index.
    let bytes = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let index = parse(&bytes)?;
    let mut out = Vec::new();
    compare(repo, &index, head, b"", &index.entries, &mut out).ok()?;
    Some(out)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn parse(b: &[u8]) -> Option<Index<'_>> {
    const HASH: usize = 20;
    if b.get(..4)? != b"DIRC" || b.len() < 12 + HASH {
        return None;
    }
    let version = be32(b, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(b, 8)? as usize;
    let body_end = b.len() - HASH;
    let mut at = 12;
    let mut entries = Vec::with_capacity(count.min(b.len() / 62));
    let mut prev: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    for _ in 0..count {
        let start = at;
        let mode = be32(b, at + 24)?;
        let oid = Oid::from_bytes(b.get(at + 40..at + 40 + HASH)?).ok()?;
        let flags = be16(b, at + 60)?;
        at += 62;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            let extended = be16(b, at)?;
            // skip-worktree / intent-to-add entries need git's own rules.
            if extended != 0 {
                return None;
            }
            at += 2;
        }
        if (flags >> 12) & 0x3 != 0 {
            return None; // a merge conflict: let libgit2 decide
        }
        let path = if version == 4 {
            let (strip, n) = varint(b.get(at..body_end)?)?;
            at += n;
            let end = at + memchr::memchr(0, b.get(at..body_end)?)?;
            let keep = prev.len().checked_sub(strip)?;
            let mut p = prev[..keep].to_vec();
            p.extend_from_slice(&b[at..end]);
            at = end + 1;
            Cow::Owned(p)
        } else {
            let end = at + memchr::memchr(0, b.get(at..body_end)?)?;
            let p = &b[at..end];
            // Entries are padded with 1..=8 NULs to a multiple of 8 bytes.
            at = start + ((end - start) / 8 + 1) * 8;
            Cow::Borrowed(p)
        };
        if mode & 0o170000 == 0o040000 {
            return None; // a sparse-index directory entry
        }
        prev.clone_from(&path);
        entries.push(Entry { path, oid, mode });
    }
    let mut trees = HashMap::new();
    while at + 8 <= body_end {
        let sig = &b[at..at + 4];
        let size = be32(b, at + 4)? as usize;
        let data = b.get(at + 8..(at + 8).checked_add(size)?)?;
        match sig {
            b"TREE" => parse_tree(data, &mut Vec::new(), &mut 0, &mut trees)?,
            b"link" | b"sdir" => return None, // split or sparse index
            _ => {}
        }
        at += 8 + size;
    }
    Some(Index { entries, trees })
}

/// Git's offset varint (index v4 path compression).
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut c = *b.first()?;
    let mut v = usize::from(c & 0x7f);
    while c & 0x80 != 0 {
        i += 1;
        c = *b.get(i)?;
        v = v.checked_add(1)?.checked_mul(128)? + usize::from(c & 0x7f);
    }
    Some((v, i + 1))
}

/// One cache-tree node and, recursively, its children (pre-order).
fn parse_tree(
    data: &[u8],
    dir: &mut Vec<u8>,
    at: &mut usize,
    out: &mut HashMap<Vec<u8>, Oid>,
) -> Option<()> {
    let name_end = *at + memchr::memchr(0, data.get(*at..)?)?;
    let name = &data[*at..name_end];
    let line_end = name_end + 1 + memchr::memchr(b'\n', data.get(name_end + 1..)?)?;
    let line = std::str::from_utf8(&data[name_end + 1..line_end]).ok()?;
    let (count, subtrees) = line.split_once(' ')?;
    let count: i64 = count.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    *at = line_end + 1;
    let len = dir.len();
    if !name.is_empty() {
        if !dir.is_empty() {
            dir.push(b'/');
        }
        dir.extend_from_slice(name);
    }
    if count >= 0 {
        let oid = Oid::from_bytes(data.get(*at..*at + 20)?).ok()?;
        *at += 20;
        out.insert(dir.clone(), oid);
    }
    for _ in 0..subtrees {
        parse_tree(data, dir, at, out)?;
    }
    dir.truncate(len);
    Some(())
}

/// Compare the index entries under `dir` (all of `entries`) with `head`.
fn compare(
    repo: &Repository,
    index: &Index<'_>,
    head: Option<&Tree<'_>>,
    dir: &[u8],
    entries: &[Entry<'_>],
    out: &mut Vec<StagedChange>,
) -> Result<(), git2::Error> {
    if let (Some(h), Some(cached)) = (head, index.trees.get(dir)) {
        if h.id() == *cached {
            return Ok(()); // the whole directory is as in HEAD
        }
    }
    let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
    let mut i = 0;
    while i < entries.len() {
        let rest = &entries[i].path[skip..];
        match memchr::memchr(b'/', rest) {
            None => {
                let e = &entries[i];
                let before = head.and_then(|h| h.get_name_bytes(rest));
                let old = before
                    .as_ref()
                    .filter(|b| b.filemode() as u32 & 0o170000 == 0o100000);
                let same = before
                    .as_ref()
                    .is_some_and(|b| b.id() == e.oid && b.filemode() as u32 == e.mode);
                if !same {
                    out.push(StagedChange {
                        path: e.path.to_vec(),
                        blob: e.oid,
                        mode: e.mode,
                        old: old.map(|b| b.id()),
                    });
                }
                i += 1;
            }
            Some(slash) => {
                let name = &rest[..slash];
                let sub_dir = entries[i].path[..skip + slash].to_vec();
                let mut j = i + 1;
                while j < entries.len()
                    && entries[j].path.starts_with(&sub_dir)
                    && entries[j].path.get(sub_dir.len()) == Some(&b'/')
                {
                    j += 1;
                }
                let sub_head = match head.and_then(|h| h.get_name_bytes(name)) {
                    Some(entry) if entry.filemode() == 0o040000 => {
                        Some(repo.find_tree(entry.id())?)
                    }
                    _ => None,
                };
                compare(
                    repo,
                    index,
                    sub_head.as_ref(),
                    &sub_dir,
                    &entries[i..j],
                    out,
                )?;
                i = j;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x01]), Some((257, 2)));
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"not an index at all, nope nope").is_none());
        let mut b = b"DIRC".to_vec();
        b.extend(9u32.to_be_bytes());
        b.extend(0u32.to_be_bytes());
        b.extend([0u8; 20]);
        assert!(parse(&b).is_none(), "version 9");
    }
}
