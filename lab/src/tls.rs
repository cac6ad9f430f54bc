//! The lab's certificate authority and the HTTPS server certificate of its eAPI
//! devices, generated at lab start so clients can verify TLS against `ca.pem`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A lab CA and one server certificate it signed, valid for every address the lab
/// devices are reached at.
pub(crate) struct LabPki {
    /// The CA certificate, PEM; written to the inventory as `ca.pem`.
    pub ca_pem: String,
    /// rustls server configuration presenting the server certificate (+ CA) chain.
    pub server: Arc<rustls::ServerConfig>,
}

/// Subject alternative names: loopback (v4, v6, `localhost`) plus the bind address.
fn subject_alt_names(bind: IpAddr) -> anyhow::Result<Vec<SanType>> {
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    if !bind.is_unspecified() && !ips.contains(&bind) {
        ips.push(bind);
    }
    let mut sans: Vec<SanType> = ips.into_iter().map(SanType::IpAddress).collect();
    sans.push(SanType::DnsName(
        "localhost".try_into().context("DNS name localhost")?,
    ));
    Ok(sans)
}

impl LabPki {
    /// A fresh CA (ECDSA P-256) and a server certificate for `bind`.
    pub(crate) fn generate(bind: IpAddr) -> anyhow::Result<LabPki> {
        let ca_key = KeyPair::generate().context("generating the lab CA key")?;
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "netrun lab CA");
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "netrun lab");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .context("self-signing the lab CA")?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().context("generating the eAPI server key")?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "netrun lab eAPI");
        params.subject_alt_names = subject_alt_names(bind)?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let server_cert = params
            .signed_by(&server_key, &issuer)
            .context("signing the eAPI server certificate")?;

        let chain = vec![
            CertificateDer::from(server_cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        // An explicit provider: `ServerConfig::builder()` would panic if another crate
        // in the build enabled a second rustls crypto provider.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("TLS server certificate")?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(LabPki {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        })
    }
}
