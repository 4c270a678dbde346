//! Finding the daemon and agreeing on an API version.
//!
//! The host comes from, in order: an explicit `--docker-host`, `DOCKER_HOST`, the default unix
//! socket. `tcp://` uses TLS when `DOCKER_TLS_VERIFY` (or `DOCKER_TLS`) is set, with the
//! certificates of `DOCKER_CERT_PATH` (default `~/.docker`), as the docker CLI does.
//!
//! Version negotiation is done here rather than with bollard's `negotiate_version`, because that
//! asks `/v1.53/version`, which an engine whose newest API is older (Docker 20.10 speaks 1.41)
//! refuses with "client version 1.53 is too new". The engine's refusal names the version it
//! wants, so we retry once with that; a successful answer can also ask us to step down.

use super::start_deadline::{StartClock, CEILING};
use bollard::errors::Error as BollardError;
use bollard::{ClientVersion, Docker, API_DEFAULT_VERSION};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the docker CLI looks when nothing else is said.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Seconds bollard waits for a response's head (not for a whole stream: builds and attached
/// output may take longer), unless [`TIMEOUT_ENV`] says otherwise.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Overrides [`REQUEST_TIMEOUT_SECS`]: every engine call's deadline, in seconds. The fault
/// tests use a few seconds against an engine that accepts connections and never answers; an
/// emulated or loaded engine may want more.
pub const TIMEOUT_ENV: &str = "SECCOMP_HARNESS_ENGINE_TIMEOUT";

/// Every engine call's deadline: [`TIMEOUT_ENV`] when it holds a positive number of seconds,
/// else [`REQUEST_TIMEOUT_SECS`].
pub(crate) fn request_timeout_secs() -> u64 {
    request_timeout_set().unwrap_or(REQUEST_TIMEOUT_SECS)
}

/// The engine-call deadline the user set with [`TIMEOUT_ENV`] (a positive number of seconds),
/// if any: a start's deadline fits the engine ([`super::start_deadline`]) but never passes it.
pub(crate) fn request_timeout_set() -> Option<u64> {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&s| s > 0)
}

/// A bollard error with its causes. bollard's message for a broken connection is hyper's
/// "client error (SendRequest)" alone; only the causes tell a connection the engine closed
/// without answering (a daemon being stopped, killed or restarted, or a proxy in front of one
/// that is gone) from one it refused, so every engine error the harness shows goes through
/// here.
pub fn explain(e: &BollardError) -> String {
    let mut out = chain(e);
    if matches!(e, BollardError::RequestTimeoutError) {
        // bollard says only "Timeout error": on a stalled engine (an emulated machine whose
        // kernel locked up) this is all a failed build or create would otherwise say.
        out.push_str(&format!(
            " (no answer within the engine-call deadline, {} s: check the daemon, or raise \
             {TIMEOUT_ENV})",
            request_timeout_secs()
        ));
    }
    if closed_without_answer(&out) {
        out.push_str(
            " (the engine closed the connection without answering: is the daemon stopping, \
             restarting or gone?)",
        );
    }
    out
}

/// An error's message followed by each cause's that it does not already hold.
fn chain(e: &BollardError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Whether an error's text (with its causes) says the peer closed the connection before a
/// whole answer came: hyper's "connection closed before message completed", or a reset.
fn closed_without_answer(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("connection closed before message completed")
        || t.contains("connection reset by peer")
        || t.contains("broken pipe")
        || t.contains("unexpected end of file")
}

/// A connected engine: the bollard client at the negotiated API version, the host it was
/// reached at (for messages), and how slow its container starts have been. Cheap to clone: the
/// client and the clock are reference counted, so every clone fits its starts to the same
/// measurements.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    host: String,
    api_version: String,
    starts: Arc<StartClock>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "cannot reach the docker daemon at {host}: {}; start the daemon, or point \
         DOCKER_HOST or --docker-host at a running engine",
        explain(.source)
    )]
    Unreachable {
        host: String,
        #[source]
        source: BollardError,
    },
    #[error(
        "unsupported docker host `{host}`: use unix://, tcp://, https:// or ssh:// \
         (from {origin})"
    )]
    UnsupportedScheme { host: String, origin: &'static str },
    #[error(
        "cannot set up TLS for {host} with the certificates in {cert_dir}: {}; check \
         DOCKER_CERT_PATH (key.pem, cert.pem, ca.pem)",
        explain(.source)
    )]
    Tls {
        host: String,
        cert_dir: String,
        #[source]
        source: BollardError,
    },
    #[error(
        "the engine at {host} accepted the connection but did not answer {call} within \
         {seconds} s; check the daemon (or raise {TIMEOUT_ENV})"
    )]
    Hung {
        host: String,
        call: &'static str,
        seconds: u64,
    },
    #[error(
        "the engine at {host} accepted the connection but closed it without answering \
         {call}: is the daemon stopping, restarting or gone, or is {host} a proxy in front of \
         one that is? ({})",
        chain(.source)
    )]
    Closed {
        host: String,
        call: &'static str,
        #[source]
        source: BollardError,
    },
    #[error("the docker daemon at {host} reports no usable API version ({reported:?})")]
    NoApiVersion {
        host: String,
        reported: Option<String>,
    },
}

