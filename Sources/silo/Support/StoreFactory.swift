import Foundation
import SiloEngine
import SiloRepository
import SiloS3
import SiloStorage

/// A repository location to its storage backend: `s3:http(s)://host/bucket/prefix`, or a local
/// directory (`local:PATH` or just `PATH`).
enum StoreFactory {
    /// `caBundle` (`--cacert`): the CAs an `https://` endpoint's certificate must come from,
    /// in place of `AWS_CA_BUNDLE` and the system's.
    static func store(for location: String, caBundle: String? = nil) throws -> ObjectStore {
        if location.hasPrefix("s3:") {
            do {
                var configuration = try S3Configuration(url: location)
                if let caBundle { configuration.caBundle = caBundle }
                return S3ObjectStore(configuration)
            } catch let error as S3Error {
                throw RepositoryError(.invalidArgument, error.message)
            }
        }
        let path = location.hasPrefix("local:") ? String(location.dropFirst(6)) : location
        return LocalObjectStore(root: Paths.absolute(path).displayString)
    }

    /// Requests sent so far to the remote stores among `stores` (what a run costs on a paid
    /// service); nil when none is remote.
    static func requestCount(_ stores: ObjectStore...) -> Int? {
        let remote = stores.compactMap { $0 as? S3ObjectStore }
        return remote.isEmpty ? nil : remote.reduce(0) { $0 + $1.requestCount }
    }
}
