// libssl for SiloS3's https:// connections (its own module, so that only SiloS3 links libssl;
// COpenSSL is libcrypto for the format).
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

// What OpenSSL spells as macros, which Swift cannot call.
static inline long silo_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long silo_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int silo_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