/// How the host was chosen, so that an error can say which setting to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Flag,
    Env,
    Default,
}

impl Origin {
    fn describe(self) -> &'static str {
        match self {
            Origin::Flag => "--docker-host",
            Origin::Env => "DOCKER_HOST",
            Origin::Default => "the default",
        }
    }
}

/// Picks the host the way the docker CLI does: the flag, then `DOCKER_HOST`, then the socket.
fn resolve_host(explicit: Option<&str>) -> (String, Origin) {
    if let Some(h) = explicit.filter(|h| !h.is_empty()) {
        return (h.to_string(), Origin::Flag);
    }
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => (h, Origin::Env),
        _ => (DEFAULT_HOST.to_string(), Origin::Default),
    }
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

fn cert_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DOCKER_CERT_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".docker"))
        .unwrap_or_else(|| PathBuf::from(".docker"))
}

/// Builds (without contacting it) a client for `host` speaking `version`.
fn client(host: &str, origin: Origin, version: &ClientVersion) -> Result<Docker, ConnectError> {
    let t = request_timeout_secs();
    let unreachable = |source| ConnectError::Unreachable {
        host: host.to_string(),
        source,
    };
    if host.starts_with("unix://") {
        return Docker::connect_with_unix(host, t, version).map_err(unreachable);
    }
    let tls = host.starts_with("https://")
        || (host.starts_with("tcp://") && (env_set("DOCKER_TLS_VERIFY") || env_set("DOCKER_TLS")));
    if tls {
        let dir = cert_dir();
        return Docker::connect_with_ssl(
            host,
            &dir.join("key.pem"),
            &dir.join("cert.pem"),
            &dir.join("ca.pem"),
            t,
            version,
        )
        .map_err(|source| ConnectError::Tls {
            host: host.to_string(),
            cert_dir: dir.display().to_string(),
            source,
        });
    }
    if host.starts_with("tcp://") || host.starts_with("http://") {
        return Docker::connect_with_http(host, t, version).map_err(unreachable);
    }
    if host.starts_with("ssh://") {
        return Docker::connect_with_ssh(host, t, version, None).map_err(unreachable);
    }
    Err(ConnectError::UnsupportedScheme {
        host: host.to_string(),
        origin: origin.describe(),
    })
}

