//! TLS client settings: the web PKI roots (for Binance), plus extra root
//! certificates from PEM files (the local simulator's self-signed one).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;

/// Why the TLS settings could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A root certificate file could not be read or holds no certificate.
    #[error("root certificate {path}: {why}")]
    RootFile {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
    /// rustls refused the settings.
    #[error("TLS settings: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A client configuration trusting the web PKI roots and the certificates in
/// `extra_roots` (PEM files), with the ring provider and secret extraction
/// enabled (for [`crate::feed::tls_stream`]).
pub fn client_config(extra_roots: &[&Path]) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in extra_roots {
        let err = |why: String| TlsSetupError::RootFile {
            path: path.display().to_string(),
            why,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| err(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| err(e.to_string()))?;
        if certs.is_empty() {
            return Err(err("no certificate in the file".into()));
        }
        for c in certs {
            roots.add(c).map_err(|e| err(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // After a TLS 1.3 handshake the traffic secrets leave rustls for
    // kairos's allocation-free record layer (`feed::tls_stream`).
    cfg.enable_secret_extraction = true;
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_root_files_are_named() {
        let dir = std::env::temp_dir().join(format!("kairos-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = client_config(&[&empty]).unwrap_err().to_string();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate"),
            "{e}"
        );
        let missing = dir.join("missing.pem");
        let e = client_config(&[&missing]).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
        assert!(client_config(&[]).is_ok());
    }
}
