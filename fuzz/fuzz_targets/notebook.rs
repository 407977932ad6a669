//! Jupyter notebook output extraction, then the whole lint pass over the
//! input as a `.ipynb` file: `secret-in-notebook-output` (JSON parsing, byte
//! offsets of each cell's outputs) and the per-finding lints (`stale-key`
//! reads the JWT `iat` of a finding).
#![no_main]

use keysweep::lint::Lints;
use keysweep::matcher::Matcher;
use keysweep::sources::{Blob, Place};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Env {
    matcher: Matcher,
    lints: Lints,
    places: Vec<Place>,
}

fn env() -> &'static Env {
    static E: OnceLock<Env> = OnceLock::new();
    E.get_or_init(|| {
        let rules = keysweep::rules::load_embedded().expect("embedded rules");
        Env {
            matcher: Matcher::new(&rules).expect("embedded rules compile"),
            // 2027-01-15: a fixed "now" keeps runs reproducible.
            lints: Lints::new(&rules, 90, 1_800_000_000),
            places: vec![Place::file("notebooks/analysis.ipynb".into())],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = keysweep::lint::notebook_outputs(data);

    let env = env();
    let blob = Blob {
        data,
        places: &env.places,
    };
    let (mut findings, _) = keysweep::pipeline::findings_in_blob(&env.matcher, &blob);
    // `finish` drains what `observe` collected, so the shared `Lints` stays empty.
    env.lints.observe(&blob, &findings);
    env.lints.finish(&mut findings, &[], &[]);
});
