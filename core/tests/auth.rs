//! Request signing against values that do not come from this code: the
//! HMAC-SHA256 examples of Binance's API docs (copied into
//! `tests/data/messages/binance_spot_api_docs/rest-api.examples.json`) and
//! the Ed25519 test vectors of RFC 8032 §7.1.

use kairos_core::auth::{percent_encode, AuthError, Credentials};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

fn docs() -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/messages/binance_spot_api_docs/rest-api.examples.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `echo -n "PAYLOAD" | openssl dgst -sha256 -hmac "SECRET"  SIGNATURE` lines.
fn hmac_examples() -> Vec<(String, String, String)> {
    let mut out = vec![];
    let text = docs().to_string();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    fn walk(v: &serde_json::Value, out: &mut Vec<(String, String, String)>) {
        match v {
            serde_json::Value::String(s)
                if s.contains("openssl dgst -sha256 -hmac") && s.starts_with("$ echo -n") =>
            {
                let payload = s.split('"').nth(1).unwrap().to_string();
                let secret = s.split('"').nth(3).unwrap().to_string();
                let sig = s.split_whitespace().last().unwrap().to_string();
                out.push((payload, secret, sig));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v, &mut out);
    out
}

#[test]
fn hmac_signatures_match_binance_docs() {
    let ex = hmac_examples();
    assert_eq!(ex.len(), 2, "{ex:?}");
    for (payload, secret, sig) in ex {
        assert_eq!(sig.len(), 64);
        let c = Credentials::hmac(
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            &secret,
        );
        assert_eq!(c.sign(&payload), sig, "{payload}");
    }
}

#[test]
fn percent_encoding_matches_binance_docs() {
    // The docs' non-ASCII example: the symbol "１２３４５６" (full-width digits).
    assert_eq!(
        percent_encode("１２３４５６"),
        "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
    );
    let text = docs().to_string();
    assert!(text.contains("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"));
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// An Ed25519 private key in PKCS#8 (RFC 8410) PEM, from its 32-byte seed.
fn pem_from_seed(seed: &[u8]) -> String {
    let mut der = unhex("302e020100300506032b657004220420");
    der.extend_from_slice(seed);
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        kairos_core::auth::base64(&der)
    )
}

#[test]
fn ed25519_signatures_match_rfc8032_vectors() {
    // RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
    for (seed, public, msg, sig) in [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "r",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    ] {
        let c = Credentials::ed25519("k", &pem_from_seed(&unhex(seed))).unwrap();
        assert_eq!(c.kind(), "ED25519");
        assert_eq!(c.ed25519_public_key().unwrap(), &unhex(public)[..]);
        assert_eq!(c.sign(msg), kairos_core::auth::base64(&unhex(sig)));
    }
    assert!(matches!(
        Credentials::ed25519("k", "not a pem"),
        Err(AuthError::Ed25519(_))
    ));
}

#[test]
fn key_files_must_be_private_and_keys_are_never_printed() {
    let dir = std::env::temp_dir().join(format!("kairos-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("keys");
    std::fs::write(&f, "APIKEY123456789\nSUPERSECRETVALUE\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Credentials::from_file(&f).unwrap_err().to_string();
    assert!(e.contains("644") && e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = Credentials::from_file(&f).unwrap();
    assert_eq!((c.api_key(), c.kind()), ("APIKEY123456789", "HMAC_SHA256"));
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("SUPERSECRET") && !shown.contains("APIKEY123456789"),
        "{shown}"
    );
    assert!(shown.contains("APIK") && shown.contains("redacted"));
    // Ed25519 in a file: key line, then the PEM.
    let pem = pem_from_seed(&[7u8; 32]);
    std::fs::write(&f, format!("EDKEY\n{pem}")).unwrap();
    assert_eq!(Credentials::from_file(&f).unwrap().kind(), "ED25519");
    std::fs::write(&f, "ONLYKEY\n").unwrap();
    let e = Credentials::from_file(&f).unwrap_err().to_string();
    assert!(e.contains("second line"), "{e}");
    let e = Credentials::from_file(&dir.join("missing"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
}
