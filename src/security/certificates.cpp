// The run's CA and leaf certificate, made with OpenSSL 3 and written as PEM files.
#include "security/certificates.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace hookbench::security {
namespace {

template <auto Free>
struct deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using key_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;

// The reason OpenSSL queued last, for messages; clears the queue.
[[noreturn]] void fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char reason[256] = "no reason given";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  throw std::runtime_error("TLS certificate: " + what + ": " + reason);
}

key_ptr p256_key() {
  key_ptr key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate an EC P-256 key");
  return key;
}

void set_name(X509_NAME* name, const char* common_name) {
  auto add = [&](const char* field, const char* value) {
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(value), -1, -1, 0) != 1) {
      fail(std::string("cannot set ") + field);
    }
  };
  add("O", "hookbench");
  add("CN", common_name);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    fail(std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

// A certificate for `key` named `common_name`, issued by `issuer` (null: itself), not signed yet.
x509_ptr new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer,
                         std::chrono::seconds validity) {
  x509_ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("cannot make a certificate");
  // A random positive 64-bit serial: two runs' certificates never share one.
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("the random generator failed");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, deleter<BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())))
    fail("cannot set the serial number");
  // From a minute ago: a clock a little behind still accepts it.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()))) {
    fail("cannot set the validity");
  }
  set_name(X509_get_subject_name(cert.get()), common_name);
  X509* signer = issuer ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1)
    fail("cannot set the issuer");
  if (X509_set_pubkey(cert.get(), key) != 1) fail("cannot set the public key");
  return cert;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) fail("cannot sign");
}

std::string pem(const std::function<int(BIO*)>& write) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) fail("cannot encode PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  // The mode of open() applies only to a new file; an old one gets it too.
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  if (::close(fd) != 0 && ok) ok = false;
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + std::strerror(saved));
}

}  // namespace

tls_files generate_run_certificates(const std::string& dir, std::chrono::seconds validity) {
  auto ca_key = p256_key();
  auto ca = new_certificate(ca_key.get(), "hookbench run CA", nullptr, validity);
  add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  sign(ca.get(), ca_key.get());

  auto key = p256_key();
  auto leaf = new_certificate(key.get(), "localhost", ca.get(), validity);
  add_ext(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(leaf.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
  add_ext(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  sign(leaf.get(), ca_key.get());

  tls_files files{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  // The key first, and private from the start: nobody can read it between open and chmod.
  write_file(files.key_file, pem([&](BIO* b) {
               return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
             }),
             0600);
  write_file(files.cert_file, pem([&](BIO* b) { return PEM_write_bio_X509(b, leaf.get()); }), 0644);
  write_file(files.ca_file, pem([&](BIO* b) { return PEM_write_bio_X509(b, ca.get()); }), 0644);
  return files;
}

std::string make_temp_dir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    throw std::runtime_error("cannot create a directory like " + pattern + ": " +
                             std::strerror(errno));
  }
  return buf.data();
}

}  // namespace hookbench::security
