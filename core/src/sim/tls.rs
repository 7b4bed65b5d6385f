//! The sim's TLS: a self-signed certificate for `127.0.0.1` and `localhost`
//! made at start with rcgen, written as PEM for clients to trust, and a
//! rustls server config on the ring provider.

use super::SimError;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Makes the certificate, writes it to `cert_out` (or a file in the temp
/// folder named after the port) and returns the server config and the path.
pub(crate) fn make(
    cert_out: Option<&Path>,
    port: u16,
) -> Result<(Arc<ServerConfig>, PathBuf), SimError> {
    let tls_err = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| tls_err(&e))?;
    let path = match cert_out {
        Some(p) => p.to_path_buf(),
        None => std::env::temp_dir().join(format!("kairos-sim-{}-{port}.pem", std::process::id())),
    };
    std::fs::write(&path, ck.cert.pem())
        .map_err(|e| SimError::Tls(format!("writing {}: {e}", path.display())))?;
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| tls_err(&e))?;
    Ok((Arc::new(config), path))
}
