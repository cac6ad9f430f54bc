//! `--nats-results SUBJECT`: every record, as it is made, published as one
//! JSON message (the record's JSON Lines form) on a subject, for downstream
//! systems — the way gNMIc users consume its NATS output. Plain NATS
//! publishes: a stream the operator defines on the subject keeps them.

use crate::results::Record;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Publishes records in the background; [`Mirror::finish`] waits until
/// every record is on the server.
pub struct Mirror {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    task: JoinHandle<usize>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mirror")
    }
}

impl Mirror {
    /// Start publishing to `subject` through `client`.
    pub fn start(client: async_nats::Client, subject: String) -> Mirror {
        // Unbounded: the runner's callback cannot wait; records are small
        // and the client drains them as fast as the run makes them.
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let task = tokio::spawn(async move {
            let mut failed = 0usize;
            while let Some(bytes) = rx.recv().await {
                if let Err(e) = client.publish(subject.clone(), bytes.into()).await {
                    failed += 1;
                    if failed == 1 {
                        tracing::warn!(subject = %subject, "cannot publish a record to NATS: {e}");
                    }
                }
            }
            if let Err(e) = client.flush().await {
                tracing::warn!(subject = %subject, "records may not have reached NATS: {e}");
            }
            failed
        });
        Mirror { tx, task }
    }

    /// Queue `record` for publishing.
    pub fn send(&self, record: &Record) {
        if let Ok(bytes) = serde_json::to_vec(record) {
            // The receiver lives until `finish`: a send cannot fail before.
            let _ = self.tx.send(bytes);
        }
    }

    /// Publish what is queued, flush, and say how many records failed.
    pub async fn finish(self) -> usize {
        drop(self.tx);
        self.task.await.unwrap_or(0)
    }
}
