//! The matcher over arbitrary bytes: `Matcher::find`, the per-blob pipeline
//! (inline allow markers, line/column accounting) and input decoding
//! (BOMs, UTF-16, binary detection).
#![no_main]

use keysweep::matcher::Matcher;
use keysweep::sources::{Blob, Decoded, Place};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let rules = keysweep::rules::load_embedded().expect("embedded rules");
        Matcher::new(&rules).expect("embedded rules compile")
    })
}

fn places() -> &'static [Place] {
    static P: OnceLock<Vec<Place>> = OnceLock::new();
    P.get_or_init(|| vec![Place::file("f".into())])
}

fn scan(matcher: &Matcher, data: &[u8]) {
    let _ = matcher.find(data);
    let _ = keysweep::pipeline::findings_in_blob(
        matcher,
        &Blob {
            data,
            places: places(),
        },
    );
}

fuzz_target!(|data: &[u8]| {
    let m = matcher();
    scan(m, data);
    // What a source would hand the matcher for these raw bytes.
    if let Decoded::Text(text) = keysweep::sources::decode(data) {
        if text.as_ref() != data {
            scan(m, &text);
        }
    }
});
