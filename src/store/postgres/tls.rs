//! TLS to the server: when a connection string asks for it, and how it is verified.
//!
//! - `sslmode=require` (or root certificates given with
//!   [`PostgresOptions::tls_root_certificates`](super::PostgresOptions::tls_root_certificates)):
//!   every TCP connection is TLS, and the server's certificate is verified against the
//!   platform's trusted roots plus the given ones, for the host name in the connection string.
//!   This is stricter than libpq's `require`, which encrypts without verifying: a store that
//!   trades money does not talk to a server it cannot identify.
//! - `sslmode=prefer` (the default) or `disable`: plain, as before.
//! - Unix sockets never use TLS (the server offers none on them), whatever `sslmode` says, as
//!   with libpq.
//!
//! rustls with the `ring` provider, as for the HTTP client (see `client/tls.rs`).

use super::super::{StoreError, StoreResult};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use tokio_postgres::Config;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How connections are made.
#[derive(Clone)]
pub(crate) enum Tls {
    /// Plain TCP or a unix socket.
    Off,
    /// TLS, verified.
    Verified(MakeRustlsConnect),
}

/// Reads the PEM certificates of `path` (a CA bundle: one or more `CERTIFICATE` blocks).
pub(crate) fn read_roots(path: &Path) -> StoreResult<Vec<CertificateDer<'static>>> {
    let failed = |why: String| {
        StoreError::Backend(format!("TLS root certificates {}: {why}", path.display()))
    };
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| failed(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| failed(e.to_string()))?;
    if certs.is_empty() {
        return Err(failed("no CERTIFICATE block in the file".into()));
    }
    Ok(certs)
}

/// The connector for `config`, and the config to connect with (for unix sockets only, `sslmode`
/// is set to `disable`: they carry no TLS).
pub(crate) fn connector(
    config: &Config,
    extra_roots: &[CertificateDer<'static>],
) -> StoreResult<(Tls, Config)> {
    let mode = config.get_ssl_mode();
    let wanted = mode == SslMode::Require || !extra_roots.is_empty();
    if mode == SslMode::Disable && !extra_roots.is_empty() {
        return Err(StoreError::Backend(
            "TLS root certificates were given but the connection string says sslmode=disable"
                .into(),
        ));
    }
    let tcp = config.get_hosts().iter().any(|h| matches!(h, Host::Tcp(_)));
    if !wanted || !tcp {
        let mut plain = config.clone();
        if wanted {
            plain.ssl_mode(SslMode::Disable);
        }
        return Ok((Tls::Off, plain));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots.to_vec(),
        provider.clone(),
    )
    .map_err(|e| StoreError::Backend(format!("TLS certificate verifier: {e}")))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let mut secure = config.clone();
    // Root certificates without `sslmode=require` still mean TLS, never a plain fallback.
    secure.ssl_mode(SslMode::Require);
    Ok((Tls::Verified(MakeRustlsConnect::new(tls)), secure))
}
