// A certificate authority made for one run, and the server certificate it signs: what `--tls`
// serves with and what clients verify against, so that nobody has to prepare a certificate.
// EC P-256 keys, SHA-256 signatures, a short validity; the leaf names the loopback addresses.
#pragma once

#include <chrono>
#include <string>

namespace hookbench::security {

// Where generate_run_certificates() wrote its PEM files.
struct tls_files {
  std::string ca_file;    // the run's CA certificate: what clients trust
  std::string cert_file;  // the server's leaf certificate, signed by the CA
  std::string key_file;   // the leaf's private key (mode 0600)
};

// Generates a self-signed CA (basicConstraints CA:TRUE) and a leaf signed by it with the
// subject alternative names IP:127.0.0.1, IP:::1 and DNS:localhost, valid from a minute ago for
// `validity`, and writes ca.pem, cert.pem and key.pem into `dir` (which must exist). Throws
// std::runtime_error naming what failed.
tls_files generate_run_certificates(const std::string& dir,
                                    std::chrono::seconds validity = std::chrono::hours(24));

// A fresh private directory (mode 0700) under $TMPDIR or /tmp, named from `prefix`. Throws
// std::runtime_error on failure.
std::string make_temp_dir(const std::string& prefix);

}  // namespace hookbench::security
