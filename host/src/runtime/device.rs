//! The device a plugin works on, in host-native types only: its session
//! (pooled, through its breaker, with retries), its driver's parsers and
//! getters, its HTTP API, its limits. The WIT layers (`runtime::wit`) call
//! into this; nothing here knows a contract version.

use super::driver::DriverInstance;
use super::{DriverPlatform, Runtime};
use crate::error::{Error, ErrorClass};
use crate::resilience::breaker::Breakers;
use crate::resilience::deadline::Progress;
use crate::resilience::dial::Dial;
use crate::resilience::pool::{Lease, Pool};
use crate::resilience::retry::RetryPolicy;
use crate::telemetry::metrics;
use crate::transport::http;
use crate::transport::{CliSession, Target};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

/// Rounds of follow-up commands a getter may ask for (a summary, then one
/// command per port or neighbour it listed, is one round).
const MAX_FOLLOW_UP_ROUNDS: usize = 4;

/// Follow-up commands one getter may run in all (a chassis full of ports).
const MAX_FOLLOW_UPS: usize = 2048;

/// How sessions are reached, shared by every device task of a process (and
/// across runs of a long-lived one): the pool, the breakers, the retries.
pub struct Connectivity {
    /// Open sessions per device.
    pub pool: Arc<Pool<CliSession>>,
    /// One circuit breaker per device.
    pub breakers: Arc<Breakers>,
    /// Attempts and backoff of the connect/login step.
    pub retry: RetryPolicy,
    /// HTTP clients, kept alive across devices and runs.
    pub http: Arc<http::Clients>,
}

/// What one device task knows about its own limits.
pub struct Limits {
    /// The device deadline: no retry sleep reaches it.
    pub deadline: Option<Instant>,
    /// Cancelled when the run stops dialling (shutdown).
    pub stop: CancellationToken,
    /// Attempts and current step, read by the runner.
    pub progress: Arc<Progress>,
}

/// Everything a plugin may reach of its device. Fields are private: the
/// runner builds it once from the inventory, the WIT layers only call it.
pub struct DeviceContext {
    /// How to reach the device (credentials stay here, host side); shared
    /// with each login task.
    target: Arc<Target>,
    /// The device's platform and driver, when the inventory names a known one.
    platform: Option<DriverPlatform>,
    /// The device's `platform` as the inventory names it.
    platform_name: String,
    /// For instantiating the driver.
    runtime: Arc<Runtime>,
    /// The device's slot in the pool, with its session once open.
    lease: Option<Lease<CliSession>>,
    connectivity: Arc<Connectivity>,
    limits: Limits,
    /// The device's HTTP API from the inventory (`connection_options.http`);
    /// an inventory mistake is kept and reported when a plugin uses it.
    http_endpoint: Result<Option<http::Endpoint>, Error>,
    /// A login made before the plugin started that failed: the plugin's
    /// first use of the session gets it (once), as if it had logged in then.
    login_failure: Option<Error>,
    /// Getter answers made before the plugin started, each taken by the
    /// plugin's first `get` of that getter.
    answered: Vec<(String, Result<String, Error>)>,
}

/// What a [`DeviceContext`] is built from, besides the shared runtime and
/// connectivity.
pub struct DeviceSpec {
    /// How to reach the device.
    pub target: Target,
    /// Its platform and driver, when known.
    pub platform: Option<DriverPlatform>,
    /// Its `platform` as the inventory names it.
    pub platform_name: String,
    /// Its HTTP API (`connection_options.http`), or the inventory mistake.
    pub http_endpoint: Result<Option<http::Endpoint>, Error>,
}

impl DeviceContext {
    /// A context with no session taken yet.
    pub fn new(
        spec: DeviceSpec,
        runtime: Arc<Runtime>,
        connectivity: Arc<Connectivity>,
        limits: Limits,
    ) -> Self {
        DeviceContext {
            target: Arc::new(spec.target),
            platform: spec.platform,
            platform_name: spec.platform_name,
            runtime,
            lease: None,
            connectivity,
            limits,
            http_endpoint: spec.http_endpoint,
            login_failure: None,
            answered: Vec::new(),
        }
    }

