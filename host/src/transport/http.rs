//! HTTP/REST to device APIs (Arista eAPI, RESTCONF, NX-API) and to hosts an
//! operator granted, through reqwest with rustls.
//!
//! The device's API endpoint and its credentials come from the inventory
//! (`connection_options.http`); the host adds basic auth itself, so plugins
//! never hold a password. TLS is verified against the system roots, or only
//! against the inventory's `ca_file`; `verify: false` is an explicit,
//! warned opt-out. Redirects are never followed: a redirect could lead a
//! plugin to a host it was not granted.

use crate::error::{Error, ErrorClass};
use crate::inventory::Host;
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest response body read, bytes; a bigger one fails rather than
/// filling the host's memory.
pub const MAX_BODY: usize = 32 << 20;

/// How a server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tls {
    /// Against the system's trusted roots.
    System,
    /// Only against the CA certificates in this PEM file.
    CaFile(PathBuf),
    /// Not at all (`verify: false`).
    Insecure,
}

/// A device's API endpoint, resolved from the inventory.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Inventory name, for messages.
    pub device: String,
    /// `scheme://host:port/base_path`, no credentials.
    pub base: reqwest::Url,
    /// API user.
    pub username: Option<String>,
    /// API password.
    pub password: Option<Secret>,
    /// Certificate check.
    pub tls: Tls,
}

impl Endpoint {
    /// The API endpoint of `host`, if its inventory entry has
    /// `connection_options.http`.
    pub fn of(host: &Host) -> Result<Option<Endpoint>, Error> {
        let Some(o) = &host.http else {
            return Ok(None);
        };
        let bad = |what: String| {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: connection_options.http {what}: expected e.g. {{port: 443, extras: {{scheme: https, ca_file: ca.pem}}}}",
                    host.name
                ),
            )
        };
        let scheme = match o.extras.get("scheme") {
            None => "https",
            Some(Value::String(s)) if s == "https" || s == "http" => s.as_str(),
            Some(other) => return Err(bad(format!("scheme {other} is not http or https"))),
        };
        let verify = match o.extras.get("verify") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(bad(format!("verify {other} is not true or false"))),
        };
        let base_path = match o.extras.get("base_path") {
            None => "",
            Some(Value::String(s)) => s.trim_end_matches('/'),
            Some(other) => return Err(bad(format!("base_path {other} is not a string"))),
        };
        let hostname = o.hostname.as_deref().unwrap_or(&host.hostname);
        // An IPv6 literal needs brackets in a URL.
        let authority = if hostname.contains(':') && !hostname.starts_with('[') {
            format!("[{hostname}]")
        } else {
            hostname.to_string()
        };
        let port = o.port.map(|p| format!(":{p}")).unwrap_or_default();
        let text = format!("{scheme}://{authority}{port}{base_path}");
        let base = reqwest::Url::parse(&text)
            .map_err(|e| bad(format!("gives the address {text}, which is not a URL: {e}")))?;
        let tls = match (&o.ca_file, verify) {
            (_, false) => Tls::Insecure,
            (Some(ca), true) => Tls::CaFile(ca.clone()),
            (None, true) => Tls::System,
        };
        Ok(Some(Endpoint {
            device: host.name.clone(),
            base,
            username: o.username.clone().or_else(|| host.username.clone()),
            password: o.password.clone().or_else(|| host.password.clone()),
            tls,
        }))
    }

    /// `path` on this endpoint (`/command-api`).
    pub fn url(&self, path: &str) -> Result<reqwest::Url, Error> {
        let mut text = self.base.as_str().trim_end_matches('/').to_string();
        if !path.starts_with('/') {
            text.push('/');
        }
        text.push_str(path);
        reqwest::Url::parse(&text).map_err(|e| {
            Error::new(
                ErrorClass::Internal,
                format!("`{path}` does not make a URL on {}: {e}", self.base),
            )
        })
    }
}

