#pragma once
// Self-signed TLS certificates made at test time with OpenSSL (nothing on disk to expire), for HTTPS test
// servers and the CA bundles that do or do not trust them.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace kiosk::test {

struct X509Deleter {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

struct TestCert {
    std::unique_ptr<X509, X509Deleter> cert;
    std::unique_ptr<EVP_PKEY, PkeyDeleter> key;

    // Writes the certificate as PEM: a CA bundle that trusts exactly this certificate.
    void write_pem(const std::filesystem::path& file) const {
        std::FILE* out = std::fopen(file.c_str(), "w");
        if (out == nullptr) throw std::runtime_error("cannot write " + file.string());
        const int ok = PEM_write_X509(out, cert.get());
        std::fclose(out);
        if (ok != 1) throw std::runtime_error("PEM_write_X509 failed");
    }
};

// A self-signed P-256 certificate valid from an hour ago for a day, for the given subjectAltName
// (e.g. "IP:127.0.0.1").
inline TestCert make_self_signed_cert(const std::string& common_name, const std::string& subject_alt_name) {
    TestCert out;
    out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    out.cert.reset(X509_new());
    if (!out.key || !out.cert) throw std::runtime_error("OpenSSL: cannot make a key or certificate");
    X509* cert = out.cert.get();
    bool ok = X509_set_version(cert, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
              X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600) != nullptr &&
              X509_set_pubkey(cert, out.key.get()) == 1;
    X509_NAME* name = X509_get_subject_name(cert);
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                                    0) == 1 &&
         X509_set_issuer_name(cert, name) == 1;
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    const auto add = [&](int nid, const std::string& value) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (ext == nullptr) return false;
        const bool added = X509_add_ext(cert, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        return added;
    };
    ok = ok && add(NID_basic_constraints, "critical,CA:TRUE") && add(NID_subject_key_identifier, "hash") &&
         add(NID_subject_alt_name, subject_alt_name) && X509_sign(cert, out.key.get(), EVP_sha256()) > 0;
    if (!ok) throw std::runtime_error("OpenSSL: cannot build the test certificate");
    return out;
}

} // namespace kiosk::test
