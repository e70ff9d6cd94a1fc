import CLibSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// TLS over a connected socket: SNI, the server's certificate checked against the trusted CAs
/// and against the host name (or IP address) the URL names.
///
/// OpenSSL reads and writes memory buffers here and this class moves the bytes over the
/// socket: OpenSSL's own socket writes would raise SIGPIPE when the server has gone, and the
/// socket's receive timeout stays the one `SocketStream` reports.
final class TLSStream: ByteStream {
    private let socket: SocketStream
    private let ssl: OpaquePointer
    /// OpenSSL's side of the two buffers (owned by `ssl`): what came from the server, what goes to it.
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    private var scratch = [UInt8](repeating: 0, count: 64 << 10)

    /// Runs the handshake. A certificate OpenSSL does not accept, or a server that does not
    /// speak TLS, is a `NotTransientError`; a connection lost meanwhile is a `TransportError`.
    init(socket: SocketStream, host: String, port: UInt16, context: TLSContext) throws {
        self.socket = socket
        guard let ssl = SSL_new(context.context), let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            throw HTTPClient.NotTransientError(message: "cannot set up TLS: \(TLSContext.openSSLErrors())")
        }
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        SSL_set_bio(ssl, incoming, outgoing)
        try Self.expect(host: host, on: ssl)
        try handshake(host: host, port: port)
    }

    deinit { SSL_free(ssl) }

    /// The name the certificate must carry: an IP address literal is matched against the
    /// certificate's IP addresses and is not sent as SNI (RFC 6066 allows only DNS names there).
    private static func expect(host: String, on ssl: OpaquePointer) throws {
        var address = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
        let named = isAddress
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
            : SSL_set1_host(ssl, host) == 1 && silo_SSL_set_tlsext_host_name(ssl, host) == 1
        // "*.example.com" matches, "w*.example.com" does not (OpenSSL's advice for clients).
        X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl), UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        guard named else {
            throw HTTPClient.NotTransientError(message: "cannot check certificates for the host name \(host): \(TLSContext.openSSLErrors())")
        }
    }

    private func handshake(host: String, port: UInt16) throws {
        while true {
            ERR_clear_error()
            let rc = SSL_connect(ssl)
            let error = SSL_get_error(ssl, rc)
            // Sent even when the handshake failed: the alert tells the server why.
            let flushed = Result { try flush() }
            if rc == 1 { return try flushed.get() }
            if error == SSL_ERROR_WANT_READ {
                try flushed.get()
                guard try receive() else {
                    throw HTTPClient.TransportError(message: "\(host):\(port) closed the connection during the TLS handshake")
                }
                continue
            }
            throw handshakeFailure(error, host: host, port: port)
        }
    }

    /// Names the certificate problem when the certificate was refused, else OpenSSL's reason.
    private func handshakeFailure(_ error: Int32, host: String, port: UInt16) -> Error {
        let verdict = SSL_get_verify_result(ssl)
        if verdict != X509_V_OK {
            let reason = String(cString: X509_verify_cert_error_string(verdict))
            _ = TLSContext.openSSLErrors()
            if verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH {
                return HTTPClient.NotTransientError(message: "the TLS certificate of \(host):\(port) is not valid for \(host) (\(reason)); "
                    + "use the host name the certificate was issued for")
            }
            return HTTPClient.NotTransientError(message: "the TLS certificate of \(host):\(port) is not trusted (\(reason)); "
                + "if a private CA signed it, name that CA's PEM file with --cacert FILE or AWS_CA_BUNDLE=FILE")
        }
        if error == SSL_ERROR_SSL {
            return HTTPClient.NotTransientError(message: "TLS handshake with \(host):\(port) failed (\(TLSContext.openSSLErrors())); "
                + "is it an https endpoint?")
        }
        return HTTPClient.TransportError(message: "TLS handshake with \(host):\(port) failed: \(TLSContext.openSSLErrors())")
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            ERR_clear_error()
            let n = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if n > 0 { return Int(n) }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_ZERO_RETURN:
                return 0
            case SSL_ERROR_WANT_READ:
                try flush()
                // The end of the socket without TLS's close_notify ends the stream too: the
                // HTTP framing (Content-Length, chunks) tells a cut response from a whole one.
                guard try receive() else { return 0 }
            case SSL_ERROR_WANT_WRITE:
                try flush()
            default:
                throw HTTPClient.TransportError(message: "TLS receive failed: \(TLSContext.openSSLErrors())")
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            ERR_clear_error()
            // In pieces, so that the memory buffer never holds much more than one.
            let piece = min(bytes.count - done, 256 << 10)
            let n = SSL_write(ssl, bytes.baseAddress! + done, Int32(piece))
            if n > 0 {
                done += Int(n)
                try flush()
                continue
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_WRITE:
                try flush()
            case SSL_ERROR_WANT_READ:
                try flush()
                guard try receive() else { throw HTTPClient.TransportError(message: "connection closed by the server") }
            default:
                throw HTTPClient.TransportError(message: "TLS send failed: \(TLSContext.openSSLErrors())")
            }
        }
    }

    /// Sends what OpenSSL has written to its outgoing buffer.
    private func flush() throws {
        while BIO_ctrl_pending(outgoing) > 0 {
            let n = scratch.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { return }
            try scratch.withUnsafeBytes { try socket.write(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
        }
    }

    /// Moves what the socket has into OpenSSL's incoming buffer; false at the socket's end.
    private func receive() throws -> Bool {
        let n = try scratch.withUnsafeMutableBytes { try socket.read(into: $0) }
        guard n > 0 else { return false }
        let taken = scratch.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32(n)) }
        guard taken == Int32(n) else { throw HTTPClient.TransportError(message: "TLS buffer full") }
        return true
    }
}
