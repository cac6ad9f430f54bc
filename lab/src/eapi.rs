//! eAPI side of an EOS device: HTTPS (rustls) + HTTP/1.1 (hyper) serving Arista's
//! JSON-RPC 2.0 `runCmds` at `POST /command-api`, behind HTTP Basic auth.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::eos::EosDevice;
use crate::eos_show::{self, Format};
use crate::server::Shared;

/// Largest request body accepted (eAPI batches are small).
const MAX_BODY: usize = 1 << 20;
/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One EOS device as the eAPI server sees it.
pub(crate) struct EapiRuntime {
    pub device: Arc<EosDevice>,
    pub tls: TlsAcceptor,
    pub lab: Arc<Shared>,
}

/// Accepts connections until the lab stops.
pub(crate) async fn run_device(rt: Arc<EapiRuntime>, listener: TcpListener) {
    let stop = rt.lab.cancel.clone();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((sock, peer)) => {
                    let conn = serve_connection(rt.clone(), sock, peer, stop.clone());
                    rt.lab.tracker.spawn(conn);
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    warn!(device = %rt.device.name, "eAPI accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn serve_connection(
    rt: Arc<EapiRuntime>,
    sock: TcpStream,
    peer: SocketAddr,
    stop: CancellationToken,
) {
    let _ = sock.set_nodelay(true);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, rt.tls.accept(sock)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            debug!(device = %rt.device.name, %peer, "TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            debug!(device = %rt.device.name, %peer, "TLS handshake timed out");
            return;
        }
    };
    let service = hyper::service::service_fn(move |req| {
        let rt = rt.clone();
        async move { Ok::<_, Infallible>(handle(&rt, req).await) }
    });
    // Keep-alive is hyper's default for HTTP/1.1.
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service);
    tokio::select! {
        r = conn => {
            if let Err(e) = r {
                debug!(%peer, "eAPI connection ended: {e}");
            }
        }
        _ = stop.cancelled() => {}
    }
}

fn response(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(CONTENT_TYPE, v);
    }
    resp
}

fn json_response(body: &Value) -> Response<Full<Bytes>> {
    response(StatusCode::OK, "application/json", body.to_string())
}

/// Whether the `Authorization` header carries the lab's user name and password.
fn authorized(req: &Request<Incoming>, lab: &Shared) -> bool {
    let Some(value) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    text.split_once(':')
        .is_some_and(|(user, pass)| user == lab.username && pass == lab.password)
}

async fn handle(rt: &EapiRuntime, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/command-api" {
        return response(StatusCode::NOT_FOUND, "text/plain", "Not Found\n");
    }
    if req.method() != Method::POST {
        let mut resp = response(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "Method Not Allowed\n",
        );
        resp.headers_mut()
            .insert(ALLOW, hyper::header::HeaderValue::from_static("POST"));
        return resp;
    }
    if !authorized(&req, &rt.lab) {
        let mut resp = response(StatusCode::UNAUTHORIZED, "text/plain", "Unauthorized\n");
        resp.headers_mut().insert(
            WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Basic realm=\"eAPI\""),
        );
        return resp;
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                format!("cannot read request: {e}\n"),
            );
        }
    };
    json_response(&json_rpc(&rt.device, &body, rt.device.elapsed()))
}

/// A JSON-RPC error object.
fn rpc_error(id: &Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = data;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// Answers one JSON-RPC request body.
pub(crate) fn json_rpc(dev: &EosDevice, body: &[u8], elapsed: Duration) -> Value {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return rpc_error(&Value::Null, -32700, &format!("Parse error: {e}"), None),
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return rpc_error(
            &id,
            -32600,
            "Invalid request: jsonrpc must be \"2.0\"",
            None,
        );
    }
    match request.get("method").and_then(Value::as_str) {
        Some("runCmds") => {}
        Some(other) => {
            return rpc_error(&id, -32601, &format!("Method not found: {other}"), None);
        }
        None => return rpc_error(&id, -32600, "Invalid request: no method", None),
    }
    let params = request.get("params").cloned().unwrap_or(Value::Null);
    let format = match params.get("format").and_then(Value::as_str) {
        None | Some("json") => Format::Json,
        Some("text") => Format::Text,
        Some(other) => {
            return rpc_error(
                &id,
                -32602,
                &format!("Invalid params: unknown format '{other}'"),
                None,
            );
        }
    };
    let Some(cmds) = params.get("cmds").and_then(Value::as_array) else {
        return rpc_error(&id, -32602, "Invalid params: 'cmds' must be a list", None);
    };
    let mut lines = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        // A command is a string or `{"cmd": "...", "input": "..."}`.
        let line = cmd
            .as_str()
            .or_else(|| cmd.get("cmd").and_then(Value::as_str));
        match line {
            Some(line) => lines.push(line),
            None => {
                return rpc_error(
                    &id,
                    -32602,
                    &format!("Invalid params: bad command {cmd}"),
                    None,
                );
            }
        }
    }
    let mut results = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        match eos_show::run(dev, line, format, elapsed) {
            Ok(v) => results.push(v),
            Err(message) => {
                let mut failed = json!({"errors": [message]});
                if format == Format::Text {
                    failed["output"] = json!(format!("% {message}\n"));
                }
                results.push(failed);
                let text = format!(
                    "CLI command {} of {} '{line}' failed: invalid command",
                    n + 1,
                    lines.len()
                );
                return rpc_error(&id, 1002, &text, Some(Value::Array(results)));
            }
        }
    }
    json!({"jsonrpc": "2.0", "id": id, "result": results})
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn device() -> EosDevice {
        EosDevice::generate(3, 0, "eos001".into(), Instant::now())
    }

    fn call(body: &str) -> Value {
        json_rpc(&device(), body.as_bytes(), Duration::from_secs(5))
    }

    #[test]
    fn malformed_json_is_a_parse_error() {
        let r = call("{not json");
        assert_eq!(r["error"]["code"], -32700);
        assert_eq!(r["id"], Value::Null);
    }

    #[test]
    fn unknown_method_is_method_not_found() {
        let r = call(r#"{"jsonrpc":"2.0","method":"runCommands","params":{},"id":"7"}"#);
        assert_eq!(r["error"]["code"], -32601);
        assert_eq!(r["id"], "7");
    }

    #[test]
    fn one_result_per_command_and_id_echoed() {
        let r = call(
            r#"{"jsonrpc":"2.0","method":"runCmds","params":{"version":1,"cmds":[{"cmd":"enable","input":""},"show hostname"],"format":"json"},"id":42}"#,
        );
        assert_eq!(r["id"], 42);
        assert_eq!(r["result"][0], json!({}));
        assert_eq!(r["result"][1]["hostname"], "eos001");
    }

    #[test]
    fn failing_command_reports_earlier_results_in_data() {
        let r = call(
            r#"{"jsonrpc":"2.0","method":"runCmds","params":{"version":1,"cmds":["show hostname","show foo"]},"id":"1"}"#,
        );
        assert_eq!(r["error"]["code"], 1002);
        assert_eq!(
            r["error"]["message"],
            "CLI command 2 of 2 'show foo' failed: invalid command"
        );
        assert_eq!(r["error"]["data"][0]["hostname"], "eos001");
        assert_eq!(
            r["error"]["data"][1]["errors"][0],
            "Invalid input (at token 1: 'foo')"
        );
    }
}
