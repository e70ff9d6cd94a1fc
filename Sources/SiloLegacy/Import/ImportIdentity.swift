import Foundation
import SiloFormat

/// When an archive counts as already imported: an earlier import of the same bytes (SHA-256
/// and size of the file) with the same host and tags. The file name plays no part: two
/// archives of one name from two hosts, or a name reused for new content, are two imports;
/// the same archive copied under another name is one.
public enum ImportIdentity {
    /// The tags an import of `options` gives its snapshot.
    public static func tags(_ options: ImportOptions) -> [String] {
        ["imported"] + options.tags.filter { $0 != "imported" }
    }

    /// The earlier snapshot that imported `path` as `options` would, or nil. The file is read
    /// (to hash it) only when a snapshot of the same host, tags and size exists. A snapshot
    /// imported before digests were recorded matches by its file name, host and tags.
    public static func previous(of path: String, options: ImportOptions,
                                in snapshots: [(id: SnapshotID, snapshot: Snapshot)]) throws -> (id: SnapshotID, snapshot: Snapshot)? {
        let tags = Set(Self.tags(options))
        let alike = snapshots.filter { $0.snapshot.origin != nil && $0.snapshot.host == options.host && Set($0.snapshot.tags) == tags }
        let name = (path as NSString).lastPathComponent
        if let old = alike.first(where: { $0.snapshot.originSHA256 == nil && $0.snapshot.origin == name }) { return old }
        let size = try fileSize(path)
        let sameSize = alike.filter { $0.snapshot.originSize == size && $0.snapshot.originSHA256 != nil }
        guard !sameSize.isEmpty else { return nil }
        let reader = DigestingReader(try FileByteReader(path: path))
        let digest = try reader.finish()
        return sameSize.first { $0.snapshot.originSHA256 == digest }
    }

    private static func fileSize(_ path: String) throws -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw LegacyArchiveError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return UInt64(st.st_size)
    }
}
