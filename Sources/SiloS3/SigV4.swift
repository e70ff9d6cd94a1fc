import COpenSSL
import Foundation

/// AWS Signature Version 4 for S3 (header form): canonical request, string to sign, signing
/// key, `Authorization` header. The payload hash is always the real SHA-256 of the body,
/// never UNSIGNED-PAYLOAD, so a server can reject a body altered in transit.
struct SigV4 {
    let accessKey: String
    let secretKey: String
    let sessionToken: String?
    let region: String
    var service = "s3"

    /// Adds `x-amz-date`, `x-amz-content-sha256` (and the session token) to `headers` and
    /// returns the `Authorization` value. `path` is the URI-encoded path; `query` the raw
    /// (unencoded) parameters.
    func sign(method: String, host: String, path: String, query: [(String, String)], headers: inout [String: String],
              payloadHash: String, date: Date) -> String {
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        headers["x-amz-date"] = stamp
        headers["x-amz-content-sha256"] = payloadHash
        if let sessionToken { headers["x-amz-security-token"] = sessionToken }
        var canonicalHeaders = ["host": host]
        for (name, value) in headers { canonicalHeaders[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        let names = canonicalHeaders.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalQuery = query.map { (Self.encode($0.0), Self.encode($0.1)) }.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalRequest = [method, path, canonicalQuery, names.map { "\($0):\(canonicalHeaders[$0]!)\n" }.joined(),
                                signedHeaders, payloadHash].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(Self.sha256(Array(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = Self.hmac(Array(("AWS4" + secretKey).utf8), Array(day.utf8))
        key = Self.hmac(key, Array(region.utf8))
        key = Self.hmac(key, Array(service.utf8))
        key = Self.hmac(key, Array("aws4_request".utf8))
        let signature = Self.hex(Self.hmac(key, Array(stringToSign.utf8)))
        return "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (and `/`
    /// in paths when `keepSlash`).
    static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var result = ""
        for byte in text.utf8 {
            let c = Character(UnicodeScalar(byte))
            if (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
                || c == "-" || c == "_" || c == "." || c == "~" || (keepSlash && c == "/") {
                result.append(c)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    static func sha256<Bytes: ContiguousBytes>(_ data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { raw in
            var length: UInt32 = 0
            _ = EVP_Digest(raw.baseAddress, raw.count, &out, &length, EVP_sha256(), nil)
        }
        return out
    }

    static func md5Base64<Bytes: ContiguousBytes>(_ data: Bytes) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        data.withUnsafeBytes { raw in
            var length: UInt32 = 0
            _ = EVP_Digest(raw.baseAddress, raw.count, &out, &length, EVP_md5(), nil)
        }
        return Data(out).base64EncodedString()
    }

    static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
