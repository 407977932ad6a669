//! The plain data every stage passes along, in one leaf module: it imports
//! no stage, and every stage imports it. Findings (rule, secret, location,
//! provenance, fingerprint), severities, verification statuses, what a scan
//! skipped or could not see, the run's summary, and the small pure helpers
//! plain data needs (JWT payload decoding, time formatting, file-name
//! classes, path display).

mod finding;
mod jwt;
mod keyblock;
mod names;
mod scan;
mod status;
mod time;

pub use finding::*;
pub use jwt::decode_jwt_claims;
pub use keyblock::describe_private_key;
pub use names::{
    base_name, display_path_bytes, has_bidi, is_docs_like, is_dotenv_name, is_env_file,
    is_template, key_container_rule, without_bidi, without_quoted_values,
};
pub use scan::{
    Capped, CappedFile, Coverage, EnvCommitted, ScanInfo, SkipReason, Skipped, Summary, Unreadable,
};
pub use status::{Status, Verification};
pub use time::{format_time, iso_date, parse_date};
