import CLibSSL
import Foundation

/// The TLS settings every `https://` connection of one client shares (an `SSL_CTX`): TLS 1.2
/// or later, the server's certificate verified against the trusted CAs, and which CAs those are.
///
/// Trusted: the PEM file `caBundle` (`--cacert`, `AWS_CA_BUNDLE`) when given, in place of the
/// system's store, as restic's `--cacert` and the AWS CLI do; otherwise OpenSSL's default
/// paths, which honour `SSL_CERT_FILE` and `SSL_CERT_DIR` (Debian: /etc/ssl/certs).
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    init(caBundle: String?) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw HTTPClient.NotTransientError(message: "cannot set up TLS: \(TLSContext.openSSLErrors())")
        }
        self.context = context
        _ = silo_SSL_CTX_set_min_proto_version(context, silo_TLS1_2_VERSION())
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caBundle {
            guard FileManager.default.isReadableFile(atPath: caBundle) else {
                throw HTTPClient.NotTransientError(message:
                    "cannot read the CA bundle \(caBundle) (--cacert or AWS_CA_BUNDLE): no such readable file")
            }
            guard SSL_CTX_load_verify_locations(context, caBundle, nil) == 1 else {
                throw HTTPClient.NotTransientError(message:
                    "the CA bundle \(caBundle) (--cacert or AWS_CA_BUNDLE) holds no PEM certificate OpenSSL can read: \(TLSContext.openSSLErrors())")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw HTTPClient.NotTransientError(message: "cannot load the system's CA certificates: \(TLSContext.openSSLErrors())")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL's queued errors of this thread, as one line (and the queue emptied).
    static func openSSLErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            messages.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }
}
