// TLS settings for the HTTP server and clients: an OpenSSL context loaded once from PEM files
// and shared by every connection. Only the context's name is seen here; Asio's SSL stays
// inside the http .cpp files.
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace hookbench::http {

using tls_context = std::shared_ptr<boost::asio::ssl::context>;

// A server context (TLS 1.2 and later) that presents `cert_file` with `key_file`. Throws
// std::runtime_error naming the file that could not be used.
tls_context make_server_tls(const std::string& cert_file, const std::string& key_file);
// A client context that trusts only the CA in `ca_file` and verifies the peer; each connection
// also checks the certificate names the host or IP address it connected to. Throws
// std::runtime_error naming the file.
tls_context make_client_tls(const std::string& ca_file);

}  // namespace hookbench::http
