import COpenSSL

/// `X-Silo-Signature: sha256=HEX`: HMAC-SHA-256 of the exact body bytes under the channel's
/// secret, the scheme GitHub's webhooks use, so receivers' existing verifiers fit.
enum WebhookSignature {
    static func header(secret: String, body: [UInt8]) -> String {
        "X-Silo-Signature: sha256=" + hex(hmacSHA256(key: Array(secret.utf8), body))
    }

    static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        precondition(result != nil && length == 32, "HMAC-SHA-256 failed")
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
