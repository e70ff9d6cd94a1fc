import Foundation
@testable import SiloS3
import SiloStorage

extension S3ObjectStore {
    /// Starts a multipart upload and leaves it unfinished (for the conformance suite: an
    /// interrupted upload must stay invisible).
    func leaveUnfinishedUpload(_ key: String) throws {
        try ObjectKey.validate(key)
        let created = try request("POST", key: key, query: [("uploads", "")], expect: [200])
        guard let uploadID = ListPage.value(of: "UploadId", in: created.body) else { throw StorageError(.io, key: key, "no upload id") }
        _ = try request("PUT", key: key, query: [("partNumber", "1"), ("uploadId", uploadID)], body: Data(count: 1024), expect: [200])
    }
}