    /// Log in now, before the plugin starts (a workflow whose manifest
    /// says `connect = "before-start"` or names getters to `prefetch`), and
    /// answer `getters`, so a device waiting for its login or its commands
    /// holds no instance. A login failure is kept for the plugin's first use
    /// of the session, each answer (or failure) for its first `get` of that
    /// getter. Nothing is done for a device without a known platform (the
    /// plugin's use reports that), or when the device's HTTP API is given
    /// and `api_allowed` (the plugin may never use the CLI).
    pub async fn before_start(&mut self, api_allowed: bool, getters: &[String]) {
        if self.platform.is_none() || (api_allowed && self.http_base().is_some()) {
            return;
        }
        if let Err(e) = self.session().await {
            self.login_failure = Some(e);
            return;
        }
        for getter in getters {
            self.set_step(format!("getter {getter}, before the workflow starts"));
            let answer = self.answer(getter).await;
            // A lost session or a deadline leaves the rest to the workflow.
            let go_on = answer.as_ref().map_or_else(getter_failed_alone, |_| true);
            self.answered.push((getter.clone(), answer));
            if !go_on {
                break;
            }
        }
    }

    /// Whether a recorded device answers instead of a real one (`netrun
    /// plugin test`; the replay itself happens in the transport).
    pub fn is_replay(&self) -> bool {
        self.target.replay.is_some()
    }

    /// The device's inventory name.
    pub fn device(&self) -> &str {
        &self.target.device
    }

    /// The device's HTTP API base URL (no credentials), if it has one.
    pub fn http_base(&self) -> Option<String> {
        self.http_endpoint
            .as_ref()
            .ok()?
            .as_ref()
            .map(|e| e.base.to_string())
    }

    /// The pool key: the same device reached the same way.
    fn pool_key(&self) -> String {
        let t = &self.target;
        pool_key(&t.device, &t.username, &t.host, t.port, &self.platform_name)
    }

    /// What this device's sessions are opened with: the target's settings
    /// and the build of its driver (which defines the platform). A pooled
    /// session opened under other settings, e.g. by a poll that started
    /// before `netrun serve` reloaded a changed password, is never reused.
    fn session_identity(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.target.session_identity().hash(&mut h);
        self.platform
            .as_ref()
            .map(|p| p.driver.sha256.as_str())
            .hash(&mut h);
        h.finish()
    }

    /// The device a session pool key belongs to.
    pub fn device_of_pool_key(key: &str) -> &str {
        // Split from the right: the device name is the one part of
        // [`pool_key`] that may hold a `|`.
        key.rsplitn(3, '|').last().unwrap_or(key)
    }

    /// Where the device task's attempts and step are kept.
    pub fn progress(&self) -> Arc<Progress> {
        self.limits.progress.clone()
    }