/// One request, as a plugin gives it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: reqwest::Method,
    /// Where to.
    pub url: reqwest::Url,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
    /// Deadline of the whole exchange.
    pub timeout: Duration,
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body (invalid UTF-8 replaced).
    pub body: String,
}

/// Headers a plugin may not set: the host owns authentication and routing.
const RESERVED_HEADERS: &[&str] = &["authorization", "proxy-authorization", "host", "cookie"];

/// Check a plugin's header list.
pub fn check_headers(headers: &[(String, String)]) -> Result<(), Error> {
    for (name, _) in headers {
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Error::new(
                ErrorClass::Denied,
                format!(
                    "header `{name}` is set by the host (credentials come from the inventory's connection_options.http), not by plugins"
                ),
            ));
        }
    }
    Ok(())
}

/// reqwest clients by certificate check and connect timeout, shared by every
/// device of a process so connections to one API are kept alive and reused;
/// or, for `netrun plugin test`, one recorded API answering every request.
#[derive(Default)]
pub struct Clients {
    clients: Mutex<HashMap<(Tls, Duration), reqwest::Client>>,
    replay: Option<Arc<Replay>>,
}

/// What sends a request: a reqwest client, or recorded answers.
#[derive(Debug, Clone)]
pub enum Client {
    /// Over the network.
    Live(reqwest::Client),
    /// From a transcript; nothing leaves the process.
    Replay(Arc<Replay>),
}

impl Clients {
    /// Clients whose every request is answered by `replay`.
    pub fn replaying(replay: Arc<Replay>) -> Clients {
        Clients {
            clients: Mutex::default(),
            replay: Some(replay),
        }
    }

    /// The client for `tls` with `connect` as its connect timeout.
    pub fn get(&self, device: &str, tls: &Tls, connect: Duration) -> Result<Client, Error> {
        if let Some(r) = &self.replay {
            return Ok(Client::Replay(r.clone()));
        }
        self.live(device, tls, connect).map(Client::Live)
    }

    fn live(&self, device: &str, tls: &Tls, connect: Duration) -> Result<reqwest::Client, Error> {
        let key = (tls.clone(), connect);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .pool_idle_timeout(Duration::from_secs(90))
            // Device APIs are reached directly: an `HTTPS_PROXY` meant for
            // the operator's browser must not see the devices' credentials.
            .no_proxy()
            .user_agent(concat!("netrun/", env!("CARGO_PKG_VERSION")));
        builder = match tls {
            Tls::System => builder,
            Tls::CaFile(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    Error::new(
                        ErrorClass::Inventory,
                        format!(
                            "{device}: cannot read the CA file {} (connection_options.http.extras.ca_file): {e}",
                            path.display()
                        ),
                    )
                })?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem)
                    .ok()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorClass::Inventory,
                            format!(
                                "{device}: the CA file {} holds no PEM certificate (connection_options.http.extras.ca_file)",
                                path.display()
                            ),
                        )
                    })?;
                builder.tls_certs_only(certs)
            }
            Tls::Insecure => {
                tracing::warn!(
                    device,
                    "TLS certificates are not verified for this API (connection_options.http.extras.verify: false)"
                );
                builder.tls_danger_accept_invalid_certs(true)
            }
        };
        let client = builder.build().map_err(|e| {
            Error::new(
                ErrorClass::Internal,
                format!("{device}: cannot set up the HTTP client: {e}"),
            )
        })?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// Send `request` once. `Err` only when the request never reached the
