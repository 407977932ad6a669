//! JWT claim decoding and the key description built from it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = keysweep::model::decode_jwt_claims(data);
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(info) = keysweep::model::KeyInfo::from_secret(s) {
            let _ = info.describe();
        }
    }
});
