// Asio SSL contexts from PEM files, loaded once per process and shared by every connection.
#include "http/tls.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ssl = boost::asio::ssl;

namespace hookbench::http {
namespace {

// TLS 1.2 and 1.3 only: what a deployed webhook endpoint offers today.
std::shared_ptr<ssl::context> modern(ssl::context::method method) {
  auto ctx = std::make_shared<ssl::context>(method);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  return ctx;
}

template <class Fn>
void load(const char* what, const std::string& file, Fn&& fn) {
  // OpenSSL says little about a missing file ("asio.ssl error"): the system says more.
  if (std::FILE* f = std::fopen(file.c_str(), "r")) {
    std::fclose(f);
  } else {
    throw std::runtime_error(std::string("cannot read ") + what + " " + file + ": " +
                             std::strerror(errno));
  }
  try {
    fn();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string("cannot use ") + what + " " + file + ": " +
                             e.code().message());
  }
}

}  // namespace

tls_context make_server_tls(const std::string& cert_file, const std::string& key_file) {
  auto ctx = modern(ssl::context::tls_server);
  load("TLS certificate", cert_file, [&] { ctx->use_certificate_chain_file(cert_file); });
  load("TLS key", key_file, [&] { ctx->use_private_key_file(key_file, ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw std::runtime_error("TLS key " + key_file + " does not match certificate " + cert_file);
  }
  return ctx;
}

tls_context make_client_tls(const std::string& ca_file) {
  auto ctx = modern(ssl::context::tls_client);
  load("TLS CA file", ca_file, [&] { ctx->load_verify_file(ca_file); });
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace hookbench::http
