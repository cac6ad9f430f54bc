//! The poller's own HTTP endpoints on axum: `/metrics` (Prometheus text
//! format), `/healthz` (the process is up), `/readyz` (jobs are polling).

use crate::telemetry::metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The routes; `ready` says whether `/readyz` answers 200.
pub fn router(ready: Arc<AtomicBool>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "not found: try /metrics, /healthz, /readyz\n",
            )
        })
        .with_state(ready)
}

/// Serve `router` on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    ready: Arc<AtomicBool>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(ready))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

async fn scrape() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics().encode(),
    )
}

async fn readyz(State(ready): State<Arc<AtomicBool>>) -> impl IntoResponse {
    if ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get_raw(port: u16, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn endpoints_answer_with_status_and_content_type() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let ready = Arc::new(AtomicBool::new(false));
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(listener, ready.clone(), stop.clone()));
        let req = |path: &str, method: &str| {
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        };
        let m = get_raw(port, &req("/metrics", "GET")).await;
        assert!(m.starts_with("HTTP/1.1 200"), "{m}");
        assert!(m.contains("text/plain; version=0.0.4"), "{m}");
        assert!(
            get_raw(port, &req("/healthz", "GET"))
                .await
                .starts_with("HTTP/1.1 200")
        );
        assert!(
            get_raw(port, &req("/readyz", "GET"))
                .await
                .starts_with("HTTP/1.1 503")
        );
        ready.store(true, Ordering::SeqCst);
        assert!(
            get_raw(port, &req("/readyz", "GET"))
                .await
                .starts_with("HTTP/1.1 200")
        );
        assert!(
            get_raw(port, &req("/nope", "GET"))
                .await
                .starts_with("HTTP/1.1 404")
        );
        assert!(
            get_raw(port, &req("/metrics", "POST"))
                .await
                .starts_with("HTTP/1.1 405")
        );
        stop.cancel();
        server.await.unwrap().unwrap();
    }
}