/// Parses `1.41` into a client version.
fn parse_api_version(s: &str) -> Option<ClientVersion> {
    let (major, minor) = s.trim().split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// The version an engine's refusal asks for: "client version 1.53 is too new. Maximum
/// supported API version is 1.41", or "... too old. Minimum supported API version is 1.44".
/// These sentences are what the docker CLI itself matches on, stable since API 1.12.
fn version_hint(message: &str) -> Option<ClientVersion> {
    let lower = message.to_ascii_lowercase();
    let at = lower
        .find("maximum supported api version is ")
        .map(|i| i + "maximum supported api version is ".len())
        .or_else(|| {
            lower
                .find("minimum supported api version is ")
                .map(|i| i + "minimum supported api version is ".len())
        })?;
    let rest = &message[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    parse_api_version(rest[..end].trim_end_matches('.'))
}

fn version_string(v: &ClientVersion) -> String {
    format!("{}.{}", v.major_version, v.minor_version)
}

impl Engine {
    /// Connects to `explicit` (the `--docker-host` flag) or `DOCKER_HOST` or the default socket,
    /// and negotiates the API version. Fails with a message naming the host when nothing
    /// answers there.
    pub async fn connect(explicit: Option<&str>) -> Result<Engine, ConnectError> {
        let (host, origin) = resolve_host(explicit);
        let mut version = *API_DEFAULT_VERSION;
        // Two tries are enough: the refusal names the version to use. A third guards against an
        // engine that names one it then refuses.
        for _ in 0..3 {
            let docker = client(&host, origin, &version)?;
            match docker.version().await {
                Ok(v) => {
                    let server = v.api_version.as_deref().and_then(parse_api_version);
                    let Some(server) = server else {
                        return Err(ConnectError::NoApiVersion {
                            host,
                            reported: v.api_version,
                        });
                    };
                    // Speak the older of the two: a newer engine still serves older versions.
                    let use_version = if server < version { server } else { version };
                    let docker = if use_version == version {
                        docker
                    } else {
                        client(&host, origin, &use_version)?
                    };
                    return Ok(Engine {
                        docker,
                        host,
                        api_version: version_string(&use_version),
                        starts: Arc::default(),
                    });
                }
                Err(BollardError::DockerResponseServerError {
                    status_code: 400,
                    ref message,
                }) if version_hint(message).is_some_and(|h| h != version) => {
                    version = version_hint(message).expect("checked above");
                }
                Err(BollardError::RequestTimeoutError) => {
                    return Err(ConnectError::Hung {
                        host,
                        call: "GET /version",
                        seconds: request_timeout_secs(),
                    })
                }
                Err(source) if closed_without_answer(&chain(&source)) => {
                    return Err(ConnectError::Closed {
                        host,
                        call: "GET /version",
                        source,
                    })
                }
                Err(source) => return Err(ConnectError::Unreachable { host, source }),
            }
        }
        Err(ConnectError::NoApiVersion {
            host,
            reported: Some(version_string(&version)),
        })
    }

    /// The bollard client, at the negotiated version.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The host this engine was reached at, e.g. `unix:///var/run/docker.sock`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The API version both sides speak, e.g. `1.41`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The container starts this engine has answered: how long the next may take.
    pub fn starts(&self) -> &StartClock {
        &self.starts
    }

    /// The deadline for a container start (or the wait for its end) on this engine now: fitted
    /// to its slowest start so far, within the engine-call deadline a user set.
    pub(crate) fn start_deadline(&self) -> Duration {
        self.starts.deadline(start_cap())
    }

    /// The client for a start and the wait for a container's end: the same connection, with
    /// bollard's own deadline at the longest a start may be given, so that the fitted deadline
    /// ([`Engine::start_deadline`]) is the one that ends the wait.
    pub(crate) fn docker_for_start(&self) -> Docker {
        self.docker
            .clone()
            .with_timeout(start_cap().unwrap_or(CEILING))
    }

    /// Runs `call`, one that a busy engine may answer slowly (a removal), with the client it is
    /// given, whose own deadline is the patience's ceiling: the engine-call deadline, then
    /// while the engine answers a ping, up to [`CEILING`] ([`super::busy`]); exactly the
    /// user's deadline where one is set.
    pub(crate) async fn patiently<T, F>(
        &self,
        call: impl FnOnce(Docker) -> F,
    ) -> Result<T, super::busy::GaveUp>
    where
        F: std::future::Future<Output = T>,
    {
        let patience = super::busy::Patience::for_engine(Duration::from_secs(REQUEST_TIMEOUT_SECS));
        let client = self.docker.clone().with_timeout(patience.ceiling);
        super::busy::wait(call(client), patience, || async {
            self.docker.ping().await.is_ok()
        })
        .await
    }
}

/// The user's engine-call deadline ([`TIMEOUT_ENV`]) as a cap on a start's.
pub(crate) fn start_cap() -> Option<Duration> {
    request_timeout_set().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unanswered_call_says_which_deadline_passed() {
        let text = explain(&BollardError::RequestTimeoutError);
        assert!(
            text.starts_with("Timeout error (no answer within"),
            "{text}"
        );
        assert!(text.contains(TIMEOUT_ENV), "{text}");
        let refused = explain(&BollardError::DockerResponseServerError {
            status_code: 500,
            message: "no".into(),
        });
        assert!(!refused.contains("deadline"), "{refused}");
    }

    #[test]
    fn refusals_name_the_version_to_use() {
        let v =
            version_hint("client version 1.53 is too new. Maximum supported API version is 1.41")
                .unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        let v = version_hint(
            "client version 1.24 is too old. Minimum supported API version is 1.44, please \
             upgrade your client to a newer version",
        )
        .unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 44));
        assert!(version_hint("no such container").is_none());
    }

    #[test]
    fn api_versions_parse() {
        let v = parse_api_version("1.41").unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(parse_api_version("abc").is_none());
        assert!(parse_api_version("1").is_none());
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_setting_to_fix() {
        let err = client("fd://", Origin::Flag, API_DEFAULT_VERSION).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("fd://") && msg.contains("--docker-host"),
            "{msg}"
        );
    }
}
