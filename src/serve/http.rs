//! The HTTP side of `serve`: reading one request under strict limits, deciding which
//! file of the built site (if any) a request target names, and writing responses.
//! Nothing here knows about building or watching; `serve.rs` owns the state.
//!
//! The parser is small on purpose: `serve` answers GET and HEAD for local files, one
//! request per connection (`Connection: close`), and every limit (line length, header
//! count, time to send the headers) is explicit so that a hostile or broken client
//! cannot hold memory or a thread for long (BAD-INPUTS rows 26, 34).

use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

/// Longest request line we accept, in bytes (a 64 KB path gets 414).
const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Longest header block we accept, in bytes.
const MAX_HEADERS_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
/// Time a client has to send its request line and headers (slowloris).
pub const HEADER_DEADLINE: Duration = Duration::from_secs(10);

/// A parsed request head. Header names are lower-case.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The request target exactly as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read; each maps to a status, or to silence.
#[derive(Debug, PartialEq)]
pub enum ReadError {
    /// The client went away or sent nothing: close without answering.
    Closed,
    Malformed,
    TooLong,
    HeadersTooLarge,
    Timeout,
}

impl ReadError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ReadError::Closed => None,
            ReadError::Malformed => Some(400),
            ReadError::TooLong => Some(414),
            ReadError::HeadersTooLarge => Some(431),
            ReadError::Timeout => Some(408),
        }
    }
}

/// Reads one line ending in LF (CR before it is dropped), at most `limit` bytes.
fn read_line(
    reader: &mut impl BufRead,
    limit: usize,
    deadline: Instant,
    too_long: ReadError,
) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    loop {
        if Instant::now() > deadline {
            return Err(ReadError::Timeout);
        }
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ReadError::Timeout)
            }
            Err(_) => return Err(ReadError::Closed),
        };
        if buf.is_empty() {
            return Err(if line.is_empty() {
                ReadError::Closed
            } else {
                ReadError::Malformed
            });
        }
        let (taken, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..taken]);
        reader.consume(taken);
        if line.len() > limit {
            return Err(too_long);
        }
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
    }
}

/// Reads a request head. The stream should have a read timeout set, so that a silent
/// client wakes us up to check the deadline.
pub fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let deadline = Instant::now() + HEADER_DEADLINE;
    let line = read_line(reader, MAX_REQUEST_LINE, deadline, ReadError::TooLong)?;
    let line = String::from_utf8(line).map_err(|_| ReadError::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed);
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1")
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || target.is_empty()
    {
        return Err(ReadError::Malformed);
    }
    let mut headers = Vec::new();
    let mut total = 0;
    loop {
        let line = read_line(
            reader,
            MAX_HEADERS_BYTES,
            deadline,
            ReadError::HeadersTooLarge,
        )?;
        if line.is_empty() {
            break;
        }
        total += line.len();
        if total > MAX_HEADERS_BYTES || headers.len() >= MAX_HEADERS {
            return Err(ReadError::HeadersTooLarge);
        }
        let line = String::from_utf8(line).map_err(|_| ReadError::Malformed)?;
        let (name, value) = line.split_once(':').ok_or(ReadError::Malformed)?;
        if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
            return Err(ReadError::Malformed);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    })
}

/// The decoded path of an origin-form request target: its segments, and whether it
/// ended in `/`. Every way out of the site is refused here, before any file lookup.
#[derive(Debug, PartialEq)]
pub struct RequestPath {
    pub segments: Vec<String>,
    pub trailing_slash: bool,
}

/// Decodes a request target. `None` means 400: not origin-form (`http://evil/`, `*`),
/// bytes that are not printable ASCII, bad percent-encoding, decoded bytes that are not
/// UTF-8 (overlong `%c0%ae`), or a segment that is `.`, `..` or holds `\`, NUL, a
/// control character or `:`. Percent-encoding is decoded exactly once, so `%252e`
/// stays the literal text `%2e` and names no file.
pub fn decode_target(target: &str) -> Option<RequestPath> {
    if !target.starts_with('/') || target.starts_with("//") {
        return None;
    }
    if !target.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            decoded.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(decoded).ok()?;
    let trailing_slash = decoded.ends_with('/');
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        if segment.is_empty() {
            continue;
        }
        if segment == "."
            || segment == ".."
            || segment
                .chars()
                .any(|c| c == '\\' || c == ':' || c.is_control())
        {
            return None;
        }
        segments.push(segment.to_string());
    }
    Some(RequestPath {
        segments,
        trailing_slash,
    })
}

/// Percent-encodes a path for a `Location` header: everything but unreserved
/// characters and `/`.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The media type for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// A response to write.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
        }
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", format!("{text}\n"))
    }

    pub fn redirect(status: u16, location: &str) -> Response {
        let mut r = Response::text(status, &format!("see {location}"));
        r.headers.push(("Location", location.to_string()));
        r
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the response; `head_only` leaves the body out (HEAD).
    pub fn write_to(&self, out: &mut impl Write, head_only: bool) -> std::io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        out.write_all(head.as_bytes())?;
        if !head_only {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Drains what the client still sends (at most 256 KB, for at most a second), so that
/// closing the socket does not reset the connection before it has read our answer.
pub fn drain(reader: &mut impl Read) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 8192];
    let mut total = 0;
    while total < 256 * 1024 && Instant::now() < deadline {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(target: &str) -> Option<Vec<String>> {
        decode_target(target).map(|p| p.segments)
    }

    #[test]
    fn plain_paths_decode_to_segments() {
        assert_eq!(segs("/a/b/").unwrap(), ["a", "b"]);
        assert_eq!(
            segs("/tags/%E6%96%B0%E5%AA%92%E4%BD%93/?x=1").unwrap(),
            ["tags", "新媒体"]
        );
        assert!(decode_target("/a/").unwrap().trailing_slash);
    }

    #[test]
    fn traversal_and_odd_bytes_are_refused() {
        for bad in [
            "/../x",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/..%2fx",
            "/..%5cx",
            "/..\\x",
            "/%00",
            "/%c0%ae%c0%ae/x",
            "/a/./b",
            "http://evil/",
            "*",
            "//evil.example/x",
            "/%zz",
            "/%2",
            "/c:/windows",
            "/a\u{7f}",
            "/é",
        ] {
            assert_eq!(segs(bad), None, "{bad}");
        }
    }

    #[test]
    fn double_encoding_stays_literal() {
        assert_eq!(segs("/%252e%252e/x").unwrap(), ["%2e%2e", "x"]);
    }

    #[test]
    fn request_head_is_parsed_within_limits() {
        let raw = b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX: y\r\n\r\n";
        let r = read_request(&mut &raw[..]).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.header("host"), Some("127.0.0.1:1"));
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(70_000));
        assert_eq!(
            read_request(&mut long.as_bytes()).unwrap_err(),
            ReadError::TooLong
        );
        assert_eq!(
            read_request(&mut &b"GARBAGE\r\n\r\n"[..]).unwrap_err(),
            ReadError::Malformed
        );
    }
}
