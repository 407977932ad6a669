//! Which commits a history scan reads, in what order, through gitoxide.
//!
//! The starting points are every ref (branches, tags, remotes, notes), HEAD
//! and every stash entry, or the refs `--branch` names, or a range's tips;
//! a range's bases (and, for a push, the remote's tracking refs) are hidden
//! with their whole ancestry. gitoxide's walk honours a shallow clone's
//! boundary. The commits are then ordered parents first (a depth-first
//! post-order from each tip, first parent first), so "the commit that first
//! introduced" a secret is well defined and the same on every run.
//!
//! Cost: one read of each walked commit, and a few words per commit.

use super::{CommitRange, FETCH_HINT};
use crate::model::SkipReason;
use crate::sources::repo::{one_line, Repo};
use crate::sources::{SourceError, SourceStats};
use gix_hash::ObjectId;
use std::collections::{HashMap, HashSet};

/// Starting points of a whole-history walk: the named refs, or every ref,
/// HEAD and every stash entry; and the annotated tags among them (their
/// messages are scanned). Refs that point at trees or blobs are counted as
/// skipped; a ref to a missing or corrupt object is recorded as unreadable
/// (the scan is incomplete).
pub(super) fn roots(
    repo: &Repo,
    branches: &[String],
    stats: &SourceStats,
) -> Result<(Vec<ObjectId>, Vec<ObjectId>), SourceError> {
    let r = &repo.repo;
    if !branches.is_empty() {
        let tips = branches
            .iter()
            .map(|name| {
                resolve_commit(r, name).ok_or_else(|| {
                    SourceError::Setup(format!("--branch {name}: not a commit in this repository"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((tips, annotated_tags(r, branches.iter().map(String::as_str))));
    }
    let mut tips = Vec::new();
    let mut tags = Vec::new();
    let refs = r.references().map_err(git_error)?;
    for reference in refs.all().map_err(git_error)? {
        let mut reference = reference.map_err(|e| SourceError::Git(one_line(&e.to_string())))?;
        let name = crate::model::display_path_bytes(reference.name().as_bstr());
        let target = reference.target().try_id().map(|id| id.to_owned());
        // A ref whose object (or a tag's target) is missing or corrupt is
        // history the scan cannot see: incomplete, not a skip.
        let missing = |id: Option<ObjectId>, e: &dyn std::fmt::Display| {
            let object = id.map_or_else(|| name.clone(), |id| id.to_string());
            stats.unreadable(
                object,
                vec![format!("ref {name}")],
                one_line(&e.to_string()),
            );
        };
        let id = match reference.peel_to_id() {
            Ok(id) => id.detach(),
            Err(e) => {
                missing(target, &e);
                continue;
            }
        };
        let object = match r.find_object(id) {
            Ok(o) => o,
            Err(e) => {
                missing(Some(id), &e);
                continue;
            }
        };
        // An annotated tag's ref names the tag object, which peeling passed.
        if let Some(direct) = target.filter(|t| *t != id) {
            if r.find_header(direct)
                .is_ok_and(|h| h.kind() == gix::object::Kind::Tag)
            {
                tags.push(direct);
            }
        }
        match object.kind {
            gix::object::Kind::Commit => tips.push(id),
            gix::object::Kind::Tag => match object.peel_tags_to_end() {
                Ok(o) if o.kind == gix::object::Kind::Commit => tips.push(o.id),
                Ok(_) => stats.skip(name, SkipReason::NonCommitRef),
                Err(e) => missing(Some(id), &e),
            },
            _ => stats.skip(name, SkipReason::NonCommitRef),
        }
    }
    if let Ok(Some(stash)) = r.try_find_reference("refs/stash") {
        let mut log = stash.log_iter();
        if let Ok(Some(entries)) = log.all() {
            for entry in entries.flatten() {
                if let Ok(id) = ObjectId::from_hex(entry.new_oid) {
                    tips.push(id);
                }
            }
        }
    }
    let mut head = r.head().map_err(git_error)?;
    if !head.is_unborn() {
        if let Ok(c) = head.peel_to_commit() {
            tips.push(c.id);
        }
    }
    Ok((tips, tags))
}

/// The annotated tag objects among `revs` (a pushed tag, `--branch v1.0`),
/// nested tags included: their messages are scanned like commit messages.
pub(super) fn annotated_tags<'a>(
    repo: &gix::Repository,
    revs: impl Iterator<Item = &'a str>,
) -> Vec<ObjectId> {
    let mut out = Vec::new();
    for rev in revs {
        let Ok(id) = repo.rev_parse_single(rev) else {
            continue;
        };
        let mut id = id.detach();
        while let Ok(object) = repo.find_object(id) {
            if object.kind != gix::object::Kind::Tag {
                break;
            }
            out.push(id);
            match object.into_tag().target_id() {
                Ok(target) => id = target.detach(),
                Err(_) => break,
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A range's tips and the commits it hides. A base that is not in the
/// repository is an error with a hint (a shallow CI checkout).
pub(super) fn range_ends(
    repo: &Repo,
    spec: &CommitRange,
) -> Result<(Vec<ObjectId>, Vec<ObjectId>), SourceError> {
    let r = &repo.repo;
    let shallow = r.is_shallow().unwrap_or(false);
    let resolve = |rev: &str, what: &str| {
        resolve_commit(r, rev).ok_or_else(|| {
            let note = if shallow {
                " (this is a shallow clone)"
            } else {
                ""
            };
            SourceError::Setup(format!(
                "--range {}: {what} `{rev}` is not a commit in this repository{note}; {FETCH_HINT}",
                spec.label
            ))
        })
    };
    let tips = spec
        .tips
        .iter()
        .map(|t| resolve(t, "revision"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut hide = spec
        .hide
        .iter()
        .map(|b| resolve(b, "base"))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(remote) = &spec.hide_remote {
        let prefix = if remote.is_empty() {
            "refs/remotes/".to_string()
        } else {
            format!("refs/remotes/{remote}/")
        };
        let refs = r.references().map_err(git_error)?;
        for reference in refs.prefixed(prefix.as_str()).map_err(git_error)? {
            let Ok(mut reference) = reference else {
                continue;
            };
            if let Ok(id) = reference.peel_to_id() {
                if let Ok(c) = id.object().and_then(|o| o.peel_to_commit()) {
                    hide.push(c.id);
                }
            }
        }
    }
    Ok((tips, hide))
}

/// `rev` (a ref name, id or revision expression) peeled to a commit.
pub(super) fn resolve_commit(repo: &gix::Repository, rev: &str) -> Option<ObjectId> {
    let object = repo.rev_parse_single(rev).ok()?.object().ok()?;
    object.peel_to_commit().ok().map(|c| c.id)
}

/// Every commit reachable from `tips` and from none of `hide`, parents
/// first.
pub(super) fn commits(
    repo: &Repo,
    tips: Vec<ObjectId>,
    hide: Vec<ObjectId>,
) -> Result<Vec<ObjectId>, SourceError> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    let walk = repo
        .repo
        .rev_walk(tips.iter().copied())
        .with_hidden(hide)
        .all()
        .map_err(git_error)?;
    let mut ids: Vec<ObjectId> = Vec::new();
    let mut parents: Vec<Vec<ObjectId>> = Vec::new();
    for info in walk {
        let info = info.map_err(git_error)?;
        ids.push(info.id);
        parents.push(info.parent_ids().map(|p| p.detach()).collect());
    }
    Ok(parents_first(&tips, &ids, &parents))
}

/// Order `ids` so every commit comes after its parents (those in the set):
/// a depth-first post-order from each tip in turn, first parent first.
fn parents_first(tips: &[ObjectId], ids: &[ObjectId], parents: &[Vec<ObjectId>]) -> Vec<ObjectId> {
    let index: HashMap<ObjectId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let edges: Vec<Vec<usize>> = parents
        .iter()
        .map(|ps| ps.iter().filter_map(|p| index.get(p).copied()).collect())
        .collect();
    let mut done = vec![false; ids.len()];
    let mut out = Vec::with_capacity(ids.len());
    // Tips first, then any commit the walk reached another way (stash
    // parents of hidden tips, for instance).
    let starts = tips
        .iter()
        .filter_map(|t| index.get(t).copied())
        .chain(0..ids.len());
    for start in starts {
        if done[start] {
            continue;
        }
        // (commit, next parent to visit)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        let mut on_stack: HashSet<usize> = HashSet::from([start]);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            match edges[node].get(*next) {
                Some(&parent) => {
                    *next += 1;
                    if !done[parent] && on_stack.insert(parent) {
                        stack.push((parent, 0));
                    }
                }
                None => {
                    stack.pop();
                    on_stack.remove(&node);
                    if !done[node] {
                        done[node] = true;
                        out.push(ids[node]);
                    }
                }
            }
        }
    }
    out
}

/// The commits at a shallow clone's boundary (their parents are missing).
pub(super) fn shallow_boundary(repo: &Repo) -> HashSet<ObjectId> {
    repo.repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default()
}

/// Every commit in the object store (`--all-objects`), and every blob.
pub(super) fn all_objects(repo: &Repo) -> Result<(Vec<ObjectId>, Vec<ObjectId>), SourceError> {
    let mut commits = Vec::new();
    let mut blobs = Vec::new();
    let store = &repo.repo.objects;
    let iter = store
        .iter()
        .map_err(|e| SourceError::Git(one_line(&e.to_string())))?;
    for id in iter {
        let id = id.map_err(|e| SourceError::Git(one_line(&e.to_string())))?;
        match repo.repo.find_header(id).map(|h| h.kind()) {
            Ok(gix::object::Kind::Commit) => commits.push(id),
            Ok(gix::object::Kind::Blob) => blobs.push(id),
            Ok(_) => {}
            Err(e) => return Err(SourceError::object(&id, one_line(&e.to_string()))),
        }
    }
    Ok((commits, blobs))
}

/// Every file at HEAD: displayed path -> blob (empty for an unborn HEAD).
pub(super) fn head_files(repo: &Repo) -> Result<HashMap<String, ObjectId>, SourceError> {
    let mut files = HashMap::new();
    let r = &repo.repo;
    let mut head = r.head().map_err(git_error)?;
    if head.is_unborn() {
        return Ok(files);
    }
    let tree = head
        .peel_to_commit()
        .and_then(|c| c.tree())
        .map_err(|e| SourceError::Git(format!("HEAD: {}", one_line(&e.to_string()))))?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .map_err(|e| SourceError::Git(format!("HEAD: {}", one_line(&e.to_string()))))?;
    for entry in recorder.records {
        if entry.mode.is_blob() {
            files.insert(crate::model::display_path_bytes(&entry.filepath), entry.oid);
        }
    }
    Ok(files)
}

fn git_error(e: impl std::fmt::Display) -> SourceError {
    SourceError::Git(one_line(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    /// Parents come before children; a merge's first parent line first.
    #[test]
    fn parents_first_order() {
        // 1 <- 2 <- 4 (merge of 2 and 3), 1 <- 3
        let ids = vec![id(4), id(3), id(2), id(1)];
        let parents = vec![vec![id(2), id(3)], vec![id(1)], vec![id(1)], vec![]];
        let order = parents_first(&[id(4)], &ids, &parents);
        assert_eq!(order, vec![id(1), id(2), id(3), id(4)]);
        // A parent outside the set (hidden) is ignored.
        let order = parents_first(&[id(2)], &[id(2)], &[vec![id(1)]]);
        assert_eq!(order, vec![id(2)]);
    }
}
