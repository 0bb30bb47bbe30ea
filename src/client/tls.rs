//! The TLS crypto provider behind the `rustls` feature.
//!
//! rustls needs a crypto provider. reqwest's and rustls's defaults pick `aws-lc-rs`, whose
//! `aws-lc-sys` compiles a large C library (and wants cmake on some platforms): on a 2-core
//! machine it was the largest single item of a cold build. This crate uses `ring` instead, which
//! rustls supports as a first-class provider and builds in a fraction of the time.

/// Makes `ring` the process's default rustls provider, unless the application installed one
/// already (then that one is used, for our requests too). Cheap and idempotent; called before
/// every HTTP client or websocket connection the crate builds.
#[cfg(feature = "rustls")]
pub(crate) fn install_default_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err means another thread installed one in between: that one is used, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Without the `rustls` feature there is no provider to install.
#[cfg(not(feature = "rustls"))]
pub(crate) fn install_default_provider() {}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    #[test]
    fn a_provider_is_installed_and_kept() {
        super::install_default_provider();
        let first = rustls::crypto::CryptoProvider::get_default().cloned();
        assert!(first.is_some());
        super::install_default_provider();
        let again = rustls::crypto::CryptoProvider::get_default().cloned();
        assert!(std::sync::Arc::ptr_eq(&first.unwrap(), &again.unwrap()));
    }
}
