import Foundation

/// The bucket and key prefix an S3 repository URL names, read so that one place has exactly one
/// spelling: a URL that another spelling would make address the same objects is refused, never
/// quietly read as that other one (two repositories a user thinks apart would be one).
enum S3URLPath {
    /// Characters a path segment may hold as they are (RFC 3986 pchar without `%`); an escape of
    /// one of them, or of `/`, is another spelling of the same name.
    private static let plain = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@".utf8)

    /// `rest` is the URL after `s3:`; `url` the whole of it, for messages.
    static func split(_ rest: String, url: String) throws -> (bucket: String, prefix: String) {
        // Credentials come from the environment; a URL that differs only in them is one place.
        // (The message does not repeat the URL: it would show the password.)
        guard let separator = rest.range(of: "://") else {
            throw S3Error(.invalidArgument, "cannot read S3 URL \(url): expected s3:http://host:port/bucket/prefix or s3:https://…")
        }
        let authority = rest[separator.upperBound...]
        guard !(authority.prefix { $0 != "/" }).contains("@") else {
            throw S3Error(.invalidArgument, "the S3 URL holds a user name or password, which silo does not read from it; remove it and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        // `?` and `#` would be dropped: `a?b` would be `a`.
        guard !rest.contains("?"), !rest.contains("#") else {
            throw S3Error(.invalidArgument, "S3 URL \(url) holds ? or #, which no bucket or prefix may contain here; remove them")
        }
        // The path as written: URLComponents would escape a space or a stray `%` itself,
        // making `a b` and `a%20b` one place.
        let path = authority.firstIndex(of: "/").map { authority[$0...] } ?? ""
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.count > 1, segments.last == "" { segments = segments.dropLast() }
        let names = try segments.map { try name(of: String($0), url: url) }
        guard let bucket = names.first else { throw S3Error(.invalidArgument, "S3 URL \(url) names no bucket") }
        return (bucket, names.dropFirst().joined(separator: "/"))
    }

    /// One segment, unescaped; refused when empty (`a//b` was read as `a/b`), `.` or `..`
    /// (which an HTTP path resolves away), or not in its one spelling.
    private static func name(of segment: String, url: String) throws -> String {
        guard !segment.isEmpty else {
            throw S3Error(.invalidArgument, "S3 URL \(url) has an empty path segment (// or a bare /); write the bucket and prefix with single slashes")
        }
        let bytes = Array(segment.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                let hex = String(decoding: bytes[(index + 1)..<min(index + 3, bytes.count)], as: UTF8.self)
                guard hex.count == 2, let value = UInt8(hex, radix: 16), hex == hex.uppercased(), !plain.contains(value), value != UInt8(ascii: "/") else {
                    throw S3Error(.invalidArgument, "S3 URL \(url) has the escape %\(hex) in \(segment): write letters, digits and -._~ as they are, other bytes as %XX in capitals, and no %2F")
                }
                index += 3
            } else {
                guard plain.contains(bytes[index]) else {
                    throw S3Error(.invalidArgument, "S3 URL \(url) has a character in \(segment) that must be written escaped: %XX per UTF-8 byte in capitals (a space is %20, é is %C3%A9)")
                }
                index += 1
            }
        }
        guard let name = segment.removingPercentEncoding, name != ".", name != ".." else {
            throw S3Error(.invalidArgument, "S3 URL \(url) has the segment \(segment), which a server may resolve away; name the prefix without . or ..")
        }
        return name
    }
}
