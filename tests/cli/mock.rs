//! A mock provider on 127.0.0.1 (a port the OS picks; stopped when dropped)
//! that answers verification and revocation requests the way the provider
//! pages document, and a few hostile ways.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request the mock saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub(crate) struct State {
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    pub(crate) max_in_flight: AtomicUsize,
    flaky_calls: AtomicUsize,
}

/// A provider that answers by path, like the provider pages document.
pub(crate) struct Mock {
    pub(crate) addr: SocketAddr,
    pub(crate) state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Mock {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let s = s.clone();
                    std::thread::spawn(move || serve(conn, &s));
                }
            }
        });
        Mock {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, state: &State) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    let seen = Seen {
        method,
        path: path.clone(),
        headers,
        body,
    };
    let auth = seen.header("authorization").unwrap_or("").to_string();
    state.seen.lock().unwrap().push(seen);
    if stream_hostile(&path, &auth, &mut conn) {
        return;
    }
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let (status, extra, body) = match path.as_str() {
        "/live" => (200, "", r#"{"ok":true}"#),
        "/invalid" => (
            401,
            "",
            r#"{"error":{"code":"invalid_api_key","message":"The API key provided is invalid"}}"#,
        ),
        "/expired" => (
            401,
            "",
            r#"{"error":{"code":"api_key_expired","message":"This API key has expired"}}"#,
        ),
        "/revoked" => (403, "", r#"{"error":"forbidden"}"#),
        "/flaky" => {
            if state.flaky_calls.fetch_add(1, Ordering::SeqCst) == 0 {
                (429, "Retry-After: 0\r\n", r#"{"error":"slow down"}"#)
            } else {
                (200, "", "{}")
            }
        }
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            (200, "", "{}")
        }
        "/busy" => {
            std::thread::sleep(Duration::from_millis(300));
            (200, "", "{}")
        }
        "/redirect" => (302, "Location: http://collector.invalid/steal\r\n", ""),
        "/error" => (500, "", "oops"),
        "/bykey" if auth.ends_with("live") => (200, "", "{}"),
        "/bykey" => (401, "", r#"{"error":{"code":"invalid_api_key"}}"#),
        "/revoke" => (204, "", ""),
        "/missing" => (
            401,
            "",
            r#"{"error":{"code":"unauthorized","message":"No API key provided"}}"#,
        ),
        "/plain401" => (401, "", r#"{"error":"Unauthorized"}"#),
        "/generic-invalid" => (
            401,
            "",
            r#"{"success":false,"error":{"code":"INVALID_API_KEY","message":"The provided API key is invalid"}}"#,
        ),
        "/generic-expired" => (
            401,
            "",
            r#"{"success":false,"error":{"code":"EXPIRED_API_KEY","message":"The API key has expired"}}"#,
        ),
        "/generic-missing" => (
            401,
            "",
            r#"{"success":false,"error":{"code":"MISSING_API_KEY","message":"API key is required"}}"#,
        ),
        "/generic-empty" => (
            400,
            "",
            r#"{"success":false,"error":{"code":"BAD_REQUEST"}}"#,
        ),
        _ => (404, "", ""),
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes());
}

/// Answers that misbehave on the wire. Every loop is bounded: it ends when
/// the client hangs up or after a fixed amount.
fn stream_hostile(path: &str, auth: &str, conn: &mut TcpStream) -> bool {
    match path {
        "/huge" => {
            // Claims 1 GB and sends until the client stops reading (at most 256 MB).
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..4096 {
                if conn.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
        "/trickle" => {
            // One byte a second, at most 30.
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                .iter()
                .take(30)
            {
                if conn.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        "/loop" => {
            let _ = conn
                .write_all(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
        }
        "/to-file" => {
            let _ = conn.write_all(
                b"HTTP/1.1 301 Moved\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n",
            );
        }
        "/echo" => {
            let body = format!(
                "{{\"error\":{{\"code\":\"invalid_api_key\",\"message\":\"bad key: {auth}\"}}}}"
            );
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 401 X\r\nContent-Length: {}\r\nX-Echo: {auth}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
        _ => return false,
    }
    true
}
