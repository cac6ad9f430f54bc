//! netrun: an embedded, WASM-scriptable network-automation runtime.
//!
//! The layers follow the data flow of DESIGN.md, top to bottom:
//! [`cli`] → [`runner`] → [`runtime`] (wasmtime plugins) → [`transport`]
//! (SSH), with [`inventory`], [`results`] and [`error`] beside them;
//! [`parsing`] gives structured output for any command (driver, then TextFSM).

#![warn(missing_docs)]

/// `impl AsyncWrite` for a stream wrapper that passes every write, flush
/// and shutdown to its `inner` field, vectored writes included:
/// `write_through!(Wrapper<S> where S: Io)` or `write_through!(Wrapper)`.
macro_rules! write_through {
    ($ty:ty $(where $g:ident: $bound:path)?) => {
        impl $(<$g: $bound>)? tokio::io::AsyncWrite for $ty {
            fn poll_write(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
            }

            fn poll_flush(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.inner).poll_flush(cx)
            }

            fn poll_shutdown(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
            }

            fn poll_write_vectored(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                self.inner.is_write_vectored()
            }
        }
    };
}

pub mod cli;
pub mod cluster;
pub mod config;
pub mod error;
pub mod inventory;
pub mod memlock;
pub mod pacing;
pub mod parsing;
pub mod resilience;
pub mod results;
pub mod runner;
pub mod runtime;
pub mod secret;
pub mod telemetry;
pub mod transport;
