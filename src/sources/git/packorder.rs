//! Pack order: where each object sits in the repository's packfiles.
//!
//! Reading blobs in pack order is what makes `git cat-file --batch-all-objects
//! --unordered` fast: an offset delta's base always lies earlier in its pack,
//! so in pack order every base has just been read (and sits in the reader's
//! delta-base cache) when its deltas come. In object-id order every read may
//! unpack a whole delta chain again (up to 50 deep), several times the work.
//!
//! Positions come from the pack indexes (`objects/pack/*.idx`) through
//! gitoxide's index reader. An index that cannot be opened is skipped: the
//! objects in it are then read in id order, slower but equally correct.
//!
//! Cost: one binary search per wanted object and pack.

use gix_hash::ObjectId;
use std::path::Path;

/// A position in pack order: (pack number, offset); objects not in any pack
/// (loose) sort last.
pub(crate) type PackPos = (u32, u64);

/// Where objects no pack index lists sort: after every packed object.
pub(crate) const LOOSE: PackPos = (u32::MAX, 0);

/// The position of each object of `wanted` in the packs under `objects_dir`,
/// index for index; [`LOOSE`] for objects no pack holds.
pub(crate) fn positions(objects_dir: &Path, wanted: &[ObjectId]) -> Vec<PackPos> {
    let mut out = vec![LOOSE; wanted.len()];
    let Ok(dir) = std::fs::read_dir(objects_dir.join("pack")) else {
        return out;
    };
    let mut idx_files: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    idx_files.sort();
    for (pack, path) in idx_files.iter().enumerate() {
        let Ok(index) = gix_pack::index::File::at(path, gix_hash::Kind::Sha1) else {
            continue;
        };
        for (slot, id) in out.iter_mut().zip(wanted) {
            if *slot != LOOSE {
                continue; // already found in an earlier pack
            }
            if let Some(i) = index.lookup(id) {
                *slot = (pack as u32, index.pack_offset_at_index(i));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::test_git as git;

    /// Positions agree with `git verify-pack`, loose objects sort last, and a
    /// file that is not an index is skipped.
    #[test]
    fn positions_match_git() {
        let t = tempfile::TempDir::new().unwrap();
        let d = t.path();
        git(d, &["init", "-q"]);
        for i in 0..20 {
            std::fs::write(d.join(format!("f{i}.txt")), format!("content {i}\n")).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "x"]);
        git(d, &["repack", "-q", "-a", "-d"]);
        std::fs::write(d.join("loose.txt"), "loose\n").unwrap();
        let loose = ObjectId::from_hex(
            git(d, &["hash-object", "-w", "loose.txt"])
                .trim()
                .as_bytes(),
        )
        .unwrap();
        let pack_dir = d.join(".git/objects/pack");
        std::fs::write(pack_dir.join("zz-garbage.idx"), b"not an index").unwrap();
        let idx = std::fs::read_dir(&pack_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "idx") && !p.ends_with("zz-garbage.idx"))
            .unwrap();
        let verify = git(d, &["verify-pack", "-v", idx.to_str().unwrap()]);
        let mut expected: Vec<(ObjectId, u64)> = verify
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let id = ObjectId::from_hex(f.first()?.as_bytes()).ok()?;
                Some((id, f.get(4)?.parse().ok()?))
            })
            .collect();
        expected.sort();
        let mut wanted: Vec<ObjectId> = expected.iter().map(|e| e.0).collect();
        wanted.push(loose);
        let pos = positions(&d.join(".git/objects"), &wanted);
        for (i, (_, offset)) in expected.iter().enumerate() {
            assert_eq!(pos[i], (0, *offset));
        }
        assert_eq!(pos[wanted.len() - 1], LOOSE);
    }
}