    /// The device deadline, when the run has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.limits.deadline
    }

    /// Name the step in progress (for deadline and shutdown messages).
    pub fn set_step(&self, step: impl Into<String>) {
        self.limits.progress.set_step(step);
    }

    fn no_platform(&self) -> Error {
        if self.platform_name.is_empty() {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: no platform set: add `platform: cisco_ios` (or another device_type) to the host or its group",
                    self.target.device
                ),
            )
        } else {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{}: no installed driver defines platform `{}`: install its driver plugin (netrun plugin list shows what is installed)",
                    self.target.device, self.platform_name
                ),
            )
        }
    }

    /// The device's session: from the pool when one is idle, else opened
    /// (through the breaker, with retries); reopened when it died.
    pub async fn session(&mut self) -> Result<&mut CliSession, Error> {
        let platform = self
            .platform
            .as_ref()
            .ok_or_else(|| self.no_platform())?
            .platform
            .clone();
        if let Some(e) = self.login_failure.take() {
            return Err(e);
        }
        if self.lease.is_none() {
            self.set_step("waiting for a free session slot of the device");
            let key = self.pool_key();
            let identity = self.session_identity();
            self.lease = Some(self.connectivity.pool.checkout_as(&key, identity).await);
        }
        let alive = self
            .lease
            .as_mut()
            .and_then(Lease::session)
            .is_some_and(|s| s.is_alive());
        if !alive {
            if let Some(dead) = self.lease.as_mut().and_then(Lease::take) {
                // Out of step or disconnected: never reused, closed quietly.
                dead.close().await;
            }
            // The login runs as a task of its own, and the plugin's call
            // (on its fiber stack) only waits for it. Polled on the fiber,
            // russh's connect spawned its ~30 KiB session future there, and
            // every copy of it, page by page, stayed resident in every fiber
            // stack (about 100 KiB each). The spawned future itself is small
            // (the login is boxed when the task first runs). The task is
            // aborted if the call is.
            let (target, connectivity) = (self.target.clone(), self.connectivity.clone());
            let (deadline, stop, progress) = (
                self.limits.deadline,
                self.limits.stop.clone(),
                self.limits.progress.clone(),
            );
            let login = tokio::spawn(async move {
                Box::pin(async move {
                    let breaker = connectivity.breakers.get(&target.device);
                    let dial = Dial {
                        device: &target.device,
                        breaker: &breaker,
                        policy: &connectivity.retry,
                        deadline,
                        stop: &stop,
                        progress: &progress,
                    };
                    let step = |s: &'static str| {
                        progress.set_step(format!("{s} (attempt {})", progress.attempts()));
                    };
                    dial.open(|| CliSession::open_reporting(&target, platform.clone(), &step))
                        .await
                })
                .await
            });
            let session = AbortOnDropHandle::new(login).await.map_err(|e| {
                Error::new(
                    ErrorClass::Internal,
                    format!(
                        "the login task of {} ended without an answer: {e}",
                        self.target.device
                    ),
                )
            })??;
            if let Some(lease) = self.lease.as_mut() {
                lease.put(session);
            }
        }
        self.set_step("logged in");
        self.lease
            .as_mut()
            .and_then(Lease::session)
            .ok_or_else(|| Error::new(ErrorClass::Internal, "session vanished from its lease"))
    }

    /// The inventory's platform of the device (`cisco_ios`, …).
    pub fn platform_name(&self) -> &str {
        &self.platform_name
    }

    /// Parse with the device's driver (an idle instance, held for this call).
    pub async fn parse(&mut self, command: &str, output: &str) -> Result<String, Error> {
        let dp = self.platform.clone().ok_or_else(|| self.no_platform())?;
        let platform = dp.platform.name.clone();
        self.with_driver(&dp, async |d| d.parse(&platform, command, output).await)
            .await
    }

    /// Answer a NAPALM-style getter: the driver names the commands, the
    /// device's session (or recorded device) runs them, the driver shapes
    /// the outputs. Returns the JSON text.
    pub async fn get(&mut self, getter: &str) -> Result<String, Error> {
        if let Some(i) = self.answered.iter().position(|(g, _)| g == getter) {
            return self.answered.swap_remove(i).1;
        }
        self.answer(getter).await
    }

    /// [`DeviceContext::get`], asked of the device now.
    async fn answer(&mut self, getter: &str) -> Result<String, Error> {
        let dp = self.platform.clone().ok_or_else(|| self.no_platform())?;
        let platform = dp.platform.name.clone();
        let (commands, follow_up) = self
            .with_driver(&dp, async |d| d.getter_commands(&platform, getter).await)
            .await?;
        let mut outputs = Vec::with_capacity(commands.len());
        let mut refused = None;
        self.run_getter_commands(commands, &mut outputs, &mut refused)
            .await?;
        // Follow-up commands the driver builds from the outputs so far (one
        // per port a summary listed, another command where the device
        // refused one), a few rounds at most; asked only of a getter whose
        // plan says so.
        let (mut rounds, mut follow_ups) = (0, 0);
        while follow_up && rounds <= MAX_FOLLOW_UP_ROUNDS {
            let more = match self
                .with_driver(&dp, async |d| {
                    d.getter_follow_up(&platform, getter, &outputs).await
                })
                .await
            {
                Ok(more) => more,
                // A refusal the driver could not read past stands, as below.
                Err(e) => {
                    return Err(match refused {
                        Some(r) if e.class != ErrorClass::Unsupported => r,
                        _ => e,
                    });
                }
            };
            if more.is_empty() {
                break;
            }
            rounds += 1;
            follow_ups += more.len();
            if rounds > MAX_FOLLOW_UP_ROUNDS || follow_ups > MAX_FOLLOW_UPS {
                return Err(Error::new(
                    ErrorClass::PluginLimit,
                    format!(
                        "driver {} asked for more follow-up commands for getter {getter} than the \
                         host runs ({MAX_FOLLOW_UP_ROUNDS} rounds, {MAX_FOLLOW_UPS} commands); \
                         last asked: {}",
                        dp.driver.bundle.manifest.name,
                        more.join("; ")
                    ),
                ));
            }
            self.run_getter_commands(more, &mut outputs, &mut refused)
                .await?;
        }
        let answer = self
            .with_driver(&dp, async |d| d.getter(&platform, getter, &outputs).await)
            .await;
        match (answer, refused) {
            // The driver read the refusal as "this device cannot answer"
            // (no LLDP agent on a Linux host): that is the answer.
            (Err(e), Some(_)) if e.class == ErrorClass::Unsupported => Err(e),
            (Err(_), Some(e)) => Err(e),
            (answer, _) => answer,
        }
    }

    /// Run a getter's commands in order, appending (command, output). A
    /// refused command's message goes to the driver as its output, which
    /// may read it as "not on this model" (IOSv has no environment
    /// monitor); the first refusal is kept in `refused` in case it cannot.
    async fn run_getter_commands(
        &mut self,
        commands: Vec<String>,
        outputs: &mut Vec<(String, String)>,
        refused: &mut Option<Error>,
    ) -> Result<(), Error> {
        for command in commands {
            match self.send_command(&command, &Default::default()).await {
                Ok(output) => outputs.push((command, output)),
                Err(e) if e.class == ErrorClass::RejectedCommand => {
                    outputs.push((command, e.message.clone()));
                    refused.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The getters the device's driver answers on its platform.
    pub async fn getters(&mut self) -> Result<Vec<String>, Error> {
        let dp = self.platform.clone().ok_or_else(|| self.no_platform())?;
        let platform = dp.platform.name.clone();
        self.with_driver(&dp, async |d| Ok(d.getters(&platform).await?))
            .await
    }

    /// Run `f` on an idle driver instance (or a new one), returned to the
    /// idle list after the call unless the call trapped
    /// ([`Runtime::call_driver`]).
    async fn with_driver<T>(
        &mut self,
        dp: &DriverPlatform,
        f: impl AsyncFnOnce(&mut DriverInstance) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let device = Arc::from(self.target.device.as_str());
        self.runtime
            .call_driver(&dp.driver, device, f)
            .await
            .map_err(|mut e| {
                e.message = format!("{}: {}", self.target.device, e.message);
                e
            })
    }

    /// Send one command in the default mode through the device's session.
    pub async fn send_command(
        &mut self,
        command: &str,
        opts: &crate::transport::CommandOptions,
    ) -> Result<String, Error> {
        let progress = self.progress();
        let session = self.session().await?;
        progress.set_step(format!("waiting for the answer to `{command}`"));
        session.send_command(command, opts).await
    }

    /// Time left for one exchange: `asked` (or the command timeout), never
    /// past the device deadline.
    fn exchange_timeout(&self, asked: Option<Duration>) -> Duration {
        let t = asked.unwrap_or(self.target.timeouts.command);
        match self.limits.deadline {
            Some(d) => t.min(d.saturating_duration_since(Instant::now())),
            None => t,
        }
    }

    /// Send an HTTP request to the device's own API: `path` on its
    /// inventory endpoint, with its credentials, through its breaker, the
    /// connect step retried like an SSH login.
    pub async fn http_device(
        &mut self,
        method: reqwest::Method,
        path: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<http::Response, Error> {
        let device = self.target.device.clone();
        let endpoint = self.http_endpoint.clone()?.ok_or_else(|| {
            Error::new(
                ErrorClass::Inventory,
                format!(
                    "{device}: no HTTP API is set for this device: add connection_options.http (port, extras: {{scheme: https, ca_file: …}}) to it or its group"
                ),
            )
        })?;
        let request = http::Request {
            method,
            url: endpoint.url(path)?,
            headers,
            body,
            timeout: self.exchange_timeout(timeout),
        };
        let client =
            self.connectivity
                .http
                .get(&device, &endpoint.tls, self.target.timeouts.connect)?;
        let auth = match (&endpoint.username, &endpoint.password) {
            (Some(u), Some(p)) => Some((u.as_str(), p)),
            _ => None,
        };
        let breaker = self.connectivity.breakers.get(&device);
        let dial = Dial {
            device: &device,
            breaker: &breaker,
            policy: &self.connectivity.retry,
            deadline: self.limits.deadline,
            stop: &self.limits.stop,
            progress: &self.limits.progress,
        };
        let started = Instant::now();
        let outcome = dial.open(|| http::send_once(&client, &request, auth)).await;
        crate::telemetry::Metrics::observe(
            &metrics().http_request_seconds,
            &self.platform_name,
            started.elapsed(),
        );
        let response = outcome??;
        if response.status == 401 || response.status == 403 {
            return Err(Error::new(
                ErrorClass::Auth,
                format!(
                    "{device}: the API at {} refused the inventory's credentials (HTTP {}): check username and password (connection_options.http or the host's own)",
                    endpoint.base, response.status
                ),
            ));
        }
        Ok(response)
    }

    /// Send an HTTP request to another host (the caller checked the grant):
    /// system CA roots, no credentials, one attempt.
    pub async fn http_external(
        &mut self,
        method: reqwest::Method,
        url: reqwest::Url,
        headers: Vec<(String, String)>,
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<http::Response, Error> {
        let request = http::Request {
            method,
            url,
            headers,
            body,
            timeout: self.exchange_timeout(timeout),
        };
        let client = self.connectivity.http.get(
            &self.target.device,
            &http::Tls::System,
            self.target.timeouts.connect,
        )?;
        http::send_once(&client, &request, None).await?
    }

    /// The current session's mode, if a session is open.
    pub fn mode(&mut self) -> Option<String> {
        self.lease
            .as_mut()
            .and_then(Lease::session)
            .map(|s| s.mode().to_string())
    }

    /// Hand the session back to the pool (a dead one is closed) and free
    /// the device's slot.
    pub async fn close(&mut self) {
        if let Some(lease) = self.lease.take() {
            // Boxed: closing a session (russh's disconnect) takes ~5 KiB of
            // future, which every device's future would otherwise reserve
            // for its whole life.
            Box::pin(lease.checkin(&self.connectivity.pool)).await;
        }
    }
}

/// Whether a getter's failure is its own (the device cannot answer it, its
/// output does not parse, the device refused its command), leaving the
/// session and the other getters usable; any other failure (session lost,
/// deadline) ends the device's work.
pub fn getter_failed_alone(e: &Error) -> bool {
    matches!(
        e.class,
        ErrorClass::Parse | ErrorClass::RejectedCommand | ErrorClass::Unsupported
    )
}

/// Sessions are pooled per device, login and address, and platform.
fn pool_key(device: &str, user: &str, host: &str, port: u16, platform: &str) -> String {
    format!("{device}|{user}@{host}:{port}|{platform}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_of_a_pool_key_is_its_name_even_with_a_bar_in_it() {
        for device in ["r001", "site|r001", ""] {
            let key = pool_key(device, "admin", "127.0.0.1", 22, "cisco_ios");
            assert_eq!(DeviceContext::device_of_pool_key(&key), device);
        }
    }
}
