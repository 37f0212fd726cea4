// The run's certificates: the leaf verifies against its own CA only, names the loopback
// addresses, and its key is private.
#include "security/certificates.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "http/tls.hpp"

namespace hookbench::security {
namespace {

struct x509_free_fn {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free_fn>;

x509_ptr load(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return nullptr;
  x509_ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

// X509_verify_cert of `leaf` with `ca` as the only trust anchor; the error code, 0 if it holds.
int verify(X509* leaf, X509* ca, const char* ip = nullptr) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  if (ip) X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(ctx), ip);
  const int ok = X509_verify_cert(ctx);
  const int err = ok == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok == 1 ? 0 : (err == 0 ? -1 : err);
}

class TlsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_a_ = make_temp_dir("hookbench-tls-test-");
    dir_b_ = make_temp_dir("hookbench-tls-test-");
    a_ = generate_run_certificates(dir_a_);
    b_ = generate_run_certificates(dir_b_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_a_);
    std::filesystem::remove_all(dir_b_);
  }
  std::string dir_a_, dir_b_;
  tls_files a_, b_;
};

TEST_F(TlsFiles, LeafVerifiesAgainstItsOwnCaOnly) {
  auto ca_a = load(a_.ca_file), ca_b = load(b_.ca_file), leaf_a = load(a_.cert_file);
  ASSERT_TRUE(ca_a && ca_b && leaf_a);
  EXPECT_EQ(verify(leaf_a.get(), ca_a.get()), 0);
  EXPECT_EQ(verify(leaf_a.get(), ca_b.get()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  // The CA is a CA, the leaf is not.
  EXPECT_EQ(X509_check_ca(ca_a.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf_a.get()), 0);
}

TEST_F(TlsFiles, LeafNamesTheLoopbackAddresses) {
  auto ca = load(a_.ca_file), leaf = load(a_.cert_file);
  ASSERT_TRUE(ca && leaf);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.2", 0), 0);
  EXPECT_EQ(X509_check_host(leaf.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(verify(leaf.get(), ca.get(), "127.0.0.1"), 0);
  EXPECT_EQ(verify(leaf.get(), ca.get(), "10.0.0.1"), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(TlsFiles, KeyIsPrivateAndMatchesTheLeaf) {
  struct stat st {};
  ASSERT_EQ(::stat(a_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  FILE* f = std::fopen(a_.key_file.c_str(), "r");
  ASSERT_NE(f, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(key, nullptr);
  auto leaf = load(a_.cert_file), other = load(b_.cert_file);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key), 1);
  EXPECT_EQ(X509_check_private_key(other.get(), key), 0);
  EVP_PKEY_free(key);
}

// The contexts the server and clients load: a key that belongs to another certificate and a
// missing file are refused, each named.
TEST_F(TlsFiles, ContextsLoadTheFilesAndNameWhatIsWrong) {
  EXPECT_NE(http::make_server_tls(a_.cert_file, a_.key_file), nullptr);
  EXPECT_NE(http::make_client_tls(a_.ca_file), nullptr);
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(message([&] { http::make_server_tls(a_.cert_file, b_.key_file); }),
            "cannot use TLS key " + b_.key_file + ": key values mismatch");
  EXPECT_EQ(message([&] { http::make_client_tls(dir_a_ + "/none.pem"); }),
            "cannot read TLS CA file " + dir_a_ + "/none.pem: No such file or directory");
}

TEST(TlsFilesErrors, MissingDirectoryIsNamed) {
  try {
    generate_run_certificates("/nonexistent/hookbench-dir");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hookbench-dir/key.pem"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hookbench::security
