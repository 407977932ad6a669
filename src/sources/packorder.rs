//! Pack order: where each object sits in the repository's packfiles.
//!
//! Reading blobs in pack order is what makes `git cat-file --batch-all-objects
//! --unordered` fast: an offset delta's base always lies earlier in its pack,
//! so in pack order every base has just been read (and sits in libgit2's
//! delta-base cache) when its deltas come. In object-id order every read may
//! unpack a whole delta chain again (up to 50 deep), several times the work.
//!
//! libgit2 does not expose pack offsets, so this reads the pack index files
//! (`objects/pack/*.idx`, version 2: fan-out table, object ids, CRCs, 32-bit
//! offsets, 64-bit offset table). Any file it cannot parse is skipped: the
//! objects in it are then read in id order, slower but equally correct.

use git2::Oid;
use std::collections::HashMap;
use std::path::Path;

/// A position in pack order: (pack number, offset); objects not in any pack
/// (loose) sort last.
pub(crate) type PackPos = (u32, u64);

/// Position of each object in `wanted` that the packs under `objects_dir` hold.
pub(crate) fn positions<T>(objects_dir: &Path, wanted: &HashMap<Oid, T>) -> HashMap<Oid, PackPos> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir(objects_dir.join("pack")) else {
        return out;
    };
    let mut idx_files: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    idx_files.sort();
    for (pack, path) in idx_files.iter().enumerate() {
        if let Ok(bytes) = std::fs::read(path) {
            read_idx(&bytes, pack as u32, wanted, &mut out);
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

/// Parse one version-2 index; record positions of wanted objects. Returns
/// `None` (having recorded nothing further) on anything malformed.
fn read_idx<T>(
    b: &[u8],
    pack: u32,
    wanted: &HashMap<Oid, T>,
    out: &mut HashMap<Oid, PackPos>,
) -> Option<()> {
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
    let mut found = Vec::new();
    for i in 0..n {
        let oid = Oid::from_bytes(&b[ids + i * 20..ids + (i + 1) * 20]).ok()?;
        if !wanted.contains_key(&oid) {
            continue;
        }
        let raw = be32(b, offsets + i * 4)?;
        let offset = if raw & 0x8000_0000 != 0 {
            be64(b, large + (raw & 0x7fff_ffff) as usize * 8)?
        } else {
            u64::from(raw)
        };
        found.push((oid, (pack, offset)));
    }
    out.extend(found);
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
        let wanted: HashMap<Oid, ()> = [a, c]
            .iter()
            .map(|x| (Oid::from_bytes(x).unwrap(), ()))
            .collect();
        let mut out = HashMap::new();
        assert!(read_idx(&bytes, 3, &wanted, &mut out).is_some());
        assert_eq!(out.len(), 2);
        assert_eq!(out[&Oid::from_bytes(&a).unwrap()], (3, 12));
        assert_eq!(out[&Oid::from_bytes(&c).unwrap()], (3, 5_000_000_000));
    }

    #[test]
    fn malformed_indexes_are_ignored() {
        let wanted: HashMap<Oid, ()> = HashMap::new();
        let mut out = HashMap::new();
        assert!(read_idx(b"nope", 0, &wanted, &mut out).is_none());
        let mut truncated = idx(&[([1u8; 20], 1)]);
        truncated.truncate(600);
        assert!(read_idx(&truncated, 0, &wanted, &mut out).is_none());
    }
}
