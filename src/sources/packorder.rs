//! Pack order: where each object sits in the repository's packfiles.
//!
//! Reading blobs in pack order is what makes `git cat-file --batch-all-objects
//! --unordered` fast: an offset delta's base always lies earlier in its pack,
//! so in pack order every base has just been read (and sits in the reader's
//! delta-base cache) when its deltas come. In object-id order every read may
//! unpack a whole delta chain again (up to 50 deep), several times the work.
//!
//! libgit2 does not expose pack offsets and the object store keeps its
//! indexes to itself, so this reads the pack index files
//! (`objects/pack/*.idx`, version 2: fan-out table, object ids, CRCs, 32-bit
//! offsets, 64-bit offset table). Any file it cannot parse is skipped: the
//! objects in it are then read in id order, slower but equally correct.

use git2::Oid;
use std::path::Path;

/// A position in pack order: (pack number, offset); objects not in any pack
/// (loose) sort last.
pub(crate) type PackPos = (u32, u64);

/// Where objects no pack index lists sort: after every packed object.
pub(crate) const LOOSE: PackPos = (u32::MAX, 0);

/// The position of each object of `wanted` (sorted, no duplicates) in the
/// packs under `objects_dir`, index for index; [`LOOSE`] for objects no pack
/// holds.
pub(crate) fn positions(objects_dir: &Path, wanted: &[Oid]) -> Vec<PackPos> {
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
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        // SAFETY: pack indexes are never rewritten in place (git writes a new
        // file and renames it); a concurrent `git gc` deleting it leaves this
        // mapping valid.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            read_idx(&map, pack as u32, wanted, &mut out);
        }
    }
    out
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parse one version-2 index; record positions of wanted objects (both lists
/// are sorted, so one merge pass pairs them). Returns `None` (having recorded
/// nothing further) on anything malformed.
fn read_idx(b: &[u8], pack: u32, wanted: &[Oid], out: &mut [PackPos]) -> Option<()> {
    const HEADER: usize = 8;
    const FANOUT: usize = 256 * 4;
    if b.get(..4)? != b"\xfftOc" || be32(b, 4)? != 2 {
        return None;
    }
    let n = be32(b, HEADER + 255 * 4)? as usize;
    let ids = HEADER + FANOUT;
    let crcs = ids.checked_add(n.checked_mul(20)?)?;
    let offsets = crcs.checked_add(n.checked_mul(4)?)?;
    let large = offsets.checked_add(n.checked_mul(4)?)?;
    if b.len() < large {
        return None;
    }
    let mut w = 0;
    let mut previous: Option<&[u8]> = None;
    for i in 0..n {
        if w == wanted.len() {
            break;
        }
        let id = &b[ids + i * 20..ids + (i + 1) * 20];
        if previous.is_some_and(|p| p >= id) {
            return None; // not sorted: not an index git wrote
        }
        previous = Some(id);
        while w < wanted.len() && wanted[w].as_bytes() < id {
            w += 1;
        }
        if w == wanted.len() || wanted[w].as_bytes() != id {
            continue;
        }
        let raw = be32(b, offsets + i * 4)?;
        let offset = if raw & 0x8000_0000 != 0 {
            be64(b, large + (raw & 0x7fff_ffff) as usize * 8)?
        } else {
            u64::from(raw)
        };
        if out[w] == LOOSE {
            out[w] = (pack, offset);
        }
        w += 1;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(entries: &[([u8; 20], u64)]) -> Vec<u8> {
        let mut sorted = entries.to_vec();
        sorted.sort();
        let mut b = b"\xfftOc".to_vec();
        b.extend(2u32.to_be_bytes());
        for first in 0..256usize {
            let count = sorted
                .iter()
                .filter(|(id, _)| (id[0] as usize) <= first)
                .count() as u32;
            b.extend(count.to_be_bytes());
        }
        for (id, _) in &sorted {
            b.extend(id);
        }
        for _ in &sorted {
            b.extend(0u32.to_be_bytes());
        }
        let mut large = Vec::new();
        for (_, off) in &sorted {
            if *off >= 0x8000_0000 {
                b.extend((0x8000_0000u32 | (large.len() as u32)).to_be_bytes());
                large.push(*off);
            } else {
                b.extend((*off as u32).to_be_bytes());
            }
        }
        for off in large {
            b.extend(off.to_be_bytes());
        }
        b
    }

    #[test]
    fn reads_small_and_large_offsets_of_wanted_objects() {
        let a = [1u8; 20];
        let c = [7u8; 20];
        let d = [9u8; 20];
        let bytes = idx(&[(a, 12), (c, 5_000_000_000), (d, 99)]);
        let missing = [8u8; 20];
        let wanted: Vec<Oid> = [a, c, missing]
            .iter()
            .map(|x| Oid::from_bytes(x).unwrap())
            .collect();
        let mut out = vec![LOOSE; 3];
        assert!(read_idx(&bytes, 3, &wanted, &mut out).is_some());
        assert_eq!(out, [(3, 12), (3, 5_000_000_000), LOOSE]);
    }

    #[test]
    fn malformed_indexes_are_ignored() {
        let wanted = [Oid::from_bytes(&[1u8; 20]).unwrap()];
        let mut out = vec![LOOSE];
        assert!(read_idx(b"nope", 0, &wanted, &mut out).is_none());
        let mut truncated = idx(&[([1u8; 20], 1)]);
        truncated.truncate(600);
        assert!(read_idx(&truncated, 0, &wanted, &mut out).is_none());
        let mut unsorted = idx(&[([1u8; 20], 1), ([2u8; 20], 2)]);
        let ids = 8 + 256 * 4;
        unsorted.copy_within(ids..ids + 20, ids + 20); // two equal ids
        let wanted = [Oid::from_bytes(&[2u8; 20]).unwrap()];
        assert!(read_idx(&unsorted, 0, &wanted, &mut out).is_none());
        assert_eq!(out, [LOOSE]);
    }
}
