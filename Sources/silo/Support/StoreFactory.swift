import Foundation
import SiloEngine
import SiloRepository
import SiloS3
import SiloStorage

/// A repository location to its storage backend: `s3:http(s)://host/bucket/prefix`, or a local
/// directory (`local:PATH` or just `PATH`).
enum StoreFactory {
    /// `caBundle` (`--cacert`): the CAs an `https://` endpoint's certificate must come from,
    /// in place of `AWS_CA_BUNDLE` and the system's. Every store is metered: what a run asked
    /// of it is counted alike for each backend.
    static func store(for given: String, caBundle: String? = nil) throws -> ObjectStore {
        MeteredStore(try backend(for: given, caBundle: caBundle))
    }

    private static func backend(for given: String, caBundle: String?) throws -> ObjectStore {
        let location = lowercasingScheme(given)
        if location.hasPrefix("s3:") {
            do {
                var configuration = try S3Configuration(url: location)
                if let caBundle { configuration.caBundle = caBundle }
                // Tests upload small packs in parts (the test server's smallest part is 5 MiB).
                if let mib = ProcessInfo.processInfo.environment["SILO_TEST_S3_MULTIPART_MIB"].flatMap(Int.init) {
                    configuration.multipartThreshold = mib << 20
                    configuration.partSize = max(5, mib) << 20
                }
                return S3ObjectStore(configuration)
            } catch let error as S3Error {
                throw RepositoryError(.invalidArgument, error.message)
            }
        }
        if let scheme = unsupportedScheme(location) {
            throw RepositoryError(.invalidArgument, "repository scheme \(scheme): is not supported (use a local path, local:PATH or s3:http(s)://HOST/BUCKET/PREFIX)")
        }
        let path = location.hasPrefix("local:") ? String(location.dropFirst(6)) : location
        let root = Paths.absolute(path).displayString
        try refuseFileOnThePath(root)
        return LocalObjectStore(root: root)
    }

    /// Schemes are case-insensitive (RFC 3986): `S3:http://…` is an S3 URL, not a directory
    /// named `S3:http:` in the current one.
    private static func lowercasingScheme(_ location: String) -> String {
        guard let colon = location.firstIndex(of: ":") else { return location }
        let word = location[..<colon].lowercased()
        guard ["local", "s3"].contains(word) else { return location }
        return word + location[colon...]
    }

    /// A location that is a file, or lies under one, can be neither a repository nor made
    /// one: named as such (exit 10) rather than as the `Not a directory` of the first stat.
    private static func refuseFileOnThePath(_ root: String) throws {
        var path = root
        while path.count > 1 {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    let what = path == root ? "is a file" : "lies under \(path), which is a file"
                    throw RepositoryError(.notARepository, "\(root) \(what), not a Silo repository or a directory for one")
                }
                return
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    /// `sftp:host:/x`, `rest:http://…`, `b2:bucket`: a word of letters before a colon, with no
    /// slash before it, is a scheme (restic's syntax), never a relative path to take literally.
    /// A path with a colon after a slash (`./a:b`, `/srv/a:b`) is a path.
    private static func unsupportedScheme(_ location: String) -> String? {
        guard let colon = location.firstIndex(of: ":") else { return nil }
        let word = location[..<colon]
        guard !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), word.first!.isLetter else { return nil }
        return ["local", "s3"].contains(word.lowercased()) ? nil : String(word)
    }

    /// Requests sent so far to the remote stores among `stores` (what a run costs on a paid
    /// service); nil when none is remote.
    static func requestCount(_ stores: ObjectStore...) -> Int? {
        let counts = stores.compactMap(\.requestCount)
        return counts.isEmpty ? nil : counts.reduce(0, +)
    }
}