/// server (connect, DNS, TLS) and so may be retried; a failure after that
/// is `Ok(Err(..))`, never retried, because a POST may have changed the
/// device.
pub async fn send_once(
    client: &Client,
    request: &Request,
    auth: Option<(&str, &Secret)>,
) -> Result<Result<Response, Error>, Error> {
    let client = match client {
        Client::Live(c) => c,
        Client::Replay(r) => return Ok(r.answer(request)),
    };
    let mut builder = client
        .request(request.method.clone(), request.url.clone())
        .timeout(request.timeout);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    if let Some((user, password)) = auth {
        builder = builder.basic_auth(user, Some(password.expose()));
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let url = redacted(&request.url);
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => return Err(classify_connect(&url, &e)),
        Err(e) if e.is_timeout() => {
            return Ok(Err(Error::new(
                ErrorClass::CommandTimeout,
                format!(
                    "{} {url}: no answer within {:.1} s",
                    request.method,
                    request.timeout.as_secs_f64()
                ),
            )));
        }
        Err(e) => {
            return Ok(Err(Error::new(
                ErrorClass::SessionClosed,
                format!("{} {url}: {}", request.method, crate::error::chain_text(&e)),
            )));
        }
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Ok(Err(Error::new(
                        ErrorClass::Internal,
                        format!(
                            "{} {url}: the response is larger than {} MiB; ask the API for less",
                            request.method,
                            MAX_BODY >> 20
                        ),
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                let class = if e.is_timeout() {
                    ErrorClass::CommandTimeout
                } else {
                    ErrorClass::SessionClosed
                };
                return Ok(Err(Error::new(
                    class,
                    format!(
                        "{} {url}: the response broke off after {} bytes: {}",
                        request.method,
                        body.len(),
                        crate::error::chain_text(&e)
                    ),
                )));
            }
        }
    }
    Ok(Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

/// One recorded HTTP request and its response (a transcript's `http`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// `GET`, `POST`, … (any case).
    pub method: String,
    /// A path on the device's API (`/command-api`) or an absolute URL.
    pub url: String,
    /// When set, the request's JSON body must equal this.
    #[serde(default)]
    pub request: Option<Value>,
    /// Status answered.
    #[serde(default = "ok_status")]
    pub status: u16,
    /// Body answered: a JSON value (sent as its text) or a string (as is).
    pub body: Value,
}

fn ok_status() -> u16 {
    200
}

/// A recorded API: requests are answered from its exchanges, matched by
/// method, URL and (when recorded) JSON body; anything else is refused
/// with the entry to record.
#[derive(Debug)]
pub struct Replay {
    exchanges: Vec<Exchange>,
    /// The device's API endpoint, against which recorded paths resolve.
    device: Option<reqwest::Url>,
}

impl Replay {
    /// Answers from `exchanges`; paths in them are on `device`'s API.
    pub fn new(exchanges: Vec<Exchange>, device: Option<reqwest::Url>) -> Replay {
        Replay { exchanges, device }
    }

    /// The URL as the plugin wrote it: a path on the device's API, else absolute.
    fn as_written(&self, url: &reqwest::Url) -> String {
        if let Some(base) = &self.device
            && url.origin() == base.origin()
            && let Some(path) = url.path().strip_prefix(base.path().trim_end_matches('/'))
        {
            let mut written = path.to_string();
            if let Some(q) = url.query() {
                written.push('?');
                written.push_str(q);
            }
            return written;
        }
        url.to_string()
    }

    /// Where a recorded URL points.
    fn resolve(&self, recorded: &str) -> Option<reqwest::Url> {
        match (&self.device, recorded.starts_with('/')) {
            (Some(base), true) => reqwest::Url::parse(&format!(
                "{}{recorded}",
                base.as_str().trim_end_matches('/')
            ))
            .ok(),
            (None, true) => None,
            (_, false) => reqwest::Url::parse(recorded).ok(),
        }
    }

    /// The recorded answer to `request`.
    pub fn answer(&self, request: &Request) -> Result<Response, Error> {
        let method = request.method.as_str();
        let body = request.body.as_deref();
        let sent_json = body.and_then(|b| serde_json::from_str::<Value>(b).ok());
        self.exchanges
            .iter()
            .find(|x| {
                x.method.eq_ignore_ascii_case(method)
                    && self.resolve(&x.url).as_ref() == Some(&request.url)
                    && x.request.as_ref().is_none_or(|r| Some(r) == sent_json.as_ref())
            })
            .map(|x| Response {
                status: x.status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: match &x.body {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
            .ok_or_else(|| {
                let url = self.as_written(&request.url);
                Error::new(
                    ErrorClass::RejectedCommand,
                    format!(
                        "the transcript has no HTTP answer for {method} {url}{}: record it under \"http\" ({{\"method\": \"{method}\", \"url\": \"{url}\", \"request\": …, \"status\": 200, \"body\": …}})",
                        body.map(|b| format!(" with body {}", b.chars().take(200).collect::<String>()))
                            .unwrap_or_default()
                    ),
                )
            })
    }
}

/// The URL without user info or query, for messages.
fn redacted(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.to_string()
}

/// Classify a failure before the request reached the server.
fn classify_connect(url: &str, e: &reqwest::Error) -> Error {
    let text = crate::error::chain_text(e);
    let lower = text.to_ascii_lowercase();
    let (class, hint) = if e.is_timeout() || lower.contains("timed out") {
        (
            ErrorClass::ConnectTimeout,
            "check the address and port, or raise the connect timeout",
        )
    } else if lower.contains("corrupt message") || lower.contains("wrong version number") {
        (
            ErrorClass::Tls,
            "the port does not speak TLS: check the port, or set connection_options.http.extras.scheme: http",
        )
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        (
            ErrorClass::Tls,
            "give the API's CA in connection_options.http.extras.ca_file, or (only on a lab) set verify: false",
        )
    } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
        (ErrorClass::Dns, "check the hostname")
    } else {
        (
            ErrorClass::ConnectRefused,
            "check that the API is enabled on the device and the port in connection_options.http",
        )
    };
    Error::new(class, format!("{url}: {text}; {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(method: &str, url: &str, body: Option<Value>) -> Request {
        Request {
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            url: reqwest::Url::parse(url).unwrap(),
            headers: Vec::new(),
            body: body.map(|b| b.to_string()),
            timeout: Duration::from_secs(1),
        }
    }

    fn eapi() -> Replay {
        let exchanges = serde_json::from_value(json!([
            {"method": "POST", "url": "/command-api", "request": {"cmds": ["show version"]},
             "body": {"result": [{"version": "4.30"}]}},
            {"method": "get", "url": "https://netbox.example/api/dcim/devices/?name=r1",
             "status": 404, "body": "not found"},
        ]))
        .unwrap();
        Replay::new(exchanges, reqwest::Url::parse("https://leaf1").ok())
    }

    #[tokio::test]
    async fn recorded_answers_come_through_the_client_by_method_url_and_body() {
        let client = Clients::replaying(Arc::new(eapi()))
            .get("leaf1", &Tls::System, Duration::from_secs(1))
            .unwrap();
        let ok = request(
            "POST",
            "https://leaf1/command-api",
            Some(json!({"cmds": ["show version"]})),
        );
        let r = send_once(&client, &ok, None).await.unwrap().unwrap();
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, r#"{"result":[{"version":"4.30"}]}"#)
        );
        let other_host = request(
            "GET",
            "https://netbox.example/api/dcim/devices/?name=r1",
            None,
        );
        let r = send_once(&client, &other_host, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, "not found"));
    }

    #[test]
    fn an_unrecorded_request_is_refused_naming_what_to_record() {
        let r = eapi();
        let e = r
            .answer(&request(
                "POST",
                "https://leaf1/command-api",
                Some(json!({"cmds": ["show hostname"]})),
            ))
            .unwrap_err();
        assert_eq!(e.class, ErrorClass::RejectedCommand);
        assert!(
            e.message.starts_with(
                r#"the transcript has no HTTP answer for POST /command-api with body {"cmds":["show hostname"]}: record it under "http" ({"method": "POST", "url": "/command-api""#
            ),
            "{}",
            e.message
        );
        // A recorded path is on the device's API only, not on other hosts.
        let e = r
            .answer(&request("POST", "https://elsewhere/command-api", None))
            .unwrap_err();
        assert!(
            e.message.contains("POST https://elsewhere/command-api"),
            "{}",
            e.message
        );
    }
}
